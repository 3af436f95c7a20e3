//! The researcher's side of jointscope as a library: datasets and batches, augmentation, losses,
//! the training loop, calibration, self-supervised pretraining, evaluation with confidence
//! intervals, plots, export for the browser, the ablation, landmark location for manifests, speed
//! benchmarks and the page's static server. The `jointscope` binary only parses arguments, draws
//! progress and prints; everything here reports through [`progress::Progress`].
pub mod ablate;
pub mod augment;
pub mod backend;
pub mod bench;
pub mod benchmark;
pub mod calibrate;
pub mod choice;
pub mod dataset;
pub mod demo;
pub mod evaluate;
pub mod init;
pub mod export;
pub mod locate;
pub mod locate_bench;
pub mod losses;
pub mod plots;
pub mod predict;
pub mod quality_bench;
pub mod probe;
pub mod pretrain;
pub mod progress;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod train;

pub use choice::Choice;
pub use progress::{Progress, Silent};
