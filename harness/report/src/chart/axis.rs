//! The frame of a chart: the `<svg>` element, grid lines, tick labels, the
//! axis lines and titles, and the "no values" note.

use std::fmt::Write as _;

use super::format::escape_xml;
use super::scale::{PlotArea, Ticks};

/// The space above the plot area.
pub(crate) const MARGIN_TOP: f64 = 12.0;
/// The space under the plot area for the x ticks and title (the legend
/// starts below it).
pub(crate) const AXIS_HEIGHT: f64 = 44.0;

/// A chart's text, opened with an inline `<svg>` (no namespace declaration,
/// for embedding in HTML) of `width × height` units with an escaped
/// `aria_label`.
pub(crate) fn svg_start(class: &str, width: f64, height: f64, aria_label: &str) -> String {
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        r#"<svg class="{class}" viewBox="0 0 {width} {height:.0}" width="100%" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">"#,
        escape_xml(aria_label)
    );
    out
}

/// The grid: a horizontal line across the plot at each tick of `ticks`
/// (placed by `py`) and a vertical one at each of `xs` (SVG coordinates).
pub(crate) fn grid(
    out: &mut String,
    area: &PlotArea,
    ticks: &Ticks,
    py: &dyn Fn(f64) -> f64,
    xs: &[f64],
) {
    let (left, right, top, bottom) = area.edges();
    out.push_str(r#"<g class="grid">"#);
    for &v in &ticks.values {
        let y = py(v);
        let _ = write!(
            out,
            r#"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}"/>"#
        );
    }
    for &x in xs {
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}"/>"#
        );
    }
    out.push_str("</g>");
}

/// The labels of `ticks` (placed by `py`), right-aligned left of the axis.
pub(crate) fn y_tick_labels(
    out: &mut String,
    area: &PlotArea,
    ticks: &Ticks,
    py: &dyn Fn(f64) -> f64,
) {
    out.push_str(r#"<g class="ticks" text-anchor="end">"#);
    for &v in &ticks.values {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            area.left - 7.0,
            py(v) + 3.6,
            escape_xml(&ticks.label(v))
        );
    }
    out.push_str("</g>");
}

/// The x ticks under the axis, a tick mark and a centred label each:
/// `(x, label)` pairs.
pub(crate) fn x_tick_labels(out: &mut String, area: &PlotArea, ticks: &[(f64, String)]) {
    let bottom = area.bottom;
    out.push_str(r#"<g class="ticks" text-anchor="middle">"#);
    for (x, label) in ticks {
        let _ = write!(
            out,
            r#"<line class="tick" x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}"/><text x="{x:.1}" y="{:.1}">{}</text>"#,
            bottom + 4.0,
            bottom + 16.0,
            escape_xml(label)
        );
    }
    out.push_str("</g>");
}

/// The y and x axis lines.
pub(crate) fn axis_lines(out: &mut String, area: &PlotArea) {
    let (left, right, top, bottom) = area.edges();
    let _ = write!(
        out,
        r#"<path class="axis" d="M{left:.1},{top:.1}V{bottom:.1}H{right:.1}"/>"#
    );
}

/// The x axis title (escaped), centred under the tick labels.
pub(crate) fn x_title(out: &mut String, area: &PlotArea, title: &str) {
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        area.centre_x(),
        area.bottom + 34.0,
        escape_xml(title)
    );
}

/// The y axis title (escaped), turned upright at `x`.
pub(crate) fn y_title(out: &mut String, area: &PlotArea, x: f64, title: &str) {
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate({x},{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        area.centre_y(),
        escape_xml(title)
    );
}

/// A note (e.g. `no defined values`) in the middle of the plot.
pub(crate) fn empty_note(out: &mut String, area: &PlotArea, note: &str) {
    let _ = write!(
        out,
        r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">{note}</text>"#,
        area.centre_x(),
        area.centre_y()
    );
}
