//! `jointscope locate`: fill in joint positions (x, y) for a manifest whose rows name joints only,
//! with MediaPipe's hand landmarks (crates/landmarks), writing them back into the manifest.
use crate::progress::Progress;
use anyhow::{Context, bail};
use burn::tensor::Device;
use jointscope_data::{Hand, Joint, Point, image_io};
use jointscope_dataset::manifest;
use jointscope_landmarks::{Complexity, DetectedHand, HandLandmarker, Options};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What `locate` should do.
#[derive(Debug, Clone)]
pub struct LocateConfig {
    pub manifest: PathBuf,
    /// Where to write the completed manifest; `None` writes it back in place (the original is kept
    /// once as `<name>.orig.csv`).
    pub out: Option<PathBuf>,
    /// Replace positions that are already filled in, too.
    pub overwrite: bool,
    /// The photos are mirror images (front-camera selfies): swaps the model's left/right.
    pub mirrored: bool,
    pub complexity: Complexity,
    pub models: PathBuf,
}

/// Outcome for one photo.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoResult {
    /// Positions written for this many rows, from a hand of this handedness and presence.
    Located { rows: usize, handedness: Hand, presence: f32, side_matches: bool },
    /// Every row already had a position (and `overwrite` was off).
    AlreadyLocated,
    /// The landmark pipeline found no hand.
    NoHand,
    /// The photo could not be read or processed.
    Failed(String),
}

/// What `locate` did, per photo (sorted by image path) and in total.
#[derive(Debug, Clone)]
pub struct LocateSummary {
    pub written: PathBuf,
    pub photos: BTreeMap<String, PhotoResult>,
    pub rows_filled: usize,
    pub rows_without_position: usize,
}

impl LocateSummary {
    /// Photos where no hand was found or that failed.
    pub fn unlocated(&self) -> impl Iterator<Item = (&String, &PhotoResult)> {
        self.photos.iter().filter(|(_, r)| matches!(r, PhotoResult::NoHand | PhotoResult::Failed(_)))
    }
}

/// The detected hand to use for a photo the manifest says shows `side`: the most confident hand of
/// that handedness, else (handedness can be wrong on unusual photos) the most confident hand.
pub fn pick_hand(hands: &[DetectedHand], side: Hand) -> Option<(&DetectedHand, bool)> {
    hands.iter().find(|h| h.handedness == side).map(|h| (h, true)).or_else(|| hands.first().map(|h| (h, false)))
}

/// Runs the landmark pipeline over every photo of the manifest that has rows without a position and
/// writes the joint positions back. The manifest must validate (apart from the missing positions).
pub fn locate(config: &LocateConfig, device: &Device, progress: &dyn Progress) -> anyhow::Result<LocateSummary> {
    let report = manifest::validate(&config.manifest)?;
    if !report.problems.is_empty() {
        let first: Vec<String> = report.problems.iter().take(20).map(|p| format!("{}:{p}", config.manifest.display())).collect();
        bail!(
            "{}\n{} has {} problem(s); fix them first (`jointscope validate` lists them all)",
            first.join("\n"),
            config.manifest.display(),
            report.problems.len()
        );
    }
    let marker = HandLandmarker::from_dir(&config.models, config.complexity, device, Options { mirrored: config.mirrored, ..Options::default() })
        .context("loading the MediaPipe hand models (run scripts/fetch-models.sh, or pass --models)")?;
    let root = config.manifest.parent().unwrap_or(Path::new(".")).to_path_buf();

    // Rows per photo, by their line in the file.
    let mut photos: BTreeMap<String, Vec<&manifest::ManifestRow>> = BTreeMap::new();
    for r in &report.rows {
        photos.entry(r.image.clone()).or_default().push(r);
    }
    progress.start("locating", photos.len() as u64);
    let mut positions: HashMap<usize, Point> = HashMap::new();
    let mut results = BTreeMap::new();
    for (image, rows) in &photos {
        progress.step("");
        if !config.overwrite && rows.iter().all(|r| r.point.is_some()) {
            results.insert(image.clone(), PhotoResult::AlreadyLocated);
            continue;
        }
        let found = image_io::load_rgb(&manifest::resolve(&root, image))
            .map_err(|e| e.to_string())
            .and_then(|img| marker.detect_blocking(&img).map(|h| (h, img.dimensions())).map_err(|e| e.to_string()));
        let result = match found {
            Err(e) => PhotoResult::Failed(e),
            Ok((hands, (w, h))) => match pick_hand(&hands, rows[0].hand) {
                None => PhotoResult::NoHand,
                Some((hand, side_matches)) => {
                    let joints: HashMap<Joint, Point> = hand.joints().into_iter().collect();
                    let mut n = 0;
                    for r in rows.iter().filter(|r| config.overwrite || r.point.is_none()) {
                        let p = joints[&r.joint];
                        // Clamp into the photo: a landmark may fall just outside the frame.
                        let p = Point::new(p.x.clamp(0.0, (w - 1) as f32), p.y.clamp(0.0, (h - 1) as f32));
                        positions.insert(r.line, p);
                        n += 1;
                    }
                    PhotoResult::Located { rows: n, handedness: hand.handedness, presence: hand.presence, side_matches }
                }
            },
        };
        results.insert(image.clone(), result);
    }
    progress.finish();
    let written = config.out.clone().unwrap_or_else(|| config.manifest.clone());
    if written == config.manifest {
        let backup = config.manifest.with_extension("orig.csv");
        if !backup.exists() {
            std::fs::copy(&config.manifest, &backup).with_context(|| format!("keeping the original as {}", backup.display()))?;
        }
    }
    rewrite(&config.manifest, &written, &positions)?;
    let rows_without_position = report.rows.iter().filter(|r| r.point.is_none() && !positions.contains_key(&r.line)).count();
    Ok(LocateSummary { written, photos: results, rows_filled: positions.len(), rows_without_position })
}

/// Copies the manifest CSV record by record (every column kept, extra ones included), setting x, y
/// on the given lines; adds x, y columns when the file has none. Written atomically.
fn rewrite(from: &Path, to: &Path, positions: &HashMap<usize, Point>) -> anyhow::Result<()> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_path(from).with_context(|| format!("reading {}", from.display()))?;
    let mut headers = rdr.headers()?.clone();
    let col = |h: &csv::StringRecord, name: &str| h.iter().position(|c| c.trim().eq_ignore_ascii_case(name));
    if col(&headers, "x").is_none() {
        headers.push_field("x");
    }
    if col(&headers, "y").is_none() {
        headers.push_field("y");
    }
    let (cx, cy) = (col(&headers, "x").expect("added"), col(&headers, "y").expect("added"));
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    w.write_record(&headers)?;
    for rec in rdr.records() {
        let rec = rec?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let mut fields: Vec<String> = rec.iter().map(str::to_string).collect();
        fields.resize(fields.len().max(headers.len()), String::new());
        if let Some(p) = positions.get(&line) {
            fields[cx] = format!("{:.1}", p.x);
            fields[cy] = format!("{:.1}", p.y);
        }
        w.write_record(&fields)?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("writing {}: {e}", to.display()))?;
    Ok(jointscope_dataset::fsio::write_atomic(to, &bytes)?)
}

/// What [`manifest_from_photos`] found.
#[derive(Debug, Clone)]
pub struct PhotoFolder {
    /// The manifest written.
    pub written: PathBuf,
    pub photos: usize,
    /// Photos in which MediaPipe found a hand (one row per joint of its most confident hand).
    pub with_hand: usize,
    /// Photos that could not be read, with why.
    pub failed: Vec<(PathBuf, String)>,
}

/// Image files (jpg, jpeg, png) in `dir` and its subfolders, sorted.
pub fn photos_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading the folder {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| ["jpg", "jpeg", "png"].contains(&e.to_ascii_lowercase().as_str())) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A manifest of unlabelled rows for the photos under `dir`, so they can be used without one
/// (e.g. for pretraining): MediaPipe's most confident hand in each photo gives its 11 joints, label
/// `unknown`, the photo's path below `dir` as the patient. Written to `out`, a new file.
pub fn manifest_from_photos(
    dir: &Path,
    out: &Path,
    models: &Path,
    complexity: Complexity,
    device: &Device,
    progress: &dyn Progress,
) -> anyhow::Result<PhotoFolder> {
    if out.exists() {
        bail!("{} exists already: not overwriting it", out.display());
    }
    let files = photos_in(dir)?;
    if files.is_empty() {
        bail!("{} holds no .jpg, .jpeg or .png photos", dir.display());
    }
    let marker = HandLandmarker::from_dir(models, complexity, device, Options::default())
        .context("loading the MediaPipe hand models (run scripts/fetch-models.sh, or pass --models)")?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["image", "patient_id", "hand", "view", "joint", "label", "x", "y"])?;
    let (mut with_hand, mut failed) = (0, Vec::new());
    progress.start("finding hands", files.len() as u64);
    for path in &files {
        progress.step("");
        let img = match image_io::load_rgb(path) {
            Ok(img) => img,
            Err(e) => {
                failed.push((path.clone(), e.to_string()));
                continue;
            }
        };
        let hands = marker.detect_blocking(&img).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let Some(hand) = hands.first() else { continue };
        with_hand += 1;
        let abs = std::fs::canonicalize(path)?;
        let patient = path.strip_prefix(dir).unwrap_or(path).display().to_string();
        // The back of the hand faces the camera when the fingers appear in the order of its side
        // (jointscope_detect::quality::back_of_hand).
        let view = if jointscope_detect::quality::back_of_hand(hand, false) >= 0.0 { "dorsal" } else { "palmar" };
        let (wd, ht) = img.dimensions();
        for (joint, p) in hand.joints() {
            let (x, y) = (p.x.clamp(0.0, (wd - 1) as f32), p.y.clamp(0.0, (ht - 1) as f32));
            w.write_record([
                abs.display().to_string(),
                patient.clone(),
                hand.handedness.code().into(),
                view.into(),
                joint.name().into(),
                "unknown".into(),
                format!("{x:.2}"),
                format!("{y:.2}"),
            ])?;
        }
    }
    progress.finish();
    if with_hand == 0 {
        bail!("MediaPipe found a hand in none of the {} photos under {}", files.len(), dir.display());
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    crate::run::write_atomic(out, &w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(PhotoFolder { written: out.to_path_buf(), photos: files.len(), with_hand, failed })
}
