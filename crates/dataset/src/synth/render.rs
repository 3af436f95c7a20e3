//! Drawing one photo: the height field, the painted pixels, JPEG encoding.
use super::*;
use image::{Rgb, RgbImage};
use jointscope_data::{Point, View};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A drawn hand: the photo (before JPEG), its 21 MediaPipe-order landmarks in pixels, and which
/// pixels are hand.
pub struct Rendered {
    pub image: RgbImage,
    pub landmarks: [Point; 21],
    pub mask: Vec<bool>,
}

/// How a hand is drawn, beyond who it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Strength of the signs of inflammation ([`SynthConfig::signal`]).
    pub signal: f32,
    /// Weight of the patient's own level in each joint's healthy look ([`SynthConfig::patient_appearance`]).
    pub patient_appearance: f32,
}

/// Draw one hand photo of `size`×`size` pixels, the patient setting every joint's healthy look.
pub fn render_hand(spec: &HandSpec, size: u32, signal: f32, rng: &mut ChaCha8Rng) -> Rendered {
    render_hand_with(spec, size, &Look { signal, patient_appearance: 1.0 }, rng)
}

/// Draw one hand photo of `size`×`size` pixels.
pub fn render_hand_with(spec: &HandSpec, size: u32, look: &Look, rng: &mut ChaCha8Rng) -> Rendered {
    let fingers = template(rng, spec.traits.proportions);
    let lm_hand = landmarks_of(&fingers);
    let marks = Marks::draw(spec, look, &fingers, &lm_hand, rng);
    let pose = Pose::sample(spec, &lm_hand, size, rng);
    let landmarks = lm_hand.map(|p| {
        let (x, y) = to_px(p, pose.mirror, pose.scale, pose.angle, pose.cx, pose.cy);
        Point::new(x, y)
    });
    let (sdf, height) = fields(&marks, &pose, size);
    let (image, mask) = paint(Sketch { spec, fingers: &fingers, landmarks: &lm_hand, marks: &marks }, &pose, (&sdf, &height), size, rng);
    Rendered { image, landmarks, mask }
}

/// The signed distance to the hand's outline and the skin's height (the knuckle bumps on a
/// rounded body), on the pixel grid.
pub(crate) fn fields(marks: &Marks, pose: &Pose, size: u32) -> (Vec<f32>, Vec<f32>) {
    let n = size as usize;
    let mut sdf = vec![0.0f32; n * n];
    let mut height = vec![0.0f32; n * n];
    for y in 0..n {
        for x in 0..n {
            let p = pose.to_hand(x as f32 + 0.5, y as f32 + 0.5);
            let d = marks.shape.sdf(p);
            sdf[y * n + x] = d;
            if d < 0.02 {
                let depth = (-d).max(0.0);
                let mut h = (depth / 0.05).min(1.0).sqrt() * 0.05;
                for (c, sg, a) in &marks.bumps {
                    let r2 = (p.0 - c.0).powi(2) + (p.1 - c.1).powi(2);
                    h += a * (-r2 / (2.0 * sg * sg)).exp();
                }
                height[y * n + x] = h;
            }
        }
    }
    (sdf, height)
}

/// The hand to paint, in hand units: what it is, its fingers, its landmarks and its marks.
#[derive(Clone, Copy)]
pub(crate) struct Sketch<'a> {
    pub(crate) spec: &'a HandSpec,
    pub(crate) fingers: &'a [Finger],
    pub(crate) landmarks: &'a [(f32, f32); 21],
    pub(crate) marks: &'a Marks,
}

/// Paint the photo: a background with the hand's shadow, the skin shaded from the height field,
/// reddened and creased per joint, nails on the back, then the camera's response and noise.
pub(crate) fn paint(hand: Sketch, pose: &Pose, (sdf, height): (&[f32], &[f32]), size: u32, rng: &mut ChaCha8Rng) -> (RgbImage, Vec<bool>) {
    let Sketch { spec, fingers, landmarks: lm_hand, marks } = hand;
    let tr = spec.traits;
    let s_img = size as f32;
    let n = size as usize;
    // Colours.
    let bg = Background::sample(rng);
    let light = {
        let a: f32 = rng.random_range(0.0..std::f32::consts::TAU);
        let z: f32 = rng.random_range(0.6..1.2);
        let l = (a.cos(), a.sin(), z);
        let m = (l.0 * l.0 + l.1 * l.1 + l.2 * l.2).sqrt();
        (l.0 / m, l.1 / m, l.2 / m)
    };
    let camera = Camera::sample(rng);
    let shadow_off = (rng.random_range(-0.04..0.04) * s_img, rng.random_range(0.0..0.05) * s_img);
    let shadow_amt: f32 = rng.random_range(0.15..0.45);
    let noise_sigma: f32 = rng.random_range(1.5..7.0);
    let px_per_unit = pose.scale;

    let mut image = RgbImage::new(size, size);
    let mut mask = vec![false; n * n];
    for y in 0..n {
        for x in 0..n {
            let i = y * n + x;
            let (u, v) = (x as f32 / s_img, y as f32 / s_img);
            let d = sdf[i];
            let cover = 1.0 - smoothstep(-0.7, 0.7, d * px_per_unit);
            mask[i] = d < 0.0;
            // Background with a soft shadow of the hand.
            let mut back = bg.at(u, v);
            let (sx, sy) = ((x as f32 - shadow_off.0) as isize, (y as f32 - shadow_off.1) as isize);
            if sx >= 0 && sy >= 0 && (sx as usize) < n && (sy as usize) < n {
                let sd = sdf[sy as usize * n + sx as usize];
                let sh = 1.0 - smoothstep(-0.02, 0.03, sd);
                for b in back.iter_mut() {
                    *b *= 1.0 - shadow_amt * sh;
                }
            }
            let mut col = back;
            if cover > 0.0 {
                let p = pose.to_hand(x as f32 + 0.5, y as f32 + 0.5);
                let hx = height[y * n + (x + 1).min(n - 1)] - height[y * n + x.saturating_sub(1)];
                let hy = height[(y + 1).min(n - 1) * n + x] - height[y.saturating_sub(1) * n + x];
                let k = px_per_unit / 2.0;
                let (nx, ny, nz) = (-hx * k, -hy * k, 1.0);
                let m = (nx * nx + ny * ny + nz * nz).sqrt();
                let lambert = ((nx * light.0 + ny * light.1 + nz * light.2) / m).max(0.0);
                let shade = 0.45 + 0.6 * lambert;
                let mut skin = tr.skin;
                let red = marks.redness_at(p);
                skin[0] *= 1.0 + 0.22 * red;
                skin[1] *= 1.0 - 0.20 * red;
                skin[2] *= 1.0 - 0.16 * red;
                let dark = if spec.view == View::Dorsal || spec.view == View::Palmar { marks.crease_darkness_at(p) } else { 0.0 };
                // Nails on the back of the fingertips (tinted once per nail that covers the point).
                let nails = if spec.view == View::Dorsal { nails_at(p, fingers, lm_hand, tr.width) } else { 0 };
                for _ in 0..nails {
                    for c in 0..3 {
                        skin[c] = skin[c] * (1.0 - NAIL[c]) + NAIL_TINT[c] * NAIL[c];
                    }
                }
                let hand_col = [0, 1, 2].map(|c| skin[c] * shade * (1.0 - dark.min(0.6)));
                col = [0, 1, 2].map(|c| hand_col[c] * cover + back[c] * (1.0 - cover));
            }
            image.put_pixel(x as u32, y as u32, Rgb(camera.apply(col, u, v, noise_sigma, rng)));
        }
    }
    (image, mask)
}

/// Encode as JPEG at `quality`.
pub fn to_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img).expect("JPEG encoding into memory cannot fail");
    out
}
