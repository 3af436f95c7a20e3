//! What surrounds the hand: background, camera response and noise, the hand's pose in the photo,
//! and photos without a hand.
use super::*;
use image::{Rgb, RgbImage};
use jointscope_data::{Hand, View};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(crate) fn hash2(x: i32, y: i32, seed: u32) -> f32 {
    let mut h = (x as u32).wrapping_mul(0x27d4_eb2d) ^ (y as u32).wrapping_mul(0x1656_67b1) ^ seed.wrapping_mul(0x9e37_79b9);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    (h & 0xFFFF) as f32 / 65535.0
}

/// Smooth value noise in 0..1 at frequency 1 per unit.
pub(crate) fn value_noise(x: f32, y: f32, seed: u32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (xi, yi) = (x0 as i32, y0 as i32);
    let a = hash2(xi, yi, seed) * (1.0 - sx) + hash2(xi + 1, yi, seed) * sx;
    let b = hash2(xi, yi + 1, seed) * (1.0 - sx) + hash2(xi + 1, yi + 1, seed) * sx;
    a * (1.0 - sy) + b * sy
}

pub(crate) fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

pub(crate) struct Background {
    pub(crate) base: [f32; 3],
    pub(crate) second: [f32; 3],
    pub(crate) kind: u8,
    pub(crate) freq: f32,
    pub(crate) seed: u32,
    pub(crate) angle: f32,
}

impl Background {
    pub(crate) fn sample(rng: &mut impl Rng) -> Self {
        let base = [rng.random_range(30.0..235.0), rng.random_range(30.0..235.0), rng.random_range(30.0..235.0)];
        let k: f32 = rng.random_range(0.6..1.2);
        Self {
            base,
            second: [base[0] * k, base[1] * k, base[2] * k],
            kind: rng.random_range(0..4),
            freq: rng.random_range(2.0..12.0),
            seed: rng.random(),
            angle: rng.random_range(0.0..std::f32::consts::PI),
        }
    }

    pub(crate) fn at(&self, u: f32, v: f32) -> [f32; 3] {
        let t = match self.kind {
            0 => 0.0,
            1 => u * self.angle.cos() + v * self.angle.sin(),
            2 => {
                // Wood-like grain.
                let w = u * self.angle.cos() + v * self.angle.sin();
                0.5 + 0.5 * (w * self.freq * 6.0 + 3.0 * value_noise(u * 3.0, v * 3.0, self.seed)).sin()
            }
            _ => value_noise(u * self.freq, v * self.freq, self.seed) * 0.7 + value_noise(u * 40.0, v * 40.0, self.seed ^ 7) * 0.3,
        };
        let t = t.clamp(0.0, 1.0);
        [0, 1, 2].map(|c| self.base[c] * (1.0 - t) + self.second[c] * t)
    }
}

/// Exposure, lighting gradient, vignette and white balance of one photo.
pub(crate) struct Camera {
    pub(crate) exposure: f32,
    pub(crate) grad_dir: f32,
    pub(crate) grad_amt: f32,
    pub(crate) wb: [f32; 3],
}

impl Camera {
    pub(crate) fn sample(rng: &mut impl Rng) -> Self {
        let exposure: f32 = rng.random_range(0.75..1.15);
        let grad_dir: f32 = rng.random_range(0.0..std::f32::consts::TAU);
        let grad_amt: f32 = rng.random_range(0.0..0.3);
        let cast: f32 = rng.random_range(-0.08..0.08);
        Self { exposure, grad_dir, grad_amt, wb: [1.0 + cast, 1.0, 1.0 - cast] }
    }

    /// The recorded pixel for scene colour `col` at (u, v) in 0..1, with sensor noise.
    pub(crate) fn apply(&self, col: [f32; 3], u: f32, v: f32, noise_sigma: f32, rng: &mut impl Rng) -> [u8; 3] {
        let g = 1.0 + self.grad_amt * ((u - 0.5) * self.grad_dir.cos() + (v - 0.5) * self.grad_dir.sin());
        let vignette = 1.0 - 0.25 * ((u - 0.5).powi(2) + (v - 0.5).powi(2));
        [0, 1, 2].map(|c| {
            let noise = gaussian(rng) * noise_sigma;
            (col[c] * self.exposure * g * vignette * self.wb[c] + noise).clamp(0.0, 255.0) as u8
        })
    }
}

/// A photo with no hand in it, drawn like the hand photos (same backgrounds, lighting and noise),
/// with `blobs` skin-coloured shaded ellipses as hard negatives for a hand detector.
pub fn render_no_hand(size: u32, blobs: usize, rng: &mut ChaCha8Rng) -> RgbImage {
    let bg = Background::sample(rng);
    let camera = Camera::sample(rng);
    let noise_sigma: f32 = rng.random_range(1.5..7.0);
    // (centre, radii, angle, colour)
    let shapes: Vec<(V2, V2, f32, [f32; 3])> = (0..blobs)
        .map(|_| {
            let tone = SKIN_TONES[rng.random_range(0..SKIN_TONES.len())];
            let c = (rng.random_range(0.2..0.8), rng.random_range(0.2..0.8));
            let r = (rng.random_range(0.08..0.3), rng.random_range(0.05..0.15));
            (c, r, rng.random_range(0.0..std::f32::consts::PI), tone)
        })
        .collect();
    let s = size as f32;
    RgbImage::from_fn(size, size, |x, y| {
        let (u, v) = (x as f32 / s, y as f32 / s);
        let mut col = bg.at(u, v);
        for ((cx, cy), (ra, rb), a, tone) in &shapes {
            let (dx, dy) = (u - cx, v - cy);
            let (p, q) = ((dx * a.cos() + dy * a.sin()) / ra, (-dx * a.sin() + dy * a.cos()) / rb);
            let d = p * p + q * q;
            if d < 1.0 {
                let shade = 0.6 + 0.4 * (1.0 - d).sqrt();
                col = tone.map(|t| t * shade);
            }
        }
        Rgb(camera.apply(col, u, v, noise_sigma, rng))
    })
}

/// Where the hand lies in the photo: hand units to pixels, mirrored for a left back or right palm.
pub(crate) struct Pose {
    pub(crate) mirror: bool,
    pub(crate) scale: f32,
    pub(crate) angle: f32,
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    /// `angle.sin_cos()`, for the per-pixel mapping.
    pub(crate) sin_cos: (f32, f32),
}

impl Pose {
    /// A random scale, rotation and centre that keep every landmark inside the photo.
    pub(crate) fn sample(spec: &HandSpec, lm_hand: &[(f32, f32); 21], size: u32, rng: &mut ChaCha8Rng) -> Pose {
        let s_img = size as f32;
        let mirror = (spec.hand == Hand::Left) ^ (spec.view == View::Palmar);
        loop {
            let scale = s_img * rng.random_range(0.55..0.8) / 0.95;
            let angle = rng.random_range(-25.0f32..25.0).to_radians();
            let cx = s_img * (0.5 + rng.random_range(-0.08..0.08));
            let cy = s_img * (0.5 + rng.random_range(-0.06..0.1));
            let ok = lm_hand.iter().all(|&(x, y)| {
                let (px, py) = to_px((x, y), mirror, scale, angle, cx, cy);
                px > 0.04 * s_img && px < 0.96 * s_img && py > 0.04 * s_img && py < 0.96 * s_img
            });
            if ok {
                return Pose { mirror, scale, angle, cx, cy, sin_cos: angle.sin_cos() };
            }
        }
    }

    /// A pixel position in hand units.
    pub(crate) fn to_hand(&self, px: f32, py: f32) -> (f32, f32) {
        let (sa, ca) = self.sin_cos;
        let (dx, dy) = ((px - self.cx) / self.scale, (py - self.cy) / self.scale);
        let (hx, hy) = (dx * ca + dy * sa, -dx * sa + dy * ca);
        (if self.mirror { -hx } else { hx }, hy - 0.45)
    }
}

pub(crate) fn to_px(p: (f32, f32), mirror: bool, scale: f32, angle: f32, cx: f32, cy: f32) -> (f32, f32) {
    let x = if mirror { -p.0 } else { p.0 };
    let y = p.1 + 0.45;
    let (s, c) = angle.sin_cos();
    (cx + scale * (x * c - y * s), cy + scale * (x * s + y * c))
}

pub(crate) fn gaussian(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.random_range(1e-7..1.0);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}
