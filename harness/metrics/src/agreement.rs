//! Agreement between paired measurements, human inter-observer bands, and
//! confidence intervals across folds.
//!
//! **Bland–Altman** ([`bland_altman`]; Bland & Altman 1986, *Lancet* 327:307;
//! 1999, *Stat Methods Med Res* 8:135). For the `n` pairs `(pᵢ, rᵢ)`
//! (prediction, reference) with both values finite, `dᵢ = pᵢ − rᵢ`:
//! - bias `d̄ = Σ dᵢ / n` (positive: the prediction over-estimates);
//! - `s = sqrt(Σ (dᵢ − d̄)² / (n − 1))`, the *sample* SD (ddof = 1, as Bland
//!   & Altman; note that statsmodels' `mean_diff_plot` uses `np.std`, i.e.
//!   ddof = 0, so its limits are narrower by `sqrt((n − 1)/n)`);
//! - limits of agreement `d̄ ∓ 1.96 s` ([`LOA_Z`]);
//! - with `t = t_{0.975, n−1}` (Student-t quantile,
//!   [`crate::dist::student_t_quantile`]): 95% CI of the bias
//!   `d̄ ∓ t · s/√n`; 95% CI of each limit `LoA ∓ t · s·sqrt(3/n)`, with
//!   Bland & Altman's approximate standard error of a limit,
//!   `Var(d̄ ± 1.96 s) ≈ s²/n + 1.96² s²/(2(n − 1)) ≈ 3 s²/n`.
//!
//! **Inter-observer band** ([`pairwise_scores`], [`band_from_scores`]): the
//! metric for every unordered pair of observers' masks, and the band
//! `mean ± 1 SD` (sample SD) of those pairwise scores. A model reaches the
//! human level when its mean score is `≥ band.lo` for a higher-is-better
//! metric (Dice), `≤ band.hi` for a lower-is-better one (distances):
//! [`Band::reached`].
//!
//! **Across folds** ([`fold_ci`]): `mean ∓ t_{(1+level)/2, n−1} · SD/√n`.

use sensibench_core::{Error, LabelMap, Result};

use crate::dist::student_t_quantile;
use crate::seg::{SegMetric, score_class};
use crate::stats::mean_std;

/// The multiplier of the SD in the Bland–Altman limits of agreement.
pub const LOA_Z: f64 = 1.96;

/// Bland–Altman agreement statistics of paired measurements (see the module
/// documentation for the formulas). Differences are `prediction − reference`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BlandAltman {
    /// Number of pairs used (both values finite).
    pub n: usize,
    /// Number of pairs excluded because either value is NaN or infinite.
    pub n_excluded: usize,
    /// Mean of the predictions over the pairs used.
    pub mean_pred: f64,
    /// Mean of the references over the pairs used.
    pub mean_ref: f64,
    /// Bias `d̄ = mean(pred − ref)`.
    pub mean_diff: f64,
    /// Sample SD of the differences (ddof = 1).
    pub sd_diff: f64,
    /// Lower limit of agreement `d̄ − 1.96 s`.
    pub loa_lower: f64,
    /// Upper limit of agreement `d̄ + 1.96 s`.
    pub loa_upper: f64,
    /// 95% CI of the bias, `d̄ ∓ t·s/√n`.
    pub bias_ci: (f64, f64),
    /// 95% CI of the lower limit, `loa_lower ∓ t·s·sqrt(3/n)`.
    pub loa_lower_ci: (f64, f64),
    /// 95% CI of the upper limit, `loa_upper ∓ t·s·sqrt(3/n)`.
    pub loa_upper_ci: (f64, f64),
    /// Mean absolute difference `mean |pred − ref|`.
    pub mean_abs_diff: f64,
    /// Root-mean-square difference `sqrt(mean (pred − ref)²)`.
    pub rms_diff: f64,
    /// The Student-t quantile `t_{0.975, n−1}` used by the CIs.
    pub t_quantile: f64,
}

/// Bland–Altman statistics of `pred` against `reference` (paired by index).
///
/// Pairs where either value is NaN or infinite (e.g. the mean HU of an empty
/// mask) are excluded and counted in [`BlandAltman::n_excluded`]. Fails if
/// the slices differ in length or fewer than 2 pairs remain.
pub fn bland_altman(pred: &[f64], reference: &[f64]) -> Result<BlandAltman> {
    if pred.len() != reference.len() {
        return Err(Error::invalid(
            "bland_altman",
            format!("{} predictions, {} references", pred.len(), reference.len()),
            "one reference per prediction",
        ));
    }
    let pairs: Vec<(f64, f64)> = pred
        .iter()
        .zip(reference)
        .filter(|(p, r)| p.is_finite() && r.is_finite())
        .map(|(&p, &r)| (p, r))
        .collect();
    let n = pairs.len();
    let n_excluded = pred.len() - n;
    if n < 2 {
        return Err(Error::invalid(
            "bland_altman",
            format!("{n} finite pairs ({n_excluded} excluded as NaN/infinite)"),
            "at least 2 pairs with both values finite",
        ));
    }
    let nf = n as f64;
    let diffs: Vec<f64> = pairs.iter().map(|(p, r)| p - r).collect();
    let ms = mean_std(&diffs);
    let (d, s) = (ms.mean, ms.std);
    let t = student_t_quantile(0.975, nf - 1.0);
    let se_bias = s / nf.sqrt();
    let se_loa = s * (3.0 / nf).sqrt();
    let (lower, upper) = (d - LOA_Z * s, d + LOA_Z * s);
    Ok(BlandAltman {
        n,
        n_excluded,
        mean_pred: pairs.iter().map(|p| p.0).sum::<f64>() / nf,
        mean_ref: pairs.iter().map(|p| p.1).sum::<f64>() / nf,
        mean_diff: d,
        sd_diff: s,
        loa_lower: lower,
        loa_upper: upper,
        bias_ci: (d - t * se_bias, d + t * se_bias),
        loa_lower_ci: (lower - t * se_loa, lower + t * se_loa),
        loa_upper_ci: (upper - t * se_loa, upper + t * se_loa),
        mean_abs_diff: diffs.iter().map(|x| x.abs()).sum::<f64>() / nf,
        rms_diff: (diffs.iter().map(|x| x * x).sum::<f64>() / nf).sqrt(),
        t_quantile: t,
    })
}

/// `metric` of class `class` for every unordered pair of observers' masks,
/// in the order `(0,1), (0,2), …, (0,k−1), (1,2), …, (k−2,k−1)`:
/// `k(k−1)/2` values. In pair `(i, j)` mask `j` is the reference (this only
/// matters for the spacing of the distance metrics, which are symmetric).
///
/// Empty-mask rules are those of [`crate::seg`] (e.g. both observers empty →
/// Dice 1; one empty → distances NaN). Fails with fewer than 2 masks or if
/// any mask's shape differs from the first's (the error names the observer).
pub fn pairwise_scores(masks: &[LabelMap], class: u8, metric: SegMetric) -> Result<Vec<f64>> {
    if masks.len() < 2 {
        return Err(Error::invalid(
            "observer masks",
            format!("{} mask(s)", masks.len()),
            "at least 2 observers' masks for pairwise scores",
        ));
    }
    let g0 = masks[0].grid();
    for (k, m) in masks.iter().enumerate().skip(1) {
        let g = m.grid();
        if g.dims() != g0.dims() || g.ndim() != g0.ndim() {
            return Err(Error::Shape {
                what: format!("mask of observer {k} vs observer 0"),
                expected: format!("{} ({}D)", g0.shape_string(), g0.ndim()),
                found: format!("{} ({}D)", g.shape_string(), g.ndim()),
            });
        }
    }
    let mut out = Vec::with_capacity(masks.len() * (masks.len() - 1) / 2);
    for i in 0..masks.len() {
        for j in i + 1..masks.len() {
            out.push(score_class(&masks[i], &masks[j], class, &[metric])?[0]);
        }
    }
    Ok(out)
}

/// A human inter-observer band: a central value and the interval
/// `[lo, hi] = [value − spread, value + spread]`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Band {
    /// Central value: the mean of the pairwise scores (or the declared value).
    pub value: f64,
    /// Half-width: the sample SD (ddof = 1) of the pairwise scores (or the
    /// declared spread); 0 for a single score.
    pub spread: f64,
    /// `value − spread`.
    pub lo: f64,
    /// `value + spread`.
    pub hi: f64,
    /// Number of (non-NaN) pairwise scores; 0 for a declared band.
    pub n: usize,
}

impl Band {
    /// A band declared by a suite (e.g. a published inter-observer Dice
    /// `0.90 ± 0.03`): `lo = value − spread`, `hi = value + spread`, `n = 0`.
    /// Fails unless `value` is finite and `spread` finite and `≥ 0`.
    pub fn declared(value: f64, spread: f64) -> Result<Band> {
        if !value.is_finite() {
            return Err(Error::invalid("band value", value, "a finite number"));
        }
        if !(spread.is_finite() && spread >= 0.0) {
            return Err(Error::invalid(
                "band spread",
                spread,
                "a finite number >= 0",
            ));
        }
        Ok(Band {
            value,
            spread,
            lo: value - spread,
            hi: value + spread,
            n: 0,
        })
    }

    /// True if a model's mean `score` reaches the human level: `score ≥ lo`
    /// when higher is better (Dice, IoU), `score ≤ hi` otherwise (distances).
    /// False for a NaN score or band.
    pub fn reached(&self, score: f64, higher_is_better: bool) -> bool {
        if higher_is_better {
            score >= self.lo
        } else {
            score <= self.hi
        }
    }
}

/// The band `mean ± 1 SD` of pairwise inter-observer `scores` (e.g. from
/// [`pairwise_scores`]), NaNs ignored. One score: `spread = 0`, `lo = hi =
/// value`. No score: every field NaN and `n = 0`.
pub fn band_from_scores(scores: &[f64]) -> Band {
    let ms = mean_std(scores);
    let spread = match ms.n {
        0 => f64::NAN,
        1 => 0.0,
        _ => ms.std,
    };
    Band {
        value: ms.mean,
        spread,
        lo: ms.mean - spread,
        hi: ms.mean + spread,
        n: ms.n,
    }
}

/// Mean and two-sided t-based confidence interval of the mean across folds:
/// `(mean, mean − t·s/√n, mean + t·s/√n)` with `t = t_{(1+level)/2, n−1}`
/// and `s` the sample SD (ddof = 1) of the non-NaN `values`.
///
/// NaNs are ignored. `n = 1`: `(mean, mean, mean)` (no spread estimable).
/// `n = 0`: all NaN. A `level` outside the open interval `(0, 1)` gives NaN
/// bounds (the mean is still returned).
pub fn fold_ci(values: &[f64], level: f64) -> (f64, f64, f64) {
    let ms = mean_std(values);
    match ms.n {
        0 => (f64::NAN, f64::NAN, f64::NAN),
        1 => (ms.mean, ms.mean, ms.mean),
        n => {
            if !(level > 0.0 && level < 1.0) {
                return (ms.mean, f64::NAN, f64::NAN);
            }
            let t = student_t_quantile(0.5 + level / 2.0, (n - 1) as f64);
            let half = t * ms.std / (n as f64).sqrt();
            (ms.mean, ms.mean - half, ms.mean + half)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sensibench_core::Grid;

    #[test]
    fn bland_altman_hand_worked() {
        // d = [1, -1, 3, 1] (+ a NaN pair): mean 1, SS = 0+4+4+0 = 8,
        // s = sqrt(8/3); t_{0.975,3} = 3.1824463052837096 (mpmath).
        let pred = [11.0, 19.0, 33.0, f64::NAN, 41.0];
        let refs = [10.0, 20.0, 30.0, 5.0, 40.0];
        let ba = bland_altman(&pred, &refs).unwrap();
        let s = (8.0f64 / 3.0).sqrt();
        let t = 3.182_446_305_283_709_6;
        assert_eq!((ba.n, ba.n_excluded), (4, 1));
        assert_eq!(ba.mean_diff, 1.0);
        assert!((ba.sd_diff - s).abs() < 1e-15);
        assert!((ba.loa_upper - (1.0 + 1.96 * s)).abs() < 1e-14);
        assert!((ba.loa_lower - (1.0 - 1.96 * s)).abs() < 1e-14);
        assert!((ba.t_quantile - t).abs() < 1e-12);
        assert!((ba.bias_ci.1 - (1.0 + t * s / 2.0)).abs() < 1e-12);
        let se = s * (0.75f64).sqrt();
        assert!((ba.loa_lower_ci.0 - (ba.loa_lower - t * se)).abs() < 1e-12);
        assert!((ba.loa_upper_ci.1 - (ba.loa_upper + t * se)).abs() < 1e-12);
        assert_eq!(ba.mean_abs_diff, 1.5);
        assert!((ba.rms_diff - 3.0f64.sqrt()).abs() < 1e-15);
        assert_eq!((ba.mean_pred, ba.mean_ref), (26.0, 25.0));
    }

    #[test]
    fn bland_altman_errors() {
        let e = bland_altman(&[1.0, 2.0], &[1.0]).unwrap_err().to_string();
        assert!(e.contains("2 predictions, 1 references"), "{e}");
        let e = bland_altman(&[1.0, f64::NAN], &[1.0, 2.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("1 finite pairs (1 excluded"), "{e}");
        assert!(bland_altman(&[], &[]).is_err());
    }

    fn disc(cx: f64, cy: f64, r: f64) -> LabelMap {
        let g = Grid::new_2d(12, 12, [1.0, 1.0]).unwrap();
        let mut m = LabelMap::filled(g, 0);
        for y in 0..12 {
            for x in 0..12 {
                if (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) <= r * r {
                    let i = m.grid().index(0, y, x);
                    m.data_mut()[i] = 1;
                }
            }
        }
        m
    }

    #[test]
    fn pairwise_order_and_band() {
        let masks = [
            disc(5.0, 5.0, 3.0),
            disc(6.0, 5.0, 3.0),
            disc(5.0, 6.5, 2.5),
        ];
        let v = pairwise_scores(&masks, 1, SegMetric::Dice).unwrap();
        assert_eq!(v.len(), 3);
        for (k, (i, j)) in [(0, 1), (0, 2), (1, 2)].into_iter().enumerate() {
            let want = score_class(&masks[i], &masks[j], 1, &[SegMetric::Dice]).unwrap()[0];
            assert_eq!(v[k], want);
        }
        let b = band_from_scores(&v);
        let ms = mean_std(&v);
        assert_eq!((b.value, b.spread, b.n), (ms.mean, ms.std, 3));
        assert_eq!((b.lo, b.hi), (ms.mean - ms.std, ms.mean + ms.std));
        assert!(b.reached(b.lo, true) && !b.reached(b.lo - 1e-9, true));
        assert!(b.reached(b.hi, false) && !b.reached(b.hi + 1e-9, false));
        assert!(!b.reached(f64::NAN, true));
        // Hand-worked band: [0.8, 0.9, NaN] -> mean 0.85, SD sqrt(0.005).
        let b = band_from_scores(&[0.8, 0.9, f64::NAN]);
        assert_eq!(b.n, 2);
        assert!((b.value - 0.85).abs() < 1e-15);
        assert!((b.spread - 0.005f64.sqrt()).abs() < 1e-15);
        let one = band_from_scores(&[0.7]);
        assert_eq!((one.lo, one.hi, one.spread), (0.7, 0.7, 0.0));
        assert!(band_from_scores(&[]).value.is_nan());
        let d = Band::declared(0.9, 0.03).unwrap();
        assert_eq!((d.lo, d.hi, d.n), (0.9 - 0.03, 0.9 + 0.03, 0));
        assert!(Band::declared(0.9, -0.1).is_err() && Band::declared(f64::NAN, 0.1).is_err());
    }

    #[test]
    fn pairwise_errors() {
        let a = disc(5.0, 5.0, 3.0);
        assert!(pairwise_scores(std::slice::from_ref(&a), 1, SegMetric::Dice).is_err());
        let other = LabelMap::filled(Grid::new_2d(12, 13, [1.0, 1.0]).unwrap(), 0);
        let e = pairwise_scores(&[a.clone(), a, other], 1, SegMetric::Dice)
            .unwrap_err()
            .to_string();
        assert!(e.contains("observer 2") && e.contains("12x13"), "{e}");
    }

    #[test]
    fn fold_ci_hand_worked() {
        // [0.7, 0.8, 0.9, 0.8]: mean 0.8, s = sqrt(0.02/3), t_{0.975,3}.
        let (m, lo, hi) = fold_ci(&[0.7, 0.8, f64::NAN, 0.9, 0.8], 0.95);
        let half = 3.182_446_305_283_709_6 * (0.02f64 / 3.0).sqrt() / 2.0;
        assert!((m - 0.8).abs() < 1e-15);
        assert!((lo - (m - half)).abs() < 1e-12 && (hi - (m + half)).abs() < 1e-12);
        assert_eq!(fold_ci(&[0.5, f64::NAN], 0.95), (0.5, 0.5, 0.5));
        let (m, lo, hi) = fold_ci(&[f64::NAN], 0.95);
        assert!(m.is_nan() && lo.is_nan() && hi.is_nan());
        let (m, lo, _) = fold_ci(&[1.0, 2.0], 1.0);
        assert!(m == 1.5 && lo.is_nan());
    }
}
