//! Cutting the score axis into ordered classes.
//!
//! `k` classes `0..k`, class 0 holding the lowest (most basal) scores.
//!
//! - [`Cut::Points`]`(p)`: `k − 1` strictly increasing finite cut points on
//!   the score axis; the class of a score `s` is the number of cut points
//!   strictly below it, `#{j : p_j < s}` (numpy `searchsorted(p, s,
//!   side="left")`): a score equal to a cut point goes to the lower class.
//!   The cut points returned are `p`.
//! - [`Cut::Counts`]`(c)`: class sizes in score order, each `≥ 1`, summing to
//!   `n`. The images are sorted by score ascending, **ties broken by index
//!   in `scores`** (for a [`BtFit`](crate::BtFit) of
//!   [`bradley_terry`](crate::bradley_terry), lexicographic id order); the
//!   first `c_0` get class 0, the next `c_1` class 1, and so on. The cut
//!   point between classes `m` and `m + 1` is the midpoint of the last score
//!   of class `m` and the first of class `m + 1` in that order (equal to the
//!   tied score when the boundary splits a tie; then re-applying
//!   `Cut::Points` to it would put the whole tie in the lower class).
//! - [`Cut::Fractions`]`(f)`: `k` finite fractions `≥ 0` summing to 1
//!   (within `1e-9`), turned into counts by rounding the cumulative
//!   boundaries: `b_m = round(n Σ_{l ≤ m} f_l)` (half away from zero),
//!   `b_{k−1} = n`, `c_m = b_m − b_{m−1}`; then as `Counts` (an empty class
//!   is an error).
//!
//! `k ≥ 2` always; scores must be finite.

use sensibench_core::{Error, Result};

/// How to cut the score axis into `k` ordered classes (module
/// documentation).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    /// `k − 1` strictly increasing cut points on the score axis.
    Points(Vec<f64>),
    /// `k` class sizes in score order (each `≥ 1`, summing to `n`).
    Counts(Vec<usize>),
    /// `k` class fractions summing to 1.
    Fractions(Vec<f64>),
}

/// Classes (`0..k`) of `scores` and the `k − 1` cut points used on the
/// score axis (module documentation).
///
/// Errors if a score is not finite, there are fewer than 2 classes, cut
/// points are not finite and strictly increasing, counts do not sum to
/// `n = scores.len()` or one is 0, fractions are negative, not finite, do
/// not sum to 1, or give an empty class.
pub fn cut(scores: &[f64], cut: &Cut) -> Result<(Vec<u32>, Vec<f64>)> {
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::invalid(
            "scores",
            format!("scores[{i}] = {}", scores[i]),
            "finite scores",
        ));
    }
    let n = scores.len();
    match cut {
        Cut::Points(p) => {
            if p.is_empty() {
                return Err(Error::invalid(
                    "cut points",
                    "[]",
                    "at least 1 cut point (2 classes)",
                ));
            }
            if p.iter().any(|x| !x.is_finite()) || p.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::invalid(
                    "cut points",
                    format!("{p:?}"),
                    "finite, strictly increasing cut points",
                ));
            }
            let classes = scores
                .iter()
                .map(|&s| p.iter().filter(|&&x| x < s).count() as u32)
                .collect();
            Ok((classes, p.clone()))
        }
        Cut::Counts(c) => by_counts(scores, c),
        Cut::Fractions(f) => {
            if f.len() < 2 {
                return Err(Error::invalid(
                    "fractions",
                    format!("{f:?}"),
                    "at least 2 class fractions",
                ));
            }
            if f.iter().any(|x| !x.is_finite() || *x < 0.0) {
                return Err(Error::invalid(
                    "fractions",
                    format!("{f:?}"),
                    "finite fractions ≥ 0",
                ));
            }
            let total: f64 = f.iter().sum();
            if (total - 1.0).abs() > 1e-9 {
                return Err(Error::invalid(
                    "fractions",
                    format!("{f:?} (sum {total})"),
                    "fractions summing to 1",
                ));
            }
            let mut counts = Vec::with_capacity(f.len());
            let (mut acc, mut prev) = (0.0, 0usize);
            for (m, x) in f.iter().enumerate() {
                acc += x;
                let b = if m + 1 == f.len() {
                    n
                } else {
                    ((n as f64 * acc).round() as usize).min(n)
                };
                counts.push(b.saturating_sub(prev));
                prev = prev.max(b);
            }
            if let Some(m) = counts.iter().position(|&c| c == 0) {
                return Err(Error::invalid(
                    "fractions",
                    format!("{f:?}"),
                    &format!(
                        "fractions giving every class at least one of the {n} images; class {m} would be empty (counts {counts:?})"
                    ),
                ));
            }
            by_counts(scores, &counts)
        }
    }
}

fn by_counts(scores: &[f64], c: &[usize]) -> Result<(Vec<u32>, Vec<f64>)> {
    let n = scores.len();
    if c.len() < 2 || c.contains(&0) || c.iter().sum::<usize>() != n {
        return Err(Error::invalid(
            "counts",
            format!("{c:?}"),
            &format!("at least 2 class sizes, each ≥ 1, summing to the {n} images"),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    let mut classes = vec![0u32; n];
    let mut points = Vec::with_capacity(c.len() - 1);
    let mut start = 0;
    for (m, &size) in c.iter().enumerate() {
        for &i in &order[start..start + size] {
            classes[i] = m as u32;
        }
        start += size;
        if start < n {
            points.push(0.5 * (scores[order[start - 1]] + scores[order[start]]));
        }
    }
    Ok((classes, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_points_fractions_by_hand() {
        // Sorted by score, ties by index (0 and 3 tie at 0.5, 0 first).
        let s = [0.5, -1.0, 3.0, 0.5, -2.0];
        // Order: 4, 1, 0, 3, 2. Counts (2, 2, 1): {4,1}→0, {0,3}→1, {2}→2.
        let (c, p) = cut(&s, &Cut::Counts(vec![2, 2, 1])).unwrap();
        assert_eq!(c, [1, 0, 2, 1, 0]);
        assert_eq!(p, [(-1.0 + 0.5) / 2.0, (0.5 + 3.0) / 2.0]);
        // Counts (3, 2): the boundary splits the 0.5 tie: index 0 → class 0,
        // index 3 → class 1, cut point 0.5.
        let (c, p) = cut(&s, &Cut::Counts(vec![3, 2])).unwrap();
        assert_eq!(c, [0, 0, 1, 1, 0]);
        assert_eq!(p, [0.5]);
        // Points: a score equal to a cut point goes to the lower class.
        let (c, p) = cut(&s, &Cut::Points(vec![-1.0, 0.5])).unwrap();
        assert_eq!(c, [1, 0, 2, 1, 0]);
        assert_eq!(p, [-1.0, 0.5]);
        // Fractions (0.4, 0.4, 0.2) of 5: boundaries round(2), round(4), 5.
        let (c, _) = cut(&s, &Cut::Fractions(vec![0.4, 0.4, 0.2])).unwrap();
        assert_eq!(c, [1, 0, 2, 1, 0]);
        // Fractions (0.3, 0.3, 0.4): boundaries round(1.5) = 2, round(3) = 3,
        // sizes (2, 1, 2).
        let (c, _) = cut(&s, &Cut::Fractions(vec![0.3, 0.3, 0.4])).unwrap();
        assert_eq!(c, [1, 0, 2, 2, 0]);
    }

    #[test]
    fn cut_errors() {
        let s = [0.0, 1.0, 2.0];
        assert!(cut(&s, &Cut::Counts(vec![1, 1])).is_err());
        assert!(cut(&s, &Cut::Counts(vec![3, 0])).is_err());
        assert!(cut(&s, &Cut::Counts(vec![3])).is_err());
        assert!(cut(&s, &Cut::Points(vec![])).is_err());
        assert!(cut(&s, &Cut::Points(vec![1.0, 1.0])).is_err());
        assert!(cut(&s, &Cut::Points(vec![f64::NAN])).is_err());
        assert!(cut(&s, &Cut::Fractions(vec![0.5, 0.6])).is_err());
        assert!(cut(&s, &Cut::Fractions(vec![0.9, 0.05, 0.05])).is_err());
        assert!(cut(&[f64::NAN, 1.0], &Cut::Counts(vec![1, 1])).is_err());
    }
}
