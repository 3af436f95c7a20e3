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
use crate::fsio;
use crate::manifest::{self, Label, ManifestRow};
use image::{Rgb, RgbImage};
use jointscope_data::{DataError, Hand, Joint, Point, View};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A point or vector in hand units.
type V2 = (f32, f32);
/// A capsule (or a crease): two points, then two widths (or half-width and strength).
type Capsule = (V2, V2, f32, f32);
/// A round mark: centre, sigma, amount.
type Spot = (V2, f32, f32);

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

fn one() -> f32 {
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
    /// The generator as it was before the realism knobs (patient clustering, symmetry 0.6,
    /// favoured joints, patient-level healthy look, every sign visible).
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

/// One image to draw: who, which hand, and each joint's severity (0 = healthy).
#[derive(Debug, Clone)]
pub struct HandSpec {
    pub hand: Hand,
    pub view: View,
    /// Each joint's severity of inflammation: what its label says (inflamed when above 0).
    pub severity: [f32; Joint::COUNT],
    /// How much of each joint's severity shows in the photo: 1, or the occult visibility for an
    /// occult joint ([`Disease::occult_fraction`]).
    pub visible: [f32; Joint::COUNT],
    pub traits: PatientTraits,
}

impl HandSpec {
    /// A hand whose signs all show.
    pub fn new(hand: Hand, view: View, severity: [f32; Joint::COUNT], traits: PatientTraits) -> Self {
        HandSpec { hand, view, severity, visible: [1.0; Joint::COUNT], traits }
    }

    /// A healthy hand.
    pub fn healthy(hand: Hand, view: View, traits: PatientTraits) -> Self {
        Self::new(hand, view, [0.0; Joint::COUNT], traits)
    }
}

/// What stays the same across a patient's photos.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct PatientTraits {
    pub skin: [f32; 3],
    pub width: f32,
    pub knuckle_bulk: f32,
    pub knuckle_redness: f32,
    pub crease: f32,
    pub proportions: f32,
}

/// A drawn hand: the photo (before JPEG), its 21 MediaPipe-order landmarks in pixels, and which
/// pixels are hand.
pub struct Rendered {
    pub image: RgbImage,
    pub landmarks: [Point; 21],
    pub mask: Vec<bool>,
}

const SKIN_TONES: [[f32; 3]; 6] =
    [[236.0, 200.0, 176.0], [224.0, 174.0, 140.0], [198.0, 138.0, 104.0], [164.0, 110.0, 78.0], [124.0, 82.0, 58.0], [86.0, 56.0, 40.0]];

/// Relative chance of each joint being inflamed in an active patient (index = `Joint::index`).
const JOINT_WEIGHT: [f32; Joint::COUNT] = [0.6, 1.6, 1.5, 0.9, 0.8, 1.3, 1.3, 0.8, 0.7, 0.6, 1.4];

/// How inflammation is spread over a patient's joints and how much of it the photo shows. Each
/// field's default is the generator before these knobs existed (the `default` preset), so the
/// default benchmark is drawn exactly as before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Disease {
    /// Every joint of every hand inflamed independently with probability `prevalence`, the same
    /// for every joint (no active/inactive patients, no symmetry, no favoured joints): a cohort in
    /// which the rest of the hand says nothing about a joint. Overrides the next three fields.
    pub independent: bool,
    /// Fraction of patients with active disease (the others have no inflamed joint).
    pub active_fraction: f32,
    /// Chance that a joint inflamed on one hand is inflamed on the other (each hand keeps the
    /// prevalence; 0.6 by default).
    pub symmetry: f32,
    /// 0..1: how strongly a patient's disease burden b ~ U(0, 1) couples how many joints are
    /// inflamed (each joint's rate × (1 + c·(1.5·b − 0.75)), the same on average) and how severe
    /// they are (severity 0.35 + 0.65·((1 − c)·u + c·(b + u)/2), u ~ U(0, 1)). 0: independent.
    pub burden_coupling: f32,
    /// Fraction of inflamed joints that are occult: labelled inflamed, drawn with only
    /// `occult_visibility` of their signs (as synovitis that imaging finds and the eye misses).
    pub occult_fraction: f32,
    /// How much of an occult joint's severity shows (0: none).
    pub occult_visibility: f32,
}

impl Default for Disease {
    fn default() -> Self {
        Disease { independent: false, active_fraction: 0.45, symmetry: 0.6, burden_coupling: 0.0, occult_fraction: 0.0, occult_visibility: 0.1 }
    }
}

/// One patient's disease: per hand (right, left), each joint's severity and how much of it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientDisease {
    pub severity: [[f32; Joint::COUNT]; 2],
    pub visible: [[f32; Joint::COUNT]; 2],
}

/// Draw one patient's disease at `prevalence` (the expected fraction of inflamed joints).
pub fn sample_patient(rng: &mut impl Rng, prevalence: f32, d: &Disease) -> PatientDisease {
    let mut out = PatientDisease { severity: [[0.0; Joint::COUNT]; 2], visible: [[1.0; Joint::COUNT]; 2] };
    if d.independent {
        for h in 0..2 {
            for j in 0..Joint::COUNT {
                if rng.random::<f32>() < prevalence {
                    out.severity[h][j] = rng.random_range(0.35..1.0);
                }
            }
        }
    } else {
        let active = d.active_fraction.clamp(1e-3, 1.0);
        if rng.random::<f32>() >= active {
            return out;
        }
        let c = d.burden_coupling.clamp(0.0, 1.0);
        // Drawn only when coupled, so the uncoupled generator draws exactly as it always did.
        let burden: f32 = if c > 0.0 { rng.random() } else { 0.5 };
        let rate = 1.0 + c * (1.5 * burden - 0.75);
        let mean_w: f32 = JOINT_WEIGHT.iter().sum::<f32>() / Joint::COUNT as f32;
        for (j, weight) in JOINT_WEIGHT.iter().enumerate() {
            let q = (prevalence / (active * mean_w) * weight * rate).clamp(0.0, 0.95);
            let first = rng.random::<f32>() < q;
            let other_p = if first { d.symmetry } else { (q * (1.0 - d.symmetry) / (1.0 - q)).clamp(0.0, 1.0) };
            let second = rng.random::<f32>() < other_p;
            for (h, on) in [(0, first), (1, second)] {
                if on {
                    out.severity[h][j] = if c > 0.0 {
                        let u: f32 = rng.random();
                        0.35 + 0.65 * ((1.0 - c) * u + c * (burden + u) / 2.0)
                    } else {
                        rng.random_range(0.35..1.0)
                    };
                }
            }
        }
    }
    if d.occult_fraction > 0.0 {
        for h in 0..2 {
            for j in 0..Joint::COUNT {
                if out.severity[h][j] > 0.0 && rng.random::<f32>() < d.occult_fraction {
                    out.visible[h][j] = d.occult_visibility;
                }
            }
        }
    }
    out
}

/// Draw each joint's severity for the two hands of one patient, at `prevalence`, with the default
/// disease model.
pub fn sample_patient_severity(rng: &mut impl Rng, prevalence: f32) -> [[f32; Joint::COUNT]; 2] {
    sample_patient(rng, prevalence, &Disease::default()).severity
}

impl PatientTraits {
    pub fn sample(rng: &mut impl Rng) -> Self {
        let t = rng.random_range(0.0..(SKIN_TONES.len() - 1) as f32);
        let (i, f) = (t.floor() as usize, t.fract());
        let mut skin = [0.0; 3];
        for c in 0..3 {
            skin[c] = SKIN_TONES[i][c] * (1.0 - f) + SKIN_TONES[i + 1][c] * f;
        }
        Self {
            skin,
            width: rng.random_range(0.9..1.12),
            knuckle_bulk: rng.random_range(0.05..0.45),
            knuckle_redness: rng.random_range(0.0..0.45),
            crease: rng.random_range(0.12..0.35),
            proportions: rng.random_range(0.94..1.06),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Geometry in hand units: wrist at the origin, fingers towards -y, a right hand seen from the back
// (thumb towards -x). About 0.47 units from wrist to the middle finger's MCP.

struct Finger {
    base: (f32, f32),
    angle: f32,
    lengths: [f32; 3],
    radius: (f32, f32),
    bend: f32,
}

fn template(rng: &mut impl Rng, proportions: f32) -> [Finger; 5] {
    let spread = rng.random_range(0.6..1.5f32);
    let j = |rng: &mut ChaCha8Rng| rng.random_range(0.95..1.05f32);
    let mut r = ChaCha8Rng::seed_from_u64(rng.random());
    let deg = |d: f32| d.to_radians();
    [
        Finger { base: (-0.13, -0.10), angle: deg(-42.0) * spread.sqrt(), lengths: [0.17, 0.13 * j(&mut r), 0.11], radius: (0.054, 0.046), bend: deg(9.0) },
        Finger { base: (-0.15, -0.44), angle: deg(-9.0) * spread, lengths: [0.21 * j(&mut r), 0.12, 0.09], radius: (0.044, 0.036), bend: deg(1.0) },
        Finger { base: (-0.04, -0.47 * proportions), angle: deg(-2.0) * spread, lengths: [0.24 * j(&mut r), 0.14, 0.10], radius: (0.046, 0.037), bend: 0.0 },
        Finger { base: (0.07, -0.45), angle: deg(6.0) * spread, lengths: [0.22 * j(&mut r), 0.13, 0.09], radius: (0.042, 0.034), bend: deg(-1.0) },
        Finger { base: (0.17, -0.40), angle: deg(15.0) * spread, lengths: [0.17 * j(&mut r), 0.10, 0.08], radius: (0.036, 0.029), bend: deg(-2.0) },
    ]
}

/// The 21 landmarks of a template hand, in hand units.
fn landmarks_of(fingers: &[Finger; 5]) -> [(f32, f32); 21] {
    let mut lm = [(0.0, 0.0); 21];
    for (f, finger) in fingers.iter().enumerate() {
        let mut p = finger.base;
        let mut a = finger.angle;
        lm[1 + 4 * f] = p;
        for k in 0..3 {
            p = (p.0 + finger.lengths[k] * a.sin(), p.1 - finger.lengths[k] * a.cos());
            lm[2 + 4 * f + k] = p;
            a += finger.bend;
        }
    }
    lm
}

fn smin(a: f32, b: f32, k: f32) -> f32 {
    let h = (k - (a - b).abs()).max(0.0) / k;
    a.min(b) - h * h * k * 0.25
}

fn capsule(p: (f32, f32), a: (f32, f32), b: (f32, f32), ra: f32, rb: f32) -> (f32, f32) {
    let (bax, bay) = (b.0 - a.0, b.1 - a.1);
    let (pax, pay) = (p.0 - a.0, p.1 - a.1);
    let t = ((pax * bax + pay * bay) / (bax * bax + bay * bay)).clamp(0.0, 1.0);
    let (dx, dy) = (pax - bax * t, pay - bay * t);
    ((dx * dx + dy * dy).sqrt() - (ra + (rb - ra) * t), t)
}

fn polygon_sdf(p: (f32, f32), v: &[(f32, f32)]) -> f32 {
    let mut d = f32::MAX;
    let mut s = 1.0f32;
    let n = v.len();
    let mut j = n - 1;
    for i in 0..n {
        let (ex, ey) = (v[j].0 - v[i].0, v[j].1 - v[i].1);
        let (wx, wy) = (p.0 - v[i].0, p.1 - v[i].1);
        let t = ((wx * ex + wy * ey) / (ex * ex + ey * ey)).clamp(0.0, 1.0);
        let (bx, by) = (wx - ex * t, wy - ey * t);
        d = d.min(bx * bx + by * by);
        let c = [p.1 >= v[i].1, p.1 < v[j].1, ex * wy > ey * wx];
        if (c[0] && c[1] && c[2]) || (!c[0] && !c[1] && !c[2]) {
            s = -s;
        }
        j = i;
    }
    s * d.sqrt()
}

/// Per-pixel description of the hand in hand units.
struct HandShape {
    segments: Vec<Capsule>,
    palm: Vec<V2>,
    knuckles: Vec<(V2, f32)>,
    forearm: Capsule,
}

impl HandShape {
    fn sdf(&self, p: (f32, f32)) -> f32 {
        let mut d = polygon_sdf(p, &self.palm) - 0.03;
        let f = self.forearm;
        d = smin(d, capsule(p, f.0, f.1, f.2, f.3).0, 0.05);
        for s in &self.segments {
            d = smin(d, capsule(p, s.0, s.1, s.2, s.3).0, 0.025);
        }
        for (c, r) in &self.knuckles {
            let dk = ((p.0 - c.0).powi(2) + (p.1 - c.1).powi(2)).sqrt() - r;
            d = smin(d, dk, 0.02);
        }
        d
    }
}

fn hash2(x: i32, y: i32, seed: u32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x27d4_eb2d) ^ (y as u32).wrapping_mul(0x1656_67b1) ^ seed.wrapping_mul(0x9e37_79b9);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    (h & 0xFFFF) as f32 / 65535.0
}

/// Smooth value noise in 0..1 at frequency 1 per unit.
fn value_noise(x: f32, y: f32, seed: u32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (xi, yi) = (x0 as i32, y0 as i32);
    let a = hash2(xi, yi, seed) * (1.0 - sx) + hash2(xi + 1, yi, seed) * sx;
    let b = hash2(xi, yi + 1, seed) * (1.0 - sx) + hash2(xi + 1, yi + 1, seed) * sx;
    a * (1.0 - sy) + b * sy
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

struct Background {
    base: [f32; 3],
    second: [f32; 3],
    kind: u8,
    freq: f32,
    seed: u32,
    angle: f32,
}

impl Background {
    fn sample(rng: &mut impl Rng) -> Self {
        let base = [rng.random_range(30.0..235.0), rng.random_range(30.0..235.0), rng.random_range(30.0..235.0)];
        let k: f32 = rng.random_range(0.6..1.2);
        Self {
            base,
            second: [base[0] * k, base[1] * k, base[2] * k],
            kind: rng.random_range(0..4),
            freq: rng.random_range(2.0..12.0),
            seed: rng.random(),
            angle: rng.random_range(0.0..std::f32::consts::PI),
        }
    }

    fn at(&self, u: f32, v: f32) -> [f32; 3] {
        let t = match self.kind {
            0 => 0.0,
            1 => u * self.angle.cos() + v * self.angle.sin(),
            2 => {
                // Wood-like grain.
                let w = u * self.angle.cos() + v * self.angle.sin();
                0.5 + 0.5 * (w * self.freq * 6.0 + 3.0 * value_noise(u * 3.0, v * 3.0, self.seed)).sin()
            }
            _ => value_noise(u * self.freq, v * self.freq, self.seed) * 0.7 + value_noise(u * 40.0, v * 40.0, self.seed ^ 7) * 0.3,
        };
        let t = t.clamp(0.0, 1.0);
        [0, 1, 2].map(|c| self.base[c] * (1.0 - t) + self.second[c] * t)
    }
}

/// Exposure, lighting gradient, vignette and white balance of one photo.
struct Camera {
    exposure: f32,
    grad_dir: f32,
    grad_amt: f32,
    wb: [f32; 3],
}

impl Camera {
    fn sample(rng: &mut impl Rng) -> Self {
        let exposure: f32 = rng.random_range(0.75..1.15);
        let grad_dir: f32 = rng.random_range(0.0..std::f32::consts::TAU);
        let grad_amt: f32 = rng.random_range(0.0..0.3);
        let cast: f32 = rng.random_range(-0.08..0.08);
        Self { exposure, grad_dir, grad_amt, wb: [1.0 + cast, 1.0, 1.0 - cast] }
    }

    /// The recorded pixel for scene colour `col` at (u, v) in 0..1, with sensor noise.
    fn apply(&self, col: [f32; 3], u: f32, v: f32, noise_sigma: f32, rng: &mut impl Rng) -> [u8; 3] {
        let g = 1.0 + self.grad_amt * ((u - 0.5) * self.grad_dir.cos() + (v - 0.5) * self.grad_dir.sin());
        let vignette = 1.0 - 0.25 * ((u - 0.5).powi(2) + (v - 0.5).powi(2));
        [0, 1, 2].map(|c| {
            let noise = gaussian(rng) * noise_sigma;
            (col[c] * self.exposure * g * vignette * self.wb[c] + noise).clamp(0.0, 255.0) as u8
        })
    }
}

/// A photo with no hand in it, drawn like the hand photos (same backgrounds, lighting and noise),
/// with `blobs` skin-coloured shaded ellipses as hard negatives for a hand detector.
pub fn render_no_hand(size: u32, blobs: usize, rng: &mut ChaCha8Rng) -> RgbImage {
    let bg = Background::sample(rng);
    let camera = Camera::sample(rng);
    let noise_sigma: f32 = rng.random_range(1.5..7.0);
    // (centre, radii, angle, colour)
    let shapes: Vec<(V2, V2, f32, [f32; 3])> = (0..blobs)
        .map(|_| {
            let tone = SKIN_TONES[rng.random_range(0..SKIN_TONES.len())];
            let c = (rng.random_range(0.2..0.8), rng.random_range(0.2..0.8));
            let r = (rng.random_range(0.08..0.3), rng.random_range(0.05..0.15));
            (c, r, rng.random_range(0.0..std::f32::consts::PI), tone)
        })
        .collect();
    let s = size as f32;
    RgbImage::from_fn(size, size, |x, y| {
        let (u, v) = (x as f32 / s, y as f32 / s);
        let mut col = bg.at(u, v);
        for ((cx, cy), (ra, rb), a, tone) in &shapes {
            let (dx, dy) = (u - cx, v - cy);
            let (p, q) = ((dx * a.cos() + dy * a.sin()) / ra, (-dx * a.sin() + dy * a.cos()) / rb);
            let d = p * p + q * q;
            if d < 1.0 {
                let shade = 0.6 + 0.4 * (1.0 - d).sqrt();
                col = tone.map(|t| t * shade);
            }
        }
        Rgb(camera.apply(col, u, v, noise_sigma, rng))
    })
}

/// How a hand is drawn, beyond who it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Strength of the signs of inflammation ([`SynthConfig::signal`]).
    pub signal: f32,
    /// Weight of the patient's own level in each joint's healthy look ([`SynthConfig::patient_appearance`]).
    pub patient_appearance: f32,
}

/// Draw one hand photo of `size`×`size` pixels, the patient setting every joint's healthy look.
pub fn render_hand(spec: &HandSpec, size: u32, signal: f32, rng: &mut ChaCha8Rng) -> Rendered {
    render_hand_with(spec, size, &Look { signal, patient_appearance: 1.0 }, rng)
}

/// Draw one hand photo of `size`×`size` pixels.
pub fn render_hand_with(spec: &HandSpec, size: u32, look: &Look, rng: &mut ChaCha8Rng) -> Rendered {
    let fingers = template(rng, spec.traits.proportions);
    let lm_hand = landmarks_of(&fingers);
    let marks = Marks::draw(spec, look, &fingers, &lm_hand, rng);
    let pose = Pose::sample(spec, &lm_hand, size, rng);
    let landmarks = lm_hand.map(|p| {
        let (x, y) = to_px(p, pose.mirror, pose.scale, pose.angle, pose.cx, pose.cy);
        Point::new(x, y)
    });
    let (sdf, height) = fields(&marks, &pose, size);
    let (image, mask) = paint(Sketch { spec, fingers: &fingers, landmarks: &lm_hand, marks: &marks }, &pose, (&sdf, &height), size, rng);
    Rendered { image, landmarks, mask }
}

/// The hand's shape and, per joint, what is painted there: the knuckle bumps of the height field,
/// redness, and the creases over the joint, each from its natural level and its inflammation.
struct Marks {
    shape: HandShape,
    bumps: Vec<Spot>,      // centre, sigma, height
    redness: Vec<Spot>,    // centre, sigma, amount
    creases: Vec<Capsule>, // centre, axis, half-width, strength
}

impl Marks {
    fn draw(spec: &HandSpec, look: &Look, fingers: &[Finger], lm_hand: &[(f32, f32); 21], rng: &mut ChaCha8Rng) -> Marks {
        let signal = look.signal;
        let p = look.patient_appearance.clamp(0.0, 1.0);
        // A joint's healthy level: the patient's, or (p < 1) blended with a level of its own drawn from
        // the same range as patients' (drawn only then, so p = 1 draws exactly as before).
        let own = |rng: &mut ChaCha8Rng, patient: f32, range: std::ops::Range<f32>| {
            if p < 1.0 { p * patient + (1.0 - p) * rng.random_range(range) } else { patient }
        };
        let tr = spec.traits;
        let sev = |j: Joint| spec.severity[j.index()] * spec.visible[j.index()] * signal;

        // Shape: segments, palm, knuckles (natural bulk + swelling).
        let mut segments = Vec::new();
        let mut knuckles = Vec::new();
        let mut bumps: Vec<Spot> = Vec::new();
        let mut redness: Vec<Spot> = Vec::new();
        let mut creases: Vec<Capsule> = Vec::new();
        let per_joint = |rng: &mut ChaCha8Rng, lo: f32, hi: f32| rng.random_range(lo..hi);
        for (f, finger) in fingers.iter().enumerate() {
            let (r0, r1) = (finger.radius.0 * tr.width, finger.radius.1 * tr.width);
            // The finger's three bones, tapering from r0 to r1.
            segments.extend((0..3).map(|k| {
                let (a, b) = (lm_hand[1 + 4 * f + k], lm_hand[2 + 4 * f + k]);
                (a, b, r0 + (r1 - r0) * k as f32 / 3.0, r0 + (r1 - r0) * (k + 1) as f32 / 3.0)
            }));
            // Joints along this finger: for the thumb MCP (lm 2) and IP (lm 3); else MCP, PIP, DIP.
            let joints: [(usize, Option<Joint>); 3] = if f == 0 {
                [(2, Some(Joint::Mcp1)), (3, Some(Joint::Ip)), (1, None)]
            } else {
                let mcp = [Joint::Mcp2, Joint::Mcp3, Joint::Mcp4, Joint::Mcp5][f - 1];
                let pip = [Joint::Pip2, Joint::Pip3, Joint::Pip4, Joint::Pip5][f - 1];
                [(1 + 4 * f, Some(mcp)), (2 + 4 * f, Some(pip)), (3 + 4 * f, None)]
            };
            for (li, joint) in joints {
                if f == 0 && li == 1 {
                    continue;
                }
                let c = lm_hand[li];
                let k = (li - 1) % 4;
                let r = r0 + (r1 - r0) * (k as f32 / 3.0).min(1.0);
                let s = joint.map(sev).unwrap_or(0.0);
                let bulk = own(rng, tr.knuckle_bulk, 0.05..0.45) * per_joint(rng, 0.7, 1.3);
                let is_mcp = k == 0 && f > 0;
                // Natural knuckle: a slight widening; inflamed: a larger one.
                knuckles.push((c, r * (1.0 + 0.10 * bulk + 0.28 * s)));
                bumps.push((c, r * if is_mcp { 1.1 } else { 0.85 }, r * (0.5 * bulk + 0.9 * s)));
                let red = own(rng, tr.knuckle_redness, 0.0..0.45);
                redness.push((c, r * 1.2, red * per_joint(rng, 0.4, 1.6) * 0.5 + 0.55 * s));
                let dir = lm_hand[(li + 1).min(4 * f + 4)];
                let axis = ((dir.0 - c.0), (dir.1 - c.1));
                let n = (axis.0 * axis.0 + axis.1 * axis.1).sqrt().max(1e-6);
                let crease = own(rng, tr.crease, 0.12..0.35);
                creases.push((c, (axis.0 / n, axis.1 / n), r * 0.75, crease * per_joint(rng, 0.7, 1.3) * (1.0 - 0.9 * s.min(1.0))));
            }
        }
        let wrist_s = sev(Joint::Wrist);
        let w0 = lm_hand[0];
        let wrist_bulk = own(rng, tr.knuckle_bulk, 0.05..0.45);
        bumps.push(((w0.0, w0.1 - 0.02), 0.07, 0.03 * wrist_bulk + 0.05 * wrist_s));
        let wrist_red = own(rng, tr.knuckle_redness, 0.0..0.45);
        redness.push(((w0.0, w0.1 - 0.02), 0.08, wrist_red * per_joint(rng, 0.2, 0.8) * 0.4 + 0.5 * wrist_s));
        let forearm_r = 0.125 * tr.width;
        let forearm = ((0.0, -0.02), (0.0, 0.9), forearm_r * (1.0 + 0.16 * wrist_s), forearm_r * 1.12);
        let palm = palm_outline(tr.width, lm_hand);
        let shape = HandShape { segments, palm, knuckles, forearm };
        Marks { shape, bumps, redness, creases }
    }
}

/// The palm's outline in hand units: from the wrist round the knuckles MCP2…MCP5 and back.
fn palm_outline(width: f32, lm_hand: &[(f32, f32); 21]) -> Vec<(f32, f32)> {
    let (m2, m5) = (lm_hand[5], lm_hand[17]);
    vec![
        (-0.12 * width, 0.02),
        (-0.17 * width, -0.16),
        (m2.0 - 0.035, m2.1 + 0.04),
        m2,
        lm_hand[9],
        lm_hand[13],
        m5,
        (m5.0 + 0.03, m5.1 + 0.07),
        (0.14 * width, -0.1),
        (0.12 * width, 0.02),
    ]
}

/// Where the hand lies in the photo: hand units to pixels, mirrored for a left back or right palm.
struct Pose {
    mirror: bool,
    scale: f32,
    angle: f32,
    cx: f32,
    cy: f32,
    /// `angle.sin_cos()`, for the per-pixel mapping.
    sin_cos: (f32, f32),
}

impl Pose {
    /// A random scale, rotation and centre that keep every landmark inside the photo.
    fn sample(spec: &HandSpec, lm_hand: &[(f32, f32); 21], size: u32, rng: &mut ChaCha8Rng) -> Pose {
        let s_img = size as f32;
        let mirror = (spec.hand == Hand::Left) ^ (spec.view == View::Palmar);
        loop {
            let scale = s_img * rng.random_range(0.55..0.8) / 0.95;
            let angle = rng.random_range(-25.0f32..25.0).to_radians();
            let cx = s_img * (0.5 + rng.random_range(-0.08..0.08));
            let cy = s_img * (0.5 + rng.random_range(-0.06..0.1));
            let ok = lm_hand.iter().all(|&(x, y)| {
                let (px, py) = to_px((x, y), mirror, scale, angle, cx, cy);
                px > 0.04 * s_img && px < 0.96 * s_img && py > 0.04 * s_img && py < 0.96 * s_img
            });
            if ok {
                return Pose { mirror, scale, angle, cx, cy, sin_cos: angle.sin_cos() };
            }
        }
    }

    /// A pixel position in hand units.
    fn to_hand(&self, px: f32, py: f32) -> (f32, f32) {
        let (sa, ca) = self.sin_cos;
        let (dx, dy) = ((px - self.cx) / self.scale, (py - self.cy) / self.scale);
        let (hx, hy) = (dx * ca + dy * sa, -dx * sa + dy * ca);
        (if self.mirror { -hx } else { hx }, hy - 0.45)
    }
}

/// The signed distance to the hand's outline and the skin's height (the knuckle bumps on a
/// rounded body), on the pixel grid.
fn fields(marks: &Marks, pose: &Pose, size: u32) -> (Vec<f32>, Vec<f32>) {
    let n = size as usize;
    let mut sdf = vec![0.0f32; n * n];
    let mut height = vec![0.0f32; n * n];
    for y in 0..n {
        for x in 0..n {
            let p = pose.to_hand(x as f32 + 0.5, y as f32 + 0.5);
            let d = marks.shape.sdf(p);
            sdf[y * n + x] = d;
            if d < 0.02 {
                let depth = (-d).max(0.0);
                let mut h = (depth / 0.05).min(1.0).sqrt() * 0.05;
                for (c, sg, a) in &marks.bumps {
                    let r2 = (p.0 - c.0).powi(2) + (p.1 - c.1).powi(2);
                    h += a * (-r2 / (2.0 * sg * sg)).exp();
                }
                height[y * n + x] = h;
            }
        }
    }
    (sdf, height)
}

/// How much each channel of the skin takes of the nail's tint, and that tint.
const NAIL: [f32; 3] = [0.55, 0.45, 0.45];
const NAIL_TINT: [f32; 3] = [235.0, 205.0, 195.0];

impl Marks {
    /// The sum of the joints' redness at hand point `p`.
    fn redness_at(&self, p: (f32, f32)) -> f32 {
        let mut red = 0.0f32;
        for (c, sg, a) in &self.redness {
            let r2 = (p.0 - c.0).powi(2) + (p.1 - c.1).powi(2);
            red += a * (-r2 / (2.0 * sg * sg)).exp();
        }
        red
    }

    /// How dark the creases make hand point `p`: three thin lines per crease, fading across the finger.
    fn crease_darkness_at(&self, p: (f32, f32)) -> f32 {
        let mut dark = 0.0f32;
        for (c, axis, half, strength) in &self.creases {
            let (dx, dy) = (p.0 - c.0, p.1 - c.1);
            let along = dx * axis.0 + dy * axis.1;
            let across = -dx * axis.1 + dy * axis.0;
            if across.abs() > *half || along.abs() > 0.05 {
                continue;
            }
            let w = 1.0 - (across / half).powi(2);
            for t0 in [-0.012f32, 0.0, 0.012] {
                let t = along - t0 - 6.0 * across * across;
                dark += strength * w * (-t * t / (2.0 * 0.0025f32.powi(2))).exp();
            }
        }
        dark
    }
}

/// How many fingertips' nails (an ellipse on the back of the last bone) cover hand point `p`.
fn nails_at(p: (f32, f32), fingers: &[Finger], lm_hand: &[(f32, f32); 21], width: f32) -> usize {
    (0..5)
        .filter(|&f| {
            let tip = lm_hand[4 + 4 * f];
            let dip = lm_hand[3 + 4 * f];
            let (ax, ay) = (tip.0 - dip.0, tip.1 - dip.1);
            let len = (ax * ax + ay * ay).sqrt();
            let (ux, uy) = (ax / len, ay / len);
            let (dx, dy) = (p.0 - tip.0, p.1 - tip.1);
            let along = dx * ux + dy * uy + 0.35 * len;
            let across = -dx * uy + dy * ux;
            let r = fingers[f].radius.1 * width * 0.7;
            (along / (0.33 * len)).powi(2) + (across / r).powi(2) < 1.0
        })
        .count()
}

/// The hand to paint, in hand units: what it is, its fingers, its landmarks and its marks.
#[derive(Clone, Copy)]
struct Sketch<'a> {
    spec: &'a HandSpec,
    fingers: &'a [Finger],
    landmarks: &'a [(f32, f32); 21],
    marks: &'a Marks,
}

/// Paint the photo: a background with the hand's shadow, the skin shaded from the height field,
/// reddened and creased per joint, nails on the back, then the camera's response and noise.
fn paint(hand: Sketch, pose: &Pose, (sdf, height): (&[f32], &[f32]), size: u32, rng: &mut ChaCha8Rng) -> (RgbImage, Vec<bool>) {
    let Sketch { spec, fingers, landmarks: lm_hand, marks } = hand;
    let tr = spec.traits;
    let s_img = size as f32;
    let n = size as usize;
    // Colours.
    let bg = Background::sample(rng);
    let light = {
        let a: f32 = rng.random_range(0.0..std::f32::consts::TAU);
        let z: f32 = rng.random_range(0.6..1.2);
        let l = (a.cos(), a.sin(), z);
        let m = (l.0 * l.0 + l.1 * l.1 + l.2 * l.2).sqrt();
        (l.0 / m, l.1 / m, l.2 / m)
    };
    let camera = Camera::sample(rng);
    let shadow_off = (rng.random_range(-0.04..0.04) * s_img, rng.random_range(0.0..0.05) * s_img);
    let shadow_amt: f32 = rng.random_range(0.15..0.45);
    let noise_sigma: f32 = rng.random_range(1.5..7.0);
    let px_per_unit = pose.scale;

    let mut image = RgbImage::new(size, size);
    let mut mask = vec![false; n * n];
    for y in 0..n {
        for x in 0..n {
            let i = y * n + x;
            let (u, v) = (x as f32 / s_img, y as f32 / s_img);
            let d = sdf[i];
            let cover = 1.0 - smoothstep(-0.7, 0.7, d * px_per_unit);
            mask[i] = d < 0.0;
            // Background with a soft shadow of the hand.
            let mut back = bg.at(u, v);
            let (sx, sy) = ((x as f32 - shadow_off.0) as isize, (y as f32 - shadow_off.1) as isize);
            if sx >= 0 && sy >= 0 && (sx as usize) < n && (sy as usize) < n {
                let sd = sdf[sy as usize * n + sx as usize];
                let sh = 1.0 - smoothstep(-0.02, 0.03, sd);
                for b in back.iter_mut() {
                    *b *= 1.0 - shadow_amt * sh;
                }
            }
            let mut col = back;
            if cover > 0.0 {
                let p = pose.to_hand(x as f32 + 0.5, y as f32 + 0.5);
                let hx = height[y * n + (x + 1).min(n - 1)] - height[y * n + x.saturating_sub(1)];
                let hy = height[(y + 1).min(n - 1) * n + x] - height[y.saturating_sub(1) * n + x];
                let k = px_per_unit / 2.0;
                let (nx, ny, nz) = (-hx * k, -hy * k, 1.0);
                let m = (nx * nx + ny * ny + nz * nz).sqrt();
                let lambert = ((nx * light.0 + ny * light.1 + nz * light.2) / m).max(0.0);
                let shade = 0.45 + 0.6 * lambert;
                let mut skin = tr.skin;
                let red = marks.redness_at(p);
                skin[0] *= 1.0 + 0.22 * red;
                skin[1] *= 1.0 - 0.20 * red;
                skin[2] *= 1.0 - 0.16 * red;
                let dark = if spec.view == View::Dorsal || spec.view == View::Palmar { marks.crease_darkness_at(p) } else { 0.0 };
                // Nails on the back of the fingertips (tinted once per nail that covers the point).
                let nails = if spec.view == View::Dorsal { nails_at(p, fingers, lm_hand, tr.width) } else { 0 };
                for _ in 0..nails {
                    for c in 0..3 {
                        skin[c] = skin[c] * (1.0 - NAIL[c]) + NAIL_TINT[c] * NAIL[c];
                    }
                }
                let hand_col = [0, 1, 2].map(|c| skin[c] * shade * (1.0 - dark.min(0.6)));
                col = [0, 1, 2].map(|c| hand_col[c] * cover + back[c] * (1.0 - cover));
            }
            image.put_pixel(x as u32, y as u32, Rgb(camera.apply(col, u, v, noise_sigma, rng)));
        }
    }
    (image, mask)
}

fn to_px(p: (f32, f32), mirror: bool, scale: f32, angle: f32, cx: f32, cy: f32) -> (f32, f32) {
    let x = if mirror { -p.0 } else { p.0 };
    let y = p.1 + 0.45;
    let (s, c) = angle.sin_cos();
    (cx + scale * (x * c - y * s), cy + scale * (x * s + y * c))
}

fn gaussian(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.random_range(1e-7..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// Encode as JPEG at `quality`.
pub fn to_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).expect("JPEG encoding into memory cannot fail");
    out
}

/// Everything about one generated image, drawn from the config's seed and the image's index alone
/// (so generation can run in parallel and still be deterministic).
struct Job {
    name: String,
    patient: String,
    /// Part of the healthy-only pool rather than the labelled cohort.
    healthy: bool,
    spec: HandSpec,
    seed: u64,
}

fn plan(config: &SynthConfig) -> Vec<Job> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut jobs = Vec::new();
    for p in 0..config.patients {
        let patient = format!("p{:04}", p + 1);
        let traits = PatientTraits::sample(&mut rng);
        let disease = sample_patient(&mut rng, config.prevalence, &config.disease);
        for (h, hand) in [(0, Hand::Right), (1, Hand::Left)] {
            let view = if rng.random::<f32>() < config.palmar_fraction { View::Palmar } else { View::Dorsal };
            jobs.push(Job {
                name: format!("{patient}_{}", hand.code()),
                patient: patient.clone(),
                healthy: false,
                spec: HandSpec { hand, view, severity: disease.severity[h], visible: disease.visible[h], traits },
                seed: rng.random(),
            });
        }
    }
    for i in 0..config.healthy_images {
        let traits = PatientTraits::sample(&mut rng);
        let hand = if rng.random::<bool>() { Hand::Right } else { Hand::Left };
        let view = if rng.random::<f32>() < config.palmar_fraction { View::Palmar } else { View::Dorsal };
        let patient = format!("h{:05}", i + 1);
        jobs.push(Job { name: format!("{patient}_{}", hand.code()), patient, healthy: true, spec: HandSpec::healthy(hand, view, traits), seed: rng.random() });
    }
    jobs
}

/// Draw and JPEG-encode one planned image.
fn make(job: &Job, config: &SynthConfig) -> (Vec<u8>, [Point; 21]) {
    let mut rng = ChaCha8Rng::seed_from_u64(job.seed);
    let look = Look { signal: config.signal, patient_appearance: config.patient_appearance };
    let r = render_hand_with(&job.spec, config.image_size, &look, &mut rng);
    let (lo, hi) = (config.jpeg_quality.0.min(config.jpeg_quality.1), config.jpeg_quality.0.max(config.jpeg_quality.1));
    let q = rng.random_range(lo..=hi).clamp(1, 100);
    (to_jpeg(&r.image, q), r.landmarks)
}

/// Paint every job into `images_dir` on up to 8 threads; each job's landmarks or write error, in job order.
fn render_all(jobs: &[Job], config: &SynthConfig, images_dir: &Path, progress: &(dyn Fn(usize, usize) + Sync)) -> Vec<Result<[Point; 21], DataError>> {
    let werr = |p: &Path, e: &dyn std::fmt::Display| DataError::Write { path: p.into(), reason: e.to_string() };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    std::thread::scope(|s| {
        let chunks: Vec<_> = (0..threads)
            .map(|t| {
                let done = &done;
                s.spawn(move || {
                    let mut out = Vec::new();
                    for (i, job) in jobs.iter().enumerate().filter(|(i, _)| i % threads == t) {
                        let (bytes, lm) = make(job, config);
                        let path = images_dir.join(format!("{}.jpg", job.name));
                        let r = std::fs::write(&path, bytes).map(|_| lm).map_err(|e| werr(&path, &e));
                        out.push((i, r));
                        progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, jobs.len());
                    }
                    out
                })
            })
            .collect();
        let mut all: Vec<(usize, Result<[Point; 21], DataError>)> = chunks.into_iter().flat_map(|h| h.join().expect("generator thread panicked")).collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    })
}

/// Generate the benchmark into `out`: `images/`, `manifest.csv` (the labelled cohort),
/// `healthy.csv` (healthy-only pool for pretraining), `landmarks.csv` (all 21 true landmarks),
/// `severity.csv` (true severities) and `synth.json`. `progress` is called after each image.
pub fn generate(config: &SynthConfig, out: &Path, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<SynthSummary, DataError> {
    config.validate()?;
    let werr = |p: &Path, e: &dyn std::fmt::Display| DataError::Write { path: p.into(), reason: e.to_string() };
    let images_dir = out.join("images");
    std::fs::create_dir_all(&images_dir).map_err(|e| werr(&images_dir, &e))?;
    let jobs = plan(config);
    let results = render_all(&jobs, config, &images_dir, progress);

    let mut labelled = Vec::new();
    let mut healthy = Vec::new();
    let mut lm_rows = String::from("image,landmark,x,y\n");
    let mut sev_rows = String::from("image,joint,severity,visible\n");
    let mut line = (1usize, 1usize);
    let mut hide = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5eed);
    for (job, lm) in jobs.iter().zip(results) {
        let lm = lm?;
        let image = format!("images/{}.jpg", job.name);
        let is_healthy = job.healthy;
        for (k, p) in lm.iter().enumerate() {
            lm_rows.push_str(&format!("{image},{k},{:.2},{:.2}\n", p.x, p.y));
        }
        for j in Joint::ALL {
            let s = job.spec.severity[j.index()];
            if !is_healthy {
                sev_rows.push_str(&format!("{image},{},{s:.3},{:.3}\n", j.name(), job.spec.visible[j.index()]));
            }
            let counter = if is_healthy { &mut line.1 } else { &mut line.0 };
            *counter += 1;
            let row = ManifestRow {
                line: *counter,
                image: image.clone(),
                patient_id: job.patient.clone(),
                hand: job.spec.hand,
                view: job.spec.view,
                joint: j,
                label: if !is_healthy && hide.random::<f32>() < config.hidden_labels {
                    Label::Unknown
                } else if s > 0.0 {
                    Label::Inflamed
                } else {
                    Label::Healthy
                },
                point: Some(lm[j.landmark()]),
            };
            if is_healthy { healthy.push(row) } else { labelled.push(row) }
        }
    }
    let manifest_path = out.join("manifest.csv");
    manifest::write(&manifest_path, &labelled)?;
    manifest::write(&out.join("healthy.csv"), &healthy)?;
    for (name, body) in [("landmarks.csv", &lm_rows), ("severity.csv", &sev_rows)] {
        fsio::write_atomic(&out.join(name), body.as_bytes())?;
    }
    let summary = SynthSummary {
        config: config.clone(),
        images: config.patients * 2,
        joints: labelled.len(),
        inflamed: labelled.iter().filter(|r| r.label == Label::Inflamed).count(),
        unlabelled: labelled.iter().filter(|r| r.label == Label::Unknown).count(),
        healthy_images: config.healthy_images,
        manifest_sha256: fsio::sha256_file(&manifest_path)?,
    };
    // Written last: a folder with this file holds a complete benchmark.
    fsio::write_atomic(&out.join(SUMMARY_FILE), serde_json::to_string_pretty(&summary).expect("summary serialises").as_bytes())?;
    Ok(summary)
}
