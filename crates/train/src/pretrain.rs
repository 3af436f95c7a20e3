//! Self-supervised pretraining of both encoders on unlabelled (e.g. healthy) hands, with one of two
//! objectives:
//! - **contrastive** (SimCLR, Chen et al. 2020): two augmented views of each whole hand and of a
//!   few joint crops per hand, pulled together against the rest of the batch by NT-Xent. Crops of
//!   the same photo are never each other's negatives (they share skin, light and camera, which is
//!   what would separate them), and colour is jittered per channel (white balance) and in
//!   exposure, as cameras and the generator vary them, so colour histograms cannot solve the task;
//!   hue is never rotated, so redness stays meaningful.
//! - **masked** reconstruction (SimMIM-style for CNNs, Xie et al. 2022): half of the 8×8 patches
//!   of each crop and whole-hand view are blanked, and a linear head (one 1×1 convolution, as
//!   SimMIM's) redraws every pixel of each patch from the encoder's feature at that patch; the loss
//!   is the squared error on the blanked pixels only, so the encoder must model what skin,
//!   knuckles and creases look like.
//!
//! The checkpoint (`encoders.bpk`) holds the two encoders under the same paths as [`JointNet`]'s
//! (`local.*`, `global.*`), so fine-tuning loads them with [`load_encoders`].
use crate::backend::{self, BackendChoice};
use crate::dataset::{Dataset, JitterRange, jitter, read_manifest};
use crate::progress::Progress;
use crate::run;
use anyhow::{Context, bail};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::store::ModuleRecord;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData};
use jointscope_data::preprocess::{self, MEAN, STD};
use jointscope_model::{Encoder, EncoderKind, FEATURE_SIDE, JointNet, ModelConfig};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which self-supervised objective trains the encoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    #[default]
    Contrastive,
    Masked,
}

impl crate::choice::Choice for Objective {
    const ALL: &'static [Self] = &[Self::Contrastive, Self::Masked];
    fn help(self) -> &'static str {
        match self {
            Self::Contrastive => "SimCLR: two augmented views pulled together (NT-Xent)",
            Self::Masked => "blank half the patches, redraw them with a small decoder",
        }
    }
}

/// Settings of a pretraining run (`pretrain.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PretrainConfig {
    /// Manifest of the unlabelled pool (labels are ignored).
    pub manifest: PathBuf,
    /// Sizes of the encoders (must match the model fine-tuned from them).
    pub model: ModelConfig,
    pub objective: Objective,
    pub epochs: usize,
    pub batch_images: usize,
    /// Joint crops taken per hand per step.
    pub joints_per_image: usize,
    pub lr: f64,
    /// NT-Xent temperature (contrastive).
    pub tau: f32,
    /// Fraction of the 8×8 patches blanked (masked).
    pub mask_ratio: f32,
    /// Per-channel white-balance and exposure jitter of the views (largest relative change).
    pub colour: f32,
    pub seed: u64,
    pub backend: BackendChoice,
    /// Start both encoders from MediaPipe's hand network (Google's weights for its layers; needs
    /// `model.encoder` = mediapipe), so pretraining continues from the features that help.
    pub init_mediapipe: bool,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        Self {
            manifest: PathBuf::new(),
            model: ModelConfig::default(),
            objective: Objective::Contrastive,
            epochs: 30,
            batch_images: 16,
            joints_per_image: 3,
            lr: 2e-3,
            tau: 0.2,
            mask_ratio: 0.5,
            colour: 0.15,
            seed: 0,
            backend: BackendChoice::Auto,
            init_mediapipe: false,
        }
    }
}

/// What a pretraining run reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PretrainMeta {
    pub config: PretrainConfig,
    /// Mean loss per epoch (global + local; NT-Xent or masked squared error).
    pub history: Vec<f64>,
    pub images: usize,
    pub seconds: f64,
}

/// Encoders with the heads of both objectives (only the encoders are kept for fine-tuning).
#[derive(Module, Debug)]
pub struct Pretrainer {
    pub local: Encoder,
    pub global: Encoder,
    proj_local: Projection,
    proj_global: Projection,
    dec_local: Decoder,
    dec_global: Decoder,
}

#[derive(Module, Debug)]
struct Projection {
    a: Linear,
    b: Linear,
}

impl Projection {
    fn new(c: usize, device: &Device) -> Self {
        Self { a: LinearConfig::new(c, c).init(device), b: LinearConfig::new(c, 64).init(device) }
    }
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.b.forward(relu(self.a.forward(x)))
    }
}

/// Feature map `[n, c, 8, 8]` → image `[n, 3, size, size]`, SimMIM's head: one 1×1 convolution
/// predicts every pixel of each cell's `size/8 × size/8` patch, and the patches are laid out.
#[derive(Module, Debug)]
struct Decoder {
    head: Conv2d,
    cell: usize,
}

impl Decoder {
    fn new(channels: usize, size: usize, device: &Device) -> Self {
        let cell = size / FEATURE_SIDE;
        Self { head: Conv2dConfig::new([channels, 3 * cell * cell], [1, 1]).init(device), cell }
    }
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [n, _, h, w] = x.dims();
        let p = self.cell;
        // [n, 3·p·p, h, w] → [n, 3, p, p, h, w] → [n, 3, h, p, w, p] → [n, 3, h·p, w·p]
        self.head.forward(x).reshape([n, 3, p, p, h, w]).permute([0, 1, 4, 2, 5, 3]).reshape([n, 3, h * p, w * p])
    }
}

fn pooled(map: Tensor<4>) -> Tensor<2> {
    map.mean_dim(3).mean_dim(2).reshape([0, -1])
}

/// Mean squared error of `pred` against `target` over the pixels `mask` (1 = blanked) covers.
fn masked_mse(pred: Tensor<4>, target: Tensor<4>, mask: Tensor<4>) -> Tensor<1> {
    let covered = mask.clone().sum().mul_scalar(3.0).clamp_min(1.0);
    ((pred - target).powf_scalar(2.0) * mask).sum() / covered
}

impl Pretrainer {
    /// Both encoders (MediaPipe ones) started from MediaPipe's hand network in the folder
    /// `models`, as `train --init mediapipe` starts a classifier's.
    pub fn from_mediapipe(self, models: &Path) -> anyhow::Result<Self> {
        let (layers, _) = crate::init::mediapipe_file_layers(models)?;
        Ok(Pretrainer { local: self.local.with_mediapipe_weights(&layers)?, global: self.global.with_mediapipe_weights(&layers)?, ..self })
    }

    pub fn new(config: &ModelConfig, device: &Device) -> anyhow::Result<Self> {
        config.validate()?;
        let c = config.feature_channels();
        Ok(Self {
            local: config.encoder(config.local_size, device),
            global: config.encoder(config.global_size, device),
            proj_local: Projection::new(c, device),
            proj_global: Projection::new(c, device),
            dec_local: Decoder::new(c, config.local_size, device),
            dec_global: Decoder::new(c, config.global_size, device),
        })
    }

    /// NT-Xent over the global views plus NT-Xent over the local views; each holds two views of
    /// every item, the first views first. `local_groups[i]`: the photo crop `i` came from (crops of
    /// one photo are not each other's negatives).
    pub fn loss(&self, global: Tensor<4>, local: Tensor<4>, local_groups: &[usize], tau: f32) -> Tensor<1> {
        let g = self.proj_global.forward(pooled(self.global.forward(global)));
        let l = self.proj_local.forward(pooled(self.local.forward(local)));
        nt_xent(g, tau, None) + nt_xent(l, tau, Some(local_groups))
    }

    /// The masked-reconstruction loss of whole-hand views and crops with their masks (`[n, 1, s, s]`,
    /// 1 = blanked): the encoders see the blanked inputs, the decoders redraw the originals.
    pub fn masked_loss(&self, global: Tensor<4>, global_mask: Tensor<4>, local: Tensor<4>, local_mask: Tensor<4>) -> Tensor<1> {
        let part = |enc: &Encoder, dec: &Decoder, x: Tensor<4>, mask: Tensor<4>| {
            let seen = x.clone() * (mask.clone().neg() + 1.0);
            masked_mse(dec.forward(enc.forward(seen)), x, mask)
        };
        part(&self.global, &self.dec_global, global, global_mask) + part(&self.local, &self.dec_local, local, local_mask)
    }
}

/// The NT-Xent (normalised temperature-scaled cross-entropy) loss of `z`, `[2n, d]`, whose rows
/// `i` and `i + n` are two views of one item. With `groups` (one per item), rows of different items
/// of the same group are left out of each other's denominators.
pub fn nt_xent(z: Tensor<2>, tau: f32, groups: Option<&[usize]>) -> Tensor<1> {
    let [m, _] = z.dims();
    let n = m / 2;
    let device = z.device();
    let norm = z.clone().powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(1e-6);
    let z = z / norm;
    let sim = z.clone().matmul(z.transpose()).div_scalar(tau);
    let mut excluded = vec![0.0f32; m * m];
    for i in 0..m {
        for j in 0..m {
            let same_group = groups.is_some_and(|g| g[i % n] == g[j % n]) && i % n != j % n;
            if i == j || same_group {
                excluded[i * m + j] = 1e4;
            }
        }
    }
    let sim = sim - Tensor::<2>::from_data(TensorData::new(excluded, [m, m]), &device);
    let positives: Vec<i64> = (0..m).map(|i| ((i + n) % m) as i64).collect();
    let positives = Tensor::<2, Int>::from_data(TensorData::new(positives, [m, 1]), &device);
    log_softmax(sim, 1).gather(1, positives).mean().neg()
}

/// Pretraining's augmentation of the whole-hand view (stronger than training's: the two views of
/// a pair must differ).
pub const PRETRAIN_GLOBAL_JITTER: JitterRange = JitterRange { shift: 0.1, scale: 0.2, angle: 0.5 };
/// Pretraining's augmentation of each joint's crop (the probes augment crops the same way).
pub const PRETRAIN_JOINT_JITTER: JitterRange = JitterRange { shift: 0.12, scale: 0.25, angle: 0.6 };

/// Per-channel white balance and exposure of a normalised view, in place: each channel's pixel
/// values (0..1) are multiplied by exposure × its own gain, both within ±`amount`.
pub fn colour_jitter(view: &mut [f32], amount: f32, rng: &mut impl Rng) {
    if amount <= 0.0 {
        return;
    }
    let exposure = 1.0 + rng.random_range(-amount..=amount);
    let plane = view.len() / 3;
    for c in 0..3 {
        let k = exposure * (1.0 + rng.random_range(-amount..=amount));
        // x = (v − mean)/std with v·k: x' = k·x + (k − 1)·mean/std.
        let shift = (k - 1.0) * MEAN[c] / STD[c];
        view[c * plane..(c + 1) * plane].iter_mut().for_each(|x| *x = *x * k + shift);
    }
}

/// A mask over `size × size` pixels (1 = blanked) made of whole patches of an 8×8 grid, `ratio`
/// of them.
pub fn patch_mask(size: usize, ratio: f32, rng: &mut impl Rng) -> Vec<f32> {
    let cells = FEATURE_SIDE * FEATURE_SIDE;
    let mut order: Vec<usize> = (0..cells).collect();
    order.shuffle(rng);
    let blank = ((cells as f32 * ratio).round() as usize).min(cells);
    let mut hidden = vec![false; cells];
    for &c in &order[..blank] {
        hidden[c] = true;
    }
    let cell = size / FEATURE_SIDE;
    (0..size * size).map(|k| f32::from(u8::from(hidden[(k / size / cell) * FEATURE_SIDE + (k % size) / cell]))).collect()
}

/// One step's inputs: the whole-hand views and the joint crops, flattened, with their counts and,
/// per crop, the photo it came from.
struct Views {
    global: Vec<f32>,
    local: Vec<f32>,
    n_global: usize,
    n_local: usize,
    local_groups: Vec<usize>,
}

/// `copies` augmented views of every photo's whole hand and of `k` random joints each (all first
/// copies first), colour-jittered by `colour`.
fn views(ds: &Dataset, photos: &[usize], config: &PretrainConfig, copies: usize, rng: &mut ChaCha8Rng) -> Views {
    let (m, k) = (&config.model, config.joints_per_image);
    let mut g: Vec<Vec<f32>> = vec![Vec::new(); copies];
    let mut l: Vec<Vec<f32>> = vec![Vec::new(); copies];
    let (mut n_global, mut local_groups) = (0, Vec::new());
    for &i in photos {
        let p = &ds.photos[i];
        if p.located.is_empty() {
            continue;
        }
        for view in g.iter_mut() {
            let mut v = preprocess::global_view(&p.image, &p.located, m.global_size, &jitter(rng, PRETRAIN_GLOBAL_JITTER));
            colour_jitter(&mut v, config.colour, rng);
            view.extend(v);
        }
        let mut joints = p.located.clone();
        joints.shuffle(rng);
        for (_, pt) in joints.into_iter().take(k) {
            for view in l.iter_mut() {
                let mut v = preprocess::joint_view(&p.image, pt, p.scale, m.local_size, &jitter(rng, PRETRAIN_JOINT_JITTER));
                colour_jitter(&mut v, config.colour, rng);
                view.extend(v);
            }
            local_groups.push(n_global);
        }
        n_global += 1;
    }
    Views { global: g.concat(), local: l.concat(), n_global, n_local: local_groups.len(), local_groups }
}

/// The loss of one step of `config.objective`.
fn step_loss(model: &Pretrainer, ds: &Dataset, chunk: &[usize], config: &PretrainConfig, rng: &mut ChaCha8Rng, device: &Device) -> Option<Tensor<1>> {
    let (gs, ls) = (config.model.global_size, config.model.local_size);
    let tensor = |v: Vec<f32>, n: usize, c: usize, s: usize| Tensor::<4>::from_data(TensorData::new(v, [n, c, s, s]), device);
    match config.objective {
        Objective::Contrastive => {
            let v = views(ds, chunk, config, 2, rng);
            if v.n_global < 2 || v.n_local < 2 {
                return None;
            }
            let (g, l) = (tensor(v.global, 2 * v.n_global, 3, gs), tensor(v.local, 2 * v.n_local, 3, ls));
            Some(model.loss(g, l, &v.local_groups, config.tau))
        }
        Objective::Masked => {
            let v = views(ds, chunk, config, 1, rng);
            if v.n_global == 0 || v.n_local == 0 {
                return None;
            }
            let masks = |n: usize, s: usize, rng: &mut ChaCha8Rng| (0..n).flat_map(|_| patch_mask(s, config.mask_ratio, rng)).collect::<Vec<f32>>();
            let (gm, lm) = (masks(v.n_global, gs, rng), masks(v.n_local, ls, rng));
            let (g, l) = (tensor(v.global, v.n_global, 3, gs), tensor(v.local, v.n_local, 3, ls));
            Some(model.masked_loss(g, tensor(gm, v.n_global, 1, gs), l, tensor(lm, v.n_local, 1, ls)))
        }
    }
}

/// How much of a pretraining one call does: continue the unfinished one `out` holds (`resume`;
/// otherwise a checkpoint there is an error), and stop after `stop_after` more epochs (a step of
/// a longer run, to be resumed later) or at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    pub resume: bool,
    pub stop_after: Option<usize>,
    /// The folder of MediaPipe's models, read when the configuration starts from them.
    pub models: PathBuf,
}

/// What a call of [`pretrain`] ended with.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every epoch done: `pretrain.json` and `encoders.bpk` written.
    Finished(PretrainMeta),
    /// Stopped after `done` of `epochs` epochs, as asked; the checkpoint resumes it.
    Paused { done: usize, epochs: usize },
}

/// A pretraining's state after a whole epoch (`OUT/checkpoint/state.json`): with the whole
/// model's and the optimiser's state beside it, enough to go on exactly as if it had not stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    config: PretrainConfig,
    done: usize,
    history: Vec<f64>,
    seconds: f64,
}

/// The checkpoint folder, its files (the state last: a folder with it is complete).
const CHECKPOINT_DIR: &str = "checkpoint";
const CHECKPOINT_FILES: [&str; 3] = ["pretrainer.bpk", "optim.bpk", "state.json"];

fn check_config(config: &PretrainConfig) -> anyhow::Result<()> {
    if config.epochs == 0 || config.batch_images < 2 || config.joints_per_image == 0 {
        bail!("pretraining needs at least 1 epoch, 2 photos per batch and 1 joint per photo");
    }
    if !(0.0..1.0).contains(&config.mask_ratio) || !(0.0..0.9).contains(&config.colour) {
        bail!("the mask ratio must be in 0..1 and the colour jitter in 0..0.9");
    }
    if config.init_mediapipe && config.model.encoder != EncoderKind::Mediapipe {
        bail!("starting from MediaPipe's weights needs the mediapipe encoder");
    }
    Ok(())
}

/// Write the state after `state.done` epochs atomically (the folder is replaced whole).
fn save_checkpoint(out: &Path, model: &Pretrainer, optim: &ModuleOptimizer, state: &Checkpoint) -> anyhow::Result<()> {
    let weights = model.valid().into_record().into_bytes().map_err(|e| anyhow::anyhow!("serialising the pretrainer: {e:?}"))?;
    let moments = optim.into_bytes().map_err(|e| anyhow::anyhow!("serialising the optimiser: {e:?}"))?;
    let state = serde_json::to_vec_pretty(state)?;
    let files: [(&str, &[u8]); 3] = [(CHECKPOINT_FILES[0], &weights), (CHECKPOINT_FILES[1], &moments), (CHECKPOINT_FILES[2], &state)];
    jointscope_dataset::fsio::write_dir_atomic(&out.join(CHECKPOINT_DIR), &files)?;
    Ok(())
}

/// The complete checkpoint folder in `out`, if any: `checkpoint/`, or its `.tmp` twin when a
/// stop came between removing the old folder and renaming the new one.
fn checkpoint_dir(out: &Path) -> Option<PathBuf> {
    let dir = out.join(CHECKPOINT_DIR);
    let tmp = out.join(format!("{CHECKPOINT_DIR}.tmp"));
    [dir, tmp].into_iter().find(|d| d.join(CHECKPOINT_FILES[2]).exists())
}

/// Put the model and optimiser back as the checkpoint in `dir` left them, refusing one made with
/// other settings.
fn load_checkpoint(
    dir: &Path,
    config: &PretrainConfig,
    model: Pretrainer,
    optim: ModuleOptimizer,
) -> anyhow::Result<(Pretrainer, ModuleOptimizer, Checkpoint)> {
    let state: Checkpoint = run::read_json(&dir.join(CHECKPOINT_FILES[2]))?;
    if state.config != *config {
        bail!(
            "{} was started with other settings ({}); resume it with the same ones, or choose another output folder",
            dir.display(),
            serde_json::to_string(&state.config)?
        );
    }
    let read = |name: &str| std::fs::read(dir.join(name)).with_context(|| format!("reading {}", dir.join(name).display()));
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(read(CHECKPOINT_FILES[0])?)).map_err(|e| anyhow::anyhow!("{}: {e:?}", dir.display()))?;
    let model = model.try_load_record(record).map_err(|e| anyhow::anyhow!("{}: the checkpoint does not fit: {e:?}", dir.display()))?;
    let optim = optim.from_bytes(Bytes::from_bytes_vec(read(CHECKPOINT_FILES[1])?)).map_err(|e| anyhow::anyhow!("{}: {e:?}", dir.display()))?;
    Ok((model, optim, state))
}

/// Pretrain into `out` (`pretrain.json`, `encoders.bpk`), saving a checkpoint after every epoch;
/// `session` says whether to resume one and when to stop. A resumed pretraining ends with the
/// same encoders, to the bit, as one that never stopped (on the same machine).
pub fn pretrain(out: &Path, config: &PretrainConfig, session: Session, progress: &dyn Progress) -> anyhow::Result<Outcome> {
    check_config(config)?;
    let started = Instant::now();
    let manifest = read_manifest(&config.manifest)?;
    let ds = Dataset::load_unlabelled(&manifest)?;
    let ids: Vec<usize> = (0..ds.photos.len()).filter(|&i| !ds.photos[i].located.is_empty()).collect();
    if ids.len() < 2 {
        bail!("pretraining needs at least two photos with joint positions in {}", config.manifest.display());
    }
    let selected = backend::select(config.backend, progress)?;
    let ad = selected.device.clone().autodiff();
    ad.seed(config.seed);
    let mut model = Pretrainer::new(&config.model, &ad)?;
    if config.init_mediapipe {
        model = model.from_mediapipe(&session.models)?;
    }
    let mut optim = AdamWConfig::new().with_weight_decay(1e-4).init();
    let mut state = Checkpoint { config: config.clone(), done: 0, history: Vec::new(), seconds: 0.0 };
    match (checkpoint_dir(out), session.resume) {
        (Some(dir), true) => {
            (model, optim, state) = load_checkpoint(&dir, config, model, optim)?;
            progress.note(&format!("resuming the pretraining in {} after epoch {} of {}", out.display(), state.done, config.epochs));
        }
        (Some(dir), false) => bail!("{} holds an unfinished pretraining: resume it, or choose another output folder", dir.display()),
        (None, _) => {}
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let name = crate::choice::Choice::name(config.objective);
    progress.note(&format!("pretraining both encoders ({name}) on {} unlabelled photos with {}", ids.len(), selected.name));
    let last = session.stop_after.map_or(config.epochs, |n| (state.done + n).min(config.epochs));
    let earlier = state.seconds; // spent by the sessions before this one
    for epoch in state.done..last {
        let loss;
        (model, loss) = pretrain_epoch(model, &mut optim, (&ds, &ids), config, epoch, &ad, progress)?;
        state.history.push(loss);
        state.done = epoch + 1;
        state.seconds = earlier + started.elapsed().as_secs_f64();
        progress.note(&format!("pretrain epoch {:>3}/{}: {name} loss {loss:.4}", epoch + 1, config.epochs));
        save_checkpoint(out, &model, &optim, &state)?;
    }
    if state.done < config.epochs {
        return Ok(Outcome::Paused { done: state.done, epochs: config.epochs });
    }
    let bytes = model.valid().into_record().into_bytes().map_err(|e| anyhow::anyhow!("serialising encoders: {e:?}"))?;
    run::write_atomic(&out.join(ENCODERS_FILE), &bytes)?;
    let meta = PretrainMeta { config: config.clone(), history: state.history, images: ids.len(), seconds: state.seconds };
    run::write_json(&out.join(META_FILE), &meta)?;
    // Finished: the checkpoint is no longer needed (pretrain.json says it is done).
    let _ = std::fs::remove_dir_all(out.join(CHECKPOINT_DIR));
    Ok(Outcome::Finished(meta))
}

/// One epoch of steps over the photos `ids` of `ds`, in a shuffled order seeded by the epoch (so a
/// resumed run draws the same batches and views); returns the model and the epoch's mean loss.
fn pretrain_epoch(
    mut model: Pretrainer,
    optim: &mut ModuleOptimizer,
    (ds, ids): (&Dataset, &[usize]),
    config: &PretrainConfig,
    epoch: usize,
    device: &Device,
    progress: &dyn Progress,
) -> anyhow::Result<(Pretrainer, f64)> {
    let steps = ids.len().div_ceil(config.batch_images);
    let total = steps * config.epochs;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_mul(7_919).wrapping_add(epoch as u64));
    let mut order = ids.to_vec();
    order.shuffle(&mut rng);
    progress.start(&format!("pretrain {:>3}/{}", epoch + 1, config.epochs), steps as u64);
    let (mut sum, mut count) = (0.0f64, 0usize);
    for (k, chunk) in order.chunks(config.batch_images).enumerate() {
        let Some(loss) = step_loss(&model, ds, chunk, config, &mut rng, device) else { continue };
        let value: f32 = loss.clone().into_scalar();
        if !value.is_finite() {
            progress.finish();
            bail!("the pretraining loss became {value}: lower --lr");
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(crate::schedule::cosine_lr(config.lr, epoch * steps + k, total), model, grads);
        sum += value as f64;
        count += 1;
        progress.step(&format!("loss {:.4}", sum / count as f64));
    }
    progress.finish();
    Ok((model, sum / count.max(1) as f64))
}

/// Files of a pretraining folder.
pub const ENCODERS_FILE: &str = "encoders.bpk";
pub const META_FILE: &str = "pretrain.json";

/// Load pretrained encoder weights (bytes of a [`Pretrainer`] record) into `model`'s encoders.
/// Every encoder the model has must be found in the record with matching shapes; the projection
/// heads are left behind, and the model's context layers keep their initialisation.
pub fn load_encoders(model: JointNet, bytes: Vec<u8>) -> anyhow::Result<JointNet> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| anyhow::anyhow!("not a burnpack encoder file: {e:?}"))?
        .allow_partial(true)
        .allow_unused(true);
    model.try_load_record(record).map_err(|e| anyhow::anyhow!("pretrained encoders do not fit this model: {e:?}"))
}

/// Load the encoders of the pretraining folder `dir` into `model`, checking the sizes match.
pub fn init_from(dir: &Path, model: JointNet, config: &ModelConfig) -> anyhow::Result<JointNet> {
    let meta: PretrainMeta = run::read_json(&dir.join(META_FILE))?;
    let m = &meta.config.model;
    if m.encoder != config.encoder {
        bail!("{} was pretrained with the {} encoder; this model has the {} one", dir.display(), m.encoder, config.encoder);
    }
    if (m.global_size, m.local_size, m.width) != (config.global_size, config.local_size, config.width) {
        bail!(
            "{} was pretrained with global {}, local {}, width {}; this model has global {}, local {}, width {}",
            dir.display(),
            m.global_size,
            m.local_size,
            m.width,
            config.global_size,
            config.local_size,
            config.width
        );
    }
    let path = dir.join(ENCODERS_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    load_encoders(model, bytes).with_context(|| format!("loading {}", path.display()))
}
