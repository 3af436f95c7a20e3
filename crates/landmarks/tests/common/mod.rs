//! Helpers shared by the integration tests: seeded synthetic hands and the landmark error measure.
#![allow(dead_code)] // each test file uses a subset

use jointscope_data::geometry::Point;
use jointscope_data::{Hand, View};
use jointscope_dataset::synth::{HandSpec, PatientTraits, Rendered, render_hand};
use jointscope_landmarks::DetectedHand;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A healthy back-of-hand photo of `size`×`size` pixels, the same for the same seed.
pub fn synthetic_hand(seed: u64, hand: Hand, size: u32) -> Rendered {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let traits = PatientTraits::sample(&mut rng);
    let spec = HandSpec::healthy(hand, View::Dorsal, traits);
    render_hand(&spec, size, 1.0, &mut rng)
}

/// Mean distance of the 21 landmarks to the truth, in hand sizes (wrist to middle-finger MCP).
pub fn landmark_error(h: &DetectedHand, truth: &[Point; 21]) -> f32 {
    let scale = truth[0].dist(truth[9]);
    (0..21).map(|i| (h.landmarks[i][0] - truth[i].x).hypot(h.landmarks[i][1] - truth[i].y)).sum::<f32>() / 21.0 / scale
}

pub use jointscope_test_support::models_dir;

/// One hand as Google's pipeline reports it.
#[derive(serde::Deserialize, Debug)]
pub struct GoogleHand {
    pub handedness: String,
    pub landmarks: Vec<[f32; 3]>,
}

/// One photo's hands as Google's pipeline reports them.
#[derive(serde::Deserialize, Debug)]
pub struct GooglePhoto {
    pub hands: Vec<GoogleHand>,
}

/// Google's own pipeline (scripts/mediapipe_reference.py in the environment
/// scripts/setup-reference.sh makes) on `photos`: each on its own (still-image mode), or with
/// `video` as the frames of one clip in order (video mode: hands followed from frame to frame).
pub fn google(photos: &[std::path::PathBuf], video: bool) -> Vec<GooglePhoto> {
    use std::path::PathBuf;
    let venv = std::env::var_os("JOINTSCOPE_MEDIAPIPE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/jointscope/mediapipe"));
    let python = venv.join("bin/python");
    assert!(python.exists(), "{} is missing: run scripts/setup-reference.sh (scripts/test.sh does)", python.display());
    let script = jointscope_test_support::repo().join("scripts/mediapipe_reference.py");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("google.json");
    let mut command = std::process::Command::new(python);
    command.arg(script);
    if video {
        command.arg("--video");
    }
    let o = command.arg(&out).args(photos).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}
