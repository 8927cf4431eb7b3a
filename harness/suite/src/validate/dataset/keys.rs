//! Which dataset keys apply to which `source:`, and the check that a dataset
//! uses only its source's keys.

use super::entry::Entry;
use crate::position::{Pos, pos};
use crate::raw::{RawDataset, SourceKind};
use crate::validate::checker::{Checker, backticked};

/// A source-specific key: its name, where it is written (if it is), and the
/// sources it applies to.
type SourceKey = (&'static str, Option<Pos>, &'static [SourceKind]);

/// The source-specific keys of `d`, in the order they are reported.
fn source_keys(d: &RawDataset) -> [SourceKey; 18] {
    use SourceKind::*;
    [
        ("folders", d.folders.as_ref().map(pos), &[ClassFolders]),
        (
            "split",
            d.split.as_ref().map(pos),
            &[ClassFolders, PhantomStacks],
        ),
        ("cuts", d.cuts.as_ref().map(pos), &[PhantomStacks]),
        ("positions", d.positions.as_ref().map(pos), &[PhantomStacks]),
        (
            "per_class",
            d.per_class.as_ref().map(pos),
            &[ClassFolders, PhantomClasses],
        ),
        ("csv", d.csv.as_ref().map(pos), &[ImageCsv]),
        (
            "markers",
            d.markers.as_ref().map(pos),
            &[ClassFolders, ImageCsv, PhantomClasses],
        ),
        (
            "subjects",
            d.subjects.as_ref().map(pos),
            &[PhantomCardiac, PhantomCt, PhantomStacks],
        ),
        (
            "slices_per_subject",
            d.slices_per_subject.as_ref().map(pos),
            &[PhantomCardiac, PhantomCt, PhantomStacks],
        ),
        (
            "size",
            d.size.as_ref().map(pos),
            &[PhantomCardiac, PhantomCt, PhantomClasses, PhantomStacks],
        ),
        (
            "observers",
            d.observers.as_ref().map(pos),
            &[PhantomCt, ImageFolder],
        ),
        ("labels", d.labels.as_ref().map(pos), &[NiftiSlices]),
        (
            "images",
            d.images.as_ref().map(pos),
            &[ImageFolder, NiftiSlices],
        ),
        (
            "masks",
            d.masks.as_ref().map(pos),
            &[ImageFolder, NiftiSlices],
        ),
        ("spacing", d.spacing.as_ref().map(pos), &[ImageFolder]),
        ("axis", d.axis.as_ref().map(pos), &[NiftiSlices]),
        ("slices", d.slices.as_ref().map(pos), &[NiftiSlices]),
        (
            "path",
            d.path.as_ref().map(pos),
            &[DicomFolder, ClassFolders],
        ),
    ]
}

/// Reports every key written that does not apply to the dataset's source.
pub(super) fn check_source_keys(ck: &mut Checker, e: &Entry) {
    let kind = e.kind;
    let present = source_keys(e.d);
    let own_keys: Vec<&str> = present
        .iter()
        .filter(|(_, _, kinds)| kinds.contains(&kind))
        .map(|(k, _, _)| *k)
        .collect();
    for (key, at, kinds) in &present {
        if let Some(at) = at
            && !kinds.contains(&kind)
        {
            ck.error(
                *at,
                format!(
                    "`{key}` does not apply to `source: {}` (its keys: {})",
                    kind.as_str(),
                    backticked(own_keys.iter().copied())
                ),
            );
        }
    }
}
