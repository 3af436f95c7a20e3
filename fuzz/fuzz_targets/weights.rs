//! Weight files. The first byte picks what the rest is: 0 a sidecar JSON and its weights (split at
//! the first NUL), 1 burnpack weights loaded into the default model without a sidecar (past the
//! checksum, into burn's reader), 2 a TFLite model (both hand models' parser and graph builder).
#![no_main]
use burn::tensor::Device;
use jointscope_detect::{Classifier, DetectError};
use jointscope_landmarks::{HandLandmarker, LandmarkError, Options};
use jointscope_model::{ModelConfig, ModelError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let device = Device::flex();
    match mode % 3 {
        0 => {
            let cut = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (json, weights) = (&rest[..cut], rest.get(cut + 1..).unwrap_or(&[]));
            // A sidecar + weights pair is refused as one or the other, never as a backend failure.
            if let Err(e) = Classifier::from_bytes(json, weights.to_vec(), &device) {
                assert!(matches!(e, DetectError::Sidecar(_) | DetectError::Weights(_)), "{e:?}");
            }
        }
        1 => {
            if let Err(e) = ModelConfig::default().load(rest.to_vec(), &device) {
                assert!(matches!(e, ModelError::Weights(_)), "{e:?}");
            }
        }
        _ => {
            if let Err(e) = HandLandmarker::new(rest, rest, &device, Options::default()) {
                assert!(matches!(e, LandmarkError::Model(_)), "{e:?}");
            }
        }
    }
});
