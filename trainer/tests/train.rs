//! `jointscope train`: every option trains, runs resume, the same seed trains the same model, and splits that cannot train are refused.
mod common;
use common::*;

#[test]
fn a_run_interrupted_after_its_first_epoch_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let run = stopped_after_first_epoch(dir.path());
    ok(&jointscope(&["train", "--run", run.to_str().unwrap(), "--resume", "--backend", "flex"]));
    assert!(run.join("model.json").exists());
    let history = std::fs::read_to_string(run.join("history.csv")).unwrap();
    assert_eq!(history.lines().count(), 3, "{history}");
    // With the optimiser's state restored too, the resumed run is the uninterrupted one.
    ok(&jointscope(&["evaluate", "--run", run.to_str().unwrap(), "--resamples", "0"]));
    assert_predicts_as_the_demo(&run);
}

/// A copy of the demo's run in `dir` as if it had stopped after its first epoch.
fn stopped_after_first_epoch(dir: &std::path::Path) -> std::path::PathBuf {
    let run = dir.join("run");
    copy_dir(&demo().out.join("run"), &run);
    std::fs::remove_dir_all(run.join("checkpoints/epoch-0002")).unwrap();
    std::fs::remove_file(run.join("model.json")).unwrap();
    run
}

/// The evaluated `run` predicts exactly what the demo's uninterrupted run predicts.
fn assert_predicts_as_the_demo(run: &std::path::Path) {
    let predictions = |r: &std::path::Path| std::fs::read_to_string(r.join("eval/predictions.csv")).unwrap();
    assert!(predictions(run) == predictions(&demo().out.join("run")), "the resumed run predicts differently");
}

/// A checkpoint that cannot be written (the disk full) stops the run with the reason, leaves its
/// last complete checkpoint and no temporary folder, and the run resumes from there to the model
/// the uninterrupted run trained.
#[cfg(target_os = "linux")]
#[test]
fn a_checkpoint_that_cannot_be_written_keeps_the_last_one_and_the_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let run = stopped_after_first_epoch(dir.path());
    // Files may grow past the weights but not to the optimiser's state: epoch 2's best weights are
    // written, its checkpoint (which holds the optimiser's state) is not.
    let size = |f: &str| std::fs::metadata(run.join("checkpoints/epoch-0001").join(f)).unwrap().len();
    let (weights, optimiser) = (size("model.bpk"), size("optim.bpk"));
    assert!(weights < optimiser, "{weights} {optimiser}");
    let r = run.to_str().unwrap();
    let o = jointscope_with_file_limit((weights + optimiser) / 2 / 1024, &["train", "--run", r, "--resume", "--backend", "flex"]);
    assert_clean_failure(&o, "epoch-0002.tmp/optim.bpk: File too large");
    assert!(run.join("checkpoints/epoch-0001/state.json").exists(), "the last good checkpoint is gone");
    assert_eq!(debris(&run), Vec::<String>::new());
    assert_eq!(debris(&run.join("checkpoints")), Vec::<String>::new());
    ok(&jointscope(&["train", "--run", r, "--resume", "--backend", "flex"]));
    ok(&jointscope(&["evaluate", "--run", r, "--resamples", "0"]));
    assert_predicts_as_the_demo(&run);
}

/// A manifest edited between a run's epochs (relabelled) is refused when the run resumes, and the
/// run goes on once the manifest it started with is back.
#[test]
fn a_run_whose_manifest_changed_is_refused_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let same = |_: &str, _: &str, l: &str| l.to_string();
    let m = relabelled(dir.path(), "manifest.csv", &|_| true, &same);
    let run = dir.path().join("run");
    ok(&train_tiny(&m, &run));
    std::fs::remove_file(run.join("model.json")).unwrap(); // as if stopped after its checkpoint
    let original = std::fs::read(&m).unwrap();
    relabelled(dir.path(), "manifest.csv", &|_| true, &|p, j, l| if j == "MCP3" && l == "0" && p.ends_with('1') { "1".into() } else { l.into() });
    assert_ne!(std::fs::read(&m).unwrap(), original, "the relabelling changed nothing");
    let r = run.to_str().unwrap();
    assert_clean_failure(&jointscope(&["train", "--run", r, "--resume", "--backend", "flex"]), "has changed since this run started");
    assert!(!run.join("model.json").exists());
    std::fs::write(&m, original).unwrap();
    ok(&jointscope(&["train", "--run", r, "--resume", "--backend", "flex"]));
}

#[test]
fn a_second_training_into_a_run_folder_is_refused() {
    let out = &demo().out;
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    copy_dir(&out.join("run"), &run);
    let m = out.join("data/manifest.csv");
    assert_clean_failure(&jointscope(&["train", "--run", run.to_str().unwrap(), "--manifest", m.to_str().unwrap()]), "already holds a run");
}

#[test]
fn every_architecture_loss_mix_and_the_balanced_sampler_train() {
    let m = demo().out.join("data/manifest.csv");
    let dir = tempfile::tempdir().unwrap();
    for (arch, loss, mix) in [("global", "focal", "none"), ("local", "class-balanced", "cutmix"), ("global-local", "logit-adjusted", "cut-keep")] {
        let r = dir.path().join(format!("run-{arch}"));
        ok(&jointscope(&[
            "train",
            "--manifest",
            m.to_str().unwrap(),
            "--run",
            r.to_str().unwrap(),
            "--backend",
            "flex",
            "--arch",
            arch,
            "--loss",
            loss,
            "--mix",
            mix,
            "--sampler",
            "class-balanced",
            "--epochs",
            "1",
            "--global-size",
            "32",
            "--local-size",
            "32",
            "--width",
            "8",
        ]));
        assert!(read_json(&r.join("model.json"))["temperature"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn training_from_mediapipes_network_records_it_and_exports_weights_that_detect_uses() {
    let out = &demo().out;
    let dir = tempfile::tempdir().unwrap();
    let (run, export) = (dir.path().join("run"), dir.path().join("export"));
    ok(&jointscope(&[
        "train",
        "--manifest",
        out.join("data/manifest.csv").to_str().unwrap(),
        "--run",
        run.to_str().unwrap(),
        "--init",
        "mediapipe",
        "--arch",
        "local",
        "--local-size",
        "64",
        "--global-size",
        "64",
        "--width",
        "8",
        "--epochs",
        "1",
        "--backend",
        "flex",
    ]));
    let meta = read_json(&run.join("model.json"));
    assert_eq!(meta["model"]["encoder"], "mediapipe");
    assert!(meta["initialisation"].as_str().unwrap().starts_with("MediaPipe hand_landmark_full.tflite (sha256 "), "{}", meta["initialisation"]);
    ok(&jointscope(&["export", "--run", run.to_str().unwrap(), "--out", export.to_str().unwrap(), "--force"]));
    let sidecar = read_json(&export.join("jointscope.json"));
    assert_eq!(sidecar["architecture"]["encoder"], "mediapipe");
    assert_eq!(sidecar["initialisation"], meta["initialisation"]);
    // The exported weights judge a photo's 11 joints, loaded as the browser loads them.
    let predictions = csv::Reader::from_path(out.join("run/eval/predictions.csv")).unwrap().records().next().unwrap().unwrap();
    let json = dir.path().join("detect.json");
    ok(&jointscope(&[
        "detect",
        "--weights",
        export.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        out.join("data").join(&predictions[0]).to_str().unwrap(),
    ]));
    assert_eq!(read_json(&json)[0]["detection"]["hands"][0]["joints"].as_array().unwrap().len(), 11);
}

#[test]
fn the_mediapipe_encoder_refuses_crops_it_cannot_take() {
    let out = &demo().out;
    let dir = tempfile::tempdir().unwrap();
    let o = jointscope(&[
        "train",
        "--manifest",
        out.join("data/manifest.csv").to_str().unwrap(),
        "--run",
        dir.path().join("run").to_str().unwrap(),
        "--init",
        "mediapipe",
        "--local-size",
        "32",
        "--global-size",
        "64",
        "--width",
        "8",
        "--epochs",
        "1",
        "--backend",
        "flex",
    ]);
    assert_clean_failure(&o, "local_size = 32: the mediapipe encoder needs 64 or 128 pixels");
    assert!(!dir.path().join("run/model.json").exists());
}

#[test]
fn the_same_seed_trains_the_same_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = jointscope(&["demo", "--quick", "--backend", "flex", "--out", out.to_str().unwrap(), "--seed", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    // The same seed trains the same model and reports the same figures.
    let again = dir.path().join("again");
    let o = jointscope(&["demo", "--quick", "--backend", "flex", "--out", again.to_str().unwrap(), "--seed", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    // (Weight files differ in their random parameter ids, and the runs in their folders, so compare
    // what the weights predict.)
    let f = "run/eval/predictions.csv";
    assert!(std::fs::read_to_string(out.join(f)).unwrap() == std::fs::read_to_string(again.join(f)).unwrap(), "{f} differs");
    let (a, b) = (read_json(&out.join("run/eval/metrics.json")), read_json(&again.join("run/eval/metrics.json")));
    for key in ["report", "per_joint", "ece", "ece_uncalibrated", "temperature", "patients"] {
        assert_eq!(a[key], b[key], "{key} differs between identical runs");
    }
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
    let o = jointscope(
        &[&["train", "--manifest", m, "--run", student.to_str().unwrap(), "--teacher", teacher.to_str().unwrap(), "--pseudo-confidence", "0.6"][..], &small]
            .concat(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(student.join("model.json")).unwrap()).unwrap();
    let added = meta["pseudo_labels"][0].as_u64().unwrap() + meta["pseudo_labels"][1].as_u64().unwrap();
    assert!(added > 0, "no pseudo-labels: {meta}");
    assert_clean_failure(
        &jointscope(
            &[&["train", "--manifest", m, "--run", dir.path().join("x").to_str().unwrap(), "--teacher", dir.path().join("none").to_str().unwrap()][..], &small]
                .concat(),
        ),
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
        let mut c = command();
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

#[test]
fn training_refuses_a_manifest_without_an_inflamed_joint() {
    let dir = tempfile::tempdir().unwrap();
    let m = relabelled(dir.path(), "healthy.csv", &|_| true, &|_, _, _| "0".into());
    let o = train_tiny(&m, &dir.path().join("run"));
    assert_clean_failure(&o, "the training split (12 patients) has 0 inflamed and 264 healthy labelled joints; it needs at least 1 of each");
    assert!(!dir.path().join("run/model.json").exists());
}

#[test]
fn training_refuses_when_only_the_test_patients_have_inflamed_joints() {
    let dir = tempfile::tempdir().unwrap();
    // A first (refused) attempt leaves the run's seeded patient split behind; a new run folder
    // holding that split trains on it.
    let all_healthy = relabelled(dir.path(), "healthy.csv", &|_| true, &|_, _, _| "0".into());
    let _ = train_tiny(&all_healthy, &dir.path().join("first"));
    let split = read_json(&dir.path().join("first/split.json"));
    let test: Vec<String> = split["test"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    assert!(!test.is_empty());
    let m = relabelled(dir.path(), "test-only.csv", &|_| true, &|p, j, _| if test.iter().any(|t| t == p) && j == "MCP2" { "1".into() } else { "0".into() });
    let run = dir.path().join("second");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(dir.path().join("first/split.json"), run.join("split.json")).unwrap();
    assert_clean_failure(&train_tiny(&m, &run), "the training split (12 patients) has 0 inflamed");
}

#[test]
fn training_on_three_patients_warns_that_threshold_and_intervals_are_unreliable() {
    let dir = tempfile::tempdir().unwrap();
    let three = ["p0001", "p0002", "p0003"];
    let m = relabelled(dir.path(), "three.csv", &|p| three.contains(&p), &|_, j, _| if j == "MCP2" { "1".into() } else { "0".into() });
    let o = train_tiny(&m, &dir.path().join("run"));
    let t = ok(&o);
    assert!(
        t.contains("warning: the validation split has 1 patient and 2 inflamed joints (fewer than 5 patients or 10 inflamed joints): the threshold"),
        "{t}"
    );
    assert!(t.contains("warning: the test split has 1 patient and 2 inflamed joints (fewer than 5 patients or 10 inflamed joints): its bootstrap"), "{t}");
}
