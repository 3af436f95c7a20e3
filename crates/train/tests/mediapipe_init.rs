//! The MediaPipe encoder: built from `hand_landmark_full.tflite`, its layers compute what the
//! original network computes (run by crates/landmarks' TFLite interpreter), and a wrong file is refused.
use burn::tensor::{Device, Tensor, TensorData};
use jointscope_landmarks::graph::Graph;
use jointscope_landmarks::tflite::{OpKind, TfliteModel};
use jointscope_model::{Arch, EncoderKind, ModelConfig, mediapipe_depth};
use jointscope_train::init::{MEDIAPIPE_FILE, fold_input_normalisation, mediapipe_layers};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use jointscope_test_support::models_dir;

fn file(name: &str) -> Vec<u8> {
    let path = models_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-models.sh)", path.display()))
}

/// The original network cut after its `convs`-th convolution and the residual ADD that closes it.
fn original_cut(model: &TfliteModel, convs: usize) -> TfliteModel {
    let mut seen = 0;
    let mut end = None;
    for (k, op) in model.ops.iter().enumerate() {
        match op.kind {
            OpKind::Conv2d { .. } | OpKind::Depthwise { .. } => seen += 1,
            OpKind::Add { .. } if seen == convs => {
                end = Some(k);
                break;
            }
            _ => {}
        }
    }
    let end = end.expect("a residual ADD after the cut");
    let mut cut = model.clone();
    cut.ops.truncate(end + 1);
    cut.outputs = vec![cut.ops[end].outputs[0]];
    cut
}

/// A smooth random photo in 0..1, `[1, 3, side, side]` values.
fn photo(side: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (a, b, c): (f32, f32, f32) = (rng.random_range(0.02..0.1), rng.random_range(0.02..0.1), rng.random_range(0.0..6.0));
    (0..3 * side * side)
        .map(|i| {
            let (ch, y, x) = (i / (side * side), (i / side) % side, i % side);
            0.5 + 0.3 * ((a * x as f32 + c * ch as f32).sin() * (b * y as f32).cos()) + rng.random_range(-0.1..0.1)
        })
        .collect()
}

fn max_abs(a: Tensor<4>, b: Tensor<4>) -> f32 {
    (a - b).abs().max().into_scalar()
}

fn encoder_with(layers: &[jointscope_model::LayerWeights], local_size: usize, device: &Device) -> jointscope_model::Encoder {
    let config = ModelConfig { arch: Arch::Local, encoder: EncoderKind::Mediapipe, local_size, global_size: 64, width: 8, ..ModelConfig::default() };
    let net = config.init(device).unwrap().with_mediapipe_weights(layers).unwrap();
    net.local.unwrap()
}

#[test]
fn the_encoder_computes_what_mediapipes_network_computes_up_to_its_cut() {
    let device = Device::flex();
    let bytes = file(MEDIAPIPE_FILE);
    let model = TfliteModel::parse(&bytes).unwrap();
    let layers = mediapipe_layers(&bytes).unwrap();
    let x = Tensor::<4>::from_data(TensorData::new(photo(224, 3), [1, 3, 224, 224]), &device);
    // Both cuts: 15 layers (the 64-pixel crop's encoder) and 24 (the 128-pixel view's).
    for side in [64, 128] {
        let depth = mediapipe_depth(side).unwrap();
        let theirs = Graph::new(&original_cut(&model, depth), &device).unwrap().forward(x.clone()).unwrap().remove(0).into_d4().unwrap();
        let ours = encoder_with(&layers, side, &device).mediapipe_trunk(x.clone()).unwrap();
        assert_eq!(ours.dims(), theirs.dims());
        let scale: f32 = theirs.clone().abs().max().into_scalar();
        let err = max_abs(ours, theirs);
        // Measured 0 (the same burn operations in the same order); 1e-6 of the largest
        // activation (11–17) allows float32 sums in another order, nothing more.
        assert!(err <= 1e-6 * scale, "{depth} layers: max difference {err} (largest activation {scale})");
    }
}

#[test]
fn folding_the_input_normalisation_changes_nothing_away_from_the_photo_edge() {
    let device = Device::flex();
    let raw = mediapipe_layers(&file(MEDIAPIPE_FILE)).unwrap();
    let mut folded = raw.clone();
    fold_input_normalisation(&mut folded);
    let unit = photo(64, 5);
    let normalised: Vec<f32> = unit.iter().map(|v| (v - 0.5) / 0.25).collect();
    let at = |v: Vec<f32>| Tensor::<4>::from_data(TensorData::new(v, [1, 3, 64, 64]), &device);
    let a = encoder_with(&raw, 64, &device).mediapipe_trunk(at(unit)).unwrap();
    let b = encoder_with(&folded, 64, &device).mediapipe_trunk(at(normalised)).unwrap();
    // Only the first layer's padding (after the last row and column: grey instead of black)
    // differs; the depthwise layers spread it to rows and columns 3..8 of the 8×8 map, so the
    // top-left 3×3 must agree.
    let (a, b) = (a.slice([0..1, 0..40, 0..3, 0..3]), b.slice([0..1, 0..40, 0..3, 0..3]));
    let err = max_abs(a, b);
    // Measured 6.3e-6 (rounding of the rescaled weights): 10× margin.
    assert!(err <= 6e-5, "max difference {err}");
}

#[test]
fn a_file_that_is_not_the_full_hand_landmark_model_is_refused() {
    let err = mediapipe_layers(&file("palm_detection_full.tflite")).unwrap_err();
    assert!(format!("{err:#}").contains("not MediaPipe's full hand-landmark model"), "{err:#}");
    let err = mediapipe_layers(b"not a model at all").unwrap_err();
    assert!(!format!("{err:#}").is_empty());
}
