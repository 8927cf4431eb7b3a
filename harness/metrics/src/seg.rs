//! Per-class segmentation metrics on label maps, spacing-aware, 2D and 3D.
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

use sensibench_core::{Error, LabelMap, Result, did_you_mean};

use crate::edt::edt_squared_dims;

/// A segmentation metric computed per class by [`score_class`].
///
/// See the module documentation for the exact formulas and the rules for
/// empty masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegMetric {
    /// Dice similarity coefficient `2|A∩B| / (|A| + |B|)`, in `[0, 1]`.
    Dice,
    /// Intersection over union (Jaccard) `|A∩B| / |A∪B|`, in `[0, 1]`.
    Iou,
    /// Symmetric Hausdorff distance between the surfaces (mm), MedPy `hd`.
    Hausdorff,
    /// 95th percentile of the pooled symmetric surface distances (mm), MedPy `hd95`.
    Hd95,
    /// Max of the two directed 95th-percentile surface distances (mm), MONAI convention.
    Hd95Monai,
    /// Average symmetric surface distance (mm): mean of the pooled distances of both directions, MedPy 0.5.2 `assd`.
    Assd,
    /// Root-mean-square symmetric surface distance (mm), pooled over both surfaces.
    Rmssd,
}

impl SegMetric {
    /// Every metric, in a stable order.
    pub const ALL: &'static [SegMetric] = &[
        SegMetric::Dice,
        SegMetric::Iou,
        SegMetric::Hausdorff,
        SegMetric::Hd95,
        SegMetric::Hd95Monai,
        SegMetric::Assd,
        SegMetric::Rmssd,
    ];

    /// The registry name (`"dice"`, `"iou"`, `"hausdorff"`, `"hd95"`,
    /// `"hd95_monai"`, `"assd"`, `"rmssd"`).
    pub fn name(self) -> &'static str {
        match self {
            SegMetric::Dice => "dice",
            SegMetric::Iou => "iou",
            SegMetric::Hausdorff => "hausdorff",
            SegMetric::Hd95 => "hd95",
            SegMetric::Hd95Monai => "hd95_monai",
            SegMetric::Assd => "assd",
            SegMetric::Rmssd => "rmssd",
        }
    }

    /// The metric called `name`; an unknown name is an error suggesting the
    /// closest one.
    pub fn from_name(name: &str) -> Result<SegMetric> {
        SegMetric::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .ok_or_else(|| Error::UnknownName {
                kind: "metric",
                name: name.to_string(),
                suggestion: did_you_mean(name, SegMetric::ALL.iter().map(|m| m.name())),
            })
    }

    /// Unit of the value: `""` for overlap ratios, `"mm"` for distances.
    pub fn unit(self) -> &'static str {
        if self.is_distance() { "mm" } else { "" }
    }

    /// True for Dice and IoU, false for the distances.
    pub fn higher_is_better(self) -> bool {
        !self.is_distance()
    }

    /// True for the surface-distance metrics.
    pub fn is_distance(self) -> bool {
        !matches!(self, SegMetric::Dice | SegMetric::Iou)
    }

    /// One line describing the metric (for `sensibench list`).
    pub fn summary(self) -> &'static str {
        match self {
            SegMetric::Dice => "Dice overlap 2|A∩B|/(|A|+|B|); both empty = 1",
            SegMetric::Iou => "intersection over union |A∩B|/|A∪B|; both empty = 1",
            SegMetric::Hausdorff => {
                "symmetric Hausdorff distance between surfaces in mm (MedPy hd)"
            }
            SegMetric::Hd95 => {
                "95th percentile of pooled surface distances of both directions in mm (MedPy hd95)"
            }
            SegMetric::Hd95Monai => {
                "max of the two directed 95th-percentile surface distances in mm (MONAI convention)"
            }
            SegMetric::Assd => {
                "mean of pooled surface distances of both directions in mm (MedPy 0.5.2 assd)"
            }
            SegMetric::Rmssd => {
                "root-mean-square of pooled surface distances of both directions in mm"
            }
        }
    }
}

impl std::fmt::Display for SegMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SegMetric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        SegMetric::from_name(s)
    }
}

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
    let (gp, gr) = (pred.grid(), reference.grid());
    if gp.dims() != gr.dims() || gp.ndim() != gr.ndim() {
        return Err(Error::Shape {
            what: "prediction vs reference label map".to_string(),
            expected: format!("{} ({}D reference)", gr.shape_string(), gr.ndim()),
            found: format!("{} ({}D prediction)", gp.shape_string(), gp.ndim()),
        });
    }
    Ok(())
}

/// Half-open bounding box `[lo, hi)` per axis `(z, y, x)`.
#[derive(Clone, Copy, Debug)]
struct BBox {
    lo: [usize; 3],
    hi: [usize; 3],
}

fn score_checked(
    pred: &LabelMap,
    reference: &LabelMap,
    class: u8,
    metrics: &[SegMetric],
) -> Vec<f64> {
    let grid = reference.grid();
    let [d, h, w] = grid.dims();
    let (p, r) = (pred.data(), reference.data());

    // One pass: counts and the bounding box of A ∪ B.
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

    let overlap = |m: SegMetric| -> f64 {
        match (na, nb) {
            (0, 0) => 1.0,
            _ if m == SegMetric::Dice => 2.0 * nab as f64 / (na + nb) as f64,
            _ => nab as f64 / (na + nb - nab) as f64,
        }
    };

    let needs_distances = metrics.iter().any(|m| m.is_distance());
    let dists = if needs_distances && na > 0 && nb > 0 {
        Some(SurfaceDistances::compute(pred, reference, class, bbox))
    } else {
        None
    };

    metrics
        .iter()
        .map(|&m| {
            if !m.is_distance() {
                return overlap(m);
            }
            match (&dists, na, nb) {
                (Some(sd), _, _) => sd.metric(m),
                (None, 0, 0) => 0.0,
                _ => f64::NAN,
            }
        })
        .collect()
}

/// The directed surface distances of one (prediction, reference, class).
struct SurfaceDistances {
    /// Distances (mm) from each surface voxel of A to the surface of B, sorted.
    ab: Vec<f64>,
    /// Distances (mm) from each surface voxel of B to the surface of A, sorted.
    ba: Vec<f64>,
    /// `ab` and `ba` pooled, sorted.
    pooled: Vec<f64>,
}

impl SurfaceDistances {
    /// Both masks must be non-empty and lie inside `bbox`. The distance
    /// transforms run on the box only: every surface voxel (query or target)
    /// lies in it, so the restricted transform is exact for the queries, and
    /// the voxels outside it are background for both masks, exactly like the
    /// image border is for the erosion.
    fn compute(pred: &LabelMap, reference: &LabelMap, class: u8, bbox: BBox) -> Self {
        let grid = reference.grid();
        let [_, h, w] = grid.dims();
        let bd = [
            bbox.hi[0] - bbox.lo[0],
            bbox.hi[1] - bbox.lo[1],
            bbox.hi[2] - bbox.lo[2],
        ];
        let n = bd[0] * bd[1] * bd[2];
        let mut a = vec![false; n];
        let mut b = vec![false; n];
        let (p, r) = (pred.data(), reference.data());
        let mut i = 0;
        for z in bbox.lo[0]..bbox.hi[0] {
            for y in bbox.lo[1]..bbox.hi[1] {
                let row = (z * h + y) * w;
                for x in bbox.lo[2]..bbox.hi[2] {
                    a[i] = p[row + x] == class;
                    b[i] = r[row + x] == class;
                    i += 1;
                }
            }
        }
        let use_z = grid.ndim() == 3;
        let sa = surface(&a, bd, use_z);
        let sb = surface(&b, bd, use_z);
        drop((a, b));
        let spacing = grid.spacing();
        let mut ab = directed(&sa, &sb, bd, spacing);
        let mut ba = directed(&sb, &sa, bd, spacing);
        ab.sort_unstable_by(f64::total_cmp);
        ba.sort_unstable_by(f64::total_cmp);
        let mut pooled = Vec::with_capacity(ab.len() + ba.len());
        pooled.extend_from_slice(&ab);
        pooled.extend_from_slice(&ba);
        pooled.sort_unstable_by(f64::total_cmp);
        SurfaceDistances { ab, ba, pooled }
    }

    fn metric(&self, m: SegMetric) -> f64 {
        let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        match m {
            SegMetric::Hausdorff => last(&self.ab).max(last(&self.ba)),
            SegMetric::Hd95 => percentile_sorted(&self.pooled, 95.0),
            SegMetric::Hd95Monai => {
                percentile_sorted(&self.ab, 95.0).max(percentile_sorted(&self.ba, 95.0))
            }
            SegMetric::Assd => self.pooled.iter().sum::<f64>() / self.pooled.len() as f64,
            SegMetric::Rmssd => {
                let ss: f64 = self.pooled.iter().map(|d| d * d).sum();
                (ss / self.pooled.len() as f64).sqrt()
            }
            SegMetric::Dice | SegMetric::Iou => f64::NAN,
        }
    }
}

/// Object voxels with a face neighbour outside the object or outside the box.
fn surface(mask: &[bool], dims: [usize; 3], use_z: bool) -> Vec<bool> {
    let [d, h, w] = dims;
    let plane = h * w;
    let mut s = vec![false; mask.len()];
    for z in 0..d {
        for y in 0..h {
            for x in 0..w {
                let i = z * plane + y * w + x;
                if !mask[i] {
                    continue;
                }
                let interior = x > 0
                    && x + 1 < w
                    && mask[i - 1]
                    && mask[i + 1]
                    && y > 0
                    && y + 1 < h
                    && mask[i - w]
                    && mask[i + w]
                    && (!use_z || (z > 0 && z + 1 < d && mask[i - plane] && mask[i + plane]));
                s[i] = !interior;
            }
        }
    }
    s
}

/// Distances (mm) from every `from` voxel to the nearest `to` voxel.
fn directed(from: &[bool], to: &[bool], dims: [usize; 3], spacing: [f64; 3]) -> Vec<f64> {
    let dt = edt_squared_dims(to, dims, spacing);
    from.iter()
        .zip(&dt)
        .filter(|(f, _)| **f)
        .map(|(_, d2)| d2.sqrt())
        .collect()
}

/// numpy's `percentile(a, q)` (method `"linear"`) of an ascending slice; NaN if empty.
pub(crate) fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let virtual_index = (n - 1) as f64 * (q / 100.0);
    let lo = (virtual_index.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = virtual_index - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    // numpy's _lerp: symmetric form for t >= 0.5.
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sensibench_core::Grid;

    fn square(h: usize, w: usize, y0: usize, x0: usize, side: usize, sp: [f64; 2]) -> LabelMap {
        let g = Grid::new_2d(h, w, sp).unwrap();
        let mut m = LabelMap::filled(g, 0);
        for y in y0..y0 + side {
            for x in x0..x0 + side {
                let i = m.grid().index(0, y, x);
                m.data_mut()[i] = 1;
            }
        }
        m
    }

    #[test]
    fn names_round_trip() {
        for &m in SegMetric::ALL {
            assert_eq!(SegMetric::from_name(m.name()).unwrap(), m);
            assert_eq!(m.name().parse::<SegMetric>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.name()));
            assert!(!m.summary().is_empty());
        }
        let e = SegMetric::from_name("hd96").unwrap_err().to_string();
        assert!(
            e.contains("hd96") && e.contains("did you mean `hd95`"),
            "{e}"
        );
        assert_eq!(SegMetric::Hd95.unit(), "mm");
        assert_eq!(SegMetric::Dice.unit(), "");
        assert!(SegMetric::Iou.higher_is_better() && !SegMetric::Assd.higher_is_better());
    }

    #[test]
    fn one_pixel_shift_of_a_square() {
        // 4x4 square (rows 2..=5) at columns 2..=5 (A) and 3..=6 (B), spacing
        // dy = 0.5, dx = 1.5. Overlap 12 of 16 each: Dice = 24/32, IoU = 12/20.
        // Surfaces are the 12-pixel rings. A's ring to B's ring: A's column 2
        // (4 px) is one column left of B's ring: 1.5. A's column 5 at rows 3, 4
        // lies inside B: nearest ring pixel is one row away (rows 2 or 5): 0.5.
        // The other 6 pixels of A's ring (rows 2 and 5, columns 3..=5) are on
        // B's ring: 0. B -> A is the mirror image.
        let a = square(9, 10, 2, 2, 4, [0.5, 1.5]);
        let b = square(9, 10, 2, 3, 4, [0.5, 1.5]);
        let v = score_class(&a, &b, 1, SegMetric::ALL).unwrap();
        assert_eq!(v[0], 0.75);
        assert_eq!(v[1], 0.6);
        // HD = the 1-column shift = dx.
        assert_eq!(v[2], 1.5);
        // Pooled over both directions: 24 values, 8 at 1.5, 4 at 0.5, 12 at 0.
        let assd = (8.0 * 1.5 + 4.0 * 0.5) / 24.0;
        assert!((v[5] - assd).abs() < 1e-12, "{}", v[5]);
        let rms = ((8.0 * 2.25 + 4.0 * 0.25) / 24.0_f64).sqrt();
        assert!((v[6] - rms).abs() < 1e-12, "{}", v[6]);
        // 95th percentile of 24 sorted values: index 21.85 among 8 values of 1.5 at the top.
        assert_eq!(v[3], 1.5);
        assert_eq!(v[4], 1.5);
    }

    #[test]
    fn empty_rules() {
        let empty = LabelMap::filled(Grid::new_2d(5, 5, [1.0, 1.0]).unwrap(), 0);
        let one = square(5, 5, 1, 1, 2, [1.0, 1.0]);
        let both = score_class(&empty, &empty, 1, SegMetric::ALL).unwrap();
        assert_eq!(both, vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        for (p, r) in [(&empty, &one), (&one, &empty)] {
            let v = score_class(p, r, 1, SegMetric::ALL).unwrap();
            assert_eq!(&v[..2], &[0.0, 0.0]);
            assert!(v[2..].iter().all(|x| x.is_nan()), "{v:?}");
        }
    }

    #[test]
    fn shape_mismatch_names_both_shapes() {
        let a = LabelMap::filled(Grid::new_2d(5, 6, [1.0, 1.0]).unwrap(), 0);
        let b = LabelMap::filled(Grid::new_2d(5, 7, [1.0, 1.0]).unwrap(), 0);
        let e = score_class(&a, &b, 1, &[SegMetric::Dice])
            .unwrap_err()
            .to_string();
        assert!(e.contains("5x6") && e.contains("5x7"), "{e}");
        let c = LabelMap::filled(Grid::new_3d([1, 5, 6], [1.0; 3]).unwrap(), 0);
        assert!(score_all_classes(&a, &c, &[1], &[SegMetric::Dice]).is_err());
    }

    #[test]
    fn border_voxels_are_surface_and_3d_single_slice_differs_from_2d() {
        // A full 3x3 image: in 2D every pixel but the centre is surface; the
        // centre is interior. Compared to itself all distances are 0, but vs.
        // the centre pixel alone the Hausdorff distance is the corner
        // distance sqrt(2) and only the ring counts.
        let g = Grid::new_2d(3, 3, [1.0, 1.0]).unwrap();
        let full = LabelMap::filled(g.clone(), 1);
        let mut centre = LabelMap::filled(g, 0);
        centre.data_mut()[4] = 1;
        let v = score_class(&full, &centre, 1, &[SegMetric::Hausdorff, SegMetric::Assd]).unwrap();
        assert!((v[0] - 2f64.sqrt()).abs() < 1e-15);
        // A -> B: 4 edge px at 1, 4 corners at sqrt 2 (the centre is not in A's
        // surface); B -> A: the centre is 1 from the ring. Pooled mean of 9.
        let want = (4.0 + 4.0 * 2f64.sqrt() + 1.0) / 9.0;
        assert!((v[1] - want).abs() < 1e-15);
        let s = surface(&[true; 9], [1, 3, 3], false);
        assert_eq!(s.iter().filter(|&&b| b).count(), 8);
        let s3 = surface(&[true; 9], [1, 3, 3], true);
        assert!(s3.iter().all(|&b| b));
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 10], 95) = 8.8
        assert!((percentile_sorted(&[1.0, 2.0, 3.0, 4.0, 10.0], 95.0) - 8.8).abs() < 1e-12);
        assert_eq!(percentile_sorted(&[3.0], 95.0), 3.0);
        assert!(percentile_sorted(&[], 95.0).is_nan());
    }
}
