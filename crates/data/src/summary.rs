//! Counts describing a dataset, recorded with training runs and in the exported weights' sidecar.
use serde::{Deserialize, Serialize};

/// Images, patients and joints of (part of) a manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct DataSummary {
    pub manifest: String,
    pub images: usize,
    pub patients: usize,
    pub labelled_joints: usize,
    pub inflamed_joints: usize,
    /// Fraction of labelled joints that are inflamed.
    pub prevalence: f64,
    /// Images with a position for every one of the 11 joints. Detection always has all 11 (from the
    /// hand landmarks); an image with fewer gets its whole-hand view and crop size from those it has.
    #[serde(default)]
    pub images_with_all_joints: usize,
}

/// What a model's training photos were: what its verdicts can be taken to mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub enum TrainingPhotos {
    /// The synthetic benchmark's drawn hands (`jointscope synth`).
    Drawn,
    /// Real photos of healthy hands with simulated signs painted on (`jointscope synth --base-photos`).
    SimulatedSigns,
    /// Photos with labels from an examination (a clinic's own collection).
    RealLabels,
}

impl TrainingPhotos {
    /// What the photos were, as the end of a sentence ("trained on …").
    pub fn words(self) -> &'static str {
        match self {
            TrainingPhotos::Drawn => "drawn synthetic hands, not real ones",
            TrainingPhotos::SimulatedSigns => "real healthy hands with simulated signs painted on, not patients",
            TrainingPhotos::RealLabels => "photos of patients' hands labelled at an examination",
        }
    }
}
