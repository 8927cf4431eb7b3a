//! One side of a comparison: a run folder or a baseline folder read back as
//! score rows (segmentation, data efficiency) or probability rows
//! (classification).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sensibench_metrics::SegMetric;

use crate::baseline_files::{BASELINE_JSON, BASELINE_ROWS};
use crate::columns::{f64s, opt_u32s, strings, u32s};
use crate::errors::{invalid, perr};
use crate::store::{Status, parquet_files, scan_files};
use crate::{Result, ResultsError};

use super::provenance::{Provenance, read_provenance};

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
pub(super) fn point_bits(p: f64) -> u64 {
    if p == 0.0 { 0 } else { p.to_bits() }
}

/// Loads one side of a comparison: a run folder (`manifest.json` with
/// `parts/` or `predictions/`) or a baseline folder (`baseline.json` with
/// `rows.parquet`).
///
/// # Errors
/// When the folder has neither `manifest.json` nor `baseline.json`, the JSON
/// does not parse, or the parquet files are missing or lack a column.
pub fn load_side(path: &Path) -> Result<Side> {
    let baseline_json = path.join(BASELINE_JSON);
    let manifest_json = path.join("manifest.json");
    let (is_baseline, provenance, files, dir) = if baseline_json.is_file() {
        let prov = read_provenance(&baseline_json)?;
        let rows = path.join(BASELINE_ROWS);
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
