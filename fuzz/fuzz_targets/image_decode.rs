//! Image bytes → decode (limits, EXIF orientation) → the classifier's whole-hand view and joint
//! crops at positions taken from the input's last bytes (inside, on and far outside the photo).
#![no_main]
use jointscope_data::Joint;
use jointscope_data::geometry::{self, Point};
use jointscope_data::image_io::decode_rgb;
use jointscope_data::preprocess::{Jitter, photo_views};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(img) = decode_rgb(data) else { return };
    let (w, h) = img.dimensions();
    // Joint positions from the tail of the input, as fractions of the photo in -1..2.
    let tail = &data[data.len().saturating_sub(2 * Joint::ALL.len())..];
    let located: Vec<(Joint, Point)> = Joint::ALL
        .iter()
        .enumerate()
        .map(|(k, &j)| {
            let b = |i: usize| f32::from(tail.get(i).copied().unwrap_or(128)) / 85.0 - 1.0;
            (j, Point::new(b(2 * k) * w as f32, b(2 * k + 1) * h as f32))
        })
        .collect();
    let scale = geometry::hand_scale(&located, w, h);
    let (global, local) = photo_views(&img, &located, scale, located.iter().map(|(_, p)| *p), (32, 16), &Jitter::NONE, || Jitter::NONE);
    assert_eq!(global.len(), 3 * 32 * 32);
    assert_eq!(local.len(), Joint::ALL.len() * 3 * 16 * 16);
    assert!(global.iter().chain(&local).all(|v| v.is_finite()));
});
