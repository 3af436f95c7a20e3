//! The command line's arguments (clap). The options' names come from the library
//! ([`Choice`]); `commands` turns parsed arguments into library calls and prints the results.
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use jointscope_data::Objective;
use jointscope_dataset::real::RealConfig;
use jointscope_dataset::synth::{Preset, SynthConfig};
use jointscope_model::{Arch, EncoderKind, ModelConfig};
use jointscope_train::Choice;
use jointscope_train::augment::Mix;
use jointscope_train::backend::BackendChoice;
use jointscope_train::losses::{LossConfig, LossKind};
use jointscope_train::pretrain::{Objective as PretrainObjective, PretrainConfig};
use jointscope_train::train::{Recipe, Sampler, Select, TrainParams};
use std::path::PathBuf;

/// A value parser for a library option: its names and help lines come from [`Choice`].
fn choice<T: Choice + Clone>() -> impl TypedValueParser<Value = T> {
    let values = T::ALL.iter().map(|c| {
        let v = PossibleValue::new(c.name());
        if c.help().is_empty() { v } else { v.help(c.help()) }
    });
    PossibleValuesParser::new(values).map(|name| T::parse(&name).expect("clap checked the name"))
}

#[derive(Parser, Debug)]
#[command(name = "jointscope", version, about = "Joint-level inflammation detection from hand photos: train, evaluate and export models.")]
pub struct Cli {
    /// Hide progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Folder holding MediaPipe's .tflite hand models (default: $JOINTSCOPE_MODELS, else models/;
    /// scripts/fetch-models.sh fetches them).
    #[arg(long, global = true, value_name = "DIR")]
    pub models: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate the synthetic benchmark (photos, manifest, true landmarks).
    Synth(SynthArgs),
    /// Check a manifest and every image it names; lists every bad row.
    Validate {
        /// The manifest CSV.
        manifest: PathBuf,
    },
    /// Fill in joint positions (x, y) with MediaPipe's hand landmarks, writing them into the manifest.
    Locate(LocateArgs),
    /// Accuracy and speed of the hand-landmark pipeline on synthetic photos with known landmarks.
    LocateBench(LocateBenchArgs),
    /// The capture check's values on drawn photos made to fail each check and on real photos.
    QualityBench(QualityBenchArgs),
    /// Write one drawn hand photo per capture defect (good, blurred, dark, …) into a new folder.
    CaptureSamples(CaptureSamplesArgs),
    /// Self-supervised pretraining of both encoders on unlabelled (e.g. healthy) hands.
    Pretrain(PretrainArgs),
    /// Train a classifier on a manifest.
    Train(TrainArgs),
    /// Evaluate a trained run (its test split by default).
    Evaluate(EvalArgs),
    /// Find the hands in photos and judge every joint with exported weights (what the browser does).
    Detect(DetectArgs),
    /// Serve the built page (scripts/build-web.sh → dist/web) on 127.0.0.1.
    Serve {
        /// The page's folder.
        #[arg(default_value = "dist/web")]
        dir: PathBuf,
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Export a trained run's weights and sidecar for the browser.
    Export {
        #[arg(long)]
        run: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Export even a degenerate threshold or calibration (for debugging, never for patients).
        #[arg(long)]
        force: bool,
    },
    /// The whole pipeline on the synthetic benchmark: synth, train, evaluate, export.
    Demo(DemoArgs),
    /// The method's ablation (baseline → full method) over several seeds, as a Markdown table.
    Ablate(AblateArgs),
    /// Speed figures for scripts/bench.sh: the training step, the hand-landmark model, or detection.
    Bench(BenchArgs),
}

/// What `jointscope bench` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchWhat {
    /// The classifier's training step (forward, cross-entropy, backward, AdamW) on a seeded batch.
    Train,
    /// The training step taken apart: batch building, upload, forward, backward, AdamW, inference.
    Profile,
    /// Each convolution and group norm of the training step's encoders alone, forward and
    /// backward, at the shapes of an --images batch (--json for bench/layers.py, its PyTorch peer).
    Layers,
    /// The hand-landmark model alone on seeded 224×224 inputs (written to --inputs-file).
    Landmarks,
    /// The whole detection with exported weights (--weights) on --inputs seeded synthetic photos
    /// holding --hands hands each (0, 1 or 2: 0, 11 or 22 joints), or on --photo files; with the
    /// time of each stage.
    Detect,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    pub what: BenchWhat,
    #[arg(long, value_parser = choice::<BackendChoice>(), default_value = "flex")]
    pub backend: BackendChoice,
    /// Photos per training batch (11 joint crops each).
    #[arg(long, default_value_t = 8)]
    pub images: usize,
    /// Timed training steps (after 2 warm-up steps).
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Landmark inputs, and timed runs of each.
    #[arg(long, default_value_t = 8)]
    pub inputs: usize,
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Layers: also write our gradients of every local-encoder layer on seeded values, 2 crops
    /// (JSON, for `bench/layers.py --gradients`, which recomputes them with PyTorch).
    #[arg(long)]
    pub gradients: Option<PathBuf>,
    /// Where the landmark inputs are written (raw f32, NHWC) for the peer to read.
    #[arg(long, default_value = "runs/bench/landmark-inputs.f32")]
    pub inputs_file: PathBuf,
    /// Detect: the export folder (jointscope.json + jointscope.bpk).
    #[arg(long, default_value = "runs/demo/export")]
    pub weights: PathBuf,
    /// Detect: hands per photo, side by side.
    #[arg(long, default_value_t = 1)]
    pub hands: usize,
    /// Detect: pixels per hand (each hand is drawn on a square this size).
    #[arg(long, default_value_t = 320)]
    pub size: u32,
    /// Detect: time these photo files (decoding included; repeatable) instead of synthetic ones.
    #[arg(long = "photo")]
    pub photos: Vec<PathBuf>,
    /// Also write the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// The generator's settings: a preset, and any of its values overridden.
#[derive(Args, Debug, Clone)]
pub struct SynthArgs {
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// The cohort's disease model (README: "The synthetic benchmark").
    #[arg(long, value_parser = choice::<Preset>(), default_value = "default")]
    pub preset: Preset,
    /// Patients in the labelled cohort (two photos each) [preset: 120].
    #[arg(long, conflicts_with = "base_photos")]
    pub patients: Option<usize>,
    /// Healthy-hand photos for self-supervised pretraining [400].
    #[arg(long, conflicts_with = "base_photos")]
    pub healthy: Option<usize>,
    /// Target fraction of inflamed joints [0.08].
    #[arg(long)]
    pub prevalence: Option<f32>,
    /// Photo side in pixels [320].
    #[arg(long, conflicts_with = "base_photos")]
    pub size: Option<u32>,
    /// Strength of inflammation signs (lower is harder) [1.5].
    #[arg(long)]
    pub signal: Option<f32>,
    /// Fraction of palm-up photos [0].
    #[arg(long, conflicts_with = "base_photos")]
    pub palmar: Option<f32>,
    /// Fraction of the cohort's joint labels written as `unknown` (truth stays in severity.csv) [0].
    #[arg(long, conflicts_with = "base_photos")]
    pub hide_labels: Option<f32>,
    /// Chance that a joint inflamed on one hand is inflamed on the other [default 0.6, ra-like 0.8].
    #[arg(long)]
    pub symmetry: Option<f32>,
    /// 0..1: coupling of a patient's number of inflamed joints and their severity [0, ra-like 1].
    #[arg(long)]
    pub burden_coupling: Option<f32>,
    /// Fraction of inflamed joints drawn with faint signs [0, ra-like 0.3].
    #[arg(long)]
    pub occult_fraction: Option<f32>,
    /// How much of an occult joint's signs shows [0.1].
    #[arg(long)]
    pub occult_visibility: Option<f32>,
    /// 0..1: weight of the patient's own level in each joint's healthy look [1, control 0].
    #[arg(long, conflicts_with = "base_photos")]
    pub patient_appearance: Option<f32>,
    /// Generator seed [7].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Paint simulated signs on these real photos of healthy hands (a folder, searched below too)
    /// instead of drawing hands: docs/real-benchmark.md.
    #[arg(long)]
    pub base_photos: Option<PathBuf>,
    /// With --base-photos: 11K Hands' HandInfo.csv (subjects, sides, which photos show the back);
    /// without it each photo is its own subject.
    #[arg(long, requires = "base_photos")]
    pub subjects: Option<PathBuf>,
    /// With --base-photos: times each photo is painted, each a new visit with its own disease [2].
    #[arg(long, requires = "base_photos")]
    pub visits: Option<usize>,
    /// With --base-photos: photos are scaled down to this longer side [800].
    #[arg(long, requires = "base_photos")]
    pub max_side: Option<u32>,
    /// With --base-photos: subjects set aside as the fixed test set, test.csv [20].
    #[arg(long, requires = "base_photos")]
    pub test_subjects: Option<usize>,
}

impl SynthArgs {
    /// The real-photo benchmark's settings: the preset's disease model, with the options given.
    pub fn real_config(&self) -> RealConfig {
        let mut c = RealConfig::from_preset(self.preset);
        let set = |to: &mut f32, v: Option<f32>| *to = v.unwrap_or(*to);
        c.visits = self.visits.unwrap_or(c.visits);
        c.max_side = self.max_side.unwrap_or(c.max_side);
        c.test_subjects = self.test_subjects.unwrap_or(c.test_subjects);
        c.seed = self.seed.unwrap_or(c.seed);
        set(&mut c.prevalence, self.prevalence);
        set(&mut c.signal, self.signal);
        set(&mut c.disease.symmetry, self.symmetry);
        set(&mut c.disease.burden_coupling, self.burden_coupling);
        set(&mut c.disease.occult_fraction, self.occult_fraction);
        set(&mut c.disease.occult_visibility, self.occult_visibility);
        c
    }

    pub fn config(&self) -> SynthConfig {
        let mut c = self.preset.config();
        let set = |to: &mut f32, v: Option<f32>| *to = v.unwrap_or(*to);
        c.patients = self.patients.unwrap_or(c.patients);
        c.healthy_images = self.healthy.unwrap_or(c.healthy_images);
        c.image_size = self.size.unwrap_or(c.image_size);
        c.seed = self.seed.unwrap_or(c.seed);
        set(&mut c.prevalence, self.prevalence);
        set(&mut c.signal, self.signal);
        set(&mut c.palmar_fraction, self.palmar);
        set(&mut c.hidden_labels, self.hide_labels);
        set(&mut c.disease.symmetry, self.symmetry);
        set(&mut c.disease.burden_coupling, self.burden_coupling);
        set(&mut c.disease.occult_fraction, self.occult_fraction);
        set(&mut c.disease.occult_visibility, self.occult_visibility);
        set(&mut c.patient_appearance, self.patient_appearance);
        c
    }
}

#[derive(Args, Debug, Clone)]
pub struct LocateArgs {
    /// The manifest CSV; rows without x, y get them.
    pub manifest: PathBuf,
    /// Write the completed manifest here instead of back in place (in place keeps `<name>.orig.csv`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace positions already filled in, too.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub hands: HandModelArgs,
}

/// Which MediaPipe hand models run, where, and on what (shared by `locate` and `detect`).
#[derive(Args, Debug, Clone)]
pub struct HandModelArgs {
    /// The photos are mirror images (front-camera selfies).
    #[arg(long)]
    pub mirrored: bool,
    /// Use MediaPipe's lite models (faster, less accurate).
    #[arg(long)]
    pub lite: bool,
    #[arg(long, value_parser = choice::<BackendChoice>(), default_value = "flex")]
    pub backend: BackendChoice,
}

impl HandModelArgs {
    pub fn complexity(&self) -> jointscope_landmarks::Complexity {
        if self.lite { jointscope_landmarks::Complexity::Lite } else { jointscope_landmarks::Complexity::Full }
    }
}

/// `--models`, else `$JOINTSCOPE_MODELS`, else `models/` in the current folder (where
/// `scripts/fetch-models.sh` puts them when run from the repository). The one place the
/// command line decides it: the libraries take the folder as an argument.
pub fn models_or_default(models: &Option<PathBuf>) -> PathBuf {
    match (models, std::env::var_os("JOINTSCOPE_MODELS")) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) if !dir.is_empty() => dir.into(),
        _ => PathBuf::from("models"),
    }
}

#[derive(Args, Debug, Clone)]
pub struct DetectArgs {
    /// Photos (PNG or JPEG).
    #[arg(required = true)]
    pub photos: Vec<PathBuf>,
    /// Export folder with jointscope.json and jointscope.bpk (from `jointscope export`).
    #[arg(long)]
    pub weights: PathBuf,
    /// Write the detections as JSON here (one array, a result or an error per photo).
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub hands: HandModelArgs,
}

#[derive(Args, Debug, Clone)]
pub struct LocateBenchArgs {
    /// Synthetic hands per set.
    #[arg(long, default_value_t = 40)]
    pub hands: usize,
    /// Hand-free photos.
    #[arg(long, default_value_t = 60)]
    pub negatives: usize,
    /// Photo side in pixels.
    #[arg(long, default_value_t = 320)]
    pub size: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also time the wgpu backend.
    #[arg(long)]
    pub wgpu: bool,
    /// Where to write `locate-bench.json` and `.md`.
    #[arg(long, default_value = "runs/locate-bench")]
    pub out: PathBuf,
    /// Instead, run the pipeline on the real photos in this folder and draw its landmarks on each
    /// (OUT/overlay/), with Google's from --reference next to them.
    #[arg(long)]
    pub real: Option<PathBuf>,
    /// With --real: Google's pipeline on the same photos (scripts/mediapipe_reference.py's output).
    #[arg(long, requires = "real")]
    pub reference: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct QualityBenchArgs {
    /// Drawn photos per defect.
    #[arg(long, default_value_t = 40)]
    pub photos: usize,
    /// Photo side in pixels.
    #[arg(long, default_value_t = 320)]
    pub size: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A folder of real photos to measure too.
    #[arg(long)]
    pub real: Option<PathBuf>,
    /// Where to write `quality-bench.json` and `.md`.
    #[arg(long, default_value = "runs/quality-bench")]
    pub out: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct CaptureSamplesArgs {
    /// A folder that does not exist yet (or is empty).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Photo side in pixels.
    #[arg(long, default_value_t = 320)]
    pub size: u32,
}

/// Encoder sizes, shared by `train` and `pretrain` (they must match to fine-tune).
#[derive(Args, Debug, Clone)]
pub struct SizeArgs {
    /// Side of the whole-hand view in pixels.
    #[arg(long, default_value_t = ModelConfig::default().global_size)]
    pub global_size: usize,
    /// Side of the joint crop in pixels.
    #[arg(long, default_value_t = ModelConfig::default().local_size)]
    pub local_size: usize,
    /// Channels of the first encoder stage.
    #[arg(long, default_value_t = ModelConfig::default().width)]
    pub width: usize,
    /// How the encoders are built (`--init mediapipe` implies mediapipe).
    #[arg(long, value_parser = choice::<EncoderKind>(), default_value = "plain")]
    pub encoder: EncoderKind,
}

impl SizeArgs {
    pub fn config(&self, arch: Arch) -> ModelConfig {
        ModelConfig { arch, encoder: self.encoder, global_size: self.global_size, local_size: self.local_size, width: self.width, ..ModelConfig::default() }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Which parts of the model are used.
    #[arg(long, value_parser = choice::<Arch>(), default_value = "global-local")]
    pub arch: Arch,
    #[command(flatten)]
    pub sizes: SizeArgs,
}

#[derive(Args, Debug, Clone)]
pub struct OptimArgs {
    #[arg(long, default_value_t = TrainParams::default().epochs)]
    pub epochs: usize,
    /// Photos per step.
    #[arg(long, default_value_t = TrainParams::default().batch_images)]
    pub batch: usize,
    #[arg(long, default_value_t = TrainParams::default().lr)]
    pub lr: f64,
    /// Training loss.
    #[arg(long, value_parser = choice::<LossKind>(), default_value = "bce")]
    pub loss: LossKind,
    /// Loss weight of inflamed joints (bce).
    #[arg(long, default_value_t = LossConfig::default().pos_weight)]
    pub pos_weight: f32,
    /// Focal loss γ.
    #[arg(long, default_value_t = LossConfig::default().focal_gamma)]
    pub focal_gamma: f32,
    /// Focal loss α (weight of inflamed joints).
    #[arg(long, default_value_t = LossConfig::default().focal_alpha)]
    pub focal_alpha: f32,
    /// Class-balanced loss β.
    #[arg(long, default_value_t = LossConfig::default().cb_beta)]
    pub cb_beta: f32,
    /// Logit-adjustment τ.
    #[arg(long, default_value_t = LossConfig::default().la_tau)]
    pub la_tau: f32,
    /// How photos are drawn per epoch.
    #[arg(long, value_parser = choice::<Sampler>(), default_value = "shuffle")]
    pub sampler: Sampler,
    /// Turn augmentation off.
    #[arg(long)]
    pub no_augment: bool,
    /// Start the logits at probability ½ instead of at the training prevalence.
    #[arg(long)]
    pub no_prior_bias: bool,
    /// Mixing augmentation of joint crops: none, cutmix or cut-keep.
    #[arg(long, value_parser = choice::<Mix>(), default_value = "none")]
    pub mix: Mix,
    /// What the validation threshold maximises: g-mean or f1.
    #[arg(long, value_parser = choice::<Objective>(), default_value = "g-mean")]
    pub objective: Objective,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The validation figure that keeps the best epoch.
    #[arg(long, value_parser = choice::<Select>(), default_value = "roc-auc")]
    pub select: Select,
    /// Stop after this many epochs without a better validation figure.
    #[arg(long)]
    pub patience: Option<usize>,
    /// Steps of linear learning-rate warm-up.
    #[arg(long, default_value_t = Recipe::default().warmup_steps)]
    pub warmup_steps: usize,
    /// Epochs at the start with the encoders frozen (LP-FT's linear probe).
    #[arg(long, default_value_t = Recipe::default().frozen_epochs)]
    pub frozen_epochs: usize,
    /// The encoders' learning rate as a fraction of the head's.
    #[arg(long, default_value_t = Recipe::default().encoder_lr_scale)]
    pub encoder_lr_scale: f64,
    /// Chance per joint that the whole-hand context is withheld in training (global-local).
    #[arg(long, default_value_t = Recipe::default().context_dropout)]
    pub context_dropout: f32,
    /// Compute backend.
    #[arg(long, value_parser = choice::<BackendChoice>(), default_value = "auto")]
    pub backend: BackendChoice,
}

#[derive(Args, Debug, Clone)]
pub struct PretrainArgs {
    /// Manifest of the unlabelled pool (e.g. the benchmark's healthy.csv); labels are ignored.
    #[arg(long, required_unless_present = "photos", conflicts_with = "photos")]
    pub manifest: Option<PathBuf>,
    /// Or a folder of unlabelled photos (searched with its subfolders): MediaPipe finds the hand
    /// and joints in each, written to OUT/photos.csv.
    #[arg(long)]
    pub photos: Option<PathBuf>,
    /// Output folder (pretrain.json, encoders.bpk).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = PretrainConfig::default().epochs)]
    pub epochs: usize,
    /// Photos per step.
    #[arg(long, default_value_t = PretrainConfig::default().batch_images)]
    pub batch: usize,
    /// Joint crops per photo per step.
    #[arg(long, default_value_t = PretrainConfig::default().joints_per_image)]
    pub joints: usize,
    #[arg(long, default_value_t = PretrainConfig::default().lr)]
    pub lr: f64,
    /// NT-Xent temperature (contrastive).
    #[arg(long, default_value_t = PretrainConfig::default().tau)]
    pub tau: f32,
    /// The self-supervised objective.
    #[arg(long, value_parser = choice::<PretrainObjective>(), default_value = "contrastive")]
    pub objective: PretrainObjective,
    /// Fraction of 8×8 patches blanked (masked).
    #[arg(long, default_value_t = PretrainConfig::default().mask_ratio)]
    pub mask_ratio: f32,
    /// Per-channel white-balance and exposure jitter of the views.
    #[arg(long, default_value_t = PretrainConfig::default().colour)]
    pub colour: f32,
    /// Afterwards, diagnose the encoders on this labelled manifest: a frozen linear probe
    /// (validation PR-AUC) of a random and the pretrained encoder, and the counterfactual distance.
    #[arg(long)]
    pub probe: Option<PathBuf>,
    /// With --probe: also diagnose the local encoder of this trained run (supervised).
    #[arg(long, requires = "probe")]
    pub probe_run: Option<PathBuf>,
    /// `mediapipe`: start both encoders from MediaPipe's hand network (the mediapipe encoder, its
    /// layers from Google's weights) and pretrain on from there.
    #[arg(long, value_parser = ["mediapipe"])]
    pub init: Option<String>,
    /// Continue the unfinished pretraining in --out (its checkpoint after the last whole epoch),
    /// with the same settings; with --photos, the joints already found there are reused.
    #[arg(long)]
    pub resume: bool,
    /// Stop after this many more epochs (a step of a long pretraining; --resume goes on).
    #[arg(long, value_name = "EPOCHS", value_parser = clap::value_parser!(u64).range(1..))]
    pub stop_after: Option<u64>,
    #[command(flatten)]
    pub sizes: SizeArgs,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_parser = choice::<BackendChoice>(), default_value = "auto")]
    pub backend: BackendChoice,
}

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// The manifest CSV (required unless --resume).
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Run folder (config, checkpoints, model, metrics).
    #[arg(long)]
    pub run: PathBuf,
    /// Continue the run in --run from its newest checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Initialise the encoders from this `jointscope pretrain` folder, or from MediaPipe's hand
    /// network with the word `mediapipe` (which also selects `--encoder mediapipe`; a folder of
    /// that name is `./mediapipe`).
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// A trained run (the teacher) whose confident predictions label the unlabelled training joints.
    #[arg(long)]
    pub teacher: Option<PathBuf>,
    /// Teacher probability needed for a pseudo-label (≥ it: inflamed; ≤ 1 − it: not).
    #[arg(long, default_value_t = 0.9)]
    pub pseudo_confidence: f32,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub optim: OptimArgs,
}

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    #[arg(long)]
    pub run: PathBuf,
    /// Evaluate on every photo of this manifest instead of the run's test split.
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Which split of the run's own data: test or valid.
    #[arg(long, value_parser = ["test", "valid"], default_value = "test")]
    pub part: String,
    /// Where the joints are cropped: the manifest's positions, or where MediaPipe's hand
    /// landmarks put them (what `detect` and the page do; cached beside the manifest).
    #[arg(long, value_parser = ["manifest", "landmarks"], default_value = "manifest")]
    pub positions: String,
    /// Bootstrap resamples for the confidence intervals.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Output folder (data/, run/, export/).
    #[arg(long, default_value = "runs/demo")]
    pub out: PathBuf,
    /// A tiny configuration for tests (a minute on 2 cores).
    #[arg(long)]
    pub quick: bool,
    #[arg(long, value_parser = choice::<BackendChoice>(), default_value = "auto")]
    pub backend: BackendChoice,
    /// Generator seed.
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub seed: u64,
}

#[derive(Args, Debug, Clone)]
pub struct AblateArgs {
    /// The preset whose ablation to run (rows as the plan lists them).
    #[arg(long, value_parser = choice::<Preset>(), default_value = "ra-like")]
    pub preset: Preset,
    /// Folder of the cohorts, pretrainings, runs (cached by configuration hash) and reports; shared
    /// by the presets, so an interrupted ablation resumes.
    #[arg(long, default_value = "runs/ablation")]
    pub out: PathBuf,
    /// The protocol (default: crates/lab/plans/ablation-plan.json as committed, built in).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Tiny cohorts, model and plan, for tests.
    #[arg(long)]
    pub quick: bool,
    #[arg(long, value_parser = choice::<BackendChoice>(), default_value = "auto")]
    pub backend: BackendChoice,
    /// Run only these rows (comma-separated names as the plan gives them) and print their runs.
    #[arg(long, value_delimiter = ',')]
    pub rows: Vec<String>,
    /// Run only these of the plan's seeds (comma-separated) and print their runs.
    #[arg(long, value_delimiter = ',')]
    pub seeds: Vec<u64>,
    /// Run the plan's `real` rows on this real-photo benchmark (a `synth --base-photos` folder:
    /// manifest.csv trains, test.csv tests) instead of a drawn preset.
    #[arg(long)]
    pub benchmark: Option<PathBuf>,
    /// With --benchmark: the folder of unlabelled real photos the pretrained rows pretrain on
    /// (located with MediaPipe once, cached in OUT/pools).
    #[arg(long, requires = "benchmark")]
    pub pool: Option<PathBuf>,
    /// With --pool: 11K Hands' HandInfo.csv, so the test subjects' photos are left out of the pool.
    #[arg(long, requires = "pool")]
    pub subjects: Option<PathBuf>,
    /// With --pool: pretrain on the first N hands found in the pool's fixed order (all by default).
    #[arg(long, requires = "pool")]
    pub pool_size: Option<usize>,
    /// With --pool: only hands showing this side (`dorsal` = the back, as the real benchmark's
    /// photos), as MediaPipe's landmarks judge it; --pool-size then counts those.
    #[arg(long, requires = "pool", value_parser = parse_view)]
    pub pool_view: Option<jointscope_data::View>,
    /// With --benchmark: train on the first N of its training subjects (in a fixed order, seed
    /// 1007; the split then takes validation from those as usual), testing on the same test
    /// subjects: how many patients a clinic must photograph.
    #[arg(long, requires = "benchmark", conflicts_with = "subjects_curve")]
    pub train_subjects: Option<usize>,
    /// With --benchmark: the rows' primary metric after training on each of these numbers of
    /// training subjects (comma-separated; `all` for every one), as a table and, with --plot, a
    /// PNG: how many patients a clinic must photograph.
    #[arg(long, requires = "benchmark", value_delimiter = ',', value_parser = parse_subjects)]
    pub subjects_curve: Vec<Option<usize>>,
    /// With --subjects-curve: draw it into this PNG.
    #[arg(long, requires = "subjects_curve")]
    pub plot: Option<PathBuf>,
    /// With --pool: pair each pretrained row with the same row pretrained on another pool of the
    /// same photos: `all` (every hand), `N` (the first N hands), `dorsal` or `dorsal:N` (backs).
    #[arg(long, requires = "pool", value_parser = parse_pool)]
    pub versus_pool: Option<(Option<jointscope_data::View>, Option<usize>)>,
    /// Print one command per training run of the ablation (this command with `--job N`), for a
    /// scheduler's workers sharing --out (docs/trainer.md: a Slurm job array, GNU parallel); trains
    /// nothing.
    #[arg(long, conflicts_with = "job")]
    pub list_jobs: bool,
    /// Run only training run N of --list-jobs (with the cohorts and pretraining it needs, each
    /// prepared once however many workers share --out); then `ablate` without --job prints the
    /// table from the runs cached there.
    #[arg(long)]
    pub job: Option<usize>,
    /// Keep each finished run's small files (selection, model.json, history, split, predictions,
    /// provenance; never weights) in this folder, meant for git, and read the runs found there
    /// instead of training them: a fresh clone prints the tables of what the folder holds.
    #[arg(long)]
    pub results: Option<PathBuf>,
}

/// A number of training subjects, or `all` (None).
fn parse_subjects(s: &str) -> Result<Option<usize>, String> {
    match s {
        "all" => Ok(None),
        n => {
            n.parse::<usize>().ok().filter(|&n| n > 0).map(Some).ok_or_else(|| format!("`{n}` is not a number of subjects (a positive whole number, or `all`)"))
        }
    }
}

/// A pool of the same photos: `all`, `N`, `VIEW` or `VIEW:N`.
fn parse_pool(s: &str) -> Result<(Option<jointscope_data::View>, Option<usize>), String> {
    let size = |n: &str| n.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| format!("{n:?} is not a number of hands"));
    match s.split_once(':') {
        _ if s == "all" => Ok((None, None)),
        Some((v, n)) => Ok((Some(parse_view(v)?), Some(size(n)?))),
        None if s.bytes().all(|b| b.is_ascii_digit()) => Ok((None, Some(size(s)?))),
        None => Ok((Some(parse_view(s)?), None)),
    }
}

/// A hand's side by name: `dorsal` (`back`) or `palmar` (`palm`).
fn parse_view(s: &str) -> Result<jointscope_data::View, String> {
    jointscope_data::View::parse(s).ok_or_else(|| format!("{s:?} is not a view: dorsal (the back of the hand) or palmar (the palm)"))
}
