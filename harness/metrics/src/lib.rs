//! Segmentation metrics (Dice, IoU, Hausdorff, HD95, ASSD, RMS) with exact
//! Euclidean distance transforms, statistics for aggregating scores, and
//! summaries of robustness curves.
//!
//! - [`edt`]: exact, linear-time, spacing-aware Euclidean distance transform.
//! - [`seg`]: per-class metrics on [`sensibench_core::LabelMap`]s
//!   ([`SegMetric`], [`score_class`], [`score_all_classes`]), each registered
//!   once with its facts ([`MetricInfo`], [`seg_metric_info`]); the module
//!   documentation states every formula, the rules for empty masks and how
//!   to add a metric.
//! - [`stats`]: mean / sample std ignoring NaN, percentile bootstrap.
//! - [`robustness`]: normalised AUC, worst point, ROOD-MRI's OA and Deg.
//! - [`clinical`]: area (cm²; cm³ in 3D) and mean intensity (HU) of a class
//!   ([`ClinicalMeasure`]).
//! - [`agreement`]: Bland–Altman statistics, pairwise inter-observer scores
//!   and the human band, t-based confidence intervals across folds.
//! - [`dist`]: Student-t CDF and quantile, normal quantile, CDF and
//!   survival function, χ² survival function, exact binomial test.
//! - [`classification`]: confusion matrix, accuracy, balanced accuracy,
//!   macro F1, Cohen's kappa, ROC AUC, ECE ([`ClassMetric`], registered
//!   with their facts in [`ClassMetricInfo`], [`class_metric_info`]) and
//!   their percentile-bootstrap confidence intervals.
//! - [`paired`]: Wilcoxon signed-rank (as scipy), sign-flip permutation test
//!   and paired bootstrap CI of one set of paired differences.
//! - [`compare`]: paired tests of two models: DeLong (AUC), Stuart–Maxwell
//!   (marginal homogeneity of labels), McNemar (correctness).

// Tests may unwrap: a panic there is a test failure with a backtrace.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod agreement;
pub mod classification;
pub mod clinical;
pub mod compare;
pub mod dist;
pub mod edt;
pub mod paired;
mod registry;
pub mod robustness;
pub mod seg;
mod shape;
pub mod stats;

pub use agreement::{Band, BlandAltman, band_from_scores, bland_altman, fold_ci, pairwise_scores};
pub use classification::{
    ClassMetric, ClassMetricInfo, ConfusionMatrix, ECE_BINS, KappaWeights, bootstrap_ci,
    bootstrap_ci_diff, class_metric_info, expected_calibration_error, predicted_classes,
    roc_auc_binary, roc_auc_ovr_macro,
};
pub use clinical::{ClinicalMeasure, area_cm2, mean_intensity, mean_intensity_in_range};
pub use compare::{
    DeLongTest, McNemar, StuartMaxwell, delong_auc_ci, delong_paired, mcnemar, stuart_maxwell,
};
pub use dist::{chi2_sf, normal_cdf, normal_sf, student_t_cdf, student_t_quantile};
pub use edt::edt_squared;
pub use paired::{
    PermutationTest, WilcoxonTest, paired_bootstrap_ci, sign_flip_permutation, wilcoxon_signed_rank,
};
pub use seg::{MetricInfo, SegMetric, score_all_classes, score_class, seg_metric_info};
