//! The run directory: configuration, split, history, checkpoints and the trained model, each
//! written atomically (a temporary file renamed into place), so an interrupted run stays loadable.
use anyhow::{Context, bail};
use burn::module::Module;
use burn::tensor::Device;
use jointscope_model::{JointNet, ModelConfig};
use serde::{Serialize, de::DeserializeOwned};
use std::path::{Path, PathBuf};

/// Version of a run folder's `model.json` (the export has its own, `jointscope_detect::FORMAT_VERSION`).
pub const FORMAT_VERSION: u32 = 1;

/// Write `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // A uniquely named file in the same folder, flushed to disk before it replaces `path`.
    let mut builder = tempfile::Builder::new();
    builder.prefix(".jointscope-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644)); // not tempfile's private 0600
    }
    let mut tmp = builder.tempfile_in(dir).with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).and_then(|_| tmp.as_file().sync_all()).with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// Write a value as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes())
}

/// Read a JSON file into a value, naming the file on error.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Serialise a model's weights (burnpack bytes).
pub fn model_bytes(model: &JointNet) -> anyhow::Result<Vec<u8>> {
    let bytes = model.clone().into_record().into_bytes().map_err(|e| anyhow::anyhow!("serialising weights: {e:?}"))?;
    Ok(bytes.to_vec())
}

/// Build a model of `config` on `device` and load `bytes` into it, refusing any mismatch.
pub fn load_model(config: &ModelConfig, bytes: Vec<u8>, device: &Device) -> anyhow::Result<JointNet> {
    Ok(config.load(bytes, device)?)
}

/// Load weights from a file.
pub fn load_model_file(config: &ModelConfig, path: &Path, device: &Device) -> anyhow::Result<JointNet> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    load_model(config, bytes, device).with_context(|| format!("loading {}", path.display()))
}

/// Paths inside a run directory.
pub struct RunDir(pub PathBuf);

impl RunDir {
    pub fn config(&self) -> PathBuf {
        self.0.join("run.json")
    }
    pub fn split(&self) -> PathBuf {
        self.0.join("split.json")
    }
    pub fn history(&self) -> PathBuf {
        self.0.join("history.csv")
    }
    pub fn checkpoints(&self) -> PathBuf {
        self.0.join("checkpoints")
    }
    /// The best weights (by validation ROC-AUC).
    pub fn model(&self) -> PathBuf {
        self.0.join("model.bpk")
    }
    /// The best model's metadata, threshold included.
    pub fn model_meta(&self) -> PathBuf {
        self.0.join("model.json")
    }
    pub fn eval(&self) -> PathBuf {
        self.0.join("eval")
    }
    pub fn plots(&self) -> PathBuf {
        self.0.join("plots")
    }

    /// The newest complete checkpoint: (epoch, folder).
    pub fn latest_checkpoint(&self) -> Option<(usize, PathBuf)> {
        let rd = std::fs::read_dir(self.checkpoints()).ok()?;
        rd.filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let n = name.strip_prefix("epoch-")?.parse::<usize>().ok()?;
                e.path().join("state.json").exists().then_some((n, e.path()))
            })
            .max_by_key(|(n, _)| *n)
    }

    /// Write a checkpoint folder atomically (a temporary folder renamed into place) and keep the
    /// newest two. It holds this epoch's weights, the training state and a copy of the best
    /// weights so far (`best.bpk`), which a resumed run puts back as its model: a run killed
    /// between writing the model and its checkpoint never pairs one epoch's state with another's best.
    pub fn save_checkpoint<S: Serialize>(&self, epoch: usize, model: &JointNet, state: &S) -> anyhow::Result<()> {
        let dir = self.checkpoints();
        let tmp = dir.join(format!("epoch-{epoch:04}.tmp"));
        let done = dir.join(format!("epoch-{epoch:04}"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        std::fs::write(tmp.join("model.bpk"), model_bytes(model)?)?;
        if self.model().exists() {
            std::fs::copy(self.model(), tmp.join("best.bpk")).with_context(|| format!("copying {}", self.model().display()))?;
        }
        std::fs::write(tmp.join("state.json"), serde_json::to_string_pretty(state)?)?;
        let _ = std::fs::remove_dir_all(&done);
        std::fs::rename(&tmp, &done).with_context(|| format!("renaming {}", done.display()))?;
        let mut all: Vec<usize> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok()?.file_name().to_string_lossy().strip_prefix("epoch-")?.parse().ok())
            .collect();
        all.sort();
        for old in all.iter().rev().skip(2) {
            let _ = std::fs::remove_dir_all(dir.join(format!("epoch-{old:04}")));
        }
        Ok(())
    }

    /// Fail unless the run has finished training.
    pub fn require_trained(&self) -> anyhow::Result<()> {
        if !self.model_meta().exists() || !self.model().exists() {
            bail!("{} holds no trained model (run `jointscope train` first)", self.0.display());
        }
        Ok(())
    }
}
