//! The joint classifier with its sidecar: located joints in a photo → calibrated probability,
//! verdict at the exported threshold, and class-activation map, per joint.
use crate::{DetectError, Familiarity, Sidecar};
use burn::tensor::{Device, Transaction};
use image::RgbImage;
use jointscope_data::geometry::{self, CropBox, Point};
use jointscope_data::{Joint, preprocess};
use jointscope_model::{BatchData, FEATURE_SIDE, JointNet};
use serde::{Deserialize, Serialize};

/// What the classifier says about one joint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct JointVerdict {
    /// `MCP1`…`WRIST`.
    pub joint: Joint,
    /// Joint centre in photo pixels.
    pub position: Point,
    /// Calibrated probability of inflammation, sigmoid(logit / temperature).
    pub probability: f32,
    /// The model's raw logit.
    pub logit: f32,
    /// `probability >= threshold` (the threshold chosen on validation, from the sidecar).
    pub inflamed: bool,
    /// Class-activation map, `FEATURE_SIDE × FEATURE_SIDE` row-major, over `heatmap_box`: each cell's
    /// evidence of inflammation (their mean plus a context constant is the logit).
    pub heatmap: Vec<f32>,
    /// The photo region the heat map covers (the joint crop; the whole-hand view for a global-only model).
    pub heatmap_box: CropBox,
}

/// Files of an export folder: `jointscope.json` and `jointscope.bpk`, each refused above its limit
/// before it is read.
#[cfg(not(target_family = "wasm"))]
pub fn read_export(dir: &std::path::Path) -> Result<(Vec<u8>, Vec<u8>), DetectError> {
    use crate::sidecar::{MAX_SIDECAR_BYTES, MAX_WEIGHTS_BYTES, SIDECAR_FILE, WEIGHTS_FILE};
    let read = |name: &str, limit: usize| {
        let p = dir.join(name);
        let missing = |e: std::io::Error| format!("cannot read {} ({e}); make it with `jointscope export`", p.display());
        let len = std::fs::metadata(&p).map_err(missing)?.len();
        if len > limit as u64 {
            return Err(format!("{} is {len} bytes, the limit is {limit}: not a jointscope export", p.display()));
        }
        std::fs::read(&p).map_err(missing)
    };
    let sidecar = read(SIDECAR_FILE, MAX_SIDECAR_BYTES).map_err(DetectError::Sidecar)?;
    let weights = read(WEIGHTS_FILE, MAX_WEIGHTS_BYTES).map_err(DetectError::Weights)?;
    Ok((sidecar, weights))
}

/// Loaded weights, checked against their sidecar, on one device.
pub struct Classifier {
    model: JointNet,
    sidecar: Sidecar,
    device: Device,
    appearance: Option<crate::appearance::AppearanceEncoder>,
}

impl Classifier {
    /// Parse `sidecar_json`, check `weights` against it (size, SHA-256) and load them on `device`.
    pub fn from_bytes(sidecar_json: &[u8], weights: Vec<u8>, device: &Device) -> Result<Self, DetectError> {
        let sidecar = Sidecar::parse(sidecar_json)?;
        sidecar.check_weights(&weights)?;
        let model = sidecar.architecture.load(weights, device).map_err(|e| DetectError::Weights(e.to_string()))?;
        Ok(Classifier { model, sidecar, device: device.clone(), appearance: None })
    }

    /// Also judge how the joints look to MediaPipe's first layers (read from the bytes of
    /// `hand_landmark_full.tflite`), when the sidecar carries that summary.
    pub fn with_appearance(mut self, landmark_tflite: &[u8]) -> Result<Self, DetectError> {
        if self.sidecar.appearance.is_some() {
            self.appearance = Some(crate::appearance::AppearanceEncoder::new(landmark_tflite, &self.device)?);
        }
        Ok(self)
    }

    /// Load an export folder (`jointscope export`) on `device`.
    #[cfg(not(target_family = "wasm"))]
    pub fn from_dir(dir: &std::path::Path, device: &Device) -> Result<Self, DetectError> {
        let (sidecar, weights) = read_export(dir)?;
        Self::from_bytes(&sidecar, weights, device)
    }

    /// The sidecar the weights came with.
    pub fn sidecar(&self) -> &Sidecar {
        &self.sidecar
    }

    /// Judge every joint in `located` (joint, centre in photo pixels) of `img`. The whole-hand view
    /// and the crop sizes come from all of `located`, exactly as in training, so the probabilities
    /// equal the trainer's `evaluate` for the same photo and positions.
    pub async fn judge(&self, img: &RgbImage, located: &[(Joint, Point)]) -> Result<Vec<JointVerdict>, DetectError> {
        Ok(self.judge_hand(img, located).await?.0)
    }

    /// [`judge`](Self::judge), and how familiar the joints look next to the training photos
    /// (`None` when the sidecar carries no feature summary or nothing was located).
    pub async fn judge_hand(&self, img: &RgbImage, located: &[(Joint, Point)]) -> Result<(Vec<JointVerdict>, Option<Familiarity>), DetectError> {
        self.judge_hand_marked(img, located, &mut |_| {}).await
    }

    /// [`judge_hand`](Self::judge_hand), calling `mark` with each stage's name as it ends:
    /// `"crops"` (views cut and uploaded), `"appearance"` (MediaPipe's features, when the sidecar
    /// has their summary), `"classifier"` (the model, the read back and the verdicts). On a lazy
    /// backend (wgpu) the models' work happens at the read, so it all lands in `"classifier"`.
    pub async fn judge_hand_marked(
        &self,
        img: &RgbImage,
        located: &[(Joint, Point)],
        mark: &mut dyn FnMut(&'static str),
    ) -> Result<(Vec<JointVerdict>, Option<Familiarity>), DetectError> {
        if located.is_empty() {
            return Ok((Vec::new(), None));
        }
        if let Some((j, p)) = located.iter().find(|(_, p)| !(p.x.is_finite() && p.y.is_finite())) {
            return Err(DetectError::Input(format!("{j} has no finite position ({}, {})", p.x, p.y)));
        }
        let (w, h) = (img.width(), img.height());
        let scale = geometry::hand_scale(located, w, h);
        let batch = self.batch(img, located, scale)?;
        mark("crops");
        let looks = match (&self.appearance, &self.sidecar.familiarity) {
            (Some(a), Some(_)) => Some(a.features(batch.local.clone())),
            _ => None,
        };
        if looks.is_some() {
            mark("appearance");
        }
        let read = self.read(self.model.forward(batch), looks, located.len()).await?;
        let familiarity = self.familiarity(located, &read);
        let verdicts = self.verdicts(located, &read, geometry::hand_box(located, w, h), scale);
        mark("classifier");
        Ok((verdicts, familiarity))
    }

    /// The whole-hand and joint views of `located`, cut as in training, as one batch on the device.
    fn batch(&self, img: &RgbImage, located: &[(Joint, Point)], scale: f32) -> Result<jointscope_model::Batch, DetectError> {
        let config = &self.sidecar.architecture;
        let none = preprocess::Jitter::NONE;
        let sizes = (config.global_size, config.local_size);
        let (global, local) = preprocess::photo_views(img, located, scale, located.iter().map(|l| l.1), sizes, &none, || none);
        let data = BatchData { global, local, joint: located.iter().map(|(j, _)| j.index() as i64).collect(), image: vec![0; located.len()] };
        data.to_batch(config, &self.device).map_err(|e| DetectError::Input(e.to_string()))
    }

    /// The model's outputs (and MediaPipe's features, if asked) read back in one transaction, their
    /// sizes checked against the `joints` judged.
    async fn read(&self, out: jointscope_model::Output, looks: Option<burn::tensor::Tensor<2>>, joints: usize) -> Result<Outputs, DetectError> {
        let mut transaction = Transaction::default().register(out.logits).register(out.cam).register(out.pooled);
        if let Some(l) = looks {
            transaction = transaction.register(l);
        }
        let read = transaction.execute_async().await.map_err(|e| DetectError::Backend(format!("{e:?}")))?;
        let vec = |d: &burn::tensor::TensorData| d.try_to_vec::<f32>().map_err(|e| DetectError::Backend(format!("{e:?}")));
        let (logits, cam, pooled) = (vec(&read[0])?, vec(&read[1])?, vec(&read[2])?);
        let looks = read.get(3).map(vec).transpose()?;
        let dim = self.sidecar.architecture.feature_channels();
        if logits.len() != joints || cam.len() != FEATURE_SIDE * FEATURE_SIDE * joints || pooled.len() != dim * joints {
            return Err(DetectError::Backend(format!("the model returned {} logits for {joints} joints", logits.len())));
        }
        if let (Some(summary), Some(l)) = (&self.sidecar.appearance, &looks)
            && l.len() != summary.dim() * joints
        {
            return Err(DetectError::Backend(format!("{} appearance features for {joints} joints", l.len())));
        }
        Ok(Outputs { logits, cam, pooled, looks })
    }

    /// How familiar the hand looks: its features' distance from the training photos' summary and,
    /// when both are there, MediaPipe's features' distance from theirs.
    fn familiarity(&self, located: &[(Joint, Point)], read: &Outputs) -> Option<Familiarity> {
        // The hand's distance from a summary, its joints' features `c` values apart in `features`.
        let distance = |summary: &crate::FeatureModel, features: &[f32], c: usize| {
            summary.distance(located.iter().enumerate().map(|(k, (j, _))| (j.index(), &features[k * c..(k + 1) * c])))
        };
        let dim = self.sidecar.architecture.feature_channels();
        let mut familiarity = self.sidecar.familiarity.as_ref().map(|f| f.judge(distance(f, &read.pooled, dim)));
        if let (Some(fam), Some(summary), Some(looks)) = (familiarity.as_mut(), &self.sidecar.appearance, &read.looks) {
            let d = distance(summary, looks, summary.dim());
            fam.appearance_distance = Some(d);
            fam.appearance_limit = Some(summary.limit);
            fam.familiar &= d <= summary.limit;
        }
        familiarity
    }

    /// One verdict per located joint, its heat map over its crop (the whole-hand box for a global-only model).
    fn verdicts(&self, located: &[(Joint, Point)], read: &Outputs, global_box: CropBox, scale: f32) -> Vec<JointVerdict> {
        let side = FEATURE_SIDE * FEATURE_SIDE;
        located
            .iter()
            .enumerate()
            .map(|(k, &(joint, position))| {
                let probability = self.sidecar.probability(read.logits[k]);
                JointVerdict {
                    joint,
                    position,
                    probability,
                    logit: read.logits[k],
                    inflamed: probability >= self.sidecar.threshold,
                    heatmap: read.cam[k * side..(k + 1) * side].to_vec(),
                    heatmap_box: match self.sidecar.architecture.arch {
                        jointscope_model::Arch::Global => global_box,
                        _ => geometry::joint_crop(position, scale),
                    },
                }
            })
            .collect()
    }
}

/// What one judgement read back from the device, one row per joint.
struct Outputs {
    logits: Vec<f32>,
    cam: Vec<f32>,
    pooled: Vec<f32>,
    looks: Option<Vec<f32>>,
}
