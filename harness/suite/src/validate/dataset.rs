//! One entry of `datasets:` -> a [`DatasetPlan`] or a [`SkippedDataset`]:
//! the keys its `source:` takes, the source's own checks (one function per
//! kind), masks for scoring against the ground truth, and its data paths.

mod entry;
mod files;
mod keys;
mod paths;
mod phantom;

use serde_saphyr::Spanned;

use super::checker::Checker;
use super::classification;
use crate::plan::{DatasetPlan, DatasetSource, MarkerPolicy, ReferenceMode, SkippedDataset, Task};
use crate::position::{Pos, pos};
use crate::raw::{RawDataset, SourceKind};
use entry::Entry;
use paths::DataPaths;

/// What a dataset without `obtain:` says about getting its files.
pub const DEFAULT_OBTAIN: &str =
    "see ../shared/data/README.md or pass --data-root / set SENSIBENCH_DATA_ROOT";

/// A valid dataset: ready to run, or skipped because its data is absent.
pub(super) enum DatasetOutcome {
    Ready(DatasetPlan),
    Skipped(SkippedDataset),
}

/// Checks one dataset of a suite of `task` whose classes are `class_names`;
/// `None` when it has problems (all of them reported).
pub(super) fn dataset(
    ck: &mut Checker,
    item: &Spanned<RawDataset>,
    default_reference: ReferenceMode,
    task: Task,
    class_names: &[String],
) -> Option<DatasetOutcome> {
    let ctx = ck.ctx;
    let d = &item.value;
    let errors_before = ck.errors.len();
    let name = &d.name.value;
    ck.check_name("dataset", &d.name);
    let e = Entry::new(d);
    keys::check_source_keys(ck, &e);
    if let Some(limit) = &d.limit
        && limit.value == 0
    {
        ck.error(pos(limit), "`limit` must be at least 1");
    }

    let reference = d.reference.as_ref().map_or(default_reference, |r| r.value);
    let reference_at = d.reference.as_ref().map_or(e.source_at, pos);
    let mut paths = DataPaths::new(&ctx.data_root);
    source_fits_task(ck, &e, task);
    let markers = markers(ck, &e, task, class_names.len());
    let source = source(ck, &e, reference, class_names, &mut paths);
    if task == Task::Segmentation && reference == ReferenceMode::GroundTruth && !has_masks(&e) {
        no_ground_truth(ck, &e, reference_at);
    }

    // Paths: missing ones skip an optional dataset, fail a required one;
    // present ones of the wrong kind always fail.
    let optional = d.optional.unwrap_or(false);
    let obtain = d.obtain.as_deref().unwrap_or(DEFAULT_OBTAIN);
    let missing = paths.check(ck, name, optional, obtain);
    if ck.errors.len() > errors_before {
        return None;
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|p| p.full.display().to_string())
            .collect();
        return Some(DatasetOutcome::Skipped(SkippedDataset {
            name: name.clone(),
            reason: format!("not found: {}; to obtain it: {obtain}", list.join(", ")),
        }));
    }
    Some(DatasetOutcome::Ready(DatasetPlan {
        name: name.clone(),
        source,
        reference,
        limit: d.limit.as_ref().map(|l| l.value),
        markers,
    }))
}

/// Reports a source of image-level classes in a segmentation suite, and a
/// segmentation source in a classification suite.
fn source_fits_task(ck: &mut Checker, e: &Entry, task: Task) {
    let classification_source = matches!(
        e.kind,
        SourceKind::ClassFolders
            | SourceKind::ImageCsv
            | SourceKind::PhantomClasses
            | SourceKind::PhantomStacks
    );
    match (task, classification_source) {
        (Task::Segmentation, true) => ck.error(
            e.source_at,
            format!(
                "`source: {}` gives image-level classes; it belongs in a `task: classification` suite",
                e.kind.as_str()
            ),
        ),
        (Task::Classification, false) => ck.error(
            e.source_at,
            format!(
                "a classification suite reads `class_folders`, `image_csv`, `phantom_classes` or `phantom_stacks`, not `{}`",
                e.kind.as_str()
            ),
        ),
        _ => {}
    }
}

/// `markers:` of a classification dataset (ignored in a segmentation suite,
/// where the source is already reported).
fn markers(ck: &mut Checker, e: &Entry, task: Task, n_classes: usize) -> Option<MarkerPolicy> {
    e.d.markers.as_ref().and_then(|m| {
        if task == Task::Classification {
            classification::markers(ck, m, n_classes)
        } else {
            None
        }
    })
}

/// The source's own checks, by `source:` kind; its data paths go to `paths`.
fn source(
    ck: &mut Checker,
    e: &Entry,
    reference: ReferenceMode,
    class_names: &[String],
    paths: &mut DataPaths,
) -> DatasetSource {
    match e.kind {
        SourceKind::ClassFolders => files::class_folders(ck, e, class_names, paths),
        SourceKind::ImageCsv => files::image_csv(ck, e, paths),
        SourceKind::PhantomStacks => phantom::phantom_stacks(ck, e, class_names.len()),
        SourceKind::PhantomClasses => phantom::phantom_classes(ck, e),
        SourceKind::PhantomCardiac | SourceKind::PhantomCt => phantom::phantom_slices(ck, e),
        SourceKind::ImageFolder => files::image_folder(ck, e, paths),
        SourceKind::NiftiSlices => files::nifti_slices(ck, e, reference, paths),
        SourceKind::DicomFolder => files::dicom_folder(ck, e, paths),
    }
}

/// Whether the dataset has masks: file sources when they give `masks:`,
/// a DICOM folder never, the phantoms and classification sources always.
fn has_masks(e: &Entry) -> bool {
    match e.kind {
        SourceKind::ImageFolder | SourceKind::NiftiSlices => e.d.masks.is_some(),
        SourceKind::DicomFolder => false,
        _ => true,
    }
}

/// Reports a dataset without masks that is scored against the ground truth.
fn no_ground_truth(ck: &mut Checker, e: &Entry, reference_at: Pos) {
    let why = if e.kind == SourceKind::DicomFolder {
        "a `dicom_folder` has no masks".to_string()
    } else {
        "it has no `masks`".to_string()
    };
    ck.error(
        reference_at,
        format!(
            "dataset `{}` cannot be scored against `ground_truth`: {why}; \
             add `masks:` or set `reference: unperturbed_prediction`",
            e.name
        ),
    );
}
