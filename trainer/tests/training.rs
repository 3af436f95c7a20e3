//! Training mechanics: the loss, and that a step of the optimiser lowers it.
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use jointscope_model::{Arch, BatchData, ModelConfig};
use jointscope_trainer::train::bce_with_logits;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn bce_matches_hand_computed_values() {
    let device = Device::flex();
    let logits = Tensor::<1>::from_floats([0.0, 2.0, -1.0], &device);
    let targets = Tensor::<1>::from_floats([1.0, 0.0, 1.0], &device);
    let sp = |x: f64| (1.0 + x.exp()).ln();
    // Positives weighted 3: (3·sp(-0) + sp(2) + 3·sp(1)) / 3.
    let expected = (3.0 * sp(0.0) + sp(2.0) + 3.0 * sp(1.0)) / 3.0;
    let got: f32 = bce_with_logits(logits, targets, 3.0).into_scalar();
    assert!((got as f64 - expected).abs() < 1e-5, "{got} vs {expected}");
    // Stable for large logits.
    let big: f32 = bce_with_logits(Tensor::from_floats([80.0], &device), Tensor::from_floats([0.0], &device), 1.0).into_scalar();
    assert!((big - 80.0).abs() < 1e-3);
}

#[test]
fn one_training_step_lowers_the_loss() {
    let device = Device::flex().autodiff();
    for arch in [Arch::Local, Arch::GlobalLocal] {
        let config = ModelConfig { arch, global_size: 32, local_size: 16, width: 8, context_dim: 8, joints: 11 };
        let mut model = config.init(&device).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 12;
        let data = BatchData {
            global: (0..2 * 3 * 32 * 32).map(|_| rng.random_range(-1.0f32..1.0)).collect(),
            local: (0..n * 3 * 16 * 16).map(|_| rng.random_range(-1.0f32..1.0)).collect(),
            joint: (0..n as i64).map(|j| j % 11).collect(),
            image: (0..n as i64).map(|j| j % 2).collect(),
        };
        let targets: Vec<f32> = (0..n).map(|i| (i % 3 == 0) as u8 as f32).collect();
        let loss_of = |m: &jointscope_model::JointNet| {
            let out = m.forward(data.to_batch(&config, &device).unwrap());
            bce_with_logits(out.logits, Tensor::from_data(TensorData::new(targets.clone(), [n]), &device), 1.0)
        };
        let mut optim = AdamWConfig::new().init();
        let before = loss_of(&model);
        let b: f32 = before.clone().into_scalar();
        let grads = GradientsParams::from_grads(before.backward(), &model);
        model = optim.step(1e-2, model, grads);
        let a: f32 = loss_of(&model).into_scalar();
        assert!(a < b, "{arch}: loss went from {b} to {a}");
    }
}
