//! Tests on the real MediaPipe model files (fetched by scripts/fetch-models.sh, which scripts/test.sh runs).

use burn::tensor::{Device, Tensor, TensorData};
use jointscope_data::{Hand, Joint};
use jointscope_landmarks::tflite::TfliteModel;
use jointscope_landmarks::{Complexity, HandLandmarker, LANDMARK_INPUT, LandmarkError, Options, Roi};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::{landmark_error, models_dir, synthetic_hand};

fn model_bytes(name: &str) -> Vec<u8> {
    let path = models_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; run scripts/fetch-models.sh first", path.display()))
}

fn marker(device: &Device) -> HandLandmarker {
    HandLandmarker::from_dir(&models_dir(), Complexity::Full, device, Options::default()).expect("models load")
}

#[test]
fn truncated_or_altered_model_files_are_refused_without_panicking() {
    let bytes = model_bytes("hand_landmark_lite.tflite");
    let device = Device::flex();
    // (The last few bytes of a .tflite file can be padding, so cuts stop short of the tail.)
    for cut in [0, 7, 100, 5_000, bytes.len() / 2, bytes.len() * 9 / 10] {
        let r = TfliteModel::parse(&bytes[..cut]).and_then(|m| jointscope_landmarks::graph::Graph::new(&m, &device).map(|_| ()));
        assert!(matches!(r, Err(LandmarkError::Model(_))), "cut at {cut}: {r:?}");
    }
    // A PNG is not a model.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend([0u8; 64]);
    assert!(TfliteModel::parse(&png).is_err());
    // Flipped bytes across the header and tables: a model error or a model, never a panic or another
    // kind of error; a flip in the file identifier ("TFL3", bytes 4..8) is always refused.
    for pos in [0usize, 4, 8, 16, 32, 64, 200, 1000] {
        let mut b = bytes.clone();
        b[pos] ^= 0xff;
        let r = TfliteModel::parse(&b).and_then(|m| jointscope_landmarks::graph::Graph::new(&m, &device).map(|_| ()));
        assert!(matches!(r, Ok(()) | Err(LandmarkError::Model(_))), "flip at {pos}: {r:?}");
        if (4..8).contains(&pos) {
            assert!(r.is_err(), "a flipped file identifier was accepted");
        }
    }
    // Swapped models are caught by their input sizes.
    let palm = model_bytes("palm_detection_lite.tflite");
    let err = HandLandmarker::new(&bytes, &palm, &device, Options::default()).unwrap_err();
    assert!(err.to_string().contains("expected"), "{err}");
}

#[test]
fn finds_a_synthetic_hand_and_its_joints() {
    let device = Device::flex();
    let m = marker(&device);
    let mut errors = Vec::new();
    for (seed, side) in [(1, Hand::Left), (2, Hand::Right), (3, Hand::Left), (4, Hand::Right)] {
        let r = synthetic_hand(seed, side, 320);
        let hands = m.detect_blocking(&r.image).unwrap();
        assert_eq!(hands.len(), 1, "seed {seed}: {} hands", hands.len());
        let h = &hands[0];
        assert_eq!(h.landmarks.len(), 21);
        let err = landmark_error(h, &r.landmarks);
        errors.push((seed, side, h.handedness, err, h.presence));
        assert_eq!(h.joints().len(), Joint::COUNT);
    }
    eprintln!("synthetic hands (seed, drawn, detected, mean error / hand scale, presence): {errors:?}");
    // Measured 0.041–0.050 hand scales: 0.075 allows 1.5× the worst.
    for (seed, _, _, err, _) in &errors {
        assert!(*err < 0.075, "seed {seed}: mean landmark error {err} hand scales");
    }
}

#[test]
fn an_image_without_a_hand_gives_no_hand() {
    let device = Device::flex();
    let m = marker(&device);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    use rand::Rng;
    // Flat grey, noise, and a smooth gradient.
    let grey = image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128]));
    let noise = image::RgbImage::from_fn(256, 256, |_, _| image::Rgb([rng.random(), rng.random(), rng.random()]));
    let grad = image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    for img in [grey, noise, grad] {
        assert!(m.detect_blocking(&img).unwrap().is_empty());
    }
    // A tiny image is fine too (zero-padded to the detector's input).
    assert!(m.detect_blocking(&image::RgbImage::new(8, 8)).unwrap().is_empty());
    assert!(m.detect_blocking(&image::RgbImage::new(0, 0)).is_err());
}

#[test]
fn flex_and_wgpu_agree_on_the_landmark_model() {
    let gpu = match Device::wgpu_options().init() {
        Ok(d) => d,
        Err(e) => panic!("no wgpu adapter ({e}); install mesa-vulkan-drivers (scripts/setup.sh)"),
    };
    let r = synthetic_hand(5, Hand::Right, 320);
    let roi = Roi { cx: 160.0, cy: 170.0, width: 300.0, height: 300.0, rotation: 0.1 };
    let planar = jointscope_landmarks::roi::sample(&r.image, &roi, LANDMARK_INPUT);
    let run = |device: &Device| {
        let m = marker(device);
        let x = Tensor::<4>::from_data(TensorData::new(planar.clone(), [1, 3, LANDMARK_INPUT, LANDMARK_INPUT]), device);
        pollster::block_on(m.run_landmarks(x)).unwrap().remove(0)
    };
    let a = run(&Device::flex());
    let b = run(&gpu);
    let max = a.landmarks.iter().zip(&b.landmarks).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    eprintln!("flex vs wgpu: max landmark difference {max} px, presence {} vs {}", a.presence, b.presence);
    // Measured 9.2e-5 px and 7e-8 on lavapipe: 5e-4 px and 1e-6 allow 5× and 14×.
    assert!(max < 5e-4, "{max}");
    assert!((a.presence - b.presence).abs() < 1e-6, "{} vs {}", a.presence, b.presence);
}

#[test]
fn a_photo_said_to_be_mirrored_gets_the_other_handedness_and_the_same_landmarks() {
    // 11k_f_d.jpg is the back of a right hand, taken with a rear camera (not mirrored).
    let img = jointscope_data::image_io::load_rgb(&jointscope_test_support::real_hand("11k_f_d.jpg")).unwrap();
    let m = marker(&Device::flex());
    let plain = pollster::block_on(m.detect_marked_as(&img, false, &mut |_| {})).unwrap();
    let mirrored = pollster::block_on(m.detect_marked_as(&img, true, &mut |_| {})).unwrap();
    assert_eq!((plain.len(), mirrored.len()), (1, 1));
    assert_eq!((plain[0].handedness, mirrored[0].handedness), (Hand::Right, Hand::Left));
    assert_eq!(plain[0].handedness_score, mirrored[0].handedness_score);
    assert_eq!(plain[0].landmarks, mirrored[0].landmarks);
    // Said per photo, it is what a landmarker made for mirrored photos gives.
    let selfies = HandLandmarker::from_dir(&models_dir(), Complexity::Full, &Device::flex(), Options { mirrored: true, ..Options::default() }).unwrap();
    assert_eq!(selfies.detect_blocking(&img).unwrap()[0].handedness, Hand::Left);
}

/// Two real backs of hands side by side (a woman's right, a man's right).
fn two_hands() -> image::RgbImage {
    let a = jointscope_data::image_io::load_rgb(&jointscope_test_support::real_hand("11k_f_d.jpg")).unwrap();
    let b = jointscope_data::image_io::load_rgb(&jointscope_test_support::real_hand("11k_m_d.jpg")).unwrap();
    let mut both = image::RgbImage::new(a.width() + b.width(), a.height().max(b.height()));
    image::imageops::replace(&mut both, &a, 0, 0);
    image::imageops::replace(&mut both, &b, i64::from(a.width()), 0);
    both
}

#[test]
fn changed_options_apply_from_the_next_photo() {
    let m = marker(&Device::flex());
    let img = two_hands();
    let both = m.detect_blocking(&img).unwrap();
    assert_eq!(both.len(), 2, "the default finds both hands");
    m.set_options(Options { max_hands: 1, ..m.options() }).unwrap();
    let one = m.detect_blocking(&img).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].landmarks, both[0].landmarks, "the best palm's hand is kept");
    // A presence threshold above the lower hand's drops it.
    let presences: Vec<f32> = both.iter().map(|h| h.presence).collect();
    eprintln!("presences {presences:?}, palm scores {:?}", both.iter().map(|h| h.palm_score).collect::<Vec<_>>());
    let between = (presences[0].min(presences[1]) + presences[0].max(presences[1])) / 2.0;
    m.set_options(Options { max_hands: 2, min_presence: between, ..m.options() }).unwrap();
    assert_eq!(m.detect_blocking(&img).unwrap().len(), 1);
}

#[test]
fn options_out_of_range_are_refused_by_name_and_change_nothing() {
    let m = marker(&Device::flex());
    let before = m.options();
    for (bad, name) in [
        (Options { max_hands: 0, ..before }, "max_hands"),
        (Options { max_hands: jointscope_landmarks::MAX_HANDS + 1, ..before }, "max_hands"),
        (Options { min_palm_score: -0.1, ..before }, "min_palm_score"),
        (Options { min_palm_score: f32::NAN, ..before }, "min_palm_score"),
        (Options { min_presence: 1.5, ..before }, "min_presence"),
    ] {
        let err = m.set_options(bad).unwrap_err();
        assert!(matches!(&err, LandmarkError::Options(msg) if msg.contains(name)), "{bad:?}: {err}");
        assert_eq!(m.options(), before);
    }
    let made = HandLandmarker::from_dir(&models_dir(), Complexity::Full, &Device::flex(), Options { max_hands: 0, ..Options::default() });
    assert!(matches!(made, Err(LandmarkError::Options(_))), "{made:?}");
}

#[test]
fn a_convolution_bias_of_the_wrong_length_is_refused() {
    use jointscope_landmarks::tflite::OpKind;
    let mut model = TfliteModel::parse(&model_bytes("hand_landmark_lite.tflite")).expect("model parses");
    // The first convolution with a bias; its constant comes from the tensor itself or from the
    // DEQUANTIZE that makes it (float16 files).
    let conv = model.ops.iter().find(|o| matches!(o.kind, OpKind::Conv2d { .. }) && o.inputs.get(2).is_some_and(|&b| b >= 0)).expect("a biased convolution");
    let bias = conv.inputs[2] as usize;
    let source = if model.tensors[bias].data.is_some() {
        bias
    } else {
        let dq = model.ops.iter().find(|o| matches!(o.kind, OpKind::Dequantize) && o.outputs[0] == bias).expect("the bias's DEQUANTIZE");
        dq.inputs[0] as usize
    };
    // One value fewer than the convolution has channels.
    let t = &mut model.tensors[source];
    let n = t.shape.iter().product::<usize>();
    let data = t.data.as_mut().expect("constant data");
    data.truncate(data.len() / n * (n - 1));
    t.shape = vec![n - 1];
    let err = jointscope_landmarks::graph::Graph::new(&model, &Device::flex()).map(|_| ()).unwrap_err();
    assert!(matches!(&err, LandmarkError::Model(m) if m.contains(&format!("{} bias values for {n} channels", n - 1))), "{err:?}");
}
