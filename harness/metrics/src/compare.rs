//! Paired tests comparing two models evaluated on the same cases.
//!
//! **DeLong** ([`delong_paired`], [`delong_auc_ci`]; DeLong, DeLong &
//! Clarke-Pearson 1988, *Biometrics* 44:837): for `m` positive cases with
//! scores `X_i` and `n` negative cases with scores `Y_j` (higher = more
//! likely positive), with `ψ(x, y) = 1` if `x > y`, `½` if `x = y`, else 0,
//! the structural components (placement values) are
//! `V10_i = (1/n) Σ_j ψ(X_i, Y_j)` and `V01_j = (1/m) Σ_i ψ(X_i, Y_j)`, and
//! `AUC = mean V10 = mean V01`. For models `r, s`:
//! `S10_rs = Σ_i (V10_ri − AUC_r)(V10_si − AUC_s)/(m − 1)`, `S01` likewise
//! over the negatives with `n − 1`, and `Cov(AUC_r, AUC_s) = S10_rs/m +
//! S01_rs/n`. The components are computed with the midrank algorithm of
//! Sun & Xu (2014, *IEEE Signal Processing Letters* 21(11):1389), in
//! `O((m + n) log(m + n))`: with `T_x`, `T_y`, `T_z` the midranks of each
//! score among the positives, among the negatives and among all cases,
//! `V10_i = (T_z,i − T_x,i)/n` and `V01_j = 1 − (T_z,j − T_y,j)/m`.
//! The paired test of `AUC_b − AUC_a` uses
//! `z = (AUC_b − AUC_a)/sqrt(Var_a + Var_b − 2 Cov)` and the two-sided
//! normal p-value `2 P(Z > |z|)` (as pROC's `roc.test(method="delong",
//! paired=TRUE)`).
//!
//! **Stuart–Maxwell** ([`stuart_maxwell`]; Stuart 1955, Maxwell 1970): the
//! test of marginal homogeneity of the `k × k` table `T[i][j]` = number of
//! cases labelled `i` by model a and `j` by model b. With `p = T/N`,
//! row margins `r_i`, column margins `c_i`, `d = c − r`, and
//! `V_ii = r_i + c_i − 2 p_ii`, `V_ij = −(p_ij + p_ji)`, the statistic is
//! `N · dᵀ V⁻¹ d` on `k − 1` categories (the last one dropped), χ² with
//! `k − 1` degrees of freedom: exactly statsmodels `SquareTable(T,
//! shift_zeros).homogeneity(method="stuart_maxwell")`. With
//! `shift_zeros = true`, every zero cell becomes 0.5 when the table has one
//! (statsmodels' default); with `false` the counts are used as they are.
//!
//! *Singular `V`.* `V` is the Laplacian of the graph joining categories `i`
//! and `j` when `T[i][j] + T[j][i] > 0` (discordant pairs), grounded at the
//! dropped category. It is singular exactly when that graph is not
//! connected, e.g. when a category is absent from both ratings or the two
//! models always agree on it (statsmodels then returns NaN, or a meaningless
//! number when rounding hides the singularity). We use the generalised
//! inverse instead: `N · dᵀ V⁺ d` with `rank V` degrees of freedom,
//! computed by dropping the largest category of every connected component
//! (the last category, as statsmodels, for its component) and solving the
//! remaining positive-definite system by Cholesky; `df = k − (number of
//! components)`. Whenever the graph is connected this is the statsmodels
//! computation. If no pair is discordant, `df = 0`, statistic 0 and `p = 1`.
//!
//! **McNemar** ([`mcnemar`]): `b` = cases model a gets right and b wrong,
//! `c` = a wrong and b right. The headline p-value is the exact two-sided
//! binomial test `min(1, 2 P(X ≤ min(b, c)))`, `X ~ Bin(b + c, ½)`
//! (statsmodels `mcnemar(table, exact=True)`); also reported is the χ²
//! test with continuity correction, statistic `(|b − c| − 1)² / (b + c)`
//! on 1 degree of freedom (statsmodels `exact=False, correction=True`; not
//! clipped at 0, so `b = c` gives `1/(b + c)`).

use crate::classification::midranks;
use crate::dist::{binomial_two_sided_half, chi2_sf, normal_quantile, normal_sf};

/// Result of DeLong's paired test of two correlated ROC AUCs (module
/// documentation).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct DeLongTest {
    /// AUC of model a.
    pub auc_a: f64,
    /// AUC of model b.
    pub auc_b: f64,
    /// `auc_b − auc_a`.
    pub diff: f64,
    /// DeLong variance of `auc_a`.
    pub var_a: f64,
    /// DeLong variance of `auc_b`.
    pub var_b: f64,
    /// DeLong covariance of `auc_a` and `auc_b`.
    pub cov: f64,
    /// `sqrt(var_a + var_b − 2 cov)` (negative rounding clipped to 0).
    pub se: f64,
    /// `diff / se`; 0 if `se = 0` and `diff = 0`, `±∞` if only `se = 0`.
    pub z: f64,
    /// Two-sided p-value `2 P(Z > |z|)` (1 when `z = 0`).
    pub p: f64,
}

/// Placement values (`V10` over positives, `V01` over negatives) and the AUC
/// of one model, by the midrank algorithm of Sun & Xu (2014).
fn placements(scores: &[f64], positive: &[bool]) -> (f64, Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = scores
        .iter()
        .zip(positive)
        .filter(|&(_, &p)| p)
        .map(|(s, _)| *s)
        .collect();
    let y: Vec<f64> = scores
        .iter()
        .zip(positive)
        .filter(|&(_, &p)| !p)
        .map(|(s, _)| *s)
        .collect();
    let (m, n) = (x.len(), y.len());
    let tx = midranks(&x);
    let ty = midranks(&y);
    let z: Vec<f64> = x.iter().chain(&y).copied().collect();
    let tz = midranks(&z);
    let (mf, nf) = (m as f64, n as f64);
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / nf).collect();
    let v01: Vec<f64> = (0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / mf).collect();
    let auc = (tz[..m].iter().sum::<f64>() - mf * (mf + 1.0) / 2.0) / (mf * nf);
    (auc, v10, v01)
}

/// Sample covariance (ddof = 1) of two equally long vectors.
fn sample_cov(u: &[f64], v: &[f64]) -> f64 {
    let len = u.len() as f64;
    let (mu, mv) = (u.iter().sum::<f64>() / len, v.iter().sum::<f64>() / len);
    u.iter()
        .zip(v)
        .map(|(a, b)| (a - mu) * (b - mv))
        .sum::<f64>()
        / (len - 1.0)
}

/// Why the inputs of a DeLong function were rejected ([`check_delong`]).
#[derive(Debug, thiserror::Error)]
enum DeLongInputError {
    /// A score slice and the labels differ in length.
    #[error("{what}: score lengths {lens:?} but {labels} labels, expected one score per case")]
    LengthMismatch {
        what: &'static str,
        lens: Vec<usize>,
        labels: usize,
    },
    /// A score is NaN.
    #[error("{what}: a score is NaN, expected finite or infinite scores")]
    NanScore { what: &'static str },
    /// Fewer than 2 positive or 2 negative cases.
    #[error(
        "{what}: {positives} positive and {negatives} negative cases, expected at least 2 of each"
    )]
    TooFewCases {
        what: &'static str,
        positives: usize,
        negatives: usize,
    },
}

/// Checks the inputs of the DeLong functions: equal lengths, no NaN score,
/// at least 2 positives and 2 negatives.
fn check_delong(
    what: &'static str,
    lens: &[usize],
    scores: &[&[f64]],
    positive: &[bool],
) -> Result<(), DeLongInputError> {
    if lens.iter().any(|&l| l != positive.len()) {
        return Err(DeLongInputError::LengthMismatch {
            what,
            lens: lens.to_vec(),
            labels: positive.len(),
        });
    }
    if scores.iter().any(|s| s.iter().any(|v| v.is_nan())) {
        return Err(DeLongInputError::NanScore { what });
    }
    let m = positive.iter().filter(|&&p| p).count();
    let n = positive.len() - m;
    if m < 2 || n < 2 {
        return Err(DeLongInputError::TooFewCases {
            what,
            positives: m,
            negatives: n,
        });
    }
    Ok(())
}

/// DeLong's test of `AUC_b − AUC_a` for two models scored on the same cases
/// (module documentation).
///
/// Errors if the lengths differ, a score is NaN, or there are fewer than 2
/// positive or 2 negative cases (the variances need `m − 1, n − 1 > 0`).
pub fn delong_paired(
    scores_a: &[f64],
    scores_b: &[f64],
    positive: &[bool],
) -> Result<DeLongTest, String> {
    check_delong(
        "DeLong test",
        &[scores_a.len(), scores_b.len()],
        &[scores_a, scores_b],
        positive,
    )
    .map_err(|e| e.to_string())?;
    let (auc_a, v10a, v01a) = placements(scores_a, positive);
    let (auc_b, v10b, v01b) = placements(scores_b, positive);
    let (m, n) = (v10a.len() as f64, v01a.len() as f64);
    let s = |u10: &[f64], w10: &[f64], u01: &[f64], w01: &[f64]| {
        sample_cov(u10, w10) / m + sample_cov(u01, w01) / n
    };
    let var_a = s(&v10a, &v10a, &v01a, &v01a);
    let var_b = s(&v10b, &v10b, &v01b, &v01b);
    let cov = s(&v10a, &v10b, &v01a, &v01b);
    let se = (var_a + var_b - 2.0 * cov).max(0.0).sqrt();
    let diff = auc_b - auc_a;
    let z = if se > 0.0 {
        diff / se
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    };
    let p = (2.0 * normal_sf(z.abs())).min(1.0);
    Ok(DeLongTest {
        auc_a,
        auc_b,
        diff,
        var_a,
        var_b,
        cov,
        se,
        z,
        p,
    })
}

/// AUC of `scores` with a normal confidence interval from DeLong's variance:
/// `(auc, lo, hi)` with `auc ∓ z_{(1+level)/2} · sqrt(Var)`, clipped to
/// `[0, 1]` (pROC's `ci.auc(method="delong")`).
///
/// `None` if the lengths differ, a score is NaN, there are fewer than 2
/// positive or 2 negative cases, or `level ∉ (0, 1)`.
pub fn delong_auc_ci(scores: &[f64], positive: &[bool], level: f64) -> Option<(f64, f64, f64)> {
    if !(level > 0.0 && level < 1.0) {
        return None;
    }
    check_delong("DeLong CI", &[scores.len()], &[scores], positive).ok()?;
    let (auc, v10, v01) = placements(scores, positive);
    let var = sample_cov(&v10, &v10) / v10.len() as f64 + sample_cov(&v01, &v01) / v01.len() as f64;
    let half = normal_quantile((1.0 + level) / 2.0) * var.max(0.0).sqrt();
    Some((auc, (auc - half).max(0.0), (auc + half).min(1.0)))
}

/// Result of the Stuart–Maxwell test of marginal homogeneity.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct StuartMaxwell {
    /// `N · dᵀ V⁺ d` (module documentation).
    pub statistic: f64,
    /// Degrees of freedom: `k − 1` when the discordance graph is connected,
    /// `rank V` in general.
    pub df: usize,
    /// `P(χ²_df > statistic)`; 1 when `df = 0`.
    pub p: f64,
}

/// Stuart–Maxwell test that the label distributions of two models over the
/// same cases are equal (table rows: `pred_a`, columns: `pred_b`; module
/// documentation).
///
/// Errors if the slices differ in length or are empty, `k < 2`, a label is
/// `≥ k`, or the covariance is numerically not positive definite after
/// removing the singular directions.
pub fn stuart_maxwell(
    pred_a: &[usize],
    pred_b: &[usize],
    k: usize,
    shift_zeros: bool,
) -> Result<StuartMaxwell, String> {
    if k < 2 {
        return Err(format!(
            "Stuart-Maxwell test: k = {k}, expected at least 2 categories"
        ));
    }
    if pred_a.len() != pred_b.len() || pred_a.is_empty() {
        return Err(format!(
            "Stuart-Maxwell test: {} and {} labels, expected the same non-zero number of cases",
            pred_a.len(),
            pred_b.len()
        ));
    }
    let mut table = vec![0.0f64; k * k];
    for (i, (&a, &b)) in pred_a.iter().zip(pred_b).enumerate() {
        if a >= k || b >= k {
            return Err(format!(
                "Stuart-Maxwell test: case {i} has labels {a} and {b}, expected labels in 0..{k}"
            ));
        }
        table[a * k + b] += 1.0;
    }
    if shift_zeros && table.contains(&0.0) {
        for v in table.iter_mut().filter(|v| **v == 0.0) {
            *v = 0.5;
        }
    }
    let n_obs: f64 = table.iter().sum();
    let pr: Vec<f64> = table.iter().map(|v| v / n_obs).collect();
    let p = |i: usize, j: usize| pr[i * k + j];
    let row: Vec<f64> = (0..k).map(|i| (0..k).map(|j| p(i, j)).sum()).collect();
    let col: Vec<f64> = (0..k).map(|j| (0..k).map(|i| p(i, j)).sum()).collect();

    // Connected components of the discordance graph (union-find).
    let mut parent: Vec<usize> = (0..k).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..k {
        for j in i + 1..k {
            if p(i, j) + p(j, i) > 0.0 {
                let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                parent[ri.min(rj)] = ri.max(rj);
            }
        }
    }
    // Keep every category but the largest of its component.
    let mut largest = vec![0usize; k];
    for i in 0..k {
        let r = find(&mut parent, i);
        largest[r] = largest[r].max(i);
    }
    let keep: Vec<usize> = (0..k)
        .filter(|&i| {
            let r = find(&mut parent, i);
            largest[r] != i
        })
        .collect();
    let df = keep.len();
    if df == 0 {
        return Ok(StuartMaxwell {
            statistic: 0.0,
            df: 0,
            p: 1.0,
        });
    }
    let d: Vec<f64> = keep.iter().map(|&i| col[i] - row[i]).collect();
    let mut v = vec![0.0f64; df * df];
    for (a, &i) in keep.iter().enumerate() {
        for (b, &j) in keep.iter().enumerate() {
            v[a * df + b] = if i == j {
                row[i] + col[i] - 2.0 * p(i, i)
            } else {
                -(p(i, j) + p(j, i))
            };
        }
    }
    let x = cholesky_solve(&mut v, df, &d).ok_or_else(|| {
        "Stuart-Maxwell test: the covariance of the margin differences is not positive definite"
            .to_string()
    })?;
    let statistic = n_obs * d.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>();
    Ok(StuartMaxwell {
        statistic,
        df,
        p: chi2_sf(statistic, df as f64),
    })
}

/// Solves `A x = b` for a symmetric positive-definite `n × n` `A`
/// (row-major, overwritten by its Cholesky factor); `None` if a pivot is not
/// positive.
fn cholesky_solve(a: &mut [f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut s = a[j * n + j];
        for l in 0..j {
            s -= a[j * n + l] * a[j * n + l];
        }
        // Not positive (or NaN): not positive definite.
        if s.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let ljj = s.sqrt();
        a[j * n + j] = ljj;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for l in 0..j {
                s -= a[i * n + l] * a[j * n + l];
            }
            a[i * n + j] = s / ljj;
        }
    }
    // L y = b, then Lᵀ x = y.
    let mut y = b.to_vec();
    for i in 0..n {
        for l in 0..i {
            y[i] -= a[i * n + l] * y[l];
        }
        y[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for l in i + 1..n {
            y[i] -= a[l * n + i] * y[l];
        }
        y[i] /= a[i * n + i];
    }
    Some(y)
}

/// Result of McNemar's test on paired correctness (module documentation).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct McNemar {
    /// Cases model a gets right and model b wrong.
    pub b: u64,
    /// Cases model a gets wrong and model b right.
    pub c: u64,
    /// Continuity-corrected χ² statistic `(|b − c| − 1)² / (b + c)`; 0 when
    /// `b + c = 0` (statsmodels gives NaN there).
    pub statistic: f64,
    /// Headline p-value: exact two-sided binomial `min(1, 2 P(X ≤ min(b, c)))`,
    /// `X ~ Bin(b + c, ½)`; 1 when `b + c = 0`.
    pub p_exact: f64,
    /// `P(χ²₁ > statistic)`; 1 when `b + c = 0`.
    pub p_chi2: f64,
}

/// McNemar's test of two models' paired correctness (`correct_a[i]`: model a
/// classified case `i` correctly).
///
/// Errors if the slices differ in length or are empty.
pub fn mcnemar(correct_a: &[bool], correct_b: &[bool]) -> Result<McNemar, String> {
    if correct_a.len() != correct_b.len() || correct_a.is_empty() {
        return Err(format!(
            "McNemar test: {} and {} outcomes, expected the same non-zero number of cases",
            correct_a.len(),
            correct_b.len()
        ));
    }
    let b = correct_a
        .iter()
        .zip(correct_b)
        .filter(|&(&a, &b)| a && !b)
        .count() as u64;
    let c = correct_a
        .iter()
        .zip(correct_b)
        .filter(|&(&a, &b)| !a && b)
        .count() as u64;
    let (statistic, p_chi2) = if b + c == 0 {
        (0.0, 1.0)
    } else {
        let diff = b.abs_diff(c) as f64 - 1.0;
        let stat = diff * diff / (b + c) as f64;
        (stat, chi2_sf(stat, 1.0))
    };
    Ok(McNemar {
        b,
        c,
        statistic,
        p_exact: binomial_two_sided_half(b.min(c), b + c),
        p_chi2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcnemar_b1_c5_by_hand() {
        // a right/b wrong once, a wrong/b right five times, plus 4 ties.
        let a = [
            true, false, false, false, false, false, true, true, false, true,
        ];
        let b = [false, true, true, true, true, true, true, true, false, true];
        let t = mcnemar(&a, &b).unwrap();
        assert_eq!((t.b, t.c), (1, 5));
        // Exact: 2 · (C(6,0) + C(6,1)) / 2⁶ = 14/64.
        assert!((t.p_exact - 0.218_75).abs() < 1e-15);
        // χ²: (4 − 1)²/6 = 1.5; P(χ²₁ > 1.5) = 2 P(Z > √1.5) (scipy 0.2206713619198...).
        assert_eq!(t.statistic, 1.5);
        assert!((t.p_chi2 - 2.0 * normal_sf(1.5f64.sqrt())).abs() < 1e-15);
        assert!(
            (t.p_chi2 - 0.220_671_361_919_843_2).abs() < 1e-13,
            "{}",
            t.p_chi2
        );
        let none = mcnemar(&[true, false], &[true, false]).unwrap();
        assert_eq!((none.statistic, none.p_exact, none.p_chi2), (0.0, 1.0, 1.0));
        assert!(mcnemar(&[true], &[true, false]).is_err());
        assert!(mcnemar(&[], &[]).is_err());
    }

    #[test]
    fn stuart_maxwell_2x2_is_mcnemar_without_correction() {
        // Table [[10, 2], [6, 12]]: statistic (2 − 6)²/(2 + 6) = 2, df 1.
        let cells = [(0, 0, 10), (0, 1, 2), (1, 0, 6), (1, 1, 12)];
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (i, j, count) in cells {
            a.extend(std::iter::repeat_n(i, count));
            b.extend(std::iter::repeat_n(j, count));
        }
        let t = stuart_maxwell(&a, &b, 2, false).unwrap();
        assert!((t.statistic - 2.0).abs() < 1e-14, "{t:?}");
        assert_eq!(t.df, 1);
        assert!((t.p - chi2_sf(2.0, 1.0)).abs() < 1e-16);
        // No discordant pair: df 0, p 1.
        let same = stuart_maxwell(&[0, 1, 2], &[0, 1, 2], 3, false).unwrap();
        assert_eq!((same.statistic, same.df, same.p), (0.0, 0, 1.0));
        assert!(stuart_maxwell(&[0, 1], &[0], 2, false).is_err());
        assert!(stuart_maxwell(&[0, 3], &[0, 1], 3, false).is_err());
        assert!(stuart_maxwell(&[0], &[0], 1, false).is_err());
        assert!(stuart_maxwell(&[], &[], 2, false).is_err());
    }

    #[test]
    fn stuart_maxwell_absent_category_reduces_df() {
        // Category 1 never used: same statistic as the 2-category table of
        // categories {0, 2}, with df 1.
        let a = [0, 0, 0, 2, 2, 0, 2];
        let b = [0, 2, 2, 2, 0, 2, 2];
        let full = stuart_maxwell(&a, &b, 3, false).unwrap();
        let a2: Vec<usize> = a.iter().map(|&v| v / 2).collect();
        let b2: Vec<usize> = b.iter().map(|&v| v / 2).collect();
        let small = stuart_maxwell(&a2, &b2, 2, false).unwrap();
        assert_eq!(full.df, 1);
        assert!((full.statistic - small.statistic).abs() < 1e-14);
        // Table: (0,0)=1, (0,2)=3, (2,0)=1, (2,2)=2 → (3 − 1)²/4 = 1.
        assert!((small.statistic - 1.0).abs() < 1e-14, "{small:?}");
    }

    #[test]
    fn delong_input_errors_keep_their_text() {
        let s = [0.8, 0.4, 0.4, 0.1];
        let pos = [true, true, false, false];
        assert_eq!(
            delong_paired(&s, &s[..3], &pos).unwrap_err(),
            "DeLong test: score lengths [4, 3] but 4 labels, expected one score per case"
        );
        assert_eq!(
            delong_paired(&[f64::NAN, 1.0, 2.0, 3.0], &s, &pos).unwrap_err(),
            "DeLong test: a score is NaN, expected finite or infinite scores"
        );
        assert_eq!(
            delong_paired(&s[..3], &s[..3], &pos[..3]).unwrap_err(),
            "DeLong test: 2 positive and 1 negative cases, expected at least 2 of each"
        );
    }

    #[test]
    fn delong_by_hand() {
        // Positives 0.8, 0.4; negatives 0.4, 0.1 (AUC 0.875):
        // V10 = (1, 0.75), V01 = (0.75, 1) → S10 = S01 = 0.03125,
        // Var = 0.03125/2 + 0.03125/2 = 0.03125.
        let s = [0.8, 0.4, 0.4, 0.1];
        let pos = [true, true, false, false];
        let (auc, lo, hi) = delong_auc_ci(&s, &pos, 0.95).unwrap();
        assert_eq!(auc, 0.875);
        let half = 1.959_963_984_540_054 * 0.03125f64.sqrt();
        assert!((lo - (0.875 - half)).abs() < 1e-15);
        assert_eq!(hi, 1.0);
        // Identical scores: se 0, z 0, p 1.
        let t = delong_paired(&s, &s, &pos).unwrap();
        assert_eq!((t.diff, t.se, t.z, t.p), (0.0, 0.0, 0.0, 1.0));
        assert!((t.var_a - 0.03125).abs() < 1e-16 && (t.cov - 0.03125).abs() < 1e-16);
        // Reversed scores: AUC 0.125, V10 = (0, 0.25), V01 = (0.25, 0):
        // cov = −0.03125, var(diff) = 4·0.03125 = 0.125.
        let r: Vec<f64> = s.iter().map(|v| -v).collect();
        let t = delong_paired(&s, &r, &pos).unwrap();
        assert_eq!(t.auc_b, 0.125);
        assert!((t.cov + 0.03125).abs() < 1e-16);
        assert!((t.se - 0.125f64.sqrt()).abs() < 1e-15);
        assert!((t.z - (-0.75 / 0.125f64.sqrt())).abs() < 1e-14);
        assert!(delong_paired(&s, &s[..3], &pos).is_err());
        assert!(delong_paired(&s[..3], &s[..3], &pos[..3]).is_err());
        assert!(delong_paired(&[f64::NAN, 1.0, 2.0, 3.0], &s, &pos).is_err());
        assert_eq!(delong_auc_ci(&s, &pos, 1.0), None);
    }
}
