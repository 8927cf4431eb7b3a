//! The statistics of one group of paired rows: per-unit means, the
//! bootstrap CI and paired test of the mean difference, the verdict and the
//! worst cells.

use std::collections::BTreeMap;

use sensibench_core::derive_seed;
use sensibench_metrics::paired::{
    paired_bootstrap_ci, sign_flip_permutation, wilcoxon_signed_rank,
};

use super::comparison::{GroupComparison, WorstSample};
use super::settings::{CompareSettings, CompareTest, Verdict, verdict};
use super::side::{ScoreRow, point_bits};

/// The A and B values of one unit or cell, in pairing order.
type PairedValues = (Vec<f64>, Vec<f64>);
/// A cell of a group: (dataset, sample, perturbation, point's bits).
type GroupCell<'a> = (&'a str, &'a str, &'a str, u64);

/// One finite pair.
pub(super) struct Pair<'a> {
    pub(super) row: &'a ScoreRow,
    pub(super) a: f64,
    pub(super) b: f64,
}

/// The mean of `v` (NaN when empty).
pub(super) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// The comparison of one group of pairs (module documentation of
/// [`crate::compare`]).
pub(super) fn group(
    model: &str,
    dataset: Option<&str>,
    perturbation: Option<&str>,
    metric: &str,
    pairs: &[&Pair<'_>],
    settings: &CompareSettings,
) -> GroupComparison {
    // unit -> (a values, b values)
    let mut units: BTreeMap<(&str, &str), PairedValues> = BTreeMap::new();
    // (dataset, sample, perturbation, point bits) -> (point index, point, a, b)
    let mut cells: BTreeMap<GroupCell<'_>, (u32, f64, PairedValues)> = BTreeMap::new();
    for p in pairs {
        let r = p.row;
        let unit_dataset = if dataset.is_some() {
            ""
        } else {
            r.dataset.as_str()
        };
        let u = units.entry((unit_dataset, &r.sample)).or_default();
        u.0.push(p.a);
        u.1.push(p.b);
        let c = cells
            .entry((&r.dataset, &r.sample, &r.perturbation, point_bits(r.point)))
            .or_insert_with(|| (r.point_index, r.point, PairedValues::default()));
        c.2.0.push(p.a);
        c.2.1.push(p.b);
    }
    let ua: Vec<f64> = units.values().map(|u| mean(&u.0)).collect();
    let ub: Vec<f64> = units.values().map(|u| mean(&u.1)).collect();
    let diffs: Vec<f64> = ua.iter().zip(&ub).map(|(x, y)| y - x).collect();
    let seed = derive_seed(
        settings.seed,
        &[
            model,
            dataset.unwrap_or("*"),
            perturbation.unwrap_or("*"),
            metric,
        ],
    );
    let ci = paired_bootstrap_ci(&ua, &ub, settings.resamples, settings.level, seed)
        .ok()
        .flatten();
    let (p_value, test) = match settings.test {
        CompareTest::Wilcoxon => {
            let w = wilcoxon_signed_rank(&diffs);
            (w.p_value, format!("wilcoxon ({})", w.method))
        }
        CompareTest::Permutation => {
            let t = sign_flip_permutation(&diffs, settings.resamples, seed);
            let how = if t.exact { "exact" } else { "monte carlo" };
            (t.p_value, format!("sign-flip permutation ({how})"))
        }
    };
    let mean_diff = mean(&diffs);
    let higher = settings.higher_is_better_of(metric);
    let tolerance = settings.tolerance_of(metric);
    let mut worst: Vec<WorstSample> = cells
        .into_iter()
        .map(|((d, s, pe, _), (pi, pt, (va, vb)))| {
            let (a, b) = (mean(&va), mean(&vb));
            WorstSample {
                dataset: d.to_string(),
                sample: s.to_string(),
                perturbation: pe.to_string(),
                point: pt,
                point_index: pi,
                a,
                b,
                worsening: if higher { a - b } else { b - a },
            }
        })
        .filter(|w| w.worsening > 0.0)
        .collect();
    worst.sort_by(|x, y| y.worsening.total_cmp(&x.worsening));
    worst.truncate(settings.worst_k);
    GroupComparison {
        model: model.to_string(),
        dataset: dataset.map(str::to_string),
        perturbation: perturbation.map(str::to_string),
        metric: metric.to_string(),
        n: diffs.len(),
        pairs: pairs.len(),
        mean_a: mean(&ua),
        mean_b: mean(&ub),
        mean_diff,
        ci,
        p_value,
        test,
        tolerance,
        higher_is_better: higher,
        verdict: if diffs.is_empty() {
            Verdict::Unchanged
        } else {
            verdict(mean_diff, p_value, tolerance, settings.alpha, higher)
        },
        worst,
    }
}
