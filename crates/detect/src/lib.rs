//! Photo → per-joint inflammation verdicts, one code path for the `jointscope detect` CLI and the
//! browser (`jointscope-wasm`): MediaPipe hand landmarks locate the joints, then the exported joint
//! classifier judges each one. Weights come as bytes with their sidecar (`jointscope.json`), which is
//! checked first (format version, size, SHA-256, architecture, preprocessing), so a wrong, truncated
//! or altered file is refused with a message naming what differs.
//!
//! Every tensor read is asynchronous, so the same code runs on WebGPU in the browser.

pub mod appearance;
mod classifier;
mod detector;
pub mod familiarity;
pub mod meaning;
pub mod quality;
pub mod sidecar;
mod video;

#[cfg(not(target_family = "wasm"))]
pub use classifier::read_export;
pub use classifier::{Classifier, JointVerdict};
pub use detector::{COLOURLESS, Detection, Detector, HandResult, STAGES, colourless, judgeable, rgba_to_rgb};
pub use familiarity::{Familiarity, FeatureModel};
pub use meaning::flag_meaning;
pub use quality::{Check, Quality};
pub use sidecar::{FORMAT_VERSION, NOTICE, SIDECAR_FILE, Sidecar, WEIGHTS_FILE};
pub use video::{FrameCheck, FrameHand, Tracking};

use jointscope_landmarks::LandmarkError;

/// What can go wrong detecting; every variant reads as a sentence for the user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectError {
    /// The sidecar (`jointscope.json`) is missing, malformed, or from an incompatible version.
    #[error("jointscope.json: {0}")]
    Sidecar(String),
    /// The classifier's weights do not match their sidecar or the model.
    #[error("weights: {0}")]
    Weights(String),
    /// The hand models failed to load or run.
    #[error("{0}")]
    Landmarks(#[from] LandmarkError),
    /// The photo cannot be used (undecodable, too large, empty).
    #[error("photo: {0}")]
    Image(String),
    /// Inputs the classifier cannot take.
    #[error("input: {0}")]
    Input(String),
    /// The compute backend failed.
    #[error("backend: {0}")]
    Backend(String),
}
