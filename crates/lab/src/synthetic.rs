//! Preparing a folder for the synthetic benchmark without touching anything jointscope did not write.
use anyhow::bail;
use jointscope_dataset::synth::{self, SynthConfig, SynthSummary};
use jointscope_train::progress::Progress;
use std::path::Path;

/// What [`prepare`] did.
pub enum Prepared {
    /// The folder already held this very benchmark.
    Reused(SynthSummary),
    /// The benchmark was generated (replacing an older one the generator had written there).
    Generated(SynthSummary),
}

impl Prepared {
    pub fn summary(&self) -> &SynthSummary {
        match self {
            Prepared::Reused(s) | Prepared::Generated(s) => s,
        }
    }
}

/// Generate the benchmark of `config` into `dir` (one progress step per photo), or reuse it when
/// `dir` already holds it. A benchmark of other settings that the generator wrote there is
/// replaced file by file ([`synth::remove_output`]); a non-empty folder the generator did not write
/// is refused, never cleared.
pub fn prepare(dir: &Path, config: &SynthConfig, progress: &dyn Progress) -> anyhow::Result<Prepared> {
    let summary = dir.join(synth::SUMMARY_FILE);
    if summary.is_file() {
        let previous: Option<SynthSummary> = jointscope_train::run::read_json(&summary).ok();
        if let Some(p) = previous.filter(|p| serde_json::to_value(&p.config).ok() == serde_json::to_value(config).ok()) {
            return Ok(Prepared::Reused(p));
        }
        synth::remove_output(dir)?;
    } else if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        bail!("{} is not empty and holds no {} (it is not a benchmark jointscope generated): choose another folder", dir.display(), synth::SUMMARY_FILE);
    }
    progress.start("generating", (config.patients * 2 + config.healthy_images) as u64);
    let s = synth::generate(config, dir, &|_, _| progress.step(""));
    progress.finish();
    Ok(Prepared::Generated(s?))
}
