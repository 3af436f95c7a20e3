//! `jointscope locate-bench`: how well and how fast the MediaPipe landmark pipeline finds hands and
//! joints, measured on synthetic photos whose true landmarks are known.
use burn::tensor::Device;
use image::{Rgb, RgbImage};
use jointscope_data::{Hand, Joint, Point, View};
use jointscope_dataset::synth::{self, HandSpec, PatientTraits};
use jointscope_landmarks::{Complexity, DetectedHand, HandLandmarker, Options};
use jointscope_train::backend;
use jointscope_train::progress::Progress;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Synthetic hands per set.
    pub hands: usize,
    /// Hand-free photos for the false-positive rate.
    pub negatives: usize,
    /// Side of the drawn photos in pixels.
    pub size: u32,
    pub seed: u64,
    pub models: PathBuf,
    /// Also time the wgpu backend (default adapter, software ones included).
    pub wgpu: bool,
}

/// A labelled test photo.
struct Case {
    image: RgbImage,
    truth: [Point; 21],
    hand: Hand,
}

/// Accuracy on one set of photos.
#[derive(Debug, Clone, Serialize)]
pub struct SetFigures {
    pub set: String,
    pub photos: usize,
    /// Photos where a hand was found.
    pub found: usize,
    /// Of those, how many had the right handedness.
    pub handedness_correct: usize,
    /// Mean over found photos of the mean distance of the 21 landmarks to the truth, divided by the
    /// hand size (wrist to middle-finger MCP distance).
    pub mean_error: f32,
    pub median_error: f32,
    /// The same over the classifier's 11 joints only.
    pub joint_mean_error: f32,
    /// Mean landmark error in pixels.
    pub mean_error_px: f32,
    pub mean_hand_size_px: f32,
}

/// Speed of the whole pipeline (palm detection, landmarks, refinement) on one backend.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub backend: String,
    pub complexity: String,
    pub photos: usize,
    pub ms_per_photo: f64,
    /// Relative to flex with the full models, measured in the same run.
    pub vs_flex_full: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub sets: Vec<SetFigures>,
    pub negatives: usize,
    pub false_positives: usize,
    pub timings: Vec<Timing>,
}

fn draw(seed: u64, view: View, size: u32) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let hand = if rng.random_bool(0.5) { Hand::Left } else { Hand::Right };
    let traits = PatientTraits::sample(&mut rng);
    let r = synth::render_hand(&HandSpec::healthy(hand, view, traits), size, 1.0, &mut rng);
    Case { image: r.image, truth: r.landmarks, hand }
}

/// The photo rotated by any angle, scaled by 0.5–1.3 and placed anywhere on a 4:3 canvas (hand kept
/// inside); uncovered canvas takes the photo's mean border colour.
fn transform(case: &Case, rng: &mut ChaCha8Rng) -> Case {
    let (w0, h0) = (case.image.width() as f32, case.image.height() as f32);
    let (cw, ch) = ((w0 * 1.6) as u32, (h0 * 1.2) as u32);
    let theta: f32 = rng.random_range(-std::f32::consts::PI..std::f32::consts::PI);
    let (sin, cos) = theta.sin_cos();
    let c0 = (w0 / 2.0, h0 / 2.0);
    let mut k: f32 = rng.random_range(0.5..1.3);
    // Shrink until the rotated hand fits the canvas with a margin.
    let rel: Vec<(f32, f32)> = loop {
        let rel: Vec<(f32, f32)> =
            case.truth.iter().map(|p| (k * (cos * (p.x - c0.0) - sin * (p.y - c0.1)), k * (sin * (p.x - c0.0) + cos * (p.y - c0.1)))).collect();
        let (x0, x1) = rel.iter().fold((f32::MAX, f32::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
        let (y0, y1) = rel.iter().fold((f32::MAX, f32::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
        if x1 - x0 < cw as f32 * 0.8 && y1 - y0 < ch as f32 * 0.8 {
            break rel;
        }
        k *= 0.9;
    };
    let (x0, x1) = rel.iter().fold((f32::MAX, f32::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (y0, y1) = rel.iter().fold((f32::MAX, f32::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    let margin = 0.05 * cw.min(ch) as f32;
    let tx = rng.random_range((margin - x0)..(cw as f32 - margin - x1).max(margin - x0 + 1.0));
    let ty = rng.random_range((margin - y0)..(ch as f32 - margin - y1).max(margin - y0 + 1.0));
    let truth: [Point; 21] = std::array::from_fn(|i| Point::new(rel[i].0 + tx, rel[i].1 + ty));
    let border = mean_border(&case.image);
    let image = RgbImage::from_fn(cw, ch, |x, y| {
        let (qx, qy) = ((x as f32 + 0.5 - tx) / k, (y as f32 + 0.5 - ty) / k);
        let (px, py) = (cos * qx + sin * qy + c0.0 - 0.5, -sin * qx + cos * qy + c0.1 - 0.5);
        bilinear(&case.image, px, py).unwrap_or(border)
    });
    Case { image, truth, hand: case.hand }
}

fn mean_border(img: &RgbImage) -> Rgb<u8> {
    let (w, h) = img.dimensions();
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for (x, y, p) in img.enumerate_pixels() {
        if x == 0 || y == 0 || x == w - 1 || y == h - 1 {
            for c in 0..3 {
                sum[c] += p[c] as u64;
            }
            n += 1;
        }
    }
    Rgb(sum.map(|s| (s / n.max(1)) as u8))
}

fn bilinear(img: &RgbImage, x: f32, y: f32) -> Option<Rgb<u8>> {
    let (w, h) = (img.width() as f32, img.height() as f32);
    if x < 0.0 || y < 0.0 || x > w - 1.0 || y > h - 1.0 {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(img.width() - 1), (y0 + 1).min(img.height() - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| img.get_pixel(x, y).0.map(f32::from);
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    Some(Rgb([0, 1, 2].map(|i| {
        let top = a[i] + (b[i] - a[i]) * fx;
        let bottom = c[i] + (d[i] - c[i]) * fx;
        (top + (bottom - top) * fy).round() as u8
    })))
}

/// Mean distance of the 21 landmarks (and of the 11 joints) to the truth, in pixels.
fn errors(h: &DetectedHand, truth: &[Point; 21]) -> (f32, f32) {
    let d = |i: usize| (h.landmarks[i][0] - truth[i].x).hypot(h.landmarks[i][1] - truth[i].y);
    let all = (0..21).map(d).sum::<f32>() / 21.0;
    let joints = Joint::ALL.iter().map(|j| d(j.landmark())).sum::<f32>() / Joint::COUNT as f32;
    (all, joints)
}

fn measure(name: &str, cases: &[Case], marker: &HandLandmarker) -> anyhow::Result<SetFigures> {
    let (mut found, mut correct) = (0, 0);
    let (mut errs, mut joint_errs, mut px, mut sizes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in cases {
        let hands = marker.detect_blocking(&c.image)?;
        let Some(h) = hands.first() else { continue };
        found += 1;
        correct += usize::from(h.handedness == c.hand);
        let size = c.truth[0].dist(c.truth[9]);
        let (e, je) = errors(h, &c.truth);
        errs.push(e / size);
        joint_errs.push(je / size);
        px.push(e);
        sizes.push(size);
    }
    let mean = |v: &[f32]| if v.is_empty() { f32::NAN } else { v.iter().sum::<f32>() / v.len() as f32 };
    Ok(SetFigures {
        set: name.into(),
        photos: cases.len(),
        found,
        handedness_correct: correct,
        mean_error: mean(&errs),
        median_error: jointscope_metrics::stats::median(&errs.iter().map(|&e| e as f64).collect::<Vec<_>>()).map_or(f32::NAN, |m| m as f32),
        joint_mean_error: mean(&joint_errs),
        mean_error_px: mean(&px),
        mean_hand_size_px: mean(&sizes),
    })
}

/// Runs the benchmark; `progress` gets a note per finished step.
pub fn bench(config: &BenchConfig, progress: &dyn Progress) -> anyhow::Result<BenchReport> {
    anyhow::ensure!(config.hands >= 1, "the benchmark needs at least 1 hand per set (--hands), got 0");
    anyhow::ensure!((96..=4096).contains(&config.size), "photos are drawn 96 to 4096 pixels a side (--size), got {}", config.size);
    let flex = Device::flex();
    let full = HandLandmarker::from_dir(&config.models, Complexity::Full, &flex, Options::default())?;
    let dorsal: Vec<Case> = (0..config.hands).map(|i| draw(config.seed * 1_000_003 + i as u64, View::Dorsal, config.size)).collect();
    let palmar: Vec<Case> = (0..config.hands).map(|i| draw(config.seed * 1_000_003 + 500_000 + i as u64, View::Palmar, config.size)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5eed);
    let moved: Vec<Case> = dorsal.iter().chain(&palmar).step_by(2).map(|c| transform(c, &mut rng)).collect();
    let mut sets = Vec::new();
    for (name, cases) in [("drawn, back of hand", &dorsal), ("drawn, palm", &palmar), ("rotated ±180°, scaled, shifted", &moved)] {
        sets.push(measure(name, cases, &full)?);
        progress.note(&format!("measured {name}"));
    }
    let negatives: Vec<RgbImage> = (0..config.negatives)
        .map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(config.seed * 7_919 + i as u64);
            synth::render_no_hand(config.size, i % 4, &mut rng)
        })
        .collect();
    let mut false_positives = 0;
    for img in &negatives {
        false_positives += usize::from(!full.detect_blocking(img)?.is_empty());
    }
    progress.note("measured hand-free photos");

    // Timing: the drawn back-of-hand photos, after one warm-up photo.
    let mut devices = vec![("flex (CPU)".to_string(), flex.clone())];
    if config.wgpu {
        let s = backend::select(backend::BackendChoice::Wgpu, progress)?;
        let name = backend::hardware_gpu().map(|g| format!("wgpu on {g}")).unwrap_or_else(|| "wgpu (software adapter)".into());
        devices.push((name, s.device));
    }
    let mut timings = Vec::new();
    for (name, device) in &devices {
        for complexity in [Complexity::Full, Complexity::Lite] {
            let marker = HandLandmarker::from_dir(&config.models, complexity, device, Options::default())?;
            marker.detect_blocking(&dorsal[0].image)?;
            let t = Instant::now();
            for c in &dorsal {
                marker.detect_blocking(&c.image)?;
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0 / dorsal.len().max(1) as f64;
            timings.push(Timing {
                backend: name.clone(),
                complexity: format!("{complexity:?}").to_lowercase(),
                photos: dorsal.len(),
                ms_per_photo: ms,
                vs_flex_full: 0.0,
            });
            progress.note(&format!("timed {name} {complexity:?}"));
        }
    }
    let base = timings[0].ms_per_photo;
    for t in &mut timings {
        t.vs_flex_full = t.ms_per_photo / base;
    }
    Ok(BenchReport { sets, negatives: negatives.len(), false_positives, timings })
}

/// The report as Markdown tables.
pub fn table(r: &BenchReport) -> String {
    let mut s = String::from(
        "| set | photos | hand found | handedness right | mean error (hand sizes) | median | joints only | mean error (px) | hand size (px) |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for f in &r.sets {
        s += &format!(
            "| {} | {} | {} ({:.0} %) | {} ({:.0} %) | {:.3} | {:.3} | {:.3} | {:.1} | {:.0} |\n",
            f.set,
            f.photos,
            f.found,
            100.0 * f.found as f32 / f.photos.max(1) as f32,
            f.handedness_correct,
            100.0 * f.handedness_correct as f32 / f.found.max(1) as f32,
            f.mean_error,
            f.median_error,
            f.joint_mean_error,
            f.mean_error_px,
            f.mean_hand_size_px
        );
    }
    s += &format!(
        "\nHand-free photos: {} of {} gave a hand (false-positive rate {:.1} %).\n\n| backend | models | photos | ms per photo | × flex full |\n|---|---|---|---|---|\n",
        r.false_positives,
        r.negatives,
        100.0 * r.false_positives as f32 / r.negatives.max(1) as f32
    );
    for t in &r.timings {
        s += &format!("| {} | {} | {} | {:.1} | {:.2} |\n", t.backend, t.complexity, t.photos, t.ms_per_photo, t.vs_flex_full);
    }
    s
}

/// One hand of Google's pipeline, as `scripts/mediapipe_reference.py` writes it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReferenceHand {
    pub handedness: String,
    pub landmarks: Vec<[f32; 3]>,
}

/// One photo of `scripts/mediapipe_reference.py`'s output.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReferencePhoto {
    pub photo: String,
    pub hands: Vec<ReferenceHand>,
}

/// Our pipeline on one real photo, against Google's when a reference is given.
#[derive(Debug, Clone, Serialize)]
pub struct RealPhoto {
    pub photo: String,
    pub ours: usize,
    /// Hands Google's pipeline found (`None` without a reference for this photo).
    pub google: Option<usize>,
    /// Per hand of Google's: (its handedness, ours, mean and max landmark distance in Google's
    /// hand sizes — wrist to middle-finger MCP) for our nearest hand.
    pub matched: Vec<(String, String, f32, f32)>,
    pub overlay: PathBuf,
}

/// Run the pipeline on every photo under `dir`, draw ours (green) and Google's (magenta, from
/// `reference`) on each, into `out/overlay/`; and compare them landmark by landmark.
pub fn real_photos(
    dir: &std::path::Path,
    reference: Option<&std::path::Path>,
    models: &std::path::Path,
    out: &std::path::Path,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<RealPhoto>> {
    use anyhow::Context;
    let photos = jointscope_train::locate::photos_in(dir)?;
    anyhow::ensure!(!photos.is_empty(), "{} holds no .jpg, .jpeg or .png photos", dir.display());
    let reference: Vec<ReferencePhoto> = match reference {
        Some(p) => serde_json::from_slice(&std::fs::read(p).with_context(|| format!("reading {}", p.display()))?)
            .with_context(|| format!("{} is not scripts/mediapipe_reference.py's output", p.display()))?,
        None => Vec::new(),
    };
    let marker = HandLandmarker::from_dir(models, Complexity::Full, &Device::flex(), Options::default())
        .context("loading the MediaPipe hand models (run scripts/fetch-models.sh, or pass --models)")?;
    let overlays = out.join("overlay");
    std::fs::create_dir_all(&overlays).with_context(|| format!("creating {}", overlays.display()))?;
    progress.start("real photos", photos.len() as u64);
    let mut rows = Vec::new();
    for path in &photos {
        progress.step("");
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let img = jointscope_data::image_io::load_rgb(path).with_context(|| format!("reading {}", path.display()))?;
        let ours = marker.detect_blocking(&img).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let theirs = reference.iter().find(|r| std::path::Path::new(&r.photo).file_name() == path.file_name());
        let mut matched = Vec::new();
        for g in theirs.map(|t| t.hands.as_slice()).unwrap_or_default() {
            if g.landmarks.len() != 21 {
                anyhow::bail!("the reference gives {} landmarks for a hand of {name}, not 21", g.landmarks.len());
            }
            let size = (g.landmarks[0][0] - g.landmarks[9][0]).hypot(g.landmarks[0][1] - g.landmarks[9][1]).max(1e-6);
            let errors = |h: &DetectedHand| -> Vec<f32> {
                (0..21).map(|i| (h.landmarks[i][0] - g.landmarks[i][0]).hypot(h.landmarks[i][1] - g.landmarks[i][1]) / size).collect()
            };
            let best = ours.iter().map(|h| (h, errors(h))).min_by(|a, b| a.1.iter().sum::<f32>().total_cmp(&b.1.iter().sum::<f32>()));
            if let Some((h, e)) = best {
                let side = if h.handedness == Hand::Left { "left" } else { "right" };
                matched.push((g.handedness.clone(), side.to_string(), e.iter().sum::<f32>() / 21.0, e.iter().copied().fold(0.0, f32::max)));
            }
        }
        let ours_xy: Vec<Vec<(f32, f32)>> = ours.iter().map(|h| h.landmarks.iter().map(|p| (p[0], p[1])).collect()).collect();
        let theirs_xy: Vec<Vec<(f32, f32)>> =
            theirs.map(|t| t.hands.iter().map(|h| h.landmarks.iter().map(|p| (p[0], p[1])).collect()).collect()).unwrap_or_default();
        let overlay = overlays.join(format!("{}.png", path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()));
        draw_overlay(&img, &ours_xy, &theirs_xy, &overlay)?;
        rows.push(RealPhoto { photo: name, ours: ours.len(), google: theirs.map(|t| t.hands.len()), matched, overlay });
    }
    progress.finish();
    Ok(rows)
}

/// The photo (at most 800 px on its longer side) with our landmarks as green dots and bones and
/// the reference's as magenta crosses drawn over them.
fn draw_overlay(img: &RgbImage, ours: &[Vec<(f32, f32)>], theirs: &[Vec<(f32, f32)>], path: &std::path::Path) -> anyhow::Result<()> {
    use plotters::prelude::*;
    let scale = (800.0 / img.width().max(img.height()) as f32).min(1.0);
    let (w, h) = (((img.width() as f32 * scale).round() as u32).max(1), ((img.height() as f32 * scale).round() as u32).max(1));
    let mut buf = image::imageops::resize(img, w, h, image::imageops::FilterType::Triangle).into_raw();
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let at = |p: (f32, f32)| ((p.0 * scale).round() as i32, (p.1 * scale).round() as i32);
        // Marks sized by the hand (wrist to middle-finger MCP), so small hands stay readable.
        let radius = |hand: &[(f32, f32)]| ((0.03 * scale * (hand[0].0 - hand[9].0).hypot(hand[0].1 - hand[9].1)).round() as i32).clamp(1, 6);
        fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
            anyhow::anyhow!("drawing an overlay: {e:?}")
        }
        for hand in ours.iter().filter(|h| h.len() == 21) {
            let r = radius(hand);
            for &(a, b) in &jointscope_landmarks::HAND_BONES {
                root.draw(&PathElement::new(vec![at(hand[a]), at(hand[b])], GREEN.stroke_width(1))).map_err(err)?;
            }
            for &p in hand {
                root.draw(&Circle::new(at(p), r, GREEN.filled())).map_err(err)?;
            }
        }
        for hand in theirs.iter().filter(|h| h.len() == 21) {
            let r = radius(hand);
            for &p in hand {
                root.draw(&Cross::new(at(p), 2 * r + 1, MAGENTA.stroke_width(1))).map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    let out = RgbImage::from_raw(w, h, buf).ok_or_else(|| anyhow::anyhow!("overlay buffer of the wrong size"))?;
    out.save(path).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// The real-photo comparison as Markdown.
pub fn real_table(rows: &[RealPhoto]) -> String {
    let mut s = String::from("| photo | hands: Google / ours | handedness: Google / ours | mean error (hand sizes) | max error |\n|---|---|---|---|---|\n");
    for r in rows {
        let google = r.google.map_or("no reference".into(), |g| g.to_string());
        if r.matched.is_empty() {
            s.push_str(&format!("| {} | {google} / {} | | | |\n", r.photo, r.ours));
        }
        for (g, o, mean, max) in &r.matched {
            s.push_str(&format!("| {} | {google} / {} | {g} / {o} | {mean:.3} | {max:.3} |\n", r.photo, r.ours));
        }
    }
    s
}
