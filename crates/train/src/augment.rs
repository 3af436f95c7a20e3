//! Mixing augmentations for subtle, small regions, applied to a batch of joint crops
//! (`3 × side × side` each, channel-major):
//! - **CutMix**: paste a random rectangle of another crop; the target mixes in proportion to how
//!   much of the *joint-centred* weight (a Gaussian, σ = side/4) the rectangle covers, since the
//!   signs of inflammation sit at the joint, not uniformly over the crop.
//! - **Cut-and-keep**: keep the disc that holds the joint's signs, replace the crop's corners with
//!   another crop's; the target stays, so the model learns to look at the joint rather than at
//!   whatever surrounds it. The disc is sized from the hand: a joint crop's side is half the hand
//!   scale (wrist to middle MCP, ≈ 0.47 hand units in the generator), so 0.235 units; the signs
//!   reach about two standard deviations of the redness blob (σ = 1.2 × knuckle radius ≈ 0.055
//!   units), 0.11 units from the joint: 0.47 of the crop's side. So the disc's radius is 0.47 sides
//!   and only the corners outside it (31 % of the crop) are replaced. The first version kept a
//!   square of half-side 0.25 sides (0.06 units), which cut through the signs it should keep.
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Which mixing augmentation to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mix {
    #[default]
    None,
    Cutmix,
    CutKeep,
}

impl crate::choice::Choice for Mix {
    const ALL: &'static [Self] = &[Self::None, Self::Cutmix, Self::CutKeep];
    fn help(self) -> &'static str {
        match self {
            Self::None => "no mixing",
            Self::Cutmix => "paste a rectangle of another crop; the target mixes by the joint-centred weight covered",
            Self::CutKeep => "keep the joint's centre, replace its surroundings; the label stays",
        }
    }
}

/// Radius of the disc cut-and-keep keeps, as a fraction of the crop's side (see the module doc).
pub const KEEP_RADIUS: f32 = 0.47;

fn centre_weight(side: usize) -> Vec<f32> {
    let c = (side as f32 - 1.0) / 2.0;
    let s2 = 2.0 * (side as f32 / 4.0).powi(2);
    let mut w = Vec::with_capacity(side * side);
    for y in 0..side {
        for x in 0..side {
            w.push((-((x as f32 - c).powi(2) + (y as f32 - c).powi(2)) / s2).exp());
        }
    }
    let total: f32 = w.iter().sum();
    w.iter().map(|v| v / total).collect()
}

/// Copy the pixels of `src` where `inside(x, y)` into `dst` (both one crop).
fn paste(dst: &mut [f32], src: &[f32], side: usize, inside: impl Fn(usize, usize) -> bool) {
    let plane = side * side;
    for y in 0..side {
        for x in 0..side {
            if inside(x, y) {
                for c in 0..3 {
                    dst[c * plane + y * side + x] = src[c * plane + y * side + x];
                }
            }
        }
    }
}

/// Apply `mix` to each crop with probability `p`, partnering it with another crop of the batch.
/// `local` holds the crops back to back; `targets` are updated in place (soft for CutMix).
pub fn apply(mix: Mix, p: f32, local: &mut [f32], targets: &mut [f32], side: usize, rng: &mut dyn rand::RngCore) {
    let n = targets.len();
    let len = 3 * side * side;
    assert_eq!(local.len(), n * len, "crops and targets disagree");
    if mix == Mix::None || n < 2 {
        return;
    }
    let original = local.to_vec();
    let original_targets = targets.to_vec();
    let weight = centre_weight(side);
    for i in 0..n {
        if rng.random::<f32>() >= p {
            continue;
        }
        let mut j = rng.random_range(0..n - 1);
        if j >= i {
            j += 1;
        }
        let src = &original[j * len..(j + 1) * len];
        let dst = &mut local[i * len..(i + 1) * len];
        match mix {
            Mix::Cutmix => {
                let (w, h) = (rng.random_range(side / 5..=side / 2).max(1), rng.random_range(side / 5..=side / 2).max(1));
                let (x0, y0) = (rng.random_range(0..=side - w), rng.random_range(0..=side - h));
                let inside = |x: usize, y: usize| x >= x0 && x < x0 + w && y >= y0 && y < y0 + h;
                paste(dst, src, side, inside);
                let a: f32 = (0..side * side).filter(|k| inside(k % side, k / side)).map(|k| weight[k]).sum();
                targets[i] = (1.0 - a) * original_targets[i] + a * original_targets[j];
            }
            Mix::CutKeep => {
                let (c, r) = (side as f32 / 2.0, KEEP_RADIUS * side as f32);
                let outside = |x: usize, y: usize| (x as f32 + 0.5 - c).powi(2) + (y as f32 + 0.5 - c).powi(2) > r * r;
                paste(dst, src, side, outside);
            }
            Mix::None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn crops(values: &[f32], side: usize) -> Vec<f32> {
        values.iter().flat_map(|v| std::iter::repeat_n(*v, 3 * side * side)).collect()
    }

    #[test]
    fn cut_and_keep_keeps_the_joint_and_its_label() {
        let side = 8;
        let mut local = crops(&[1.0, 2.0], side);
        let mut t = vec![1.0, 0.0];
        apply(Mix::CutKeep, 1.0, &mut local, &mut t, side, &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(t, vec![1.0, 0.0]);
        let first = &local[..3 * side * side];
        // The disc of radius 0.47 × 8 = 3.76 px around the centre is kept: pixel centres at
        // offsets ±0.5, ±1.5, ±2.5, ±3.5 inside it are 8 + 6 + 6 + 2 per side of the centre column,
        // 44 pixels; the corners are the partner's.
        assert_eq!(first[3 * side + 3], 1.0);
        assert_eq!(first[0], 2.0);
        let kept = first.iter().filter(|v| **v == 1.0).count();
        assert_eq!(kept, 3 * 44);
    }

    #[test]
    fn cutmix_mixes_targets_by_covered_centre_weight() {
        let side = 16;
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..20 {
            let mut local = crops(&[0.0, 1.0], side);
            let mut t = vec![0.0, 1.0];
            apply(Mix::Cutmix, 1.0, &mut local, &mut t, side, &mut rng);
            // Crop 0 took a rectangle of ones from crop 1: its target is the covered weight, in (0, 1).
            let pasted = local[..side * side].iter().filter(|v| **v == 1.0).count();
            assert!(pasted > 0 && t[0] > 0.0 && t[0] < 1.0, "{pasted} {t:?}");
            assert!(t[1] < 1.0 && t[1] > 0.0);
        }
        assert!((centre_weight(side).iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn no_mixing_leaves_the_batch_alone() {
        let mut local = crops(&[0.5, 1.5], 4);
        let before = local.clone();
        let mut t = vec![1.0, 0.0];
        apply(Mix::Cutmix, 0.0, &mut local, &mut t, 4, &mut ChaCha8Rng::seed_from_u64(3));
        apply(Mix::None, 1.0, &mut local, &mut t, 4, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!((local, t), (before, vec![1.0, 0.0]));
    }
}
