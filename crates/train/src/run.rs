//! The run directory: configuration, split, history, checkpoints and the trained model, each
//! written atomically, so an interrupted run stays loadable.
use anyhow::{Context, bail};
use burn::module::Module;
use burn::tensor::Device;
use jointscope_dataset::fsio;
use jointscope_model::{JointNet, ModelConfig};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::path::{Path, PathBuf};

/// Version of a run folder's `model.json` (the export has its own, `jointscope_detect::FORMAT_VERSION`).
pub const FORMAT_VERSION: u32 = 1;

pub use fsio::write_atomic;

/// Write a value as pretty JSON, atomically.
/// Write a report as `out/NAME.json` and, in Markdown, `out/NAME.md`.
pub fn write_report<T: Serialize>(out: &Path, name: &str, report: &T, md: &str) -> anyhow::Result<()> {
    write_json(&out.join(format!("{name}.json")), report)?;
    Ok(write_atomic(&out.join(format!("{name}.md")), md.as_bytes())?)
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    Ok(write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes())?)
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

/// Load weights from a file into a model of `config` on `device`, refusing any mismatch.
pub fn load_model_file(config: &ModelConfig, path: &Path, device: &Device) -> anyhow::Result<JointNet> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    config.load(bytes, device).with_context(|| format!("loading {}", path.display()))
}

/// One epoch's record (`history.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub valid_loss: f64,
    pub valid_auc: Option<f64>,
    /// Validation PR-AUC (average precision).
    #[serde(default)]
    pub valid_pr_auc: Option<f64>,
    #[serde(default)]
    pub seconds: f64,
}

/// An [`EpochRecord`] as `history.csv` writes it: losses and AUCs to 6 decimals, seconds to 2, an
/// absent AUC empty (the checkpoint keeps the full values).
#[derive(Serialize)]
struct HistoryRow {
    epoch: usize,
    #[serde(serialize_with = "fixed::<6, _, _>")]
    train_loss: f64,
    #[serde(serialize_with = "fixed::<6, _, _>")]
    valid_loss: f64,
    #[serde(serialize_with = "fixed_or_empty::<6, _, _>")]
    valid_auc: Option<f64>,
    #[serde(serialize_with = "fixed_or_empty::<6, _, _>")]
    valid_pr_auc: Option<f64>,
    #[serde(serialize_with = "fixed::<2, _, _>")]
    seconds: f64,
}

/// A number written with `D` decimals (the fixed precision the project's CSV files keep).
pub fn fixed<const D: usize, T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{:.*}", D, v))
}

/// [`fixed`], or an empty cell for `None`.
pub fn fixed_or_empty<const D: usize, T: std::fmt::Display, S: serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => fixed::<D, T, S>(v, s),
        None => s.serialize_str(""),
    }
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
    /// The best weights (by the validation score).
    pub fn model(&self) -> PathBuf {
        self.0.join("model.bpk")
    }
    /// The best model's metadata, threshold included.
    pub fn model_meta(&self) -> PathBuf {
        self.0.join("model.json")
    }
    /// Where an evaluation on `set` writes its files.
    pub fn eval(&self, set: &str) -> PathBuf {
        if set == "test" { self.0.join("eval") } else { self.0.join(format!("eval-{set}")) }
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

    /// Write a checkpoint folder atomically and keep the newest two. It holds this epoch's
    /// weights, the training state, `extra` files (the optimiser's state) and a copy of the best
    /// weights so far (`best.bpk`), which a resumed run puts back as its model: a run killed
    /// between writing the model and its checkpoint never pairs one epoch's state with another's best.
    pub fn save_checkpoint<S: Serialize>(&self, epoch: usize, model: &JointNet, state: &S, extra: &[(&str, Vec<u8>)]) -> anyhow::Result<()> {
        let dir = self.checkpoints();
        let weights = model_bytes(model)?;
        let best = if self.model().exists() { Some(std::fs::read(self.model()).with_context(|| format!("reading {}", self.model().display()))?) } else { None };
        let state = serde_json::to_string_pretty(state)?;
        let mut files: Vec<(&str, &[u8])> = vec![("model.bpk", &weights), ("state.json", state.as_bytes())];
        if let Some(b) = &best {
            files.push(("best.bpk", b));
        }
        files.extend(extra.iter().map(|(name, bytes)| (*name, bytes.as_slice())));
        fsio::write_dir_atomic(&dir.join(format!("epoch-{epoch:04}")), &files)?;
        let mut all: Vec<usize> = std::fs::read_dir(&dir)?.filter_map(|e| e.ok()?.file_name().to_string_lossy().strip_prefix("epoch-")?.parse().ok()).collect();
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

/// Write the epoch history as CSV.
pub fn write_history(path: &Path, history: &[EpochRecord]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in history {
        w.serialize(HistoryRow {
            epoch: r.epoch,
            train_loss: r.train_loss,
            valid_loss: r.valid_loss,
            valid_auc: r.valid_auc,
            valid_pr_auc: r.valid_pr_auc,
            seconds: r.seconds,
        })?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    Ok(write_atomic(path, &bytes)?)
}

/// A run's `history.csv`, read by its column names (files written before `valid_pr_auc` and
/// `seconds` were recorded read them as absent and 0).
pub fn read_history(path: &Path) -> anyhow::Result<Vec<EpochRecord>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    r.deserialize().collect::<Result<_, _>>().with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, valid_auc: Option<f64>) -> EpochRecord {
        EpochRecord { epoch, train_loss: 0.1234567, valid_loss: 0.5, valid_auc, valid_pr_auc: Some(0.25), seconds: 1.499 }
    }

    #[test]
    fn history_csv_keeps_six_decimals_and_leaves_an_absent_auc_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.csv");
        write_history(&path, &[record(1, None), record(2, Some(0.75))]).unwrap();
        let expected =
            "epoch,train_loss,valid_loss,valid_auc,valid_pr_auc,seconds\n1,0.123457,0.500000,,0.250000,1.50\n2,0.123457,0.500000,0.750000,0.250000,1.50\n";
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    }

    #[test]
    fn history_csv_is_read_by_column_name_and_an_older_file_without_the_last_columns_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.csv");
        std::fs::write(&path, "valid_loss,epoch,train_loss,valid_auc\n0.5,3,0.25,\n").unwrap();
        let read = read_history(&path).unwrap();
        assert_eq!(read, vec![EpochRecord { epoch: 3, train_loss: 0.25, valid_loss: 0.5, valid_auc: None, valid_pr_auc: None, seconds: 0.0 }]);
    }

    #[test]
    fn a_run_config_with_a_misspelt_setting_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        let config = crate::train::RunConfig {
            manifest: "manifest.csv".into(),
            manifest_sha256: None,
            model: jointscope_model::ModelConfig::default(),
            train: crate::train::TrainParams::default(),
            split: jointscope_dataset::split::SplitSpec::default(),
            backend: crate::backend::BackendChoice::default(),
        };
        let mut v = serde_json::to_value(&config).unwrap();
        v["train"]["recipe"]["patinece"] = serde_json::json!(3);
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let e = format!("{:#}", read_json::<crate::train::RunConfig>(&path).unwrap_err());
        assert!(e.contains("unknown field `patinece`"), "{e}");
    }
}
