//! Rotated regions of interest in photo pixels, MediaPipe's rect rules (detection → ROI, landmarks → ROI),
//! and sampling a rotated square of a photo into a model input.

use image::RgbImage;
use serde::{Deserialize, Serialize};

/// A rotated rectangle in photo pixels. `rotation` is in radians, clockwise on screen (y points down),
/// as in MediaPipe's `NormalizedRect`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Roi {
    pub cx: f32,
    pub cy: f32,
    pub width: f32,
    pub height: f32,
    pub rotation: f32,
}

/// Wraps an angle into [-π, π).
pub fn normalize_radians(a: f32) -> f32 {
    use std::f32::consts::PI;
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

/// Rotation that turns the vector `from → to` to point straight up (MediaPipe's target angle of 90°).
pub fn upright_rotation(from: (f32, f32), to: (f32, f32)) -> f32 {
    normalize_radians(std::f32::consts::FRAC_PI_2 - (-(to.1 - from.1)).atan2(to.0 - from.0))
}

impl Roi {
    /// Maps a point given in the ROI's unit square (0..1 on both axes) to photo pixels.
    pub fn to_photo(&self, u: f32, v: f32) -> (f32, f32) {
        let (a, b) = ((u - 0.5) * self.width, (v - 0.5) * self.height);
        let (s, c) = self.rotation.sin_cos();
        (self.cx + a * c - b * s, self.cy + a * s + b * c)
    }

    /// MediaPipe's `RectTransformationCalculator`: shift (in ROI units, rotated), make square on the
    /// long side, then scale.
    pub fn transform(self, scale: f32, shift_x: f32, shift_y: f32) -> Roi {
        let (s, c) = self.rotation.sin_cos();
        let dx = self.width * shift_x * c - self.height * shift_y * s;
        let dy = self.width * shift_x * s + self.height * shift_y * c;
        let side = self.width.max(self.height);
        Roi { cx: self.cx + dx, cy: self.cy + dy, width: side * scale, height: side * scale, rotation: self.rotation }
    }

    /// MediaPipe's `HandLandmarkLandmarksToRoi` (the region the next video frame's landmark pass
    /// looks at): `HandLandmarksToRectCalculator` on the landmarks that move least from frame to
    /// frame ([`STABLE_LANDMARKS`]: the wrist, the thumb's first three, each finger's MCP and
    /// PIP), then the transformation for the landmark model (scale 2.0, shift_y −0.1).
    pub fn from_landmarks(points: &[(f32, f32)]) -> Option<Roi> {
        if points.len() != 21 || points.iter().any(|p| !p.0.is_finite() || !p.1.is_finite()) {
            return None;
        }
        let stable: Vec<(f32, f32)> = STABLE_LANDMARKS.iter().map(|&i| points[i]).collect();
        let mid = |a: (f32, f32), b: (f32, f32)| ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        // Wrist → (middle MCP averaged with the mean of index and ring MCPs).
        let target = mid(mid(points[5], points[13]), points[9]);
        let rotation = upright_rotation(points[0], target);
        let points = &stable[..];
        let (min_x, max_x, min_y, max_y) = bounds(points.iter().copied());
        let (acx, acy) = ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0);
        let (s, c) = (-rotation).sin_cos();
        let projected = points.iter().map(|&(x, y)| {
            let (ox, oy) = (x - acx, y - acy);
            (ox * c - oy * s, ox * s + oy * c)
        });
        let (pmin_x, pmax_x, pmin_y, pmax_y) = bounds(projected);
        let (pcx, pcy) = ((pmin_x + pmax_x) / 2.0, (pmin_y + pmax_y) / 2.0);
        let (s, c) = rotation.sin_cos();
        let roi = Roi { cx: pcx * c - pcy * s + acx, cy: pcx * s + pcy * c + acy, width: pmax_x - pmin_x, height: pmax_y - pmin_y, rotation };
        (roi.width > 1.0 && roi.height > 1.0).then(|| roi.transform(2.0, 0.0, -0.1))
    }

    /// Axis-aligned bounding box of the rotated rectangle: (x0, y0, x1, y1).
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(u, v)| self.to_photo(u, v));
        let (a, b, c, d) = bounds(corners.into_iter());
        (a, c, b, d)
    }
}

/// The landmarks MediaPipe bounds a hand's next region by (its `SplitNormalizedLandmarkListCalculator`
/// ranges 0–3, 5–6, 9–10, 13–14, 17–18): the fingertips and DIPs, which move most, are left out.
pub const STABLE_LANDMARKS: [usize; 12] = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18];

fn bounds(points: impl Iterator<Item = (f32, f32)>) -> (f32, f32, f32, f32) {
    points.fold((f32::MAX, f32::MIN, f32::MAX, f32::MIN), |(a, b, c, d), (x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)))
}

/// Intersection over union of two axis-aligned boxes (x0, y0, x1, y1).
pub fn iou(a: (f32, f32, f32, f32), b: (f32, f32, f32, f32)) -> f32 {
    let iw = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
    let ih = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
    let inter = iw * ih;
    let union = (a.2 - a.0) * (a.3 - a.1) + (b.2 - b.0) * (b.3 - b.1) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// Samples the ROI of `img` into a `size`×`size` planar RGB tensor (CHW, values 0..1), bilinear, zero
/// outside the photo — MediaPipe's `ImageToTensorCalculator` with `BORDER_ZERO`, as the palm
/// detector's input is made — through the classifier's own sampler (`jointscope_data::preprocess`).
pub fn sample(img: &RgbImage, roi: &Roi, size: usize) -> Vec<f32> {
    sample_with(img, roi, size, &jointscope_data::preprocess::Sampling::UNIT_ZERO_BORDER)
}

/// [`sample`] with another normalisation and border (the landmark model's input replicates the
/// photo's edge, the calculator's default).
pub fn sample_with(img: &RgbImage, roi: &Roi, size: usize, sampling: &jointscope_data::preprocess::Sampling) -> Vec<f32> {
    let mut out = vec![0.0f32; 3 * size * size];
    let center = jointscope_data::Point::new(roi.cx, roi.cy);
    jointscope_data::preprocess::sample_rotated_into(img, center, (roi.width, roi.height), roi.rotation, size, sampling, &mut out);
    out
}

/// The ROI that letterboxes the whole photo into a square model input (no rotation, zero borders).
pub fn letterbox(width: u32, height: u32) -> Roi {
    let side = width.max(height) as f32;
    Roi { cx: width as f32 / 2.0, cy: height as f32 / 2.0, width: side, height: side, rotation: 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_is_zero_for_an_upright_hand() {
        // Wrist below the middle finger (y grows downwards): already upright.
        assert!(upright_rotation((100.0, 200.0), (100.0, 100.0)).abs() < 1e-6);
        // Fingers pointing right: the crop must turn by +90°.
        let r = upright_rotation((100.0, 100.0), (200.0, 100.0));
        assert!((r - std::f32::consts::FRAC_PI_2).abs() < 1e-6, "{r}");
    }

    #[test]
    fn to_photo_inverts_the_sampling_frame() {
        let roi = Roi { cx: 50.0, cy: 40.0, width: 20.0, height: 20.0, rotation: 0.3 };
        let (x, y) = roi.to_photo(0.5, 0.5);
        assert!((x - 50.0).abs() < 1e-5 && (y - 40.0).abs() < 1e-5);
        // The top edge of the ROI is rotated clockwise by 0.3 rad around the centre.
        let (x, y) = roi.to_photo(0.5, 0.0);
        assert!((x - (50.0 + 10.0 * 0.3f32.sin())).abs() < 1e-4 && (y - (40.0 - 10.0 * 0.3f32.cos())).abs() < 1e-4);
    }

    #[test]
    fn sample_copies_pixels_at_identity_scale() {
        let mut img = RgbImage::new(4, 4);
        img.put_pixel(1, 2, image::Rgb([255, 0, 0]));
        let roi = Roi { cx: 2.0, cy: 2.0, width: 4.0, height: 4.0, rotation: 0.0 };
        let t = sample(&img, &roi, 4);
        assert!((t[2 * 4 + 1] - 1.0).abs() < 1e-6);
        assert_eq!(t.iter().filter(|&&v| v > 0.0).count(), 1);
        // Outside the photo is zero.
        let far = Roi { cx: 100.0, cy: 100.0, width: 4.0, height: 4.0, rotation: 0.0 };
        assert!(sample(&img, &far, 4).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn landmark_roi_is_square_and_centred_on_the_hand() {
        // An upright synthetic hand: wrist at the bottom, fingers up.
        let mut pts = vec![(100.0f32, 200.0f32); 21];
        for (i, p) in pts.iter_mut().enumerate().skip(1) {
            let finger = ((i - 1) / 4) as f32;
            let k = ((i - 1) % 4) as f32;
            *p = (60.0 + 20.0 * finger, 160.0 - 20.0 * k);
        }
        let roi = Roi::from_landmarks(&pts).unwrap();
        // Wrist (100, 200) to the MCP mean (100, 160): upright, so no rotation at all.
        assert!(roi.rotation.abs() < 1e-6, "{}", roi.rotation);
        assert!((roi.width - roi.height).abs() < 1e-3);
        // The stable twelve (wrist, thumb 1–3, each finger's first two) span x 60..140, y 120..200
        // (the fingertips' y 100 is left out): 80 px on the long side, scaled by 2.
        assert!((roi.width - 160.0).abs() < 1e-3, "{}", roi.width);
        // Centre of that box (100, 160), shifted by −0.1 of its side towards the fingers: (100, 152).
        assert!((roi.cx - 100.0).abs() < 1e-3 && (roi.cy - 152.0).abs() < 1e-3, "({}, {})", roi.cx, roi.cy);
    }
}
