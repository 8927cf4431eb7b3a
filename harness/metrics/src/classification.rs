//! Classification metrics on per-case class probabilities, with percentile
//! bootstrap confidence intervals.
//!
//! Conventions: `n` cases, `k ≥ 2` classes `0..k`; `truth[i]` is the true
//! class of case `i`; `probs` is row-major `n × k` (`probs[i·k + c]` is the
//! probability of class `c` for case `i`, as `f32`, evaluated in `f64`). The
//! predicted class is the argmax of a row, ties to the lower index (numpy
//! `argmax`). Undefined values are `None`, never NaN.
//!
//! **Confusion matrix** ([`ConfusionMatrix`]): `C[t][p]` = number of cases of
//! true class `t` predicted as `p` (sklearn `confusion_matrix(y_true, y_pred,
//! labels=range(k))`). With `n = Σ C`, row sums `r_t`, column sums `c_p`:
//! - accuracy `Σ_t C[t][t] / n`;
//! - balanced accuracy: the mean over the classes with `r_t > 0` of the
//!   recall `C[t][t] / r_t` (sklearn `balanced_accuracy_score`; classes
//!   absent from the truth are skipped);
//! - macro F1: the mean over the classes present in the truth *or* the
//!   predictions (`r_t + c_t > 0`, sklearn's default `labels`) of
//!   `F1_t = 2 C[t][t] / (r_t + c_t)` (sklearn `f1_score(average="macro",
//!   zero_division=0)`: a class that is predicted but never true, or true
//!   but never predicted, scores 0);
//! - Cohen's kappa `κ = 1 − Σ w_tp C[t][p] / Σ w_tp E[t][p]` with the
//!   chance table `E[t][p] = r_t c_p / n` and weights `w_tp = [t ≠ p]`
//!   (unweighted), `|t − p|` (linear) or `(t − p)²` (quadratic), on the
//!   class indices `0..k` ([`KappaWeights`]). `None` when
//!   `Σ w E = 0` (e.g. both raters use a single, same class). This is
//!   sklearn `cohen_kappa_score(truth, pred, weights=…,
//!   labels=range(k))`. **Note:** without `labels`, sklearn computes the
//!   weights on the indices of the classes *present* in either rating, so a
//!   class absent from both in the middle of the scale shrinks the linear /
//!   quadratic distances across it; we keep the distances of the class
//!   indices (stable across bootstrap resamples). The two agree whenever
//!   the present classes are `0..m` for some `m`, and always for the
//!   unweighted kappa.
//!
//! **ROC AUC** ([`roc_auc_binary`]): the Mann–Whitney form
//! `AUC = (Σ_{i positive} R_i − m(m + 1)/2) / (m n)` with `R_i` the midranks
//! (1-based, ties averaged) of the scores among all cases, `m` positives and
//! `n` negatives: the probability that a random positive scores above a
//! random negative, ties counting ½ (equal to sklearn `roc_auc_score`, the
//! trapezoidal area). One-vs-rest ([`roc_auc_ovr_macro`]): the unweighted
//! mean over classes `c` of the AUC of column `c` for `truth == c`; every
//! class must occur in the truth (sklearn raises otherwise; here `None`).
//! For `k = 2` it is the binary AUC of column 1, as sklearn.
//!
//! **Expected calibration error** ([`expected_calibration_error`]; Guo et
//! al. 2017, "On calibration of modern neural networks", top-label): the
//! confidence of case `i` is `p̂_i = max_c probs[i][c]`, its prediction the
//! argmax. With `M` equal-width bins `B_b = (b/M, (b+1)/M]`, `b = 0..M`
//! (bounds `b as f64 / M as f64`; a confidence of exactly 0 goes in bin 0),
//! `ECE = Σ_b |B_b|/n · |acc(B_b) − conf(B_b)|` where `acc` is the fraction
//! of correct predictions and `conf` the mean confidence in the bin (empty
//! bins contribute 0). The default number of bins is [`ECE_BINS`] = 15, as
//! in Guo et al. The probabilities are not required to sum to 1; a
//! confidence above 1 counts in the last bin, one below 0 in the first.
//!
//! **Bootstrap** ([`bootstrap_ci`], [`bootstrap_ci_diff`]): see the
//! functions.
//!
//! **Registry** ([`ClassMetric`], [`ClassMetricInfo`]): every fact of a
//! metric (name, direction, natural range, convention, compute) is one entry
//! of the table `CLASS_METRICS`, at the position of its variant in the enum
//! (checked when the crate is built; the test
//! `registry_table_holds_every_fact` fails for a variant without an entry).
//! Adding a metric: the variant, its entry, and its expected values in
//! `tests/reference/classification_reference.py` (re-run it and commit the
//! JSON) for `tests/classification_reference.rs`.

use sensibench_core::SeededRng;

use crate::registry::metrics_in_table_order;
use crate::seg::percentile_sorted;

/// Default number of equal-width confidence bins of
/// [`expected_calibration_error`] (Guo et al. 2017 use 15).
pub const ECE_BINS: usize = 15;

/// A `k × k` confusion matrix: rows are the true class, columns the
/// predicted class (see the module documentation for the metrics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    k: usize,
    counts: Vec<u64>,
}

/// Disagreement weights of Cohen's kappa ([`ConfusionMatrix::cohen_kappa`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KappaWeights {
    /// `w_tp = 1` if `t ≠ p`, else 0 (sklearn `weights=None`).
    Unweighted,
    /// `w_tp = |t − p|` (sklearn `weights="linear"`).
    Linear,
    /// `w_tp = (t − p)²` (sklearn `weights="quadratic"`).
    Quadratic,
}

impl KappaWeights {
    fn weight(self, t: usize, p: usize) -> f64 {
        let d = t.abs_diff(p) as f64;
        match self {
            KappaWeights::Unweighted => {
                if t == p {
                    0.0
                } else {
                    1.0
                }
            }
            KappaWeights::Linear => d,
            KappaWeights::Quadratic => d * d,
        }
    }
}

impl ConfusionMatrix {
    /// Counts the pairs `(truth[i], predicted[i])`.
    ///
    /// Errors if the slices differ in length, `k < 2`, or a label is `≥ k`.
    /// Empty input gives an all-zero matrix (whose metrics are `None`).
    pub fn new(truth: &[usize], predicted: &[usize], k: usize) -> Result<Self, String> {
        if k < 2 {
            return Err(format!(
                "confusion matrix: k = {k}, expected at least 2 classes"
            ));
        }
        if truth.len() != predicted.len() {
            return Err(format!(
                "confusion matrix: {} true labels but {} predicted labels, expected one prediction per case",
                truth.len(),
                predicted.len()
            ));
        }
        let cells = k
            .checked_mul(k)
            .ok_or_else(|| format!("confusion matrix: k = {k} is too large"))?;
        let mut counts = vec![0u64; cells];
        for (i, (&t, &p)) in truth.iter().zip(predicted).enumerate() {
            if t >= k || p >= k {
                return Err(format!(
                    "confusion matrix: case {i} has true class {t} and predicted class {p}, expected classes in 0..{k}"
                ));
            }
            counts[t * k + p] += 1;
        }
        Ok(ConfusionMatrix { k, counts })
    }

    /// Number of classes.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of cases of true class `t` predicted as `p` (0 if out of range).
    pub fn get(&self, t: usize, p: usize) -> u64 {
        if t < self.k && p < self.k {
            self.counts[t * self.k + p]
        } else {
            0
        }
    }

    /// The counts, row-major (`counts()[t·k + p]`).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Total number of cases.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn row_sum(&self, t: usize) -> u64 {
        self.counts[t * self.k..(t + 1) * self.k].iter().sum()
    }

    fn col_sum(&self, p: usize) -> u64 {
        (0..self.k).map(|t| self.counts[t * self.k + p]).sum()
    }

    /// Accuracy `Σ_t C[t][t] / n`; `None` if there are no cases.
    pub fn accuracy(&self) -> Option<f64> {
        let n = self.total();
        if n == 0 {
            return None;
        }
        let hits: u64 = (0..self.k).map(|t| self.get(t, t)).sum();
        Some(hits as f64 / n as f64)
    }

    /// Mean recall over the classes present in the truth (sklearn
    /// `balanced_accuracy_score`); `None` if there are no cases.
    pub fn balanced_accuracy(&self) -> Option<f64> {
        let recalls: Vec<f64> = (0..self.k)
            .filter_map(|t| {
                let r = self.row_sum(t);
                (r > 0).then(|| self.get(t, t) as f64 / r as f64)
            })
            .collect();
        if recalls.is_empty() {
            return None;
        }
        Some(recalls.iter().sum::<f64>() / recalls.len() as f64)
    }

    /// Macro-averaged F1 over the classes present in the truth or the
    /// predictions, `F1_t = 2 C[t][t] / (r_t + c_t)` (sklearn
    /// `f1_score(average="macro", zero_division=0)`); `None` if there are no
    /// cases.
    pub fn macro_f1(&self) -> Option<f64> {
        let f1s: Vec<f64> = (0..self.k)
            .filter_map(|t| {
                let denom = self.row_sum(t) + self.col_sum(t);
                (denom > 0).then(|| 2.0 * self.get(t, t) as f64 / denom as f64)
            })
            .collect();
        if f1s.is_empty() {
            return None;
        }
        Some(f1s.iter().sum::<f64>() / f1s.len() as f64)
    }

    /// Cohen's kappa with the given weights (module documentation);
    /// `None` if there are no cases or the expected disagreement `Σ w E` is 0.
    pub fn cohen_kappa(&self, weights: KappaWeights) -> Option<f64> {
        let n = self.total();
        if n == 0 {
            return None;
        }
        let k = self.k;
        let rows: Vec<f64> = (0..k).map(|t| self.row_sum(t) as f64).collect();
        let cols: Vec<f64> = (0..k).map(|p| self.col_sum(p) as f64).collect();
        let (mut observed, mut expected) = (0.0, 0.0);
        for (t, &r) in rows.iter().enumerate() {
            for (p, &c) in cols.iter().enumerate() {
                let w = weights.weight(t, p);
                observed += w * self.counts[t * k + p] as f64;
                expected += w * (r * c / n as f64);
            }
        }
        if expected == 0.0 {
            return None;
        }
        Some(1.0 - observed / expected)
    }
}

/// Midranks (1-based; tied values share the mean of their ranks) of
/// `values`, which must not contain NaN.
pub(crate) fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        // -0.0 and 0.0 are the same score.
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) share the rank ((i + 1) + j) / 2.
        let r = (i + 1 + j) as f64 / 2.0;
        for &o in &order[i..j] {
            ranks[o] = r;
        }
        i = j;
    }
    ranks
}

/// Area under the ROC curve of `scores` (higher = more likely positive)
/// for the labels `positive`: the Mann–Whitney statistic with midranks, ties
/// counting ½ (module documentation).
///
/// `None` if the lengths differ, a score is NaN, or either class is absent.
pub fn roc_auc_binary(scores: &[f64], positive: &[bool]) -> Option<f64> {
    if scores.len() != positive.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let m = positive.iter().filter(|&&p| p).count();
    let n = positive.len() - m;
    if m == 0 || n == 0 {
        return None;
    }
    let ranks = midranks(scores);
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|&(_, &p)| p)
        .map(|(r, _)| r)
        .sum();
    let (m, n) = (m as f64, n as f64);
    Some((rank_sum - m * (m + 1.0) / 2.0) / (m * n))
}

/// Checks the shape of `probs` (`n × k`, row-major) against `truth`: `k ≥ 2`,
/// `n ≥ 1`, labels `< k`, no NaN probability.
fn valid_probs(probs: &[f32], k: usize, truth: &[usize]) -> bool {
    k >= 2
        && !truth.is_empty()
        && truth.len().checked_mul(k) == Some(probs.len())
        && truth.iter().all(|&t| t < k)
        && !probs.iter().any(|p| p.is_nan())
}

/// Column `c` of the row-major `n × k` matrix `probs`, as `f64`.
fn column(probs: &[f32], k: usize, c: usize) -> Vec<f64> {
    probs.chunks_exact(k).map(|row| f64::from(row[c])).collect()
}

/// Index of the largest value of `row`, ties to the lower index.
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (c, &v) in row.iter().enumerate().skip(1) {
        if v > row[best] {
            best = c;
        }
    }
    best
}

/// Predicted classes (row argmax, ties to the lower index) of the row-major
/// `n × k` matrix `probs`. Empty if `k == 0`.
pub fn predicted_classes(probs: &[f32], k: usize) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    probs.chunks_exact(k).map(argmax).collect()
}

/// One-vs-rest macro ROC AUC (sklearn `roc_auc_score(truth, probs,
/// multi_class="ovr", average="macro")`): the mean over classes `c` of
/// [`roc_auc_binary`] of column `c` against `truth == c`. For `k = 2`, the
/// binary AUC of column 1 (as sklearn for binary targets).
///
/// `None` if `probs` is not `n × k` with `n = truth.len() ≥ 1`, `k < 2`, a
/// label is `≥ k`, a probability is NaN, or a class never occurs in `truth`.
pub fn roc_auc_ovr_macro(probs: &[f32], k: usize, truth: &[usize]) -> Option<f64> {
    if !valid_probs(probs, k, truth) {
        return None;
    }
    if k == 2 {
        let pos: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
        return roc_auc_binary(&column(probs, k, 1), &pos);
    }
    let mut sum = 0.0;
    for c in 0..k {
        let pos: Vec<bool> = truth.iter().map(|&t| t == c).collect();
        sum += roc_auc_binary(&column(probs, k, c), &pos)?;
    }
    Some(sum / k as f64)
}

/// Top-label expected calibration error with `bins` equal-width confidence
/// bins (module documentation; the default is [`ECE_BINS`]).
///
/// `None` if `bins == 0`, `probs` is not `n × k` with `n = truth.len() ≥ 1`,
/// `k < 2`, a label is `≥ k`, or a probability is NaN.
pub fn expected_calibration_error(
    probs: &[f32],
    k: usize,
    truth: &[usize],
    bins: usize,
) -> Option<f64> {
    if bins == 0 || !valid_probs(probs, k, truth) {
        return None;
    }
    let m = bins as f64;
    let edge = |b: usize| b as f64 / m;
    let mut count = vec![0u64; bins];
    let mut correct = vec![0u64; bins];
    let mut conf_sum = vec![0.0f64; bins];
    for (row, &t) in probs.chunks_exact(k).zip(truth) {
        let pred = argmax(row);
        let conf = f64::from(row[pred]);
        // Bin b holds (b/M, (b+1)/M]; start from ceil(conf·M) − 1 and fix
        // any rounding against the exact bounds.
        let mut b = ((conf * m).ceil() as i64 - 1).clamp(0, bins as i64 - 1) as usize;
        while b > 0 && conf <= edge(b) {
            b -= 1;
        }
        while b + 1 < bins && conf > edge(b + 1) {
            b += 1;
        }
        count[b] += 1;
        correct[b] += u64::from(pred == t);
        conf_sum[b] += conf;
    }
    let n = truth.len() as f64;
    let ece = (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| {
            let c = count[b] as f64;
            c / n * (correct[b] as f64 / c - conf_sum[b] / c).abs()
        })
        .sum();
    Some(ece)
}

/// A classification metric computed from class probabilities
/// ([`ClassMetric::compute`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassMetric {
    /// Fraction of cases whose argmax is the true class.
    Accuracy,
    /// Mean recall over the classes present in the truth.
    BalancedAccuracy,
    /// Macro F1 over the classes present in truth or prediction (zero_division = 0).
    MacroF1,
    /// ROC AUC: binary (column 1) for `k = 2`, else one-vs-rest macro.
    RocAuc,
    /// Unweighted Cohen's kappa between truth and argmax.
    Kappa,
    /// Linearly weighted Cohen's kappa (`|t − p|`).
    KappaLinear,
    /// Quadratically weighted Cohen's kappa (`(t − p)²`).
    KappaQuadratic,
    /// Top-label expected calibration error with [`ECE_BINS`] bins (lower is better).
    Ece,
}

/// Every fact of one classification metric, registered once in the table
/// read by [`ClassMetric::info`], [`class_metric_info`] and every method of
/// [`ClassMetric`].
#[derive(Clone, Copy, Debug)]
pub struct ClassMetricInfo {
    /// The metric.
    pub metric: ClassMetric,
    /// Registry (and serde) name, e.g. `"kappa_linear"`.
    pub name: &'static str,
    /// True if a larger value is a better classifier.
    pub higher_is_better: bool,
    /// Natural range `(min, max)` of the value (for probabilities in
    /// `[0, 1]`); `None` for an open end.
    pub range: (Option<f64>, Option<f64>),
    /// The convention followed and the reference implementation its
    /// reference test compares against.
    pub convention: &'static str,
    /// The metric of probabilities that passed `valid_probs`, `None` where
    /// undefined ([`ClassMetric::compute`]).
    compute: fn(&[f32], usize, &[usize]) -> Option<f64>,
}

/// `[0, 1]`: the range of a rate, an AUC or a calibration error.
const UNIT_INTERVAL: (Option<f64>, Option<f64>) = (Some(0.0), Some(1.0));
/// `[−1, 1]`: the range of Cohen's kappa, weighted or not.
const KAPPA_RANGE: (Option<f64>, Option<f64>) = (Some(-1.0), Some(1.0));

/// The registry: one entry per [`ClassMetric`], in the order of the enum's
/// variants (checked when the crate is built). This order is
/// [`ClassMetric::ALL`].
const CLASS_METRICS: &[ClassMetricInfo] = &[
    ClassMetricInfo {
        metric: ClassMetric::Accuracy,
        name: "accuracy",
        higher_is_better: true,
        range: UNIT_INTERVAL,
        convention: "sklearn `accuracy_score` of the row argmax (ties to the lower index, as \
                     numpy `argmax`)",
        compute: |probs, k, truth| predicted_confusion(probs, k, truth)?.accuracy(),
    },
    ClassMetricInfo {
        metric: ClassMetric::BalancedAccuracy,
        name: "balanced_accuracy",
        higher_is_better: true,
        range: UNIT_INTERVAL,
        convention: "sklearn `balanced_accuracy_score`: mean recall over the classes present in \
                     the truth",
        compute: |probs, k, truth| predicted_confusion(probs, k, truth)?.balanced_accuracy(),
    },
    ClassMetricInfo {
        metric: ClassMetric::MacroF1,
        name: "macro_f1",
        higher_is_better: true,
        range: UNIT_INTERVAL,
        convention: "sklearn `f1_score(average=\"macro\", zero_division=0)` over the classes \
                     present in the truth or the predictions",
        compute: |probs, k, truth| predicted_confusion(probs, k, truth)?.macro_f1(),
    },
    ClassMetricInfo {
        metric: ClassMetric::RocAuc,
        name: "roc_auc",
        higher_is_better: true,
        range: UNIT_INTERVAL,
        convention: "sklearn `roc_auc_score`: binary on column 1 for k = 2, else \
                     `multi_class=\"ovr\", average=\"macro\"`; undefined when a class is absent \
                     from the truth (sklearn raises)",
        compute: roc_auc_ovr_macro,
    },
    ClassMetricInfo {
        metric: ClassMetric::Kappa,
        name: "kappa",
        higher_is_better: true,
        range: KAPPA_RANGE,
        convention: "sklearn `cohen_kappa_score(labels=range(k))`; undefined when the expected \
                     disagreement is 0",
        compute: |probs, k, truth| predicted_kappa(probs, k, truth, KappaWeights::Unweighted),
    },
    ClassMetricInfo {
        metric: ClassMetric::KappaLinear,
        name: "kappa_linear",
        higher_is_better: true,
        range: KAPPA_RANGE,
        convention: "sklearn `cohen_kappa_score(weights=\"linear\", labels=range(k))`: weights \
                     on the class indices 0..k",
        compute: |probs, k, truth| predicted_kappa(probs, k, truth, KappaWeights::Linear),
    },
    ClassMetricInfo {
        metric: ClassMetric::KappaQuadratic,
        name: "kappa_quadratic",
        higher_is_better: true,
        range: KAPPA_RANGE,
        convention: "sklearn `cohen_kappa_score(weights=\"quadratic\", labels=range(k))`: \
                     weights on the class indices 0..k",
        compute: |probs, k, truth| predicted_kappa(probs, k, truth, KappaWeights::Quadratic),
    },
    ClassMetricInfo {
        metric: ClassMetric::Ece,
        name: "ece",
        higher_is_better: false,
        range: UNIT_INTERVAL,
        convention: "top-label ECE of Guo et al. 2017 with ECE_BINS = 15 equal-width bins \
                     (b/M, (b+1)/M]; reference: plain numpy",
        compute: |probs, k, truth| expected_calibration_error(probs, k, truth, ECE_BINS),
    },
];

/// The metrics in table order ([`ClassMetric::ALL`]): a build error unless
/// `CLASS_METRICS` follows the enum, which [`ClassMetric::info`] relies on.
const CLASS_TABLE_ORDER: [ClassMetric; CLASS_METRICS.len()] =
    metrics_in_table_order!(CLASS_METRICS, ClassMetric::Accuracy);

/// The confusion matrix of the argmax predictions of `probs` against
/// `truth`; `None` if it cannot be built.
fn predicted_confusion(probs: &[f32], k: usize, truth: &[usize]) -> Option<ConfusionMatrix> {
    let pred = predicted_classes(probs, k);
    ConfusionMatrix::new(truth, &pred, k).ok()
}

/// Cohen's kappa with `weights` of the argmax predictions of `probs`
/// against `truth`; `None` if undefined.
fn predicted_kappa(probs: &[f32], k: usize, truth: &[usize], weights: KappaWeights) -> Option<f64> {
    predicted_confusion(probs, k, truth)?.cohen_kappa(weights)
}

/// The registry entry of the classification metric called `name`
/// (`"accuracy"`, `"roc_auc"`, ...); `None` if no metric has that name.
pub fn class_metric_info(name: &str) -> Option<&'static ClassMetricInfo> {
    CLASS_METRICS.iter().find(|info| info.name == name)
}

impl ClassMetric {
    /// Every metric, in a stable order.
    pub const ALL: [ClassMetric; CLASS_METRICS.len()] = CLASS_TABLE_ORDER;

    /// Every fact of the metric: name, direction, natural range, convention.
    pub fn info(self) -> &'static ClassMetricInfo {
        &CLASS_METRICS[self as usize]
    }

    /// The registry name: `accuracy`, `balanced_accuracy`, `macro_f1`,
    /// `roc_auc`, `kappa`, `kappa_linear`, `kappa_quadratic`, `ece`.
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// The metric called `name`; an unknown name is an error listing the
    /// known names.
    pub fn from_name(name: &str) -> Result<Self, String> {
        class_metric_info(name)
            .map(|info| info.metric)
            .ok_or_else(|| {
                let known: Vec<&str> = CLASS_METRICS.iter().map(|info| info.name).collect();
                format!(
                    "unknown classification metric {name:?}; expected one of: {}",
                    known.join(", ")
                )
            })
    }

    /// True for every metric except the ECE.
    pub fn higher_is_better(&self) -> bool {
        self.info().higher_is_better
    }

    /// The metric of the row-major `n × k` probabilities `probs` against
    /// `truth` (predictions are the row argmax, ties to the lower index).
    ///
    /// `None` if the input is malformed (`probs.len() != n·k`, `n = 0`,
    /// `k < 2`, a label `≥ k`, a NaN probability) or the metric is
    /// undefined (e.g. ROC AUC with a class absent from the truth, kappa with
    /// zero expected disagreement).
    pub fn compute(&self, probs: &[f32], k: usize, truth: &[usize]) -> Option<f64> {
        if !valid_probs(probs, k, truth) {
            return None;
        }
        (self.info().compute)(probs, k, truth)
    }
}

/// Validated bootstrap parameters: `n ≥ 1` cases, `resamples ≥ 1`,
/// `0 < level < 1`.
fn bootstrap_ok(n: usize, resamples: usize, level: f64) -> bool {
    n > 0 && resamples > 0 && level > 0.0 && level < 1.0
}

/// Draws `n` case indices with replacement and gathers the resampled rows of
/// each probability matrix and the labels into the buffers.
fn resample(
    rng: &mut SeededRng,
    n: usize,
    k: usize,
    sources: &[&[f32]],
    truth: &[usize],
    out_probs: &mut [Vec<f32>],
    out_truth: &mut Vec<usize>,
) {
    for buf in out_probs.iter_mut() {
        buf.clear();
    }
    out_truth.clear();
    for _ in 0..n {
        let i = rng.below(n as u64) as usize;
        for (src, buf) in sources.iter().zip(out_probs.iter_mut()) {
            buf.extend_from_slice(&src[i * k..(i + 1) * k]);
        }
        out_truth.push(truth[i]);
    }
}

/// The defined values of `value` on `resamples` bootstrap resamples of the
/// `n = truth.len()` cases: each resample draws one set of case indices from
/// [`SeededRng::new(seed)`](SeededRng::new) (see [`resample`]), shared by
/// every matrix of `sources`; `value` gets the resampled matrices (in the
/// order of `sources`) and labels.
fn bootstrap_values(
    sources: &[&[f32]],
    k: usize,
    truth: &[usize],
    resamples: usize,
    seed: u64,
    value: impl Fn(&[Vec<f32>], &[usize]) -> Option<f64>,
) -> Vec<f64> {
    let n = truth.len();
    let mut rng = SeededRng::new(seed);
    let mut bufs: Vec<Vec<f32>> = sources.iter().map(|_| Vec::with_capacity(n * k)).collect();
    let mut t = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        resample(&mut rng, n, k, sources, truth, &mut bufs, &mut t);
        if let Some(v) = value(&bufs, &t) {
            values.push(v);
        }
    }
    values
}

/// The `(1 − level)/2` and `(1 + level)/2` percentiles (numpy linear
/// interpolation) of `values`; `None` if empty.
fn percentile_interval(mut values: Vec<f64>, level: f64) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let lo = percentile_sorted(&values, 100.0 * (1.0 - level) / 2.0);
    let hi = percentile_sorted(&values, 100.0 * (1.0 + level) / 2.0);
    Some((lo, hi))
}

/// Percentile-bootstrap confidence interval of `metric` over cases.
///
/// Each of the `resamples` resamples draws `n = truth.len()` cases with
/// replacement (indices from [`SeededRng::new(seed)`](SeededRng::new) via
/// `below(n)`, case by case, so the interval is bit-for-bit repeatable for a
/// seed) and computes [`ClassMetric::compute`] on them; resamples where the
/// metric is undefined (e.g. a class drawn zero times for the ROC AUC) are
/// skipped. Returns the `(1 − level)/2` and `(1 + level)/2` percentiles
/// (numpy linear interpolation) of the defined values (Efron's percentile
/// interval).
///
/// `None` if the input is malformed (as [`ClassMetric::compute`]),
/// `resamples == 0`, `level ∉ (0, 1)`, or no resample is defined.
pub fn bootstrap_ci(
    metric: ClassMetric,
    probs: &[f32],
    k: usize,
    truth: &[usize],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    let n = truth.len();
    if !bootstrap_ok(n, resamples, level) || !valid_probs(probs, k, truth) {
        return None;
    }
    let values = bootstrap_values(&[probs], k, truth, resamples, seed, |bufs, t| {
        metric.compute(&bufs[0], k, t)
    });
    percentile_interval(values, level)
}

/// Paired percentile-bootstrap confidence interval of
/// `metric(b) − metric(a)` for two models scored on the same cases.
///
/// As [`bootstrap_ci`], but each resample draws one set of case indices and
/// evaluates both models on it; resamples where either metric is undefined
/// are skipped. `None` if either probability matrix is malformed, the two
/// differ in length, `resamples == 0`, `level ∉ (0, 1)`, or no resample is
/// defined.
#[allow(clippy::too_many_arguments)]
pub fn bootstrap_ci_diff(
    metric: ClassMetric,
    probs_a: &[f32],
    probs_b: &[f32],
    k: usize,
    truth: &[usize],
    resamples: usize,
    level: f64,
    seed: u64,
) -> Option<(f64, f64)> {
    let n = truth.len();
    if !bootstrap_ok(n, resamples, level)
        || !valid_probs(probs_a, k, truth)
        || !valid_probs(probs_b, k, truth)
    {
        return None;
    }
    let sources = [probs_a, probs_b];
    let values = bootstrap_values(&sources, k, truth, resamples, seed, |bufs, t| {
        match (
            metric.compute(&bufs[0], k, t),
            metric.compute(&bufs[1], k, t),
        ) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        }
    });
    percentile_interval(values, level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_2x2_by_hand() {
        // truth/pred table [[20, 5], [10, 15]], n = 50: p_o = 35/50 = 0.7,
        // rows (25, 25), cols (30, 20): p_e = (25·30 + 25·20)/2500 = 0.5,
        // κ = (0.7 − 0.5)/(1 − 0.5) = 0.4. With k = 2 all weightings agree.
        let mut truth = vec![0; 25];
        truth.extend(vec![1; 25]);
        let mut pred = vec![0; 20];
        pred.extend(vec![1; 5]);
        pred.extend(vec![0; 10]);
        pred.extend(vec![1; 15]);
        let cm = ConfusionMatrix::new(&truth, &pred, 2).unwrap();
        assert_eq!(cm.counts(), &[20, 5, 10, 15]);
        assert_eq!(
            (cm.k(), cm.total(), cm.get(1, 0), cm.get(5, 0)),
            (2, 50, 10, 0)
        );
        for w in [
            KappaWeights::Unweighted,
            KappaWeights::Linear,
            KappaWeights::Quadratic,
        ] {
            assert!((cm.cohen_kappa(w).unwrap() - 0.4).abs() < 1e-15);
        }
        assert_eq!(cm.accuracy(), Some(0.7));
        // Recalls 20/25 and 15/25: 0.7. F1: 40/(25+30), 30/(25+20).
        assert!((cm.balanced_accuracy().unwrap() - 0.7).abs() < 1e-15);
        let f1 = (40.0 / 55.0 + 30.0 / 45.0) / 2.0;
        assert!((cm.macro_f1().unwrap() - f1).abs() < 1e-15);
    }

    #[test]
    fn weighted_kappa_and_absent_classes_by_hand() {
        // 3 classes, truth (0, 1, 2), pred (0, 2, 2): table diag (1, 0, 1),
        // C[1][2] = 1. rows (1, 1, 1), cols (1, 0, 2), E = r c / 3.
        // Linear: Σ w C = 1; Σ w E = (0·… ) = [row0: 0·1/3 + 1·0 + 2·2/3]
        // + [row1: 1·1/3 + 0 + 1·2/3] + [row2: 2·1/3 + 1·0 + 0] = 4/3 + 1 + 2/3 = 3,
        // κ = 1 − 1/3 = 2/3.
        let cm = ConfusionMatrix::new(&[0, 1, 2], &[0, 2, 2], 3).unwrap();
        let kl = cm.cohen_kappa(KappaWeights::Linear).unwrap();
        assert!((kl - 2.0 / 3.0).abs() < 1e-15, "{kl}");
        // Quadratic: Σ w C = 1; Σ w E = 8/3 + 1 + 4/3 = 5, κ = 0.8.
        let kq = cm.cohen_kappa(KappaWeights::Quadratic).unwrap();
        assert!((kq - 0.8).abs() < 1e-15, "{kq}");
        // Class 1 is never predicted: F1 = (1, 0, 2/3)/3; balanced accuracy
        // = (1 + 0 + 1)/3.
        assert!((cm.macro_f1().unwrap() - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-15);
        assert!((cm.balanced_accuracy().unwrap() - 2.0 / 3.0).abs() < 1e-15);
        // A class absent from truth and prediction is not averaged in F1.
        let cm = ConfusionMatrix::new(&[0, 1], &[0, 1], 4).unwrap();
        assert_eq!(cm.macro_f1(), Some(1.0));
        // Single class used by both: kappa undefined.
        let cm = ConfusionMatrix::new(&[1, 1], &[1, 1], 3).unwrap();
        assert_eq!(cm.cohen_kappa(KappaWeights::Unweighted), None);
        assert_eq!(cm.accuracy(), Some(1.0));
        let empty = ConfusionMatrix::new(&[], &[], 2).unwrap();
        assert_eq!((empty.accuracy(), empty.macro_f1()), (None, None));
        assert_eq!(empty.balanced_accuracy(), None);
    }

    #[test]
    fn confusion_matrix_errors() {
        assert!(ConfusionMatrix::new(&[0, 1], &[0], 2).is_err());
        assert!(ConfusionMatrix::new(&[0, 2], &[0, 1], 2).is_err());
        assert!(ConfusionMatrix::new(&[0, 0], &[0, 0], 1).is_err());
    }

    #[test]
    fn auc_four_samples_by_hand() {
        // Positives score 0.8, 0.4; negatives 0.4, 0.1. Pairs: (0.8 > 0.4),
        // (0.8 > 0.1), (0.4 = 0.4 → ½), (0.4 > 0.1): 3.5/4 = 0.875.
        let auc = roc_auc_binary(&[0.8, 0.4, 0.4, 0.1], &[true, true, false, false]).unwrap();
        assert_eq!(auc, 0.875);
        assert_eq!(midranks(&[0.8, 0.4, 0.4, 0.1]), vec![4.0, 2.5, 2.5, 1.0]);
        assert_eq!(roc_auc_binary(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(roc_auc_binary(&[0.1, 0.2], &[true]), None);
        assert_eq!(roc_auc_binary(&[f64::NAN, 0.2], &[true, false]), None);
        // All tied: ½.
        assert_eq!(
            roc_auc_binary(&[0.3; 4], &[true, false, true, false]),
            Some(0.5)
        );
    }

    #[test]
    fn ece_by_hand() {
        // Two bins: (0, ½], (½, 1]. Cases (conf, correct): (0.9, yes),
        // (0.7, no), (0.5, yes) → bin 0 gets 0.5 (closed above).
        // Bin 1: 2 cases, acc ½, conf 0.8 → 2/3 · 0.3; bin 0: 1 case,
        // acc 1, conf 0.5 → 1/3 · 0.5. ECE = 0.2 + 1/6.
        let probs = [0.9f32, 0.1, 0.3, 0.7, 0.5, 0.5];
        let truth = [0, 0, 0];
        let ece = expected_calibration_error(&probs, 2, &truth, 2).unwrap();
        let want = 2.0 / 3.0 * (0.5 - f64::from(0.9f32) / 2.0 - f64::from(0.7f32) / 2.0).abs()
            + 1.0 / 3.0 * 0.5;
        assert!((ece - want).abs() < 1e-15, "{ece} {want}");
        assert!((want - (0.2 + 1.0 / 6.0)).abs() < 1e-7);
        assert_eq!(expected_calibration_error(&probs, 2, &truth, 0), None);
        assert_eq!(expected_calibration_error(&probs, 2, &truth[..2], 15), None);
        // Confidence 0 goes in bin 0.
        let zero = expected_calibration_error(&[0.0, 0.0], 2, &[1], 15).unwrap();
        assert_eq!(zero, 0.0);
    }

    #[test]
    fn metric_names_round_trip() {
        for m in ClassMetric::ALL {
            assert_eq!(ClassMetric::from_name(m.name()), Ok(m));
            assert_eq!(m.higher_is_better(), m != ClassMetric::Ece);
        }
        let err = ClassMetric::from_name("auc").unwrap_err();
        assert!(
            err.contains("roc_auc") && err.contains("kappa_quadratic"),
            "{err}"
        );
    }

    #[test]
    fn registry_table_holds_every_fact() {
        let names = ClassMetric::ALL.map(|m| m.name());
        assert_eq!(
            names,
            [
                "accuracy",
                "balanced_accuracy",
                "macro_f1",
                "roc_auc",
                "kappa",
                "kappa_linear",
                "kappa_quadratic",
                "ece"
            ]
        );
        for (i, m) in ClassMetric::ALL.into_iter().enumerate() {
            let info = m.info();
            assert_eq!((info.metric, m as usize), (m, i));
            assert_eq!(class_metric_info(m.name()).map(|e| e.metric), Some(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.name())
            );
            assert!(!info.convention.is_empty());
            let kappa = matches!(
                m,
                ClassMetric::Kappa | ClassMetric::KappaLinear | ClassMetric::KappaQuadratic
            );
            let want = if kappa { -1.0 } else { 0.0 };
            assert_eq!(info.range, (Some(want), Some(1.0)));
        }
        assert!(class_metric_info("auc").is_none());
        // Every variant serde knows (listed in its error) has its entry.
        let err = serde_json::from_str::<ClassMetric>("\"?\"").unwrap_err();
        let listed = format!("expected one of `{}` at line", names.join("`, `"));
        assert!(err.to_string().contains(&listed), "{err}");
    }

    fn toy(n: usize, k: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
        let mut rng = SeededRng::new(seed);
        let truth: Vec<usize> = (0..n).map(|i| i % k).collect();
        let mut probs = Vec::with_capacity(n * k);
        for &t in &truth {
            let mut row: Vec<f64> = (0..k)
                .map(|c| (rng.normal() + if c == t { 1.5 } else { 0.0 }).exp())
                .collect();
            let s: f64 = row.iter().sum();
            row.iter_mut().for_each(|v| *v /= s);
            probs.extend(row.iter().map(|&v| v as f32));
        }
        (probs, truth)
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_estimate() {
        let (probs, truth) = toy(60, 3, 4);
        for m in ClassMetric::ALL {
            let a = bootstrap_ci(m, &probs, 3, &truth, 300, 0.95, 7).unwrap();
            assert_eq!(a, bootstrap_ci(m, &probs, 3, &truth, 300, 0.95, 7).unwrap());
            // Continuous metrics: another seed gives another interval.
            if matches!(m, ClassMetric::RocAuc | ClassMetric::Ece) {
                assert_ne!(a, bootstrap_ci(m, &probs, 3, &truth, 300, 0.95, 8).unwrap());
            }
            let est = m.compute(&probs, 3, &truth).unwrap();
            assert!(a.0 <= est && est <= a.1, "{}: {a:?} {est}", m.name());
        }
        assert_eq!(
            bootstrap_ci(ClassMetric::Accuracy, &probs, 3, &truth, 0, 0.95, 1),
            None
        );
        assert_eq!(
            bootstrap_ci(ClassMetric::Accuracy, &probs, 3, &truth, 10, 1.0, 1),
            None
        );
        assert_eq!(
            bootstrap_ci(ClassMetric::Accuracy, &probs, 3, &truth[1..], 10, 0.9, 1),
            None
        );
        assert_eq!(
            bootstrap_ci(ClassMetric::Accuracy, &[], 3, &[], 10, 0.9, 1),
            None
        );
    }

    #[test]
    fn paired_bootstrap_of_a_model_with_itself_is_zero() {
        let (pa, truth) = toy(50, 2, 1);
        let (pb, _) = toy(50, 2, 2);
        let same = bootstrap_ci_diff(ClassMetric::RocAuc, &pa, &pa, 2, &truth, 200, 0.9, 3);
        assert_eq!(same, Some((0.0, 0.0)));
        let d = bootstrap_ci_diff(ClassMetric::RocAuc, &pa, &pb, 2, &truth, 200, 0.9, 3).unwrap();
        let est = ClassMetric::RocAuc.compute(&pb, 2, &truth).unwrap()
            - ClassMetric::RocAuc.compute(&pa, 2, &truth).unwrap();
        assert!(d.0 <= est && est <= d.1, "{d:?} {est}");
        assert_eq!(
            d,
            bootstrap_ci_diff(ClassMetric::RocAuc, &pa, &pb, 2, &truth, 200, 0.9, 3).unwrap()
        );
        assert_eq!(
            bootstrap_ci_diff(ClassMetric::RocAuc, &pa, &pb[2..], 2, &truth, 200, 0.9, 3),
            None
        );
    }
}
