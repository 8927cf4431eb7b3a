//! The names of the files of a baseline folder, read by
//! [`load_side`](crate::compare::load_side) and written by
//! [`write_baseline`](crate::baseline::write_baseline).

/// The provenance file of a baseline folder.
pub const BASELINE_JSON: &str = "baseline.json";
/// The rows file of a baseline folder.
pub const BASELINE_ROWS: &str = "rows.parquet";
