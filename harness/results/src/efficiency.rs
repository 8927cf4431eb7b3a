//! Rows of the transfer-learning data-efficiency study and their aggregation.
//!
//! One part per unit of work (dataset × source × training size × fold ×
//! repeat) under `<run>/efficiency/`, written atomically, so a run resumes
//! per unit. Long format: one row per held-out sample × class × metric (or
//! clinical measure), with the provenance columns of the robustness rows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sensibench_metrics::agreement::{BlandAltman, bland_altman, fold_ci};

use crate::Result;
use crate::columns::{FrameBuilder, f64s, impl_long_row, strings, u32s};
use crate::errors::perr;
use crate::store::{Status, parquet_files, scan_files, write_parquet_atomically};

/// One long-format row of the study.
#[derive(Clone, Debug, PartialEq)]
pub struct EfficiencyRow {
    pub run_id: String,
    pub suite: String,
    /// SHA-256 of the suite file.
    pub suite_hash: String,
    pub harness_version: String,
    pub git_sha: String,
    pub seed: u64,
    /// The pretraining source.
    pub source: String,
    /// SHA-256 of the source's TorchScript file.
    pub source_hash: String,
    pub dataset: String,
    /// The held-out sample.
    pub sample: String,
    /// Training images actually used.
    pub n: u32,
    /// The declared size: the number, or `all`.
    pub n_label: String,
    /// The held-out fold (0-based).
    pub fold: u32,
    /// The repeat (0-based).
    pub repeat: u32,
    pub class: String,
    pub class_index: u32,
    /// A metric (`dice`, …) or a clinical measure (`area_cm2`, `mean_hu`).
    pub metric: String,
    /// The metric's value; for a measure, the measure of the prediction.
    pub value: Option<f64>,
    /// For a measure, the measure of the reference; `None` for metrics.
    pub reference_value: Option<f64>,
    /// Optimiser steps of the fine-tuning.
    pub steps: u32,
    /// Loss of the last step.
    pub final_loss: Option<f64>,
    /// Wall time of the fine-tuning, seconds.
    pub train_seconds: f64,
    pub status: Status,
    pub error: Option<String>,
}

/// The file of efficiency part `name` in `run_dir`.
pub fn efficiency_part_path(run_dir: &Path, name: &str) -> PathBuf {
    run_dir.join("efficiency").join(format!("{name}.parquet"))
}

impl_long_row!(EfficiencyRow);

fn frame(rows: &[EfficiencyRow]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(rows)
        .provenance_columns()
        .column("source", |r| r.source.as_str())
        .column("source_hash", |r| r.source_hash.as_str())
        .column("dataset", |r| r.dataset.as_str())
        .column("sample", |r| r.sample.as_str())
        .column("n", |r| r.n)
        .column("n_label", |r| r.n_label.as_str())
        .column("fold", |r| r.fold)
        .column("repeat", |r| r.repeat)
        .column("class", |r| r.class.as_str())
        .column("class_index", |r| r.class_index)
        .column("metric", |r| r.metric.as_str())
        .column("value", |r| r.value)
        .column("reference_value", |r| r.reference_value)
        .column("steps", |r| r.steps)
        .column("final_loss", |r| r.final_loss)
        .column("train_seconds", |r| r.train_seconds)
        .outcome_columns()
        .finish()
}

/// Writes `rows` as efficiency part `name` of `run_dir`, atomically.
pub fn write_efficiency_part(
    run_dir: &Path,
    name: &str,
    rows: &[EfficiencyRow],
) -> Result<PathBuf> {
    let path = efficiency_part_path(run_dir, name);
    let df = frame(rows).map_err(perr(&path))?;
    write_parquet_atomically(&path, df)?;
    Ok(path)
}

/// Every efficiency row of `run_dir`; `None` when the run has no study.
pub fn read_efficiency_rows(run_dir: &Path) -> Result<Option<DataFrame>> {
    let dir = run_dir.join("efficiency");
    let files = parquet_files(&dir);
    if files.is_empty() {
        return Ok(None);
    }
    scan_files(&dir, &files)?
        .collect()
        .map(Some)
        .map_err(perr(&dir))
}

/// One point of a data-efficiency curve: a source at one training size.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EfficiencyStat {
    pub dataset: String,
    pub source: String,
    pub class: String,
    pub class_index: u32,
    pub metric: String,
    pub n: u32,
    pub n_label: String,
    /// Per fold: the mean over its held-out samples (and repeats) of the
    /// defined values, in fold order; folds without a defined value are left out.
    pub fold_means: Vec<f64>,
    /// Mean of `fold_means`.
    pub mean: Option<f64>,
    /// 95% Student-t interval of the mean across folds (`fold_ci`); equal to
    /// the mean with one fold.
    pub ci: Option<(f64, f64)>,
    /// Held-out predictions with a defined value, over all folds.
    pub samples: usize,
    /// Rows that failed (model or training failure).
    pub failed: usize,
    /// For a clinical measure: Bland-Altman agreement of prediction vs
    /// reference over every held-out sample of every fold (each sample is
    /// held out once per repeat).
    pub agreement: Option<BlandAltman>,
    /// Mean fine-tuning time of the units, seconds.
    pub train_seconds: f64,
}

/// Failures of the study, grouped.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EfficiencyFailure {
    pub dataset: String,
    pub source: String,
    pub reason: String,
    pub rows: usize,
}

/// Aggregates the study's rows: per dataset × source × class × metric ×
/// training size, the fold means, their mean and t-interval, and for
/// measures the Bland-Altman agreement. Sorted by dataset, source, class,
/// metric, n.
pub fn aggregate_efficiency(
    df: &DataFrame,
) -> Result<(Vec<EfficiencyStat>, Vec<EfficiencyFailure>)> {
    let e = perr(Path::new("efficiency"));
    let dataset = strings(df, "dataset").map_err(&e)?;
    let source = strings(df, "source").map_err(&e)?;
    let class = strings(df, "class").map_err(&e)?;
    let class_index = u32s(df, "class_index").map_err(&e)?;
    let metric = strings(df, "metric").map_err(&e)?;
    let n = u32s(df, "n").map_err(&e)?;
    let n_label = strings(df, "n_label").map_err(&e)?;
    let fold = u32s(df, "fold").map_err(&e)?;
    let value = f64s(df, "value").map_err(&e)?;
    let reference = f64s(df, "reference_value").map_err(&e)?;
    let seconds = f64s(df, "train_seconds").map_err(&e)?;
    let status = strings(df, "status").map_err(&e)?;
    let error = strings(df, "error").map_err(&e)?;

    type Key = (String, String, u32, String, u32);
    #[derive(Default)]
    struct Acc {
        class: String,
        n_label: String,
        per_fold: BTreeMap<u32, (f64, usize)>,
        pairs: (Vec<f64>, Vec<f64>),
        samples: usize,
        failed: usize,
        seconds: (f64, usize),
    }
    let mut groups: BTreeMap<Key, Acc> = BTreeMap::new();
    let mut failures: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for i in 0..df.height() {
        let key = (
            dataset[i].clone(),
            source[i].clone(),
            class_index[i],
            metric[i].clone(),
            n[i],
        );
        let acc = groups.entry(key).or_default();
        acc.class.clone_from(&class[i]);
        acc.n_label.clone_from(&n_label[i]);
        if status[i] != Status::Ok.as_str() {
            acc.failed += 1;
            *failures
                .entry((dataset[i].clone(), source[i].clone(), error[i].clone()))
                .or_default() += 1;
            continue;
        }
        if let Some(s) = seconds[i] {
            acc.seconds.0 += s;
            acc.seconds.1 += 1;
        }
        if let Some(v) = value[i].filter(|v| v.is_finite()) {
            let f = acc.per_fold.entry(fold[i]).or_default();
            f.0 += v;
            f.1 += 1;
            acc.samples += 1;
        }
        if let (Some(p), Some(r)) = (value[i], reference[i]) {
            acc.pairs.0.push(p);
            acc.pairs.1.push(r);
        }
    }
    let stats = groups
        .into_iter()
        .map(|((dataset, source, class_index, metric, n), acc)| {
            let fold_means: Vec<f64> = acc
                .per_fold
                .values()
                .map(|(sum, k)| sum / *k as f64)
                .collect();
            let (mean, ci) = if fold_means.is_empty() {
                (None, None)
            } else {
                let (m, lo, hi) = fold_ci(&fold_means, 0.95);
                (Some(m), Some((lo, hi)))
            };
            let agreement = if acc.pairs.0.is_empty() {
                None
            } else {
                bland_altman(&acc.pairs.0, &acc.pairs.1).ok()
            };
            EfficiencyStat {
                dataset,
                source,
                class: acc.class,
                class_index,
                metric,
                n,
                n_label: acc.n_label,
                fold_means,
                mean,
                ci,
                samples: acc.samples,
                failed: acc.failed,
                agreement,
                train_seconds: if acc.seconds.1 > 0 {
                    acc.seconds.0 / acc.seconds.1 as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    let failures = failures
        .into_iter()
        .map(|((dataset, source, reason), rows)| EfficiencyFailure {
            dataset,
            source,
            reason,
            rows,
        })
        .collect();
    Ok((stats, failures))
}
