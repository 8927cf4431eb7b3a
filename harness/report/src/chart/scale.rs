//! Axis scales: nice linear ticks, log-axis detection and 1-2-5 log ticks,
//! the fitted x axis of a curve chart, y ticks clipped to a natural range,
//! and the plot area that maps values to SVG coordinates.

use super::format::{format_compact, format_fixed, round_to};

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

/// Nice ticks (about 5) over the data range `[min, max]` padded by 5%, kept
/// within `[floor, ceil]` where given: the padded range is clamped into it,
/// the axis ends are clipped to it and ticks outside the clipped axis are
/// dropped.
pub(crate) fn clipped_ticks(min: f64, max: f64, floor: Option<f64>, ceil: Option<f64>) -> Ticks {
    let pad = (max - min) * 0.05;
    let (mut lo, mut hi) = (min - pad, max + pad);
    if let Some(a) = floor {
        lo = lo.max(a);
        hi = hi.max(a);
    }
    if let Some(b) = ceil {
        hi = hi.min(b);
        lo = lo.min(b);
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

/// A fitted x axis: linear or logarithmic.
pub(crate) struct XAxis {
    /// Whether positions are taken on `log10(x)`.
    pub(crate) log: bool,
    lo: f64,
    hi: f64,
    /// The ticks: value and label.
    pub(crate) ticks: Vec<(f64, String)>,
}

impl XAxis {
    /// The axis over `xs`: logarithmic when they are geometric (ticks at the
    /// values themselves when 10 or fewer, else at the powers of ten), else
    /// linear on nice ticks kept tight to the data.
    pub(crate) fn fit(xs: &[f64]) -> XAxis {
        let mut distinct: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        if distinct.is_empty() {
            distinct = vec![0.0, 1.0];
        }
        let (min, max) = (distinct[0], distinct[distinct.len() - 1]);
        if is_geometric(&distinct) {
            return XAxis::fit_log(&distinct, min, max);
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

    /// The log axis over the sorted `distinct` values from `min` to `max`.
    fn fit_log(distinct: &[f64], min: f64, max: f64) -> XAxis {
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
        XAxis {
            log: true,
            lo: llo - pad,
            hi: lhi + pad,
            ticks,
        }
    }

    /// The SVG x of `x` on a plot from `left` to `right`.
    pub(crate) fn pos(&self, x: f64, left: f64, right: f64) -> f64 {
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

/// The plot area of a chart in SVG user units (y grows downwards).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PlotArea {
    /// The x of the y axis.
    pub(crate) left: f64,
    /// The right end of the plot.
    pub(crate) right: f64,
    /// The top of the plot.
    pub(crate) top: f64,
    /// The y of the x axis.
    pub(crate) bottom: f64,
}

impl PlotArea {
    /// The plot of a chart `width` wide: `margin_left` and `margin_right`
    /// beside it, `margin_top` above it, `height` high.
    pub(crate) fn new(
        width: f64,
        (margin_left, margin_right): (f64, f64),
        margin_top: f64,
        height: f64,
    ) -> PlotArea {
        PlotArea {
            left: margin_left,
            right: width - margin_right,
            top: margin_top,
            bottom: margin_top + height,
        }
    }

    /// The SVG y of value `y` on the axis `ticks` (from `ticks.lo` at the
    /// bottom to `ticks.hi` at the top; the middle for a zero-width axis).
    pub(crate) fn y(&self, ticks: &Ticks, y: f64) -> f64 {
        let span = ticks.hi - ticks.lo;
        let t = if span > 0.0 {
            (y - ticks.lo) / span
        } else {
            0.5
        };
        self.bottom - t * (self.bottom - self.top)
    }

    /// [`PlotArea::y`] kept within 2 units of the plot.
    pub(crate) fn y_clamped(&self, ticks: &Ticks, y: f64) -> f64 {
        self.y(ticks, y).clamp(self.top - 2.0, self.bottom + 2.0)
    }

    /// `(left, right, top, bottom)`.
    pub(crate) fn edges(&self) -> (f64, f64, f64, f64) {
        (self.left, self.right, self.top, self.bottom)
    }

    /// The horizontal middle of the plot.
    pub(crate) fn centre_x(&self) -> f64 {
        (self.left + self.right) / 2.0
    }

    /// The vertical middle of the plot.
    pub(crate) fn centre_y(&self) -> f64 {
        (self.top + self.bottom) / 2.0
    }
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
    fn clipped_ticks_stay_in_the_natural_range() {
        let t = clipped_ticks(0.3, 0.98, Some(0.0), Some(1.0));
        assert_eq!((t.lo, t.hi), (0.2, 1.0));
        assert_eq!(t.values, vec![0.2, 0.4, 0.6, 0.8, 1.0]);
        let t = clipped_ticks(-3.0, 7.0, None, None);
        // padded to [-3.5, 7.5]: raw step 2.2 rounds up to 2.5
        assert_eq!((t.lo, t.hi, t.step), (-5.0, 7.5, 2.5));
    }

    #[test]
    fn plot_area_maps_ticks_bottom_up() {
        let area = PlotArea::new(400.0, (50.0, 12.0), 12.0, 190.0);
        assert_eq!(area.edges(), (50.0, 388.0, 12.0, 202.0));
        let t = nice_ticks(0.0, 1.0, 5);
        assert_eq!(area.y(&t, 0.0), 202.0);
        assert_eq!(area.y(&t, 1.0), 12.0);
        assert_eq!(area.y_clamped(&t, 2.0), 10.0);
        assert_eq!((area.centre_x(), area.centre_y()), (219.0, 107.0));
    }
}
