//! The ablation of the study's method on one preset of the synthetic benchmark, as the committed
//! plan (`crates/lab/plans/ablation-plan.json`) fixes it: the rows (the 2×2×2 cross of imbalance-aware
//! loss, self-supervised pretraining and the global–local architecture on `ra-like`; baseline and
//! full method on `control` and `default`; extra rows), the seeds, the learning-rate grid chosen on
//! validation, the primary metric, and a fixed test cohort of patients no run trains on.
//!
//! Every run (and every pretraining) lives in a folder named by the hash of its configuration, so
//! an interrupted ablation resumes where it stopped and a finished one only re-reads its results.
//! The report compares rows by paired differences on the same test cohort and seeds, with 95 %
//! intervals from a bootstrap that resamples both seeds and test patients; it adds the oracle row
//! (what knowing the rest of the hand could add at most) and, for the rows the plan names, the
//! figures at MediaPipe's joint positions (the path the page runs).
mod cohorts;
mod compare;
mod plan;
mod report;
mod runs;

use anyhow::{Context, bail};
use cohorts::*;
pub use compare::*;
use jointscope_dataset::synth::{Preset, SynthConfig};
use jointscope_model::ModelConfig;
use jointscope_train::backend::BackendChoice;
use jointscope_train::progress::Progress;
use jointscope_train::run;
pub use plan::*;
pub use report::*;
pub use runs::*;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// A real-photo benchmark (`jointscope synth --base-photos`) to run the plan's `real` rows on
/// instead of a drawn preset's cohorts.
#[derive(Debug, Clone)]
pub struct RealBenchmark {
    /// The benchmark's folder: `manifest.csv` trains and validates, `test.csv` tests.
    pub dir: PathBuf,
    /// The pretraining pool: a folder of unlabelled real photos (and its subfolders).
    pub pool: Option<PathBuf>,
    /// 11K Hands' `HandInfo.csv`, to leave the test subjects' photos out of the pool.
    pub subjects: Option<PathBuf>,
    /// Hands in the pool (the first found in the pool's fixed order); every hand found when None.
    pub pool_size: Option<usize>,
    /// Only hands showing this side, as MediaPipe's landmarks judge it (every hand when None).
    pub pool_view: Option<jointscope_data::View>,
    /// Train on the first N of the benchmark's training subjects ([`SUBJECT_ORDER_SEED`]'s order;
    /// all when None): how many patients a clinic must photograph.
    pub train_subjects: Option<usize>,
}

/// The seed of the order in which `--train-subjects N` takes the benchmark's training subjects
/// (the real benchmark's test-subject seed: fixed, so the 10 are among the 20).
pub const SUBJECT_ORDER_SEED: u64 = 1007;

/// What the ablation needs besides the plan.
#[derive(Clone)]
pub struct AblateConfig {
    pub preset: Preset,
    /// Run on this real-photo benchmark instead of `preset`'s drawn cohorts.
    pub real: Option<RealBenchmark>,
    pub plan: Plan,
    /// Folder of the cohorts, pretrainings, runs and reports (shared by every preset).
    pub out: PathBuf,
    /// The training cohort's generator settings (the preset's benchmark).
    pub synth: SynthConfig,
    pub model: ModelConfig,
    /// Folder of MediaPipe's models (landmark-position rows).
    pub models: PathBuf,
    pub backend: BackendChoice,
    /// Run only these rows (all when empty) and report their runs; the full report needs every row.
    pub only: Vec<String>,
    /// Run only these of the plan's seeds (all when empty), reported as for `only`.
    pub only_seeds: Vec<u64>,
    /// Run only this one of [`jobs`] (its cohorts and pretraining as needed) and report it alone:
    /// how a scheduler's workers share an ablation.
    pub job: Option<usize>,
    /// Keep each finished run's small files here (a folder meant for git) and read the runs found
    /// there instead of training them.
    pub results: Option<PathBuf>,
    /// The program's commit, recorded with each run kept in `results`.
    pub commit: String,
    /// With a real benchmark's pool: compare each pretrained row with the same row pretrained on
    /// this other pool (its view, its size), paired on the same test subjects.
    pub versus_pool: Option<(Option<jointscope_data::View>, Option<usize>)>,
}

/// One training run of the ablation (a row at a seed and a learning rate): what `--job N` runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub row: String,
    pub seed: u64,
    pub lr: f64,
}

/// A finished run's figures on the test cohort and what selection needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub row: String,
    pub seed: u64,
    pub lr: f64,
    pub dir: PathBuf,
    /// Validation figure at the kept epoch (the plan's `select`).
    pub valid: Option<f64>,
    pub best_epoch: usize,
    pub epochs_run: usize,
    /// Best validation ROC-AUC below 0.6: the run never left the prior.
    pub stuck: bool,
    pub seconds: f64,
    /// The hash of what the run's figures depend on (its configuration with every file it reads
    /// replaced by its content's hash, and the backward): its folder's name in `OUT/runs`.
    #[serde(default)]
    pub identity: String,
}

impl AblateConfig {
    /// The benchmark's name in the plan and in the report's file name.
    pub fn name(&self) -> String {
        match &self.real {
            None => self.preset.name().to_string(),
            Some(r) => {
                let view = r.pool_view.map_or(String::new(), |v| format!("-{}", v.code()));
                match r.pool_size {
                    Some(n) => format!("real-pool{view}{n}"),
                    None if r.pool_view.is_some() => format!("real-pool{view}"),
                    None => "real".to_string(),
                }
            }
        }
    }

    /// The benchmark's key in the plan's `presets`.
    fn plan_key(&self) -> &str {
        if self.real.is_some() { "real" } else { self.preset.name() }
    }
}

/// Run (or resume) the ablation of `c.preset`; writes `ablation-<preset>.md` and `.json` into
/// `c.out` and returns the Markdown.
pub fn ablate(c: &AblateConfig, progress: &dyn Progress) -> anyhow::Result<String> {
    let started = Instant::now();
    let plan = &c.plan;
    let (rows, seeds) = rows_and_seeds(c)?;
    if let Some(n) = c.job {
        return run_job(c, &rows, n, progress);
    }
    let partial = !c.only.is_empty() || !c.only_seeds.is_empty();
    let (runs, mut prepared) = gather(c, &rows, &seeds, progress)?;
    let selected = select(&runs);
    let chosen = chosen_runs(&rows, &seeds, &selected)?;
    let names = &plan.metrics;
    if partial {
        let mut md = partial_table(&seeds, plan, &runs, &selected, &chosen, names);
        differences_section(&mut md, &partial_differences(c, &rows, &chosen));
        differences_section(&mut md, &versus_pool(c, (&rows, &seeds), &chosen, progress)?);
        hands_section(&mut md, &seeds, &rows, &chosen, plan.bootstrap_resamples);
        md += &probes_section(c, (&rows, &seeds), &mut prepared, progress)?;
        return Ok(md);
    }
    let table_rows: Vec<(String, Vec<Vec<f64>>)> = rows
        .iter()
        .map(|row| {
            let figs = chosen[&row.name].iter().map(|s| figures(&s.predictions.iter().collect::<Vec<_>>(), s.thresholds, names)).collect();
            (row.name.clone(), figs)
        })
        .collect();

    // The oracle: what the rest of the hand could add at most, on the baseline of each seed.
    let oracles = oracles(plan, &selected)?;
    let oracle_figs: Vec<Vec<f64>> = oracles.iter().map(|s| figures(&s.predictions.iter().collect::<Vec<_>>(), s.thresholds, names)).collect();
    let differences = differences(c, &rows, &chosen, &oracles);
    let landmark_rows = landmark_rows(c, (&rows, &seeds), &selected, &mut prepared, progress)?;

    // Encoder diagnostics on seed 0's split: random, pretrained and fine-tuned (baseline) encoders.
    let probes = kept_diagnostics(c, (&rows, &seeds), &selected, &mut prepared, progress)?;
    progress.note("encoder diagnostics done");

    let report = Report { preset: c.name(), plan: plan.clone(), runs: runs.clone(), rows: table_rows, differences, landmark_rows, oracle: oracle_figs, probes };
    let md = table(&report);
    let name = c.name();
    run::write_report(&c.out, &format!("ablation-{name}"), &report, &md)?;
    progress.note(&format!("ablation of {name}: {:.1} min this time", started.elapsed().as_secs_f64() / 60.0));
    Ok(md)
}

/// The plan's rows (those of `c.only`, or all) and seeds (`c.only_seeds`, or all).
pub(crate) fn rows_and_seeds(c: &AblateConfig) -> anyhow::Result<(Vec<Row>, Vec<u64>)> {
    let plan = &c.plan;
    anyhow::ensure!(!plan.seeds.is_empty() && !plan.training.lr_grid.is_empty(), "the plan needs at least one seed and one learning rate");
    let mut rows = rows(plan, c.plan_key())?;
    if let Some(unknown) = c.only.iter().find(|n| !rows.iter().any(|r| &r.name == *n)) {
        bail!("the {} benchmark has no row {unknown:?} (its rows: {})", c.plan_key(), rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", "));
    }
    if !c.only.is_empty() {
        rows.retain(|r| c.only.contains(&r.name));
    }
    if let Some(s) = c.only_seeds.iter().find(|s| !plan.seeds.contains(s)) {
        bail!("the plan has no seed {s} (its seeds: {:?})", plan.seeds);
    }
    let seeds: Vec<u64> = plan.seeds.iter().copied().filter(|s| c.only_seeds.is_empty() || c.only_seeds.contains(s)).collect();
    Ok((rows, seeds))
}

/// Job `n` alone: the cohorts and the pretraining it needs (each under its lock, so workers
/// sharing `c.out` prepare each once), then its run; reports the run in one line.
fn run_job(c: &AblateConfig, rows: &[Row], n: usize, progress: &dyn Progress) -> anyhow::Result<String> {
    let all = jobs(c)?;
    let job = all.get(n).with_context(|| format!("the ablation has {} jobs (0 to {}); there is no job {n}", all.len(), all.len().saturating_sub(1)))?;
    let row = rows.iter().find(|r| r.name == job.row).context("a job's row is one of the plan's")?;
    let found = kept(c, row, job.seed, job.lr)?;
    let p = prepare(c, std::slice::from_ref(row), &[job.seed], progress)?;
    let r = obtain(c, &p, row, (job.seed, job.lr), found, progress)?;
    let valid = r.valid.map_or("undefined".to_string(), |v| format!("{v:.3}"));
    Ok(format!("job {n} of {}: {} seed {} lr {}: validation {valid} at epoch {}, {}", all.len(), r.row, r.seed, r.lr, r.best_epoch, r.dir.display()))
}
