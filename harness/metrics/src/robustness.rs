//! Summaries of a score-versus-perturbation curve.
//!
//! A curve is given as parallel slices `xs` (the perturbation parameter or
//! severity, strictly increasing) and `ys` (the mean score at each point,
//! e.g. from [`crate::stats::mean_std`]). A NaN score (no defined value at a
//! point) propagates into the area and the ROOD-MRI summaries, and is
//! skipped by [`worst_point`].

use sensibench_core::{Error, Result};

/// The severity weight base of ROOD-MRI: severity `s` weighs `α^s`, `α = 2/3`.
pub const ROOD_ALPHA: f64 = 2.0 / 3.0;

fn check_curve(xs: &[f64], ys: &[f64], what: &str) -> Result<()> {
    if xs.len() != ys.len() {
        return Err(Error::invalid(
            what,
            format!("{} parameters, {} scores", xs.len(), ys.len()),
            "one score per parameter value",
        ));
    }
    if xs.is_empty() {
        return Err(Error::invalid(what, "no points", "at least one point"));
    }
    if xs.iter().any(|x| !x.is_finite()) {
        return Err(Error::invalid(
            what,
            format!("{xs:?}"),
            "finite parameter values",
        ));
    }
    if xs.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::invalid(
            what,
            format!("{xs:?}"),
            "parameter values sorted strictly increasing",
        ));
    }
    Ok(())
}

/// Normalised area under the curve: the trapezoidal area
/// `Σ_i (x_{i+1} − x_i)·(y_i + y_{i+1})/2` divided by the range
/// `x_last − x_first`, i.e. the curve's mean height, in the unit of the score.
/// A flat curve at `c` gives `c`, whatever the x values (severities `1..=5` or
/// physical parameters alike). A single point gives its own score.
///
/// Fails if the lengths differ, the curve is empty, or `xs` is not finite and
/// strictly increasing.
pub fn normalized_auc(xs: &[f64], ys: &[f64]) -> Result<f64> {
    check_curve(xs, ys, "curve")?;
    if xs.len() == 1 {
        return Ok(ys[0]);
    }
    let area: f64 = xs
        .windows(2)
        .zip(ys.windows(2))
        .map(|(x, y)| (x[1] - x[0]) * (y[0] + y[1]) / 2.0)
        .sum();
    Ok(area / (xs[xs.len() - 1] - xs[0]))
}

/// The point `(x, y)` with the worst score: the smallest `y` if
/// `higher_is_better`, else the largest. NaN scores are skipped; ties go to
/// the first (smallest `x`).
///
/// Fails if the lengths differ, the curve is empty or unsorted, or every score
/// is NaN.
pub fn worst_point(xs: &[f64], ys: &[f64], higher_is_better: bool) -> Result<(f64, f64)> {
    check_curve(xs, ys, "curve")?;
    let mut worst: Option<(f64, f64)> = None;
    for (&x, &y) in xs.iter().zip(ys) {
        if y.is_nan() {
            continue;
        }
        let better_candidate = match worst {
            None => true,
            Some((_, w)) => {
                if higher_is_better {
                    y < w
                } else {
                    y > w
                }
            }
        };
        if better_candidate {
            worst = Some((x, y));
        }
    }
    worst.ok_or_else(|| Error::invalid("curve", "every score NaN", "at least one defined score"))
}

fn check_rood(severities: &[f64], scores: &[f64], alpha: f64) -> Result<()> {
    check_curve(severities, scores, "severity curve")?;
    if severities.iter().any(|&s| s <= 0.0) {
        return Err(Error::invalid(
            "severity curve",
            format!("{severities:?}"),
            "severities > 0 (the clean score is passed separately as severity 0)",
        ));
    }
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::invalid(
            "alpha",
            alpha,
            "a finite number > 0 (ROOD-MRI uses 2/3)",
        ));
    }
    Ok(())
}

/// ROOD-MRI's overall (weighted mean) score "OA" of one perturbation, e.g.
/// wmDSC (Boone et al., "ROOD-MRI: Benchmarking the robustness of deep learning
/// segmentation models to out-of-distribution and corrupted data in MRI",
/// NeuroImage 2023; reference implementation `calculate_metrics` in
/// github.com/AICONSlab/roodmri, `roodmri/metrics/calculate.py`):
///
/// `OA = (y_0 + Σ_s α^s · y_s) / (1 + Σ_s α^s)`
///
/// where `y_0 = clean` is the mean score on unperturbed data (severity 0,
/// weight `α^0 = 1`), `y_s` the mean score at severity `s`, and `α` is
/// [`ROOD_ALPHA`] (2/3) by default, so milder severities weigh more. The
/// sums run over the given severities (ROOD-MRI uses `1..=5`).
///
/// Fails if the lengths differ, no severity is given, a severity is not finite,
/// not strictly increasing or not `> 0`, or `alpha` is not finite and `> 0`.
pub fn rood_overall(clean: f64, severities: &[f64], scores: &[f64], alpha: f64) -> Result<f64> {
    check_rood(severities, scores, alpha)?;
    let (mut num, mut den) = (clean, 1.0);
    for (&s, &y) in severities.iter().zip(scores) {
        let w = alpha.powf(s);
        num += w * y;
        den += w;
    }
    Ok(num / den)
}

/// ROOD-MRI's degradation "Deg" of one perturbation (same source as
/// [`rood_overall`]): the weighted mean change from the clean score, signed so
/// that a positive value is always a loss:
///
/// `Deg = Σ_s α^s · σ·(y_s − y_0) / Σ_s α^s`, with `σ = −1` if
/// `higher_is_better` (e.g. Dice: `Deg = weighted mean of (clean − y_s)`) and
/// `σ = +1` otherwise (e.g. HD95: `Deg = weighted mean of (y_s − clean)`).
///
/// The clean score is not a term of the weighted mean (unlike [`rood_overall`]).
/// Fails on the same inputs as [`rood_overall`].
pub fn rood_degradation(
    clean: f64,
    severities: &[f64],
    scores: &[f64],
    alpha: f64,
    higher_is_better: bool,
) -> Result<f64> {
    check_rood(severities, scores, alpha)?;
    let sign = if higher_is_better { -1.0 } else { 1.0 };
    let (mut num, mut den) = (0.0, 0.0);
    for (&s, &y) in severities.iter().zip(scores) {
        let w = alpha.powf(s);
        num += w * sign * (y - clean);
        den += w;
    }
    Ok(num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn auc_hand_worked() {
        // Severities 1..5, scores 0.9 0.8 0.8 0.6 0.5: trapezoids 0.85 + 0.8 +
        // 0.7 + 0.55 = 2.9 over a range of 4.
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let ys = [0.9, 0.8, 0.8, 0.6, 0.5];
        assert!(close(normalized_auc(&xs, &ys).unwrap(), 2.9 / 4.0));
        // Uneven spacing: (0,1) (1,0) (3,0): area 0.5 over 3.
        assert!(close(
            normalized_auc(&[0.0, 1.0, 3.0], &[1.0, 0.0, 0.0]).unwrap(),
            0.5 / 3.0
        ));
        // Flat curve gives its value, a single point gives itself.
        assert!(close(
            normalized_auc(&[-10.0, 0.0, 10.0], &[0.7; 3]).unwrap(),
            0.7
        ));
        assert_eq!(normalized_auc(&[2.0], &[0.3]).unwrap(), 0.3);
        assert!(
            normalized_auc(&[1.0, 2.0], &[0.1, f64::NAN])
                .unwrap()
                .is_nan()
        );
    }

    #[test]
    fn auc_rejects_bad_curves() {
        assert!(normalized_auc(&[1.0, 2.0], &[1.0]).is_err());
        assert!(normalized_auc(&[], &[]).is_err());
        let e = normalized_auc(&[2.0, 1.0], &[1.0, 1.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("increasing"), "{e}");
        assert!(normalized_auc(&[1.0, 1.0], &[1.0, 1.0]).is_err());
        assert!(normalized_auc(&[1.0, f64::NAN], &[1.0, 1.0]).is_err());
    }

    #[test]
    fn worst_point_hand_worked() {
        let xs = [0.0, 5.0, 10.0, 15.0];
        let ys = [0.9, 0.4, f64::NAN, 0.4];
        assert_eq!(worst_point(&xs, &ys, true).unwrap(), (5.0, 0.4));
        assert_eq!(worst_point(&xs, &ys, false).unwrap(), (0.0, 0.9));
        assert!(worst_point(&[1.0], &[f64::NAN], true).is_err());
        assert!(worst_point(&[1.0, 2.0], &[1.0], true).is_err());
    }

    #[test]
    fn rood_hand_worked() {
        let sev = [1.0, 2.0];
        // Dice: clean 0.9, severities 1 and 2 at 0.8 and 0.6; weights 2/3, 4/9.
        // OA = (0.9 + 2/3·0.8 + 4/9·0.6) / (1 + 2/3 + 4/9) = 1.7 / (19/9) = 15.3/19.
        let oa = rood_overall(0.9, &sev, &[0.8, 0.6], ROOD_ALPHA).unwrap();
        assert!(close(oa, 15.3 / 19.0), "{oa}");
        // Deg = (2/3·0.1 + 4/9·0.3) / (10/9) = 0.2 · 0.9 = 0.18.
        let deg = rood_degradation(0.9, &sev, &[0.8, 0.6], ROOD_ALPHA, true).unwrap();
        assert!(close(deg, 0.18), "{deg}");
        // HD95 (lower is better): clean 2, then 3 and 5 -> (2/3·1 + 4/9·3)/(10/9) = 1.8.
        let deg = rood_degradation(2.0, &sev, &[3.0, 5.0], ROOD_ALPHA, false).unwrap();
        assert!(close(deg, 1.8), "{deg}");
        // alpha = 1: plain means (clean included in OA, not in Deg).
        let oa = rood_overall(1.0, &[1.0, 2.0, 3.0], &[0.5, 0.5, 0.0], 1.0).unwrap();
        assert!(close(oa, 0.5));
        let deg = rood_degradation(1.0, &[1.0, 2.0, 3.0], &[0.5, 0.5, 0.0], 1.0, true).unwrap();
        assert!(close(deg, 2.0 / 3.0));
        // An improvement is a negative degradation.
        assert!(rood_degradation(0.5, &[1.0], &[0.6], ROOD_ALPHA, true).unwrap() < 0.0);
    }

    #[test]
    fn rood_rejects_bad_input() {
        assert!(rood_overall(0.9, &[0.0, 1.0], &[0.9, 0.8], ROOD_ALPHA).is_err());
        assert!(rood_overall(0.9, &[], &[], ROOD_ALPHA).is_err());
        assert!(rood_overall(0.9, &[1.0], &[0.8], 0.0).is_err());
        assert!(rood_degradation(0.9, &[1.0], &[0.8], f64::INFINITY, true).is_err());
        assert!(rood_degradation(0.9, &[2.0, 1.0], &[0.8, 0.7], ROOD_ALPHA, true).is_err());
    }
}
