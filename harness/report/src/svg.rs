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
//!
//! The code lives in the crate's chart module (scales, axes, series,
//! legends, palette and number formatting written once for every chart of
//! the crate); this module is its public face.
//!
//! [`CurvePanel`]: crate::CurvePanel
//! [`EfficiencyPanel`]: crate::EfficiencyPanel

pub use crate::chart::efficiency_chart::efficiency_chart;
pub use crate::chart::format::{escape_xml, format_compact, format_fixed};
pub use crate::chart::line_chart::line_chart;
pub use crate::chart::palette::{MARKER_SHAPES, OKABE_ITO, marker_path, model_colour};
pub use crate::chart::scale::{Ticks, is_geometric, log_ticks, nice_ticks};
