//! From a run folder to its HTML report: manifest + aggregated rows + strip
//! frames → [`ReportData`] → `report/index.html`.
//!
//! The leaderboard ranks models on the primary metric, averaged over the
//! foreground classes, on the first dataset scored against ground truth (or
//! the first dataset when none is). Its robustness columns summarise each
//! perturbation's class-mean curve:
//! - **Clean**: the score without perturbation.
//! - **nAUC**: normalised area under the score-vs-parameter curve (trapezoids
//!   over the suite's points divided by the parameter range: the curve's mean
//!   height), per perturbation, and their mean (**mean nAUC**, the ranking key).
//! - **Worst**: the worst point over every perturbation and point.
//! - **OA** and **Deg** (ROOD-MRI, alpha = 2/3), averaged over perturbations.
//!   A suite's grid is not a 1..5 severity scale, so severity is the rank of
//!   a point's distance from the identity value (|x − identity|, or |ln x| for
//!   multiplicative parameters whose identity is 1); points at the identity
//!   are the clean score; ties share a rank and their scores are averaged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sensibench_metrics::robustness::{
    ROOD_ALPHA, normalized_auc, rood_degradation, rood_overall, worst_point,
};
use sensibench_report::{
    CurvePanel, CurvePoint, Failure, Frame, Leaderboard, LeaderboardColumn, LeaderboardRow,
    ReportData, Series, Strip, to_base64,
};
use sensibench_results::{PointStat, RunTables, aggregate_run, sample_scores};

use crate::manifest::{Manifest, PerturbationInfo};

pub(crate) mod classification;
mod efficiency;
mod metric;
mod provenance;

use crate::{Result, render_err, sanitize};
use metric::metric_info;
use provenance::{load_error_notes, provenance, short, skipped_notes};

/// Writes `<run_dir>/report/index.html` and returns its path.
pub fn write_report(run_dir: &Path) -> Result<PathBuf> {
    let data = report_data(run_dir)?;
    sensibench_report::write_report(&data, &run_dir.join("report"))
        .map_err(render_err(format!("report of {}", run_dir.display())))
}

/// Class-mean curve of one model × dataset × perturbation for `metric`:
/// `(x, mean over classes)` in point order; `None` where a class is undefined.
fn class_mean_curve(
    points: &[&PointStat],
    model: &str,
    dataset: &str,
    perturbation: &str,
    metric: &str,
) -> Vec<(f64, Option<f64>)> {
    let mut by_point: BTreeMap<u32, (f64, Vec<Option<f64>>)> = BTreeMap::new();
    for p in points.iter().filter(|p| {
        p.model == model
            && p.dataset == dataset
            && p.perturbation == perturbation
            && p.metric == metric
    }) {
        by_point
            .entry(p.point_index)
            .or_insert((p.point, Vec::new()))
            .1
            .push(p.mean);
    }
    by_point
        .into_values()
        .map(|(x, ms)| {
            let mean = if ms.iter().all(Option::is_some) && !ms.is_empty() {
                Some(ms.iter().flatten().sum::<f64>() / ms.len() as f64)
            } else {
                None
            };
            (x, mean)
        })
        .collect()
}

/// Distance of `x` from the identity, the basis of the severity rank.
fn distance_from_identity(x: f64, info: &PerturbationInfo) -> f64 {
    let id = info.identity.unwrap_or(info.points[0]);
    let multiplicative = id == 1.0 && info.points.iter().all(|&p| p > 0.0);
    if multiplicative {
        x.ln().abs()
    } else {
        (x - id).abs()
    }
}

/// (clean, severities, scores) of a curve for ROOD-MRI's OA/Deg.
fn severity_curve(
    curve: &[(f64, Option<f64>)],
    info: &PerturbationInfo,
    clean: f64,
) -> Option<(f64, Vec<f64>, Vec<f64>)> {
    let mut groups: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    let mut clean_vals = vec![clean];
    for &(x, y) in curve {
        let y = y?;
        let d = distance_from_identity(x, info);
        if d < 1e-12 {
            clean_vals.push(y);
        } else {
            groups.entry(d.to_bits()).or_default().push(y);
        }
    }
    if groups.is_empty() {
        return None;
    }
    // f64 bits of non-negative numbers sort like the numbers
    let scores: Vec<f64> = groups
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    let sev: Vec<f64> = (1..=scores.len()).map(|s| s as f64).collect();
    let clean = clean_vals.iter().sum::<f64>() / clean_vals.len() as f64;
    Some((clean, sev, scores))
}

fn mean_of(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn leaderboard(m: &Manifest, t: &RunTables, dataset: &str) -> Leaderboard {
    let metric = &m.primary_metric;
    let (_, higher, _) = metric_info(metric);
    let pts: Vec<&PointStat> = t.points.iter().collect();
    let perts: Vec<&PerturbationInfo> = m
        .perturbations
        .iter()
        .filter(|p| p.kind != "none")
        .collect();
    let mut columns = vec![LeaderboardColumn {
        name: "Clean".into(),
        higher_is_better: Some(higher),
        description: format!("{metric} without perturbation, mean over classes"),
    }];
    for p in &perts {
        columns.push(LeaderboardColumn {
            name: format!("nAUC {}", p.label),
            higher_is_better: Some(higher),
            description: format!(
                "normalised area under the {metric}-vs-{} curve (its mean height)",
                p.parameter
            ),
        });
    }
    for (name, h, d) in [
        (
            "Mean nAUC",
            Some(higher),
            "mean of the per-perturbation nAUCs (ranking key)",
        ),
        (
            "Worst",
            Some(higher),
            "worst class-mean score over every perturbation and point",
        ),
        (
            "OA",
            Some(higher),
            "ROOD-MRI weighted overall score (alpha = 2/3; severity = rank of distance from identity), mean over perturbations",
        ),
        (
            "Deg",
            Some(false),
            "ROOD-MRI weighted degradation from the clean score (positive = loss), mean over perturbations",
        ),
    ] {
        columns.push(LeaderboardColumn {
            name: name.into(),
            higher_is_better: h,
            description: d.into(),
        });
    }
    let mut rows: Vec<(f64, LeaderboardRow)> = Vec::new();
    for model in &m.models {
        let clean = class_mean_curve(&pts, &model.name, dataset, "none", metric)
            .first()
            .and_then(|c| c.1);
        let mut values = vec![clean];
        let (mut aucs, mut oas, mut degs) = (Vec::new(), Vec::new(), Vec::new());
        let mut worst: Option<f64> = None;
        for p in &perts {
            let curve = class_mean_curve(&pts, &model.name, dataset, &p.label, metric);
            let mut sorted: Vec<(f64, f64)> = curve
                .iter()
                .filter_map(|&(x, y)| y.map(|y| (x, y)))
                .collect();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            sorted.dedup_by(|a, b| a.0 == b.0);
            let xs: Vec<f64> = sorted.iter().map(|v| v.0).collect();
            let ys: Vec<f64> = sorted.iter().map(|v| v.1).collect();
            let auc = if sorted.len() == curve.len() {
                normalized_auc(&xs, &ys).ok()
            } else {
                None
            };
            if let Some(a) = auc {
                aucs.push(a);
            }
            values.push(auc);
            if let Ok((_, w)) = worst_point(&xs, &ys, higher) {
                worst = Some(match worst {
                    None => w,
                    Some(cur) if (higher && w < cur) || (!higher && w > cur) => w,
                    Some(cur) => cur,
                });
            }
            if let Some(c) = clean
                && let Some((c0, sev, sc)) = severity_curve(&curve, p, c)
            {
                if let Ok(v) = rood_overall(c0, &sev, &sc, ROOD_ALPHA) {
                    oas.push(v);
                }
                if let Ok(v) = rood_degradation(c0, &sev, &sc, ROOD_ALPHA, higher) {
                    degs.push(v);
                }
            }
        }
        let mean_auc = mean_of(&aucs).filter(|_| aucs.len() == perts.len());
        values.extend([mean_auc, worst, mean_of(&oas), mean_of(&degs)]);
        let key = mean_auc.or(clean).unwrap_or(f64::NAN);
        rows.push((
            key,
            LeaderboardRow {
                rank: 0,
                model: model.name.clone(),
                values,
                ci: Vec::new(),
            },
        ));
    }
    rows.sort_by(|a, b| {
        let (x, y) = (a.0, b.0);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ if higher => y.total_cmp(&x),
            _ => x.total_cmp(&y),
        }
    });
    Leaderboard {
        metric: format!("{metric} (mean over classes) on dataset `{dataset}`"),
        higher_is_better: higher,
        columns,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, (_, mut r))| {
                r.rank = i + 1;
                r
            })
            .collect(),
    }
}

fn panels(m: &Manifest, t: &RunTables) -> Vec<CurvePanel> {
    let mut out = Vec::new();
    let foreground: Vec<(u32, &String)> = m
        .classes
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, c)| (i as u32, c))
        .collect();
    for p in m.perturbations.iter().filter(|p| p.kind != "none") {
        for metric in &m.metrics {
            let (unit, higher, bounds) = metric_info(metric);
            for d in &m.datasets {
                for &(ci, class) in &foreground {
                    let series = m
                        .models
                        .iter()
                        .map(|model| Series {
                            model: model.name.clone(),
                            points: t
                                .points
                                .iter()
                                .filter(|s| {
                                    s.model == model.name
                                        && s.dataset == d.name
                                        && s.perturbation == p.label
                                        && s.metric == *metric
                                        && s.class_index == ci
                                })
                                .map(|s| CurvePoint {
                                    x: s.point,
                                    mean: s.mean,
                                    lo: s.ci.map(|c| c.0),
                                    hi: s.ci.map(|c| c.1),
                                    n: s.n,
                                    n_undefined: s.n_undefined,
                                })
                                .collect(),
                        })
                        .collect();
                    out.push(CurvePanel {
                        perturbation: p.label.clone(),
                        parameter: p.parameter.clone(),
                        unit: p.unit.clone(),
                        metric: metric.clone(),
                        metric_unit: unit.clone(),
                        class: class.clone(),
                        higher_is_better: higher,
                        primary: *metric == m.primary_metric,
                        dataset: if d.reference_mode == "ground_truth" {
                            d.name.clone()
                        } else {
                            format!("{} (vs. unperturbed prediction)", d.name)
                        },
                        y_min: bounds.0,
                        y_max: bounds.1,
                        series,
                    });
                }
            }
        }
    }
    out
}

fn strips(run_dir: &Path, m: &Manifest) -> Result<Vec<Strip>> {
    let Some((dataset, sample)) = &m.strip_sample else {
        return Ok(Vec::new());
    };
    if m.models.is_empty() || m.perturbations.is_empty() {
        return Ok(Vec::new());
    }
    let scores = sample_scores(run_dir, dataset, sample, &m.primary_metric)?;
    let mut out = Vec::new();
    for p in m.perturbations.iter().filter(|p| p.kind != "none") {
        for model in &m.models {
            let dir = run_dir
                .join("strips")
                .join(sanitize(dataset))
                .join(sanitize(&p.label))
                .join(sanitize(&model.name));
            let mut frames = Vec::new();
            for (k, &x) in p.points.iter().enumerate() {
                let png = std::fs::read(dir.join(format!("{k:03}.png"))).unwrap_or_default();
                let score = scores
                    .iter()
                    .find(|s| {
                        s.model == model.name
                            && s.perturbation == p.label
                            && s.point_index == k as u32
                    })
                    .and_then(|s| s.mean_over_classes);
                frames.push(Frame {
                    x,
                    png_base64: to_base64(&png),
                    score,
                });
            }
            out.push(Strip {
                perturbation: p.label.clone(),
                parameter: p.parameter.clone(),
                unit: p.unit.clone(),
                metric: format!("{} (mean over classes)", m.primary_metric),
                sample: sample.clone(),
                model: model.name.clone(),
                frames,
            });
        }
    }
    Ok(out)
}

/// Builds the report's data from a run folder.
pub fn report_data(run_dir: &Path) -> Result<ReportData> {
    let m = Manifest::read(run_dir)?;
    if m.task == "classification" {
        return classification::report_data(run_dir, &m);
    }
    // a run that is only a data-efficiency study has no robustness parts
    let t = match aggregate_run(run_dir) {
        Err(sensibench_results::ResultsError::NoParts(_)) if m.efficiency.is_some() => {
            RunTables::default()
        }
        other => other?,
    };
    let study = match &m.efficiency {
        Some(info) => Some(efficiency::study_report(run_dir, info, &m.primary_metric)?),
        None => None,
    };
    let lb_dataset = m
        .datasets
        .iter()
        .find(|d| d.reference_mode == "ground_truth")
        .or(m.datasets.first())
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let mut provenance = provenance(&m, t.rows + study.as_ref().map_or(0, |s| s.rows));
    if let Some(info) = &m.efficiency {
        for src in &info.sources {
            provenance.push((
                format!("source {}", src.name),
                format!("torchscript · sha256 {}", short(&src.hash)),
            ));
        }
    }
    let mut notes: Vec<String> = skipped_notes(&m);
    for d in &m.datasets {
        let how = if d.reference_mode == "ground_truth" {
            "scored against its reference masks"
        } else {
            "scored against each model's own prediction on the unperturbed image (no masks)"
        };
        notes.push(format!(
            "Dataset `{}`: {} samples, {how}.",
            d.name, d.samples
        ));
    }
    notes.extend(load_error_notes(&m));
    let mut failures: Vec<Failure> = t
        .failures
        .iter()
        .map(|f| Failure {
            model: f.model.clone(),
            dataset: f.dataset.clone(),
            perturbation: f.perturbation.clone(),
            reason: f.reason.clone(),
            rows: f.rows,
        })
        .collect();
    let mut board = leaderboard(&m, &t, &lb_dataset);
    let mut efficiency = Vec::new();
    if let Some(study) = study {
        notes.extend(study.notes);
        failures.extend(study.failures);
        efficiency = study.panels;
        // a study-only run ranks its pretraining sources
        if m.models.is_empty()
            && let Some(lb) = study.leaderboard
        {
            board = lb;
        }
    }
    Ok(ReportData {
        title: m.title.clone(),
        suite: m.suite.clone(),
        description: m.description.clone(),
        run_id: m.run_id.clone(),
        created: m.created.clone(),
        provenance,
        notes,
        ci_label: "95% percentile-bootstrap CI of the mean over samples (2000 resamples)".into(),
        leaderboard: board,
        panels: panels(&m, &t),
        strips: strips(run_dir, &m)?,
        efficiency,
        failures,
        classification: None,
    })
}
