//! The validated plan: what the runner executes. Every name is resolved and
//! every path checked by the time a `Plan` exists; nothing downstream re-checks.

use std::path::PathBuf;

use sensibench_core::Params;

/// A validated suite.
#[derive(Clone, Debug)]
pub struct Plan {
    pub name: String,
    pub description: String,
    /// The suite file, absolute.
    pub suite_path: PathBuf,
    /// SHA-256 (hex) of the suite file's bytes.
    pub suite_hash: String,
    pub seed: u64,
    pub task: Task,
    /// Class names by label index (index 0 is background for segmentation).
    pub classes: Vec<String>,
    /// The default reference mode; datasets may override it.
    pub reference: ReferenceMode,
    pub datasets: Vec<DatasetPlan>,
    /// Datasets declared `optional: true` whose files are missing, with the
    /// message saying what is missing and how to obtain it.
    pub skipped_datasets: Vec<SkippedDataset>,
    pub models: Vec<ModelPlan>,
    pub perturbations: Vec<PerturbationPlan>,
    /// Metric names, each registered.
    pub metrics: Vec<String>,
    pub report: ReportOptions,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Segmentation,
}

/// What a prediction is scored against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceMode {
    /// The dataset's reference mask.
    GroundTruth,
    /// The same model's prediction on the unperturbed image (misas's trick
    /// for data without masks).
    UnperturbedPrediction,
}

#[derive(Clone, Debug)]
pub struct DatasetPlan {
    pub name: String,
    pub source: DatasetSource,
    pub reference: ReferenceMode,
    /// Use at most this many samples (in the source's sorted order).
    pub limit: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct SkippedDataset {
    pub name: String,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub enum DatasetSource {
    /// The deterministic synthetic cardiac short-axis phantom.
    PhantomCardiac {
        subjects: usize,
        slices_per_subject: usize,
        size: usize,
    },
    /// A folder of 2D images (PNG/JPEG) and, optionally, a folder of masks
    /// with the same file names. Spacing in mm `(dy, dx)`.
    ImageFolder {
        images: PathBuf,
        masks: Option<PathBuf>,
        spacing: [f64; 2],
    },
    /// NIfTI volumes (`.nii`/`.nii.gz`) cut into 2D slices along `axis`.
    NiftiSlices {
        images: Vec<PathBuf>,
        masks: Vec<Option<PathBuf>>,
        axis: SliceAxis,
        /// Slice indices to take; all when `None`.
        slices: Option<Vec<usize>>,
    },
    /// A folder of single-frame DICOM files (no masks).
    DicomFolder { path: PathBuf },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SliceAxis {
    Axial,
    Coronal,
    Sagittal,
}

#[derive(Clone, Debug)]
pub struct ModelPlan {
    pub name: String,
    pub backend: BackendPlan,
    pub preprocess: Preprocess,
    pub postprocess: Postprocess,
    pub batch_size: usize,
}

#[derive(Clone, Debug)]
pub enum BackendPlan {
    /// An ONNX model file; `threads` intra-op threads (0 = ORT's default).
    Onnx { path: PathBuf, threads: usize },
    /// A native plugin: a cdylib path, already resolved.
    Native { path: PathBuf },
    /// Returns the reference: measures the harness's overhead.
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Preprocess {
    /// The model's input size `(height, width)`; `None` = the image's own size.
    pub size: Option<[usize; 2]>,
    pub fit: Fit,
    pub normalize: Normalize,
}

/// How an image is brought to the model's input size (and the prediction back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Bilinear resize of the image; the prediction is mapped back by
    /// nearest neighbour (labels) or bilinear (scores).
    Resize,
    /// Zero-pad (or centre-crop) to the size; undone exactly.
    Pad,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Normalize {
    None,
    /// (x - mean) / std over the image.
    ZScore,
    /// (x - min) / (max - min) over the image.
    MinMax,
    /// (x - mean) / std with fixed values.
    Fixed { mean: f64, std: f64 },
    /// Clip to [level - width/2, level + width/2], then scale to [0, 1] (CT windows).
    Window { level: f64, width: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Postprocess {
    /// Scores per class (logits or probabilities); label = argmax over channels.
    Argmax,
    /// One channel of logits: sigmoid, then label 1 where p >= threshold.
    SigmoidThreshold { threshold: f64 },
    /// One channel carrying label values already.
    Labels,
}

#[derive(Clone, Debug)]
pub struct PerturbationPlan {
    /// The registered perturbation kind (e.g. `rotate`).
    pub kind: String,
    /// A label unique within the suite (defaults to the kind).
    pub label: String,
    pub params: Params,
    /// The grid points, expanded from lists / linspace / logspace, in order.
    pub points: Vec<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    pub title: Option<String>,
    /// Sample id shown in the prediction strip; the first sample when `None`.
    pub strip_sample: Option<String>,
    /// The metric of the leaderboard and the headline charts (default: first metric).
    pub primary_metric: Option<String>,
}
