//! The researcher's side of jointscope: synthesise a benchmark, validate a manifest, train the
//! joint classifier, evaluate it with confidence intervals and plots, and export weights for the
//! browser. `main.rs` is a thin clap front end over [`cli`].
pub mod ablate;
pub mod augment;
pub mod backend;
pub mod bench;
pub mod cli;
pub mod dataset;
pub mod detect;
pub mod evaluate;
pub mod export;
pub mod locate;
pub mod locate_bench;
pub mod losses;
pub mod plots;
pub mod pretrain;
pub mod run;
pub mod serve;
pub mod train;
