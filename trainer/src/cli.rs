//! Command-line interface: `synth`, `validate`, `locate`, `pretrain`, `train`, `evaluate`, `export`, `demo`, `ablate`.
use crate::backend::BackendChoice;
use crate::augment::Mix;
use crate::losses::{LossConfig, LossKind};
use crate::train::{RunConfig, Sampler, TrainParams};
use crate::pretrain::{self, PretrainConfig};
use crate::{backend, evaluate, export, run, train};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use jointscope_data::manifest;
use jointscope_data::split::{Part, SplitSpec};
use jointscope_data::synth::{self, SynthConfig};
use jointscope_metrics::Objective;
use jointscope_model::{Arch, ModelConfig};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(name = "jointscope", version, about = "Joint-level inflammation detection from hand photos: train, evaluate and export models.")]
pub struct Cli {
    /// Hide progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,
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
    /// The hand-landmark model alone on seeded 224×224 inputs (written to --inputs-file).
    Landmarks,
    /// The whole detection with exported weights (--weights) on --inputs seeded synthetic photos
    /// holding --hands hands each (0, 1 or 2: 0, 11 or 22 joints).
    Detect,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    pub what: BenchWhat,
    #[arg(long, value_enum, default_value_t = BackendChoice::Flex)]
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
    /// Where the landmark inputs are written (raw f32, NHWC) for the peer to read.
    #[arg(long, default_value = "runs/bench/landmark-inputs.f32")]
    pub inputs_file: PathBuf,
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Detect: the export folder (jointscope.json + jointscope.bpk).
    #[arg(long, default_value = "runs/demo/export")]
    pub weights: PathBuf,
    /// Detect: hands per photo, side by side.
    #[arg(long, default_value_t = 1)]
    pub hands: usize,
    /// Detect: pixels per hand (each hand is drawn on a square this size).
    #[arg(long, default_value_t = 320)]
    pub size: u32,
    /// Also write the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct SynthArgs {
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Patients in the labelled cohort (two photos each).
    #[arg(long, default_value_t = SynthConfig::default().patients)]
    pub patients: usize,
    /// Healthy-hand photos for self-supervised pretraining.
    #[arg(long, default_value_t = SynthConfig::default().healthy_images)]
    pub healthy: usize,
    /// Target fraction of inflamed joints.
    #[arg(long, default_value_t = SynthConfig::default().prevalence)]
    pub prevalence: f32,
    /// Photo side in pixels.
    #[arg(long, default_value_t = SynthConfig::default().image_size)]
    pub size: u32,
    /// Strength of inflammation signs (1 = benchmark, lower = harder).
    #[arg(long, default_value_t = SynthConfig::default().signal)]
    pub signal: f32,
    /// Fraction of palm-up photos.
    #[arg(long, default_value_t = SynthConfig::default().palmar_fraction)]
    pub palmar: f32,
    /// Fraction of the cohort's joint labels written as `unknown` (truth stays in severity.csv).
    #[arg(long, default_value_t = 0.0)]
    pub hide_labels: f32,
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub seed: u64,
}

impl SynthArgs {
    fn config(&self) -> anyhow::Result<SynthConfig> {
        if !(0.0..=0.9).contains(&self.prevalence)
            || !(0.0..=1.0).contains(&self.palmar)
            || !(0.0..=5.0).contains(&self.signal)
            || !(0.0..1.0).contains(&self.hide_labels)
        {
            bail!("--prevalence must be in 0..0.9, --palmar and --hide-labels in 0..1, and --signal in 0..5");
        }
        Ok(SynthConfig {
            patients: self.patients,
            healthy_images: self.healthy,
            prevalence: self.prevalence,
            image_size: self.size,
            signal: self.signal,
            palmar_fraction: self.palmar,
            hidden_labels: self.hide_labels,
            seed: self.seed,
            ..SynthConfig::default()
        })
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
    /// Folder holding the .tflite files (default: $JOINTSCOPE_MODELS or models/, see scripts/fetch-models.sh).
    #[arg(long)]
    pub models: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendChoice,
}

impl HandModelArgs {
    fn complexity(&self) -> jointscope_landmarks::Complexity {
        if self.lite { jointscope_landmarks::Complexity::Lite } else { jointscope_landmarks::Complexity::Full }
    }

    fn models_dir(&self) -> PathBuf {
        self.models.clone().unwrap_or_else(jointscope_landmarks::models_dir)
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
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Where to write `locate-bench.json` and `.md`.
    #[arg(long, default_value = "runs/locate-bench")]
    pub out: PathBuf,
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
}

impl SizeArgs {
    fn config(&self, arch: Arch) -> ModelConfig {
        ModelConfig { arch, global_size: self.global_size, local_size: self.local_size, width: self.width, ..ModelConfig::default() }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// `global-local` (the method), `local` (baseline: joint crop only) or `global` (whole hand only).
    #[arg(long, default_value = "global-local")]
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
    #[arg(long, value_enum, default_value = "bce")]
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
    #[arg(long, value_enum, default_value = "shuffle")]
    pub sampler: Sampler,
    /// Turn augmentation off.
    #[arg(long)]
    pub no_augment: bool,
    /// Start the logits at probability ½ instead of at the training prevalence.
    #[arg(long)]
    pub no_prior_bias: bool,
    /// Mixing augmentation of joint crops: none, cutmix or cut-keep.
    #[arg(long, value_enum, default_value = "none")]
    pub mix: Mix,
    /// What the validation threshold maximises: g-mean or f1.
    #[arg(long, value_enum, default_value = "g-mean")]
    pub objective: ObjectiveArg,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute backend.
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum ObjectiveArg {
    GMean,
    F1,
}

#[derive(Args, Debug, Clone)]
pub struct PretrainArgs {
    /// Manifest of the unlabelled pool (e.g. the benchmark's healthy.csv); labels are ignored.
    #[arg(long)]
    pub manifest: PathBuf,
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
    /// NT-Xent temperature.
    #[arg(long, default_value_t = PretrainConfig::default().tau)]
    pub tau: f32,
    #[command(flatten)]
    pub sizes: SizeArgs,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "auto")]
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
    /// Initialise the encoders from this `jointscope pretrain` folder.
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
    #[arg(long, default_value = "test")]
    pub part: String,
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
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
    /// Generator seed.
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub seed: u64,
}

#[derive(Args, Debug, Clone)]
pub struct AblateArgs {
    /// Output folder (data/, pretrain/, runs/, ablation.md, ablation.csv).
    #[arg(long, default_value = "runs/ablation")]
    pub out: PathBuf,
    /// An existing benchmark folder (manifest.csv + healthy.csv); default: generate the synthetic one.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Number of seeds (0, 1, …).
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Epochs per training run.
    #[arg(long, default_value_t = TrainParams::default().epochs)]
    pub epochs: usize,
    /// Epochs of self-supervised pretraining.
    #[arg(long, default_value_t = 6)]
    pub pretrain_epochs: usize,
    /// Also train the global-only model.
    #[arg(long)]
    pub with_global: bool,
    /// The imbalance-aware loss of every row after the baseline. Class-balanced weighting was the
    /// best on the pilot split's validation patients (ROC-AUC 0.826; logit-adjusted 0.800, focal
    /// 0.578, cross-entropy with class-balanced sampling 0.546).
    #[arg(long, value_enum, default_value = "class-balanced")]
    pub imbalance_loss: LossKind,
    /// Peak learning rate of every run.
    #[arg(long, default_value_t = TrainParams::default().lr)]
    pub lr: f64,
    /// Tiny sizes for tests.
    #[arg(long)]
    pub quick: bool,
    /// Bootstrap resamples per evaluation.
    #[arg(long, default_value_t = 300)]
    pub resamples: usize,
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: BackendChoice,
}

fn run_config(manifest: PathBuf, m: &ModelArgs, o: &OptimArgs) -> RunConfig {
    RunConfig {
        manifest,
        model: m.sizes.config(m.arch),
        train: TrainParams {
            epochs: o.epochs,
            batch_images: o.batch,
            lr: o.lr,
            loss: LossConfig {
                kind: o.loss,
                pos_weight: o.pos_weight,
                focal_gamma: o.focal_gamma,
                focal_alpha: o.focal_alpha,
                cb_beta: o.cb_beta,
                la_tau: o.la_tau,
            },
            sampler: o.sampler,
            augment: !o.no_augment,
            prior_bias: !o.no_prior_bias,
            mix: o.mix,
            seed: o.seed,
            objective: match o.objective {
                ObjectiveArg::GMean => Objective::GMean,
                ObjectiveArg::F1 => Objective::F1,
            },
            ..TrainParams::default()
        },
        split: SplitSpec { seed: o.seed, ..SplitSpec::default() },
        backend: o.backend,
    }
}

/// Parse the command line and run it; returns the process exit code.
pub fn main() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    run_command(cli.command, cli.quiet)
}

/// Run one command.
pub fn run_command(command: Command, quiet: bool) -> anyhow::Result<i32> {
    match command {
        Command::Synth(a) => {
            let s = synth_cmd(&a.config()?, &a.out, quiet)?;
            println!(
                "wrote {} labelled photos ({} joints, {} inflamed = {:.1} %) and {} healthy photos to {}",
                s.images,
                s.joints,
                s.inflamed,
                100.0 * s.inflamed as f64 / s.joints.max(1) as f64,
                s.healthy_images,
                a.out.display()
            );
            Ok(0)
        }
        Command::Validate { manifest } => validate_cmd(&manifest),
        Command::Locate(a) => locate_cmd(&a, quiet),
        Command::Detect(a) => detect_cmd(&a),
        Command::Serve { dir, port } => {
            crate::serve::serve(&dir, port)?;
            Ok(0)
        }
        Command::Bench(a) => {
            let selected = backend::select(a.backend)?;
            let figures = match a.what {
                BenchWhat::Train => crate::bench::train_step(&selected.device, &selected.name, &ModelConfig::default(), a.images, 2, a.steps)?,
                BenchWhat::Landmarks => {
                    let models = a.models.clone().unwrap_or_else(jointscope_landmarks::models_dir);
                    crate::bench::landmarks(&selected.device, &selected.name, &models, a.inputs, a.repeats, &a.inputs_file)?
                }
                BenchWhat::Detect => {
                    let config = crate::detect::DetectConfig {
                        weights: a.weights.clone(),
                        models: a.models.clone().unwrap_or_else(jointscope_landmarks::models_dir),
                        complexity: jointscope_landmarks::Complexity::Full,
                        mirrored: false,
                    };
                    crate::bench::detect(&config, &selected.device, &selected.name, a.hands, a.size, a.inputs, a.repeats)?
                }
            };
            println!(
                "{}: {} on {}: {:.2} ms median over {} runs, {:.2} per second",
                figures.what, figures.config, figures.backend, figures.median_ms, figures.repetitions, figures.items_per_s
            );
            if let Some(p) = &a.json {
                run::write_json(p, &figures)?;
            }
            Ok(0)
        }
        Command::LocateBench(a) => {
            let config = crate::locate_bench::BenchConfig {
                hands: a.hands,
                negatives: a.negatives,
                size: a.size,
                seed: a.seed,
                models: a.models.clone().unwrap_or_else(jointscope_landmarks::models_dir),
                wgpu: a.wgpu,
            };
            let report = crate::locate_bench::bench(&config, &|step| if !quiet { eprintln!("{step}") })?;
            let md = crate::locate_bench::table(&report);
            std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
            run::write_json(&a.out.join("locate-bench.json"), &report)?;
            std::fs::write(a.out.join("locate-bench.md"), &md)?;
            println!("{md}");
            Ok(0)
        }
        Command::Pretrain(a) => {
            let config = PretrainConfig {
                manifest: a.manifest.clone(),
                model: a.sizes.config(Arch::GlobalLocal),
                epochs: a.epochs,
                batch_images: a.batch,
                joints_per_image: a.joints,
                lr: a.lr,
                tau: a.tau,
                seed: a.seed,
                backend: a.backend,
            };
            let meta = pretrain::pretrain(&a.out, &config, quiet)?;
            println!(
                "pretrained on {} photos in {:.0} s: NT-Xent {:.4} → {:.4}; encoders in {}",
                meta.images,
                meta.seconds,
                meta.history.first().copied().unwrap_or(f64::NAN),
                meta.history.last().copied().unwrap_or(f64::NAN),
                a.out.join(pretrain::ENCODERS_FILE).display()
            );
            Ok(0)
        }
        Command::Train(a) => {
            let config = match (&a.manifest, a.resume) {
                (Some(m), false) => {
                    let mut c = run_config(m.clone(), &a.model, &a.optim);
                    c.train.init = a.init.clone();
                    c.train.teacher = a.teacher.clone();
                    c.train.pseudo_confidence = a.pseudo_confidence;
                    if !(0.5..1.0).contains(&a.pseudo_confidence) {
                        bail!("--pseudo-confidence must be in 0.5..1");
                    }
                    Some(c)
                }
                (None, false) => bail!("train needs --manifest (or --resume to continue a run)"),
                (_, true) => None,
            };
            let meta = train::train(&a.run, config, a.resume, quiet)?;
            println!(
                "trained {} ({} parameters); best epoch {}, threshold {:.3} ({:?} on validation); run in {}",
                meta.model.arch,
                meta.parameters,
                meta.best_epoch,
                meta.threshold,
                meta.objective,
                a.run.display()
            );
            Ok(0)
        }
        Command::Evaluate(a) => {
            let part = match a.part.as_str() {
                "test" => Part::Test,
                "valid" => Part::Valid,
                other => bail!("--part {other:?}: expected test or valid"),
            };
            let e = evaluate::evaluate(&a.run, a.manifest.as_deref(), part, a.resamples, quiet)?;
            let meta: train::ModelMeta = run::read_json(&run::RunDir(a.run.clone()).model_meta())?;
            print!("{}", evaluate::table(&e, meta.threshold));
            println!("metrics, per-joint table, predictions: {}", a.run.join("eval").display());
            Ok(0)
        }
        Command::Export { run, out } => {
            let (path, s) = export::export(&run, &out)?;
            println!("exported {} ({} bytes, sha256 {}) and {}", path.display(), s.weights.bytes, s.weights.sha256, export::SIDECAR_FILE);
            Ok(0)
        }
        Command::Demo(a) => demo(&a, quiet),
        Command::Ablate(a) => {
            let (synth_config, model, mut params) = demo_config(a.quick, SynthConfig::default().seed);
            let data = match &a.data {
                Some(d) => d.clone(),
                None => {
                    let d = a.out.join("data");
                    let previous: Option<synth::SynthSummary> = run::read_json(&d.join("synth.json")).ok();
                    if previous.is_none_or(|p| serde_json::to_value(&p.config).ok() != serde_json::to_value(&synth_config).ok()) {
                        println!("generating the synthetic benchmark in {}", d.display());
                        let _ = std::fs::remove_dir_all(&d);
                        synth_cmd(&synth_config, &d, quiet)?;
                    }
                    d
                }
            };
            if !a.quick {
                params.epochs = a.epochs;
            }
            params.lr = a.lr;
            let (manifest, healthy) = crate::ablate::benchmark_paths(&data);
            let config = crate::ablate::AblateConfig {
                manifest,
                healthy,
                out: a.out.clone(),
                seeds: (0..a.seeds.max(1)).collect(),
                model,
                train: params,
                pretrain_epochs: if a.quick { 1 } else { a.pretrain_epochs },
                backend: a.backend,
                with_global: a.with_global,
                imbalance: a.imbalance_loss,
                resamples: a.resamples,
            };
            let md = crate::ablate::ablate(&config, quiet)?;
            println!("{md}");
            println!("table: {}", a.out.join("ablation.md").display());
            Ok(0)
        }
    }
}

fn synth_cmd(config: &SynthConfig, out: &Path, quiet: bool) -> anyhow::Result<synth::SynthSummary> {
    let total = (config.patients * 2 + config.healthy_images) as u64;
    let pb = if quiet { ProgressBar::hidden() } else { ProgressBar::new(total) };
    pb.set_style(ProgressStyle::with_template("generating {bar:30} {pos}/{len} photos {elapsed}").expect("template"));
    let s = synth::generate(config, out, &|_, _| pb.inc(1))?;
    pb.finish_and_clear();
    Ok(s)
}

/// Exit status 0 when every photo was processed (with or without a hand), 1 when one failed.
fn detect_cmd(a: &DetectArgs) -> anyhow::Result<i32> {
    use crate::detect::{DetectConfig, detect_file, detector, table};
    let selected = crate::backend::select(a.hands.backend)?;
    let config = DetectConfig {
        weights: a.weights.clone(),
        models: a.hands.models_dir(),
        complexity: a.hands.complexity(),
        mirrored: a.hands.mirrored,
    };
    let d = detector(&config, &selected.device)?;
    let threshold = d.classifier().sidecar().threshold;
    let (mut results, mut failed) = (Vec::new(), 0);
    for photo in &a.photos {
        let name = photo.display().to_string();
        match detect_file(&d, photo) {
            Ok(r) => {
                print!("{}", table(&name, &r, threshold));
                results.push(serde_json::json!({ "photo": name, "detection": r }));
            }
            Err(e) => {
                failed += 1;
                println!("{name}: {e:#}");
                results.push(serde_json::json!({ "photo": name, "error": format!("{e:#}") }));
            }
        }
    }
    if let Some(out) = &a.json {
        run::write_json(out, &results)?;
    }
    println!("{}", jointscope_detect::NOTICE);
    Ok(i32::from(failed > 0))
}

fn locate_cmd(a: &LocateArgs, quiet: bool) -> anyhow::Result<i32> {
    use crate::locate::{LocateConfig, PhotoResult};
    let selected = crate::backend::select(a.hands.backend)?;
    let config = LocateConfig {
        manifest: a.manifest.clone(),
        out: a.out.clone(),
        overwrite: a.overwrite,
        mirrored: a.hands.mirrored,
        complexity: a.hands.complexity(),
        models: a.hands.models_dir(),
    };
    let s = crate::locate::locate(&config, &selected.device, quiet)?;
    let count = |f: fn(&PhotoResult) -> bool| s.photos.values().filter(|r| f(r)).count();
    let located = count(|r| matches!(r, PhotoResult::Located { .. }));
    let other_side = count(|r| matches!(r, PhotoResult::Located { side_matches: false, .. }));
    for (image, r) in s.unlocated() {
        match r {
            PhotoResult::NoHand => println!("{image}: no hand found"),
            PhotoResult::Failed(e) => println!("{image}: {e}"),
            _ => {}
        }
    }
    println!(
        "{} photos: {located} located ({} rows filled), {} already had positions, {} without a hand found, {} unreadable",
        s.photos.len(),
        s.rows_filled,
        count(|r| matches!(r, PhotoResult::AlreadyLocated)),
        count(|r| matches!(r, PhotoResult::NoHand)),
        count(|r| matches!(r, PhotoResult::Failed(_)))
    );
    if other_side > 0 {
        println!("warning: on {other_side} photo(s) the hand found looks like the other hand than the manifest says (mirrored photos? try --mirrored)");
    }
    println!("wrote {}", s.written.display());
    Ok(if s.rows_without_position == 0 { 0 } else { 1 })
}

fn validate_cmd(path: &Path) -> anyhow::Result<i32> {
    let report = manifest::validate(path)?;
    for p in &report.problems {
        println!("{}:{p}", path.display());
    }
    let labelled = report.rows.iter().filter(|r| r.label.target().is_some()).count();
    let inflamed = report.rows.iter().filter(|r| r.label == manifest::Label::Inflamed).count();
    let located = report.rows.iter().filter(|r| r.point.is_some()).count();
    println!(
        "{}: {} valid rows ({} labelled, {} inflamed, {} with x,y) over {} images; {} problem(s)",
        path.display(),
        report.rows.len(),
        labelled,
        inflamed,
        located,
        report.images,
        report.problems.len()
    );
    if report.rows.is_empty() && report.problems.is_empty() {
        println!("the manifest has no rows");
        return Ok(1);
    }
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

/// Marker that a folder holds a demo's output (so re-running may replace it).
const DEMO_MARKER: &str = "demo.json";

fn demo(a: &DemoArgs, quiet: bool) -> anyhow::Result<i32> {
    let started = Instant::now();
    if a.out.exists() && !a.out.join(DEMO_MARKER).exists() && std::fs::read_dir(&a.out)?.next().is_some() {
        bail!("{} exists and is not a jointscope demo folder; choose another --out", a.out.display());
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let (synth_config, model, params) = demo_config(a.quick, a.seed);
    run::write_json(&a.out.join(DEMO_MARKER), &serde_json::json!({ "quick": a.quick, "seed": a.seed }))?;
    let data = a.out.join("data");
    let previous: Option<synth::SynthSummary> = run::read_json(&data.join("synth.json")).ok();
    let same = previous.is_some_and(|p| serde_json::to_value(&p.config).ok() == serde_json::to_value(&synth_config).ok());
    if same {
        println!("[1/4] reusing the synthetic benchmark in {}", data.display());
    } else {
        println!("[1/4] generating the synthetic benchmark in {}", data.display());
        let _ = std::fs::remove_dir_all(&data);
        let s = synth_cmd(&synth_config, &data, quiet)?;
        println!(
            "      {} photos of {} patients, {} joints, {} inflamed ({:.1} %); {} healthy photos",
            s.images,
            synth_config.patients,
            s.joints,
            s.inflamed,
            100.0 * s.inflamed as f64 / s.joints.max(1) as f64,
            s.healthy_images
        );
    }
    let run_dir = a.out.join("run");
    let _ = std::fs::remove_dir_all(&run_dir);
    println!("[2/4] training into {}", run_dir.display());
    let config = RunConfig {
        manifest: data.join("manifest.csv"),
        model,
        train: params,
        split: SplitSpec::default(),
        backend: a.backend,
    };
    let meta = train::train(&run_dir, Some(config), false, quiet)?;
    println!("      {} parameters, best epoch {}, threshold {:.3}", meta.parameters, meta.best_epoch, meta.threshold);
    println!("[3/4] evaluating on the held-out test patients");
    let e = evaluate::evaluate(&run_dir, None, Part::Test, 1000, quiet)?;
    print!("{}", evaluate::table(&e, meta.threshold));
    let export_dir = a.out.join("export");
    let (weights, sidecar) = export::export(&run_dir, &export_dir)?;
    println!("[4/4] exported {} ({} bytes) and {}", weights.display(), sidecar.weights.bytes, export::SIDECAR_FILE);
    println!(
        "plots in {}; finished in {:.0} s. Synthetic data: these figures say nothing about real hands.",
        run_dir.join("plots").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// The demo's benchmark, model and training settings (`quick` for tests).
pub fn demo_config(quick: bool, seed: u64) -> (SynthConfig, ModelConfig, TrainParams) {
    if quick {
        (
            SynthConfig { patients: 20, healthy_images: 4, image_size: 160, seed, ..SynthConfig::default() },
            ModelConfig { global_size: 32, local_size: 32, width: 8, context_dim: 16, ..ModelConfig::default() },
            TrainParams { epochs: 2, batch_images: 8, ..TrainParams::default() },
        )
    } else {
        (SynthConfig { seed, ..SynthConfig::default() }, ModelConfig::default(), TrainParams::default())
    }
}
