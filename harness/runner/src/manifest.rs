//! The run manifest: what was run, with which inputs, by which harness.

use std::path::Path;

use crate::{Result, RunError, io_err};

/// A model as recorded in the manifest.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub backend: String,
    /// The model file or plugin library ("" for built-in models).
    pub path: String,
    /// SHA-256 of that file ("" for built-in models).
    pub hash: String,
    /// Set when the model could not be loaded; its rows are failed.
    pub load_error: Option<String>,
}

/// A perturbation as recorded in the manifest.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PerturbationInfo {
    pub label: String,
    pub kind: String,
    pub parameter: String,
    pub unit: String,
    pub identity: Option<f64>,
    pub points: Vec<f64>,
}

/// A dataset as recorded in the manifest.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub samples: usize,
    pub reference_mode: String,
}

/// `manifest.json` of a run folder.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub suite: String,
    pub title: String,
    pub description: String,
    pub suite_path: String,
    pub suite_hash: String,
    pub seed: u64,
    pub run_id: String,
    pub created: String,
    pub harness_version: String,
    pub git_sha: String,
    pub classes: Vec<String>,
    pub metrics: Vec<String>,
    pub primary_metric: String,
    pub models: Vec<ModelInfo>,
    pub datasets: Vec<DatasetInfo>,
    /// Optional datasets that were absent, with what is missing and how to obtain it.
    pub skipped_datasets: Vec<(String, String)>,
    pub perturbations: Vec<PerturbationInfo>,
    /// The sample shown in the prediction strips.
    pub strip_sample: Option<(String, String)>,
    /// The data-efficiency study, when the suite has one.
    #[serde(default)]
    pub efficiency: Option<crate::efficiency::EfficiencyInfo>,
    /// `segmentation` or `classification`.
    #[serde(default = "default_task")]
    pub task: String,
    /// A classification suite's shortcut table, saliency and statistics settings.
    #[serde(default)]
    pub classification: Option<crate::classify::ClassificationInfo>,
    /// Set in a shard's folder (`--shard I/N`): which shard, and its units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::ShardInfo>,
}

fn default_task() -> String {
    "segmentation".into()
}

impl Manifest {
    pub fn path(run_dir: &Path) -> std::path::PathBuf {
        run_dir.join("manifest.json")
    }
    pub fn write(&self, run_dir: &Path) -> Result<()> {
        let path = Self::path(run_dir);
        let text =
            serde_json::to_string_pretty(self).map_err(|e| RunError::Other(e.to_string()))?;
        let tmp = run_dir.join(".manifest.json.tmp");
        std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err(&path))
    }
    pub fn read(run_dir: &Path) -> Result<Self> {
        let path = Self::path(run_dir);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        serde_json::from_str(&text).map_err(|e| RunError::Other(format!("{}: {e}", path.display())))
    }
}
