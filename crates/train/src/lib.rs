//! Training the jointscope joint classifier, as a library: datasets and batches, augmentation,
//! losses, the training loop, calibration, self-supervised pretraining, evaluation with confidence
//! intervals, plots, export for the browser, and `locate` (joint positions for a manifest from
//! MediaPipe's landmarks, which evaluation at landmark positions needs too). Experiments over it
//! live in `jointscope-lab`, speed benchmarks in `jointscope-bench`; the `jointscope` binary only
//! parses arguments, draws progress and prints. Everything here reports through
//! [`progress::Progress`] and reads no environment: folders such as MediaPipe's models are
//! arguments.
pub mod augment;
pub mod backend;
pub mod calibrate;
pub mod choice;
pub mod dataset;
pub mod evaluate;
pub mod export;
pub mod init;
pub mod locate;
pub mod losses;
pub mod machine;
pub mod plots;
pub mod predict;
pub mod pretrain;
pub mod progress;
pub mod run;
pub mod schedule;
pub mod train;

pub use choice::Choice;
pub use progress::{Progress, Silent};
