//! `regression:`, what a nightly comparison with the baseline calls a regression.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::checker::{Checker, backticked};
use crate::plan::{PairedTestKind, RegressionPlan, Task};
use crate::position::pos;
use crate::raw::{RawPairedTest, RawRegression, RawTolerance};

/// The metrics a classification suite's regression check compares: accuracy
/// (McNemar over samples) and one-vs-rest ROC AUC (paired DeLong).
pub const CLASSIFICATION_REGRESSION_METRICS: [&str; 2] = ["accuracy", "roc_auc"];

/// The regression settings; `primary` is the suite's primary metric.
pub(super) fn regression(
    ck: &mut Checker,
    raw: Option<&Spanned<RawRegression>>,
    task: Task,
    metrics: &[String],
    primary: Option<&str>,
) -> RegressionPlan {
    let allowed: Vec<String> = match task {
        Task::Segmentation => metrics.to_vec(),
        Task::Classification => CLASSIFICATION_REGRESSION_METRICS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let default_metrics: Vec<String> = match task {
        Task::Segmentation => primary
            .map(str::to_string)
            .or_else(|| metrics.first().cloned())
            .into_iter()
            .collect(),
        Task::Classification => allowed.clone(),
    };
    let Some(raw) = raw else {
        return RegressionPlan {
            metrics: default_metrics,
            tolerance: BTreeMap::new(),
            default_tolerance: None,
            test: PairedTestKind::Wilcoxon,
            alpha: 0.05,
        };
    };
    let r = &raw.value;
    let check_metric = |ck: &mut Checker, m: &Spanned<String>| {
        if !allowed.contains(&m.value) {
            ck.error(
                pos(m),
                format!(
                    "regression metric `{}` is not among {}",
                    m.value,
                    match task {
                        Task::Segmentation => "the suite's metrics: ".to_string(),
                        Task::Classification =>
                            "the classification regression metrics: ".to_string(),
                    } + &backticked(allowed.iter().map(String::as_str))
                ),
            );
        }
    };
    let chosen = match &r.metrics {
        Some(list) => {
            if list.value.is_empty() {
                ck.error(
                    pos(list),
                    "`regression.metrics` is empty; list at least one metric or leave the key out",
                );
            }
            for m in &list.value {
                check_metric(ck, m);
            }
            ck.check_unique(
                "regression metric",
                list.value.iter().map(|m| (m.value.as_str(), pos(m))),
                "",
            );
            list.value.iter().map(|m| m.value.clone()).collect()
        }
        None => default_metrics,
    };
    let (tolerance, default_tolerance) = tolerance(ck, r.tolerance.as_ref(), &chosen);
    let alpha = match &r.alpha {
        Some(a) => {
            if !(a.value > 0.0 && a.value < 1.0) {
                ck.error(
                    pos(a),
                    format!("`alpha` must be in (0, 1), got {}", a.value),
                );
            }
            a.value
        }
        None => 0.05,
    };
    let test = match r.test.as_ref().map(|t| t.value) {
        Some(RawPairedTest::Permutation) => PairedTestKind::Permutation,
        Some(RawPairedTest::Wilcoxon) | None => PairedTestKind::Wilcoxon,
    };
    RegressionPlan {
        metrics: chosen,
        tolerance,
        default_tolerance,
        test,
        alpha,
    }
}

/// `tolerance:`, one for every metric or one per regression metric
/// (`chosen`); the per-metric map and the one for every metric.
fn tolerance(
    ck: &mut Checker,
    raw: Option<&Spanned<RawTolerance>>,
    chosen: &[String],
) -> (BTreeMap<String, f64>, Option<f64>) {
    let tol_ok = |v: f64| v.is_finite() && v >= 0.0;
    let mut tolerance = BTreeMap::new();
    let mut default_tolerance = None;
    if let Some(t) = raw {
        match &t.value {
            RawTolerance::All(v) => {
                if !tol_ok(*v) {
                    ck.error(
                        pos(t),
                        format!("`tolerance` must be a finite number >= 0, got {v}"),
                    );
                }
                default_tolerance = Some(*v);
            }
            RawTolerance::PerMetric(list) => {
                for (k, v) in list {
                    if !chosen.contains(&k.value) {
                        ck.error(
                            pos(k),
                            format!(
                                "`tolerance` names `{}`, which is not a regression metric of this suite ({})",
                                k.value,
                                backticked(chosen.iter().map(String::as_str))
                            ),
                        );
                    }
                    if !tol_ok(v.value) {
                        ck.error(
                            pos(v),
                            format!(
                                "tolerance of `{}` must be a finite number >= 0, got {}",
                                k.value, v.value
                            ),
                        );
                    }
                    if tolerance.insert(k.value.clone(), v.value).is_some() {
                        ck.error(pos(k), format!("`tolerance` names `{}` twice", k.value));
                    }
                }
            }
        }
    }
    (tolerance, default_tolerance)
}
