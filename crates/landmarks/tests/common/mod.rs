//! Helpers shared by the integration tests: seeded synthetic hands and the landmark error measure.
#![allow(dead_code)] // each test file uses a subset

use jointscope_data::geometry::Point;
use jointscope_dataset::synth::{render_hand, HandSpec, PatientTraits, Rendered};
use jointscope_data::{Hand, View};
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
