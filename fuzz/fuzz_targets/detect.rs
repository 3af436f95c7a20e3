//! The whole detect path on the CPU backend (flex): photo bytes → decode → palm detection → hand
//! landmarks → every joint's probability and heat map, with the real MediaPipe models and an
//! exported classifier. Inputs starting with `RGBA` are raw pixels (`detect_rgba`, the canvas path)
//! with the width in the next two bytes.
//! Needs $JOINTSCOPE_MODELS (or ../models) and $JOINTSCOPE_FUZZ_WEIGHTS (a folder holding
//! jointscope.json + jointscope.bpk; scripts/fuzz.sh makes one).
#![no_main]
use burn::tensor::Device;
use jointscope_detect::{DetectError, Detector};
use jointscope_landmarks::{Complexity, LandmarkError, Options};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| {
        let models = std::path::PathBuf::from(std::env::var_os("JOINTSCOPE_MODELS").expect("set JOINTSCOPE_MODELS"));
        let dir = std::path::PathBuf::from(std::env::var_os("JOINTSCOPE_FUZZ_WEIGHTS").expect("set JOINTSCOPE_FUZZ_WEIGHTS"));
        Detector::from_dirs(&dir, &models, Complexity::Full, &Device::flex(), Options::default())
            .unwrap_or_else(|e| panic!("set JOINTSCOPE_MODELS and JOINTSCOPE_FUZZ_WEIGHTS: {e}"))
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
            let limits = jointscope_data::image_io::LIMITS;
            assert!(det.width >= limits.min_side && det.height >= limits.min_side);
            assert!(u64::from(det.width) * u64::from(det.height) <= limits.max_pixels);
            assert!(det.hands.len() <= 2);
            for hand in &det.hands {
                assert_eq!(hand.landmarks.len(), 21);
                assert!(hand.landmarks.iter().flatten().all(|v| v.is_finite()));
                assert_eq!(hand.joints.len(), 11);
                for j in &hand.joints {
                    assert!((0.0..=1.0).contains(&j.probability), "{}", j.probability);
                    assert_eq!(j.inflamed, j.probability >= det.threshold);
                    assert_eq!(j.heatmap.len(), 64);
                }
            }
        }
        // Bad photo bytes are the photo's fault and must say so; any other kind (the backend, the
        // models, the weights) failing on a photo is a bug.
        Err(e) => assert!(matches!(e, DetectError::Image(_) | DetectError::Landmarks(LandmarkError::Input(_))), "a photo gave a non-photo error: {e:?}"),
    }
});
