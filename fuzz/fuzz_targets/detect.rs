//! The whole detect path on the CPU backend (flex): photo bytes → decode → palm detection → hand
//! landmarks → every joint's probability and heat map, with the real MediaPipe models and an
//! exported classifier. Inputs starting with `RGBA` are raw pixels (`detect_rgba`, the canvas path)
//! with the width in the next two bytes.
//! Needs $JOINTSCOPE_MODELS (or ../models) and $JOINTSCOPE_FUZZ_WEIGHTS (a folder holding
//! jointscope.json + jointscope.bpk; scripts/fuzz.sh makes one).
#![no_main]
use burn::tensor::Device;
use jointscope_detect::{Detector, SIDECAR_FILE, WEIGHTS_FILE};
use jointscope_landmarks::{Complexity, HandLandmarker, Options};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| {
        let device = Device::flex();
        let models = jointscope_landmarks::models_dir();
        let landmarker = HandLandmarker::from_dir(&models, Complexity::Full, &device, Options::default())
            .unwrap_or_else(|e| panic!("set JOINTSCOPE_MODELS to the hand models' folder: {e}"));
        let dir = std::path::PathBuf::from(std::env::var_os("JOINTSCOPE_FUZZ_WEIGHTS").expect("set JOINTSCOPE_FUZZ_WEIGHTS"));
        let read = |f: &str| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()));
        let classifier = jointscope_detect::Classifier::from_bytes(&read(SIDECAR_FILE), read(WEIGHTS_FILE), &device)
            .expect("the exported weights");
        Detector::new(landmarker, classifier)
    })
}

fuzz_target!(|data: &[u8]| {
    let d = detector();
    let result = match data.strip_prefix(b"RGBA") {
        Some(rest) if rest.len() >= 2 => {
            let width = u32::from(u16::from_le_bytes([rest[0], rest[1]]));
            let pixels = &rest[2..];
            let height = if width == 0 { 0 } else { (pixels.len() / 4) as u32 / width };
            pollster::block_on(d.detect_rgba(pixels, width, height))
        }
        _ => pollster::block_on(d.detect_encoded(data)),
    };
    match result {
        Ok(det) => {
            for hand in &det.hands {
                assert_eq!(hand.joints.len(), 11);
                assert!(hand.joints.iter().all(|j| (0.0..=1.0).contains(&j.probability)));
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
