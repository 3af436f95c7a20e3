//! Hand landmarks for jointscope: MediaPipe's public palm detection and hand landmark models
//! (Apache-2.0 `.tflite` files, fetched by `scripts/fetch-models.sh`) executed by burn on every backend
//! the project uses — flex on the CPU, wgpu natively, WebGPU in the browser — and the photo pipeline
//! around them (find palms anywhere in the photo, rotate and crop each hand, landmarks, refine, map back).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use jointscope_landmarks::{Complexity, HandLandmarker, Options};
//! let device = burn::tensor::Device::flex();
//! let marker = HandLandmarker::from_dir(std::path::Path::new("models"), Complexity::Full, &device, Options::default())?;
//! let photo = jointscope_data::image_io::load_rgb(std::path::Path::new("hand.jpg"))?;
//! for hand in marker.detect_blocking(&photo)? {
//!     println!("{:?} hand, {} joints", hand.handedness, hand.joints().len());
//! }
//! # Ok(()) }
//! ```

pub mod graph;
pub mod palm;
pub mod pipeline;
pub mod roi;
pub mod tflite;

pub use pipeline::{Complexity, DetectedHand, HandLandmarker, LANDMARK_INPUT, LandmarkOutput, MAX_HANDS, Options};
pub use roi::Roi;

/// Pairs of the 21 hand landmarks joined along the fingers and across the palm's knuckles.
pub const HAND_BONES: [(usize, usize); 20] = [
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 4),
    (0, 5),
    (5, 6),
    (6, 7),
    (7, 8),
    (5, 9),
    (9, 10),
    (10, 11),
    (11, 12),
    (9, 13),
    (13, 14),
    (14, 15),
    (15, 16),
    (13, 17),
    (17, 18),
    (18, 19),
    (19, 20),
];

/// What can go wrong loading or running the hand models.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LandmarkError {
    /// The model file is not a TFLite model this crate can run (truncated, altered, other operators).
    #[error("hand model: {0}")]
    Model(String),
    /// A model file is missing.
    #[error("hand model file missing: {0} (run scripts/fetch-models.sh)")]
    Missing(String),
    /// The input image cannot be processed.
    #[error("image: {0}")]
    Input(String),
    /// The burn backend failed (device lost, out of memory).
    #[error("backend: {0}")]
    Backend(String),
    /// A detection option is out of its range ([`Options::check`]).
    #[error("detection options: {0}")]
    Options(String),
}

impl LandmarkError {
    /// Prefixes the message with what was being loaded.
    pub fn context(self, what: &str) -> Self {
        match self {
            LandmarkError::Model(m) => LandmarkError::Model(format!("{what}: {m}")),
            other => other,
        }
    }
}
