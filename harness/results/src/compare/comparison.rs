//! The result of a comparison, serialised as its JSON: the sides, the
//! pairing counts, the newly failing rows, the groups and conditions.

use serde::{Deserialize, Serialize};

use super::provenance::{Difference, Provenance};
use super::settings::{CompareSettings, Verdict};
use super::side::Side;

/// Where a side comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideInfo {
    /// The folder.
    pub path: String,
    /// `run` or `baseline`.
    pub kind: String,
    /// Its provenance.
    pub provenance: Provenance,
}

/// Pairing counts (module documentation).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairCounts {
    /// Pairs with a finite value on both sides (the ones tested).
    pub paired: usize,
    /// Keys present in A only.
    pub only_in_a: usize,
    /// Keys present in B only.
    pub only_in_b: usize,
    /// Pairs ok on both sides but undefined (missing or non-finite) in A
    /// (dropped).
    pub nan_dropped: usize,
    /// Ok in A, and failed or undefined in B (an undefined value where the
    /// baseline had one, e.g. HD95 once a class is no longer predicted).
    pub newly_failing: usize,
    /// Failed in A, ok in B.
    pub newly_passing: usize,
    /// Failed on both sides.
    pub failed_both: usize,
}

/// The key of one paired row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowKey {
    /// The model.
    pub model: String,
    /// The dataset.
    pub dataset: String,
    /// The sample.
    pub sample: String,
    /// The perturbation.
    pub perturbation: String,
    /// The point.
    pub point: f64,
    /// The class.
    pub class: String,
    /// The metric.
    pub metric: String,
}

/// At most this many newly failing rows are listed (all are counted).
pub const NEWLY_FAILING_LISTED: usize = 100;

/// One of the worst-affected cells of a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorstSample {
    /// The dataset.
    pub dataset: String,
    /// The sample.
    pub sample: String,
    /// The perturbation.
    pub perturbation: String,
    /// The point.
    pub point: f64,
    /// The point's index.
    pub point_index: u32,
    /// Value in A (mean over classes).
    pub a: f64,
    /// Value in B.
    pub b: f64,
    /// `a − b` when higher is better, else `b − a` (> 0).
    pub worsening: f64,
}

/// The comparison of one group of rows (module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupComparison {
    /// The model.
    pub model: String,
    /// The dataset (`None`: all datasets, the per-model group).
    pub dataset: Option<String>,
    /// The perturbation (`None`: all perturbations).
    pub perturbation: Option<String>,
    /// The metric.
    pub metric: String,
    /// Number of independent units (samples) with at least one pair.
    pub n: usize,
    /// Number of paired rows.
    pub pairs: usize,
    /// Mean over units of the A values (NaN when `n = 0`).
    pub mean_a: f64,
    /// Mean over units of the B values.
    pub mean_b: f64,
    /// Mean over units of `b − a`.
    pub mean_diff: f64,
    /// Bootstrap CI of `mean_diff` (`None` when `n < 2`).
    pub ci: Option<(f64, f64)>,
    /// The paired test's two-sided p-value (1 when `n = 0`).
    pub p_value: f64,
    /// The test that gave it, e.g. `wilcoxon (exact)`.
    pub test: String,
    /// The metric's tolerance.
    pub tolerance: f64,
    /// Whether higher is better.
    pub higher_is_better: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// The worst cells, largest worsening first.
    pub worst: Vec<WorstSample>,
}

/// A classification test under one condition (module documentation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionComparison {
    /// The model.
    pub model: String,
    /// The dataset.
    pub dataset: String,
    /// The perturbation.
    pub perturbation: String,
    /// The point.
    pub point: f64,
    /// The point's index.
    pub point_index: u32,
    /// `accuracy` or `auc`.
    pub metric: String,
    /// The class (one-vs-rest AUC), `None` for accuracy.
    pub class: Option<String>,
    /// Paired samples.
    pub n: usize,
    /// Accuracy or AUC in A (NaN when undefined).
    pub a: f64,
    /// In B.
    pub b: f64,
    /// `b − a`.
    pub diff: f64,
    /// CI of `diff`.
    pub ci: Option<(f64, f64)>,
    /// p-value (McNemar exact, DeLong); 1 when the test is undefined.
    pub p_value: f64,
    /// `mcnemar (exact)` or `delong`.
    pub test: String,
    /// The metric's tolerance.
    pub tolerance: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// Why the test could not be run, e.g. too few positive cases.
    pub note: Option<String>,
}

/// The result of [`compare`](crate::compare::compare): serialised as the comparison's JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Side A (the reference, e.g. the baseline).
    pub a: SideInfo,
    /// Side B (the new run).
    pub b: SideInfo,
    /// The settings used.
    pub settings: CompareSettings,
    /// What differs in provenance.
    pub differences: Vec<Difference>,
    /// Pairing counts.
    pub counts: PairCounts,
    /// The first [`NEWLY_FAILING_LISTED`] newly failing rows.
    pub newly_failing: Vec<RowKey>,
    /// Per-model groups (sorted by model, metric), then per (model, dataset,
    /// perturbation) groups (sorted).
    pub groups: Vec<GroupComparison>,
    /// Classification only: per-condition McNemar and DeLong tests.
    pub conditions: Vec<ConditionComparison>,
}

impl Comparison {
    /// `true` when a group or condition regressed or a row newly fails.
    pub fn regressed(&self) -> bool {
        self.counts.newly_failing > 0
            || self.groups.iter().any(|g| g.verdict == Verdict::Regression)
            || self
                .conditions
                .iter()
                .any(|c| c.verdict == Verdict::Regression)
    }

    /// The regressed groups.
    pub fn regressions(&self) -> impl Iterator<Item = &GroupComparison> {
        self.groups
            .iter()
            .filter(|g| g.verdict == Verdict::Regression)
    }
}

pub(super) fn side_info(s: &Side) -> SideInfo {
    SideInfo {
        path: s.path.display().to_string(),
        kind: if s.is_baseline { "baseline" } else { "run" }.into(),
        provenance: s.provenance.clone(),
    }
}
