//! What runs train and test on: the cohorts (drawn, or a real-photo benchmark and its subject
//! subsets), the pretraining pool and its pretrainings, each named by the hash of what it is made of
//! and built once under a lock.
use super::*;
use crate::synthetic;
use anyhow::Context;
use jointscope_dataset::fsio::sha256_file;
use jointscope_dataset::synth::SynthConfig;
use jointscope_model::{EncoderKind, ModelConfig};
use jointscope_train::choice::Choice;
use jointscope_train::pretrain::{self, PretrainConfig};
use jointscope_train::progress::Progress;
use jointscope_train::run;
use jointscope_train::train::RunConfig;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The manifests an ablation trains, tests and pretrains on, with their contents' hashes (what a
/// run's identity holds instead of where they lie).
pub(crate) struct Cohorts {
    pub(crate) train: PathBuf,
    pub(crate) test: PathBuf,
    pub(crate) train_sha: String,
    pub(crate) test_sha: String,
    /// Unlabelled photos for pretraining (None: the benchmark has none).
    pub(crate) pool: Option<PoolSource>,
}

/// Where the pretraining photos come from.
pub(crate) enum PoolSource {
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
    pub(crate) cohorts: Cohorts,
    pub(crate) pretrainings: HashMap<PretrainKey, Pretraining>,
}

/// (objective, run seed, from MediaPipe's weights).
pub(crate) type PretrainKey = (pretrain::Objective, u64, bool);

/// A pretraining: its configuration (the pool's manifest filled in when it runs) and identity.
#[derive(Clone)]
pub(crate) struct Pretraining {
    pub(crate) config: PretrainConfig,
    pub(crate) identity: String,
}

/// Hex of the first 8 bytes of the SHA-256 of a value's JSON.
pub(crate) fn hash_of<T: Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(jointscope_detect::sidecar::sha256(&serde_json::to_vec(value)?)[..16].to_string())
}

/// The folder name of a training or pretraining: its configuration's hash, with the backward the
/// convolutions and group norms use beside it once that is not burn's own, so a run cached with
/// one backward is never read as a run of the other (their gradients differ in the last bits,
/// and the trajectories then part).
pub(crate) fn run_hash<T: Serialize>(config: &T) -> anyhow::Result<String> {
    use jointscope_train::machine::{BURN_GRADIENTS, gradients};
    match gradients() {
        BURN_GRADIENTS => hash_of(config),
        other => hash_of(&(config, other)),
    }
}

/// A run's identity: its configuration with the manifest replaced by its content's hash, the
/// pretraining it starts from by that pretraining's identity, and the test manifest's hash beside
/// it — the same on every machine that has the same data.
pub(crate) fn run_identity(config: &RunConfig, cohorts: &Cohorts, init: Option<&Pretraining>) -> anyhow::Result<String> {
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
pub(crate) fn locked<T>(out: &Path, name: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
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
pub(crate) fn prepare(c: &AblateConfig, rows: &[Row], seeds: &[u64], progress: &dyn Progress) -> anyhow::Result<Prepared> {
    let cohorts = locked(&c.out, &format!("cohorts-{}", c.name()), || cohorts_unlocked(c, progress))?;
    let pretrainings = pretrainings(c, &cohorts, rows, seeds)?;
    Ok(Prepared { cohorts, pretrainings })
}

/// The prepared cohorts, prepared now where they were not yet.
pub(crate) fn ensure_prepared<'a>(
    cell: &'a mut Option<Prepared>,
    c: &AblateConfig,
    rows: &[Row],
    seeds: &[u64],
    progress: &dyn Progress,
) -> anyhow::Result<&'a Prepared> {
    if cell.is_none() {
        *cell = Some(prepare(c, rows, seeds, progress)?);
    }
    Ok(cell.as_ref().expect("just prepared"))
}

/// The training cohort and the test cohort of the preset, generated once, or the real-photo
/// benchmark's and its pool.
pub(crate) fn cohorts_unlocked(c: &AblateConfig, progress: &dyn Progress) -> anyhow::Result<Cohorts> {
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
pub(crate) fn real_cohorts(c: &AblateConfig, real: &RealBenchmark) -> anyhow::Result<Cohorts> {
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
pub(crate) fn subject_subset(c: &AblateConfig, dir: &Path, full_sha: &str, n: usize) -> anyhow::Result<(PathBuf, String)> {
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
pub(crate) fn pool_manifest(c: &AblateConfig, source: &PoolSource, progress: &dyn Progress) -> anyhow::Result<PathBuf> {
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
pub(crate) fn pretraining(c: &AblateConfig, pool: &PoolSource, objective: pretrain::Objective, seed: u64, mediapipe: bool) -> anyhow::Result<Pretraining> {
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
pub(crate) fn pretrained(c: &AblateConfig, pool: &PoolSource, p: &Pretraining, progress: &dyn Progress) -> anyhow::Result<PathBuf> {
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

/// The pretrainings of the rows that start from one, per (objective, run seed, from MediaPipe):
/// run seed s uses the plan's pretraining seed s mod n. Named only; [`pretrained`] runs them.
pub(crate) fn pretrainings(c: &AblateConfig, cohorts: &Cohorts, rows: &[Row], seeds: &[u64]) -> anyhow::Result<HashMap<PretrainKey, Pretraining>> {
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
