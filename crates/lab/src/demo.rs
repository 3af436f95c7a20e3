//! The whole pipeline on the synthetic benchmark: generate, train, evaluate, export.
use crate::synthetic::{self, Prepared};
use anyhow::{Context, bail};
use jointscope_dataset::split::{Part, SplitSpec};
use jointscope_dataset::synth::SynthConfig;
use jointscope_detect::Sidecar;
use jointscope_model::ModelConfig;
use jointscope_train::backend::BackendChoice;
use jointscope_train::evaluate::{self, Cohort, Evaluation, Positions};
use jointscope_train::export;
use jointscope_train::progress::Progress;
use jointscope_train::run;
use jointscope_train::train::{self, ModelMeta, RunConfig, TrainParams};
use std::path::{Path, PathBuf};

/// Marker that a folder holds a demo's output (so running the demo again may replace it).
pub const DEMO_MARKER: &str = "demo.json";

/// The demo's benchmark, model and training settings (`quick`: tiny, for tests).
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

/// What the demo did.
pub struct DemoOutcome {
    pub data: Prepared,
    pub model: ModelMeta,
    pub evaluation: Evaluation,
    pub weights: PathBuf,
    pub sidecar: Sidecar,
}

/// Run the demo into `out` (`data/`, `run/`, `export/`). A folder that holds something other than an
/// earlier demo is refused.
pub fn demo(out: &Path, quick: bool, seed: u64, backend: BackendChoice, models: &Path, progress: &dyn Progress) -> anyhow::Result<DemoOutcome> {
    if out.exists() && !out.join(DEMO_MARKER).exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!("{} exists and is not a jointscope demo folder; choose another --out", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let (synth_config, model, params) = demo_config(quick, seed);
    run::write_json(&out.join(DEMO_MARKER), &serde_json::json!({ "quick": quick, "seed": seed }))?;
    let data_dir = out.join("data");
    progress.note(&format!("[1/4] the synthetic benchmark in {}", data_dir.display()));
    let data = synthetic::prepare(&data_dir, &synth_config, progress)?;
    let run_dir = out.join("run");
    // The demo's own earlier run (the folder is marked as a demo's): replaced.
    let _ = std::fs::remove_dir_all(&run_dir);
    progress.note(&format!("[2/4] training into {}", run_dir.display()));
    let config = RunConfig { manifest: data_dir.join("manifest.csv"), manifest_sha256: None, model, train: params, split: SplitSpec::default(), backend };
    let meta = train::train(&run_dir, Some(config), false, models, progress)?;
    progress.note("[3/4] evaluating on the held-out test patients");
    let evaluation = evaluate::evaluate(&run_dir, &Cohort::Split(Part::Test), &Positions::Manifest, 1000, progress)?;
    let (weights, sidecar) = export::export(&run_dir, &out.join("export"), false, progress)?;
    progress.note(&format!("[4/4] exported {} ({} bytes)", weights.display(), sidecar.weights.bytes));
    Ok(DemoOutcome { data, model: meta, evaluation, weights, sidecar })
}
