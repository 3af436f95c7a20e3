//! Command-line interface: `synth`, `validate`, `train`, `evaluate`, `export` and `demo`.
use crate::backend::BackendChoice;
use crate::train::{RunConfig, TrainParams};
use crate::{evaluate, export, run, train};
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
    /// Train a classifier on a manifest.
    Train(TrainArgs),
    /// Evaluate a trained run (its test split by default).
    Evaluate(EvalArgs),
    /// Export a trained run's weights and sidecar for the browser.
    Export {
        #[arg(long)]
        run: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// The whole pipeline on the synthetic benchmark: synth, train, evaluate, export.
    Demo(DemoArgs),
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
    #[arg(long, default_value_t = SynthConfig::default().seed)]
    pub seed: u64,
}

impl SynthArgs {
    fn config(&self) -> anyhow::Result<SynthConfig> {
        if !(0.0..=0.9).contains(&self.prevalence) || !(0.0..=1.0).contains(&self.palmar) || !(0.0..=5.0).contains(&self.signal) {
            bail!("--prevalence must be in 0..0.9, --palmar in 0..1 and --signal in 0..5");
        }
        Ok(SynthConfig {
            patients: self.patients,
            healthy_images: self.healthy,
            prevalence: self.prevalence,
            image_size: self.size,
            signal: self.signal,
            palmar_fraction: self.palmar,
            seed: self.seed,
            ..SynthConfig::default()
        })
    }
}

#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// `global-local` (the method) or `local` (baseline: joint crop only).
    #[arg(long, default_value = "global-local")]
    pub arch: Arch,
    #[arg(long, default_value_t = ModelConfig::default().global_size)]
    pub global_size: usize,
    #[arg(long, default_value_t = ModelConfig::default().local_size)]
    pub local_size: usize,
    /// Channels of the first encoder stage.
    #[arg(long, default_value_t = ModelConfig::default().width)]
    pub width: usize,
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
    /// Loss weight of inflamed joints.
    #[arg(long, default_value_t = TrainParams::default().pos_weight)]
    pub pos_weight: f32,
    /// Turn augmentation off.
    #[arg(long)]
    pub no_augment: bool,
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

fn run_config(manifest: PathBuf, m: &ModelArgs, o: &OptimArgs) -> RunConfig {
    RunConfig {
        manifest,
        model: ModelConfig { arch: m.arch, global_size: m.global_size, local_size: m.local_size, width: m.width, ..ModelConfig::default() },
        train: TrainParams {
            epochs: o.epochs,
            batch_images: o.batch,
            lr: o.lr,
            pos_weight: o.pos_weight,
            augment: !o.no_augment,
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
        Command::Train(a) => {
            let config = match (&a.manifest, a.resume) {
                (Some(m), false) => Some(run_config(m.clone(), &a.model, &a.optim)),
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
