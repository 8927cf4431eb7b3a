//! The rigid moves of the motion artefact and their resampling as
//! SimpleITK does it (Euler matrix, linear interpolation with ITK's
//! clamping, default value outside the image).

use sensibench_core::Image;

use crate::mr::parallel::collect_chunks;

/// One simulated rigid movement of [`motion`](fn@super::motion), in TorchIO `Motion` terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RigidMove {
    /// Euler angles in degrees about TorchIO axes `(0, 1, 2)` = our `(y, x, z)`
    /// (SimpleITK `Euler3DTransform`, `R = Rz·Rx·Ry`, in LPS physical space).
    pub degrees: [f64; 3],
    /// Translation in mm along TorchIO axes `(0, 1, 2)` = our `(y, x, z)` (LPS).
    pub translation: [f64; 3],
    /// Acquisition time in `[0, 1]` at which the movement happens.
    pub time: f64,
}

/// The rotation centre of [`motion_with_centre`](super::motion_with_centre).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationCentre {
    /// Continuous index `size/2` per axis (TorchIO's computed `center_lps`);
    /// what [`motion`](fn@super::motion) uses.
    ImageCentre,
    /// The physical origin, i.e. the centre of voxel `(0, 0, 0)`: what
    /// TorchIO 1.2.1 actually does, because `Motion.matrix_to_transform`
    /// rebuilds each `Euler3DTransform` from its matrix and translation only
    /// and so drops the centre set in `get_rigid_transforms`.
    Origin,
}

/// SimpleITK's Euler3D matrix `Rz·Rx·Ry` (angles in degrees about x, y, z).
fn euler_matrix(degrees: [f64; 3]) -> [[f64; 3]; 3] {
    let [ax, ay, az] = degrees.map(f64::to_radians);
    let (sx, cx) = ax.sin_cos();
    let (sy, cy) = ay.sin_cos();
    let (sz, cz) = az.sin_cos();
    let rx = [[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]];
    let ry = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
    let rz = [[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]];
    matmul(&matmul(&rz, &rx), &ry)
}

fn matmul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

/// The sampling geometry of one rigid move (see
/// [`motion_with_centre`](super::motion_with_centre)):
/// output index `u` (TorchIO order `(y, x, z)`) samples the input at
/// `u' = A(u − c) + shift` (`shift = c + Sp⁻¹·D·t`).
pub(super) struct Rigid {
    a: [[f64; 3]; 3],
    c: [f64; 3],
    shift: [f64; 3],
}

impl Rigid {
    pub(super) fn new(image: &Image, mv: &RigidMove, centre: RotationCentre) -> Self {
        let grid = image.grid();
        let [d, h, w] = grid.dims();
        let sp = grid.spacing();
        // TorchIO order (y, x, z).
        let spacing = [sp[1], sp[2], sp[0]];
        let size = [h, w, d];
        let dir = [-1.0, -1.0, 1.0];
        let r = euler_matrix(mv.degrees);
        let a = std::array::from_fn(|i| {
            std::array::from_fn(|j| dir[i] * dir[j] * spacing[j] / spacing[i] * r[i][j])
        });
        let c: [f64; 3] = match centre {
            RotationCentre::ImageCentre => std::array::from_fn(|i| size[i] as f64 / 2.0),
            RotationCentre::Origin => [0.0; 3],
        };
        let shift = std::array::from_fn(|i| dir[i] * mv.translation[i] / spacing[i] + c[i]);
        Rigid { a, c, shift }
    }

    /// `u' = u` exactly for every `u`: no rotation and no shift (then
    /// `(u − c) + c` is exact for the integer and half-integer values here).
    pub(super) fn is_identity(mv: &RigidMove) -> bool {
        mv.degrees.iter().chain(&mv.translation).all(|&v| v == 0.0)
    }
}

/// `x ∘ T − x` (`x ∘ T` resampled as SimpleITK does, see
/// [`motion_with_centre`](super::motion_with_centre)): the moved image minus
/// the unmoved one, the term that `motion_with_centre` filters.
///
/// Along an output row `(z, y)` the sampled position is affine in `x`,
/// `u'_i(x) = b_i + s_i·(x − c_x)` (always evaluated by this one `f64`
/// expression), so the samples inside the image (`u'_i ∈ [−½, n_i − ½)`)
/// form an interval, found once per row by [`row_interval`] (solved, then
/// checked with that same expression); the rest of the row is `fill`. The
/// interval takes the hot loop [`interpolate_row`] (clamped positions,
/// indices by truncation, unchecked reads, no per-sample test); when `y` or
/// `x` (or, in 3D, `z`) has a single sample, the general
/// [`sample_clamped`]. Positions are `f64`, fractions and interpolation
/// `f32`; a 2D image (one slice) is interpolated bilinearly (its `z` index
/// clamps to 0 with weight 0). Rows are processed in parallel.
pub(super) fn moved_minus_unmoved(image: &Image, rigid: &Rigid, fill: f64) -> Vec<f32> {
    let [d, h, w] = image.grid().dims();
    let Rigid { a, c, shift } = rigid;
    let size = [h, w, d];
    let outer: [f64; 3] = std::array::from_fn(|i| size[i] as f64 - 0.5);
    let step = [a[0][1], a[1][1], a[2][1]];
    // interpolate_row's requirements (and indices that fit an i32).
    let fast = h >= 2 && w >= 2 && d.max(h).max(w) < i32::MAX as usize;
    let src = image.data();
    let fill = fill as f32;
    let rows = (8192 / w).max(1);
    collect_chunks(src.len(), rows * w, |chunk_index, chunk| {
        for (r, dst) in chunk.chunks_exact_mut(w).enumerate() {
            let row = chunk_index * rows + r;
            let (z, y) = (row / h, row % h);
            let (vy, vz) = (y as f64 - c[0], z as f64 - c[2]);
            let base: [f64; 3] = std::array::from_fn(|i| a[i][0] * vy + a[i][2] * vz + shift[i]);
            let at = |x: usize, i: usize| base[i] + step[i] * (x as f64 - c[1]);
            let line = |i: usize| (base[i] - step[i] * c[1], step[i]);
            // Negated comparisons also reject NaN.
            let (lo, hi) = row_interval(w, line, &[-0.5; 3], &outer, |x| {
                (0..3).all(|i| at(x, i) >= -0.5 && at(x, i) < outer[i])
            });
            dst[..lo].fill(fill);
            dst[hi..].fill(fill);
            if fast {
                interpolate_row(src, [d, h, w], base, step, c[1], lo, &mut dst[lo..hi]);
            } else {
                for (x, v) in (lo..hi).zip(&mut dst[lo..hi]) {
                    *v = sample_clamped(src, [d, h, w], [at(x, 0), at(x, 1), at(x, 2)]);
                }
            }
            for (v, s) in dst.iter_mut().zip(&src[row * w..][..w]) {
                *v -= s;
            }
        }
    })
}

/// Samples per block of [`interpolate_row`].
const BLOCK: usize = 64;

/// The hot loop of [`moved_minus_unmoved`]: `dst[j]` = the interpolated
/// value at `u'_i = base_i + step_i·(x − cx)`, `x = x0 + j`, for samples
/// inside the image (`u'_i ∈ [−½, n_i − ½)`, checked by the caller with
/// this same expression) of an image with `h, w ≥ 2` and `d ≥ 2` or
/// `d = 1` (then bilinear in `y, x`). In blocks of [`BLOCK`] samples:
/// indices and fractions first (vectorisable), then the 4 or 8 reads per
/// sample (pairs `(x0, x0 + 1)` as one 8-byte load), then the `f32` lerps
/// (vectorisable).
///
/// Clamping: each position is clamped to `[0, n − 1)` (its upper end the
/// largest `f64` below `n − 1`), so `i0 = ⌊u⌋ ≤ n − 2` and `i0 + 1` is always
/// a valid index. Below 0 (and at integer positions) this is exactly ITK's
/// `[0, n − 1]` clamp (weight 0 on the second sample); for `u ≥ n − 1` ITK
/// reads sample `n − 1` alone, here the weight of sample `n − 1` is
/// `1 − δ`, `0 < δ ≤ 2⁻⁵²·(n − 1)`, which rounds to 1 in `f32` (for
/// `n ≤ 2²⁵`), so the value is `v_{n−2} + (v_{n−1} − v_{n−2})·1`: ITK's up
/// to one `f32` rounding.
fn interpolate_row(
    src: &[f32],
    dims: [usize; 3],
    base: [f64; 3],
    step: [f64; 3],
    cx: f64,
    x0: usize,
    dst: &mut [f32],
) {
    let [d, h, w] = dims;
    let hw = h * w;
    let interpolated = if d == 1 { 2 } else { 3 };
    // The largest f64 below n − 1 (n ≥ 2, so n − 1 ≥ 1 is a normal number).
    let below = |n: usize| f64::from_bits(((n - 1) as f64).to_bits() - 1);
    let top = [below(h), below(w), below(d.max(2))];
    let mut xs = [0.0f64; BLOCK];
    let mut v = [[[0.0f32; 2]; BLOCK]; 4];
    let mut iy = [0i32; BLOCK];
    let mut ix = [0i32; BLOCK];
    let mut iz = [0i32; BLOCK];
    let mut f = [[0.0f32; BLOCK]; 3];
    for (b, out) in dst.chunks_mut(BLOCK).enumerate() {
        let len = out.len();
        let start = x0 + b * BLOCK;
        // x − cx for the block: exact in f64 (small integers and
        // half-integers), so the same value as `x as f64 − cx` in `at`.
        let first = start as f64 - cx;
        for (j, v) in xs.iter_mut().enumerate() {
            *v = first + f64::from(j as u32);
        }
        let axes: [&mut [i32; BLOCK]; 3] = [&mut iy, &mut ix, &mut iz];
        for (a, (index, frac)) in axes.into_iter().zip(&mut f).enumerate().take(interpolated) {
            let (b0, s, t) = (base[a], step[a], top[a]);
            let it = index[..len].iter_mut().zip(&mut frac[..len]).zip(&xs);
            for ((i, fr), &xf) in it {
                let p = (b0 + s * xf).max(0.0).min(t);
                // SAFETY: the caller checked u' = b0 + s·xf ≥ −½ (so it is
                // not NaN), hence 0 ≤ p ≤ t < n_a − 1 < i32::MAX: `p` is
                // finite and its truncation (its floor) fits an i32.
                *i = unsafe { p.to_int_unchecked::<i32>() };
                *fr = (p - f64::from(*i)) as f32;
            }
        }
        // The pairs (x0, x0 + 1) of rows y0, y1 of planes z0 (and z1 in
        // 3D), read as one 8-byte load each; then the lerps.
        let pair = |k: usize| {
            // SAFETY: callers pass k = z·hw + y·w + ix for a sample and
            // y ∈ {iy, iy + 1}, z ∈ {iz, iz + 1} (3D) or z = 0 (2D). The
            // clamped positions are in [0, n − 1) on the interpolated axes,
            // so iy ≤ h − 2, ix ≤ w − 2 and iz ≤ d − 2: the largest index read,
            // k + 1 ≤ (d − 1)hw + (h − 1)w + w − 1 = dhw − 1, is in `src`
            // (length dhw).
            unsafe { src.as_ptr().add(k).cast::<[f32; 2]>().read_unaligned() }
        };
        // Casts are exact: 0 ≤ i ≤ n − 2.
        if d == 1 {
            for j in 0..len {
                let k = iy[j] as usize * w + ix[j] as usize;
                v[0][j] = pair(k);
                v[1][j] = pair(k + w);
            }
        } else {
            for j in 0..len {
                let k = iz[j] as usize * hw + iy[j] as usize * w + ix[j] as usize;
                v[0][j] = pair(k);
                v[1][j] = pair(k + w);
                v[2][j] = pair(k + hw);
                v[3][j] = pair(k + hw + w);
            }
        }
        let lerp = |r: usize, j: usize| {
            let (fx, fy) = (f[1][j], f[0][j]);
            let (r0, r1) = (v[r][j], v[r + 1][j]);
            let top = r0[0] + (r0[1] - r0[0]) * fx;
            let bottom = r1[0] + (r1[1] - r1[0]) * fx;
            top + (bottom - top) * fy
        };
        if d == 1 {
            for (j, o) in out.iter_mut().enumerate() {
                *o = lerp(0, j);
            }
        } else {
            for (j, o) in out.iter_mut().enumerate() {
                let (p, q, fz) = (lerp(0, j), lerp(2, j), f[2][j]);
                // (ITK skips the second plane when its weight is 0.)
                *o = if fz == 0.0 { p } else { p + (q - p) * fz };
            }
        }
    }
}

/// ITK's linear interpolation at continuous index `p = (y, x, z)` (TorchIO
/// order) of the `(z, y, x)` array `src` with `dims = [d, h, w]`, every
/// index clamped to `[0, n − 1]`; `p` must be inside the image
/// (`p_i ≥ −½`). An axis of size 1 clamps to 0 with weight 0.
fn sample_clamped(src: &[f32], dims: [usize; 3], p: [f64; 3]) -> f32 {
    let [d, h, w] = dims;
    let size = [h, w, d];
    let axis = |i: usize| {
        // p ≥ −½ here; clamped to [0, n − 1], truncation is floor.
        let cl = p[i].clamp(0.0, (size[i] - 1) as f64);
        let i0 = cl as usize;
        (i0, (i0 + 1).min(size[i] - 1), (cl - i0 as f64) as f32)
    };
    let (y0, y1, fy) = axis(0);
    let (x0, x1, fx) = axis(1);
    let (z0, z1, fz) = axis(2);
    let plane = |z: usize| {
        let (r0, r1) = (&src[(z * h + y0) * w..][..w], &src[(z * h + y1) * w..][..w]);
        let top = r0[x0] + (r0[x1] - r0[x0]) * fx;
        let bottom = r1[x0] + (r1[x1] - r1[x0]) * fx;
        top + (bottom - top) * fy
    };
    let p = plane(z0);
    if fz == 0.0 {
        p
    } else {
        p + (plane(z1) - p) * fz
    }
}

/// The interval `[lo, hi)` of `x < w` where `inside(x)` holds, for positions
/// `u_i(x) = b_i + s_i·x` (`line(i) = (b_i, s_i)`) required in
/// `[lower_i, upper_i)`: solved in `f64`, then moved until `inside` (the
/// exact per-sample test, monotone along the row) agrees at both ends.
/// Empty intervals come back as `(0, 0)`.
fn row_interval(
    w: usize,
    line: impl Fn(usize) -> (f64, f64),
    lower: &[f64; 3],
    upper: &[f64; 3],
    inside: impl Fn(usize) -> bool,
) -> (usize, usize) {
    let (mut lo, mut hi) = (0.0f64, w as f64);
    for (i, (&low, &up)) in lower.iter().zip(upper).enumerate() {
        let (b, s) = line(i);
        if s == 0.0 {
            if !(b >= low && b < up) {
                return (0, 0);
            }
        } else {
            let (e0, e1) = ((low - b) / s, (up - b) / s);
            lo = lo.max(e0.min(e1));
            hi = hi.min(e0.max(e1));
        }
    }
    let lo_e = lo.ceil().clamp(0.0, w as f64) as usize;
    let hi_e = hi.ceil().clamp(0.0, w as f64) as usize;
    // A sample inside, if any: the estimate is off by at most one sample.
    let seed = [
        (lo_e + hi_e) / 2,
        lo_e,
        lo_e.saturating_sub(1),
        lo_e + 1,
        hi_e.saturating_sub(1),
        hi_e,
    ]
    .into_iter()
    .find(|&x| x < w && inside(x));
    let Some(seed) = seed else {
        return (0, 0);
    };
    let mut lo = lo_e.min(seed);
    while !inside(lo) {
        lo += 1; // stops at `seed` at the latest
    }
    while lo > 0 && inside(lo - 1) {
        lo -= 1;
    }
    let mut hi = hi_e.max(seed + 1).min(w);
    while !inside(hi - 1) {
        hi -= 1; // stops at `seed + 1` at the latest
    }
    while hi < w && inside(hi) {
        hi += 1;
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sensibench_core::Grid;

    /// The hot path [`interpolate_row`] against the per-sample
    /// [`sample_clamped`] (ITK's clamped interpolation) on every row of a
    /// few moves large enough to reach all borders, 2D and 3D.
    #[test]
    fn interpolate_row_matches_the_clamped_samples() {
        let grids = [
            Grid::new_3d([5, 7, 9], [1.5, 1.0, 0.8]).unwrap(),
            Grid::new_2d(11, 6, [1.0, 1.2]).unwrap(),
        ];
        for grid in grids {
            let [d, h, w] = grid.dims();
            let data: Vec<f32> = (0..grid.len())
                .map(|i| ((i * 7919) % 113) as f32 * 0.37 - 9.0)
                .collect();
            let image = Image::new(grid, data).unwrap();
            let src = image.data();
            let mut checked = 0;
            for (k, deg) in [[0.0, 0.0, 30.0], [17.0, -25.0, 40.0], [-8.0, 3.0, -95.0]]
                .into_iter()
                .enumerate()
            {
                let mut mv = RigidMove {
                    degrees: deg,
                    translation: [0.7 * k as f64, -1.3, 0.4],
                    time: 0.5,
                };
                if d == 1 {
                    mv.degrees[0] = 0.0;
                    mv.degrees[1] = 0.0;
                    mv.translation[2] = 0.0;
                }
                let Rigid { a, c, shift } = Rigid::new(&image, &mv, RotationCentre::ImageCentre);
                let step = [a[0][1], a[1][1], a[2][1]];
                let outer = [h as f64 - 0.5, w as f64 - 0.5, d as f64 - 0.5];
                for z in 0..d {
                    for y in 0..h {
                        let (vy, vz) = (y as f64 - c[0], z as f64 - c[2]);
                        let base: [f64; 3] =
                            std::array::from_fn(|i| a[i][0] * vy + a[i][2] * vz + shift[i]);
                        let at = |x: usize, i: usize| base[i] + step[i] * (x as f64 - c[1]);
                        let line = |i: usize| (base[i] - step[i] * c[1], step[i]);
                        let (lo, hi) = row_interval(w, line, &[-0.5; 3], &outer, |x| {
                            (0..3).all(|i| at(x, i) >= -0.5 && at(x, i) < outer[i])
                        });
                        let mut row = vec![0.0f32; hi - lo];
                        interpolate_row(src, [d, h, w], base, step, c[1], lo, &mut row);
                        for (x, v) in (lo..hi).zip(&row) {
                            let p = [at(x, 0), at(x, 1), at(x, 2)];
                            let want = sample_clamped(src, [d, h, w], p);
                            assert!((v - want).abs() <= 1e-5, "{v} vs {want} at {p:?}");
                            checked += 1;
                        }
                    }
                }
            }
            assert!(checked > d * h * w, "{checked}");
        }
    }
}
