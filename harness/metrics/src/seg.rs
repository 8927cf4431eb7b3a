//! Per-class segmentation metrics on label maps, spacing-aware, 2D and 3D.
//!
//! Files: `seg/metric.rs` (the registry: [`SegMetric`], [`MetricInfo`]),
//! `seg/overlap.rs` (counts, Dice, IoU), `seg/surface.rs` (surfaces,
//! surface distances and the distance metrics), `seg/score.rs`
//! ([`score_class`], [`score_all_classes`] and the empty-mask rules).
//!
//! # Adding a segmentation metric
//!
//! **The one place it goes**: a new entry of the table `SEG_METRICS` in
//! `seg/metric.rs`, with its variant of [`SegMetric`] at the same position
//! of the enum (the build fails if the two orders differ, and the test
//! `registry_table_holds_every_fact` if a variant has no entry; the
//! variant's snake_case is its serde name and must be the entry's `name`,
//! which `names_round_trip` checks). The entry is every fact of the metric
//! ([`MetricInfo`]): `name`, `unit`, `higher_is_better`, natural `range`,
//! the `summary` line of `sensibench list`, the `convention` (which
//! definition, which reference implementation) and `compute`, one of
//! - `Compute::Overlap(f)`: `f` gets the voxel counts `|A|, |B|, |A∩B|`
//!   (write it beside Dice and IoU in `seg/overlap.rs`);
//! - `Compute::Surface(f)`: `f` gets the sorted directed and pooled surface
//!   distances (write it beside the others in `seg/surface.rs`), computed
//!   once per call and shared by every distance metric.
//!
//! `f` never sees the empty cases: `seg/score.rs` applies the empty-mask
//! rules below around it. [`SegMetric::ALL`], `name`, `from_name`, `unit`,
//! `higher_is_better`, `is_distance`, `summary`, [`SegMetric::info`] and
//! [`seg_metric_info`] all read the table, and other crates read the same
//! facts through them: nothing else to edit but the formula in the list
//! below.
//!
//! **The reference case it needs**: values from an independent reference
//! implementation on every case of `tests/reference/seg_cases.json`. Add the
//! metric's `name` as a key of `seg_metrics()` in
//! `tests/reference/make_reference.py`: MedPy 0.5.2 when MedPy has the
//! metric, otherwise numpy on MedPy's surface distances following the named
//! convention (as for `hd95_monai`, MONAI's convention, and `rmssd`), and the
//! crate's empty-mask values (`None` for NaN). Re-run the script from the
//! repository root (`.tools/train/bin/python
//! harness/metrics/tests/reference/make_reference.py`) and commit it with the
//! JSON. `tests/reference.rs` (`segmentation_metrics_match_medpy`) then
//! checks every metric of [`SegMetric::ALL`] on every case and class
//! (relative tolerance 1e-9, NaN where the fixture has `null`, each metric
//! alone bit-identical to all together); it fails until the fixture has the
//! new key. A hand-computed case in `seg/tests.rs` (as
//! `one_pixel_shift_of_a_square`) is welcome on top.
//!
//! # Definitions
//!
//! For a class `c`, the prediction `A = {pred == c}` and the reference
//! `B = {reference == c}` are compared as binary masks.
//!
//! **Overlap.** `Dice = 2|A∩B| / (|A| + |B|)`, `IoU = |A∩B| / |A∪B|`.
//!
//! **Surfaces** (exactly MedPy 0.5.2 `__surface_distances` with its default
//! `connectivity=1`): the surface of a mask is `mask XOR binary_erosion(mask,
//! generate_binary_structure(ndim, 1))`, i.e. the object voxels with at least
//! one face neighbour (4-connected in 2D, 6-connected in 3D) outside the
//! object. scipy erodes with `border_value=0`, so a neighbour outside the image
//! counts as background: object voxels on the image border are surface. A 2D
//! grid (`ndim() == 2`) uses the in-plane neighbours only.
//!
//! **Surface distances.** `d_AB` = for every surface voxel of `A`, the
//! Euclidean distance in mm (using the grid spacing) to the nearest surface
//! voxel of `B`; `d_BA` likewise. Both come from one exact distance transform
//! each (see [`crate::edt`]), shared by all distance metrics of one call.
//!
//! - `hausdorff = max(max d_AB, max d_BA)` (MedPy `hd`).
//! - `hd95 = percentile₉₅(d_AB ∪ d_BA)`: the 95th percentile of the pooled
//!   distances of both directions, numpy's default linear interpolation
//!   (MedPy `hd95`).
//! - `hd95_monai = max(percentile₉₅(d_AB), percentile₉₅(d_BA))`: the larger of
//!   the two directed 95th percentiles, each unweighted (MONAI's
//!   `compute_hausdorff_distance(percentile=95, directed=False)` convention,
//!   on MedPy's surfaces).
//! - `assd = mean(d_AB ∪ d_BA) = (Σ d_AB + Σ d_BA) / (|S_A| + |S_B|)`: the
//!   mean of the pooled distances of both directions, exactly MedPy 0.5.2's
//!   `assd` (`numpy.concatenate([d_AB, d_BA]).mean()`). Older MedPy versions
//!   averaged the two directed means instead; the two agree when both
//!   surfaces have the same number of voxels.
//! - `rmssd = sqrt(mean(d² over d_AB ∪ d_BA))`: the root-mean-square symmetric
//!   surface distance ("root-mean-square distance-to-agreement"), pooled over
//!   all surface voxels of both masks.
//!
//! **Empty masks** (MedPy raises an error; these rules replace it):
//! both `A` and `B` empty → Dice 1, IoU 1, every distance 0 (perfect
//! agreement on absence); exactly one empty → Dice 0, IoU 0, every distance
//! NaN (undefined: there is no surface to measure to; aggregations count NaNs
//! separately, see [`crate::stats::mean_std`]).
//!
//! **Grids.** Prediction and reference must have the same dimensionality and
//! sizes; the reference's spacing is used for distances.

mod metric;
mod overlap;
mod score;
mod surface;

pub use metric::{MetricInfo, SegMetric, seg_metric_info};
pub use score::{score_all_classes, score_class};
pub(crate) use surface::percentile_sorted;

#[cfg(test)]
mod tests;
