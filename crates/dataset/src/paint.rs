//! Simulated signs of inflammation painted on a real photo of a hand, at the anatomy its 21
//! MediaPipe landmarks give.
//!
//! Every pixel of every photo goes through the same steps, whatever the labels: a resampling at a
//! displaced position (bilinear, with one sub-pixel offset for the whole photo, so no pixel is a
//! plain copy), a mix with two blurred copies of the photo, a colour gain and a highlight. A healthy
//! joint's amplitudes are zero, so it differs from its neighbours only by what the photo holds; an
//! inflamed joint's amplitude is its visible severity times the signal. The signs, per joint:
//!
//! - **swelling**: the soft tissue widens across the bone's axis (a local magnification across the
//!   axis, up to [`Signs::swelling`] at amplitude 1), sized from the knuckle spacing;
//! - **lost valleys**: at a swollen MCP the valleys between it and its neighbouring knuckles fill in
//!   (a mix towards a coarse blur of the photo);
//! - **softened creases**: the skin's fine lines over the joint fade (a mix towards a fine blur);
//! - **redness**: the skin's own colour shifts towards red (a gain on red, a loss on green and blue,
//!   weighted by how much the pixel looks like this hand's skin), never a fixed red painted on;
//! - **shine**: a faint highlight of stretched skin over the joint.
use image::RgbImage;
use jointscope_data::{Joint, Point};

/// How strong each sign is at amplitude 1 (a visible severity of 1 at signal 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signs {
    /// Widening across the axis at the joint's centre (0.16: 16 % wider).
    pub swelling: f32,
    /// Share of the coarse blur mixed into the valleys beside a swollen MCP.
    pub valleys: f32,
    /// Share of the fine blur mixed in over the joint.
    pub creases: f32,
    /// Relative gain of red at the joint's centre (green loses 0.7 of it, blue 0.5).
    pub redness: f32,
    /// Share of the way to white of the highlight's peak.
    pub shine: f32,
}

impl Default for Signs {
    fn default() -> Self {
        Signs { swelling: 0.16, valleys: 0.7, creases: 0.6, redness: 0.10, shine: 0.10 }
    }
}

/// Where a joint is and how big: its centre, the bone's axis through it (unit, distal), and the
/// width of the part that swells, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JointFrame {
    pub center: Point,
    pub axis: (f32, f32),
    pub width: f32,
}

/// The landmarks before and after each joint along its bone (MediaPipe's numbering).
fn bone(j: Joint) -> (usize, usize) {
    match j {
        Joint::Wrist => (0, 9),
        Joint::Mcp1 => (1, 3),
        Joint::Ip => (2, 4),
        Joint::Mcp2 => (0, 6),
        Joint::Mcp3 => (0, 10),
        Joint::Mcp4 => (0, 14),
        Joint::Mcp5 => (0, 18),
        Joint::Pip2 => (5, 7),
        Joint::Pip3 => (9, 11),
        Joint::Pip4 => (13, 15),
        Joint::Pip5 => (17, 19),
    }
}

/// Each joint's frame from the 21 landmarks (index = `Joint::index`). A finger's width is the mean
/// spacing of the four MCP knuckles (0.85 of it at a PIP), the wrist's three spacings.
pub fn frames(lm: &[Point; 21]) -> [JointFrame; Joint::COUNT] {
    let spacing = (lm[5].dist(lm[9]) + lm[9].dist(lm[13]) + lm[13].dist(lm[17])) / 3.0;
    let spacing = spacing.max(2.0);
    Joint::ALL.map(|j| {
        let (a, b) = bone(j);
        let (dx, dy) = (lm[b].x - lm[a].x, lm[b].y - lm[a].y);
        let n = dx.hypot(dy).max(1e-3);
        let width = match j {
            Joint::Wrist => 3.0 * spacing,
            Joint::Pip2 | Joint::Pip3 | Joint::Pip4 | Joint::Pip5 => 0.85 * spacing,
            _ => spacing,
        };
        JointFrame { center: lm[j.landmark()], axis: (dx / n, dy / n), width }
    })
}

/// The valleys between neighbouring MCP knuckles: (point, the two joints whose swelling fills it).
fn valleys(lm: &[Point; 21]) -> [(Point, Joint, Joint); 3] {
    let mid = |a: usize, b: usize| {
        // A little distal of the knuckles' midpoint, where the valley's shadow is.
        let (m, d) = (Point::new((lm[a].x + lm[b].x) / 2.0, (lm[a].y + lm[b].y) / 2.0), (lm[a + 1], lm[b + 1]));
        let t = Point::new((d.0.x + d.1.x) / 2.0, (d.0.y + d.1.y) / 2.0);
        Point::new(m.x + 0.15 * (t.x - m.x), m.y + 0.15 * (t.y - m.y))
    };
    [(mid(5, 9), Joint::Mcp2, Joint::Mcp3), (mid(9, 13), Joint::Mcp3, Joint::Mcp4), (mid(13, 17), Joint::Mcp4, Joint::Mcp5)]
}

/// Per-pixel fields of one photo: displacement, the two blur shares, redness and shine.
struct Fields {
    dx: Vec<f32>,
    dy: Vec<f32>,
    fine: Vec<f32>,
    coarse: Vec<f32>,
    red: Vec<f32>,
    shine: Vec<f32>,
}

fn gauss(d2: f32, sigma: f32) -> f32 {
    (-d2 / (2.0 * sigma * sigma)).exp()
}

/// Call `at(pixel index, dx, dy)` for every pixel of the square of half-side `reach` around `c`
/// that lies in the photo (dx, dy: the pixel centre's offset from `c`).
fn window(w: u32, h: u32, c: Point, reach: f32, mut at: impl FnMut(usize, f32, f32)) {
    let span = |v: f32, n: u32| (((v - reach).floor().max(0.0)) as u32, ((v + reach).ceil().max(0.0) as u32).min(n));
    let ((x0, x1), (y0, y1)) = (span(c.x, w), span(c.y, h));
    for y in y0..y1 {
        for x in x0..x1 {
            at((y * w + x) as usize, x as f32 + 0.5 - c.x, y as f32 + 0.5 - c.y);
        }
    }
}

/// Sum every joint's sign fields over the photo. Pixels farther than 3 σ from a joint get nothing
/// from it (the same cut for every joint).
fn fields(w: u32, h: u32, frames: &[JointFrame; Joint::COUNT], valleys: &[(Point, Joint, Joint); 3], amp: &[f32; Joint::COUNT], s: &Signs) -> Fields {
    let n = (w * h) as usize;
    let mut f = Fields { dx: vec![0.0; n], dy: vec![0.0; n], fine: vec![0.0; n], coarse: vec![0.0; n], red: vec![0.0; n], shine: vec![0.0; n] };
    for (k, fr) in frames.iter().enumerate() {
        let a = amp[k];
        let (u, wd) = (fr.axis, fr.width);
        let (sa, sc) = (0.55 * wd, 0.9 * wd);
        window(w, h, fr.center, 3.0 * sc, |i, ox, oy| {
            let along = ox * u.0 + oy * u.1;
            let across = -ox * u.1 + oy * u.0;
            let g = (-(along * along) / (2.0 * sa * sa) - (across * across) / (2.0 * sc * sc)).exp();
            // Sample from nearer the axis: the tissue seen at `across` came from across·(1 − m).
            let m = s.swelling * a * g;
            f.dx[i] += m * across * u.1;
            f.dy[i] -= m * across * u.0;
            let d2 = ox * ox + oy * oy;
            f.fine[i] += s.creases * a * gauss(d2, 0.45 * wd);
            f.red[i] += s.redness * a * gauss(d2, 0.7 * wd);
            f.shine[i] += s.shine * a * gauss(d2, 0.22 * wd);
        });
    }
    let spacing = frames[Joint::Mcp3.index()].width;
    for &(p, j1, j2) in valleys {
        let a = amp[j1.index()].max(amp[j2.index()]);
        window(w, h, p, 1.5 * spacing, |i, ox, oy| f.coarse[i] += s.valleys * a * gauss(ox * ox + oy * oy, 0.4 * spacing));
    }
    f
}

/// Box blur of radius `r` along rows then columns, applied twice (close to a Gaussian).
pub fn blur(img: &[[f32; 3]], w: usize, h: usize, r: usize) -> Vec<[f32; 3]> {
    let pass = |src: &[[f32; 3]], step: usize, len: usize, lines: usize, line_step: usize| {
        let mut out = vec![[0.0f32; 3]; src.len()];
        for l in 0..lines {
            let base = l * line_step;
            let at = |k: isize| src[base + (k.clamp(0, len as isize - 1) as usize) * step];
            let mut acc = [0.0f32; 3];
            for k in -(r as isize)..=(r as isize) {
                let p = at(k);
                (0..3).for_each(|c| acc[c] += p[c]);
            }
            let norm = 1.0 / (2 * r + 1) as f32;
            for k in 0..len as isize {
                out[base + k as usize * step] = acc.map(|v| v * norm);
                let (add, sub) = (at(k + r as isize + 1), at(k - r as isize));
                (0..3).for_each(|c| acc[c] += add[c] - sub[c]);
            }
        }
        out
    };
    let mut cur = img.to_vec();
    for _ in 0..2 {
        cur = pass(&cur, 1, w, h, w);
        cur = pass(&cur, w, h, w, 1);
    }
    cur
}

/// This hand's skin colour: the median of pixels sampled along its finger bones and across the palm.
fn skin_reference(img: &[[f32; 3]], w: u32, h: u32, lm: &[Point; 21]) -> [f32; 3] {
    let mut samples: Vec<[f32; 3]> = Vec::new();
    for (a, b) in [(0, 9), (5, 6), (9, 10), (13, 14), (17, 18), (0, 5), (0, 17), (2, 3), (6, 7), (10, 11)] {
        for t in 1..8 {
            let t = t as f32 / 8.0;
            let (x, y) = (lm[a].x + t * (lm[b].x - lm[a].x), lm[a].y + t * (lm[b].y - lm[a].y));
            if x >= 0.0 && y >= 0.0 && (x as u32) < w && (y as u32) < h {
                samples.push(img[(y as u32 * w + x as u32) as usize]);
            }
        }
    }
    if samples.is_empty() {
        return [180.0, 130.0, 110.0];
    }
    let mut out = [0.0; 3];
    for c in 0..3 {
        let mut v: Vec<f32> = samples.iter().map(|p| p[c]).collect();
        v.sort_by(f32::total_cmp);
        out[c] = v[v.len() / 2];
    }
    out
}

/// 0..1: how much a pixel looks like the skin reference (chromaticity within about 0.03, brightness
/// within a factor of about two).
fn skin_likeness(p: [f32; 3], reference: [f32; 3]) -> f32 {
    let chroma = |q: [f32; 3]| {
        let s = (q[0] + q[1] + q[2]).max(1.0);
        (q[0] / s, q[1] / s, s)
    };
    let (r0, g0, s0) = chroma(reference);
    let (r, g, s) = chroma(p);
    let d2 = (r - r0).powi(2) + (g - g0).powi(2);
    let bright = (s / s0.max(1.0)).ln();
    gauss(d2, 0.03) * gauss(bright * bright, 0.5)
}

fn bilinear(img: &[[f32; 3]], w: usize, h: usize, x: f32, y: f32) -> [f32; 3] {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |xx: usize, yy: usize| img[yy * w + xx];
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    let mut out = [0.0; 3];
    for k in 0..3 {
        out[k] = (a[k] * (1.0 - fx) + b[k] * fx) * (1.0 - fy) + (c[k] * (1.0 - fx) + d[k] * fx) * fy;
    }
    out
}

/// Paint the signs on `img`. `amplitude[j]` is joint j's visible severity times the signal (0 for a
/// healthy joint); `offset` is the whole photo's sub-pixel resampling offset (each in 0..1).
pub fn paint(img: &RgbImage, lm: &[Point; 21], amplitude: &[f32; Joint::COUNT], offset: (f32, f32), signs: &Signs) -> RgbImage {
    let (w, h) = img.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let src: Vec<[f32; 3]> = img.pixels().map(|p| p.0.map(f32::from)).collect();
    let fr = frames(lm);
    let f = fields(w, h, &fr, &valleys(lm), amplitude, signs);
    let warped: Vec<[f32; 3]> = (0..wu * hu)
        .map(|i| {
            let (x, y) = ((i % wu) as f32, (i / wu) as f32);
            bilinear(&src, wu, hu, x + offset.0 + f.dx[i], y + offset.1 + f.dy[i])
        })
        .collect();
    let spacing = fr[Joint::Mcp3.index()].width;
    let fine = blur(&warped, wu, hu, (0.06 * spacing).round().max(1.0) as usize);
    let coarse = blur(&warped, wu, hu, (0.25 * spacing).round().max(1.0) as usize);
    let skin = skin_reference(&warped, w, h, lm);
    let mut out = RgbImage::new(w, h);
    for (i, px) in out.pixels_mut().enumerate() {
        let (m1, m2) = (f.fine[i].min(1.0), f.coarse[i].min(1.0));
        let mut p = [0.0f32; 3];
        for c in 0..3 {
            let v = warped[i][c];
            p[c] = v + m1 * (fine[i][c] - v);
            p[c] += m2 * (coarse[i][c] - p[c]);
        }
        let like = skin_likeness(p, skin);
        let r = f.red[i] * like;
        let gains = [1.0 + r, 1.0 - 0.7 * r, 1.0 - 0.5 * r];
        let shine = (f.shine[i] * like).min(1.0);
        px.0 = std::array::from_fn(|c| {
            let v = p[c] * gains[c];
            (v + shine * (255.0 - v)).round().clamp(0.0, 255.0) as u8
        });
    }
    out
}
