//! Encoders that start from MediaPipe's hand-landmark network: its first layers, which Google
//! trained on real hands, read from `hand_landmark_full.tflite` (see [`jointscope_model::EncoderKind`]).
use std::path::Path;

use anyhow::{Context, bail};
use jointscope_data::preprocess::{MEAN, STD};
use jointscope_landmarks::tflite::{Activation, TfliteModel};
use jointscope_model::{JointNet, LayerWeights, MEDIAPIPE_LAYERS};

/// The MediaPipe file the encoders start from.
pub const MEDIAPIPE_FILE: &str = "hand_landmark_full.tflite";

/// The weights of [`MEDIAPIPE_LAYERS`] from the bytes of [`MEDIAPIPE_FILE`], every layer checked
/// against the expected stack; as the file has them (they read pixels in 0..1).
pub fn mediapipe_layers(tflite: &[u8]) -> anyhow::Result<Vec<LayerWeights>> {
    let model = TfliteModel::parse(tflite)?;
    let convs = model.convolutions()?;
    if convs.len() < MEDIAPIPE_LAYERS.len() {
        bail!("the file has {} convolutions, the encoder needs {}", convs.len(), MEDIAPIPE_LAYERS.len());
    }
    let mut out = Vec::with_capacity(MEDIAPIPE_LAYERS.len());
    for (i, (c, l)) in convs.iter().zip(MEDIAPIPE_LAYERS.iter()).enumerate() {
        let want = [l.cout, if l.depthwise { 1 } else { l.cin }, l.kernel, l.kernel];
        let act = if l.relu6 { Activation::Relu6 } else { Activation::None };
        if c.depthwise != l.depthwise || c.shape != want || c.stride != [l.stride; 2] || c.act != act {
            bail!(
                "convolution {i} of the file (depthwise {}, shape {:?}, stride {:?}, {:?}) is not the expected layer (depthwise {}, shape {want:?}, stride {}, {act:?}): not MediaPipe's full hand-landmark model?",
                c.depthwise,
                c.shape,
                c.stride,
                c.act,
                l.depthwise,
                l.stride
            );
        }
        out.push(LayerWeights { weight: c.weight.clone(), bias: c.bias.clone() });
    }
    Ok(out)
}

/// Rescale the first layer so that it reads the classifier's normalised input `n = (x − MEAN) /
/// STD` as the original reads pixels `x` in 0..1: conv(STD·n + MEAN) = conv'(n) with
/// w' = w·STD and b' = b + Σ w·MEAN. Only the zero padding at the photo's edge differs (it is
/// grey rather than black).
pub fn fold_input_normalisation(layers: &mut [LayerWeights]) {
    let Some(first) = layers.first_mut() else { return };
    let per_channel = MEDIAPIPE_LAYERS[0].kernel * MEDIAPIPE_LAYERS[0].kernel;
    for (o, b) in first.bias.iter_mut().enumerate() {
        for c in 0..3 {
            let w = &mut first.weight[(o * 3 + c) * per_channel..(o * 3 + c + 1) * per_channel];
            *b += MEAN[c] * w.iter().sum::<f32>();
            w.iter_mut().for_each(|v| *v *= STD[c]);
        }
    }
}

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
