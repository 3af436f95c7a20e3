//! jointscope's experiments, built on the trainer (`jointscope-train`): the synthetic benchmark's
//! folder ([`synthetic`]), the demo pipeline ([`demo`]), the committed ablation protocol
//! ([`ablate`]), what a pretrained encoder knows ([`probe`]), and the accuracy studies of the
//! landmark pipeline ([`locate_bench`]), the pretraining pool of real photos ([`pool`]) and of the capture check ([`quality_bench`]), and the finished runs kept for git ([`results`]). Like the
//! trainer it reports through [`jointscope_train::Progress`] and never prints.
pub mod ablate;
pub mod demo;
pub mod locate_bench;
pub mod patients;
pub mod pool;
pub mod probe;
pub mod quality_bench;
pub mod real_photos;
pub mod results;
pub mod synthetic;
