//! The encoders: plain convolution blocks or MediaPipe's layers, down to an 8×8 feature map.
use crate::{FEATURE_SIDE, LayerWeights, MEDIAPIPE_LAYERS, MobileNet, ModelError, mediapipe_depth};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use jointscope_ops as ops;

/// Conv 3×3 → GroupNorm → ReLU, twice; the first conv may stride.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv1: Conv2d,
    norm1: GroupNorm,
    conv2: Conv2d,
    norm2: GroupNorm,
}

pub(crate) fn groups(channels: usize) -> usize {
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
    pub(crate) mobile: Option<MobileNet>,
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
