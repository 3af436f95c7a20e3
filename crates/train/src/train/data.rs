//! A run's data: the manifest read and split by patient (checked unchanged when resumed), the
//! split refused where it cannot train or calibrate, and pseudo-labels from a teacher.
use super::{ModelMeta, RunConfig};
use crate::dataset::{Dataset, Which, read_manifest};
use crate::predict::predict_of;
use crate::progress::Progress;
use crate::run::{self, RunDir};
use anyhow::bail;
use burn::tensor::Device;
use jointscope_dataset::split::{self, Part, Split};
use std::path::Path;

/// Fewest inflamed joints and patients a validation or test split should have for a threshold or a
/// patient-level bootstrap interval to mean much: below 10 positives one joint moves sensitivity by
/// 10 % or more, and below 5 patients the bootstrap redraws the same few patients.
pub const MEANINGFUL_POSITIVES: usize = 10;
pub const MEANINGFUL_PATIENTS: usize = 5;

/// Label the unlabelled joints of the `train` photos with the confident predictions of the model
/// trained in `teacher`; returns (pseudo-positives, pseudo-negatives) added.
pub fn pseudo_label(teacher: &Path, ds: &mut Dataset, train: &[usize], confidence: f32, device: &Device) -> anyhow::Result<(usize, usize)> {
    let run = RunDir(teacher.to_path_buf());
    run.require_trained()?;
    let meta: ModelMeta = run::read_json(&run.model_meta())?;
    let model = run::load_model_file(&meta.model, &run.model(), device)?;
    let preds = predict_of(&model, &meta.model, ds, train, device, meta.temperature, Which::Unlabelled)?;
    let (mut pos, mut neg) = (0, 0);
    for p in preds {
        let target = if p.prob >= confidence {
            pos += 1;
            1.0
        } else if p.prob <= 1.0 - confidence {
            neg += 1;
            0.0
        } else {
            continue;
        };
        let photo = &mut ds.photos[p.photo];
        if let Some(k) = photo.unlabelled.iter().position(|u| u.0 == p.joint) {
            let (j, pt) = photo.unlabelled.remove(k);
            photo.labelled.push((j, pt, target));
        }
    }
    Ok((pos, neg))
}

/// Load the dataset and the split of a run (the split is made once, seeded, and kept in the run).
pub fn load_data(run: &RunDir, config: &RunConfig, progress: &dyn Progress) -> anyhow::Result<(Dataset, Split)> {
    check_manifest_unchanged(config)?;
    let manifest = read_manifest(&config.manifest)?;
    let ds = Dataset::load(&manifest, progress)?;
    let split = if run.split().exists() {
        run::read_json(&run.split())?
    } else {
        let entries: Vec<_> = ds.photos.iter().map(|p| p.entry.clone()).collect();
        let split = split::split_patients(&entries, config.split);
        run::write_json(&run.split(), &split)?;
        split
    };
    Ok((ds, split))
}

/// Refuse a run whose manifest is no longer the one it started with (edited, replaced or relabelled
/// between its epochs, or since it finished): its split and its epochs so far belong to the old one.
fn check_manifest_unchanged(config: &RunConfig) -> anyhow::Result<()> {
    let Some(started) = &config.manifest_sha256 else { return Ok(()) };
    let now = jointscope_dataset::fsio::sha256_file(&config.manifest)?;
    if &now != started {
        bail!(
            "the manifest {} has changed since this run started (SHA-256 {}… then, {}… now): the run's split and epochs belong to the old labels. \
             Put the old manifest back to continue the run, or train a new run on the new one",
            config.manifest.display(),
            &started[..12],
            &now[..12]
        );
    }
    Ok(())
}

/// Refuse a training or validation split without both classes (nothing to learn, or no threshold
/// and temperature to fit), and warn when a validation or test split is too small for its
/// threshold or intervals to mean much.
pub fn check_split(ds: &Dataset, split: &Split, progress: &dyn Progress) -> anyhow::Result<()> {
    let total = ds.summary("", &(0..ds.photos.len()).collect::<Vec<_>>());
    for (part, name, purpose) in [
        (Part::Train, "training", "learn what an inflamed joint looks like"),
        (Part::Valid, "validation", "choose the decision threshold and fit the calibration"),
    ] {
        let s = ds.summary("", &ds.part(split, part));
        let (pos, neg) = (s.inflamed_joints, s.labelled_joints - s.inflamed_joints);
        if pos == 0 || neg == 0 {
            bail!(
                "the {name} split ({} patients) has {pos} inflamed and {neg} healthy labelled joints; it needs at least 1 of each to {purpose}. \
                 The manifest has {} patients with {} inflamed and {} healthy labelled joints: label more patients (with and without inflamed joints), \
                 since splits keep each patient whole",
                s.patients,
                total.patients,
                total.inflamed_joints,
                total.labelled_joints - total.inflamed_joints
            );
        }
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    for (part, name) in [(Part::Valid, "validation"), (Part::Test, "test")] {
        let s = ds.summary("", &ds.part(split, part));
        if s.inflamed_joints < MEANINGFUL_POSITIVES || s.patients < MEANINGFUL_PATIENTS {
            let why = if part == Part::Valid {
                format!("the threshold and calibration fitted on it are unreliable (one joint moves its sensitivity by 1/{})", s.inflamed_joints.max(1))
            } else {
                "its bootstrap intervals are unreliable (resampling so few patients redraws the same ones)".to_string()
            };
            progress.warn(&format!(
                "the {name} split has {} and {} (fewer than {MEANINGFUL_PATIENTS} patients or {MEANINGFUL_POSITIVES} inflamed joints): {why}",
                plural(s.patients, "patient"),
                plural(s.inflamed_joints, "inflamed joint"),
            ));
        }
    }
    Ok(())
}
