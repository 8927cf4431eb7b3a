//! Server-side SVG line charts: nice axis ticks, log-axis detection, and one
//! chart per [`CurvePanel`].
//!
//! Conventions of [`line_chart`]:
//! * one line per model in a fixed colour (the Okabe–Ito colour-blind-safe
//!   palette, [`OKABE_ITO`]) and marker shape, chosen by the model's position
//!   in the report-wide model list so that a model looks the same everywhere;
//! * a shaded band from `lo` to `hi` for every run of consecutive points where
//!   both are defined (a single such point gets an error bar);
//! * a gap where `mean` is undefined; a hollow marker where some samples had an
//!   undefined score (`n_undefined > 0`);
//! * the x axis is logarithmic when the distinct x values are geometric (see
//!   [`is_geometric`]), linear otherwise; the y axis spans the data (means and
//!   intervals) padded by 5%, rounded out to nice ticks, and clipped to the
//!   panel's natural range `[y_min, y_max]`.
//!
//! [`efficiency_chart`] draws an [`EfficiencyPanel`] with the same colours,
//! markers, ribbons and escaping, on a logarithmic `n` axis with 1-2-5 ticks
//! ([`log_ticks`]) and the human inter-observer band.

use std::fmt::Write as _;

use crate::{CurvePanel, CurvePoint, EfficiencyPanel};

/// The Okabe–Ito palette in the order lines use it (yellow last: it is the
/// hardest to see on white).
pub const OKABE_ITO: [&str; 8] = [
    "#0072B2", // blue
    "#D55E00", // vermillion
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#E69F00", // orange
    "#56B4E9", // sky blue
    "#000000", // black
    "#F0E442", // yellow
];

/// The number of marker shapes ([`marker_path`] cycles through them).
pub const MARKER_SHAPES: usize = 5;

/// The colour of the model at `index` in the report-wide model list.
pub fn model_colour(index: usize) -> &'static str {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// Escapes `&`, `<`, `>`, `"` and `'` for XML text and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Ticks of a linear axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// The axis' lower end (a multiple of `step`, at most the data minimum).
    pub lo: f64,
    /// The axis' upper end (a multiple of `step`, at least the data maximum).
    pub hi: f64,
    /// The distance between ticks: `m · 10^e` with `m` in {1, 2, 2.5, 5}.
    pub step: f64,
    /// The tick values from `lo` to `hi`, rounded to `decimals` digits.
    pub values: Vec<f64>,
    /// Digits after the decimal point that show every tick exactly.
    pub decimals: usize,
}

impl Ticks {
    /// Formats a tick value with [`Ticks::decimals`] digits (never `-0`).
    pub fn label(&self, value: f64) -> String {
        format_fixed(value, self.decimals)
    }
}

/// Nice ticks covering `[lo, hi]` with about `target` intervals (at most
/// `target`, at least 1).
///
/// The step is the smallest of `{1, 2, 2.5, 5, 10} · 10^⌊log10(raw)⌋` that is at
/// least `raw = (hi − lo) / target`; the axis is `[⌊lo/step⌋·step, ⌈hi/step⌉·step]`.
/// A zero-width range is widened to `v ± max(|v|·0.1, 0.5)`; swapped ends are
/// reordered; non-finite ends give `[0, 1]`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Ticks {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    if hi - lo <= f64::EPSILON * lo.abs().max(hi.abs()).max(1.0) {
        let pad = (lo.abs() * 0.1).max(0.5);
        lo -= pad;
        hi += pad;
    }
    let target = target.max(1) as f64;
    let raw = (hi - lo) / target;
    let exponent = raw.log10().floor();
    let magnitude = 10f64.powf(exponent);
    let mut step = 10.0 * magnitude;
    let mut decimals = 0i32;
    for (m, extra) in [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0), (10.0, 0)] {
        // tolerance: raw = 0.2 must pick 2 · 0.1, not 2.5 · 0.1
        if m * magnitude >= raw * (1.0 - 1e-9) {
            step = m * magnitude;
            let e = if m >= 10.0 { exponent + 1.0 } else { exponent };
            decimals = (-(e as i32)).max(0) + extra;
            break;
        }
    }
    let decimals = decimals.max(0) as usize;
    let start = (lo / step + 1e-9).floor();
    let end = (hi / step - 1e-9).ceil();
    let count = ((end - start).round() as usize).min(1000);
    let values: Vec<f64> = (0..=count)
        .map(|k| round_to((start + k as f64) * step, decimals + 2))
        .collect();
    Ticks {
        lo: round_to(start * step, decimals + 2),
        hi: round_to(end * step, decimals + 2),
        step,
        values,
        decimals,
    }
}

/// Whether the x values call for a logarithmic axis: the distinct finite
/// values are all positive, there are at least 3, the largest is at least 4×
/// the smallest, and the ratios of consecutive values are roughly constant
/// (`max ln r / min ln r ≤ 1.5`, which accepts 1-2-5 sequences and rejects
/// 1, 2, 3, 4).
pub fn is_geometric(xs: &[f64]) -> bool {
    let mut v: Vec<f64> = Vec::with_capacity(xs.len());
    for &x in xs {
        if !x.is_finite() || x <= 0.0 {
            return false;
        }
        v.push(x);
    }
    v.sort_by(f64::total_cmp);
    v.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * b.abs());
    if v.len() < 3 || v[v.len() - 1] / v[0] < 4.0 {
        return false;
    }
    let logs: Vec<f64> = v.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let min = logs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = logs.iter().copied().fold(0.0, f64::max);
    min > 0.0 && max / min <= 1.5
}

/// Formats `v` with `decimals` digits after the point, never as `-0`.
pub fn format_fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Formats a value compactly for labels: up to 4 significant digits, no
/// trailing zeros (`0.1`, `2.5`, `1000`, `0.0005`, `1.2e-5`).
pub fn format_compact(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-4..1e6).contains(&a) {
        return format!("{v:.2e}");
    }
    let digits = (3 - a.log10().floor() as i32).clamp(0, 8) as usize;
    let s = format_fixed(v, digits);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn round_to(v: f64, decimals: usize) -> f64 {
    let f = 10f64.powi(decimals as i32);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

/// An SVG path (centred on 0,0) of marker shape `index % MARKER_SHAPES`:
/// circle, square, triangle up, diamond, triangle down.
pub fn marker_path(index: usize, size: f64) -> String {
    let s = size;
    match index % MARKER_SHAPES {
        0 => format!(
            "M{:.2},0a{s:.2},{s:.2} 0 1,0 {:.2},0a{s:.2},{s:.2} 0 1,0 {:.2},0z",
            -s,
            2.0 * s,
            -2.0 * s
        ),
        1 => {
            let h = s * 0.88;
            format!(
                "M{:.2},{:.2}h{:.2}v{:.2}h{:.2}z",
                -h,
                -h,
                2.0 * h,
                2.0 * h,
                -2.0 * h
            )
        }
        2 => {
            let h = s * 1.2;
            format!(
                "M0,{:.2}L{:.2},{:.2}L{:.2},{:.2}z",
                -h,
                h * 0.9,
                h * 0.7,
                -h * 0.9,
                h * 0.7
            )
        }
        3 => {
            let h = s * 1.25;
            format!("M0,{:.2}L{h:.2},0L0,{h:.2}L{:.2},0z", -h, -h)
        }
        _ => {
            let h = s * 1.2;
            format!(
                "M0,{h:.2}L{:.2},{:.2}L{:.2},{:.2}z",
                h * 0.9,
                -h * 0.7,
                -h * 0.9,
                -h * 0.7
            )
        }
    }
}

// Layout of a chart in SVG user units (the SVG scales to its container).
const WIDTH: f64 = 400.0;
const MARGIN_LEFT: f64 = 50.0;
const MARGIN_RIGHT: f64 = 12.0;
const MARGIN_TOP: f64 = 12.0;
const PLOT_HEIGHT: f64 = 190.0;
const AXIS_HEIGHT: f64 = 44.0;
const LEGEND_ROW: f64 = 17.0;
const CHAR_WIDTH: f64 = 5.9;
const LEGEND_NAME_MAX: usize = 36;

/// A fitted x axis: linear or logarithmic.
struct XAxis {
    log: bool,
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

impl XAxis {
    fn fit(xs: &[f64]) -> XAxis {
        let mut distinct: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        if distinct.is_empty() {
            distinct = vec![0.0, 1.0];
        }
        let (min, max) = (distinct[0], distinct[distinct.len() - 1]);
        if is_geometric(&distinct) {
            let (llo, lhi) = (min.log10(), max.log10());
            let pad = (lhi - llo) * 0.04;
            let ticks = if distinct.len() <= 10 {
                distinct.iter().map(|&x| (x, format_compact(x))).collect()
            } else {
                let mut t = Vec::new();
                let mut e = llo.floor() as i32;
                while f64::from(e) <= lhi + 1e-9 {
                    let x = 10f64.powi(e);
                    if x >= min * (1.0 - 1e-9) && x <= max * (1.0 + 1e-9) {
                        t.push((x, format_compact(x)));
                    }
                    e += 1;
                }
                t
            };
            return XAxis {
                log: true,
                lo: llo - pad,
                hi: lhi + pad,
                ticks,
            };
        }
        let t = nice_ticks(min, max, 5);
        // Keep the axis tight to the data when the data ends between ticks.
        let ticks = t
            .values
            .iter()
            .filter(|&&v| v >= min - t.step * 0.5 && v <= max + t.step * 0.5)
            .map(|&v| (v, t.label(v)))
            .collect::<Vec<_>>();
        let lo = ticks.first().map_or(min, |&(v, _)| v.min(min));
        let hi = ticks.last().map_or(max, |&(v, _)| v.max(max));
        let span = if hi > lo { hi - lo } else { 1.0 };
        XAxis {
            log: false,
            lo: lo - span * 0.03,
            hi: hi + span * 0.03,
            ticks,
        }
    }

    fn pos(&self, x: f64, left: f64, right: f64) -> f64 {
        let v = if self.log { x.log10() } else { x };
        let span = self.hi - self.lo;
        let t = if span > 0.0 {
            (v - self.lo) / span
        } else {
            0.5
        };
        left + t * (right - left)
    }
}

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
    let pad = (max - min) * 0.05;
    let (mut lo, mut hi) = (min - pad, max + pad);
    if let Some(a) = a {
        lo = lo.max(a);
        hi = hi.max(a);
    }
    if let Some(b) = b {
        hi = hi.min(b);
        lo = lo.min(b);
    }
    let mut t = nice_ticks(lo, hi, 5);
    if let Some(a) = a {
        t.lo = t.lo.max(a);
    }
    if let Some(b) = b {
        t.hi = t.hi.min(b);
    }
    let (lo, hi) = (t.lo, t.hi);
    t.values.retain(|&v| v >= lo - 1e-12 && v <= hi + 1e-12);
    t
}

fn point_ok(p: &CurvePoint) -> bool {
    p.x.is_finite()
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

fn axis_label(name: &str, unit: &str) -> String {
    if unit.trim().is_empty() {
        name.to_string()
    } else {
        format!("{name} ({unit})")
    }
}

fn truncate(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Draws `panel` as an SVG line chart (an inline `<svg>` element without an
/// XML namespace declaration, for embedding in HTML).
///
/// `models` is the report-wide model list: the series of model `models[i]`
/// gets colour [`model_colour`]`(i)` and marker [`marker_path`]`(i)`; a model
/// not in the list gets the next free index after it. Every text from the
/// panel is escaped with [`escape_xml`]. See the module docs for the
/// conventions.
pub fn line_chart(panel: &CurvePanel, models: &[String]) -> String {
    let style_index = |model: &str, extra: &mut Vec<String>| -> usize {
        if let Some(i) = models.iter().position(|m| m == model) {
            return i;
        }
        if let Some(i) = extra.iter().position(|m| m == model) {
            return models.len() + i;
        }
        extra.push(model.to_string());
        models.len() + extra.len() - 1
    };
    let mut extra = Vec::new();
    let styles: Vec<usize> = panel
        .series
        .iter()
        .map(|s| style_index(&s.model, &mut extra))
        .collect();

    let xs: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .collect();
    let xaxis = XAxis::fit(&xs);
    let yt = fit_y(panel);

    let left = MARGIN_LEFT;
    let right = WIDTH - MARGIN_RIGHT;
    let top = MARGIN_TOP;
    let bottom = MARGIN_TOP + PLOT_HEIGHT;
    let px = |x: f64| xaxis.pos(x, left, right);
    let py = |y: f64| {
        let span = yt.hi - yt.lo;
        let t = if span > 0.0 { (y - yt.lo) / span } else { 0.5 };
        (bottom - t * (bottom - top)).clamp(top - 2.0, bottom + 2.0)
    };

    // Legend layout: wrap items into rows across the plot width.
    let mut legend: Vec<(f64, f64, usize, usize)> = Vec::new(); // (x, y, series, style)
    let legend_top = bottom + AXIS_HEIGHT;
    let legend_left = 12.0;
    let (mut lx, mut row) = (legend_left, 0usize);
    // In the report-wide model order, so that every legend reads the same.
    let mut by_style: Vec<usize> = (0..panel.series.len()).collect();
    by_style.sort_by_key(|&k| styles[k]);
    for k in by_style {
        let s = &panel.series[k];
        let w =
            30.0 + truncate(&s.model, LEGEND_NAME_MAX).chars().count() as f64 * CHAR_WIDTH + 12.0;
        if lx > legend_left && lx + w > right {
            lx = legend_left;
            row += 1;
        }
        legend.push((lx, legend_top + row as f64 * LEGEND_ROW, k, styles[k]));
        lx += w;
    }
    let rows = if panel.series.is_empty() { 0 } else { row + 1 };
    let height = legend_top + rows as f64 * LEGEND_ROW + 4.0;

    let xlabel = axis_label(&panel.parameter, &panel.unit);
    let ylabel = axis_label(&panel.metric, &panel.metric_unit);
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">"#,
        escape_xml(&format!(
            "{ylabel} against {xlabel}{}",
            if panel.class.is_empty() {
                String::new()
            } else {
                format!(", class {}", panel.class)
            }
        ))
    );

    // Grid and y ticks.
    out.push_str(r#"<g class="grid">"#);
    for &v in &yt.values {
        let y = py(v);
        let _ = write!(
            out,
            r#"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}"/>"#
        );
    }
    out.push_str("</g>");
    out.push_str(r#"<g class="ticks" text-anchor="end">"#);
    for &v in &yt.values {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            left - 7.0,
            py(v) + 3.6,
            escape_xml(&yt.label(v))
        );
    }
    out.push_str("</g>");
    out.push_str(r#"<g class="ticks" text-anchor="middle">"#);
    for (v, label) in &xaxis.ticks {
        let x = px(*v);
        let _ = write!(
            out,
            r#"<line class="tick" x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}"/><text x="{x:.1}" y="{:.1}">{}</text>"#,
            bottom + 4.0,
            bottom + 16.0,
            escape_xml(label)
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r#"<path class="axis" d="M{left:.1},{top:.1}V{bottom:.1}H{right:.1}"/>"#
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}{}</text>"#,
        (left + right) / 2.0,
        bottom + 34.0,
        escape_xml(&xlabel),
        if xaxis.log { " · log scale" } else { "" }
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate(14,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (top + bottom) / 2.0,
        escape_xml(&ylabel)
    );

    let mut any = false;
    for (k, s) in panel.series.iter().enumerate() {
        let colour = model_colour(styles[k]);
        let mut pts: Vec<&CurvePoint> = s.points.iter().filter(|p| point_ok(p)).collect();
        pts.sort_by(|a, b| a.x.total_cmp(&b.x));
        let _ = write!(out, r#"<g class="series" data-series="{k}">"#);
        // Bands: runs of consecutive points with mean, lo and hi.
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64, f64)>, out: &mut String| {
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
        };
        for p in &pts {
            match (finite(p.mean), finite(p.lo), finite(p.hi)) {
                (Some(_), Some(lo), Some(hi)) => {
                    run.push((px(p.x), py(lo.min(hi)), py(hi.max(lo))));
                }
                _ => flush(&mut run, &mut out),
            }
        }
        flush(&mut run, &mut out);
        // Lines: runs of consecutive points with a mean.
        let mut d = String::new();
        let mut in_run = false;
        for p in &pts {
            if let Some(m) = finite(p.mean) {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if in_run { "L" } else { "M" },
                    px(p.x),
                    py(m)
                );
                in_run = true;
            } else {
                in_run = false;
            }
        }
        if !d.is_empty() {
            any = true;
            let _ = write!(out, r#"<path class="line" stroke="{colour}" d="{d}"/>"#);
        }
        // Markers with a tooltip each.
        let marker = marker_path(styles[k], 3.3);
        for p in &pts {
            let Some(m) = finite(p.mean) else { continue };
            let hollow = p.n_undefined > 0;
            let ci = match (finite(p.lo), finite(p.hi)) {
                (Some(lo), Some(hi)) => {
                    format!(" [{}, {}]", format_compact(lo), format_compact(hi))
                }
                _ => String::new(),
            };
            let tip = format!(
                "{}: {} = {}{} → {} {}{}; n = {}{}",
                s.model,
                panel.parameter,
                format_compact(p.x),
                if panel.unit.is_empty() {
                    String::new()
                } else {
                    format!(" {}", panel.unit)
                },
                panel.metric,
                format_compact(m),
                ci,
                p.n,
                if hollow {
                    format!(", undefined = {}", p.n_undefined)
                } else {
                    String::new()
                },
            );
            let _ = write!(
                out,
                r#"<path class="marker" transform="translate({:.1},{:.1})" d="{marker}" stroke="{colour}" fill="{}"><title>{}</title></path>"#,
                px(p.x),
                py(m),
                if hollow { "#fff" } else { colour },
                escape_xml(&tip)
            );
        }
        out.push_str("</g>");
    }
    if !any {
        let _ = write!(
            out,
            r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">no defined values</text>"#,
            (left + right) / 2.0,
            (top + bottom) / 2.0
        );
    }

    // Legend.
    out.push_str(r#"<g class="legend">"#);
    for &(x, y, k, style) in &legend {
        let colour = model_colour(style);
        let name = &panel.series[k].model;
        let _ = write!(
            out,
            r#"<g><title>{}</title><path class="line" stroke="{colour}" d="M{x:.1},{y:.1}h22"/><path class="marker" transform="translate({:.1},{y:.1})" d="{}" stroke="{colour}" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
            escape_xml(name),
            x + 11.0,
            marker_path(style, 3.3),
            x + 28.0,
            y + 3.8,
            escape_xml(&truncate(name, LEGEND_NAME_MAX))
        );
    }
    out.push_str("</g></svg>");
    out
}

/// The 1-2-5 ticks of a log axis (1, 2, 5, 10, 20, 50, 100, …) inside
/// `[min, max]` (ends included, with a relative tolerance of 1e-9).
///
/// When that range holds no such value (e.g. `[3, 4]`) the ticks are the
/// distinct ends themselves. A non-finite or non-positive `min`, or
/// `max < min`, gives no ticks.
pub fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min.is_finite() && max.is_finite()) || min <= 0.0 || max < min {
        return Vec::new();
    }
    let mut ticks = Vec::new();
    let first = min.log10().floor() as i32;
    let last = max.log10().ceil() as i32;
    for e in first..=last {
        for m in [1.0, 2.0, 5.0] {
            let v = round_to(m * 10f64.powi(e), (-e).max(0) as usize + 1);
            if v >= min * (1.0 - 1e-9) && v <= max * (1.0 + 1e-9) {
                ticks.push(v);
            }
        }
    }
    if ticks.is_empty() {
        ticks.push(min);
        if max > min {
            ticks.push(max);
        }
    }
    ticks
}

// Layout of a data-efficiency chart (wider than a robustness panel).
const EFF_WIDTH: f64 = 560.0;
const EFF_MARGIN_LEFT: f64 = 56.0;
const EFF_MARGIN_RIGHT: f64 = 16.0;
const EFF_PLOT_HEIGHT: f64 = 240.0;

/// Digits after the point for values up to `max_abs` (about three
/// significant digits): 3 up to 1 (Dice-like scores), 2 below 10, 1 below
/// 100, 0 above.
pub(crate) fn value_decimals(max_abs: f64) -> usize {
    match max_abs.abs() {
        m if m <= 1.0 => 3,
        m if m < 10.0 => 2,
        m if m < 100.0 => 1,
        _ => 0,
    }
}

/// Digits after the point that show every value of a declared band exactly
/// (so `0.9, 0.87, 0.93` print as `0.90 [0.87, 0.93]` and `1.6, 1.2, 2.1` as
/// `1.6 [1.2, 2.1]`), at most [`value_decimals`] of their magnitude.
pub(crate) fn band_decimals(values: &[f64]) -> usize {
    let max = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let limit = value_decimals(max);
    (0..limit)
        .find(|&d| {
            values
                .iter()
                .all(|&v| (round_to(v, d) - v).abs() <= 1e-9 * v.abs().max(1.0))
        })
        .unwrap_or(limit)
}

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
    let pad = (max - min) * 0.05;
    let (mut lo, mut hi) = (min - pad, max + pad);
    if let Some(a) = floor {
        lo = lo.max(a);
    }
    if let Some(b) = ceil {
        hi = hi.min(b);
    }
    let mut t = nice_ticks(lo, hi, 5);
    if let Some(a) = floor {
        t.lo = t.lo.max(a);
    }
    if let Some(b) = ceil {
        t.hi = t.hi.min(b);
    }
    let (lo, hi) = (t.lo, t.hi);
    t.values.retain(|&v| v >= lo - 1e-12 && v <= hi + 1e-12);
    t
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
    let mut extra: Vec<String> = Vec::new();
    let styles: Vec<usize> = panel
        .curves
        .iter()
        .map(|c| {
            if let Some(i) = sources.iter().position(|s| *s == c.source) {
                i
            } else if let Some(i) = extra.iter().position(|s| *s == c.source) {
                sources.len() + i
            } else {
                extra.push(c.source.clone());
                sources.len() + extra.len() - 1
            }
        })
        .collect();
    let max_folds = panel
        .curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.folds))
        .max()
        .unwrap_or(0);

    // x axis over the drawable n.
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
    let (xlo, xhi) = (l0 - pad, l1 + pad);
    let xticks = log_ticks(n_min, n_max);
    let yt = fit_efficiency_y(panel);

    let left = EFF_MARGIN_LEFT;
    let right = EFF_WIDTH - EFF_MARGIN_RIGHT;
    let top = MARGIN_TOP;
    let bottom = MARGIN_TOP + EFF_PLOT_HEIGHT;
    let px = |n: f64| left + (n.log10() - xlo) / (xhi - xlo) * (right - left);
    let py = |y: f64| {
        let span = yt.hi - yt.lo;
        let t = if span > 0.0 { (y - yt.lo) / span } else { 0.5 };
        (bottom - t * (bottom - top)).clamp(top - 2.0, bottom + 2.0)
    };

    // Legend layout: sources in report-wide order, then the band.
    let band_key = "human inter-observer band";
    let mut items: Vec<(String, Option<usize>)> = Vec::new(); // (name, style; None = band)
    let mut by_style: Vec<usize> = (0..panel.curves.len()).collect();
    by_style.sort_by_key(|&k| styles[k]);
    for k in by_style {
        items.push((panel.curves[k].source.clone(), Some(styles[k])));
    }
    let band = panel
        .band
        .as_ref()
        .filter(|b| b.value.is_finite() && b.lo.is_finite() && b.hi.is_finite());
    if band.is_some() {
        items.push((band_key.to_string(), None));
    }
    let legend_top = bottom + AXIS_HEIGHT;
    let legend_left = 14.0;
    let mut legend: Vec<(f64, f64, usize)> = Vec::new(); // (x, y, item)
    let (mut lx, mut row) = (legend_left, 0usize);
    for (i, (name, _)) in items.iter().enumerate() {
        let w = 30.0 + truncate(name, LEGEND_NAME_MAX).chars().count() as f64 * CHAR_WIDTH + 16.0;
        if lx > legend_left && lx + w > right {
            lx = legend_left;
            row += 1;
        }
        legend.push((lx, legend_top + row as f64 * LEGEND_ROW, i));
        lx += w;
    }
    let rows = if items.is_empty() { 0 } else { row + 1 };
    let height = legend_top + rows as f64 * LEGEND_ROW + 4.0;

    let ylabel = axis_label(&panel.metric, &panel.metric_unit);
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        r#"<svg class="chart efficiency" viewBox="0 0 {EFF_WIDTH} {height:.0}" width="100%" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">"#,
        escape_xml(&format!(
            "{ylabel} against the number of training images{}{}",
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
        ))
    );

    // Grid, then the human band behind the data.
    out.push_str(r#"<g class="grid">"#);
    for &v in &yt.values {
        let y = py(v);
        let _ = write!(
            out,
            r#"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}"/>"#
        );
    }
    for &n in &xticks {
        let x = px(n);
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}"/>"#
        );
    }
    out.push_str("</g>");
    let bd = band.map_or(3, |b| band_decimals(&[b.value, b.lo, b.hi]));
    if let Some(b) = band {
        let (ya, yb) = (py(b.hi.max(b.lo)), py(b.lo.min(b.hi)));
        let tip = format!(
            "human inter-observer band: {} [{}, {}]{}",
            format_fixed(b.value, bd),
            format_fixed(b.lo, bd),
            format_fixed(b.hi, bd),
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

    // Ticks and axes.
    out.push_str(r#"<g class="ticks" text-anchor="end">"#);
    for &v in &yt.values {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            left - 7.0,
            py(v) + 3.6,
            escape_xml(&yt.label(v))
        );
    }
    out.push_str("</g>");
    out.push_str(r#"<g class="ticks" text-anchor="middle">"#);
    for &n in &xticks {
        let x = px(n);
        let _ = write!(
            out,
            r#"<line class="tick" x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}"/><text x="{x:.1}" y="{:.1}">{}</text>"#,
            bottom + 4.0,
            bottom + 16.0,
            escape_xml(&format_compact(n))
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r#"<path class="axis" d="M{left:.1},{top:.1}V{bottom:.1}H{right:.1}"/>"#
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">training images (n, log scale)</text>"#,
        (left + right) / 2.0,
        bottom + 34.0,
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate(15,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (top + bottom) / 2.0,
        escape_xml(&ylabel)
    );

    // The sources.
    let mut any = false;
    for (k, c) in panel.curves.iter().enumerate() {
        let colour = model_colour(styles[k]);
        let mut pts: Vec<&crate::EfficiencyPoint> = c.points.iter().filter(|p| p.n >= 1).collect();
        pts.sort_by_key(|p| p.n);
        let _ = write!(out, r#"<g class="series" data-series="{k}">"#);
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64, f64)>, out: &mut String| {
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
        };
        for p in &pts {
            match (finite(p.mean), finite(p.lo), finite(p.hi)) {
                (Some(_), Some(lo), Some(hi)) => {
                    run.push((px(p.n as f64), py(lo.min(hi)), py(hi.max(lo))));
                }
                _ => flush(&mut run, &mut out),
            }
        }
        flush(&mut run, &mut out);
        let mut d = String::new();
        let mut in_run = false;
        for p in &pts {
            if let Some(m) = finite(p.mean) {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if in_run { "L" } else { "M" },
                    px(p.n as f64),
                    py(m)
                );
                in_run = true;
            } else {
                in_run = false;
            }
        }
        if !d.is_empty() {
            any = true;
            let _ = write!(out, r#"<path class="line" stroke="{colour}" d="{d}"/>"#);
        }
        let marker = marker_path(styles[k], 3.6);
        for p in &pts {
            let Some(m) = finite(p.mean) else { continue };
            let hollow = p.folds < max_folds;
            let ci = match (finite(p.lo), finite(p.hi)) {
                (Some(lo), Some(hi)) => {
                    format!(" [{}, {}]", format_compact(lo), format_compact(hi))
                }
                _ => String::new(),
            };
            let tip = format!(
                "{}: n = {} → {} {}{}; {} fold{}",
                c.source,
                p.n,
                panel.metric,
                format_compact(m),
                ci,
                p.folds,
                if p.folds == 1 { "" } else { "s" }
            );
            let _ = write!(
                out,
                r#"<path class="marker" transform="translate({:.1},{:.1})" d="{marker}" stroke="{colour}" fill="{}"><title>{}</title></path>"#,
                px(p.n as f64),
                py(m),
                if hollow { "#fff" } else { colour },
                escape_xml(&tip)
            );
        }
        out.push_str("</g>");
    }
    if !any {
        let _ = write!(
            out,
            r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">no defined values</text>"#,
            (left + right) / 2.0,
            (top + bottom) / 2.0
        );
    }

    // The band's label (on top of the data, with a white halo), placed on the
    // left where the curves are farthest from the band: above it when higher
    // is better, below it otherwise, else the other side, else inside.
    if let Some(b) = band {
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
    } else {
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
    }

    // Legend.
    out.push_str(r#"<g class="legend">"#);
    for &(x, y, i) in &legend {
        let (name, style) = &items[i];
        match style {
            Some(style) => {
                let colour = model_colour(*style);
                let _ = write!(
                    out,
                    r#"<g><title>{}</title><path class="line key" stroke="{colour}" d="M{x:.1},{y:.1}h22"/><path class="marker" transform="translate({:.1},{y:.1})" d="{}" stroke="{colour}" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
                    escape_xml(name),
                    x + 11.0,
                    marker_path(*style, 3.6),
                    x + 28.0,
                    y + 3.8,
                    escape_xml(&truncate(name, LEGEND_NAME_MAX))
                );
            }
            None => {
                let _ = write!(
                    out,
                    r#"<g><rect class="human-band" x="{x:.1}" y="{:.1}" width="22" height="10"/><line class="human-line" x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
                    y - 5.0,
                    x + 22.0,
                    x + 28.0,
                    y + 3.8,
                    escape_xml(name)
                );
            }
        }
    }
    out.push_str("</g></svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_one_two_five() {
        assert_eq!(log_ticks(1.0, 20.0), vec![1.0, 2.0, 5.0, 10.0, 20.0]);
        assert_eq!(log_ticks(3.0, 150.0), vec![5.0, 10.0, 20.0, 50.0, 100.0]);
        assert_eq!(log_ticks(1.0, 1.0), vec![1.0]);
        assert_eq!(log_ticks(3.0, 4.0), vec![3.0, 4.0]);
        assert_eq!(log_ticks(0.05, 0.2), vec![0.05, 0.1, 0.2]);
        assert!(log_ticks(0.0, 10.0).is_empty());
        assert!(log_ticks(5.0, 2.0).is_empty());
    }

    #[test]
    fn band_and_value_decimals() {
        assert_eq!(band_decimals(&[0.9, 0.87, 0.93]), 2);
        assert_eq!(band_decimals(&[1.6, 1.2, 2.1]), 1);
        assert_eq!(band_decimals(&[12.0, 10.0, 14.0]), 0);
        assert_eq!(
            band_decimals(&[0.8812, 0.85, 0.9]),
            3,
            "capped at 3 below 1"
        );
        assert_eq!(value_decimals(1.0), 3);
        assert_eq!(value_decimals(2.6), 2);
        assert_eq!(value_decimals(45.0), 1);
        assert_eq!(value_decimals(512.0), 0);
    }

    #[test]
    fn format_helpers() {
        assert_eq!(format_fixed(-0.0001, 2), "0.00");
        assert_eq!(format_fixed(-0.25, 2), "-0.25");
        assert_eq!(format_compact(0.1), "0.1");
        assert_eq!(format_compact(2.5), "2.5");
        assert_eq!(format_compact(1000.0), "1000");
        assert_eq!(format_compact(0.0005), "0.0005");
        assert_eq!(format_compact(0.873_456), "0.8735");
        assert_eq!(format_compact(0.0), "0");
    }

    #[test]
    fn escape_all_specials() {
        assert_eq!(
            escape_xml(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
