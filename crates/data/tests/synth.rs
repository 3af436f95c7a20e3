//! The synthetic generator: deterministic per seed, landmarks on the drawn hand, prevalence near
//! the target, and its output a valid manifest.
use jointscope_data::manifest::{self, Hand, Label, Manifest, View};
use jointscope_data::split::{self, SplitSpec};
use jointscope_data::synth::{self, HandSpec, PatientTraits, SynthConfig};
use jointscope_data::{Joint, image_io};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn spec(seed: u64) -> HandSpec {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    HandSpec { hand: Hand::Right, view: View::Dorsal, severity: [0.0; Joint::COUNT], traits: PatientTraits::sample(&mut rng) }
}

#[test]
fn rendering_is_deterministic_per_seed() {
    let s = spec(3);
    let a = synth::render_hand(&s, 160, 1.0, &mut ChaCha8Rng::seed_from_u64(11));
    let b = synth::render_hand(&s, 160, 1.0, &mut ChaCha8Rng::seed_from_u64(11));
    let c = synth::render_hand(&s, 160, 1.0, &mut ChaCha8Rng::seed_from_u64(12));
    assert_eq!(a.image, b.image);
    assert_eq!(a.landmarks, b.landmarks);
    assert_ne!(a.image, c.image);
}

#[test]
fn joint_coordinates_land_on_the_drawn_hand() {
    for seed in 0..12 {
        let s = HandSpec { hand: if seed % 2 == 0 { Hand::Left } else { Hand::Right }, ..spec(seed) };
        let r = synth::render_hand(&s, 200, 1.0, &mut ChaCha8Rng::seed_from_u64(seed + 100));
        let n = 200usize;
        let hand_px = r.mask.iter().filter(|m| **m).count();
        assert!(hand_px > n * n / 20 && hand_px < n * n * 3 / 4, "hand covers {hand_px} px");
        for j in Joint::ALL {
            let p = r.landmarks[j.landmark()];
            let (x, y) = (p.x as usize, p.y as usize);
            assert!(x < n && y < n, "seed {seed}: {j} at {p:?} is off the image");
            // The joint and its immediate neighbourhood are hand pixels.
            for (dx, dy) in [(0i32, 0i32), (2, 0), (-2, 0), (0, 2), (0, -2)] {
                let (xx, yy) = ((x as i32 + dx) as usize, (y as i32 + dy) as usize);
                assert!(r.mask[yy * n + xx], "seed {seed}: {j} at {p:?} is not on the hand");
            }
        }
        // Thumb is on the correct side: for a right hand seen from the back, left of the middle
        // finger along the hand's own axis.
        let (w, m3, t) = (r.landmarks[0], r.landmarks[9], r.landmarks[4]);
        let cross = (m3.x - w.x) * (t.y - w.y) - (m3.y - w.y) * (t.x - w.x);
        assert_eq!(cross < 0.0, s.hand == Hand::Right, "seed {seed}: thumb on the wrong side");
    }
}

#[test]
fn generated_benchmark_is_a_valid_imbalanced_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let config = SynthConfig { patients: 40, healthy_images: 3, image_size: 128, ..SynthConfig::default() };
    let s = synth::generate(&config, dir.path(), &|_, _| {}).unwrap();
    assert_eq!(s.images, 80);
    assert_eq!(s.joints, 80 * Joint::COUNT);
    let prevalence = s.inflamed as f64 / s.joints as f64;
    assert!((0.02..0.2).contains(&prevalence), "prevalence {prevalence}");
    let report = manifest::validate(&dir.path().join("manifest.csv")).unwrap();
    assert!(report.problems.is_empty(), "{:?}", &report.problems[..report.problems.len().min(5)]);
    let healthy = Manifest::read(&dir.path().join("healthy.csv")).unwrap();
    assert!(healthy.rows.iter().all(|r| r.label == Label::Healthy));
    assert_eq!(healthy.images().len(), 3);
    let img = image_io::load_rgb(&dir.path().join("images/p0001_R.jpg")).unwrap();
    assert_eq!(img.dimensions(), (128, 128));
    // The same seed writes the same files.
    let dir2 = tempfile::tempdir().unwrap();
    synth::generate(&config, dir2.path(), &|_, _| {}).unwrap();
    for f in ["manifest.csv", "landmarks.csv", "images/p0007_L.jpg"] {
        assert_eq!(std::fs::read(dir.path().join(f)).unwrap(), std::fs::read(dir2.path().join(f)).unwrap(), "{f}");
    }
}

#[test]
fn patient_split_never_leaks_and_is_stratified() {
    let dir = tempfile::tempdir().unwrap();
    let config = SynthConfig { patients: 60, healthy_images: 0, image_size: 96, ..SynthConfig::default() };
    synth::generate(&config, dir.path(), &|_, _| {}).unwrap();
    let m = Manifest::read(&dir.path().join("manifest.csv")).unwrap();
    let images = m.images();
    for seed in 0..5 {
        let s = split::split_patients(&images, SplitSpec { seed, ..SplitSpec::default() });
        assert!(s.train.is_disjoint(&s.valid) && s.train.is_disjoint(&s.test) && s.valid.is_disjoint(&s.test));
        assert_eq!(s.train.len() + s.valid.len() + s.test.len(), 60);
        for e in &images {
            assert!(s.part_of(&e.patient_id).is_some());
        }
        let with_pos = |set: &std::collections::BTreeSet<String>| {
            images.iter().filter(|e| set.contains(&e.patient_id) && e.joints.iter().any(|j| j.1 == Label::Inflamed)).count()
        };
        assert!(with_pos(&s.test) > 0 && with_pos(&s.valid) > 0, "seed {seed}: a split has no inflamed patient");
        assert_eq!(s, split::split_patients(&images, SplitSpec { seed, ..SplitSpec::default() }));
    }
}
