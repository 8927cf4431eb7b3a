//! The raw suite spec: serde structs that mirror the YAML one to one.
//!
//! Every value a later check may complain about is wrapped in
//! [`Spanned`], so the validator can point at its line and column. Unknown
//! keys are rejected by `deny_unknown_fields` while parsing. Fields that
//! depend on another field (`source:` of a dataset, `backend:` of a model)
//! live in one flat struct per list item, and the validator checks which of
//! them apply: serde's internally tagged enums would buffer the values and
//! lose their locations.

use std::fmt;

use sensibench_core::ParamValue;
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::plan::{ReferenceMode, SliceAxis, Task};

/// A whole suite file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
///
/// The required top-level keys are `Option`s so that the validator can report
/// every missing one at once (serde stops at the first).
pub(crate) struct RawSuite {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub seed: Option<Spanned<u64>>,
    #[serde(default)]
    pub task: Option<Spanned<Task>>,
    #[serde(default)]
    pub classes: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub reference: Option<Spanned<ReferenceMode>>,
    #[serde(default)]
    pub datasets: Option<Spanned<Vec<Spanned<RawDataset>>>>,
    #[serde(default)]
    pub models: Option<Spanned<Vec<Spanned<RawModel>>>>,
    #[serde(default)]
    pub perturbations: Option<Spanned<Vec<Spanned<RawPerturbation>>>>,
    #[serde(default)]
    pub metrics: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub report: Option<RawReport>,
    #[serde(default)]
    pub efficiency: Option<Spanned<RawEfficiency>>,
    #[serde(default)]
    pub statistics: Option<Spanned<RawStatistics>>,
    #[serde(default)]
    pub shortcut: Option<Spanned<RawShortcut>>,
    #[serde(default)]
    pub saliency: Option<Spanned<RawSaliency>>,
    #[serde(default)]
    pub labels: Option<Spanned<RawLabels>>,
    #[serde(default)]
    pub regression: Option<Spanned<RawRegression>>,
}

/// `regression:` what `sensibench nightly` / `compare` call a regression.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegression {
    #[serde(default)]
    pub metrics: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub tolerance: Option<Spanned<RawTolerance>>,
    #[serde(default)]
    pub test: Option<Spanned<RawPairedTest>>,
    #[serde(default)]
    pub alpha: Option<Spanned<f64>>,
}

/// The paired test of a regression check.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawPairedTest {
    Wilcoxon,
    Permutation,
}

/// `tolerance:` one number for every metric, or `{metric: number}`.
#[derive(Debug)]
pub(crate) enum RawTolerance {
    All(f64),
    PerMetric(Vec<(Spanned<String>, Spanned<f64>)>),
}

impl<'de> Deserialize<'de> for RawTolerance {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTolerance;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, or a map of metric: number")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawTolerance, E> {
                Ok(RawTolerance::All(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawTolerance, E> {
                Ok(RawTolerance::All(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawTolerance, E> {
                Ok(RawTolerance::All(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTolerance, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    out.push((key, map.next_value::<Spanned<f64>>()?));
                }
                Ok(RawTolerance::PerMetric(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `labels:` the label study.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLabels {
    pub dataset: Spanned<String>,
    pub test: Spanned<String>,
    pub cut: Spanned<RawCut>,
    #[serde(default)]
    pub alpha: Option<Spanned<f64>>,
    pub ranking: Spanned<RawRanking>,
    pub single: Spanned<RawSingle>,
    pub training: Spanned<RawLabelTraining>,
}

/// `cut:` `{fractions: [..]}` or `{points: [..]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCut {
    #[serde(default)]
    pub fractions: Option<Spanned<Vec<Spanned<f64>>>>,
    #[serde(default)]
    pub points: Option<Spanned<Vec<Spanned<f64>>>>,
}

/// `ranking:` of the label study.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRanking {
    pub annotators: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub batch_size: Option<Spanned<usize>>,
    #[serde(default)]
    pub views_per_image: Option<Spanned<usize>>,
    #[serde(default)]
    pub noise: Option<Spanned<f64>>,
    pub seconds_per_batch: Spanned<f64>,
    #[serde(default)]
    pub sessions: Option<Spanned<String>>,
}

/// `single:` of the label study.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSingle {
    pub annotators: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub error_rate: Option<Spanned<f64>>,
    pub seconds_per_label: Spanned<f64>,
    #[serde(default)]
    pub labels: Option<Spanned<String>>,
}

/// `training:` of the label study.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLabelTraining {
    pub model: Spanned<String>,
    pub sources: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub input: Option<Spanned<RawInput>>,
    #[serde(default)]
    pub normalize: Option<Spanned<RawNormalize>>,
    #[serde(default)]
    pub steps: Option<Spanned<usize>>,
    #[serde(default)]
    pub batch_size: Option<Spanned<usize>>,
    #[serde(default)]
    pub optimizer: Option<Spanned<RawOptimizer>>,
    #[serde(default)]
    pub learning_rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub weight_decay: Option<Spanned<f64>>,
    #[serde(default)]
    pub augment: Option<Spanned<RawAugment>>,
    #[serde(default)]
    pub threads: Option<Spanned<usize>>,
}

/// `statistics:` of a classification suite.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatistics {
    #[serde(default)]
    pub bootstrap: Option<Spanned<usize>>,
    #[serde(default)]
    pub level: Option<Spanned<f64>>,
}

/// `shortcut:` the marker-reliance table: a reference condition and the
/// conditions compared with it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShortcut {
    pub reference: Spanned<RawCondition>,
    pub conditions: Spanned<Vec<Spanned<RawCondition>>>,
    #[serde(default)]
    pub saliency: Option<Spanned<String>>,
}

/// One condition: a dataset, optionally perturbed at one point.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCondition {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    pub dataset: Spanned<String>,
    #[serde(default)]
    pub perturbation: Option<Spanned<String>>,
    #[serde(default)]
    pub point: Option<Spanned<f64>>,
}

/// `saliency:` maps of classifiers and their mass on the region.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSaliency {
    pub methods: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub datasets: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub perturbations: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub region_label: Option<Spanned<u8>>,
    #[serde(default)]
    pub occlusion: Option<Spanned<RawOcclusion>>,
    #[serde(default)]
    pub gallery: Option<Spanned<usize>>,
    #[serde(default)]
    pub class_maps: Option<bool>,
}

/// `occlusion: {patch: 8, stride: 4}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOcclusion {
    #[serde(default)]
    pub patch: Option<Spanned<usize>>,
    #[serde(default)]
    pub stride: Option<Spanned<usize>>,
    #[serde(default)]
    pub batch: Option<Spanned<usize>>,
}

/// `split:` of a class-folder dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawSplit {
    All,
    Train,
    Test,
}

/// `markers:` of a classification dataset: burn a side marker into each
/// image with a class-dependent probability.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMarkers {
    pub size: Spanned<f64>,
    pub rates: Spanned<Vec<Spanned<f64>>>,
    #[serde(default)]
    pub options: Option<Spanned<RawOptions>>,
}

/// The `source:` of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SourceKind {
    PhantomCardiac,
    PhantomCt,
    ImageFolder,
    NiftiSlices,
    DicomFolder,
    ClassFolders,
    ImageCsv,
    PhantomClasses,
    PhantomStacks,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::PhantomCardiac => "phantom_cardiac",
            SourceKind::PhantomCt => "phantom_ct",
            SourceKind::ImageFolder => "image_folder",
            SourceKind::NiftiSlices => "nifti_slices",
            SourceKind::DicomFolder => "dicom_folder",
            SourceKind::ClassFolders => "class_folders",
            SourceKind::ImageCsv => "image_csv",
            SourceKind::PhantomClasses => "phantom_classes",
            SourceKind::PhantomStacks => "phantom_stacks",
        }
    }
}

/// One item of `datasets:` (the keys of every source; the validator checks
/// which apply to the given `source`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDataset {
    pub name: Spanned<String>,
    pub source: Spanned<SourceKind>,
    #[serde(default)]
    pub reference: Option<Spanned<ReferenceMode>>,
    #[serde(default)]
    pub limit: Option<Spanned<usize>>,
    #[serde(default)]
    pub optional: Option<bool>,
    #[serde(default)]
    pub obtain: Option<String>,
    /// Use this dataset only when the named one is skipped (its data absent).
    #[serde(default)]
    pub fallback_for: Option<Spanned<String>>,
    // phantom_cardiac
    #[serde(default)]
    pub subjects: Option<Spanned<usize>>,
    #[serde(default)]
    pub slices_per_subject: Option<Spanned<usize>>,
    #[serde(default)]
    pub size: Option<Spanned<usize>>,
    // phantom_ct (a number), image_folder (folders of masks)
    #[serde(default)]
    pub observers: Option<Spanned<RawObservers>>,
    // image_folder, nifti_slices
    #[serde(default)]
    pub images: Option<Spanned<PathList>>,
    #[serde(default)]
    pub masks: Option<Spanned<PathList>>,
    // image_folder
    #[serde(default)]
    pub spacing: Option<Spanned<Vec<f64>>>,
    // nifti_slices
    #[serde(default)]
    pub axis: Option<Spanned<SliceAxis>>,
    #[serde(default)]
    pub slices: Option<Spanned<RawSlices>>,
    #[serde(default)]
    pub labels: Option<Spanned<std::collections::BTreeMap<u8, Vec<u8>>>>,
    // dicom_folder, class_folders
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    // class_folders
    #[serde(default)]
    pub folders: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub split: Option<Spanned<RawSplit>>,
    #[serde(default)]
    pub per_class: Option<Spanned<usize>>,
    // image_csv
    #[serde(default)]
    pub csv: Option<Spanned<String>>,
    /// `phantom_stacks`: positions cutting the long axis into the classes.
    #[serde(default)]
    pub cuts: Option<Spanned<Vec<Spanned<f64>>>>,
    /// `phantom_stacks`: positions of the first and last slice.
    #[serde(default)]
    pub positions: Option<Spanned<Vec<Spanned<f64>>>>,
    // classification datasets
    #[serde(default)]
    pub markers: Option<Spanned<RawMarkers>>,
}

/// `observers:` a number of simulated observers (phantom) or a list of
/// folders, one per observer, of masks named as the images.
#[derive(Debug)]
pub(crate) enum RawObservers {
    Count(u64),
    Folders(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawObservers {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObservers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of observers or a list of folders of observers' masks")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawObservers, E> {
                Ok(RawObservers::Count(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawObservers, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<String>>()? {
                    out.push(item);
                }
                Ok(RawObservers::Folders(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `slices:` of a NIfTI dataset: indices, or the slices containing a label.
#[derive(Debug)]
pub(crate) enum RawSlices {
    List(Vec<usize>),
    Containing(RawContaining),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContaining {
    pub containing_label: Spanned<u8>,
    #[serde(default)]
    pub margin: Option<Spanned<usize>>,
}

impl<'de> Deserialize<'de> for RawSlices {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSlices;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of slice indices or {containing_label: L, margin: M}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawSlices, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<usize>()? {
                    out.push(item);
                }
                Ok(RawSlices::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSlices, A::Error> {
                RawContaining::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawSlices::Containing)
            }
        }
        d.deserialize_any(V)
    }
}

/// A path (`images: folder`) or a list of paths, each possibly null
/// (`masks: [a.nii.gz, ~]`).
#[derive(Debug)]
pub(crate) enum PathList {
    One(String),
    Many(Vec<Spanned<Option<String>>>),
}

impl<'de> Deserialize<'de> for PathList {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PathList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path or a list of paths")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PathList, E> {
                Ok(PathList::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PathList, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Option<String>>>()? {
                    out.push(item);
                }
                Ok(PathList::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `backend:` of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BackendKind {
    Onnx,
    Native,
    Torchscript,
    Null,
}

/// One item of `models:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    pub name: Spanned<String>,
    pub backend: Spanned<BackendKind>,
    /// onnx: the model file; native: the cdylib (instead of `plugin`).
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub threads: Option<Spanned<usize>>,
    #[serde(default)]
    pub plugin: Option<Spanned<String>>,
    #[serde(default)]
    pub input: Option<Spanned<RawInput>>,
    #[serde(default)]
    pub normalize: Option<Spanned<RawNormalize>>,
    #[serde(default)]
    pub output: Option<Spanned<RawOutput>>,
    #[serde(default)]
    pub batch_size: Option<Spanned<usize>>,
    /// `process`: run the model in a worker subprocess.
    #[serde(default)]
    pub isolate: Option<Spanned<RawIsolate>>,
    /// native: the plugin's configuration (scalar values), handed over as JSON.
    #[serde(default)]
    pub config: Option<Spanned<RawOptions>>,
}

/// `isolate:` where a model runs.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawIsolate {
    InProcess,
    Process,
}

/// `input: { size: [h, w], fit: resize }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInput {
    #[serde(default)]
    pub size: Option<Spanned<Vec<usize>>>,
    #[serde(default)]
    pub fit: Option<RawFit>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawFit {
    Resize,
    Pad,
}

/// `normalize:` a name, or a one-key map with the fixed values.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawNormalize {
    None,
    Zscore,
    Minmax,
    Fixed(RawFixed),
    Window(RawWindow),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFixed {
    pub mean: Spanned<f64>,
    pub std: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    pub level: Spanned<f64>,
    pub width: Spanned<f64>,
}

/// `output:` a name, or `{sigmoid_threshold: p}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawOutput {
    Argmax,
    Labels,
    SigmoidThreshold(Spanned<f64>),
    Softmax,
    Sigmoid,
    Probabilities,
}

/// One item of `perturbations:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPerturbation {
    pub name: Spanned<String>,
    #[serde(default)]
    pub label: Option<Spanned<String>>,
    #[serde(default)]
    pub options: Option<Spanned<RawOptions>>,
    #[serde(default)]
    pub points: Option<Spanned<RawPoints>>,
    /// Severity levels (0..=5) instead of parameter values.
    #[serde(default)]
    pub severity: Option<Spanned<Vec<Spanned<f64>>>>,
}

/// `options:` of a perturbation, in file order, each key and value with its
/// location.
#[derive(Debug, Default)]
pub(crate) struct RawOptions(pub Vec<(Spanned<String>, Spanned<ParamValue>)>);

impl<'de> Deserialize<'de> for RawOptions {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawOptions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of options (name: number, text or true/false)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawOptions, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<ParamValue>>()?;
                    out.push((key, value));
                }
                Ok(RawOptions(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `points:` a list of numbers, or one generator.
#[derive(Debug)]
pub(crate) enum RawPoints {
    List(Vec<Spanned<f64>>),
    Generator(Box<RawGenerator>),
}

/// `points: {linspace: [start, stop, num]}` and friends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGenerator {
    #[serde(default)]
    pub linspace: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    pub logspace: Option<Spanned<Vec<f64>>>,
    #[serde(default)]
    pub base: Option<Spanned<f64>>,
    #[serde(default)]
    pub range: Option<Spanned<Vec<f64>>>,
}

impl<'de> Deserialize<'de> for RawPoints {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPoints;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a list of numbers or one of {linspace: [start, stop, num]}, \
                     {logspace: [start, stop, num]}, {range: [start, stop, step]}",
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawPoints, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<f64>>()? {
                    out.push(item);
                }
                Ok(RawPoints::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawPoints, A::Error> {
                RawGenerator::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|g| RawPoints::Generator(Box::new(g)))
            }
        }
        d.deserialize_any(V)
    }
}

/// `report:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReport {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub strip_sample: Option<String>,
    #[serde(default)]
    pub primary_metric: Option<Spanned<String>>,
}

/// `efficiency:`, the transfer-learning data-efficiency study.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEfficiency {
    pub sources: Spanned<Vec<Spanned<RawSource>>>,
    #[serde(default)]
    pub datasets: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub input: Option<Spanned<RawInput>>,
    #[serde(default)]
    pub normalize: Option<Spanned<RawNormalize>>,
    pub train_sizes: Spanned<Vec<Spanned<RawTrainSize>>>,
    #[serde(default)]
    pub folds: Option<Spanned<usize>>,
    #[serde(default)]
    pub repeats: Option<Spanned<usize>>,
    #[serde(default)]
    pub steps: Option<Spanned<usize>>,
    #[serde(default)]
    pub epochs: Option<Spanned<usize>>,
    #[serde(default)]
    pub batch_size: Option<Spanned<usize>>,
    #[serde(default)]
    pub optimizer: Option<Spanned<RawOptimizer>>,
    #[serde(default)]
    pub momentum: Option<Spanned<f64>>,
    #[serde(default)]
    pub learning_rate: Option<Spanned<f64>>,
    #[serde(default)]
    pub weight_decay: Option<Spanned<f64>>,
    #[serde(default)]
    pub loss: Option<Spanned<RawLoss>>,
    #[serde(default)]
    pub augment: Option<Spanned<RawAugment>>,
    #[serde(default)]
    pub threads: Option<Spanned<usize>>,
    #[serde(default)]
    pub measures: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub human: Option<Spanned<RawHuman>>,
}

/// One pretraining source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSource {
    pub name: Spanned<String>,
    pub path: Spanned<String>,
}

/// A training-set size: a number or `all`.
#[derive(Debug)]
pub(crate) enum RawTrainSize {
    N(i64),
    Word(String),
}

impl<'de> Deserialize<'de> for RawTrainSize {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawTrainSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of training images or `all`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawTrainSize, E> {
                Ok(RawTrainSize::N(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawTrainSize, E> {
                Ok(RawTrainSize::N(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawTrainSize, E> {
                Ok(RawTrainSize::Word(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawOptimizer {
    Adam,
    Adamw,
    Sgd,
}

/// `loss: {ce: 1, dice: 1}` (the weights of Dice + cross-entropy).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoss {
    #[serde(default)]
    pub ce: Option<Spanned<f64>>,
    #[serde(default)]
    pub dice: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAugment {
    #[serde(default)]
    pub flip_x: bool,
    #[serde(default)]
    pub flip_y: bool,
    #[serde(default)]
    pub rot90: bool,
    #[serde(default)]
    pub scale: Option<Spanned<f64>>,
    #[serde(default)]
    pub shift: Option<Spanned<f64>>,
}

/// `human:` the inter-observer reference: declared (`value`, `spread`) or
/// `from: observers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHuman {
    pub metric: Spanned<String>,
    #[serde(default)]
    pub value: Option<Spanned<f64>>,
    #[serde(default)]
    pub spread: Option<Spanned<f64>>,
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub source: Option<String>,
}
