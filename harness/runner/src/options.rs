//! How to run a plan ([`RunOptions`]) and what a run did ([`RunSummary`]).

use std::path::{Path, PathBuf};

use crate::predict::ModelTiming;
use crate::shard::Shard;

/// How to run a plan.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Results root; the run goes to `<out>/<suite>/<run_id>/`.
    pub out: PathBuf,
    /// Reuse this run id (with `resume`) or name the new run.
    pub run_id: Option<String>,
    /// Continue the latest run of this suite (or `run_id`): finished parts are skipped.
    pub resume: bool,
    /// Worker threads for perturbations and metrics, and intra-op threads of
    /// ONNX models that do not set their own (0 = all cores).
    pub threads: usize,
    /// Show progress bars on stderr.
    pub progress: bool,
    /// Provenance: the harness's git revision.
    pub git_sha: String,
    /// Run only this shard's units (`--shard I/N`, needs `run_id`); the
    /// shard writes to `<out>/<suite>/<run_id>/shards/I-of-N/`.
    pub shard: Option<Shard>,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub run_dir: PathBuf,
    pub parts_written: usize,
    pub parts_skipped: usize,
    pub rows: usize,
    pub failed_rows: usize,
    pub seconds: f64,
    /// Per model: seconds inside `Model::predict` (the backend's session
    /// time for the batches), and seconds of the harness's own work around it
    /// (pre-processing, batch assembly, output decoding and mapping back).
    /// Their ratio is the harness overhead on inference.
    pub model_seconds: Vec<ModelTiming>,
}

impl RunSummary {
    /// A summary of nothing done yet, for the run in `run_dir`.
    pub(crate) fn empty(run_dir: &Path) -> Self {
        RunSummary {
            run_dir: run_dir.to_path_buf(),
            parts_written: 0,
            parts_skipped: 0,
            rows: 0,
            failed_rows: 0,
            seconds: 0.0,
            model_seconds: Vec::new(),
        }
    }
}
