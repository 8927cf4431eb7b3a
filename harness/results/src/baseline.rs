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

use serde::{Deserialize, Serialize};

use crate::columns::FrameBuilder;
use crate::compare::{Provenance, Side, load_side};
use crate::errors::{io_err, perr};
use crate::store::write_parquet_atomically;
use crate::{Result, ResultsError};

pub use crate::baseline_files::{BASELINE_JSON, BASELINE_ROWS};

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

/// The [`PairingKey`] of a row with the key fields of a
/// [`ScoreRow`](crate::compare::ScoreRow) (or a
/// [`ProbabilityRow`](crate::compare::ProbabilityRow), which has the same).
macro_rules! pairing_key {
    () => {
        |r| {
            (
                r.model.as_str(),
                r.dataset.as_str(),
                r.sample.as_str(),
                r.perturbation.as_str(),
                r.point,
                r.point_index,
                r.class.as_str(),
            )
        }
    };
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
        let df = key_columns(r, pairing_key!())
            .column("class_index", |r| r.class_index)
            .column("truth", |r| r.truth)
            .column("predicted", |r| r.predicted)
            .column("probability", |r| r.probability)
            .column("status", |r| status(r.ok))
            .finish()
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
        let df = key_columns(&r, pairing_key!())
            .column("metric", |r| r.metric.as_str())
            .column("value", |r| r.value)
            .column("status", |r| status(r.ok))
            .finish()
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

/// The pairing key of a baseline row: model, dataset, sample, perturbation,
/// point, point index, class.
type PairingKey<'a> = (&'a str, &'a str, &'a str, &'a str, f64, u32, &'a str);

/// A frame of `rows` opening with the pairing-key columns (`model, dataset,
/// sample, perturbation, point, point_index, class`).
fn key_columns<'a, R>(rows: &'a [R], key: impl Fn(&'a R) -> PairingKey<'a>) -> FrameBuilder<'a, R> {
    FrameBuilder::new(rows)
        .column("model", |r| key(r).0)
        .column("dataset", |r| key(r).1)
        .column("sample", |r| key(r).2)
        .column("perturbation", |r| key(r).3)
        .column("point", |r| key(r).4)
        .column("point_index", |r| key(r).5)
        .column("class", |r| key(r).6)
}
