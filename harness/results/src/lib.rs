//! The result store and its aggregation.
//!
//! A run writes long-format rows, one per (model, dataset, sample,
//! perturbation, point, class, metric), into parquet *parts* under
//! `results/<suite>/<run_id>/parts/`. A part is written to a temporary file
//! and renamed into place, so a part either exists whole or not at all: a
//! killed run loses at most the part in flight, and `--resume` skips every
//! part that exists. polars reads the parts back and aggregates them.

mod aggregate;
pub mod baseline;
mod baseline_files;
pub mod bench;
mod classification;
mod classification_stats;
mod columns;
pub mod compare;
mod efficiency;
mod errors;
mod store;
pub mod time;

pub use aggregate::{
    FailureSummary, PointStat, RunTables, SampleScore, aggregate_run, sample_scores,
};
pub use baseline::{BaselineInfo, write_baseline};
pub use classification::{
    Cases, ConditionKey, PredictionRow, SaliencyRow, SaliencyStat, aggregate_saliency, argmax,
    prediction_part_path, read_cases, write_prediction_part, write_saliency_part,
};
pub use classification_stats::{
    ClassMetricStat, ClassificationSpec, ClassificationTables, ConditionRef, ConfusionTable,
    PairedTest, ShortcutCell, ShortcutRow, aggregate_classification,
};
pub use compare::{
    CompareSettings, CompareTest, Comparison, GroupComparison, Provenance, Side, Verdict, compare,
    load_side,
};
pub use efficiency::{
    EfficiencyFailure, EfficiencyRow, EfficiencyStat, aggregate_efficiency, efficiency_part_path,
    read_efficiency_rows, write_efficiency_part,
};
pub use store::{ResultRow, Status, part_exists, part_path, read_rows, write_part};

/// Errors of the result store.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", .path.display())]
    Polars {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("{}: no result parts found (was the run started?)", .0.display())]
    NoParts(std::path::PathBuf),
}

pub type Result<T, E = ResultsError> = std::result::Result<T, E>;
