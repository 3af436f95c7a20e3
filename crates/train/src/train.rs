//! Training the joint classifier, step by step: open (or resume) the run folder, load the data and
//! its seeded patient-level split, refuse splits that cannot train or calibrate, initialise the model
//! (prior bias, pretrained encoders, or a checkpoint), then epochs of AdamW with a cosine schedule
//! and augmentation, each validated and checkpointed atomically, the best weights kept by validation
//! ROC-AUC, and finally temperature and threshold fitted on validation.
use crate::augment::{self, Mix};
use crate::backend::{self, BackendChoice};
use crate::calibrate::{self, Calibration};
use crate::choice::Choice as _;
use crate::dataset::{DataSummary, Dataset, Which, read_manifest};
use crate::losses::LossConfig;
use crate::predict::{Prediction, mean_bce, predict, predict_of, scores_labels};
use crate::progress::Progress;
use crate::run::{self, EpochRecord, RunDir};
use crate::schedule::cosine_lr;
use anyhow::{Context, bail};
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use jointscope_data::Objective;
use jointscope_dataset::split::{self, Part, Split, SplitSpec};
use jointscope_metrics::{pr_auc, roc_auc};
use jointscope_model::{JointNet, ModelConfig};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainParams {
    pub epochs: usize,
    /// Photos per step (each brings all its labelled joints).
    pub batch_images: usize,
    pub lr: f64,
    pub weight_decay: f32,
    /// The loss and its settings.
    #[serde(default)]
    pub loss: LossConfig,
    /// How photos are drawn for each epoch.
    #[serde(default)]
    pub sampler: Sampler,
    pub augment: bool,
    /// Start the logits at the training prevalence's log-odds (as the loss weighs the classes)
    /// rather than at probability ½.
    #[serde(default)]
    pub prior_bias: bool,
    /// Mixing augmentation of joint crops (with `augment`).
    #[serde(default)]
    pub mix: Mix,
    /// A pretraining folder whose encoders initialise the model.
    #[serde(default)]
    pub init: Option<PathBuf>,
    /// Start the encoders (which must be [`jointscope_model::EncoderKind::Mediapipe`]) from
    /// MediaPipe's hand-landmark network, read from the models folder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init_mediapipe: bool,
    /// A trained run whose confident predictions label the unlabelled training joints.
    #[serde(default)]
    pub teacher: Option<PathBuf>,
    /// Calibrated probability a teacher needs to give a pseudo-label (≥ it: 1, ≤ 1 − it: 0).
    #[serde(default = "default_confidence")]
    pub pseudo_confidence: f32,
    pub seed: u64,
    /// What the decision threshold maximises on validation.
    pub objective: Objective,
    /// The fine-tuning recipe: which validation figure keeps the best epoch, early stopping,
    /// warm-up, a frozen-encoder start and the encoders' learning rate, context dropout.
    #[serde(default)]
    pub recipe: Recipe,
}

/// How a model is fine-tuned beyond the basic loop. The defaults are the basic loop (best epoch by
/// validation ROC-AUC, all epochs, no warm-up, nothing frozen), so old runs read the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// The validation figure that keeps the best epoch (and that early stopping watches).
    pub select: Select,
    /// Stop after this many epochs without a better validation figure (None: run every epoch).
    pub patience: Option<usize>,
    /// Steps over which the learning rate rises linearly to its peak before the cosine decay.
    pub warmup_steps: usize,
    /// Epochs at the start in which only the head trains and the encoders stay frozen: the linear
    /// probe of LP-FT (Kumar et al. 2022), so pretrained features are not scrambled by a random head.
    pub frozen_epochs: usize,
    /// The encoders' learning rate as a fraction of the head's after the frozen epochs.
    pub encoder_lr_scale: f64,
    /// Chance, per joint in training, that the whole-hand context is withheld (global–local only),
    /// so the model cannot lean on context where the joint itself shows the answer.
    pub context_dropout: f32,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe { select: Select::RocAuc, patience: None, warmup_steps: 0, frozen_epochs: 0, encoder_lr_scale: 1.0, context_dropout: 0.0 }
    }
}

/// A validation figure to select epochs by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Select {
    #[default]
    RocAuc,
    PrAuc,
}

impl crate::choice::Choice for Select {
    const ALL: &'static [Self] = &[Self::RocAuc, Self::PrAuc];
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            // Chosen on validation of a pilot split (seed 100, not an ablation seed): with 8
            // photos a step, 20 epochs gave only ~420 steps and every model sat at the prior
            // for 10–14 epochs; 4 photos a step doubles the steps for ~20 % more time per epoch.
            epochs: 16,
            batch_images: 4,
            lr: 1e-3,
            weight_decay: 1e-4,
            loss: LossConfig::default(),
            sampler: Sampler::Shuffle,
            augment: true,
            prior_bias: true,
            mix: Mix::None,
            init: None,
            init_mediapipe: false,
            teacher: None,
            pseudo_confidence: default_confidence(),
            seed: 0,
            objective: Objective::GMean,
            recipe: Recipe::default(),
        }
    }
}

/// How each epoch's photos are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampler {
    /// Every training photo once, in a random order.
    #[default]
    Shuffle,
    /// As many draws, with replacement, half of them from photos with an inflamed joint.
    ClassBalanced,
}

impl crate::choice::Choice for Sampler {
    const ALL: &'static [Self] = &[Self::Shuffle, Self::ClassBalanced];
    fn help(self) -> &'static str {
        match self {
            Self::Shuffle => "every training photo once per epoch, shuffled",
            Self::ClassBalanced => "as many draws with replacement, half from photos with an inflamed joint",
        }
    }
}

impl Sampler {
    /// The photos of one epoch.
    pub fn epoch(self, ds: &Dataset, train: &[usize], rng: &mut ChaCha8Rng) -> Vec<usize> {
        let mut order = train.to_vec();
        match self {
            Sampler::Shuffle => order.shuffle(rng),
            Sampler::ClassBalanced => {
                let (pos, neg): (Vec<usize>, Vec<usize>) = train.iter().partition(|&&i| ds.photos[i].labelled.iter().any(|l| l.2 > 0.5));
                if pos.is_empty() || neg.is_empty() {
                    order.shuffle(rng);
                } else {
                    use rand::Rng;
                    order = (0..train.len())
                        .map(|_| {
                            let from = if rng.random::<bool>() { &pos } else { &neg };
                            from[rng.random_range(0..from.len())]
                        })
                        .collect();
                }
            }
        }
        order
    }
}

/// Chance that a crop is mixed when a mixing augmentation is on.
pub const MIX_PROBABILITY: f32 = 0.5;

/// Everything that defines a run, written to `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub manifest: PathBuf,
    /// The manifest's SHA-256 when the run started (filled in by [`train`]): a resumed run, or an
    /// evaluation on its split, whose manifest has changed since is refused rather than mixing
    /// two sets of labels. `None` in runs started before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
    pub model: ModelConfig,
    pub train: TrainParams,
    pub split: SplitSpec,
    pub backend: BackendChoice,
}

/// Saved with each checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointState {
    epoch: usize,
    history: Vec<EpochRecord>,
    best: Option<(usize, f64)>,
}

/// The trained model's metadata (`model.json`): what evaluate and export need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format_version: u32,
    pub model: ModelConfig,
    pub threshold: f32,
    pub objective: Objective,
    /// Temperature T fitted on validation: probability = sigmoid(logit / T).
    #[serde(default = "one")]
    pub temperature: f32,
    pub best_epoch: usize,
    pub train_data: DataSummary,
    pub valid_data: DataSummary,
    pub backend: String,
    pub parameters: usize,
    /// Pseudo-labels added to the training joints: (inflamed, not inflamed).
    #[serde(default)]
    pub pseudo_labels: (usize, usize),
    /// What the training photos were (from the generator's summary beside the manifest, checked
    /// by its checksum; `None` for runs trained before it was recorded).
    #[serde(default)]
    pub training_photos: Option<jointscope_data::TrainingPhotos>,
    /// Fraction of validation joints at or above the threshold.
    #[serde(default)]
    pub valid_flagged: Option<f64>,
    /// The verdict on a whole hand, fitted on the validation hands ([`calibrate::hand_rule`];
    /// `None` when validation had no hand with or without an inflamed joint, or for older runs).
    #[serde(default)]
    pub hand_rule: Option<jointscope_data::HandRule>,
    /// What the training photos looked like to the encoder (exported, to flag unfamiliar photos).
    #[serde(default)]
    pub familiarity: Option<jointscope_detect::FeatureModel>,
    /// 95th percentile of a validation joint's probability change between two augmented views of
    /// its photo ([`crate::predict::retake_difference`]).
    #[serde(default)]
    pub retake_difference: Option<f32>,
    /// Where the encoders started ([`crate::init::describe`]); `None` for older runs.
    #[serde(default)]
    pub initialisation: Option<String>,
    /// The training photos over MediaPipe's features ([`crate::predict::appearance`]).
    #[serde(default)]
    pub appearance: Option<jointscope_detect::FeatureModel>,
    /// The CPU, threads and backward the run trained with (`None` for older runs): a result is
    /// reproduced to the last digit only where these agree.
    #[serde(default)]
    pub machine: Option<crate::machine::Machine>,
}

fn one() -> f32 {
    1.0
}

fn default_confidence() -> f32 {
    0.9
}

/// Fewest inflamed joints and patients a validation or test split should have for a threshold or a
/// patient-level bootstrap interval to mean much: below 10 positives one joint moves sensitivity by
/// 10 % or more, and below 5 patients the bootstrap redraws the same few patients.
pub const MEANINGFUL_POSITIVES: usize = 10;
pub const MEANINGFUL_PATIENTS: usize = 5;

/// Label the unlabelled joints of the `train` photos with the confident predictions of the model
/// trained in `teacher`; returns (pseudo-positives, pseudo-negatives) added.
pub fn pseudo_label(teacher: &Path, ds: &mut Dataset, train: &[usize], confidence: f32, device: &Device) -> anyhow::Result<(usize, usize)> {
    let run = RunDir(teacher.to_path_buf());
    run.require_trained()?;
    let meta: ModelMeta = run::read_json(&run.model_meta())?;
    let model = run::load_model_file(&meta.model, &run.model(), device)?;
    let preds = predict_of(&model, &meta.model, ds, train, device, 16, meta.temperature, Which::Unlabelled)?;
    let (mut pos, mut neg) = (0, 0);
    for p in preds {
        let target = if p.prob >= confidence {
            pos += 1;
            1.0
        } else if p.prob <= 1.0 - confidence {
            neg += 1;
            0.0
        } else {
            continue;
        };
        let photo = &mut ds.photos[p.photo];
        if let Some(k) = photo.unlabelled.iter().position(|u| u.0 == p.joint) {
            let (j, pt) = photo.unlabelled.remove(k);
            photo.labelled.push((j, pt, target));
        }
    }
    Ok((pos, neg))
}

/// Load the dataset and the split of a run (the split is made once, seeded, and kept in the run).
pub fn load_data(run: &RunDir, config: &RunConfig, progress: &dyn Progress) -> anyhow::Result<(Dataset, Split)> {
    check_manifest_unchanged(config)?;
    let manifest = read_manifest(&config.manifest)?;
    let ds = Dataset::load(&manifest, progress)?;
    let split = if run.split().exists() {
        run::read_json(&run.split())?
    } else {
        let entries: Vec<_> = ds.photos.iter().map(|p| p.entry.clone()).collect();
        let split = split::split_patients(&entries, config.split);
        run::write_json(&run.split(), &split)?;
        split
    };
    Ok((ds, split))
}

/// Refuse a run whose manifest is no longer the one it started with (edited, replaced or relabelled
/// between its epochs, or since it finished): its split and its epochs so far belong to the old one.
fn check_manifest_unchanged(config: &RunConfig) -> anyhow::Result<()> {
    let Some(started) = &config.manifest_sha256 else { return Ok(()) };
    let now = jointscope_dataset::fsio::sha256_file(&config.manifest)?;
    if &now != started {
        bail!(
            "the manifest {} has changed since this run started (SHA-256 {}… then, {}… now): the run's split and epochs belong to the old labels. \
             Put the old manifest back to continue the run, or train a new run on the new one",
            config.manifest.display(),
            &started[..12],
            &now[..12]
        );
    }
    Ok(())
}

/// Refuse a training or validation split without both classes (nothing to learn, or no threshold
/// and temperature to fit), and warn when a validation or test split is too small for its
/// threshold or intervals to mean much.
pub fn check_split(ds: &Dataset, split: &Split, progress: &dyn Progress) -> anyhow::Result<()> {
    let total = ds.summary("", &(0..ds.photos.len()).collect::<Vec<_>>());
    for (part, name, purpose) in [
        (Part::Train, "training", "learn what an inflamed joint looks like"),
        (Part::Valid, "validation", "choose the decision threshold and fit the calibration"),
    ] {
        let s = ds.summary("", &ds.part(split, part));
        let (pos, neg) = (s.inflamed_joints, s.labelled_joints - s.inflamed_joints);
        if pos == 0 || neg == 0 {
            bail!(
                "the {name} split ({} patients) has {pos} inflamed and {neg} healthy labelled joints; it needs at least 1 of each to {purpose}. \
                 The manifest has {} patients with {} inflamed and {} healthy labelled joints: label more patients (with and without inflamed joints), \
                 since splits keep each patient whole",
                s.patients,
                total.patients,
                total.inflamed_joints,
                total.labelled_joints - total.inflamed_joints
            );
        }
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    for (part, name) in [(Part::Valid, "validation"), (Part::Test, "test")] {
        let s = ds.summary("", &ds.part(split, part));
        if s.inflamed_joints < MEANINGFUL_POSITIVES || s.patients < MEANINGFUL_PATIENTS {
            let why = if part == Part::Valid {
                format!("the threshold and calibration fitted on it are unreliable (one joint moves its sensitivity by 1/{})", s.inflamed_joints.max(1))
            } else {
                "its bootstrap intervals are unreliable (resampling so few patients redraws the same ones)".to_string()
            };
            progress.warn(&format!(
                "the {name} split has {} and {} (fewer than {MEANINGFUL_PATIENTS} patients or {MEANINGFUL_POSITIVES} inflamed joints): {why}",
                plural(s.patients, "patient"),
                plural(s.inflamed_joints, "inflamed joint"),
            ));
        }
    }
    Ok(())
}

/// A new run: check the configuration and write `run.json`; a resumed one: read it back.
fn open_run(run: &RunDir, config: Option<RunConfig>, resume: bool) -> anyhow::Result<RunConfig> {
    if resume {
        return run::read_json::<RunConfig>(&run.config()).context("--resume needs an existing run");
    }
    let mut config = config.context("a new run needs a configuration")?;
    if run.config().exists() {
        bail!("{} already holds a run: pass --resume to continue it, or choose another --run", run.0.display());
    }
    config.manifest = std::fs::canonicalize(&config.manifest).with_context(|| format!("manifest {} not found", config.manifest.display()))?;
    config.manifest_sha256 = Some(jointscope_dataset::fsio::sha256_file(&config.manifest)?);
    config.model.validate()?;
    if config.train.init_mediapipe && config.model.encoder != jointscope_model::EncoderKind::Mediapipe {
        bail!("starting from MediaPipe's weights needs the mediapipe encoder (--encoder mediapipe)");
    }
    if config.train.init_mediapipe && config.train.init.is_some() {
        bail!("the encoders can start from a pretraining folder or from MediaPipe's weights, not both");
    }
    if config.train.epochs == 0 || config.train.batch_images == 0 {
        bail!("epochs and batch size must be at least 1");
    }
    std::fs::create_dir_all(&run.0).with_context(|| format!("creating {}", run.0.display()))?;
    run::write_json(&run.config(), &config)?;
    Ok(config)
}

/// The model to train: seeded initialisation with the prior bias and pretrained encoders, or, when
/// resuming, the newest checkpoint (whose best weights are put back as the run's model).
fn initial_model(
    run: &RunDir,
    config: &RunConfig,
    resume: bool,
    (prior, counts): (f32, (usize, usize)),
    models: &Path,
    device: &Device,
    progress: &dyn Progress,
) -> anyhow::Result<(JointNet, CheckpointState)> {
    let p = &config.train;
    // Seeded initialisation: the same configuration trains the same model.
    device.seed(p.seed);
    let mut model = config.model.init(device)?;
    if p.prior_bias && prior > 0.0 {
        model = model.with_initial_logit(p.loss.initial_logit(prior, counts));
    }
    // A resumed run without a checkpoint yet starts as a new one would, pretrained encoders included.
    let checkpoint = if resume { run.latest_checkpoint() } else { None };
    if let (Some(dir), None) = (&p.init, &checkpoint) {
        model = crate::pretrain::init_from(dir, model, &config.model)?;
        progress.note(&format!("encoders initialised from the pretraining in {}", dir.display()));
    }
    if let (true, None) = (p.init_mediapipe, &checkpoint) {
        let (m, from) = crate::init::from_mediapipe(model, models)?;
        model = m;
        progress.note(&format!("encoders initialised from {from}"));
    }
    let mut state = CheckpointState { epoch: 0, history: Vec::new(), best: None };
    if let Some((epoch, dir)) = checkpoint {
        model = run::load_model_file(&config.model, &dir.join("model.bpk"), device)?;
        state = run::read_json(&dir.join("state.json"))?;
        // The best weights as they were at this checkpoint (the model file may be newer).
        let best = dir.join("best.bpk");
        if best.exists() {
            let bytes = std::fs::read(&best).with_context(|| format!("reading {}", best.display()))?;
            run::write_atomic(&run.model(), &bytes)?;
        }
        progress.note(&format!("resuming after epoch {epoch} from {}", dir.display()));
    }
    Ok((model, state))
}

/// The optimisers of a run: one for everything, and one for the encoders when they learn at
/// their own rate (`encoder_lr_scale` ≠ 1) or start frozen.
pub struct Optimisers {
    pub all: ModuleOptimizer,
    pub encoders: Option<ModuleOptimizer>,
}

/// Files of the optimisers' state in a checkpoint.
const OPTIM_FILES: [&str; 2] = ["optim.bpk", "optim-encoders.bpk"];

impl Optimisers {
    pub fn new(p: &TrainParams) -> Self {
        let adamw = || AdamWConfig::new().with_weight_decay(p.weight_decay).init();
        let split = p.recipe.frozen_epochs > 0 || p.recipe.encoder_lr_scale != 1.0;
        Optimisers { all: adamw(), encoders: split.then(adamw) }
    }

    /// The optimisers' state (AdamW's moments and step counts) as checkpoint files.
    fn to_files(&self) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
        let bytes = |o: &ModuleOptimizer| o.into_bytes().map(|b| b.to_vec()).map_err(|e| anyhow::anyhow!("serialising the optimiser: {e:?}"));
        let mut out = vec![(OPTIM_FILES[0], bytes(&self.all)?)];
        if let Some(e) = &self.encoders {
            out.push((OPTIM_FILES[1], bytes(e)?));
        }
        Ok(out)
    }

    /// Put back the state a checkpoint folder holds (a checkpoint from before optimiser states were
    /// kept has none: the moments then start afresh).
    fn load(mut self, dir: &Path) -> anyhow::Result<Self> {
        let read = |o: ModuleOptimizer, name: &str| -> anyhow::Result<ModuleOptimizer> {
            let path = dir.join(name);
            if !path.exists() {
                return Ok(o);
            }
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            o.from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).map_err(|e| anyhow::anyhow!("{}: {e:?}", path.display()))
        };
        self.all = read(self.all, OPTIM_FILES[0])?;
        self.encoders = self.encoders.map(|e| read(e, OPTIM_FILES[1])).transpose()?;
        Ok(self)
    }

    /// One update at learning rate `lr`. Split: the head steps on its own gradients, the encoders
    /// (unless `frozen`) on theirs at `lr × encoder_lr_scale`.
    pub fn step(&mut self, model: JointNet, grads: burn::tensor::Gradients, lr: f64, frozen: bool, encoder_lr_scale: f64) -> JointNet {
        let Some(enc) = self.encoders.as_mut() else {
            let grads = GradientsParams::from_grads(grads, &model);
            return self.all.step(lr, model, grads);
        };
        let mut grads = grads;
        // Taking the encoders' gradients out first leaves only the head's for the whole model.
        let local = model.local.as_ref().map(|m| GradientsParams::from_module(&mut grads, m));
        let global = model.global.as_ref().map(|m| GradientsParams::from_module(&mut grads, m));
        let head = GradientsParams::from_module(&mut grads, &model);
        let mut model = self.all.step(lr, model, head);
        if !frozen {
            for g in [local, global].into_iter().flatten() {
                model = enc.step(lr * encoder_lr_scale, model, g);
            }
        }
        model
    }
}

/// One training batch as plain data: crops (augmented), targets and the context-dropout mask.
struct Prepared {
    data: jointscope_model::BatchData,
    targets: Vec<f32>,
    keep: Option<Vec<f32>>,
}

/// Builds step `chunk`'s batch, drawing from `rng` in a fixed order (crops, mixing, dropout mask);
/// `None` when its photos have no labelled joint.
fn prepare(ds: &Dataset, chunk: &[usize], config: &RunConfig, rng: &mut ChaCha8Rng) -> Option<Prepared> {
    let p = &config.train;
    let (mut data, mut targets, who) = ds.batch(chunk, &config.model, if p.augment { Some(&mut *rng as &mut dyn rand::RngCore) } else { None });
    if who.is_empty() {
        return None;
    }
    if p.augment {
        augment::apply(p.mix, MIX_PROBABILITY, &mut data.local, &mut targets, config.model.local_size, rng);
    }
    let keep = (p.recipe.context_dropout > 0.0).then(|| {
        use rand::Rng;
        (0..targets.len()).map(|_| f32::from(u8::from(rng.random::<f32>() >= p.recipe.context_dropout))).collect()
    });
    Some(Prepared { data, targets, keep })
}

/// One pass over the training photos; returns the updated model and the mean loss per joint.
/// Batches are built one step ahead on a second thread (decoding, cropping and augmenting on the
/// CPU while the device runs the step), from the same seeded stream in the same order, so the
/// results are those of building them in line.
#[allow(clippy::too_many_arguments)]
fn train_epoch(
    mut model: JointNet,
    optim: &mut Optimisers,
    config: &RunConfig,
    ds: &Dataset,
    train_ids: &[usize],
    epoch: usize,
    (prior, counts): (f32, (usize, usize)),
    device: &Device,
    progress: &dyn Progress,
) -> anyhow::Result<(JointNet, f64)> {
    let p = &config.train;
    let steps_per_epoch = train_ids.len().div_ceil(p.batch_images);
    let total_steps = steps_per_epoch * p.epochs;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    let order = p.sampler.epoch(ds, train_ids, &mut rng);
    progress.start(&format!("epoch {:>3}/{}", epoch + 1, p.epochs), steps_per_epoch as u64);
    let (mut loss_sum, mut loss_n) = (0.0f64, 0usize);
    let result = std::thread::scope(|scope| -> anyhow::Result<JointNet> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Prepared)>(1);
        let order = &order;
        scope.spawn(move || {
            for (k, chunk) in order.chunks(p.batch_images).enumerate() {
                if let Some(batch) = prepare(ds, chunk, config, &mut rng)
                    && tx.send((k, batch)).is_err()
                {
                    break; // the training thread stopped
                }
            }
        });
        for (k, Prepared { data, targets, keep }) in rx {
            let n = targets.len();
            let mut batch = data.to_batch(&config.model, device)?;
            if let Some(keep) = keep {
                batch.context_keep = Some(Tensor::from_data(TensorData::new(keep, [n]), device));
            }
            let targets = Tensor::<1>::from_data(TensorData::new(targets, [n]), device);
            let out = model.forward(batch);
            let loss = p.loss.loss(out.logits, targets, prior, counts);
            let value: f32 = loss.clone().into_scalar();
            if !value.is_finite() {
                bail!("the loss became {value} at epoch {} step {k}: lower --lr", epoch + 1);
            }
            let step = epoch * steps_per_epoch + k;
            let warm = if p.recipe.warmup_steps > 0 { ((step + 1) as f64 / p.recipe.warmup_steps as f64).min(1.0) } else { 1.0 };
            let lr = cosine_lr(p.lr, step, total_steps) * warm;
            model = optim.step(model, loss.backward(), lr, epoch < p.recipe.frozen_epochs, p.recipe.encoder_lr_scale);
            loss_sum += value as f64 * n as f64;
            loss_n += n;
            progress.step(&format!("loss {:.4}", loss_sum / loss_n as f64));
        }
        Ok(model)
    });
    progress.finish();
    Ok((result?, loss_sum / loss_n.max(1) as f64))
}

/// Train into `run_dir`. A new run writes `run.json`; `resume` continues an existing one from its
/// newest checkpoint (weights, optimiser state, epoch, history), exactly as if it had not stopped.
pub fn train(run_dir: &Path, config: Option<RunConfig>, resume: bool, models: &Path, progress: &dyn Progress) -> anyhow::Result<ModelMeta> {
    let run = RunDir(run_dir.to_path_buf());
    let config = open_run(&run, config, resume)?;
    // Read before any epoch: a manifest whose photos cannot be told apart fails now, not at the end.
    let photos = jointscope_dataset::kind::training_photos(&config.manifest)?;
    let (mut ds, split) = load_data(&run, &config, progress)?;
    let train_ids = ds.part(&split, Part::Train);
    let valid_ids = ds.part(&split, Part::Valid);
    let selected = backend::select(config.backend, progress)?;
    let device = selected.device.clone();
    let p = &config.train;
    let mut pseudo = (0, 0);
    if let Some(teacher) = &p.teacher {
        pseudo = pseudo_label(teacher, &mut ds, &train_ids, p.pseudo_confidence, &device)
            .with_context(|| format!("pseudo-labelling with the teacher in {}", teacher.display()))?;
        progress.note(&format!("pseudo-labels from {}: {} inflamed, {} not inflamed", teacher.display(), pseudo.0, pseudo.1));
    }
    check_split(&ds, &split, progress)?;
    let ad = device.clone().autodiff();
    let s = ds.summary("", &train_ids);
    let counts = (s.labelled_joints - s.inflamed_joints, s.inflamed_joints);
    let prior = s.prevalence as f32;
    if s.images_with_all_joints < s.images {
        progress.warn(&format!(
            "{} of {} training images lack a position for some of the 11 joints: their whole-hand view and crop size come from the joints \
             they have, while detection always has all 11 (`jointscope locate` fills positions in)",
            s.images - s.images_with_all_joints,
            s.images
        ));
    }
    let (mut model, mut state) = initial_model(&run, &config, resume, (prior, counts), models, &ad, progress)?;
    let mut optim = Optimisers::new(p);
    if let (true, Some((_, dir))) = (resume, run.latest_checkpoint()) {
        optim = optim.load(&dir)?;
    }
    progress.note(&format!(
        "training {} ({} parameters) on {}: {} train photos, {} joints, {} inflamed ({:.1} %)",
        config.model.arch,
        model.num_params(),
        selected.name,
        s.images,
        s.labelled_joints,
        s.inflamed_joints,
        100.0 * s.prevalence
    ));

    for epoch in state.epoch..p.epochs {
        let start = Instant::now();
        let (trained, train_loss) = train_epoch(model, &mut optim, &config, &ds, &train_ids, epoch, (prior, counts), &ad, progress)?;
        model = trained;
        let valid_model = model.valid();
        let rec = validate_epoch(&valid_model, &config, &ds, &valid_ids, &device, (epoch, train_loss, start), progress)?;
        let figure = match p.recipe.select {
            Select::RocAuc => rec.valid_auc,
            Select::PrAuc => rec.valid_pr_auc,
        };
        let score = figure.unwrap_or(0.0) - 1e-3 * rec.valid_loss;
        if state.best.is_none_or(|(_, b)| score > b) {
            state.best = Some((rec.epoch, score));
            run::write_atomic(&run.model(), &run::model_bytes(&valid_model)?)?;
        }
        state.history.push(rec);
        state.epoch = epoch + 1;
        run::write_history(&run.history(), &state.history)?;
        run.save_checkpoint(state.epoch, &valid_model, &state, &optim.to_files()?)?;
        if let (Some(patience), Some((best, _))) = (p.recipe.patience, state.best)
            && state.epoch >= best + patience
        {
            progress.note(&format!("stopping early: no better validation {} in {patience} epochs (best epoch {best})", p.recipe.select.name()));
            break;
        }
    }
    let parts = Parts { ds: &ds, train_ids: &train_ids, valid_ids: &valid_ids, photos };
    let meta = finish(&run, &config, parts, &state, &selected, pseudo, models, progress)?;
    run::write_json(&run.model_meta(), &meta)?;
    crate::plots::training_curves(&run.plots().join("training.png"), &state.history)?;
    Ok(meta)
}

/// One epoch's validation figures (`(epoch, train_loss, start)`: the 0-based epoch, its training
/// loss and when it began), reported as a note.
fn validate_epoch(
    model: &JointNet,
    config: &RunConfig,
    ds: &Dataset,
    valid_ids: &[usize],
    device: &Device,
    (epoch, train_loss, start): (usize, f64, Instant),
    progress: &dyn Progress,
) -> anyhow::Result<EpochRecord> {
    let preds = predict(model, &config.model, ds, valid_ids, device, 16, 1.0)?;
    let (s, l) = scores_labels(&preds);
    let rec = EpochRecord {
        epoch: epoch + 1,
        train_loss,
        valid_loss: mean_bce(&preds),
        valid_auc: roc_auc(&s, &l),
        valid_pr_auc: pr_auc(&s, &l),
        seconds: start.elapsed().as_secs_f64(),
    };
    let show = |v: Option<f64>| v.map(|a| format!("{a:.3}")).unwrap_or("undefined".into());
    progress.note(&format!(
        "epoch {:>3}/{}: train loss {:.4}, valid loss {:.4}, valid ROC-AUC {}, PR-AUC {}, {:.1} s",
        rec.epoch,
        config.train.epochs,
        rec.train_loss,
        rec.valid_loss,
        show(rec.valid_auc),
        show(rec.valid_pr_auc),
        rec.seconds
    ));
    Ok(rec)
}

/// The dataset and the photos of the training and validation parts.
struct Parts<'a> {
    ds: &'a Dataset,
    train_ids: &'a [usize],
    valid_ids: &'a [usize],
    /// What the training photos are.
    photos: jointscope_data::TrainingPhotos,
}

/// After the last epoch: calibration and threshold on validation with the best weights, the
/// familiarity summaries and the retake difference, as the run's metadata (`model.json`).
#[allow(clippy::too_many_arguments)]
fn finish(
    run: &RunDir,
    config: &RunConfig,
    Parts { ds, train_ids, valid_ids, photos }: Parts,
    state: &CheckpointState,
    selected: &backend::Selected,
    pseudo: (usize, usize),
    models: &Path,
    progress: &dyn Progress,
) -> anyhow::Result<ModelMeta> {
    let (p, device) = (&config.train, &selected.device);
    let best = run::load_model_file(&config.model, &run.model(), device)?;
    let raw = predict(&best, &config.model, ds, valid_ids, device, 16, 1.0)?;
    let Calibration { temperature, threshold, flagged } = calibrate::calibrate(&raw, p.objective);
    let calibrated: Vec<Prediction> = raw.iter().map(|x| Prediction { prob: jointscope_model::probability(x.logit, temperature), ..x.clone() }).collect();
    let hand_rule = calibrate::hand_rule(&calibrated, p.objective);
    let familiarity = crate::predict::familiarity(&best, &config.model, ds, train_ids, valid_ids, device)?;
    // The summary over MediaPipe's features needs its file; without it the export has none.
    let full = models.join(crate::init::MEDIAPIPE_FILE);
    let mediapipe = std::fs::read(&full)
        .inspect_err(|e| progress.warn(&format!("{} unreadable ({e}): the export will not judge photos by MediaPipe's features", full.display())))
        .ok();
    let appearance = match &mediapipe {
        Some(bytes) => {
            let looks = jointscope_detect::appearance::AppearanceEncoder::new(bytes, device)?;
            crate::predict::appearance(&looks, &config.model, ds, train_ids, valid_ids, device)?
        }
        None => None,
    };
    let retake_difference = crate::predict::retake_difference(&best, &config.model, ds, valid_ids, temperature, device)?;
    let manifest = config.manifest.display().to_string();
    Ok(ModelMeta {
        format_version: run::FORMAT_VERSION,
        model: config.model.clone(),
        threshold,
        objective: p.objective,
        temperature,
        best_epoch: state.best.map(|b| b.0).unwrap_or(0),
        train_data: ds.summary(&manifest, train_ids),
        valid_data: ds.summary(&manifest, valid_ids),
        backend: selected.name.clone(),
        parameters: best.num_params(),
        pseudo_labels: pseudo,
        training_photos: Some(photos),
        valid_flagged: Some(flagged),
        hand_rule,
        familiarity,
        retake_difference,
        initialisation: Some(crate::init::describe(p.init_mediapipe, p.init.as_deref(), mediapipe.as_deref())),
        appearance,
        machine: Some(crate::machine::Machine::current()),
    })
}
