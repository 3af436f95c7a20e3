//! Exporting a trained run for the browser: the weights as burnpack bytes and a JSON sidecar that
//! says how to feed them (sizes, preprocessing, joints, threshold) and what they were trained on.
use crate::evaluate::Evaluation;
use crate::run::{self, RunDir};
use crate::train::{ModelMeta, RunConfig};
use crate::dataset::DataSummary;
use anyhow::Context;
use jointscope_data::{Joint, geometry, preprocess};
use jointscope_model::ModelConfig;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// File names inside an export folder.
pub const WEIGHTS_FILE: &str = "jointscope.bpk";
pub const SIDECAR_FILE: &str = "jointscope.json";

/// How inputs are prepared; the browser must do exactly this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub global_size: usize,
    pub local_size: usize,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub joint_crop_scale: f32,
    pub hand_box_margin: f32,
}

/// The weights file's size and checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    pub file: String,
    pub bytes: usize,
    pub sha256: String,
}

/// The export sidecar (`jointscope.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sidecar {
    pub format_version: u32,
    pub producer: String,
    pub architecture: ModelConfig,
    pub parameters: usize,
    pub input: InputSpec,
    /// Joint names in the order of the model's joint-identity input.
    pub joints: Vec<String>,
    /// Probability = sigmoid(logit / temperature); the threshold applies to that probability.
    pub temperature: f32,
    pub threshold: f32,
    pub threshold_objective: jointscope_metrics::Objective,
    pub weights: WeightsInfo,
    pub training_data: DataSummary,
    pub validation_data: DataSummary,
    /// True when trained on the synthetic benchmark.
    pub synthetic_data: bool,
    /// Headline test metrics, when the run was evaluated.
    pub test_metrics: Option<Vec<(String, f64, f64, f64)>>,
    pub notice: String,
}

/// The notice every export carries.
pub const NOTICE: &str = "Research software, not a medical device. These weights were trained on the data named in \
training_data; they do not diagnose anything. Weights trained on the synthetic benchmark say nothing about real hands.";

/// Hex SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Write `out/jointscope.bpk` and `out/jointscope.json`; reload the written weights to check them.
pub fn export(run_dir: &Path, out: &Path) -> anyhow::Result<(PathBuf, Sidecar)> {
    let run = RunDir(run_dir.to_path_buf());
    run.require_trained()?;
    let config: RunConfig = run::read_json(&run.config())?;
    let meta: ModelMeta = run::read_json(&run.model_meta())?;
    let bytes = std::fs::read(run.model()).with_context(|| format!("reading {}", run.model().display()))?;
    // Refuse to export weights that do not load into the model they claim to be.
    run::load_model(&meta.model, bytes.clone(), &burn::tensor::Device::flex())
        .with_context(|| format!("checking {}", run.model().display()))?;
    let eval: Option<Evaluation> = run::read_json(&run.eval().join("metrics.json")).ok();
    let synthetic = config.manifest.parent().map(|d| d.join("synth.json").exists()).unwrap_or(false);
    let sidecar = Sidecar {
        format_version: run::FORMAT_VERSION,
        producer: format!("jointscope-trainer {}", env!("CARGO_PKG_VERSION")),
        architecture: meta.model.clone(),
        parameters: meta.parameters,
        input: InputSpec {
            global_size: meta.model.global_size,
            local_size: meta.model.local_size,
            mean: preprocess::MEAN,
            std: preprocess::STD,
            joint_crop_scale: geometry::JOINT_CROP_SCALE,
            hand_box_margin: geometry::HAND_BOX_MARGIN,
        },
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
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let weights = out.join(WEIGHTS_FILE);
    run::write_atomic(&weights, &bytes)?;
    run::write_json(&out.join(SIDECAR_FILE), &sidecar)?;
    Ok((weights, sidecar))
}
