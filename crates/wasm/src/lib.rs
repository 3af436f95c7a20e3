//! jointscope in the browser: a thin wasm-bindgen layer over `jointscope_detect` (hand landmarks,
//! then the joint classifier), so the page runs exactly the code the `jointscope detect` CLI runs.
//!
//! Every method returns a Promise; every failure rejects it with an `Error` whose `name` says what
//! kind it is (`SidecarError`, `WeightsError`, `ModelError`, `ImageError`, `InputError`,
//! `BackendError`) and whose `message` is a sentence for the user. Nothing here panics on bad input.
//!
//! The binding compiles only for wasm32; natively this crate is empty, so it adds nothing to the
//! native build.

#[cfg(target_family = "wasm")]
mod binding;
#[cfg(target_family = "wasm")]
pub use binding::*;
