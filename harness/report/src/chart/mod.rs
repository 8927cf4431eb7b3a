//! The chart code of the crate, written once: number formatting, scales and
//! ticks, the palette, the axis frame, series, legends, and the two run-report
//! charts built from them (the site's history chart uses the same pieces).
//! Public through [`crate::svg`].

pub(crate) mod axis;
pub(crate) mod efficiency_chart;
pub(crate) mod format;
pub(crate) mod legend;
pub(crate) mod line_chart;
pub(crate) mod palette;
pub(crate) mod scale;
pub(crate) mod series;
