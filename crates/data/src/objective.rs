//! What a decision threshold is chosen to maximise: recorded by the trainer, carried in the export.
use serde::{Deserialize, Serialize};

/// The metric a threshold maximises on validation data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub enum Objective {
    F1,
    #[default]
    GMean,
}

impl Objective {
    pub const ALL: [Objective; 2] = [Objective::GMean, Objective::F1];

    /// The name in files and on the command line: `g-mean` or `f1`.
    pub fn name(self) -> &'static str {
        serde_variant::to_variant_name(&self).expect("a unit variant")
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Objective {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Objective::ALL.into_iter().find(|o| o.name() == s).ok_or_else(|| format!("unknown objective {s:?} (expected g-mean or f1)"))
    }
}
