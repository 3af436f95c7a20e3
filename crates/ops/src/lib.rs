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
//! the module's own `forward`. [`with_own_backward`] switches the fast path off (for benchmarks
//! that time burn's backward in the same run).
use burn::nn::GroupNorm;
use burn::nn::conv::Conv2d;
#[cfg(not(target_family = "wasm"))]
use burn::tensor::DType;
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
#[cfg(not(target_family = "wasm"))]
pub(crate) enum Work {
    ConvForward = 0,
    ConvBackward = 1,
    NormForward = 2,
    NormBackward = 3,
}

/// `f()`, its wall time added to `work`'s counter.
#[cfg(not(target_family = "wasm"))]
pub(crate) fn timed<T>(work: Work, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = f();
    SPENT[work as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    out
}

/// `f()` with our backward on (the default) or burn's, then the setting as it was: how a
/// benchmark times both in one process.
pub fn with_own_backward<T>(on: bool, f: impl FnOnce() -> T) -> T {
    let before = OWN_BACKWARD.swap(on, Ordering::Relaxed);
    let out = f();
    OWN_BACKWARD.store(before, Ordering::Relaxed);
    out
}

/// Whether [`conv2d`] and [`group_norm`] take our backward where they can.
pub fn own_backward() -> bool {
    OWN_BACKWARD.load(Ordering::Relaxed)
}

/// Whether `x` holds `f32` values on flex with autodiff (the only place our backward is
/// implemented).
#[cfg(not(target_family = "wasm"))]
fn on_flex_autodiff<const D: usize>(x: &Tensor<D>) -> bool {
    use burn::backend::DispatchDevice;
    if x.dtype() != DType::F32 {
        return false;
    }
    match x.device().as_dispatch() {
        DispatchDevice::Autodiff(inner) => matches!(inner.clone().inner(), DispatchDevice::Flex(_)),
        _ => false,
    }
}

/// The symmetric padding of a convolution our backward handles (`f32`, with a bias, square,
/// `groups = 1`, no dilation), `None` for any other.
#[cfg(not(target_family = "wasm"))]
fn symmetric_padding(conv: &Conv2d) -> Option<usize> {
    use burn::nn::PaddingConfig2d;
    let [_, _, k0, k1] = conv.weight.dims();
    let padding = match conv.padding {
        PaddingConfig2d::Valid => 0,
        PaddingConfig2d::Explicit(t, l, b, r) if t == l && t == b && t == r => t,
        _ => return None,
    };
    let f32s = conv.weight.val().dtype() == DType::F32 && conv.bias.as_ref().is_some_and(|b| b.val().dtype() == DType::F32);
    let plain = conv.groups == 1 && conv.dilation == [1, 1] && conv.stride[0] == conv.stride[1] && k0 == k1 && f32s;
    plain.then_some(padding)
}

/// Whether our group norm handles `norm` on `x`: affine with `f32` parameters, and `x`'s channels
/// what the module expects (anything else goes to the module, which explains the mismatch).
#[cfg(not(target_family = "wasm"))]
fn norm_fits(norm: &GroupNorm, x: &Tensor<4>) -> bool {
    let f32s = |p: Option<&burn::module::Param<Tensor<1>>>| p.is_some_and(|p| p.val().dtype() == DType::F32);
    let groups_fit = norm.num_groups > 0 && norm.num_channels.is_multiple_of(norm.num_groups);
    x.dims()[1] == norm.num_channels && groups_fit && f32s(norm.gamma.as_ref()) && f32s(norm.beta.as_ref())
}

/// `conv.forward(x)`, with our backward where it applies.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    #[cfg(not(target_family = "wasm"))]
    if own_backward()
        && on_flex_autodiff(&x)
        && let (Some(padding), Some(bias)) = (symmetric_padding(conv), conv.bias.as_ref())
    {
        return extension::conv2d(x, conv.weight.val(), bias.val(), conv.stride[0], padding);
    }
    conv.forward(x)
}

/// `norm.forward(x)`, with our backward where it applies.
pub fn group_norm(norm: &GroupNorm, x: Tensor<4>) -> Tensor<4> {
    #[cfg(not(target_family = "wasm"))]
    if own_backward()
        && on_flex_autodiff(&x)
        && norm_fits(norm, &x)
        && let (Some(gamma), Some(beta)) = (norm.gamma.as_ref(), norm.beta.as_ref())
    {
        return extension::group_norm(x, gamma.val(), beta.val(), norm.num_groups, norm.epsilon);
    }
    norm.forward(x)
}

#[cfg(not(target_family = "wasm"))]
pub use extension::TrainOps;
