//! Errors of the data crate.
use std::path::PathBuf;

/// Anything that can go wrong reading images or manifests.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a readable image: {reason}")]
    Image { path: PathBuf, reason: String },
    #[error("{path} is too large: {reason}")]
    TooLarge { path: PathBuf, reason: String },
    #[error("manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("manifest {path} has {count} invalid row(s); first: {first}")]
    Invalid { path: PathBuf, count: usize, first: String },
    #[error("dataset is empty: {0}")]
    Empty(String),
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}
