//! The runs of an ablation: each row, seed and learning rate trained (or found finished, or read
//! from the results folder), the one of best validation figure selected per row and seed.
use super::*;
use jointscope_dataset::split::{Part, SplitSpec};
use jointscope_model::{Arch, EncoderKind, ModelConfig};
use jointscope_train::choice::Choice;
use jointscope_train::evaluate::{self, Cohort, Positions};
use jointscope_train::losses::{LossConfig, LossKind};
use jointscope_train::progress::Progress;
use jointscope_train::run::{self, RunDir};
use jointscope_train::train::{self, ModelMeta, Recipe, RunConfig, Sampler, Select, TrainParams};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The run configuration of `row` for `seed` at learning rate `lr`.
pub(crate) fn run_config(c: &AblateConfig, manifest: &Path, row: &Row, seed: u64, lr: f64, init: Option<PathBuf>) -> RunConfig {
    let t = &c.plan.training;
    let pretrained = init.is_some() || row.mediapipe_weights;
    RunConfig {
        manifest_sha256: None,
        manifest: manifest.to_path_buf(),
        model: ModelConfig { arch: if row.global_local { Arch::GlobalLocal } else { Arch::Local }, encoder: row.encoder, ..c.model.clone() },
        train: TrainParams {
            epochs: t.epochs,
            batch_images: t.batch_images,
            lr,
            loss: LossConfig { kind: if row.imbalance { c.plan.imbalance_loss } else { LossKind::Bce }, ..LossConfig::default() },
            sampler: Sampler::Shuffle,
            mix: row.mix,
            init,
            init_mediapipe: row.mediapipe_weights,
            seed,
            recipe: Recipe {
                select: t.select,
                patience: t.patience,
                warmup_steps: t.warmup_steps,
                frozen_epochs: if pretrained { c.plan.pretrained_fine_tuning.frozen_epochs } else { 0 },
                encoder_lr_scale: if pretrained { c.plan.pretrained_fine_tuning.encoder_lr_scale } else { 1.0 },
                context_dropout: if row.global_local { c.plan.global_local_context_dropout } else { 0.0 },
            },
            ..TrainParams::default()
        },
        split: SplitSpec { seed, ..SplitSpec::default() },
        backend: c.backend,
    }
}

/// The slot of a run in the results folder (None without one): pretrained rows of a real-photo
/// benchmark are kept per pool.
pub(crate) fn slot(c: &AblateConfig, row: &Row, seed: u64, lr: f64) -> Option<PathBuf> {
    let root = c.results.as_ref()?;
    let benchmark = match &c.real {
        Some(r) => {
            let name = r.dir.file_name().map_or("real".to_string(), |n| n.to_string_lossy().to_string());
            r.train_subjects.map_or(name.clone(), |n| format!("{name}-subjects{n}"))
        }
        None => c.preset.name().to_string(),
    };
    let pool = (row.ssl.is_some() && c.real.is_some()).then(|| c.name());
    Some(crate::results::slot(root, &benchmark, &row.name, seed, lr, pool.as_deref()))
}

/// The run of `row` at `seed` and `lr` kept in the results folder (None where it is not).
pub(crate) fn kept(c: &AblateConfig, row: &Row, seed: u64, lr: f64) -> anyhow::Result<Option<RunResult>> {
    slot(c, row, seed, lr).map_or(Ok(None), |s| crate::results::find(&s))
}

/// One run: checked against the identity of the one kept in the results folder where it was kept,
/// else trained (or resumed, or found finished in `OUT/runs`) and kept there.
pub(crate) fn obtain(
    c: &AblateConfig,
    p: &Prepared,
    row: &Row,
    (seed, lr): (u64, f64),
    found: Option<RunResult>,
    progress: &dyn Progress,
) -> anyhow::Result<RunResult> {
    let key = |o| (o, seed, row.encoder == EncoderKind::Mediapipe);
    let init = row.ssl.map(|o| &p.pretrainings[&key(o)]);
    let config = run_config(c, &p.cohorts.train, row, seed, lr, None);
    let identity = run_identity(&config, &p.cohorts, init)?;
    if let Some(k) = found {
        anyhow::ensure!(
            k.identity == identity,
            "{} holds a run of other settings or data (identity {}; this run's is {identity}): keep this study's results in another folder",
            k.dir.display(),
            k.identity
        );
        return Ok(k);
    }
    let pool = p.cohorts.pool.as_ref();
    let init_dir = init.map(|i| pretrained(c, pool.expect("a pretraining has a pool"), i, progress)).transpose()?;
    let config = RunConfig { train: TrainParams { init: init_dir, ..config.train }, ..config };
    let r = locked(&c.out, &format!("run-{identity}"), || run_unlocked(c, config, &identity, row, &p.cohorts.test, progress))?;
    let Some(slot) = slot(c, row, seed, lr) else { return Ok(r) };
    let provenance =
        crate::results::Provenance { commit: c.commit.clone(), machine: jointscope_train::machine::Machine::current(), backend: c.backend.name().into() };
    crate::results::keep(&slot, &r.dir, &r, &provenance)?;
    Ok(crate::results::find(&slot)?.expect("just kept"))
}

pub(crate) fn run_unlocked(c: &AblateConfig, config: RunConfig, hash: &str, row: &Row, test: &Path, progress: &dyn Progress) -> anyhow::Result<RunResult> {
    let dir = c.out.join("runs").join(hash);
    let done = dir.join("ablation-run.json");
    if done.exists() {
        let r: RunResult = run::read_json(&done)?;
        return Ok(RunResult { dir, identity: hash.to_string(), ..r });
    }
    let started = Instant::now();
    let rd = RunDir(dir.clone());
    let (seed, lr) = (config.train.seed, config.train.lr);
    if !rd.model_meta().exists() {
        let resume = rd.config().exists();
        progress.note(&format!("{} seed {seed} lr {lr}: {} {}", row.name, if resume { "resuming" } else { "training" }, dir.display()));
        train::train(&dir, (!resume).then_some(config.clone()), resume, &c.models, progress)?;
    }
    let test_cohort = Cohort::Named("cohort".into(), test.to_path_buf());
    evaluate::evaluate(&dir, &test_cohort, &Positions::Manifest, 0, &jointscope_train::progress::Silent)?;
    // Validation predictions too: selection, the F1-optimal threshold and the oracle read them.
    evaluate::evaluate(&dir, &Cohort::Split(Part::Valid), &Positions::Manifest, 0, &jointscope_train::progress::Silent)?;
    let meta: ModelMeta = run::read_json(&rd.model_meta())?;
    let history = run::read_history(&rd.history())?;
    let at_best = history.iter().find(|r| r.epoch == meta.best_epoch);
    let valid = at_best.and_then(|r| match config.train.recipe.select {
        Select::RocAuc => r.valid_auc,
        Select::PrAuc => r.valid_pr_auc,
    });
    let best_auc = history.iter().filter_map(|r| r.valid_auc).fold(f64::NAN, f64::max);
    let result = RunResult {
        row: row.name.clone(),
        seed,
        lr,
        dir,
        valid,
        best_epoch: meta.best_epoch,
        epochs_run: history.len(),
        stuck: best_auc.is_nan() || best_auc < 0.6,
        seconds: started.elapsed().as_secs_f64(),
        identity: hash.to_string(),
    };
    run::write_json(&done, &result)?;
    Ok(result)
}

/// Every run of the rows and seeds at every learning rate: those kept in the results folder read
/// from it (with nothing prepared when all were kept: a fresh clone prints the tables without the
/// data), the rest trained; and the cohorts where they were prepared.
pub(crate) fn gather(c: &AblateConfig, rows: &[Row], seeds: &[u64], progress: &dyn Progress) -> anyhow::Result<(Vec<RunResult>, Option<Prepared>)> {
    let mut wanted = Vec::new();
    for &seed in seeds {
        for row in rows {
            for &lr in &c.plan.training.lr_grid {
                wanted.push((row, seed, lr, kept(c, row, seed, lr)?));
            }
        }
    }
    if wanted.iter().all(|w| w.3.is_some()) {
        return Ok((wanted.into_iter().map(|w| w.3.expect("all kept")).collect(), None));
    }
    let p = prepare(c, rows, seeds, progress)?;
    let runs = wanted.into_iter().map(|(row, seed, lr, found)| obtain(c, &p, row, (seed, lr), found, progress)).collect::<anyhow::Result<Vec<_>>>()?;
    Ok((runs, Some(p)))
}

/// The ablation's training runs in the order it runs them (seed, then row, then learning rate):
/// job `N` of `--job N`. Computed from the plan alone; nothing is generated or trained.
pub fn jobs(c: &AblateConfig) -> anyhow::Result<Vec<Job>> {
    let (rows, seeds) = rows_and_seeds(c)?;
    Ok(seeds
        .iter()
        .flat_map(|&seed| rows.iter().flat_map(move |row| c.plan.training.lr_grid.iter().map(move |&lr| Job { row: row.name.clone(), seed, lr })))
        .collect())
}

/// Selection: per row and seed, the run whose learning rate gave the best validation figure.
pub(crate) fn select(runs: &[RunResult]) -> HashMap<(String, u64), &RunResult> {
    let mut selected: HashMap<(String, u64), &RunResult> = HashMap::new();
    for r in runs {
        let key = (r.row.clone(), r.seed);
        let better = selected.get(&key).is_none_or(|s| r.valid.unwrap_or(f64::MIN) > s.valid.unwrap_or(f64::MIN));
        if better {
            selected.insert(key, r);
        }
    }
    selected
}

/// Per row, the selected runs' thresholds and test predictions, in the order of `seeds`.
pub(crate) fn chosen_runs(rows: &[Row], seeds: &[u64], selected: &HashMap<(String, u64), &RunResult>) -> anyhow::Result<HashMap<String, Vec<Selected>>> {
    let mut out = HashMap::new();
    for row in rows {
        let per_seed = seeds.iter().map(|&s| load(selected[&(row.name.clone(), s)], "cohort")).collect::<anyhow::Result<Vec<_>>>()?;
        out.insert(row.name.clone(), per_seed);
    }
    Ok(out)
}

/// A selected run's thresholds and its predictions on evaluation set `set`.
pub(crate) fn load(r: &RunResult, set: &str) -> anyhow::Result<Selected> {
    let rd = RunDir(r.dir.clone());
    let meta: ModelMeta = run::read_json(&rd.model_meta())?;
    let valid = valid_predictions(r)?;
    let (s, l): (Vec<f32>, Vec<bool>) = valid.iter().map(|x| (x.prob, x.label)).unzip();
    let thresholds = Thresholds { chosen: meta.threshold, f1_optimal: jointscope_metrics::best_threshold(&s, &l, jointscope_data::Objective::F1) };
    Ok(Selected { thresholds, predictions: read_predictions(&rd.eval(set).join("predictions.csv"))?, hand_rule: meta.hand_rule })
}

/// A run's predictions on its validation patients (evaluated there first where they were not).
pub(crate) fn valid_predictions(r: &RunResult) -> anyhow::Result<Vec<Scored>> {
    let path = RunDir(r.dir.clone()).eval("valid").join("predictions.csv");
    if !path.exists() {
        evaluate::evaluate(&r.dir, &Cohort::Split(Part::Valid), &Positions::Manifest, 0, &jointscope_train::progress::Silent)?;
    }
    read_predictions(&path)
}

/// The folder of a run's weights on this machine (`OUT/runs/<identity>`), or why there is none.
pub(crate) fn weights_of(c: &AblateConfig, r: &RunResult) -> anyhow::Result<PathBuf> {
    let dir = if r.identity.is_empty() { r.dir.clone() } else { c.out.join("runs").join(&r.identity) };
    anyhow::ensure!(
        RunDir(dir.clone()).model().exists(),
        "{} seed {} lr {}: its weights are not on this machine (looked in {}); what the report needs of them was not kept either: train it here (remove its kept folder {})",
        r.row,
        r.seed,
        r.lr,
        dir.display(),
        r.dir.display()
    );
    Ok(dir)
}
