//! Exporting a trained run for the browser: the weights as burnpack bytes and a JSON sidecar that
//! says how to feed them (sizes, preprocessing, joints, threshold) and what they were trained on.
use crate::evaluate::Evaluation;
use crate::run::{self, RunDir};
use crate::train::{ModelMeta, RunConfig};
use anyhow::Context;
use jointscope_data::Joint;
pub use jointscope_detect::sidecar::{InputSpec, NOTICE, SIDECAR_FILE, Sidecar, WEIGHTS_FILE, WeightsInfo, sha256};
use std::path::{Path, PathBuf};

/// Write `out/jointscope.bpk` and `out/jointscope.json`; reload the written weights to check them.
pub fn export(run_dir: &Path, out: &Path) -> anyhow::Result<(PathBuf, Sidecar)> {
    let run = RunDir(run_dir.to_path_buf());
    run.require_trained()?;
    let config: RunConfig = run::read_json(&run.config())?;
    let meta: ModelMeta = run::read_json(&run.model_meta())?;
    let bytes = std::fs::read(run.model()).with_context(|| format!("reading {}", run.model().display()))?;
    let eval: Option<Evaluation> = run::read_json(&run.eval().join("metrics.json")).ok();
    let synthetic = config.manifest.parent().map(|d| d.join("synth.json").exists()).unwrap_or(false);
    let sidecar = Sidecar {
        format_version: jointscope_detect::FORMAT_VERSION,
        producer: format!("jointscope-trainer {}", env!("CARGO_PKG_VERSION")),
        architecture: meta.model.clone(),
        parameters: meta.parameters,
        input: InputSpec::current(&meta.model),
        joints: Joint::ALL.iter().map(|j| j.name().to_string()).collect(),
        temperature: meta.temperature,
        threshold: meta.threshold,
        threshold_objective: meta.objective,
        weights: WeightsInfo { file: WEIGHTS_FILE.into(), bytes: bytes.len(), sha256: sha256(&bytes) },
        training_data: meta.train_data.clone(),
        validation_data: meta.valid_data.clone(),
        synthetic_data: synthetic,
        test_metrics: eval.map(|e| e.report.rows().into_iter().map(|(n, e)| (n.to_string(), e.value, e.lo, e.hi)).collect()),
        notice: NOTICE.into(),
    };
    // Refuse to export anything a reader would refuse: load it exactly as the browser will.
    let json = serde_json::to_vec_pretty(&sidecar)?;
    jointscope_detect::Classifier::from_bytes(&json, bytes.clone(), &burn::tensor::Device::flex())
        .with_context(|| format!("checking the export of {}", run.model().display()))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let weights = out.join(WEIGHTS_FILE);
    run::write_atomic(&weights, &bytes)?;
    run::write_atomic(&out.join(SIDECAR_FILE), &json)?;
    Ok((weights, sidecar))
}
