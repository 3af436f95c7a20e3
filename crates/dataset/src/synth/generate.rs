//! The benchmark on disk: the plan of images, drawn in parallel, and the manifest and its
//! companion files.
use super::*;
use crate::fsio;
use crate::manifest::{self, Label, ManifestRow};
use jointscope_data::{DataError, Hand, Joint, Point, View};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// Everything about one generated image, drawn from the config's seed and the image's index alone
/// (so generation can run in parallel and still be deterministic).
pub(crate) struct Job {
    pub(crate) name: String,
    pub(crate) patient: String,
    /// Part of the healthy-only pool rather than the labelled cohort.
    pub(crate) healthy: bool,
    pub(crate) spec: HandSpec,
    pub(crate) seed: u64,
}

pub(crate) fn plan(config: &SynthConfig) -> Vec<Job> {
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
pub(crate) fn make(job: &Job, config: &SynthConfig) -> (Vec<u8>, [Point; 21]) {
    let mut rng = ChaCha8Rng::seed_from_u64(job.seed);
    let look = Look { signal: config.signal, patient_appearance: config.patient_appearance };
    let r = render_hand_with(&job.spec, config.image_size, &look, &mut rng);
    let (lo, hi) = (config.jpeg_quality.0.min(config.jpeg_quality.1), config.jpeg_quality.0.max(config.jpeg_quality.1));
    let q = rng.random_range(lo..=hi).clamp(1, 100);
    (to_jpeg(&r.image, q), r.landmarks)
}

/// Draw every job into `images_dir` on up to 8 threads; each job's landmarks or write error, in job order.
pub(crate) fn render_all(
    jobs: &[Job],
    config: &SynthConfig,
    images_dir: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Result<[Point; 21], DataError>> {
    crate::fsio::parallel_map(jobs, progress, |job| {
        let (bytes, lm) = make(job, config);
        let path = images_dir.join(format!("{}.jpg", job.name));
        std::fs::write(&path, bytes).map(|_| lm).map_err(|e| DataError::Write { path, reason: e.to_string() })
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
