//! The elastic deformation artefact: the cubic B-spline [`ControlGrid`],
//! the kernel [`elastic`] and the registered [`Elastic`], after TorchIO
//! 1.2.1 `ElasticDeformation` / `RandomElasticDeformation`.

use rayon::prelude::*;
use sensibench_core::{
    Error, Grid, Image, LabelMap, Params, Perturbation, Result, SEVERITY_LEVELS, SeededRng,
};

use crate::mr::options::integer_option;
use crate::mr::parallel::{MIN_PARALLEL_LEN, for_each_chunk_batched};
use crate::mr::severity::{self, SeverityLevels};
use crate::options::{invalid, magnitude, unchanged};

/// A cubic B-spline control grid of displacements for [`elastic`].
///
/// `points = (n_y, n_x, n_z)` control points per axis (TorchIO's order),
/// each ≥ 4, except `n_z = 1` for a planar image (2D, or one slice), which
/// has no z interpolation. `displacement[(ky·n_x + kx)·n_z + kz] = [d_y,
/// d_x, d_z]` in mm along our increasing array indices (the layout of
/// TorchIO's `control_points` array of shape `(n_y, n_x, n_z, 3)`); `d_z`
/// is ignored on planar images. Control point `k` along an axis of `n`
/// voxels lies at index `−0.625 + (k − 1)·(n + 0.25)/(n_k − 3)` (see
/// [`Elastic`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ControlGrid {
    points: [usize; 3],
    displacement: Vec<[f64; 3]>,
}

impl ControlGrid {
    /// A grid from explicit displacements; fails unless `n_y, n_x ≥ 4`,
    /// `n_z = 1` or `≥ 4`, the length matches and all values are finite.
    pub fn new(points: [usize; 3], displacement: Vec<[f64; 3]>) -> Result<Self> {
        let [ny, nx, nz] = points;
        if ny < 4 || nx < 4 || (nz != 1 && nz < 4) {
            return Err(Error::invalid(
                "elastic.control_points",
                format!("{points:?}"),
                "at least 4 per axis (z: 1 for a planar grid)",
            ));
        }
        let n = ny
            .checked_mul(nx)
            .and_then(|v| v.checked_mul(nz))
            .ok_or_else(|| {
                Error::invalid(
                    "elastic.control_points",
                    format!("{points:?}"),
                    "a grid that fits in memory",
                )
            })?;
        if displacement.len() != n {
            return Err(Error::Shape {
                what: "elastic control-grid displacements".into(),
                expected: format!("{n} ({ny}x{nx}x{nz})"),
                found: displacement.len().to_string(),
            });
        }
        if displacement.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "elastic.displacement",
                "a non-finite value",
                "finite displacements in mm",
            ));
        }
        Ok(ControlGrid {
            points,
            displacement,
        })
    }

    /// A random grid for `grid` as TorchIO `RandomElasticDeformation.get_params`:
    /// `control_points` per axis (`n_z = 1` on a planar image), every
    /// component uniform in `[−max_displacement, max_displacement)`
    /// ([`SeededRng::range`]), drawn in the order `ky, kx, kz` (outer to
    /// inner) then component `y, x` (and `z` for a volume), then the
    /// `locked_borders` outermost layers set to 0 along y and x (and z for a
    /// volume).
    pub fn random(
        grid: &Grid,
        control_points: usize,
        max_displacement: f64,
        locked_borders: usize,
        rng: &mut SeededRng,
    ) -> Result<Self> {
        let planar = grid.depth() == 1;
        let nz = if planar { 1 } else { control_points };
        let points = [control_points, control_points, nz];
        let n = control_points * control_points * nz;
        let d = max_displacement;
        let mut displacement: Vec<[f64; 3]> = (0..n)
            .map(|_| {
                let y = rng.range(-d, d);
                let x = rng.range(-d, d);
                let z = if planar { 0.0 } else { rng.range(-d, d) };
                [y, x, z]
            })
            .collect();
        let cp = control_points;
        let locked = |k: usize| k < locked_borders || k + locked_borders >= cp;
        for ky in 0..cp {
            for kx in 0..cp {
                for kz in 0..nz {
                    if locked(ky) || locked(kx) || (!planar && locked(kz)) {
                        displacement[(ky * cp + kx) * nz + kz] = [0.0; 3];
                    }
                }
            }
        }
        ControlGrid::new(points, displacement)
    }

    /// Control points per axis `(n_y, n_x, n_z)`.
    pub fn points(&self) -> [usize; 3] {
        self.points
    }

    /// Displacements `[d_y, d_x, d_z]` (mm), layout `(ky, kx, kz)` row-major.
    pub fn displacement(&self) -> &[[f64; 3]] {
        &self.displacement
    }

    /// The control-point spacing in mm along an axis of `n` voxels of
    /// spacing `s` with `n_k` control points: SimpleITK's
    /// `BSplineTransformInitializer` domain `n·s + 2·s/8` over `n_k − 3` mesh cells.
    pub fn spacing_mm(n: usize, s: f64, n_k: usize) -> f64 {
        (n as f64 + 0.25) * s / (n_k as f64 - 3.0)
    }
}

/// Cubic B-spline weights and first control index per voxel along an axis
/// of `n` voxels with `n_k` control points.
fn bspline_axis(n: usize, n_k: usize) -> Vec<(usize, [f64; 4])> {
    let mesh = (n_k - 3) as f64;
    let h = (n as f64 + 0.25) / mesh;
    (0..n)
        .map(|i| {
            let t = (i as f64 + 0.625) / h + 1.0;
            let f = t.floor();
            let u = t - f;
            // t ∈ (1, mesh + 1): start = floor(t) − 1 ∈ [0, n_k − 4].
            let start = ((f as usize).saturating_sub(1)).min(n_k - 4);
            let v = 1.0 - u;
            let w = [
                v * v * v / 6.0,
                (3.0 * u * u * u - 6.0 * u * u + 4.0) / 6.0,
                (-3.0 * u * u * u + 3.0 * u * u + 3.0 * u + 1.0) / 6.0,
                u * u * u / 6.0,
            ];
            (start, w)
        })
        .collect()
}

/// Linear-interpolation taps along an axis of `n` samples at coordinate `c`
/// (SimpleITK rule): `None` outside `[−0.5, n − 0.5)`, else `(i0, i1, w)`
/// with edge samples repeated.
#[inline]
fn linear_taps(c: f64, n: usize) -> Option<(usize, usize, f64)> {
    if !(c >= -0.5 && c < n as f64 - 0.5) {
        return None;
    }
    if c <= 0.0 {
        return Some((0, 0, 0.0));
    }
    let i0 = c as usize; // c > 0: truncation is floor
    let w = c - i0 as f64;
    let i0 = i0.min(n - 1);
    Some((i0, (i0 + 1).min(n - 1), w))
}

/// Elastic deformation of `image` (and `mask`) by the cubic B-spline
/// displacement field of `grid` (see [`Elastic`] for the geometry). The
/// image is resampled linearly (outside the image: its minimum), the mask by
/// nearest neighbour (outside: 0). Fails if the grid does not fit the image
/// (`n_z = 1` exactly for planar images).
pub fn elastic(
    image: &Image,
    mask: Option<&LabelMap>,
    grid: &ControlGrid,
) -> Result<(Image, Option<LabelMap>)> {
    let g = image.grid();
    let [d, h, w] = g.dims();
    let [sz, sy, sx] = g.spacing();
    let planar = d == 1;
    let [ny, nx, nz] = grid.points;
    if planar != (nz == 1) {
        return Err(Error::invalid(
            "elastic.control_points",
            format!("{:?}", grid.points),
            if planar {
                "n_z = 1 for a planar image (one z voxel)"
            } else {
                "n_z >= 4 for a volume"
            },
        ));
    }
    if let Some(m) = mask
        && m.grid().dims() != g.dims()
    {
        return Err(Error::Shape {
            what: "elastic mask".into(),
            expected: g.shape_string(),
            found: m.grid().shape_string(),
        });
    }
    let wy = bspline_axis(h, ny);
    let wx = bspline_axis(w, nx);
    let wz = if planar {
        Vec::new()
    } else {
        bspline_axis(d, nz)
    };
    // Per slice: the grid contracted along z, layout (ky, kx) → [dy, dx, dz].
    let plane_len = ny * nx;
    let mut slices = vec![[0.0f64; 3]; d * plane_len];
    for (z, dst) in slices.chunks_mut(plane_len).enumerate() {
        if planar {
            for (o, k) in dst.iter_mut().zip(0..plane_len) {
                let v = grid.displacement[k];
                *o = [v[0], v[1], 0.0];
            }
        } else {
            let (start, wts) = wz[z];
            for (k, o) in dst.iter_mut().enumerate() {
                let mut acc = [0.0; 3];
                for (t, &wt) in wts.iter().enumerate() {
                    let v = grid.displacement[k * nz + start + t];
                    for c in 0..3 {
                        acc[c] += wt * v[c];
                    }
                }
                *o = acc;
            }
        }
    }
    let fill = image.min_max().0;
    let src = image.data();
    let msrc = mask.map(|m| m.data());
    let mut out = vec![0.0f32; src.len()];
    let mut mout = vec![0u8; if mask.is_some() { src.len() } else { 0 }];
    let (inv_z, inv_y, inv_x) = (1.0 / sz, 1.0 / sy, 1.0 / sx);
    let row_job = |row: usize, dst: &mut [f32], mdst: &mut [u8]| {
        let (z, y) = (row / h, row % h);
        // Contract along y: per kx, the displacement of this row.
        let mut line = vec![[0.0f64; 3]; nx];
        let (ys, ywt) = wy[y];
        let plane = &slices[z * plane_len..(z + 1) * plane_len];
        for (b, &wt) in ywt.iter().enumerate() {
            let r = &plane[(ys + b) * nx..(ys + b + 1) * nx];
            for (l, v) in line.iter_mut().zip(r) {
                for c in 0..3 {
                    l[c] += wt * v[c];
                }
            }
        }
        for x in 0..w {
            let (xs, xwt) = wx[x];
            let mut u = [0.0; 3];
            for (t, &wt) in xwt.iter().enumerate() {
                let v = line[xs + t];
                for c in 0..3 {
                    u[c] += wt * v[c];
                }
            }
            let cy = y as f64 + u[0] * inv_y;
            let cx = x as f64 + u[1] * inv_x;
            let cz = if planar { 0.0 } else { z as f64 + u[2] * inv_z };
            let taps = (linear_taps(cz, d), linear_taps(cy, h), linear_taps(cx, w));
            let (Some((z0, z1, fz)), Some((y0, y1, fy)), Some((x0, x1, fx))) = taps else {
                dst[x] = fill;
                if !mdst.is_empty() {
                    mdst[x] = 0;
                }
                continue;
            };
            let at = |zz: usize, yy: usize, xx: usize| f64::from(src[(zz * h + yy) * w + xx]);
            let bil = |zz: usize| {
                let top = at(zz, y0, x0) + (at(zz, y0, x1) - at(zz, y0, x0)) * fx;
                let bot = at(zz, y1, x0) + (at(zz, y1, x1) - at(zz, y1, x0)) * fx;
                top + (bot - top) * fy
            };
            let v0 = bil(z0);
            dst[x] = if fz == 0.0 {
                v0 as f32
            } else {
                (v0 + (bil(z1) - v0) * fz) as f32
            };
            if let Some(m) = msrc {
                let near = |c: f64, n: usize| (((c + 0.5).floor().max(0.0)) as usize).min(n - 1);
                mdst[x] = m[(near(cz, d) * h + near(cy, h)) * w + near(cx, w)];
            }
        }
    };
    if mask.is_some() {
        if out.len() < MIN_PARALLEL_LEN {
            out.chunks_mut(w)
                .zip(mout.chunks_mut(w))
                .enumerate()
                .for_each(|(r, (a, b))| row_job(r, a, b));
        } else {
            out.par_chunks_mut(w)
                .zip(mout.par_chunks_mut(w))
                .enumerate()
                .with_min_len((MIN_PARALLEL_LEN / 8 / w).max(1))
                .for_each(|(r, (a, b))| row_job(r, a, b));
        }
    } else {
        for_each_chunk_batched(&mut out, w, |r, a| row_job(r, a, &mut []));
    }
    let image_out = Image::new(g.clone(), out)?;
    let mask_out = match mask {
        Some(m) => Some(LabelMap::new(m.grid().clone(), mout)?),
        None => None,
    };
    Ok((image_out, mask_out))
}

/// Elastic deformation, TorchIO `RandomElasticDeformation` /
/// `ElasticDeformation` (SimpleITK `BSplineTransform`, order 3):
///
/// `out(p) = in(p + u(p))`, `u(p) = Σ_k B(t_y − k_y) B(t_x − k_x) B(t_z −
/// k_z) · d_k` (mm), B the cubic B-spline.
///
/// Geometry (SimpleITK `BSplineTransformInitializer(image, n_k − 3)` over
/// the image domain): along an axis of `n` voxels the transform domain spans
/// index `[−0.625, n − 0.375]` (the voxel edges widened by 1/8 voxel each
/// side, as ITK does), split into `n_k − 3` mesh cells of `h = (n + 0.25)/
/// (n_k − 3)` voxels; control point `k` (0..n_k) lies at `−0.625 + (k−1)·h`,
/// so voxel `i` has spline coordinate `t = (i + 0.625)/h + 1` and weights on
/// control points `floor(t) − 1 ..= floor(t) + 2`. The displacement is in mm
/// and divided by the spacing to get the source index. The image is
/// sampled linearly: a source index outside `[−0.5, n − 0.5)` on any axis
/// gives the image minimum (TorchIO's default pixel value), inside the edge
/// samples repeat (ITK). The mask takes the voxel `floor(c + 0.5)` (ties
/// up), 0 outside. On a planar image (one z voxel) there is no z
/// displacement.
///
/// Random draws ([`ControlGrid::random`]): `control_points` per axis, each
/// component uniform in `[−D, D)` with `D` the swept max displacement, then
/// the `locked_borders` (0, 1, 2) outer layers set to 0.
///
/// Checks: `control_points ≥ 4` (5 when `locked_borders = 2`, else the
/// transform is the identity, as TorchIO refuses), and, where TorchIO only
/// warns that folding may occur, an error when `D` exceeds half the
/// control-point spacing ([`ControlGrid::spacing_mm`]) along y, x (and z
/// for a volume). Identity: 0 mm (no draws).
///
/// Differences from TorchIO: (1) the control grid is stated in our array
/// index directions (TorchIO/SimpleITK work in LPS, where its y and x axes
/// point the other way: its grid is ours reversed along y and x with `d_y`,
/// `d_x` negated — equivalent for the symmetric random draws). (2) TorchIO
/// locks the borders along its first two axes only (y, x); we also lock z
/// on volumes. (3) On a 2D image TorchIO still draws a 3D grid and the slice
/// sees the z-weighted mix (1/6, 2/3, 1/6) of three grid layers, which
/// shrinks the effective displacement by ~√½; we draw a planar grid, so `D`
/// is the actual maximum control-point displacement; TorchIO also checks
/// folding against its z spacing there (always warning on 2D), we skip z.
/// Fixtures (fixed grids, 2D and 3D, image and mask): ≤ 1e-4 of the range,
/// masks equal.
///
/// Severity (levels 1..=5): max displacement 2.5, 5, 7.5, 10, 12.5 mm with 7
/// control points and 2 locked borders (TorchIO's defaults; level 3 is its
/// default 7.5 mm). Images whose control spacing is too small for a level
/// (half-spacing < D, e.g. under ~100 mm across for level 5) get an error.
#[derive(Clone, Debug)]
pub struct Elastic {
    /// Control points per axis (TorchIO `num_control_points`).
    pub control_points: usize,
    /// Locked outer control-point layers (TorchIO `locked_borders`).
    pub locked_borders: usize,
}

impl Elastic {
    /// Registered name.
    pub const NAME: &'static str = "elastic";
    /// Most control points per axis accepted.
    pub const MAX_CONTROL_POINTS: usize = 256;
    /// Severity levels 1..=5: max displacement in mm.
    pub const LEVELS: [f64; 5] = severity::parameters(&Self::SCALE);
    /// Binds options (`control_points` 4..=256, default 7; `locked_borders`
    /// 0, 1 or 2, default 2; 2 needs at least 5 control points).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["control_points", "locked_borders"])?;
        let control_points = integer_option(
            params,
            Self::NAME,
            "control_points",
            7,
            4,
            Self::MAX_CONTROL_POINTS,
        )?;
        let locked_borders = integer_option(params, Self::NAME, "locked_borders", 2, 0, 2)?;
        if locked_borders == 2 && control_points < 5 {
            return Err(Error::invalid(
                "elastic.control_points",
                control_points,
                "at least 5 with locked_borders 2 (4 would give the identity)",
            ));
        }
        Ok(Elastic {
            control_points,
            locked_borders,
        })
    }

    /// Fails if `max_displacement` exceeds half the control-point spacing
    /// along an axis the deformation uses (TorchIO's folding warning).
    fn check_folding(&self, grid: &Grid, max_displacement: f64) -> Result<()> {
        let dims = grid.dims();
        let spacing = grid.spacing();
        let axes: &[(usize, &str)] = if dims[0] == 1 {
            &[(1, "y"), (2, "x")]
        } else {
            &[(1, "y"), (2, "x"), (0, "z")]
        };
        for &(a, name) in axes {
            let half = ControlGrid::spacing_mm(dims[a], spacing[a], self.control_points) / 2.0;
            if max_displacement > half {
                return Err(invalid(
                    Self::NAME,
                    "max_displacement",
                    max_displacement,
                    &format!(
                        "at most {half:.4} mm, half the control-point spacing along {name} with {} control points on this image (larger displacements may fold the image); use fewer control points or a smaller displacement",
                        self.control_points
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Perturbation for Elastic {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(d) = magnitude(
            Self::NAME,
            "max_displacement",
            value,
            "a displacement >= 0 mm",
        )?
        else {
            return Ok(unchanged(image, mask));
        };
        self.check_folding(image.grid(), d)?;
        let grid = ControlGrid::random(
            image.grid(),
            self.control_points,
            d,
            self.locked_borders,
            rng,
        )?;
        elastic(image, mask, &grid)
    }
}

impl SeverityLevels for Elastic {
    type Level = f64;
    const NAME: &'static str = Elastic::NAME;
    /// The max displacement (mm), 7 control points and 2 locked borders.
    const SCALE: [(&'static str, f64); SEVERITY_LEVELS] = [
        (
            "max_displacement 2.5 mm, control_points 7, locked_borders 2",
            2.5,
        ),
        (
            "max_displacement 5 mm, control_points 7, locked_borders 2",
            5.0,
        ),
        (
            "max_displacement 7.5 mm, control_points 7, locked_borders 2",
            7.5,
        ),
        (
            "max_displacement 10 mm, control_points 7, locked_borders 2",
            10.0,
        ),
        (
            "max_displacement 12.5 mm, control_points 7, locked_borders 2",
            12.5,
        ),
    ];
    /// No options; 7 control points, 2 locked borders.
    fn bind_severity(params: &Params) -> Result<Self> {
        params.check_known(Elastic::NAME, &[])?;
        Ok(Elastic {
            control_points: 7,
            locked_borders: 2,
        })
    }
}
