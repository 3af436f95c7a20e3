//! `evaluate` and `export` on a trained run: figures, folders, and what each refuses.
mod common;
use common::*;

#[test]
fn evaluating_again_gives_identical_figures() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    let first = std::fs::read_to_string(run.join("eval/metrics.json")).unwrap();
    ok(&jointscope(&["evaluate", "--run", run.to_str().unwrap()]));
    assert_eq!(first, std::fs::read_to_string(run.join("eval/metrics.json")).unwrap());
}

#[test]
fn no_bootstrap_resamples_prints_no_interval() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    let t = ok(&jointscope(&["evaluate", "--run", run.to_str().unwrap(), "--resamples", "0"]));
    assert!(t.contains("no intervals (0 resamples)"), "{t}");
    let f1 = t.lines().find(|l| l.trim_start().starts_with("F1 ")).unwrap();
    assert!(!f1.contains('['), "{f1}");
    let csv = std::fs::read_to_string(run.join("eval/metrics.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().ends_with(",,"), "{csv}");
}

#[test]
fn a_validation_evaluation_goes_to_its_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    let test = std::fs::read_to_string(run.join("eval/metrics.json")).unwrap();
    let t = ok(&jointscope(&["evaluate", "--run", run.to_str().unwrap(), "--part", "valid", "--resamples", "50"]));
    assert!(t.starts_with("valid set:"), "{t}");
    assert_eq!(read_json(&run.join("eval-valid/metrics.json"))["set"], "valid");
    assert_eq!(test, std::fs::read_to_string(run.join("eval/metrics.json")).unwrap(), "the test evaluation was overwritten");
}

#[test]
fn export_leaves_out_an_evaluation_of_another_set_or_of_other_weights() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    let metrics = run.join("eval/metrics.json");
    let good = std::fs::read_to_string(&metrics).unwrap();
    let export = |name: &str| {
        let out = dir.path().join(name);
        let o = jointscope(&["export", "--run", run.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        (o, out.join("jointscope.json"))
    };
    std::fs::write(&metrics, good.replacen("\"set\": \"test\"", "\"set\": \"valid\"", 1)).unwrap();
    let (o, sidecar) = export("valid");
    ok(&o);
    assert_eq!(read_json(&sidecar)["test_metrics"], serde_json::Value::Null);
    let other = read_json(&metrics)["model_sha256"].as_str().unwrap().to_string();
    std::fs::write(&metrics, good.replacen(&other, &"0".repeat(64), 1)).unwrap();
    let (o, sidecar) = export("other-weights");
    ok(&o);
    assert_eq!(read_json(&sidecar)["test_metrics"], serde_json::Value::Null);
}

/// An export that cannot be written (the disk full) says why and replaces neither file of the
/// export already in its folder, leaving no temporary file.
#[cfg(target_os = "linux")]
#[test]
fn an_export_that_cannot_be_written_replaces_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    std::fs::create_dir_all(&out).unwrap();
    let older = [("jointscope.bpk", "an older export's weights"), ("jointscope.json", "{\"an older export\": true}")];
    for (name, body) in older {
        std::fs::write(out.join(name), body).unwrap();
    }
    let weights = std::fs::metadata(demo().out.join("export/jointscope.bpk")).unwrap().len();
    let run = demo().out.join("run");
    let o = jointscope_with_file_limit(weights / 2 / 1024, &["export", "--run", run.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_clean_failure(&o, "File too large");
    for (name, body) in older {
        assert_eq!(std::fs::read_to_string(out.join(name)).unwrap(), body, "{name} was replaced");
    }
    assert_eq!(debris(&out), Vec::<String>::new());
}

#[test]
fn export_refuses_an_unreadable_evaluation_instead_of_hiding_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    std::fs::write(run.join("eval/metrics.json"), "{ not json").unwrap();
    let o = jointscope(&["export", "--run", run.to_str().unwrap(), "--out", dir.path().join("x").to_str().unwrap()]);
    assert_clean_failure(&o, "the test evaluation is unreadable");
}

#[test]
fn export_refuses_a_threshold_that_flags_every_validation_joint_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    let meta = std::fs::read_to_string(run.join("model.json")).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&meta).unwrap();
    m["valid_flagged"] = serde_json::json!(1.0);
    std::fs::write(run.join("model.json"), serde_json::to_string(&m).unwrap()).unwrap();
    let out = dir.path().join("x");
    let o = jointscope(&["export", "--run", run.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_clean_failure(&o, "flags every validation joint");
    assert!(!out.join("jointscope.bpk").exists());
    let t = ok(&jointscope(&["export", "--run", run.to_str().unwrap(), "--out", out.to_str().unwrap(), "--force"]));
    assert!(t.contains("exporting anyway"), "{t}");
}

#[test]
fn corrupt_run_weights_are_refused_by_export_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    let model = run.join("model.bpk");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let o = jointscope(&["export", "--run", run.to_str().unwrap(), "--out", dir.path().join("x").to_str().unwrap()]);
    assert_clean_failure(&o, "model.bpk");
    std::fs::write(&model, b"not weights at all").unwrap();
    assert_clean_failure(&jointscope(&["evaluate", "--run", run.to_str().unwrap()]), "model.bpk");
}

#[test]
fn metrics_a_set_cannot_define_print_as_undefined() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    let m = relabelled(dir.path(), "healthy.csv", &|_| true, &|_, _, _| "0".into());
    let t = ok(&jointscope(&["evaluate", "--run", run.to_str().unwrap(), "--manifest", m.to_str().unwrap(), "--resamples", "100"]));
    for metric in ["sensitivity", "G-mean", "ROC-AUC", "PR-AUC"] {
        let line = t.lines().find(|l| l.trim_start().starts_with(&format!("{metric} "))).unwrap_or_else(|| panic!("{metric} missing:\n{t}"));
        assert!(line.contains("undefined   (no inflamed joints in this set)"), "{line}");
    }
    let e = read_json(&run.join("eval-manifest-healthy/metrics.json"));
    assert_eq!(e["report"]["sensitivity"], serde_json::json!({ "value": null, "ci": null }));
    let csv = std::fs::read_to_string(run.join("eval-manifest-healthy/metrics.csv")).unwrap();
    assert!(csv.lines().any(|l| l == "sensitivity,,,"), "{csv}");
    assert!(std::fs::read_to_string(run.join("eval-manifest-healthy/per_joint.csv")).unwrap().lines().nth(1).unwrap().contains(",,"));
}

#[test]
fn evaluation_at_landmark_positions_counts_a_photo_without_a_hand_as_missed() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&demo().out.join("run"), &run);
    // Two of the demo's photos, and a wall photographed with the rows of a hand with an inflamed MCP2.
    let wall = dir.path().join("wall.png");
    image::RgbImage::from_pixel(320, 320, image::Rgb([90, 120, 160])).save(&wall).unwrap();
    let two = ["p0001", "p0002"];
    let m = relabelled(dir.path(), "with-wall.csv", &|p| two.contains(&p), &|_, _, l| l.to_string());
    let mut text = std::fs::read_to_string(&m).unwrap();
    for j in ["MCP2", "MCP3", "WRIST"] {
        text += &format!("{},wall,R,dorsal,{j},{},100,100\n", wall.display(), u8::from(j == "MCP2"));
    }
    std::fs::write(&m, text).unwrap();
    ok(&jointscope(&["evaluate", "--run", run.to_str().unwrap(), "--manifest", m.to_str().unwrap(), "--positions", "landmarks", "--resamples", "0"]));
    let folder = run.join("eval-manifest-with-wall-landmarks");
    let predictions = std::fs::read_to_string(folder.join("predictions.csv")).unwrap();
    // The wall's joints are scored 0, its inflamed MCP2 a miss.
    let wall_rows: Vec<&str> = predictions.lines().filter(|l| l.contains("wall.png")).collect();
    assert_eq!(wall_rows.len(), 3, "{predictions}");
    assert!(wall_rows.iter().all(|l| l.ends_with(",0.0000000,0")), "{wall_rows:?}");
    // No joint is dropped: every labelled row is scored, hand found or not.
    assert_eq!(predictions.lines().count(), 1 + 3 + 4 * 11);
    // The count of photos without a hand is the cache's (the small demo photos are missed too).
    let cache = std::fs::read_to_string(dir.path().join("with-wall.landmarks.csv")).unwrap();
    assert!(cache.contains("wall.png,,,"), "{cache}");
    let without = cache.lines().filter(|l| l.ends_with(",,,")).count();
    assert_eq!(read_json(&folder.join("metrics.json"))["photos_without_hand"], without);
    assert_eq!(read_json(&folder.join("metrics.json"))["report"]["n"], 47);
}

/// The demo's hand-level figures, recounted here from its per-joint predictions: a hand (an image)
/// is inflamed when any of its joints is, its score is the rule's form of its joints'
/// probabilities, flagged at the rule's threshold or above.
#[test]
fn the_hand_verdicts_figures_follow_from_the_joint_predictions() {
    let run = demo().out.join("run");
    let metrics = read_json(&run.join("eval/metrics.json"));
    let hands = &metrics["hands"];
    let (form, threshold) = (hands["rule"]["score"].as_str().unwrap().to_string(), hands["rule"]["threshold"].as_f64().unwrap() as f32);
    let mut by_image: std::collections::BTreeMap<String, (Vec<f32>, bool)> = Default::default();
    let mut r = csv::Reader::from_path(run.join("eval/predictions.csv")).unwrap();
    for rec in r.deserialize::<std::collections::HashMap<String, String>>() {
        let rec = rec.unwrap();
        let e = by_image.entry(rec["image"].clone()).or_default();
        e.0.push(rec["probability"].parse().unwrap());
        e.1 |= rec["label"] == "1";
    }
    let (mut tp, mut fn_, mut tn, mut fp) = (0, 0, 0, 0);
    for (probs, inflamed) in by_image.values() {
        let score = match form.as_str() {
            "max" => probs.iter().copied().fold(0.0f32, f32::max),
            "noisy-or" => 1.0 - probs.iter().map(|p| 1.0 - p).product::<f32>(),
            other => panic!("unknown form {other}"),
        };
        match (score >= threshold, inflamed) {
            (true, true) => tp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
            (true, false) => fp += 1,
        }
    }
    assert_eq!(hands["report"]["n"].as_u64().unwrap() as usize, by_image.len());
    let close = |key: &str, want: f64| {
        let got = hands["report"][key]["value"].as_f64().unwrap();
        // predictions.csv rounds probabilities to 7 decimals: no hand sits that close to the threshold here.
        assert!((got - want).abs() < 1e-12, "{key}: {got} vs {want} recounted");
    };
    close("sensitivity", tp as f64 / (tp + fn_) as f64);
    close("specificity", tn as f64 / (tn + fp) as f64);
}
