//! Chart legends: items wrapped into rows across the chart, and their keys
//! (a line and marker, or the human band's swatch).

use std::fmt::Write as _;

use super::format::{escape_xml, truncate};
use super::palette::{marker_path, model_colour};

/// The height of a legend row.
const LEGEND_ROW: f64 = 17.0;
/// The assumed width of a legend character.
const CHAR_WIDTH: f64 = 5.9;
/// Legend names are cut to this many characters.
const LEGEND_NAME_MAX: usize = 36;

/// Where the items of a legend go.
pub(crate) struct LegendLayout {
    /// The `(x, y)` of each item, in the given order.
    pub(crate) slots: Vec<(f64, f64)>,
    /// The chart's height with the legend.
    pub(crate) height: f64,
}

/// Lays items named `names` out in rows from `(left, top)`, wrapping before
/// an item (not the first of its row) that would pass `right`; each item is
/// its key (30 units), its name cut to [`LEGEND_NAME_MAX`] characters, and
/// `gap`.
pub(crate) fn layout<'a>(
    names: impl IntoIterator<Item = &'a str>,
    left: f64,
    right: f64,
    top: f64,
    gap: f64,
) -> LegendLayout {
    let mut slots = Vec::new();
    let (mut lx, mut row) = (left, 0usize);
    for name in names {
        let w = 30.0 + truncate(name, LEGEND_NAME_MAX).chars().count() as f64 * CHAR_WIDTH + gap;
        if lx > left && lx + w > right {
            lx = left;
            row += 1;
        }
        slots.push((lx, top + row as f64 * LEGEND_ROW));
        lx += w;
    }
    let rows = if slots.is_empty() { 0 } else { row + 1 };
    LegendLayout {
        slots,
        height: top + rows as f64 * LEGEND_ROW + 4.0,
    }
}

/// A legend item at `(x, y)`: style `style`'s line (class `line_class`) and
/// marker of `marker_size`, the name cut to [`LEGEND_NAME_MAX`] characters,
/// the whole name as its tooltip.
pub(crate) fn key(
    out: &mut String,
    (x, y): (f64, f64),
    style: usize,
    marker_size: f64,
    line_class: &str,
    name: &str,
) {
    let colour = model_colour(style);
    let _ = write!(
        out,
        r#"<g><title>{}</title><path class="{line_class}" stroke="{colour}" d="M{x:.1},{y:.1}h22"/><path class="marker" transform="translate({:.1},{y:.1})" d="{}" stroke="{colour}" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
        escape_xml(name),
        x + 11.0,
        marker_path(style, marker_size),
        x + 28.0,
        y + 3.8,
        escape_xml(&truncate(name, LEGEND_NAME_MAX))
    );
}

/// A legend item without tooltip or group: a 2-unit line, a marker and the
/// name cut to [`LEGEND_NAME_MAX`] characters (the history charts).
pub(crate) fn plain_key(out: &mut String, (x, y): (f64, f64), style: usize, name: &str) {
    let colour = model_colour(style);
    let _ = write!(
        out,
        r#"<path d="M{x:.1},{y:.1}h22" stroke="{colour}" stroke-width="2"/><path transform="translate({:.1},{y:.1})" d="{}" stroke="{colour}" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
        x + 11.0,
        marker_path(style, 3.3),
        x + 28.0,
        y + 3.6,
        escape_xml(&truncate(name, LEGEND_NAME_MAX))
    );
}

/// The human band's legend item: a band swatch with its central line.
pub(crate) fn band_key(out: &mut String, (x, y): (f64, f64), name: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_wrap_before_passing_the_right_end() {
        // each item: 30 + 3 · 5.9 + 12 = 59.7 units
        let l = layout(["abc", "def", "ghi"], 12.0, 140.0, 250.0, 12.0);
        assert_eq!(l.slots.len(), 3);
        assert_eq!(l.slots[0], (12.0, 250.0));
        assert!((l.slots[1].0 - 71.7).abs() < 1e-9 && l.slots[1].1 == 250.0);
        assert_eq!(l.slots[2], (12.0, 267.0), "third item starts row 2");
        assert_eq!(l.height, 250.0 + 2.0 * 17.0 + 4.0);
        let empty = layout([], 12.0, 140.0, 250.0, 12.0);
        assert!(empty.slots.is_empty());
        assert_eq!(empty.height, 254.0);
    }
}
