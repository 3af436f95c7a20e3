//! What a training manifest's photos are ([`TrainingPhotos`]), read from the summary its generator
//! wrote beside it — never assumed.
use crate::fsio;
use jointscope_data::{DataError, TrainingPhotos};
use std::path::Path;

/// The generator summaries that can lie beside a manifest, and what they make its photos.
const SUMMARIES: [(&str, TrainingPhotos); 2] =
    [(crate::synth::SUMMARY_FILE, TrainingPhotos::Drawn), (crate::real::SUMMARY_FILE, TrainingPhotos::SimulatedSigns)];

/// The manifest's photos: drawn, or real with painted signs, where the generator's summary beside
/// it records this very manifest's checksum; photos with real labels where there is no summary.
/// A summary that cannot be read, or that records another manifest, is an error: the folder is the
/// generator's and the manifest is not what it wrote, so what the photos are cannot be told.
pub fn training_photos(manifest: &Path) -> Result<TrainingPhotos, DataError> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let mut found = None;
    for (file, kind) in SUMMARIES {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let unreadable = |reason: String| DataError::Manifest {
            path: manifest.into(),
            reason: format!("{} beside it cannot be read ({reason}), so what its photos are (drawn, painted or real) is unknown", path.display()),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
        let recorded = serde_json::from_str::<serde_json::Value>(&text).map_err(|e| unreadable(e.to_string()))?;
        let recorded = recorded.get("manifest_sha256").and_then(|v| v.as_str()).ok_or_else(|| unreadable("no manifest_sha256".into()))?.to_string();
        if recorded != fsio::sha256_file(manifest)? {
            return Err(DataError::Manifest {
                path: manifest.into(),
                reason: format!(
                    "it lies beside {} but is not the manifest the generator wrote there (its checksum differs), so whether its photos are {} cannot be told: train on the generator's manifest, or move your own with its images to a folder of their own",
                    path.display(),
                    kind.words()
                ),
            });
        }
        if found.is_some() {
            return Err(DataError::Manifest {
                path: manifest.into(),
                reason: format!("{} holds both {} and {}", dir.display(), SUMMARIES[0].0, SUMMARIES[1].0),
            });
        }
        found = Some(kind);
    }
    Ok(found.unwrap_or(TrainingPhotos::RealLabels))
}
