//! The rule of the data-efficiency table.

use crate::{EfficiencyCurve, HumanBand};

/// The smallest number of training images `n` at which `curve`'s mean reaches
/// the human band, or `None` ("not reached").
///
/// A point reaches the band when its mean is defined and finite and
/// * `mean >= band.lo` when `higher_is_better` (equality counts), or
/// * `mean <= band.hi` otherwise (equality counts).
///
/// The answer is the smallest `n` over all reaching points, whatever their
/// order in `curve.points` and whatever happens at larger `n` (a curve that
/// reaches the band at 5 and drops below it at 10 still answers 5). Points
/// whose mean is `None` or non-finite never reach; a non-finite band end is
/// never reached. Only the mean is compared, not its interval.
pub fn smallest_n_reaching(
    curve: &EfficiencyCurve,
    band: &HumanBand,
    higher_is_better: bool,
) -> Option<usize> {
    curve
        .points
        .iter()
        .filter(|p| {
            p.mean.is_some_and(|m| {
                m.is_finite()
                    && if higher_is_better {
                        band.lo.is_finite() && m >= band.lo
                    } else {
                        band.hi.is_finite() && m <= band.hi
                    }
            })
        })
        .map(|p| p.n)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EfficiencyPoint;

    fn curve(points: &[(usize, Option<f64>)]) -> EfficiencyCurve {
        EfficiencyCurve {
            source: "s".into(),
            points: points
                .iter()
                .map(|&(n, mean)| EfficiencyPoint {
                    n,
                    mean,
                    lo: None,
                    hi: None,
                    folds: 4,
                })
                .collect(),
        }
    }

    fn band(lo: f64, value: f64, hi: f64) -> HumanBand {
        HumanBand {
            value,
            lo,
            hi,
            source: "test".into(),
        }
    }

    #[test]
    fn higher_is_better_first_n_at_or_above_lower_end() {
        let b = band(0.85, 0.88, 0.91);
        // 0.62, 0.79, 0.86 ≥ 0.85 at n = 5.
        let c = curve(&[
            (1, Some(0.62)),
            (2, Some(0.79)),
            (5, Some(0.86)),
            (10, Some(0.90)),
        ]);
        assert_eq!(smallest_n_reaching(&c, &b, true), Some(5));
        // Below the band everywhere: not reached, even at the band's upper end.
        let c = curve(&[(1, Some(0.5)), (20, Some(0.849_999))]);
        assert_eq!(smallest_n_reaching(&c, &b, true), None);
        // Above the band's upper end also reaches.
        let c = curve(&[(1, Some(0.5)), (20, Some(0.95))]);
        assert_eq!(smallest_n_reaching(&c, &b, true), Some(20));
    }

    #[test]
    fn ties_with_the_band_end_count() {
        let b = band(0.85, 0.88, 0.91);
        let c = curve(&[(1, Some(0.84)), (2, Some(0.85)), (5, Some(0.9))]);
        assert_eq!(smallest_n_reaching(&c, &b, true), Some(2));
        // Lower is better: equal to the upper end reaches.
        let b = band(1.0, 1.5, 2.0);
        let c = curve(&[(1, Some(4.0)), (10, Some(2.0)), (20, Some(1.2))]);
        assert_eq!(smallest_n_reaching(&c, &b, false), Some(10));
    }

    #[test]
    fn missing_and_non_finite_means_never_reach() {
        let b = band(0.85, 0.88, 0.91);
        let c = curve(&[
            (1, None),
            (2, Some(f64::NAN)),
            (5, Some(f64::INFINITY)),
            (10, Some(0.7)),
            (20, Some(0.87)),
        ]);
        assert_eq!(smallest_n_reaching(&c, &b, true), Some(20));
        assert_eq!(smallest_n_reaching(&curve(&[]), &b, true), None);
        assert_eq!(smallest_n_reaching(&curve(&[(5, None)]), &b, true), None);
        // A non-finite band end is never reached.
        let c = curve(&[(1, Some(0.99))]);
        assert_eq!(
            smallest_n_reaching(&c, &band(f64::NAN, 0.9, 0.95), true),
            None
        );
    }

    #[test]
    fn lower_is_better_uses_the_upper_end() {
        // RMS distance in mm, band [1.1, 1.9] around 1.4.
        let b = band(1.1, 1.4, 1.9);
        let c = curve(&[
            (1, Some(6.3)),
            (2, Some(3.8)),
            (5, Some(2.2)),
            (10, Some(1.7)),
            (20, Some(1.3)),
        ]);
        assert_eq!(smallest_n_reaching(&c, &b, false), Some(10));
        // With the wrong direction, 6.3 ≥ 1.1 would "reach" at n = 1.
        assert_eq!(smallest_n_reaching(&c, &b, true), Some(1));
        let c = curve(&[(1, Some(6.3)), (20, Some(1.91))]);
        assert_eq!(smallest_n_reaching(&c, &b, false), None);
    }

    #[test]
    fn order_does_not_matter_and_dips_do_not_undo_reaching() {
        let b = band(0.85, 0.88, 0.91);
        // Unsorted, reaches at 5, dips below at 10, reaches again at 20.
        let c = curve(&[
            (20, Some(0.9)),
            (10, Some(0.8)),
            (5, Some(0.86)),
            (1, Some(0.3)),
        ]);
        assert_eq!(smallest_n_reaching(&c, &b, true), Some(5));
    }
}
