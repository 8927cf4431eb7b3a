//! The sources read from files: `class_folders`, `image_csv`,
//! `image_folder`, `nifti_slices` and `dicom_folder`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_saphyr::Spanned;

use super::entry::Entry;
use super::paths::DataPaths;
use crate::plan::{DatasetSource, ReferenceMode, SliceAxis, SliceSelection};
use crate::position::pos;
use crate::raw::{PathList, RawObservers, RawSlices};
use crate::validate::checker::Checker;

/// `source: class_folders`: one folder of images per class under `path`.
pub(super) fn class_folders(
    ck: &mut Checker,
    e: &Entry,
    class_names: &[String],
    paths: &mut DataPaths,
) -> DatasetSource {
    let d = e.d;
    let n_classes = class_names.len();
    e.require(ck, "path", d.path.is_some());
    let path = d.path.as_ref().map(|p| paths.folder(pos(p), &p.value));
    let folders: Vec<String> = match &d.folders {
        Some(f) => {
            if f.value.len() != n_classes {
                ck.error(
                    pos(f),
                    format!(
                        "`folders` lists {} folders; give one per class ({n_classes}, in `classes:` order)",
                        f.value.len()
                    ),
                );
            }
            f.value.iter().map(|x| x.value.clone()).collect()
        }
        None => class_names.to_vec(),
    };
    if let Some(base) = &path {
        for (i, f) in folders.iter().enumerate() {
            let at = d
                .folders
                .as_ref()
                .and_then(|l| l.value.get(i).map(pos))
                .unwrap_or(e.source_at);
            paths.add(
                at,
                format!("{}/{f}", d.path.as_ref().map_or("", |p| p.value.as_str())),
                base.join(f),
                true,
            );
        }
    }
    if let Some(n) = &d.per_class
        && n.value == 0
    {
        ck.error(pos(n), "`per_class` must be at least 1");
    }
    DatasetSource::ClassFolders {
        path: path.unwrap_or_default(),
        folders,
        split: e.split(),
        per_class: d.per_class.as_ref().map(|n| n.value),
    }
}

/// `source: image_csv`: a CSV (next to the suite file) of images (under the
/// data root) and their classes.
pub(super) fn image_csv(ck: &mut Checker, e: &Entry, paths: &DataPaths) -> DatasetSource {
    let d = e.d;
    e.require(ck, "csv", d.csv.is_some());
    let csv = d.csv.as_ref().map(|c| {
        let full = ck.ctx.suite_dir.join(&c.value);
        match std::fs::metadata(&full) {
            Ok(m) if m.is_file() => {}
            _ => ck.error(
                pos(c),
                format!(
                    "dataset `{}`: CSV `{}` not found (looked for {}; the CSV is relative to the suite file's folder, the images in it to the data root)",
                    e.name,
                    c.value,
                    full.display()
                ),
            ),
        }
        full
    });
    DatasetSource::ImageCsv {
        csv: csv.unwrap_or_default(),
        data_root: paths.root().to_path_buf(),
    }
}

/// `source: image_folder`: a folder of images, one of masks, observers'
/// folders of masks.
pub(super) fn image_folder(ck: &mut Checker, e: &Entry, paths: &mut DataPaths) -> DatasetSource {
    let d = e.d;
    e.require(ck, "images", d.images.is_some());
    e.require(ck, "spacing", d.spacing.is_some());
    let images = d
        .images
        .as_ref()
        .and_then(|p| paths.single_folder(ck, "images", p));
    let masks = d
        .masks
        .as_ref()
        .and_then(|p| paths.single_folder(ck, "masks", p));
    let mut observers = Vec::new();
    match d.observers.as_ref().map(|o| (o, &o.value)) {
        None => {}
        Some((_, RawObservers::Folders(list))) if list.len() >= 2 => {
            for f in list {
                observers.push(paths.folder(pos(f), &f.value));
            }
        }
        Some((o, _)) => ck.error(
            pos(o),
            "`observers` of an `image_folder` is a list of at least 2 folders of masks (one per observer, named as the images)",
        ),
    }
    DatasetSource::ImageFolder {
        images: images.unwrap_or_default(),
        masks,
        spacing: pixel_spacing(ck, d.spacing.as_ref()),
        observers,
    }
}

/// `spacing: [dy, dx]` of an image folder (`[1, 1]` when absent or wrong).
fn pixel_spacing(ck: &mut Checker, spacing: Option<&Spanned<Vec<f64>>>) -> [f64; 2] {
    let mut out = [1.0, 1.0];
    if let Some(s) = spacing {
        if s.value.len() == 2 && s.value.iter().all(|v| v.is_finite() && *v > 0.0) {
            out = [s.value[0], s.value[1]];
        } else {
            ck.error(
                pos(s),
                format!(
                    "`spacing` must be [dy, dx] in mm, two finite numbers > 0; got {:?}",
                    s.value
                ),
            );
        }
    }
    out
}

/// `source: nifti_slices`: slices of NIfTI volumes, masks (or `~`) per image.
pub(super) fn nifti_slices(
    ck: &mut Checker,
    e: &Entry,
    reference: ReferenceMode,
    paths: &mut DataPaths,
) -> DatasetSource {
    let d = e.d;
    e.require(ck, "images", d.images.is_some());
    e.require(ck, "axis", d.axis.is_some());
    let images: Vec<PathBuf> = match &d.images {
        Some(list) => paths
            .file_list(ck, "images", list, false)
            .into_iter()
            .flatten()
            .collect(),
        None => Vec::new(),
    };
    let masks = match &d.masks {
        Some(list) => nifti_masks(ck, e, list, images.len(), reference, paths),
        None => vec![None; images.len()],
    };
    let slices = d
        .slices
        .as_ref()
        .map_or(SliceSelection::All, |sl| slice_selection(ck, e, sl));
    let labels = d.labels.as_ref().map(|l| relabelling(ck, e, l));
    DatasetSource::NiftiSlices {
        images,
        masks,
        axis: d.axis.as_ref().map_or(SliceAxis::Axial, |a| a.value),
        slices,
        labels,
    }
}

/// `masks:` of NIfTI slices: one per image (`~` for none, unless scored
/// against the ground truth).
fn nifti_masks(
    ck: &mut Checker,
    e: &Entry,
    list: &Spanned<PathList>,
    n_images: usize,
    reference: ReferenceMode,
    paths: &mut DataPaths,
) -> Vec<Option<PathBuf>> {
    let masks = paths.file_list(ck, "masks", list, true);
    if e.d.images.is_some() && masks.len() != n_images {
        ck.error(
            pos(list),
            format!(
                "`masks` lists {} files but `images` lists {n_images}; give one mask (or ~) per image",
                masks.len(),
            ),
        );
    }
    if reference == ReferenceMode::GroundTruth
        && let PathList::Many(items) = &list.value
    {
        for item in items.iter().filter(|i| i.value.is_none()) {
            ck.error(
                pos(item),
                format!(
                    "dataset `{}` is scored against `ground_truth`, so every image needs a mask; \
                     set `reference: unperturbed_prediction` to use images without masks",
                    e.name
                ),
            );
        }
    }
    masks
}

/// `slices:` of NIfTI slices: indices, or those containing a label.
fn slice_selection(ck: &mut Checker, e: &Entry, sl: &Spanned<RawSlices>) -> SliceSelection {
    match &sl.value {
        RawSlices::List(v) if v.is_empty() => {
            ck.error(
                pos(sl),
                "`slices` is empty; leave it out to take every slice",
            );
            SliceSelection::All
        }
        RawSlices::List(v) => SliceSelection::Indices(v.clone()),
        RawSlices::Containing(c) => {
            if e.d.masks.is_none() {
                ck.error(
                    pos(sl),
                    "`slices: {containing_label: ...}` needs `masks` (the label is looked up in them)",
                );
            }
            SliceSelection::ContainingLabel {
                label: c.containing_label.value,
                margin: c.margin.as_ref().map_or(0, |m| m.value),
            }
        }
    }
}

/// `labels:` of NIfTI slices: new label -> the stored labels it takes, each
/// stored label mapped once.
fn relabelling(
    ck: &mut Checker,
    e: &Entry,
    l: &Spanned<BTreeMap<u8, Vec<u8>>>,
) -> Vec<(u8, Vec<u8>)> {
    if l.value.is_empty() {
        ck.error(
            pos(l),
            "`labels` is empty; leave it out to keep the stored labels",
        );
    }
    if e.d.masks.is_none() {
        ck.error(
            pos(l),
            "`labels` relabels the masks, but the dataset has no `masks`",
        );
    }
    let mut seen: HashMap<u8, u8> = HashMap::new();
    for (to, from) in &l.value {
        if from.is_empty() {
            ck.error(
                pos(l),
                format!("`labels`: label {to} lists no stored labels"),
            );
        }
        for f in from {
            if let Some(prev) = seen.insert(*f, *to)
                && prev != *to
            {
                ck.error(
                    pos(l),
                    format!("`labels`: stored label {f} is mapped to both {prev} and {to}"),
                );
            }
        }
    }
    l.value
        .iter()
        .map(|(to, from)| (*to, from.clone()))
        .collect()
}

/// `source: dicom_folder`: a folder of DICOM files (no masks).
pub(super) fn dicom_folder(ck: &mut Checker, e: &Entry, paths: &mut DataPaths) -> DatasetSource {
    e.require(ck, "path", e.d.path.is_some());
    let path = e.d.path.as_ref().map(|p| paths.folder(pos(p), &p.value));
    DatasetSource::DicomFolder {
        path: path.unwrap_or_default(),
    }
}
