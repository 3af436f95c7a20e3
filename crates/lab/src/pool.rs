//! The pretraining pool of real hand photos: every photo of a folder (and its subfolders), in a
//! fixed shuffled order, landmarked with MediaPipe once and cached, so a pool of the first `n`
//! hands found is a prefix of every larger one (the scale curve's pools are nested) and an
//! interrupted location resumes. Photos of a benchmark's test subjects are left out by their 11K
//! Hands image name (`Hand_0000123`, also inside a renamed copy's name).
use anyhow::Context;
use burn::tensor::Device;
use jointscope_data::View;
use jointscope_landmarks::{Complexity, HandLandmarker, Options};
use jointscope_train::progress::Progress;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The seed of the pool's order (fixed: the pools of every size and every run are the same).
pub const ORDER_SEED: u64 = 2024;

/// The cache of located photos: one line per photo tried.
const LOCATED: &str = "located.csv";

/// What a prepared pool holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// The pool's manifest (unlabelled rows, MediaPipe's joint positions).
    pub manifest: PathBuf,
    /// Photos in the pool's order.
    pub photos: usize,
    /// Photos located so far (in the pool's order) and those with a hand found (either view).
    pub tried: usize,
    pub hands: usize,
    /// Hands in this pool's manifest (`size`, or every hand found of the pool's view).
    pub used: usize,
}

/// The 11K Hands image name inside a file name (`Hand_` and seven digits), e.g.
/// `lessDataset_Hand_0000002.jpg` → `Hand_0000002.jpg`.
pub fn elevenk_name(file_name: &str) -> Option<String> {
    let at = file_name.find("Hand_")?;
    let digits = file_name.get(at + 5..at + 12)?;
    digits.bytes().all(|b| b.is_ascii_digit()).then(|| format!("Hand_{digits}.jpg"))
}

/// The photos under `photos` in the pool's order, without those whose 11K image name `subject_of`
/// gives to one of `excluded` subjects; and how many were left out.
pub fn ordered_photos(photos: &Path, subject_of: &HashMap<String, String>, excluded: &HashSet<String>) -> anyhow::Result<(Vec<PathBuf>, usize)> {
    let mut files = jointscope_train::locate::photos_in(photos)?;
    let before = files.len();
    files.retain(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        !elevenk_name(&name).and_then(|n| subject_of.get(&n)).is_some_and(|s| excluded.contains(s))
    });
    let left_out = before - files.len();
    files.shuffle(&mut ChaCha8Rng::seed_from_u64(ORDER_SEED));
    Ok((files, left_out))
}

/// One located photo: its path and, when a hand was found, its side and view codes and its 11
/// joints' positions.
struct Located {
    path: String,
    hand: Option<LocatedHand>,
}

/// A found hand: its side and view codes and its joints' names and positions.
type LocatedHand = (String, String, Vec<(String, f32, f32)>);

/// The cache's text (empty when there is none yet).
fn read_cache(path: &Path) -> anyhow::Result<String> {
    if !path.exists() {
        return Ok(String::new());
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn parse_located(text: &str) -> Vec<Located> {
    let mut out = Vec::new();
    // A line cut short by an interruption has too few fields and is tried again.
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            [p, "-"] => out.push(Located { path: p.to_string(), hand: None }),
            [p, hand, view, joints @ ..] if joints.len() == 33 => {
                let parsed: Option<Vec<(String, f32, f32)>> =
                    joints.chunks(3).map(|c| Some((c[0].to_string(), c[1].parse().ok()?, c[2].parse().ok()?))).collect();
                if let Some(j) = parsed {
                    out.push(Located { path: p.to_string(), hand: Some((hand.to_string(), view.to_string(), j)) });
                }
            }
            _ => {}
        }
    }
    out
}

fn locate_one(marker: &HandLandmarker, path: &Path) -> String {
    let Ok(img) = jointscope_data::image_io::load_rgb(path) else { return format!("{}\t-\n", path.display()) };
    let Some(hand) = marker.detect_blocking(&img).ok().and_then(|h| h.into_iter().next()) else { return format!("{}\t-\n", path.display()) };
    let view = if jointscope_detect::quality::back_of_hand(&hand, false) >= 0.0 { "dorsal" } else { "palmar" };
    let (w, h) = img.dimensions();
    let mut line = format!("{}\t{}\t{view}", path.display(), hand.handedness.code());
    for (joint, p) in hand.joints() {
        line += &format!("\t{}\t{:.2}\t{:.2}", joint.name(), p.x.clamp(0.0, (w - 1) as f32), p.y.clamp(0.0, (h - 1) as f32));
    }
    line + "\n"
}

/// Locate the photos of `order` (resuming `dir`'s cache) until `size` hands showing `view` (any
/// view when `None`) are found, or all photos are tried; then write the pool's manifest of the
/// first `size` such hands (all without it). A pool of one view is a prefix of that view's larger
/// pools, as the mixed pools are of theirs.
pub fn prepare(
    dir: &Path,
    order: &[PathBuf],
    (size, view): (Option<usize>, Option<View>),
    models: &Path,
    device: &Device,
    progress: &dyn Progress,
) -> anyhow::Result<Pool> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let cache = dir.join(LOCATED);
    let text = read_cache(&cache)?;
    let mut located = parse_located(&text);
    let done: HashSet<String> = located.iter().map(|l| l.path.clone()).collect();
    // A hand found showing `view` (any view when `None`), as MediaPipe's landmarks judge it (the
    // capture check's `back_of_hand`).
    let shows = |l: &Located| l.hand.as_ref().is_some_and(|(_, v, _)| view.is_none_or(|w| v == w.code()));
    let hands = |l: &[Located]| l.iter().filter(|l| shows(l)).count();
    let todo: Vec<&PathBuf> = order.iter().filter(|p| !done.contains(&p.display().to_string())).collect();
    if size.is_none_or(|n| hands(&located) < n) && !todo.is_empty() {
        let marker = HandLandmarker::from_dir(models, Complexity::Full, device, Options::default())
            .context("loading the MediaPipe hand models (run scripts/fetch-models.sh, or pass --models)")?;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&cache)?;
        // A line cut short by an interruption is ended, so the next one starts on its own line.
        if !text.is_empty() && !text.ends_with('\n') {
            file.write_all(b"\n")?;
        }
        progress.start("locating the pool's hands", todo.len() as u64);
        let mut found = hands(&located);
        for path in todo {
            progress.step("");
            let line = locate_one(&marker, path);
            file.write_all(line.as_bytes())?;
            found += parse_located(&line).iter().filter(|l| shows(l)).count();
            if size.is_some_and(|n| found >= n) {
                break;
            }
        }
        progress.finish();
        file.flush()?;
        located = parse_located(&read_cache(&cache)?);
    }
    write_manifest(dir, order, &located, (size, view))
}

/// The pool's manifest: the first `size` hands showing `view` in the pool's order, one row per joint.
fn write_manifest(dir: &Path, order: &[PathBuf], located: &[Located], (size, view): (Option<usize>, Option<View>)) -> anyhow::Result<Pool> {
    let by_path: HashMap<&str, &Located> = located.iter().map(|l| (l.path.as_str(), l)).collect();
    let prefix = view.map_or("pool".to_string(), |v| format!("pool-{}", v.code()));
    let name = size.map_or(format!("{prefix}-all.csv"), |n| format!("{prefix}-{n}.csv"));
    let manifest = dir.join(name);
    let mut w = csv::Writer::from_path(&manifest).with_context(|| format!("writing {}", manifest.display()))?;
    w.write_record(["image", "patient_id", "hand", "view", "joint", "label", "x", "y"])?;
    let (mut tried, mut hands, mut used) = (0, 0, 0);
    for path in order {
        let Some(l) = by_path.get(path.display().to_string().as_str()) else { continue };
        tried += 1;
        let Some((hand, seen, joints)) = &l.hand else { continue };
        hands += 1;
        if size.is_some_and(|n| used >= n) || view.is_some_and(|v| seen != v.code()) {
            continue;
        }
        used += 1;
        let patient = path.file_stem().unwrap_or_default().to_string_lossy().to_string();
        for (joint, x, y) in joints {
            w.write_record([l.path.as_str(), &patient, hand, seen, joint, "unknown", &format!("{x:.2}"), &format!("{y:.2}")])?;
        }
    }
    w.flush()?;
    let which = view.map_or(String::new(), |v| format!(" showing the {} side", if v == View::Dorsal { "back" } else { "palm" }));
    anyhow::ensure!(used > 0, "MediaPipe found a hand{which} in none of the {tried} photos of the pool");
    Ok(Pool { manifest, photos: order.len(), tried, hands, used })
}
