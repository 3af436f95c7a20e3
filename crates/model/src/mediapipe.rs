//! MediaPipe's hand-landmark network's first layers as an encoder: their shapes and the module.
use crate::encoder::groups;
use crate::{FEATURE_SIDE, ModelError};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use jointscope_ops as ops;

/// One convolution of MediaPipe's hand-landmark network, as `hand_landmark_full.tflite` stores it
/// (TensorFlow "same" padding, batch norm folded into the bias).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MobileLayer {
    pub cin: usize,
    pub cout: usize,
    pub kernel: usize,
    pub stride: usize,
    /// One filter per channel (`cin == cout`) rather than a full convolution.
    pub depthwise: bool,
    /// ReLU6 after it (fused in the file); the projections of inverted residuals have none.
    pub relu6: bool,
    /// Its input is kept to be added after the layer that closes the block.
    pub opens_block: bool,
    pub closes_block: bool,
}

const fn full(cin: usize, cout: usize, relu6: bool, opens_block: bool, closes_block: bool) -> MobileLayer {
    MobileLayer { cin, cout, kernel: 1, stride: 1, depthwise: false, relu6, opens_block, closes_block }
}

const fn depthwise(c: usize, kernel: usize, stride: usize) -> MobileLayer {
    MobileLayer { cin: c, cout: c, kernel, stride, depthwise: true, relu6: true, opens_block: false, closes_block: false }
}

/// The first 24 convolutions of `hand_landmark_full.tflite` in file order (a MobileNetV2-like
/// stack of inverted residuals): 15 reach stride 8 (40 channels), 24 reach stride 16 (80).
pub const MEDIAPIPE_LAYERS: [MobileLayer; 24] = [
    MobileLayer { cin: 3, cout: 24, kernel: 3, stride: 2, depthwise: false, relu6: true, opens_block: false, closes_block: false },
    depthwise(24, 3, 1),
    full(24, 16, false, false, false),
    full(16, 64, true, false, false),
    depthwise(64, 3, 2),
    full(64, 24, false, false, false),
    full(24, 144, true, true, false),
    depthwise(144, 3, 1),
    full(144, 24, false, false, true),
    full(24, 144, true, false, false),
    depthwise(144, 5, 2),
    full(144, 40, false, false, false),
    full(40, 240, true, true, false),
    depthwise(240, 5, 1),
    full(240, 40, false, false, true),
    full(40, 240, true, false, false),
    depthwise(240, 3, 2),
    full(240, 80, false, false, false),
    full(80, 480, true, true, false),
    depthwise(480, 3, 1),
    full(480, 80, false, false, true),
    full(80, 480, true, true, false),
    depthwise(480, 3, 1),
    full(480, 80, false, false, true),
];

/// How many of [`MEDIAPIPE_LAYERS`] bring a `size`-pixel input to the 8×8 map.
pub fn mediapipe_depth(size: usize) -> Option<usize> {
    match size / FEATURE_SIDE {
        8 => Some(15),
        16 => Some(24),
        _ => None,
    }
}

/// Weights of one of [`MEDIAPIPE_LAYERS`]: `weight` in burn's `[out, in / groups, k, k]` order.
#[derive(Debug, Clone)]
pub struct LayerWeights {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The first layers of MediaPipe's hand network, then a 1×1 projection with group norm and ReLU.
#[derive(Module, Debug)]
pub struct MobileNet {
    convs: Vec<Conv2d>,
    project: Conv2d,
    norm: GroupNorm,
}

impl MobileNet {
    pub(crate) fn new(layers: &[MobileLayer], width: usize, device: &Device) -> Self {
        let convs = layers
            .iter()
            .map(|l| {
                // TensorFlow "same": stride 1 pads k/2 each side; stride 2 (even sides) pads one
                // more after than before.
                let total = l.kernel - l.stride;
                let (lo, hi) = (total / 2, total - total / 2);
                Conv2dConfig::new([l.cin, l.cout], [l.kernel, l.kernel])
                    .with_stride([l.stride, l.stride])
                    .with_groups(if l.depthwise { l.cin } else { 1 })
                    .with_padding(PaddingConfig2d::Explicit(lo, lo, hi, hi))
                    .init(device)
            })
            .collect();
        let c = layers.last().map_or(3, |l| l.cout);
        Self { convs, project: Conv2dConfig::new([c, 4 * width], [1, 1]).init(device), norm: GroupNormConfig::new(groups(4 * width), 4 * width).init(device) }
    }

    pub(crate) fn trunk(&self, mut x: Tensor<4>) -> Tensor<4> {
        let mut kept = None;
        for (conv, layer) in self.convs.iter().zip(MEDIAPIPE_LAYERS.iter()) {
            if layer.opens_block {
                kept = Some(x.clone());
            }
            x = ops::conv2d(conv, x);
            if layer.relu6 {
                x = x.clamp(0.0, 6.0);
            }
            if layer.closes_block
                && let Some(k) = kept.take()
            {
                x = x + k;
            }
        }
        x
    }

    pub(crate) fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(ops::group_norm(&self.norm, ops::conv2d(&self.project, self.trunk(x))))
    }

    /// Put `weights` (in [`MEDIAPIPE_LAYERS`] order, at least as many as this stack has) into the
    /// convolutions, checking every shape.
    pub(crate) fn load(&mut self, weights: &[LayerWeights]) -> Result<(), ModelError> {
        if weights.len() < self.convs.len() {
            return Err(ModelError::Weights(format!("{} MediaPipe layers given, the encoder has {}", weights.len(), self.convs.len())));
        }
        for (i, (conv, w)) in self.convs.iter_mut().zip(weights).enumerate() {
            let dims = conv.weight.dims();
            let device = conv.weight.val().device();
            if w.weight.len() != dims.iter().product::<usize>() || w.bias.len() != dims[0] {
                return Err(ModelError::Weights(format!(
                    "MediaPipe layer {i}: {} weights and {} biases do not fit a {dims:?} convolution",
                    w.weight.len(),
                    w.bias.len()
                )));
            }
            conv.weight = burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(w.weight.clone(), dims), &device));
            conv.bias = Some(burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(w.bias.clone(), [dims[0]]), &device)));
        }
        Ok(())
    }
}
