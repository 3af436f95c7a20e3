//! `jointscope pretrain`: on the healthy hands of a manifest or on a folder of photos, then fine-tuning from it.
mod common;
use common::*;

#[test]
fn pretraining_then_fine_tuning_and_a_width_mismatch_refused() {
    let out = &demo().out;
    let dir = tempfile::tempdir().unwrap();
    let pre = dir.path().join("pretrain");
    let healthy = out.join("data/healthy.csv");
    ok(&jointscope(&[
        "pretrain",
        "--manifest",
        healthy.to_str().unwrap(),
        "--out",
        pre.to_str().unwrap(),
        "--epochs",
        "2",
        "--batch",
        "4",
        "--global-size",
        "32",
        "--local-size",
        "32",
        "--width",
        "8",
        "--backend",
        "flex",
    ]));
    assert!(pre.join("encoders.bpk").exists() && pre.join("pretrain.json").exists());
    let m = out.join("data/manifest.csv");
    let train = |run: &str, width: &str| {
        let r = dir.path().join(run);
        jointscope(&[
            "train",
            "--manifest",
            m.to_str().unwrap(),
            "--run",
            r.to_str().unwrap(),
            "--backend",
            "flex",
            "--epochs",
            "1",
            "--global-size",
            "32",
            "--local-size",
            "32",
            "--init",
            pre.to_str().unwrap(),
            "--width",
            width,
        ])
    };
    ok(&train("run-init", "8"));
    assert_clean_failure(&train("run-init-wide", "12"), "was pretrained with");
}

#[test]
fn pretraining_on_a_folder_of_unlabelled_real_photos_locates_their_hands_first() {
    let real = jointscope_test_support::real_hands_dir();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pre");
    let args = |out: &std::path::Path| {
        jointscope(&[
            "pretrain",
            "--photos",
            real.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--objective",
            "masked",
            "--epochs",
            "1",
            "--batch",
            "4",
            "--global-size",
            "32",
            "--local-size",
            "32",
            "--width",
            "8",
            "--backend",
            "flex",
        ])
    };
    let t = ok(&args(&out));
    assert!(t.contains("9 of 11 photos show a hand MediaPipe finds"), "{t}");
    let rows = std::fs::read_to_string(out.join("photos.csv")).unwrap();
    assert_eq!(rows.lines().count(), 1 + 9 * 11);
    assert!(rows.lines().skip(1).all(|l| l.contains(",unknown,")));
    assert!(out.join("encoders.bpk").exists());
    // The manifest it wrote is not overwritten by a second run into the same folder.
    assert_clean_failure(&args(&out), "photos.csv exists already: not overwriting it");
}

#[test]
fn pretraining_on_a_folder_without_photos_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "no photos here").unwrap();
    let o = jointscope(&["pretrain", "--photos", dir.path().to_str().unwrap(), "--out", dir.path().join("pre").to_str().unwrap(), "--backend", "flex"]);
    assert_clean_failure(&o, "holds no .jpg, .jpeg or .png photos");
}

#[test]
fn a_pretraining_stopped_after_epoch_2_and_resumed_ends_with_the_uninterrupted_encoders() {
    let out = &demo().out;
    let dir = tempfile::tempdir().unwrap();
    let healthy = out.join("data/healthy.csv");
    let pretrain = |folder: &str, extra: &[&str]| {
        let mut args = vec![
            "pretrain",
            "--manifest",
            healthy.to_str().unwrap(),
            "--epochs",
            "4",
            "--batch",
            "4",
            "--global-size",
            "32",
            "--local-size",
            "32",
            "--width",
            "8",
            "--backend",
            "flex",
            "--objective",
            "masked",
        ];
        let f = dir.path().join(folder);
        args.extend(["--out", f.to_str().unwrap()]);
        args.extend(extra);
        (jointscope(&args), f)
    };
    let (whole, uninterrupted) = pretrain("whole", &[]);
    ok(&whole);
    let (first, stepped) = pretrain("stepped", &["--stop-after", "2"]);
    assert!(ok(&first).contains("paused after epoch 2 of 4"));
    assert!(!stepped.join("encoders.bpk").exists() && !stepped.join("pretrain.json").exists());
    // Started again without --resume, or resumed with other settings: refused, nothing lost.
    assert_clean_failure(&pretrain("stepped", &[]).0, "holds an unfinished pretraining");
    assert_clean_failure(&pretrain("stepped", &["--resume", "--lr", "0.001"]).0, "was started with other settings");
    ok(&pretrain("stepped", &["--resume"]).0);
    // The files' bytes differ by the parameters' random ids; the weights must not, to the bit.
    let (resumed, whole) = (encoder_outputs(&stepped), encoder_outputs(&uninterrupted));
    let differing = resumed.iter().zip(&whole).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
    assert_eq!((differing, resumed.len()), (0, whole.len()), "{differing} of {} encoder outputs differ after resuming", whole.len());
    let history = |f: &std::path::Path| read_json(&f.join("pretrain.json"))["history"].clone();
    assert_eq!(history(&stepped), history(&uninterrupted));
    // Finished: no checkpoint is left behind.
    assert!(!stepped.join("checkpoint").exists());
}

/// Both encoders of a pretraining folder (32-px views, width 8), loaded into a fresh model, on one
/// fixed input: equal outputs to the bit mean equal weights.
fn encoder_outputs(dir: &std::path::Path) -> Vec<f32> {
    use burn::tensor::{Device, Tensor, TensorData};
    use jointscope_model::{Arch, ModelConfig};
    let config = ModelConfig { arch: Arch::GlobalLocal, global_size: 32, local_size: 32, width: 8, ..ModelConfig::default() };
    let device = Device::flex();
    let net = jointscope_train::pretrain::init_from(dir, config.init(&device).unwrap(), &config).unwrap();
    let input =
        || Tensor::<4>::from_data(TensorData::new((0..3 * 32 * 32).map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0).collect::<Vec<_>>(), [1, 3, 32, 32]), &device);
    let out = |e: &Option<jointscope_model::Encoder>| e.as_ref().unwrap().forward(input()).into_data().try_to_vec::<f32>().unwrap();
    [out(&net.local), out(&net.global)].concat()
}

/// One epoch of masked pretraining from MediaPipe's weights on the demo's healthy hands into `pre`
/// (64-pixel crops, as MediaPipe's encoder needs), with `extra` options; what it printed.
fn pretrain_from_mediapipe(pre: &std::path::Path, extra: &[&str]) -> String {
    let healthy = demo().out.join("data/healthy.csv");
    let args = ["pretrain", "--manifest", healthy.to_str().unwrap(), "--out", pre.to_str().unwrap(), "--init", "mediapipe", "--objective", "masked"];
    let small = ["--epochs", "1", "--batch", "4", "--global-size", "64", "--local-size", "64", "--width", "8", "--backend", "flex"];
    ok(&jointscope(&[&args[..], &small, extra].concat()))
}

#[test]
fn pretraining_from_mediapipes_network_fine_tunes_only_a_mediapipe_encoder() {
    let out = &demo().out;
    let dir = tempfile::tempdir().unwrap();
    let pre = dir.path().join("pretrain-mp");
    pretrain_from_mediapipe(&pre, &[]);
    let meta = read_json(&pre.join("pretrain.json"));
    assert_eq!((meta["config"]["init_mediapipe"].as_bool(), meta["config"]["model"]["encoder"].as_str()), (Some(true), Some("mediapipe")), "{meta}");
    let m = out.join("data/manifest.csv");
    let train = |run: &str, encoder: &str| {
        let r = dir.path().join(run);
        jointscope(&[
            "train",
            "--manifest",
            m.to_str().unwrap(),
            "--run",
            r.to_str().unwrap(),
            "--backend",
            "flex",
            "--epochs",
            "1",
            "--arch",
            "local",
            "--global-size",
            "64",
            "--local-size",
            "64",
            "--width",
            "8",
            "--encoder",
            encoder,
            "--init",
            pre.to_str().unwrap(),
        ])
    };
    ok(&train("run-mp", "mediapipe"));
    assert_clean_failure(&train("run-plain", "plain"), "was pretrained with the mediapipe encoder; this model has the plain one");
}

/// The probe of a pretraining that started from MediaPipe's weights reads those weights too: the
/// comparison it needs is with its start, not only with random weights.
#[test]
fn probing_a_pretraining_from_mediapipe_compares_it_with_its_start() {
    let out = &demo().out;
    let dir = tempfile::tempdir().unwrap();
    let pre = dir.path().join("pretrain-mp");
    let m = out.join("data/manifest.csv");
    let printed = pretrain_from_mediapipe(&pre, &["--probe", m.to_str().unwrap()]);
    let rows: Vec<&str> = printed.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| encoder")).map(|l| l.split(" | ").next().unwrap()).collect();
    assert_eq!(rows, ["| random", "| MediaPipe's weights (the start)", "| pretrained"], "{printed}");
}
