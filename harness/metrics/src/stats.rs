//! Statistics for aggregating per-sample scores.
//!
//! NaN marks an undefined score (e.g. a surface distance when exactly one of
//! prediction and reference is empty). Every function here ignores NaNs and
//! reports how many it ignored, so a table can show "n = 48 (2 undefined)".

use sensibench_core::SeededRng;

/// Mean and spread of a set of scores, NaNs excluded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanStd {
    /// Arithmetic mean of the non-NaN values; NaN if there are none.
    pub mean: f64,
    /// Sample standard deviation `sqrt(Σ (v − mean)² / (n − 1))` (Bessel's
    /// correction, as pandas' `std`); NaN if `n < 2`.
    pub std: f64,
    /// Number of non-NaN values used.
    pub n: usize,
    /// Number of NaN values ignored.
    pub n_nan: usize,
}

/// Mean and sample standard deviation of the non-NaN `values` (two-pass,
/// so large offsets do not cost precision), with the counts of values used
/// and ignored. Infinite values are kept (and make the mean infinite).
pub fn mean_std(values: &[f64]) -> MeanStd {
    let n = values.iter().filter(|v| !v.is_nan()).count();
    let n_nan = values.len() - n;
    if n == 0 {
        return MeanStd {
            mean: f64::NAN,
            std: f64::NAN,
            n,
            n_nan,
        };
    }
    let mean = values.iter().filter(|v| !v.is_nan()).sum::<f64>() / n as f64;
    let std = if n < 2 {
        f64::NAN
    } else {
        let ss: f64 = values
            .iter()
            .filter(|v| !v.is_nan())
            .map(|v| (v - mean) * (v - mean))
            .sum();
        (ss / (n - 1) as f64).sqrt()
    };
    MeanStd {
        mean,
        std,
        n,
        n_nan,
    }
}

/// Percentile-bootstrap confidence interval of the mean of the non-NaN
/// `values`.
///
/// Draws `resamples` samples of size `n` with replacement (indices from
/// [`SeededRng::new(seed)`](SeededRng::new) via `below(n)`, so the interval is
/// bit-for-bit repeatable for a given seed), takes the mean of each, and
/// returns the `(1 − level)/2` and `(1 + level)/2` percentiles of those means
/// (numpy's linear interpolation). E.g. `level = 0.95` gives the 2.5th and
/// 97.5th percentiles (Efron's percentile interval).
///
/// `None` if fewer than 2 non-NaN values, `resamples == 0`, or `level` is not
/// in the open interval `(0, 1)`.
pub fn bootstrap_ci_mean(
    values: &[f64],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    let xs: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = xs.len();
    if n < 2 || resamples == 0 || !(level > 0.0 && level < 1.0) {
        return None;
    }
    let mut rng = SeededRng::new(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let s: f64 = (0..n).map(|_| xs[rng.below(n as u64) as usize]).sum();
            s / n as f64
        })
        .collect();
    means.sort_unstable_by(f64::total_cmp);
    let lo = crate::seg::percentile_sorted(&means, 100.0 * (1.0 - level) / 2.0);
    let hi = crate::seg::percentile_sorted(&means, 100.0 * (1.0 + level) / 2.0);
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_hand_worked() {
        // pandas.Series([2, 4, 4, 4, 5, 5, 7, 9]).std() = 2.138089935299395
        let m = mean_std(&[2.0, 4.0, f64::NAN, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, f64::NAN]);
        assert_eq!(m.mean, 5.0);
        assert!((m.std - 2.138_089_935_299_395).abs() < 1e-14, "{}", m.std);
        assert_eq!((m.n, m.n_nan), (8, 2));
        let one = mean_std(&[3.0, f64::NAN]);
        assert_eq!((one.mean, one.n, one.n_nan), (3.0, 1, 1));
        assert!(one.std.is_nan());
        let none = mean_std(&[f64::NAN]);
        assert!(none.mean.is_nan() && none.std.is_nan() && none.n == 0);
        assert!(mean_std(&[]).mean.is_nan());
        // Large offset: two-pass keeps the spread exact.
        let m = mean_std(&[1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0]);
        assert_eq!(m.std, 1.0);
    }

    fn sample(n: usize, seed: u64) -> Vec<f64> {
        let mut r = SeededRng::new(seed);
        (0..n).map(|_| 0.8 + 0.1 * r.normal()).collect()
    }

    #[test]
    fn bootstrap_is_deterministic_and_contains_the_mean() {
        let xs = sample(40, 1);
        let a = bootstrap_ci_mean(&xs, 2000, 0.95, 9).unwrap();
        assert_eq!(a, bootstrap_ci_mean(&xs, 2000, 0.95, 9).unwrap());
        assert_ne!(a, bootstrap_ci_mean(&xs, 2000, 0.95, 10).unwrap());
        let m = mean_std(&xs).mean;
        assert!(a.0 < m && m < a.1, "{a:?} {m}");
        // NaNs are ignored: same interval.
        let mut with_nan = xs.clone();
        with_nan.push(f64::NAN);
        assert_eq!(a, bootstrap_ci_mean(&with_nan, 2000, 0.95, 9).unwrap());
        // A narrower level gives a narrower interval.
        let b = bootstrap_ci_mean(&xs, 2000, 0.5, 9).unwrap();
        assert!(b.1 - b.0 < a.1 - a.0);
    }

    #[test]
    fn bootstrap_width_shrinks_and_matches_normal_approximation() {
        let small = sample(25, 2);
        let large = sample(2500, 2);
        let ws = bootstrap_ci_mean(&small, 2000, 0.95, 5).unwrap();
        let wl = bootstrap_ci_mean(&large, 2000, 0.95, 5).unwrap();
        assert!(wl.1 - wl.0 < (ws.1 - ws.0) / 5.0, "{ws:?} {wl:?}");
        // Normal approximation: mean ± 1.959964 · s / sqrt(n).
        let m = mean_std(&large);
        let half = 1.959_964 * m.std / (m.n as f64).sqrt();
        let width = wl.1 - wl.0;
        assert!(
            (width / (2.0 * half) - 1.0).abs() < 0.1,
            "{width} vs {}",
            2.0 * half
        );
        let centre = (wl.0 + wl.1) / 2.0;
        assert!(
            (centre - m.mean).abs() < 0.1 * half,
            "{centre} vs {}",
            m.mean
        );
    }

    #[test]
    fn bootstrap_rejects_degenerate_input() {
        assert!(bootstrap_ci_mean(&[1.0], 100, 0.95, 1).is_none());
        assert!(bootstrap_ci_mean(&[1.0, f64::NAN], 100, 0.95, 1).is_none());
        assert!(bootstrap_ci_mean(&[1.0, 2.0], 0, 0.95, 1).is_none());
        assert!(bootstrap_ci_mean(&[1.0, 2.0], 100, 1.0, 1).is_none());
        assert!(bootstrap_ci_mean(&[1.0, 2.0], 100, f64::NAN, 1).is_none());
        // Constant data: a zero-width interval at the value.
        assert_eq!(bootstrap_ci_mean(&[2.0; 5], 100, 0.9, 1), Some((2.0, 2.0)));
    }
}
