//! One hand to draw: the patient's look and each joint's severity.
use jointscope_data::{Hand, Joint, View};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// One image to draw: who, which hand, and each joint's severity (0 = healthy).
#[derive(Debug, Clone)]
pub struct HandSpec {
    pub hand: Hand,
    pub view: View,
    /// Each joint's severity of inflammation: what its label says (inflamed when above 0).
    pub severity: [f32; Joint::COUNT],
    /// How much of each joint's severity shows in the photo: 1, or the occult visibility for an
    /// occult joint ([`Disease::occult_fraction`]).
    pub visible: [f32; Joint::COUNT],
    pub traits: PatientTraits,
}

impl HandSpec {
    /// A hand whose signs all show.
    pub fn new(hand: Hand, view: View, severity: [f32; Joint::COUNT], traits: PatientTraits) -> Self {
        HandSpec { hand, view, severity, visible: [1.0; Joint::COUNT], traits }
    }

    /// A healthy hand.
    pub fn healthy(hand: Hand, view: View, traits: PatientTraits) -> Self {
        Self::new(hand, view, [0.0; Joint::COUNT], traits)
    }
}

/// What stays the same across a patient's photos.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PatientTraits {
    pub skin: [f32; 3],
    pub width: f32,
    pub knuckle_bulk: f32,
    pub knuckle_redness: f32,
    pub crease: f32,
    pub proportions: f32,
}

pub(crate) const SKIN_TONES: [[f32; 3]; 6] =
    [[236.0, 200.0, 176.0], [224.0, 174.0, 140.0], [198.0, 138.0, 104.0], [164.0, 110.0, 78.0], [124.0, 82.0, 58.0], [86.0, 56.0, 40.0]];

impl PatientTraits {
    pub fn sample(rng: &mut impl Rng) -> Self {
        let t = rng.random_range(0.0..(SKIN_TONES.len() - 1) as f32);
        let (i, f) = (t.floor() as usize, t.fract());
        let mut skin = [0.0; 3];
        for c in 0..3 {
            skin[c] = SKIN_TONES[i][c] * (1.0 - f) + SKIN_TONES[i + 1][c] * f;
        }
        Self {
            skin,
            width: rng.random_range(0.9..1.12),
            knuckle_bulk: rng.random_range(0.05..0.45),
            knuckle_redness: rng.random_range(0.0..0.45),
            crease: rng.random_range(0.12..0.35),
            proportions: rng.random_range(0.94..1.06),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Geometry in hand units: wrist at the origin, fingers towards -y, a right hand seen from the back
// (thumb towards -x). About 0.47 units from wrist to the middle finger's MCP.
