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
