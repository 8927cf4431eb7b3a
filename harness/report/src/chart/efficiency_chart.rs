//! The data-efficiency chart of an [`EfficiencyPanel`]: a score against the
//! number of training images on a log axis, one line per pretraining
//! source, with the human inter-observer band.

use std::fmt::Write as _;

use super::axis::{self, AXIS_HEIGHT, MARGIN_TOP};
use super::format::{axis_label, band_decimals, escape_xml, finite, format_compact, format_fixed};
use super::legend;
use super::palette::{in_style_order, marker_path, model_colour, style_indices};
use super::scale::{PlotArea, Ticks, clipped_ticks, log_ticks, nice_ticks};
use super::series::{PlotPoint, draw_series, tip_interval};
use crate::{EfficiencyCurve, EfficiencyPanel, EfficiencyPoint, HumanBand};

// Layout of a data-efficiency chart (wider than a robustness panel).
const EFF_WIDTH: f64 = 560.0;
const EFF_MARGIN_LEFT: f64 = 56.0;
const EFF_MARGIN_RIGHT: f64 = 16.0;
const EFF_PLOT_HEIGHT: f64 = 240.0;
/// The size of the efficiency charts' markers.
const MARKER_SIZE: f64 = 3.6;
/// The legend name of the human band.
const BAND_KEY: &str = "human inter-observer band";

/// The y axis of an efficiency panel: the means, intervals and band of the
/// drawable points (`n ≥ 1`) padded by 5% and rounded out to nice ticks; the
/// axis never goes below 0 when no value is negative, nor above 1 when every
/// value lies in `[0, 1]` (Dice-like scores).
fn fit_efficiency_y(panel: &EfficiencyPanel) -> Ticks {
    let mut values: Vec<f64> = panel
        .curves
        .iter()
        .flat_map(|c| c.points.iter().filter(|p| p.n >= 1))
        .flat_map(|p| [p.mean, p.lo, p.hi])
        .flatten()
        .collect();
    if let Some(b) = &panel.band {
        values.extend([b.lo, b.value, b.hi]);
    }
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return nice_ticks(0.0, 1.0, 5);
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let floor = (min >= 0.0).then_some(0.0);
    let ceil = (min >= 0.0 && max <= 1.0).then_some(1.0);
    // With floor 0 the padded top is not below it, and with ceil 1 the padded
    // bottom is not above it: clipping only ever moves the named end.
    clipped_ticks(min, max, floor, ceil)
}

/// The log x axis over the drawable `n`: its `log10` range, padded, and the
/// 1-2-5 ticks.
fn fit_n_axis(panel: &EfficiencyPanel) -> ((f64, f64), Vec<f64>) {
    let ns: Vec<usize> = panel
        .curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.n))
        .filter(|&n| n >= 1)
        .collect();
    let n_min = ns.iter().copied().min().unwrap_or(1) as f64;
    let n_max = ns.iter().copied().max().unwrap_or(10) as f64;
    let (l0, l1) = (n_min.log10(), n_max.log10());
    let pad = if l1 > l0 { (l1 - l0) * 0.05 } else { 0.3 };
    ((l0 - pad, l1 + pad), log_ticks(n_min, n_max))
}

/// The band when all its numbers are finite.
pub(crate) fn drawable_band(panel: &EfficiencyPanel) -> Option<&HumanBand> {
    panel
        .band
        .as_ref()
        .filter(|b| b.value.is_finite() && b.lo.is_finite() && b.hi.is_finite())
}

/// The human band behind the data: the band from `lo` to `hi` and a line at
/// `value`, the whole with a tooltip.
fn draw_band(
    out: &mut String,
    area: &PlotArea,
    b: &HumanBand,
    decimals: usize,
    py: &dyn Fn(f64) -> f64,
) {
    let PlotArea { left, right, .. } = *area;
    let (ya, yb) = (py(b.hi.max(b.lo)), py(b.lo.min(b.hi)));
    let tip = format!(
        "human inter-observer band: {} [{}, {}]{}",
        format_fixed(b.value, decimals),
        format_fixed(b.lo, decimals),
        format_fixed(b.hi, decimals),
        if b.source.trim().is_empty() {
            String::new()
        } else {
            format!(" — {}", b.source)
        }
    );
    let _ = write!(
        out,
        r#"<g class="human"><title>{}</title><rect class="human-band" x="{left:.1}" y="{ya:.1}" width="{:.1}" height="{:.1}"/><line class="human-line" x1="{left:.1}" y1="{yv:.1}" x2="{right:.1}" y2="{yv:.1}"/></g>"#,
        escape_xml(&tip),
        right - left,
        (yb - ya).max(0.8),
        yv = py(b.value),
    );
}

/// The band's label (on top of the data, with a white halo), placed on the
/// left where the curves are farthest from the band: above it when higher
/// is better, below it otherwise, else the other side, else inside. Without
/// a band, the note "no human reference declared".
fn draw_band_label(
    out: &mut String,
    area: &PlotArea,
    panel: &EfficiencyPanel,
    band: Option<(&HumanBand, usize)>,
    py: &dyn Fn(f64) -> f64,
) {
    let (left, right, top, bottom) = area.edges();
    let Some((b, bd)) = band else {
        let y = if panel.higher_is_better {
            bottom - 9.0
        } else {
            top + 16.0
        };
        let _ = write!(
            out,
            r#"<text class="empty" x="{:.1}" y="{y:.1}" text-anchor="end">no human reference declared</text>"#,
            right - 8.0
        );
        return;
    };
    let (ya, yb) = (py(b.hi.max(b.lo)), py(b.lo.min(b.hi)));
    let room = 15.0;
    let above = ya - top >= room;
    let below = bottom - yb >= room;
    let y = match (panel.higher_is_better, above, below) {
        (true, true, _) | (false, true, false) => ya - 5.0,
        (false, _, true) | (true, false, true) => yb + 13.0,
        _ => py(b.value) - 4.0,
    };
    let _ = write!(
        out,
        r#"<text class="human-label" x="{:.1}" y="{y:.1}">human level {} [{}, {}]</text>"#,
        left + 8.0,
        format_fixed(b.value, bd),
        format_fixed(b.lo, bd),
        format_fixed(b.hi, bd),
    );
}

/// A curve's drawable points (`n ≥ 1`), in increasing `n`, in SVG
/// coordinates; a marker is hollow when fewer than `max_folds` folds
/// contributed.
fn plot_points(
    metric: &str,
    curve: &EfficiencyCurve,
    max_folds: usize,
    px: &dyn Fn(f64) -> f64,
    py: &dyn Fn(f64) -> f64,
) -> Vec<PlotPoint> {
    let mut pts: Vec<&EfficiencyPoint> = curve.points.iter().filter(|p| p.n >= 1).collect();
    pts.sort_by_key(|p| p.n);
    pts.into_iter()
        .map(|p| {
            let mean = finite(p.mean);
            let tip = |m: f64| {
                format!(
                    "{}: n = {} → {} {}{}; {} fold{}",
                    curve.source,
                    p.n,
                    metric,
                    format_compact(m),
                    tip_interval(finite(p.lo), finite(p.hi)),
                    p.folds,
                    if p.folds == 1 { "" } else { "s" }
                )
            };
            PlotPoint {
                x: px(p.n as f64),
                mean: mean.map(py),
                band: match (mean, finite(p.lo), finite(p.hi)) {
                    (Some(_), Some(lo), Some(hi)) => Some((py(lo.min(hi)), py(hi.max(lo)))),
                    _ => None,
                },
                hollow: p.folds < max_folds,
                tip: mean.map_or_else(String::new, tip),
            }
        })
        .collect()
}

/// The chart's aria label: the metric, the class and the dataset.
fn aria_label(panel: &EfficiencyPanel) -> String {
    format!(
        "{} against the number of training images{}{}",
        axis_label(&panel.metric, &panel.metric_unit),
        if panel.class.is_empty() {
            String::new()
        } else {
            format!(", class {}", panel.class)
        },
        if panel.dataset.is_empty() {
            String::new()
        } else {
            format!(", dataset {}", panel.dataset)
        }
    )
}

/// Draws an [`EfficiencyPanel`] as an SVG chart of the score against the
/// number of training images `n` (an inline `<svg>` without a namespace
/// declaration, for embedding in HTML).
///
/// * x axis: `log10(n)`, ticks from [`log_ticks`] over the drawn `n` range;
///   points with `n = 0` are not drawn;
/// * y axis: see the panel's data, the band, and the `[0, 1]` rule of the
///   module's efficiency axis (never below 0 for non-negative data, never
///   above 1 for data in `[0, 1]`);
/// * one `<path class="line">` per source with a defined mean (colour
///   [`model_colour`] and marker [`marker_path`] of the source's index in
///   `sources`, the report-wide style list (the report passes its model
///   list followed by the other sources); an unlisted source gets the next
///   free index), a ribbon (`class="band"`) over runs of points with an
///   interval and an error bar for an isolated one, a gap where the mean is
///   undefined, a hollow marker where fewer folds contributed than the
///   panel's largest fold count;
/// * the human band as a `<rect class="human-band">` from `lo` to `hi`, a
///   dashed `class="human-line"` at `value` and a label; without a band, the
///   text "no human reference declared";
/// * a legend of the sources (and the band) under the axis.
///
/// Every text from the panel is escaped with [`escape_xml`].
pub fn efficiency_chart(panel: &EfficiencyPanel, sources: &[String]) -> String {
    let styles = style_indices(panel.curves.iter().map(|c| c.source.as_str()), sources);
    let max_folds = panel
        .curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.folds))
        .max()
        .unwrap_or(0);
    let ((xlo, xhi), xticks) = fit_n_axis(panel);
    let yt = fit_efficiency_y(panel);
    let margins = (EFF_MARGIN_LEFT, EFF_MARGIN_RIGHT);
    let area = PlotArea::new(EFF_WIDTH, margins, MARGIN_TOP, EFF_PLOT_HEIGHT);
    let px = |n: f64| area.left + (n.log10() - xlo) / (xhi - xlo) * (area.right - area.left);
    let py = |y: f64| area.y_clamped(&yt, y);

    // Legend layout: sources in report-wide order, then the band.
    let order = in_style_order(&styles);
    let band = drawable_band(panel);
    let names = order
        .iter()
        .map(|&k| panel.curves[k].source.as_str())
        .chain(band.map(|_| BAND_KEY));
    let key_layout = legend::layout(names, 14.0, area.right, area.bottom + AXIS_HEIGHT, 16.0);

    let mut out = axis::svg_start(
        "chart efficiency",
        EFF_WIDTH,
        key_layout.height,
        &aria_label(panel),
    );

    // Grid, then the human band behind the data.
    let xs: Vec<f64> = xticks.iter().map(|&n| px(n)).collect();
    axis::grid(&mut out, &area, &yt, &py, &xs);
    let bd = band.map_or(3, |b| band_decimals(&[b.value, b.lo, b.hi]));
    if let Some(b) = band {
        draw_band(&mut out, &area, b, bd, &py);
    }

    // Ticks and axes.
    axis::y_tick_labels(&mut out, &area, &yt, &py);
    let x_labels: Vec<(f64, String)> = xticks.iter().map(|&n| (px(n), format_compact(n))).collect();
    axis::x_tick_labels(&mut out, &area, &x_labels);
    axis::axis_lines(&mut out, &area);
    axis::x_title(&mut out, &area, "training images (n, log scale)");
    axis::y_title(
        &mut out,
        &area,
        15.0,
        &axis_label(&panel.metric, &panel.metric_unit),
    );

    // The sources.
    let mut any = false;
    for (k, c) in panel.curves.iter().enumerate() {
        let points = plot_points(&panel.metric, c, max_folds, &px, &py);
        let marker = marker_path(styles[k], MARKER_SIZE);
        any |= draw_series(&mut out, k, model_colour(styles[k]), &marker, &points);
    }
    if !any {
        axis::empty_note(&mut out, &area, "no defined values");
    }
    draw_band_label(&mut out, &area, panel, band.map(|b| (b, bd)), &py);

    // Legend.
    out.push_str(r#"<g class="legend">"#);
    for (i, &slot) in key_layout.slots.iter().enumerate() {
        match order.get(i) {
            Some(&k) => {
                let name = &panel.curves[k].source;
                legend::key(&mut out, slot, styles[k], MARKER_SIZE, "line key", name);
            }
            None => legend::band_key(&mut out, slot, BAND_KEY),
        }
    }
    out.push_str("</g></svg>");
    out
}
