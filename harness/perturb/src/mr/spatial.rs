//! MR artefacts in image space: bias field, Rician noise, anisotropy
//! (thick-slice acquisition resampled back) and elastic deformation.
//!
//! Definitions follow TorchIO 1.2.1 (`BiasField`, `RandomAnisotropy`,
//! `ElasticDeformation`, the last two through SimpleITK) and, for Rician
//! noise, MONAI 1.6 `RandRicianNoise`; each type documents the formula and
//! every place it differs. Axis mapping to TorchIO (MR contract): our array
//! is `(z, y, x)`; TorchIO's spatial axes 0, 1, 2 are our y, x, z, with the
//! affine `diag(dy, dx, dz, 1)`. A 2D image is TorchIO-2D (one z voxel).
//!
//! Bias field and Rician noise change intensities only (the mask is
//! returned unchanged); anisotropy and elastic deformation move the mask
//! with nearest-neighbour interpolation, as the geometric perturbations do.
//!
//! Each artefact has a pub deterministic kernel with explicit parameters
//! ([`bias_field`], [`rician`], [`anisotropy`], [`elastic`] with a
//! [`ControlGrid`]), checked against TorchIO/MONAI by
//! `tests/mr_spatial.rs` with the fixtures of
//! `tests/reference/torchio_spatial.py`, and a severity scale (levels
//! 1..=5, see each type).
//!
//! | name | swept value | identity | options (defaults) |
//! |---|---|---|---|
//! | `bias_field` | coefficient bound c | 0 | `order` (3) |
//! | `rician_noise` | σ (fraction of range) | 0 | `absolute` (false) |
//! | `anisotropy` | down-sampling factor ≥ 1 | 1 | `axis` (`y`) |
//! | `elastic` | max displacement (mm) | 0 | `control_points` (7), `locked_borders` (2) |

use rayon::prelude::*;
use sensibench_core::{
    Error, Grid, Image, LabelMap, ParameterInfo, Params, Perturbation, PerturbationEntry, Result,
    SeededRng, SeverityScale, severity_level,
};

use super::{Axis, integer_option};
use crate::options::{finite, invalid, magnitude, unchanged};

/// Arrays shorter than this are processed on the calling thread.
const MIN_PARALLEL_LEN: usize = 1 << 15;

/// Calls `f(k, chunk_k)` for every `len`-long chunk of `out` (the last may be
/// shorter), in parallel when `out` is large.
fn for_chunks<T: Send>(out: &mut [T], len: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    let len = len.max(1);
    if out.len() < MIN_PARALLEL_LEN {
        out.chunks_mut(len).enumerate().for_each(|(k, c)| f(k, c));
    } else {
        let min = (MIN_PARALLEL_LEN / 8 / len).max(1);
        out.par_chunks_mut(len)
            .enumerate()
            .with_min_len(min)
            .for_each(|(k, c)| f(k, c));
    }
}

/// A perturbation swept by severity level: level `k` in 1..=5 applies
/// `inner` at `values[k − 1]`; level 0 returns the input unchanged.
struct Leveled<P> {
    name: &'static str,
    inner: P,
    values: [f64; 5],
}

impl<P: Perturbation> Perturbation for Leveled<P> {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        match severity_level(self.name, value)? {
            0 => Ok(unchanged(image, mask)),
            level => self.inner.apply(image, mask, self.values[level - 1], rng),
        }
    }
}

// ===========================================================================
// Bias field
// ===========================================================================

/// The number of polynomial coefficients of a bias field of `order`:
/// `(order+1)(order+2)(order+3)/6`, TorchIO's count for a 3D field (also
/// used for 2D images, where the terms with a z power vanish).
pub fn bias_field_terms(order: usize) -> usize {
    (order + 1) * (order + 2) * (order + 3) / 6
}

/// The normalised coordinates of an axis of `n` voxels as TorchIO computes
/// them: `q_i = (i − (n−1)/2) / ((n−1)/2)` in `[−1, 1]`; all 0 when `n = 1`.
fn bias_coordinates(n: usize) -> Vec<f64> {
    let half = (n as f64 - 1.0) / 2.0;
    (0..n)
        .map(|i| {
            let q = i as f64 - half;
            if half > 0.0 { q / half } else { q }
        })
        .collect()
}

/// `powers[i * (order + 1) + p] = q_i^p` (with `0^0 = 1`, as numpy).
fn powers(q: &[f64], order: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(q.len() * (order + 1));
    for &v in q {
        let mut p = 1.0;
        for _ in 0..=order {
            out.push(p);
            p *= v;
        }
    }
    out
}

/// Multiplies `image` by the bias field `exp(Σ c_abc · Y^a · X^b · Z^c)`
/// (see [`BiasField`] for the coordinates and the coefficient order).
/// `coefficients` must hold [`bias_field_terms`]`(order)` finite values.
pub fn bias_field(image: &Image, order: usize, coefficients: &[f64]) -> Result<Image> {
    if order > BiasField::MAX_ORDER {
        return Err(Error::invalid(
            "bias_field.order",
            order,
            &format!("an order from 0 to {}", BiasField::MAX_ORDER),
        ));
    }
    let n_terms = bias_field_terms(order);
    if coefficients.len() != n_terms {
        return Err(Error::invalid(
            "bias_field.coefficients",
            format!("{} values", coefficients.len()),
            &format!("{n_terms} coefficients for order {order}"),
        ));
    }
    if coefficients.iter().any(|c| !c.is_finite()) {
        return Err(Error::invalid(
            "bias_field.coefficients",
            format!("{coefficients:?}"),
            "finite numbers",
        ));
    }
    let grid = image.grid();
    let [d, h, w] = grid.dims();
    let k = order + 1;
    let zp = powers(&bias_coordinates(d), order);
    let yp = powers(&bias_coordinates(h), order);
    let xp = powers(&bias_coordinates(w), order);
    // Per (z, y) row, the polynomial in X: p_b = Σ_{a,c} coef_abc · Y^a · Z^c.
    let src = image.data();
    let mut out = vec![0.0f32; src.len()];
    for_chunks(&mut out, w, |row, dst| {
        let (z, y) = (row / h, row % h);
        let (zp, yp) = (&zp[z * k..(z + 1) * k], &yp[y * k..(y + 1) * k]);
        let mut buf = [0.0f64; BiasField::MAX_ORDER + 1];
        let poly = &mut buf[..k];
        // TorchIO's term order: y power a, then x power b, then z power c.
        let mut coef = coefficients.iter();
        for (a, ya) in yp.iter().enumerate() {
            for (b, pb) in poly.iter_mut().enumerate().take(k - a) {
                for zc in &zp[..k - a - b] {
                    // the count was checked above
                    *pb += coef.next().copied().unwrap_or(0.0) * ya * zc;
                }
            }
        }
        let srow = &src[row * w..(row + 1) * w];
        for (x, (o, &v)) in dst.iter_mut().zip(srow).enumerate() {
            let xs = &xp[x * k..(x + 1) * k];
            let mut s = 0.0;
            for (p, xv) in poly.iter().zip(xs) {
                s += p * xv;
            }
            *o = v * (s.exp() as f32);
        }
    });
    Image::new(grid.clone(), out)
}

/// MR bias field (smooth multiplicative intensity inhomogeneity), TorchIO
/// `RandomBiasField`/`BiasField`:
///
/// `x' = x · f32(exp(Σ_{a+b+c ≤ order} k_abc · Y^a · X^b · Z^c))`,
///
/// with normalised coordinates per axis of `n` voxels `q_i = (i − (n−1)/2) /
/// ((n−1)/2)` ∈ [−1, 1] (TorchIO's `np.arange(-n/2, n/2) + 0.5` divided by
/// its maximum); Y, X, Z are our y, x, z (TorchIO's meshes of spatial axes
/// 0, 1, 2 after its transpose). The coefficients are listed in TorchIO's
/// loop order: `a` (y power) outermost, then `b` (x), then `c` (z), `a, b,
/// c ≥ 0`, [`bias_field_terms`]`(order)` of them. The field is evaluated in
/// `f64`, exponentiated, rounded to `f32` and multiplied in `f32`, as
/// TorchIO does. Random draws: every coefficient uniform in `[−c, c)`
/// ([`SeededRng::range`]) in that order (TorchIO: `U(−c, c)` per
/// coefficient). The mask is unchanged. Identity: 0 (no draws); c ≥ 0.
///
/// Differences from TorchIO: none in the formula. On a 2D image (one z
/// voxel) TorchIO's z coordinate is 0 (its normalisation skips a zero
/// maximum), so only terms with `c = 0` act; we keep TorchIO's coefficient
/// count and draws (the z terms are drawn and have no effect). Fixtures
/// agree to ≤ 1e-5 relative (order 1 and 3, 2D and 3D).
///
/// Severity (levels 1..=5): order 3 with c = 0.1, 0.2, 0.3, 0.4, 0.5. Level
/// 5 is TorchIO's default `RandomBiasField(coefficients=0.5, order=3)`
/// (also ROOD-MRI's strongest bias setting is of this magnitude); lower
/// levels scale the coefficient bound linearly, so the log-field's amplitude
/// grows linearly with the level.
#[derive(Clone, Debug)]
pub struct BiasField {
    /// Polynomial order (TorchIO `order`).
    pub order: usize,
}

impl BiasField {
    /// Registered name.
    pub const NAME: &'static str = "bias_field";
    /// Highest accepted order (TorchIO has no limit; 12 already gives 455 terms).
    pub const MAX_ORDER: usize = 12;
    /// Severity levels 1..=5: the coefficient bound at order 3.
    pub const LEVELS: [f64; 5] = [0.1, 0.2, 0.3, 0.4, 0.5];
    /// Binds options (`order`, an integer 0..=12, default 3).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["order"])?;
        Ok(BiasField {
            order: integer_option(params, Self::NAME, "order", 3, 0, Self::MAX_ORDER)?,
        })
    }
    fn entry() -> PerturbationEntry {
        PerturbationEntry {
            name: Self::NAME,
            summary: "MR bias field: x * exp(polynomial), coefficients uniform in [-c, c] (TorchIO RandomBiasField)",
            parameter: ParameterInfo {
                name: "coefficients",
                unit: "",
                identity: Some(0.0),
            },
            build: |p| Ok(Box::new(BiasField::from_params(p)?)),
            severity: Some(SeverityScale {
                levels: [
                    "coefficients 0.1, order 3",
                    "coefficients 0.2, order 3",
                    "coefficients 0.3, order 3",
                    "coefficients 0.4, order 3",
                    "coefficients 0.5, order 3",
                ],
                build: |p| {
                    p.check_known(BiasField::NAME, &[])?;
                    Ok(Box::new(Leveled {
                        name: BiasField::NAME,
                        inner: BiasField { order: 3 },
                        values: BiasField::LEVELS,
                    }))
                },
            }),
        }
    }
}

impl Perturbation for BiasField {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(c) = magnitude(
            Self::NAME,
            "coefficients",
            value,
            "a coefficient bound >= 0",
        )?
        else {
            return Ok(unchanged(image, mask));
        };
        let coefficients: Vec<f64> = (0..bias_field_terms(self.order))
            .map(|_| rng.range(-c, c))
            .collect();
        Ok((bias_field(image, self.order, &coefficients)?, mask.cloned()))
    }
}

// ===========================================================================
// Rician noise
// ===========================================================================

/// Standard normals by the ziggurat method (Doornik 2005, "An improved
/// ziggurat method to generate normal random samples" — ZIGNOR, 128
/// layers), consuming 64-bit words of a [`SeededRng`]: each try takes one
/// word (53 bits for the abscissa, the low 7 bits for the layer); about 1.2%
/// of tries need more (wedge or tail). Several times faster than
/// [`SeededRng::normal`]'s Box–Muller, which computes a logarithm, a square
/// root and two trigonometric functions per pair.
struct Ziggurat {
    /// Layer edges `x[0] = V/f(R) > x[1] = R > … > x[128] = 0`.
    x: [f64; 129],
    /// `x[i+1] / x[i]`: the rectangle test of layer `i`.
    ratio: [f64; 128],
}

impl Ziggurat {
    const R: f64 = 3.442_619_855_899;
    const V: f64 = 9.912_563_035_262_17e-3;

    fn new() -> Self {
        let f = |x: f64| (-0.5 * x * x).exp();
        let mut x = [0.0; 129];
        x[0] = Self::V / f(Self::R);
        x[1] = Self::R;
        for i in 2..128 {
            x[i] = (-2.0 * (Self::V / x[i - 1] + f(x[i - 1])).ln()).sqrt();
        }
        x[128] = 0.0;
        let mut ratio = [0.0; 128];
        for (i, r) in ratio.iter_mut().enumerate() {
            *r = x[i + 1] / x[i];
        }
        Ziggurat { x, ratio }
    }

    fn get() -> &'static Ziggurat {
        static TABLE: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
        TABLE.get_or_init(Ziggurat::new)
    }

    /// One standard normal draw.
    #[inline]
    fn sample(&self, rng: &mut SeededRng) -> f64 {
        loop {
            let bits = rng.next_u64();
            let i = (bits & 0x7f) as usize;
            let u = 2.0 * ((bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) - 1.0;
            if u.abs() < self.ratio[i] {
                return u * self.x[i];
            }
            if i == 0 {
                // the tail beyond R (Marsaglia 1964)
                loop {
                    let a = -(1.0 - rng.uniform()).ln() / Self::R;
                    let b = -(1.0 - rng.uniform()).ln();
                    if 2.0 * b > a * a {
                        return if u < 0.0 { -(Self::R + a) } else { Self::R + a };
                    }
                }
            }
            let xx = u * self.x[i];
            let f0 = (-0.5 * (self.x[i] * self.x[i] - xx * xx)).exp();
            let f1 = (-0.5 * (self.x[i + 1] * self.x[i + 1] - xx * xx)).exp();
            if f1 + rng.uniform() * (f0 - f1) < 1.0 {
                return xx;
            }
        }
    }
}

/// Voxels per independent random stream of [`RicianNoise`].
pub const RICIAN_STREAM_LEN: usize = 4096;

#[inline]
fn rician_value(x: f32, sigma: f64, n1: f64, n2: f64) -> f32 {
    let re = f64::from(x) + sigma * n1;
    let im = sigma * n2;
    (re * re + im * im).sqrt() as f32
}

/// Rician noise with explicit draws: `x' = sqrt((x + σ·n1)² + (σ·n2)²)`
/// per voxel, σ in intensity units, `n1`, `n2` the standard-normal draws
/// (one per voxel each, row-major). Computed in `f64`, rounded to `f32`.
pub fn rician(image: &Image, sigma: f64, n1: &[f32], n2: &[f32]) -> Result<Image> {
    if !sigma.is_finite() || sigma < 0.0 {
        return Err(invalid(
            RicianNoise::NAME,
            "sigma",
            sigma,
            "a standard deviation >= 0",
        ));
    }
    let n = image.data().len();
    if n1.len() != n || n2.len() != n {
        return Err(Error::Shape {
            what: "rician_noise draws".into(),
            expected: format!("{n} values each"),
            found: format!("{} and {}", n1.len(), n2.len()),
        });
    }
    let src = image.data();
    let mut out = vec![0.0f32; n];
    for_chunks(&mut out, RICIAN_STREAM_LEN, |k, dst| {
        let off = k * RICIAN_STREAM_LEN;
        for (j, o) in dst.iter_mut().enumerate() {
            let i = off + j;
            *o = rician_value(src[i], sigma, f64::from(n1[i]), f64::from(n2[i]));
        }
    });
    Image::new(image.grid().clone(), out)
}

/// Rician noise (the magnitude of complex data with Gaussian noise in both
/// channels), MONAI `RandRicianNoise`'s formula:
///
/// `x' = sqrt((x + σ_a·n1)² + (σ_a·n2)²)`, `n1, n2 ~ N(0, 1)` per voxel,
///
/// with `σ_a = σ·(max − min)` of the image (default, like `gaussian_noise`)
/// or `σ_a = σ` with option `absolute: true`. Computed in `f64`, rounded to
/// `f32` (see [`rician`]). The mask is unchanged. Identity: 0 (no draws;
/// note the formula itself at σ = 0 would return `|x|`); σ ≥ 0. Intended
/// for non-negative magnitude images: a negative `x` comes out as a
/// magnitude too.
///
/// Random draws: the voxels are split into consecutive runs of
/// [`RICIAN_STREAM_LEN`]; for each run in order one `u64` is drawn from the
/// passed rng and seeds an independent [`SeededRng`], which gives `n1` then
/// `n2` for each voxel of the run, standard normals by the ziggurat method
/// (Doornik's ZIGNOR, 128 layers, on [`SeededRng::next_u64`]; faster than
/// the Box–Muller of [`SeededRng::normal`]). The result is independent of
/// the number of threads.
///
/// Differences from MONAI: TorchIO has no Rician transform. MONAI's
/// `relative=True` scales its `std` by the image's standard deviation and
/// its `sample_std=True` (default) draws the std uniformly in `[0, std]`;
/// we use a fixed σ relative to the intensity range, as our
/// `gaussian_noise` does, and `mean = 0`. MONAI draws all `n1` then all `n2`
/// from numpy and computes in `f32`; fixtures agree to ≤ 1e-6 of the range.
///
/// Severity (levels 1..=5): σ = 0.01, 0.025, 0.05, 0.075, 0.1 of the range
/// (`absolute` not allowed). MR magnitude images typically have an SNR of
/// 10 to 100 relative to tissue; ROOD-MRI-style noise levels span roughly 1%
/// to 10% of the intensity range, level 3 is the bench case (0.05).
#[derive(Clone, Debug, Default)]
pub struct RicianNoise {
    /// σ in intensity units instead of a fraction of the range.
    pub absolute: bool,
}

impl RicianNoise {
    /// Registered name.
    pub const NAME: &'static str = "rician_noise";
    /// Severity levels 1..=5: σ as a fraction of the range.
    pub const LEVELS: [f64; 5] = [0.01, 0.025, 0.05, 0.075, 0.1];
    /// Binds options (`absolute`, default false).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["absolute"])?;
        Ok(RicianNoise {
            absolute: params.flag("absolute", false)?,
        })
    }
    fn entry() -> PerturbationEntry {
        PerturbationEntry {
            name: Self::NAME,
            summary: "Rician noise sqrt((x + s n1)^2 + (s n2)^2), s = sigma * (max - min) (MONAI RicianNoise formula)",
            parameter: ParameterInfo {
                name: "sigma",
                unit: "fraction of range",
                identity: Some(0.0),
            },
            build: |p| Ok(Box::new(RicianNoise::from_params(p)?)),
            severity: Some(SeverityScale {
                levels: [
                    "sigma 0.01 of range",
                    "sigma 0.025 of range",
                    "sigma 0.05 of range",
                    "sigma 0.075 of range",
                    "sigma 0.1 of range",
                ],
                build: |p| {
                    p.check_known(RicianNoise::NAME, &[])?;
                    Ok(Box::new(Leveled {
                        name: RicianNoise::NAME,
                        inner: RicianNoise { absolute: false },
                        values: RicianNoise::LEVELS,
                    }))
                },
            }),
        }
    }
}

impl Perturbation for RicianNoise {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(sigma) = magnitude(Self::NAME, "sigma", value, "a standard deviation >= 0")?
        else {
            return Ok(unchanged(image, mask));
        };
        let scale = if self.absolute {
            sigma
        } else {
            let (lo, hi) = image.min_max();
            sigma * (f64::from(hi) - f64::from(lo))
        };
        let src = image.data();
        let seeds: Vec<u64> = (0..src.len().div_ceil(RICIAN_STREAM_LEN))
            .map(|_| rng.next_u64())
            .collect();
        let zig = Ziggurat::get();
        let mut out = vec![0.0f32; src.len()];
        for_chunks(&mut out, RICIAN_STREAM_LEN, |k, dst| {
            let mut r = SeededRng::new(seeds[k]);
            let s = &src[k * RICIAN_STREAM_LEN..];
            for (o, &x) in dst.iter_mut().zip(s) {
                let n1 = zig.sample(&mut r);
                let n2 = zig.sample(&mut r);
                *o = rician_value(x, scale, n1, n2);
            }
        });
        Ok((Image::new(image.grid().clone(), out)?, mask.cloned()))
    }
}

// ===========================================================================
// Anisotropy
// ===========================================================================

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
        for_chunks(&mut out, n, |row, dst| {
            let src = &data[row * n..(row + 1) * n];
            for (o, &(i0, i1, w)) in dst.iter_mut().zip(taps) {
                *o = combine(src[i0], src[i1], w);
            }
        });
    } else {
        for_chunks(&mut out, inner, |k, dst| {
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
    let factor = finite(Anisotropy::NAME, "factor", factor)?;
    if factor < 1.0 {
        return Err(invalid(Anisotropy::NAME, "factor", factor, "a factor >= 1"));
    }
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
    pub const LEVELS: [f64; 5] = [1.5, 2.0, 3.0, 4.0, 5.0];
    /// Binds options (`axis`: `y` (default), `x` or `z`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["axis"])?;
        Ok(Anisotropy {
            axis: Axis::from_params(params, Self::NAME, Axis::Y)?,
        })
    }
    fn entry() -> PerturbationEntry {
        PerturbationEntry {
            name: Self::NAME,
            summary: "thick slices: nearest down-sampling by a factor along an axis, linear back (TorchIO RandomAnisotropy)",
            parameter: ParameterInfo {
                name: "factor",
                unit: "factor",
                identity: Some(1.0),
            },
            build: |p| Ok(Box::new(Anisotropy::from_params(p)?)),
            severity: Some(SeverityScale {
                levels: ["factor 1.5", "factor 2", "factor 3", "factor 4", "factor 5"],
                build: |p| {
                    Ok(Box::new(Leveled {
                        name: Anisotropy::NAME,
                        inner: Anisotropy::from_params(p)?,
                        values: Anisotropy::LEVELS,
                    }))
                },
            }),
        }
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
        let factor = finite(Self::NAME, "factor", value)?;
        if factor < 1.0 {
            return Err(invalid(Self::NAME, "factor", factor, "a factor >= 1"));
        }
        if factor == 1.0 {
            return Ok(unchanged(image, mask));
        }
        anisotropy(image, mask, self.axis, factor)
    }
}

// ===========================================================================
// Elastic deformation
// ===========================================================================

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
        for_chunks(&mut out, w, |r, a| row_job(r, a, &mut []));
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
    pub const LEVELS: [f64; 5] = [2.5, 5.0, 7.5, 10.0, 12.5];
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
    fn entry() -> PerturbationEntry {
        PerturbationEntry {
            name: Self::NAME,
            summary: "elastic deformation: cubic B-spline of random control-point displacements (mm) (TorchIO RandomElasticDeformation)",
            parameter: ParameterInfo {
                name: "max_displacement",
                unit: "mm",
                identity: Some(0.0),
            },
            build: |p| Ok(Box::new(Elastic::from_params(p)?)),
            severity: Some(SeverityScale {
                levels: [
                    "max_displacement 2.5 mm, control_points 7, locked_borders 2",
                    "max_displacement 5 mm, control_points 7, locked_borders 2",
                    "max_displacement 7.5 mm, control_points 7, locked_borders 2",
                    "max_displacement 10 mm, control_points 7, locked_borders 2",
                    "max_displacement 12.5 mm, control_points 7, locked_borders 2",
                ],
                build: |p| {
                    p.check_known(Elastic::NAME, &[])?;
                    Ok(Box::new(Leveled {
                        name: Elastic::NAME,
                        inner: Elastic {
                            control_points: 7,
                            locked_borders: 2,
                        },
                        values: Elastic::LEVELS,
                    }))
                },
            }),
        }
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

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![
        BiasField::entry(),
        RicianNoise::entry(),
        Anisotropy::entry(),
        Elastic::entry(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ziggurat_is_standard_normal() {
        let zig = Ziggurat::get();
        // the layers close: the last edge before 0 is tiny, the areas agree
        assert!(zig.x[127] > 0.0 && zig.x[127] < 0.3, "{}", zig.x[127]);
        let mut rng = SeededRng::new(42);
        let n = 400_000;
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        let (mut beyond1, mut beyond3) = (0usize, 0usize);
        for _ in 0..n {
            let z = zig.sample(&mut rng);
            s1 += z;
            s2 += z * z;
            s4 += z * z * z * z;
            beyond1 += usize::from(z.abs() > 1.0);
            beyond3 += usize::from(z.abs() > 3.0);
        }
        let nf = n as f64;
        // standard errors: mean 1/sqrt(n) = 0.0016, var sqrt(2/n) = 0.0022
        assert!((s1 / nf).abs() < 0.008, "mean {}", s1 / nf);
        assert!((s2 / nf - 1.0).abs() < 0.011, "variance {}", s2 / nf);
        assert!((s4 / nf - 3.0).abs() < 0.06, "fourth moment {}", s4 / nf);
        // P(|z| > 1) = 0.31731, P(|z| > 3) = 0.0026998
        let p1 = beyond1 as f64 / nf;
        let p3 = beyond3 as f64 / nf;
        assert!((p1 - 0.31731).abs() < 0.004, "P(|z|>1) {p1}");
        assert!((p3 - 0.0026998).abs() < 0.0005, "P(|z|>3) {p3}");
    }
}
