//! Is a photo like the ones the weights were trained on? The export keeps a compact Gaussian
//! summary of what the encoder saw in the training photos' joint crops (the pooled features of
//! [`jointscope_model::Output::pooled`]): one mean per joint and a shared covariance, kept as its
//! leading principal directions plus one variance for the rest (probabilistic PCA, Tipping & Bishop
//! 1999). A hand's distance is the root mean squared Mahalanobis distance of its joints, per
//! feature dimension: about 1 for photos like the training ones, large for photos unlike them
//! (class-conditional Mahalanobis scores, Lee et al. 2018). The limit is the largest distance among
//! the held-out validation photos.
use serde::{Deserialize, Serialize};

/// Leading directions kept (at most the feature dimension).
pub const COMPONENTS: usize = 32;

/// The training photos' features, as the export stores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct FeatureModel {
    /// Mean feature per joint identity, `joints × dim` (a joint never seen in training has the
    /// mean of all joints).
    pub means: Vec<Vec<f32>>,
    /// Orthonormal leading directions of the features around their joint's mean, `k × dim`.
    pub components: Vec<Vec<f32>>,
    /// Variance along each direction.
    pub variances: Vec<f32>,
    /// Mean variance in the directions left out (a floor for every variance).
    pub residual_variance: f32,
    /// A hand farther than this is unfamiliar: the largest distance among the validation photos.
    pub limit: f32,
    /// Joint crops the summary was fitted on, and validation photos the limit was chosen on.
    pub fitted_joints: usize,
    pub limit_photos: usize,
}

/// How familiar one hand looks to the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_family = "wasm", derive(tsify::Tsify))]
pub struct Familiarity {
    /// Root mean squared Mahalanobis distance of the hand's joint features per dimension (about 1
    /// for photos like the training ones).
    pub distance: f32,
    /// The export's limit.
    pub limit: f32,
    /// The same distance over the features of MediaPipe's first layers ([`crate::appearance`]),
    /// when the weights carry that summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_family = "wasm", tsify(optional))]
    pub appearance_distance: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_family = "wasm", tsify(optional))]
    pub appearance_limit: Option<f32>,
    /// Both distances within their limits: photos like this one were in the training data.
    pub familiar: bool,
}

/// Symmetric eigen-decomposition by cyclic Jacobi rotations: (eigenvalues, eigenvectors as rows),
/// largest first. `a` is `n × n` row-major.
fn jacobi_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * n + j].powi(2)).sum();
        let scale: f64 = (0..n).map(|i| a[i * n + i].powi(2)).sum::<f64>().max(1e-300);
        if off <= 1e-24 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| a[y * n + y].total_cmp(&a[x * n + x]));
    let values = order.iter().map(|&i| a[i * n + i]).collect();
    let vectors = order.iter().map(|&i| (0..n).map(|k| v[k * n + i]).collect()).collect();
    (values, vectors)
}

impl FeatureModel {
    /// Fit on `(joint index, pooled feature)` pairs of the training photos, for `joints` joint
    /// identities. The limit starts at `f32::MAX` (every hand familiar): set it with [`FeatureModel::with_limit`].
    /// `None` with fewer than two features or features of different lengths.
    pub fn fit(features: &[(usize, Vec<f32>)], joints: usize) -> Option<FeatureModel> {
        let dim = features.first()?.1.len();
        if features.len() < 2 || dim == 0 || features.iter().any(|(j, f)| f.len() != dim || *j >= joints) {
            return None;
        }
        let mut sums = vec![vec![0.0f64; dim]; joints];
        let mut counts = vec![0usize; joints];
        let mut all = vec![0.0f64; dim];
        for (j, f) in features {
            counts[*j] += 1;
            for (d, &x) in f.iter().enumerate() {
                sums[*j][d] += x as f64;
                all[d] += x as f64;
            }
        }
        let means: Vec<Vec<f64>> = (0..joints)
            .map(|j| {
                let (s, n) = if counts[j] > 0 { (&sums[j], counts[j]) } else { (&all, features.len()) };
                s.iter().map(|v| v / n as f64).collect()
            })
            .collect();
        let mut cov = vec![0.0f64; dim * dim];
        let mut z = vec![0.0f64; dim];
        for (j, f) in features {
            for d in 0..dim {
                z[d] = f[d] as f64 - means[*j][d];
            }
            for a in 0..dim {
                for b in a..dim {
                    cov[a * dim + b] += z[a] * z[b];
                }
            }
        }
        let n = features.len() as f64;
        for a in 0..dim {
            for b in a..dim {
                let v = cov[a * dim + b] / n;
                cov[a * dim + b] = v;
                cov[b * dim + a] = v;
            }
        }
        let trace: f64 = (0..dim).map(|d| cov[d * dim + d]).sum();
        let (values, vectors) = jacobi_eigen(cov, dim);
        let k = COMPONENTS.min(dim);
        // A floor keeps directions the training photos never varied in from dividing by ~0.
        let floor = (1e-3 * trace / dim as f64).max(1e-12);
        let kept: f64 = values[..k].iter().sum();
        let residual = if dim > k { ((trace - kept) / (dim - k) as f64).max(floor) } else { floor };
        Some(FeatureModel {
            means: means.iter().map(|m| m.iter().map(|&v| v as f32).collect()).collect(),
            components: vectors[..k].iter().map(|v| v.iter().map(|&x| x as f32).collect()).collect(),
            variances: values[..k].iter().map(|&v| (v.max(residual)) as f32).collect(),
            residual_variance: residual as f32,
            limit: f32::MAX,
            fitted_joints: features.len(),
            limit_photos: 0,
        })
    }

    /// The feature dimension.
    pub fn dim(&self) -> usize {
        self.means.first().map_or(0, Vec::len)
    }

    /// Check the shapes against the model's joints and feature dimension.
    pub fn check(&self, joints: usize, dim: usize) -> Result<(), String> {
        let k = self.components.len();
        if self.means.len() != joints || self.means.iter().any(|m| m.len() != dim) {
            return Err(format!("familiarity: {} means for {joints} joints of {dim} features", self.means.len()));
        }
        if k == 0 || k > dim || self.variances.len() != k || self.components.iter().any(|c| c.len() != dim) {
            return Err(format!("familiarity: {k} components and {} variances for {dim} features", self.variances.len()));
        }
        let positive = |v: f32| v.is_finite() && v > 0.0;
        if !self.variances.iter().all(|&v| positive(v)) || !positive(self.residual_variance) || self.limit.is_nan() || self.limit <= 0.0 {
            return Err("familiarity: variances and the limit must be positive".into());
        }
        Ok(())
    }

    /// Squared Mahalanobis distance of one joint's feature from its joint's mean, per dimension.
    pub fn joint_distance2(&self, joint: usize, feature: &[f32]) -> f32 {
        let mean = &self.means[joint.min(self.means.len() - 1)];
        let z: Vec<f64> = feature.iter().zip(mean).map(|(&f, &m)| f as f64 - m as f64).collect();
        let norm2: f64 = z.iter().map(|v| v * v).sum();
        let mut inside = 0.0;
        let mut d2 = 0.0;
        for (c, &var) in self.components.iter().zip(&self.variances) {
            let p: f64 = c.iter().zip(&z).map(|(&a, &b)| a as f64 * b).sum();
            inside += p * p;
            d2 += p * p / var as f64;
        }
        d2 += (norm2 - inside).max(0.0) / self.residual_variance as f64;
        (d2 / z.len().max(1) as f64) as f32
    }

    /// A hand's distance: the root mean of its joints' [`joint_distance2`](Self::joint_distance2).
    pub fn distance<'a>(&self, joints: impl IntoIterator<Item = (usize, &'a [f32])>) -> f32 {
        let (sum, n) = joints.into_iter().fold((0.0f64, 0usize), |(s, n), (j, f)| (s + self.joint_distance2(j, f) as f64, n + 1));
        if n == 0 { 0.0 } else { (sum / n as f64).sqrt() as f32 }
    }

    /// This summary with `limit` the largest of `distances` (the validation photos').
    pub fn with_limit(mut self, distances: &[f32]) -> Self {
        self.limit = distances.iter().copied().filter(|d| d.is_finite()).fold(0.0, f32::max);
        self.limit_photos = distances.len();
        self
    }

    /// The familiarity of a hand at `distance`.
    pub fn judge(&self, distance: f32) -> Familiarity {
        Familiarity { distance, limit: self.limit, appearance_distance: None, appearance_limit: None, familiar: distance <= self.limit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded stream of standard normal values (Box–Muller over a 64-bit LCG).
    fn normals(seed: u64) -> impl FnMut() -> f32 {
        let mut s = seed;
        let mut next = move || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        move || ((-2.0 * next().ln()).sqrt() * (2.0 * std::f64::consts::PI * next()).cos()) as f32
    }

    #[test]
    fn jacobi_recovers_a_known_spectrum() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, −1)/√2.
        let (values, vectors) = jacobi_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12, "{values:?}");
        assert!((vectors[0][0].abs() - 0.5f64.sqrt()).abs() < 1e-12 && (vectors[0][0] - vectors[0][1]).abs() < 1e-12);
    }

    #[test]
    fn features_from_the_fitted_gaussian_are_at_distance_one() {
        // 4 000 draws of a 40-dimensional Gaussian with standard deviations 1..5 along the axes and
        // a mean that differs by joint: the mean distance² per dimension is 1 by construction.
        let mut g = normals(7);
        let dim = 40;
        let draw = |g: &mut dyn FnMut() -> f32, j: usize| -> Vec<f32> { (0..dim).map(|d| (1.0 + (d % 5) as f32) * g() + 3.0 * j as f32).collect() };
        let train: Vec<(usize, Vec<f32>)> = (0..4000).map(|i| (i % 3, draw(&mut g, i % 3))).collect();
        let m = FeatureModel::fit(&train, 3).unwrap();
        let fresh: Vec<(usize, Vec<f32>)> = (0..2000).map(|i| (i % 3, draw(&mut g, i % 3))).collect();
        let mean: f32 = fresh.iter().map(|(j, f)| m.joint_distance2(*j, f)).sum::<f32>() / fresh.len() as f32;
        // Measured 1.02 (the 8 left-out directions share one variance, which fits them roughly).
        assert!((mean - 1.0).abs() < 0.1, "mean distance² per dimension {mean}");
        // The same draws moved by two standard deviations of the widest axis are far.
        let moved: Vec<f32> = fresh[0].1.iter().map(|v| v + 10.0).collect();
        assert!(m.joint_distance2(fresh[0].0, &moved) > 4.0 * mean);
    }

    #[test]
    fn a_mean_of_another_joint_is_unfamiliar() {
        let mut g = normals(3);
        let train: Vec<(usize, Vec<f32>)> = (0..600).map(|i| (i % 2, (0..8).map(|_| g() + 6.0 * (i % 2) as f32).collect())).collect();
        let m = FeatureModel::fit(&train, 2).unwrap();
        let own = m.joint_distance2(1, &m.means[1].clone());
        let other = m.joint_distance2(0, &m.means[1].clone());
        assert!(own < 1e-6 && other > 20.0, "own {own}, other {other}");
    }

    #[test]
    fn the_limit_is_the_largest_validation_distance() {
        let m = FeatureModel::fit(&[(0, vec![0.0, 1.0]), (0, vec![1.0, 0.0])], 1).unwrap().with_limit(&[0.5, 2.5, 1.0]);
        assert_eq!((m.limit, m.limit_photos), (2.5, 3));
        assert!(m.judge(2.5).familiar && !m.judge(2.6).familiar);
    }

    #[test]
    fn fitting_refuses_mismatched_features() {
        assert!(FeatureModel::fit(&[(0, vec![0.0, 1.0]), (0, vec![1.0])], 1).is_none());
        assert!(FeatureModel::fit(&[(0, vec![0.0])], 1).is_none());
        assert!(FeatureModel::fit(&[(0, vec![0.0]), (5, vec![1.0])], 2).is_none());
    }
}
