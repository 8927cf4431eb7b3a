//! How a comparison decides: the paired test, tolerances, directions of
//! better, and the verdict rule.

use std::collections::BTreeMap;

use sensibench_metrics::{ClassMetric, SegMetric};
use serde::{Deserialize, Serialize};

/// The paired test over samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompareTest {
    /// Wilcoxon signed-rank test
    /// ([`wilcoxon_signed_rank`](sensibench_metrics::paired::wilcoxon_signed_rank)).
    #[default]
    Wilcoxon,
    /// Sign-flip permutation test of the mean difference
    /// ([`sign_flip_permutation`](sensibench_metrics::paired::sign_flip_permutation)).
    Permutation,
}

/// How a comparison decides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareSettings {
    /// Per metric, the largest worsening that is not a regression (metric units).
    pub tolerance: BTreeMap<String, f64>,
    /// The tolerance of every metric not in `tolerance`.
    pub default_tolerance: f64,
    /// Significance level of the paired test.
    pub alpha: f64,
    /// The paired test over samples.
    pub test: CompareTest,
    /// Bootstrap resamples (and permutation-test resamples when `n > 16`).
    pub resamples: usize,
    /// Confidence level of the intervals, in `(0, 1)`.
    pub level: f64,
    /// Seed of the bootstrap and of the permutation test.
    pub seed: u64,
    /// Per metric, whether higher is better; metrics not listed: the
    /// segmentation or classification metric's own direction, `auc` higher,
    /// anything else higher.
    pub higher_is_better: BTreeMap<String, bool>,
    /// How many worst samples each group lists.
    pub worst_k: usize,
    /// The metrics compared (empty: every metric present on both sides).
    /// Classification: `accuracy` and/or `auc`.
    pub metrics: Vec<String>,
}

impl Default for CompareSettings {
    /// Tolerance 0.01 for scores in `[0, 1]` and 1 (mm) for the surface
    /// distances (`hausdorff`, `hd95`, `hd95_monai`, `assd`, `rmssd`), alpha
    /// 0.05, Wilcoxon, 2000 resamples, 95% intervals, seed 0, 5 worst samples,
    /// all metrics.
    fn default() -> Self {
        let tolerance = SegMetric::ALL
            .iter()
            .filter(|m| m.is_distance())
            .map(|m| (m.name().to_string(), 1.0))
            .collect();
        CompareSettings {
            tolerance,
            default_tolerance: 0.01,
            alpha: 0.05,
            test: CompareTest::Wilcoxon,
            resamples: 2000,
            level: 0.95,
            seed: 0,
            higher_is_better: BTreeMap::new(),
            worst_k: 5,
            metrics: Vec::new(),
        }
    }
}

impl CompareSettings {
    /// The tolerance of `metric`.
    pub fn tolerance_of(&self, metric: &str) -> f64 {
        self.tolerance
            .get(metric)
            .copied()
            .unwrap_or(self.default_tolerance)
    }

    /// Whether a higher `metric` is better.
    pub fn higher_is_better_of(&self, metric: &str) -> bool {
        if let Some(&h) = self.higher_is_better.get(metric) {
            return h;
        }
        if let Ok(m) = SegMetric::from_name(metric) {
            return m.higher_is_better();
        }
        if let Ok(m) = ClassMetric::from_name(metric) {
            return m.higher_is_better();
        }
        true
    }

    /// Whether `metric` is compared (every metric when `metrics` is empty).
    pub(super) fn keeps(&self, metric: &str) -> bool {
        self.metrics.is_empty() || self.metrics.iter().any(|m| m == metric)
    }
}

/// A group's (or condition's) verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Worse by more than the tolerance, and significant.
    Regression,
    /// Better by more than the tolerance, and significant.
    Improvement,
    /// Neither.
    Unchanged,
}

impl Verdict {
    /// `regression`, `improvement` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regression => "regression",
            Verdict::Improvement => "improvement",
            Verdict::Unchanged => "unchanged",
        }
    }
}

/// The verdict rule (module documentation).
pub fn verdict(
    mean_diff: f64,
    p_value: f64,
    tolerance: f64,
    alpha: f64,
    higher_is_better: bool,
) -> Verdict {
    if !mean_diff.is_finite() || p_value.is_nan() {
        return Verdict::Unchanged;
    }
    let worsening = if higher_is_better {
        -mean_diff
    } else {
        mean_diff
    };
    if p_value < alpha && worsening > tolerance {
        Verdict::Regression
    } else if p_value < alpha && -worsening > tolerance {
        Verdict::Improvement
    } else {
        Verdict::Unchanged
    }
}
