//! The joint classifier itself: its inputs, forward pass and outputs.
use crate::{Arch, Encoder, LayerWeights, ModelConfig, ModelError};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::store::ModuleRecord;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData};
use jointscope_ops as ops;

impl ModelConfig {
    /// Build the model and load burnpack weights (`ModuleRecord::into_bytes`) into it; fails when
    /// the bytes are not burnpack or do not fit this configuration.
    pub fn load(&self, bytes: Vec<u8>, device: &Device) -> Result<JointNet, ModelError> {
        let model = self.init(device)?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| ModelError::Weights(format!("not a burnpack weights file: {e:?}")))?;
        model.try_load_record(record).map_err(|e| ModelError::Weights(format!("the weights do not fit a {} model: {e:?}", self.arch)))
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
