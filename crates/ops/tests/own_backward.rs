//! Our convolution and group norm against burn's own modules on flex with autodiff: the forward
//! bit for bit, the gradients within tolerances measured on these shapes (the measured worst case
//! is written beside each bound), and the gradients independent of the thread count.
use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData};

fn device() -> Device {
    Device::flex().autodiff()
}

fn random<const D: usize>(shape: [usize; D], seed: u64, device: &Device) -> Tensor<D> {
    burn::tensor::Tensor::<1>::from_data(TensorData::new(values(shape.iter().product(), seed), [shape.iter().product::<usize>()]), device).reshape(shape)
}

/// Seeded values in [−2, 2) (burn's own random is seeded per process, not per call).
fn values(n: usize, seed: u64) -> Vec<f32> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-2.0f32..2.0)).collect()
}

fn conv(cin: usize, cout: usize, kernel: usize, stride: usize, padding: usize, device: &Device) -> Conv2d {
    let mut c = Conv2dConfig::new([cin, cout], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(if padding == 0 { PaddingConfig2d::Valid } else { PaddingConfig2d::Explicit(padding, padding, padding, padding) })
        .init(device);
    c.bias = Some(Param::from_tensor(random([cout], 5, device)));
    c
}

fn norm(groups: usize, channels: usize, device: &Device) -> GroupNorm {
    let mut n = GroupNormConfig::new(groups, channels).init(device);
    n.gamma = Some(Param::from_tensor(random([channels], 6, device).mul_scalar(0.5).add_scalar(1.0)));
    n.beta = Some(Param::from_tensor(random([channels], 7, device).mul_scalar(0.5)));
    n
}

fn vec_of<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 values")
}

/// The largest difference between two gradients relative to the largest magnitude of the first.
fn relative(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-30);
    a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// A loss that weighs every output element differently, so no gradient is uniform.
fn weights(shape: [usize; 4], device: &Device) -> Tensor<4> {
    random(shape, 11, device)
}

/// (output, dx, dW, db) of a convolution, through `f`.
fn conv_run(c: &Conv2d, input: [usize; 4], f: impl Fn(&Conv2d, Tensor<4>) -> Tensor<4>) -> [Vec<f32>; 4] {
    let d = device();
    let x = random(input, 3, &d).require_grad();
    let y = f(c, x.clone());
    let loss = (y.clone() * weights(y.dims(), &d)).sum();
    let grads = loss.backward();
    [
        vec_of(y),
        vec_of(x.grad(&grads).expect("dx")),
        vec_of(c.weight.val().grad(&grads).expect("dW")),
        vec_of(c.bias.as_ref().expect("bias").val().grad(&grads).expect("db")),
    ]
}

/// The convolutions of the plain encoder, a 1×1 projection and the evidence head.
const CONVS: [(usize, usize, usize, usize, usize, usize); 5] =
    [(3, 16, 3, 2, 1, 32), (16, 16, 3, 1, 1, 16), (16, 32, 3, 2, 1, 16), (40, 64, 1, 1, 0, 8), (64, 1, 1, 1, 0, 8)];

#[test]
fn convolution_forward_is_burns_bit_for_bit() {
    let d = device();
    for (cin, cout, k, s, p, side) in CONVS {
        let c = conv(cin, cout, k, s, p, &d);
        let x = random([6, cin, side, side], 3, &d).require_grad();
        assert_eq!(vec_of(jointscope_ops::conv2d(&c, x.clone())), vec_of(c.forward(x)), "conv {cin}→{cout} {k}×{k} /{s}");
    }
}

#[test]
fn convolution_gradients_match_burns() {
    let d = device();
    // Measured worst relative difference over these shapes (2026-12-06): dx 0 (the same products as
    // burn's transposed convolution), dW 7.6e-7, db 2.4e-7; bound 5e-6.
    for (cin, cout, k, s, p, side) in CONVS {
        let c = conv(cin, cout, k, s, p, &d);
        let ours = conv_run(&c, [6, cin, side, side], jointscope_ops::conv2d);
        let burns = conv_run(&c, [6, cin, side, side], |c, x| c.forward(x));
        for (name, i) in [("dx", 1), ("dW", 2), ("db", 3)] {
            let r = relative(&burns[i], &ours[i]);
            eprintln!("conv {cin}→{cout} {k}×{k} /{s}: {name} {r:e}");
            assert!(r < 5e-6, "conv {cin}→{cout} {k}×{k} /{s}: {name} differs by {r:e} of its largest value");
        }
    }
}

/// (output, dx, dγ, dβ) of a group norm, through `f`.
fn norm_run(n: &GroupNorm, input: [usize; 4], f: impl Fn(&GroupNorm, Tensor<4>) -> Tensor<4>) -> [Vec<f32>; 4] {
    let d = device();
    let x = random(input, 4, &d).mul_scalar(3.0).add_scalar(0.5).require_grad();
    let y = f(n, x.clone());
    let loss = (y.clone() * weights(y.dims(), &d)).sum();
    let grads = loss.backward();
    [
        vec_of(y),
        vec_of(x.grad(&grads).expect("dx")),
        vec_of(n.gamma.as_ref().expect("gamma").val().grad(&grads).expect("dgamma")),
        vec_of(n.beta.as_ref().expect("beta").val().grad(&grads).expect("dbeta")),
    ]
}

const NORMS: [(usize, [usize; 4]); 3] = [(4, [6, 16, 32, 32]), (8, [6, 32, 16, 16]), (8, [9, 64, 8, 8])];

#[test]
fn group_norm_forward_is_burns_bit_for_bit() {
    let d = device();
    for (groups, input) in NORMS {
        let n = norm(groups, input[1], &d);
        let x = random(input, 4, &d).mul_scalar(3.0).add_scalar(0.5).require_grad();
        assert_eq!(vec_of(jointscope_ops::group_norm(&n, x.clone())), vec_of(n.forward(x)), "group norm {groups} groups on {input:?}");
    }
}

#[test]
fn group_norm_gradients_match_burns() {
    let d = device();
    // Measured worst relative difference over these shapes (2026-12-06): dx 2.0e-7, dγ 4.1e-7,
    // dβ 6.7e-7; bound 5e-6.
    for (groups, input) in NORMS {
        let n = norm(groups, input[1], &d);
        let ours = norm_run(&n, input, jointscope_ops::group_norm);
        let burns = norm_run(&n, input, |n, x| n.forward(x));
        for (name, i) in [("dx", 1), ("dgamma", 2), ("dbeta", 3)] {
            let r = relative(&burns[i], &ours[i]);
            eprintln!("group norm {groups} groups on {input:?}: {name} {r:e}");
            assert!(r < 5e-6, "group norm {groups} groups on {input:?}: {name} differs by {r:e} of its largest value");
        }
    }
}

#[test]
fn gradients_do_not_depend_on_the_thread_count() {
    let d = device();
    let c = conv(16, 16, 3, 1, 1, &d);
    let n = norm(4, 16, &d);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
        pool.install(|| {
            let mut a = conv_run(&c, [10, 16, 16, 16], jointscope_ops::conv2d).to_vec();
            a.extend(norm_run(&n, [10, 16, 16, 16], jointscope_ops::group_norm));
            a
        })
    };
    assert_eq!(run(1), run(3));
}

/// A grouped convolution (which our backward does not handle) is burn's: its gradients are
/// burn's to the bit.
#[test]
fn a_grouped_convolution_keeps_burns_backward() {
    let d = device();
    let mut grouped = Conv2dConfig::new([8, 8], [3, 3]).with_groups(8).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&d);
    grouped.bias = Some(Param::from_tensor(random([8], 5, &d)));
    let ours = conv_run(&grouped, [2, 8, 8, 8], jointscope_ops::conv2d);
    let burns = conv_run(&grouped, [2, 8, 8, 8], |c, x| c.forward(x));
    assert_eq!(ours, burns);
}

/// On flex with autodiff a plain convolution takes our backward: its weight gradient differs from
/// burn's in the last bits (by the amounts measured above), which it could not if burn's ran.
#[test]
fn a_plain_convolution_takes_our_backward() {
    let d = device();
    let c = conv(16, 16, 3, 1, 1, &d);
    let (ours, burns) = (conv_run(&c, [6, 16, 16, 16], jointscope_ops::conv2d), conv_run(&c, [6, 16, 16, 16], |c, x| c.forward(x)));
    assert_ne!(ours[2], burns[2], "the weight gradient is burn's to the bit");
}

/// The same for a group norm: its input gradient is ours, not burn's.
#[test]
fn a_group_norm_takes_our_backward() {
    let d = device();
    let n = norm(4, 16, &d);
    let (ours, burns) = (norm_run(&n, [6, 16, 16, 16], jointscope_ops::group_norm), norm_run(&n, [6, 16, 16, 16], |n, x| n.forward(x)));
    assert_ne!(ours[1], burns[1], "the group norm's input gradient is burn's to the bit");
}
