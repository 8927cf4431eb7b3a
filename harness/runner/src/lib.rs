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

pub mod classify;
pub mod compare;
mod datasets;
pub mod efficiency;
pub mod labels;
mod manifest;
pub mod nightly;
pub mod pipeline;
mod predict;
pub mod publish;
mod run;
mod saliency;
pub mod shard;
pub mod site;
use sensibench_results::time;
pub mod worker;

pub use manifest::{Manifest, ModelInfo, PerturbationInfo};
pub use predict::{Item, ModelTiming, Predictor};
pub use run::{RunOptions, RunSummary, run};
pub use shard::{MergeSummary, Shard, merge};
pub use time::{iso_now, run_id_now};

use std::path::PathBuf;

/// Errors that stop a run (model failures do not: they fail their rows).
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
    #[error("{0}")]
    Other(String),
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
