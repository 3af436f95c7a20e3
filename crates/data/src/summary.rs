//! Counts describing a dataset, recorded with training runs and in the exported weights' sidecar.
use serde::{Deserialize, Serialize};

/// Images, patients and joints of (part of) a manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DataSummary {
    pub manifest: String,
    pub images: usize,
    pub patients: usize,
    pub labelled_joints: usize,
    pub inflamed_joints: usize,
    /// Fraction of labelled joints that are inflamed.
    pub prevalence: f64,
}
