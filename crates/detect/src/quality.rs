//! Is this photo fit to be judged? One check per way a photo taken at home goes wrong, each computed
//! from the photo and the hand's 21 landmarks, with its value, its limit and what to do about it.
//! The limits were measured (README: "The capture check"): on drawn photos made to fail each check
//! and on real photos; a check's value is on the side of its limit that the good photos were on.
use image::RgbImage;
use jointscope_data::preprocess::{Border, Grid, Sampling, sample_rotated_into};
use jointscope_data::{Joint, Point, geometry};
use jointscope_landmarks::DetectedHand;
use serde::{Deserialize, Serialize};

/// One check: `ok` when `value` is on the right side of `limit`: at or above it, or at or below it
/// where `at_most`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct Check {
    /// `presence`, `joints_in_frame`, `back_of_hand`, `fingers_straight`, `fingers_apart`,
    /// `hand_size`, `sharpness`, `exposure`, `highlights`, `colour_cast`.
    pub name: String,
    pub ok: bool,
    pub value: f32,
    pub limit: f32,
    pub at_most: bool,
    /// What the patient should change, in plain words (empty when the check passes).
    pub advice: String,
}

/// The capture check of one hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct Quality {
    /// Every check passed.
    pub ok: bool,
    pub checks: Vec<Check>,
}

/// The limits of the checks (see the module doc for how they were chosen).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The landmark model's hand presence, at least.
    pub presence: f32,
    /// Distance of every joint from the photo's edge, in hand sizes, at least (a joint crop
    /// reaches 0.25 hand sizes from its joint).
    pub joint_margin: f32,
    /// How squarely the back of the hand faces the camera (see [`back_of_hand`]), at least.
    pub back_of_hand: f32,
    /// Straightness of the least straight finger (cosine of its bend at PIP and DIP), at least.
    pub straight: f32,
    /// Distance between neighbouring fingers' PIP joints, in hand sizes, at least.
    pub apart: f32,
    /// A joint crop's side in photo pixels over the classifier's crop size (below 1 it is
    /// enlarged), at least.
    pub hand_size: f32,
    /// Variance of the Laplacian of the hand at a fixed scale (grey levels²), at least.
    pub sharpness: f32,
    /// Mean brightness of the hand (0..1), at least.
    pub exposure: f32,
    /// Fraction of the hand's pixels blown out (any channel at 250 or more), at most.
    pub highlights: f32,
    /// The hand's strongest channel mean over its weakest, at most.
    pub colour_cast: f32,
}

/// The limits jointscope uses.
pub const LIMITS: Limits = Limits {
    presence: 0.7,
    joint_margin: 0.25,
    back_of_hand: 0.3,
    straight: 0.75,
    apart: 0.12,
    hand_size: 0.35,
    sharpness: 40.0,
    exposure: 0.17,
    highlights: 0.15,
    colour_cast: 2.65,
};

fn pt(h: &DetectedHand, i: usize) -> Point {
    Point::new(h.landmarks[i][0], h.landmarks[i][1])
}

/// Wrist to middle-finger MCP, in photo pixels.
pub fn hand_size(h: &DetectedHand) -> f32 {
    pt(h, 0).dist(pt(h, 9)).max(1e-3)
}

/// Which side of the hand faces the camera, and how flat: −1 … 1, positive for the back. The sine of
/// the angle from wrist→index MCP to wrist→little-finger MCP in the photo: its sign is the order
/// of the fingers as seen, which a hand's back and palm show mirrored, so the handedness decides
/// which sign is the back (and a mirrored photo swaps it once more); its size falls towards 0 as the
/// hand turns edge-on. Not from MediaPipe's world landmarks: their depth calls a real back of the
/// hand (`11k_f_d.jpg`) a palm (−0.80, Google's pipeline and ours alike).
pub fn back_of_hand(h: &DetectedHand, mirrored: bool) -> f32 {
    let (w, i, l) = (pt(h, 0), pt(h, 5), pt(h, 17));
    let (a, b) = ((i.x - w.x, i.y - w.y), (l.x - w.x, l.y - w.y));
    let sine = (a.0 * b.1 - a.1 * b.0) / (a.0.hypot(a.1) * b.0.hypot(b.1)).max(1e-6);
    // Photo y points down: a right hand's back, fingers up, has the index on the left.
    let sign = if (h.handedness == jointscope_data::Hand::Right) != mirrored { 1.0 } else { -1.0 };
    sign * sine
}

/// Straightness of the least straight finger: per finger the cosine between its MCP→PIP and
/// PIP→tip directions (1: straight, 0: bent at a right angle).
pub fn straightness(h: &DetectedHand) -> f32 {
    [5usize, 9, 13, 17]
        .iter()
        .map(|&m| {
            let (a, b, c) = (pt(h, m), pt(h, m + 1), pt(h, m + 3));
            let (u, v) = ((b.x - a.x, b.y - a.y), (c.x - b.x, c.y - b.y));
            (u.0 * v.0 + u.1 * v.1) / ((u.0.hypot(u.1) * v.0.hypot(v.1)).max(1e-6))
        })
        .fold(1.0, f32::min)
}

/// The smallest distance between neighbouring fingers' PIP joints, in hand sizes.
pub fn apart(h: &DetectedHand) -> f32 {
    [(6usize, 10usize), (10, 14), (14, 18)].iter().map(|&(a, b)| pt(h, a).dist(pt(h, b))).fold(f32::MAX, f32::min) / hand_size(h)
}

/// The whole-hand region at a fixed scale: a grey 128×128 view of the box around the landmarks.
fn hand_view(img: &RgbImage, h: &DetectedHand) -> Vec<f32> {
    let joints: Vec<(Joint, Point)> = h.joints();
    let b = geometry::hand_box(&joints, img.width(), img.height());
    let size = 128;
    let unit = Sampling { mean: [0.0; 3], std: [1.0; 3], border: Border::Replicate, grid: Grid::Centred };
    let mut rgb = vec![0.0f32; 3 * size * size];
    sample_rotated_into(img, b.center, (b.side, b.side), 0.0, size, &unit, &mut rgb);
    (0..size * size).map(|k| 0.299 * rgb[k] + 0.587 * rgb[size * size + k] + 0.114 * rgb[2 * size * size + k]).collect()
}

/// Variance of the 4-neighbour Laplacian of a 128×128 grey view, in grey levels (0..255)².
pub fn sharpness(grey: &[f32]) -> f32 {
    let n = 128;
    let mut values = Vec::with_capacity((n - 2) * (n - 2));
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            let c = grey[y * n + x];
            values.push(255.0 * (grey[(y - 1) * n + x] + grey[(y + 1) * n + x] + grey[y * n + x - 1] + grey[y * n + x + 1] - 4.0 * c));
        }
    }
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32
}

/// Pixels of the photo within 0.08 hand sizes (about half a finger's width) of a landmark or of the segment between two
/// landmarks of a finger or the palm: roughly the hand itself.
fn hand_pixels(img: &RgbImage, h: &DetectedHand) -> Vec<[u8; 3]> {
    use jointscope_landmarks::HAND_BONES as BONES;
    let r = 0.08 * hand_size(h);
    let (x0, y0, x1, y1) = h.bounds();
    let (w, ht) = (img.width() as f32, img.height() as f32);
    // Every few pixels is plenty for a mean; keeps big photos cheap.
    let step = ((x1 - x0).max(y1 - y0) / 160.0).max(1.0);
    let mut out = Vec::new();
    let mut y = (y0 - r).max(0.0);
    while y < (y1 + r).min(ht) {
        let mut x = (x0 - r).max(0.0);
        while x < (x1 + r).min(w) {
            let near = BONES.iter().any(|&(a, b)| {
                let (p, q) = (pt(h, a), pt(h, b));
                let (dx, dy) = (q.x - p.x, q.y - p.y);
                let t = (((x - p.x) * dx + (y - p.y) * dy) / (dx * dx + dy * dy).max(1e-6)).clamp(0.0, 1.0);
                (x - p.x - t * dx).hypot(y - p.y - t * dy) <= r
            });
            if near {
                out.push(img.get_pixel(x as u32, y as u32).0);
            }
            x += step;
        }
        y += step;
    }
    out
}

/// The colour cast of the hand: its strongest channel mean over its weakest (skin is redder than
/// blue in any light that is white: about 1.1–1.9 on the real photos of the README).
pub fn colour_cast(pixels: &[[u8; 3]]) -> f32 {
    let mut sum = [0.0f64; 3];
    for p in pixels {
        for c in 0..3 {
            sum[c] += p[c] as f64;
        }
    }
    let (lo, hi) = sum.iter().fold((f64::MAX, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    (hi / lo.max(1.0)) as f32
}

/// One of the capture check's checks. Its name is what the result carries (`checks[].name`) and
/// the page explains; the order of [`Kind::ALL`] is the order of the result's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Presence,
    JointsInFrame,
    BackOfHand,
    FingersStraight,
    FingersApart,
    HandSize,
    Sharpness,
    Exposure,
    Highlights,
    ColourCast,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Presence,
        Kind::JointsInFrame,
        Kind::BackOfHand,
        Kind::FingersStraight,
        Kind::FingersApart,
        Kind::HandSize,
        Kind::Sharpness,
        Kind::Exposure,
        Kind::Highlights,
        Kind::ColourCast,
    ];

    /// The name in the result.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Presence => "presence",
            Kind::JointsInFrame => "joints_in_frame",
            Kind::BackOfHand => "back_of_hand",
            Kind::FingersStraight => "fingers_straight",
            Kind::FingersApart => "fingers_apart",
            Kind::HandSize => "hand_size",
            Kind::Sharpness => "sharpness",
            Kind::Exposure => "exposure",
            Kind::Highlights => "highlights",
            Kind::ColourCast => "colour_cast",
        }
    }

    /// Whether the limit is a maximum (else a minimum).
    pub fn at_most(self) -> bool {
        matches!(self, Kind::Highlights | Kind::ColourCast)
    }

    /// What to do when the check fails.
    pub fn advice(self) -> &'static str {
        match self {
            Kind::Presence => "Show one whole hand clearly to the camera.",
            Kind::JointsInFrame => "Move the camera back: the whole hand and the wrist must be in the picture, with some room around them.",
            Kind::BackOfHand => "Show the back of your hand, flat towards the camera (not the palm, not sideways).",
            Kind::FingersStraight => "Stretch your fingers out straight.",
            Kind::FingersApart => "Spread your fingers a little, so they do not touch.",
            Kind::HandSize => "Hold the camera closer: the hand should fill most of the picture.",
            Kind::Sharpness => "Hold the camera and your hand still: the photo is blurred.",
            Kind::Exposure => "Find more light: the hand is too dark.",
            Kind::Highlights => "Avoid direct light or flash: part of the hand is too bright to see.",
            Kind::ColourCast => "Use daylight or white light: the colours are tinted.",
        }
    }
}

impl Limits {
    /// The limit of `kind`.
    pub fn limit(&self, kind: Kind) -> f32 {
        match kind {
            Kind::Presence => self.presence,
            Kind::JointsInFrame => self.joint_margin,
            Kind::BackOfHand => self.back_of_hand,
            Kind::FingersStraight => self.straight,
            Kind::FingersApart => self.apart,
            Kind::HandSize => self.hand_size,
            Kind::Sharpness => self.sharpness,
            Kind::Exposure => self.exposure,
            Kind::Highlights => self.highlights,
            Kind::ColourCast => self.colour_cast,
        }
    }
}

/// The capture check of `hand` in `img`, for a classifier whose joint crops are `local_size` px.
pub fn assess(img: &RgbImage, hand: &DetectedHand, mirrored: bool, local_size: usize, limits: &Limits) -> Quality {
    let size = hand_size(hand);
    let (w, h) = (img.width() as f32, img.height() as f32);
    let margin = Joint::ALL
        .iter()
        .map(|j| {
            let p = pt(hand, j.landmark());
            p.x.min(p.y).min(w - p.x).min(h - p.y) / size
        })
        .fold(f32::MAX, f32::min);
    let crop = geometry::JOINT_CROP_SCALE * geometry::hand_scale(&hand.joints(), img.width(), img.height());
    let grey = hand_view(img, hand);
    let pixels = hand_pixels(img, hand);
    let n = pixels.len().max(1) as f32;
    let exposure = pixels.iter().map(|p| (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0).sum::<f32>() / n;
    let highlights = pixels.iter().filter(|p| p.iter().any(|&v| v >= 250)).count() as f32 / n;
    let value = |kind: Kind| match kind {
        Kind::Presence => hand.presence,
        Kind::JointsInFrame => margin,
        Kind::BackOfHand => back_of_hand(hand, mirrored),
        Kind::FingersStraight => straightness(hand),
        Kind::FingersApart => apart(hand),
        Kind::HandSize => crop / local_size as f32,
        Kind::Sharpness => sharpness(&grey),
        Kind::Exposure => exposure,
        Kind::Highlights => highlights,
        Kind::ColourCast => colour_cast(&pixels),
    };
    let checks: Vec<Check> = Kind::ALL
        .into_iter()
        .map(|kind| {
            let (value, limit, at_most) = (value(kind), limits.limit(kind), kind.at_most());
            let ok = if at_most { value <= limit } else { value >= limit };
            Check { name: kind.name().into(), ok, value, limit, at_most, advice: if ok { String::new() } else { kind.advice().into() } }
        })
        .collect();
    Quality { ok: checks.iter().all(|c| c.ok), checks }
}
