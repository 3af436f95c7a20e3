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
mod config;
mod encoder;
mod mediapipe;
mod net;

pub use config::{Arch, EncoderKind, ModelConfig};
pub use encoder::{ConvBlock, Encoder, Layer};
pub use mediapipe::{LayerWeights, MEDIAPIPE_LAYERS, MobileLayer, MobileNet, mediapipe_depth};
pub use net::{Batch, BatchData, JointNet, Output};

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
