//! Observer agreement: Cohen's kappa with a percentile-bootstrap interval,
//! intra-/inter-observer tables, Spearman's rank correlation.
//!
//! **Kappa** is [`ConfusionMatrix::cohen_kappa`] of `sensibench-metrics`:
//! `κ = 1 − Σ w_tp C[t][p] / Σ w_tp E[t][p]` with `E[t][p] = r_t c_p / n`
//! and `w_tp = [t ≠ p]`, `|t − p|` or `(t − p)²` on the class indices
//! `0..k` (sklearn `cohen_kappa_score(a, b, weights=…, labels=range(k))`).
//!
//! **Interval** ([`kappa_with_ci`]): `resamples` bootstrap resamples over
//! images; each draws `n` image indices with replacement
//! ([`SeededRng::new`]`(seed)`, `below(n)`, image by image) and computes κ
//! of the resampled pairs; resamples where κ is undefined (zero expected
//! disagreement) are skipped; `lo`, `hi` are the `(1 − level)/2` and
//! `(1 + level)/2` percentiles (numpy linear interpolation) of the defined
//! values (Efron's percentile interval).

use sensibench_core::{Error, Result, SeededRng, derive_seed};
use sensibench_metrics::{ConfusionMatrix, KappaWeights};

/// Cohen's kappa of two ratings with its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KappaCi {
    /// κ on all images.
    pub kappa: f64,
    /// Lower bound of the percentile interval.
    pub lo: f64,
    /// Upper bound of the percentile interval.
    pub hi: f64,
    /// Number of images.
    pub n: usize,
    /// Resamples where κ was defined (those the interval is made of).
    pub resamples_defined: usize,
}

fn kappa(a: &[usize], b: &[usize], k: usize, w: KappaWeights) -> Result<Option<f64>> {
    let cm = ConfusionMatrix::new(a, b, k).map_err(|e| Error::invalid("labels", "a, b", &e))?;
    Ok(cm.cohen_kappa(w))
}

/// numpy `percentile(sorted, q)` (linear) of a non-empty ascending slice.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let vi = (n - 1) as f64 * (q / 100.0);
    let lo = (vi.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = vi - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// Cohen's kappa of the ratings `a` and `b` of the same images (classes
/// `0..k`) with a percentile-bootstrap interval (module documentation).
///
/// Errors if the lengths differ or are 0, `k < 2`, a label is `≥ k`, κ is
/// undefined on the full data (both raters use one and the same class),
/// `resamples == 0`, `level ∉ (0, 1)`, or no resample gives a defined κ.
pub fn kappa_with_ci(
    a: &[u32],
    b: &[u32],
    k: usize,
    weights: KappaWeights,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<KappaCi> {
    if a.is_empty() {
        return Err(Error::invalid("labels", "[]", "at least one image"));
    }
    if resamples == 0 {
        return Err(Error::invalid("resamples", 0, "at least 1"));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::invalid(
            "level",
            level,
            "a confidence level in (0, 1)",
        ));
    }
    let a: Vec<usize> = a.iter().map(|&x| x as usize).collect();
    let b: Vec<usize> = b.iter().map(|&x| x as usize).collect();
    let n = a.len();
    let full = kappa(&a, &b, k, weights)?.ok_or_else(|| {
        Error::invalid(
            "labels",
            "a, b",
            "ratings with non-zero expected disagreement (kappa is undefined when both raters use one and the same class)",
        )
    })?;
    let mut rng = SeededRng::new(seed);
    let (mut ra, mut rb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut values = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        ra.clear();
        rb.clear();
        for _ in 0..n {
            let i = rng.below(n as u64) as usize;
            ra.push(a[i]);
            rb.push(b[i]);
        }
        if let Some(v) = kappa(&ra, &rb, k, weights)? {
            values.push(v);
        }
    }
    if values.is_empty() {
        return Err(Error::invalid(
            "labels",
            "a, b",
            "ratings where some bootstrap resample has a defined kappa",
        ));
    }
    values.sort_unstable_by(f64::total_cmp);
    Ok(KappaCi {
        kappa: full,
        lo: percentile(&values, 100.0 * (1.0 - level) / 2.0),
        hi: percentile(&values, 100.0 * (1.0 + level) / 2.0),
        n,
        resamples_defined: values.len(),
    })
}

/// One rating of all images, by one annotator (one repeat).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelSet<'a> {
    /// Name of this rating, e.g. `expert1/r1`.
    pub name: &'a str,
    /// The annotator: two sets of the same annotator are repeats.
    pub annotator: &'a str,
    /// Class per image, in the same image order for every set.
    pub labels: &'a [u32],
}

/// Whether a row compares repeats of one annotator or two annotators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    /// Same annotator, two repeats.
    Intra,
    /// Different annotators.
    Inter,
}

/// One row of [`agreement_table`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AgreementRow {
    /// Intra- or inter-observer.
    pub kind: AgreementKind,
    /// Name of the first set.
    pub a: String,
    /// Name of the second set.
    pub b: String,
    /// Kappa weights.
    #[serde(skip)]
    pub weights: KappaWeights,
    /// `unweighted`, `linear` or `quadratic`.
    pub weights_name: &'static str,
    /// Kappa and interval.
    pub ci: KappaCi,
}

fn weights_name(w: KappaWeights) -> &'static str {
    match w {
        KappaWeights::Unweighted => "unweighted",
        KappaWeights::Linear => "linear",
        KappaWeights::Quadratic => "quadratic",
    }
}

/// Kappa rows for every pair of label sets `(sets[i], sets[j])`, `i < j`:
/// [`AgreementKind::Intra`] when both have the same annotator, else
/// [`AgreementKind::Inter`]; for each pair three rows (unweighted, linear,
/// quadratic). Rows are ordered: all intra rows, then all inter rows, each
/// by `(i, j)` then weights. The bootstrap seed of a row is
/// `derive_seed(seed, &[name_a, name_b, weights_name])`.
///
/// Errors if fewer than 2 sets, set names repeat, the sets differ in
/// length, or [`kappa_with_ci`] fails for a pair (the error names it).
pub fn agreement_table(
    sets: &[LabelSet<'_>],
    k: usize,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Result<Vec<AgreementRow>> {
    if sets.len() < 2 {
        return Err(Error::invalid("sets", sets.len(), "at least 2 label sets"));
    }
    for (i, s) in sets.iter().enumerate() {
        if sets[..i].iter().any(|t| t.name == s.name) {
            return Err(Error::invalid("sets", s.name, "unique set names"));
        }
        if s.labels.len() != sets[0].labels.len() {
            return Err(Error::invalid(
                "sets",
                format!("`{}` has {} labels", s.name, s.labels.len()),
                &format!(
                    "the same images in every set (`{}` has {})",
                    sets[0].name,
                    sets[0].labels.len()
                ),
            ));
        }
    }
    let mut intra = Vec::new();
    let mut inter = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            let (a, b) = (&sets[i], &sets[j]);
            let kind = if a.annotator == b.annotator {
                AgreementKind::Intra
            } else {
                AgreementKind::Inter
            };
            for w in [
                KappaWeights::Unweighted,
                KappaWeights::Linear,
                KappaWeights::Quadratic,
            ] {
                let wn = weights_name(w);
                let s = derive_seed(seed, &[a.name, b.name, wn]);
                let ci =
                    kappa_with_ci(a.labels, b.labels, k, w, resamples, level, s).map_err(|e| {
                        Error::Other(format!(
                            "agreement of `{}` and `{}` ({wn}): {e}",
                            a.name, b.name
                        ))
                    })?;
                let row = AgreementRow {
                    kind,
                    a: a.name.to_string(),
                    b: b.name.to_string(),
                    weights: w,
                    weights_name: wn,
                    ci,
                };
                match kind {
                    AgreementKind::Intra => intra.push(row),
                    AgreementKind::Inter => inter.push(row),
                }
            }
        }
    }
    intra.extend(inter);
    Ok(intra)
}

/// Midranks (1-based, ties share their mean rank).
fn midranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && v[order[j]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + 1 + j) as f64 / 2.0;
        for &o in &order[i..j] {
            r[o] = rank;
        }
        i = j;
    }
    r
}

/// Spearman's rank correlation: the Pearson correlation of the midranks
/// (scipy `spearmanr`). `None` if the lengths differ, fewer than 2 values,
/// a value is NaN, or either ranking is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 || a.iter().chain(b).any(|x| x.is_nan()) {
        return None;
    }
    let (ra, rb) = (midranks(a), midranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        return None;
    }
    Some(sab / (saa * sbb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_ci_errors_and_determinism() {
        let a = [0, 1, 2, 1, 0, 2, 2, 1, 0, 1];
        let b = [0, 1, 1, 1, 0, 2, 2, 0, 0, 2];
        let c1 = kappa_with_ci(&a, &b, 3, KappaWeights::Linear, 500, 0.95, 3).unwrap();
        let c2 = kappa_with_ci(&a, &b, 3, KappaWeights::Linear, 500, 0.95, 3).unwrap();
        assert_eq!(c1, c2);
        assert!(
            c1.lo <= c1.kappa && c1.kappa <= c1.hi && c1.n == 10,
            "{c1:?}"
        );
        assert!(kappa_with_ci(&a, &b[1..], 3, KappaWeights::Linear, 5, 0.9, 1).is_err());
        assert!(kappa_with_ci(&a, &b, 2, KappaWeights::Linear, 5, 0.9, 1).is_err());
        assert!(kappa_with_ci(&a, &b, 3, KappaWeights::Linear, 0, 0.9, 1).is_err());
        assert!(kappa_with_ci(&a, &b, 3, KappaWeights::Linear, 5, 1.0, 1).is_err());
        assert!(kappa_with_ci(&[1, 1], &[1, 1], 3, KappaWeights::Linear, 5, 0.9, 1).is_err());
        assert!(kappa_with_ci(&[], &[], 3, KappaWeights::Linear, 5, 0.9, 1).is_err());
    }

    #[test]
    fn table_kinds_and_order() {
        let x = [0u32, 1, 2, 1, 0, 2];
        let y = [0u32, 1, 2, 2, 0, 2];
        let z = [1u32, 1, 2, 2, 0, 1];
        let sets = [
            LabelSet {
                name: "A/r1",
                annotator: "A",
                labels: &x,
            },
            LabelSet {
                name: "B/r1",
                annotator: "B",
                labels: &z,
            },
            LabelSet {
                name: "A/r2",
                annotator: "A",
                labels: &y,
            },
        ];
        let t = agreement_table(&sets, 3, 50, 0.9, 1).unwrap();
        assert_eq!(t.len(), 9);
        assert!(
            t[..3]
                .iter()
                .all(|r| r.kind == AgreementKind::Intra && r.b == "A/r2")
        );
        assert!(t[3..].iter().all(|r| r.kind == AgreementKind::Inter));
        assert_eq!((t[3].a.as_str(), t[3].b.as_str()), ("A/r1", "B/r1"));
        assert_eq!(t[5].weights, KappaWeights::Quadratic);
        assert!(agreement_table(&sets[..1], 3, 50, 0.9, 1).is_err());
    }

    #[test]
    fn spearman_by_hand() {
        // Ranks (1, 2, 3, 4) vs (2, 1, 4, 3): d² = 4, ρ = 1 − 6·4/(4·15) = 0.6.
        let r = spearman(&[1.0, 2.0, 3.0, 4.0], &[20.0, 10.0, 40.0, 30.0]).unwrap();
        assert!((r - 0.6).abs() < 1e-15);
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
    }
}
