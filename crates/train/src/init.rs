//! Encoders that start from MediaPipe's hand-landmark network: its first layers, which Google
//! trained on real hands, read from `hand_landmark_full.tflite` (see [`jointscope_model::EncoderKind`]).
use std::path::Path;

use anyhow::Context;
use jointscope_model::{JointNet, LayerWeights};

/// The MediaPipe file the encoders start from.
pub const MEDIAPIPE_FILE: &str = "hand_landmark_full.tflite";

pub use jointscope_detect::appearance::{fold_input_normalisation, mediapipe_layers};

/// [`MEDIAPIPE_FILE`] named by the SHA-256 of its bytes.
fn named(bytes: &[u8]) -> String {
    format!("MediaPipe {MEDIAPIPE_FILE} (sha256 {})", &jointscope_detect::sidecar::sha256(bytes)[..16])
}

/// The encoder layers of [`MEDIAPIPE_FILE`] in `models`, and a line naming the file by its SHA-256.
pub fn mediapipe_file_layers(models: &Path) -> anyhow::Result<(Vec<LayerWeights>, String)> {
    let path = models.join(MEDIAPIPE_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {} (run scripts/fetch-models.sh, or name the models folder)", path.display()))?;
    let layers = jointscope_detect::appearance::classifier_layers(&bytes).with_context(|| format!("reading the encoder layers of {}", path.display()))?;
    Ok((layers, named(&bytes)))
}

/// Start `model`'s MediaPipe encoders from [`MEDIAPIPE_FILE`] in `models`; returns the model and
/// a line naming the file by its SHA-256, for the run's metadata.
pub fn from_mediapipe(model: JointNet, models: &Path) -> anyhow::Result<(JointNet, String)> {
    let (layers, name) = mediapipe_file_layers(models)?;
    Ok((model.with_mediapipe_weights(&layers)?, name))
}

/// Where a run's encoders start, in words: MediaPipe's file (named by its SHA-256 when its bytes
/// are given), a pretraining folder, or random.
pub fn describe(init_mediapipe: bool, pretrained: Option<&Path>, mediapipe: Option<&[u8]>) -> String {
    if init_mediapipe {
        mediapipe.map_or_else(|| format!("MediaPipe {MEDIAPIPE_FILE}"), named)
    } else if let Some(dir) = pretrained {
        format!("pretrained encoders from {}", dir.display())
    } else {
        "random".into()
    }
}
