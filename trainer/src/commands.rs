//! Each command: arguments → a library call → what it prints. No logic beyond that.
use crate::bars::Bars;
use crate::cli::*;
use crate::serve;
use anyhow::bail;
use clap::Parser;
use jointscope_bench as bench;
use jointscope_dataset::manifest;
use jointscope_dataset::split::{Part, SplitSpec};
use jointscope_detect::{Detection, Detector};
use jointscope_lab::synthetic::{self, Prepared};
use jointscope_lab::{ablate, demo, locate_bench, probe, quality_bench};
use jointscope_landmarks::{Complexity, Options};
use jointscope_model::{Arch, EncoderKind, ModelConfig};
use jointscope_train::backend::BackendChoice;
use jointscope_train::evaluate::{self, Cohort, Positions};
use jointscope_train::losses::LossConfig;
use jointscope_train::pretrain::{self, PretrainConfig};
use jointscope_train::train::{self, Recipe, RunConfig, TrainParams};
use jointscope_train::{backend, export, locate, run};
use std::fmt::Write as _;
use std::path::Path;

/// Parse the command line and run it; returns the process exit code.
pub fn main() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    let bars = Bars::new(cli.quiet);
    run_command(cli.command, &models_or_default(&cli.models), &bars)
}

fn run_command(command: Command, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    match command {
        Command::Synth(a) => synth_cmd(&a, models, bars),
        Command::Validate { manifest } => validate_cmd(&manifest),
        Command::Locate(a) => locate_cmd(&a, models, bars),
        Command::LocateBench(a) => locate_bench_cmd(&a, models, bars),
        Command::QualityBench(a) => quality_bench_cmd(&a, models, bars),
        Command::CaptureSamples(a) => capture_samples_cmd(&a),
        Command::Detect(a) => detect_cmd(&a, models, bars),
        Command::Serve { dir, port } => {
            let server = serve::Server::bind(&dir, port)?;
            println!("serving {} on http://{}/ (Ctrl-C to stop)", dir.display(), server.addr()?);
            server.run();
            Ok(0)
        }
        Command::Bench(a) => bench_cmd(&a, models, bars),
        Command::Pretrain(a) => pretrain_cmd(&a, models, bars),
        Command::Train(a) => train_cmd(&a, models, bars),
        Command::Evaluate(a) => {
            let cohort = match (&a.manifest, a.part.as_str()) {
                (Some(m), _) => Cohort::Manifest(m.clone()),
                (None, "valid") => Cohort::Split(Part::Valid),
                (None, _) => Cohort::Split(Part::Test),
            };
            let positions = if a.positions == "landmarks" { Positions::Landmarks(models.to_path_buf()) } else { Positions::Manifest };
            let e = evaluate::evaluate(&a.run, &cohort, &positions, a.resamples, bars)?;
            let meta: train::ModelMeta = run::read_json(&run::RunDir(a.run.clone()).model_meta())?;
            print!("{}", evaluate::table(&e, meta.threshold));
            println!("metrics, per-joint table, predictions and plots: {}", run::RunDir(a.run.clone()).eval(&e.set).display());
            Ok(0)
        }
        Command::Export { run, out, force } => {
            let (path, s) = export::export(&run, &out, force, bars)?;
            println!("exported {} ({} bytes, sha256 {}) and {}", path.display(), s.weights.bytes, s.weights.sha256, export::SIDECAR_FILE);
            Ok(0)
        }
        Command::Demo(a) => {
            let o = demo::demo(&a.out, a.quick, a.seed, a.backend, models, bars)?;
            let s = o.data.summary();
            let verb = if matches!(o.data, Prepared::Reused(_)) { "reused" } else { "generated" };
            println!(
                "benchmark ({verb}): {} photos of {} patients, {} joints, {} inflamed ({:.1} %); {} healthy photos",
                s.images,
                s.config.patients,
                s.joints,
                s.inflamed,
                100.0 * s.inflamed as f64 / s.joints.max(1) as f64,
                s.healthy_images
            );
            println!("trained: {} parameters, best epoch {}, threshold {:.3}", o.model.parameters, o.model.best_epoch, o.model.threshold);
            print!("{}", evaluate::table(&o.evaluation, o.model.threshold));
            println!("exported {} ({} bytes) and {}", o.weights.display(), o.sidecar.weights.bytes, export::SIDECAR_FILE);
            println!("everything in {}. Synthetic data: these figures say nothing about real hands.", a.out.display());
            Ok(0)
        }
        Command::Ablate(a) => ablate_cmd(&a, models, bars),
    }
}

fn synth_cmd(a: &SynthArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    if let Some(photos) = &a.base_photos {
        return real_synth_cmd(a, photos, models, bars);
    }
    let prepared = synthetic::prepare(&a.out, &a.config(), bars)?;
    let s = prepared.summary();
    println!(
        "{} {} labelled photos ({} joints, {} inflamed = {:.1} %) and {} healthy photos in {}",
        if matches!(prepared, Prepared::Reused(_)) { "already there:" } else { "wrote" },
        s.images,
        s.joints,
        s.inflamed,
        100.0 * s.inflamed as f64 / s.joints.max(1) as f64,
        s.healthy_images,
        a.out.display()
    );
    Ok(0)
}

fn real_synth_cmd(a: &SynthArgs, photos: &Path, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    use jointscope_lab::real_photos::{self, BaseSource};
    let source = BaseSource { photos: photos.to_path_buf(), subjects: a.subjects.clone(), models: models.to_path_buf() };
    let device = backend::select(BackendChoice::Flex, bars)?.device;
    let prepared = real_photos::prepare(&a.out, &source, &a.real_config(), &device, bars)?;
    let s = prepared.summary();
    println!(
        "{} {} images of {} base photos ({} subjects): {} joints, {} inflamed = {:.1} % of those in the photo, {} unknown (crop outside the photo); left out: {}",
        if matches!(prepared, real_photos::Prepared::Reused(_)) { "already there:" } else { "wrote" },
        s.images,
        s.base_photos,
        s.subjects,
        s.joints,
        s.inflamed,
        100.0 * s.inflamed as f64 / (s.joints - s.outside).max(1) as f64,
        s.outside,
        a.out.join("excluded.csv").display()
    );
    Ok(0)
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

/// Exit status 0 when every photo was processed (with or without a hand), 1 when one failed.
fn detect_cmd(a: &DetectArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    let selected = backend::select(a.hands.backend, bars)?;
    let options = Options { mirrored: a.hands.mirrored, ..Options::default() };
    let d = Detector::from_dirs(&a.weights, models, a.hands.complexity(), &selected.device, options)?;
    let (mut results, mut failed) = (Vec::new(), 0);
    for photo in &a.photos {
        let name = photo.display().to_string();
        match d.detect_file(photo) {
            Ok(r) => {
                print!("{}", detection_table(&name, &r));
                results.push(serde_json::json!({ "photo": name, "detection": r }));
            }
            Err(e) => {
                failed += 1;
                println!("{name}: {e}");
                results.push(serde_json::json!({ "photo": name, "error": e.to_string() }));
            }
        }
    }
    if let Some(out) = &a.json {
        run::write_json(out, &results)?;
    }
    println!("{}", jointscope_detect::flag_meaning(d.classifier().sidecar()));
    println!("{}", jointscope_detect::NOTICE);
    Ok(i32::from(failed > 0))
}

/// A detection as a readable table: per hand how many joints are flagged (probability at or
/// above the weights' threshold), per joint its probability; what a flag means is printed once
/// after every table (`flag_meaning`).
fn detection_table(name: &str, d: &Detection) -> String {
    let mut s = String::new();
    if d.hands.is_empty() {
        let _ = writeln!(s, "{name}: no hand found");
    }
    for h in &d.hands {
        let inflamed = h.joints.iter().filter(|j| j.inflamed).count();
        let _ = writeln!(
            s,
            "{name}: {:?} hand ({:.2}), {inflamed} of {} joints flagged (p ≥ {:.3})",
            h.handedness,
            h.handedness_score,
            h.joints.len(),
            d.threshold
        );
        if let Some(f) = h.familiarity.as_ref().filter(|f| !f.familiar) {
            let appearance = match (f.appearance_distance, f.appearance_limit) {
                (Some(a), Some(l)) => format!("; on MediaPipe's features {a:.2}, limit {l:.2}"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  unfamiliar: this photo is unlike the training photos (distance {:.2}, limit {:.2}{appearance}); the page refuses to judge it, and the figures below are not to be trusted",
                f.distance, f.limit
            );
        }
        if let (Some(v), Some(rule)) = (h.verdict, d.hand_rule) {
            let form = match rule.score {
                jointscope_data::HandScore::Max => "largest joint score",
                jointscope_data::HandScore::NoisyOr => "noisy-OR of the joint scores",
            };
            let verdict = if v.flagged { "flagged" } else { "not flagged" };
            let _ = writeln!(s, "  the hand as a whole: {verdict} ({form} {:.3}, flagged at {:.3} or more)", v.score, rule.threshold);
        }
        for j in &h.joints {
            let flag = if j.inflamed { "  flagged" } else { "" };
            let _ = writeln!(s, "  {:<6} ({:>6.1}, {:>6.1})  p = {:.3}{flag}", j.joint.name(), j.position.x, j.position.y, j.probability);
        }
    }
    s
}

fn locate_cmd(a: &LocateArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    use locate::{LocateConfig, PhotoResult};
    let selected = backend::select(a.hands.backend, bars)?;
    let config = LocateConfig {
        manifest: a.manifest.clone(),
        out: a.out.clone(),
        overwrite: a.overwrite,
        mirrored: a.hands.mirrored,
        complexity: a.hands.complexity(),
        models: models.to_path_buf(),
    };
    let s = locate::locate(&config, &selected.device, bars)?;
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

fn locate_bench_cmd(a: &LocateBenchArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    if let Some(dir) = &a.real {
        let rows = locate_bench::real_photos(dir, a.reference.as_deref(), models, &a.out, bars)?;
        let md = locate_bench::real_table(&rows);
        run::write_report(&a.out, "real-photos", &rows, &md)?;
        println!("{md}");
        println!("overlays (ours: green dots, Google's: magenta crosses) in {}", a.out.join("overlay").display());
        return Ok(0);
    }
    let config = locate_bench::BenchConfig { hands: a.hands, negatives: a.negatives, size: a.size, seed: a.seed, models: models.to_path_buf(), wgpu: a.wgpu };
    let report = locate_bench::bench(&config, bars)?;
    let md = locate_bench::table(&report);
    run::write_report(&a.out, "locate-bench", &report, &md)?;
    println!("{md}");
    Ok(0)
}

fn quality_bench_cmd(a: &QualityBenchArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    let config = quality_bench::QualityBenchConfig { photos: a.photos, size: a.size, seed: a.seed, models: models.to_path_buf(), real: a.real.clone() };
    let report = quality_bench::bench(&config, bars)?;
    let md = quality_bench::table(&report);
    run::write_report(&a.out, "quality-bench", &report, &md)?;
    println!("{md}");
    Ok(0)
}

fn capture_samples_cmd(a: &CaptureSamplesArgs) -> anyhow::Result<i32> {
    let files = quality_bench::write_samples(&a.out, a.seed, a.size)?;
    println!("wrote {} photos into {}", files, a.out.display());
    Ok(0)
}

fn bench_cmd(a: &BenchArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    let selected = backend::select(a.backend, bars)?;
    let (device, name) = (&selected.device, selected.name.as_str());
    let figures = match a.what {
        BenchWhat::Profile => return profile_cmd(a, &selected),
        BenchWhat::Layers => return layers_cmd(a, &selected),
        BenchWhat::Train => return train_step_cmd(a, &selected),
        BenchWhat::Landmarks => bench::landmarks(device, name, models, a.inputs, a.repeats, &a.inputs_file)?,
        BenchWhat::Detect => {
            let photos = if a.photos.is_empty() {
                bench::DetectPhotos::Synthetic { hands: a.hands, size: a.size, count: a.inputs }
            } else {
                bench::DetectPhotos::Files(&a.photos)
            };
            bench::detect(&a.weights, models, device, name, photos, a.repeats)?
        }
    };
    println!(
        "{}: {} on {}: {:.2} ms median over {} runs, {:.2} per second",
        figures.what, figures.config, figures.backend, figures.median_ms, figures.repetitions, figures.items_per_s
    );
    for (stage, ms) in &figures.stages {
        println!("  {stage:<12} {ms:8.2} ms median per photo");
    }
    if let Some(p) = &a.json {
        run::write_json(p, &figures)?;
    }
    Ok(0)
}

/// The training step with burn's backward, then with ours (what training runs), in one run.
fn train_step_cmd(a: &BenchArgs, selected: &backend::Selected) -> anyhow::Result<i32> {
    let mut all = Vec::new();
    for own in [false, true] {
        let f = bench::train_step(&selected.device, &selected.name, &ModelConfig::default(), a.images, 2, a.steps, own)?;
        println!(
            "{}: {} on {}: {:.2} ms median over {} runs, {:.2} per second; weights after the last step {}",
            f.what,
            f.config,
            f.backend,
            f.median_ms,
            f.repetitions,
            f.items_per_s,
            f.weights_sha256.as_deref().unwrap_or("?")
        );
        all.push(f);
    }
    if let Some(p) = &a.json {
        run::write_json(p, &all)?;
    }
    Ok(0)
}

fn profile_cmd(a: &BenchArgs, selected: &backend::Selected) -> anyhow::Result<i32> {
    let p = bench::train_profile(&selected.device, &selected.name, &ModelConfig::default(), a.images, 2, a.steps)?;
    let total = p.data_ms + p.upload_ms + p.forward_ms + p.backward_ms + p.optimizer_ms;
    println!("training step taken apart: {} on {}, median of {} steps", p.config, p.backend, p.steps);
    for (part, ms) in
        [("batch from photos", p.data_ms), ("upload", p.upload_ms), ("forward", p.forward_ms), ("backward", p.backward_ms), ("AdamW", p.optimizer_ms)]
    {
        println!("  {part:<18} {ms:8.1} ms  {:5.1} %", 100.0 * ms / total);
    }
    println!("  {:<18} {total:8.1} ms\n  inference forward  {:8.1} ms (no autodiff)", "step", p.inference_ms);
    println!(
        "  of the forward: convolutions {:.1} ms, group norms {:.1} ms; of the backward: convolutions {:.1} ms, group norms {:.1} ms (where our backward applies)",
        p.conv_forward_ms, p.norm_forward_ms, p.conv_backward_ms, p.norm_backward_ms
    );
    if let Some(path) = &a.json {
        run::write_json(path, &p)?;
    }
    Ok(0)
}

fn layers_cmd(a: &BenchArgs, selected: &backend::Selected) -> anyhow::Result<i32> {
    let figures = bench::layers(&selected.device, &ModelConfig::default(), a.images, 2, a.steps)?;
    println!("layers of the training step alone on {}, median of {} runs\n{}", selected.name, a.steps, bench::layers_table(&figures));
    if let Some(path) = &a.gradients {
        run::write_json(path, &bench::gradient_cases(&ModelConfig::default(), 2)?)?;
    }
    if let Some(path) = &a.json {
        run::write_json(path, &figures)?;
    }
    Ok(0)
}

/// `word` as a POSIX shell reads it back: bare when it holds only safe characters, else single-quoted.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn pretrain_cmd(a: &PretrainArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    let manifest = match (&a.manifest, &a.photos) {
        (Some(m), _) => m.clone(),
        (None, Some(_)) if a.resume && a.out.join("photos.csv").exists() => a.out.join("photos.csv"),
        (None, Some(dir)) => {
            let device = backend::select(BackendChoice::Flex, bars)?.device;
            let found = locate::manifest_from_photos(dir, &a.out.join("photos.csv"), models, Complexity::Full, &device, bars)?;
            println!("{} of {} photos show a hand MediaPipe finds; their joints are in {}", found.with_hand, found.photos, found.written.display());
            for (path, why) in &found.failed {
                println!("  unreadable: {}: {why}", path.display());
            }
            found.written
        }
        (None, None) => bail!("pretrain needs --manifest or --photos"),
    };
    let mut model = a.sizes.config(Arch::GlobalLocal);
    if a.init.is_some() {
        model.encoder = EncoderKind::Mediapipe;
    }
    let config = PretrainConfig {
        manifest,
        model,
        init_mediapipe: a.init.is_some(),
        epochs: a.epochs,
        batch_images: a.batch,
        joints_per_image: a.joints,
        lr: a.lr,
        tau: a.tau,
        objective: a.objective,
        mask_ratio: a.mask_ratio,
        colour: a.colour,
        seed: a.seed,
        backend: a.backend,
    };
    let session = pretrain::Session { resume: a.resume, stop_after: a.stop_after.map(|n| n as usize), models: models.to_path_buf() };
    let meta = match pretrain::pretrain(&a.out, &config, session, bars)? {
        pretrain::Outcome::Finished(meta) => meta,
        pretrain::Outcome::Paused { done, epochs } => {
            println!("paused after epoch {done} of {epochs}: the same command with --resume goes on from there");
            return Ok(0);
        }
    };
    println!(
        "pretrained on {} photos in {:.0} s: loss {:.4} → {:.4}; encoders in {}",
        meta.images,
        meta.seconds,
        meta.history.first().copied().unwrap_or(f64::NAN),
        meta.history.last().copied().unwrap_or(f64::NAN),
        a.out.join(pretrain::ENCODERS_FILE).display()
    );
    if let Some(m) = &a.probe {
        print!("{}", probe::table(&probe::diagnose_pretraining(&a.out, m, a.probe_run.as_deref(), models, bars)?));
    }
    Ok(0)
}

fn train_cmd(a: &TrainArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    let config = match (&a.manifest, a.resume) {
        (Some(m), false) => {
            if !(0.5..1.0).contains(&a.pseudo_confidence) {
                bail!("--pseudo-confidence must be in 0.5..1");
            }
            let mut c = run_config(m.clone(), &a.model, &a.optim);
            if a.init.as_deref() == Some(std::path::Path::new("mediapipe")) {
                c.model.encoder = EncoderKind::Mediapipe;
                c.train.init_mediapipe = true;
            } else {
                c.train.init = a.init.clone();
            }
            c.train.teacher = a.teacher.clone();
            c.train.pseudo_confidence = a.pseudo_confidence;
            Some(c)
        }
        (None, false) => bail!("train needs --manifest (or --resume to continue a run)"),
        (_, true) => None,
    };
    let meta = train::train(&a.run, config, a.resume, models, bars)?;
    println!(
        "trained {} ({} parameters); best epoch {}, threshold {:.3} ({} on validation); run in {}",
        meta.model.arch,
        meta.parameters,
        meta.best_epoch,
        meta.threshold,
        meta.objective,
        a.run.display()
    );
    Ok(0)
}

fn run_config(manifest: std::path::PathBuf, m: &ModelArgs, o: &OptimArgs) -> RunConfig {
    RunConfig {
        manifest_sha256: None,
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
            objective: o.objective,
            recipe: Recipe {
                select: o.select,
                patience: o.patience,
                warmup_steps: o.warmup_steps,
                frozen_epochs: o.frozen_epochs,
                encoder_lr_scale: o.encoder_lr_scale,
                context_dropout: o.context_dropout,
            },
            ..TrainParams::default()
        },
        split: SplitSpec { seed: o.seed, ..SplitSpec::default() },
        backend: o.backend,
    }
}

fn ablate_cmd(a: &AblateArgs, models: &Path, bars: &Bars) -> anyhow::Result<i32> {
    let plan = match &a.plan {
        Some(p) => ablate::Plan::read(p)?,
        None => ablate::Plan::committed()?,
    };
    let (synth, model, plan) = if a.quick {
        let (s, m, _) = demo::demo_config(true, a.preset.config().seed);
        (
            jointscope_dataset::synth::SynthConfig { disease: a.preset.config().disease, patient_appearance: a.preset.config().patient_appearance, ..s },
            m,
            plan.quick(),
        )
    } else {
        (a.preset.config(), ModelConfig::default(), plan)
    };
    let real = a.benchmark.as_ref().map(|dir| ablate::RealBenchmark {
        dir: dir.clone(),
        pool: a.pool.clone(),
        subjects: a.subjects.clone(),
        pool_size: a.pool_size,
        pool_view: a.pool_view,
        train_subjects: a.train_subjects,
    });
    let config = ablate::AblateConfig {
        preset: a.preset,
        real,
        plan,
        out: a.out.clone(),
        synth,
        model,
        models: models.to_path_buf(),
        backend: a.backend,
        only: a.rows.clone(),
        only_seeds: a.seeds.clone(),
        job: a.job,
        results: a.results.clone(),
        commit: env!("JOINTSCOPE_COMMIT").to_string(),
        versus_pool: a.versus_pool,
    };
    if a.list_jobs {
        // This very command line, with --job N instead of --list-jobs.
        let args: Vec<String> = std::env::args().filter(|x| x != "--list-jobs").map(|x| shell_word(&x)).collect();
        for (n, job) in ablate::jobs(&config)?.iter().enumerate() {
            println!("{} --job {n}  # {} seed {} lr {}", args.join(" "), job.row, job.seed, job.lr);
        }
        return Ok(0);
    }
    if !a.subjects_curve.is_empty() {
        let points = jointscope_lab::patients::curve(&config, &a.subjects_curve, bars)?;
        let metric = config.plan.metrics[0].name();
        println!("{}", jointscope_lab::patients::table(&points, metric));
        if let Some(path) = &a.plot {
            jointscope_lab::patients::plot(&points, metric, path)?;
            println!("plot: {}", path.display());
        }
        return Ok(0);
    }
    let md = ablate::ablate(&config, bars)?;
    println!("{md}");
    // A partial ablation (some rows or seeds) or one job only prints its runs; the whole one writes the table.
    if a.rows.is_empty() && a.seeds.is_empty() && a.job.is_none() {
        println!("table: {}", a.out.join(format!("ablation-{}.md", config.name())).display());
    }
    Ok(0)
}
