//! The export sidecar (`jointscope.json`): what the weights are, how to feed them, the threshold
//! chosen on validation, and what they were trained on. The trainer writes it; every reader of the
//! weights (the CLI, the browser) checks the weights against it before using them.
use crate::DetectError;
use jointscope_data::DataSummary;
use jointscope_model::ModelConfig;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the weights + sidecar format; a reader refuses any other. (2: test metrics as named
/// values with optional intervals; the training data's count of fully located images; the training
/// photos' feature summary.)
pub const FORMAT_VERSION: u32 = 2;

/// Largest sidecar a reader accepts (a real one is about 3 KB).
pub const MAX_SIDECAR_BYTES: usize = 1 << 20;
/// Largest weights file a reader accepts (the largest architecture `ModelConfig::validate` allows is well under it).
pub const MAX_WEIGHTS_BYTES: usize = 256 << 20;

/// File names inside an export folder.
pub const WEIGHTS_FILE: &str = "jointscope.bpk";
pub const SIDECAR_FILE: &str = "jointscope.json";

/// The notice every export carries.
pub const NOTICE: &str = "Research software, not a medical device. These weights were trained on the data named in \
training_data; they do not diagnose anything. Weights trained on the synthetic benchmark say nothing about real hands.";

/// How inputs are prepared (`jointscope_data::preprocess`); recorded so a reader can check it
/// prepares them the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub global_size: usize,
    pub local_size: usize,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub joint_crop_scale: f32,
    pub hand_box_margin: f32,
}

impl InputSpec {
    /// The preprocessing this build of jointscope does for `model`.
    pub fn current(model: &ModelConfig) -> Self {
        use jointscope_data::{geometry, preprocess};
        InputSpec {
            global_size: model.global_size,
            local_size: model.local_size,
            mean: preprocess::MEAN,
            std: preprocess::STD,
            joint_crop_scale: geometry::JOINT_CROP_SCALE,
            hand_box_margin: geometry::HAND_BOX_MARGIN,
        }
    }
}

/// The weights file's size and checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct WeightsInfo {
    pub file: String,
    pub bytes: usize,
    pub sha256: String,
}

/// One metric of the test evaluation: its value (`None`: undefined on the test data) and 95 %
/// bootstrap interval (`None`: none computed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct MetricValue {
    pub name: String,
    pub value: Option<f64>,
    pub ci: Option<(f64, f64)>,
}

/// The exported weights' evaluation on their run's own held-out test patients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct TestMetrics {
    pub patients: usize,
    pub joints: usize,
    pub inflamed: usize,
    pub metrics: Vec<MetricValue>,
}

/// The export sidecar (`jointscope.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
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
    pub threshold_objective: jointscope_data::Objective,
    pub weights: WeightsInfo,
    pub training_data: DataSummary,
    pub validation_data: DataSummary,
    /// What the training photos were (`None`: weights exported before it was recorded, when only
    /// drawn hands were told apart and painted real photos passed for patients' ones).
    #[serde(default)]
    pub training_photos: Option<jointscope_data::TrainingPhotos>,
    /// The verdict on a whole hand (its score's form and threshold, fitted on validation; `None`
    /// for weights without one: then a hand carries no verdict of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_family = "wasm", tsify(optional))]
    pub hand_rule: Option<jointscope_data::HandRule>,
    /// The run's evaluation on its own test patients with these very weights, when there is one.
    pub test_metrics: Option<TestMetrics>,
    /// What the training photos looked like to the encoder, to tell a photo unlike them
    /// (`None` for runs trained before it was recorded).
    #[serde(default)]
    pub familiarity: Option<crate::familiarity::FeatureModel>,
    /// What the training photos' joint crops looked like to MediaPipe's first layers (Google's
    /// weights; [`crate::appearance`]), to tell photos unlike them whatever the classifier learnt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_family = "wasm", tsify(optional))]
    pub appearance: Option<crate::familiarity::FeatureModel>,
    /// How much a joint's probability moves when the same photo is retaken slightly differently
    /// (95th percentile over validation joints of two augmented views): a smaller change between
    /// two checks is not a change. `None` for runs trained before it was recorded.
    #[serde(default)]
    pub retake_difference: Option<f32>,
    /// Where training started the encoders: random, pretrained, or MediaPipe's hand network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_family = "wasm", tsify(optional))]
    pub initialisation: Option<String>,
    pub notice: String,
}

/// Hex SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Sidecar {
    /// Parse a sidecar and check that this build can use it: format version, model
    /// configuration, joint vocabulary, preprocessing, temperature and threshold.
    pub fn parse(json: &[u8]) -> Result<Self, DetectError> {
        if json.len() > MAX_SIDECAR_BYTES {
            return Err(DetectError::Sidecar(format!("{} bytes, the limit is {MAX_SIDECAR_BYTES}: not a {SIDECAR_FILE} sidecar", json.len())));
        }
        let version: serde_json::Value = serde_json::from_slice(json).map_err(|e| DetectError::Sidecar(format!("not JSON: {e}")))?;
        match version.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(DetectError::Sidecar(format!("format version {v}, but this jointscope reads version {FORMAT_VERSION}; export the weights again")));
            }
            None => return Err(DetectError::Sidecar("no format_version: not a jointscope.json sidecar".into())),
        }
        let s: Sidecar = serde_json::from_value(version).map_err(|e| DetectError::Sidecar(e.to_string()))?;
        s.architecture.validate().map_err(|e| DetectError::Sidecar(e.to_string()))?;
        let names: Vec<&str> = jointscope_data::Joint::ALL.iter().map(|j| j.name()).collect();
        if s.joints != names || s.architecture.joints != names.len() {
            return Err(DetectError::Sidecar(format!("joints {:?}, but this jointscope knows {names:?}", s.joints)));
        }
        let expected = InputSpec::current(&s.architecture);
        if s.input != expected {
            return Err(DetectError::Sidecar(format!("the weights were trained with preprocessing {:?}, this jointscope does {expected:?}", s.input)));
        }
        if !(s.temperature.is_finite() && s.temperature > 0.0) {
            return Err(DetectError::Sidecar(format!("temperature {} must be positive", s.temperature)));
        }
        if !(0.0..=1.0).contains(&s.threshold) {
            return Err(DetectError::Sidecar(format!("threshold {} must be in 0..1", s.threshold)));
        }
        if let Some(d) = s.retake_difference.filter(|d| !(0.0..=1.0).contains(d)) {
            return Err(DetectError::Sidecar(format!("retake_difference {d} must be in 0..1")));
        }
        if let Some(f) = &s.familiarity {
            f.check(s.architecture.joints, s.architecture.feature_channels()).map_err(DetectError::Sidecar)?;
        }
        if let Some(f) = &s.appearance {
            let channels = jointscope_model::MEDIAPIPE_LAYERS[crate::appearance::APPEARANCE_LAYERS - 1].cout;
            f.check(s.architecture.joints, channels).map_err(|e| DetectError::Sidecar(format!("appearance: {e}")))?;
        }
        Ok(s)
    }

    /// Check `weights` against the recorded size and checksum; names what differs.
    pub fn check_weights(&self, weights: &[u8]) -> Result<(), DetectError> {
        if weights.len() > MAX_WEIGHTS_BYTES {
            return Err(DetectError::Weights(format!("{} bytes, the limit is {MAX_WEIGHTS_BYTES}", weights.len())));
        }
        if weights.len() != self.weights.bytes {
            return Err(DetectError::Weights(format!(
                "{} bytes, but {} says {} (truncated or a different file)",
                weights.len(),
                SIDECAR_FILE,
                self.weights.bytes
            )));
        }
        let sum = sha256(weights);
        if sum != self.weights.sha256 {
            return Err(DetectError::Weights(format!(
                "checksum {}…, but {} says {}… (altered or a different file)",
                &sum[..12],
                SIDECAR_FILE,
                self.weights.sha256.chars().take(12).collect::<String>()
            )));
        }
        Ok(())
    }

    /// Calibrated probability of a logit.
    pub fn probability(&self, logit: f32) -> f32 {
        jointscope_model::probability(logit, self.temperature)
    }
}
