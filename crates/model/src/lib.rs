//! The jointscope classifier: one burn module, used by the trainer, the tests and the browser.
//!
//! A **global–local** encoder judges each joint from three things:
//! - a *global* view of the whole hand (one per photo, shared by all its joints),
//! - a *local* crop centred on the joint, sized by the hand,
//! - a learned *joint-identity* embedding (MCP1–5, PIP2–5, thumb IP, wrist).
//!
//! The global view and joint identity form a context vector that modulates the local feature map
//! (feature-wise affine, FiLM, zero-initialised so training starts from the local model). A 1×1
//! convolution turns each local feature vector into evidence of inflammation; its spatial mean
//! plus a context bias is the joint's logit. The evidence map is therefore an exact
//! class-activation map: the logit is its average (plus a constant).
//!
//! [`Arch::Local`] is the plain baseline: the local crop alone, no context. [`Arch::Global`] is the
//! other ablation: the whole-hand view alone, modulated by joint identity, so its activation map
//! lies over the whole hand rather than the joint crop.
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Embedding, EmbeddingConfig, GroupNorm, GroupNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::store::ModuleRecord;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData};
use jointscope_ops as ops;
use serde::{Deserialize, Serialize};

/// Which parts of the model are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub enum Arch {
    /// Baseline: the joint crop alone.
    Local,
    /// Joint crop modulated by whole-hand context and joint identity.
    #[default]
    GlobalLocal,
    /// Whole-hand view modulated by joint identity, no joint crop.
    Global,
}

impl Arch {
    pub const ALL: [Arch; 3] = [Arch::GlobalLocal, Arch::Local, Arch::Global];
}

impl std::str::FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "local" | "baseline" => Ok(Arch::Local),
            "global-local" => Ok(Arch::GlobalLocal),
            "global" => Ok(Arch::Global),
            other => Err(format!("unknown architecture {other:?} (expected local, global or global-local)")),
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Arch::Local => "local",
            Arch::GlobalLocal => "global-local",
            Arch::Global => "global",
        })
    }
}

/// Sizes and switches of a [`JointNet`]. Serialised into checkpoints and the export sidecar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub arch: Arch,
    /// How the encoders are built (absent in older files: plain).
    #[serde(default, skip_serializing_if = "EncoderKind::is_plain")]
    #[cfg_attr(target_family = "wasm", tsify(optional))]
    pub encoder: EncoderKind,
    /// Side of the whole-hand view in pixels (a power of two times 8).
    pub global_size: usize,
    /// Side of the joint crop in pixels (a power of two times 8).
    pub local_size: usize,
    /// Channels of the first stage; later stages double up to 4×.
    pub width: usize,
    /// Size of the joint embedding and of the context vector.
    pub context_dim: usize,
    /// Number of joint identities.
    pub joints: usize,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self { arch: Arch::GlobalLocal, encoder: EncoderKind::Plain, global_size: 128, local_size: 64, width: 16, context_dim: 64, joints: 11 }
    }
}

/// How each encoder is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub enum EncoderKind {
    /// The small CNN of [`Encoder`]: stages of 3×3 convolutions with group norm.
    #[default]
    Plain,
    /// The first stages of MediaPipe's hand-landmark network ([`MEDIAPIPE_LAYERS`]), cut where its
    /// map is 8×8, then a 1×1 projection to `4·width` channels; its layers can start from the
    /// weights Google trained on real hands. Needs sides of 64 or 128 pixels.
    Mediapipe,
}

impl EncoderKind {
    pub const ALL: [EncoderKind; 2] = [EncoderKind::Plain, EncoderKind::Mediapipe];

    pub fn is_plain(&self) -> bool {
        *self == EncoderKind::Plain
    }
}

impl std::fmt::Display for EncoderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EncoderKind::Plain => "plain",
            EncoderKind::Mediapipe => "mediapipe",
        })
    }
}

/// One convolution of MediaPipe's hand-landmark network, as `hand_landmark_full.tflite` stores it
/// (TensorFlow "same" padding, batch norm folded into the bias).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MobileLayer {
    pub cin: usize,
    pub cout: usize,
    pub kernel: usize,
    pub stride: usize,
    /// One filter per channel (`cin == cout`) rather than a full convolution.
    pub depthwise: bool,
    /// ReLU6 after it (fused in the file); the projections of inverted residuals have none.
    pub relu6: bool,
    /// Its input is kept to be added after the layer that closes the block.
    pub opens_block: bool,
    pub closes_block: bool,
}

const fn full(cin: usize, cout: usize, relu6: bool, opens_block: bool, closes_block: bool) -> MobileLayer {
    MobileLayer { cin, cout, kernel: 1, stride: 1, depthwise: false, relu6, opens_block, closes_block }
}

const fn depthwise(c: usize, kernel: usize, stride: usize) -> MobileLayer {
    MobileLayer { cin: c, cout: c, kernel, stride, depthwise: true, relu6: true, opens_block: false, closes_block: false }
}

/// The first 24 convolutions of `hand_landmark_full.tflite` in file order (a MobileNetV2-like
/// stack of inverted residuals): 15 reach stride 8 (40 channels), 24 reach stride 16 (80).
pub const MEDIAPIPE_LAYERS: [MobileLayer; 24] = [
    MobileLayer { cin: 3, cout: 24, kernel: 3, stride: 2, depthwise: false, relu6: true, opens_block: false, closes_block: false },
    depthwise(24, 3, 1),
    full(24, 16, false, false, false),
    full(16, 64, true, false, false),
    depthwise(64, 3, 2),
    full(64, 24, false, false, false),
    full(24, 144, true, true, false),
    depthwise(144, 3, 1),
    full(144, 24, false, false, true),
    full(24, 144, true, false, false),
    depthwise(144, 5, 2),
    full(144, 40, false, false, false),
    full(40, 240, true, true, false),
    depthwise(240, 5, 1),
    full(240, 40, false, false, true),
    full(40, 240, true, false, false),
    depthwise(240, 3, 2),
    full(240, 80, false, false, false),
    full(80, 480, true, true, false),
    depthwise(480, 3, 1),
    full(480, 80, false, false, true),
    full(80, 480, true, true, false),
    depthwise(480, 3, 1),
    full(480, 80, false, false, true),
];

/// How many of [`MEDIAPIPE_LAYERS`] bring a `size`-pixel input to the 8×8 map.
pub fn mediapipe_depth(size: usize) -> Option<usize> {
    match size / FEATURE_SIDE {
        8 => Some(15),
        16 => Some(24),
        _ => None,
    }
}

/// Weights of one of [`MEDIAPIPE_LAYERS`]: `weight` in burn's `[out, in / groups, k, k]` order.
#[derive(Debug, Clone)]
pub struct LayerWeights {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The calibrated probability of inflammation for a logit: sigmoid(logit / temperature), the
/// temperature fitted on validation data (1 for raw probabilities).
pub fn probability(logit: f32, temperature: f32) -> f32 {
    1.0 / (1.0 + (-logit / temperature).exp())
}

/// Side of every encoder's output feature map (and of the class-activation map).
pub const FEATURE_SIDE: usize = 8;

/// Errors building or feeding the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("invalid model configuration: {0}")]
    Config(String),
    #[error("invalid input: {0}")]
    Input(String),
    #[error("weights: {0}")]
    Weights(String),
}

impl ModelConfig {
    /// Check the sizes before building anything.
    pub fn validate(&self) -> Result<(), ModelError> {
        for (name, s) in [("global_size", self.global_size), ("local_size", self.local_size)] {
            if s < FEATURE_SIDE || s % FEATURE_SIDE != 0 || !(s / FEATURE_SIDE).is_power_of_two() || s > 1024 {
                return Err(ModelError::Config(format!("{name} = {s} must be 8 × a power of two, at most 1024")));
            }
        }
        if self.width < 4 || !self.width.is_multiple_of(4) || self.width > 256 {
            return Err(ModelError::Config(format!("width = {} must be a multiple of 4 in 4..=256", self.width)));
        }
        if self.encoder == EncoderKind::Mediapipe {
            for (name, s) in [("global_size", self.global_size), ("local_size", self.local_size)] {
                if mediapipe_depth(s).is_none() {
                    return Err(ModelError::Config(format!("{name} = {s}: the mediapipe encoder needs 64 or 128 pixels")));
                }
            }
        }
        if self.context_dim == 0 || self.context_dim > 1024 || self.joints == 0 || self.joints > 64 {
            return Err(ModelError::Config("context_dim must be 1..=1024 and joints 1..=64".into()));
        }
        Ok(())
    }

    /// Build the model and load burnpack weights (`ModuleRecord::into_bytes`) into it; fails when
    /// the bytes are not burnpack or do not fit this configuration.
    pub fn load(&self, bytes: Vec<u8>, device: &Device) -> Result<JointNet, ModelError> {
        let model = self.init(device)?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| ModelError::Weights(format!("not a burnpack weights file: {e:?}")))?;
        model.try_load_record(record).map_err(|e| ModelError::Weights(format!("the weights do not fit a {} model: {e:?}", self.arch)))
    }

    /// A freshly initialised encoder of this configuration's kind for `size`-pixel views.
    pub fn encoder(&self, size: usize, device: &Device) -> Encoder {
        match self.encoder {
            EncoderKind::Plain => Encoder::new(size, self.width, device),
            EncoderKind::Mediapipe => Encoder::mediapipe(size, self.width, device),
        }
    }

    /// Build a freshly initialised model on `device`.
    pub fn init(&self, device: &Device) -> Result<JointNet, ModelError> {
        self.validate()?;
        let c = self.feature_channels();
        let d = self.context_dim;
        let encoder = |size: usize| self.encoder(size, device);
        let local = (self.arch != Arch::Global).then(|| encoder(self.local_size));
        let global = (self.arch != Arch::Local).then(|| encoder(self.global_size));
        // The context sees the pooled global features next to the joint embedding when there is a
        // crop to modulate; for the global-only model the global features are what is modulated.
        let context_in = if self.arch == Arch::GlobalLocal { c + d } else { d };
        let with_context = self.arch != Arch::Local;
        let (joint_embed, context, film, context_bias) = if with_context {
            (
                Some(EmbeddingConfig::new(self.joints, d).init(device)),
                Some(LinearConfig::new(context_in, d).init(device)),
                // Zero-initialised, so a fresh model is exactly its local branch and context can
                // only add to it: random FiLM at the start scrambles the local evidence and left
                // training on a plateau for half its epochs.
                Some(LinearConfig::new(d, 2 * c).with_initializer(Initializer::Zeros).init(device)),
                Some(LinearConfig::new(d, 1).with_initializer(Initializer::Zeros).init(device)),
            )
        } else {
            (None, None, None, None)
        };
        Ok(JointNet { local, global, joint_embed, context, film, context_bias, evidence: Conv2dConfig::new([c, 1], [1, 1]).init(device) })
    }

    /// Channels of the encoders' output.
    pub fn feature_channels(&self) -> usize {
        4 * self.width
    }
}

/// Conv 3×3 → GroupNorm → ReLU, twice; the first conv may stride.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv1: Conv2d,
    norm1: GroupNorm,
    conv2: Conv2d,
    norm2: GroupNorm,
}

fn groups(channels: usize) -> usize {
    (channels / 4).clamp(1, 8)
}

impl ConvBlock {
    fn new(cin: usize, cout: usize, stride: usize, device: &Device) -> Self {
        let conv =
            |a: usize, s: usize| Conv2dConfig::new([a, cout], [3, 3]).with_stride([s, s]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device);
        Self {
            conv1: conv(cin, stride),
            norm1: GroupNormConfig::new(groups(cout), cout).init(device),
            conv2: conv(cout, 1),
            norm2: GroupNormConfig::new(groups(cout), cout).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = relu(ops::group_norm(&self.norm1, ops::conv2d(&self.conv1, x)));
        relu(ops::group_norm(&self.norm2, ops::conv2d(&self.conv2, x)))
    }
}

/// The first layers of MediaPipe's hand network, then a 1×1 projection with group norm and ReLU.
#[derive(Module, Debug)]
pub struct MobileNet {
    convs: Vec<Conv2d>,
    project: Conv2d,
    norm: GroupNorm,
}

impl MobileNet {
    fn new(layers: &[MobileLayer], width: usize, device: &Device) -> Self {
        let convs = layers
            .iter()
            .map(|l| {
                // TensorFlow "same": stride 1 pads k/2 each side; stride 2 (even sides) pads one
                // more after than before.
                let total = l.kernel - l.stride;
                let (lo, hi) = (total / 2, total - total / 2);
                Conv2dConfig::new([l.cin, l.cout], [l.kernel, l.kernel])
                    .with_stride([l.stride, l.stride])
                    .with_groups(if l.depthwise { l.cin } else { 1 })
                    .with_padding(PaddingConfig2d::Explicit(lo, lo, hi, hi))
                    .init(device)
            })
            .collect();
        let c = layers.last().map_or(3, |l| l.cout);
        Self { convs, project: Conv2dConfig::new([c, 4 * width], [1, 1]).init(device), norm: GroupNormConfig::new(groups(4 * width), 4 * width).init(device) }
    }

    fn trunk(&self, mut x: Tensor<4>) -> Tensor<4> {
        let mut kept = None;
        for (conv, layer) in self.convs.iter().zip(MEDIAPIPE_LAYERS.iter()) {
            if layer.opens_block {
                kept = Some(x.clone());
            }
            x = ops::conv2d(conv, x);
            if layer.relu6 {
                x = x.clamp(0.0, 6.0);
            }
            if layer.closes_block
                && let Some(k) = kept.take()
            {
                x = x + k;
            }
        }
        x
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(ops::group_norm(&self.norm, ops::conv2d(&self.project, self.trunk(x))))
    }

    /// Put `weights` (in [`MEDIAPIPE_LAYERS`] order, at least as many as this stack has) into the
    /// convolutions, checking every shape.
    fn load(&mut self, weights: &[LayerWeights]) -> Result<(), ModelError> {
        if weights.len() < self.convs.len() {
            return Err(ModelError::Weights(format!("{} MediaPipe layers given, the encoder has {}", weights.len(), self.convs.len())));
        }
        for (i, (conv, w)) in self.convs.iter_mut().zip(weights).enumerate() {
            let dims = conv.weight.dims();
            let device = conv.weight.val().device();
            if w.weight.len() != dims.iter().product::<usize>() || w.bias.len() != dims[0] {
                return Err(ModelError::Weights(format!(
                    "MediaPipe layer {i}: {} weights and {} biases do not fit a {dims:?} convolution",
                    w.weight.len(),
                    w.bias.len()
                )));
            }
            conv.weight = burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(w.weight.clone(), dims), &device));
            conv.bias = Some(burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(w.bias.clone(), [dims[0]]), &device)));
        }
        Ok(())
    }
}

/// One convolution or group norm of a plain encoder and the input it sees (what `jointscope bench
/// layers` times one by one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Layer {
    /// A square convolution with symmetric padding: `input` is `[n, cin, h, w]`.
    Conv {
        input: [usize; 4],
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    GroupNorm {
        input: [usize; 4],
        groups: usize,
    },
}

impl Layer {
    /// The layer's input shape, `[n, c, h, w]`.
    pub fn input(&self) -> [usize; 4] {
        match *self {
            Layer::Conv { input, .. } | Layer::GroupNorm { input, .. } => input,
        }
    }
}

/// From a `size`×`size` RGB image to a `4·width × 8 × 8` feature map: a small CNN of its own, or
/// the first layers of MediaPipe's hand network ([`EncoderKind`]).
#[derive(Module, Debug)]
pub struct Encoder {
    blocks: Vec<ConvBlock>,
    mobile: Option<MobileNet>,
}

impl Encoder {
    /// `size` must be 8 × a power of two (checked by [`ModelConfig::validate`]).
    pub fn new(size: usize, width: usize, device: &Device) -> Self {
        let downs = (size / FEATURE_SIDE).trailing_zeros() as usize;
        let mut blocks = Vec::new();
        let mut cin = 3;
        for i in 0..downs.max(1) {
            let cout = width << i.min(2);
            blocks.push(ConvBlock::new(cin, cout, if i < downs { 2 } else { 1 }, device));
            cin = cout;
        }
        // Always end at 4·width channels with one more full-resolution block.
        blocks.push(ConvBlock::new(cin, 4 * width, 1, device));
        Self { blocks, mobile: None }
    }

    /// The MediaPipe encoder for `size` (64 or 128, checked by [`ModelConfig::validate`]).
    pub fn mediapipe(size: usize, width: usize, device: &Device) -> Self {
        let depth = mediapipe_depth(size).unwrap_or(MEDIAPIPE_LAYERS.len());
        Self { blocks: Vec::new(), mobile: Some(MobileNet::new(&MEDIAPIPE_LAYERS[..depth], width, device)) }
    }

    /// This MediaPipe encoder with its layers started from Google's `weights` (its projection
    /// keeps its initialisation); an error for a plain encoder.
    pub fn with_mediapipe_weights(mut self, weights: &[LayerWeights]) -> Result<Self, ModelError> {
        let m = self.mobile.as_mut().ok_or_else(|| ModelError::Weights("a plain encoder has no MediaPipe layers to initialise".into()))?;
        m.load(weights)?;
        Ok(self)
    }

    /// What MediaPipe's layers of a [`EncoderKind::Mediapipe`] encoder output before the
    /// projection (to check them against the original network); `None` for a plain encoder.
    pub fn mediapipe_trunk(&self, x: Tensor<4>) -> Option<Tensor<4>> {
        self.mobile.as_ref().map(|m| m.trunk(x))
    }

    /// A plain encoder's convolutions and group norms in order, with the shapes they see on
    /// `[batch, 3, size, size]` (empty for a MediaPipe encoder).
    pub fn layers(&self, batch: usize, size: usize) -> Vec<Layer> {
        let mut out = Vec::new();
        let (mut c, mut side) = (3, size);
        for b in &self.blocks {
            for (conv, norm) in [(&b.conv1, &b.norm1), (&b.conv2, &b.norm2)] {
                let [cout, _, k, _] = conv.weight.dims();
                let padding = match conv.padding {
                    PaddingConfig2d::Explicit(top, ..) => top,
                    _ => k / 2,
                };
                let stride = conv.stride[0];
                out.push(Layer::Conv { input: [batch, c, side, side], out_channels: cout, kernel: k, stride, padding });
                side = (side + 2 * padding - k) / stride + 1;
                c = cout;
                out.push(Layer::GroupNorm { input: [batch, c, side, side], groups: norm.num_groups });
            }
        }
        out
    }

    /// `[n, 3, size, size]` → `[n, 4·width, 8, 8]`.
    pub fn forward(&self, mut x: Tensor<4>) -> Tensor<4> {
        if let Some(m) = &self.mobile {
            return m.forward(x);
        }
        for b in &self.blocks {
            x = b.forward(x);
        }
        x
    }
}

/// The classifier. Build it with [`ModelConfig::init`].
#[derive(Module, Debug)]
pub struct JointNet {
    pub local: Option<Encoder>,
    pub global: Option<Encoder>,
    pub joint_embed: Option<Embedding>,
    context: Option<Linear>,
    film: Option<Linear>,
    context_bias: Option<Linear>,
    evidence: Conv2d,
}

/// A batch for [`JointNet::forward`]: photos and the joints judged in them.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Whole-hand views, `[images, 3, G, G]`.
    pub global: Tensor<4>,
    /// Joint crops, `[joints, 3, L, L]`.
    pub local: Tensor<4>,
    /// Joint identity of each crop, `[joints]`.
    pub joint: Tensor<1, Int>,
    /// Which global view each crop belongs to, `[joints]`.
    pub image: Tensor<1, Int>,
    /// Per joint, 1 to let the whole-hand view into the context and 0 to withhold it (context
    /// dropout in training, [`Arch::GlobalLocal`] only); `None` keeps every joint's.
    pub context_keep: Option<Tensor<1>>,
}

/// Host-side batch data, turned into a [`Batch`] on any device.
#[derive(Debug, Clone, Default)]
pub struct BatchData {
    pub global: Vec<f32>,
    pub local: Vec<f32>,
    pub joint: Vec<i64>,
    pub image: Vec<i64>,
}

impl BatchData {
    /// Number of joint crops.
    pub fn joints(&self) -> usize {
        self.joint.len()
    }

    /// Check lengths against `config` and build the tensors.
    pub fn to_batch(&self, config: &ModelConfig, device: &Device) -> Result<Batch, ModelError> {
        let (g, l) = (3 * config.global_size * config.global_size, 3 * config.local_size * config.local_size);
        let n = self.joint.len();
        if n == 0 {
            return Err(ModelError::Input("no joints in the batch".into()));
        }
        if self.local.len() != n * l || self.image.len() != n {
            return Err(ModelError::Input(format!(
                "{} joint ids, {} image indices and {} local values (expected {} per joint)",
                n,
                self.image.len(),
                self.local.len(),
                l
            )));
        }
        if self.global.is_empty() || !self.global.len().is_multiple_of(g) {
            return Err(ModelError::Input(format!("{} global values is not a multiple of {g}", self.global.len())));
        }
        let images = self.global.len() / g;
        if let Some(bad) = self.image.iter().find(|&&i| i < 0 || i as usize >= images) {
            return Err(ModelError::Input(format!("image index {bad} is outside 0..{images}")));
        }
        if let Some(bad) = self.joint.iter().find(|&&j| j < 0 || j as usize >= config.joints) {
            return Err(ModelError::Input(format!("joint id {bad} is outside 0..{}", config.joints)));
        }
        let (gs, ls) = (config.global_size, config.local_size);
        Ok(Batch {
            global: Tensor::from_data(TensorData::new(self.global.clone(), [images, 3, gs, gs]), device),
            local: Tensor::from_data(TensorData::new(self.local.clone(), [n, 3, ls, ls]), device),
            joint: Tensor::from_data(TensorData::new(self.joint.clone(), [n]), device),
            image: Tensor::from_data(TensorData::new(self.image.clone(), [n]), device),
            context_keep: None,
        })
    }
}

/// What the model says about each joint.
#[derive(Debug, Clone)]
pub struct Output {
    /// Inflammation logit per joint, `[joints]`.
    pub logits: Tensor<1>,
    /// Class-activation map per joint, `[joints, 8, 8]`, over its crop (over the whole-hand view
    /// for [`Arch::Global`]); its mean plus the context bias is the logit.
    pub cam: Tensor<3>,
    /// What the encoder saw in each joint's crop (the whole-hand view for [`Arch::Global`]): its
    /// features averaged over the map, before the context modulates them, `[joints, 4·width]`.
    /// Their distribution over the training photos tells a familiar photo from a strange one.
    pub pooled: Tensor<2>,
}

impl Output {
    /// Probabilities of inflammation, `[joints]`.
    pub fn probabilities(&self) -> Tensor<1> {
        sigmoid(self.logits.clone())
    }
}

impl JointNet {
    /// Start every logit at `logit` (e.g. the log-odds of the training prevalence) instead of
    /// near 0 (probability ½), so the rare class does not dominate the first steps' gradients
    /// (Lin et al. 2017, §4.1). Only the evidence bias changes.
    pub fn with_initial_logit(mut self, logit: f32) -> Self {
        if let Some(bias) = self.evidence.bias.take() {
            let device = bias.val().device();
            let value = Tensor::<1>::from_data(TensorData::new(vec![logit], [1]), &device);
            self.evidence.bias = Some(burn::module::Param::from_tensor(value));
        }
        self
    }

    /// Start the MediaPipe encoders' layers from `weights` ([`MEDIAPIPE_LAYERS`] order); the
    /// projections after them keep their fresh initialisation.
    pub fn with_mediapipe_weights(mut self, weights: &[LayerWeights]) -> Result<Self, ModelError> {
        let mut any = false;
        for encoder in [self.local.as_mut(), self.global.as_mut()].into_iter().flatten() {
            if let Some(m) = encoder.mobile.as_mut() {
                m.load(weights)?;
                any = true;
            }
        }
        if !any {
            return Err(ModelError::Weights("this model has no MediaPipe encoder to initialise".into()));
        }
        Ok(self)
    }

    /// Judge every joint of the batch.
    pub fn forward(&self, batch: Batch) -> Output {
        let global_map = self.global.as_ref().map(|g| g.forward(batch.global)); // [images, c, 8, 8]
        let mut features = match (&self.local, &global_map) {
            (Some(local), _) => local.forward(batch.local),
            (None, Some(map)) => map.clone().select(0, batch.image.clone()),
            (None, None) => unreachable!("every architecture has an encoder"),
        };
        let [n, c, h, w] = features.dims();
        let pooled = features.clone().mean_dim(3).mean_dim(2).reshape([n, c]);
        let mut bias: Option<Tensor<2>> = None;
        if let (Some(embed), Some(context), Some(film), Some(cb)) = (&self.joint_embed, &self.context, &self.film, &self.context_bias) {
            let e = embed.forward(batch.joint.reshape([n as i32, 1])).reshape([n as i32, -1]); // [n, d]
            let input = match (&self.local, global_map) {
                (Some(_), Some(map)) => {
                    let mut g = map.mean_dim(3).mean_dim(2).reshape([0, -1]).select(0, batch.image); // [n, c]
                    if let Some(keep) = batch.context_keep {
                        g = g * keep.reshape([n as i32, 1]);
                    }
                    Tensor::cat(vec![g, e], 1)
                }
                _ => e,
            };
            let ctx = relu(context.forward(input)); // [n, d]
            let ab = film.forward(ctx.clone()).reshape([n, 2 * c, 1, 1]);
            let gamma = ab.clone().slice([0..n, 0..c]);
            let beta = ab.slice([0..n, c..2 * c]);
            features = features * (gamma + 1.0) + beta;
            bias = Some(cb.forward(ctx));
        }
        let cam = ops::conv2d(&self.evidence, features).reshape([n, h, w]);
        let mut logits = cam.clone().mean_dim(2).mean_dim(1).reshape([n as i32, 1]);
        if let Some(b) = bias {
            logits = logits + b;
        }
        Output { logits: logits.reshape([n]), cam, pooled }
    }
}
