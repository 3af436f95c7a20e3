//! Patient-level splits: every image of a patient lands in the same split, and patients with and
//! without an inflamed joint are spread over the splits in proportion (stratified), from a seed.
use crate::manifest::{ImageEntry, Label};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Fractions of patients for validation and test; the rest train.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    pub valid: f32,
    pub test: f32,
    pub seed: u64,
}

impl Default for SplitSpec {
    fn default() -> Self {
        Self { valid: 0.2, test: 0.2, seed: 0 }
    }
}

/// Patient ids per split.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub train: BTreeSet<String>,
    pub valid: BTreeSet<String>,
    pub test: BTreeSet<String>,
}

/// Which part of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    Train,
    Valid,
    Test,
}

impl Split {
    /// The part a patient belongs to, if any.
    pub fn part_of(&self, patient: &str) -> Option<Part> {
        if self.train.contains(patient) {
            Some(Part::Train)
        } else if self.valid.contains(patient) {
            Some(Part::Valid)
        } else if self.test.contains(patient) {
            Some(Part::Test)
        } else {
            None
        }
    }

    /// The patients of one part.
    pub fn patients(&self, part: Part) -> &BTreeSet<String> {
        match part {
            Part::Train => &self.train,
            Part::Valid => &self.valid,
            Part::Test => &self.test,
        }
    }
}

/// Split the patients of `images` by patient, stratified on "has any inflamed joint".
/// Each non-empty stratum gives at least one patient to validation and test when it has three or more.
pub fn split_patients(images: &[ImageEntry], spec: SplitSpec) -> Split {
    let mut positive: BTreeMap<&str, bool> = BTreeMap::new();
    for e in images {
        let any = e.joints.iter().any(|(_, l, _)| *l == Label::Inflamed);
        *positive.entry(e.patient_id.as_str()).or_insert(false) |= any;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut split = Split::default();
    for stratum in [true, false] {
        let mut ids: Vec<&str> = positive.iter().filter(|(_, p)| **p == stratum).map(|(k, _)| *k).collect();
        ids.shuffle(&mut rng);
        let n = ids.len();
        let mut n_test = (n as f32 * spec.test).round() as usize;
        let mut n_valid = (n as f32 * spec.valid).round() as usize;
        if n >= 3 {
            n_test = n_test.max(usize::from(spec.test > 0.0));
            n_valid = n_valid.max(usize::from(spec.valid > 0.0));
        }
        n_test = n_test.min(n);
        n_valid = n_valid.min(n - n_test);
        for (i, id) in ids.into_iter().enumerate() {
            let set = if i < n_test {
                &mut split.test
            } else if i < n_test + n_valid {
                &mut split.valid
            } else {
                &mut split.train
            };
            set.insert(id.to_string());
        }
    }
    split
}
