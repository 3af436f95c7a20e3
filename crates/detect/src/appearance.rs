//! How a photo looks to the first layers of MediaPipe's hand network — Google's weights, trained on
//! real hands — whatever the classifier was trained on. The export keeps the same Gaussian summary
//! as [`crate::familiarity`] over those layers' pooled features of the training photos' joint
//! crops (`Sidecar::appearance`); a hand far from it does not look like the training photos, even
//! when the classifier's own features cannot tell (an encoder trained on drawn hands places real
//! hands close to drawn ones).
use crate::DetectError;
use burn::tensor::{Device, Tensor};
use jointscope_data::preprocess::{MEAN, STD};
use jointscope_landmarks::tflite::{Activation, TfliteModel};
use jointscope_model::{Arch, Encoder, EncoderKind, LayerWeights, MEDIAPIPE_LAYERS, ModelConfig};

/// Layers of [`MEDIAPIPE_LAYERS`] used for the appearance features (stride 8, 40 channels).
pub const APPEARANCE_LAYERS: usize = 15;

/// The weights of [`MEDIAPIPE_LAYERS`] from the bytes of MediaPipe's `hand_landmark_full.tflite`,
/// every layer checked against the expected stack; as the file has them (they read pixels in 0..1).
pub fn mediapipe_layers(tflite: &[u8]) -> Result<Vec<LayerWeights>, DetectError> {
    let bad = |m: String| DetectError::Weights(m);
    let model = TfliteModel::parse(tflite)?;
    let convs = model.convolutions()?;
    if convs.len() < MEDIAPIPE_LAYERS.len() {
        return Err(bad(format!("the file has {} convolutions, the encoder needs {}", convs.len(), MEDIAPIPE_LAYERS.len())));
    }
    let mut out = Vec::with_capacity(MEDIAPIPE_LAYERS.len());
    for (i, (c, l)) in convs.iter().zip(MEDIAPIPE_LAYERS.iter()).enumerate() {
        let want = [l.cout, if l.depthwise { 1 } else { l.cin }, l.kernel, l.kernel];
        let act = if l.relu6 { Activation::Relu6 } else { Activation::None };
        if c.depthwise != l.depthwise || c.shape != want || c.stride != [l.stride; 2] || c.act != act {
            return Err(bad(format!(
                "convolution {i} of the file (depthwise {}, shape {:?}, stride {:?}, {:?}) is not the expected layer (depthwise {}, shape {want:?}, stride {}, {act:?}): not MediaPipe's full hand-landmark model?",
                c.depthwise, c.shape, c.stride, c.act, l.depthwise, l.stride
            )));
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

/// [`mediapipe_layers`] with [`fold_input_normalisation`] applied: what a classifier encoder
/// (or [`AppearanceEncoder`]) that reads normalised crops starts from.
pub fn classifier_layers(tflite: &[u8]) -> Result<Vec<LayerWeights>, DetectError> {
    let mut layers = mediapipe_layers(tflite)?;
    fold_input_normalisation(&mut layers);
    Ok(layers)
}

/// MediaPipe's first [`APPEARANCE_LAYERS`] layers with Google's weights, reading the classifier's
/// normalised joint crops.
pub struct AppearanceEncoder {
    encoder: Encoder,
}

impl AppearanceEncoder {
    /// From the bytes of `hand_landmark_full.tflite`, on `device`.
    pub fn new(landmark_tflite: &[u8], device: &Device) -> Result<Self, DetectError> {
        let layers = classifier_layers(landmark_tflite)?;
        let config = ModelConfig { arch: Arch::Local, encoder: EncoderKind::Mediapipe, local_size: 64, global_size: 64, width: 4, ..ModelConfig::default() };
        let net = config.init(device).and_then(|m| m.with_mediapipe_weights(&layers)).map_err(|e| DetectError::Weights(e.to_string()))?;
        let encoder = net.local.ok_or_else(|| DetectError::Weights("no local encoder".into()))?;
        Ok(Self { encoder })
    }

    /// Pooled features of crops `[n, 3, s, s]` (any side): `[n, 40]`.
    pub fn features(&self, crops: Tensor<4>) -> Tensor<2> {
        let map = self.encoder.mediapipe_trunk(crops).expect("built as a MediaPipe encoder");
        let [n, c, _, _] = map.dims();
        map.mean_dim(3).mean_dim(2).reshape([n, c])
    }
}
