//! Binary-classification metrics for joint-level detection: confusion counts, sensitivity,
//! specificity, precision, F1, G-mean, ROC-AUC, PR-AUC (average precision), threshold selection,
//! calibration error, and patient-clustered bootstrap confidence intervals. A metric the data
//! cannot define (sensitivity without positives, an AUC with one class) is `None`, never 0.
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub mod stats;

/// Counts at one threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    pub fn_: usize,
}

/// `a / b`, undefined (`None`) when `b` is 0.
fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Confusion {
    /// Count predictions `score >= threshold` against `labels`.
    pub fn at(scores: &[f32], labels: &[bool], threshold: f32) -> Self {
        let mut c = Confusion::default();
        for (&s, &y) in scores.iter().zip(labels) {
            match (s >= threshold, y) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, false) => c.tn += 1,
                (false, true) => c.fn_ += 1,
            }
        }
        c
    }
    /// Recall of the positive class; undefined without positives.
    pub fn sensitivity(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// Recall of the negative class; undefined without negatives.
    pub fn specificity(&self) -> Option<f64> {
        ratio(self.tn, self.tn + self.fp)
    }
    /// Positive predictive value; undefined when nothing is predicted positive.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }
    /// Harmonic mean of precision and sensitivity, 2·TP / (2·TP + FP + FN); undefined when there
    /// are no positives and none are predicted.
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
    /// Geometric mean of sensitivity and specificity; undefined without both classes.
    pub fn g_mean(&self) -> Option<f64> {
        Some((self.sensitivity()? * self.specificity()?).sqrt())
    }
}

/// Area under the ROC curve: the probability that a random positive outscores a random negative,
/// ties counting one half. `None` without both classes.
pub fn roc_auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let n_pos = labels.iter().filter(|y| **y).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mann–Whitney U with mid-ranks for ties.
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos * n_neg) as f64)
}

/// Points of the ROC curve (false-positive rate, true-positive rate), from (0,0) to (1,1).
pub fn roc_curve(scores: &[f32], labels: &[bool]) -> Vec<(f64, f64)> {
    let (p, n) = class_counts(labels);
    let r = |a, b| ratio(a, b).unwrap_or(0.0);
    curve(scores, labels, |tp, fp| (r(fp, n), r(tp, p)), (0.0, 0.0))
}

/// Points of the precision–recall curve (recall, precision).
pub fn pr_curve(scores: &[f32], labels: &[bool]) -> Vec<(f64, f64)> {
    let (p, _) = class_counts(labels);
    curve(scores, labels, |tp, fp| (ratio(tp, p).unwrap_or(0.0), ratio(tp, tp + fp).unwrap_or(1.0)), (0.0, 1.0))
}

fn class_counts(labels: &[bool]) -> (usize, usize) {
    let p = labels.iter().filter(|y| **y).count();
    (p, labels.len() - p)
}

fn curve(scores: &[f32], labels: &[bool], point: impl Fn(usize, usize) -> (f64, f64), start: (f64, f64)) -> Vec<(f64, f64)> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut out = vec![start];
    let (mut tp, mut fp) = (0, 0);
    for (k, &i) in idx.iter().enumerate() {
        if labels[i] {
            tp += 1
        } else {
            fp += 1
        }
        if k + 1 == idx.len() || scores[idx[k + 1]] != scores[i] {
            out.push(point(tp, fp));
        }
    }
    out
}

/// Average precision (area under the precision–recall curve, step-wise). `None` without positives.
pub fn pr_auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let (p, _) = class_counts(labels);
    if p == 0 {
        return None;
    }
    let pts = pr_curve(scores, labels);
    Some(pts.windows(2).map(|w| (w[1].0 - w[0].0) * w[1].1).sum())
}

pub use jointscope_data::Objective;

/// The value of `objective` at these counts (undefined as for [`Confusion`]).
pub fn objective_value(objective: Objective, c: &Confusion) -> Option<f64> {
    match objective {
        Objective::F1 => c.f1(),
        Objective::GMean => c.g_mean(),
    }
}

/// The threshold that maximises `objective` on these scores: each distinct score is a candidate
/// (predict positive at `score >= t`); ties between candidates go to the midpoint-highest one.
/// Returns 0.5 when there is nothing to choose from.
pub fn best_threshold(scores: &[f32], labels: &[bool], objective: Objective) -> f32 {
    let mut cand: Vec<f32> = scores.to_vec();
    cand.sort_by(|a, b| a.total_cmp(b));
    cand.dedup();
    let mut best = (f64::MIN, 0.5f32);
    // (An objective undefined on these labels leaves every candidate at f64::MIN: the first wins.)
    for (k, &t) in cand.iter().enumerate() {
        let v = objective_value(objective, &Confusion::at(scores, labels, t)).unwrap_or(f64::MIN);
        if v > best.0 {
            // Put the threshold halfway down to the next lower score, so it generalises.
            let lower = if k == 0 { t } else { (t + cand[k - 1]) / 2.0 };
            best = (v, lower);
        }
    }
    best.1
}

/// Expected calibration error with equal-width bins over probabilities.
pub fn ece(probs: &[f32], labels: &[bool], bins: usize) -> f64 {
    let mut acc = vec![(0.0f64, 0.0f64, 0usize); bins.max(1)];
    for (&p, &y) in probs.iter().zip(labels) {
        let b = ((p.clamp(0.0, 1.0) * bins as f32) as usize).min(bins - 1);
        acc[b].0 += p as f64;
        acc[b].1 += if y { 1.0 } else { 0.0 };
        acc[b].2 += 1;
    }
    let n = probs.len().max(1) as f64;
    acc.iter().filter(|b| b.2 > 0).map(|b| (b.0 - b.1).abs() / n).sum()
}

/// Mean negative log-likelihood of labels under sigmoid(logit / temperature).
pub fn nll(logits: &[f32], labels: &[bool], temperature: f32) -> f64 {
    let sp = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
    let n = logits.len().max(1) as f64;
    logits
        .iter()
        .zip(labels)
        .map(|(&x, &y)| {
            let z = x as f64 / temperature as f64;
            if y { sp(-z) } else { sp(z) }
        })
        .sum::<f64>()
        / n
}

/// Temperature scaling (Guo et al. 2017): the T in 0.05..20 minimising [`nll`], by golden-section
/// search on log T. Ranking, and so every threshold-free metric, is unchanged by T.
pub fn fit_temperature(logits: &[f32], labels: &[bool]) -> f32 {
    if logits.is_empty() {
        return 1.0;
    }
    let f = |lt: f64| nll(logits, labels, lt.exp() as f32);
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..80 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp() as f32
}

/// A metric's value with a 95 % interval. `value` is `None` where the metric is undefined on the
/// data (sensitivity without positives, ROC-AUC with one class); `ci` is `None` without bootstrap
/// resamples, or when the metric was undefined in every resample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: Option<f64>,
    pub ci: Option<(f64, f64)>,
}

impl Estimate {
    /// `0.812 [0.700, 0.901]`, `0.812` without an interval, `undefined` without a value.
    pub fn display(&self, decimals: usize) -> String {
        match (self.value, self.ci) {
            (None, _) => "undefined".into(),
            (Some(v), Some((lo, hi))) => format!("{v:.decimals$} [{lo:.decimals$}, {hi:.decimals$}]"),
            (Some(v), None) => format!("{v:.decimals$}"),
        }
    }
}

/// The metrics of a [`Report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    F1,
    GMean,
    Sensitivity,
    Specificity,
    Precision,
    RocAuc,
    PrAuc,
}

impl Measure {
    /// Every measure, in table order.
    pub const ALL: [Measure; 7] =
        [Measure::F1, Measure::GMean, Measure::Sensitivity, Measure::Specificity, Measure::Precision, Measure::RocAuc, Measure::PrAuc];

    /// The name in tables and files (`metrics.csv`, the export's sidecar).
    pub fn name(self) -> &'static str {
        match self {
            Measure::F1 => "F1",
            Measure::GMean => "G-mean",
            Measure::Sensitivity => "sensitivity",
            Measure::Specificity => "specificity",
            Measure::Precision => "precision",
            Measure::RocAuc => "ROC-AUC",
            Measure::PrAuc => "PR-AUC",
        }
    }

    /// Its value on `scores` and `labels`, whose confusion at the threshold is `c`.
    fn point(self, c: &Confusion, scores: &[f32], labels: &[bool]) -> Option<f64> {
        match self {
            Measure::F1 => c.f1(),
            Measure::GMean => c.g_mean(),
            Measure::Sensitivity => c.sensitivity(),
            Measure::Specificity => c.specificity(),
            Measure::Precision => c.precision(),
            Measure::RocAuc => roc_auc(scores, labels),
            Measure::PrAuc => pr_auc(scores, labels),
        }
    }
}

/// Every reported metric at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub threshold: f32,
    pub n: usize,
    pub positives: usize,
    pub confusion: Confusion,
    pub f1: Estimate,
    pub g_mean: Estimate,
    pub sensitivity: Estimate,
    pub specificity: Estimate,
    pub precision: Estimate,
    pub roc_auc: Estimate,
    pub pr_auc: Estimate,
    /// Bootstrap resamples behind the intervals (0: no intervals).
    pub resamples: usize,
}

impl Report {
    /// Named rows (metric, estimate) in the order of [`Measure::ALL`].
    pub fn rows(&self) -> Vec<(&'static str, Estimate)> {
        Measure::ALL.into_iter().map(|m| (m.name(), self.get(m))).collect()
    }

    /// One metric's estimate.
    pub fn get(&self, measure: Measure) -> Estimate {
        match measure {
            Measure::F1 => self.f1,
            Measure::GMean => self.g_mean,
            Measure::Sensitivity => self.sensitivity,
            Measure::Specificity => self.specificity,
            Measure::Precision => self.precision,
            Measure::RocAuc => self.roc_auc,
            Measure::PrAuc => self.pr_auc,
        }
    }
}

/// Evaluate at `threshold`, with 95 % percentile intervals from `resamples` bootstrap draws of
/// whole clusters (patients: their joints are not independent). Deterministic for a given `seed`.
pub fn report(scores: &[f32], labels: &[bool], clusters: &[String], threshold: f32, resamples: usize, seed: u64) -> Report {
    assert_eq!(scores.len(), labels.len());
    assert_eq!(scores.len(), clusters.len());
    let groups = stats::groups(clusters);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // One list of resampled values per measure, in the order of Measure::ALL.
    let mut draws: [Vec<f64>; 7] = std::array::from_fn(|_| Vec::with_capacity(resamples));
    let (mut s, mut l) = (Vec::new(), Vec::new());
    for _ in 0..resamples {
        s.clear();
        l.clear();
        for g in stats::draw(&mut rng, groups.len()) {
            for &i in &groups[g] {
                s.push(scores[i]);
                l.push(labels[i]);
            }
        }
        let c = Confusion::at(&s, &l, threshold);
        for (m, d) in Measure::ALL.into_iter().zip(&mut draws) {
            d.extend(m.point(&c, &s, &l));
        }
    }
    let confusion = Confusion::at(scores, labels, threshold);
    let estimates: Vec<(Measure, Estimate)> = Measure::ALL
        .into_iter()
        .zip(draws)
        .map(|(m, d)| {
            let value = m.point(&confusion, scores, labels);
            (m, Estimate { value, ci: value.and_then(|_| stats::interval95(d)) })
        })
        .collect();
    let e = |m: Measure| estimates.iter().find(|(k, _)| *k == m).map(|(_, e)| *e).expect("every measure is estimated");
    Report {
        threshold,
        n: scores.len(),
        positives: labels.iter().filter(|y| **y).count(),
        confusion,
        f1: e(Measure::F1),
        g_mean: e(Measure::GMean),
        sensitivity: e(Measure::Sensitivity),
        specificity: e(Measure::Specificity),
        precision: e(Measure::Precision),
        roc_auc: e(Measure::RocAuc),
        pr_auc: e(Measure::PrAuc),
        resamples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn from_confusion(tp: usize, fp: usize, tn: usize, fn_: usize) -> (Vec<f32>, Vec<bool>) {
        let mut s = Vec::new();
        let mut l = Vec::new();
        for (n, score, label) in [(tp, 0.9, true), (fp, 0.9, false), (tn, 0.1, false), (fn_, 0.1, true)] {
            s.extend(std::iter::repeat_n(score, n));
            l.extend(std::iter::repeat_n(label, n));
        }
        (s, l)
    }

    #[test]
    fn each_named_row_carries_its_own_figure() {
        // TP 3, FP 1, TN 4, FN 2, by hand: sensitivity 3/5, specificity 4/5, precision 3/4,
        // F1 2·0.75·0.6/1.35 = 2/3, G-mean √0.48; ROC-AUC (12 wins + 11 ties / 2) / 25 = 0.7.
        let (s, l) = from_confusion(3, 1, 4, 2);
        let r = report(&s, &l, &vec!["p".to_string(); s.len()], 0.5, 0, 0);
        let want = [("F1", 2.0 / 3.0), ("G-mean", 0.48f64.sqrt()), ("sensitivity", 0.6), ("specificity", 0.8), ("precision", 0.75), ("ROC-AUC", 0.7)];
        let rows = r.rows();
        for (name, value) in want {
            let got = rows.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no row {name}")).1.value.unwrap();
            assert!((got - value).abs() < 1e-12, "{name}: {got} vs {value}");
        }
        assert_eq!(rows.iter().map(|(n, _)| *n).collect::<Vec<_>>(), Measure::ALL.map(Measure::name));
    }

    #[test]
    fn confusion_metrics_match_hand_computed_values() {
        // tp=8 fp=4 tn=80 fn=2: sens 0.8, spec 80/84, prec 8/12, F1 16/22, G-mean sqrt(0.8*80/84).
        let (s, l) = from_confusion(8, 4, 80, 2);
        let c = Confusion::at(&s, &l, 0.5);
        assert_eq!(c, Confusion { tp: 8, fp: 4, tn: 80, fn_: 2 });
        assert!((c.sensitivity().unwrap() - 0.8).abs() < 1e-12);
        assert!((c.specificity().unwrap() - 80.0 / 84.0).abs() < 1e-12);
        assert!((c.precision().unwrap() - 8.0 / 12.0).abs() < 1e-12);
        assert!((c.f1().unwrap() - 16.0 / 22.0).abs() < 1e-12);
        assert!((c.g_mean().unwrap() - (0.8f64 * 80.0 / 84.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn nothing_predicted_positive_leaves_precision_undefined_and_f1_zero() {
        let (s, l) = from_confusion(0, 0, 10, 3);
        let c = Confusion::at(&s, &l, 0.5);
        assert_eq!((c.f1(), c.precision(), c.g_mean(), c.specificity()), (Some(0.0), None, Some(0.0), Some(1.0)));
    }

    #[test]
    fn metrics_needing_a_class_the_data_lacks_are_undefined() {
        // Only negatives: sensitivity, G-mean and both AUCs are undefined, not 0.
        let (s, l) = from_confusion(0, 2, 10, 0);
        let c = Confusion::at(&s, &l, 0.5);
        assert_eq!((c.sensitivity(), c.g_mean(), c.specificity()), (None, None, Some(10.0 / 12.0)));
        let clusters: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
        let r = report(&s, &l, &clusters, 0.5, 100, 0);
        for m in [Measure::Sensitivity, Measure::GMean, Measure::RocAuc, Measure::PrAuc] {
            assert_eq!(r.get(m), Estimate { value: None, ci: None }, "{m:?}");
        }
        assert_eq!(r.get(Measure::Sensitivity).display(3), "undefined");
        // Only positives: specificity undefined.
        let (s, l) = from_confusion(3, 0, 0, 1);
        assert_eq!(Confusion::at(&s, &l, 0.5).specificity(), None);
    }

    #[test]
    fn no_resamples_means_no_interval() {
        let (s, l) = from_confusion(8, 4, 80, 2);
        let clusters: Vec<String> = (0..s.len()).map(|i| format!("p{i}")).collect();
        let r = report(&s, &l, &clusters, 0.5, 0, 0);
        assert!(r.rows().iter().all(|(_, e)| e.ci.is_none() && e.value.is_some()));
        assert_eq!(r.sensitivity.display(3), "0.800");
    }

    #[test]
    fn auc_matches_pairwise_counting_with_ties() {
        let s = [0.1, 0.4, 0.35, 0.8, 0.4];
        let l = [false, false, true, true, true];
        // Pairs (pos, neg): 0.35>0.1 ✓, 0.35<0.4 ✗, 0.8>both ✓✓, 0.4>0.1 ✓, 0.4=0.4 ½ → 4.5/6.
        assert!((roc_auc(&s, &l).unwrap() - 4.5 / 6.0).abs() < 1e-12);
        assert_eq!(roc_auc(&s, &[true; 5]), None);
        let perfect = pr_auc(&[0.9, 0.8, 0.1], &[true, true, false]).unwrap();
        assert!((perfect - 1.0).abs() < 1e-12);
        // Ranking pos, neg, pos: AP = 0.5*1 + 0.5*(2/3).
        let ap = pr_auc(&[0.9, 0.8, 0.7], &[true, false, true]).unwrap();
        assert!((ap - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
        let roc = roc_curve(&[0.9, 0.8, 0.7], &[true, false, true]);
        assert_eq!(roc, vec![(0.0, 0.0), (0.0, 0.5), (1.0, 0.5), (1.0, 1.0)]);
    }

    #[test]
    fn threshold_search_picks_the_separating_point() {
        let s = [0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.35];
        let l = [false, false, false, false, true, true, true];
        let t = best_threshold(&s, &l, Objective::F1);
        assert!(t > 0.3 && t <= 0.35, "threshold {t}");
        assert_eq!(Confusion::at(&s, &l, t).f1(), Some(1.0));
        // Catching the low positive at the cost of one false positive beats missing it.
        let s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.9, 0.45];
        let l = [false, false, false, false, false, true, true];
        let tg = best_threshold(&s, &l, Objective::GMean);
        let c = Confusion::at(&s, &l, tg);
        assert_eq!((c.tp, c.fp), (2, 1));
        assert!((c.g_mean().unwrap() - (0.8f64).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let scores: Vec<f32> = (0..200).map(|i| ((i * 37) % 100) as f32 / 100.0).collect();
        let labels: Vec<bool> = scores.iter().enumerate().map(|(i, s)| *s > 0.7 || i % 13 == 0).collect();
        let clusters: Vec<String> = (0..200).map(|i| format!("p{}", i / 4)).collect();
        let a = report(&scores, &labels, &clusters, 0.5, 300, 1);
        let b = report(&scores, &labels, &clusters, 0.5, 300, 1);
        assert_eq!(a, b);
        for (_, e) in a.rows() {
            let (v, (lo, hi)) = (e.value.unwrap(), e.ci.unwrap());
            assert!(lo <= v + 1e-9 && v <= hi + 1e-9, "{e:?}");
            assert!(hi - lo < 0.5);
        }
    }

    #[test]
    fn temperature_scaling_recovers_an_overconfident_scale() {
        // Labels drawn from sigmoid(z); the model reports 3·z, so the fitted temperature is about 3.
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (mut logits, mut labels) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let z: f32 = rng.random_range(-4.0..4.0);
            labels.push(rng.random::<f32>() < 1.0 / (1.0 + (-z).exp()));
            logits.push(3.0 * z);
        }
        let t = fit_temperature(&logits, &labels);
        assert!((t - 3.0).abs() < 0.15, "temperature {t}");
        assert!(nll(&logits, &labels, t) < nll(&logits, &labels, 1.0));
        let calibrated: Vec<f32> = logits.iter().map(|x| 1.0 / (1.0 + (-x / t).exp())).collect();
        let raw: Vec<f32> = logits.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
        assert!(ece(&calibrated, &labels, 10) < ece(&raw, &labels, 10) / 3.0);
    }

    #[test]
    fn ece_is_zero_when_calibrated_and_large_when_not() {
        let probs = [0.25f32; 8];
        let labels = [true, false, false, false, true, false, false, false];
        assert!(ece(&probs, &labels, 10) < 1e-9);
        assert!((ece(&[0.95; 4], &[false; 4], 10) - 0.95).abs() < 1e-6);
    }
}
