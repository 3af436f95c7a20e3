//! The report: tables of rows and differences, a verdict per hand, the encoder diagnostics, the
//! figures at MediaPipe's joint positions.
use super::*;
use crate::probe;
use anyhow::Context;
use jointscope_metrics::stats;
use jointscope_model::EncoderKind;
use jointscope_train::choice::Choice;
use jointscope_train::evaluate::{self, Cohort, Positions};
use jointscope_train::pretrain::{self};
use jointscope_train::progress::Progress;
use jointscope_train::run::{self, RunDir};
use jointscope_train::train::ModelMeta;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A row measured on MediaPipe's joint positions: its name, each seed's figures, the seeds that
/// could not be measured.
pub(crate) type LandmarkRow = (String, Vec<Vec<f64>>, Vec<usize>);

/// The report of one preset's ablation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub preset: String,
    pub plan: Plan,
    pub runs: Vec<RunResult>,
    /// Per row: the selected runs' test figures per seed, in the plan's metric order.
    pub rows: Vec<(String, Vec<Vec<f64>>)>,
    /// Paired differences in the primary metric (and the others): (name, metric, difference).
    pub differences: Vec<(String, String, Difference)>,
    /// Figures at MediaPipe's joint positions: (row, per seed figures, photos without a hand).
    pub landmark_rows: Vec<(String, Vec<Vec<f64>>, Vec<usize>)>,
    pub oracle: Vec<Vec<f64>>,
    pub probes: Vec<probe::Diagnosis>,
}

/// The deployed path: the selected runs of the plan's landmark-position rows with the joints
/// cropped where MediaPipe puts them (evaluated where they were not yet): per row, the figures
/// per seed and the test photos without a hand found.
pub(crate) fn landmark_rows(
    c: &AblateConfig,
    (rows, seeds): (&[Row], &[u64]),
    selected: &HashMap<(String, u64), &RunResult>,
    prepared: &mut Option<Prepared>,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<LandmarkRow>> {
    let (plan, names) = (&c.plan, &c.plan.metrics);
    let mut landmark_rows = Vec::new();
    for name in plan.landmark_position_rows.iter().filter(|n| rows.iter().any(|r| &r.name == *n)) {
        let (mut figs, mut missed) = (Vec::new(), Vec::new());
        for &seed in &plan.seeds {
            let r = selected[&(name.clone(), seed)];
            let set = "cohort-landmarks";
            let path = RunDir(r.dir.clone()).eval(set).join("metrics.json");
            if !path.exists() {
                progress.note(&format!("{name} seed {seed}: evaluating at MediaPipe's joint positions"));
                let test = ensure_prepared(prepared, c, rows, seeds, progress)?.cohorts.test.clone();
                let weights = weights_of(c, r)?;
                evaluate::evaluate(&weights, &Cohort::Named("cohort".into(), test), &Positions::Landmarks(c.models.clone()), 0, progress)?;
                if weights != r.dir {
                    crate::results::keep_eval(&r.dir, &weights, &format!("eval-{set}"))?;
                }
            }
            let e: evaluate::Evaluation = run::read_json(&path)?;
            let s = load(r, set)?;
            figs.push(figures(&s.predictions.iter().collect::<Vec<_>>(), s.thresholds, names));
            missed.push(e.photos_without_hand);
        }
        landmark_rows.push((name.clone(), figs, missed));
    }
    Ok(landmark_rows)
}

/// The runs of a partial ablation (`only`): per row and seed the selected learning rate and its
/// test figures (the paired differences that can be had follow it; no oracle or diagnostics).
pub(crate) fn partial_table(
    seeds: &[u64],
    plan: &Plan,
    runs: &[RunResult],
    selected: &HashMap<(String, u64), &RunResult>,
    chosen: &HashMap<String, Vec<Selected>>,
    names: &[Metric],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Partial ablation: {} runs of the rows asked for (the full report needs every row)\n", runs.len());
    let _ = writeln!(
        s,
        "| row | seed | lr | valid {} | {} | {} 95 % CI (test patients) | prevalence | minutes |\n|---|---|---|---|{}|---|---|---|",
        plan.training.select.name(),
        metric_names(names),
        names[0],
        names.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    let mut keys: Vec<&(String, u64)> = selected.keys().collect();
    keys.sort();
    for key in keys {
        let r = selected[key];
        let k = seeds.iter().position(|&s| s == key.1).unwrap_or(0);
        let sel = &chosen[&key.0][k];
        let figs = figures(&sel.predictions.iter().collect::<Vec<_>>(), sel.thresholds, names);
        let cells: Vec<String> = figs.iter().map(|v| format!("{v:.3}")).collect();
        let (lo, hi) = patient_interval(sel, 0, names, plan.bootstrap_resamples, 23);
        let prevalence = sel.prevalence();
        let minutes: f64 = runs.iter().filter(|x| x.row == key.0 && x.seed == key.1).map(|x| x.seconds).sum::<f64>() / 60.0;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | [{lo:.3}, {hi:.3}] | {prevalence:.3} | {minutes:.1} |",
            key.0,
            key.1,
            r.lr,
            r.valid.map_or("n/a".into(), |v| format!("{v:.3}")),
            cells.join(" | ")
        );
    }
    s
}

/// The verdict per hand of each selected run with a hand rule, on the test cohort: a hand (an
/// image) is inflamed when any of its labelled joints is; intervals resample test patients.
pub(crate) fn hands_section(s: &mut String, seeds: &[u64], rows: &[Row], chosen: &HashMap<String, Vec<Selected>>, resamples: usize) {
    let mut lines = Vec::new();
    for row in rows {
        for (k, sel) in chosen[&row.name].iter().enumerate() {
            let Some(rule) = sel.hand_rule else { continue };
            let mut hands: BTreeMap<&str, (Vec<f32>, bool, &str)> = BTreeMap::new();
            for x in &sel.predictions {
                let h = hands.entry(x.image.as_str()).or_insert((Vec::new(), false, x.patient.as_str()));
                h.0.push(x.prob);
                h.1 |= x.label;
            }
            let scores: Vec<f32> = hands.values().map(|h| rule.score.score(&h.0).expect("a hand has a joint")).collect();
            let labels: Vec<bool> = hands.values().map(|h| h.1).collect();
            let patients: Vec<String> = hands.values().map(|h| h.2.to_string()).collect();
            let r = jointscope_metrics::report(&scores, &labels, &patients, rule.threshold, resamples, 29);
            lines.push(format!(
                "| {} | {} | {} ({} inflamed) | {} ≥ {:.3} | {} | {} | {} |",
                row.name,
                seeds[k],
                r.n,
                r.positives,
                rule.score.name(),
                rule.threshold,
                r.roc_auc.display(3),
                r.sensitivity.display(3),
                r.specificity.display(3)
            ));
        }
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n## A verdict per hand (test cohort; 95 % intervals resample test patients)\n");
    let _ = writeln!(s, "| row | seed | hands | rule (chosen on validation) | ROC-AUC | sensitivity | specificity |\n|---|---|---|---|---|---|---|");
    for l in lines {
        let _ = writeln!(s, "{l}");
    }
}

/// The frozen linear probe (and counterfactual distance) of each pretraining the rows start from
/// at the first seed, against a random encoder, on the training cohort's patient split (seed 0):
/// did pretraining learn anything the signs need before fine-tuning hides it. Kept in the results
/// folder as `<benchmark>/probes/<pool>-<objective>-seed<s>[-mediapipe].json`.
pub(crate) fn probes_section(
    c: &AblateConfig,
    (rows, seeds): (&[Row], &[u64]),
    prepared: &mut Option<Prepared>,
    progress: &dyn Progress,
) -> anyhow::Result<String> {
    #[derive(Serialize, Deserialize)]
    struct Kept {
        pretraining: String,
        probes: Vec<probe::Diagnosis>,
    }
    let mut s = String::new();
    let seed = seeds[0];
    let mut done = Vec::new();
    for row in rows.iter().filter(|r| r.ssl.is_some()) {
        let (objective, mediapipe) = (row.ssl.expect("filtered"), row.encoder == EncoderKind::Mediapipe);
        if done.contains(&(objective, mediapipe)) {
            continue;
        }
        done.push((objective, mediapipe));
        let pseed = c.plan.pretraining.seeds[seed as usize % c.plan.pretraining.seeds.len()];
        let name = format!("{}-{}-seed{pseed}{}", c.name(), objective.name(), if mediapipe { "-mediapipe" } else { "" });
        let file = slot(c, row, seed, 0.0).and_then(|s| s.parent()?.parent().map(|b| b.join("probes").join(format!("{}.json", crate::results::slug(&name)))));
        let kept: Option<Kept> = file.as_ref().filter(|f| f.exists()).map(|f| run::read_json(f)).transpose()?;
        let probes = match kept {
            Some(k) => k.probes,
            None => {
                let p = ensure_prepared(prepared, c, rows, seeds, progress)?;
                let pre = &p.pretrainings[&(objective, seed, mediapipe)];
                let dir = pretrained(c, p.cohorts.pool.as_ref().expect("a pretraining has a pool"), pre, progress)?;
                progress.note(&format!("probing the pretraining {name}"));
                let probes = probe::diagnose_pretraining(&dir, &p.cohorts.train, None, &c.models, progress)?;
                if let Some(f) = &file {
                    std::fs::create_dir_all(f.parent().expect("a folder"))?;
                    run::write_json(f, &Kept { pretraining: pre.identity.clone(), probes: probes.clone() })?;
                }
                probes
            }
        };
        let _ = writeln!(s, "\n## Linear probe of the pretraining {name} (frozen local encoder, the training cohort's validation patients)\n");
        s += &probe::table(&probes);
    }
    Ok(s)
}

/// The paired-differences table (nothing when there are none).
pub(crate) fn differences_section(s: &mut String, differences: &[(String, String, Difference)]) {
    if differences.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n## Paired differences (mean over seeds, 95 % interval resampling seeds and test patients)\n");
    let _ = writeln!(s, "| comparison | metric | difference | 95 % interval | per seed |\n|---|---|---|---|---|");
    for (label, metric, d) in differences {
        let per: Vec<String> = d.per_seed.iter().map(|v| format!("{v:+.3}")).collect();
        let _ = writeln!(s, "| {label} | {metric} | {:+.3} | [{:+.3}, {:+.3}] | {} |", d.mean, d.ci.0, d.ci.1, per.join(", "));
    }
}

/// The metrics' names as a table header's cells.
pub(crate) fn metric_names(names: &[Metric]) -> String {
    names.iter().map(|m| m.name()).collect::<Vec<_>>().join(" | ")
}

/// The encoder diagnostics, read from the results folder where they were kept for the same runs
/// (those of the report), else computed and kept there.
pub(crate) fn kept_diagnostics(
    c: &AblateConfig,
    (rows, seeds): (&[Row], &[u64]),
    selected: &HashMap<(String, u64), &RunResult>,
    prepared: &mut Option<Prepared>,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<probe::Diagnosis>> {
    #[derive(Serialize, Deserialize)]
    struct Kept {
        identity: String,
        probes: Vec<probe::Diagnosis>,
    }
    let mut ids: Vec<&str> = selected.values().map(|r| r.identity.as_str()).collect();
    ids.sort();
    let identity = hash_of(&ids)?;
    let file = c.results.as_ref().map(|r| r.join(crate::results::slug(&c.name())).join("diagnostics.json"));
    if let Some(f) = file.as_ref().filter(|f| f.exists()) {
        let k: Kept = run::read_json(f)?;
        if k.identity == identity {
            return Ok(k.probes);
        }
    }
    let p = ensure_prepared(prepared, c, rows, seeds, progress)?;
    let seed = c.plan.seeds[0];
    let mut pretrained_encoders = Vec::new();
    for ((o, s, mediapipe), pre) in &p.pretrainings {
        if *s == seed && !mediapipe && !pretrained_encoders.iter().any(|(x, _)| x == o) {
            pretrained_encoders.push((*o, pretrained(c, p.cohorts.pool.as_ref().expect("a pretraining has a pool"), pre, progress)?));
        }
    }
    pretrained_encoders.sort_by_key(|(o, _)| o.name());
    let base = weights_of(c, selected[&("baseline".to_string(), seed)])?;
    let probes = diagnostics(c, &p.cohorts.train, &pretrained_encoders, &base)?;
    if let Some(f) = file {
        std::fs::create_dir_all(f.parent().expect("a folder"))?;
        run::write_json(&f, &Kept { identity, probes: probes.clone() })?;
    }
    Ok(probes)
}

/// Linear probes (validation PR-AUC) of a random, each pretrained and the baseline's fine-tuned
/// local encoder on seed 0's split of the training cohort, and the counterfactual distance.
pub(crate) fn diagnostics(
    c: &AblateConfig,
    train: &Path,
    pretrained: &[(pretrain::Objective, PathBuf)],
    baseline: &Path,
) -> anyhow::Result<Vec<probe::Diagnosis>> {
    let seed = c.plan.seeds[0];
    let device = burn::tensor::Device::flex();
    let manifest = jointscope_train::dataset::read_manifest(train)?;
    let ds = jointscope_train::dataset::Dataset::load(&manifest, &jointscope_train::progress::Silent)?;
    let base = RunDir(baseline.to_path_buf());
    let split: jointscope_dataset::split::Split = run::read_json(&base.split())?;
    let local = |m: jointscope_model::JointNet| m.local.context("a model with a local encoder");
    device.seed(seed);
    let mut encoders = vec![("random".to_string(), local(c.model.init(&device)?)?)];
    for (o, dir) in pretrained {
        encoders.push((format!("pretrained ({})", o.name()), local(pretrain::init_from(dir, c.model.init(&device)?, &c.model)?)?));
    }
    let meta: ModelMeta = run::read_json(&base.model_meta())?;
    encoders.push(("fine-tuned baseline (supervised)".to_string(), local(run::load_model_file(&meta.model, &base.model(), &device)?)?));
    let look = jointscope_dataset::synth::Look { signal: c.synth.signal, patient_appearance: c.synth.patient_appearance };
    Ok(probe::diagnose(&encoders, c.model.local_size, &ds, &split, &look, c.plan.pretraining.colour, &device))
}

/// The report as Markdown.
pub fn table(r: &Report) -> String {
    let names = &r.plan.metrics;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Ablation on the `{}` preset\n\nTest cohort: {} patients no run trained on (generator seed {}). Seeds {:?}; per row and seed the \
         learning rate of {:?} with the best validation {} (early stopping, patience {:?}). Primary metric: {}. Mean ± SD over seeds.\n",
        r.preset,
        r.plan.test_cohort.patients,
        r.plan.test_cohort.seed,
        r.plan.seeds,
        r.plan.training.lr_grid,
        r.plan.training.select.name(),
        r.plan.training.patience,
        r.plan.primary_metric
    );
    let _ = writeln!(s, "| row | {} |\n|---|{}|", metric_names(names), names.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
    let row_line = |s: &mut String, name: &str, figs: &[Vec<f64>]| {
        let cells: Vec<String> = (0..names.len())
            .map(|m| {
                let (mean, sd) = stats::mean_sd(&figs.iter().map(|f| f[m]).collect::<Vec<_>>());
                if mean.is_finite() { format!("{mean:.3} ± {sd:.3}") } else { "undefined".into() }
            })
            .collect();
        let _ = writeln!(s, "| {name} | {} |", cells.join(" | "));
    };
    for (name, figs) in &r.rows {
        row_line(&mut s, name, figs);
    }
    row_line(&mut s, "oracle: baseline + true count of other inflamed joints in the hand", &r.oracle);
    differences_section(&mut s, &r.differences);
    if !r.landmark_rows.is_empty() {
        let _ = writeln!(s, "\n## At MediaPipe's joint positions (the page's path; joints of photos without a hand count as missed)\n");
        let _ =
            writeln!(s, "| row | {} | photos without a hand |\n|---|{}|---|", metric_names(names), names.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
        for (name, figs, missed) in &r.landmark_rows {
            let cells: Vec<String> = (0..names.len())
                .map(|m| {
                    let (mean, sd) = stats::mean_sd(&figs.iter().map(|f| f[m]).collect::<Vec<_>>());
                    format!("{mean:.3} ± {sd:.3}")
                })
                .collect();
            let _ = writeln!(s, "| {name} | {} | {missed:?} |", cells.join(" | "));
        }
    }
    let _ = writeln!(
        s,
        "\n## Runs\n\n| row | seed | lr | valid {} | best epoch | epochs run | left the prior | minutes |\n|---|---|---|---|---|---|---|---|",
        r.plan.training.select.name()
    );
    for run in &r.runs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            run.row,
            run.seed,
            run.lr,
            run.valid.map(|v| format!("{v:.3}")).unwrap_or("undefined".into()),
            run.best_epoch,
            run.epochs_run,
            if run.stuck { "**no**" } else { "yes" },
            run.seconds / 60.0
        );
    }
    let _ = writeln!(s, "\n## Encoder diagnostics (seed {} split)\n\n{}", r.plan.seeds[0], probe::table(&r.probes));
    s
}
