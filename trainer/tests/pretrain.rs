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
        "pretrain", "--manifest", healthy.to_str().unwrap(), "--out", pre.to_str().unwrap(), "--epochs", "2", "--batch", "4", "--global-size", "32",
        "--local-size", "32", "--width", "8", "--backend", "flex",
    ]));
    assert!(pre.join("encoders.bpk").exists() && pre.join("pretrain.json").exists());
    let m = out.join("data/manifest.csv");
    let train = |run: &str, width: &str| {
        let r = dir.path().join(run);
        jointscope(&[
            "train", "--manifest", m.to_str().unwrap(), "--run", r.to_str().unwrap(), "--backend", "flex", "--epochs", "1", "--global-size", "32",
            "--local-size", "32", "--init", pre.to_str().unwrap(), "--width", width,
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
            "pretrain", "--photos", real.to_str().unwrap(), "--out", out.to_str().unwrap(), "--objective", "masked", "--epochs", "1", "--batch", "4",
            "--global-size", "32", "--local-size", "32", "--width", "8", "--backend", "flex",
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
