//! After training: temperature scaling (Guo et al. 2017) and the decision threshold, both fitted
//! on the validation patients' predictions with the best weights.
use crate::predict::Prediction;
use jointscope_data::{HandRule, HandScore, Objective};
use jointscope_metrics::{best_threshold, fit_temperature};
use jointscope_model::probability;
use serde::{Deserialize, Serialize};

/// Lowest and highest temperature [`fit_temperature`] searches; a fit at either bound means the
/// validation logits carry almost no ranking information (or are wildly over-confident).
pub const TEMPERATURE_BOUNDS: (f32, f32) = (0.05, 20.0);

/// The temperature and threshold a run exports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub temperature: f32,
    pub threshold: f32,
    /// Fraction of the validation joints at or above the threshold.
    pub flagged: f64,
}

/// Fit the temperature to the raw validation logits, then choose the threshold on the
/// calibrated probabilities to maximise `objective`.
pub fn calibrate(raw: &[Prediction], objective: Objective) -> Calibration {
    let logits: Vec<f32> = raw.iter().map(|p| p.logit).collect();
    let labels: Vec<bool> = raw.iter().map(|p| p.target > 0.5).collect();
    let temperature = fit_temperature(&logits, &labels);
    let calibrated: Vec<f32> = logits.iter().map(|&x| probability(x, temperature)).collect();
    let threshold = best_threshold(&calibrated, &labels, objective);
    let flagged = calibrated.iter().filter(|&&p| p >= threshold).count() as f64 / calibrated.len().max(1) as f64;
    Calibration { temperature, threshold, flagged }
}

/// One hand's joints: its photo, its joints' calibrated probabilities, and whether any of its
/// labelled joints is inflamed.
#[derive(Debug, Clone, PartialEq)]
pub struct HandJoints {
    pub photo: usize,
    pub probs: Vec<f32>,
    pub inflamed: bool,
}

/// The predictions grouped by hand (one photo holds one hand), in photo order.
pub fn by_hand(preds: &[Prediction]) -> Vec<HandJoints> {
    let mut hands: std::collections::BTreeMap<usize, HandJoints> = std::collections::BTreeMap::new();
    for p in preds {
        let h = hands.entry(p.photo).or_insert(HandJoints { photo: p.photo, probs: Vec::new(), inflamed: false });
        h.probs.push(p.prob);
        h.inflamed |= p.target > 0.5;
    }
    hands.into_values().collect()
}

/// The hand-level rule fitted on the validation hands (their joints' calibrated probabilities):
/// the score form of [`HandScore::ALL`] with the higher ROC-AUC (a tie keeps the earlier), and its
/// threshold maximising `objective`. `None` when validation lacks a hand with or without an
/// inflamed joint (no ranking can be measured).
pub fn hand_rule(valid: &[Prediction], objective: Objective) -> Option<HandRule> {
    let hands = by_hand(valid);
    let labels: Vec<bool> = hands.iter().map(|h| h.inflamed).collect();
    if !labels.contains(&true) || !labels.contains(&false) {
        return None;
    }
    let scores = |form: HandScore| -> Vec<f32> { hands.iter().map(|h| form.score(&h.probs).expect("a hand has a joint")).collect() };
    let auc = |form: HandScore| jointscope_metrics::roc_auc(&scores(form), &labels).unwrap_or(f64::NAN);
    let mut best = HandScore::ALL[0];
    for form in &HandScore::ALL[1..] {
        if auc(*form) > auc(best) {
            best = *form;
        }
    }
    Some(HandRule { score: best, threshold: best_threshold(&scores(best), &labels, objective) })
}

impl Calibration {
    /// Why these values should not be used, if they should not: a threshold at 0 or 1, or one that
    /// flags every validation joint or none, and a temperature at a search bound (the fit ran out
    /// of range: the logits carry no usable ranking).
    pub fn degenerate(&self) -> Option<String> {
        let (lo, hi) = TEMPERATURE_BOUNDS;
        if self.flagged >= 1.0 {
            Some(format!("the threshold {:.4} flags every validation joint as inflamed", self.threshold))
        } else if self.flagged <= 0.0 {
            Some(format!("the threshold {:.4} flags no validation joint as inflamed", self.threshold))
        } else if self.threshold <= 1e-6 {
            Some(format!("the threshold is {:.6}: every joint would be called inflamed", self.threshold))
        } else if self.threshold >= 1.0 - 1e-6 {
            Some(format!("the threshold is {:.6}: no joint could be called inflamed", self.threshold))
        } else if self.temperature <= lo * 1.01 || self.temperature >= hi * 0.99 {
            Some(format!("the temperature {:.3} is at the bound of its search ({lo}..{hi}): the validation logits do not calibrate", self.temperature))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(logit: f32, target: f32) -> Prediction {
        Prediction { photo: 0, joint: jointscope_data::Joint::Mcp2, target, prob: 0.0, logit, cam: vec![], pooled: vec![] }
    }

    fn joint(photo: usize, prob: f32, inflamed: bool) -> Prediction {
        Prediction { photo, prob, target: f32::from(inflamed), ..pred(0.0, 0.0) }
    }

    #[test]
    fn a_hand_is_inflamed_when_any_of_its_joints_is() {
        let hands = by_hand(&[joint(3, 0.2, false), joint(1, 0.1, false), joint(3, 0.9, true), joint(1, 0.4, false)]);
        assert_eq!(
            hands,
            vec![HandJoints { photo: 1, probs: vec![0.1, 0.4], inflamed: false }, HandJoints { photo: 3, probs: vec![0.2, 0.9], inflamed: true }]
        );
    }

    #[test]
    fn the_hand_score_that_ranks_validation_better_is_chosen() {
        // Inflamed hand: three joints at 0.5 (max 0.5, noisy-OR 0.875); healthy hand: 0.6 and 0
        // (max 0.6, noisy-OR 0.6). Max ranks them the wrong way round, noisy-OR the right way.
        let valid = [joint(0, 0.5, true), joint(0, 0.5, false), joint(0, 0.5, false), joint(1, 0.6, false), joint(1, 0.0, false)];
        let rule = hand_rule(&valid, Objective::F1).unwrap();
        assert_eq!(rule.score, HandScore::NoisyOr);
        assert!(rule.threshold > 0.6 && rule.threshold <= 0.875, "{rule:?}");
    }

    #[test]
    fn a_tie_keeps_the_largest_probability() {
        // One joint per hand: both forms give the joint's probability.
        let valid = [joint(0, 0.8, true), joint(1, 0.3, false), joint(2, 0.1, false)];
        assert_eq!(hand_rule(&valid, Objective::F1).unwrap().score, HandScore::Max);
    }

    #[test]
    fn validation_without_an_inflamed_hand_gives_no_rule() {
        assert_eq!(hand_rule(&[joint(0, 0.8, false), joint(1, 0.3, false)], Objective::F1), None);
    }

    #[test]
    fn an_informative_model_calibrates_to_a_usable_threshold() {
        // 10 positives with logits −0.5..2.5 among 30 negatives with logits −3..0.6: overlapping classes.
        let mut raw: Vec<Prediction> = [-0.5, 0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 1.8, 2.0, 2.5].iter().map(|&x| pred(x, 1.0)).collect();
        raw.extend((0..30).map(|i| pred(-3.0 + 0.12 * i as f32, 0.0)));
        let c = calibrate(&raw, Objective::GMean);
        assert!(c.flagged > 0.0 && c.flagged < 1.0 && c.threshold > 0.0 && c.threshold < 1.0, "{c:?}");
        assert_eq!(c.degenerate(), None, "{c:?}");
    }

    #[test]
    fn perfectly_separated_validation_logits_drive_the_temperature_to_its_bound() {
        let raw: Vec<Prediction> = (0..40).map(|i| pred(if i % 4 == 0 { 2.0 } else { -2.0 }, f32::from(i % 4 == 0))).collect();
        let c = calibrate(&raw, Objective::GMean);
        assert!(c.degenerate().unwrap().contains("bound of its search"), "{c:?}");
    }

    #[test]
    fn identical_logits_give_a_threshold_that_flags_everything_and_is_refused() {
        let raw: Vec<Prediction> = (0..40).map(|i| pred(-2.4, f32::from(i % 10 == 0))).collect();
        let c = calibrate(&raw, Objective::GMean);
        assert_eq!(c.flagged, 1.0);
        assert!(c.degenerate().unwrap().contains("flags every validation joint"), "{c:?}");
    }

    #[test]
    fn a_temperature_at_its_bound_is_refused() {
        let c = Calibration { temperature: TEMPERATURE_BOUNDS.1, threshold: 0.3, flagged: 0.2 };
        assert!(c.degenerate().unwrap().contains("bound of its search"));
        assert_eq!(Calibration { temperature: 1.4, threshold: 0.3, flagged: 0.2 }.degenerate(), None);
    }
}
