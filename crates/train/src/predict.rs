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
    /// The encoder's pooled features ([`jointscope_model::Output::pooled`]).
    pub pooled: Vec<f32>,
}

/// Photos per forward pass when predicting: results do not depend on it, memory does.
const PREDICT_BATCH: usize = 16;

/// Run the model over the labelled joints of `photos`, [`PREDICT_BATCH`] photos at a time;
/// probabilities use `temperature`.
pub fn predict(model: &JointNet, config: &ModelConfig, ds: &Dataset, photos: &[usize], device: &Device, temperature: f32) -> anyhow::Result<Vec<Prediction>> {
    predict_of(model, config, ds, photos, device, temperature, Which::Labelled)
}

/// [`predict`] for either kind of joint.
pub fn predict_of(
    model: &JointNet,
    config: &ModelConfig,
    ds: &Dataset,
    photos: &[usize],
    device: &Device,
    temperature: f32,
    which: Which,
) -> anyhow::Result<Vec<Prediction>> {
    let mut out = Vec::new();
    for chunk in photos.chunks(PREDICT_BATCH) {
        let (data, targets, who) = ds.batch_of(chunk, config, None, which);
        if who.is_empty() {
            continue;
        }
        let output = model.forward(data.to_batch(config, device)?);
        let logits: Vec<f32> = output.logits.clone().into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let cam: Vec<f32> = output.cam.into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let pooled: Vec<f32> = output.pooled.into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let side = jointscope_model::FEATURE_SIDE * jointscope_model::FEATURE_SIDE;
        let dim = config.feature_channels();
        for (k, ((photo, joint), target)) in who.into_iter().zip(targets).enumerate() {
            let logit = logits[k];
            out.push(Prediction {
                photo,
                joint,
                target,
                prob: probability(logit, temperature),
                logit,
                cam: cam[k * side..(k + 1) * side].to_vec(),
                pooled: pooled[k * dim..(k + 1) * dim].to_vec(),
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

/// The training photos' feature summary ([`FeatureModel`]), its limit the largest hand distance
/// among the `valid` photos. Every located joint counts, labelled or not (the encoder sees them all
/// in the page). `None` when there are too few joints to fit or no validation photo.
pub fn familiarity(
    model: &JointNet,
    config: &ModelConfig,
    ds: &Dataset,
    train: &[usize],
    valid: &[usize],
    device: &Device,
) -> anyhow::Result<Option<jointscope_detect::FeatureModel>> {
    let features = |photos: &[usize]| -> anyhow::Result<Vec<Prediction>> {
        let mut all = predict_of(model, config, ds, photos, device, 1.0, Which::Labelled)?;
        all.extend(predict_of(model, config, ds, photos, device, 1.0, Which::Unlabelled)?);
        Ok(all)
    };
    let rows = |p: Vec<Prediction>| p.into_iter().map(|p| (p.photo, p.joint.index(), p.pooled)).collect();
    Ok(summarise(rows(features(train)?), rows(features(valid)?), config.joints))
}

/// A [`FeatureModel`] fitted on the `(photo, joint, feature)` rows of the training photos, its
/// limit the largest hand distance among the validation photos' rows. `None` when there are too
/// few rows to fit, or no validation photo to set the limit by.
fn summarise(train: Vec<(usize, usize, Vec<f32>)>, valid: Vec<(usize, usize, Vec<f32>)>, joints: usize) -> Option<jointscope_detect::FeatureModel> {
    let fitted: Vec<(usize, Vec<f32>)> = train.into_iter().map(|(_, j, f)| (j, f)).collect();
    let summary = jointscope_detect::FeatureModel::fit(&fitted, joints)?;
    let mut by_photo: std::collections::BTreeMap<usize, Vec<(usize, Vec<f32>)>> = Default::default();
    for (photo, j, f) in valid {
        by_photo.entry(photo).or_default().push((j, f));
    }
    let distances: Vec<f32> = by_photo.values().map(|joints| summary.distance(joints.iter().map(|(j, f)| (*j, f.as_slice())))).collect();
    (!distances.is_empty()).then(|| summary.with_limit(&distances))
}

/// How much a joint's probability moves when the same photo is taken again slightly differently:
/// the 95th percentile, over the labelled joints of `photos`, of the difference between two
/// independently augmented views (the training augmentation's shift, scale, rotation, brightness
/// and contrast), probabilities at `temperature`. A change between two checks smaller than this is
/// within what retaking the photo does. `None` without labelled joints.
pub fn retake_difference(
    model: &JointNet,
    config: &ModelConfig,
    ds: &Dataset,
    photos: &[usize],
    temperature: f32,
    device: &Device,
) -> anyhow::Result<Option<f32>> {
    use rand::SeedableRng;
    let pass = |seed: u64| -> anyhow::Result<Vec<f32>> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        for chunk in photos.chunks(PREDICT_BATCH) {
            let (data, _, who) = ds.batch(chunk, config, Some(&mut rng));
            if who.is_empty() {
                continue;
            }
            let logits: Vec<f32> = model.forward(data.to_batch(config, device)?).logits.into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
            out.extend(logits.into_iter().map(|l| probability(l, temperature)));
        }
        Ok(out)
    };
    let (a, b) = (pass(1)?, pass(2)?);
    let mut d: Vec<f32> = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).collect();
    if d.is_empty() {
        return Ok(None);
    }
    d.sort_by(f32::total_cmp);
    Ok(Some(d[((d.len() - 1) as f32 * 0.95).round() as usize]))
}

/// The training photos' summary over the features of MediaPipe's first layers
/// ([`jointscope_detect::appearance`]) of their joint crops, its limit the largest hand distance
/// among the `valid` photos; like [`familiarity`], but independent of what the classifier learnt.
/// `None` when there are too few joints or no validation photo.
pub fn appearance(
    looks: &jointscope_detect::appearance::AppearanceEncoder,
    config: &ModelConfig,
    ds: &Dataset,
    train: &[usize],
    valid: &[usize],
    device: &Device,
) -> anyhow::Result<Option<jointscope_detect::FeatureModel>> {
    let features = |photos: &[usize]| -> anyhow::Result<Vec<(usize, usize, Vec<f32>)>> {
        let mut out = Vec::new();
        for which in [Which::Labelled, Which::Unlabelled] {
            for chunk in photos.chunks(PREDICT_BATCH) {
                let (data, _, who) = ds.batch_of(chunk, config, None, which);
                if who.is_empty() {
                    continue;
                }
                let f: Vec<f32> = looks.features(data.to_batch(config, device)?.local).into_data().try_to_vec().map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let c = f.len() / who.len();
                out.extend(who.into_iter().enumerate().map(|(k, (photo, joint))| (photo, joint.index(), f[k * c..(k + 1) * c].to_vec())));
            }
        }
        Ok(out)
    };
    Ok(summarise(features(train)?, features(valid)?, config.joints))
}
