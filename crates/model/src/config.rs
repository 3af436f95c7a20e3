//! What a model is: its architecture, encoder kind and sizes.
use crate::{Encoder, FEATURE_SIDE, ModelError, mediapipe_depth};
use burn::tensor::Device;
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

    /// A freshly initialised encoder of this configuration's kind for `size`-pixel views.
    pub fn encoder(&self, size: usize, device: &Device) -> Encoder {
        match self.encoder {
            EncoderKind::Plain => Encoder::new(size, self.width, device),
            EncoderKind::Mediapipe => Encoder::mediapipe(size, self.width, device),
        }
    }

    /// Channels of the encoders' output.
    pub fn feature_channels(&self) -> usize {
        4 * self.width
    }
}
