//! The benchmark commands (`bench`, `locate-bench`): they run, time what they say, and refuse what they cannot measure.
mod common;
use common::*;

#[test]
fn the_detection_benchmark_runs_on_the_export() {
    let export = demo().out.join("export");
    let dir = tempfile::tempdir().unwrap();
    let figures = dir.path().join("bench-detect.json");
    ok(&jointscope(&[
        "bench",
        "detect",
        "--weights",
        export.to_str().unwrap(),
        "--hands",
        "2",
        "--inputs",
        "1",
        "--repeats",
        "1",
        "--json",
        figures.to_str().unwrap(),
    ]));
    let fig = read_json(&figures);
    assert!(fig["median_ms"].as_f64().unwrap() > 0.0 && fig["config"].as_str().unwrap().starts_with("2 hand(s) drawn per 640×320 photo"), "{fig}");
}

#[test]
fn the_detection_benchmark_times_each_stage_of_photo_files() {
    let export = demo().out.join("export");
    let dir = tempfile::tempdir().unwrap();
    let figures = dir.path().join("bench-detect.json");
    let photo = jointscope_test_support::real_hand("11k_f_d.jpg");
    let args =
        ["bench", "detect", "--weights", export.to_str().unwrap(), "--photo", photo.to_str().unwrap(), "--repeats", "1", "--json", figures.to_str().unwrap()];
    let printed = ok(&jointscope(&args));
    let fig = read_json(&figures);
    let stages: Vec<&str> = fig["stages"].as_array().unwrap().iter().map(|s| s[0].as_str().unwrap()).collect();
    // One hand in the photo, default options (no second landmark pass); the demo's export has
    // MediaPipe's feature summary, so the appearance stage runs.
    assert_eq!(stages, ["decode", "palm", "landmarks", "crops", "appearance", "classifier", "quality"], "{fig}");
    assert!(fig["stages"].as_array().unwrap().iter().all(|s| s[1].as_f64().unwrap() > 0.0), "{fig}");
    assert!(fig["config"].as_str().unwrap().starts_with("1 photo file(s), decoding included; found 1.0 hands"), "{fig}");
    assert!(printed.contains("  appearance "), "{printed}");
}

#[test]
#[cfg(not(any(feature = "ndarray", feature = "libtorch")))]
fn a_backend_left_out_of_the_build_is_a_clear_error() {
    assert_clean_failure(
        &jointscope(&["bench", "train", "--backend", "ndarray"]),
        "built without burn's ndarray backend: build it with `cargo build --release --features ndarray`",
    );
    assert_clean_failure(
        &jointscope(&["bench", "train", "--backend", "libtorch"]),
        "built without burn's LibTorch backend: build it with `LIBTORCH_USE_PYTORCH=1 cargo build --release --features libtorch`",
    );
}

#[test]
fn benchmarks_refuse_what_they_cannot_measure_without_panicking() {
    let export = demo().out.join("export");
    let ex = export.to_str().unwrap();
    assert_clean_failure(&jointscope(&["bench", "detect", "--weights", ex, "--hands", "3"]), "at most 2 hands");
    assert_clean_failure(&jointscope(&["bench", "detect", "--weights", ex, "--size", "20000"]), "the limits are");
    assert_clean_failure(&jointscope(&["bench", "detect", "--weights", ex, "--photo", "no-such-photo.jpg"]), "reading no-such-photo.jpg");
    assert_clean_failure(&jointscope(&["bench", "train", "--steps", "0"]), "and 1 timed step (--steps), got 8 and 0");
    assert_clean_failure(&jointscope(&["bench", "layers", "--steps", "0"]), "1 timed run (--steps), got 8 and 0");
    let inputs = tempfile::tempdir().unwrap();
    let file = inputs.path().join("in.f32");
    let f = file.to_str().unwrap();
    assert_clean_failure(
        &jointscope(&["bench", "landmarks", "--inputs", "0", "--inputs-file", f]),
        "at least 1 input (--inputs) and 1 timed run (--repeats), got 0 and 5",
    );
    assert_clean_failure(&jointscope(&["bench", "landmarks", "--repeats", "0", "--inputs-file", f]), "got 8 and 0");
    let out = inputs.path().join("lb");
    assert_clean_failure(&jointscope(&["locate-bench", "--hands", "0", "--out", out.to_str().unwrap()]), "at least 1 hand");
}

#[test]
fn locate_bench_on_real_photos_measures_against_a_reference_and_draws_both() {
    let photo = jointscope_test_support::real_hand("11k_f_d.jpg");
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::copy(&photo, photos.join("hand.jpg")).unwrap();
    // The reference: our own landmarks (from detect) moved 12 px to the right.
    let json = dir.path().join("detect.json");
    ok(&jointscope(&[
        "detect",
        "--weights",
        demo().out.join("export").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        photos.join("hand.jpg").to_str().unwrap(),
    ]));
    let hand = &read_json(&json)[0]["detection"]["hands"][0];
    let lm: Vec<[f64; 2]> = hand["landmarks"].as_array().unwrap().iter().map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()]).collect();
    let size = (lm[0][0] - lm[9][0]).hypot(lm[0][1] - lm[9][1]);
    let moved: Vec<[f64; 3]> = lm.iter().map(|p| [p[0] + 12.0, p[1], 0.0]).collect();
    let reference = dir.path().join("google.json");
    std::fs::write(&reference, serde_json::json!([{ "photo": "elsewhere/hand.jpg", "hands": [{ "handedness": "right", "landmarks": moved }] }]).to_string())
        .unwrap();
    let out = dir.path().join("bench");
    let t = ok(&jointscope(&["locate-bench", "--real", photos.to_str().unwrap(), "--reference", reference.to_str().unwrap(), "--out", out.to_str().unwrap()]));
    let row = &read_json(&out.join("real-photos.json"))[0];
    assert_eq!((row["ours"].as_u64(), row["google"].as_u64()), (Some(1), Some(1)), "{t}");
    let (mean, max) = (row["matched"][0][2].as_f64().unwrap(), row["matched"][0][3].as_f64().unwrap());
    // Every landmark is 12 px from its reference: mean and max are 12 px in hand sizes (measured
    // within 7.9e-9, f32 rounding and the JSON's decimals: 10× margin).
    assert!((mean - 12.0 / size).abs() < 1e-7 && (max - 12.0 / size).abs() < 1e-7, "{mean} {max} vs {}", 12.0 / size);
    // The 1600 × 1200 photo is drawn at 800 × 600.
    assert_eq!(image::image_dimensions(out.join("overlay/hand.png")).unwrap(), (800, 600));
    std::fs::write(&reference, "[{\"not\": 1}]").unwrap();
    assert_clean_failure(
        &jointscope(&["locate-bench", "--real", photos.to_str().unwrap(), "--reference", reference.to_str().unwrap(), "--out", out.to_str().unwrap()]),
        "is not scripts/mediapipe_reference.py's output",
    );
}
