//! One line of a chart: interval ribbons (or an error bar for an isolated
//! point), the mean line with gaps, and markers with tooltips.

use std::fmt::Write as _;

use super::format::{escape_xml, format_compact};

/// A point of a line in SVG coordinates, with what its marker says.
pub(crate) struct PlotPoint {
    /// The x.
    pub(crate) x: f64,
    /// The y of the mean (`None`: undefined, a gap in the line).
    pub(crate) mean: Option<f64>,
    /// The y of the interval's lower and upper ends, when the mean and both
    /// ends are defined.
    pub(crate) band: Option<(f64, f64)>,
    /// Whether the marker is hollow.
    pub(crate) hollow: bool,
    /// The marker's tooltip (unescaped).
    pub(crate) tip: String,
}

/// ` [lo, hi]` in compact numbers when both ends are given, else empty.
pub(crate) fn tip_interval(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!(" [{}, {}]", format_compact(lo), format_compact(hi)),
        _ => String::new(),
    }
}

/// Draws line `index` (`<g class="series">`) in `colour` with marker path
/// `marker`: the ribbons, the line, the markers. Returns whether a line was
/// drawn (some mean is defined).
pub(crate) fn draw_series(
    out: &mut String,
    index: usize,
    colour: &str,
    marker: &str,
    points: &[PlotPoint],
) -> bool {
    let _ = write!(out, r#"<g class="series" data-series="{index}">"#);
    draw_bands(out, colour, points);
    let drawn = draw_line(out, colour, points);
    for p in points {
        let Some(y) = p.mean else { continue };
        draw_marker(out, p.x, y, marker, colour, p.hollow, &p.tip);
    }
    out.push_str("</g>");
    drawn
}

/// The ribbons over runs of consecutive points with an interval (an error
/// bar for a run of one point).
fn draw_bands(out: &mut String, colour: &str, points: &[PlotPoint]) {
    let mut run: Vec<(f64, f64, f64)> = Vec::new();
    for p in points {
        match p.band {
            Some((lo, hi)) => run.push((p.x, lo, hi)),
            None => flush_band(out, colour, &mut run),
        }
    }
    flush_band(out, colour, &mut run);
}

/// Draws and empties a run of `(x, lo, hi)` points.
fn flush_band(out: &mut String, colour: &str, run: &mut Vec<(f64, f64, f64)>) {
    match run.len() {
        0 => {}
        1 => {
            let (x, lo, hi) = run[0];
            let _ = write!(
                out,
                r#"<path class="errbar" stroke="{colour}" d="M{x:.1},{lo:.1}V{hi:.1}M{:.1},{lo:.1}h6M{:.1},{hi:.1}h6"/>"#,
                x - 3.0,
                x - 3.0
            );
        }
        _ => {
            let mut d = String::new();
            for (i, (x, _, hi)) in run.iter().enumerate() {
                let _ = write!(d, "{}{x:.1},{hi:.1}", if i == 0 { "M" } else { "L" });
            }
            for (x, lo, _) in run.iter().rev() {
                let _ = write!(d, "L{x:.1},{lo:.1}");
            }
            let _ = write!(out, r#"<path class="band" fill="{colour}" d="{d}Z"/>"#);
        }
    }
    run.clear();
}

/// The line through runs of consecutive points with a mean; whether any.
fn draw_line(out: &mut String, colour: &str, points: &[PlotPoint]) -> bool {
    let mut d = String::new();
    let mut in_run = false;
    for p in points {
        if let Some(y) = p.mean {
            let _ = write!(d, "{}{:.1},{:.1}", if in_run { "L" } else { "M" }, p.x, y);
            in_run = true;
        } else {
            in_run = false;
        }
    }
    if d.is_empty() {
        return false;
    }
    let _ = write!(out, r#"<path class="line" stroke="{colour}" d="{d}"/>"#);
    true
}

/// A marker at `(x, y)` with a tooltip (escaped here).
pub(crate) fn draw_marker(
    out: &mut String,
    x: f64,
    y: f64,
    marker: &str,
    colour: &str,
    hollow: bool,
    tip: &str,
) {
    let _ = write!(
        out,
        r#"<path class="marker" transform="translate({x:.1},{y:.1})" d="{marker}" stroke="{colour}" fill="{}"><title>{}</title></path>"#,
        if hollow { "#fff" } else { colour },
        escape_xml(tip)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(x: f64, mean: Option<f64>, band: Option<(f64, f64)>) -> PlotPoint {
        PlotPoint {
            x,
            mean,
            band,
            hollow: false,
            tip: "t<".to_string(),
        }
    }

    #[test]
    fn gaps_split_lines_and_ribbons() {
        let points = [
            point(10.0, Some(50.0), Some((60.0, 40.0))),
            point(20.0, Some(45.0), Some((55.0, 35.0))),
            point(30.0, None, None),
            point(40.0, Some(30.0), Some((35.0, 25.0))),
        ];
        let mut out = String::new();
        assert!(draw_series(&mut out, 2, "#000", "M0,0z", &points));
        assert!(out.starts_with(r#"<g class="series" data-series="2">"#));
        assert!(out.contains(r#"d="M10.0,40.0L20.0,35.0L20.0,55.0L10.0,60.0Z""#));
        assert!(out.contains(
            r##"<path class="errbar" stroke="#000" d="M40.0,35.0V25.0M37.0,35.0h6M37.0,25.0h6"/>"##
        ));
        assert!(out.contains(r#"d="M10.0,50.0L20.0,45.0M40.0,30.0""#));
        assert_eq!(out.matches("<title>t&lt;</title>").count(), 3);
        let mut none = String::new();
        assert!(!draw_series(
            &mut none,
            0,
            "#000",
            "",
            &[point(1.0, None, None)]
        ));
    }
}
