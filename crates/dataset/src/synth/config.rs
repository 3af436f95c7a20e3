//! What the generator is asked for and what it wrote: the configuration and its presets, the
//! summary, the files of a benchmark folder.
use super::*;
use jointscope_data::DataError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Generator settings. The defaults are the shipped benchmark.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SynthConfig {
    /// Patients in the labelled cohort (each photographed left and right).
    pub patients: usize,
    /// Images of healthy hands, unlabelled use (self-supervised pretraining).
    pub healthy_images: usize,
    /// Target fraction of inflamed joints in the labelled cohort.
    pub prevalence: f32,
    /// Side of the square photos in pixels.
    pub image_size: u32,
    /// Strength of the inflammation signs (lower is harder). The benchmark's 1.5 was set after the
    /// 3-seed ablation at 1.0 left the full method at F1 0.18 with most runs never leaving the
    /// prior in 16 epochs; at 1.5 a local model still reaches only F1 ≈ 0.4 (pilot split).
    pub signal: f32,
    /// Fraction of photos taken palm-up.
    pub palmar_fraction: f32,
    /// JPEG quality range.
    pub jpeg_quality: (u8, u8),
    /// Fraction of the cohort's joint labels written as `unknown` (for pseudo-labelling); the
    /// truth stays in `severity.csv`.
    #[serde(default)]
    pub hidden_labels: f32,
    /// How inflammation is spread over joints and how much of it shows.
    #[serde(default)]
    pub disease: Disease,
    /// 0..1: weight of the patient's own level in each joint's healthy look (knuckle bulk,
    /// redness, creases). 1: the patient sets it and each joint varies around it (±30 % bulk and
    /// creases, ±60 % redness), so the other joints show what this patient's healthy joints look
    /// like; 0: every joint's level is drawn on its own and the rest of the hand says nothing.
    #[serde(default = "one")]
    pub patient_appearance: f32,
    pub seed: u64,
}

pub(crate) fn one() -> f32 {
    1.0
}

/// The benchmark's three cohorts, fixed before any ablation ran on them (README: "The synthetic
/// benchmark").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Joints inflamed independently and uniformly, every joint's healthy look its own, nothing
    /// occult: the rest of the hand carries no information about a joint, so context cannot help.
    Control,
    /// The benchmark's own settings (patient clustering, symmetry 0.6, favoured joints,
    /// patient-level healthy look, every sign visible): seed 7 draws the published benchmark.
    Default,
    /// Burden-coupled (more inflamed joints come with more severe ones), more symmetric (0.8) and
    /// with 30 % of inflamed joints occult (10 % of their signs visible).
    RaLike,
    /// The `default` cohort's labels with nothing drawn (signal 0): a model trained on it must stay
    /// at chance, or the photos reveal the labels some other way than by the signs.
    Null,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Control, Preset::Default, Preset::RaLike, Preset::Null];

    /// The name in files and on the command line (serde's): `control`, `default`, `ra-like`, `null`.
    pub fn name(self) -> &'static str {
        serde_variant::to_variant_name(&self).expect("a unit variant")
    }

    /// The generator settings of this preset (seed 7, 120 patients, 400 healthy photos, signal 1.5).
    pub fn config(self) -> SynthConfig {
        let base = SynthConfig::default();
        match self {
            Preset::Default => base,
            Preset::Control => SynthConfig { disease: Disease { independent: true, ..Disease::default() }, patient_appearance: 0.0, ..base },
            Preset::RaLike => SynthConfig {
                disease: Disease { symmetry: 0.8, burden_coupling: 1.0, occult_fraction: 0.3, occult_visibility: 0.1, ..Disease::default() },
                ..base
            },
            Preset::Null => SynthConfig { signal: 0.0, ..base },
        }
    }
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            patients: 120,
            healthy_images: 400,
            prevalence: 0.08,
            image_size: 320,
            signal: 1.5,
            palmar_fraction: 0.0,
            jpeg_quality: (60, 95),
            hidden_labels: 0.0,
            disease: Disease::default(),
            patient_appearance: 1.0,
            seed: 7,
        }
    }
}

impl SynthConfig {
    /// Refuse settings the generator cannot draw, naming the one at fault.
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |what: String| Err(DataError::Settings(what));
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        if self.patients == 0 {
            return bad("the synthetic cohort needs at least one patient".into());
        }
        if !(96..=4096).contains(&self.image_size) {
            return bad(format!("image size {} is outside 96..4096", self.image_size));
        }
        let d = &self.disease;
        for (name, v, ok) in [
            ("prevalence", self.prevalence, (0.0..=0.9).contains(&self.prevalence)),
            ("signal", self.signal, (0.0..=5.0).contains(&self.signal)),
            ("palmar fraction", self.palmar_fraction, unit(self.palmar_fraction)),
            ("hidden labels", self.hidden_labels, (0.0..1.0).contains(&self.hidden_labels)),
            ("active fraction", d.active_fraction, d.active_fraction > 0.0 && d.active_fraction <= 1.0),
            ("symmetry", d.symmetry, unit(d.symmetry)),
            ("burden coupling", d.burden_coupling, unit(d.burden_coupling)),
            ("occult fraction", d.occult_fraction, unit(d.occult_fraction)),
            ("occult visibility", d.occult_visibility, unit(d.occult_visibility)),
            ("patient appearance", self.patient_appearance, unit(self.patient_appearance)),
        ] {
            if !ok {
                return bad(format!("{name} {v} is out of range (prevalence 0..0.9, signal 0..5, hidden labels 0..<1, the rest 0..1)"));
            }
        }
        Ok(())
    }
}

/// What a generator run wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SynthSummary {
    pub config: SynthConfig,
    pub images: usize,
    pub joints: usize,
    pub inflamed: usize,
    /// Joints whose label was hidden.
    #[serde(default)]
    pub unlabelled: usize,
    pub healthy_images: usize,
    /// SHA-256 of the `manifest.csv` written with this summary: a manifest whose bytes match was made
    /// by the generator (see [`provenance`]).
    #[serde(default)]
    pub manifest_sha256: String,
}

/// File name of the summary the generator writes beside its manifest.
pub const SUMMARY_FILE: &str = "synth.json";

/// Files the generator writes beside `images/`.
pub const OUTPUT_FILES: [&str; 5] = ["manifest.csv", "healthy.csv", "landmarks.csv", "severity.csv", SUMMARY_FILE];

/// Remove a benchmark the generator wrote into `dir` — the files it names and the images its two
/// manifests list — and nothing else: whatever else is in the folder stays. Fails (removing
/// nothing) unless `dir` holds the generator's summary.
pub fn remove_output(dir: &Path) -> Result<(), DataError> {
    let summary = dir.join(SUMMARY_FILE);
    if !summary.is_file() {
        return Err(DataError::Write { path: dir.into(), reason: format!("no {SUMMARY_FILE}: not a benchmark the generator wrote") });
    }
    let rm = |p: &Path| match std::fs::remove_file(p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DataError::Write { path: p.into(), reason: e.to_string() }),
        _ => Ok(()),
    };
    for list in ["manifest.csv", "healthy.csv"] {
        let Ok(mut r) = csv::Reader::from_path(dir.join(list)) else { continue };
        let mut images = std::collections::BTreeSet::new();
        for rec in r.records().flatten() {
            if let Some(image) = rec.get(0) {
                images.insert(image.to_string());
            }
        }
        for image in images {
            // Only the generator's own names: images/<name>.jpg, nothing outside the folder.
            let inside = image.starts_with("images/") && !image.contains("..") && image.ends_with(".jpg");
            if inside {
                rm(&dir.join(&image))?;
            }
        }
    }
    // Summary last: until it is gone, a retry finds the folder still marked as the generator's.
    for f in OUTPUT_FILES.iter().filter(|f| **f != SUMMARY_FILE).chain(std::iter::once(&SUMMARY_FILE)) {
        rm(&dir.join(f))?;
    }
    let _ = std::fs::remove_dir(dir.join("images")); // only when empty
    Ok(())
}
