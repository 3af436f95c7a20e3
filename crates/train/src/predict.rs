//! Running a trained model over a dataset's photos without gradients.
use crate::dataset::{Dataset, Which};
use burn::tensor::Device;
use jointscope_data::Joint;
use jointscope_model::{JointNet, ModelConfig, probability};

/// One joint's prediction.
#[derive(Debug, Clone)]
pub struct Prediction {
    pub photo: usize,
    pub joint: Joint,
    pub target: f32,
    /// Calibrated probability, [`probability`]`(logit, temperature)`.
    pub prob: f32,
    pub logit: f32,
    /// 8×8 class-activation map (row-major).
    pub cam: Vec<f32>,
}

/// Run the model over the labelled joints of `photos`, `batch` photos at a time; probabilities use
/// `temperature`.
pub fn predict(
    model: &JointNet,
    config: &ModelConfig,
    ds: &Dataset,
    photos: &[usize],
    device: &Device,
    batch: usize,
    temperature: f32,
) -> anyhow::Result<Vec<Prediction>> {
    predict_of(model, config, ds, photos, device, batch, temperature, Which::Labelled)
}

/// [`predict`] for either kind of joint.
#[allow(clippy::too_many_arguments)]
pub fn predict_of(
    model: &JointNet,
    config: &ModelConfig,
    ds: &Dataset,
    photos: &[usize],
    device: &Device,
    batch: usize,
    temperature: f32,
    which: Which,
) -> anyhow::Result<Vec<Prediction>> {
    let mut out = Vec::new();
    for chunk in photos.chunks(batch.max(1)) {
        let (data, targets, who) = ds.batch_of(chunk, config, None, which);
        if who.is_empty() {
            continue;
        }
        let output = model.forward(data.to_batch(config, device)?);
        let logits: Vec<f32> = output.logits.clone().into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let cam: Vec<f32> = output.cam.into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let side = jointscope_model::FEATURE_SIDE * jointscope_model::FEATURE_SIDE;
        for (k, ((photo, joint), target)) in who.into_iter().zip(targets).enumerate() {
            let logit = logits[k];
            out.push(Prediction {
                photo,
                joint,
                target,
                prob: probability(logit, temperature),
                logit,
                cam: cam[k * side..(k + 1) * side].to_vec(),
            });
        }
    }
    Ok(out)
}

/// Mean binary cross-entropy of the predictions' raw logits.
pub fn mean_bce(preds: &[Prediction]) -> f64 {
    let n = preds.len().max(1) as f64;
    preds
        .iter()
        .map(|p| {
            let x = p.logit as f64;
            let sp = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
            p.target as f64 * sp(-x) + (1.0 - p.target as f64) * sp(x)
        })
        .sum::<f64>()
        / n
}

/// Scores and labels of predictions.
pub fn scores_labels(preds: &[Prediction]) -> (Vec<f32>, Vec<bool>) {
    (preds.iter().map(|p| p.prob).collect(), preds.iter().map(|p| p.target > 0.5).collect())
}
