//! The hand in hand units: the finger skeleton and its landmarks, the signed distance field of
//! its outline, and the marks painted per joint (knuckle bumps, redness, creases, nails).
use super::*;
use jointscope_data::Joint;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A point or vector in hand units.
pub(crate) type V2 = (f32, f32);
/// A capsule (or a crease): two points, then two widths (or half-width and strength).
pub(crate) type Capsule = (V2, V2, f32, f32);
/// A round mark: centre, sigma, amount.
pub(crate) type Spot = (V2, f32, f32);

pub(crate) struct Finger {
    pub(crate) base: (f32, f32),
    pub(crate) angle: f32,
    pub(crate) lengths: [f32; 3],
    pub(crate) radius: (f32, f32),
    pub(crate) bend: f32,
}

pub(crate) fn template(rng: &mut impl Rng, proportions: f32) -> [Finger; 5] {
    let spread = rng.random_range(0.6..1.5f32);
    let j = |rng: &mut ChaCha8Rng| rng.random_range(0.95..1.05f32);
    let mut r = ChaCha8Rng::seed_from_u64(rng.random());
    let deg = |d: f32| d.to_radians();
    [
        Finger { base: (-0.13, -0.10), angle: deg(-42.0) * spread.sqrt(), lengths: [0.17, 0.13 * j(&mut r), 0.11], radius: (0.054, 0.046), bend: deg(9.0) },
        Finger { base: (-0.15, -0.44), angle: deg(-9.0) * spread, lengths: [0.21 * j(&mut r), 0.12, 0.09], radius: (0.044, 0.036), bend: deg(1.0) },
        Finger { base: (-0.04, -0.47 * proportions), angle: deg(-2.0) * spread, lengths: [0.24 * j(&mut r), 0.14, 0.10], radius: (0.046, 0.037), bend: 0.0 },
        Finger { base: (0.07, -0.45), angle: deg(6.0) * spread, lengths: [0.22 * j(&mut r), 0.13, 0.09], radius: (0.042, 0.034), bend: deg(-1.0) },
        Finger { base: (0.17, -0.40), angle: deg(15.0) * spread, lengths: [0.17 * j(&mut r), 0.10, 0.08], radius: (0.036, 0.029), bend: deg(-2.0) },
    ]
}

/// The 21 landmarks of a template hand, in hand units.
pub(crate) fn landmarks_of(fingers: &[Finger; 5]) -> [(f32, f32); 21] {
    let mut lm = [(0.0, 0.0); 21];
    for (f, finger) in fingers.iter().enumerate() {
        let mut p = finger.base;
        let mut a = finger.angle;
        lm[1 + 4 * f] = p;
        for k in 0..3 {
            p = (p.0 + finger.lengths[k] * a.sin(), p.1 - finger.lengths[k] * a.cos());
            lm[2 + 4 * f + k] = p;
            a += finger.bend;
        }
    }
    lm
}

pub(crate) fn smin(a: f32, b: f32, k: f32) -> f32 {
    let h = (k - (a - b).abs()).max(0.0) / k;
    a.min(b) - h * h * k * 0.25
}

pub(crate) fn capsule(p: (f32, f32), a: (f32, f32), b: (f32, f32), ra: f32, rb: f32) -> (f32, f32) {
    let (bax, bay) = (b.0 - a.0, b.1 - a.1);
    let (pax, pay) = (p.0 - a.0, p.1 - a.1);
    let t = ((pax * bax + pay * bay) / (bax * bax + bay * bay)).clamp(0.0, 1.0);
    let (dx, dy) = (pax - bax * t, pay - bay * t);
    ((dx * dx + dy * dy).sqrt() - (ra + (rb - ra) * t), t)
}

pub(crate) fn polygon_sdf(p: (f32, f32), v: &[(f32, f32)]) -> f32 {
    let mut d = f32::MAX;
    let mut s = 1.0f32;
    let n = v.len();
    let mut j = n - 1;
    for i in 0..n {
        let (ex, ey) = (v[j].0 - v[i].0, v[j].1 - v[i].1);
        let (wx, wy) = (p.0 - v[i].0, p.1 - v[i].1);
        let t = ((wx * ex + wy * ey) / (ex * ex + ey * ey)).clamp(0.0, 1.0);
        let (bx, by) = (wx - ex * t, wy - ey * t);
        d = d.min(bx * bx + by * by);
        let c = [p.1 >= v[i].1, p.1 < v[j].1, ex * wy > ey * wx];
        if (c[0] && c[1] && c[2]) || (!c[0] && !c[1] && !c[2]) {
            s = -s;
        }
        j = i;
    }
    s * d.sqrt()
}

/// Per-pixel description of the hand in hand units.
pub(crate) struct HandShape {
    pub(crate) segments: Vec<Capsule>,
    pub(crate) palm: Vec<V2>,
    pub(crate) knuckles: Vec<(V2, f32)>,
    pub(crate) forearm: Capsule,
}

impl HandShape {
    pub(crate) fn sdf(&self, p: (f32, f32)) -> f32 {
        let mut d = polygon_sdf(p, &self.palm) - 0.03;
        let f = self.forearm;
        d = smin(d, capsule(p, f.0, f.1, f.2, f.3).0, 0.05);
        for s in &self.segments {
            d = smin(d, capsule(p, s.0, s.1, s.2, s.3).0, 0.025);
        }
        for (c, r) in &self.knuckles {
            let dk = ((p.0 - c.0).powi(2) + (p.1 - c.1).powi(2)).sqrt() - r;
            d = smin(d, dk, 0.02);
        }
        d
    }
}

/// The hand's shape and, per joint, what is painted there: the knuckle bumps of the height field,
/// redness, and the creases over the joint, each from its natural level and its inflammation.
pub(crate) struct Marks {
    pub(crate) shape: HandShape,
    pub(crate) bumps: Vec<Spot>,      // centre, sigma, height
    pub(crate) redness: Vec<Spot>,    // centre, sigma, amount
    pub(crate) creases: Vec<Capsule>, // centre, axis, half-width, strength
}

impl Marks {
    pub(crate) fn draw(spec: &HandSpec, look: &Look, fingers: &[Finger], lm_hand: &[(f32, f32); 21], rng: &mut ChaCha8Rng) -> Marks {
        let signal = look.signal;
        let p = look.patient_appearance.clamp(0.0, 1.0);
        // A joint's healthy level: the patient's, or (p < 1) blended with a level of its own drawn from
        // the same range as patients' (drawn only then: at p = 1 no draw is taken, which keeps the
        // default preset's random stream, and so the seed-7 benchmark, unchanged).
        let own = |rng: &mut ChaCha8Rng, patient: f32, range: std::ops::Range<f32>| {
            if p < 1.0 { p * patient + (1.0 - p) * rng.random_range(range) } else { patient }
        };
        let tr = spec.traits;
        let sev = |j: Joint| spec.severity[j.index()] * spec.visible[j.index()] * signal;

        // Shape: segments, palm, knuckles (natural bulk + swelling).
        let mut segments = Vec::new();
        let mut knuckles = Vec::new();
        let mut bumps: Vec<Spot> = Vec::new();
        let mut redness: Vec<Spot> = Vec::new();
        let mut creases: Vec<Capsule> = Vec::new();
        let per_joint = |rng: &mut ChaCha8Rng, lo: f32, hi: f32| rng.random_range(lo..hi);
        for (f, finger) in fingers.iter().enumerate() {
            let (r0, r1) = (finger.radius.0 * tr.width, finger.radius.1 * tr.width);
            // The finger's three bones, tapering from r0 to r1.
            segments.extend((0..3).map(|k| {
                let (a, b) = (lm_hand[1 + 4 * f + k], lm_hand[2 + 4 * f + k]);
                (a, b, r0 + (r1 - r0) * k as f32 / 3.0, r0 + (r1 - r0) * (k + 1) as f32 / 3.0)
            }));
            // Joints along this finger: for the thumb MCP (lm 2) and IP (lm 3); else MCP, PIP, DIP.
            let joints: [(usize, Option<Joint>); 3] = if f == 0 {
                [(2, Some(Joint::Mcp1)), (3, Some(Joint::Ip)), (1, None)]
            } else {
                let mcp = [Joint::Mcp2, Joint::Mcp3, Joint::Mcp4, Joint::Mcp5][f - 1];
                let pip = [Joint::Pip2, Joint::Pip3, Joint::Pip4, Joint::Pip5][f - 1];
                [(1 + 4 * f, Some(mcp)), (2 + 4 * f, Some(pip)), (3 + 4 * f, None)]
            };
            for (li, joint) in joints {
                if f == 0 && li == 1 {
                    continue;
                }
                let c = lm_hand[li];
                let k = (li - 1) % 4;
                let r = r0 + (r1 - r0) * (k as f32 / 3.0).min(1.0);
                let s = joint.map(sev).unwrap_or(0.0);
                let bulk = own(rng, tr.knuckle_bulk, 0.05..0.45) * per_joint(rng, 0.7, 1.3);
                let is_mcp = k == 0 && f > 0;
                // Natural knuckle: a slight widening; inflamed: a larger one.
                knuckles.push((c, r * (1.0 + 0.10 * bulk + 0.28 * s)));
                bumps.push((c, r * if is_mcp { 1.1 } else { 0.85 }, r * (0.5 * bulk + 0.9 * s)));
                let red = own(rng, tr.knuckle_redness, 0.0..0.45);
                redness.push((c, r * 1.2, red * per_joint(rng, 0.4, 1.6) * 0.5 + 0.55 * s));
                let dir = lm_hand[(li + 1).min(4 * f + 4)];
                let axis = ((dir.0 - c.0), (dir.1 - c.1));
                let n = (axis.0 * axis.0 + axis.1 * axis.1).sqrt().max(1e-6);
                let crease = own(rng, tr.crease, 0.12..0.35);
                creases.push((c, (axis.0 / n, axis.1 / n), r * 0.75, crease * per_joint(rng, 0.7, 1.3) * (1.0 - 0.9 * s.min(1.0))));
            }
        }
        let wrist_s = sev(Joint::Wrist);
        let w0 = lm_hand[0];
        let wrist_bulk = own(rng, tr.knuckle_bulk, 0.05..0.45);
        bumps.push(((w0.0, w0.1 - 0.02), 0.07, 0.03 * wrist_bulk + 0.05 * wrist_s));
        let wrist_red = own(rng, tr.knuckle_redness, 0.0..0.45);
        redness.push(((w0.0, w0.1 - 0.02), 0.08, wrist_red * per_joint(rng, 0.2, 0.8) * 0.4 + 0.5 * wrist_s));
        let forearm_r = 0.125 * tr.width;
        let forearm = ((0.0, -0.02), (0.0, 0.9), forearm_r * (1.0 + 0.16 * wrist_s), forearm_r * 1.12);
        let palm = palm_outline(tr.width, lm_hand);
        let shape = HandShape { segments, palm, knuckles, forearm };
        Marks { shape, bumps, redness, creases }
    }
}

/// The palm's outline in hand units: from the wrist round the knuckles MCP2…MCP5 and back.
pub(crate) fn palm_outline(width: f32, lm_hand: &[(f32, f32); 21]) -> Vec<(f32, f32)> {
    let (m2, m5) = (lm_hand[5], lm_hand[17]);
    vec![
        (-0.12 * width, 0.02),
        (-0.17 * width, -0.16),
        (m2.0 - 0.035, m2.1 + 0.04),
        m2,
        lm_hand[9],
        lm_hand[13],
        m5,
        (m5.0 + 0.03, m5.1 + 0.07),
        (0.14 * width, -0.1),
        (0.12 * width, 0.02),
    ]
}

/// How much each channel of the skin takes of the nail's tint, and that tint.
pub(crate) const NAIL: [f32; 3] = [0.55, 0.45, 0.45];
pub(crate) const NAIL_TINT: [f32; 3] = [235.0, 205.0, 195.0];

impl Marks {
    /// The sum of the joints' redness at hand point `p`.
    pub(crate) fn redness_at(&self, p: (f32, f32)) -> f32 {
        let mut red = 0.0f32;
        for (c, sg, a) in &self.redness {
            let r2 = (p.0 - c.0).powi(2) + (p.1 - c.1).powi(2);
            red += a * (-r2 / (2.0 * sg * sg)).exp();
        }
        red
    }

    /// How dark the creases make hand point `p`: three thin lines per crease, fading across the finger.
    pub(crate) fn crease_darkness_at(&self, p: (f32, f32)) -> f32 {
        let mut dark = 0.0f32;
        for (c, axis, half, strength) in &self.creases {
            let (dx, dy) = (p.0 - c.0, p.1 - c.1);
            let along = dx * axis.0 + dy * axis.1;
            let across = -dx * axis.1 + dy * axis.0;
            if across.abs() > *half || along.abs() > 0.05 {
                continue;
            }
            let w = 1.0 - (across / half).powi(2);
            for t0 in [-0.012f32, 0.0, 0.012] {
                let t = along - t0 - 6.0 * across * across;
                dark += strength * w * (-t * t / (2.0 * 0.0025f32.powi(2))).exp();
            }
        }
        dark
    }
}

/// How many fingertips' nails (an ellipse on the back of the last bone) cover hand point `p`.
pub(crate) fn nails_at(p: (f32, f32), fingers: &[Finger], lm_hand: &[(f32, f32); 21], width: f32) -> usize {
    (0..5)
        .filter(|&f| {
            let tip = lm_hand[4 + 4 * f];
            let dip = lm_hand[3 + 4 * f];
            let (ax, ay) = (tip.0 - dip.0, tip.1 - dip.1);
            let len = (ax * ax + ay * ay).sqrt();
            let (ux, uy) = (ax / len, ay / len);
            let (dx, dy) = (p.0 - tip.0, p.1 - tip.1);
            let along = dx * ux + dy * uy + 0.35 * len;
            let across = -dx * uy + dy * ux;
            let r = fingers[f].radius.1 * width * 0.7;
            (along / (0.33 * len)).powi(2) + (across / r).powi(2) < 1.0
        })
        .count()
}
