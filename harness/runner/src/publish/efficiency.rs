//! The data-efficiency study in the report: one panel per study dataset ×
//! class × metric (score vs n, one curve per source, the human band), and a
//! leaderboard of the sources on the first study dataset.
//!
//! Each point: the per-fold mean of the held-out scores, then the mean over
//! folds with a 95% Student-t interval across folds. The leaderboard reads
//! the largest training size run: the score, the smallest n that reaches the
//! human band, and for every clinical measure the Bland-Altman bias and 95%
//! limits of agreement (prediction − reference over all held-out slices).

use std::path::Path;

use sensibench_report::{
    EfficiencyCurve, EfficiencyPanel, EfficiencyPoint, Failure, HumanBand, Leaderboard,
    LeaderboardColumn, LeaderboardRow, smallest_n_reaching,
};
use sensibench_results::{EfficiencyStat, aggregate_efficiency, read_efficiency_rows};

use sensibench_metrics::ClinicalMeasure;

use crate::Result;
use crate::manifest::EfficiencyInfo;
use crate::publish::metric::metric_info;

/// What the report shows of the study.
pub(crate) struct StudyReport {
    pub panels: Vec<EfficiencyPanel>,
    pub leaderboard: Option<Leaderboard>,
    pub failures: Vec<Failure>,
    pub notes: Vec<String>,
    pub rows: usize,
}

fn measure_title(name: &str) -> &'static str {
    match name {
        "area_cm2" => "area",
        "mean_hu" => "HU",
        _ => "measure",
    }
}

pub(crate) fn study_report(
    run_dir: &Path,
    info: &EfficiencyInfo,
    primary: &str,
) -> Result<StudyReport> {
    let Some(df) = read_efficiency_rows(run_dir)? else {
        return Ok(StudyReport {
            panels: Vec::new(),
            leaderboard: None,
            failures: Vec::new(),
            notes: vec!["The data-efficiency study has no results yet.".into()],
            rows: 0,
        });
    };
    let rows = df.height();
    let (stats, failures) = aggregate_efficiency(&df)?;
    let sources: Vec<String> = info.sources.iter().map(|s| s.name.clone()).collect();
    let ci_label = format!(
        "95% t-interval across {} folds, clipped to the metric's range",
        info.folds
    );

    let mut panels = Vec::new();
    for d in &info.datasets {
        let classes: Vec<(u32, String)> = {
            let mut v: Vec<(u32, String)> = stats
                .iter()
                .filter(|s| s.dataset == d.name)
                .map(|s| (s.class_index, s.class.clone()))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        for (ci, class) in &classes {
            for metric in &info.metrics {
                let (unit, higher, range) = metric_info(metric);
                let curves = sources
                    .iter()
                    .map(|src| EfficiencyCurve {
                        source: src.clone(),
                        points: points(&stats, &d.name, src, *ci, metric, range),
                    })
                    .collect();
                let band = d
                    .bands
                    .iter()
                    .find(|b| &b.class == class && &b.metric == metric)
                    .map(|b| HumanBand {
                        value: b.value,
                        lo: b.lo,
                        hi: b.hi,
                        source: b.source.clone(),
                    });
                panels.push(EfficiencyPanel {
                    dataset: d.name.clone(),
                    metric: metric.clone(),
                    metric_unit: unit,
                    class: class.clone(),
                    higher_is_better: higher,
                    primary: metric == primary,
                    curves,
                    band,
                    ci_label: ci_label.clone(),
                });
            }
        }
    }

    let mut notes = Vec::new();
    notes.push(format!(
        "Data-efficiency study: {} sources × sizes × {} folds × {} repeat(s); fine-tuning: {}.",
        info.sources.len(),
        info.folds,
        info.repeats,
        info.recipe
    ));
    for d in &info.datasets {
        notes.extend(d.notes.iter().cloned());
    }
    let leaderboard = info
        .datasets
        .first()
        .map(|d| leaderboard(&stats, info, &d.name, primary, &panels));
    let failures = failures
        .into_iter()
        .map(|f| Failure {
            model: f.source,
            dataset: f.dataset,
            perturbation: "fine-tuning".into(),
            reason: f.reason,
            rows: f.rows,
        })
        .collect();
    Ok(StudyReport {
        panels,
        leaderboard,
        failures,
        notes,
        rows,
    })
}

/// The curve of one source; the t-interval, symmetric by construction, is
/// clipped to the metric's range (Dice in [0, 1], distances >= 0).
fn points(
    stats: &[EfficiencyStat],
    dataset: &str,
    source: &str,
    class_index: u32,
    metric: &str,
    (min, max): (Option<f64>, Option<f64>),
) -> Vec<EfficiencyPoint> {
    let clip = |v: f64| {
        let v = min.map_or(v, |m| v.max(m));
        max.map_or(v, |m| v.min(m))
    };
    stats
        .iter()
        .filter(|s| {
            s.dataset == dataset
                && s.source == source
                && s.class_index == class_index
                && s.metric == metric
        })
        .map(|s| EfficiencyPoint {
            n: s.n as usize,
            mean: s.mean,
            lo: s.ci.map(|c| clip(c.0)),
            hi: s.ci.map(|c| clip(c.1)),
            folds: s.fold_means.len(),
        })
        .collect()
}

/// Sources ranked on the primary metric (class mean) at the largest size.
fn leaderboard(
    stats: &[EfficiencyStat],
    info: &EfficiencyInfo,
    dataset: &str,
    primary: &str,
    panels: &[EfficiencyPanel],
) -> Leaderboard {
    let n_max = stats
        .iter()
        .filter(|s| s.dataset == dataset)
        .map(|s| s.n)
        .max()
        .unwrap_or(0);
    let at = |src: &str, metric: &str| -> Vec<&EfficiencyStat> {
        stats
            .iter()
            .filter(|s| {
                s.dataset == dataset && s.source == src && s.metric == metric && s.n == n_max
            })
            .collect()
    };
    let class_mean = |v: &[&EfficiencyStat]| -> Option<f64> {
        let m: Vec<f64> = v.iter().filter_map(|s| s.mean).collect();
        (!m.is_empty() && m.len() == v.len()).then(|| m.iter().sum::<f64>() / m.len() as f64)
    };
    let mut columns = Vec::new();
    for metric in &info.metrics {
        let (unit, higher, _) = metric_info(metric);
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" ({unit})")
        };
        columns.push(LeaderboardColumn {
            name: format!("{metric} n={n_max}{unit}"),
            higher_is_better: Some(higher),
            description: format!(
                "mean {metric} over folds after fine-tuning on {n_max} images ({dataset}; mean over classes)"
            ),
        });
    }
    let band_panel = panels.iter().find(|p| {
        p.dataset == dataset && p.band.is_some() && Some(&p.metric) == info.human_metric.as_ref()
    });
    if band_panel.is_some() {
        columns.push(LeaderboardColumn {
            name: "n to human".into(),
            higher_is_better: Some(false),
            description:
                "smallest training size whose mean reaches the human band (— = not reached)".into(),
        });
    }
    for m in &info.measures {
        let unit = ClinicalMeasure::from_name(m).map_or("", |c| c.unit());
        columns.push(LeaderboardColumn {
            name: format!("{} bias ({unit})", measure_title(m)),
            higher_is_better: None,
            description: format!(
                "Bland-Altman mean difference prediction − reference of {m} at n={n_max} over all held-out slices"
            ),
        });
        columns.push(LeaderboardColumn {
            name: format!("{} LoA ± ({unit})", measure_title(m)),
            higher_is_better: Some(false),
            description: format!(
                "half-width of the 95% limits of agreement (1.96 SD of the differences) of {m} at n={n_max}"
            ),
        });
    }
    let mut rows: Vec<LeaderboardRow> = info
        .sources
        .iter()
        .map(|src| {
            let mut values: Vec<Option<f64>> = info
                .metrics
                .iter()
                .map(|m| class_mean(&at(&src.name, m)))
                .collect();
            if let Some(p) = band_panel {
                let reach = p
                    .curves
                    .iter()
                    .find(|c| c.source == src.name)
                    .zip(p.band.as_ref())
                    .and_then(|(c, b)| smallest_n_reaching(c, b, p.higher_is_better));
                values.push(reach.map(|n| n as f64));
            }
            for m in &info.measures {
                let ba = at(&src.name, m).first().and_then(|s| s.agreement);
                values.push(ba.as_ref().map(|b| b.mean_diff));
                values.push(ba.as_ref().map(|b| (b.loa_upper - b.loa_lower) / 2.0));
            }
            LeaderboardRow {
                rank: 0,
                model: src.name.clone(),
                values,
                ci: Vec::new(),
            }
        })
        .collect();
    let key = info.metrics.iter().position(|m| m == primary).unwrap_or(0);
    let higher = metric_info(primary).1;
    rows.sort_by(|a, b| {
        let (x, y) = (a.values[key], b.values[key]);
        match (x, y) {
            (Some(x), Some(y)) if higher => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Leaderboard {
        metric: format!("{primary} at n={n_max} ({dataset})"),
        higher_is_better: higher,
        columns,
        rows,
    }
}
