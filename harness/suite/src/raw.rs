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
}

/// The `source:` of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SourceKind {
    PhantomCardiac,
    ImageFolder,
    NiftiSlices,
    DicomFolder,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::PhantomCardiac => "phantom_cardiac",
            SourceKind::ImageFolder => "image_folder",
            SourceKind::NiftiSlices => "nifti_slices",
            SourceKind::DicomFolder => "dicom_folder",
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
    // phantom_cardiac
    #[serde(default)]
    pub subjects: Option<Spanned<usize>>,
    #[serde(default)]
    pub slices_per_subject: Option<Spanned<usize>>,
    #[serde(default)]
    pub size: Option<Spanned<usize>>,
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
    pub slices: Option<Spanned<Vec<usize>>>,
    // dicom_folder
    #[serde(default)]
    pub path: Option<Spanned<String>>,
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
    pub points: Spanned<RawPoints>,
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
