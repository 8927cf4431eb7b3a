//! Surfaces of two masks, their directed surface distances (exact distance
//! transforms on the bounding box), and the distance metrics computed from
//! them (Hausdorff, HD95 in both conventions, ASSD, RMSSD).

use sensibench_core::LabelMap;

use crate::edt::edt_squared_dims;

/// Half-open bounding box `[lo, hi)` per axis `(z, y, x)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BBox {
    pub(crate) lo: [usize; 3],
    pub(crate) hi: [usize; 3],
}

/// The directed surface distances of one (prediction, reference, class).
pub(crate) struct SurfaceDistances {
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
    pub(crate) fn compute(pred: &LabelMap, reference: &LabelMap, class: u8, bbox: BBox) -> Self {
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

    /// `max(max d_AB, max d_BA)` (MedPy `hd`).
    pub(crate) fn hausdorff(&self) -> f64 {
        largest(&self.ab).max(largest(&self.ba))
    }

    /// `percentile₉₅(d_AB ∪ d_BA)` (MedPy `hd95`).
    pub(crate) fn hd95_pooled(&self) -> f64 {
        percentile_sorted(&self.pooled, 95.0)
    }

    /// `max(percentile₉₅(d_AB), percentile₉₅(d_BA))` (MONAI convention).
    pub(crate) fn hd95_directed_max(&self) -> f64 {
        percentile_sorted(&self.ab, 95.0).max(percentile_sorted(&self.ba, 95.0))
    }

    /// `mean(d_AB ∪ d_BA)` (MedPy 0.5.2 `assd`).
    pub(crate) fn assd(&self) -> f64 {
        self.pooled.iter().sum::<f64>() / self.pooled.len() as f64
    }

    /// `sqrt(mean(d² over d_AB ∪ d_BA))`.
    pub(crate) fn rmssd(&self) -> f64 {
        let ss: f64 = self.pooled.iter().map(|d| d * d).sum();
        (ss / self.pooled.len() as f64).sqrt()
    }
}

/// The last (largest) value of an ascending slice; NaN if empty.
fn largest(sorted: &[f64]) -> f64 {
    sorted.last().copied().unwrap_or(f64::NAN)
}

/// Object voxels with a face neighbour outside the object or outside the box.
pub(crate) fn surface(mask: &[bool], dims: [usize; 3], use_z: bool) -> Vec<bool> {
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
