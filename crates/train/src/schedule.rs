//! Learning-rate schedules.

/// The learning rate at `step` of `total`: cosine decay from `peak` to 0.
pub fn cosine_lr(peak: f64, step: usize, total: usize) -> f64 {
    peak * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total.max(1) as f64).cos())
}
