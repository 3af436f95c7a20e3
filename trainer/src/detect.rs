//! `jointscope detect`: the browser's detection, natively: photos → hands → every joint's
//! probability and verdict, with the exported weights (`jointscope export`), through
//! `jointscope_detect` — the same code the wasm build runs.
use anyhow::Context;
use jointscope_detect::sidecar::{MAX_SIDECAR_BYTES, MAX_WEIGHTS_BYTES};
use jointscope_detect::{Detection, Detector, SIDECAR_FILE, WEIGHTS_FILE};
use jointscope_landmarks::{Complexity, HandLandmarker, Options};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What `detect` needs.
pub struct DetectConfig {
    /// An export folder holding `jointscope.json` and `jointscope.bpk`.
    pub weights: PathBuf,
    /// Folder of the MediaPipe `.tflite` files.
    pub models: PathBuf,
    pub complexity: Complexity,
    pub mirrored: bool,
}

/// Load the hand models and the exported classifier on `device`.
pub fn detector(config: &DetectConfig, device: &burn::tensor::Device) -> anyhow::Result<Detector> {
    let read = |name: &str, limit: usize| {
        let p = config.weights.join(name);
        let hint = || format!("reading {} (make it with `jointscope export`)", p.display());
        let len = std::fs::metadata(&p).with_context(hint)?.len();
        if len > limit as u64 {
            anyhow::bail!("{} is {len} bytes, the limit is {limit}: not a jointscope export", p.display());
        }
        std::fs::read(&p).with_context(hint)
    };
    let (sidecar, weights) = (read(SIDECAR_FILE, MAX_SIDECAR_BYTES)?, read(WEIGHTS_FILE, MAX_WEIGHTS_BYTES)?);
    let classifier = jointscope_detect::Classifier::from_bytes(&sidecar, weights, device)
        .with_context(|| format!("loading the classifier from {}", config.weights.display()))?;
    let options = Options { mirrored: config.mirrored, ..Options::default() };
    let marker = HandLandmarker::from_dir(&config.models, config.complexity, device, options)?;
    Ok(Detector::new(marker, classifier))
}

/// Detect in one photo file.
pub fn detect_file(detector: &Detector, photo: &Path) -> anyhow::Result<Detection> {
    let img = jointscope_data::image_io::load_rgb(photo)?;
    Ok(detector.detect_blocking(&img)?)
}

/// A detection as a readable table.
pub fn table(name: &str, d: &Detection, threshold: f32) -> String {
    let mut s = String::new();
    if d.hands.is_empty() {
        let _ = writeln!(s, "{name}: no hand found");
        return s;
    }
    for h in &d.hands {
        let inflamed = h.joints.iter().filter(|j| j.inflamed).count();
        let _ = writeln!(
            s,
            "{name}: {:?} hand ({:.2}), {inflamed} of {} joints above the threshold {threshold:.3}",
            h.handedness,
            h.handedness_score,
            h.joints.len()
        );
        for j in &h.joints {
            let _ = writeln!(
                s,
                "  {:<6} ({:>6.1}, {:>6.1})  p = {:.3}{}",
                j.joint.name(),
                j.position.x,
                j.position.y,
                j.probability,
                if j.inflamed { "  inflamed" } else { "" }
            );
        }
    }
    s
}
