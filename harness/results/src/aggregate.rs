//! Aggregation of a run's rows with polars.

use std::path::Path;

use polars::prelude::*;
use sensibench_core::derive_seed;
use sensibench_metrics::stats::bootstrap_ci_mean;

use crate::Result;
use crate::columns::{f64s, strings, u32s};
use crate::errors::perr;
use crate::store::scan_parts;

/// Bootstrap resamples for the confidence interval of each point's mean.
const BOOTSTRAP_RESAMPLES: usize = 2000;
/// Confidence level of the interval.
const CI_LEVEL: f64 = 0.95;

/// The statistics of one cell: model × dataset × perturbation × point × class × metric,
/// over the samples of the dataset.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PointStat {
    pub model: String,
    pub dataset: String,
    pub reference_mode: String,
    pub perturbation: String,
    pub kind: String,
    pub parameter: String,
    pub point_index: u32,
    pub point: f64,
    pub class: String,
    pub class_index: u32,
    pub metric: String,
    /// Mean over the samples with a defined value (`None` if there are none).
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1), `None` below two values.
    pub std: Option<f64>,
    /// 95% percentile-bootstrap CI of the mean (2000 resamples, seeded from
    /// the cell's identity), `None` below two values.
    pub ci: Option<(f64, f64)>,
    /// Samples with a defined value.
    pub n: usize,
    /// Samples whose value is undefined (NaN), e.g. a distance to an empty mask.
    pub n_undefined: usize,
    /// Samples whose row failed.
    pub n_failed: usize,
}

/// Failed rows grouped by model, dataset, perturbation and reason.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FailureSummary {
    pub model: String,
    pub dataset: String,
    pub perturbation: String,
    pub reason: String,
    pub rows: usize,
}

/// Everything the report needs from a run's rows.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunTables {
    /// Sorted by model, dataset, perturbation, point index, class, metric.
    pub points: Vec<PointStat>,
    pub failures: Vec<FailureSummary>,
    /// Total number of rows read.
    pub rows: usize,
}

/// Reads the parts of `run_dir` and aggregates them.
pub fn aggregate_run(run_dir: &Path) -> Result<RunTables> {
    let e = perr(run_dir);
    let lf = scan_parts(run_dir)?;
    let rows = lf
        .clone()
        .select([len().alias("n")])
        .collect()
        .map_err(&e)?;
    let rows = u32s(&rows, "n").map_err(&e)?.first().copied().unwrap_or(0) as usize;

    let ok = col("status").eq(lit("ok"));
    let defined = ok.clone().and(col("value").is_not_nan());
    let keys = [
        col("model"),
        col("dataset"),
        col("reference_mode"),
        col("perturbation"),
        col("kind"),
        col("parameter"),
        col("point_index"),
        col("point"),
        col("class"),
        col("class_index"),
        col("metric"),
    ];
    let df = lf
        .clone()
        .group_by(keys)
        .agg([
            col("value").filter(defined.clone()).mean().alias("mean"),
            col("value").filter(defined.clone()).std(1).alias("std"),
            col("value")
                .filter(defined.clone())
                .implode(false)
                .alias("values"),
            defined.clone().sum().alias("n"),
            ok.clone()
                .and(col("value").is_nan())
                .sum()
                .alias("n_undefined"),
            col("status").eq(lit("failed")).sum().alias("n_failed"),
        ])
        .sort(
            [
                "model",
                "dataset",
                "perturbation",
                "point_index",
                "class_index",
                "metric",
            ],
            Default::default(),
        )
        .collect()
        .map_err(&e)?;

    let model = strings(&df, "model").map_err(&e)?;
    let dataset = strings(&df, "dataset").map_err(&e)?;
    let reference_mode = strings(&df, "reference_mode").map_err(&e)?;
    let perturbation = strings(&df, "perturbation").map_err(&e)?;
    let kind = strings(&df, "kind").map_err(&e)?;
    let parameter = strings(&df, "parameter").map_err(&e)?;
    let point_index = u32s(&df, "point_index").map_err(&e)?;
    let point = f64s(&df, "point").map_err(&e)?;
    let class = strings(&df, "class").map_err(&e)?;
    let class_index = u32s(&df, "class_index").map_err(&e)?;
    let metric = strings(&df, "metric").map_err(&e)?;
    let mean = f64s(&df, "mean").map_err(&e)?;
    let std = f64s(&df, "std").map_err(&e)?;
    let n = u32s(&df, "n").map_err(&e)?;
    let n_undefined = u32s(&df, "n_undefined").map_err(&e)?;
    let n_failed = u32s(&df, "n_failed").map_err(&e)?;
    let values = df.column("values").map_err(&e)?.list().map_err(&e)?;

    let mut points = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let vals: Vec<f64> = match values.get_as_series(i) {
            Some(s) => s.f64().map_err(&e)?.into_no_null_iter().collect(),
            None => Vec::new(),
        };
        let seed = derive_seed(
            0,
            &[
                &model[i],
                &dataset[i],
                &perturbation[i],
                &point_index[i].to_string(),
                &class[i],
                &metric[i],
            ],
        );
        let ci = if vals.len() >= 2 {
            bootstrap_ci_mean(&vals, BOOTSTRAP_RESAMPLES, CI_LEVEL, seed)
        } else {
            None
        };
        points.push(PointStat {
            model: model[i].clone(),
            dataset: dataset[i].clone(),
            reference_mode: reference_mode[i].clone(),
            perturbation: perturbation[i].clone(),
            kind: kind[i].clone(),
            parameter: parameter[i].clone(),
            point_index: point_index[i],
            point: point[i].unwrap_or(f64::NAN),
            class: class[i].clone(),
            class_index: class_index[i],
            metric: metric[i].clone(),
            mean: mean[i].filter(|v| v.is_finite()),
            std: std[i].filter(|v| v.is_finite()),
            ci,
            n: n[i] as usize,
            n_undefined: n_undefined[i] as usize,
            n_failed: n_failed[i] as usize,
        });
    }

    let fdf = lf
        .filter(col("status").eq(lit("failed")))
        .group_by([
            col("model"),
            col("dataset"),
            col("perturbation"),
            col("error"),
        ])
        .agg([len().alias("rows")])
        .sort(["model", "dataset", "perturbation"], Default::default())
        .collect()
        .map_err(&e)?;
    let fm = strings(&fdf, "model").map_err(&e)?;
    let fd = strings(&fdf, "dataset").map_err(&e)?;
    let fp = strings(&fdf, "perturbation").map_err(&e)?;
    let fe = strings(&fdf, "error").map_err(&e)?;
    let fr = u32s(&fdf, "rows").map_err(&e)?;
    let failures = (0..fdf.height())
        .map(|i| FailureSummary {
            model: fm[i].clone(),
            dataset: fd[i].clone(),
            perturbation: fp[i].clone(),
            reason: fe[i].clone(),
            rows: fr[i] as usize,
        })
        .collect();
    Ok(RunTables {
        points,
        failures,
        rows,
    })
}

/// The per-sample score of one sample, averaged over classes (undefined
/// values excluded), for every (model, perturbation, point index): the numbers
/// under the frames of a prediction strip.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleScore {
    pub model: String,
    pub perturbation: String,
    pub point_index: u32,
    pub mean_over_classes: Option<f64>,
}

/// [`SampleScore`]s of `sample` in `dataset` for `metric`.
pub fn sample_scores(
    run_dir: &Path,
    dataset: &str,
    sample: &str,
    metric: &str,
) -> Result<Vec<SampleScore>> {
    let e = perr(run_dir);
    let df = scan_parts(run_dir)?
        .filter(
            col("dataset")
                .eq(lit(dataset))
                .and(col("sample").eq(lit(sample)))
                .and(col("metric").eq(lit(metric)))
                .and(col("status").eq(lit("ok"))),
        )
        .group_by([col("model"), col("perturbation"), col("point_index")])
        .agg([col("value")
            .filter(col("value").is_not_nan())
            .mean()
            .alias("mean")])
        .collect()
        .map_err(&e)?;
    let model = strings(&df, "model").map_err(&e)?;
    let perturbation = strings(&df, "perturbation").map_err(&e)?;
    let point_index = u32s(&df, "point_index").map_err(&e)?;
    let mean = f64s(&df, "mean").map_err(&e)?;
    Ok((0..df.height())
        .map(|i| SampleScore {
            model: model[i].clone(),
            perturbation: perturbation[i].clone(),
            point_index: point_index[i],
            mean_over_classes: mean[i].filter(|v| v.is_finite()),
        })
        .collect())
}
