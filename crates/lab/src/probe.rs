//! What an encoder's features know about inflammation, without fine-tuning it:
//! - a frozen **linear probe**: class-weighted ridge logistic regression on the pooled joint-crop
//!   features of the training patients, scored by PR-AUC on the validation patients;
//! - the **counterfactual distance**: the same joint of the same drawn hand rendered healthy and
//!   inflamed (identical otherwise), against two augmented views of the healthy one — how far the
//!   signs move the features, in units of how far augmentation moves them.
use burn::tensor::{Device, Tensor, TensorData};
use jointscope_data::preprocess::{self, Jitter};
use jointscope_data::{Joint, Point, View, geometry};
use jointscope_dataset::split::{Part, Split};
use jointscope_dataset::synth::{HandSpec, Look, PatientTraits, render_hand_with};
use jointscope_metrics::{pr_auc, roc_auc};
use jointscope_model::Encoder;
use jointscope_train::dataset::{Dataset, jitter};
use jointscope_train::pretrain::{PRETRAIN_JOINT_JITTER, colour_jitter};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Pooled (mean over the 8×8 map) features of crops `[n, 3, size, size]`, 64 crops at a time.
pub fn pooled_features(encoder: &Encoder, crops: &[f32], size: usize, device: &Device) -> Vec<Vec<f32>> {
    let len = 3 * size * size;
    let mut out = Vec::new();
    for chunk in crops.chunks(64 * len) {
        let n = chunk.len() / len;
        let x = Tensor::<4>::from_data(TensorData::new(chunk.to_vec(), [n, 3, size, size]), device);
        let f: Vec<f32> = encoder.forward(x).mean_dim(3).mean_dim(2).into_data().try_to_vec().expect("f32 features");
        let c = f.len() / n;
        out.extend(f.chunks(c).map(<[f32]>::to_vec));
    }
    out
}

/// Features and labels of the labelled joints of `photos`, cropped as for inference.
fn joint_features(encoder: &Encoder, size: usize, ds: &Dataset, photos: &[usize], device: &Device) -> (Vec<Vec<f32>>, Vec<bool>) {
    let (mut crops, mut labels) = (Vec::new(), Vec::new());
    for &i in photos {
        let p = &ds.photos[i];
        for &(_, pt, target) in &p.labelled {
            crops.extend(preprocess::joint_view(&p.image, pt, p.scale, size, &Jitter::NONE));
            labels.push(target > 0.5);
        }
    }
    (pooled_features(encoder, &crops, size, device), labels)
}

/// Ridge logistic regression fitted by Newton's method (IRLS) on standardised features, positives
/// weighted by negatives/positives; returns a scorer for new feature vectors.
pub fn fit_logistic(x: &[Vec<f32>], y: &[bool], ridge: f64) -> impl Fn(&[f32]) -> f64 + use<> {
    let d = x.first().map_or(0, Vec::len);
    let n = x.len().max(1) as f64;
    let mean: Vec<f64> = (0..d).map(|j| x.iter().map(|r| r[j] as f64).sum::<f64>() / n).collect();
    let sd: Vec<f64> = (0..d).map(|j| (x.iter().map(|r| (r[j] as f64 - mean[j]).powi(2)).sum::<f64>() / n).sqrt().max(1e-8)).collect();
    let z = move |r: &[f32]| -> Vec<f64> { std::iter::once(1.0).chain((0..d).map(|j| (r[j] as f64 - mean[j]) / sd[j])).collect() };
    let rows: Vec<Vec<f64>> = x.iter().map(|r| z(r)).collect();
    let pos = y.iter().filter(|v| **v).count().max(1) as f64;
    let w_pos = (y.len() as f64 - pos).max(1.0) / pos;
    let k = d + 1;
    let mut beta = vec![0.0f64; k];
    for _ in 0..25 {
        let (mut grad, mut hess) = (vec![0.0; k], vec![0.0; k * k]);
        for (r, &label) in rows.iter().zip(y) {
            let p = 1.0 / (1.0 + (-r.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>()).exp());
            let w = if label { w_pos } else { 1.0 };
            let e = w * (p - f64::from(u8::from(label)));
            let h = w * p * (1.0 - p);
            for a in 0..k {
                grad[a] += e * r[a];
                for b in 0..k {
                    hess[a * k + b] += h * r[a] * r[b];
                }
            }
        }
        for a in 1..k {
            grad[a] += ridge * beta[a];
            hess[a * k + a] += ridge;
        }
        let Some(step) = solve(&mut hess, &mut grad, k) else { break };
        beta.iter_mut().zip(&step).for_each(|(b, s)| *b -= s);
        if step.iter().map(|s| s.abs()).fold(0.0, f64::max) < 1e-8 {
            break;
        }
    }
    move |r: &[f32]| z(r).iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>()
}

/// Solve `a · x = b` (`a` is `k × k`, overwritten) by Gaussian elimination with partial pivoting.
fn solve(a: &mut [f64], b: &mut [f64], k: usize) -> Option<Vec<f64>> {
    for col in 0..k {
        let pivot = (col..k).max_by(|&i, &j| a[i * k + col].abs().total_cmp(&a[j * k + col].abs()))?;
        if a[pivot * k + col].abs() < 1e-12 {
            return None;
        }
        for j in 0..k {
            a.swap(col * k + j, pivot * k + j);
        }
        b.swap(col, pivot);
        for i in col + 1..k {
            let f = a[i * k + col] / a[col * k + col];
            for j in col..k {
                a[i * k + j] -= f * a[col * k + j];
            }
            b[i] -= f * b[col];
        }
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        x[i] = (b[i] - (i + 1..k).map(|j| a[i * k + j] * x[j]).sum::<f64>()) / a[i * k + i];
    }
    Some(x)
}

/// A linear probe's figures on the validation patients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeResult {
    pub train_joints: usize,
    pub valid_joints: usize,
    pub valid_pr_auc: Option<f64>,
    pub valid_roc_auc: Option<f64>,
}

/// The frozen linear probe of `encoder` (a local encoder of crops of `size` px) on `ds` split by `split`.
pub fn linear_probe(encoder: &Encoder, size: usize, ds: &Dataset, split: &Split, device: &Device) -> ProbeResult {
    let (xt, yt) = joint_features(encoder, size, ds, &ds.part(split, Part::Train), device);
    let (xv, yv) = joint_features(encoder, size, ds, &ds.part(split, Part::Valid), device);
    let score = fit_logistic(&xt, &yt, 1e-2);
    let s: Vec<f32> = xv.iter().map(|r| score(r) as f32).collect();
    ProbeResult { train_joints: yt.len(), valid_joints: yv.len(), valid_pr_auc: pr_auc(&s, &yv), valid_roc_auc: roc_auc(&s, &yv) }
}

/// How far the signs of inflammation move an encoder's features, against augmentation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counterfactual {
    pub joints: usize,
    /// Mean feature distance between the same joint drawn healthy and inflamed.
    pub signs: f64,
    /// Mean feature distance between two augmented views of the healthy joint.
    pub views: f64,
    /// Median over joints of signs / views (above 1: the signs move the features more than augmentation).
    pub median_ratio: f64,
}

/// The counterfactual distance over `n` drawn hands (one random joint each, at `severity`),
/// drawn with `look`, augmented as pretraining augments crops (with colour jitter `colour`).
pub fn counterfactual(encoder: &Encoder, size: usize, (n, severity): (usize, f32), look: &Look, colour: f32, seed: u64, device: &Device) -> Counterfactual {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut signs, mut views, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>().sqrt();
    for _ in 0..n {
        let traits = PatientTraits::sample(&mut rng);
        let hand = if rng.random() { jointscope_data::Hand::Left } else { jointscope_data::Hand::Right };
        let joint = Joint::ALL[rng.random_range(0..Joint::COUNT)];
        let healthy = HandSpec::healthy(hand, View::Dorsal, traits);
        let mut sev = [0.0; Joint::COUNT];
        sev[joint.index()] = severity;
        let inflamed = HandSpec::new(hand, View::Dorsal, sev, traits);
        let draw_seed: u64 = rng.random();
        let (h, i) = (
            render_hand_with(&healthy, 320, look, &mut ChaCha8Rng::seed_from_u64(draw_seed)),
            render_hand_with(&inflamed, 320, look, &mut ChaCha8Rng::seed_from_u64(draw_seed)),
        );
        let located: Vec<(Joint, Point)> = Joint::ALL.iter().map(|&j| (j, h.landmarks[j.landmark()])).collect();
        let scale = geometry::hand_scale(&located, 320, 320);
        let at = h.landmarks[joint.landmark()];
        let mut crops = preprocess::joint_view(&h.image, at, scale, size, &Jitter::NONE);
        crops.extend(preprocess::joint_view(&i.image, at, scale, size, &Jitter::NONE));
        for _ in 0..2 {
            let mut v = preprocess::joint_view(&h.image, at, scale, size, &jitter(&mut rng, PRETRAIN_JOINT_JITTER));
            colour_jitter(&mut v, colour, &mut rng);
            crops.extend(v);
        }
        let f = pooled_features(encoder, &crops, size, device);
        let (s, v) = (dist(&f[0], &f[1]), dist(&f[2], &f[3]));
        signs.push(s);
        views.push(v);
        ratios.push(s / v.max(1e-12));
    }
    ratios.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    Counterfactual { joints: n, signs: mean(&signs), views: mean(&views), median_ratio: ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logistic_probe_separates_linearly_separable_classes() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..300 {
            let label = i % 10 == 0;
            let shift = if label { 1.5 } else { -0.5 };
            x.push(vec![shift + rng.random_range(-1.0f32..1.0), rng.random_range(-1.0f32..1.0)]);
            y.push(label);
        }
        let score = fit_logistic(&x, &y, 1e-2);
        let s: Vec<f32> = x.iter().map(|r| score(r) as f32).collect();
        // The first feature alone ranks them (positives 0.5..2.5, negatives −1.5..0.5); the fitted
        // second weight may swap a pair at the border.
        assert!(roc_auc(&s, &y).unwrap() > 0.99);
        assert!(score(&[2.0, 0.0]) > 0.0 && score(&[-1.0, 0.0]) < 0.0);
    }

    #[test]
    fn gaussian_elimination_solves_a_small_system() {
        let mut a = vec![2.0, 1.0, 1.0, 3.0];
        let mut b = vec![3.0, 5.0];
        let x = solve(&mut a, &mut b, 2).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12, "{x:?}");
    }
}

/// One encoder's diagnostics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Diagnosis {
    pub encoder: String,
    pub probe: ProbeResult,
    pub counterfactual: Counterfactual,
}

/// The linear probe on `ds` split by `split` and the counterfactual distance (40 drawn hands,
/// severity 0.7, drawn with `look`, augmented with colour jitter `colour`) of each named local
/// encoder of crops of `size` px.
pub fn diagnose(encoders: &[(String, Encoder)], size: usize, ds: &Dataset, split: &Split, look: &Look, colour: f32, device: &Device) -> Vec<Diagnosis> {
    encoders
        .iter()
        .map(|(name, e)| Diagnosis {
            encoder: name.clone(),
            probe: linear_probe(e, size, ds, split, device),
            counterfactual: counterfactual(e, size, (40, 0.7), look, colour, 99, device),
        })
        .collect()
}

/// The diagnoses as a Markdown table.
pub fn table(d: &[Diagnosis]) -> String {
    let f = |v: Option<f64>| v.map(|x| format!("{x:.3}")).unwrap_or("undefined".into());
    let mut s = String::from(
        "| encoder | linear probe: valid PR-AUC | valid ROC-AUC | feature distance healthy↔inflamed | between two augmented views | median ratio |\n|---|---|---|---|---|---|\n",
    );
    for x in d {
        let c = &x.counterfactual;
        s += &format!(
            "| {} | {} | {} | {:.4} | {:.4} | {:.2} |\n",
            x.encoder,
            f(x.probe.valid_pr_auc),
            f(x.probe.valid_roc_auc),
            c.signs,
            c.views,
            c.median_ratio
        );
    }
    s
}

/// The diagnoses `jointscope pretrain --probe` prints: a random encoder (seeded like the
/// pretraining), for a pretraining that started from MediaPipe's weights those weights (its start,
/// read from `models`), the pretrained one in `dir`, and, given `run`, that run's fine-tuned one,
/// probed on `manifest` split by patients (seed 0) and drawn with the default benchmark's look.
pub fn diagnose_pretraining(
    dir: &std::path::Path,
    manifest: &std::path::Path,
    run: Option<&std::path::Path>,
    models: &std::path::Path,
    progress: &dyn jointscope_train::progress::Progress,
) -> anyhow::Result<Vec<Diagnosis>> {
    use anyhow::Context;
    use jointscope_train::pretrain::{META_FILE, PretrainMeta, init_from};
    let meta: PretrainMeta = jointscope_train::run::read_json(&dir.join(META_FILE))?;
    let config = &meta.config.model;
    let device = Device::flex();
    let local = |m: jointscope_model::JointNet| m.local.context("a model with a local encoder");
    device.seed(meta.config.seed);
    let mut encoders = vec![("random".to_string(), local(config.init(&device)?)?)];
    if meta.config.init_mediapipe {
        let (start, _) = jointscope_train::init::from_mediapipe(config.init(&device)?, models)?;
        encoders.push(("MediaPipe's weights (the start)".to_string(), local(start)?));
    }
    encoders.push(("pretrained".to_string(), local(init_from(dir, config.init(&device)?, config)?)?));
    if let Some(run) = run {
        let rd = jointscope_train::run::RunDir(run.to_path_buf());
        let m: jointscope_train::train::ModelMeta = jointscope_train::run::read_json(&rd.model_meta())?;
        anyhow::ensure!(
            m.model.local_size == config.local_size,
            "{} has {} px crops, the pretraining {}",
            run.display(),
            m.model.local_size,
            config.local_size
        );
        encoders.push(("fine-tuned (supervised)".to_string(), local(jointscope_train::run::load_model_file(&m.model, &rd.model(), &device)?)?));
    }
    let manifest = jointscope_train::dataset::read_manifest(manifest)?;
    let ds = Dataset::load(&manifest, progress)?;
    let entries: Vec<_> = ds.photos.iter().map(|p| p.entry.clone()).collect();
    let split = jointscope_dataset::split::split_patients(&entries, jointscope_dataset::split::SplitSpec::default());
    let d = jointscope_dataset::synth::SynthConfig::default();
    let look = Look { signal: d.signal, patient_appearance: d.patient_appearance };
    Ok(diagnose(&encoders, config.local_size, &ds, &split, &look, meta.config.colour, &device))
}
