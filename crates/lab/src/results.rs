//! Finished runs kept as small files in a folder meant for git (`experiments/results/<study>/`), so
//! a fresh clone prints an ablation's tables without training and a new machine trains only what
//! is missing. A run's slot holds what the report reads — its selection (`ablation-run.json`),
//! `model.json` (without the feature summaries an export needs), `history.csv`, `split.json`, the test and validation predictions and metrics —
//! and `provenance.json` (commit, CPU, vector features, backend, backward); never weights or photos.
//!
//! Slots are named by what a reader asks for (benchmark, row, seed, learning rate, and the pool
//! for pretrained rows), so the table can be printed where the data is absent; each slot also
//! records the run's identity (the hash of its configuration with every file replaced by its
//! content's hash), and where the data is present a slot of another identity is refused rather
//! than mixed in.
use anyhow::Context;
use jointscope_train::machine::Machine;
use jointscope_train::run;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file of a finished run's selection figures in its folder and in its slot.
pub const RUN_FILE: &str = "ablation-run.json";

/// The files and folders a slot copies from a finished run's folder (those present).
const KEPT: [&str; 3] = ["model.json", "history.csv", "split.json"];
/// Evaluation folders copied whole (predictions and metrics; plots are left behind).
const KEPT_EVALS: [&str; 3] = ["eval-cohort", "eval-valid", "eval-cohort-landmarks"];
const KEPT_EVAL_FILES: [&str; 2] = ["metrics.json", "predictions.csv"];

/// Where and with what a run was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The commit of the program that trained it (`git describe`, with `-dirty` for local changes).
    pub commit: String,
    pub machine: Machine,
    /// The backend it trained on (`flex`, `wgpu`, …).
    pub backend: String,
}

/// A file-name-safe form of a name: letters, digits, `+`, `-` and `.` kept, the rest `_`.
pub fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || "+-.".contains(c) { c } else { '_' }).collect()
}

/// The slot of a run in the results folder `root`: `root/<benchmark>/<row>/seed-<s>-lr-<lr>[-<pool>]`,
/// `pool` naming the pretraining pool for rows that pretrain.
pub fn slot(root: &Path, benchmark: &str, row: &str, seed: u64, lr: f64, pool: Option<&str>) -> PathBuf {
    let mut leaf = format!("seed-{seed}-lr-{lr}");
    if let Some(p) = pool {
        leaf += &format!("-{}", slug(p));
    }
    root.join(slug(benchmark)).join(slug(row)).join(leaf)
}

/// The finished run kept in `slot`, read as if it lay there (its `dir` is the slot).
pub fn find(slot: &Path) -> anyhow::Result<Option<crate::ablate::RunResult>> {
    let file = slot.join(RUN_FILE);
    if !file.exists() {
        return Ok(None);
    }
    let mut r: crate::ablate::RunResult = run::read_json(&file)?;
    r.dir = slot.to_path_buf();
    Ok(Some(r))
}

/// Copy a finished run's small files from `dir` into `slot` (replacing an older copy) with its
/// provenance; written into a fresh folder beside the slot and renamed into place, so an
/// interrupted copy leaves no half slot.
pub fn keep(slot: &Path, dir: &Path, result: &crate::ablate::RunResult, provenance: &Provenance) -> anyhow::Result<()> {
    let parent = slot.parent().context("a slot has a parent folder")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let partial = parent.join(format!(".{}.partial", slot.file_name().unwrap_or_default().to_string_lossy()));
    if partial.exists() {
        // Left by an interrupted copy of this very slot (the name is ours).
        std::fs::remove_dir_all(&partial).with_context(|| format!("removing {}", partial.display()))?;
    }
    std::fs::create_dir_all(&partial)?;
    for name in KEPT {
        copy_if_present(&dir.join(name), &partial.join(name))?;
    }
    slim_model_meta(&partial.join("model.json"))?;
    for eval in KEPT_EVALS {
        for name in KEPT_EVAL_FILES {
            copy_if_present(&dir.join(eval).join(name), &partial.join(eval).join(name))?;
        }
    }
    let kept = crate::ablate::RunResult { dir: PathBuf::from("."), ..result.clone() };
    run::write_json(&partial.join(RUN_FILE), &kept)?;
    run::write_json(&partial.join("provenance.json"), provenance)?;
    if slot.exists() {
        std::fs::remove_dir_all(slot).with_context(|| format!("replacing {}", slot.display()))?;
    }
    std::fs::rename(&partial, slot).with_context(|| format!("moving {} to {}", partial.display(), slot.display()))
}

/// Copy one evaluation folder made after the slot was kept (the landmark positions' one).
pub fn keep_eval(slot: &Path, dir: &Path, eval: &str) -> anyhow::Result<()> {
    for name in KEPT_EVAL_FILES {
        copy_if_present(&dir.join(eval).join(name), &slot.join(eval).join(name))?;
    }
    Ok(())
}

/// `model.json` without the training photos' feature summaries (`familiarity`, `appearance`: two
/// thirds of its bytes, read only by an export, never by a report).
fn slim_model_meta(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let mut meta: serde_json::Value = run::read_json(path)?;
    if let Some(m) = meta.as_object_mut() {
        m.remove("familiarity");
        m.remove("appearance");
    }
    run::write_json(path, &meta)
}

fn copy_if_present(from: &Path, to: &Path) -> anyhow::Result<()> {
    if !from.exists() {
        return Ok(());
    }
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
    }
    std::fs::copy(from, to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_names_row_seed_rate_and_pool_in_safe_characters() {
        let r = Path::new("r");
        assert_eq!(
            slot(r, "default", "MediaPipe init + SSL", 2, 0.0005, Some("real-pool-dorsal500")),
            PathBuf::from("r/default/MediaPipe_init_+_SSL/seed-2-lr-0.0005-real-pool-dorsal500")
        );
        assert_eq!(slot(r, "default", "+SSL", 0, 0.002, None), PathBuf::from("r/default/+SSL/seed-0-lr-0.002"));
        assert_eq!(slug("full − baseline/x"), "full___baseline_x");
    }
}
