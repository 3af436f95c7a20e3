//! Dev-only helpers shared by the tests of every jointscope crate (a dev-dependency only): the
//! folders a test reads, found from the repository rather than the current directory, which
//! `cargo test` sets to each crate's own folder.
use std::path::PathBuf;

/// The repository's root folder.
pub fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// MediaPipe's hand models: `$JOINTSCOPE_MODELS`, else the repository's `models/`
/// (what `scripts/fetch-models.sh` fills).
pub fn models_dir() -> PathBuf {
    match std::env::var_os("JOINTSCOPE_MODELS") {
        Some(d) if !d.is_empty() => d.into(),
        _ => repo().join("models"),
    }
}

/// The committed, licensed real hand photos (`tests/data/real-hands`, see its NOTICE).
pub fn real_hands_dir() -> PathBuf {
    repo().join("tests/data/real-hands")
}

/// One of the committed real hand photos, by file name.
pub fn real_hand(name: &str) -> PathBuf {
    real_hands_dir().join(name)
}
