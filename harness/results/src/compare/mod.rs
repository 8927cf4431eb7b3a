//! Paired comparison of two runs (or a run and a baseline): what differs in
//! their provenance, which rows appear on one side only or newly fail, and,
//! per group of rows, the mean paired change with its bootstrap CI, a paired
//! test over samples, and a verdict.
//!
//! **Sides.** [`load_side`] reads a run folder (`manifest.json` plus
//! `parts/*.parquet` for segmentation or `predictions/*.parquet` for
//! classification) or a baseline folder (`baseline.json` + `rows.parquet`,
//! see [`crate::baseline`]).
//!
//! **Pairing.** Segmentation rows are paired on (model, dataset, sample,
//! perturbation, point, class, metric); the point is matched by value.
//! A classification run is first turned into one `accuracy` row per
//! (model, dataset, sample, perturbation, point): 1 when the predicted class
//! equals the true class, else 0 (failed when any of its probability rows
//! failed or the truth or prediction is missing). Counted, never tested:
//! rows on one side only, pairs whose value is missing or not finite on
//! either side (dropped), pairs ok in A but failed in B (*newly failing*, a
//! regression on its own: [`Comparison::regressed`]), failed in A but ok in B,
//! failed on both sides.
//!
//! **Groups.** Per (model, metric) over all datasets and perturbations, and
//! per (model, dataset, perturbation, metric). The independent unit is the
//! sample (`dataset/sample` in the per-model groups): per unit the paired
//! values are averaged over its (perturbation,) point and class pairs, giving
//! `a_u`, `b_u` and `d_u = b_u − a_u`. A group reports `n` units,
//! `mean_a = mean a_u`, `mean_b = mean b_u`, `mean_diff = mean d_u`, the
//! percentile bootstrap CI of `mean d_u`
//! ([`paired_bootstrap_ci`](sensibench_metrics::paired::paired_bootstrap_ci),
//! seed `derive_seed(settings.seed, [model, dataset, perturbation, metric])`,
//! `*` for "all") and the p-value of the paired test over the `d_u`
//! ([`CompareTest`]).
//!
//! **Verdict.** With `w = −mean_diff` when higher is better and
//! `w = mean_diff` otherwise (the worsening, in the metric's unit):
//! `Regression` iff `w > tolerance` and `p < alpha`; `Improvement` iff
//! `−w > tolerance` and `p < alpha`; else `Unchanged` (also when `n = 0`).
//!
//! **Worst samples.** Per group, the `worst_k` (dataset, sample,
//! perturbation, point) cells with the largest worsening `w` (class values
//! averaged), worsening > 0 only, largest first.
//!
//! **Classification conditions.** For a classification comparison, per
//! (model, dataset, perturbation, point) on the samples with a prediction
//! and the same truth on both sides: accuracy with McNemar's exact test
//! ([`mcnemar`](sensibench_metrics::mcnemar); CI: bootstrap of the per-sample correctness differences),
//! and per class the one-vs-rest ROC AUC with DeLong's paired test
//! ([`delong_paired`](sensibench_metrics::delong_paired); CI: `Δ ± z_{(1+level)/2} · se`). The metric names are
//! `accuracy` and `auc`; verdicts as above.

mod comparison;
mod conditions;
mod groups;
mod pairing;
mod provenance;
mod settings;
mod side;

pub use comparison::{
    Comparison, ConditionComparison, GroupComparison, NEWLY_FAILING_LISTED, PairCounts, RowKey,
    SideInfo, WorstSample,
};
pub use pairing::compare;
pub use provenance::{Difference, ModelHash, Provenance, differences, read_provenance};
pub use settings::{CompareSettings, CompareTest, Verdict, verdict};
pub use side::{ProbabilityRow, ScoreRow, Side, load_side};

#[cfg(test)]
mod tests;
