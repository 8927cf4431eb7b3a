//! The runner: turns a validated [`Plan`] into result rows.
//!
//! Work is organised as *parts*, one per (model, dataset, perturbation); each
//! part holds every (sample, point, class, metric) row of that combination and
//! is written atomically, so `--resume` skips finished parts and a killed run
//! loses at most the parts in flight. A clean baseline part (perturbation
//! `none`) is always run first. Perturbed samples are computed once per
//! (dataset, perturbation) and shared by the models (in `ground_truth` mode),
//! in parallel with rayon; models predict batch by batch; metrics are scored
//! in parallel. A model that fails to load or predict fails its own rows,
//! with the reason, and the run goes on.

mod backend;
pub mod classify;
pub mod compare;
mod datasets;
pub mod efficiency;
pub mod labels;
mod manifest;
mod models;
pub mod nightly;
mod options;
mod perturbations;
pub mod pipeline;
mod predict;
mod progress;
pub mod publish;
mod run;
mod run_folder;
mod run_record;
mod saliency;
mod segmentation;
pub mod shard;
pub mod site;
mod units;
pub mod worker;

pub use manifest::{
    ClassificationInfo, ConditionInfo, EfficiencyInfo, HumanBandInfo, Manifest, ModelInfo,
    PerturbationInfo, SavedSaliency, ShardInfo, StudyDataset,
};
pub use options::{RunOptions, RunSummary};
pub use perturbations::{REGION_LABEL, REGION_PERTURBATIONS, cell_seed};
pub use predict::{Item, ModelTiming, Predictor};
pub use run::run;
pub use sensibench_results::time::{iso_now, run_id_now};
pub use shard::{MergeSummary, Shard, merge};

use std::path::PathBuf;

/// Errors that stop a run (model failures do not: they fail their rows).
/// Every variant that wraps a lower error keeps it as its `source`.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("dataset `{dataset}`: {source}")]
    Dataset {
        dataset: String,
        #[source]
        source: sensibench_core::Error,
    },
    #[error(transparent)]
    Results(#[from] sensibench_results::ResultsError),
    #[error(transparent)]
    Core(#[from] sensibench_core::Error),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSON file of the run folder (manifest, study records, comparisons)
    /// could not be written or read.
    #[error("{}: {source}", .path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A page or an image could not be rendered.
    #[error("{what}: {source}")]
    Render {
        what: String,
        #[source]
        source: sensibench_report::ReportError,
    },
    /// A step of a study failed on an error of a lower crate
    /// (`label study: rankings: …`).
    #[error("{study}: {what}: {source}")]
    Study {
        study: &'static str,
        what: String,
        #[source]
        source: sensibench_core::Error,
    },
    /// The data, the options or the build do not allow the run (a dataset
    /// without samples, `--shard` without `--run-id`, a study that needs
    /// libtorch in a build without it).
    #[error("{0}")]
    Invalid(String),
    /// Shard folders that cannot be merged into one run.
    #[error("{0}")]
    Merge(String),
}

/// The error of writing or reading the JSON file `path`.
pub(crate) fn json_err(path: &std::path::Path) -> impl FnOnce(serde_json::Error) -> RunError + '_ {
    move |source| RunError::Json {
        path: path.to_path_buf(),
        source,
    }
}

/// The error of rendering `what`.
pub(crate) fn render_err(
    what: impl Into<String>,
) -> impl FnOnce(sensibench_report::ReportError) -> RunError {
    let what = what.into();
    move |source| RunError::Render { what, source }
}

pub type Result<T, E = RunError> = std::result::Result<T, E>;

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A name made safe as a file name: anything but ASCII letters, digits, `-`,
/// `_` and `.` becomes `_`.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
