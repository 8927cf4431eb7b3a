//! The report of a classification run: a leaderboard of every metric on the
//! unperturbed images with bootstrap CIs, metric-vs-parameter curves per
//! perturbation, the shortcut table, paired tests, confusion matrices and
//! the saliency galleries the run saved.

use std::collections::BTreeMap;
use std::path::Path;

use sensibench_metrics::ClassMetric;
use sensibench_report::{
    AucCell, ClassificationReport, ConfusionView, CurvePanel, CurvePoint, Failure, Leaderboard,
    LeaderboardColumn, LeaderboardRow, LocalisationRow, PairedTestRow, ReportData, Series,
    ShortcutTable, ShortcutTableRow,
};
use sensibench_results::{
    ClassMetricStat, ClassificationSpec, ClassificationTables, ConditionRef,
    aggregate_classification, aggregate_saliency,
};

use crate::manifest::{
    ClassificationInfo, ConditionInfo, Manifest, SavedSaliency, saved_saliency_path,
};
use crate::{Result, RunError, json_err};

fn pretty(metric: &str) -> String {
    match metric {
        "accuracy" => "Accuracy".into(),
        "balanced_accuracy" => "Balanced accuracy".into(),
        "macro_f1" => "Macro F1".into(),
        "roc_auc" => "ROC AUC".into(),
        "kappa" => "Cohen's κ".into(),
        "kappa_linear" => "κ (linear)".into(),
        "kappa_quadratic" => "κ (quadratic)".into(),
        "ece" => "ECE".into(),
        other => other.to_string(),
    }
}

fn higher_is_better(metric: &str) -> bool {
    ClassMetric::from_name(metric).is_ok_and(|m| m.higher_is_better())
}

fn condition_text(perturbation: &str, point: f64, parameter: &str) -> String {
    if perturbation == "none" {
        "none".into()
    } else {
        format!("{perturbation} {parameter} = {}", short_number(point))
    }
}

/// `x` with at most four significant digits, without trailing zeros
/// (0.251188643 → 0.2512, 40 → 40, 1e-5 → 0.00001).
fn short_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn cond_ref(c: &ConditionInfo) -> ConditionRef {
    ConditionRef {
        name: c.name.clone(),
        dataset: c.dataset.clone(),
        perturbation: c.perturbation.clone(),
        point_index: c.point_index,
    }
}

fn leaderboard(m: &Manifest, stats: &[ClassMetricStat], dataset: &str) -> Leaderboard {
    let primary = &m.primary_metric;
    let clean = |model: &str, metric: &str| {
        stats.iter().find(|s| {
            s.model == model
                && s.dataset == dataset
                && s.perturbation == "none"
                && s.metric == metric
        })
    };
    let mut columns: Vec<LeaderboardColumn> = m
        .metrics
        .iter()
        .map(|metric| LeaderboardColumn {
            name: pretty(metric),
            higher_is_better: Some(higher_is_better(metric)),
            description: format!(
                "{} on the unperturbed images of `{dataset}`",
                pretty(metric)
            ),
        })
        .collect();
    let perturbed = m.perturbations.iter().any(|p| p.label != "none");
    if perturbed {
        columns.push(LeaderboardColumn {
            name: format!("Worst {}", pretty(primary)),
            higher_is_better: Some(higher_is_better(primary)),
            description: format!(
                "the worst {} over every perturbation and point on `{dataset}`",
                pretty(primary)
            ),
        });
    }
    columns.push(LeaderboardColumn {
        name: "Images".into(),
        higher_is_better: None,
        description: "images scored (unperturbed)".into(),
    });
    let hib = higher_is_better(primary);
    let mut rows: Vec<(Option<f64>, LeaderboardRow)> = m
        .models
        .iter()
        .map(|model| {
            let mut values = Vec::new();
            let mut ci = Vec::new();
            for metric in &m.metrics {
                let s = clean(&model.name, metric);
                values.push(s.and_then(|s| s.value));
                ci.push(s.and_then(|s| s.ci));
            }
            if perturbed {
                let worst = stats
                    .iter()
                    .filter(|s| {
                        s.model == model.name && s.dataset == dataset && &s.metric == primary
                    })
                    .filter_map(|s| s.value)
                    .fold(None, |acc: Option<f64>, v| {
                        Some(acc.map_or(v, |a| if hib { a.min(v) } else { a.max(v) }))
                    });
                values.push(worst);
                ci.push(None);
            }
            values.push(clean(&model.name, primary).map(|s| s.n as f64));
            ci.push(None);
            let key = clean(&model.name, primary).and_then(|s| s.value);
            (
                key,
                LeaderboardRow {
                    rank: 0,
                    model: model.name.clone(),
                    values,
                    ci,
                },
            )
        })
        .collect();
    rows.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => {
            let o = x.total_cmp(&y);
            if hib { o.reverse() } else { o }
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    Leaderboard {
        metric: format!("{} on `{dataset}` (unperturbed)", pretty(primary)),
        higher_is_better: hib,
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

fn panels(m: &Manifest, stats: &[ClassMetricStat]) -> Vec<CurvePanel> {
    let mut out = Vec::new();
    // a curve needs two points; single-point conditions are in the tables
    for p in m
        .perturbations
        .iter()
        .filter(|p| p.label != "none" && p.points.len() >= 2)
    {
        for metric in &m.metrics {
            for d in &m.datasets {
                // unlabelled data: only agreement with the unperturbed class
                if d.reference_mode != "ground_truth" && metric != "accuracy" {
                    continue;
                }
                let series: Vec<Series> = m
                    .models
                    .iter()
                    .map(|model| Series {
                        model: model.name.clone(),
                        points: stats
                            .iter()
                            .filter(|s| {
                                s.model == model.name
                                    && s.dataset == d.name
                                    && s.perturbation == p.label
                                    && &s.metric == metric
                            })
                            .map(|s| CurvePoint {
                                x: s.point,
                                mean: s.value,
                                lo: s.ci.map(|c| c.0),
                                hi: s.ci.map(|c| c.1),
                                n: s.n,
                                n_undefined: 0,
                            })
                            .collect(),
                    })
                    .filter(|s| !s.points.is_empty())
                    .collect();
                if series.is_empty() {
                    continue;
                }
                let bounded = metric != "kappa" && !metric.starts_with("kappa_");
                out.push(CurvePanel {
                    perturbation: p.label.clone(),
                    parameter: p.parameter.clone(),
                    unit: p.unit.clone(),
                    metric: pretty(metric),
                    metric_unit: String::new(),
                    class: String::new(),
                    higher_is_better: higher_is_better(metric),
                    primary: metric == &m.primary_metric,
                    dataset: d.name.clone(),
                    y_min: Some(if bounded { 0.0 } else { -1.0 }),
                    y_max: Some(1.0),
                    series,
                });
            }
        }
    }
    out
}

fn shortcut_table(
    info: &ClassificationInfo,
    t: &ClassificationTables,
    saliency: &[sensibench_results::SaliencyStat],
) -> Option<ShortcutTable> {
    let (reference, conditions) = info.shortcut.as_ref()?;
    let method = info.shortcut_saliency.clone();
    let cell = |c: &sensibench_results::ShortcutCell| AucCell {
        auc: c.auc,
        ci: c.ci,
        delta: c.delta,
        p: c.p,
        n: c.n,
    };
    Some(ShortcutTable {
        reference: reference.name.clone(),
        conditions: conditions.iter().map(|c| c.name.clone()).collect(),
        saliency_method: method.clone(),
        test_label: format!(
            "DeLong's test for two correlated ROC curves (fast midrank algorithm of Sun & Xu 2014), two-sided, paired by image; AUC intervals: {:.0} % normal intervals with DeLong's variance",
            info.level.clamp(0.5, 0.999) * 100.0
        ),
        rows: t
            .shortcut
            .iter()
            .map(|r| ShortcutTableRow {
                model: r.model.clone(),
                reference: cell(&r.reference),
                cells: r.conditions.iter().map(cell).collect(),
                saliency_mass: method.as_ref().and_then(|meth| {
                    saliency
                        .iter()
                        .find(|s| {
                            s.model == r.model
                                && s.dataset == reference.dataset
                                && s.perturbation == reference.perturbation
                                && s.point_index == reference.point_index
                                && &s.method == meth
                                && s.metric == "relevance_mass"
                        })
                        .and_then(|s| s.mean)
                }),
            })
            .collect(),
    })
}

/// How the run's tables are aggregated: the manifest's bootstrap (at least
/// 100 resamples) and level (0.95 unless in (0, 1)), and the shortcut
/// conditions.
fn spec_of<'a>(m: &'a Manifest, info: &ClassificationInfo) -> ClassificationSpec<'a> {
    ClassificationSpec {
        metrics: &m.metrics,
        bootstrap: info.bootstrap.max(100),
        level: if info.level > 0.0 && info.level < 1.0 {
            info.level
        } else {
            0.95
        },
        seed: m.seed,
        shortcut: info
            .shortcut
            .as_ref()
            .map(|(r, cs)| (cond_ref(r), cs.iter().map(cond_ref).collect())),
    }
}

/// The galleries and class maps the run saved (none when it saved none).
fn read_saved_saliency(run_dir: &Path) -> Result<SavedSaliency> {
    let path = saved_saliency_path(run_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(json_err(&path)),
        Err(_) => Ok(SavedSaliency::default()),
    }
}

/// Builds the report of a classification run.
pub(crate) fn report_data(run_dir: &Path, m: &Manifest) -> Result<ReportData> {
    let info = m.classification.clone().unwrap_or_default();
    let spec = spec_of(m, &info);
    let t = aggregate_classification(run_dir, &spec)?.ok_or_else(|| {
        RunError::Invalid(format!(
            "{}: no prediction parts found (was the run started?)",
            run_dir.display()
        ))
    })?;
    let saliency = aggregate_saliency(run_dir)?;
    let saved = read_saved_saliency(run_dir)?;
    let lb_dataset = m
        .datasets
        .iter()
        .find(|d| d.reference_mode == "ground_truth")
        .or(m.datasets.first())
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let rows: usize = t
        .metrics
        .iter()
        .filter(|s| s.metric == m.primary_metric)
        .map(|s| s.n + s.n_failed)
        .sum::<usize>()
        * m.classes.len();
    let provenance = crate::publish::provenance::provenance(m, rows);
    let notes = report_notes(m, &info, &saved);
    let level = (spec.level * 100.0).round();
    Ok(ReportData {
        title: m.title.clone(),
        suite: m.suite.clone(),
        description: m.description.clone(),
        run_id: m.run_id.clone(),
        created: m.created.clone(),
        provenance,
        notes,
        ci_label: format!(
            "{level}% percentile-bootstrap CI over images ({} resamples)",
            spec.bootstrap
        ),
        leaderboard: leaderboard(m, &t.metrics, &lb_dataset),
        efficiency: Vec::new(),
        panels: panels(m, &t.metrics),
        strips: Vec::new(),
        failures: failures(m, &t),
        classification: Some(ClassificationReport {
            classes: m.classes.clone(),
            shortcut: shortcut_table(&info, &t, &saliency),
            tests: paired_tests(m, &t),
            confusion: confusion_views(m, &info, &t),
            galleries: saved.galleries,
            class_maps: saved.class_maps,
            localisation: localisation_rows(&saliency),
            labels: crate::labels::read_study(run_dir),
        }),
    })
}

/// The report's notes: skipped datasets, how each dataset was scored, the
/// saliency notes, the markers, models that did not load.
fn report_notes(m: &Manifest, info: &ClassificationInfo, saved: &SavedSaliency) -> Vec<String> {
    let mut notes: Vec<String> = crate::publish::provenance::skipped_notes(m);
    for d in &m.datasets {
        let how = if d.reference_mode == "ground_truth" {
            "scored against its class labels"
        } else {
            "unlabelled: scored against each model's own class on the unperturbed image (agreement)"
        };
        let synthetic = if info.synthetic.contains(&d.name) {
            " Synthetic images (the embedded fallback): models trained on real images are not expected to classify them; the numbers show the harness runs, not how good the models are."
        } else {
            ""
        };
        notes.push(format!(
            "Dataset `{}`: {} images, {how}.{synthetic}",
            d.name, d.samples
        ));
    }
    notes.extend(saved.notes.iter().cloned());
    for (d, what) in &info.markers {
        notes.push(format!("Dataset `{d}`: {what}."));
    }
    notes.extend(crate::publish::provenance::load_error_notes(m));
    notes
}

/// The parameter of the perturbation `label` (empty if unknown).
fn parameter_of(m: &Manifest, label: &str) -> String {
    m.perturbations
        .iter()
        .find(|p| p.label == label)
        .map(|p| p.parameter.clone())
        .unwrap_or_default()
}

/// The paired tests: unperturbed comparisons first, then perturbations in
/// suite order.
fn paired_tests(m: &Manifest, t: &ClassificationTables) -> Vec<PairedTestRow> {
    let order = |p: &str| {
        m.perturbations
            .iter()
            .position(|x| x.label == p)
            .unwrap_or(usize::MAX)
    };
    let mut pairs: Vec<&sensibench_results::PairedTest> = t.pairs.iter().collect();
    pairs.sort_by_key(|p| (p.kind != "model", order(&p.perturbation), p.point_index));
    pairs
        .into_iter()
        .map(|p| PairedTestRow {
            dataset: p.dataset.clone(),
            kind: if p.kind == "model" {
                "models".into()
            } else {
                "condition".into()
            },
            condition: condition_text(&p.perturbation, p.point, &parameter_of(m, &p.perturbation)),
            a: p.a.clone(),
            b: if p.kind == "model" {
                p.b.clone()
            } else {
                condition_text(&p.perturbation, p.point, &parameter_of(m, &p.perturbation))
            },
            n: p.n,
            accuracy: (p.accuracy_a, p.accuracy_b),
            mcnemar_p: p.mcnemar_p,
            stuart_maxwell: p.stuart_maxwell,
            auc: (p.auc_a, p.auc_b),
            delong_p: p.delong_p,
        })
        .collect()
}

/// The confusion matrices: unperturbed first, then the shortcut conditions.
fn confusion_views(
    m: &Manifest,
    info: &ClassificationInfo,
    t: &ClassificationTables,
) -> Vec<ConfusionView> {
    let mut confusion: Vec<ConfusionView> = Vec::new();
    let mut wanted: Vec<(String, String, u32)> = m
        .datasets
        .iter()
        .filter(|d| d.reference_mode == "ground_truth")
        .map(|d| (d.name.clone(), "none".to_string(), 0))
        .collect();
    if let Some((_, cs)) = &info.shortcut {
        for c in cs {
            wanted.push((c.dataset.clone(), c.perturbation.clone(), c.point_index));
        }
    }
    wanted.dedup();
    for (d, p, pi) in &wanted {
        for model in &m.models {
            if let Some(c) = t.confusion.iter().find(|c| {
                c.model == model.name
                    && &c.dataset == d
                    && &c.perturbation == p
                    && c.point_index == *pi
            }) {
                confusion.push(ConfusionView {
                    model: c.model.clone(),
                    dataset: c.dataset.clone(),
                    condition: condition_text(p, c.point, &parameter_of(m, p)),
                    counts: c.counts.clone(),
                });
            }
        }
    }
    confusion
}

/// One localisation row per (model, method, dataset, condition): the
/// relevance mass, rank and pointing game.
fn localisation_rows(saliency: &[sensibench_results::SaliencyStat]) -> Vec<LocalisationRow> {
    let mut by: BTreeMap<(String, String, String, String, u32), LocalisationRow> = BTreeMap::new();
    for s in saliency {
        let row = by
            .entry((
                s.model.clone(),
                s.method.clone(),
                s.dataset.clone(),
                s.perturbation.clone(),
                s.point_index,
            ))
            .or_insert_with(|| LocalisationRow {
                model: s.model.clone(),
                method: s.method.clone(),
                dataset: s.dataset.clone(),
                condition: s.perturbation.clone(),
                mass: None,
                rank: None,
                pointing: None,
                n: 0,
            });
        match s.metric.as_str() {
            "relevance_mass" => {
                row.mass = s.mean;
                row.n = s.n;
            }
            "relevance_rank" => row.rank = s.mean,
            "pointing_game" => row.pointing = s.mean,
            _ => {}
        }
    }
    by.into_values().collect()
}

/// The failed predictions, with their rows (one per class).
fn failures(m: &Manifest, t: &ClassificationTables) -> Vec<Failure> {
    t.failures
        .iter()
        .map(|(model, dataset, perturbation, reason, n)| Failure {
            model: model.clone(),
            dataset: dataset.clone(),
            perturbation: perturbation.clone(),
            reason: reason.clone(),
            rows: n * m.classes.len(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_numbers() {
        assert_eq!(super::short_number(0.251_188_643_150_958), "0.2512");
        assert_eq!(super::short_number(3.981_071_705_534_972), "3.981");
        assert_eq!(super::short_number(40.0), "40");
        assert_eq!(super::short_number(-20.0), "-20");
        assert_eq!(super::short_number(0.05), "0.05");
        assert_eq!(super::short_number(0.0), "0");
    }
}
