//! The real-photo benchmark's folder: base photos found and landmarked with MediaPipe, the ones
//! that cannot serve listed with the reason, then painted by [`jointscope_dataset::real`], and a
//! contact sheet of the signs for a person to look at.
use anyhow::{Context, bail};
use burn::tensor::Device;
use image::RgbImage;
use jointscope_data::{Hand, Joint, Point};
use jointscope_dataset::paint::{self, Signs};
use jointscope_dataset::real::{self, BasePhoto, RealConfig, RealSummary};
use jointscope_detect::quality;
use jointscope_landmarks::{Complexity, HandLandmarker, Options};
use jointscope_train::locate::pick_hand;
use jointscope_train::progress::Progress;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where the base photos are and who is in them.
#[derive(Debug, Clone)]
pub struct BaseSource {
    /// A folder of photos (jpg, jpeg, png, in it and below it).
    pub photos: PathBuf,
    /// 11K Hands' `HandInfo.csv` (columns `id`, `aspectOfHand` such as "dorsal right", `imageName`):
    /// subjects, sides and which photos show the back. Without it every photo is its own subject,
    /// MediaPipe says which hand it is, and the landmarks say which side faces the camera.
    pub subjects: Option<PathBuf>,
    pub models: PathBuf,
}

/// What the subjects file says of one photo.
#[derive(Debug, Clone, PartialEq)]
struct Info {
    subject: String,
    hand: Hand,
    dorsal: bool,
}

/// Read 11K Hands' `HandInfo.csv`: image name → subject, hand and side.
fn read_subjects(path: &Path) -> anyhow::Result<HashMap<String, Info>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = r.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).with_context(|| format!("{} has no column {name}", path.display()));
    let (id, aspect, name) = (col("id")?, col("aspectOfHand")?, col("imageName")?);
    let mut out = HashMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{} line {}", path.display(), i + 2))?;
        let a = rec.get(aspect).unwrap_or("").to_ascii_lowercase();
        let hand = if a.contains("right") {
            Hand::Right
        } else if a.contains("left") {
            Hand::Left
        } else {
            continue;
        };
        let info = Info { subject: rec.get(id).unwrap_or("").to_string(), hand, dorsal: a.contains("dorsal") };
        out.insert(rec.get(name).unwrap_or("").to_string(), info);
    }
    Ok(out)
}

/// Read 11K Hands' `HandInfo.csv`: image name → subject, for every photo it lists.
pub fn subject_of_images(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    Ok(read_subjects(path)?.into_iter().map(|(name, info)| (name, info.subject)).collect())
}

/// Base photos that can serve, and those left out with the reason (sorted by file name).
pub struct Bases {
    pub photos: Vec<BasePhoto>,
    pub excluded: Vec<(PathBuf, String)>,
}

/// Find the 21 landmarks on every photo of `source` and keep the backs of hands. A photo is left
/// out, with its reason, when the subjects file does not list it or calls it a palm, when it cannot
/// be read, when MediaPipe finds no hand, or when the landmarks show the palm facing the camera.
pub fn find_bases(source: &BaseSource, device: &Device, progress: &dyn Progress) -> anyhow::Result<Bases> {
    let info = source.subjects.as_deref().map(read_subjects).transpose()?;
    let marker = HandLandmarker::from_dir(&source.models, Complexity::Full, device, Options::default())
        .context("loading the MediaPipe hand models (run scripts/fetch-models.sh, or pass --models)")?;
    let files = jointscope_train::locate::photos_in(&source.photos)?;
    if files.is_empty() {
        bail!("{} holds no photo (jpg, jpeg or png)", source.photos.display());
    }
    let mut bases = Bases { photos: Vec::new(), excluded: Vec::new() };
    progress.start("finding hands", files.len() as u64);
    for path in files {
        progress.step("");
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let listed = info.as_ref().map(|m| m.get(&name).cloned());
        match base_photo(&marker, &path, listed) {
            Ok(b) => bases.photos.push(b),
            Err(reason) => bases.excluded.push((path, reason)),
        }
    }
    progress.finish();
    Ok(bases)
}

/// One photo as a base, or why it cannot be one. `listed`: `None` without a subjects file,
/// `Some(None)` when the file does not list the photo.
fn base_photo(marker: &HandLandmarker, path: &Path, listed: Option<Option<Info>>) -> Result<BasePhoto, String> {
    let info = match listed {
        Some(None) => return Err("not in the subjects file".into()),
        Some(Some(i)) if !i.dorsal => return Err("the palm (subjects file)".into()),
        Some(Some(i)) => Some(i),
        None => None,
    };
    let img = jointscope_data::image_io::load_rgb(path).map_err(|e| format!("unreadable: {e}"))?;
    let hands = marker.detect_blocking(&img).map_err(|e| format!("landmarks failed: {e}"))?;
    let wanted = info.as_ref().map(|i| i.hand).or_else(|| hands.first().map(|h| h.handedness)).unwrap_or(Hand::Right);
    let (hand, _) = pick_hand(&hands, wanted).ok_or("no hand found")?;
    let side = quality::back_of_hand(hand, false);
    if side < 0.0 {
        return Err(format!("the palm faces the camera by the landmarks (back-of-hand {side:.2})"));
    }
    let landmarks: [Point; 21] = std::array::from_fn(|k| Point::new(hand.landmarks[k][0], hand.landmarks[k][1]));
    let subject = info.as_ref().map(|i| i.subject.clone()).unwrap_or_else(|| path.file_stem().unwrap_or_default().to_string_lossy().to_string());
    Ok(BasePhoto { path: path.to_path_buf(), subject, hand: info.map(|i| i.hand).unwrap_or(wanted), landmarks })
}

/// What [`prepare`] did.
pub enum Prepared {
    Reused(RealSummary),
    Generated(RealSummary),
}

impl Prepared {
    pub fn summary(&self) -> &RealSummary {
        match self {
            Prepared::Reused(s) | Prepared::Generated(s) => s,
        }
    }
}

/// Files [`prepare`] writes into the folder besides `images/` (the contact sheet among them).
pub const OUTPUT_FILES: [&str; 9] =
    ["manifest.csv", "test.csv", "landmarks.csv", "severity.csv", "photos.csv", "excluded.csv", CONTACT_SHEET, "base.json", real::SUMMARY_FILE];

/// File name of the contact sheet.
pub const CONTACT_SHEET: &str = "contact-sheet.png";

/// Paint the benchmark of `config` on the photos of `source` into `dir`, or reuse it when `dir`
/// already holds it for the same photos and settings. A non-empty folder without `real.json` is
/// refused, never cleared; an older benchmark in it is replaced file by file (its images only).
pub fn prepare(dir: &Path, source: &BaseSource, config: &RealConfig, device: &Device, progress: &dyn Progress) -> anyhow::Result<Prepared> {
    let key = serde_json::json!({ "photos": source.photos, "subjects": source.subjects, "config": config });
    let summary_path = dir.join(real::SUMMARY_FILE);
    if summary_path.is_file() {
        let same = std::fs::read(dir.join("base.json")).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()) == Some(key.clone());
        if same {
            return Ok(Prepared::Reused(jointscope_train::run::read_json(&summary_path)?));
        }
        remove_output(dir)?;
    } else if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        bail!("{} is not empty and holds no {}: choose another folder", dir.display(), real::SUMMARY_FILE);
    }
    let bases = find_bases(source, device, progress)?;
    let mut excluded = String::from("photo,reason\n");
    for (p, why) in &bases.excluded {
        excluded.push_str(&format!("{},\"{}\"\n", p.display(), why.replace('"', "'")));
    }
    jointscope_dataset::fsio::write_atomic(&dir.join("excluded.csv"), excluded.as_bytes())?;
    progress.start("painting", (bases.photos.len() * config.visits) as u64);
    let summary = real::generate(&bases.photos, config, dir, &|_, _| progress.step(""));
    progress.finish();
    let summary = summary?;
    let sheet = contact_sheet(&bases.photos[0], config.max_side)?;
    sheet.save(dir.join(CONTACT_SHEET)).with_context(|| format!("writing {}", dir.join(CONTACT_SHEET).display()))?;
    jointscope_dataset::fsio::write_atomic(&dir.join("base.json"), key.to_string().as_bytes())?;
    Ok(Prepared::Generated(summary))
}

/// Remove what [`prepare`] wrote into `dir` (the files it names and the images its manifest lists),
/// `real.json` last.
fn remove_output(dir: &Path) -> anyhow::Result<()> {
    for list in ["manifest.csv", "test.csv"] {
        let Ok(mut r) = csv::Reader::from_path(dir.join(list)) else { continue };
        let images: std::collections::BTreeSet<String> = r.records().flatten().filter_map(|rec| rec.get(0).map(String::from)).collect();
        for image in images.iter().filter(|i| i.starts_with("images/") && !i.contains("..") && i.ends_with(".jpg")) {
            let _ = std::fs::remove_file(dir.join(image));
        }
    }
    for f in OUTPUT_FILES {
        match std::fs::remove_file(dir.join(f)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e).with_context(|| format!("removing {}", dir.join(f).display())),
            _ => {}
        }
    }
    let _ = std::fs::remove_dir(dir.join("images"));
    Ok(())
}

/// The joints of the contact sheet (rows) and the amplitudes (columns).
pub const SHEET_JOINTS: [Joint; 5] = [Joint::Mcp2, Joint::Mcp3, Joint::Pip3, Joint::Ip, Joint::Wrist];
pub const SHEET_AMPLITUDES: [f32; 5] = [0.0, 0.35, 0.6, 0.8, 1.0];

/// A grid of one photo's joints (rows: [`SHEET_JOINTS`]) painted at each amplitude (columns:
/// [`SHEET_AMPLITUDES`], 0 = healthy), each cell the joint's surroundings (one hand scale wide)
/// at 192 px. A joint whose crop leaves the photo is shown grey.
pub fn contact_sheet(base: &BasePhoto, max_side: u32) -> anyhow::Result<RgbImage> {
    const CELL: u32 = 192;
    let (img, lm) = real::load_scaled(base, max_side)?;
    let (w, h) = img.dimensions();
    let inside = real::joints_inside(&lm, w, h);
    let scale = lm[0].dist(lm[9]).max(8.0);
    let mut sheet = RgbImage::from_pixel(CELL * SHEET_AMPLITUDES.len() as u32, CELL * SHEET_JOINTS.len() as u32, image::Rgb([128, 128, 128]));
    for (row, joint) in SHEET_JOINTS.iter().enumerate() {
        if !inside[joint.index()] {
            continue;
        }
        for (col, &a) in SHEET_AMPLITUDES.iter().enumerate() {
            let mut amp = [0.0; Joint::COUNT];
            amp[joint.index()] = a;
            let painted = paint::paint(&img, &lm, &amp, (0.5, 0.5), &Signs::default());
            let c = lm[joint.landmark()];
            let (x0, y0) = ((c.x - scale / 2.0).max(0.0) as u32, (c.y - scale / 2.0).max(0.0) as u32);
            let side = (scale as u32).min(w - x0).min(h - y0).max(1);
            let cell = image::imageops::crop_imm(&painted, x0, y0, side, side).to_image();
            let cell = image::imageops::resize(&cell, CELL, CELL, image::imageops::FilterType::Triangle);
            image::imageops::replace(&mut sheet, &cell, (col as u32 * CELL) as i64, (row as u32 * CELL) as i64);
        }
    }
    Ok(sheet)
}
