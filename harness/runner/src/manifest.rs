//! The run manifest: what was run, with which inputs, by which harness; and the
//! records of a run folder that the studies write and the report reads (study
//! summaries, shard ownership, saved saliency).

use std::path::{Path, PathBuf};

use crate::{Result, io_err, json_err};

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
    pub efficiency: Option<EfficiencyInfo>,
    /// `segmentation` or `classification`.
    #[serde(default = "default_task")]
    pub task: String,
    /// A classification suite's shortcut table, saliency and statistics settings.
    #[serde(default)]
    pub classification: Option<ClassificationInfo>,
    /// Set in a shard's folder (`--shard I/N`): which shard, and its units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
}

/// The study as recorded in the manifest.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct EfficiencyInfo {
    /// The pretraining sources with their file hashes.
    pub sources: Vec<ModelInfo>,
    /// The declared training sizes (`1`, `2`, …, `all`).
    pub train_sizes: Vec<String>,
    pub folds: usize,
    pub repeats: usize,
    /// Human-readable training recipe (steps, optimiser, loss, augmentation).
    pub recipe: String,
    /// The metrics (suite metrics) and clinical measures scored.
    pub metrics: Vec<String>,
    pub measures: Vec<String>,
    /// Per study dataset: folds, sizes and the human band.
    pub datasets: Vec<StudyDataset>,
    /// The metric the human band is on, if any.
    pub human_metric: Option<String>,
}

/// One dataset of the study.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StudyDataset {
    pub name: String,
    /// Sample ids per fold.
    pub folds: Vec<Vec<String>>,
    /// `(declared label, n)` of the sizes run (`all` resolved per fold to
    /// the smallest pool).
    pub sizes: Vec<(String, usize)>,
    /// What was skipped and why (sizes larger than the training pool).
    pub notes: Vec<String>,
    /// The human band per class name, if any.
    pub bands: Vec<HumanBandInfo>,
}

/// The human inter-observer band of one class.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct HumanBandInfo {
    pub class: String,
    pub metric: String,
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
    /// Pairwise scores it was computed from (0 when declared).
    pub pairs: usize,
    pub source: String,
}

/// A condition of the shortcut table as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConditionInfo {
    pub name: String,
    pub dataset: String,
    pub perturbation: String,
    pub point_index: u32,
}

/// What the report needs to know about a classification suite.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ClassificationInfo {
    /// Bootstrap resamples of the confidence intervals.
    pub bootstrap: usize,
    /// Their confidence level.
    pub level: f64,
    /// The shortcut table's reference condition and the others.
    pub shortcut: Option<(ConditionInfo, Vec<ConditionInfo>)>,
    /// The saliency method shown in the shortcut table.
    pub shortcut_saliency: Option<String>,
    /// Saliency methods computed.
    pub saliency_methods: Vec<String>,
    /// Per dataset with a marker policy: a description of it.
    pub markers: Vec<(String, String)>,
    /// Datasets of synthetic images (no real data).
    pub synthetic: Vec<String>,
}

/// What a shard's manifest records about it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShardInfo {
    pub index: usize,
    pub count: usize,
    /// The units this shard owns (part files relative to the run folder, or
    /// stage names such as `saliency`).
    pub units: Vec<String>,
    /// How many units the whole run has.
    #[serde(default)]
    pub total_units: usize,
    /// SHA-256 of every unit name of the run, in order: equal in every
    /// shard of the same run.
    #[serde(default)]
    pub plan_digest: String,
}

/// The saved saliency galleries and class maps of a run (`saliency/report.json`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SavedSaliency {
    pub galleries: Vec<sensibench_report::SaliencyGallery>,
    pub class_maps: Vec<sensibench_report::ClassMap>,
    /// Why a method was not computed for a model, and similar.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The file the runner saves galleries and class maps to.
pub fn saved_saliency_path(run_dir: &Path) -> PathBuf {
    run_dir.join("saliency").join("report.json")
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
        let text = serde_json::to_string_pretty(self).map_err(json_err(&path))?;
        let tmp = run_dir.join(".manifest.json.tmp");
        std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err(&path))
    }
    pub fn read(run_dir: &Path) -> Result<Self> {
        let path = Self::path(run_dir);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        serde_json::from_str(&text).map_err(json_err(&path))
    }
}
