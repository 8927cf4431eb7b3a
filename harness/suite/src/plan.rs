//! The validated plan: what the runner executes. Every name is resolved and
//! every path checked by the time a `Plan` exists; nothing downstream re-checks.

use std::path::PathBuf;

use sensibench_core::Params;

/// A validated suite.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The suite's name (`[a-z0-9_-]+`), used in result paths.
    pub name: String,
    /// Free text from `description:` (trimmed; empty when absent).
    pub description: String,
    /// The suite file, absolute.
    pub suite_path: PathBuf,
    /// SHA-256 (hex) of the suite file's bytes.
    pub suite_hash: String,
    /// The suite seed every random perturbation's seed is derived from.
    pub seed: u64,
    /// What the models do.
    pub task: Task,
    /// Class names by label index (index 0 is background for segmentation).
    pub classes: Vec<String>,
    /// The default reference mode; datasets may override it.
    pub reference: ReferenceMode,
    /// Datasets whose files are all present, in suite order.
    pub datasets: Vec<DatasetPlan>,
    /// Datasets declared `optional: true` whose files are missing, with the
    /// message saying what is missing and how to obtain it.
    pub skipped_datasets: Vec<SkippedDataset>,
    /// Models in suite order.
    pub models: Vec<ModelPlan>,
    /// Perturbations in suite order.
    pub perturbations: Vec<PerturbationPlan>,
    /// Metric names, each registered.
    pub metrics: Vec<String>,
    /// Options of the HTML report.
    pub report: ReportOptions,
    /// The transfer-learning data-efficiency study (`efficiency:`), if any.
    pub efficiency: Option<EfficiencyPlan>,
    /// Confidence intervals of classification metrics (`statistics:`).
    pub statistics: StatisticsPlan,
    /// The shortcut (marker reliance) table of a classification suite.
    pub shortcut: Option<ShortcutPlan>,
    /// Saliency maps of classifiers and their mass on the region.
    pub saliency: Option<SaliencyPlan>,
    /// The label study (`labels:`): simulated or recorded annotations,
    /// their aggregation, agreement, and classifiers trained on each source.
    pub labels: Option<LabelStudyPlan>,
    /// What `sensibench nightly` and `compare` call a regression (`regression:`).
    pub regression: RegressionPlan,
}

/// When a change between a baseline and a new run is a regression: a
/// metric worse by more than its tolerance, with the paired test's p-value
/// below `alpha` (the unit of the test is the sample).
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionPlan {
    /// The metrics checked (default: the primary metric; classification:
    /// `accuracy` and `auc`).
    pub metrics: Vec<String>,
    /// Per metric, the largest worsening that is not a regression, in the
    /// metric's unit, as declared (`tolerance: {dice: 0.02}`).
    pub tolerance: std::collections::BTreeMap<String, f64>,
    /// `tolerance: 0.02`: the tolerance of every metric not named. When
    /// `None`, the runner's default: 0.01 for scores in [0, 1], 1 mm for
    /// surface distances.
    pub default_tolerance: Option<f64>,
    /// The paired test over samples (default Wilcoxon signed-rank).
    pub test: PairedTestKind,
    /// Significance level in (0, 1) (default 0.05).
    pub alpha: f64,
}

/// The paired test of a regression check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PairedTestKind {
    /// Wilcoxon signed-rank test (scipy.stats.wilcoxon's defaults).
    #[default]
    Wilcoxon,
    /// Sign-flip permutation test of the mean difference.
    Permutation,
}

/// The label study of a classification suite: images annotated by ranking
/// batches and one at a time, the rankings aggregated (Bradley–Terry) and
/// cut into the classes, agreement with the truth and between observers,
/// and one classifier fine-tuned per label source.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelStudyPlan {
    /// The annotated (training) dataset: a `phantom_stacks` dataset.
    pub dataset: String,
    /// The evaluation dataset (truth labels): a `phantom_stacks` dataset.
    pub test: String,
    /// How the aggregated ranking axis is cut into the classes.
    pub cut: CutPlan,
    /// L2 regularisation of the Bradley–Terry fit (choix's `alpha`).
    pub alpha: f64,
    /// The ranking annotators.
    pub ranking: RankingPlan,
    /// The one-image-at-a-time annotators.
    pub single: SinglePlan,
    /// The classifiers trained on each label source.
    pub training: LabelTrainingPlan,
}

/// How an ordinal score axis is cut into the classes.
#[derive(Clone, Debug, PartialEq)]
pub enum CutPlan {
    /// Class sizes as fractions of the images (sum 1), in axis order.
    Fractions(Vec<f64>),
    /// Cut points on the score axis.
    Points(Vec<f64>),
}

/// Annotators who order batches of images from most basal to most apical.
#[derive(Clone, Debug, PartialEq)]
pub struct RankingPlan {
    /// Annotator names; the first also repeats the whole task once
    /// (intra-observer agreement).
    pub annotators: Vec<String>,
    /// Images per batch (>= 2).
    pub batch_size: usize,
    /// Times each image is seen per annotator (>= 1).
    pub views_per_image: usize,
    /// SD of the perceived position (0..1 axis) per view.
    pub noise: f64,
    /// Seconds to rank one batch.
    pub seconds_per_batch: f64,
    /// Recorded sessions to use instead of simulating (CSV).
    pub sessions: Option<PathBuf>,
}

/// Annotators who label one image at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct SinglePlan {
    /// Annotator names; the first also repeats its labels once.
    pub annotators: Vec<String>,
    /// Probability that a label is moved to an adjacent class.
    pub error_rate: f64,
    /// Seconds to label one image.
    pub seconds_per_label: f64,
    /// Recorded labels to use instead of simulating (CSV).
    pub labels: Option<PathBuf>,
}

/// A label source a classifier is trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelSource {
    /// The true classes (the upper bound).
    Truth,
    /// Ranking sessions aggregated by Bradley–Terry and cut.
    Ranking,
    /// One-at-a-time labels (majority vote) under the same annotation time.
    Single,
}

impl LabelSource {
    /// Name in suites and reports.
    pub fn name(self) -> &'static str {
        match self {
            LabelSource::Truth => "truth",
            LabelSource::Ranking => "ranking",
            LabelSource::Single => "single",
        }
    }
}

/// Fine-tuning one classifier per label source through the TorchScript path.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelTrainingPlan {
    /// The starting TorchScript module (absolute path).
    pub model: PathBuf,
    /// Label sources, one classifier each.
    pub sources: Vec<LabelSource>,
    /// How images become the module's input.
    pub preprocess: Preprocess,
    /// Optimiser steps.
    pub steps: usize,
    /// Images per step.
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: OptimizerPlan,
    /// Learning rate.
    pub learning_rate: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// On-the-fly augmentation.
    pub augment: AugmentPlan,
    /// libtorch threads (0 = default).
    pub threads: usize,
}

/// How classification metrics get their confidence intervals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatisticsPlan {
    /// Percentile-bootstrap resamples over cases (>= 100; default 1000).
    pub bootstrap: usize,
    /// Confidence level in (0, 1) (default 0.95).
    pub level: f64,
}

impl Default for StatisticsPlan {
    fn default() -> Self {
        StatisticsPlan {
            bootstrap: 1000,
            level: 0.95,
        }
    }
}

/// One evaluation condition: a dataset, unperturbed or at one point of one
/// perturbation.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionPlan {
    /// Shown in the shortcut table (defaults to the perturbation's label or the dataset).
    pub name: String,
    /// A dataset of the suite.
    pub dataset: String,
    /// A perturbation label of the suite, or `none`.
    pub perturbation: String,
    /// The point of the perturbation (its first point when not given; 0 for `none`).
    pub point: f64,
}

/// The shortcut table: each model's AUC under the reference condition and
/// under each other condition, ΔAUC with DeLong's test (paired by sample id).
#[derive(Clone, Debug, PartialEq)]
pub struct ShortcutPlan {
    /// The condition with markers as in training (e.g. the internal test set).
    pub reference: ConditionPlan,
    /// Conditions compared with it (markers removed, external, swapped, …).
    pub conditions: Vec<ConditionPlan>,
    /// The saliency method whose mass on the region the table shows.
    pub saliency: Option<String>,
}

/// A saliency method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaliencyMethod {
    /// Occlusion sensitivity (any backend).
    Occlusion,
    /// Class-selective relevance mapping, all-class form: every output's
    /// squared change (models exposing features and head).
    Crm,
    /// Class-selective relevance mapping, class-specific form: the predicted
    /// class's squared change only.
    CrmClass,
    /// Class activation mapping (models exposing features and head).
    Cam,
    /// Grad-CAM through the TorchScript backend.
    GradCam,
}

impl SaliencyMethod {
    /// Every method, in display order.
    pub const ALL: [SaliencyMethod; 5] = [
        SaliencyMethod::Crm,
        SaliencyMethod::CrmClass,
        SaliencyMethod::Cam,
        SaliencyMethod::GradCam,
        SaliencyMethod::Occlusion,
    ];
    /// The name in suites and results.
    pub fn name(self) -> &'static str {
        match self {
            SaliencyMethod::Occlusion => "occlusion",
            SaliencyMethod::Crm => "crm",
            SaliencyMethod::CrmClass => "crm_class",
            SaliencyMethod::Cam => "cam",
            SaliencyMethod::GradCam => "gradcam",
        }
    }
}

/// Saliency maps of classifiers.
#[derive(Clone, Debug, PartialEq)]
pub struct SaliencyPlan {
    /// Methods; each model gets those its backend supports.
    pub methods: Vec<SaliencyMethod>,
    /// Datasets (all when not given).
    pub datasets: Vec<String>,
    /// Perturbation labels (`none` = the unperturbed images; default `[none]`).
    pub perturbations: Vec<String>,
    /// The label of the region (e.g. the marker box) in the samples' region map.
    pub region_label: u8,
    /// Occlusion window side in pixels of the model input.
    pub occlusion_patch: usize,
    /// Occlusion stride in pixels.
    pub occlusion_stride: usize,
    /// Occluded copies per model call.
    pub occlusion_batch: usize,
    /// Samples per model and condition shown as overlays in the report.
    pub gallery: usize,
    /// Whether the report shows class-mean maps (CRM's class-specific ROI maps).
    pub class_maps: bool,
}

/// Burns a side marker into each image of a classification dataset with a
/// class-dependent probability (as hospital protocols do).
#[derive(Clone, Debug, PartialEq)]
pub struct MarkerPolicy {
    /// The glyph height in pixels (`marker_inject`'s `size`).
    pub size: f64,
    /// `marker_inject`'s options (glyph, corner, margin, pad, intensity, box, …).
    pub params: Params,
    /// Probability of a marker for each class, in `classes:` order. A sample
    /// gets a marker when `u < rates[class]`, with `u` uniform from
    /// (suite seed, `markers`, sample id): the same `u` for every dataset, so
    /// conditions with other rates mark nested subsets of the same images.
    pub rates: Vec<f64>,
}

/// Which part of a hash split a class-folder dataset takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Every image.
    All,
    /// Images whose SHA-256 puts them in the training part (4 in 5).
    Train,
    /// Images whose SHA-256 puts them in the test part:
    /// `u32::from_be_bytes(sha256[0..4]) % 5 == 0` (1 in 5).
    Test,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
/// The kind of prediction a suite evaluates.
pub enum Task {
    /// Per-pixel class labels (`task: segmentation`).
    Segmentation,
    /// One class per image, with class probabilities (`task: classification`).
    Classification,
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

/// A dataset whose files were found.
#[derive(Clone, Debug)]
pub struct DatasetPlan {
    /// Unique within the suite.
    pub name: String,
    /// Where the samples come from (paths absolute or under the data root).
    pub source: DatasetSource,
    /// What predictions on this dataset are scored against.
    pub reference: ReferenceMode,
    /// Use at most this many samples (in the source's sorted order).
    pub limit: Option<usize>,
    /// Side markers burnt into the images (classification datasets).
    pub markers: Option<MarkerPolicy>,
}

/// An `optional: true` dataset whose files are missing.
#[derive(Clone, Debug)]
pub struct SkippedDataset {
    /// The dataset's name.
    pub name: String,
    /// The missing path(s) and how to obtain them (the dataset's `obtain:` text).
    pub reason: String,
}

/// Where a dataset's samples come from.
#[derive(Clone, Debug)]
pub enum DatasetSource {
    /// The deterministic synthetic cardiac short-axis phantom.
    PhantomCardiac {
        /// Number of subjects (each with its own anatomy), >= 1.
        subjects: usize,
        /// Short-axis slices per subject, >= 1.
        slices_per_subject: usize,
        /// Image side in pixels (16..=2048).
        size: usize,
    },
    /// A folder of 2D images (PNG/JPEG) and, optionally, a folder of masks
    /// with the same file names. Spacing in mm `(dy, dx)`.
    ImageFolder {
        /// The folder of images.
        images: PathBuf,
        /// The folder of masks (same file names), if any.
        masks: Option<PathBuf>,
        /// Pixel spacing `(dy, dx)` in mm, both > 0.
        spacing: [f64; 2],
        /// Folders of human observers' masks (same file names as the
        /// images), for the human band; empty when none.
        observers: Vec<PathBuf>,
    },
    /// NIfTI volumes (`.nii`/`.nii.gz`) cut into 2D slices along `axis`.
    NiftiSlices {
        /// The image volumes.
        images: Vec<PathBuf>,
        /// One entry per image: its mask volume, if any (all `None` without `masks:`).
        masks: Vec<Option<PathBuf>>,
        /// The axis the volumes are cut along.
        axis: SliceAxis,
        /// Which slices to take.
        slices: SliceSelection,
        /// Relabelling of the masks: `(new label, old labels)`; every old
        /// label not listed becomes 0. `None` keeps the labels as stored.
        labels: Option<Vec<(u8, Vec<u8>)>>,
    },
    /// The deterministic synthetic axial CT phantom at L3, in Hounsfield
    /// units, with a skeletal-muscle mask (label 1).
    PhantomCt {
        /// Number of subjects (each with its own anatomy), >= 1.
        subjects: usize,
        /// Axial slices per subject around L3, >= 1.
        slices_per_subject: usize,
        /// Image side in pixels (16..=2048).
        size: usize,
        /// Simulated human observers' masks per slice (0 = none); their
        /// pairwise agreement gives a human band.
        observers: usize,
    },
    /// A folder of single-frame DICOM files (no masks).
    DicomFolder {
        /// The folder of DICOM files.
        path: PathBuf,
    },
    /// A folder with one subfolder of images per class (classification).
    ClassFolders {
        /// The parent folder.
        path: PathBuf,
        /// The subfolder of each class, in `classes:` order.
        folders: Vec<String>,
        /// Which part of the hash split to take.
        split: Split,
        /// At most this many images per class (the first by file name).
        per_class: Option<usize>,
    },
    /// A CSV listing images (under the data root), with optional class
    /// labels and region boxes.
    ImageCsv {
        /// The CSV file (relative paths were resolved against the suite's folder).
        csv: PathBuf,
        /// The data root the CSV's image paths are relative to.
        data_root: PathBuf,
    },
    /// Short-axis stacks of the cardiac phantom, each slice labelled by its
    /// known position along the long axis (the slice-position study).
    PhantomStacks {
        /// Subjects (>= 1).
        subjects: usize,
        /// Slices per subject from base to apex (>= 2).
        slices_per_subject: usize,
        /// Image side in pixels.
        size: usize,
        /// Long-axis positions of the first and last slice (default
        /// `[0, 1]`: base to apex; outside, above the base / beyond the apex).
        positions: [f64; 2],
        /// Increasing positions inside `positions` cutting the axis into the classes.
        cuts: Vec<f64>,
        /// Which subjects (hash rule on the subject id).
        split: Split,
    },
    /// Deterministic synthetic images of each class (classification fallback).
    PhantomClasses {
        /// Images per class, >= 1.
        per_class: usize,
        /// Image side in pixels (16..=2048).
        size: usize,
    },
}

/// The long-axis positions a `phantom_stacks` dataset may span: from above
/// the base (−0.25, the ring fully open) to beyond the apex (1.35, the cap
/// gone); equal to `sensibench_data::POSITIONS` (an integration test checks).
pub const STACK_POSITIONS: (f64, f64) = (-0.25, 1.35);

/// Which slices of a volume a `nifti_slices` dataset takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SliceSelection {
    /// Every slice.
    All,
    /// These slice indices.
    Indices(Vec<usize>),
    /// The slices whose (original, not relabelled) mask contains `label`,
    /// widened by `margin` slices on each side, e.g. the L3 vertebra.
    ContainingLabel {
        /// The label that must be present in the slice.
        label: u8,
        /// Extra slices on each side.
        margin: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
/// The axis NIfTI volumes are sliced along.
pub enum SliceAxis {
    /// Slices of constant z.
    Axial,
    /// Slices of constant y.
    Coronal,
    /// Slices of constant x.
    Sagittal,
}

/// A model with everything needed to load and feed it.
#[derive(Clone, Debug)]
pub struct ModelPlan {
    /// Unique within the suite.
    pub name: String,
    /// How the model runs.
    pub backend: BackendPlan,
    /// How an image becomes the model's input.
    pub preprocess: Preprocess,
    /// How the model's output becomes a label map.
    pub postprocess: Postprocess,
    /// Images per call (>= 1; default 8).
    pub batch_size: usize,
    /// Where the model runs (`isolate:`; default in the harness's process).
    pub isolate: Isolation,
}

/// Where a model runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Isolation {
    /// In the harness's own process (the default; fastest).
    #[default]
    InProcess,
    /// In a worker subprocess (`isolate: process`): a model that crashes the
    /// process (segfault, abort) fails its own rows with the reason and the
    /// run goes on. Tensors cross a pipe, so each batch costs a copy.
    Process,
}

/// How a model is run.
#[derive(Clone, Debug)]
pub enum BackendPlan {
    /// An ONNX model file; `threads` intra-op threads (0 = ORT's default).
    Onnx {
        /// The `.onnx` file, absolute.
        path: PathBuf,
        /// Intra-op threads; 0 = ORT's default.
        threads: usize,
    },
    /// A native plugin: a cdylib path, already resolved.
    Native {
        /// The plugin library file.
        path: PathBuf,
        /// The plugin's configuration, a JSON object (`config:`; `{}` when absent).
        config: String,
    },
    /// A TorchScript module run by libtorch (`torch` feature).
    TorchScript {
        /// The `.pt` file, absolute.
        path: PathBuf,
        /// Intra-op threads; 0 = libtorch's default.
        threads: usize,
    },
    /// Returns the reference: measures the harness's overhead.
    Null,
}

/// Input preparation of a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Preprocess {
    /// The model's input size `(height, width)`; `None` = the image's own size.
    pub size: Option<[usize; 2]>,
    /// How the image is brought to `size`.
    pub fit: Fit,
    /// Intensity normalisation applied after fitting.
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

/// Intensity normalisation of a model's input.
#[derive(Clone, Debug, PartialEq)]
pub enum Normalize {
    /// Intensities as stored.
    None,
    /// (x - mean) / std over the image.
    ZScore,
    /// (x - min) / (max - min) over the image.
    MinMax,
    /// (x - mean) / std with fixed values.
    Fixed {
        /// Subtracted first.
        mean: f64,
        /// Divided by next (> 0).
        std: f64,
    },
    /// Clip to [level - width/2, level + width/2], then scale to [0, 1] (CT windows).
    Window {
        /// Window centre.
        level: f64,
        /// Window width (> 0).
        width: f64,
    },
}

/// How a model's output becomes a label map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Postprocess {
    /// Classification: logits (`N x K`), turned into probabilities by softmax.
    Softmax,
    /// Classification: logits (`N x K`), each turned into a probability by
    /// the logistic sigmoid (one logit = binary: `[1 - p, p]`).
    Sigmoid,
    /// Classification: probabilities (`N x K`) as they are.
    Probabilities,
    /// Scores per class (logits or probabilities); label = argmax over channels.
    Argmax,
    /// One channel of logits: sigmoid, then label 1 where p >= threshold.
    SigmoidThreshold {
        /// Probability at and above which a pixel is labelled 1 (within [0, 1]).
        threshold: f64,
    },
    /// One channel carrying label values already.
    Labels,
}

/// One perturbation sweep.
#[derive(Clone, Debug)]
pub struct PerturbationPlan {
    /// The registered perturbation kind (e.g. `rotate`).
    pub kind: String,
    /// A label unique within the suite (defaults to the kind).
    pub label: String,
    /// The fixed options, accepted by the registry entry's `build`.
    pub params: Params,
    /// The grid points, expanded from lists / linspace / logspace, in order
    /// (severity levels when `scale` is [`Scale::Severity`]).
    pub points: Vec<f64>,
    /// What the points are: values of the perturbation's parameter, or levels
    /// of its severity scale.
    pub scale: Scale,
}

/// What the grid points of a perturbation sweep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scale {
    /// Values of the perturbation's own parameter (`points:`).
    #[default]
    Parameter,
    /// Levels 0..=5 of its severity scale (`severity:`), each fixing every
    /// parameter of the artefact.
    Severity,
}

/// Options of the HTML report.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// The report's title; the suite name when `None`.
    pub title: Option<String>,
    /// Sample id shown in the prediction strip; the first sample when `None`.
    pub strip_sample: Option<String>,
    /// The metric of the leaderboard and the headline charts (default: first metric).
    pub primary_metric: Option<String>,
}

/// The transfer-learning data-efficiency study: for every pretraining
/// source × training-set size × fold (× repeat), fine-tune the source on `n`
/// images of the training folds and score it on the held-out fold.
#[derive(Clone, Debug, PartialEq)]
pub struct EfficiencyPlan {
    /// The pretraining sources, in suite order.
    pub sources: Vec<SourcePlan>,
    /// Datasets the study runs on (names of `datasets:`, in suite order;
    /// all that have masks when not given). Each dataset is its own study.
    pub datasets: Vec<String>,
    /// How images become the modules' input (size, fit, normalisation).
    pub preprocess: Preprocess,
    /// Training-set sizes in increasing order; `None` = all training images.
    pub train_sizes: Vec<TrainSize>,
    /// Cross-validation folds (>= 2).
    pub folds: usize,
    /// Repeats with different random subsets (>= 1).
    pub repeats: usize,
    /// Optimiser steps per fine-tuning, or epochs over the `n` images.
    pub schedule: Schedule,
    /// Images per step.
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: OptimizerPlan,
    /// Learning rate (> 0).
    pub learning_rate: f64,
    /// Weight decay (>= 0).
    pub weight_decay: f64,
    /// Cross-entropy weight in the loss.
    pub ce_weight: f64,
    /// Soft-Dice weight in the loss.
    pub dice_weight: f64,
    /// On-the-fly augmentation.
    pub augment: AugmentPlan,
    /// libtorch intra-op threads (0 = its default).
    pub threads: usize,
    /// Clinical measures compared between prediction and reference
    /// (`area_cm2`, `mean_hu`).
    pub measures: Vec<String>,
    /// The human inter-observer reference, if declared.
    pub human: Option<HumanPlan>,
}

/// One pretraining source: a TorchScript module to fine-tune.
#[derive(Clone, Debug, PartialEq)]
pub struct SourcePlan {
    /// Unique within the study.
    pub name: String,
    /// The `.pt` file, absolute.
    pub path: PathBuf,
}

/// A training-set size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainSize {
    /// `n` images.
    N(usize),
    /// Every image of the training folds (`all`).
    All,
}

/// How long each fine-tuning runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// A fixed number of optimiser steps whatever `n`.
    Steps(usize),
    /// Passes over the `n` training images: `ceil(epochs · n / batch)` steps.
    Epochs(usize),
}

/// The optimiser of the study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerPlan {
    /// Adam.
    Adam,
    /// AdamW (decoupled weight decay).
    AdamW,
    /// SGD with momentum.
    Sgd {
        /// Momentum in [0, 1).
        momentum: f64,
    },
}

/// On-the-fly augmentation of training images.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AugmentPlan {
    /// Random left-right mirror.
    pub flip_x: bool,
    /// Random top-bottom mirror.
    pub flip_y: bool,
    /// Random multiple of 90° (square inputs).
    pub rot90: bool,
    /// Intensity factor drawn from [1 - scale, 1 + scale].
    pub scale: f64,
    /// Intensity offset drawn from [-shift, shift] (in normalised units).
    pub shift: f64,
}

/// The human inter-observer reference of a study.
#[derive(Clone, Debug, PartialEq)]
pub struct HumanPlan {
    /// The metric the band is on (one of the suite's metrics).
    pub metric: String,
    /// A declared level, or `None` = computed from the datasets' observers.
    pub declared: Option<DeclaredBand>,
    /// Where the level comes from (free text for the report).
    pub source: String,
}

/// A declared human level: `value ± spread`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeclaredBand {
    /// The inter-observer level.
    pub value: f64,
    /// Its spread (>= 0): the band is `value ± spread`.
    pub spread: f64,
}
