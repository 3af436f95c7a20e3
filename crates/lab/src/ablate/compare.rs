//! The figures of selected runs and how rows compare: metrics at the runs' thresholds, paired
//! differences and intervals resampling seeds and test patients, the oracle row.
use super::*;
use crate::probe;
use jointscope_metrics::{Confusion, pr_auc, roc_auc, stats};
use jointscope_train::augment::Mix;
use jointscope_train::pretrain::{self};
use jointscope_train::progress::Progress;
use jointscope_train::run::RunDir;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A selected run's per-joint test predictions: (patient, image, label, probability).
#[derive(Debug, Clone)]
pub(crate) struct Scored {
    pub(crate) patient: String,
    pub(crate) image: String,
    pub(crate) label: bool,
    pub(crate) prob: f32,
}

pub(crate) fn read_predictions(path: &Path) -> anyhow::Result<Vec<Scored>> {
    let rows = jointscope_train::evaluate::read_predictions(path)?;
    Ok(rows.into_iter().map(|r| Scored { image: r.image, patient: r.patient_id, label: r.label == 1, prob: r.probability }).collect())
}

/// A run's two thresholds: the one it chose on validation (its calibrated threshold) and the
/// one that maximises F1 on validation (the study reports F1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thresholds {
    pub(crate) chosen: f32,
    pub(crate) f1_optimal: f32,
}

/// The metrics of predictions at the thresholds (NaN where undefined); `… @ F1-optimal` names
/// the figure at the validation-F1-optimal threshold.
pub(crate) fn figures(p: &[&Scored], t: Thresholds, names: &[Metric]) -> Vec<f64> {
    let s: Vec<f32> = p.iter().map(|x| x.prob).collect();
    let l: Vec<bool> = p.iter().map(|x| x.label).collect();
    let c = Confusion::at(&s, &l, t.chosen);
    let f = Confusion::at(&s, &l, t.f1_optimal);
    names
        .iter()
        .map(|m| match m {
            Metric::PrAuc => pr_auc(&s, &l),
            Metric::RocAuc => roc_auc(&s, &l),
            Metric::F1 => c.f1(),
            Metric::GMean => c.g_mean(),
            Metric::F1AtOptimal => f.f1(),
            Metric::GMeanAtOptimal => f.g_mean(),
            Metric::Sensitivity => c.sensitivity(),
            Metric::Specificity => c.specificity(),
        })
        .map(|v| v.unwrap_or(f64::NAN))
        .collect()
}

/// A selected run's test predictions and threshold, per row and seed.
pub(crate) struct Selected {
    pub(crate) thresholds: Thresholds,
    pub(crate) predictions: Vec<Scored>,
    /// The run's verdict per hand (None: the run has none).
    pub(crate) hand_rule: Option<jointscope_data::HandRule>,
}

impl Selected {
    /// The share of inflamed joints among its test predictions.
    pub(crate) fn prevalence(&self) -> f64 {
        self.predictions.iter().filter(|x| x.label).count() as f64 / self.predictions.len().max(1) as f64
    }
}

/// Per-seed differences, their mean, and its 95 % interval.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Difference {
    pub per_seed: Vec<f64>,
    pub mean: f64,
    pub ci: (f64, f64),
}

/// The mean over seeds of `f(a) − f(b)` for two rows with a 95 % interval from a bootstrap that
/// draws seeds with replacement and, within each replicate, test patients with replacement (the
/// same patients for both rows: the comparison is paired).
pub(crate) fn paired(a: &[&Selected], b: &[&Selected], metric: usize, names: &[Metric], resamples: usize, seed: u64) -> Difference {
    resampled(a, Some(b), metric, names, resamples, seed)
}

/// The mean over seeds of `f(a)` (of `f(a) − f(b)` with `b`) with its 95 % interval, resampling
/// seeds and, within each replicate, test patients (the same patients for both rows).
pub(crate) fn resampled(a: &[&Selected], b: Option<&[&Selected]>, metric: usize, names: &[Metric], resamples: usize, seed: u64) -> Difference {
    let patients: Vec<String> = {
        let mut p: Vec<String> = a[0].predictions.iter().map(|x| x.patient.clone()).collect();
        p.sort();
        p.dedup();
        p
    };
    fn index(sel: &Selected) -> HashMap<&str, Vec<&Scored>> {
        let mut m: HashMap<&str, Vec<&Scored>> = HashMap::new();
        for x in &sel.predictions {
            m.entry(x.patient.as_str()).or_default().push(x);
        }
        m
    }
    fn pick<'a>(idx: &HashMap<&str, Vec<&'a Scored>>, chosen: &[&str]) -> Vec<&'a Scored> {
        chosen.iter().flat_map(|p| idx.get(p).into_iter().flatten().copied()).collect()
    }
    let ia: Vec<_> = a.iter().map(|s| index(s)).collect();
    let ib: Option<(Vec<_>, &[&Selected])> = b.map(|b| (b.iter().map(|s| index(s)).collect(), b));
    let diff_on = |k: usize, chosen: &[&str]| {
        let fa = figures(&pick(&ia[k], chosen), a[k].thresholds, names)[metric];
        ib.as_ref().map_or(fa, |(ib, b)| fa - figures(&pick(&ib[k], chosen), b[k].thresholds, names)[metric])
    };
    let all: Vec<&str> = patients.iter().map(String::as_str).collect();
    let per_seed: Vec<f64> = (0..a.len()).map(|k| diff_on(k, &all)).collect();
    let mean = per_seed.iter().sum::<f64>() / per_seed.len() as f64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let chosen: Vec<&str> = stats::draw(&mut rng, all.len()).into_iter().map(|i| all[i]).collect();
        let seeds = stats::draw(&mut rng, a.len());
        let d: Vec<f64> = seeds.iter().map(|&k| diff_on(k, &chosen)).filter(|v| v.is_finite()).collect();
        if !d.is_empty() {
            draws.push(d.iter().sum::<f64>() / d.len() as f64);
        }
    }
    Difference { per_seed, mean, ci: interval(draws) }
}

/// The 95 % interval of one run's `metric` from a bootstrap over its test patients.
pub(crate) fn patient_interval(sel: &Selected, metric: usize, names: &[Metric], resamples: usize, seed: u64) -> (f64, f64) {
    let mut by_patient: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
    for x in &sel.predictions {
        by_patient.entry(x.patient.as_str()).or_default().push(x);
    }
    let groups: Vec<&Vec<&Scored>> = by_patient.values().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draws: Vec<f64> = (0..resamples)
        .map(|_| {
            let pick: Vec<&Scored> = stats::draw(&mut rng, groups.len()).into_iter().flat_map(|g| groups[g].iter().copied()).collect();
            figures(&pick, sel.thresholds, names)[metric]
        })
        .filter(|v| v.is_finite())
        .collect();
    interval(draws)
}

/// The 95 % percentile interval of bootstrap draws (NaN without any).
pub(crate) fn interval(draws: Vec<f64>) -> (f64, f64) {
    stats::interval95(draws).unwrap_or((f64::NAN, f64::NAN))
}

/// The oracle of one seed: the baseline's logit and the true number of other inflamed joints in
/// the same hand, combined by a logistic regression fitted on the validation patients, scored on
/// the test cohort. Returns its test predictions (threshold chosen on validation for G-mean).
pub(crate) fn oracle(baseline: &RunResult, objective: jointscope_data::Objective) -> anyhow::Result<Selected> {
    let with_counts = |p: Vec<Scored>| -> Vec<(Scored, f32)> {
        let mut per_image: HashMap<String, usize> = HashMap::new();
        for x in &p {
            *per_image.entry(x.image.clone()).or_default() += usize::from(x.label);
        }
        p.into_iter()
            .map(|x| {
                let others = per_image[&x.image] - usize::from(x.label);
                (x, others as f32)
            })
            .collect()
    };
    let logit = |p: f32| (p.clamp(1e-6, 1.0 - 1e-6) / (1.0 - p.clamp(1e-6, 1.0 - 1e-6))).ln();
    let valid = with_counts(read_predictions(&RunDir(baseline.dir.clone()).eval("valid").join("predictions.csv"))?);
    let test = with_counts(read_predictions(&RunDir(baseline.dir.clone()).eval("cohort").join("predictions.csv"))?);
    let x: Vec<Vec<f32>> = valid.iter().map(|(s, n)| vec![logit(s.prob), *n]).collect();
    let y: Vec<bool> = valid.iter().map(|(s, _)| s.label).collect();
    let score = probe::fit_logistic(&x, &y, 1e-3);
    let prob = |s: &Scored, n: f32| 1.0 / (1.0 + (-score(&[logit(s.prob), n])).exp()) as f32;
    let valid_scores: Vec<f32> = valid.iter().map(|(s, n)| prob(s, *n)).collect();
    let thresholds = Thresholds {
        chosen: jointscope_metrics::best_threshold(&valid_scores, &y, objective),
        f1_optimal: jointscope_metrics::best_threshold(&valid_scores, &y, jointscope_data::Objective::F1),
    };
    let predictions = test.iter().map(|(s, n)| Scored { prob: prob(s, *n), ..s.clone() }).collect();
    Ok(Selected { thresholds, predictions, hand_rule: None })
}

/// The oracle of each seed: its baseline's logit and the true count of other inflamed joints in
/// the hand, combined on validation (evaluated on validation first where it was not).
pub(crate) fn oracles(plan: &Plan, selected: &HashMap<(String, u64), &RunResult>) -> anyhow::Result<Vec<Selected>> {
    let mut oracles = Vec::new();
    for &seed in &plan.seeds {
        let base = selected[&("baseline".to_string(), seed)];
        valid_predictions(base)?;
        oracles.push(oracle(base, jointscope_data::Objective::GMean)?);
    }
    Ok(oracles)
}

/// Paired differences of every metric: full − baseline, each ingredient's main effect over the
/// cross, extra rows against theirs, and the oracle against the baseline.
pub(crate) fn differences(c: &AblateConfig, rows: &[Row], chosen: &HashMap<String, Vec<Selected>>, oracles: &[Selected]) -> Vec<(String, String, Difference)> {
    let plan = &c.plan;
    let refs = |name: &str| chosen[name].iter().collect::<Vec<&Selected>>();
    let mut differences = Vec::new();
    let mut compare = |label: String, a: Vec<&Selected>, b: Vec<&Selected>| differences.extend(each_metric(plan, &label, &a, &b));
    compare("full − baseline".into(), refs("full"), refs("baseline"));
    if plan.presets[c.plan_key()].cross {
        for factor in Factor::ALL {
            // Main effect: every cross row with the factor against its twin without, pooled.
            let cross: Vec<&Row> =
                rows.iter().filter(|r| r.mix == Mix::None && r.ssl != Some(pretrain::Objective::Contrastive) && r.encoder.is_plain()).collect();
            let (mut with, mut without) = (Vec::new(), Vec::new());
            for r in cross.iter().filter(|r| factor.has(r)) {
                if let Some(twin) = cross.iter().find(|t| !factor.has(t) && t.name != r.name && factor.rest(r) == factor.rest(t)) {
                    with.extend(refs(&r.name));
                    without.extend(refs(&twin.name));
                }
            }
            compare(format!("{} (main effect over the cross)", factor.label()), with, without);
        }
    }
    for (a, b) in extra_pairs(c, rows) {
        compare(format!("{a} − {b}"), refs(a), refs(b));
    }
    compare("oracle context − baseline".into(), oracles.iter().collect(), refs("baseline"));
    differences
}

/// The paired differences a partial ablation can give: full − baseline, each single ingredient
/// of the cross against the baseline, and each extra row against its comparison row, where both
/// were asked for.
pub(crate) fn partial_differences(c: &AblateConfig, rows: &[Row], chosen: &HashMap<String, Vec<Selected>>) -> Vec<(String, String, Difference)> {
    let singles = ["+imbalance", "+SSL", "+global-local"].map(|r| (r, "baseline"));
    let pairs = std::iter::once(("full", "baseline")).chain(singles).chain(extra_pairs(c, rows));
    let mut differences = Vec::new();
    for (a, b) in pairs.filter(|(a, b)| chosen.contains_key(*a) && chosen.contains_key(*b)) {
        let (ra, rb): (Vec<&Selected>, Vec<&Selected>) = (chosen[a].iter().collect(), chosen[b].iter().collect());
        differences.extend(each_metric(&c.plan, &format!("{a} − {b}"), &ra, &rb));
    }
    differences
}

/// Each of the plan's extra rows among `rows` with the row it is compared against.
pub(crate) fn extra_pairs<'a>(c: &AblateConfig, rows: &'a [Row]) -> Vec<(&'a str, &'a str)> {
    let extra = &c.plan.presets[c.plan_key()].extra_rows;
    rows.iter().filter(|r| extra.contains(&r.name)).map(|r| (r.name.as_str(), r.against.as_str())).collect()
}

/// The paired difference `a − b` in each of the plan's metrics, labelled.
pub(crate) fn each_metric(plan: &Plan, label: &str, a: &[&Selected], b: &[&Selected]) -> Vec<(String, String, Difference)> {
    let names = &plan.metrics;
    names
        .iter()
        .enumerate()
        .map(|(m, metric)| (label.to_string(), metric.to_string(), paired(a, b, m, names, plan.bootstrap_resamples, 17 + m as u64)))
        .collect()
}

/// Each pretrained row against the same row pretrained on the other pool (`c.versus_pool`),
/// paired on the same test subjects and seeds: its runs are gathered (kept, or trained) as the
/// rows' own are.
pub(crate) fn versus_pool(
    c: &AblateConfig,
    (rows, seeds): (&[Row], &[u64]),
    chosen: &HashMap<String, Vec<Selected>>,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<(String, String, Difference)>> {
    let (Some((view, size)), Some(real)) = (c.versus_pool, &c.real) else { return Ok(Vec::new()) };
    let ssl: Vec<Row> = rows.iter().filter(|r| r.ssl.is_some()).cloned().collect();
    if ssl.is_empty() {
        return Ok(Vec::new());
    }
    let other = AblateConfig { real: Some(RealBenchmark { pool_view: view, pool_size: size, ..real.clone() }), ..c.clone() };
    let (runs, _) = gather(&other, &ssl, seeds, progress)?;
    let theirs = chosen_runs(&ssl, seeds, &select(&runs))?;
    let mut out = Vec::new();
    for row in &ssl {
        let label = format!("{} ({}) − {} ({})", row.name, c.name(), row.name, other.name());
        out.extend(each_metric(&c.plan, &label, &chosen[&row.name].iter().collect::<Vec<_>>(), &theirs[&row.name].iter().collect::<Vec<_>>()));
    }
    Ok(out)
}

/// One of the paper's three ingredients, a factor of the 2×2×2 cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Factor {
    Imbalance,
    Ssl,
    GlobalLocal,
}

impl Factor {
    const ALL: [Factor; 3] = [Factor::Imbalance, Factor::Ssl, Factor::GlobalLocal];

    /// The name the report prints.
    fn label(self) -> &'static str {
        match self {
            Factor::Imbalance => "imbalance-aware loss",
            Factor::Ssl => "SSL initialisation",
            Factor::GlobalLocal => "global–local",
        }
    }

    /// Whether `r` has this ingredient.
    fn has(self, r: &Row) -> bool {
        match self {
            Factor::Imbalance => r.imbalance,
            Factor::Ssl => r.ssl.is_some(),
            Factor::GlobalLocal => r.global_local,
        }
    }

    /// The other two ingredients of `r`, in the order of [`Factor::ALL`]: two cross rows that
    /// differ only in this factor have the same rest.
    fn rest(self, r: &Row) -> [bool; 2] {
        let [a, b] = match self {
            Factor::Imbalance => [Factor::Ssl, Factor::GlobalLocal],
            Factor::Ssl => [Factor::Imbalance, Factor::GlobalLocal],
            Factor::GlobalLocal => [Factor::Imbalance, Factor::Ssl],
        };
        [a.has(r), b.has(r)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose two test patients have one inflamed and one healthy joint each, scored
    /// (p1 inflamed, p1 healthy, p2 inflamed, p2 healthy).
    fn run(probs: [f32; 4]) -> Selected {
        let joint = |patient: &str, label: bool, prob: f32| Scored { patient: patient.into(), image: format!("{patient}.jpg"), label, prob };
        Selected {
            thresholds: Thresholds { chosen: 0.5, f1_optimal: 0.5 },
            predictions: vec![joint("p1", true, probs[0]), joint("p1", false, probs[1]), joint("p2", true, probs[2]), joint("p2", false, probs[3])],
            hand_rule: None,
        }
    }

    #[test]
    fn a_paired_difference_is_each_seeds_difference_and_their_mean() {
        // Seed 0: A ranks both inflamed joints first (PR-AUC 1); B ranks a healthy joint first,
        // then inflamed, healthy, inflamed: precision 1/2 at each inflamed joint (PR-AUC 0.5).
        // Seed 1: both rank perfectly. By hand: per seed 0.5 and 0, mean 0.25.
        let (a, b) = ([run([0.9, 0.1, 0.8, 0.2]), run([0.9, 0.1, 0.8, 0.2])], [run([0.1, 0.9, 0.8, 0.2]), run([0.9, 0.1, 0.8, 0.2])]);
        let d = paired(&a.iter().collect::<Vec<_>>(), &b.iter().collect::<Vec<_>>(), 0, &[Metric::PrAuc], 200, 3);
        assert_eq!(d.per_seed, vec![0.5, 0.0]);
        assert_eq!(d.mean, 0.25);
        // Every resample's mean lies between the seeds' extremes (0 and 0.5 per seed, whatever
        // patients are drawn, since B never beats A).
        assert!(0.0 <= d.ci.0 && d.ci.0 <= d.ci.1 && d.ci.1 <= 0.5, "{:?}", d.ci);
    }

    #[test]
    fn figures_at_the_chosen_threshold_are_counted_by_hand() {
        // At 0.5: A flags both inflamed joints and nothing else (F1 1, sensitivity 1,
        // specificity 1); B flags one healthy and one inflamed joint (TP 1, FP 1, FN 1: F1 0.5,
        // sensitivity 0.5, specificity 0.5).
        let names = [Metric::F1, Metric::Sensitivity, Metric::Specificity, Metric::RocAuc];
        let (a, b) = (run([0.9, 0.1, 0.8, 0.2]), run([0.1, 0.9, 0.8, 0.2]));
        assert_eq!(figures(&a.predictions.iter().collect::<Vec<_>>(), a.thresholds, &names), vec![1.0, 1.0, 1.0, 1.0]);
        // B's ROC-AUC: of the 4 (inflamed, healthy) pairs only 0.8 over 0.2 is ordered right: 1/4.
        assert_eq!(figures(&b.predictions.iter().collect::<Vec<_>>(), b.thresholds, &names), vec![0.5, 0.5, 0.5, 0.25]);
    }
}
