//! Generic operations on label maps: finding the slices that contain a label
//! and merging / renumbering label ids.
//!
//! Typical use (CT muscle at L3 from a TotalSegmentator map): take the axial
//! slices where vertebra L3 (id 29) is present with
//! [`slices_containing_label`], then merge the muscle ids into one class
//! with [`remap_labels`] (`[(86, 1), (87, 1), (88, 1), (89, 1)]`).

use sensibench_core::LabelMap;

use crate::nifti_io::SliceAxis;

/// Indices (ascending, without duplicates) of the slices of `labels` along
/// `axis` that contain at least one voxel equal to `label`, each extended by
/// `margin` slices on both sides and clamped to `0..count` (so slices near
/// the ends are not invented and overlapping extensions are merged).
///
/// Empty when the label is absent. Slices are numbered as in
/// [`crate::slice_labels`] (`Axial` = index `z`, i.e. NIfTI `k`).
pub fn slices_containing_label(
    labels: &LabelMap,
    axis: SliceAxis,
    label: u8,
    margin: usize,
) -> Vec<usize> {
    let grid = labels.grid();
    let [_, h, w] = grid.dims();
    let count = axis.count(grid);
    let mut present = vec![false; count];
    for (idx, &v) in labels.data().iter().enumerate() {
        if v == label {
            let s = match axis {
                SliceAxis::Axial => idx / (h * w),
                SliceAxis::Coronal => (idx / w) % h,
                SliceAxis::Sagittal => idx % w,
            };
            present[s] = true;
        }
    }
    let mut keep = vec![false; count];
    for (s, _) in present.iter().enumerate().filter(|(_, p)| **p) {
        let lo = s.saturating_sub(margin);
        let hi = s.saturating_add(margin).min(count - 1);
        for k in &mut keep[lo..=hi] {
            *k = true;
        }
    }
    keep.iter()
        .enumerate()
        .filter_map(|(s, &k)| k.then_some(s))
        .collect()
}

/// A copy of `labels` with every voxel of id `from` set to `to` for each
/// `(from, to)` pair of `map`, and every id not listed set to 0 (background).
///
/// Several ids may map to the same target (merging classes, e.g. all muscle
/// ids to 1). If an id is listed more than once, the **last** pair wins. Map
/// `(0, x)` to relabel the background. The grid (shape, spacing) is kept.
pub fn remap_labels(labels: &LabelMap, map: &[(u8, u8)]) -> LabelMap {
    let mut lut = [0u8; 256];
    for &(from, to) in map {
        lut[usize::from(from)] = to;
    }
    let mut out = labels.clone();
    for v in out.data_mut() {
        *v = lut[usize::from(*v)];
    }
    out
}
