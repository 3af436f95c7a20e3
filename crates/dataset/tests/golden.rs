//! Golden hashes: every byte a small seed-7 drawn benchmark and a small painted benchmark write,
//! pinned. Seed 7 with the default settings must keep reproducing the benchmark every published
//! figure was measured on, so a refactor of the generators (splitting them into modules, say) must
//! change no byte of what they write. The hashes were taken from the generators as they stood
//! before they were split; a deliberate change of the drawing updates them and says why in its
//! commit.
use jointscope_data::{Hand, View};
use jointscope_dataset::real::{self, BasePhoto, RealConfig};
use jointscope_dataset::synth::{self, HandSpec, PatientTraits, Preset, SynthConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Each file below `dir` as `relative/path sha256`, sorted by path; `src` (where the base photos
/// lay, which `photos.csv` names) is hashed as `<src>` in its text files.
fn listing(dir: &Path, src: Option<&Path>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
                let mut bytes = std::fs::read(&path).unwrap();
                if let Some(src) = src.filter(|_| rel.ends_with(".csv") || rel.ends_with(".json")) {
                    bytes = String::from_utf8_lossy(&bytes).replace(&src.display().to_string(), "<src>").into_bytes();
                }
                out.push(format!("{rel} {:x}", Sha256::digest(bytes)));
            }
        }
    }
    out.sort();
    out
}

/// One hash of a whole folder (its listing's), and the listing for the message when it differs.
fn folder_hash(dir: &Path, src: Option<&Path>) -> (String, String) {
    let listing = listing(dir, src).join("\n");
    (format!("{:x}", Sha256::digest(listing.as_bytes())), listing)
}

#[test]
fn a_small_seed_7_drawn_benchmark_is_byte_for_byte_the_pinned_one() {
    let out = tempfile::tempdir().unwrap();
    let config = SynthConfig { patients: 4, healthy_images: 3, image_size: 128, seed: 7, ..SynthConfig::default() };
    synth::generate(&config, out.path(), &|_, _| {}).unwrap();
    let (hash, listing) = folder_hash(out.path(), None);
    assert_eq!(hash, "f80e71fbbdc2b2100f89fdc62b9135ae0a50cb8d0f08ad91b7a69926ec6f7d9e", "the drawn benchmark changed; its files:\n{listing}");
}

/// Six drawn healthy hands of two subjects as base photos (their landmarks known exactly).
fn bases(dir: &Path) -> Vec<BasePhoto> {
    let hands = [("s1", Hand::Right), ("s1", Hand::Left), ("s2", Hand::Left), ("s2", Hand::Right), ("s3", Hand::Right), ("s3", Hand::Left)];
    hands
        .into_iter()
        .enumerate()
        .map(|(k, (subject, hand))| {
            let mut rng = ChaCha8Rng::seed_from_u64(100 + k as u64);
            let spec = HandSpec::healthy(hand, View::Dorsal, PatientTraits::sample(&mut rng));
            let r = synth::render_hand(&spec, 256, 1.0, &mut rng);
            let path = dir.join(format!("photo{k}.png"));
            r.image.save(&path).unwrap();
            BasePhoto { path, subject: subject.into(), hand, landmarks: r.landmarks }
        })
        .collect()
}

#[test]
fn a_small_painted_benchmark_is_byte_for_byte_the_pinned_one() {
    let (src, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = RealConfig { visits: 2, max_side: 256, prevalence: 0.3, test_subjects: 1, seed: 7, ..RealConfig::from_preset(Preset::Default) };
    real::generate(&bases(src.path()), &config, out.path(), &|_, _| {}).unwrap();
    let (hash, listing) = folder_hash(out.path(), Some(src.path()));
    assert_eq!(hash, "9548bec18a049183fffc221c0e9a279f7f08479f824344e0156c7e3956468350", "the painted benchmark changed; its files:\n{listing}");
}
