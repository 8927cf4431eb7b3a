//! The anisotropy artefact (thick slices resampled back): the kernel
//! [`anisotropy`] and the registered [`Anisotropy`], after TorchIO 1.2.1
//! `RandomAnisotropy`.

use sensibench_core::{
    Error, Grid, Image, LabelMap, Params, Perturbation, Result, SEVERITY_LEVELS, SeededRng,
};

use crate::mr::options::Axis;
use crate::mr::parallel::for_each_chunk_batched;
use crate::mr::severity::{self, SeverityLevels};
use crate::options::{downsampling_factor, invalid, unchanged};

/// For each of `n` output samples: `(i0, i1, w)` with `out = (1−w)·in[i0] + w·in[i1]`.
type Taps = Vec<(usize, usize, f64)>;

/// The down/up-sampling plan of [`anisotropy`] along one axis.
struct AnisoPlan {
    /// Linear taps into the original line (down-sampling composed with up-sampling).
    linear: Taps,
    /// Nearest source index into the original line, per output sample.
    nearest: Vec<usize>,
}

/// The low-resolution size along an axis of `n` voxels of spacing `s` for
/// `factor`: SimpleITK/TorchIO's `floor(n·s / (s·factor))`, kept at 1 for
/// `n = 1`.
fn low_res_size(n: usize, spacing: f64, factor: f64) -> usize {
    if n == 1 {
        return 1;
    }
    (n as f64 * spacing / (spacing * factor)).floor() as usize
}

fn aniso_plan(n: usize, m: usize, factor: f64) -> AnisoPlan {
    let c = (n as f64 - 1.0) / 2.0;
    let half_m = (m as f64 - 1.0) / 2.0;
    // Down-sampling: low-resolution voxel j sits at original index
    // c + (j − (m−1)/2)·f; nearest neighbour, ties rounded up (ITK's rule).
    let down: Vec<usize> = (0..m)
        .map(|j| {
            let u = c + (j as f64 - half_m) * factor;
            ((u + 0.5).floor().max(0.0) as usize).min(n - 1)
        })
        .collect();
    let mut linear = Vec::with_capacity(n);
    let mut nearest = Vec::with_capacity(n);
    let last = (m - 1) as f64;
    for i in 0..n {
        let v = ((i as f64 - c) / factor + half_m).clamp(0.0, last);
        let k0 = v.floor();
        let w = v - k0;
        let k0 = k0 as usize;
        let k1 = (k0 + 1).min(m - 1);
        linear.push((down[k0], down[k1], w));
        nearest.push(down[((v + 0.5).floor() as usize).min(m - 1)]);
    }
    AnisoPlan { linear, nearest }
}

/// Applies per-sample `taps` along `axis` of a row-major `(z, y, x)` array;
/// `combine(a, b, w)` mixes two source values.
fn taps_along_axis<T: Copy + Send + Sync + Default>(
    data: &[T],
    dims: [usize; 3],
    axis: usize,
    taps: &[(usize, usize, f64)],
    combine: impl Fn(T, T, f64) -> T + Sync + Send,
) -> Vec<T> {
    let n = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    let mut out = vec![T::default(); data.len()];
    if inner == 1 {
        for_each_chunk_batched(&mut out, n, |row, dst| {
            let src = &data[row * n..(row + 1) * n];
            for (o, &(i0, i1, w)) in dst.iter_mut().zip(taps) {
                *o = combine(src[i0], src[i1], w);
            }
        });
    } else {
        for_each_chunk_batched(&mut out, inner, |k, dst| {
            let (outer, i) = (k / n, k % n);
            let (i0, i1, w) = taps[i];
            let base = outer * n * inner;
            let a = &data[base + i0 * inner..base + (i0 + 1) * inner];
            let b = &data[base + i1 * inner..base + (i1 + 1) * inner];
            for ((o, &a), &b) in dst.iter_mut().zip(a).zip(b) {
                *o = combine(a, b, w);
            }
        });
    }
    out
}

/// Checks the anisotropy factor and axis for `grid`; returns the low-resolution size.
fn check_anisotropy(grid: &Grid, axis: Axis, factor: f64) -> Result<usize> {
    let factor = downsampling_factor(Anisotropy::NAME, factor)?;
    let a = axis.index();
    let n = grid.dims()[a];
    if axis == Axis::Z && (grid.ndim() == 2 || n == 1) {
        return Err(Error::invalid(
            "anisotropy.axis",
            "`z`",
            "`y` or `x` on a 2D image (it has a single z voxel)",
        ));
    }
    let m = low_res_size(n, grid.spacing()[a], factor);
    if m == 0 {
        return Err(invalid(
            Anisotropy::NAME,
            "factor",
            factor,
            &format!(
                "a factor <= {n}, the number of voxels along {} (the low-resolution image must keep one voxel)",
                axis.name()
            ),
        ));
    }
    Ok(m)
}

/// Thick-slice simulation along `axis` (see [`Anisotropy`]): the image is
/// down-sampled by nearest neighbour to spacing `spacing·factor` on
/// TorchIO's centred grid and up-sampled back linearly; the mask (if any)
/// goes down and up by nearest neighbour. Grids are unchanged.
pub fn anisotropy(
    image: &Image,
    mask: Option<&LabelMap>,
    axis: Axis,
    factor: f64,
) -> Result<(Image, Option<LabelMap>)> {
    let grid = image.grid();
    let m = check_anisotropy(grid, axis, factor)?;
    let a = axis.index();
    let dims = grid.dims();
    let plan = aniso_plan(dims[a], m, factor);
    let data = taps_along_axis(image.data(), dims, a, &plan.linear, |x, y, w| {
        (f64::from(x) + (f64::from(y) - f64::from(x)) * w) as f32
    });
    let mask = match mask {
        Some(mk) => {
            let taps: Taps = plan.nearest.iter().map(|&i| (i, i, 0.0)).collect();
            let d = taps_along_axis(mk.data(), dims, a, &taps, |x, _, _| x);
            Some(LabelMap::new(mk.grid().clone(), d)?)
        }
        None => None,
    };
    Ok((Image::new(grid.clone(), data)?, mask))
}

/// Anisotropic acquisition (thick slices) resampled back to the original
/// grid, TorchIO `RandomAnisotropy(axes=axis, downsampling=factor)`:
///
/// along `axis` with `n` voxels of spacing `s`, the low-resolution grid has
/// `m = floor(n·s / (s·factor))` voxels of spacing `s·factor`, centred on
/// the original (TorchIO `Resample.get_reference_image`: same centre, size
/// floored); low-resolution voxel `j` lies at original index
/// `u_j = (n−1)/2 + (j − (m−1)/2)·factor` and takes the voxel
/// `floor(u_j + 0.5)` (nearest neighbour, ties up, as ITK). Each original
/// voxel `i` is then read back at low-resolution coordinate
/// `v_i = (i − (n−1)/2)/factor + (m−1)/2` with linear interpolation (ITK
/// `sitkLinear`, edge samples repeated within the grid). The mask, if any,
/// takes the nearest low-resolution voxel `floor(v_i + 0.5)` (TorchIO with
/// `scalars_only=False`, label interpolation `nearest`). Other axes are
/// untouched; the grid is unchanged.
///
/// Option `axis`: `y` (default), `x`, or `z` (3D only). Identity: 1; the
/// factor must be ≥ 1 and leave `m ≥ 1`.
///
/// Differences from TorchIO: (1) where `v_i` falls outside
/// `[−0.5, m − 0.5)` (when `n / factor` is not an integer, up to
/// `(n − m·factor)/2` voxels at each end), SimpleITK writes 0 (its default
/// pixel value); we repeat the edge low-resolution sample instead, so the
/// border keeps its intensity. (2) TorchIO's default `scalars_only=True`
/// leaves label maps alone; we move the mask with the image (nearest both
/// ways), as its `scalars_only=False`. (3) SimpleITK computes the positions
/// through physical coordinates; with spacings that are not exactly
/// representable (e.g. 0.8 mm) a nearest-neighbour tie (common: e.g.
/// factor 2 on an even size) may round either way there; we round ties up
/// as exact arithmetic gives. Fixtures (power-of-two spacings, factors 2, 3,
/// 2.5 on y, x, z): ≤ 1e-4 of the range inside `[−0.5, m − 0.5)`, masks
/// equal.
///
/// Severity (levels 1..=5): factor 1.5, 2, 3, 4, 5 along `axis` (option
/// kept). TorchIO's default `downsampling=(1.5, 5)` gives the two ends;
/// levels 2–4 are the integer factors of common clinical slice-thickness
/// ratios.
#[derive(Clone, Debug)]
pub struct Anisotropy {
    /// The down-sampled axis.
    pub axis: Axis,
}

impl Anisotropy {
    /// Registered name.
    pub const NAME: &'static str = "anisotropy";
    /// Severity levels 1..=5: the down-sampling factor.
    pub const LEVELS: [f64; 5] = severity::parameters(&Self::SCALE);
    /// Binds options (`axis`: `y` (default), `x` or `z`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["axis"])?;
        Ok(Anisotropy {
            axis: Axis::from_params(params, Self::NAME, Axis::Y)?,
        })
    }
}

impl Perturbation for Anisotropy {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let factor = downsampling_factor(Self::NAME, value)?;
        if factor == 1.0 {
            return Ok(unchanged(image, mask));
        }
        anisotropy(image, mask, self.axis, factor)
    }
}

impl SeverityLevels for Anisotropy {
    type Level = f64;
    const NAME: &'static str = Anisotropy::NAME;
    /// The down-sampling factor.
    const SCALE: [(&'static str, f64); SEVERITY_LEVELS] = [
        ("factor 1.5", 1.5),
        ("factor 2", 2.0),
        ("factor 3", 3.0),
        ("factor 4", 4.0),
        ("factor 5", 5.0),
    ];
    /// Option `axis`, as [`Anisotropy::from_params`].
    fn bind_severity(params: &Params) -> Result<Self> {
        Anisotropy::from_params(params)
    }
}
