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
use crate::probe;
use crate::synthetic;
use anyhow::{Context, bail};
use jointscope_dataset::fsio::sha256_file;
use jointscope_dataset::split::{Part, SplitSpec};
use jointscope_dataset::synth::{Preset, SynthConfig};
use jointscope_metrics::{Confusion, pr_auc, roc_auc, stats};
use jointscope_model::{Arch, EncoderKind, ModelConfig};
use jointscope_train::augment::Mix;
use jointscope_train::backend::BackendChoice;
use jointscope_train::choice::Choice;
use jointscope_train::evaluate::{self, Cohort, Positions};
use jointscope_train::losses::{LossConfig, LossKind};
use jointscope_train::pretrain::{self, PretrainConfig};
use jointscope_train::progress::Progress;
use jointscope_train::run::{self, RunDir};
use jointscope_train::train::{self, ModelMeta, Recipe, RunConfig, Sampler, Select, TrainParams};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A row measured on MediaPipe's joint positions: its name, each seed's figures, the seeds that
/// could not be measured.
type LandmarkRow = (String, Vec<Vec<f64>>, Vec<usize>);

/// The committed plan, as the binary was built with it.
pub const PLAN: &str = include_str!("../plans/ablation-plan.json");

/// The ablation protocol (see `crates/lab/plans/ablation-plan.json` for what each field means).
/// A field the runner does not know is refused, so a misspelt setting cannot silently fall back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub primary_metric: Metric,
    /// The table's metrics; the first is the one intervals and the patients curve report.
    pub metrics: Vec<Metric>,
    pub seeds: Vec<u64>,
    pub test_cohort: TestCohort,
    pub bootstrap_resamples: usize,
    pub training: PlanTraining,
    pub imbalance_loss: LossKind,
    pub pretraining: PlanPretraining,
    pub pretrained_fine_tuning: PlanFineTuning,
    pub global_local_context_dropout: f32,
    pub presets: BTreeMap<String, PresetPlan>,
    pub landmark_position_rows: Vec<String>,
    /// Prose for the reader of the plan file (what it is, what each row means, how a run is
    /// selected, the oracle, the null check); kept as written, never read by the runner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_check: Option<serde_json::Value>,
}

/// A figure of the ablation's tables (serde names as the plans and reports write them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    #[serde(rename = "PR-AUC")]
    PrAuc,
    #[serde(rename = "ROC-AUC")]
    RocAuc,
    /// At the threshold chosen on validation.
    #[serde(rename = "F1")]
    F1,
    #[serde(rename = "G-mean")]
    GMean,
    /// At the test set's own F1-optimal threshold (how far the chosen threshold is from the best).
    #[serde(rename = "F1 @ F1-optimal")]
    F1AtOptimal,
    #[serde(rename = "G-mean @ F1-optimal")]
    GMeanAtOptimal,
    #[serde(rename = "sensitivity")]
    Sensitivity,
    #[serde(rename = "specificity")]
    Specificity,
}

impl Metric {
    /// The name the tables print (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Metric::PrAuc => "PR-AUC",
            Metric::RocAuc => "ROC-AUC",
            Metric::F1 => "F1",
            Metric::GMean => "G-mean",
            Metric::F1AtOptimal => "F1 @ F1-optimal",
            Metric::GMeanAtOptimal => "G-mean @ F1-optimal",
            Metric::Sensitivity => "sensitivity",
            Metric::Specificity => "specificity",
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCohort {
    pub patients: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTraining {
    pub epochs: usize,
    pub batch_images: usize,
    pub lr_grid: Vec<f64>,
    pub select: Select,
    pub patience: Option<usize>,
    pub warmup_steps: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanPretraining {
    pub objective: pretrain::Objective,
    pub epochs: usize,
    pub seeds: Vec<u64>,
    pub colour: f32,
    pub mask_ratio: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFineTuning {
    pub frozen_epochs: usize,
    pub encoder_lr_scale: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetPlan {
    /// The 2×2×2 cross; otherwise baseline and full method only.
    pub cross: bool,
    pub extra_rows: Vec<String>,
}

impl Plan {
    /// The committed plan.
    pub fn committed() -> anyhow::Result<Plan> {
        serde_json::from_str(PLAN).context("crates/lab/plans/ablation-plan.json")
    }

    /// A plan file.
    pub fn read(path: &Path) -> anyhow::Result<Plan> {
        run::read_json(path)
    }

    /// A tiny version for tests: one seed, one learning rate, two epochs, small cohorts.
    pub fn quick(mut self) -> Plan {
        self.seeds.truncate(1);
        self.training.lr_grid.truncate(1);
        self.training.epochs = 2;
        self.training.warmup_steps = 2;
        self.pretraining.epochs = 1;
        self.pretraining.seeds.truncate(1);
        self.test_cohort.patients = 12;
        self.bootstrap_resamples = 50;
        // MediaPipe's encoder needs 64-pixel crops; the quick model's are smaller.
        for p in self.presets.values_mut() {
            p.extra_rows.retain(|r| !r.starts_with("MediaPipe"));
        }
        self
    }
}

/// One row of the table: what the model, loss, initialisation and mixing are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub name: String,
    pub imbalance: bool,
    /// Encoders pretrained with this objective (None: random initialisation).
    pub ssl: Option<pretrain::Objective>,
    pub global_local: bool,
    pub mix: Mix,
    /// How the encoders are built.
    #[serde(default)]
    pub encoder: EncoderKind,
    /// The encoders start from MediaPipe's hand network (with [`EncoderKind::Mediapipe`]).
    #[serde(default)]
    pub mediapipe_weights: bool,
    /// The row its paired difference is taken against.
    #[serde(default)]
    pub against: String,
}

/// The rows the plan lists for the benchmark `name` (a preset's, or `real`), in table order.
pub fn rows(plan: &Plan, name: &str) -> anyhow::Result<Vec<Row>> {
    let p = plan.presets.get(name).with_context(|| format!("the plan has no rows for the benchmark {name}"))?;
    let ssl = plan.pretraining.objective;
    let row = |name: &str, imbalance, with_ssl: bool, global_local, mix| Row {
        name: name.into(),
        imbalance,
        ssl: with_ssl.then_some(ssl),
        global_local,
        mix,
        encoder: EncoderKind::Plain,
        mediapipe_weights: false,
        against: "full".into(),
    };
    let mut out = vec![row("baseline", false, false, false, Mix::None)];
    if p.cross {
        out.extend([
            row("+imbalance", true, false, false, Mix::None),
            row("+SSL", false, true, false, Mix::None),
            row("+global-local", false, false, true, Mix::None),
            row("imbalance+SSL", true, true, false, Mix::None),
            row("imbalance+global-local", true, false, true, Mix::None),
            row("SSL+global-local", false, true, true, Mix::None),
        ]);
    }
    out.push(row("full", true, true, true, Mix::None));
    for extra in &p.extra_rows {
        out.push(match extra.as_str() {
            "full + cut-keep" => row(extra, true, true, true, Mix::CutKeep),
            "full, contrastive pretraining" => Row { ssl: Some(pretrain::Objective::Contrastive), ..row(extra, true, true, true, Mix::None) },
            // The baseline with MediaPipe's encoder: from Google's weights, and from random ones
            // (which separates what the weights bring from what the architecture brings).
            "MediaPipe init" => {
                Row { encoder: EncoderKind::Mediapipe, mediapipe_weights: true, against: "baseline".into(), ..row(extra, false, false, false, Mix::None) }
            }
            "MediaPipe init + imbalance + global-local" => {
                Row { encoder: EncoderKind::Mediapipe, mediapipe_weights: true, against: "MediaPipe init".into(), ..row(extra, true, false, true, Mix::None) }
            }
            // MediaPipe's encoder continued with the plan's self-supervised objective on the pool,
            // then fine-tuned as `MediaPipe init` is: the paper's ingredient on the one start that helps.
            "MediaPipe init + SSL" => Row { encoder: EncoderKind::Mediapipe, against: "MediaPipe init".into(), ..row(extra, false, true, false, Mix::None) },
            "MediaPipe architecture (random init)" => {
                Row { encoder: EncoderKind::Mediapipe, against: "baseline".into(), ..row(extra, false, false, false, Mix::None) }
            }
            other => bail!("the plan names an unknown row {other:?}"),
        });
    }
    Ok(out)
}

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

/// The manifests an ablation trains, tests and pretrains on, with their contents' hashes (what a
/// run's identity holds instead of where they lie).
struct Cohorts {
    train: PathBuf,
    test: PathBuf,
    train_sha: String,
    test_sha: String,
    /// Unlabelled photos for pretraining (None: the benchmark has none).
    pool: Option<PoolSource>,
}

/// Where the pretraining photos come from.
enum PoolSource {
    /// A manifest (the drawn cohort's healthy photos) and its content's hash.
    Manifest { path: PathBuf, sha: String },
    /// A folder of real photos, located with MediaPipe when a pretraining first needs them (cached
    /// in `cache`); `identity` hashes the photos' names in the pool's order, the left-out count,
    /// the size and the view.
    Photos { cache: PathBuf, order: Vec<PathBuf>, size: Option<usize>, view: Option<jointscope_data::View>, identity: String },
}

impl PoolSource {
    fn identity(&self) -> String {
        match self {
            PoolSource::Manifest { sha, .. } => format!("sha256:{sha}"),
            PoolSource::Photos { identity, .. } => format!("pool:{identity}"),
        }
    }
}

/// What the runs of an ablation need besides the plan: the cohorts and the pretrainings of its
/// rows (named, not yet run: a pretraining runs when a run that starts from it must train).
pub(crate) struct Prepared {
    cohorts: Cohorts,
    pretrainings: HashMap<PretrainKey, Pretraining>,
}

/// (objective, run seed, from MediaPipe's weights).
type PretrainKey = (pretrain::Objective, u64, bool);

/// A pretraining: its configuration (the pool's manifest filled in when it runs) and identity.
#[derive(Clone)]
struct Pretraining {
    config: PretrainConfig,
    identity: String,
}

/// Hex of the first 8 bytes of the SHA-256 of a value's JSON.
fn hash_of<T: Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(jointscope_detect::sidecar::sha256(&serde_json::to_vec(value)?)[..16].to_string())
}

/// The folder name of a training or pretraining: its configuration's hash, with the backward the
/// convolutions and group norms use beside it once that is not burn's own, so a run cached with
/// one backward is never read as a run of the other (their gradients differ in the last bits,
/// and the trajectories then part).
fn run_hash<T: Serialize>(config: &T) -> anyhow::Result<String> {
    use jointscope_train::machine::{BURN_GRADIENTS, gradients};
    match gradients() {
        BURN_GRADIENTS => hash_of(config),
        other => hash_of(&(config, other)),
    }
}

/// A run's identity: its configuration with the manifest replaced by its content's hash, the
/// pretraining it starts from by that pretraining's identity, and the test manifest's hash beside
/// it — the same on every machine that has the same data.
fn run_identity(config: &RunConfig, cohorts: &Cohorts, init: Option<&Pretraining>) -> anyhow::Result<String> {
    let mut id = config.clone();
    id.manifest = PathBuf::from(format!("sha256:{}", cohorts.train_sha));
    id.train.init = init.map(|p| PathBuf::from(format!("pretraining:{}", p.identity)));
    run_hash(&(id, &cohorts.test_sha))
}

/// `f()` while holding the exclusive lock of `OUT/locks/<name>.lock`, so two workers sharing
/// `out` (processes on one machine or on several, over a shared folder) never prepare the same
/// cohort, pretraining or run at once: the second waits, then finds the first's finished result.
/// The operating system releases the lock when its holder exits, killed or not, so a dead worker
/// blocks nobody.
fn locked<T>(out: &Path, name: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let dir = out.join("locks");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{name}.lock"));
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).with_context(|| format!("opening {}", path.display()))?;
    file.lock().with_context(|| format!("locking {}", path.display()))?;
    let result = f();
    // Unlocked when `file` is dropped, also on an early return.
    drop(file);
    result
}

/// The cohorts and the rows' pretrainings (named, not run).
fn prepare(c: &AblateConfig, rows: &[Row], seeds: &[u64], progress: &dyn Progress) -> anyhow::Result<Prepared> {
    let cohorts = locked(&c.out, &format!("cohorts-{}", c.name()), || cohorts_unlocked(c, progress))?;
    let pretrainings = pretrainings(c, &cohorts, rows, seeds)?;
    Ok(Prepared { cohorts, pretrainings })
}

/// The prepared cohorts, prepared now where they were not yet.
fn ensure_prepared<'a>(cell: &'a mut Option<Prepared>, c: &AblateConfig, rows: &[Row], seeds: &[u64], progress: &dyn Progress) -> anyhow::Result<&'a Prepared> {
    if cell.is_none() {
        *cell = Some(prepare(c, rows, seeds, progress)?);
    }
    Ok(cell.as_ref().expect("just prepared"))
}

/// The training cohort and the test cohort of the preset, generated once, or the real-photo
/// benchmark's and its pool.
fn cohorts_unlocked(c: &AblateConfig, progress: &dyn Progress) -> anyhow::Result<Cohorts> {
    if let Some(real) = &c.real {
        return real_cohorts(c, real);
    }
    let name = c.preset.name();
    let train_dir = c.out.join("cohorts").join(name);
    let test_dir = c.out.join("cohorts").join(format!("{name}-test"));
    let test = SynthConfig { patients: c.plan.test_cohort.patients, healthy_images: 0, seed: c.plan.test_cohort.seed, ..c.synth.clone() };
    anyhow::ensure!(test.seed != c.synth.seed, "the test cohort needs its own generator seed");
    progress.note(&format!("cohorts of {name}: training {}, test {}", train_dir.display(), test_dir.display()));
    synthetic::prepare(&train_dir, &c.synth, progress)?;
    synthetic::prepare(&test_dir, &test, progress)?;
    let (train_dir, test_dir) = (std::fs::canonicalize(&train_dir)?, std::fs::canonicalize(&test_dir)?);
    let (train, test, healthy) = (train_dir.join("manifest.csv"), test_dir.join("manifest.csv"), train_dir.join("healthy.csv"));
    let pool = PoolSource::Manifest { sha: sha256_file(&healthy)?, path: healthy };
    Ok(Cohorts { train_sha: sha256_file(&train)?, test_sha: sha256_file(&test)?, train, test, pool: Some(pool) })
}

/// The real-photo benchmark's manifests, and its pretraining pool in its order without the test
/// subjects' photos (located when a pretraining first needs it).
fn real_cohorts(c: &AblateConfig, real: &RealBenchmark) -> anyhow::Result<Cohorts> {
    let dir = std::fs::canonicalize(&real.dir).with_context(|| format!("the benchmark folder {}", real.dir.display()))?;
    let (train, test) = (dir.join("manifest.csv"), dir.join("test.csv"));
    for m in [&train, &test] {
        anyhow::ensure!(m.exists(), "{} is missing: is {} a `jointscope synth --base-photos` folder?", m.display(), dir.display());
    }
    let (mut train, test_sha) = (train, sha256_file(&test)?);
    let mut train_sha = sha256_file(&train)?;
    if let Some(n) = real.train_subjects {
        (train, train_sha) = subject_subset(c, &dir, &train_sha, n)?;
    }
    let Some(photos) = &real.pool else { return Ok(Cohorts { train, test, train_sha, test_sha, pool: None }) };
    let photos = std::fs::canonicalize(photos).with_context(|| format!("the pool folder {}", photos.display()))?;
    let test_subjects: std::collections::HashSet<String> = jointscope_train::dataset::read_manifest(&test)?.rows.iter().map(|r| r.patient_id.clone()).collect();
    let subject_of = real.subjects.as_deref().map(crate::real_photos::subject_of_images).transpose()?.unwrap_or_default();
    let (order, left_out) = crate::pool::ordered_photos(&photos, &subject_of, &test_subjects)?;
    let names: Vec<String> = order.iter().map(|p| p.strip_prefix(&photos).unwrap_or(p).to_string_lossy().to_string()).collect();
    let cache = c.out.join("pools").join(hash_of(&(&names, left_out))?);
    let identity = hash_of(&(&names, left_out, real.pool_size, real.pool_view))?;
    let pool = PoolSource::Photos { cache, order, size: real.pool_size, view: real.pool_view, identity };
    Ok(Cohorts { train, test, train_sha, test_sha, pool: Some(pool) })
}

/// The benchmark's training manifest cut to its first `n` subjects in [`SUBJECT_ORDER_SEED`]'s
/// shuffle of its sorted subject ids, written once to `OUT/cohorts/<identity>/manifest.csv` (images
/// by absolute path) beside a copy of the benchmark's `real.json` that records this manifest's
/// checksum (so the photos stay told as simulated signs). Returns the manifest and its identity
/// (the full manifest's hash, `n` and the seed: the same on every machine with the same data).
fn subject_subset(c: &AblateConfig, dir: &Path, full_sha: &str, n: usize) -> anyhow::Result<(PathBuf, String)> {
    use rand::seq::SliceRandom;
    let identity = hash_of(&("train-subjects", full_sha, n, SUBJECT_ORDER_SEED))?;
    let out = c.out.join("cohorts").join(format!("subjects-{identity}"));
    let manifest = out.join("manifest.csv");
    let full = dir.join("manifest.csv");
    let mut r = csv::Reader::from_path(&full).with_context(|| format!("reading {}", full.display()))?;
    let headers = r.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).with_context(|| format!("{} has no column {name}", full.display()));
    let (image, patient) = (col("image")?, col("patient_id")?);
    let records: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>()?;
    let mut subjects: Vec<&str> = records.iter().map(|rec| &rec[patient]).collect();
    subjects.sort_unstable();
    subjects.dedup();
    anyhow::ensure!(n > 0 && n <= subjects.len(), "--train-subjects {n}: the benchmark has {} training subjects", subjects.len());
    subjects.shuffle(&mut ChaCha8Rng::seed_from_u64(SUBJECT_ORDER_SEED));
    let kept: std::collections::HashSet<&str> = subjects[..n].iter().copied().collect();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers)?;
    for rec in records.iter().filter(|rec| kept.contains(&rec[patient])) {
        let path = jointscope_dataset::manifest::resolve(dir, &rec[image]).display().to_string();
        w.write_record(rec.iter().enumerate().map(|(i, v)| if i == image { path.as_str() } else { v }))?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("writing the subset manifest: {e}"))?;
    run::write_atomic(&manifest, &bytes)?;
    let summary = dir.join(jointscope_dataset::real::SUMMARY_FILE);
    let mut real: serde_json::Value = run::read_json(&summary)?;
    real["manifest_sha256"] = serde_json::json!(jointscope_detect::sidecar::sha256(&bytes));
    real["subset"] = serde_json::json!({ "of": full.display().to_string(), "subjects": n, "order_seed": SUBJECT_ORDER_SEED });
    run::write_json(&out.join(jointscope_dataset::real::SUMMARY_FILE), &real)?;
    Ok((manifest, identity))
}

/// The pool's manifest, its photos located first where they come from a folder.
fn pool_manifest(c: &AblateConfig, source: &PoolSource, progress: &dyn Progress) -> anyhow::Result<PathBuf> {
    let (cache, order, size, view) = match source {
        PoolSource::Manifest { path, .. } => return Ok(path.clone()),
        PoolSource::Photos { cache, order, size, view, .. } => (cache, order, size, view),
    };
    let name = cache.file_name().unwrap_or_default().to_string_lossy().to_string();
    let pool =
        locked(&c.out, &format!("pool-{name}"), || crate::pool::prepare(cache, order, (*size, *view), &c.models, &burn::tensor::Device::flex(), progress))?;
    progress.note(&format!("pool {}: {} photos, {} tried, {} hands found, {} used", cache.display(), pool.photos, pool.tried, pool.hands, pool.used));
    Ok(pool.manifest)
}

/// The pretraining of `objective` and `seed` (from MediaPipe's weights with `mediapipe`), named.
fn pretraining(c: &AblateConfig, pool: &PoolSource, objective: pretrain::Objective, seed: u64, mediapipe: bool) -> anyhow::Result<Pretraining> {
    let p = &c.plan.pretraining;
    let encoder = if mediapipe { EncoderKind::Mediapipe } else { c.model.encoder };
    let config = PretrainConfig {
        manifest: PathBuf::from(pool.identity()),
        model: ModelConfig { encoder, ..c.model.clone() },
        objective,
        epochs: p.epochs,
        colour: p.colour,
        mask_ratio: p.mask_ratio,
        seed,
        backend: c.backend,
        init_mediapipe: mediapipe,
        ..PretrainConfig::default()
    };
    Ok(Pretraining { identity: run_hash(&config)?, config })
}

/// A pretraining's folder, run first where it was not (an interrupted one goes on from its last
/// whole epoch: the folder is named by its identity).
fn pretrained(c: &AblateConfig, pool: &PoolSource, p: &Pretraining, progress: &dyn Progress) -> anyhow::Result<PathBuf> {
    let dir = c.out.join("pretrain").join(&p.identity);
    locked(&c.out, &format!("pretrain-{}", p.identity), || {
        if !dir.join(pretrain::META_FILE).exists() {
            let config = PretrainConfig { manifest: pool_manifest(c, pool, progress)?, ..p.config.clone() };
            progress.note(&format!("pretraining ({}, seed {}) into {}", config.objective.name(), config.seed, dir.display()));
            let session = pretrain::Session { resume: true, stop_after: None, models: c.models.clone() };
            let pretrain::Outcome::Finished(meta) = pretrain::pretrain(&dir, &config, session, progress)? else {
                anyhow::bail!("the pretraining in {} stopped before its last epoch", dir.display());
            };
            progress.note(&format!("      loss {:.4} → {:.4} in {:.0} s", meta.history[0], meta.history[meta.history.len() - 1], meta.seconds));
        }
        Ok(())
    })?;
    Ok(dir)
}

/// The run configuration of `row` for `seed` at learning rate `lr`.
fn run_config(c: &AblateConfig, manifest: &Path, row: &Row, seed: u64, lr: f64, init: Option<PathBuf>) -> RunConfig {
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
fn slot(c: &AblateConfig, row: &Row, seed: u64, lr: f64) -> Option<PathBuf> {
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
fn kept(c: &AblateConfig, row: &Row, seed: u64, lr: f64) -> anyhow::Result<Option<RunResult>> {
    slot(c, row, seed, lr).map_or(Ok(None), |s| crate::results::find(&s))
}

/// One run: checked against the identity of the one kept in the results folder where it was kept,
/// else trained (or resumed, or found finished in `OUT/runs`) and kept there.
fn obtain(c: &AblateConfig, p: &Prepared, row: &Row, (seed, lr): (u64, f64), found: Option<RunResult>, progress: &dyn Progress) -> anyhow::Result<RunResult> {
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

fn run_unlocked(c: &AblateConfig, config: RunConfig, hash: &str, row: &Row, test: &Path, progress: &dyn Progress) -> anyhow::Result<RunResult> {
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

/// A selected run's per-joint test predictions: (patient, image, label, probability).
#[derive(Debug, Clone)]
struct Scored {
    patient: String,
    image: String,
    label: bool,
    prob: f32,
}

fn read_predictions(path: &Path) -> anyhow::Result<Vec<Scored>> {
    let rows = jointscope_train::evaluate::read_predictions(path)?;
    Ok(rows.into_iter().map(|r| Scored { image: r.image, patient: r.patient_id, label: r.label == 1, prob: r.probability }).collect())
}

/// A run's two thresholds: the one it chose on validation (its calibrated threshold) and the
/// one that maximises F1 on validation (the study reports F1).
#[derive(Debug, Clone, Copy)]
struct Thresholds {
    chosen: f32,
    f1_optimal: f32,
}

/// The metrics of predictions at the thresholds (NaN where undefined); `… @ F1-optimal` names
/// the figure at the validation-F1-optimal threshold.
fn figures(p: &[&Scored], t: Thresholds, names: &[Metric]) -> Vec<f64> {
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
    thresholds: Thresholds,
    predictions: Vec<Scored>,
    /// The run's verdict per hand (None: the run has none).
    hand_rule: Option<jointscope_data::HandRule>,
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
fn paired(a: &[&Selected], b: &[&Selected], metric: usize, names: &[Metric], resamples: usize, seed: u64) -> Difference {
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
fn patient_interval(sel: &Selected, metric: usize, names: &[Metric], resamples: usize, seed: u64) -> (f64, f64) {
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
fn interval(draws: Vec<f64>) -> (f64, f64) {
    stats::interval95(draws).unwrap_or((f64::NAN, f64::NAN))
}

/// The oracle of one seed: the baseline's logit and the true number of other inflamed joints in
/// the same hand, combined by a logistic regression fitted on the validation patients, scored on
/// the test cohort. Returns its test predictions (threshold chosen on validation for G-mean).
fn oracle(baseline: &RunResult, objective: jointscope_data::Objective) -> anyhow::Result<Selected> {
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

/// The ablation's training runs in the order it runs them (seed, then row, then learning rate):
/// job `N` of `--job N`. Computed from the plan alone; nothing is generated or trained.
pub fn jobs(c: &AblateConfig) -> anyhow::Result<Vec<Job>> {
    let (rows, seeds) = rows_and_seeds(c)?;
    Ok(seeds
        .iter()
        .flat_map(|&seed| rows.iter().flat_map(move |row| c.plan.training.lr_grid.iter().map(move |&lr| Job { row: row.name.clone(), seed, lr })))
        .collect())
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

/// The pretrainings of the rows that start from one, per (objective, run seed, from MediaPipe):
/// run seed s uses the plan's pretraining seed s mod n. Named only; [`pretrained`] runs them.
fn pretrainings(c: &AblateConfig, cohorts: &Cohorts, rows: &[Row], seeds: &[u64]) -> anyhow::Result<HashMap<PretrainKey, Pretraining>> {
    let plan = &c.plan;
    let mut out = HashMap::new();
    for row in rows {
        let Some(objective) = row.ssl else { continue };
        let pool = cohorts
            .pool
            .as_ref()
            .with_context(|| format!("the row {} pretrains, and the benchmark has no pool of photos to pretrain on (--pool)", row.name))?;
        let mediapipe = row.encoder == EncoderKind::Mediapipe;
        for &seed in seeds {
            let pseed = plan.pretraining.seeds[seed as usize % plan.pretraining.seeds.len()];
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry((objective, seed, mediapipe)) {
                e.insert(pretraining(c, pool, objective, pseed, mediapipe)?);
            }
        }
    }
    Ok(out)
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
fn load(r: &RunResult, set: &str) -> anyhow::Result<Selected> {
    let rd = RunDir(r.dir.clone());
    let meta: ModelMeta = run::read_json(&rd.model_meta())?;
    let valid = valid_predictions(r)?;
    let (s, l): (Vec<f32>, Vec<bool>) = valid.iter().map(|x| (x.prob, x.label)).unzip();
    let thresholds = Thresholds { chosen: meta.threshold, f1_optimal: jointscope_metrics::best_threshold(&s, &l, jointscope_data::Objective::F1) };
    Ok(Selected { thresholds, predictions: read_predictions(&rd.eval(set).join("predictions.csv"))?, hand_rule: meta.hand_rule })
}

/// A run's predictions on its validation patients (evaluated there first where they were not).
fn valid_predictions(r: &RunResult) -> anyhow::Result<Vec<Scored>> {
    let path = RunDir(r.dir.clone()).eval("valid").join("predictions.csv");
    if !path.exists() {
        evaluate::evaluate(&r.dir, &Cohort::Split(Part::Valid), &Positions::Manifest, 0, &jointscope_train::progress::Silent)?;
    }
    read_predictions(&path)
}

/// The oracle of each seed: its baseline's logit and the true count of other inflamed joints in
/// the hand, combined on validation (evaluated on validation first where it was not).
fn oracles(plan: &Plan, selected: &HashMap<(String, u64), &RunResult>) -> anyhow::Result<Vec<Selected>> {
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
fn differences(c: &AblateConfig, rows: &[Row], chosen: &HashMap<String, Vec<Selected>>, oracles: &[Selected]) -> Vec<(String, String, Difference)> {
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

/// The deployed path: the selected runs of the plan's landmark-position rows with the joints
/// cropped where MediaPipe puts them (evaluated where they were not yet): per row, the figures
/// per seed and the test photos without a hand found.
fn landmark_rows(
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

/// The folder of a run's weights on this machine (`OUT/runs/<identity>`), or why there is none.
fn weights_of(c: &AblateConfig, r: &RunResult) -> anyhow::Result<PathBuf> {
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

/// The runs of a partial ablation (`only`): per row and seed the selected learning rate and its
/// test figures (the paired differences that can be had follow it; no oracle or diagnostics).
fn partial_table(
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

/// The paired differences a partial ablation can give: full − baseline, each single ingredient
/// of the cross against the baseline, and each extra row against its comparison row, where both
/// were asked for.
fn partial_differences(c: &AblateConfig, rows: &[Row], chosen: &HashMap<String, Vec<Selected>>) -> Vec<(String, String, Difference)> {
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
fn extra_pairs<'a>(c: &AblateConfig, rows: &'a [Row]) -> Vec<(&'a str, &'a str)> {
    let extra = &c.plan.presets[c.plan_key()].extra_rows;
    rows.iter().filter(|r| extra.contains(&r.name)).map(|r| (r.name.as_str(), r.against.as_str())).collect()
}

/// The paired difference `a − b` in each of the plan's metrics, labelled.
fn each_metric(plan: &Plan, label: &str, a: &[&Selected], b: &[&Selected]) -> Vec<(String, String, Difference)> {
    let names = &plan.metrics;
    names
        .iter()
        .enumerate()
        .map(|(m, metric)| (label.to_string(), metric.to_string(), paired(a, b, m, names, plan.bootstrap_resamples, 17 + m as u64)))
        .collect()
}

/// The verdict per hand of each selected run with a hand rule, on the test cohort: a hand (an
/// image) is inflamed when any of its labelled joints is; intervals resample test patients.
fn hands_section(s: &mut String, seeds: &[u64], rows: &[Row], chosen: &HashMap<String, Vec<Selected>>, resamples: usize) {
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

/// Each pretrained row against the same row pretrained on the other pool (`c.versus_pool`),
/// paired on the same test subjects and seeds: its runs are gathered (kept, or trained) as the
/// rows' own are.
fn versus_pool(
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

/// The frozen linear probe (and counterfactual distance) of each pretraining the rows start from
/// at the first seed, against a random encoder, on the training cohort's patient split (seed 0):
/// did pretraining learn anything the signs need before fine-tuning hides it. Kept in the results
/// folder as `<benchmark>/probes/<pool>-<objective>-seed<s>[-mediapipe].json`.
fn probes_section(c: &AblateConfig, (rows, seeds): (&[Row], &[u64]), prepared: &mut Option<Prepared>, progress: &dyn Progress) -> anyhow::Result<String> {
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
fn differences_section(s: &mut String, differences: &[(String, String, Difference)]) {
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
fn metric_names(names: &[Metric]) -> String {
    names.iter().map(|m| m.name()).collect::<Vec<_>>().join(" | ")
}

/// One of the paper's three ingredients, a factor of the 2×2×2 cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Factor {
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

/// The encoder diagnostics, read from the results folder where they were kept for the same runs
/// (those of the report), else computed and kept there.
fn kept_diagnostics(
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
fn diagnostics(c: &AblateConfig, train: &Path, pretrained: &[(pretrain::Objective, PathBuf)], baseline: &Path) -> anyhow::Result<Vec<probe::Diagnosis>> {
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
