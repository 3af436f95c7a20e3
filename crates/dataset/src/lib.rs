//! Training data for jointscope: the manifest a clinical group fills in (format, validation,
//! patient-level splits), atomic file writes, and a synthetic hand generator whose ground truth is
//! known. Only the trainer needs this crate; the browser reads photos through `jointscope-data`.

pub mod defects;
pub mod fsio;
pub mod kind;
pub mod manifest;
pub mod paint;
pub mod real;
pub mod split;
pub mod synth;

pub use jointscope_data::{DataError, DataSummary, Hand, Joint, Point, View};
pub use manifest::{Label, Manifest, ManifestRow};
