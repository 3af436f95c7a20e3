//! Signs painted on photos: one resampling path for every joint, signs where the amplitude says and
//! nowhere else, and the real-photo benchmark's folder (deterministic, occult joints, subjects).
//! Base photos here are drawn hands, whose landmarks are known exactly.
use image::{GenericImageView, RgbImage};
use jointscope_data::{Hand, Joint, Point, View};
use jointscope_dataset::manifest::{self, Label};
use jointscope_dataset::paint::{self, Signs};
use jointscope_dataset::real::{self, BasePhoto, RealConfig};
use jointscope_dataset::synth::{self, Disease, HandSpec, PatientTraits, Preset};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// A drawn healthy hand and its landmarks.
fn drawn(seed: u64, hand: Hand) -> (RgbImage, [Point; 21]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let spec = HandSpec::healthy(hand, View::Dorsal, PatientTraits::sample(&mut rng));
    let r = synth::render_hand(&spec, 320, 1.0, &mut rng);
    (r.image, r.landmarks)
}

fn one(j: Joint, a: f32) -> [f32; Joint::COUNT] {
    let mut amp = [0.0; Joint::COUNT];
    amp[j.index()] = a;
    amp
}

#[test]
fn zero_amplitude_and_zero_offset_return_the_photo_unchanged() {
    let (img, lm) = drawn(1, Hand::Right);
    assert_eq!(paint::paint(&img, &lm, &[0.0; Joint::COUNT], (0.0, 0.0), &Signs::default()), img);
}

#[test]
fn every_healthy_pixel_is_resampled_at_the_same_offset() {
    // At offset (0.5, 0.5) a bilinear resampling is the mean of each 2×2 block (computed here
    // directly); with no sign anywhere, every pixel but the last row and column is exactly that.
    let (img, lm) = drawn(2, Hand::Left);
    let out = paint::paint(&img, &lm, &[0.0; Joint::COUNT], (0.5, 0.5), &Signs::default());
    let (w, h) = img.dimensions();
    let mut worst = 0i32;
    for y in 0..h - 1 {
        for x in 0..w - 1 {
            for c in 0..3 {
                let s: u32 = [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)].iter().map(|&(u, v)| img.get_pixel(u, v)[c] as u32).sum();
                let mean = (s as f32 / 4.0).round() as i32;
                worst = worst.max((out.get_pixel(x, y)[c] as i32 - mean).abs());
            }
        }
    }
    // Rounding of .5 means by f32 sums may differ by one level; nothing more.
    assert!(worst <= 1, "largest difference from the 2×2 mean: {worst}");
}

#[test]
fn a_sign_changes_only_its_own_joints_surroundings() {
    let (img, lm) = drawn(3, Hand::Right);
    let healthy = paint::paint(&img, &lm, &[0.0; Joint::COUNT], (0.5, 0.5), &Signs::default());
    let sick = paint::paint(&img, &lm, &one(Joint::Pip3, 1.0), (0.5, 0.5), &Signs::default());
    let f = paint::frames(&lm)[Joint::Pip3.index()];
    let reach = 3.0 * 0.9 * f.width + 2.0;
    let (mut near, mut far) = (0u64, 0u64);
    for (x, y, p) in sick.enumerate_pixels() {
        let d: u64 = (0..3).map(|c| (p[c] as i32 - healthy.get_pixel(x, y)[c] as i32).unsigned_abs() as u64).sum();
        let (dx, dy) = (x as f32 + 0.5 - f.center.x, y as f32 + 0.5 - f.center.y);
        if dx.abs() > reach || dy.abs() > reach { far += d } else { near += d }
    }
    assert_eq!(far, 0, "pixels outside PIP3's window changed");
    assert!(near > 2_000, "PIP3 itself barely changed: {near}");
}

/// The finger's width at a joint: skin-coloured pixels along the line across the axis, counted
/// from the joint outwards on both sides until the first pixel unlike the skin.
fn width_across(img: &RgbImage, lm: &[Point; 21], j: Joint, skin: [u8; 3]) -> usize {
    let f = paint::frames(lm)[j.index()];
    let n = (-f.axis.1, f.axis.0);
    let is_skin = |t: i32| {
        let (x, y) = (f.center.x + t as f32 * n.0, f.center.y + t as f32 * n.1);
        let p = img.get_pixel(x.clamp(0.0, 319.0) as u32, y.clamp(0.0, 319.0) as u32);
        (0..3).map(|c| (p[c] as i32 - skin[c] as i32).abs()).sum::<i32>() < 60
    };
    let side = |dir: i32| (1..60).take_while(|&t| is_skin(dir * t)).count();
    1 + side(1) + side(-1)
}

#[test]
fn swelling_widens_the_finger_across_its_axis() {
    let (img, lm) = drawn(4, Hand::Right);
    let c = lm[Joint::Pip3.landmark()];
    let skin = img.get_pixel(c.x as u32, c.y as u32).0;
    let only_swelling = Signs { valleys: 0.0, creases: 0.0, redness: 0.0, shine: 0.0, ..Signs::default() };
    let before = width_across(&paint::paint(&img, &lm, &[0.0; Joint::COUNT], (0.5, 0.5), &only_swelling), &lm, Joint::Pip3, skin);
    let after = width_across(&paint::paint(&img, &lm, &one(Joint::Pip3, 1.0), (0.5, 0.5), &only_swelling), &lm, Joint::Pip3, skin);
    // 16 % at the centre of the Gaussian; the edge of the finger sits off-centre, so at least 8 %.
    assert!(after as f32 >= 1.08 * before as f32, "width {before} → {after} px");
}

#[test]
fn redness_raises_red_against_green_at_the_joint() {
    let (img, lm) = drawn(5, Hand::Left);
    let only_red = Signs { swelling: 0.0, valleys: 0.0, creases: 0.0, shine: 0.0, ..Signs::default() };
    let c = lm[Joint::Mcp2.landmark()];
    let ratio = |im: &RgbImage| {
        let p = im.get_pixel(c.x as u32, c.y as u32);
        p[0] as f32 / p[1].max(1) as f32
    };
    let before = ratio(&paint::paint(&img, &lm, &[0.0; Joint::COUNT], (0.5, 0.5), &only_red));
    let after = ratio(&paint::paint(&img, &lm, &one(Joint::Mcp2, 1.0), (0.5, 0.5), &only_red));
    // Red × 1.10 and green × 0.93 at full skin likeness: the ratio rises by up to 18 %.
    assert!(after > before * 1.08, "R/G {before:.3} → {after:.3}");
}

#[test]
fn a_faint_sign_changes_the_joint_by_a_fraction_of_a_full_one() {
    let (img, lm) = drawn(6, Hand::Right);
    let base = paint::paint(&img, &lm, &[0.0; Joint::COUNT], (0.5, 0.5), &Signs::default());
    let diff = |a: f32| -> u64 {
        let p = paint::paint(&img, &lm, &one(Joint::Mcp3, a), (0.5, 0.5), &Signs::default());
        p.pixels().zip(base.pixels()).map(|(p, q)| (0..3).map(|c| (p[c] as i32 - q[c] as i32).unsigned_abs() as u64).sum::<u64>()).sum()
    };
    let (full, faint) = (diff(1.0), diff(0.1));
    assert!(faint > 0 && (faint as f64) < 0.25 * full as f64, "faint {faint} vs full {full}");
}

/// Two subjects' drawn hands written as base photos, three photos each.
fn bases(dir: &Path) -> Vec<BasePhoto> {
    let mut out = Vec::new();
    for (k, (subject, hand)) in
        [("s1", Hand::Right), ("s1", Hand::Left), ("s1", Hand::Right), ("s2", Hand::Left), ("s2", Hand::Right), ("s2", Hand::Left)].into_iter().enumerate()
    {
        let (img, lm) = drawn(10 + k as u64, hand);
        let path = dir.join(format!("photo{k}.png"));
        img.save(&path).unwrap();
        out.push(BasePhoto { path, subject: subject.into(), hand, landmarks: lm });
    }
    out
}

fn small(preset: Preset) -> RealConfig {
    RealConfig { visits: 3, max_side: 320, prevalence: 0.3, test_subjects: 0, ..RealConfig::from_preset(preset) }
}

#[test]
fn the_benchmark_is_deterministic_per_seed() {
    let src = tempfile::tempdir().unwrap();
    let b = bases(src.path());
    let (d1, d2, d3) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    real::generate(&b, &small(Preset::Default), d1.path(), &|_, _| {}).unwrap();
    real::generate(&b, &small(Preset::Default), d2.path(), &|_, _| {}).unwrap();
    real::generate(&b, &RealConfig { seed: 8, ..small(Preset::Default) }, d3.path(), &|_, _| {}).unwrap();
    for f in ["manifest.csv", "severity.csv", "landmarks.csv", "images/s1_v2_photo1.jpg"] {
        assert_eq!(std::fs::read(d1.path().join(f)).unwrap(), std::fs::read(d2.path().join(f)).unwrap(), "{f}");
    }
    assert_ne!(std::fs::read(d1.path().join("severity.csv")).unwrap(), std::fs::read(d3.path().join("severity.csv")).unwrap());
}

#[test]
fn the_benchmark_is_a_valid_manifest_with_subjects_as_patients() {
    let src = tempfile::tempdir().unwrap();
    let b = bases(src.path());
    let out = tempfile::tempdir().unwrap();
    let s = real::generate(&b, &small(Preset::Default), out.path(), &|_, _| {}).unwrap();
    assert_eq!((s.images, s.subjects, s.joints), (18, 2, 18 * Joint::COUNT));
    let report = manifest::validate(&out.path().join("manifest.csv")).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    for r in &report.rows {
        // Every visit of subject s1's photos is patient s1, never its own patient.
        let subject = r.image.trim_start_matches("images/").split('_').next().unwrap();
        assert_eq!(r.patient_id, subject, "{}", r.image);
    }
}

#[test]
fn occult_joints_are_labelled_inflamed_and_painted_faintly() {
    let src = tempfile::tempdir().unwrap();
    let b = bases(src.path());
    let out = tempfile::tempdir().unwrap();
    let disease = Disease { occult_fraction: 1.0, occult_visibility: 0.1, ..Disease::default() };
    real::generate(&b, &RealConfig { disease, ..small(Preset::Default) }, out.path(), &|_, _| {}).unwrap();
    let sev = std::fs::read_to_string(out.path().join("severity.csv")).unwrap();
    let report = manifest::validate(&out.path().join("manifest.csv")).unwrap();
    let inflamed: Vec<_> = report.rows.iter().filter(|r| r.label == Label::Inflamed).collect();
    assert!(!inflamed.is_empty());
    for r in inflamed {
        let line = sev.lines().find(|l| l.starts_with(&format!("{},{},", r.image, r.joint.name()))).unwrap();
        let f: Vec<&str> = line.split(',').collect();
        assert!(f[2].parse::<f32>().unwrap() >= 0.35 && f[3] == "0.100", "{line}");
    }
}

#[test]
fn a_joint_whose_crop_leaves_the_photo_is_unknown() {
    let src = tempfile::tempdir().unwrap();
    let b = bases(src.path());
    // Cut the first photo off just above its wrist (a drawn hand points up), so the wrist's
    // landmark lies beyond the bottom edge.
    let (img, _) = drawn(10, Hand::Right);
    let cut = img.view(0, 0, 320, b[0].landmarks[0].y as u32 - 4).to_image();
    cut.save(&b[0].path).unwrap();
    let out = tempfile::tempdir().unwrap();
    real::generate(&b[..1], &RealConfig { max_side: 320, test_subjects: 0, ..RealConfig::from_preset(Preset::Default) }, out.path(), &|_, _| {}).unwrap();
    let report = manifest::validate(&out.path().join("manifest.csv")).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let wrist: Vec<_> = report.rows.iter().filter(|r| r.joint == Joint::Wrist).collect();
    assert!(!wrist.is_empty() && wrist.iter().all(|r| r.label == Label::Unknown));
    assert!(report.rows.iter().any(|r| r.joint == Joint::Pip3 && r.label != Label::Unknown));
}

#[test]
fn the_null_preset_paints_nothing() {
    let src = tempfile::tempdir().unwrap();
    let b = bases(src.path());
    let (null, plain) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let s = real::generate(&b, &small(Preset::Null), null.path(), &|_, _| {}).unwrap();
    assert!(s.inflamed > 0, "the null preset still draws labels");
    // The same labels at signal 0 and the default preset at signal 0 give the same images.
    real::generate(&b, &RealConfig { signal: 0.0, ..small(Preset::Default) }, plain.path(), &|_, _| {}).unwrap();
    for f in ["manifest.csv", "images/s2_v3_photo4.jpg"] {
        assert_eq!(std::fs::read(null.path().join(f)).unwrap(), std::fs::read(plain.path().join(f)).unwrap(), "{f}");
    }
}

#[test]
fn test_subjects_are_written_apart_and_only_there() {
    let src = tempfile::tempdir().unwrap();
    let b = bases(src.path());
    let out = tempfile::tempdir().unwrap();
    let s = real::generate(&b, &RealConfig { test_subjects: 1, ..small(Preset::Default) }, out.path(), &|_, _| {}).unwrap();
    assert_eq!(s.test.len(), 1);
    let train = manifest::validate(&out.path().join("manifest.csv")).unwrap().rows;
    let test = manifest::validate(&out.path().join("test.csv")).unwrap().rows;
    assert!(test.iter().all(|r| r.patient_id == s.test[0]) && !test.is_empty());
    assert!(train.iter().all(|r| r.patient_id != s.test[0]) && !train.is_empty());
    assert_eq!(train.len() + test.len(), s.joints);
}

#[test]
fn asking_for_every_subject_as_test_is_refused() {
    let src = tempfile::tempdir().unwrap();
    let b = bases(src.path());
    let out = tempfile::tempdir().unwrap();
    let e = real::generate(&b, &RealConfig { test_subjects: 2, ..small(Preset::Default) }, out.path(), &|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("only 2 subjects"), "{e}");
}

#[test]
fn the_benchmark_does_not_depend_on_where_the_photos_are() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ba, bb) = (bases(a.path()), bases(b.path()));
    let (o1, o2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    real::generate(&ba, &small(Preset::Default), o1.path(), &|_, _| {}).unwrap();
    real::generate(&bb, &small(Preset::Default), o2.path(), &|_, _| {}).unwrap();
    for f in ["manifest.csv", "severity.csv", "images/s1_v1_photo0.jpg", "images/s2_v3_photo5.jpg"] {
        assert_eq!(std::fs::read(o1.path().join(f)).unwrap(), std::fs::read(o2.path().join(f)).unwrap(), "{f}");
    }
}
