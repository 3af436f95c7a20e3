//! The end of a run: the best weights calibrated on validation, and the run's metadata.
use super::{CheckpointState, ModelMeta, Trainer};
use crate::calibrate::{self, Calibration};
use crate::predict::{Prediction, predict};
use crate::run;
use burn::module::Module;

/// After the last epoch: calibration and threshold on validation with the best weights, the
/// familiarity summaries and the retake difference, as the run's metadata (`model.json`).
impl Trainer<'_> {
    /// `photos`: what the training photos are; `pseudo`: the pseudo-labels added.
    pub(super) fn finish(&self, state: &CheckpointState, pseudo: (usize, usize), photos: jointscope_data::TrainingPhotos) -> anyhow::Result<ModelMeta> {
        let Trainer { run, config, ds, train_ids, valid_ids, selected, models, progress, .. } = *self;
        let (p, device) = (&config.train, &selected.device);
        let best = run::load_model_file(&config.model, &run.model(), device)?;
        let raw = predict(&best, &config.model, ds, valid_ids, device, 1.0)?;
        let Calibration { temperature, threshold, flagged } = calibrate::calibrate(&raw, p.objective);
        let calibrated: Vec<Prediction> = raw.iter().map(|x| Prediction { prob: jointscope_model::probability(x.logit, temperature), ..x.clone() }).collect();
        let hand_rule = calibrate::hand_rule(&calibrated, p.objective);
        let familiarity = crate::predict::familiarity(&best, &config.model, ds, train_ids, valid_ids, device)?;
        // The summary over MediaPipe's features needs its file; without it the export has none.
        let full = models.join(crate::init::MEDIAPIPE_FILE);
        let mediapipe = std::fs::read(&full)
            .inspect_err(|e| progress.warn(&format!("{} unreadable ({e}): the export will not judge photos by MediaPipe's features", full.display())))
            .ok();
        let appearance = match &mediapipe {
            Some(bytes) => {
                let looks = jointscope_detect::appearance::AppearanceEncoder::new(bytes, device)?;
                crate::predict::appearance(&looks, &config.model, ds, train_ids, valid_ids, device)?
            }
            None => None,
        };
        let retake_difference = crate::predict::retake_difference(&best, &config.model, ds, valid_ids, temperature, device)?;
        let manifest = config.manifest.display().to_string();
        Ok(ModelMeta {
            format_version: run::FORMAT_VERSION,
            model: config.model.clone(),
            threshold,
            objective: p.objective,
            temperature,
            best_epoch: state.best.map(|b| b.0).unwrap_or(0),
            train_data: ds.summary(&manifest, train_ids),
            valid_data: ds.summary(&manifest, valid_ids),
            backend: selected.name.clone(),
            parameters: best.num_params(),
            pseudo_labels: pseudo,
            training_photos: Some(photos),
            valid_flagged: Some(flagged),
            hand_rule,
            familiarity,
            retake_difference,
            initialisation: Some(crate::init::describe(p.init_mediapipe, p.init.as_deref(), mediapipe.as_deref())),
            appearance,
            machine: Some(crate::machine::Machine::current()),
        })
    }
}
