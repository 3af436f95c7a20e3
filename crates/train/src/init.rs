//! Encoders that start from MediaPipe's hand-landmark network: its first layers, which Google
//! trained on real hands, read from `hand_landmark_full.tflite` (see [`jointscope_model::EncoderKind`]).
use std::path::Path;

use anyhow::Context;
use jointscope_model::JointNet;

/// The MediaPipe file the encoders start from.
pub const MEDIAPIPE_FILE: &str = "hand_landmark_full.tflite";

pub use jointscope_detect::appearance::{fold_input_normalisation, mediapipe_layers};

/// Start `model`'s MediaPipe encoders from [`MEDIAPIPE_FILE`] in `models`; returns the model and
/// a line naming the file by its SHA-256, for the run's metadata.
pub fn from_mediapipe(model: JointNet, models: &Path) -> anyhow::Result<(JointNet, String)> {
    let path = models.join(MEDIAPIPE_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {} (run scripts/fetch-models.sh, or set JOINTSCOPE_MODELS)", path.display()))?;
    let mut layers = mediapipe_layers(&bytes).with_context(|| format!("reading the encoder layers of {}", path.display()))?;
    fold_input_normalisation(&mut layers);
    let model = model.with_mediapipe_weights(&layers)?;
    Ok((model, format!("MediaPipe {MEDIAPIPE_FILE} (sha256 {})", &jointscope_detect::sidecar::sha256(&bytes)[..16])))
}

/// Where a run's encoders start, in words: random, a pretraining folder, or MediaPipe's file in
/// `models` (named by its SHA-256 when it is there).
pub fn describe(train: &crate::train::TrainParams, models: &Path) -> String {
    if train.init_mediapipe {
        match std::fs::read(models.join(MEDIAPIPE_FILE)) {
            Ok(bytes) => format!("MediaPipe {MEDIAPIPE_FILE} (sha256 {})", &jointscope_detect::sidecar::sha256(&bytes)[..16]),
            Err(_) => format!("MediaPipe {MEDIAPIPE_FILE}"),
        }
    } else if let Some(dir) = &train.init {
        format!("pretrained encoders from {}", dir.display())
    } else {
        "random".into()
    }
}
