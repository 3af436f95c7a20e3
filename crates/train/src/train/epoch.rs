//! The epochs: training steps on batches prepared a step ahead, validation, the best weights kept and a checkpoint after each.
use super::{CheckpointState, MIX_PROBABILITY, Optimisers, RunConfig, Select, Trainer};
use crate::augment;
use crate::choice::Choice as _;
use crate::dataset::Dataset;
use crate::predict::{mean_bce, predict, scores_labels};
use crate::run;
use crate::run::EpochRecord;
use crate::schedule::cosine_lr;
use anyhow::bail;
use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use jointscope_metrics::{pr_auc, roc_auc};
use jointscope_model::JointNet;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// One training batch as plain data: crops (augmented), targets and the context-dropout mask.
struct Prepared {
    data: jointscope_model::BatchData,
    targets: Vec<f32>,
    keep: Option<Vec<f32>>,
}

/// Builds step `chunk`'s batch, drawing from `rng` in a fixed order (crops, mixing, dropout mask);
/// `None` when its photos have no labelled joint.
fn prepare(ds: &Dataset, chunk: &[usize], config: &RunConfig, rng: &mut ChaCha8Rng) -> Option<Prepared> {
    let p = &config.train;
    let (mut data, mut targets, who) = ds.batch(chunk, &config.model, if p.augment { Some(&mut *rng as &mut dyn rand::RngCore) } else { None });
    if who.is_empty() {
        return None;
    }
    if p.augment {
        augment::apply(p.mix, MIX_PROBABILITY, &mut data.local, &mut targets, config.model.local_size, rng);
    }
    let keep = (p.recipe.context_dropout > 0.0).then(|| {
        use rand::Rng;
        (0..targets.len()).map(|_| f32::from(u8::from(rng.random::<f32>() >= p.recipe.context_dropout))).collect()
    });
    Some(Prepared { data, targets, keep })
}

impl Trainer<'_> {
    /// The epochs from `state.epoch` on: each trained, validated and checkpointed, the best
    /// weights by validation kept as the run's model, until the last epoch or early stopping.
    pub(super) fn epochs(&self, mut model: JointNet, optim: &mut Optimisers, state: &mut CheckpointState) -> anyhow::Result<()> {
        let (run, p, progress) = (self.run, &self.config.train, self.progress);
        for epoch in state.epoch..p.epochs {
            let start = Instant::now();
            let (trained, train_loss) = train_epoch(self, model, optim, epoch)?;
            model = trained;
            let valid_model = model.valid();
            let rec = validate_epoch(self, &valid_model, epoch, train_loss, start)?;
            let figure = match p.recipe.select {
                Select::RocAuc => rec.valid_auc,
                Select::PrAuc => rec.valid_pr_auc,
            };
            let score = figure.unwrap_or(0.0) - 1e-3 * rec.valid_loss;
            if state.best.is_none_or(|(_, b)| score > b) {
                state.best = Some((rec.epoch, score));
                run::write_atomic(&run.model(), &run::model_bytes(&valid_model)?)?;
            }
            state.history.push(rec);
            state.epoch = epoch + 1;
            run::write_history(&run.history(), &state.history)?;
            run.save_checkpoint(state.epoch, &valid_model, &state, &optim.to_files()?)?;
            if let (Some(patience), Some((best, _))) = (p.recipe.patience, state.best)
                && state.epoch >= best + patience
            {
                progress.note(&format!("stopping early: no better validation {} in {patience} epochs (best epoch {best})", p.recipe.select.name()));
                break;
            }
        }
        Ok(())
    }
}

/// One pass over the training photos; returns the updated model and the mean loss per joint.
/// Batches are built one step ahead on a second thread (decoding, cropping and augmenting on the
/// CPU while the device runs the step), from the same seeded stream in the same order, so the
/// results are those of building them in line.
fn train_epoch(trainer: &Trainer, mut model: JointNet, optim: &mut Optimisers, epoch: usize) -> anyhow::Result<(JointNet, f64)> {
    let Trainer { config, ds, train_ids, prior, counts, progress, .. } = *trainer;
    let device = &trainer.ad;
    let p = &config.train;
    let steps_per_epoch = train_ids.len().div_ceil(p.batch_images);
    let total_steps = steps_per_epoch * p.epochs;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    let order = p.sampler.epoch(ds, train_ids, &mut rng);
    progress.start(&format!("epoch {:>3}/{}", epoch + 1, p.epochs), steps_per_epoch as u64);
    let (mut loss_sum, mut loss_n) = (0.0f64, 0usize);
    let result = std::thread::scope(|scope| -> anyhow::Result<JointNet> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Prepared)>(1);
        let order = &order;
        scope.spawn(move || {
            for (k, chunk) in order.chunks(p.batch_images).enumerate() {
                if let Some(batch) = prepare(ds, chunk, config, &mut rng)
                    && tx.send((k, batch)).is_err()
                {
                    break; // the training thread stopped
                }
            }
        });
        for (k, Prepared { data, targets, keep }) in rx {
            let n = targets.len();
            let mut batch = data.to_batch(&config.model, device)?;
            if let Some(keep) = keep {
                batch.context_keep = Some(Tensor::from_data(TensorData::new(keep, [n]), device));
            }
            let targets = Tensor::<1>::from_data(TensorData::new(targets, [n]), device);
            let out = model.forward(batch);
            let loss = p.loss.loss(out.logits, targets, prior, counts);
            let value: f32 = loss.clone().into_scalar();
            if !value.is_finite() {
                bail!("the loss became {value} at epoch {} step {k}: lower --lr", epoch + 1);
            }
            let step = epoch * steps_per_epoch + k;
            let warm = if p.recipe.warmup_steps > 0 { ((step + 1) as f64 / p.recipe.warmup_steps as f64).min(1.0) } else { 1.0 };
            let lr = cosine_lr(p.lr, step, total_steps) * warm;
            model = optim.step(model, loss.backward(), lr, epoch < p.recipe.frozen_epochs, p.recipe.encoder_lr_scale);
            loss_sum += value as f64 * n as f64;
            loss_n += n;
            progress.step(&format!("loss {:.4}", loss_sum / loss_n as f64));
        }
        Ok(model)
    });
    progress.finish();
    Ok((result?, loss_sum / loss_n.max(1) as f64))
}

/// One epoch's validation figures (`epoch`: 0-based; `train_loss`: its training loss; `start`:
/// when it began), reported as a note.
fn validate_epoch(trainer: &Trainer, model: &JointNet, epoch: usize, train_loss: f64, start: Instant) -> anyhow::Result<EpochRecord> {
    let Trainer { config, ds, valid_ids, progress, .. } = *trainer;
    let device = &trainer.selected.device;
    let preds = predict(model, &config.model, ds, valid_ids, device, 1.0)?;
    let (s, l) = scores_labels(&preds);
    let rec = EpochRecord {
        epoch: epoch + 1,
        train_loss,
        valid_loss: mean_bce(&preds),
        valid_auc: roc_auc(&s, &l),
        valid_pr_auc: pr_auc(&s, &l),
        seconds: start.elapsed().as_secs_f64(),
    };
    let show = |v: Option<f64>| v.map(|a| format!("{a:.3}")).unwrap_or("undefined".into());
    progress.note(&format!(
        "epoch {:>3}/{}: train loss {:.4}, valid loss {:.4}, valid ROC-AUC {}, PR-AUC {}, {:.1} s",
        rec.epoch,
        config.train.epochs,
        rec.train_loss,
        rec.valid_loss,
        show(rec.valid_auc),
        show(rec.valid_pr_auc),
        rec.seconds
    ));
    Ok(rec)
}
