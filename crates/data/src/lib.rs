//! What the trainer and the browser both need to read a hand photo alike: the joint vocabulary,
//! hands and views, image decoding with limits, crop geometry, the one rotated-crop sampler and the
//! model's preprocessing, and the small records the export carries. Nothing here reads manifests or
//! draws synthetic hands (`jointscope-dataset` does), so the browser bundle carries none of it.

pub mod error;
pub mod geometry;
pub mod hand;
pub mod hand_rule;
pub mod image_io;
pub mod joints;
pub mod objective;
pub mod preprocess;
pub mod summary;

pub use error::DataError;
pub use geometry::{CropBox, Point};
pub use hand::{Hand, View};
pub use hand_rule::{HandRule, HandScore, HandVerdict};
pub use joints::Joint;
pub use objective::Objective;
pub use summary::{DataSummary, TrainingPhotos};
