//! Rows of classification runs: one per sample × condition × class with the
//! model's probability, the true class and the predicted class; and the
//! saliency rows (how much of a map falls on the sample's region).
//!
//! Parts live under `<run>/predictions/` and `<run>/saliency/`, one per
//! model × dataset × perturbation, written atomically like the robustness parts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::Result;
use crate::columns::{
    FrameBuilder, bools, f64s, impl_condition_row, impl_long_row, opt_u32s, strings, u32s,
};
use crate::errors::perr;
use crate::store::{Status, parquet_files, scan_files, write_parquet_atomically};

/// One long-format prediction row: sample × condition × class.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictionRow {
    pub run_id: String,
    pub suite: String,
    /// SHA-256 of the suite file.
    pub suite_hash: String,
    pub harness_version: String,
    pub git_sha: String,
    pub seed: u64,
    pub model: String,
    /// SHA-256 of the model file.
    pub model_hash: String,
    pub backend: String,
    pub dataset: String,
    pub sample: String,
    /// `ground_truth` (the dataset's labels) or `unperturbed_prediction` (the
    /// model's own class on the unperturbed image is the reference).
    pub reference_mode: String,
    /// The perturbation's label (`none` for the unperturbed images).
    pub perturbation: String,
    pub kind: String,
    pub parameter: String,
    pub point: f64,
    pub point_index: u32,
    /// The reference class index (`None` when there is none).
    pub truth: Option<u32>,
    /// The predicted class (argmax, ties to the lower index).
    pub predicted: Option<u32>,
    /// The class this row's probability is for.
    pub class: String,
    pub class_index: u32,
    pub probability: Option<f64>,
    /// Whether the sample has a region (e.g. a side marker) after perturbation.
    pub has_region: bool,
    pub status: Status,
    pub error: Option<String>,
}

impl_long_row!(PredictionRow, SaliencyRow);
impl_condition_row!(PredictionRow);

fn prediction_frame(rows: &[PredictionRow]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(rows)
        .provenance_columns()
        .condition_columns()
        .column("truth", |r| r.truth)
        .column("predicted", |r| r.predicted)
        .column("class", |r| r.class.as_str())
        .column("class_index", |r| r.class_index)
        .column("probability", |r| r.probability)
        .column("has_region", |r| r.has_region)
        .outcome_columns()
        .finish()
}

/// The file of prediction part `name` in `run_dir`.
pub fn prediction_part_path(run_dir: &Path, name: &str) -> PathBuf {
    run_dir.join("predictions").join(format!("{name}.parquet"))
}

/// Writes `rows` as prediction part `name` of `run_dir`, atomically.
pub fn write_prediction_part(
    run_dir: &Path,
    name: &str,
    rows: &[PredictionRow],
) -> Result<PathBuf> {
    let path = prediction_part_path(run_dir, name);
    let df = prediction_frame(rows).map_err(perr(&path))?;
    write_parquet_atomically(&path, df)?;
    Ok(path)
}

/// What a set of predictions was made under: a model on a dataset at one
/// point of one perturbation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ConditionKey {
    pub model: String,
    pub dataset: String,
    pub perturbation: String,
    pub point_index: u32,
}

/// The predictions of one condition, sample by sample (sorted by sample id).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Cases {
    pub kind: String,
    pub parameter: String,
    pub point: f64,
    pub reference_mode: String,
    /// Number of classes.
    pub k: usize,
    /// Samples with a prediction and a reference class, sorted.
    pub samples: Vec<String>,
    pub truth: Vec<usize>,
    /// `samples.len() x k` probabilities, row-major.
    pub probs: Vec<f32>,
    /// Whether each sample has a region (e.g. a marker).
    pub has_region: Vec<bool>,
    /// Samples whose prediction failed, with the reason.
    pub failed: Vec<(String, String)>,
    /// Samples predicted but without a reference class.
    pub unlabelled: usize,
}

impl Cases {
    /// The predicted class of case `i` (argmax, ties to the lower index).
    pub fn predicted(&self, i: usize) -> usize {
        argmax(&self.probs[i * self.k..(i + 1) * self.k])
    }
}

/// The index of the largest value, ties to the lower index (numpy's argmax).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Every classification condition of `run_dir` with its cases; `None` when
/// the run has no prediction parts.
pub fn read_cases(run_dir: &Path) -> Result<Option<BTreeMap<ConditionKey, Cases>>> {
    let dir = run_dir.join("predictions");
    let files = parquet_files(&dir);
    if files.is_empty() {
        return Ok(None);
    }
    let df = scan_files(&dir, &files)?.collect().map_err(perr(&dir))?;
    let get = || -> PolarsResult<_> {
        Ok((
            strings(&df, "model")?,
            strings(&df, "dataset")?,
            strings(&df, "perturbation")?,
            u32s(&df, "point_index")?,
            strings(&df, "sample")?,
            strings(&df, "kind")?,
            strings(&df, "parameter")?,
            f64s(&df, "point")?,
            strings(&df, "reference_mode")?,
            opt_u32s(&df, "truth")?,
            u32s(&df, "class_index")?,
            f64s(&df, "probability")?,
            bools(&df, "has_region")?,
            strings(&df, "status")?,
            strings(&df, "error")?,
        ))
    };
    let (
        model,
        dataset,
        pert,
        pidx,
        sample,
        kind,
        parameter,
        point,
        mode,
        truth,
        cls,
        prob,
        region,
        status,
        error,
    ) = get().map_err(perr(&dir))?;
    // condition -> sample -> (truth, probs by class, region, failure)
    type PerSample = (Option<u32>, BTreeMap<u32, f64>, bool, Option<String>);
    let mut by: BTreeMap<ConditionKey, (Cases, BTreeMap<String, PerSample>)> = BTreeMap::new();
    for i in 0..df.height() {
        let key = ConditionKey {
            model: model[i].clone(),
            dataset: dataset[i].clone(),
            perturbation: pert[i].clone(),
            point_index: pidx[i],
        };
        let entry = by.entry(key).or_insert_with(|| {
            (
                Cases {
                    kind: kind[i].clone(),
                    parameter: parameter[i].clone(),
                    point: point[i].unwrap_or(f64::NAN),
                    reference_mode: mode[i].clone(),
                    ..Cases::default()
                },
                BTreeMap::new(),
            )
        });
        let s = entry.1.entry(sample[i].clone()).or_insert((
            truth[i],
            BTreeMap::new(),
            region[i],
            None,
        ));
        if status[i] == Status::Failed.as_str() {
            s.3 = Some(error[i].clone());
        } else if let Some(p) = prob[i] {
            s.1.insert(cls[i], p);
        }
    }
    let mut out = BTreeMap::new();
    for (key, (mut cases, samples)) in by {
        let k = samples
            .values()
            .flat_map(|s| s.1.keys().map(|&c| c as usize + 1))
            .max()
            .unwrap_or(0);
        cases.k = k;
        for (id, (truth, probs, region, failure)) in samples {
            if let Some(e) = failure {
                cases.failed.push((id, e));
                continue;
            }
            let Some(t) = truth else {
                cases.unlabelled += 1;
                continue;
            };
            if probs.len() != k {
                cases.failed.push((
                    id,
                    format!("{} of {k} class probabilities stored", probs.len()),
                ));
                continue;
            }
            cases.samples.push(id);
            cases.truth.push(t as usize);
            cases.probs.extend(probs.values().map(|&p| p as f32));
            cases.has_region.push(region);
        }
        out.insert(key, cases);
    }
    Ok(Some(out))
}

/// One saliency row: how much of one map falls on the sample's region.
#[derive(Clone, Debug, PartialEq)]
pub struct SaliencyRow {
    pub run_id: String,
    pub suite: String,
    pub suite_hash: String,
    pub harness_version: String,
    pub git_sha: String,
    pub seed: u64,
    pub model: String,
    pub model_hash: String,
    pub dataset: String,
    pub sample: String,
    pub perturbation: String,
    pub point: f64,
    pub point_index: u32,
    /// `crm`, `cam`, `gradcam` or `occlusion`.
    pub method: String,
    /// The class the map explains (the predicted class), or `all` (CRM's all-class form).
    pub target: String,
    /// `relevance_mass`, `relevance_rank` or `pointing_game`.
    pub metric: String,
    pub value: Option<f64>,
    pub status: Status,
    pub error: Option<String>,
}

fn saliency_frame(rows: &[SaliencyRow]) -> PolarsResult<DataFrame> {
    FrameBuilder::new(rows)
        .provenance_columns()
        .column("model", |r| r.model.as_str())
        .column("model_hash", |r| r.model_hash.as_str())
        .column("dataset", |r| r.dataset.as_str())
        .column("sample", |r| r.sample.as_str())
        .column("perturbation", |r| r.perturbation.as_str())
        .column("point", |r| r.point)
        .column("point_index", |r| r.point_index)
        .column("method", |r| r.method.as_str())
        .column("target", |r| r.target.as_str())
        .column("metric", |r| r.metric.as_str())
        .column("value", |r| r.value)
        .outcome_columns()
        .finish()
}

/// Writes `rows` as saliency part `name` of `run_dir`, atomically.
pub fn write_saliency_part(run_dir: &Path, name: &str, rows: &[SaliencyRow]) -> Result<PathBuf> {
    let path = run_dir.join("saliency").join(format!("{name}.parquet"));
    let df = saliency_frame(rows).map_err(perr(&path))?;
    write_parquet_atomically(&path, df)?;
    Ok(path)
}

/// Mean of a saliency metric per (model, dataset, perturbation, point index, method, target, metric).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SaliencyStat {
    pub model: String,
    pub dataset: String,
    pub perturbation: String,
    pub point_index: u32,
    pub method: String,
    pub target: String,
    pub metric: String,
    /// Mean over samples with a defined value.
    pub mean: Option<f64>,
    pub n: usize,
    pub n_failed: usize,
}

/// The saliency statistics of `run_dir` (empty when it has none).
pub fn aggregate_saliency(run_dir: &Path) -> Result<Vec<SaliencyStat>> {
    let dir = run_dir.join("saliency");
    let files = parquet_files(&dir);
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let df = scan_files(&dir, &files)?.collect().map_err(perr(&dir))?;
    let get = || -> PolarsResult<_> {
        Ok((
            strings(&df, "model")?,
            strings(&df, "dataset")?,
            strings(&df, "perturbation")?,
            u32s(&df, "point_index")?,
            strings(&df, "method")?,
            strings(&df, "target")?,
            strings(&df, "metric")?,
            f64s(&df, "value")?,
            strings(&df, "status")?,
        ))
    };
    let (model, dataset, pert, pidx, method, target, metric, value, status) =
        get().map_err(perr(&dir))?;
    type Key = (String, String, String, u32, String, String, String);
    let mut acc: BTreeMap<Key, (f64, usize, usize)> = BTreeMap::new();
    for i in 0..df.height() {
        let key = (
            model[i].clone(),
            dataset[i].clone(),
            pert[i].clone(),
            pidx[i],
            method[i].clone(),
            target[i].clone(),
            metric[i].clone(),
        );
        let e = acc.entry(key).or_insert((0.0, 0, 0));
        if status[i] == Status::Failed.as_str() {
            e.2 += 1;
        } else if let Some(v) = value[i].filter(|v| v.is_finite()) {
            e.0 += v;
            e.1 += 1;
        }
    }
    Ok(acc
        .into_iter()
        .map(
            |(
                (model, dataset, perturbation, point_index, method, target, metric),
                (sum, n, n_failed),
            )| SaliencyStat {
                model,
                dataset,
                perturbation,
                point_index,
                method,
                target,
                metric,
                mean: (n > 0).then(|| sum / n as f64),
                n,
                n_failed,
            },
        )
        .collect())
}
