//! Data for jointscope: the joint vocabulary, the dataset manifest (format, validation, patient-level
//! splits), image loading with limits, joint-crop geometry and preprocessing shared by the trainer and
//! the browser, and a synthetic hand generator whose ground truth is known.

pub mod error;
pub mod geometry;
pub mod image_io;
pub mod joints;
pub mod manifest;
pub mod preprocess;
pub mod split;
pub mod summary;
pub mod synth;

pub use error::DataError;
pub use geometry::{CropBox, Point};
pub use joints::Joint;
pub use summary::DataSummary;
pub use manifest::{Hand, Label, Manifest, ManifestRow, View};
