//! Opening a run: a new one's configuration checked and written, or a resumed one read back; and
//! the model it starts from.
use super::{CheckpointState, RunConfig};
use crate::progress::Progress;
use crate::run::{self, RunDir};
use anyhow::{Context, bail};
use burn::tensor::Device;
use jointscope_model::JointNet;
use std::path::Path;

/// A new run: check the configuration and write `run.json`; a resumed one: read it back.
pub(super) fn open_run(run: &RunDir, config: Option<RunConfig>, resume: bool) -> anyhow::Result<RunConfig> {
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
pub(super) fn initial_model(
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
