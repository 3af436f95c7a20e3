//! Training mechanics: the loss, and that a step of the optimiser lowers it.
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use jointscope_model::{Arch, BatchData, ModelConfig};
use jointscope_train::losses::weighted_bce;

fn bce_with_logits(l: Tensor<1>, t: Tensor<1>, pos_weight: f32) -> Tensor<1> {
    weighted_bce(l, t, 1.0, pos_weight)
}
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
    for (arch, seed) in [Arch::Local, Arch::GlobalLocal, Arch::Global].into_iter().flat_map(|a| (0..3).map(move |s| (a, s))) {
        let config = ModelConfig { arch, global_size: 32, local_size: 16, width: 8, context_dim: 8, joints: 11, ..ModelConfig::default() };
        device.seed(seed);
        let mut model = config.init(&device).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
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
        // Adam's first step is lr·sign(gradient): a descent direction, so a small step must lower the loss.
        model = optim.step(2e-4, model, grads);
        let a: f32 = loss_of(&model).into_scalar();
        assert!(a < b, "{arch}, seed {seed}: loss went from {b} to {a}");
    }
}

#[test]
fn class_balanced_sampling_draws_half_its_photos_from_positive_ones() {
    use jointscope_data::{Hand, View};
    use jointscope_data::{Joint, Point};
    use jointscope_dataset::manifest::ImageEntry;
    use jointscope_train::dataset::{Dataset, Photo};
    use jointscope_train::train::Sampler;
    let photo = |i: usize, positive: bool| Photo {
        entry: ImageEntry {
            image: format!("{i}.png"),
            path: format!("{i}.png").into(),
            patient_id: format!("p{i}"),
            hand: Hand::Left,
            view: View::Dorsal,
            joints: vec![],
        },
        image: image::RgbImage::new(32, 32),
        located: vec![],
        scale: 10.0,
        labelled: vec![(Joint::Mcp2, Point::new(5.0, 5.0), if positive { 1.0 } else { 0.0 })],
        unlabelled: vec![],
    };
    // 5 of 100 photos have an inflamed joint.
    let ds = Dataset { photos: (0..100).map(|i| photo(i, i % 20 == 0)).collect(), unlocated: 0 };
    let train: Vec<usize> = (0..100).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut positive = 0;
    for _ in 0..20 {
        let epoch = Sampler::ClassBalanced.epoch(&ds, &train, &mut rng);
        assert_eq!(epoch.len(), 100);
        positive += epoch.iter().filter(|&&i| i % 20 == 0).count();
    }
    let share = positive as f64 / 2000.0;
    assert!((share - 0.5).abs() < 0.05, "positive share {share}");
    let mut shuffled = Sampler::Shuffle.epoch(&ds, &train, &mut rng);
    shuffled.sort();
    assert_eq!(shuffled, train);
}

/// Every name parses back to its value and is what serde writes into run files.
fn names_round_trip<T: jointscope_train::Choice + serde::Serialize + PartialEq + std::fmt::Debug>() {
    for &c in T::ALL {
        assert_eq!(T::parse(c.name()), Some(c));
        assert_eq!(serde_json::to_value(c).unwrap(), serde_json::Value::String(c.name().into()), "{c:?}");
    }
}

#[test]
fn option_names_are_the_names_in_run_files() {
    names_round_trip::<jointscope_model::Arch>();
    names_round_trip::<jointscope_model::EncoderKind>();
    names_round_trip::<jointscope_data::Objective>();
    names_round_trip::<jointscope_train::losses::LossKind>();
    names_round_trip::<jointscope_train::augment::Mix>();
    names_round_trip::<jointscope_train::train::Sampler>();
    names_round_trip::<jointscope_train::train::Select>();
    names_round_trip::<jointscope_train::backend::BackendChoice>();
    names_round_trip::<jointscope_train::pretrain::Objective>();
    names_round_trip::<jointscope_dataset::synth::Preset>();
}

fn names<T: jointscope_train::Choice>() -> Vec<&'static str> {
    T::ALL.iter().map(|c| c.name()).collect()
}

/// Run files, ablation caches and scripts hold these names: a renamed variant would orphan them.
#[test]
fn option_names_are_those_old_run_files_hold() {
    assert_eq!(names::<jointscope_model::Arch>(), ["global-local", "local", "global"]);
    assert_eq!(names::<jointscope_model::EncoderKind>(), ["plain", "mediapipe"]);
    assert_eq!(names::<jointscope_data::Objective>(), ["g-mean", "f1"]);
    assert_eq!(names::<jointscope_train::losses::LossKind>(), ["bce", "focal", "class-balanced", "logit-adjusted"]);
    assert_eq!(names::<jointscope_train::augment::Mix>(), ["none", "cutmix", "cut-keep"]);
    assert_eq!(names::<jointscope_train::train::Sampler>(), ["shuffle", "class-balanced"]);
    assert_eq!(names::<jointscope_train::train::Select>(), ["roc-auc", "pr-auc"]);
    assert_eq!(names::<jointscope_train::backend::BackendChoice>(), ["auto", "flex", "wgpu", "ndarray", "libtorch"]);
    assert_eq!(names::<jointscope_train::pretrain::Objective>(), ["contrastive", "masked"]);
    assert_eq!(names::<jointscope_dataset::synth::Preset>(), ["control", "default", "ra-like", "null"]);
}
