//! `jointscope quality-bench`: the capture check's values on drawn photos made to fail each check
//! (`jointscope_dataset::defects`) and on real photos, which is how its limits were chosen.
use burn::tensor::Device;
use jointscope_dataset::defects::{self, Defect};
use jointscope_detect::quality::{self, LIMITS, Quality};
use jointscope_landmarks::{Complexity, HandLandmarker, Options};
use jointscope_model::ModelConfig;
use jointscope_train::progress::Progress;
use serde::Serialize;
use std::path::PathBuf;

/// What to measure.
#[derive(Debug, Clone)]
pub struct QualityBenchConfig {
    /// Drawn photos per defect.
    pub photos: usize,
    /// Side of the drawn photos in pixels.
    pub size: u32,
    pub seed: u64,
    pub models: PathBuf,
    /// A folder of real photos (JPEG or PNG), each measured on its own.
    pub real: Option<PathBuf>,
}

/// One check over the photos of one condition.
#[derive(Debug, Clone, Serialize)]
pub struct CheckFigures {
    pub name: String,
    /// Hands that passed it.
    pub passed: usize,
    pub min: f32,
    pub median: f32,
    pub max: f32,
}

/// The drawn photos of one defect.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionFigures {
    pub condition: String,
    pub photos: usize,
    /// Photos where a hand was found (the checks are over these).
    pub found: usize,
    /// Hands that passed every check.
    pub passed: usize,
    pub checks: Vec<CheckFigures>,
}

/// One hand in a real photo.
#[derive(Debug, Clone, Serialize)]
pub struct RealHand {
    pub photo: String,
    pub handedness: String,
    pub quality: Quality,
}

#[derive(Debug, Clone, Serialize)]
pub struct QualityReport {
    pub size: u32,
    pub conditions: Vec<ConditionFigures>,
    pub real: Vec<RealHand>,
    /// Real photos where no hand was found.
    pub real_without_hand: Vec<String>,
}

fn figures(condition: &str, photos: usize, found: &[Quality]) -> ConditionFigures {
    let names: Vec<String> = found.first().map(|q| q.checks.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
    let checks = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let mut v: Vec<f32> = found.iter().map(|q| q.checks[k].value).collect();
            v.sort_by(f32::total_cmp);
            CheckFigures {
                name: name.clone(),
                passed: found.iter().filter(|q| q.checks[k].ok).count(),
                min: v.first().copied().unwrap_or(f32::NAN),
                median: jointscope_metrics::stats::median(&v.iter().map(|&x| x as f64).collect::<Vec<_>>()).map_or(f32::NAN, |m| m as f32),
                max: v.last().copied().unwrap_or(f32::NAN),
            }
        })
        .collect();
    ConditionFigures { condition: condition.into(), photos, found: found.len(), passed: found.iter().filter(|q| q.ok).count(), checks }
}

/// Runs the benchmark; `progress` gets a note per finished condition.
pub fn bench(config: &QualityBenchConfig, progress: &dyn Progress) -> anyhow::Result<QualityReport> {
    anyhow::ensure!(config.photos >= 1, "the benchmark needs at least 1 photo per defect (--photos), got 0");
    anyhow::ensure!((96..=4096).contains(&config.size), "photos are drawn 96 to 4096 pixels a side (--size), got {}", config.size);
    let marker = HandLandmarker::from_dir(&config.models, Complexity::Full, &Device::flex(), Options::default())?;
    let local = ModelConfig::default().local_size;
    let mut conditions = Vec::new();
    for defect in Defect::ALL {
        let mut found = Vec::new();
        for i in 0..config.photos {
            let (img, _) = defects::photo(config.seed * 1_000_003 + i as u64, config.size, defect);
            if let Some(h) = marker.detect_blocking(&img)?.first() {
                found.push(quality::assess(&img, h, false, local, &LIMITS));
            }
        }
        conditions.push(figures(defect.name(), config.photos, &found));
        progress.note(&format!("measured {}", defect.name()));
    }
    let (mut real, mut real_without_hand) = (Vec::new(), Vec::new());
    if let Some(dir) = &config.real {
        for p in jointscope_train::locate::photos_in(dir)? {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let img = jointscope_data::image_io::load_rgb(&p)?;
            let hands = marker.detect_blocking(&img)?;
            if hands.is_empty() {
                real_without_hand.push(name.clone());
            }
            for h in hands {
                real.push(RealHand {
                    photo: name.clone(),
                    handedness: format!("{:?}", h.handedness).to_lowercase(),
                    quality: quality::assess(&img, &h, false, local, &LIMITS),
                });
            }
        }
        progress.note("measured the real photos");
    }
    Ok(QualityReport { size: config.size, conditions, real, real_without_hand })
}

/// The report as Markdown tables: per defect, each check's pass count and median value; per real
/// hand, each check's value (✗ where it fails).
pub fn table(r: &QualityReport) -> String {
    let names: Vec<String> = r.conditions.iter().find(|c| !c.checks.is_empty()).map(|c| c.checks.iter().map(|k| k.name.clone()).collect()).unwrap_or_default();
    let limits: Vec<String> =
        quality::Kind::ALL.iter().map(|&k| format!("{}{}", if k.at_most() { "≤ " } else { "≥ " }, short(quality::LIMITS.limit(k)))).collect();
    let mut s = format!(
        "Drawn photos ({} px): hands passing each check (median value).\n\n| photos | found | all pass | {} |\n|---|---|---|{}\n",
        r.size,
        names.join(" | "),
        "---|".repeat(names.len())
    );
    s += &format!("| limit | | | {} |\n", limits.join(" | "));
    for c in &r.conditions {
        let cells: Vec<String> = c.checks.iter().map(|k| format!("{}/{} ({})", k.passed, c.found, short(k.median))).collect();
        s += &format!("| {} | {}/{} | {} | {} |\n", c.condition, c.found, c.photos, c.passed, cells.join(" | "));
    }
    if !r.real.is_empty() || !r.real_without_hand.is_empty() {
        s += &format!(
            "\nReal photos: each check's value (✗: fails).\n\n| photo | hand | ok | {} |\n|---|---|---|{}\n",
            names.join(" | "),
            "---|".repeat(names.len())
        );
        for h in &r.real {
            let cells: Vec<String> = h.quality.checks.iter().map(|c| format!("{}{}", short(c.value), if c.ok { "" } else { " ✗" })).collect();
            s += &format!("| {} | {} | {} | {} |\n", h.photo, h.handedness, if h.quality.ok { "yes" } else { "no" }, cells.join(" | "));
        }
        for p in &r.real_without_hand {
            s += &format!("| {p} | no hand found | | |\n");
        }
    }
    s
}

fn short(v: f32) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Write `<defect>.png` for every defect of the drawn hand of `seed` into the new folder `out`
/// (refused when `out` holds anything, so nothing of the user's is replaced). Returns the count.
pub fn write_samples(out: &std::path::Path, seed: u64, size: u32) -> anyhow::Result<usize> {
    anyhow::ensure!((96..=4096).contains(&size), "photos are drawn 96 to 4096 pixels a side (--size), got {size}");
    if out.exists() {
        let empty = out.is_dir() && std::fs::read_dir(out)?.next().is_none();
        anyhow::ensure!(empty, "{} already exists and is not an empty folder: choose a new one", out.display());
    }
    let mut files = Vec::new();
    for d in Defect::ALL {
        let (img, _) = defects::photo(seed, size, d);
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
        files.push((format!("{}.png", d.name()), png));
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    jointscope_dataset::fsio::write_dir_atomic(out, &refs)?;
    Ok(files.len())
}
