//! A synthetic hand-photo generator whose ground truth is known.
//!
//! Hands are drawn from signed distance fields (palm, forearm, five fingers with tapered
//! phalanges, knuckles) and shaded from a height field, on varied backgrounds with a cast shadow,
//! lighting gradients, white-balance casts, sensor noise and JPEG compression. Pose (rotation,
//! scale, position, finger spread), skin tone, knuckle prominence, natural knuckle redness and
//! crease strength vary per patient and per image.
//!
//! Inflammation is *subtle* and graded: at an inflamed joint the soft tissue widens, the knuckle
//! bulges (a shading change), the skin reddens and the knuckle creases fade, each in proportion to
//! a severity in 0.35..1 times [`SynthConfig::signal`]. Healthy knuckles vary naturally in redness
//! and bulk from person to person, so a single crop is ambiguous and the rest of the hand is
//! informative. Disease clusters in patients (polyarticular, roughly symmetric between hands),
//! with per-joint rates that favour MCP2–3, PIP2–3 and the wrist, as in RA.
mod config;
mod disease;
mod generate;
mod patient;
mod render;
mod scene;
mod shape;

pub use config::*;
pub use disease::*;
pub use generate::*;
pub use patient::*;
pub use render::*;
pub use scene::*;
use shape::*;
