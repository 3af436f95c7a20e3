//! Self-supervised pretraining of both encoders on unlabelled (healthy) hands, SimCLR-style:
//! two augmented views of each whole hand and of each of a few joint crops per hand, pulled
//! together against the rest of the batch by the NT-Xent loss (Chen et al. 2020). Colour is only
//! jittered in brightness and contrast — never in hue — so the encoders stay sensitive to redness.
//!
//! The checkpoint (`encoders.bpk`) holds the two encoders under the same paths as [`JointNet`]'s
//! (`local.*`, `global.*`), so fine-tuning loads them with [`load_encoders`].
use crate::backend::{self, BackendChoice};
use crate::dataset::{Dataset, jitter, read_manifest};
use crate::run;
use anyhow::{Context, bail};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::store::ModuleRecord;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use jointscope_data::preprocess;
use jointscope_model::{Encoder, JointNet, ModelConfig};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings of a pretraining run (`pretrain.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PretrainConfig {
    /// Manifest of the unlabelled pool (labels are ignored).
    pub manifest: PathBuf,
    /// Sizes of the encoders (must match the model fine-tuned from them).
    pub model: ModelConfig,
    pub epochs: usize,
    pub batch_images: usize,
    /// Joint crops taken per hand per step.
    pub joints_per_image: usize,
    pub lr: f64,
    /// NT-Xent temperature.
    pub tau: f32,
    pub seed: u64,
    pub backend: BackendChoice,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        Self {
            manifest: PathBuf::new(),
            model: ModelConfig::default(),
            epochs: 10,
            batch_images: 16,
            joints_per_image: 3,
            lr: 2e-3,
            tau: 0.2,
            seed: 0,
            backend: BackendChoice::Auto,
        }
    }
}

/// What a pretraining run reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PretrainMeta {
    pub config: PretrainConfig,
    /// Mean NT-Xent loss per epoch (global + local).
    pub history: Vec<f64>,
    pub images: usize,
    pub seconds: f64,
}

/// Encoders with projection heads.
#[derive(Module, Debug)]
pub struct Pretrainer {
    pub local: Encoder,
    pub global: Encoder,
    proj_local: Projection,
    proj_global: Projection,
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

fn pooled(map: Tensor<4>) -> Tensor<2> {
    map.mean_dim(3).mean_dim(2).reshape([0, -1])
}

impl Pretrainer {
    pub fn new(config: &ModelConfig, device: &Device) -> anyhow::Result<Self> {
        config.validate()?;
        let c = config.feature_channels();
        Ok(Self {
            local: Encoder::new(config.local_size, config.width, device),
            global: Encoder::new(config.global_size, config.width, device),
            proj_local: Projection::new(c, device),
            proj_global: Projection::new(c, device),
        })
    }

    /// NT-Xent over the global views plus NT-Xent over the local views; each holds two views of
    /// every item, the first views first.
    pub fn loss(&self, global: Tensor<4>, local: Tensor<4>, tau: f32) -> Tensor<1> {
        let g = self.proj_global.forward(pooled(self.global.forward(global)));
        let l = self.proj_local.forward(pooled(self.local.forward(local)));
        nt_xent(g, tau) + nt_xent(l, tau)
    }
}

/// The NT-Xent (normalised temperature-scaled cross-entropy) loss of `z`, `[2n, d]`, whose rows
/// `i` and `i + n` are two views of one item.
pub fn nt_xent(z: Tensor<2>, tau: f32) -> Tensor<1> {
    let [m, _] = z.dims();
    let n = m / 2;
    let device = z.device();
    let norm = z.clone().powf_scalar(2.0).sum_dim(1).sqrt().clamp_min(1e-6);
    let z = z / norm;
    let sim = z.clone().matmul(z.transpose()).div_scalar(tau);
    let mut eye = vec![0.0f32; m * m];
    for i in 0..m {
        eye[i * m + i] = 1e4;
    }
    let sim = sim - Tensor::<2>::from_data(TensorData::new(eye, [m, m]), &device);
    let positives: Vec<i64> = (0..m).map(|i| ((i + n) % m) as i64).collect();
    let positives = Tensor::<2, Int>::from_data(TensorData::new(positives, [m, 1]), &device);
    log_softmax(sim, 1).gather(1, positives).mean().neg()
}

/// Two strongly augmented global views per photo and two local views of `k` random joints each.
fn views(ds: &Dataset, photos: &[usize], config: &ModelConfig, k: usize, rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<f32>, usize, usize) {
    let (mut g1, mut g2, mut l1, mut l2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ng, mut nl) = (0, 0);
    for &i in photos {
        let p = &ds.photos[i];
        if p.located.is_empty() {
            continue;
        }
        for g in [&mut g1, &mut g2] {
            g.extend(preprocess::global_view(&p.image, &p.located, config.global_size, &jitter(rng, 0.1, 0.2, 0.5)));
        }
        ng += 1;
        let mut joints = p.located.clone();
        joints.shuffle(rng);
        for (_, pt) in joints.into_iter().take(k) {
            for l in [&mut l1, &mut l2] {
                let j = jitter(rng, 0.12, 0.25, 0.6);
                l.extend(preprocess::joint_view(&p.image, pt, p.scale, config.local_size, &j));
            }
            nl += 1;
        }
    }
    g1.extend(g2);
    l1.extend(l2);
    (g1, l1, ng, nl)
}

/// Pretrain into `out` (`pretrain.json`, `encoders.bpk`).
pub fn pretrain(out: &Path, config: &PretrainConfig, quiet: bool) -> anyhow::Result<PretrainMeta> {
    if config.epochs == 0 || config.batch_images < 2 || config.joints_per_image == 0 {
        bail!("pretraining needs at least 1 epoch, 2 photos per batch and 1 joint per photo");
    }
    let started = Instant::now();
    let manifest = read_manifest(&config.manifest)?;
    let ds = Dataset::load_unlabelled(&manifest)?;
    let ids: Vec<usize> = (0..ds.photos.len()).filter(|&i| !ds.photos[i].located.is_empty()).collect();
    if ids.len() < 2 {
        bail!("pretraining needs at least two photos with joint positions in {}", config.manifest.display());
    }
    let selected = backend::select(config.backend)?;
    let ad = selected.device.clone().autodiff();
    ad.seed(config.seed);
    let mut model = Pretrainer::new(&config.model, &ad)?;
    let mut optim = AdamWConfig::new().with_weight_decay(1e-4).init();
    let steps = ids.len().div_ceil(config.batch_images);
    let total = (steps * config.epochs).max(1);
    let (gs, ls) = (config.model.global_size, config.model.local_size);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    if !quiet {
        eprintln!("pretraining both encoders on {} unlabelled photos with {}", ids.len(), selected.name);
    }
    let mut history = Vec::new();
    for epoch in 0..config.epochs {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_mul(7_919).wrapping_add(epoch as u64));
        let mut order = ids.clone();
        order.shuffle(&mut rng);
        let pb = if quiet { ProgressBar::hidden() } else { ProgressBar::new(steps as u64) };
        pb.set_style(ProgressStyle::with_template("pretrain {prefix} {bar:30} {pos}/{len} {msg} {elapsed}").expect("template"));
        pb.set_prefix(format!("{:>3}/{}", epoch + 1, config.epochs));
        let (mut sum, mut count) = (0.0f64, 0usize);
        for (k, chunk) in order.chunks(config.batch_images).enumerate() {
            let (g, l, ng, nl) = views(&ds, chunk, &config.model, config.joints_per_image, &mut rng);
            if ng < 2 || nl < 2 {
                continue;
            }
            let global = Tensor::<4>::from_data(TensorData::new(g, [2 * ng, 3, gs, gs]), &ad);
            let local = Tensor::<4>::from_data(TensorData::new(l, [2 * nl, 3, ls, ls]), &ad);
            let loss = model.loss(global, local, config.tau);
            let value: f32 = loss.clone().into_scalar();
            if !value.is_finite() {
                bail!("the pretraining loss became {value}: lower --lr");
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let step = epoch * steps + k;
            let lr = config.lr * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total as f64).cos());
            model = optim.step(lr, model, grads);
            sum += value as f64;
            count += 1;
            pb.set_message(format!("loss {:.4}", sum / count as f64));
            pb.inc(1);
        }
        pb.finish_and_clear();
        history.push(sum / count.max(1) as f64);
        if !quiet {
            eprintln!("pretrain epoch {:>3}/{}: NT-Xent {:.4}", epoch + 1, config.epochs, history[epoch]);
        }
        let bytes = model.valid().into_record().into_bytes().map_err(|e| anyhow::anyhow!("serialising encoders: {e:?}"))?;
        run::write_atomic(&out.join(ENCODERS_FILE), &bytes)?;
    }
    let meta = PretrainMeta { config: config.clone(), history, images: ids.len(), seconds: started.elapsed().as_secs_f64() };
    run::write_json(&out.join(META_FILE), &meta)?;
    Ok(meta)
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
