//! [`TrainOps`]: the backend extension, its flex forward and its autodiff backward.
use crate::kernels::{self, ConvShape, NormShape};
use crate::{Work, timed};
use burn::backend::TensorMetadata;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ConvOptions, FloatTensorOps, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Shape, Tensor, TensorData};

/// The operations whose backward is ours. Implemented for flex (forward only: burn's own kernels)
/// and for autodiff over flex (the same forward, recorded as one node with our backward).
#[backend_extension(Autodiff, Flex)]
pub trait TrainOps: Backend {
    /// A convolution with `groups = 1`, no dilation and `padding` on every side.
    fn conv2d_own(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>, stride: usize, padding: usize) -> FloatTensor<Self>;
    /// An affine group norm of `[n, c, h, w]`.
    fn group_norm_own(x: FloatTensor<Self>, gamma: FloatTensor<Self>, beta: FloatTensor<Self>, groups: usize, epsilon: f64) -> FloatTensor<Self>;
}

fn options(stride: usize, padding: usize) -> ConvOptions<2> {
    ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1)
}

/// A tensor whose values can be borrowed row-major ([`f32s`]): the same buffer when it already
/// is laid out so (no copy), a contiguous copy otherwise.
fn contiguous(t: &FlexTensor) -> FlexTensor {
    t.to_contiguous()
}

/// The values of a tensor made by [`contiguous`]. [`crate::conv2d`] and [`crate::group_norm`]
/// send only `f32` tensors here.
fn f32s(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("a contiguous f32 tensor (checked before the extension is called)")
}

fn tensor(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

fn dims4(t: &FlexTensor) -> [usize; 4] {
    let s = t.shape();
    [s[0], s[1], s[2], s[3]]
}

/// A group norm's forward as burn computes it (`burn::nn::GroupNorm`): the group means and the
/// variances through flex's own reduction (`mean_dim`, the same summation order), then one pass
/// for centring, dividing, scaling and shifting in burn's order. Returns the output and, for the
/// backward, the (contiguous) input, the means and the standard deviations `sqrt(var + ε)`.
fn group_norm_forward(x: FlexTensor, gamma: &FlexTensor, beta: &FlexTensor, groups: usize, epsilon: f64) -> (FlexTensor, FlexTensor, Vec<f32>, Vec<f32>) {
    let x = contiguous(&x);
    let [n, c, h, w] = dims4(&x);
    let s = NormShape { batch: n, channels: c, groups, positions: h * w };
    let grouped = Shape::new([n, groups, c / groups * h * w]);
    let mean = contiguous(&Flex::float_mean_dim(Flex::float_reshape(x.clone(), grouped.clone()), 2));
    let mean = f32s(&mean).to_vec();
    let squares = tensor(kernels::centred_squares(&s, f32s(&x), &mean), grouped);
    let var = contiguous(&Flex::float_mean_dim(squares, 2));
    let std: Vec<f32> = f32s(&var).iter().map(|v| (v + epsilon as f32).sqrt()).collect();
    let (gamma, beta) = (contiguous(gamma), contiguous(beta));
    let out = kernels::normalise(&s, f32s(&x), &mean, &std, f32s(&gamma), f32s(&beta));
    (tensor(out, [n, c, h, w]), x, mean, std)
}

impl TrainOps for Flex {
    fn conv2d_own(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, stride: usize, padding: usize) -> FlexTensor {
        Flex::conv2d(x, weight, Some(bias), options(stride, padding))
    }

    fn group_norm_own(x: FlexTensor, gamma: FlexTensor, beta: FlexTensor, groups: usize, epsilon: f64) -> FlexTensor {
        group_norm_forward(x, &gamma, &beta, groups, epsilon).0
    }
}

#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 3> for ConvBackward {
    /// Input, weight, and the geometry.
    type State = (FlexTensor, FlexTensor, ConvShape);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, w, s) = ops.state;
        let (want_x, want_w) = (node_x.is_some(), node_w.is_some() || node_b.is_some());
        let (dx, dwb) = timed(Work::ConvBackward, || {
            let dy = contiguous(&dy);
            let dx = want_x.then(|| kernels::conv_input_grad(&s, f32s(&contiguous(&w)), f32s(&dy)));
            (dx, want_w.then(|| kernels::conv_weight_bias_grad(&s, f32s(&contiguous(&x)), f32s(&dy))))
        });
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, tensor(dx, [s.batch, s.cin, s.height, s.width]));
        }
        if let Some((dw, db)) = dwb {
            if let Some(node) = node_w {
                grads.register::<Flex>(node.id, tensor(dw, [s.cout, s.cin, s.kernel, s.kernel]));
            }
            if let Some(node) = node_b {
                grads.register::<Flex>(node.id, tensor(db, [s.cout]));
            }
        }
    }
}

#[derive(Debug)]
struct NormBackward;

impl Backward<Flex, 3> for NormBackward {
    /// Input (contiguous), groups, group means and standard deviations, γ.
    type State = (FlexTensor, usize, Vec<f32>, Vec<f32>, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, groups, mean, std, gamma) = ops.state;
        let dims = dims4(&x);
        let s = NormShape { batch: dims[0], channels: dims[1], groups, positions: dims[2] * dims[3] };
        let (dx, dgamma, dbeta) =
            timed(Work::NormBackward, || kernels::group_norm_backward(&s, f32s(&x), &mean, &std, f32s(&contiguous(&gamma)), f32s(&contiguous(&dy))));
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, tensor(dx, dims));
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, tensor(dgamma, [s.channels]));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, tensor(dbeta, [s.channels]));
        }
    }
}

impl<C: CheckpointStrategy> TrainOps for Autodiff<Flex, C> {
    fn conv2d_own(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>, stride: usize, padding: usize) -> FloatTensor<Self> {
        let opts = options(stride, padding);
        match ConvBackward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (xp, wp) = (x.primitive().clone(), weight.primitive().clone());
                let [batch, cin, height, width] = dims4(&xp);
                let [cout, _, kernel, _] = dims4(&wp);
                let shape = ConvShape { batch, cin, cout, height, width, kernel, stride, padding };
                let out = timed(Work::ConvForward, || Flex::conv2d(xp.clone(), wp.clone(), Some(bias.into_primitive()), opts));
                prep.finish((xp, wp, shape), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::conv2d(x.into_primitive(), weight.into_primitive(), Some(bias.into_primitive()), opts)),
        }
    }

    fn group_norm_own(x: FloatTensor<Self>, gamma: FloatTensor<Self>, beta: FloatTensor<Self>, groups: usize, epsilon: f64) -> FloatTensor<Self> {
        match NormBackward.prepare::<C>([x.node(), gamma.node(), beta.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (g, b) = (gamma.primitive().clone(), beta.primitive().clone());
                let (out, x, mean, std) = timed(Work::NormForward, || group_norm_forward(x.into_primitive(), &g, &b, groups, epsilon));
                prep.finish((x, groups, mean, std, g), out)
            }
            OpsKind::UnTracked(prep) => {
                let (g, b) = (gamma.into_primitive(), beta.into_primitive());
                prep.finish(group_norm_forward(x.into_primitive(), &g, &b, groups, epsilon).0)
            }
        }
    }
}

/// [`TrainOps::conv2d_own`] on high-level tensors.
pub(crate) fn conv2d(x: Tensor<4>, weight: Tensor<4>, bias: Tensor<1>, stride: usize, padding: usize) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as TrainOps>::conv2d_own(x.into_dispatch(), weight.into_dispatch(), bias.into_dispatch(), stride, padding))
}

/// [`TrainOps::group_norm_own`] on high-level tensors.
pub(crate) fn group_norm(x: Tensor<4>, gamma: Tensor<1>, beta: Tensor<1>, groups: usize, epsilon: f64) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as TrainOps>::group_norm_own(x.into_dispatch(), gamma.into_dispatch(), beta.into_dispatch(), groups, epsilon))
}
