//! A manifest's images decoded into memory, and batches built from them: whole-hand views and
//! joint crops through the shared preprocessing in `jointscope_data::preprocess`.
use crate::progress::Progress;
use anyhow::{Context, bail};
use image::RgbImage;
pub use jointscope_data::DataSummary;
use jointscope_data::geometry::{self, Point};
use jointscope_data::preprocess::{self, Jitter};
use jointscope_data::{Joint, image_io};
use jointscope_dataset::manifest::{ImageEntry, Manifest};
use jointscope_dataset::split::{Part, Split};
use jointscope_model::{BatchData, ModelConfig};
use rand::Rng;

/// One decoded photo with its located joints.
pub struct Photo {
    pub entry: ImageEntry,
    pub image: RgbImage,
    pub located: Vec<(Joint, Point)>,
    pub scale: f32,
    /// Joints with a known label and position: (joint, position, target 0/1).
    pub labelled: Vec<(Joint, Point, f32)>,
    /// Joints with a position but an unknown label (candidates for pseudo-labels).
    pub unlabelled: Vec<(Joint, Point)>,
}

/// Which joints of a photo a batch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Joints with a label; targets are the labels.
    Labelled,
    /// Joints without a label; targets are 0 and meaningless.
    Unlabelled,
}

/// Every photo of a manifest, decoded.
pub struct Dataset {
    pub photos: Vec<Photo>,
    /// Labelled rows left out because their joint has no position.
    pub unlocated: usize,
}

impl Dataset {
    /// Decode every image of `manifest`, one progress step each. Fails when no joint has both a
    /// label and a position.
    pub fn load(manifest: &Manifest, progress: &dyn Progress) -> anyhow::Result<Dataset> {
        progress.start("decoding", manifest.images().len() as u64);
        let ds = Self::decode(manifest, &|| progress.step(""));
        progress.finish();
        let ds = ds?;
        if ds.photos.iter().all(|p| p.labelled.is_empty()) {
            bail!("no labelled joint with a position in {} ({} labelled rows lack x,y)", manifest.path.display(), ds.unlocated);
        }
        Ok(ds)
    }

    /// Decode every image of `manifest` for unlabelled use (labels may be absent).
    pub fn load_unlabelled(manifest: &Manifest) -> anyhow::Result<Dataset> {
        Self::decode(manifest, &|| {})
    }

    fn decode(manifest: &Manifest, tick: &dyn Fn()) -> anyhow::Result<Dataset> {
        let mut photos = Vec::new();
        let mut unlocated = 0;
        for entry in manifest.images() {
            let image = image_io::load_rgb(&entry.path)?;
            let located = entry.located();
            let scale = geometry::hand_scale(&located, image.width(), image.height());
            let (mut labelled, mut unlabelled) = (Vec::new(), Vec::new());
            for (j, l, p) in &entry.joints {
                match (l.target(), p) {
                    (Some(t), Some(p)) => labelled.push((*j, *p, t)),
                    (Some(_), None) => unlocated += 1,
                    (None, Some(p)) => unlabelled.push((*j, *p)),
                    (None, None) => {}
                }
            }
            photos.push(Photo { entry, image, located, scale, labelled, unlabelled });
            tick();
        }
        Ok(Dataset { photos, unlocated })
    }

    /// Indices of the photos whose patient is in `part` of `split`.
    pub fn part(&self, split: &Split, part: Part) -> Vec<usize> {
        (0..self.photos.len()).filter(|&i| split.part_of(&self.photos[i].entry.patient_id) == Some(part)).collect()
    }

    /// Summary over the given photos.
    pub fn summary(&self, manifest: &str, photos: &[usize]) -> DataSummary {
        let patients: std::collections::BTreeSet<&str> = photos.iter().map(|&i| self.photos[i].entry.patient_id.as_str()).collect();
        let labelled: usize = photos.iter().map(|&i| self.photos[i].labelled.len()).sum();
        let inflamed: usize = photos.iter().map(|&i| self.photos[i].labelled.iter().filter(|l| l.2 > 0.5).count()).sum();
        DataSummary {
            manifest: manifest.into(),
            images: photos.len(),
            patients: patients.len(),
            labelled_joints: labelled,
            inflamed_joints: inflamed,
            prevalence: if labelled == 0 { 0.0 } else { inflamed as f64 / labelled as f64 },
            images_with_all_joints: photos.iter().filter(|&&i| self.photos[i].located.len() == Joint::COUNT).count(),
        }
    }

    /// Build the model input for the labelled joints of `photos`; with `rng`, augmented.
    /// Returns the batch, the targets and, per joint, (photo index, joint).
    pub fn batch(&self, photos: &[usize], config: &ModelConfig, rng: Option<&mut dyn rand::RngCore>) -> (BatchData, Vec<f32>, Vec<(usize, Joint)>) {
        self.batch_of(photos, config, rng, Which::Labelled)
    }

    /// [`Dataset::batch`] for either kind of joint.
    pub fn batch_of(
        &self,
        photos: &[usize],
        config: &ModelConfig,
        mut rng: Option<&mut dyn rand::RngCore>,
        which: Which,
    ) -> (BatchData, Vec<f32>, Vec<(usize, Joint)>) {
        let mut data = BatchData::default();
        let mut targets = Vec::new();
        let mut who = Vec::new();
        let mut k = 0i64;
        for &i in photos {
            let p = &self.photos[i];
            let joints: Vec<(Joint, Point, f32)> = match which {
                Which::Labelled => p.labelled.clone(),
                Which::Unlabelled => p.unlabelled.iter().map(|&(j, pt)| (j, pt, 0.0)).collect(),
            };
            if joints.is_empty() {
                continue;
            }
            let g = match rng.as_deref_mut() {
                Some(r) => jitter(r, TRAIN_GLOBAL_JITTER),
                None => Jitter::NONE,
            };
            let sizes = (config.global_size, config.local_size);
            let local_jitter = || match rng.as_deref_mut() {
                Some(r) => jitter(r, TRAIN_LOCAL_JITTER),
                None => Jitter::NONE,
            };
            let (global, local) = preprocess::photo_views(&p.image, &p.located, p.scale, joints.iter().map(|j| j.1), sizes, &g, local_jitter);
            data.global.extend(global);
            data.local.extend(local);
            for (j, _, t) in joints {
                data.joint.push(j.index() as i64);
                data.image.push(k);
                targets.push(t);
                who.push((i, j));
            }
            k += 1;
        }
        (data, targets, who)
    }
}

/// How far an augmentation may move a view: shift up to `shift` of the side, scale by up to
/// ±`scale`, rotate by up to ±`angle` radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JitterRange {
    pub shift: f32,
    pub scale: f32,
    pub angle: f32,
}

/// Training's augmentation of the whole-hand view.
pub const TRAIN_GLOBAL_JITTER: JitterRange = JitterRange { shift: 0.04, scale: 0.08, angle: 0.15 };
/// Training's augmentation of each joint's crop.
pub const TRAIN_LOCAL_JITTER: JitterRange = JitterRange { shift: 0.06, scale: 0.1, angle: 0.3 };

/// A random augmentation within `range`, with brightness and contrast jittered too.
pub fn jitter(rng: &mut dyn rand::RngCore, range: JitterRange) -> Jitter {
    let JitterRange { shift, scale, angle } = range;
    Jitter {
        shift: (rng.random_range(-shift..=shift), rng.random_range(-shift..=shift)),
        scale: 1.0 + rng.random_range(-scale..=scale),
        angle: rng.random_range(-angle..=angle),
        offset: rng.random_range(-0.2..=0.2),
        gain: rng.random_range(0.85..=1.15),
    }
}

/// Read a manifest, mapping its errors to a readable message.
pub fn read_manifest(path: &std::path::Path) -> anyhow::Result<Manifest> {
    Manifest::read(path).with_context(|| format!("reading the manifest {}", path.display()))
}
