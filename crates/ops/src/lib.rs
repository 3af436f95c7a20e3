//! The training step's convolutions and group norms, with a backward of our own where burn's is
//! slow (CPU training on flex with autodiff); everywhere else, burn's own modules.
//!
//! burn 0.22 computes a convolution's weight gradient as a swapped convolution and its input
//! gradient through a transposed one, and builds a group norm from a dozen primitive operations,
//! each a node of the autodiff graph with its own buffers. [`conv2d`] and [`group_norm`] are one
//! node each (a burn backend extension, [`TrainOps`]): their forward is burn's own computation —
//! the same kernels, the same order of rounding, so outputs are bit-identical — and their
//! backward is one im2col matrix product per image for a convolution and one pass per group for
//! a group norm ([`kernels`]). Gradients reduced over the batch are summed in fixed chunks, so
//! they do not depend on the number of threads.
//!
//! The fast path is taken only for a tensor on flex with autodiff, a convolution with `groups = 1`,
//! no dilation and symmetric padding, and an affine group norm on `[n, c, h, w]`; anything else is
//! the module's own `forward`. [`set_own_backward`] switches the fast path off (for benchmarks
//! that time burn's backward in the same run).
use burn::nn::conv::Conv2d;
use burn::nn::{GroupNorm, PaddingConfig2d};
use burn::tensor::Tensor;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[cfg(not(target_family = "wasm"))]
mod extension;
#[cfg(not(target_family = "wasm"))]
pub mod kernels;

static OWN_BACKWARD: AtomicBool = AtomicBool::new(true);

/// Nanoseconds spent in our operations since the last [`take_spent`]: convolution forward and
/// backward, group norm forward and backward.
static SPENT: [AtomicU64; 4] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Where our operations' time went (milliseconds, all threads' work counted once, by wall clock
/// of the calling thread).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spent {
    pub conv_forward_ms: f64,
    pub conv_backward_ms: f64,
    pub norm_forward_ms: f64,
    pub norm_backward_ms: f64,
}

/// The time spent in our operations since the last call, and reset.
pub fn take_spent() -> Spent {
    let ms = |i: usize| SPENT[i].swap(0, Ordering::Relaxed) as f64 / 1e6;
    Spent { conv_forward_ms: ms(0), conv_backward_ms: ms(1), norm_forward_ms: ms(2), norm_backward_ms: ms(3) }
}

/// Which of [`SPENT`]'s counters a piece of work adds to.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(target_family = "wasm", allow(dead_code))]
pub(crate) enum Work {
    ConvForward = 0,
    ConvBackward = 1,
    NormForward = 2,
    NormBackward = 3,
}

/// `f()`, its wall time added to `work`'s counter.
#[cfg_attr(target_family = "wasm", allow(dead_code))]
pub(crate) fn timed<T>(work: Work, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = f();
    SPENT[work as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    out
}

/// Use our backward (the default) or burn's for every later call in this process.
pub fn set_own_backward(on: bool) {
    OWN_BACKWARD.store(on, Ordering::Relaxed);
}

/// Whether [`conv2d`] and [`group_norm`] take our backward where they can.
pub fn own_backward() -> bool {
    OWN_BACKWARD.load(Ordering::Relaxed)
}

/// Whether `x` holds `f32` values on flex with autodiff (the only place our backward is
/// implemented).
fn on_flex_autodiff<const D: usize>(x: &Tensor<D>) -> bool {
    #[cfg(not(target_family = "wasm"))]
    {
        use burn::backend::DispatchDevice;
        if x.dtype() != burn::tensor::DType::F32 {
            return false;
        }
        let device = x.device();
        match device.as_dispatch() {
            DispatchDevice::Autodiff(inner) => matches!(inner.clone().inner(), DispatchDevice::Flex(_)),
            _ => false,
        }
    }
    #[cfg(target_family = "wasm")]
    {
        let _ = x;
        false
    }
}

/// The symmetric padding of a convolution our backward handles, `None` for any other.
fn symmetric_padding(conv: &Conv2d) -> Option<usize> {
    let [k0, k1] = [conv.weight.dims()[2], conv.weight.dims()[3]];
    let padding = match conv.padding {
        PaddingConfig2d::Valid => 0,
        PaddingConfig2d::Explicit(t, l, b, r) if t == l && t == b && t == r => t,
        _ => return None,
    };
    let f32s = conv.weight.val().dtype() == burn::tensor::DType::F32 && conv.bias.as_ref().is_some_and(|b| b.val().dtype() == burn::tensor::DType::F32);
    let plain = conv.groups == 1 && conv.dilation == [1, 1] && conv.stride[0] == conv.stride[1] && k0 == k1 && f32s;
    plain.then_some(padding)
}

/// `conv.forward(x)`, with our backward where it applies.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    #[cfg(not(target_family = "wasm"))]
    if own_backward() && on_flex_autodiff(&x) {
        if let (Some(padding), Some(bias)) = (symmetric_padding(conv), conv.bias.as_ref()) {
            return extension::conv2d(x, conv.weight.val(), bias.val(), conv.stride[0], padding);
        }
    }
    conv.forward(x)
}

/// `norm.forward(x)`, with our backward where it applies.
pub fn group_norm(norm: &GroupNorm, x: Tensor<4>) -> Tensor<4> {
    #[cfg(not(target_family = "wasm"))]
    if own_backward() && on_flex_autodiff(&x) {
        let fits = x.dims()[1] == norm.num_channels && norm.num_groups > 0 && norm.num_channels % norm.num_groups == 0;
        let f32s = |p: Option<&burn::module::Param<Tensor<1>>>| p.is_some_and(|p| p.val().dtype() == burn::tensor::DType::F32);
        if let (Some(gamma), Some(beta), true) = (norm.gamma.as_ref(), norm.beta.as_ref(), fits && f32s(norm.gamma.as_ref()) && f32s(norm.beta.as_ref())) {
            return extension::group_norm(x, gamma.val(), beta.val(), norm.num_groups, norm.epsilon);
        }
    }
    norm.forward(x)
}

#[cfg(not(target_family = "wasm"))]
pub use extension::TrainOps;
