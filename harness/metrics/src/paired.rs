//! Paired tests of one set of differences `d_i = b_i − a_i` (two runs, two
//! models, or two conditions scored on the same samples).
//!
//! **Wilcoxon signed-rank** ([`wilcoxon_signed_rank`]): exactly
//! `scipy.stats.wilcoxon(d)` with its defaults (scipy 1.17:
//! `zero_method="wilcox"`, `correction=False`, `alternative="two-sided"`,
//! `method="auto"`). Zeros are dropped; the `n_r` non-zero `|d_i|` get
//! midranks `R_i`; `R+ = Σ_{d_i>0} R_i`, `R− = Σ_{d_i<0} R_i`, and the
//! reported statistic is `min(R+, R−)`. With `n` the number of differences
//! *including* zeros (scipy's choice), the p-value is
//! * `method = "exact"` when `n ≤ 50` and there are neither zeros nor tied
//!   `|d|`: `p = min(1, 2 min(P(T ≥ R+), P(T ≤ R+)))` under the exact null
//!   distribution of `T` = sum of a random subset of `{1, …, n}`;
//! * `method = "permutation"` when `n ≤ 13` with zeros or ties: every one of
//!   the `2^n` sign flips of `d` (scipy's exact `permutation_test`), with
//!   the statistic `R+` of each flip and
//!   `p = min(1, 2 min(#{R+* ≤ R+ + γ}, #{R+* ≥ R+ − γ}) / 2^n)`,
//!   `γ = 100 ε |R+|`;
//! * `method = "asymptotic"` otherwise (`n > 50`, or `14 ≤ n ≤ 50` with zeros
//!   or ties): `z = (R+ − n_r(n_r+1)/4) / σ`,
//!   `σ² = (n_r(n_r+1)(2n_r+1) − Σ_t (t³ − t)/2) / 24` (tie groups `t` of
//!   the non-zero `|d|`), `p = 2 P(Z > |z|)` without continuity correction.
//!
//! Departures from scipy: NaN differences are ignored (scipy's
//! `nan_policy="omit"`; the default would propagate NaN); when every
//! difference is zero (or there are none) the test reports `p = 1`
//! (scipy: 1 by permutation for `n ≤ 13`, NaN otherwise).
//!
//! **Sign-flip permutation test** ([`sign_flip_permutation`]): under the
//! null hypothesis each `d_i` is symmetric about 0, so flipping its sign
//! leaves the distribution unchanged. The statistic is `|mean(d)|`
//! (two-sided). With `n ≤ 16` non-NaN differences all `2^n` flips are
//! enumerated and `p = #{|mean*| ≥ |mean| − γ} / 2^n` (`γ = 100 ε |mean|`,
//! the observed flip included): exactly `scipy.stats.permutation_test((d,),
//! lambda x: abs(mean(x)), permutation_type="samples",
//! alternative="greater", n_resamples=inf)`. Otherwise `resamples` random
//! flips (each sign `±1` with probability ½ from
//! [`SeededRng::new(seed)`](SeededRng::new)) give the Monte Carlo p-value
//! `p = (1 + #{|mean*| ≥ |mean| − γ}) / (1 + resamples)`.
//!
//! **Paired bootstrap CI** ([`paired_bootstrap_ci`]): the percentile
//! bootstrap interval of the mean of `b_i − a_i`
//! ([`bootstrap_ci_mean`](crate::stats::bootstrap_ci_mean)).

use sensibench_core::SeededRng;

use crate::classification::midranks;
use crate::dist::normal_sf;

/// Largest `n` for which [`wilcoxon_signed_rank`] uses the exact null
/// distribution (scipy's `method="auto"` rule).
pub const WILCOXON_EXACT_MAX_N: usize = 50;
/// Largest `n` for which [`wilcoxon_signed_rank`] enumerates the sign flips
/// when there are zeros or ties (`2^13 ≤ 9999`, scipy's default resamples).
pub const WILCOXON_PERMUTATION_MAX_N: usize = 13;
/// Largest `n` for which [`sign_flip_permutation`] enumerates every flip.
pub const SIGN_FLIP_EXACT_MAX_N: usize = 16;

/// Result of [`wilcoxon_signed_rank`] (module documentation).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WilcoxonTest {
    /// Number of non-NaN differences (zeros included).
    pub n: usize,
    /// How many of them are zero (dropped from the ranks).
    pub n_zero: usize,
    /// `min(R+, R−)`, scipy's two-sided statistic.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// `exact`, `permutation`, `asymptotic`, or `none` (no non-zero difference).
    pub method: String,
}

/// Result of [`sign_flip_permutation`] (module documentation).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PermutationTest {
    /// Two-sided p-value of `|mean(d)|`.
    pub p_value: f64,
    /// `true` when every sign flip was enumerated (`n ≤ 16`).
    pub exact: bool,
}

/// Wilcoxon's signed-rank test of the differences `diffs` (module
/// documentation); NaN differences are ignored.
pub fn wilcoxon_signed_rank(diffs: &[f64]) -> WilcoxonTest {
    let d: Vec<f64> = diffs.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = d.len();
    let nz: Vec<f64> = d.iter().copied().filter(|&v| v != 0.0).collect();
    let n_zero = n - nz.len();
    let nr = nz.len();
    if nr == 0 {
        return WilcoxonTest {
            n,
            n_zero,
            statistic: 0.0,
            p_value: 1.0,
            method: "none".into(),
        };
    }
    let abs: Vec<f64> = nz.iter().map(|v| v.abs()).collect();
    let ranks = midranks(&abs);
    let r_plus: f64 = nz
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| **v > 0.0)
        .map(|(_, r)| r)
        .sum();
    let r_minus: f64 = nz
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| **v < 0.0)
        .map(|(_, r)| r)
        .sum();
    let ties = tie_groups(&abs);
    let has_ties = ties.iter().any(|&t| t > 1);
    let statistic = r_plus.min(r_minus);
    let (p_value, method) = if n <= WILCOXON_EXACT_MAX_N && !has_ties && n_zero == 0 {
        (exact_p(nr, r_plus), "exact")
    } else if n <= WILCOXON_PERMUTATION_MAX_N {
        (permutation_p(&nz, &ranks, r_plus), "permutation")
    } else {
        let nf = nr as f64;
        let mean = nf * (nf + 1.0) / 4.0;
        let tie_sum: f64 = ties
            .iter()
            .map(|&t| {
                let t = t as f64;
                t * t * t - t
            })
            .sum();
        let var = (nf * (nf + 1.0) * (2.0 * nf + 1.0) - tie_sum / 2.0) / 24.0;
        let se = var.sqrt();
        let p = if se > 0.0 {
            let z = (r_plus - mean) / se;
            (2.0 * normal_sf(z.abs())).min(1.0)
        } else {
            1.0
        };
        (p, "asymptotic")
    };
    WilcoxonTest {
        n,
        n_zero,
        statistic,
        p_value,
        method: method.into(),
    }
}

/// Sizes of the groups of equal values (each value in exactly one group).
fn tie_groups(values: &[f64]) -> Vec<usize> {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i + 1;
        while j < v.len() && v[j] == v[i] {
            j += 1;
        }
        out.push(j - i);
        i = j;
    }
    out
}

/// Two-sided exact p-value of `R+ = r_plus` for `n` untied non-zero ranks:
/// `min(1, 2 min(P(T ≥ r), P(T ≤ r)))`, `T` the sum of a uniformly random
/// subset of `{1..n}` (counts by dynamic programming, exact in `u64` for
/// `n ≤ 62`).
fn exact_p(n: usize, r_plus: f64) -> f64 {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0u64; max + 1];
    counts[0] = 1;
    for k in 1..=n {
        for s in (k..=max).rev() {
            counts[s] += counts[s - k];
        }
    }
    let total = (n as f64).exp2();
    // r_plus is integral here (no ties); round for safety as scipy does.
    let hi = r_plus.floor().clamp(0.0, max as f64) as usize;
    let lo = r_plus.ceil().clamp(0.0, max as f64) as usize;
    let sf: u64 = counts[hi..].iter().sum();
    let cdf: u64 = counts[..=lo].iter().sum();
    (2.0 * sf.min(cdf) as f64 / total).min(1.0)
}

/// Two-sided p of `R+` over all `2^n` sign flips of the non-zero
/// differences (the zeros' flips leave `R+` unchanged, so leaving them out
/// keeps every proportion).
fn permutation_p(nz: &[f64], ranks: &[f64], r_plus: f64) -> f64 {
    let n = nz.len();
    let gamma = (100.0 * f64::EPSILON * r_plus).abs();
    let (mut le, mut ge) = (0u64, 0u64);
    for mask in 0u64..(1u64 << n) {
        // Bit i set: difference i is positive in this flip.
        let s: f64 = (0..n)
            .filter(|&i| mask & (1 << i) != 0)
            .map(|i| ranks[i])
            .sum();
        if s <= r_plus + gamma {
            le += 1;
        }
        if s >= r_plus - gamma {
            ge += 1;
        }
    }
    let total = (1u64 << n) as f64;
    (2.0 * le.min(ge) as f64 / total).min(1.0)
}

/// Two-sided sign-flip permutation test of `mean(diffs) = 0` (module
/// documentation); NaN differences are ignored, no differences give
/// `p = 1`.
pub fn sign_flip_permutation(diffs: &[f64], resamples: usize, seed: u64) -> PermutationTest {
    let d: Vec<f64> = diffs.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = d.len();
    if n == 0 {
        return PermutationTest {
            p_value: 1.0,
            exact: true,
        };
    }
    let nf = n as f64;
    let observed = (d.iter().sum::<f64>() / nf).abs();
    let threshold = observed - (100.0 * f64::EPSILON * observed).abs();
    if n <= SIGN_FLIP_EXACT_MAX_N {
        let mut count = 0u64;
        for mask in 0u64..(1u64 << n) {
            let s: f64 = d
                .iter()
                .enumerate()
                .map(|(i, v)| if mask & (1 << i) != 0 { -v } else { *v })
                .sum();
            if (s / nf).abs() >= threshold {
                count += 1;
            }
        }
        return PermutationTest {
            p_value: count as f64 / (1u64 << n) as f64,
            exact: true,
        };
    }
    let mut rng = SeededRng::new(seed);
    let mut count = 0u64;
    for _ in 0..resamples {
        let mut s = 0.0;
        let mut bits = 0u64;
        for (i, v) in d.iter().enumerate() {
            if i % 64 == 0 {
                bits = rng.next_u64();
            }
            s += if bits & 1 == 1 { -v } else { *v };
            bits >>= 1;
        }
        if (s / nf).abs() >= threshold {
            count += 1;
        }
    }
    PermutationTest {
        p_value: (1 + count) as f64 / (1 + resamples) as f64,
        exact: false,
    }
}

/// Percentile-bootstrap CI of the mean paired difference `b_i − a_i`
/// (pairs with a NaN on either side are dropped): exactly
/// [`bootstrap_ci_mean`](crate::stats::bootstrap_ci_mean) of the
/// differences.
///
/// Errors if `a` and `b` differ in length; `Ok(None)` in the cases where
/// `bootstrap_ci_mean` gives `None` (fewer than 2 pairs, `resamples = 0`,
/// `level` outside `(0, 1)`).
pub fn paired_bootstrap_ci(
    a: &[f64],
    b: &[f64],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<Option<(f64, f64)>, String> {
    if a.len() != b.len() {
        return Err(format!(
            "paired bootstrap CI: {} values in a and {} in b, expected the same number",
            a.len(),
            b.len()
        ));
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    Ok(crate::stats::bootstrap_ci_mean(&d, resamples, level, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_exact() {
        // d = [1, -2, 3]: R+ = 1 + 3 = 4, R- = 2; T over subsets of {1,2,3}:
        // sums 0,1,2,3,3,4,5,6 -> P(T >= 4) = 3/8, P(T <= 4) = 6/8 -> p = 0.75.
        let w = wilcoxon_signed_rank(&[1.0, -2.0, 3.0]);
        assert_eq!(w.statistic, 2.0);
        assert_eq!(w.p_value, 0.75);
        assert_eq!(w.method, "exact");
        // All positive, n = 5: p = 2 / 32.
        let w = wilcoxon_signed_rank(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!((w.statistic, w.p_value), (0.0, 0.0625));
    }

    #[test]
    fn all_zero_and_empty() {
        let w = wilcoxon_signed_rank(&[0.0, 0.0, f64::NAN]);
        assert_eq!((w.n, w.n_zero, w.p_value), (2, 2, 1.0));
        assert_eq!(wilcoxon_signed_rank(&[]).p_value, 1.0);
        assert_eq!(sign_flip_permutation(&[], 100, 1).p_value, 1.0);
        let z = sign_flip_permutation(&[0.0; 30], 100, 1);
        assert_eq!((z.p_value, z.exact), (1.0, false));
    }

    #[test]
    fn sign_flip_hand_worked() {
        // d = [1, 2, 3]: |mean| of the 8 flips: 2, 0, 4/3, 2/3 (each twice)
        // -> only the all-+ and all-- flips reach 2: p = 2/8.
        let t = sign_flip_permutation(&[1.0, 2.0, 3.0], 0, 0);
        assert_eq!((t.p_value, t.exact), (0.25, true));
    }

    #[test]
    fn bootstrap_is_the_mean_ci_of_differences() {
        let a = [0.8, 0.7, 0.9, f64::NAN, 0.6];
        let b = [0.7, 0.75, 0.85, 0.5, 0.5];
        let ci = paired_bootstrap_ci(&a, &b, 500, 0.9, 3).unwrap().unwrap();
        let d = [-0.1, 0.05, -0.05, -0.1];
        let direct = crate::stats::bootstrap_ci_mean(&d, 500, 0.9, 3).unwrap();
        assert!((ci.0 - direct.0).abs() < 1e-12 && (ci.1 - direct.1).abs() < 1e-12);
        assert!(paired_bootstrap_ci(&a, &b[..2], 500, 0.9, 3).is_err());
    }
}
