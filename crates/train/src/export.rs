//! Exporting a trained run for the browser: the weights as burnpack bytes and a JSON sidecar that
//! says how to feed them (sizes, preprocessing, joints, threshold) and what they were trained on.
use crate::calibrate::Calibration;
use crate::evaluate::Evaluation;
use crate::progress::Progress;
use crate::run::{self, RunDir};
use crate::train::ModelMeta;
use anyhow::{Context, bail};
use jointscope_data::Joint;
pub use jointscope_detect::sidecar::{InputSpec, MetricValue, NOTICE, SIDECAR_FILE, Sidecar, TestMetrics, WEIGHTS_FILE, WeightsInfo, sha256};
use std::path::{Path, PathBuf};

/// The run's test evaluation, when it scored exactly these weights on the run's own test split.
/// A missing evaluation is `None` (noted); an unreadable one is an error; one of another set or of
/// other weights is `None` with a note saying why.
fn test_metrics(run: &RunDir, weights_sha256: &str, progress: &dyn Progress) -> anyhow::Result<Option<TestMetrics>> {
    let path = run.eval("test").join("metrics.json");
    if !path.exists() {
        progress.note(&format!("no test evaluation in {} (run `jointscope evaluate`): the export carries no test metrics", run.0.display()));
        return Ok(None);
    }
    let e: Evaluation = run::read_json(&path).context("the test evaluation is unreadable: evaluate again or remove it")?;
    if e.set != "test" {
        progress.note(&format!("{} holds an evaluation of the {} set, not the test split: left out", path.display(), e.set));
        return Ok(None);
    }
    if e.model_sha256 != weights_sha256 {
        progress.note(&format!("{} scored other weights than the run's model.bpk (trained again since?): left out", path.display()));
        return Ok(None);
    }
    let metrics = e.report.rows().into_iter().map(|(n, v)| MetricValue { name: n.to_string(), value: v.value, ci: v.ci }).collect();
    Ok(Some(TestMetrics { patients: e.patients, joints: e.report.n, inflamed: e.report.positives, metrics }))
}

/// Write `out/jointscope.bpk` and `out/jointscope.json`; reload the written weights to check them.
/// Refuses a degenerate threshold or calibration unless `force`.
pub fn export(run_dir: &Path, out: &Path, force: bool, progress: &dyn Progress) -> anyhow::Result<(PathBuf, Sidecar)> {
    let run = RunDir(run_dir.to_path_buf());
    run.require_trained()?;
    let meta: ModelMeta = run::read_json(&run.model_meta())?;
    // Runs trained before `valid_flagged` was recorded are judged on threshold and temperature alone.
    let calibration = Calibration { temperature: meta.temperature, threshold: meta.threshold, flagged: meta.valid_flagged.unwrap_or(0.5) };
    if let Some(why) = calibration.degenerate() {
        if !force {
            bail!("{why}; these weights would mislead whoever uses them. Train with more (or more varied) labelled patients, or pass --force to export anyway");
        }
        progress.warn(&format!("exporting anyway (--force): {why}"));
    }
    if meta.familiarity.is_none() {
        progress.note("the run carries no summary of its training photos (trained before it was recorded): the export cannot flag unfamiliar photos; train again to add it");
    }
    let bytes = std::fs::read(run.model()).with_context(|| format!("reading {}", run.model().display()))?;
    let weights_sha256 = sha256(&bytes);
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
        weights: WeightsInfo { file: WEIGHTS_FILE.into(), bytes: bytes.len(), sha256: weights_sha256.clone() },
        training_data: meta.train_data.clone(),
        validation_data: meta.valid_data.clone(),
        training_photos: meta.training_photos,
        hand_rule: meta.hand_rule,
        test_metrics: test_metrics(&run, &weights_sha256, progress)?,
        familiarity: meta.familiarity.clone(),
        appearance: meta.appearance.clone(),
        retake_difference: meta.retake_difference,
        initialisation: meta.initialisation.clone(),
        notice: NOTICE.into(),
    };
    // Refuse to export anything a reader would refuse: load it exactly as the browser will.
    let json = serde_json::to_vec_pretty(&sidecar)?;
    jointscope_detect::Classifier::from_bytes(&json, bytes.clone(), &burn::tensor::Device::flex())
        .with_context(|| format!("checking the export of {}", run.model().display()))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let weights = out.join(WEIGHTS_FILE);
    jointscope_dataset::fsio::write_atomic_all(&[(&weights, &bytes), (&out.join(SIDECAR_FILE), &json)])?;
    Ok((weights, sidecar))
}
