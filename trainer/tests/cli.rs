//! The `jointscope` binary end to end: the quick demo, resume, and bad input from the user.
use std::path::Path;
use std::process::{Command, Output};

fn jointscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jointscope")).args(args).arg("--quiet").output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn assert_clean_failure(o: &Output, needle: &str) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(1), "expected exit code 1:\n{t}");
    assert!(t.contains(needle), "expected {needle:?} in:\n{t}");
    assert!(!t.contains("panicked"), "a panic reached the user:\n{t}");
}

fn png(path: &Path) {
    image::RgbImage::from_pixel(64, 64, image::Rgb([200, 150, 120])).save(path).unwrap();
}

#[test]
fn quick_demo_trains_evaluates_exports_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = jointscope(&["demo", "--quick", "--backend", "flex", "--out", out.to_str().unwrap()]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for needle in ["F1", "G-mean", "sensitivity", "specificity", "ROC-AUC", "PR-AUC", "95% CI"] {
        assert!(t.contains(needle), "{needle} missing from:\n{t}");
    }
    for f in [
        "export/jointscope.bpk",
        "export/jointscope.json",
        "run/plots/roc.png",
        "run/plots/pr.png",
        "run/plots/training.png",
        "run/plots/cam.png",
        "run/eval/metrics.json",
        "run/eval/metrics.csv",
        "run/eval/per_joint.csv",
        "run/eval/predictions.csv",
        "run/history.csv",
        "run/split.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let sidecar: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("export/jointscope.json")).unwrap()).unwrap();
    assert_eq!(sidecar["joints"].as_array().unwrap().len(), 11);
    assert_eq!(sidecar["synthetic_data"], true);
    let t = sidecar["threshold"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&t));
    let weights = std::fs::read(out.join("export/jointscope.bpk")).unwrap();
    assert_eq!(sidecar["weights"]["bytes"].as_u64().unwrap() as usize, weights.len());
    assert_eq!(sidecar["weights"]["sha256"].as_str().unwrap(), jointscope_trainer::export::sha256(&weights));

    // The browser's code path (jointscope_detect, on the exported files) gives `evaluate`'s
    // probabilities and verdicts for the same photos and joint positions.
    let sidecar_bytes = std::fs::read(out.join("export/jointscope.json")).unwrap();
    let classifier = jointscope_detect::Classifier::from_bytes(&sidecar_bytes, weights.clone(), &burn::tensor::Device::flex()).unwrap();
    let manifest = jointscope_data::Manifest::read(&out.join("data/manifest.csv")).unwrap();
    let entries: std::collections::HashMap<String, _> = manifest.images().into_iter().map(|e| (e.image.clone(), e)).collect();
    let mut judged: std::collections::HashMap<String, Vec<jointscope_detect::JointVerdict>> = Default::default();
    let (mut compared, mut worst) = (0, 0f32);
    for row in csv::Reader::from_path(out.join("run/eval/predictions.csv")).unwrap().records() {
        let row = row.unwrap();
        let verdicts = judged.entry(row[0].to_string()).or_insert_with(|| {
            let e = &entries[&row[0]];
            let img = jointscope_data::image_io::load_rgb(&e.path).unwrap();
            pollster::block_on(classifier.judge(&img, &e.located())).unwrap()
        });
        let v = verdicts.iter().find(|v| v.joint.name() == &row[2]).unwrap();
        let p: f32 = row[6].parse().unwrap();
        worst = worst.max((v.probability - p).abs());
        assert_eq!(u8::from(v.inflamed).to_string(), &row[7], "{row:?}");
        assert_eq!(v.heatmap.len(), 64);
        compared += 1;
    }
    assert!(compared > 20 && worst < 1e-5, "{compared} joints compared, largest difference {worst}");

    // `jointscope detect` on a photo with a hand and on one without; the JSON holds both.
    // A fixed photo (the map's order is random): the first of the seeded test split, whose hand MediaPipe finds.
    let first_test_photo = csv::Reader::from_path(out.join("run/eval/predictions.csv")).unwrap().records().next().unwrap().unwrap()[0].to_string();
    let photo = entries[&first_test_photo].path.clone();
    let wall = dir.path().join("wall.png");
    image::RgbImage::from_pixel(200, 160, image::Rgb([90, 120, 160])).save(&wall).unwrap();
    let json = dir.path().join("detect.json");
    let export = out.join("export");
    let o = jointscope(&["detect", "--weights", export.to_str().unwrap(), "--json", json.to_str().unwrap(), photo.to_str().unwrap(), wall.to_str().unwrap()]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("wall.png: no hand found") && t.contains("joints above the threshold") && t.contains("not a medical device"), "{t}");
    let found: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(found[0]["detection"]["hands"][0]["joints"].as_array().unwrap().len(), 11, "{found}");
    assert_eq!(found[1]["detection"]["hands"].as_array().unwrap().len(), 0);
    // The detection benchmark runs on the export (two hands side by side) and refuses what it cannot draw.
    let (ex, figures) = (export.to_str().unwrap(), dir.path().join("bench-detect.json"));
    let o = jointscope(&["bench", "detect", "--weights", ex, "--hands", "2", "--inputs", "1", "--repeats", "1", "--json", figures.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let fig: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&figures).unwrap()).unwrap();
    assert!(fig["median_ms"].as_f64().unwrap() > 0.0 && fig["config"].as_str().unwrap().starts_with("2 hand(s) drawn per 640×320 photo"), "{fig}");
    assert_clean_failure(&jointscope(&["bench", "detect", "--weights", ex, "--hands", "3"]), "at most 2 hands");
    assert_clean_failure(&jointscope(&["bench", "detect", "--weights", ex, "--size", "20000"]), "the limits are");
    // Altered, truncated or mismatched weights are refused with what differs.
    let bad = dir.path().join("bad-export");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::copy(export.join("jointscope.json"), bad.join("jointscope.json")).unwrap();
    let mut altered = weights.clone();
    altered[weights.len() / 2] ^= 0x40;
    std::fs::write(bad.join("jointscope.bpk"), &altered).unwrap();
    let detect_bad = || jointscope(&["detect", "--weights", bad.to_str().unwrap(), photo.to_str().unwrap()]);
    assert_clean_failure(&detect_bad(), "altered");
    std::fs::write(bad.join("jointscope.bpk"), &weights[..weights.len() - 100]).unwrap();
    assert_clean_failure(&detect_bad(), "truncated");
    std::fs::write(bad.join("jointscope.bpk"), &weights).unwrap();
    let v2 = String::from_utf8(sidecar_bytes.clone()).unwrap().replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    std::fs::write(bad.join("jointscope.json"), v2).unwrap();
    assert_clean_failure(&detect_bad(), "format version 2");

    // Evaluating again gives the same figures (seeded bootstrap, deterministic inference).
    let run = out.join("run");
    let first = std::fs::read_to_string(run.join("eval/metrics.json")).unwrap();
    let o = jointscope(&["evaluate", "--run", run.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(first, std::fs::read_to_string(run.join("eval/metrics.json")).unwrap());

    // Interrupted after epoch 1: drop the last checkpoint and the finished model, then resume.
    std::fs::remove_dir_all(run.join("checkpoints/epoch-0002")).unwrap();
    std::fs::remove_file(run.join("model.json")).unwrap();
    let o = jointscope(&["train", "--run", run.to_str().unwrap(), "--resume", "--backend", "flex"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(run.join("model.json").exists());
    let history = std::fs::read_to_string(run.join("history.csv")).unwrap();
    assert_eq!(history.lines().count(), 3, "{history}");

    // The other architectures, losses and the balanced sampler train end to end.
    let m = out.join("data/manifest.csv");
    for (arch, loss, mix) in [("global", "focal", "none"), ("local", "class-balanced", "cutmix"), ("global-local", "logit-adjusted", "cut-keep")] {
        let r = dir.path().join(format!("run-{arch}"));
        let o = jointscope(&[
            "train", "--manifest", m.to_str().unwrap(), "--run", r.to_str().unwrap(), "--backend", "flex", "--arch", arch,
            "--loss", loss, "--mix", mix, "--sampler", "class-balanced", "--epochs", "1", "--global-size", "32", "--local-size", "32", "--width", "8",
        ]);
        assert!(o.status.success(), "{arch}/{loss}: {}", text(&o));
        let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(r.join("model.json")).unwrap()).unwrap();
        assert!(meta["temperature"].as_f64().unwrap() > 0.0);
    }

    // Pretraining on the healthy pool, then fine-tuning from it.
    let pre = dir.path().join("pretrain");
    let healthy = out.join("data/healthy.csv");
    let o = jointscope(&[
        "pretrain", "--manifest", healthy.to_str().unwrap(), "--out", pre.to_str().unwrap(), "--epochs", "2", "--batch", "4",
        "--global-size", "32", "--local-size", "32", "--width", "8", "--backend", "flex",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(pre.join("encoders.bpk").exists() && pre.join("pretrain.json").exists());
    let r = dir.path().join("run-init");
    let args = [
        "train", "--manifest", m.to_str().unwrap(), "--run", r.to_str().unwrap(), "--backend", "flex", "--epochs", "1",
        "--global-size", "32", "--local-size", "32", "--init", pre.to_str().unwrap(),
    ];
    let o = jointscope(&[&args[..], &["--width", "8"]].concat());
    assert!(o.status.success(), "{}", text(&o));
    // Encoders pretrained at another width are refused with the reason.
    let r2 = dir.path().join("run-init-wide");
    let mut wide = args.to_vec();
    wide[4] = r2.to_str().unwrap();
    assert_clean_failure(&jointscope(&[&wide[..], &["--width", "12"]].concat()), "was pretrained with");

    // A second training into the same run folder is refused rather than overwriting it.
    let o = jointscope(&["train", "--run", run.to_str().unwrap(), "--manifest", m.to_str().unwrap()]);
    assert_clean_failure(&o, "already holds a run");
}

#[test]
fn bad_manifests_fail_cleanly_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    png(&d.join("ok.png"));
    let full = std::fs::read(d.join("ok.png")).unwrap();
    std::fs::write(d.join("cut.png"), &full[..full.len() / 2]).unwrap();
    std::fs::write(d.join("notes.png"), "plain text").unwrap();
    let header = "image,patient_id,hand,view,joint,label,x,y\n";
    let cases = [
        ("missing.csv", format!("{header}gone.png,p1,R,dorsal,MCP2,1,10,10\n"), "does not exist"),
        ("truncated.csv", format!("{header}cut.png,p1,R,dorsal,MCP2,1,10,10\n"), "not a readable image"),
        ("text.csv", format!("{header}notes.png,p1,R,dorsal,MCP2,1,10,10\n"), "not a readable image"),
        ("joint.csv", format!("{header}ok.png,p1,R,dorsal,KNEE,1,10,10\n"), "unknown joint name \"KNEE\""),
    ];
    for (name, body, needle) in cases {
        let m = d.join(name);
        std::fs::write(&m, body).unwrap();
        let ms = m.to_str().unwrap();
        let o = jointscope(&["validate", ms]);
        assert_clean_failure(&o, needle);
        assert!(text(&o).contains(":line 2:"), "{}", text(&o));
        let run = d.join(format!("run-{name}"));
        let o = jointscope(&["train", "--manifest", ms, "--run", run.to_str().unwrap(), "--backend", "flex"]);
        assert_clean_failure(&o, needle);
    }
    let empty = d.join("empty.csv");
    std::fs::write(&empty, header).unwrap();
    let o = jointscope(&["train", "--manifest", empty.to_str().unwrap(), "--run", d.join("r").to_str().unwrap(), "--backend", "flex"]);
    assert_clean_failure(&o, "dataset is empty");
    assert_clean_failure(&jointscope(&["validate", empty.to_str().unwrap()]), "no rows");
    let o = jointscope(&["train", "--manifest", d.join("absent.csv").to_str().unwrap(), "--run", d.join("r2").to_str().unwrap()]);
    assert_clean_failure(&o, "absent.csv");
    assert_clean_failure(&jointscope(&["evaluate", "--run", d.join("nothing").to_str().unwrap()]), "no trained model");
    assert_clean_failure(&jointscope(&["export", "--run", d.join("nothing").to_str().unwrap(), "--out", d.join("e").to_str().unwrap()]), "no trained model");
}

#[test]
fn runs_are_reproducible_and_corrupt_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = jointscope(&["demo", "--quick", "--backend", "flex", "--out", out.to_str().unwrap(), "--seed", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    // The same seed trains the same model and reports the same figures.
    let again = dir.path().join("again");
    let o = jointscope(&["demo", "--quick", "--backend", "flex", "--out", again.to_str().unwrap(), "--seed", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    // (Weight files differ in their random parameter ids, so compare what the weights predict.)
    for f in ["run/eval/metrics.json", "run/eval/predictions.csv"] {
        let (a, b) = (std::fs::read_to_string(out.join(f)).unwrap(), std::fs::read_to_string(again.join(f)).unwrap());
        assert!(a == b, "{f} differs between identical runs");
    }
    let model = out.join("run/model.bpk");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let o = jointscope(&["export", "--run", out.join("run").to_str().unwrap(), "--out", dir.path().join("x").to_str().unwrap()]);
    assert_clean_failure(&o, "model.bpk");
    std::fs::write(&model, b"not weights at all").unwrap();
    let o = jointscope(&["evaluate", "--run", out.join("run").to_str().unwrap()]);
    assert_clean_failure(&o, "model.bpk");
}

#[test]
fn quick_ablation_writes_its_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ablation");
    let o = jointscope(&["ablate", "--quick", "--seeds", "2", "--with-global", "--resamples", "50", "--backend", "flex", "--out", out.to_str().unwrap()]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let md = std::fs::read_to_string(out.join("ablation.md")).unwrap();
    for row in ["| baseline |", "| +imbalance |", "| +SSL |", "| +global-local |", "| global only |", "| full method |", "Full method − baseline", "| MCP2 |"] {
        assert!(md.contains(row), "{row} missing from:\n{md}");
    }
    let csv = std::fs::read_to_string(out.join("ablation.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6 * 2, "{csv}");
}

#[test]
fn a_teacher_pseudo_labels_hidden_joints_for_a_student() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = jointscope(&["synth", "--out", d, "--patients", "20", "--healthy", "0", "--size", "128", "--hide-labels", "0.4"]);
    assert!(o.status.success(), "{}", text(&o));
    let manifest = data.join("manifest.csv");
    let m = manifest.to_str().unwrap();
    assert!(std::fs::read_to_string(&manifest).unwrap().contains(",unknown,"));
    let small = ["--global-size", "32", "--local-size", "32", "--width", "8", "--epochs", "2", "--backend", "flex"];
    let teacher = dir.path().join("teacher");
    let o = jointscope(&[&["train", "--manifest", m, "--run", teacher.to_str().unwrap()][..], &small].concat());
    assert!(o.status.success(), "{}", text(&o));
    let student = dir.path().join("student");
    let o = jointscope(&[
        &["train", "--manifest", m, "--run", student.to_str().unwrap(), "--teacher", teacher.to_str().unwrap(), "--pseudo-confidence", "0.6"][..],
        &small,
    ]
    .concat());
    assert!(o.status.success(), "{}", text(&o));
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(student.join("model.json")).unwrap()).unwrap();
    let added = meta["pseudo_labels"][0].as_u64().unwrap() + meta["pseudo_labels"][1].as_u64().unwrap();
    assert!(added > 0, "no pseudo-labels: {meta}");
    assert_clean_failure(
        &jointscope(&[&["train", "--manifest", m, "--run", dir.path().join("x").to_str().unwrap(), "--teacher", dir.path().join("none").to_str().unwrap()][..], &small].concat()),
        "no trained model",
    );
}

/// Kill (SIGKILL) a training run each time a new checkpoint appears — sometimes mid-save — and
/// resume it, three times: the run always resumes from its last complete checkpoint and finishes
/// with the full history, a loadable model and a best epoch it actually saw.
#[test]
fn a_killed_training_resumes_from_its_last_complete_checkpoint() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = jointscope(&["synth", "--out", data.to_str().unwrap(), "--patients", "16", "--healthy", "0", "--size", "128", "--seed", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    let run = dir.path().join("run");
    let (m, r) = (data.join("manifest.csv"), run.to_str().unwrap().to_string());
    let epochs = 8;
    let train = |resume: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_jointscope"));
        c.args(["train", "--run", &r, "--backend", "flex", "--quiet"]);
        if resume {
            c.arg("--resume");
        } else {
            c.args(["--manifest", m.to_str().unwrap(), "--epochs", &epochs.to_string(), "--global-size", "32", "--local-size", "32", "--width", "8"]);
        }
        c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
        c.spawn().expect("the binary runs")
    };
    let complete = |n: usize| run.join(format!("checkpoints/epoch-{n:04}/state.json")).exists();
    let mut kills = Vec::new();
    let mut child = train(false);
    for round in 0..3 {
        // Kill as soon as the next checkpoint folder (temporary or complete) shows up.
        let next = 1 + (0..=epochs).rev().find(|&n| complete(n)).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(300);
        while !run.join(format!("checkpoints/epoch-{next:04}.tmp")).exists() && !complete(next) {
            assert!(child.try_wait().unwrap().is_none(), "training ended before kill {round}");
            assert!(Instant::now() < deadline, "no checkpoint {next} within 300 s");
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        kills.push(next);
        child = train(true);
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "after kills at checkpoints {kills:?}: {}", String::from_utf8_lossy(&out.stderr));
    let history = std::fs::read_to_string(run.join("history.csv")).unwrap();
    let epochs_seen: Vec<usize> = history.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(epochs_seen, (1..=epochs).collect::<Vec<_>>(), "{history}");
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("model.json")).unwrap()).unwrap();
    let best = meta["best_epoch"].as_u64().unwrap() as usize;
    assert!((1..=epochs).contains(&best));
    let o = jointscope(&["evaluate", "--run", &r]);
    assert!(o.status.success(), "{}", text(&o));
}
