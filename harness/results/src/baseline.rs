//! Baselines: a small, committed copy of a run's numbers that later runs are
//! compared against (`results/baselines/<suite>/`).
//!
//! A baseline folder holds `baseline.json` (the run's [`Provenance`] with
//! `metrics` = the metrics kept, plus `source`: the run folder and `rows`:
//! the row count) and `rows.parquet` with only the pairing key, the value
//! and the status:
//! * segmentation: `model, dataset, sample, perturbation, point,
//!   point_index, class, metric, value, status`, only the kept metrics;
//! * classification: `model, dataset, sample, perturbation, point,
//!   point_index, class, class_index, truth, predicted, probability,
//!   status` (every row: accuracy and AUC need all the probabilities).
//!
//! [`load_side`](crate::compare::load_side) reads a baseline folder like a
//! run folder.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::compare::{Provenance, Side, load_side};
use crate::store::write_parquet_atomically;
use crate::{Result, ResultsError};

/// The provenance file of a baseline folder.
pub const BASELINE_JSON: &str = "baseline.json";
/// The rows file of a baseline folder.
pub const BASELINE_ROWS: &str = "rows.parquet";

/// `baseline.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// The run's provenance; `metrics` lists the metrics kept.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The run folder the baseline was made from.
    pub source: String,
    /// Number of rows in `rows.parquet`.
    pub rows: usize,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn perr(path: &Path) -> impl Fn(PolarsError) -> ResultsError + '_ {
    move |e| ResultsError::Polars {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes the baseline of the run in `run_dir` into `out_dir` (created when
/// missing; an existing baseline there is replaced), keeping only `metrics`
/// (empty: the run's primary metric) of a segmentation run. Returns the path
/// of `baseline.json`.
///
/// # Errors
/// When the run cannot be read ([`load_side`]), a kept metric is not in the
/// run, or the files cannot be written.
pub fn write_baseline(run_dir: &Path, out_dir: &Path, metrics: &[String]) -> Result<PathBuf> {
    let side = load_side(run_dir)?;
    if side.is_baseline {
        return Err(ResultsError::Polars {
            path: run_dir.to_path_buf(),
            message: "is already a baseline folder, expected a run folder".into(),
        });
    }
    write_baseline_from(&side, out_dir, metrics)
}

/// [`write_baseline`] from an already loaded run.
pub fn write_baseline_from(side: &Side, out_dir: &Path, metrics: &[String]) -> Result<PathBuf> {
    let rows_path = out_dir.join(BASELINE_ROWS);
    let mut provenance = side.provenance.clone();
    let (df, n) = if side.is_classification() {
        let r = &side.probabilities;
        let df = DataFrame::new_infer_height(vec![
            Column::new(
                "model".into(),
                r.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "dataset".into(),
                r.iter().map(|r| r.dataset.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "sample".into(),
                r.iter().map(|r| r.sample.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "perturbation".into(),
                r.iter()
                    .map(|r| r.perturbation.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "point".into(),
                r.iter().map(|r| r.point).collect::<Vec<f64>>(),
            ),
            Column::new(
                "point_index".into(),
                r.iter().map(|r| r.point_index).collect::<Vec<u32>>(),
            ),
            Column::new(
                "class".into(),
                r.iter().map(|r| r.class.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "class_index".into(),
                r.iter().map(|r| r.class_index).collect::<Vec<u32>>(),
            ),
            Column::new(
                "truth".into(),
                r.iter().map(|r| r.truth).collect::<Vec<Option<u32>>>(),
            ),
            Column::new(
                "predicted".into(),
                r.iter().map(|r| r.predicted).collect::<Vec<Option<u32>>>(),
            ),
            Column::new(
                "probability".into(),
                r.iter()
                    .map(|r| r.probability)
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "status".into(),
                r.iter().map(|r| status(r.ok)).collect::<Vec<_>>(),
            ),
        ])
        .map_err(perr(&rows_path))?;
        (df, r.len())
    } else {
        let keep: Vec<String> = if metrics.is_empty() {
            vec![side.provenance.primary_metric.clone()]
        } else {
            metrics.to_vec()
        };
        for m in &keep {
            if !side.rows.iter().any(|r| &r.metric == m) {
                return Err(ResultsError::Polars {
                    path: side.path.clone(),
                    message: format!(
                        "baseline metric `{m}`: no rows of it in the run (metrics: {})",
                        side.provenance.metrics.join(", ")
                    ),
                });
            }
        }
        let r: Vec<_> = side
            .rows
            .iter()
            .filter(|r| keep.contains(&r.metric))
            .collect();
        let df = DataFrame::new_infer_height(vec![
            Column::new(
                "model".into(),
                r.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "dataset".into(),
                r.iter().map(|r| r.dataset.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "sample".into(),
                r.iter().map(|r| r.sample.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "perturbation".into(),
                r.iter()
                    .map(|r| r.perturbation.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "point".into(),
                r.iter().map(|r| r.point).collect::<Vec<f64>>(),
            ),
            Column::new(
                "point_index".into(),
                r.iter().map(|r| r.point_index).collect::<Vec<u32>>(),
            ),
            Column::new(
                "class".into(),
                r.iter().map(|r| r.class.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "metric".into(),
                r.iter().map(|r| r.metric.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "value".into(),
                r.iter().map(|r| r.value).collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "status".into(),
                r.iter().map(|r| status(r.ok)).collect::<Vec<_>>(),
            ),
        ])
        .map_err(perr(&rows_path))?;
        provenance.metrics = keep;
        (df, r.len())
    };
    write_parquet_atomically(&rows_path, df)?;
    let info = BaselineInfo {
        provenance,
        source: side.path.display().to_string(),
        rows: n,
    };
    let json = out_dir.join(BASELINE_JSON);
    let text = serde_json::to_string_pretty(&info).map_err(|e| ResultsError::Polars {
        path: json.clone(),
        message: e.to_string(),
    })?;
    let tmp = out_dir.join(".baseline.json.tmp");
    std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &json).map_err(io_err(&json))?;
    Ok(json)
}

fn status(ok: bool) -> &'static str {
    if ok { "ok" } else { "failed" }
}
