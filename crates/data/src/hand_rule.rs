//! The verdict on a whole hand: whether it shows inflammation anywhere, from its joints'
//! probabilities, as the study behind the anchor clinic app reports per photo (its largest joint
//! probability against a hand-level threshold). Chosen and thresholded on validation by the
//! trainer; carried with the weights so the browser judges a hand exactly as `evaluate` did.
use serde::{Deserialize, Serialize};

/// How a hand's score is made from its joints' probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub enum HandScore {
    /// The largest joint probability.
    Max,
    /// 1 − Π(1 − p): the chance that at least one joint is inflamed were the joints independent.
    NoisyOr,
}

impl HandScore {
    /// Every form, in the order a tie is settled (the first wins).
    pub const ALL: [HandScore; 2] = [HandScore::Max, HandScore::NoisyOr];

    /// The name in files (serde's): `max`, `noisy-or`.
    pub fn name(self) -> &'static str {
        match self {
            HandScore::Max => "max",
            HandScore::NoisyOr => "noisy-or",
        }
    }

    /// The score of a hand with these joint probabilities (`None` for a hand with none).
    pub fn score(self, probs: &[f32]) -> Option<f32> {
        if probs.is_empty() {
            return None;
        }
        Some(match self {
            HandScore::Max => probs.iter().copied().fold(f32::MIN, f32::max),
            HandScore::NoisyOr => 1.0 - probs.iter().map(|p| 1.0 - p.clamp(0.0, 1.0)).product::<f32>(),
        })
    }
}

/// The hand-level rule: the score's form and its threshold (flagged at or above it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct HandRule {
    pub score: HandScore,
    pub threshold: f32,
}

/// A hand's verdict under a [`HandRule`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct HandVerdict {
    /// The hand's score (the rule's form of its joints' probabilities).
    pub score: f32,
    /// `score` ≥ the rule's threshold.
    pub flagged: bool,
}

impl HandRule {
    /// The verdict on a hand with these joint probabilities (`None` for a hand with none).
    pub fn judge(&self, probs: &[f32]) -> Option<HandVerdict> {
        let score = self.score.score(probs)?;
        Some(HandVerdict { score, flagged: score >= self.threshold })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_serdes() {
        for form in HandScore::ALL {
            assert_eq!(serde_json::to_value(form).unwrap(), form.name());
        }
    }

    #[test]
    fn max_is_the_largest_probability() {
        assert_eq!(HandScore::Max.score(&[0.1, 0.7, 0.3]), Some(0.7));
    }

    #[test]
    fn noisy_or_is_one_minus_the_product_of_the_complements() {
        // 1 − 0.9 × 0.5 × 0.8 = 0.64; f32 gives 0.64 − 1.4e-8 (the bound allows 70×).
        assert!((HandScore::NoisyOr.score(&[0.1, 0.5, 0.2]).unwrap() - 0.64).abs() < 1e-6);
    }

    #[test]
    fn a_hand_without_joints_has_no_score() {
        assert_eq!(HandScore::Max.score(&[]), None);
        assert_eq!(HandRule { score: HandScore::NoisyOr, threshold: 0.5 }.judge(&[]), None);
    }

    #[test]
    fn the_threshold_itself_is_flagged() {
        let rule = HandRule { score: HandScore::Max, threshold: 0.4 };
        assert_eq!(rule.judge(&[0.2, 0.4]), Some(HandVerdict { score: 0.4, flagged: true }));
        assert_eq!(rule.judge(&[0.2, 0.39]).map(|v| v.flagged), Some(false));
    }
}
