//! Training the joint classifier: seeded patient-level split, AdamW with a cosine schedule,
//! augmentation, per-epoch validation, atomic checkpoints with resume, the best model kept by
//! validation ROC-AUC, and the decision threshold chosen on validation.
use crate::backend::{self, BackendChoice};
use crate::dataset::{DataSummary, Dataset, Which, read_manifest};
use crate::run::{self, RunDir};
use anyhow::{Context, bail};
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use jointscope_data::Joint;
use jointscope_data::split::{self, Part, Split, SplitSpec};
use crate::augment::{self, Mix};
use crate::losses::LossConfig;
use jointscope_metrics::{Objective, best_threshold, fit_temperature, roc_auc};
use jointscope_model::{JointNet, ModelConfig};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// A trained run whose confident predictions label the unlabelled training joints.
    #[serde(default)]
    pub teacher: Option<PathBuf>,
    /// Calibrated probability a teacher needs to give a pseudo-label (≥ it: 1, ≤ 1 − it: 0).
    #[serde(default = "default_confidence")]
    pub pseudo_confidence: f32,
    pub seed: u64,
    /// What the decision threshold maximises on validation.
    pub objective: Objective,
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
            teacher: None,
            pseudo_confidence: default_confidence(),
            seed: 0,
            objective: Objective::GMean,
        }
    }
}

/// How each epoch's photos are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Sampler {
    /// Every training photo once, in a random order.
    #[default]
    Shuffle,
    /// As many draws, with replacement, half of them from photos with an inflamed joint.
    ClassBalanced,
}

impl Sampler {
    /// The photos of one epoch.
    pub fn epoch(self, ds: &Dataset, train: &[usize], rng: &mut ChaCha8Rng) -> Vec<usize> {
        let mut order = train.to_vec();
        match self {
            Sampler::Shuffle => order.shuffle(rng),
            Sampler::ClassBalanced => {
                let (pos, neg): (Vec<usize>, Vec<usize>) =
                    train.iter().partition(|&&i| ds.photos[i].labelled.iter().any(|l| l.2 > 0.5));
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
pub struct RunConfig {
    pub manifest: PathBuf,
    pub model: ModelConfig,
    pub train: TrainParams,
    pub split: SplitSpec,
    pub backend: BackendChoice,
}

/// One epoch's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub valid_loss: f64,
    pub valid_auc: Option<f64>,
    pub seconds: f64,
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
}

fn one() -> f32 {
    1.0
}

fn default_confidence() -> f32 {
    0.9
}

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

/// Per-joint predictions.
#[derive(Debug, Clone)]
pub struct Prediction {
    pub photo: usize,
    pub joint: Joint,
    pub target: f32,
    /// Calibrated probability, sigmoid(logit / temperature).
    pub prob: f32,
    pub logit: f32,
    /// 8×8 class-activation map (row-major).
    pub cam: Vec<f32>,
}

/// Run the model over `photos` without gradients, `batch` photos at a time; probabilities use
/// `temperature`.
pub fn predict(
    model: &JointNet,
    config: &ModelConfig,
    ds: &Dataset,
    photos: &[usize],
    device: &Device,
    batch: usize,
    temperature: f32,
) -> anyhow::Result<Vec<Prediction>> {
    predict_of(model, config, ds, photos, device, batch, temperature, Which::Labelled)
}

/// [`predict`] for either kind of joint.
#[allow(clippy::too_many_arguments)]
pub fn predict_of(
    model: &JointNet,
    config: &ModelConfig,
    ds: &Dataset,
    photos: &[usize],
    device: &Device,
    batch: usize,
    temperature: f32,
    which: Which,
) -> anyhow::Result<Vec<Prediction>> {
    let mut out = Vec::new();
    for chunk in photos.chunks(batch.max(1)) {
        let (data, targets, who) = ds.batch_of(chunk, config, None, which);
        if who.is_empty() {
            continue;
        }
        let output = model.forward(data.to_batch(config, device)?);
        let logits: Vec<f32> = output.logits.clone().into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let cam: Vec<f32> = output.cam.into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let side = jointscope_model::FEATURE_SIDE * jointscope_model::FEATURE_SIDE;
        for (k, ((photo, joint), target)) in who.into_iter().zip(targets).enumerate() {
            let logit = logits[k];
            out.push(Prediction {
                photo,
                joint,
                target,
                prob: 1.0 / (1.0 + (-logit / temperature).exp()),
                logit,
                cam: cam[k * side..(k + 1) * side].to_vec(),
            });
        }
    }
    Ok(out)
}

fn mean_bce(preds: &[Prediction]) -> f64 {
    let n = preds.len().max(1) as f64;
    preds
        .iter()
        .map(|p| {
            let x = p.logit as f64;
            let sp = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
            p.target as f64 * sp(-x) + (1.0 - p.target as f64) * sp(x)
        })
        .sum::<f64>()
        / n
}

/// Scores and labels of predictions.
pub fn scores_labels(preds: &[Prediction]) -> (Vec<f32>, Vec<bool>) {
    (preds.iter().map(|p| p.prob).collect(), preds.iter().map(|p| p.target > 0.5).collect())
}

fn bar(len: u64, quiet: bool, template: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    b.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
    b
}

/// Load the dataset and the split of a run.
pub fn load_data(run: &RunDir, config: &RunConfig, quiet: bool) -> anyhow::Result<(Dataset, Split)> {
    let manifest = read_manifest(&config.manifest)?;
    let images = manifest.images().len() as u64;
    let pb = bar(images, quiet, "decoding  {bar:30} {pos}/{len} images {elapsed}");
    let ds = Dataset::load(&manifest, &|| pb.inc(1))?;
    pb.finish_and_clear();
    let split = if run.split().exists() {
        run::read_json(&run.split())?
    } else {
        let entries: Vec<_> = ds.photos.iter().map(|p| p.entry.clone()).collect();
        let split = split::split_patients(&entries, config.split);
        run::write_json(&run.split(), &split)?;
        split
    };
    for part in [Part::Train, Part::Valid] {
        if ds.part(&split, part).iter().all(|&i| ds.photos[i].labelled.is_empty()) {
            bail!("the {part:?} split has no labelled joints: the dataset has too few patients ({} photos)", ds.photos.len());
        }
    }
    Ok((ds, split))
}

/// Train into `run_dir`. A new run writes `run.json`; `resume` continues an existing one from its
/// newest checkpoint (weights, epoch, history; AdamW's moments start afresh).
pub fn train(run_dir: &Path, config: Option<RunConfig>, resume: bool, quiet: bool) -> anyhow::Result<ModelMeta> {
    let run = RunDir(run_dir.to_path_buf());
    let config = if resume {
        run::read_json::<RunConfig>(&run.config()).context("--resume needs an existing run")?
    } else {
        let mut config = config.context("a new run needs a configuration")?;
        if run.config().exists() {
            bail!("{} already holds a run: pass --resume to continue it, or choose another --run", run_dir.display());
        }
        config.manifest = std::fs::canonicalize(&config.manifest)
            .with_context(|| format!("manifest {} not found", config.manifest.display()))?;
        config.model.validate()?;
        if config.train.epochs == 0 || config.train.batch_images == 0 {
            bail!("epochs and batch size must be at least 1");
        }
        std::fs::create_dir_all(run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
        run::write_json(&run.config(), &config)?;
        config
    };
    let (mut ds, split) = load_data(&run, &config, quiet)?;
    let train_ids = ds.part(&split, Part::Train);
    let valid_ids = ds.part(&split, Part::Valid);
    let selected = backend::select(config.backend)?;
    let device = selected.device.clone();
    let mut pseudo = (0, 0);
    if let Some(teacher) = &config.train.teacher {
        pseudo = pseudo_label(teacher, &mut ds, &train_ids, config.train.pseudo_confidence, &device)
            .with_context(|| format!("pseudo-labelling with the teacher in {}", teacher.display()))?;
        if !quiet {
            eprintln!("pseudo-labels from {}: {} inflamed, {} not inflamed", teacher.display(), pseudo.0, pseudo.1);
        }
    }
    let ad = device.clone().autodiff();
    let p = &config.train;

    // Seeded initialisation: the same configuration trains the same model.
    ad.seed(p.seed);
    let s = ds.summary("", &train_ids);
    let counts = (s.labelled_joints - s.inflamed_joints, s.inflamed_joints);
    let prior = s.prevalence as f32;
    let mut model = config.model.init(&ad)?;
    if p.prior_bias && prior > 0.0 {
        model = model.with_initial_logit(p.loss.initial_logit(prior, counts));
    }
    if let (Some(dir), false) = (&p.init, resume) {
        model = crate::pretrain::init_from(dir, model, &config.model)?;
        if !quiet {
            eprintln!("encoders initialised from the pretraining in {}", dir.display());
        }
    }
    let mut state = CheckpointState { epoch: 0, history: Vec::new(), best: None };
    if resume {
        if let Some((epoch, dir)) = run.latest_checkpoint() {
            model = run::load_model_file(&config.model, &dir.join("model.bpk"), &ad)?;
            state = run::read_json(&dir.join("state.json"))?;
            // The best weights as they were at this checkpoint (the model file may be newer).
            let best = dir.join("best.bpk");
            if best.exists() {
                let bytes = std::fs::read(&best).with_context(|| format!("reading {}", best.display()))?;
                run::write_atomic(&run.model(), &bytes)?;
            }
            if !quiet {
                eprintln!("resuming after epoch {epoch} from {}", dir.display());
            }
        }
    }
    let mut optim = AdamWConfig::new().with_weight_decay(p.weight_decay).init();
    let steps_per_epoch = train_ids.len().div_ceil(p.batch_images);
    let total_steps = (steps_per_epoch * p.epochs).max(1);
    if !quiet {
        eprintln!(
            "training {} ({} parameters) on {}: {} train photos, {} joints, {} inflamed ({:.1} %)",
            config.model.arch,
            model.num_params(),
            selected.name,
            s.images,
            s.labelled_joints,
            s.inflamed_joints,
            100.0 * s.prevalence
        );
    }

    for epoch in state.epoch..p.epochs {
        let start = Instant::now();
        let mut rng = ChaCha8Rng::seed_from_u64(p.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
        let order = p.sampler.epoch(&ds, &train_ids, &mut rng);
        let pb = bar(steps_per_epoch as u64, quiet, "epoch {prefix} {bar:30} {pos}/{len} steps {msg} {elapsed}");
        pb.set_prefix(format!("{:>3}/{}", epoch + 1, p.epochs));
        let (mut loss_sum, mut loss_n) = (0.0f64, 0usize);
        for (k, chunk) in order.chunks(p.batch_images).enumerate() {
            let (mut data, mut targets, who) = ds.batch(chunk, &config.model, if p.augment { Some(&mut rng) } else { None });
            if who.is_empty() {
                continue;
            }
            if p.augment {
                augment::apply(p.mix, MIX_PROBABILITY, &mut data.local, &mut targets, config.model.local_size, &mut rng);
            }
            let n = targets.len();
            let batch = data.to_batch(&config.model, &ad)?;
            let targets = Tensor::<1>::from_data(TensorData::new(targets, [n]), &ad);
            let out = model.forward(batch);
            let loss = p.loss.loss(out.logits, targets, prior, counts);
            let value: f32 = loss.clone().into_scalar();
            if !value.is_finite() {
                bail!("the loss became {value} at epoch {} step {k}: lower --lr", epoch + 1);
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let step = epoch * steps_per_epoch + k;
            let lr = p.lr * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total_steps as f64).cos());
            model = optim.step(lr, model, grads);
            loss_sum += value as f64 * n as f64;
            loss_n += n;
            pb.set_message(format!("loss {:.4}", loss_sum / loss_n as f64));
            pb.inc(1);
        }
        pb.finish_and_clear();
        let valid_model = model.valid();
        let preds = predict(&valid_model, &config.model, &ds, &valid_ids, &device, 16, 1.0)?;
        let (s, l) = scores_labels(&preds);
        let rec = EpochRecord {
            epoch: epoch + 1,
            train_loss: loss_sum / loss_n.max(1) as f64,
            valid_loss: mean_bce(&preds),
            valid_auc: roc_auc(&s, &l),
            seconds: start.elapsed().as_secs_f64(),
        };
        if !quiet {
            eprintln!(
                "epoch {:>3}/{}: train loss {:.4}, valid loss {:.4}, valid ROC-AUC {}, {:.1} s",
                rec.epoch,
                p.epochs,
                rec.train_loss,
                rec.valid_loss,
                rec.valid_auc.map(|a| format!("{a:.3}")).unwrap_or("n/a".into()),
                rec.seconds
            );
        }
        let score = rec.valid_auc.unwrap_or(0.0) - 1e-3 * rec.valid_loss;
        if state.best.is_none_or(|(_, b)| score > b) {
            state.best = Some((rec.epoch, score));
            run::write_atomic(&run.model(), &run::model_bytes(&valid_model)?)?;
        }
        state.history.push(rec);
        state.epoch = epoch + 1;
        write_history(&run.history(), &state.history)?;
        run.save_checkpoint(state.epoch, &valid_model, &state)?;
    }

    // Calibration and threshold on validation, with the best weights.
    let best = run::load_model_file(&config.model, &run.model(), &device)?;
    let raw = predict(&best, &config.model, &ds, &valid_ids, &device, 16, 1.0)?;
    let logits: Vec<f32> = raw.iter().map(|p| p.logit).collect();
    let labels: Vec<bool> = raw.iter().map(|p| p.target > 0.5).collect();
    let temperature = fit_temperature(&logits, &labels);
    let calibrated: Vec<f32> = logits.iter().map(|x| 1.0 / (1.0 + (-x / temperature).exp())).collect();
    let threshold = best_threshold(&calibrated, &labels, p.objective);
    let manifest = config.manifest.display().to_string();
    let meta = ModelMeta {
        format_version: run::FORMAT_VERSION,
        model: config.model.clone(),
        threshold,
        objective: p.objective,
        temperature,
        best_epoch: state.best.map(|b| b.0).unwrap_or(0),
        train_data: ds.summary(&manifest, &train_ids),
        valid_data: ds.summary(&manifest, &valid_ids),
        backend: selected.name,
        parameters: best.num_params(),
        pseudo_labels: pseudo,
    };
    run::write_json(&run.model_meta(), &meta)?;
    crate::plots::training_curves(&run.plots().join("training.png"), &state.history)?;
    Ok(meta)
}

fn write_history(path: &Path, history: &[EpochRecord]) -> anyhow::Result<()> {
    let mut s = String::from("epoch,train_loss,valid_loss,valid_auc,seconds\n");
    for r in history {
        s.push_str(&format!(
            "{},{:.6},{:.6},{},{:.2}\n",
            r.epoch,
            r.train_loss,
            r.valid_loss,
            r.valid_auc.map(|a| format!("{a:.6}")).unwrap_or_default(),
            r.seconds
        ));
    }
    run::write_atomic(path, s.as_bytes())
}
