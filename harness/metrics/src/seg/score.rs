//! Scoring one class of a prediction against a reference: counts, bounding
//! box, shared surface distances, and the empty-mask rules around each
//! metric's compute.

use sensibench_core::{LabelMap, Result};

use super::metric::{Compute, SegMetric};
use super::overlap::OverlapCounts;
use super::surface::{BBox, SurfaceDistances};
use crate::shape::check_same_shape;

/// Scores class `class` of `pred` against `reference` with each of `metrics`,
/// returning the values in the order of `metrics`.
///
/// The surfaces and distance transforms are computed once and shared by all
/// requested distance metrics (and skipped if none is requested). Fails if the
/// two label maps differ in dimensionality or sizes; the error names both
/// shapes.
pub fn score_class(
    pred: &LabelMap,
    reference: &LabelMap,
    class: u8,
    metrics: &[SegMetric],
) -> Result<Vec<f64>> {
    check_shapes(pred, reference)?;
    Ok(score_checked(pred, reference, class, metrics))
}

/// [`score_class`] for each class of `classes`: one row per class, each in the
/// order of `metrics`.
pub fn score_all_classes(
    pred: &LabelMap,
    reference: &LabelMap,
    classes: &[u8],
    metrics: &[SegMetric],
) -> Result<Vec<Vec<f64>>> {
    check_shapes(pred, reference)?;
    Ok(classes
        .iter()
        .map(|&c| score_checked(pred, reference, c, metrics))
        .collect())
}

fn check_shapes(pred: &LabelMap, reference: &LabelMap) -> Result<()> {
    check_same_shape(
        "prediction vs reference label map",
        (reference.grid(), "reference"),
        (pred.grid(), "prediction"),
    )
}

/// One pass over both maps: the voxel counts of `class` and the bounding box
/// of `A ∪ B` (empty box `lo = usize::MAX, hi = 0` if both masks are empty).
fn count_class(pred: &LabelMap, reference: &LabelMap, class: u8) -> (OverlapCounts, BBox) {
    let [d, h, w] = reference.grid().dims();
    let (p, r) = (pred.data(), reference.data());
    let (mut na, mut nb, mut nab) = (0usize, 0usize, 0usize);
    let mut bbox = BBox {
        lo: [usize::MAX; 3],
        hi: [0; 3],
    };
    for z in 0..d {
        for y in 0..h {
            let row = (z * h + y) * w;
            let (pr, rr) = (&p[row..row + w], &r[row..row + w]);
            let mut first = usize::MAX;
            let mut last = 0;
            for x in 0..w {
                let a = pr[x] == class;
                let b = rr[x] == class;
                na += usize::from(a);
                nb += usize::from(b);
                nab += usize::from(a && b);
                if a || b {
                    first = first.min(x);
                    last = x;
                }
            }
            if first != usize::MAX {
                bbox.lo = [bbox.lo[0].min(z), bbox.lo[1].min(y), bbox.lo[2].min(first)];
                bbox.hi = [
                    bbox.hi[0].max(z + 1),
                    bbox.hi[1].max(y + 1),
                    bbox.hi[2].max(last + 1),
                ];
            }
        }
    }
    let counts = OverlapCounts {
        pred: na,
        reference: nb,
        both: nab,
    };
    (counts, bbox)
}

/// The values of `metrics` for `class`, with the empty-mask rules of the
/// module documentation: both masks empty → overlaps 1, distances 0;
/// exactly one empty → distances NaN (overlaps from their formula: 0).
fn score_checked(
    pred: &LabelMap,
    reference: &LabelMap,
    class: u8,
    metrics: &[SegMetric],
) -> Vec<f64> {
    let (counts, bbox) = count_class(pred, reference, class);
    let (na, nb) = (counts.pred, counts.reference);

    let needs_distances = metrics.iter().any(|m| m.is_distance());
    let dists = if needs_distances && na > 0 && nb > 0 {
        Some(SurfaceDistances::compute(pred, reference, class, bbox))
    } else {
        None
    };

    metrics
        .iter()
        .map(|&m| match m.info().compute {
            Compute::Overlap(overlap) => match (na, nb) {
                (0, 0) => 1.0,
                _ => overlap(counts),
            },
            Compute::Surface(distance) => match (&dists, na, nb) {
                (Some(sd), _, _) => distance(sd),
                (None, 0, 0) => 0.0,
                _ => f64::NAN,
            },
        })
        .collect()
}
