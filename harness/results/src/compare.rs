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
//! ([`mcnemar`]; CI: bootstrap of the per-sample correctness differences),
//! and per class the one-vs-rest ROC AUC with DeLong's paired test
//! ([`delong_paired`]; CI: `Δ ± z_{(1+level)/2} · se`). The metric names are
//! `accuracy` and `auc`; verdicts as above.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sensibench_core::derive_seed;
use sensibench_metrics::dist::normal_quantile;
use sensibench_metrics::paired::{
    paired_bootstrap_ci, sign_flip_permutation, wilcoxon_signed_rank,
};
use sensibench_metrics::{ClassMetric, SegMetric, delong_paired, mcnemar};
use serde::{Deserialize, Serialize};

use crate::aggregate::{f64s, perr, strings, u32s};
use crate::store::{Status, parquet_files, scan_files};
use crate::{Result, ResultsError};

/// A model's name and the SHA-256 of its file (`""` for built-in models).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelHash {
    /// The model's name in the suite.
    pub name: String,
    /// SHA-256 of the model file.
    #[serde(default)]
    pub hash: String,
}

/// Where a run's numbers come from: the fields of `manifest.json` (or
/// `baseline.json`) a comparison looks at. Unknown fields are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Provenance {
    /// The suite's name.
    pub suite: String,
    /// SHA-256 of the suite file.
    pub suite_hash: String,
    /// The suite's seed.
    pub seed: u64,
    /// The run identifier.
    pub run_id: String,
    /// When the run was made (ISO 8601, UTC).
    pub created: String,
    /// The harness version.
    pub harness_version: String,
    /// The harness checkout's git sha.
    pub git_sha: String,
    /// `segmentation` or `classification`.
    pub task: String,
    /// The models and their hashes.
    pub models: Vec<ModelHash>,
    /// The metrics of the run (of a baseline: the metrics kept).
    pub metrics: Vec<String>,
    /// The suite's primary metric.
    pub primary_metric: String,
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance {
            suite: String::new(),
            suite_hash: String::new(),
            seed: 0,
            run_id: String::new(),
            created: String::new(),
            harness_version: String::new(),
            git_sha: String::new(),
            task: "segmentation".into(),
            models: Vec::new(),
            metrics: Vec::new(),
            primary_metric: String::new(),
        }
    }
}

/// One metric value of a segmentation run (or one sample's correctness
/// under one condition of a classification run): the pairing key, the value
/// and whether the row succeeded.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRow {
    /// The model.
    pub model: String,
    /// The dataset.
    pub dataset: String,
    /// The sample id.
    pub sample: String,
    /// The perturbation's label (`none` for the clean images).
    pub perturbation: String,
    /// The parameter value.
    pub point: f64,
    /// The point's index in the perturbation's grid.
    pub point_index: u32,
    /// The class (label name); empty for whole-image metrics.
    pub class: String,
    /// The metric.
    pub metric: String,
    /// The value (`None` for failed rows).
    pub value: Option<f64>,
    /// `true` for status `ok`.
    pub ok: bool,
}

/// One class probability of a classification run.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbabilityRow {
    /// The model.
    pub model: String,
    /// The dataset.
    pub dataset: String,
    /// The sample id.
    pub sample: String,
    /// The perturbation's label.
    pub perturbation: String,
    /// The parameter value.
    pub point: f64,
    /// The point's index in the perturbation's grid.
    pub point_index: u32,
    /// The class this probability is for.
    pub class: String,
    /// Its index.
    pub class_index: u32,
    /// The reference class.
    pub truth: Option<u32>,
    /// The predicted class.
    pub predicted: Option<u32>,
    /// The probability.
    pub probability: Option<f64>,
    /// `true` for status `ok`.
    pub ok: bool,
}

/// One side of a comparison, as loaded by [`load_side`].
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    /// The folder it was loaded from.
    pub path: PathBuf,
    /// `true` for a baseline folder, `false` for a run folder.
    pub is_baseline: bool,
    /// Its provenance.
    pub provenance: Provenance,
    /// Segmentation rows (empty for classification).
    pub rows: Vec<ScoreRow>,
    /// Classification rows (empty for segmentation).
    pub probabilities: Vec<ProbabilityRow>,
}

impl Side {
    /// `true` when the side is a classification run.
    pub fn is_classification(&self) -> bool {
        self.provenance.task == "classification"
    }

    /// The rows that are paired: the segmentation rows, or for
    /// classification one `accuracy` row per sample and condition (module
    /// documentation).
    pub fn score_rows(&self) -> Vec<ScoreRow> {
        if !self.is_classification() {
            return self.rows.clone();
        }
        let mut by: BTreeMap<CellKey, ScoreRow> = BTreeMap::new();
        for p in &self.probabilities {
            let key = (
                p.model.clone(),
                p.dataset.clone(),
                p.sample.clone(),
                p.perturbation.clone(),
                point_bits(p.point),
            );
            let correct = match (p.ok, p.truth, p.predicted) {
                (true, Some(t), Some(q)) => Some(if t == q { 1.0 } else { 0.0 }),
                _ => None,
            };
            let row = by.entry(key).or_insert_with(|| ScoreRow {
                model: p.model.clone(),
                dataset: p.dataset.clone(),
                sample: p.sample.clone(),
                perturbation: p.perturbation.clone(),
                point: p.point,
                point_index: p.point_index,
                class: String::new(),
                metric: "accuracy".into(),
                value: correct,
                ok: correct.is_some(),
            });
            if correct.is_none() {
                row.ok = false;
                row.value = None;
            }
        }
        by.into_values().collect()
    }
}

type CellKey = (String, String, String, String, u64);

/// The bits of a point value with `-0.0` folded into `0.0` (a map key).
fn point_bits(p: f64) -> u64 {
    if p == 0.0 { 0 } else { p.to_bits() }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, message: impl Into<String>) -> ResultsError {
    ResultsError::Polars {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads the provenance JSON at `path` (`manifest.json` or `baseline.json`).
pub fn read_provenance(path: &Path) -> Result<Provenance> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|e| {
        invalid(
            path,
            format!("expected a run manifest or baseline.json: {e}"),
        )
    })
}

/// Loads one side of a comparison: a run folder (`manifest.json` with
/// `parts/` or `predictions/`) or a baseline folder (`baseline.json` with
/// `rows.parquet`).
///
/// # Errors
/// When the folder has neither `manifest.json` nor `baseline.json`, the JSON
/// does not parse, or the parquet files are missing or lack a column.
pub fn load_side(path: &Path) -> Result<Side> {
    let baseline_json = path.join(crate::baseline::BASELINE_JSON);
    let manifest_json = path.join("manifest.json");
    let (is_baseline, provenance, files, dir) = if baseline_json.is_file() {
        let prov = read_provenance(&baseline_json)?;
        let rows = path.join(crate::baseline::BASELINE_ROWS);
        if !rows.is_file() {
            return Err(invalid(
                &rows,
                "missing: a baseline folder needs baseline.json and rows.parquet",
            ));
        }
        (true, prov, vec![rows], path.to_path_buf())
    } else if manifest_json.is_file() {
        let prov = read_provenance(&manifest_json)?;
        let dir = if prov.task == "classification" {
            path.join("predictions")
        } else {
            path.join("parts")
        };
        let files = parquet_files(&dir);
        if files.is_empty() && parquet_files(&path.join("efficiency")).is_empty() {
            return Err(ResultsError::NoParts(path.to_path_buf()));
        }
        (false, prov, files, dir)
    } else {
        return Err(invalid(
            path,
            "not a run folder (no manifest.json) nor a baseline folder (no baseline.json)",
        ));
    };
    let mut side = Side {
        path: path.to_path_buf(),
        is_baseline,
        provenance,
        rows: Vec::new(),
        probabilities: Vec::new(),
    };
    if !files.is_empty() {
        let df = scan_files(&dir, &files)?.collect().map_err(perr(&dir))?;
        if side.is_classification() {
            side.probabilities = probability_rows(&df).map_err(perr(&dir))?;
        } else {
            side.rows = score_rows(&df).map_err(perr(&dir))?;
        }
    }
    if !is_baseline {
        let eff = path.join("efficiency");
        let eff_files = parquet_files(&eff);
        if !eff_files.is_empty() {
            let df = scan_files(&eff, &eff_files)?
                .collect()
                .map_err(perr(&eff))?;
            side.rows
                .extend(efficiency_score_rows(&df).map_err(perr(&eff))?);
        }
    }
    Ok(side)
}

/// The rows of a data-efficiency study as comparison rows: the model is the
/// pretraining source, the perturbation `efficiency n=<training size>`, the
/// point the repeat (each sample is held out in exactly one fold per repeat,
/// so (source, dataset, sample, size, repeat, class, metric) is unique).
fn efficiency_score_rows(df: &DataFrame) -> PolarsResult<Vec<ScoreRow>> {
    let source = strings(df, "source")?;
    let dataset = strings(df, "dataset")?;
    let sample = strings(df, "sample")?;
    let n_label = strings(df, "n_label")?;
    let repeat = u32s(df, "repeat")?;
    let class = strings(df, "class")?;
    let metric = strings(df, "metric")?;
    let value = f64s(df, "value")?;
    let ok = oks(df)?;
    Ok((0..df.height())
        // the clinical measures (area, mean HU) have no direction of better:
        // only the segmentation metrics are compared
        .filter(|&i| SegMetric::from_name(&metric[i]).is_ok())
        .map(|i| ScoreRow {
            model: source[i].clone(),
            dataset: dataset[i].clone(),
            sample: sample[i].clone(),
            perturbation: format!("efficiency n={}", n_label[i]),
            point: f64::from(repeat[i]),
            point_index: repeat[i],
            class: class[i].clone(),
            metric: metric[i].clone(),
            value: value[i],
            ok: ok[i],
        })
        .collect())
}

fn oks(df: &DataFrame) -> PolarsResult<Vec<bool>> {
    Ok(strings(df, "status")?
        .into_iter()
        .map(|s| s == Status::Ok.as_str())
        .collect())
}

fn opt_u32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u32>>> {
    Ok(df
        .column(name)?
        .cast(&DataType::UInt32)?
        .u32()?
        .iter()
        .collect())
}

fn score_rows(df: &DataFrame) -> PolarsResult<Vec<ScoreRow>> {
    let model = strings(df, "model")?;
    let dataset = strings(df, "dataset")?;
    let sample = strings(df, "sample")?;
    let pert = strings(df, "perturbation")?;
    let point = f64s(df, "point")?;
    let pidx = u32s(df, "point_index")?;
    let class = strings(df, "class")?;
    let metric = strings(df, "metric")?;
    let value = f64s(df, "value")?;
    let ok = oks(df)?;
    Ok((0..df.height())
        .map(|i| ScoreRow {
            model: model[i].clone(),
            dataset: dataset[i].clone(),
            sample: sample[i].clone(),
            perturbation: pert[i].clone(),
            point: point[i].unwrap_or(f64::NAN),
            point_index: pidx[i],
            class: class[i].clone(),
            metric: metric[i].clone(),
            value: value[i],
            ok: ok[i],
        })
        .collect())
}

fn probability_rows(df: &DataFrame) -> PolarsResult<Vec<ProbabilityRow>> {
    let model = strings(df, "model")?;
    let dataset = strings(df, "dataset")?;
    let sample = strings(df, "sample")?;
    let pert = strings(df, "perturbation")?;
    let point = f64s(df, "point")?;
    let pidx = u32s(df, "point_index")?;
    let class = strings(df, "class")?;
    let cidx = u32s(df, "class_index")?;
    let truth = opt_u32s(df, "truth")?;
    let predicted = opt_u32s(df, "predicted")?;
    let prob = f64s(df, "probability")?;
    let ok = oks(df)?;
    Ok((0..df.height())
        .map(|i| ProbabilityRow {
            model: model[i].clone(),
            dataset: dataset[i].clone(),
            sample: sample[i].clone(),
            perturbation: pert[i].clone(),
            point: point[i].unwrap_or(f64::NAN),
            point_index: pidx[i],
            class: class[i].clone(),
            class_index: cidx[i],
            truth: truth[i],
            predicted: predicted[i],
            probability: prob[i],
            ok: ok[i],
        })
        .collect())
}

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

    fn keeps(&self, metric: &str) -> bool {
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

/// One provenance field that differs between the sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// What differs, e.g. `suite hash`, `model \`unet\` hash`, `model \`x\``.
    pub what: String,
    /// Its value on side A (`(absent)` when missing).
    pub a: String,
    /// Its value on side B.
    pub b: String,
}

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

/// The A and B values of one unit or cell, in pairing order.
type PairedValues = (Vec<f64>, Vec<f64>);
/// A cell of a group: (dataset, sample, perturbation, point's bits).
type GroupCell<'a> = (&'a str, &'a str, &'a str, u64);
/// One sample's probabilities by class index.
type ClassProbabilities = BTreeMap<u32, f64>;

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

/// The result of [`compare`]: serialised as the comparison's JSON.
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

fn side_info(s: &Side) -> SideInfo {
    SideInfo {
        path: s.path.display().to_string(),
        kind: if s.is_baseline { "baseline" } else { "run" }.into(),
        provenance: s.provenance.clone(),
    }
}

/// What differs between the provenances (module documentation): suite hash,
/// each model's hash, models on one side only, harness version, git sha,
/// seed, task (and the suite's name).
pub fn differences(a: &Provenance, b: &Provenance) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |what: String, x: String, y: String| {
        if x != y {
            out.push(Difference { what, a: x, b: y });
        }
    };
    push("suite".into(), a.suite.clone(), b.suite.clone());
    push(
        "suite hash".into(),
        a.suite_hash.clone(),
        b.suite_hash.clone(),
    );
    push("task".into(), a.task.clone(), b.task.clone());
    push("seed".into(), a.seed.to_string(), b.seed.to_string());
    push(
        "harness version".into(),
        a.harness_version.clone(),
        b.harness_version.clone(),
    );
    push("git sha".into(), a.git_sha.clone(), b.git_sha.clone());
    let ma: BTreeMap<&str, &str> = a
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.hash.as_str()))
        .collect();
    let mb: BTreeMap<&str, &str> = b
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.hash.as_str()))
        .collect();
    let names: BTreeSet<&str> = ma.keys().chain(mb.keys()).copied().collect();
    const ABSENT: &str = "(absent)";
    for name in names {
        match (ma.get(name), mb.get(name)) {
            (Some(x), Some(y)) => {
                push(format!("model `{name}` hash"), x.to_string(), y.to_string())
            }
            (Some(x), None) => push(format!("model `{name}`"), x.to_string(), ABSENT.into()),
            (None, Some(y)) => push(format!("model `{name}`"), ABSENT.into(), y.to_string()),
            (None, None) => {}
        }
    }
    out
}

type PairKey = (String, String, String, String, u64, String, String);

fn key_of(r: &ScoreRow) -> PairKey {
    (
        r.model.clone(),
        r.dataset.clone(),
        r.sample.clone(),
        r.perturbation.clone(),
        point_bits(r.point),
        r.class.clone(),
        r.metric.clone(),
    )
}

/// One finite pair.
struct Pair<'a> {
    row: &'a ScoreRow,
    a: f64,
    b: f64,
}

/// Compares side `a` (the reference) with side `b` (module documentation).
pub fn compare(a: &Side, b: &Side, settings: &CompareSettings) -> Comparison {
    let rows_a = a.score_rows();
    let rows_b = b.score_rows();
    let map_a: BTreeMap<PairKey, &ScoreRow> = rows_a
        .iter()
        .filter(|r| settings.keeps(&r.metric))
        .map(|r| (key_of(r), r))
        .collect();
    let map_b: BTreeMap<PairKey, &ScoreRow> = rows_b
        .iter()
        .filter(|r| settings.keeps(&r.metric))
        .map(|r| (key_of(r), r))
        .collect();
    let mut counts = PairCounts::default();
    let mut newly_failing = Vec::new();
    let mut pairs: Vec<Pair<'_>> = Vec::new();
    for (k, ra) in &map_a {
        let Some(rb) = map_b.get(k) else {
            counts.only_in_a += 1;
            continue;
        };
        match (ra.ok, rb.ok) {
            (true, false) => {
                counts.newly_failing += 1;
                if newly_failing.len() < NEWLY_FAILING_LISTED {
                    newly_failing.push(RowKey {
                        model: ra.model.clone(),
                        dataset: ra.dataset.clone(),
                        sample: ra.sample.clone(),
                        perturbation: ra.perturbation.clone(),
                        point: ra.point,
                        class: ra.class.clone(),
                        metric: ra.metric.clone(),
                    });
                }
            }
            (false, true) => counts.newly_passing += 1,
            (false, false) => counts.failed_both += 1,
            (true, true) => match (ra.value, rb.value) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                    pairs.push(Pair {
                        row: ra,
                        a: x,
                        b: y,
                    });
                }
                // defined in A, undefined in B (e.g. a surface distance
                // once the model stops predicting the class): a failure
                (Some(x), y) if x.is_finite() && !y.is_some_and(f64::is_finite) => {
                    counts.newly_failing += 1;
                    if newly_failing.len() < NEWLY_FAILING_LISTED {
                        newly_failing.push(RowKey {
                            model: ra.model.clone(),
                            dataset: ra.dataset.clone(),
                            sample: ra.sample.clone(),
                            perturbation: ra.perturbation.clone(),
                            point: ra.point,
                            class: ra.class.clone(),
                            metric: ra.metric.clone(),
                        });
                    }
                }
                _ => counts.nan_dropped += 1,
            },
        }
    }
    counts.only_in_b = map_b.keys().filter(|k| !map_a.contains_key(*k)).count();
    counts.paired = pairs.len();

    // Per-model groups: unit = dataset/sample; per-perturbation groups: unit = sample.
    let mut per_model: BTreeMap<(String, String), Vec<&Pair<'_>>> = BTreeMap::new();
    let mut per_pert: BTreeMap<(String, String, String, String), Vec<&Pair<'_>>> = BTreeMap::new();
    for p in &pairs {
        let r = p.row;
        per_model
            .entry((r.model.clone(), r.metric.clone()))
            .or_default()
            .push(p);
        per_pert
            .entry((
                r.model.clone(),
                r.dataset.clone(),
                r.perturbation.clone(),
                r.metric.clone(),
            ))
            .or_default()
            .push(p);
    }
    let mut groups = Vec::new();
    for ((model, metric), ps) in &per_model {
        groups.push(group(model, None, None, metric, ps, settings));
    }
    for ((model, dataset, pert, metric), ps) in &per_pert {
        groups.push(group(
            model,
            Some(dataset),
            Some(pert),
            metric,
            ps,
            settings,
        ));
    }
    let conditions = if a.is_classification() && b.is_classification() {
        classification_conditions(a, b, settings)
    } else {
        Vec::new()
    };
    Comparison {
        a: side_info(a),
        b: side_info(b),
        settings: settings.clone(),
        differences: differences(&a.provenance, &b.provenance),
        counts,
        newly_failing,
        groups,
        conditions,
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn group(
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

/// One sample under one condition: truth, prediction, probabilities by class index.
#[derive(Default)]
struct Case {
    truth: Option<u32>,
    predicted: Option<u32>,
    probs: BTreeMap<u32, f64>,
    ok: bool,
}

type CondKey = (String, String, String, u64);
type CondCases = BTreeMap<CondKey, (f64, u32, BTreeMap<String, Case>)>;

fn cases(side: &Side) -> (CondCases, BTreeMap<u32, String>) {
    let mut out: CondCases = BTreeMap::new();
    let mut names = BTreeMap::new();
    for p in &side.probabilities {
        names
            .entry(p.class_index)
            .or_insert_with(|| p.class.clone());
        let c = out
            .entry((
                p.model.clone(),
                p.dataset.clone(),
                p.perturbation.clone(),
                point_bits(p.point),
            ))
            .or_insert_with(|| (p.point, p.point_index, BTreeMap::new()));
        let case = c.2.entry(p.sample.clone()).or_insert_with(|| Case {
            ok: true,
            ..Case::default()
        });
        case.truth = p.truth;
        case.predicted = p.predicted;
        match (p.ok, p.probability) {
            (true, Some(v)) if v.is_finite() => {
                case.probs.insert(p.class_index, v);
            }
            _ => case.ok = false,
        }
    }
    (out, names)
}

fn classification_conditions(
    a: &Side,
    b: &Side,
    settings: &CompareSettings,
) -> Vec<ConditionComparison> {
    let (ca, names) = cases(a);
    let (cb, _) = cases(b);
    let z = normal_quantile((1.0 + settings.level) / 2.0);
    let mut out = Vec::new();
    for (key, (point, point_index, sa)) in &ca {
        let Some((_, _, sb)) = cb.get(key) else {
            continue;
        };
        // Paired samples: ok on both sides, same truth, same classes.
        let mut truth = Vec::new();
        let mut correct_a = Vec::new();
        let mut correct_b = Vec::new();
        let mut probs: Vec<(&ClassProbabilities, &ClassProbabilities)> = Vec::new();
        for (id, x) in sa {
            let Some(y) = sb.get(id) else { continue };
            let (Some(t), Some(pa), Some(pb)) = (x.truth, x.predicted, y.predicted) else {
                continue;
            };
            if !x.ok || !y.ok || y.truth != Some(t) || x.probs.len() != y.probs.len() {
                continue;
            }
            truth.push(t);
            correct_a.push(pa == t);
            correct_b.push(pb == t);
            probs.push((&x.probs, &y.probs));
        }
        let base = |metric: &str, class: Option<String>| ConditionComparison {
            model: key.0.clone(),
            dataset: key.1.clone(),
            perturbation: key.2.clone(),
            point: *point,
            point_index: *point_index,
            metric: metric.to_string(),
            class,
            n: truth.len(),
            a: f64::NAN,
            b: f64::NAN,
            diff: f64::NAN,
            ci: None,
            p_value: 1.0,
            test: String::new(),
            tolerance: settings.tolerance_of(metric),
            verdict: Verdict::Unchanged,
            note: None,
        };
        if settings.keeps("accuracy") {
            let mut c = base("accuracy", None);
            c.test = "mcnemar (exact)".into();
            let fa: Vec<f64> = correct_a.iter().map(|&v| f64::from(u8::from(v))).collect();
            let fb: Vec<f64> = correct_b.iter().map(|&v| f64::from(u8::from(v))).collect();
            match mcnemar(&correct_a, &correct_b) {
                Ok(m) => {
                    c.a = mean(&fa);
                    c.b = mean(&fb);
                    c.diff = c.b - c.a;
                    c.p_value = m.p_exact;
                    let seed = derive_seed(
                        settings.seed,
                        &[&key.0, &key.1, &key.2, &point_index.to_string(), "accuracy"],
                    );
                    c.ci = paired_bootstrap_ci(&fa, &fb, settings.resamples, settings.level, seed)
                        .ok()
                        .flatten();
                    c.verdict = verdict(
                        c.diff,
                        c.p_value,
                        c.tolerance,
                        settings.alpha,
                        settings.higher_is_better_of("accuracy"),
                    );
                }
                Err(e) => c.note = Some(e),
            }
            out.push(c);
        }
        if settings.keeps("auc") {
            for (&ci, name) in &names {
                let mut c = base("auc", Some(name.clone()));
                c.test = "delong".into();
                let positive: Vec<bool> = truth.iter().map(|&t| t == ci).collect();
                let sa: Option<Vec<f64>> = probs.iter().map(|p| p.0.get(&ci).copied()).collect();
                let sb: Option<Vec<f64>> = probs.iter().map(|p| p.1.get(&ci).copied()).collect();
                match (sa, sb) {
                    (Some(sa), Some(sb)) => match delong_paired(&sa, &sb, &positive) {
                        Ok(t) => {
                            c.a = t.auc_a;
                            c.b = t.auc_b;
                            c.diff = t.diff;
                            c.p_value = t.p;
                            c.ci = Some((t.diff - z * t.se, t.diff + z * t.se));
                            c.verdict = verdict(
                                c.diff,
                                c.p_value,
                                c.tolerance,
                                settings.alpha,
                                settings.higher_is_better_of("auc"),
                            );
                        }
                        Err(e) => c.note = Some(e),
                    },
                    _ => c.note = Some(format!("class `{name}`: probabilities missing")),
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_rule() {
        assert_eq!(verdict(-0.05, 0.01, 0.01, 0.05, true), Verdict::Regression);
        assert_eq!(verdict(-0.05, 0.2, 0.01, 0.05, true), Verdict::Unchanged);
        assert_eq!(verdict(-0.005, 0.001, 0.01, 0.05, true), Verdict::Unchanged);
        assert_eq!(verdict(0.05, 0.01, 0.01, 0.05, true), Verdict::Improvement);
        // Lower is better (a distance): an increase is a regression.
        assert_eq!(verdict(2.0, 0.01, 1.0, 0.05, false), Verdict::Regression);
        assert_eq!(verdict(-2.0, 0.01, 1.0, 0.05, false), Verdict::Improvement);
        assert_eq!(
            verdict(f64::NAN, 0.01, 1.0, 0.05, false),
            Verdict::Unchanged
        );
    }

    #[test]
    fn settings_defaults() {
        let s = CompareSettings::default();
        assert_eq!(s.tolerance_of("dice"), 0.01);
        assert_eq!(s.tolerance_of("hd95"), 1.0);
        assert!(s.higher_is_better_of("dice") && !s.higher_is_better_of("assd"));
        assert!(s.higher_is_better_of("accuracy") && !s.higher_is_better_of("ece"));
        assert!(s.higher_is_better_of("auc"));
    }

    #[test]
    fn provenance_differences() {
        let a = Provenance {
            suite_hash: "s1".into(),
            seed: 1,
            models: vec![
                ModelHash {
                    name: "m".into(),
                    hash: "h1".into(),
                },
                ModelHash {
                    name: "old".into(),
                    hash: "o".into(),
                },
            ],
            ..Provenance::default()
        };
        let mut b = a.clone();
        b.models[0].hash = "h2".into();
        b.models.remove(1);
        b.git_sha = "abc".into();
        let d = differences(&a, &b);
        let whats: Vec<&str> = d.iter().map(|d| d.what.as_str()).collect();
        assert_eq!(whats, ["git sha", "model `m` hash", "model `old`"]);
        assert_eq!((d[1].a.as_str(), d[1].b.as_str()), ("h1", "h2"));
        assert_eq!(d[2].b, "(absent)");
        assert!(differences(&a, &a).is_empty());
    }
}
