//! Training the joint classifier, step by step: open (or resume) the run folder, load the data and
//! its seeded patient-level split, refuse splits that cannot train or calibrate, initialise the model
//! (prior bias, pretrained encoders, or a checkpoint), then epochs of AdamW with a cosine schedule
//! and augmentation, each validated and checkpointed atomically, the best weights kept by validation
//! ROC-AUC, and finally temperature and threshold fitted on validation.
mod config;
mod data;
mod epoch;
mod finish;
mod optim;
mod start;

pub(crate) use config::CheckpointState;
pub use config::{MIX_PROBABILITY, ModelMeta, Recipe, RunConfig, Sampler, Select, TrainParams};
pub use data::{MEANINGFUL_PATIENTS, MEANINGFUL_POSITIVES, check_split, load_data, pseudo_label};
pub use optim::Optimisers;

use crate::backend;
use crate::dataset::Dataset;
use crate::progress::Progress;
use crate::run::{self, RunDir};
use anyhow::Context;
use burn::module::Module;
use burn::tensor::Device;
use jointscope_dataset::split::Part;
use start::{initial_model, open_run};
use std::path::Path;

/// What an epoch and the run's end read: the run, its settings, its data and where it runs.
struct Trainer<'a> {
    run: &'a RunDir,
    config: &'a RunConfig,
    ds: &'a Dataset,
    train_ids: &'a [usize],
    valid_ids: &'a [usize],
    selected: &'a backend::Selected,
    /// The autodiff device the training steps run on (`selected.device` with gradients).
    ad: Device,
    /// The training joints' prevalence and (not inflamed, inflamed) counts, for the loss.
    prior: f32,
    counts: (usize, usize),
    /// The MediaPipe models' folder.
    models: &'a Path,
    progress: &'a dyn Progress,
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
    let trainer = Trainer {
        run: &run,
        config: &config,
        ds: &ds,
        train_ids: &train_ids,
        valid_ids: &valid_ids,
        selected: &selected,
        ad: device.clone().autodiff(),
        prior,
        counts,
        models,
        progress,
    };
    let (model, mut state) = initial_model(&run, &config, resume, (prior, counts), models, &trainer.ad, progress)?;
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

    trainer.epochs(model, &mut optim, &mut state)?;
    let meta = trainer.finish(&state, pseudo, photos)?;
    run::write_json(&run.model_meta(), &meta)?;
    crate::plots::training_curves(&run.plots().join("training.png"), &state.history)?;
    Ok(meta)
}
