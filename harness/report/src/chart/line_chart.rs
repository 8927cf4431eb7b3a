//! The robustness chart of a [`CurvePanel`]: a metric against a
//! perturbation's parameter, one line per model (see [`crate::svg`] for the
//! conventions).

use super::axis::{self, AXIS_HEIGHT, MARGIN_TOP};
use super::format::{axis_label, finite, format_compact};
use super::legend;
use super::palette::{in_style_order, marker_path, model_colour, style_indices};
use super::scale::{PlotArea, Ticks, XAxis, clipped_ticks, nice_ticks};
use super::series::{PlotPoint, draw_series, tip_interval};
use crate::{CurvePanel, CurvePoint, Series};

// Layout of a chart in SVG user units (the SVG scales to its container).
const WIDTH: f64 = 400.0;
const MARGIN_LEFT: f64 = 50.0;
const MARGIN_RIGHT: f64 = 12.0;
const PLOT_HEIGHT: f64 = 190.0;
/// The size of the line charts' markers.
const MARKER_SIZE: f64 = 3.3;

/// The y axis of a panel: data range (means and intervals) padded by 5%,
/// clipped to `[y_min, y_max]`, rounded out to nice ticks (about 5).
fn fit_y(panel: &CurvePanel) -> Ticks {
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    for s in &panel.series {
        for p in &s.points {
            for v in [p.mean, p.lo, p.hi].into_iter().flatten() {
                if v.is_finite() && p.x.is_finite() {
                    min = min.min(v);
                    max = max.max(v);
                }
            }
        }
    }
    let a = panel.y_min.filter(|v| v.is_finite());
    let b = panel.y_max.filter(|v| v.is_finite());
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) if a >= b => (None, None),
        ab => ab,
    };
    if !min.is_finite() {
        return nice_ticks(a.unwrap_or(0.0), b.unwrap_or(a.unwrap_or(0.0) + 1.0), 5);
    }
    clipped_ticks(min, max, a, b)
}

/// The tooltip of a model's point: parameter, metric, interval, sample counts.
fn point_tip(panel: &CurvePanel, model: &str, p: &CurvePoint, mean: f64) -> String {
    format!(
        "{}: {} = {}{} → {} {}{}; n = {}{}",
        model,
        panel.parameter,
        format_compact(p.x),
        if panel.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", panel.unit)
        },
        panel.metric,
        format_compact(mean),
        tip_interval(finite(p.lo), finite(p.hi)),
        p.n,
        if p.n_undefined > 0 {
            format!(", undefined = {}", p.n_undefined)
        } else {
            String::new()
        },
    )
}

/// A series' points with a finite `x`, in increasing `x`, in SVG coordinates.
fn plot_points(
    panel: &CurvePanel,
    series: &Series,
    px: &dyn Fn(f64) -> f64,
    py: &dyn Fn(f64) -> f64,
) -> Vec<PlotPoint> {
    let mut pts: Vec<&CurvePoint> = series.points.iter().filter(|p| p.x.is_finite()).collect();
    pts.sort_by(|a, b| a.x.total_cmp(&b.x));
    pts.into_iter()
        .map(|p| {
            let mean = finite(p.mean);
            PlotPoint {
                x: px(p.x),
                mean: mean.map(py),
                band: match (mean, finite(p.lo), finite(p.hi)) {
                    (Some(_), Some(lo), Some(hi)) => Some((py(lo.min(hi)), py(hi.max(lo)))),
                    _ => None,
                },
                hollow: p.n_undefined > 0,
                tip: mean.map_or_else(String::new, |m| point_tip(panel, &series.model, p, m)),
            }
        })
        .collect()
}

/// Draws `panel` as an SVG line chart (an inline `<svg>` element without an
/// XML namespace declaration, for embedding in HTML).
///
/// `models` is the report-wide model list: the series of model `models[i]`
/// gets colour [`model_colour`]`(i)` and marker [`marker_path`]`(i)`; a model
/// not in the list gets the next free index after it. Every text from the
/// panel is escaped with [`escape_xml`](super::format::escape_xml). See the
/// module docs of [`crate::svg`] for the conventions.
pub fn line_chart(panel: &CurvePanel, models: &[String]) -> String {
    let styles = style_indices(panel.series.iter().map(|s| s.model.as_str()), models);
    let xs: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .collect();
    let xaxis = XAxis::fit(&xs);
    let yt = fit_y(panel);
    let area = PlotArea::new(WIDTH, (MARGIN_LEFT, MARGIN_RIGHT), MARGIN_TOP, PLOT_HEIGHT);
    let px = |x: f64| xaxis.pos(x, area.left, area.right);
    let py = |y: f64| area.y_clamped(&yt, y);

    // Legend layout: in the report-wide model order, so that every legend
    // reads the same.
    let order = in_style_order(&styles);
    let names = order.iter().map(|&k| panel.series[k].model.as_str());
    let key_layout = legend::layout(names, 12.0, area.right, area.bottom + AXIS_HEIGHT, 12.0);

    let xlabel = axis_label(&panel.parameter, &panel.unit);
    let ylabel = axis_label(&panel.metric, &panel.metric_unit);
    let aria = format!(
        "{ylabel} against {xlabel}{}",
        if panel.class.is_empty() {
            String::new()
        } else {
            format!(", class {}", panel.class)
        }
    );
    let mut out = axis::svg_start("chart", WIDTH, key_layout.height, &aria);

    // Grid and ticks.
    axis::grid(&mut out, &area, &yt, &py, &[]);
    axis::y_tick_labels(&mut out, &area, &yt, &py);
    let x_labels: Vec<(f64, String)> = xaxis
        .ticks
        .iter()
        .map(|(v, label)| (px(*v), label.clone()))
        .collect();
    axis::x_tick_labels(&mut out, &area, &x_labels);
    axis::axis_lines(&mut out, &area);
    let log_note = if xaxis.log { " · log scale" } else { "" };
    axis::x_title(&mut out, &area, &format!("{xlabel}{log_note}"));
    axis::y_title(&mut out, &area, 14.0, &ylabel);

    let mut any = false;
    for (k, s) in panel.series.iter().enumerate() {
        let points = plot_points(panel, s, &px, &py);
        let marker = marker_path(styles[k], MARKER_SIZE);
        any |= draw_series(&mut out, k, model_colour(styles[k]), &marker, &points);
    }
    if !any {
        axis::empty_note(&mut out, &area, "no defined values");
    }

    out.push_str(r#"<g class="legend">"#);
    for (&slot, &k) in key_layout.slots.iter().zip(&order) {
        let name = &panel.series[k].model;
        legend::key(&mut out, slot, styles[k], MARKER_SIZE, "line", name);
    }
    out.push_str("</g></svg>");
    out
}
