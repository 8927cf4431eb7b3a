//! The view model: everything the template shows, already formatted.
//!
//! The template only lays out strings; numbers are formatted here, charts are
//! drawn here (by [`crate::svg`], which escapes its own text) and every string
//! from the [`ReportData`] is passed through as is, for the template's
//! auto-escaping.

use serde::Serialize;

use crate::svg::{format_compact, format_fixed, line_chart, marker_path, model_colour};
use crate::{CurvePanel, ReportData};

#[derive(Serialize)]
pub(crate) struct View<'a> {
    title: &'a str,
    suite: &'a str,
    description: &'a str,
    run_id: &'a str,
    created: &'a str,
    provenance: Vec<Pair<'a>>,
    notes: &'a [String],
    ci_label: String,
    models: Vec<ModelKey>,
    leaderboard: LeaderboardView<'a>,
    groups: Vec<GroupView<'a>>,
    strips: Vec<StripGroupView<'a>>,
    failures: &'a [crate::Failure],
    failed_rows: usize,
    n_panels: usize,
}

#[derive(Serialize)]
struct Pair<'a> {
    key: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct ModelKey {
    name: String,
    /// A small inline SVG swatch (line + marker); built here, no user text.
    swatch: String,
}

#[derive(Serialize)]
struct LeaderboardView<'a> {
    metric: &'a str,
    arrow: &'static str,
    direction: &'static str,
    columns: Vec<ColumnView<'a>>,
    rows: Vec<RowView<'a>>,
    described: bool,
}

#[derive(Serialize)]
struct ColumnView<'a> {
    name: &'a str,
    arrow: &'static str,
    direction: &'static str,
    description: &'a str,
}

#[derive(Serialize)]
struct RowView<'a> {
    rank: usize,
    model: &'a str,
    swatch: String,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct CellView {
    text: String,
    best: bool,
    missing: bool,
}

#[derive(Serialize)]
struct GroupView<'a> {
    perturbation: &'a str,
    anchor: String,
    figure: usize,
    parameter: &'a str,
    unit: &'a str,
    metric: &'a str,
    direction: &'static str,
    datasets: Vec<&'a str>,
    charts: Vec<ChartView<'a>>,
    other: Vec<ChartView<'a>>,
    other_metrics: Vec<&'a str>,
}

#[derive(Serialize)]
struct ChartView<'a> {
    class: &'a str,
    metric: &'a str,
    dataset: &'a str,
    direction: &'static str,
    arrow: &'static str,
    n_range: String,
    svg: String,
}

#[derive(Serialize)]
struct StripGroupView<'a> {
    perturbation: &'a str,
    parameter: &'a str,
    unit: &'a str,
    metric: &'a str,
    figure: usize,
    rows: Vec<StripRowView<'a>>,
}

#[derive(Serialize)]
struct StripRowView<'a> {
    model: &'a str,
    sample: &'a str,
    swatch: String,
    frames: Vec<FrameView>,
}

#[derive(Serialize)]
struct FrameView {
    x: String,
    score: String,
    /// `data:image/png;base64,…` after checking the payload is pure base64.
    src: Option<String>,
}

fn arrow(higher: Option<bool>) -> (&'static str, &'static str) {
    match higher {
        Some(true) => ("↑", "higher is better"),
        Some(false) => ("↓", "lower is better"),
        None => ("", ""),
    }
}

/// A 30×12 inline SVG of the model's line and marker (for tables and keys).
fn swatch(index: usize) -> String {
    let c = model_colour(index);
    format!(
        r#"<svg class="swatch" viewBox="0 0 30 12" width="30" height="12" aria-hidden="true"><path d="M2,6h26" stroke="{c}" stroke-width="2"/><path transform="translate(15,6)" d="{}" stroke="{c}" fill="{c}"/></svg>"#,
        marker_path(index, 3.3)
    )
}

/// Digits after the point for a column: 3 below 10, then fewer as values grow.
fn column_decimals(values: impl Iterator<Item = f64>) -> usize {
    let max = values.fold(0.0f64, |m, v| m.max(v.abs()));
    match max {
        m if m < 10.0 => 3,
        m if m < 100.0 => 2,
        m if m < 1000.0 => 1,
        _ => 0,
    }
}

fn is_base64(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
}

fn anchor(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i}")
}

/// The report-wide model order: leaderboard rows, then series, then strips.
fn model_order(data: &ReportData) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    let mut add = |m: &str| {
        if !models.iter().any(|x| x == m) {
            models.push(m.to_string());
        }
    };
    for r in &data.leaderboard.rows {
        add(&r.model);
    }
    for p in &data.panels {
        for s in &p.series {
            add(&s.model);
        }
    }
    for s in &data.strips {
        add(&s.model);
    }
    models
}

fn n_range(panel: &CurvePanel) -> String {
    let ns = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.n));
    let (lo, hi) = ns.fold((usize::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
    match (lo, hi) {
        (usize::MAX, _) => String::new(),
        (a, b) if a == b => format!("n = {a}"),
        (a, b) => format!("n = {a}–{b}"),
    }
}

fn chart<'a>(panel: &'a CurvePanel, models: &[String]) -> ChartView<'a> {
    let (arrow, direction) = arrow(Some(panel.higher_is_better));
    ChartView {
        class: &panel.class,
        metric: &panel.metric,
        dataset: &panel.dataset,
        direction,
        arrow,
        n_range: n_range(panel),
        svg: line_chart(panel, models),
    }
}

pub(crate) fn build(data: &ReportData) -> View<'_> {
    let models = model_order(data);
    let index_of = |m: &str| models.iter().position(|x| x == m).unwrap_or(0);

    // Leaderboard.
    let lb = &data.leaderboard;
    let ncol = lb.columns.len();
    let value = |row: &crate::LeaderboardRow, j: usize| {
        row.values
            .get(j)
            .copied()
            .flatten()
            .filter(|v| v.is_finite())
    };
    let mut cells: Vec<Vec<CellView>> = lb.rows.iter().map(|_| Vec::with_capacity(ncol)).collect();
    for (j, col) in lb.columns.iter().enumerate() {
        let decimals = column_decimals(lb.rows.iter().filter_map(|r| value(r, j)));
        let rounded = |v: f64| format_fixed(v, decimals).parse::<f64>().unwrap_or(v);
        let best = col.higher_is_better.and_then(|higher| {
            let vals = lb.rows.iter().filter_map(|r| value(r, j)).map(rounded);
            if higher {
                vals.reduce(f64::max)
            } else {
                vals.reduce(f64::min)
            }
        });
        for (i, r) in lb.rows.iter().enumerate() {
            cells[i].push(match value(r, j) {
                Some(v) => CellView {
                    text: format_fixed(v, decimals),
                    best: lb.rows.len() > 1 && best == Some(rounded(v)),
                    missing: false,
                },
                None => CellView {
                    text: "—".to_string(),
                    best: false,
                    missing: true,
                },
            });
        }
    }
    let (lb_arrow, lb_direction) = arrow(Some(lb.higher_is_better));
    let leaderboard = LeaderboardView {
        metric: &lb.metric,
        arrow: lb_arrow,
        direction: lb_direction,
        columns: lb
            .columns
            .iter()
            .map(|c| {
                let (arrow, direction) = arrow(c.higher_is_better);
                ColumnView {
                    name: &c.name,
                    arrow,
                    direction,
                    description: &c.description,
                }
            })
            .collect(),
        rows: lb
            .rows
            .iter()
            .zip(cells)
            .map(|(r, cells)| RowView {
                rank: r.rank,
                model: &r.model,
                swatch: swatch(index_of(&r.model)),
                cells,
            })
            .collect(),
        described: lb.columns.iter().any(|c| !c.description.trim().is_empty()),
    };

    // Curve panels grouped by perturbation (first appearance order).
    let mut groups: Vec<GroupView<'_>> = Vec::new();
    for panel in &data.panels {
        let gi = match groups
            .iter()
            .position(|g| g.perturbation == panel.perturbation)
        {
            Some(i) => i,
            None => {
                groups.push(GroupView {
                    perturbation: &panel.perturbation,
                    anchor: anchor("perturbation", groups.len() + 1),
                    figure: groups.len() + 1,
                    parameter: &panel.parameter,
                    unit: &panel.unit,
                    metric: "",
                    direction: "",
                    datasets: Vec::new(),
                    charts: Vec::new(),
                    other: Vec::new(),
                    other_metrics: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[gi];
        if !panel.dataset.is_empty() && !g.datasets.contains(&panel.dataset.as_str()) {
            g.datasets.push(&panel.dataset);
        }
        if panel.primary {
            if g.metric.is_empty() {
                g.metric = &panel.metric;
                g.direction = arrow(Some(panel.higher_is_better)).1;
            }
            g.charts.push(chart(panel, &models));
        } else {
            if !g.other_metrics.contains(&panel.metric.as_str()) {
                g.other_metrics.push(&panel.metric);
            }
            g.other.push(chart(panel, &models));
        }
    }
    let n_figures = groups.len();

    // Strips grouped by perturbation.
    let mut strips: Vec<StripGroupView<'_>> = Vec::new();
    for s in &data.strips {
        let gi = match strips.iter().position(|g| g.perturbation == s.perturbation) {
            Some(i) => i,
            None => {
                strips.push(StripGroupView {
                    perturbation: &s.perturbation,
                    parameter: &s.parameter,
                    unit: &s.unit,
                    metric: &s.metric,
                    figure: n_figures + strips.len() + 1,
                    rows: Vec::new(),
                });
                strips.len() - 1
            }
        };
        strips[gi].rows.push(StripRowView {
            model: &s.model,
            sample: &s.sample,
            swatch: swatch(index_of(&s.model)),
            frames: s
                .frames
                .iter()
                .map(|f| FrameView {
                    x: if f.x.is_finite() {
                        format_compact(f.x)
                    } else {
                        "—".to_string()
                    },
                    score: f
                        .score
                        .filter(|v| v.is_finite())
                        .map_or_else(|| "undefined".to_string(), |v| format_fixed(v, 3)),
                    src: is_base64(&f.png_base64)
                        .then(|| format!("data:image/png;base64,{}", f.png_base64)),
                })
                .collect(),
        });
    }

    View {
        title: &data.title,
        suite: &data.suite,
        description: &data.description,
        run_id: &data.run_id,
        created: &data.created,
        provenance: data
            .provenance
            .iter()
            .map(|(k, v)| Pair { key: k, value: v })
            .collect(),
        notes: &data.notes,
        ci_label: if data.ci_label.trim().is_empty() {
            "interval as supplied by the run".to_string()
        } else {
            data.ci_label.clone()
        },
        models: models
            .iter()
            .enumerate()
            .map(|(i, m)| ModelKey {
                name: m.clone(),
                swatch: swatch(i),
            })
            .collect(),
        leaderboard,
        n_panels: data.panels.len(),
        groups,
        strips,
        failures: &data.failures,
        failed_rows: data.failures.iter().map(|f| f.rows).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_by_magnitude() {
        assert_eq!(column_decimals([0.5, -0.9].into_iter()), 3);
        assert_eq!(column_decimals([12.0].into_iter()), 2);
        assert_eq!(column_decimals([512.0].into_iter()), 1);
        assert_eq!(column_decimals([5120.0].into_iter()), 0);
        assert!(is_base64("iVBORw0KGgo="));
        assert!(!is_base64("\" onerror=\"x"));
        assert!(!is_base64(""));
    }
}
