//! The ghosting artefact: the kernel [`ghosting`] (FFT or closed form) and
//! the registered [`Ghosting`], after TorchIO 1.2.1 `Ghosting` /
//! `RandomGhosting`.

use rustfft::num_complex::Complex;
use sensibench_core::{
    Error, Image, LabelMap, Params, Perturbation, Result, SEVERITY_LEVELS, SeededRng,
};

use crate::mr::fft::{self, phasors};
use crate::mr::options::{Axis, integer_option, number_option};
use crate::mr::parallel::{for_each_chunk, map_items};
use crate::mr::severity::{Severity, SeverityLevels};
use crate::options::{finite, invalid, unchanged};

/// The ghosting mask on the shifted positions of an axis of length `n`.
fn ghosting_mask(n: usize, count: usize, intensity: f64, restore: f64) -> Vec<f64> {
    let mid = n / 2;
    // np.round (half to even) of restore·n; restore ≤ 1 so size ≤ n.
    let size = ((restore * n as f64).round_ties_even() as usize).min(n);
    let (lo, hi) = (mid - size / 2, mid + size / 2);
    (0..n)
        .map(|m| {
            if m % count == 0 && !(lo..hi).contains(&m) {
                1.0 - intensity
            } else {
                1.0
            }
        })
        .collect()
}

/// The ghosting kernel (TorchIO `Ghosting.add_artifact`): along `axis`, the
/// shifted spectrum planes `m = 0, g, 2g, …` (`g = count`) are multiplied by
/// `1 − intensity`, except the restored central planes
/// `m ∈ [⌊n/2⌋ − ⌊s/2⌋, ⌊n/2⌋ + ⌊s/2⌋)` with `s = round(restore·n)` (numpy's
/// round-half-to-even), which keep their value; the result is
/// `Re(ifftn(ifftshift(M·S)))`. Note TorchIO's restore convention: the
/// restored band has an even width `2⌊s/2⌋`, so `s ≤ 1` (e.g. the default
/// 0.02 on fewer than 75 planes) restores nothing, not even the centre.
///
/// As `M` depends on one axis only this is computed exactly with 1D FFTs
/// along that axis, `Re(ifft_a(M·fft_a(x)))`, with the symmetrised mask
/// (two real lines per complex FFT).
/// When `count` divides the axis length (and `count ≤ 16`, at most 4 restored
/// modified planes) the same linear map is applied in image space instead,
/// as a periodic sum over shifts of `n/count` (see `ghosting_closed_form`).
///
/// Identity: `count == 0` or `intensity == 0` (TorchIO's early return).
/// Errors: `intensity` or `restore` outside `[0, 1]` (`ghosting.intensity`,
/// `ghosting.restore`); axis `z` on a 2D image (`ghosting.axis`: TorchIO's
/// `RandomGhosting` excludes it; its `Ghosting` would merely scale the image
/// by `1 − intensity`).
pub fn ghosting(
    image: &Image,
    count: usize,
    axis: Axis,
    intensity: f64,
    restore: f64,
) -> Result<Image> {
    if !(intensity.is_finite() && (0.0..=1.0).contains(&intensity)) {
        return Err(invalid(
            "ghosting",
            "intensity",
            intensity,
            "a number in [0, 1]",
        ));
    }
    if !(restore.is_finite() && (0.0..=1.0).contains(&restore)) {
        return Err(invalid(
            "ghosting",
            "restore",
            restore,
            "a fraction in [0, 1]",
        ));
    }
    if axis == Axis::Z && image.grid().ndim() == 2 {
        return Err(Error::invalid(
            "ghosting.axis",
            "`z`",
            "`y` or `x` for a 2D image",
        ));
    }
    if count == 0 || intensity == 0.0 {
        return Ok(image.clone());
    }
    let dims = image.grid().dims();
    let a = axis.index();
    if let Some(data) = ghosting_closed_form(image, a, count, intensity, restore) {
        return Image::new(image.grid().clone(), data);
    }
    let weights = fft::symmetrised(&ghosting_mask(dims[a], count, intensity, restore));
    let data = fft::filter_along_axis(dims, a, &[(image.data(), &weights)], None);
    Image::new(image.grid().clone(), data)
}

/// Largest `count` of the closed form of [`ghosting`] (it costs `count`
/// reads per voxel).
const GHOSTING_CLOSED_MAX_COUNT: usize = 16;
/// Largest number of restored modified frequencies of the closed form (each
/// costs two passes over the line).
const GHOSTING_CLOSED_MAX_BAND: usize = 4;

/// [`ghosting`] in image space, when `g = count` divides `n` (`None`
/// otherwise, or when `g` or the restored band is too large to pay).
///
/// With `β = intensity`, the modified shifted positions are
/// `P = {m : m ≡ 0 (mod g)} ∖ B` (`B` the restored band), so
/// `x' = x − β·Re(ifft(1_P·fft(x)))` along the axis. As `g | n`,
/// `m ≡ 0 (mod g)` is the frequency class `k ≡ r₀ (mod g)`,
/// `r₀ = (−⌊n/2⌋) mod g`, whose projection is the periodic sum over shifts of
/// `s = n/g`: `Re(proj)(t) = (1/g)·Σ_{j<g} cos(2π r₀ j/g)·x[(t − j·s) mod n]`.
/// Each frequency `k` of the class inside `B` is added back:
/// `+ (β/n)·Re(X_k·e^{2πi k t/n})`, `X_k = Σ_t x[t]·e^{−2πi k t/n}` (summed in
/// `f64`). Exact (the FFT path computes the same linear map), computed in
/// `f32` apart from the `X_k` sums.
fn ghosting_closed_form(
    image: &Image,
    axis: usize,
    count: usize,
    intensity: f64,
    restore: f64,
) -> Option<Vec<f32>> {
    let dims = image.grid().dims();
    let lines = fft::Lines::new(dims, axis);
    let fft::Lines { n, inner, outer } = lines;
    let g = count;
    if g > GHOSTING_CLOSED_MAX_COUNT || n % g != 0 {
        return None;
    }
    let shifted = ghosting_mask(n, g, 1.0, restore);
    // Restored frequencies of the class: m ≡ 0 (mod g) with mask value 1.
    let band: Vec<usize> = (0..n)
        .filter(|&m| m % g == 0 && shifted[m] == 1.0)
        .map(|m| fft::unshift(m, n))
        .collect();
    if band.len() > GHOSTING_CLOSED_MAX_BAND {
        return None;
    }
    let beta = intensity;
    let s = n / g;
    let r0 = (g - (n / 2) % g) % g;
    // Tap weights: −β/g·cos(2π r0 j/g), plus 1 on tap 0.
    let taps: Vec<f32> = (0..g)
        .map(|j| {
            let c = (std::f64::consts::TAU * ((r0 * j) % g) as f64 / g as f64).cos();
            let w = -beta / g as f64 * c;
            (if j == 0 { 1.0 + w } else { w }) as f32
        })
        .collect();
    // e^{−2πikt/n} (analysis) and e^{+2πikt/n} (synthesis) per band frequency.
    let analysis: Vec<Vec<Complex<f64>>> = band.iter().map(|&k| phasors(n, k, -1.0)).collect();
    let synthesis: Vec<(Vec<f32>, Vec<f32>)> = band
        .iter()
        .map(|&k| {
            let e = phasors(n, k, 1.0);
            (
                e.iter().map(|v| v.re as f32).collect(),
                e.iter().map(|v| v.im as f32).collect(),
            )
        })
        .collect();
    let src = image.data();
    let total = src.len();
    // Pass 1: (β/n)·X_k per line, in column blocks of a slab; block layout
    // [band][re, im][column].
    const BLOCK: usize = 2048;
    let per_slab = inner.div_ceil(BLOCK);
    let blocks: Vec<(usize, usize)> = (0..outer)
        .flat_map(|o| (0..per_slab).map(move |b| (o, b * BLOCK)))
        .collect();
    let nb = band.len();
    let coefficients: Vec<Vec<f32>> = if nb == 0 {
        Vec::new()
    } else {
        map_items(
            &blocks,
            total,
            || (),
            |(), &(o, i0)| {
                let width = BLOCK.min(inner - i0);
                let mut re = vec![0.0f64; width];
                let mut im = vec![0.0f64; width];
                let mut out = vec![0.0f32; 2 * nb * width];
                let scale = beta / n as f64;
                for (b, table) in analysis.iter().enumerate() {
                    re.fill(0.0);
                    im.fill(0.0);
                    let real = table.iter().all(|e| e.im == 0.0);
                    for (t, e) in table.iter().enumerate() {
                        let row = &src[o * n * inner + t * inner + i0..][..width];
                        if real {
                            for (r, &v) in re.iter_mut().zip(row) {
                                *r += e.re * f64::from(v);
                            }
                        } else {
                            for ((r, i), &v) in re.iter_mut().zip(im.iter_mut()).zip(row) {
                                *r += e.re * f64::from(v);
                                *i += e.im * f64::from(v);
                            }
                        }
                    }
                    let (dr, di) = out[2 * b * width..2 * (b + 1) * width].split_at_mut(width);
                    for (d, v) in dr.iter_mut().zip(&re) {
                        *d = (v * scale) as f32;
                    }
                    for (d, v) in di.iter_mut().zip(&im) {
                        *d = (v * scale) as f32;
                    }
                }
                out
            },
        )
    };
    // Pass 2: rows of `inner` values, grouped so that a job has ~8k values.
    let rows = (1..=n)
        .rev()
        .find(|r| n % r == 0 && r * inner <= (8192).max(inner))
        .unwrap_or(1);
    let mut out = vec![0.0f32; total];
    for_each_chunk(&mut out, rows * inner, |c, chunk| {
        let o = c * rows / n;
        let slab = &src[o * n * inner..(o + 1) * n * inner];
        for (r, dst) in chunk.chunks_exact_mut(inner).enumerate() {
            let t = (c * rows + r) % n;
            for (j, &tap) in taps.iter().enumerate() {
                let u = (t + n - j * s) % n;
                let from = &slab[u * inner..(u + 1) * inner];
                if j == 0 {
                    for (d, &v) in dst.iter_mut().zip(from) {
                        *d = tap * v;
                    }
                } else {
                    for (d, &v) in dst.iter_mut().zip(from) {
                        *d += tap * v;
                    }
                }
            }
            for (b, (cos, sin)) in synthesis.iter().enumerate() {
                let (ct, st) = (cos[t], sin[t]);
                for k in 0..per_slab {
                    let i0 = k * BLOCK;
                    let block = &coefficients[o * per_slab + k];
                    let width = BLOCK.min(inner - i0);
                    let re = &block[2 * b * width..][..width];
                    let im = &block[(2 * b + 1) * width..][..width];
                    for ((d, &xr), &xi) in dst[i0..i0 + width].iter_mut().zip(re).zip(im) {
                        *d += xr * ct - xi * st;
                    }
                }
            }
        }
    });
    Some(out)
}

/// MR ghosting artefact, swept by the intensity `i ∈ [0, 1]` (TorchIO
/// `Ghosting`: every `count`-th k-space plane along `axis` multiplied by
/// `1 − i`, the central band restored); the formula and its differences
/// from TorchIO are those of the kernel [`ghosting`]. Deterministic: no
/// numbers are drawn (TorchIO's `RandomGhosting` draws count, axis and
/// intensity; here they are the options and the swept value).
///
/// Options: `count` (TorchIO `num_ghosts`, integer `0..=1024`, default 4),
/// `axis` (`y`, `x` or `z`, default `y`), `restore` (fraction in `[0, 1]`,
/// default 0.02). Identity: 0.
///
/// Severity scale ([`Severity<Ghosting>`](Severity), options `axis`,
/// `restore`): count 4 and intensity 0.2, 0.4, 0.6, 0.8, 1.0 for levels 1..=5 (TorchIO's
/// `RandomGhosting` defaults: `num_ghosts` (4, 10), `intensity` (0.5, 1); count 4
/// is the strongest default, as fewer ghost planes are modified with a larger
/// count; the change is linear in the intensity, so the levels are ordered).
#[derive(Clone, Debug)]
pub struct Ghosting {
    /// Every `count`-th plane is modified.
    pub count: usize,
    /// The k-space axis of the planes.
    pub axis: Axis,
    /// Fraction of the planes around the k-space centre restored.
    pub restore: f64,
}

impl Ghosting {
    /// Registered name.
    pub const NAME: &'static str = "ghosting";
    /// Binds options (`count`, `axis`, `restore`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["count", "axis", "restore"])?;
        let count = integer_option(params, Self::NAME, "count", 4, 0, 1024)?;
        Self::with_count(count, params)
    }
    /// `count` planes with options `axis` and `restore` (the caller checks
    /// for unknown options).
    fn with_count(count: usize, params: &Params) -> Result<Self> {
        Ok(Ghosting {
            count,
            axis: Axis::from_params(params, Self::NAME, Axis::Y)?,
            restore: number_option(params, Self::NAME, "restore", 0.02, 0.0, 1.0)?,
        })
    }
}

impl Perturbation for Ghosting {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let i = finite(Self::NAME, "intensity", value)?;
        if i == 0.0 {
            return Ok(unchanged(image, mask));
        }
        let out = ghosting(image, self.count, self.axis, i, self.restore)?;
        Ok((out, mask.cloned()))
    }
}

impl SeverityLevels for Ghosting {
    type Level = f64;
    const NAME: &'static str = Ghosting::NAME;
    /// The intensity, count 4 at every level.
    const SCALE: [(&'static str, f64); SEVERITY_LEVELS] = [
        ("count 4, intensity 0.2", 0.2),
        ("count 4, intensity 0.4", 0.4),
        ("count 4, intensity 0.6", 0.6),
        ("count 4, intensity 0.8", 0.8),
        ("count 4, intensity 1.0", 1.0),
    ];
    /// Options `axis`, `restore`; count 4.
    fn bind_severity(params: &Params) -> Result<Self> {
        params.check_known(Ghosting::NAME, &["axis", "restore"])?;
        Ghosting::with_count(4, params)
    }
}

/// [`Ghosting`] bound to its severity scale (the swept value is the level
/// 0..=5); options `axis`, `restore`.
pub type GhostingSeverity = Severity<Ghosting>;
