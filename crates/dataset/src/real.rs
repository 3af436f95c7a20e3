//! A benchmark whose hands are real and whose signs are simulated: real photos of healthy hands,
//! each painted ([`crate::paint`]) with a disease drawn per subject and visit by the drawn
//! benchmark's disease model ([`crate::synth::sample_patient`]), written in the manifest format the
//! trainer reads. The landmarks come with the photos ([`BasePhoto`]); finding them (MediaPipe) is
//! the caller's job, so this crate needs no model.
use crate::fsio;
use crate::manifest::{self, Label, ManifestRow};
use crate::paint::{self, Signs};
use crate::synth::{Disease, Preset, sample_patient, to_jpeg};
use image::RgbImage;
use jointscope_data::geometry::{self, CropBox};
use jointscope_data::{DataError, Hand, Joint, Point, View, image_io};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One real photo of the back of a hand, with its 21 landmarks in the photo's own pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct BasePhoto {
    pub path: PathBuf,
    /// Who the hand belongs to: the photo set's subject (a patient of the benchmark).
    pub subject: String,
    pub hand: Hand,
    pub landmarks: [Point; 21],
}

/// The benchmark's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealConfig {
    /// The disease model's preset this config was made from (its name, for the record).
    pub preset: String,
    /// Expected fraction of inflamed joints among the joints in the photo.
    pub prevalence: f32,
    /// Strength of the painted signs (0: labels drawn, nothing painted).
    pub signal: f32,
    pub disease: Disease,
    /// Times each photo is painted, each time as a new visit with its own disease draw.
    pub visits: usize,
    /// Photos are scaled down (never up) so their longer side is at most this.
    pub max_side: u32,
    pub jpeg_quality: u8,
    pub seed: u64,
    /// Subjects set aside as the fixed test set (`test.csv`); the others go to `manifest.csv`.
    pub test_subjects: usize,
    /// Seed of the draw of the test subjects.
    pub test_seed: u64,
}

impl RealConfig {
    /// The drawn benchmark's preset on real photos: its disease model and prevalence, signal 1
    /// (0 for `null`), two visits, photos at most 800 px, JPEG quality 92, seed 7, 20 test subjects
    /// drawn with seed 1007.
    pub fn from_preset(preset: Preset) -> Self {
        let c = preset.config();
        RealConfig {
            preset: preset.name().into(),
            prevalence: c.prevalence,
            signal: if c.signal == 0.0 { 0.0 } else { 1.0 },
            disease: c.disease,
            visits: 2,
            max_side: 800,
            jpeg_quality: 92,
            seed: c.seed,
            test_subjects: 20,
            test_seed: 1007,
        }
    }

    /// Refuse settings that cannot make a benchmark, naming the one at fault.
    pub fn validate(&self) -> Result<(), DataError> {
        let bad = |what: String| Err(DataError::Settings(what));
        if self.visits == 0 || self.visits > 100 {
            return bad(format!("visits {} is outside 1..100", self.visits));
        }
        if !(96..=4096).contains(&self.max_side) {
            return bad(format!("max side {} is outside 96..4096", self.max_side));
        }
        if !(0.0..=0.9).contains(&self.prevalence) || !(0.0..=5.0).contains(&self.signal) {
            return bad(format!("prevalence {} (0..0.9) or signal {} (0..5) out of range", self.prevalence, self.signal));
        }
        if !(1..=100).contains(&self.jpeg_quality) {
            return bad(format!("JPEG quality {} is outside 1..100", self.jpeg_quality));
        }
        Ok(())
    }
}

/// The test subjects: the sorted distinct subjects, shuffled by `ChaCha8Rng(test_seed)`, the first
/// `test_subjects` of them. Fails when that would leave no subject to train on.
pub fn test_subjects(bases: &[BasePhoto], config: &RealConfig) -> Result<Vec<String>, DataError> {
    use rand::seq::SliceRandom;
    let mut all: Vec<String> = bases.iter().map(|b| b.subject.clone()).collect();
    all.sort_unstable();
    all.dedup();
    if config.test_subjects >= all.len() && config.test_subjects > 0 {
        return Err(DataError::Settings(format!("{} test subjects asked for, but the photos show only {} subjects", config.test_subjects, all.len())));
    }
    all.shuffle(&mut ChaCha8Rng::seed_from_u64(config.test_seed));
    all.truncate(config.test_subjects);
    all.sort_unstable();
    Ok(all)
}

/// What a run wrote (`real.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RealSummary {
    pub config: RealConfig,
    pub base_photos: usize,
    pub subjects: usize,
    pub images: usize,
    /// Joints in the manifest, inflamed among them, and those labelled `unknown` because their crop
    /// leaves the photo.
    pub joints: usize,
    pub inflamed: usize,
    pub outside: usize,
    /// The fixed test set's subjects (their rows are in `test.csv`, not in `manifest.csv`).
    pub test: Vec<String>,
    pub manifest_sha256: String,
}

/// File name of the summary written beside the manifest.
pub const SUMMARY_FILE: &str = "real.json";

/// One image to paint: which photo, as which visit, with what disease.
struct Job {
    name: String,
    base: usize,
    visit: usize,
    severity: [f32; Joint::COUNT],
    visible: [f32; Joint::COUNT],
    seed: u64,
}

/// A stable number for a subject's name (FNV-1a), so a subject's disease does not depend on which
/// other subjects are in the set or in what order.
fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default().replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
}

/// Every image to paint: per subject and visit one disease draw, shared by all that subject's
/// photos of that visit (a right hand takes the draw's right hand, a left hand its left).
fn plan(bases: &[BasePhoto], config: &RealConfig) -> Vec<Job> {
    let mut jobs = Vec::new();
    for visit in 0..config.visits {
        for (i, b) in bases.iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ name_hash(&b.subject) ^ (visit as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let d = sample_patient(&mut rng, config.prevalence, &config.disease);
            let h = if b.hand == Hand::Right { 0 } else { 1 };
            let mut own = ChaCha8Rng::seed_from_u64(config.seed ^ name_hash(&format!("{}#{visit}", stem(&b.path))));
            jobs.push(Job {
                name: format!("{}_v{}_{}", stem(Path::new(&b.subject)), visit + 1, stem(&b.path)),
                base: i,
                visit: visit + 1,
                severity: d.severity[h],
                visible: d.visible[h],
                seed: own.random(),
            });
        }
    }
    jobs
}

/// Read a base photo and scale it (and its landmarks) so the longer side is at most `max_side`.
pub fn load_scaled(b: &BasePhoto, max_side: u32) -> Result<(RgbImage, [Point; 21]), DataError> {
    let img = image_io::load_rgb(&b.path)?;
    let (w, h) = img.dimensions();
    let long = w.max(h);
    if long <= max_side {
        return Ok((img, b.landmarks));
    }
    let k = max_side as f32 / long as f32;
    let (nw, nh) = (((w as f32 * k).round() as u32).max(1), ((h as f32 * k).round() as u32).max(1));
    let small = image::imageops::resize(&img, nw, nh, image::imageops::FilterType::Triangle);
    let (kx, ky) = (nw as f32 / w as f32, nh as f32 / h as f32);
    Ok((small, b.landmarks.map(|p| Point::new(p.x * kx, p.y * ky))))
}

/// Whether a joint's crop lies wholly inside a `w`×`h` photo.
pub fn crop_inside(c: &CropBox, w: u32, h: u32) -> bool {
    let r = c.side / 2.0;
    c.center.x - r >= 0.0 && c.center.y - r >= 0.0 && c.center.x + r <= w as f32 && c.center.y + r <= h as f32
}

/// Each joint's crop at the landmarks (the trainer's rule), and whether it lies inside the photo.
pub fn joints_inside(lm: &[Point; 21], w: u32, h: u32) -> [bool; Joint::COUNT] {
    let joints: Vec<(Joint, Point)> = Joint::ALL.iter().map(|&j| (j, lm[j.landmark()])).collect();
    let scale = geometry::hand_scale(&joints, w, h);
    Joint::ALL.map(|j| crop_inside(&geometry::joint_crop(lm[j.landmark()], scale), w, h))
}

/// A painted image: its JPEG bytes, landmarks in its pixels, and which joints are inside.
struct Painted {
    jpeg: Vec<u8>,
    landmarks: [Point; 21],
    inside: [bool; Joint::COUNT],
    size: (u32, u32),
}

fn make(job: &Job, bases: &[BasePhoto], config: &RealConfig) -> Result<Painted, DataError> {
    let (img, lm) = load_scaled(&bases[job.base], config.max_side)?;
    let (w, h) = img.dimensions();
    let inside = joints_inside(&lm, w, h);
    let amplitude: [f32; Joint::COUNT] = std::array::from_fn(|j| if inside[j] { job.severity[j] * job.visible[j] * config.signal } else { 0.0 });
    let mut rng = ChaCha8Rng::seed_from_u64(job.seed);
    let offset = (rng.random::<f32>(), rng.random::<f32>());
    let painted = paint::paint(&img, &lm, &amplitude, offset, &Signs::default());
    Ok(Painted { jpeg: to_jpeg(&painted, config.jpeg_quality), landmarks: lm, inside, size: (w, h) })
}

/// Paint `jobs` on up to 8 threads, writing each image into `images`; results in job order.
fn paint_all(
    jobs: &[Job],
    bases: &[BasePhoto],
    config: &RealConfig,
    images: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Result<Painted, DataError>> {
    crate::fsio::parallel_map(jobs, progress, |job| {
        let path = images.join(format!("{}.jpg", job.name));
        make(job, bases, config).and_then(|p| {
            std::fs::write(&path, &p.jpeg).map_err(|e| DataError::Write { path: path.clone(), reason: e.to_string() })?;
            Ok(Painted { jpeg: Vec::new(), ..p })
        })
    })
}

/// Paint the benchmark into `out`: `images/`, `manifest.csv` (every joint of every image of the
/// subjects not in the test set; a joint whose crop leaves the photo is `unknown` and never
/// painted; a landmark beyond the photo's edge is clamped into it, as `jointscope locate` does), `test.csv` (the same for the test subjects), `severity.csv` (true severity and
/// visibility), `landmarks.csv` (MediaPipe's 21, in the written image's pixels), `photos.csv`
/// (which base photo and visit each image is) and `real.json`. `progress` is called per image.
pub fn generate(bases: &[BasePhoto], config: &RealConfig, out: &Path, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<RealSummary, DataError> {
    config.validate()?;
    if bases.is_empty() {
        return Err(DataError::Settings("no base photo to paint (none had a hand found on its back)".into()));
    }
    let images = out.join("images");
    std::fs::create_dir_all(&images).map_err(|e| DataError::Write { path: images.clone(), reason: e.to_string() })?;
    let test = test_subjects(bases, config)?;
    let jobs = plan(bases, config);
    let mut names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(DataError::Settings(format!("two base photos of one subject share the name {} (without extension)", w[0])));
    }
    let painted = paint_all(&jobs, bases, config, &images, progress);
    let mut rows = Vec::new();
    let (mut lm_rows, mut sev_rows) = (String::from("image,landmark,x,y\n"), String::from("image,joint,severity,visible,inside\n"));
    let mut photo_rows = String::from("image,base_photo,subject,visit\n");
    let (mut outside, mut line) = (0, 1);
    for (job, p) in jobs.iter().zip(painted) {
        let p = p?;
        let b = &bases[job.base];
        let image = format!("images/{}.jpg", job.name);
        photo_rows.push_str(&format!("{image},{},{},{}\n", csv_field(&b.path.display().to_string()), csv_field(&b.subject), job.visit));
        for (k, q) in p.landmarks.iter().enumerate() {
            lm_rows.push_str(&format!("{image},{k},{:.2},{:.2}\n", q.x, q.y));
        }
        for j in Joint::ALL {
            let (s, inside) = (job.severity[j.index()], p.inside[j.index()]);
            sev_rows.push_str(&format!("{image},{},{s:.3},{:.3},{}\n", j.name(), job.visible[j.index()], inside as u8));
            outside += !inside as usize;
            line += 1;
            let label = if !inside {
                Label::Unknown
            } else if s > 0.0 {
                Label::Inflamed
            } else {
                Label::Healthy
            };
            // A landmark MediaPipe puts beyond the photo's edge is clamped into it, as `locate` does.
            let q = p.landmarks[j.landmark()];
            let point = Some(Point::new(q.x.clamp(0.0, (p.size.0 - 1) as f32), q.y.clamp(0.0, (p.size.1 - 1) as f32)));
            rows.push(ManifestRow { line, image: image.clone(), patient_id: b.subject.clone(), hand: b.hand, view: View::Dorsal, joint: j, label, point });
        }
    }
    let manifest_path = out.join("manifest.csv");
    let (test_rows, rows): (Vec<ManifestRow>, Vec<ManifestRow>) = rows.into_iter().partition(|r| test.binary_search(&r.patient_id).is_ok());
    manifest::write(&manifest_path, &rows)?;
    if !test.is_empty() {
        manifest::write(&out.join("test.csv"), &test_rows)?;
    }
    for (name, body) in [("landmarks.csv", &lm_rows), ("severity.csv", &sev_rows), ("photos.csv", &photo_rows)] {
        fsio::write_atomic(&out.join(name), body.as_bytes())?;
    }
    let mut subjects: Vec<&str> = bases.iter().map(|b| b.subject.as_str()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let summary = RealSummary {
        config: config.clone(),
        base_photos: bases.len(),
        subjects: subjects.len(),
        images: jobs.len(),
        joints: rows.len() + test_rows.len(),
        inflamed: rows.iter().chain(&test_rows).filter(|r| r.label == Label::Inflamed).count(),
        outside,
        test,
        manifest_sha256: fsio::sha256_file(&manifest_path)?,
    };
    fsio::write_atomic(&out.join(SUMMARY_FILE), serde_json::to_string_pretty(&summary).expect("summary serialises").as_bytes())?;
    Ok(summary)
}

/// A CSV field, quoted when it holds a comma or a quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
