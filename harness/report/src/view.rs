//! The view model: everything the template shows, already formatted.
//!
//! The template only lays out strings; numbers are formatted here, charts are
//! drawn here (by [`crate::svg`], which escapes its own text) and every string
//! from the [`ReportData`] is passed through as is, for the template's
//! auto-escaping.

use serde::Serialize;

use crate::chart::efficiency_chart::{drawable_band, efficiency_chart};
use crate::chart::format::{
    axis_label, band_decimals, finite, format_compact, format_fixed, interval, value_decimals,
};
use crate::chart::line_chart::line_chart;
use crate::chart::palette::swatch;
use crate::classification::{self, ClassificationView};
use crate::data_uri::png_data_uri;
use crate::numbering::Numbering;
use crate::{
    CurvePanel, EfficiencyPanel, EfficiencyPoint, Frame, HumanBand, Leaderboard, LeaderboardRow,
    ReportData, smallest_n_reaching,
};

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
    efficiency: Vec<EfficiencyView<'a>>,
    groups: Vec<GroupView<'a>>,
    strips: Vec<StripGroupView<'a>>,
    failures: &'a [crate::Failure],
    failed_rows: usize,
    /// The failures table's number (after the classification tables).
    failures_table: usize,
    n_panels: usize,
    /// The eyebrow's report kind, e.g. `classification report`.
    kind: &'static str,
    classification: Option<ClassificationView<'a>>,
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
    /// Whether some value carries a `[lo, hi]` interval.
    any_ci: bool,
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
    /// `[lo, hi]` at the value's precision, or empty.
    ci: String,
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
struct EfficiencyView<'a> {
    anchor: String,
    figure: usize,
    dataset: &'a str,
    metric: &'a str,
    metric_unit: &'a str,
    class: &'a str,
    arrow: &'static str,
    direction: &'static str,
    n_range: String,
    ci_label: String,
    svg: String,
    band: Option<BandView<'a>>,
    /// The heading of the score column, e.g. `Dice at n = 20`.
    score_heading: String,
    rows: Vec<ReachRowView<'a>>,
}

#[derive(Serialize)]
struct BandView<'a> {
    value: String,
    lo: String,
    hi: String,
    source: &'a str,
    /// The reaching rule in words, e.g. `≥ 0.850 (the band's lower end)`.
    rule: String,
}

#[derive(Serialize)]
struct ReachRowView<'a> {
    source: &'a str,
    swatch: String,
    /// The smallest n reaching the band, or `not reached`.
    reached: String,
    reached_best: bool,
    reached_missing: bool,
    /// The mean at the source's largest n, or `—`.
    score: String,
    /// ` [lo, hi]` of that point, or empty.
    score_ci: String,
    /// `n = …` when the sources' largest n differ, else empty.
    score_n: String,
    score_best: bool,
    score_missing: bool,
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

/// Digits after the point for a column: none when every value is a whole
/// number of at least 10 (counts), else 3 below 10, then fewer as values grow.
fn column_decimals(values: impl Iterator<Item = f64>) -> usize {
    let values: Vec<f64> = values.collect();
    let max = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max >= 10.0 && values.iter().all(|v| v.fract() == 0.0) {
        return 0;
    }
    match max {
        m if m < 10.0 => 3,
        m if m < 100.0 => 2,
        m if m < 1000.0 => 1,
        _ => 0,
    }
}

/// `v` as shown with `decimals` digits (best values are compared as shown,
/// so that ties in the table are all bold).
fn shown(v: f64, decimals: usize) -> f64 {
    format_fixed(v, decimals).parse::<f64>().unwrap_or(v)
}

/// The largest (`higher`) or smallest of `values`.
fn best_of(values: impl Iterator<Item = f64>, higher: bool) -> Option<f64> {
    if higher {
        values.reduce(f64::max)
    } else {
        values.reduce(f64::min)
    }
}

fn anchor(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i}")
}

/// The interval label, or "interval as supplied by the run" when blank.
fn ci_label_or_default(label: &str) -> String {
    if label.trim().is_empty() {
        "interval as supplied by the run".to_string()
    } else {
        label.to_string()
    }
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
    if let Some(c) = &data.classification {
        if let Some(s) = &c.shortcut {
            for r in &s.rows {
                add(&r.model);
            }
        }
        for t in &c.tests {
            add(&t.a);
            if t.kind == "models" {
                add(&t.b);
            }
        }
        for m in &c.confusion {
            add(&m.model);
        }
        // image-only galleries have no model
        for g in c.galleries.iter().filter(|g| !g.model.is_empty()) {
            add(&g.model);
        }
        for m in &c.class_maps {
            add(&m.model);
        }
        for l in &c.localisation {
            add(&l.model);
        }
    }
    models
}

/// The position of `model` in the report-wide list (0 when absent).
fn model_index(models: &[String], model: &str) -> usize {
    models.iter().position(|x| x == model).unwrap_or(0)
}

/// `n = a–b` over the counts `ns` (`n = a` when they are all equal), or
/// empty when there are none.
fn n_range(ns: impl Iterator<Item = usize>) -> String {
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
        n_range: n_range(
            panel
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.n)),
        ),
        svg: line_chart(panel, models),
    }
}

/// The style order of the data-efficiency charts: the report-wide model list
/// (so that a source also ranked in the leaderboard keeps its colour there),
/// then the remaining sources in order of first appearance.
fn source_order(data: &ReportData, models: &[String]) -> Vec<String> {
    let mut sources: Vec<String> = models.to_vec();
    for p in &data.efficiency {
        for c in &p.curves {
            if !sources.contains(&c.source) {
                sources.push(c.source.clone());
            }
        }
    }
    sources
}

/// Each curve's point at its largest n, and how the table shows its score.
struct LastScores<'a> {
    /// The point at the curve's largest n (`None` for a curve without points).
    last: Vec<Option<&'a EfficiencyPoint>>,
    /// The largest n of every curve with points.
    last_ns: Vec<usize>,
    /// Whether those largest n are all the same.
    same_n: bool,
    /// The finite mean at each curve's largest n.
    scores: Vec<Option<f64>>,
    /// Digits after the point of the scores (by the scores' and the band's magnitude).
    decimals: usize,
}

fn last_scores<'a>(panel: &'a EfficiencyPanel, band: Option<&HumanBand>) -> LastScores<'a> {
    let last: Vec<Option<&EfficiencyPoint>> = panel
        .curves
        .iter()
        .map(|c| c.points.iter().max_by_key(|p| p.n))
        .collect();
    let last_ns: Vec<usize> = last.iter().flatten().map(|p| p.n).collect();
    let same_n = last_ns.windows(2).all(|w| w[0] == w[1]);
    let scores: Vec<Option<f64>> = last
        .iter()
        .map(|p| p.and_then(|p| p.mean).filter(|v| v.is_finite()))
        .collect();
    let mut magnitude = scores.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    if let Some(b) = band {
        magnitude = magnitude.max(b.value.abs()).max(b.lo.abs()).max(b.hi.abs());
    }
    LastScores {
        last,
        last_ns,
        same_n,
        scores,
        decimals: value_decimals(magnitude),
    }
}

/// The rows of the data-efficiency table, in the legend's order (the
/// report-wide style order): the smallest n reaching the band and the score
/// at the largest n, the best of each in bold when there are several sources.
fn reach_rows<'a>(
    panel: &'a EfficiencyPanel,
    sources: &[String],
    band: Option<&HumanBand>,
    last: &LastScores<'_>,
) -> Vec<ReachRowView<'a>> {
    let decimals = last.decimals;
    let best_score = last
        .same_n
        .then(|| {
            let vals = last.scores.iter().flatten().map(|&v| shown(v, decimals));
            best_of(vals, panel.higher_is_better)
        })
        .flatten();
    let reached: Vec<Option<usize>> = panel
        .curves
        .iter()
        .map(|c| band.and_then(|b| smallest_n_reaching(c, b, panel.higher_is_better)))
        .collect();
    let best_n = reached.iter().flatten().min().copied();
    let several = panel.curves.len() > 1;
    let mut rows: Vec<(usize, ReachRowView<'_>)> = panel
        .curves
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let style = sources
                .iter()
                .position(|s| *s == c.source)
                .unwrap_or(sources.len() + k);
            let score = last.scores[k];
            let (score_ci, score_n) = match last.last[k] {
                Some(p) => (
                    if score.is_some() {
                        interval(p.lo.zip(p.hi), decimals)
                    } else {
                        String::new()
                    },
                    if last.same_n {
                        String::new()
                    } else {
                        format!("n = {}", p.n)
                    },
                ),
                None => (String::new(), String::new()),
            };
            let row = ReachRowView {
                source: &c.source,
                swatch: swatch(style),
                reached: reached[k].map_or_else(|| "not reached".to_string(), |n| n.to_string()),
                reached_best: several && reached[k].is_some() && reached[k] == best_n,
                reached_missing: reached[k].is_none(),
                score: score.map_or_else(|| "—".to_string(), |v| format_fixed(v, decimals)),
                score_ci,
                score_n,
                score_best: several
                    && score.is_some_and(|v| Some(shown(v, decimals)) == best_score),
                score_missing: score.is_none(),
            };
            (style, row)
        })
        .collect();
    rows.sort_by_key(|(style, _)| *style);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// The human band as the table states it, with the reaching rule.
fn band_view(b: &HumanBand, higher_is_better: bool) -> BandView<'_> {
    let d = band_decimals(&[b.value, b.lo, b.hi]);
    BandView {
        value: format_fixed(b.value, d),
        lo: format_fixed(b.lo, d),
        hi: format_fixed(b.hi, d),
        source: &b.source,
        rule: if higher_is_better {
            format!("≥ {} (the band's lower end)", format_fixed(b.lo, d))
        } else {
            format!("≤ {} (the band's upper end)", format_fixed(b.hi, d))
        },
    }
}

fn efficiency_view<'a>(
    panel: &'a EfficiencyPanel,
    figure: usize,
    sources: &[String],
) -> EfficiencyView<'a> {
    let (arrow, direction) = arrow(Some(panel.higher_is_better));
    let band = drawable_band(panel);
    let last = last_scores(panel, band);
    let metric_with_unit = axis_label(&panel.metric, &panel.metric_unit);
    let score_heading = match (last.same_n, last.last_ns.first()) {
        (true, Some(n)) => format!("{metric_with_unit} at n = {n}"),
        _ => format!("{metric_with_unit} at the largest n"),
    };
    EfficiencyView {
        anchor: anchor("efficiency", figure),
        figure,
        dataset: &panel.dataset,
        metric: &panel.metric,
        metric_unit: &panel.metric_unit,
        class: &panel.class,
        arrow,
        direction,
        n_range: n_range(
            panel
                .curves
                .iter()
                .flat_map(|c| c.points.iter().map(|p| p.n)),
        ),
        ci_label: ci_label_or_default(&panel.ci_label),
        svg: efficiency_chart(panel, sources),
        band: band.map(|b| band_view(b, panel.higher_is_better)),
        score_heading,
        rows: reach_rows(panel, sources, band, &last),
    }
}

/// The leaderboard's cells, row by row: every column at its own precision
/// ([`column_decimals`]), its best value (as shown) in bold when there are
/// several rows.
fn leaderboard_cells(lb: &Leaderboard) -> Vec<Vec<CellView>> {
    let ncol = lb.columns.len();
    let value = |row: &LeaderboardRow, j: usize| finite(row.values.get(j).copied().flatten());
    let mut cells: Vec<Vec<CellView>> = lb.rows.iter().map(|_| Vec::with_capacity(ncol)).collect();
    for (j, col) in lb.columns.iter().enumerate() {
        let decimals = column_decimals(lb.rows.iter().filter_map(|r| value(r, j)));
        let best = col.higher_is_better.and_then(|higher| {
            let vals = lb.rows.iter().filter_map(|r| value(r, j));
            best_of(vals.map(|v| shown(v, decimals)), higher)
        });
        for (i, r) in lb.rows.iter().enumerate() {
            cells[i].push(match value(r, j) {
                Some(v) => CellView {
                    text: format_fixed(v, decimals),
                    ci: interval(r.ci.get(j).copied().flatten(), decimals),
                    best: lb.rows.len() > 1 && best == Some(shown(v, decimals)),
                    missing: false,
                },
                None => CellView {
                    text: "—".to_string(),
                    ci: String::new(),
                    best: false,
                    missing: true,
                },
            });
        }
    }
    cells
}

fn leaderboard_view<'a>(lb: &'a Leaderboard, models: &[String]) -> LeaderboardView<'a> {
    let cells = leaderboard_cells(lb);
    let any_ci = cells.iter().any(|r| r.iter().any(|c| !c.ci.is_empty()));
    let (lb_arrow, lb_direction) = arrow(Some(lb.higher_is_better));
    LeaderboardView {
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
                swatch: swatch(model_index(models, &r.model)),
                cells,
            })
            .collect(),
        described: lb.columns.iter().any(|c| !c.description.trim().is_empty()),
        any_ci,
    }
}

/// The data-efficiency panels, primary first (otherwise in the given
/// order), numbered as figures from 1.
fn efficiency_views<'a>(data: &'a ReportData, models: &[String]) -> Vec<EfficiencyView<'a>> {
    let sources = source_order(data, models);
    let mut ordered: Vec<&EfficiencyPanel> = data.efficiency.iter().collect();
    ordered.sort_by_key(|p| !p.primary);
    ordered
        .into_iter()
        .enumerate()
        .map(|(i, p)| efficiency_view(p, i + 1, &sources))
        .collect()
}

/// The first of `items` that is `found`, else a new last one made by `make`
/// from its position.
fn find_or_push<T>(
    items: &mut Vec<T>,
    found: impl Fn(&T) -> bool,
    make: impl FnOnce(usize) -> T,
) -> &mut T {
    let i = match items.iter().position(found) {
        Some(i) => i,
        None => {
            items.push(make(items.len()));
            items.len() - 1
        }
    };
    &mut items[i]
}

/// The curve panels grouped by perturbation (first appearance order), one
/// figure per group after the `figures_before` figures.
fn curve_groups<'a>(
    data: &'a ReportData,
    models: &[String],
    figures_before: usize,
) -> Vec<GroupView<'a>> {
    let mut groups: Vec<GroupView<'_>> = Vec::new();
    for panel in &data.panels {
        let found = |g: &GroupView<'_>| g.perturbation == panel.perturbation;
        let g = find_or_push(&mut groups, found, |k| GroupView {
            perturbation: &panel.perturbation,
            anchor: anchor("perturbation", k + 1),
            figure: figures_before + k + 1,
            parameter: &panel.parameter,
            unit: &panel.unit,
            metric: "",
            direction: "",
            datasets: Vec::new(),
            charts: Vec::new(),
            other: Vec::new(),
            other_metrics: Vec::new(),
        });
        if !panel.dataset.is_empty() && !g.datasets.contains(&panel.dataset.as_str()) {
            g.datasets.push(&panel.dataset);
        }
        if panel.primary {
            if g.metric.is_empty() {
                g.metric = &panel.metric;
                g.direction = arrow(Some(panel.higher_is_better)).1;
            }
            g.charts.push(chart(panel, models));
        } else {
            if !g.other_metrics.contains(&panel.metric.as_str()) {
                g.other_metrics.push(&panel.metric);
            }
            g.other.push(chart(panel, models));
        }
    }
    groups
}

fn frame_view(f: &Frame) -> FrameView {
    FrameView {
        x: if f.x.is_finite() {
            format_compact(f.x)
        } else {
            "—".to_string()
        },
        score: finite(f.score).map_or_else(|| "undefined".to_string(), |v| format_fixed(v, 3)),
        src: png_data_uri(&f.png_base64),
    }
}

/// The prediction strips grouped by perturbation, one figure per group after
/// the `figures_before` figures.
fn strip_groups<'a>(
    data: &'a ReportData,
    models: &[String],
    figures_before: usize,
) -> Vec<StripGroupView<'a>> {
    let mut strips: Vec<StripGroupView<'_>> = Vec::new();
    for s in &data.strips {
        let found = |g: &StripGroupView<'_>| g.perturbation == s.perturbation;
        let group = find_or_push(&mut strips, found, |k| StripGroupView {
            perturbation: &s.perturbation,
            parameter: &s.parameter,
            unit: &s.unit,
            metric: &s.metric,
            figure: figures_before + k + 1,
            rows: Vec::new(),
        });
        group.rows.push(StripRowView {
            model: &s.model,
            sample: &s.sample,
            swatch: swatch(model_index(models, &s.model)),
            frames: s.frames.iter().map(frame_view).collect(),
        });
    }
    strips
}

/// The eyebrow's report kind.
fn report_kind(data: &ReportData, classification: bool) -> &'static str {
    if classification {
        "classification report"
    } else if !data.efficiency.is_empty() && data.panels.is_empty() {
        "data-efficiency report"
    } else {
        "robustness report"
    }
}

pub(crate) fn build(data: &ReportData) -> View<'_> {
    let models = model_order(data);
    let leaderboard = leaderboard_view(&data.leaderboard, &models);
    let efficiency = efficiency_views(data, &models);
    let groups = curve_groups(data, &models, efficiency.len());
    let strips = strip_groups(data, &models, efficiency.len() + groups.len());

    // Classification sections: tables after the leaderboard, figures after
    // the strips.
    let mut numbering = Numbering {
        table: 2,
        figure: efficiency.len() + groups.len() + strips.len() + 1,
    };
    let swatch_of = |m: &str| swatch(model_index(&models, m));
    let classification = data
        .classification
        .as_ref()
        .map(|c| classification::build(c, &mut numbering, &swatch_of));
    let kind = report_kind(data, classification.is_some());

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
        ci_label: ci_label_or_default(&data.ci_label),
        models: models
            .iter()
            .enumerate()
            .map(|(i, m)| ModelKey {
                name: m.clone(),
                swatch: swatch(i),
            })
            .collect(),
        leaderboard,
        n_panels: data.panels.len() + data.efficiency.len(),
        efficiency,
        groups,
        strips,
        failures: &data.failures,
        failed_rows: data.failures.iter().map(|f| f.rows).sum(),
        failures_table: numbering.table,
        kind,
        classification,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_by_magnitude() {
        assert_eq!(column_decimals([0.5, -0.9].into_iter()), 3);
        assert_eq!(column_decimals([12.5].into_iter()), 2);
        assert_eq!(column_decimals([12.0, 820.0].into_iter()), 0);
        assert_eq!(column_decimals([512.5].into_iter()), 1);
        assert_eq!(column_decimals([5120.0].into_iter()), 0);
    }

    #[test]
    fn n_ranges() {
        assert_eq!(n_range([].into_iter()), "");
        assert_eq!(n_range([5, 5].into_iter()), "n = 5");
        assert_eq!(n_range([20, 1, 5].into_iter()), "n = 1–20");
    }
}
