//! The quick demo end to end: its metrics with their intervals, its run, evaluation and export, and the probabilities the browser's code path gives.
mod common;
use common::*;
use std::collections::HashMap;

#[test]
fn the_quick_demo_prints_every_metric_with_its_interval() {
    let t = &demo().output;
    for needle in ["F1", "G-mean", "sensitivity", "specificity", "precision", "ROC-AUC", "PR-AUC", "95% CI (1000 patient-bootstrap resamples)"] {
        assert!(t.contains(needle), "{needle} missing from:\n{t}");
    }
}

#[test]
fn the_quick_demo_writes_its_run_evaluation_and_export() {
    let out = &demo().out;
    for f in [
        "export/jointscope.bpk",
        "export/jointscope.json",
        "run/plots/training.png",
        "run/eval/roc.png",
        "run/eval/pr.png",
        "run/eval/cam.png",
        "run/eval/metrics.json",
        "run/eval/metrics.csv",
        "run/eval/per_joint.csv",
        "run/eval/predictions.csv",
        "run/history.csv",
        "run/split.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
}

#[test]
fn the_sidecar_describes_the_exported_weights() {
    let out = &demo().out;
    let sidecar = read_json(&out.join("export/jointscope.json"));
    assert_eq!(sidecar["joints"].as_array().unwrap().len(), 11);
    assert_eq!(sidecar["training_photos"], "drawn");
    let t = sidecar["threshold"].as_f64().unwrap();
    assert!(t > 0.0 && t < 1.0, "{t}");
    let weights = std::fs::read(out.join("export/jointscope.bpk")).unwrap();
    assert_eq!(sidecar["weights"]["bytes"].as_u64().unwrap() as usize, weights.len());
    assert_eq!(sidecar["weights"]["sha256"].as_str().unwrap(), jointscope_detect::sidecar::sha256(&weights));
    // The test metrics are the run's own test evaluation of these weights.
    let eval = read_json(&out.join("run/eval/metrics.json"));
    assert_eq!(sidecar["test_metrics"]["joints"], eval["report"]["n"]);
    assert_eq!(sidecar["test_metrics"]["metrics"][0]["value"], eval["report"]["f1"]["value"]);
}

#[test]
fn the_browsers_code_path_gives_evaluates_probabilities() {
    let out = &demo().out;
    let sidecar = std::fs::read(out.join("export/jointscope.json")).unwrap();
    let weights = std::fs::read(out.join("export/jointscope.bpk")).unwrap();
    let classifier = jointscope_detect::Classifier::from_bytes(&sidecar, weights, &burn::tensor::Device::flex()).unwrap();
    let manifest = jointscope_dataset::Manifest::read(&out.join("data/manifest.csv")).unwrap();
    let entries: HashMap<String, _> = manifest.images().into_iter().map(|e| (e.image.clone(), e)).collect();
    let mut judged: HashMap<String, Vec<jointscope_detect::JointVerdict>> = HashMap::new();
    let (mut compared, mut worst) = (0, 0f32);
    for row in csv::Reader::from_path(out.join("run/eval/predictions.csv")).unwrap().records() {
        let row = row.unwrap();
        let verdicts = judged.entry(row[0].to_string()).or_insert_with(|| {
            let e = &entries[&row[0]];
            let img = jointscope_data::image_io::load_rgb(&e.path).unwrap();
            pollster::block_on(classifier.judge(&img, &e.located())).unwrap()
        });
        let v = verdicts.iter().find(|v| v.joint.name() == &row[2]).unwrap();
        worst = worst.max((v.probability - row[6].parse::<f32>().unwrap()).abs());
        assert_eq!(u8::from(v.inflamed).to_string(), &row[7], "{row:?}");
        assert_eq!(v.heatmap.len(), 64);
        compared += 1;
    }
    // Identical computations: predictions.csv's 7 decimals round by at most 5e-8, and reading the
    // rounded value back as f32 adds up to 6e-8 (one f32 step between 0.5 and 1). Measured 5.2e-8.
    eprintln!("browser path vs evaluate: {compared} joints, largest difference {worst:e}");
    assert!(compared > 20 && worst <= 1.1e-7, "{compared} joints compared, largest difference {worst}");
}
