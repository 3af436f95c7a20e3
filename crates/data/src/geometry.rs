//! Crop geometry shared by training and inference: how big a joint crop is, and where the hand is.
//! One implementation, so the trainer and the browser crop alike.
use crate::joints::Joint;
use serde::{Deserialize, Serialize};

/// A point in image pixels (x to the right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }
    pub fn dist(self, o: Point) -> f32 {
        ((self.x - o.x).powi(2) + (self.y - o.y).powi(2)).sqrt()
    }
}

/// A square region of an image, possibly rotated, possibly reaching outside the image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct CropBox {
    pub center: Point,
    /// Side length in image pixels.
    pub side: f32,
    /// Rotation in radians (the crop's "up" rotated clockwise by this angle).
    pub angle: f32,
}

/// Side of a joint crop as a multiple of the hand scale.
pub const JOINT_CROP_SCALE: f32 = 0.5;
/// Margin added around the joints' bounding box for the whole-hand (global) view, in hand scales.
pub const HAND_BOX_MARGIN: f32 = 0.75;

/// The hand's scale in pixels: wrist to middle-finger MCP when both are known, else estimated
/// from whatever joints there are (the largest pairwise distance, which is about 1.3 hand scales
/// for a full hand), else a fixed fraction of the image.
pub fn hand_scale(joints: &[(Joint, Point)], width: u32, height: u32) -> f32 {
    let find = |j: Joint| joints.iter().find(|(k, _)| *k == j).map(|(_, p)| *p);
    if let (Some(w), Some(m)) = (find(Joint::Wrist), find(Joint::Mcp3)) {
        let d = w.dist(m);
        if d > 1.0 {
            return d;
        }
    }
    let mut max = 0.0f32;
    for (i, (_, a)) in joints.iter().enumerate() {
        for (_, b) in &joints[i + 1..] {
            max = max.max(a.dist(*b));
        }
    }
    if max > 1.0 { max / 1.3 } else { 0.3 * width.min(height) as f32 }
}

/// The crop around one joint: centred on it, side proportional to the hand scale.
pub fn joint_crop(center: Point, hand_scale: f32) -> CropBox {
    CropBox { center, side: (JOINT_CROP_SCALE * hand_scale).max(4.0), angle: 0.0 }
}

/// The whole-hand view: a square around the joints' bounding box, with a margin for the fingers.
/// Without joints it is the largest centred square of the image.
pub fn hand_box(joints: &[(Joint, Point)], width: u32, height: u32) -> CropBox {
    if joints.is_empty() {
        let side = width.min(height) as f32;
        return CropBox { center: Point::new(width as f32 / 2.0, height as f32 / 2.0), side, angle: 0.0 };
    }
    let scale = hand_scale(joints, width, height);
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for (_, p) in joints {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    let side = (x1 - x0).max(y1 - y0) + 2.0 * HAND_BOX_MARGIN * scale;
    CropBox { center: Point::new((x0 + x1) / 2.0, (y0 + y1) / 2.0), side, angle: 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_prefers_wrist_to_mcp3_and_falls_back() {
        let j = [(Joint::Wrist, Point::new(100.0, 200.0)), (Joint::Mcp3, Point::new(100.0, 100.0))];
        assert!((hand_scale(&j, 300, 300) - 100.0).abs() < 1e-4);
        let k = [(Joint::Mcp2, Point::new(0.0, 0.0)), (Joint::Pip5, Point::new(130.0, 0.0))];
        assert!((hand_scale(&k, 300, 300) - 100.0).abs() < 1e-3);
        assert!((hand_scale(&[], 300, 200) - 60.0).abs() < 1e-4);
        assert!((joint_crop(Point::new(1.0, 1.0), 100.0).side - 50.0).abs() < 1e-4);
    }

    #[test]
    fn hand_box_contains_every_joint_with_margin() {
        let j = [(Joint::Wrist, Point::new(100.0, 200.0)), (Joint::Mcp3, Point::new(120.0, 100.0))];
        let b = hand_box(&j, 300, 300);
        for (_, p) in &j {
            assert!((p.x - b.center.x).abs() < b.side / 2.0 - 50.0);
            assert!((p.y - b.center.y).abs() < b.side / 2.0 - 50.0);
        }
    }
}
