//! Turning an image region into a model's input: bilinear sampling of a (rotated) crop into a
//! normalised CHW `f32` buffer, for the classifier and for the hand-landmark models alike. Pure
//! Rust, so native and browser inputs are bit-identical.
use crate::geometry::{self, CropBox, Point};
use crate::joints::Joint;
use image::RgbImage;

/// A random perturbation of a crop, for augmentation. [`Jitter::NONE`] leaves it as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter {
    /// Shift of the centre, as fractions of the side.
    pub shift: (f32, f32),
    /// Multiplier of the side.
    pub scale: f32,
    /// Added rotation in radians.
    pub angle: f32,
    /// Added to normalised values (brightness).
    pub offset: f32,
    /// Multiplier of normalised values (contrast).
    pub gain: f32,
}

impl Jitter {
    pub const NONE: Jitter = Jitter { shift: (0.0, 0.0), scale: 1.0, angle: 0.0, offset: 0.0, gain: 1.0 };

    fn apply(&self, c: &CropBox) -> CropBox {
        CropBox {
            center: Point::new(c.center.x + self.shift.0 * c.side, c.center.y + self.shift.1 * c.side),
            side: c.side * self.scale,
            angle: c.angle + self.angle,
        }
    }
}

/// The whole-hand view the global branch sees: [`geometry::hand_box`] sampled at `size`.
pub fn global_view(img: &RgbImage, located: &[(Joint, Point)], size: usize, jitter: &Jitter) -> Vec<f32> {
    let b = geometry::hand_box(located, img.width(), img.height());
    finish(sample_crop(img, &jitter.apply(&b), size), jitter)
}

/// The crop the local branch sees for the joint at `point`: [`geometry::joint_crop`] at `size`.
pub fn joint_view(img: &RgbImage, point: Point, hand_scale: f32, size: usize, jitter: &Jitter) -> Vec<f32> {
    let b = geometry::joint_crop(point, hand_scale);
    finish(sample_crop(img, &jitter.apply(&b), size), jitter)
}

/// One photo's model inputs, as the trainer and the browser both build them: the whole-hand view
/// from every `located` joint, then a crop per joint in `judged`, sized by `hand_scale`, each with
/// its own jitter from `local_jitter` (always [`Jitter::NONE`] at inference). Returns
/// (global view, concatenated crops).
pub fn photo_views(
    img: &RgbImage,
    located: &[(Joint, Point)],
    hand_scale: f32,
    judged: impl IntoIterator<Item = Point>,
    (global_size, local_size): (usize, usize),
    global_jitter: &Jitter,
    mut local_jitter: impl FnMut() -> Jitter,
) -> (Vec<f32>, Vec<f32>) {
    let global = global_view(img, located, global_size, global_jitter);
    let mut local = Vec::new();
    for point in judged {
        local.extend(joint_view(img, point, hand_scale, local_size, &local_jitter()));
    }
    (global, local)
}

fn finish(mut v: Vec<f32>, j: &Jitter) -> Vec<f32> {
    if j.gain != 1.0 || j.offset != 0.0 {
        v.iter_mut().for_each(|x| *x = *x * j.gain + j.offset);
    }
    v
}

/// Per-channel mean subtracted from pixel values in 0..1.
pub const MEAN: [f32; 3] = [0.5, 0.5, 0.5];
/// Per-channel standard deviation pixel values are divided by.
pub const STD: [f32; 3] = [0.25, 0.25, 0.25];

/// What a sampler reads outside the photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Border {
    /// A constant colour, 0..1 per channel.
    Constant([f32; 3]),
    /// The nearest pixel of the photo (OpenCV's `BORDER_REPLICATE`).
    Replicate,
}

/// Where a crop's pixels sit in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Grid {
    /// Output pixel `o` samples the centre of its cell, `(o + 0.5) / size` of the crop, and photo
    /// pixel `i` covers `i..i + 1` (the classifier's, since the first version).
    Centred,
    /// Output pixel `o` samples `o / size` of the crop and photo pixel `i` is centred on `i`: what
    /// OpenCV's `warpPerspective` does with the crop's corners mapped to the output's, as
    /// MediaPipe's `ImageToTensorCalculator` does; the hand models were trained on such crops.
    Corners,
}

/// How [`sample_rotated_into`] normalises what it samples and what it reads outside the photo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Subtracted per channel from values in 0..1.
    pub mean: [f32; 3],
    /// Divides each channel after the mean is subtracted.
    pub std: [f32; 3],
    pub border: Border,
    pub grid: Grid,
}

impl Sampling {
    /// The classifier's input: normalised with [`MEAN`] and [`STD`]; outside the photo reads as
    /// the mean (zero after normalisation).
    pub const CLASSIFIER: Sampling = Sampling { mean: MEAN, std: STD, border: Border::Constant(MEAN), grid: Grid::Centred };
    /// MediaPipe's palm-detection input (`ImageToTensorCalculator` with `BORDER_ZERO`): values 0..1,
    /// black outside.
    pub const UNIT_ZERO_BORDER: Sampling = Sampling { mean: [0.0; 3], std: [1.0; 3], border: Border::Constant([0.0; 3]), grid: Grid::Corners };
    /// MediaPipe's hand-landmark input (the calculator's default, `BORDER_REPLICATE`): values 0..1,
    /// the nearest photo pixel outside.
    pub const UNIT_REPLICATE: Sampling = Sampling { mean: [0.0; 3], std: [1.0; 3], border: Border::Replicate, grid: Grid::Corners };
}

/// Sample `crop` of `img` into a `3 × size × size` buffer (channel-major) for the classifier
/// ([`Sampling::CLASSIFIER`]).
pub fn sample_crop(img: &RgbImage, crop: &CropBox, size: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; 3 * size * size];
    sample_crop_into(img, crop, size, &mut out);
    out
}

/// [`sample_crop`] into a caller's buffer of length `3 * size * size`.
pub fn sample_crop_into(img: &RgbImage, crop: &CropBox, size: usize, out: &mut [f32]) {
    sample_rotated_into(img, crop.center, (crop.side, crop.side), crop.angle, size, &Sampling::CLASSIFIER, out);
}

/// The one rotated-crop sampler, shared by the classifier's crops and the hand-landmark ROIs:
/// the `width × height` rectangle of `img` centred on `center` and rotated clockwise by `angle`
/// radians, sampled bilinearly (pixel centres at half-integers) into `size × size`, channel-major,
/// normalised by `sampling`. Non-finite geometry reads as the border (grey when replicating).
pub fn sample_rotated_into(img: &RgbImage, center: Point, (width, height): (f32, f32), angle: f32, size: usize, sampling: &Sampling, out: &mut [f32]) {
    assert_eq!(out.len(), 3 * size * size, "output buffer has the wrong length");
    let (w, h) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let (step_x, step_y) = (width / size as f32, height / size as f32);
    let (sin, cos) = angle.sin_cos();
    let plane = size * size;
    let Sampling { mean, std, border, grid } = *sampling;
    let (cell, pixel) = match grid {
        Grid::Centred => (0.5, 0.5),
        Grid::Corners => (0.0, 0.0),
    };
    if w == 0 || h == 0 {
        out.fill(0.0);
        return;
    }
    for oy in 0..size {
        for ox in 0..size {
            // Offset of the output pixel's centre from the crop centre, in image pixels.
            let u = (ox as f32 + cell) * step_x - width / 2.0;
            let v = (oy as f32 + cell) * step_y - height / 2.0;
            let x = center.x + u * cos - v * sin - pixel;
            let y = center.y + u * sin + v * cos - pixel;
            let mut acc = [0.0f32; 3];
            if !(x.is_finite() && y.is_finite()) {
                acc = match border {
                    Border::Constant(c) => c,
                    Border::Replicate => [MEAN[0], MEAN[1], MEAN[2]],
                };
            } else {
                let (x0, y0) = (x.floor(), y.floor());
                let (fx, fy) = (x - x0, y - y0);
                let (x0, y0) = (x0 as i64, y0 as i64);
                for (dy, wy) in [(0i64, 1.0 - fy), (1, fy)] {
                    for (dx, wx) in [(0i64, 1.0 - fx), (1, fx)] {
                        let wgt = wx * wy;
                        if wgt == 0.0 {
                            continue;
                        }
                        let (mut px, mut py) = (x0 + dx, y0 + dy);
                        let outside = px < 0 || py < 0 || px >= w || py >= h;
                        match border {
                            Border::Constant(c) if outside => {
                                for (ch, a) in acc.iter_mut().enumerate() {
                                    *a += wgt * c[ch];
                                }
                                continue;
                            }
                            Border::Replicate if outside => {
                                px = px.clamp(0, w - 1);
                                py = py.clamp(0, h - 1);
                            }
                            _ => {}
                        }
                        let i = ((py * w + px) * 3) as usize;
                        for (c, a) in acc.iter_mut().enumerate() {
                            *a += wgt * raw[i + c] as f32 / 255.0;
                        }
                    }
                }
            }
            let o = oy * size + ox;
            for c in 0..3 {
                out[c * plane + o] = (acc[c] - mean[c]) / std[c];
            }
        }
    }
}

/// Undo the normalisation of a `3 × size × size` buffer into interleaved 8-bit RGB, for display.
pub fn to_rgb8(chw: &[f32], size: usize) -> Vec<u8> {
    let plane = size * size;
    let mut out = Vec::with_capacity(3 * plane);
    for i in 0..plane {
        for c in 0..3 {
            out.push(((chw[c * plane + i] * STD[c] + MEAN[c]) * 255.0).round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

/// Bilinear upsampling of a square `side_in²` map (e.g. a class-activation map) to `side_out²`,
/// aligned on pixel centres.
pub fn upsample(map: &[f32], side_in: usize, side_out: usize) -> Vec<f32> {
    assert_eq!(map.len(), side_in * side_in, "map has the wrong length");
    let scale = side_in as f32 / side_out as f32;
    let at = |x: usize, y: usize| map[y.min(side_in - 1) * side_in + x.min(side_in - 1)];
    let mut out = Vec::with_capacity(side_out * side_out);
    for oy in 0..side_out {
        let y = ((oy as f32 + 0.5) * scale - 0.5).max(0.0);
        let (y0, fy) = (y.floor() as usize, y.fract());
        for ox in 0..side_out {
            let x = ((ox as f32 + 0.5) * scale - 0.5).max(0.0);
            let (x0, fx) = (x.floor() as usize, x.fract());
            let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
            let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
            out.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Point;

    #[test]
    fn identity_crop_reproduces_pixels_and_outside_is_zero() {
        let mut img = RgbImage::new(4, 4);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 60) as u8, (y * 60) as u8, 255]);
        }
        let crop = CropBox { center: Point::new(2.0, 2.0), side: 4.0, angle: 0.0 };
        let out = sample_crop(&img, &crop, 4);
        for y in 0..4 {
            for x in 0..4 {
                let r = out[y * 4 + x] * STD[0] + MEAN[0];
                assert!((r - (x as f32 * 60.0) / 255.0).abs() < 1e-5);
                let b = out[32 + y * 4 + x] * STD[2] + MEAN[2];
                assert!((b - 1.0).abs() < 1e-5);
            }
        }
        let far = CropBox { center: Point::new(100.0, 100.0), side: 4.0, angle: 0.0 };
        assert!(sample_crop(&img, &far, 4).iter().all(|v| v.abs() < 1e-6));
    }

    #[test]
    fn display_round_trip_and_upsampling_keep_values() {
        let img = RgbImage::from_pixel(8, 8, image::Rgb([10, 128, 250]));
        let crop = sample_crop(&img, &CropBox { center: Point::new(4.0, 4.0), side: 8.0, angle: 0.0 }, 8);
        assert!(to_rgb8(&crop, 8).chunks(3).all(|p| p == [10, 128, 250]));
        let flat = upsample(&[2.0; 4], 2, 6);
        assert!(flat.iter().all(|v| (v - 2.0).abs() < 1e-6));
        let ramp = upsample(&[0.0, 1.0, 0.0, 1.0], 2, 4);
        assert_eq!(ramp[0], 0.0);
        assert_eq!(ramp[3], 1.0);
        assert!(ramp[1] > 0.0 && ramp[1] < ramp[2] && ramp[2] < 1.0);
    }

    #[test]
    fn rotation_by_a_half_turn_flips_the_crop() {
        let mut img = RgbImage::new(8, 8);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 30) as u8, 0, 0]);
        }
        let a = sample_crop(&img, &CropBox { center: Point::new(4.0, 4.0), side: 8.0, angle: 0.0 }, 8);
        let b = sample_crop(&img, &CropBox { center: Point::new(4.0, 4.0), side: 8.0, angle: std::f32::consts::PI }, 8);
        for x in 0..8 {
            assert!((a[x] - b[7 - x]).abs() < 1e-4);
        }
    }
}
