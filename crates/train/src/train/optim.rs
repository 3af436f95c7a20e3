//! The optimisers of a run and their state in a checkpoint.
use super::TrainParams;
use anyhow::Context;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use jointscope_model::JointNet;
use std::path::Path;

/// The optimisers of a run: one for everything, and one for the encoders when they learn at
/// their own rate (`encoder_lr_scale` ≠ 1) or start frozen.
pub struct Optimisers {
    pub all: ModuleOptimizer,
    pub encoders: Option<ModuleOptimizer>,
}

/// Files of the optimisers' state in a checkpoint.
const OPTIM_FILES: [&str; 2] = ["optim.bpk", "optim-encoders.bpk"];

impl Optimisers {
    pub fn new(p: &TrainParams) -> Self {
        let adamw = || AdamWConfig::new().with_weight_decay(p.weight_decay).init();
        let split = p.recipe.frozen_epochs > 0 || p.recipe.encoder_lr_scale != 1.0;
        Optimisers { all: adamw(), encoders: split.then(adamw) }
    }

    /// The optimisers' state (AdamW's moments and step counts) as checkpoint files.
    pub(super) fn to_files(&self) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
        let bytes = |o: &ModuleOptimizer| o.into_bytes().map(|b| b.to_vec()).map_err(|e| anyhow::anyhow!("serialising the optimiser: {e:?}"));
        let mut out = vec![(OPTIM_FILES[0], bytes(&self.all)?)];
        if let Some(e) = &self.encoders {
            out.push((OPTIM_FILES[1], bytes(e)?));
        }
        Ok(out)
    }

    /// Put back the state a checkpoint folder holds (a checkpoint from before optimiser states were
    /// kept has none: the moments then start afresh).
    pub(super) fn load(mut self, dir: &Path) -> anyhow::Result<Self> {
        let read = |o: ModuleOptimizer, name: &str| -> anyhow::Result<ModuleOptimizer> {
            let path = dir.join(name);
            if !path.exists() {
                return Ok(o);
            }
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            o.from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).map_err(|e| anyhow::anyhow!("{}: {e:?}", path.display()))
        };
        self.all = read(self.all, OPTIM_FILES[0])?;
        self.encoders = self.encoders.map(|e| read(e, OPTIM_FILES[1])).transpose()?;
        Ok(self)
    }

    /// One update at learning rate `lr`. Split: the head steps on its own gradients, the encoders
    /// (unless `frozen`) on theirs at `lr × encoder_lr_scale`.
    pub fn step(&mut self, model: JointNet, grads: burn::tensor::Gradients, lr: f64, frozen: bool, encoder_lr_scale: f64) -> JointNet {
        let Some(enc) = self.encoders.as_mut() else {
            let grads = GradientsParams::from_grads(grads, &model);
            return self.all.step(lr, model, grads);
        };
        let mut grads = grads;
        // Taking the encoders' gradients out first leaves only the head's for the whole model.
        let local = model.local.as_ref().map(|m| GradientsParams::from_module(&mut grads, m));
        let global = model.global.as_ref().map(|m| GradientsParams::from_module(&mut grads, m));
        let head = GradientsParams::from_module(&mut grads, &model);
        let mut model = self.all.step(lr, model, head);
        if !frozen {
            for g in [local, global].into_iter().flatten() {
                model = enc.step(lr * encoder_lr_scale, model, g);
            }
        }
        model
    }
}
