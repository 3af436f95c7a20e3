//! The whole pipeline against Google's own (mediapipe==0.10.21's hand solution, static image mode,
//! full models; scripts/mediapipe_reference.py in the environment scripts/setup-reference.sh
//! makes) on the real photos of tests/data/real-hands: the same hands, the same handedness, and
//! landmarks within 0.02 hand sizes on average (0.05 at most) of Google's on every photo.

use burn::tensor::Device;
use jointscope_landmarks::{Complexity, DetectedHand, HandLandmarker, Options};
use std::path::PathBuf;

mod common;
use common::{GoogleHand, google, models_dir};

fn photos() -> Vec<PathBuf> {
    let dir = jointscope_test_support::real_hands_dir();
    let mut p: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "jpg")).collect();
    p.sort();
    p
}

/// Per landmark, the distance to Google's in Google's hand sizes (wrist to middle-finger MCP).
fn errors(ours: &DetectedHand, theirs: &GoogleHand) -> Vec<f32> {
    let g = &theirs.landmarks;
    let size = (g[0][0] - g[9][0]).hypot(g[0][1] - g[9][1]);
    (0..21).map(|i| (ours.landmarks[i][0] - g[i][0]).hypot(ours.landmarks[i][1] - g[i][1]) / size).collect()
}

/// A hand of ours matched to one of Google's: photo, Google's hand index, ours, errors.
type Matched = (String, String, bool, f32, f32);

/// Our hands matched to Google's (each of Google's to our nearest by mean error), as
/// (photo, Google's hand index, our hand, errors); and the photos' hand counts.
fn compare(options: Options) -> (Vec<Matched>, Vec<(String, usize, usize)>) {
    let photos = photos();
    let reference = google(&photos, false);
    let marker = HandLandmarker::from_dir(&models_dir(), Complexity::Full, &Device::flex(), options).unwrap();
    let (mut rows, mut counts) = (Vec::new(), Vec::new());
    for (path, g) in photos.iter().zip(&reference) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let img = jointscope_data::image_io::load_rgb(path).unwrap();
        let ours = marker.detect_blocking(&img).unwrap();
        counts.push((name.clone(), g.hands.len(), ours.len()));
        for theirs in &g.hands {
            let best = ours.iter().map(|h| (h, errors(h, theirs))).min_by(|a, b| mean(&a.1).total_cmp(&mean(&b.1)));
            if let Some((h, e)) = best {
                let side = format!("{:?}", h.handedness).to_lowercase();
                rows.push((name.clone(), theirs.handedness.clone(), side == theirs.handedness, mean(&e), e.iter().copied().fold(0.0, f32::max)));
            }
        }
    }
    (rows, counts)
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

#[test]
fn the_pipeline_finds_googles_hands_and_landmarks_on_real_photos() {
    let (rows, counts) = compare(Options::default());
    eprintln!("| photo | hands (Google / ours) |\n|---|---|");
    for (photo, g, o) in &counts {
        eprintln!("| {photo} | {g} / {o} |");
    }
    eprintln!("| photo | hand (Google) | same handedness | mean error | max error (hand sizes) |\n|---|---|---|---|---|");
    for (photo, hand, same, m, x) in &rows {
        eprintln!("| {photo} | {hand} | {same} | {m:.4} | {x:.4} |");
    }
    for (photo, g, o) in &counts {
        assert_eq!(g, o, "{photo}: Google found {g} hands, we found {o}");
    }
    for (photo, hand, same, m, x) in &rows {
        assert!(*same, "{photo}: handedness differs from Google's {hand}");
        assert!(*m <= 0.02 && *x <= 0.05, "{photo} ({hand}): mean {m:.4}, max {x:.4} hand sizes from Google's landmarks");
    }
}
