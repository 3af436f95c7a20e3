//! The burn import against two independent runtimes: onnxruntime on the tflite2onnx conversion (the
//! landmark models) and Google's own TFLite interpreter (all four models). Every output, on the
//! same inputs, must match. The reference runs in the Python environment that
//! scripts/setup-reference.sh creates ($JOINTSCOPE_PYREF or ~/.cache/jointscope/pyref).

use std::path::PathBuf;
use std::process::Command;

use burn::tensor::{Device, Tensor, TensorData};
use jointscope_data::Hand;
use jointscope_landmarks::graph::Graph;
use jointscope_landmarks::roi::{Roi, letterbox, sample};
use jointscope_landmarks::tflite::{Activation, OpKind, Padding, TfliteModel};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::{models_dir, synthetic_hand};

fn python() -> PathBuf {
    let venv = std::env::var_os("JOINTSCOPE_PYREF")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/jointscope/pyref"));
    let py = venv.join("bin/python");
    assert!(py.exists(), "{} is missing: run scripts/setup-reference.sh (scripts/test.sh does)", py.display());
    py
}

/// Runs `model` on planar (CHW, 0..1) inputs of side `size` with a reference `runtime` and with burn;
/// returns, per output, (name, reference values, burn values), each with all inputs concatenated.
fn both(runtime: &str, model: &str, inputs: &[Vec<f32>], size: usize) -> Vec<(String, Vec<f32>, Vec<f32>)> {
    let path = models_dir().join(model);
    let dir = tempfile::tempdir().unwrap();
    let plane = size * size;
    // NHWC for the reference runtimes.
    let nhwc: Vec<u8> = inputs.iter().flat_map(|x| (0..plane).flat_map(move |p| (0..3).map(move |c| x[c * plane + p]))).flat_map(f32::to_le_bytes).collect();
    std::fs::write(dir.path().join("inputs.f32"), nhwc).unwrap();
    let script = jointscope_test_support::repo().join("scripts/tflite_reference.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(runtime)
        .arg(&path)
        .arg(dir.path().join("inputs.f32"))
        .arg(inputs.len().to_string())
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{runtime} failed on {model}: {}", String::from_utf8_lossy(&out.stderr));
    let listing = std::fs::read_to_string(dir.path().join("outputs.txt")).unwrap();

    let device = Device::flex();
    let bytes = std::fs::read(&path).unwrap();
    let graph = Graph::new(&TfliteModel::parse(&bytes).unwrap(), &device).unwrap();
    let batch: Vec<f32> = inputs.concat();
    let x = Tensor::<4>::from_data(TensorData::new(batch, [inputs.len(), 3, size, size]), &device);
    let ours = graph.forward(x).unwrap();
    assert_eq!(ours.len(), listing.lines().count(), "{model}: output count");
    listing
        .lines()
        .zip(ours)
        .map(|(line, v)| {
            let (i, name) = line.split_once(' ').unwrap();
            let mut reference = Vec::new();
            for b in 0..inputs.len() {
                let raw = std::fs::read(dir.path().join(format!("{b}.{i}.f32"))).unwrap();
                reference.extend(raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
            }
            let mine = v.into_rows().into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(reference.len(), mine.len(), "{model} {name}: size");
            (name.to_string(), reference, mine)
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Landmark-model inputs: two hands cropped as the pipeline does, one rotated and off-centre crop,
/// uniform noise, and flat grey.
fn landmark_inputs() -> Vec<Vec<f32>> {
    let mut inputs = Vec::new();
    for (seed, rotation, shift) in [(11, 0.0, 0.0), (13, 0.0, 0.0), (14, 0.6, 0.15)] {
        let r = synthetic_hand(seed, Hand::Left, 300);
        let mut roi = Roi::from_landmarks(&r.landmarks.iter().map(|p| (p.x, p.y)).collect::<Vec<_>>()).unwrap().transform(2.0, shift, -0.1);
        roi.rotation += rotation;
        inputs.push(sample(&r.image, &roi, 224));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    use rand::Rng;
    inputs.push((0..3 * 224 * 224).map(|_| rng.random::<f32>()).collect());
    inputs.push(vec![0.5; 3 * 224 * 224]);
    inputs
}

#[test]
fn landmark_models_match_onnxruntime_and_the_tflite_interpreter() {
    let inputs = landmark_inputs();
    for runtime in ["onnxruntime", "litert"] {
        for model in ["hand_landmark_full.tflite", "hand_landmark_lite.tflite"] {
            for (name, reference, mine) in both(runtime, model, &inputs, 224) {
                let d = max_diff(&reference, &mine);
                eprintln!("{runtime} {model} {name}: max |burn − reference| = {d:.2e} over {} values", mine.len());
                // Outputs in order: landmarks (px of the 224 crop), presence, handedness, world
                // landmarks (m). Largest differences measured over both runtimes and both models
                // (2026-12-06, crops bounded by MediaPipe's stable landmarks): 4.3e-4 px, 1.25e-6,
                // 4.5e-6, 7.8e-7; the tolerances allow 2.3×, 2.4×, 2.2× and 3.8×. (Crops bounded by
                // all 21 landmarks, before: 4.2e-4, 6.4e-8, 3.2e-6, 7.1e-7.)
                let tol = match name.as_str() {
                    "Identity" => 1e-3,
                    "Identity_1" => 3e-6,
                    "Identity_2" => 1e-5,
                    "Identity_3" => 3e-6,
                    other => panic!("{model}: unexpected output {other}"),
                };
                assert!(d <= tol, "{runtime} {model} {name}: {d}");
            }
        }
    }
}

#[test]
fn palm_models_match_the_tflite_interpreter_which_onnx_conversion_cannot_handle() {
    let r = synthetic_hand(1, Hand::Left, 320);
    let planar = sample(&r.image, &letterbox(r.image.width(), r.image.height()), 192);
    for model in ["palm_detection_full.tflite", "palm_detection_lite.tflite"] {
        let outs = both("litert", model, std::slice::from_ref(&planar), 192);
        for (name, reference, mine) in &outs {
            let d = max_diff(reference, mine);
            eprintln!("{model} {name}: max |burn − tflite| = {d:.2e} over {} values", mine.len());
            // Box offsets are in pixels of the 192 input (measured 1.5e-4), scores are logits
            // (measured 2.9e-5): 5e-4 and 1e-4 allow about 3×.
            let tol = if mine.len() == 2016 { 1e-4 } else { 5e-4 };
            assert!(d <= tol, "{model} {name}: {d}");
        }
        // The palm is found by both, at the same anchor.
        let argmax = |v: &[f32]| v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let scores = outs.iter().find(|o| o.1.len() == 2016).unwrap();
        assert_eq!(argmax(&scores.1), argmax(&scores.2), "{model}");
        let best = scores.1[argmax(&scores.1)];
        eprintln!("{model}: best palm logit {best:.3} (tflite) vs {:.3} (burn)", scores.2[argmax(&scores.2)]);
        assert!(best > 0.0, "{model}: the reference finds no palm");
    }
}

/// What Google's schema says about one operator, in the `ops` listing's terms.
fn describe(kind: &OpKind) -> serde_json::Value {
    let pad = |p: &Padding| if *p == Padding::Same { "SAME" } else { "VALID" };
    let act = |a: &Activation| match a {
        Activation::None => "NONE",
        Activation::Relu => "RELU",
        Activation::ReluN1To1 => "RELU_N1_TO_1",
        Activation::Relu6 => "RELU6",
        Activation::Tanh => "TANH",
    };
    let conv = |name: &str, p: &Padding, s: &[usize; 2], a: &Activation| serde_json::json!({ "op": name, "stride": s, "padding": pad(p), "act": act(a) });
    match kind {
        OpKind::Conv2d { padding, stride, act: a, .. } => conv("CONV_2D", padding, stride, a),
        OpKind::Depthwise { padding, stride, act: a, .. } => conv("DEPTHWISE_CONV_2D", padding, stride, a),
        other => serde_json::json!({ "op": match other {
            OpKind::Add { .. } => "ADD",
            OpKind::Concat { .. } => "CONCATENATION",
            OpKind::Dequantize => "DEQUANTIZE",
            OpKind::FullyConnected { .. } => "FULLY_CONNECTED",
            OpKind::Logistic => "LOGISTIC",
            OpKind::MaxPool { .. } => "MAX_POOL_2D",
            OpKind::Mean { .. } => "MEAN",
            OpKind::Pad => "PAD",
            OpKind::PRelu => "PRELU",
            OpKind::Relu => "RELU",
            OpKind::Relu6 => "RELU6",
            OpKind::Reshape => "RESHAPE",
            OpKind::ResizeBilinear { .. } => "RESIZE_BILINEAR",
            OpKind::Conv2d { .. } | OpKind::Depthwise { .. } => unreachable!(),
        } }),
    }
}

#[test]
fn the_parser_reads_the_operators_googles_schema_lists() {
    let script = jointscope_test_support::repo().join("scripts/tflite_reference.py");
    for model in ["hand_landmark_full.tflite", "hand_landmark_lite.tflite", "palm_detection_full.tflite", "palm_detection_lite.tflite"] {
        let path = models_dir().join(model);
        let out = Command::new(python()).arg(&script).arg("ops").arg(&path).output().unwrap();
        assert!(out.status.success(), "{model}: {}", String::from_utf8_lossy(&out.stderr));
        let reference: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ours = TfliteModel::parse(&std::fs::read(&path).unwrap()).unwrap();
        let listed: Vec<serde_json::Value> = ours.ops.iter().map(|o| describe(&o.kind)).collect();
        assert_eq!(serde_json::Value::Array(listed), reference["ops"], "{model}: operators differ");
        assert_eq!(serde_json::json!(ours.tensors[ours.inputs[0]].shape), reference["input"], "{model}: input shape");
    }
}
