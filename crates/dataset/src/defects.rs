//! Drawn hand photos made to go wrong the way photos taken at home do (blurred, dark, glaring,
//! tinted, cut off, too small, palm up), to measure and test the capture check
//! (`jointscope_detect::quality`). One seed gives the same photo for every defect, so the defects
//! can be compared with the good photo they came from.
use crate::synth::{self, HandSpec, PatientTraits, Rendered};
use image::{Rgb, RgbImage, imageops};
use jointscope_data::{Hand, Point, View};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One way a photo goes wrong (or [`Defect::None`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    /// The photo as drawn.
    None,
    /// Gaussian blur, σ = 1.5 % of the photo's side (a shaken phone or a hand that moved).
    Blur,
    /// Every value × 0.2 (a dim room, no flash).
    Dark,
    /// Every value × 2.5, clipped (direct sun or flash blowing the skin out).
    Glare,
    /// Green × 0.75, blue × 0.45 (warm tungsten light).
    Tint,
    /// The rows above the middle finger's PIP joint cut away (the fingers out of frame).
    Crop,
    /// The photo shrunk to a fifth of its side in the middle of a plain frame (hand held far away).
    Small,
    /// The palm towards the camera instead of the back of the hand.
    Palm,
    /// A quarter turn, which no check should mind (a control).
    Turned,
}

impl Defect {
    pub const ALL: [Defect; 9] =
        [Defect::None, Defect::Blur, Defect::Dark, Defect::Glare, Defect::Tint, Defect::Crop, Defect::Small, Defect::Palm, Defect::Turned];

    /// `good`, `blurred`, `dark`, `glare`, `tinted`, `cropped`, `small`, `palm`, `turned`.
    pub fn name(self) -> &'static str {
        match self {
            Defect::None => "good",
            Defect::Blur => "blurred",
            Defect::Dark => "dark",
            Defect::Glare => "glare",
            Defect::Tint => "tinted",
            Defect::Crop => "cropped",
            Defect::Small => "small",
            Defect::Palm => "palm",
            Defect::Turned => "turned",
        }
    }
}

/// A healthy hand of seed `seed` drawn `size`×`size` (palm up for [`Defect::Palm`]), with
/// `defect` applied. Also returns the hand drawn.
pub fn photo(seed: u64, size: u32, defect: Defect) -> (RgbImage, Hand) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let hand = if rng.random_bool(0.5) { Hand::Left } else { Hand::Right };
    let traits = PatientTraits::sample(&mut rng);
    let view = if defect == Defect::Palm { View::Palmar } else { View::Dorsal };
    let r = synth::render_hand(&HandSpec::healthy(hand, view, traits), size, 1.0, &mut rng);
    (apply(&r, defect), hand)
}

fn map(img: &RgbImage, f: impl Fn(usize, f32) -> f32) -> RgbImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in 0..3 {
            p[c] = f(c, p[c] as f32).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// `defect` applied to a drawn hand (its landmarks place the crop).
pub fn apply(r: &Rendered, defect: Defect) -> RgbImage {
    let img = &r.image;
    let (w, h) = img.dimensions();
    match defect {
        Defect::None | Defect::Palm => img.clone(),
        Defect::Blur => imageops::blur(img, 0.015 * w.max(h) as f32),
        Defect::Dark => map(img, |_, v| 0.2 * v),
        Defect::Glare => map(img, |_, v| 2.5 * v),
        Defect::Tint => map(img, |c, v| v * [1.0, 0.75, 0.45][c]),
        Defect::Crop => {
            // Middle-finger PIP is landmark 10; keep everything from a little below it.
            let Point { y, .. } = r.landmarks[10];
            let top = (y + 0.02 * h as f32).clamp(0.0, h as f32 - 16.0) as u32;
            imageops::crop_imm(img, 0, top, w, h - top).to_image()
        }
        Defect::Small => {
            let border = border_colour(img);
            let mut canvas = RgbImage::from_pixel(w, h, border);
            let small = imageops::resize(img, (w / 5).max(1), (h / 5).max(1), imageops::FilterType::Triangle);
            imageops::overlay(&mut canvas, &small, (2 * w / 5) as i64, (2 * h / 5) as i64);
            canvas
        }
        Defect::Turned => imageops::rotate90(img),
    }
}

fn border_colour(img: &RgbImage) -> Rgb<u8> {
    let (w, h) = img.dimensions();
    let edge: Vec<&Rgb<u8>> = img.enumerate_pixels().filter(|(x, y, _)| *x == 0 || *y == 0 || *x == w - 1 || *y == h - 1).map(|p| p.2).collect();
    let n = edge.len().max(1) as u64;
    Rgb([0, 1, 2].map(|c| (edge.iter().map(|p| p[c] as u64).sum::<u64>() / n) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defect_changes_the_photo_and_the_same_seed_gives_the_same_one() {
        let (good, hand) = photo(3, 160, Defect::None);
        for d in Defect::ALL {
            let (img, h) = photo(3, 160, d);
            assert_eq!(h, hand);
            assert_eq!(img, photo(3, 160, d).0, "{d:?} is not deterministic");
            if d != Defect::None {
                assert_ne!(img, good, "{d:?} left the photo as it was");
            }
        }
        let (cropped, _) = photo(3, 160, Defect::Crop);
        assert!(cropped.height() < 160 && cropped.width() == 160);
    }
}
