//! What defines a run (`run.json`), what its checkpoints save, and what it leaves (`model.json`).
use crate::augment::Mix;
use crate::backend::BackendChoice;
use crate::dataset::{DataSummary, Dataset};
use crate::losses::LossConfig;
use crate::run::EpochRecord;
use jointscope_data::Objective;
use jointscope_dataset::split::SplitSpec;
use jointscope_model::ModelConfig;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainParams {
    pub epochs: usize,
    /// Photos per step (each brings all its labelled joints).
    pub batch_images: usize,
    pub lr: f64,
    pub weight_decay: f32,
    /// The loss and its settings.
    #[serde(default)]
    pub loss: LossConfig,
    /// How photos are drawn for each epoch.
    #[serde(default)]
    pub sampler: Sampler,
    pub augment: bool,
    /// Start the logits at the training prevalence's log-odds (as the loss weighs the classes)
    /// rather than at probability ½.
    #[serde(default)]
    pub prior_bias: bool,
    /// Mixing augmentation of joint crops (with `augment`).
    #[serde(default)]
    pub mix: Mix,
    /// A pretraining folder whose encoders initialise the model.
    #[serde(default)]
    pub init: Option<PathBuf>,
    /// Start the encoders (which must be [`jointscope_model::EncoderKind::Mediapipe`]) from
    /// MediaPipe's hand-landmark network, read from the models folder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init_mediapipe: bool,
    /// A trained run whose confident predictions label the unlabelled training joints.
    #[serde(default)]
    pub teacher: Option<PathBuf>,
    /// Calibrated probability a teacher needs to give a pseudo-label (≥ it: 1, ≤ 1 − it: 0).
    #[serde(default = "default_confidence")]
    pub pseudo_confidence: f32,
    pub seed: u64,
    /// What the decision threshold maximises on validation.
    pub objective: Objective,
    /// The fine-tuning recipe: which validation figure keeps the best epoch, early stopping,
    /// warm-up, a frozen-encoder start and the encoders' learning rate, context dropout.
    #[serde(default)]
    pub recipe: Recipe,
}

/// How a model is fine-tuned beyond the basic loop. The defaults are the basic loop (best epoch by
/// validation ROC-AUC, all epochs, no warm-up, nothing frozen), so old runs read the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// The validation figure that keeps the best epoch (and that early stopping watches).
    pub select: Select,
    /// Stop after this many epochs without a better validation figure (None: run every epoch).
    pub patience: Option<usize>,
    /// Steps over which the learning rate rises linearly to its peak before the cosine decay.
    pub warmup_steps: usize,
    /// Epochs at the start in which only the head trains and the encoders stay frozen: the linear
    /// probe of LP-FT (Kumar et al. 2022), so pretrained features are not scrambled by a random head.
    pub frozen_epochs: usize,
    /// The encoders' learning rate as a fraction of the head's after the frozen epochs.
    pub encoder_lr_scale: f64,
    /// Chance, per joint in training, that the whole-hand context is withheld (global–local only),
    /// so the model cannot lean on context where the joint itself shows the answer.
    pub context_dropout: f32,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe { select: Select::RocAuc, patience: None, warmup_steps: 0, frozen_epochs: 0, encoder_lr_scale: 1.0, context_dropout: 0.0 }
    }
}

/// A validation figure to select epochs by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Select {
    #[default]
    RocAuc,
    PrAuc,
}

impl crate::choice::Choice for Select {
    const ALL: &'static [Self] = &[Self::RocAuc, Self::PrAuc];
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            // Chosen on validation of a pilot split (seed 100, not an ablation seed): with 8
            // photos a step, 20 epochs gave only ~420 steps and every model sat at the prior
            // for 10–14 epochs; 4 photos a step doubles the steps for ~20 % more time per epoch.
            epochs: 16,
            batch_images: 4,
            lr: 1e-3,
            weight_decay: 1e-4,
            loss: LossConfig::default(),
            sampler: Sampler::Shuffle,
            augment: true,
            prior_bias: true,
            mix: Mix::None,
            init: None,
            init_mediapipe: false,
            teacher: None,
            pseudo_confidence: default_confidence(),
            seed: 0,
            objective: Objective::GMean,
            recipe: Recipe::default(),
        }
    }
}

/// How each epoch's photos are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampler {
    /// Every training photo once, in a random order.
    #[default]
    Shuffle,
    /// As many draws, with replacement, half of them from photos with an inflamed joint.
    ClassBalanced,
}

impl crate::choice::Choice for Sampler {
    const ALL: &'static [Self] = &[Self::Shuffle, Self::ClassBalanced];
    fn help(self) -> &'static str {
        match self {
            Self::Shuffle => "every training photo once per epoch, shuffled",
            Self::ClassBalanced => "as many draws with replacement, half from photos with an inflamed joint",
        }
    }
}

impl Sampler {
    /// The photos of one epoch.
    pub fn epoch(self, ds: &Dataset, train: &[usize], rng: &mut ChaCha8Rng) -> Vec<usize> {
        let mut order = train.to_vec();
        match self {
            Sampler::Shuffle => order.shuffle(rng),
            Sampler::ClassBalanced => {
                let (pos, neg): (Vec<usize>, Vec<usize>) = train.iter().partition(|&&i| ds.photos[i].labelled.iter().any(|l| l.2 > 0.5));
                if pos.is_empty() || neg.is_empty() {
                    order.shuffle(rng);
                } else {
                    use rand::Rng;
                    order = (0..train.len())
                        .map(|_| {
                            let from = if rng.random::<bool>() { &pos } else { &neg };
                            from[rng.random_range(0..from.len())]
                        })
                        .collect();
                }
            }
        }
        order
    }
}

/// Chance that a crop is mixed when a mixing augmentation is on.
pub const MIX_PROBABILITY: f32 = 0.5;

/// Everything that defines a run, written to `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub manifest: PathBuf,
    /// The manifest's SHA-256 when the run started (filled in by [`train`]): a resumed run, or an
    /// evaluation on its split, whose manifest has changed since is refused rather than mixing
    /// two sets of labels. `None` in runs started before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_sha256: Option<String>,
    pub model: ModelConfig,
    pub train: TrainParams,
    pub split: SplitSpec,
    pub backend: BackendChoice,
}

/// Saved with each checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CheckpointState {
    pub(crate) epoch: usize,
    pub(crate) history: Vec<EpochRecord>,
    pub(crate) best: Option<(usize, f64)>,
}

/// The trained model's metadata (`model.json`): what evaluate and export need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format_version: u32,
    pub model: ModelConfig,
    pub threshold: f32,
    pub objective: Objective,
    /// Temperature T fitted on validation: probability = sigmoid(logit / T).
    #[serde(default = "one")]
    pub temperature: f32,
    pub best_epoch: usize,
    pub train_data: DataSummary,
    pub valid_data: DataSummary,
    pub backend: String,
    pub parameters: usize,
    /// Pseudo-labels added to the training joints: (inflamed, not inflamed).
    #[serde(default)]
    pub pseudo_labels: (usize, usize),
    /// What the training photos were (from the generator's summary beside the manifest, checked
    /// by its checksum; `None` for runs trained before it was recorded).
    #[serde(default)]
    pub training_photos: Option<jointscope_data::TrainingPhotos>,
    /// Fraction of validation joints at or above the threshold.
    #[serde(default)]
    pub valid_flagged: Option<f64>,
    /// The verdict on a whole hand, fitted on the validation hands ([`calibrate::hand_rule`];
    /// `None` when validation had no hand with or without an inflamed joint, or for older runs).
    #[serde(default)]
    pub hand_rule: Option<jointscope_data::HandRule>,
    /// What the training photos looked like to the encoder (exported, to flag unfamiliar photos).
    #[serde(default)]
    pub familiarity: Option<jointscope_detect::FeatureModel>,
    /// 95th percentile of a validation joint's probability change between two augmented views of
    /// its photo ([`crate::predict::retake_difference`]).
    #[serde(default)]
    pub retake_difference: Option<f32>,
    /// Where the encoders started ([`crate::init::describe`]); `None` for older runs.
    #[serde(default)]
    pub initialisation: Option<String>,
    /// The training photos over MediaPipe's features ([`crate::predict::appearance`]).
    #[serde(default)]
    pub appearance: Option<jointscope_detect::FeatureModel>,
    /// The CPU, threads and backward the run trained with (`None` for older runs): a result is
    /// reproduced to the last digit only where these agree.
    #[serde(default)]
    pub machine: Option<crate::machine::Machine>,
}

fn one() -> f32 {
    1.0
}

fn default_confidence() -> f32 {
    0.9
}
