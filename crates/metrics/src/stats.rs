//! The statistics behind every interval and summary the project reports, in one place: the
//! cluster bootstrap's draws, the percentile interval, medians, mean and standard deviation.
use rand::Rng;
use std::collections::BTreeMap;

/// Indices of `clusters` grouped by cluster, the groups in the clusters' sorted order (so a
/// seeded bootstrap over them does not depend on the order the rows came in).
pub fn groups<S: AsRef<str>>(clusters: &[S]) -> Vec<Vec<usize>> {
    let mut by: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in clusters.iter().enumerate() {
        by.entry(c.as_ref()).or_default().push(i);
    }
    by.into_values().collect()
}

/// One bootstrap draw of `n` things with replacement: `n` indices below `n`, in draw order.
pub fn draw(rng: &mut impl Rng, n: usize) -> Vec<usize> {
    (0..n).map(|_| rng.random_range(0..n)).collect()
}

/// The value at quantile `p` of sorted `values`: the one at rank round(p·(n − 1)). None when empty.
pub fn quantile_of_sorted(values: &[f64], p: f64) -> Option<f64> {
    let last = values.len().checked_sub(1)?;
    values.get(((p * last as f64).round() as usize).min(last)).copied()
}

/// The 95 % percentile interval of bootstrap draws (their 2.5 % and 97.5 % quantiles, as
/// [`quantile_of_sorted`] takes them). None without draws.
pub fn interval95(mut draws: Vec<f64>) -> Option<(f64, f64)> {
    draws.sort_by(f64::total_cmp);
    Some((quantile_of_sorted(&draws, 0.025)?, quantile_of_sorted(&draws, 0.975)?))
}

/// The median as the project reports it: the middle value once sorted, the upper of the two
/// middle ones for an even count. None when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// Mean and sample standard deviation (n − 1) of the finite values; SD 0 for one value, both NaN
/// for none.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let sd = if v.len() > 1 { (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt() } else { 0.0 };
    (m, sd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn groups_follow_the_sorted_cluster_names() {
        assert_eq!(groups(&["b", "a", "b", "c", "a"]), vec![vec![1, 4], vec![0, 2], vec![3]]);
    }

    #[test]
    fn a_draw_has_n_indices_below_n_and_repeats_with_its_seed() {
        let d = draw(&mut ChaCha8Rng::seed_from_u64(5), 7);
        assert_eq!(d.len(), 7);
        assert!(d.iter().all(|&i| i < 7));
        assert_eq!(d, draw(&mut ChaCha8Rng::seed_from_u64(5), 7));
    }

    #[test]
    fn the_interval_of_41_draws_is_the_2nd_and_40th() {
        // Ranks round(0.025 · 40) = 1 and round(0.975 · 40) = 39: values 1 and 39 of 0..=40.
        let draws: Vec<f64> = (0..=40).rev().map(f64::from).collect();
        assert_eq!(interval95(draws), Some((1.0, 39.0)));
    }

    #[test]
    fn the_interval_of_one_draw_is_that_draw_and_of_none_is_none() {
        assert_eq!(interval95(vec![0.3]), Some((0.3, 0.3)));
        assert_eq!(interval95(vec![]), None);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_upper_middle() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn mean_and_sd_skip_nan_and_use_n_minus_1() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squares 32, SD √(32 / 7).
        let (m, sd) = mean_sd(&[2.0, 4.0, f64::NAN, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m, 5.0);
        assert!((sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-15, "{sd}");
        assert_eq!(mean_sd(&[0.4]), (0.4, 0.0));
        assert!(mean_sd(&[f64::NAN]).0.is_nan());
    }
}
