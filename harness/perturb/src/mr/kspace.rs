//! k-space MR artefacts: [`Spike`] (herringbone), [`Ghosting`] and
//! [`Motion`], after TorchIO 1.2.1 (`RandomSpike`, `RandomGhosting`,
//! `RandomMotion` and `transforms/fourier.py`). Each type documents its exact
//! formula and where it differs from TorchIO.
//!
//! Conventions shared by the three:
//! - Axis mapping (the MR contract): our array is `(z, y, x)`; TorchIO's
//!   tensor is `array.transpose(1, 2, 0)`, so TorchIO spatial axes 0, 1, 2
//!   are our y, x, z, a 2D image is a TorchIO 2D image (last axis of size 1)
//!   and every per-axis triple (`positions`, `degrees`, `translation`) is in
//!   TorchIO order `(y, x, z)`. The affine is `diag(dy, dx, dz)`.
//! - TorchIO's spectrum is `fftshift(fftn(x))`: position `m` of an axis of
//!   length `n` holds frequency `(m − n/2) mod n` (`n/2` rounded down).
//! - The deterministic kernels ([`spike`], [`ghosting`], [`motion`]) take the
//!   artefact's parameters explicitly; the registered perturbations draw the
//!   random ones from the passed [`SeededRng`] and call them.
//! - Masks are returned unchanged: all three are intensity artefacts
//!   (TorchIO's `Motion` is an `IntensityTransform` too and leaves label
//!   maps alone; the moved copies only exist inside the simulated
//!   acquisition).
//! - Precision: FFTs, plane waves and interpolation run in `f32` (TorchIO:
//!   `complex64`); sums over whole lines or images (spectrum DC, ghosting
//!   band coefficients) and sample positions in `f64`.
//!
//! The kernels never take full `n`-D FFTs when the structure allows less:
//! ghosting and motion masks depend on one k-space axis only, so
//! `ifftn(M·fftn(x)) = ifft_a(M·fft_a(x))` along that axis `a` (exact; two
//! real lines share one complex FFT), and a spike is one k-space component,
//! i.e. a plane wave added in image space.

use rustfft::num_complex::Complex;
use sensibench_core::{
    Error, Image, LabelMap, ParameterInfo, Params, Perturbation, PerturbationEntry, Result,
    SeededRng, SeverityScale, severity_level,
};

use super::{Axis, fft, integer_option};
use crate::options::{finite, invalid, magnitude, unchanged};

/// Number option `key` in `[lo, hi]` (`default` when absent).
fn number_option(
    params: &Params,
    perturbation: &str,
    key: &str,
    default: f64,
    lo: f64,
    hi: f64,
) -> Result<f64> {
    let v = params.number(key, default)?;
    if v.is_finite() && v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(invalid(
            perturbation,
            key,
            v,
            &format!("a number in [{lo}, {hi}]"),
        ))
    }
}

/// Sizes in TorchIO order `(y, x, z)`.
fn torchio_dims(image: &Image) -> [usize; 3] {
    let [d, h, w] = image.grid().dims();
    [h, w, d]
}

// ---------------------------------------------------------------------------
// Spike
// ---------------------------------------------------------------------------

/// The spike kernel (TorchIO `Spike.add_artifact`): adds `count` spikes to
/// the shifted spectrum `S = fftshift(fftn(x))` and returns
/// `Re(ifftn(ifftshift(S)))`.
///
/// Spike `j` at fractional position `p_j = (p_y, p_x, p_z) ∈ [0, 1)³`
/// (TorchIO order) sits at shifted index `m_a = ⌊p_a·n_a⌋`, i.e. frequency
/// `k_a = (m_a − ⌊n_a/2⌋) mod n_a`; in order, `A_j = r·max_k |S_{j−1}(k)|`
/// (the maximum of the spectrum *including* the spikes already added, as
/// TorchIO re-takes it in its loop) and `S_j = S_{j−1} + A_j·δ_{k_j}`. So
///
/// `x'(v) = x(v) + Σ_j (A_j / N)·cos(2π Σ_a k_{j,a} v_a / n_a)`, `N` = voxels.
///
/// The maximum: for a non-negative image `|S(k)| ≤ Σ x = S(0)`, so while
/// no spike has hit the DC term the maximum is the larger of `Σ x` and the
/// spiked components (each found by a direct DFT at its frequency when
/// `count > 1`); otherwise (negative values, or a spike on the DC term) the
/// full spectrum is computed once (in `f32`, as TorchIO's `complex64`) and the maximum over the components not
/// yet spiked is kept from its top `count + 1` magnitudes. Either way this is
/// exactly TorchIO's `spectrum.abs().max()` (up to its `complex64` rounding).
///
/// `intensity` may be negative (TorchIO's `RandomSpike(intensity=d)` draws
/// from `(−d, d)`). Identity: `intensity == 0` or no positions (the input is
/// returned unchanged). Errors: a non-finite intensity, a position component
/// outside `[0, 1)` (`spike.position`).
pub fn spike(image: &Image, positions: &[[f64; 3]], intensity: f64) -> Result<Image> {
    finite("spike", "intensity", intensity)?;
    for p in positions {
        for &c in p {
            if !(c.is_finite() && (0.0..1.0).contains(&c)) {
                return Err(invalid("spike", "position", c, "a fraction in [0, 1)"));
            }
        }
    }
    if intensity == 0.0 || positions.is_empty() {
        return Ok(image.clone());
    }
    let dims = image.grid().dims();
    let tdims = torchio_dims(image);
    let data = image.data();
    let total = data.len() as f64;
    // Frequencies in our (z, y, x) order.
    let freqs: Vec<[usize; 3]> = positions
        .iter()
        .map(|p| {
            let k: [usize; 3] = std::array::from_fn(|a| {
                let n = tdims[a];
                let m = ((p[a] * n as f64).floor() as usize).min(n - 1);
                fft::unshift(m, n)
            });
            [k[2], k[0], k[1]]
        })
        .collect();
    let keys: Vec<usize> = freqs
        .iter()
        .map(|&k| fft::spectrum_index(dims, k))
        .collect();
    let dc_hit = freqs.contains(&[0, 0, 0]);
    let (sum, min) = fft::sum_min(data);
    let non_negative = min >= 0.0;

    // `initial(k)`: S(k) before any spike; `unspiked_max(set)`: the maximum
    // of |S| over the frequencies not in `set`.
    let amplitudes: Vec<f64> = if non_negative && !dc_hit {
        let dc = sum;
        spike_amplitudes(
            &freqs,
            &keys,
            intensity,
            |k| dft_at(data, dims, k),
            |_| dc.abs(),
        )
    } else {
        let spectrum = fft::full_spectrum(data, dims);
        let top = top_magnitudes(&spectrum, freqs.len() + 1);
        spike_amplitudes(
            &freqs,
            &keys,
            intensity,
            |k| {
                let v = spectrum[fft::spectrum_index(dims, k)];
                Complex::new(f64::from(v.re), f64::from(v.im))
            },
            |spiked: &[usize]| {
                top.iter()
                    .find(|(_, i)| !spiked.contains(i))
                    .map_or(0.0, |(m, _)| *m)
            },
        )
    };
    add_plane_waves(image, &freqs, &amplitudes, total)
}

/// TorchIO's spike loop on the few spiked components: returns `A_j`.
/// `keys[j]` identifies frequency `j` (its index in the full spectrum).
fn spike_amplitudes(
    freqs: &[[usize; 3]],
    keys: &[usize],
    intensity: f64,
    initial: impl Fn([usize; 3]) -> Complex<f64>,
    unspiked_max: impl Fn(&[usize]) -> f64,
) -> Vec<f64> {
    // (key, current value) of the components spiked so far.
    let mut spiked: Vec<(usize, Complex<f64>)> = Vec::new();
    let mut spiked_keys: Vec<usize> = Vec::new();
    let mut amplitudes = Vec::with_capacity(freqs.len());
    for (j, (&k, &key)) in freqs.iter().zip(keys).enumerate() {
        let mut max = unspiked_max(&spiked_keys);
        for (_, v) in &spiked {
            max = max.max(v.norm());
        }
        let a = intensity * max;
        amplitudes.push(a);
        if j + 1 == freqs.len() {
            break; // the last spike's value is never needed
        }
        match spiked.iter_mut().find(|(f, _)| *f == key) {
            Some((_, v)) => *v += a,
            None => {
                spiked.push((key, initial(k) + a));
                spiked_keys.push(key);
            }
        }
    }
    amplitudes
}

/// The `count` largest magnitudes of `spectrum` with their indices, largest
/// first.
fn top_magnitudes(spectrum: &[Complex<f32>], count: usize) -> Vec<(f64, usize)> {
    let mut top: Vec<(f64, usize)> = Vec::with_capacity(count + 1);
    for (i, v) in spectrum.iter().enumerate() {
        let m = f64::from(v.norm_sqr());
        if top.len() == count && top.last().is_some_and(|t| t.0 >= m) {
            continue;
        }
        let at = top.partition_point(|t| t.0 >= m);
        top.insert(at, (m, i));
        top.truncate(count);
    }
    top.into_iter().map(|(m, i)| (m.sqrt(), i)).collect()
}

/// `Σ_v x(v)·e^{−2πi Σ_a k_a v_a / n_a}` (one DFT coefficient).
fn dft_at(data: &[f32], dims: [usize; 3], k: [usize; 3]) -> Complex<f64> {
    let tables: [Vec<Complex<f64>>; 3] = std::array::from_fn(|a| phasors(dims[a], k[a], -1.0));
    let [d, h, w] = dims;
    let mut sum = Complex::new(0.0, 0.0);
    for z in 0..d {
        for y in 0..h {
            let row = &data[(z * h + y) * w..(z * h + y + 1) * w];
            let mut acc = Complex::new(0.0, 0.0);
            for (v, e) in row.iter().zip(&tables[2]) {
                acc += e * f64::from(*v);
            }
            sum += acc * tables[0][z] * tables[1][y];
        }
    }
    sum
}

/// `e^{sign·2πi k v / n}` for `v < n`, with the phase reduced exactly.
fn phasors(n: usize, k: usize, sign: f64) -> Vec<Complex<f64>> {
    (0..n)
        .map(|v| {
            let phase = ((k * v) % n) as f64 / n as f64;
            Complex::from_polar(1.0, sign * std::f64::consts::TAU * phase)
        })
        .collect()
}

/// `x + Σ_j (A_j/N)·cos(2π k_j·v/n)`: per row `(z, y)` the wave is
/// `Re(c·e^{2πi k_x x/n_x})` with `c = (A_j/N)·e^{2πi(k_z z/n_z + k_y y/n_y)}`,
/// so the inner loop is `x + c_re·cos − c_im·sin` over per-axis tables
/// (no per-voxel trigonometry), in `f32`.
fn add_plane_waves(
    image: &Image,
    freqs: &[[usize; 3]],
    amplitudes: &[f64],
    total: f64,
) -> Result<Image> {
    let dims = image.grid().dims();
    let [_, h, w] = dims;
    struct Wave {
        z: Vec<Complex<f64>>,
        y: Vec<Complex<f64>>,
        cos: Vec<f32>,
        sin: Vec<f32>,
        scale: f64,
    }
    let waves: Vec<Wave> = freqs
        .iter()
        .zip(amplitudes)
        .map(|(k, a)| {
            let x = phasors(w, k[2], 1.0);
            Wave {
                z: phasors(dims[0], k[0], 1.0),
                y: phasors(h, k[1], 1.0),
                cos: x.iter().map(|e| e.re as f32).collect(),
                sin: x.iter().map(|e| e.im as f32).collect(),
                scale: a / total,
            }
        })
        .collect();
    let src = image.data();
    let mut out = vec![0.0f32; src.len()];
    // Rows per job: about 8k values.
    let rows = (8192 / w).max(1);
    fft::for_each_chunk(&mut out, rows * w, |c, chunk| {
        for (r, dst) in chunk.chunks_exact_mut(w).enumerate() {
            let row = c * rows + r;
            let (z, y) = (row / h, row % h);
            dst.copy_from_slice(&src[row * w..(row + 1) * w]);
            for wave in &waves {
                let e = wave.z[z] * wave.y[y] * wave.scale;
                let (re, im) = (e.re as f32, e.im as f32);
                for ((d, &cs), &sn) in dst.iter_mut().zip(&wave.cos).zip(&wave.sin) {
                    *d += re * cs - im * sn;
                }
            }
        }
    });
    Image::new(image.grid().clone(), out)
}

// ---------------------------------------------------------------------------
// Ghosting
// ---------------------------------------------------------------------------

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
        fft::map_items(
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
    fft::for_each_chunk(&mut out, rows * inner, |c, chunk| {
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

// ---------------------------------------------------------------------------
// Motion
// ---------------------------------------------------------------------------

/// One simulated rigid movement of [`motion`], in TorchIO `Motion` terms.
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

/// The rotation centre of [`motion_with_centre`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationCentre {
    /// Continuous index `size/2` per axis (TorchIO's computed `center_lps`);
    /// what [`motion`] uses.
    ImageCentre,
    /// The physical origin, i.e. the centre of voxel `(0, 0, 0)`: what
    /// TorchIO 1.2.1 actually does, because `Motion.matrix_to_transform`
    /// rebuilds each `Euler3DTransform` from its matrix and translation only
    /// and so drops the centre set in `get_rigid_transforms`.
    Origin,
}

/// The motion kernel: [`motion_with_centre`] about [`RotationCentre::ImageCentre`].
pub fn motion(image: &Image, moves: &[RigidMove]) -> Result<Image> {
    motion_with_centre(image, moves, RotationCentre::ImageCentre)
}

/// The motion kernel (TorchIO `Motion.add_artifact`, Shaw et al. 2019):
///
/// 1. Images `I_0 = x` and `I_s = x ∘ T_s` (`s = 1..=N`), resampled like
///    SimpleITK's `ResampleImageFilter` with linear interpolation: with the
///    LPS direction `D = diag(−1, −1, 1)` and spacing `Sp` (TorchIO order)
///    that TorchIO's `nib_to_sitk` gives, the output index `u` samples the
///    input at `u' = A(u − c) + c + Sp⁻¹·D·t`, `A = Sp⁻¹·D·R·D·Sp`, `R` the
///    Euler matrix; `u'` outside `[−½, n − ½)` on any axis gives the default
///    value (the image minimum, TorchIO's choice), inside it is the
///    trilinear interpolation with indices clamped to `[0, n − 1]` (ITK's
///    `LinearInterpolateImageFunction`; where `u'_i ≥ n − 1` ours may
///    differ by one `f32` rounding, see `interpolate_row`). Rounded to
///    `f32` like SimpleITK's `sitkFloat32` output.
/// 2. TorchIO's `sort_spectra`: with `i` the first move whose time is
///    `> 0.5` (else `N`), image `I_0` and image `I_i` swap places in the list
///    (so the unmoved image fills the k-space band holding the centre).
/// 3. Along the segment axis (length `n`), list entry `p` fills the shifted
///    k-space positions `[⌊n·t_{p−1}⌋, ⌊n·t_p⌋)` (`t_{−1} = 0`, `t_N = 1`);
///    `x' = Re(ifftn(Σ_p M_p·fftn(I_p)))`, computed exactly as
///    `Σ_p Re(ifft_a(M_p·fft_a(I_p)))` (1D FFTs along the segment axis),
///    and, as the masks partition k-space (`Σ_p M_p = 1`), as
///    `x + Σ_{p : I_p ≠ x} Re(ifft_a(M_p·fft_a(I_p − x)))`: no FFT for the
///    unmoved image nor for a move with zero angles and shifts.
///
/// Differences from TorchIO, all deliberate:
/// - **Rotation centre**: TorchIO 1.2.1 computes the image centre but then
///   drops it (see [`RotationCentre::Origin`]), so its rotations turn about
///   the first voxel, and a few degrees move the far corner of a 256² image
///   by tens of voxels. We rotate about TorchIO's intended centre
///   (continuous index `size/2`, half a voxel past the geometric centre,
///   as TorchIO computes it); [`motion_with_centre`] with
///   [`RotationCentre::Origin`] reproduces TorchIO as released.
/// - **Segment axis of 2D images**: TorchIO segments along its last axis,
///   of size 1 for a 2D image, so its 2D output is just the last listed
///   image (a rigid move, no artefact). We segment along TorchIO's last axis
///   of size > 1: our `z` for 3D (as TorchIO), our `x` for 2D.
/// - For a 2D image only the in-plane part of each move is used
///   (`degrees[0..2]` and `translation[2]` are taken as 0), as TorchIO's
///   `RandomMotion` does for 2D images.
/// - `⌊n·t⌋` is taken in `f64` (TorchIO: `float32` times); this differs
///   only when `n·t` is within ~1e-7 of an integer.
///
/// Identity: no moves, or only moves with zero angles and shifts (the input
/// is returned unchanged; TorchIO would round-trip the FFT). Errors
/// (`motion.degrees`, `motion.translation`, `motion.time`): non-finite
/// angles or shifts, times outside `[0, 1]` or decreasing.
pub fn motion_with_centre(
    image: &Image,
    moves: &[RigidMove],
    centre: RotationCentre,
) -> Result<Image> {
    let mut previous = 0.0;
    for mv in moves {
        for &d in &mv.degrees {
            finite("motion", "degrees", d)?;
        }
        for &t in &mv.translation {
            finite("motion", "translation", t)?;
        }
        if !(mv.time.is_finite() && (previous..=1.0).contains(&mv.time)) {
            return Err(invalid(
                "motion",
                "time",
                mv.time,
                "times in [0, 1], non-decreasing",
            ));
        }
        previous = mv.time;
    }
    if moves.is_empty() {
        return Ok(image.clone());
    }
    let grid = image.grid();
    let dims = grid.dims();
    let is_2d = grid.ndim() == 2;
    // `Image::min_max().0` (NaN ignored), in one parallel pass; its rare
    // no-finite-minimum cases (all NaN or +∞) from `min_max` itself.
    let min = fft::sum_min(image.data()).1;
    let min = if min < f32::INFINITY {
        min
    } else {
        image.min_max().0
    };
    let fill = f64::from(min);
    // D_s = I_s − I_0; `None` for a move that leaves the image unchanged.
    let moved: Vec<Option<Vec<f32>>> = moves
        .iter()
        .map(|mv| {
            let mut mv = *mv;
            if is_2d {
                mv.degrees[0] = 0.0;
                mv.degrees[1] = 0.0;
                mv.translation[2] = 0.0;
            }
            (!Rigid::is_identity(&mv))
                .then(|| moved_minus_unmoved(image, &Rigid::new(image, &mv, centre), fill))
        })
        .collect();
    // List of images after TorchIO's sort_spectra.
    let mut order: Vec<usize> = (0..=moves.len()).collect();
    let swap = moves
        .iter()
        .position(|m| m.time > 0.5)
        .unwrap_or(moves.len());
    order.swap(0, swap);
    let axis = if is_2d { 2 } else { 0 };
    let n = dims[axis];
    let mut bounds: Vec<usize> = moves
        .iter()
        .map(|m| ((n as f64 * m.time).floor() as usize).min(n))
        .collect();
    bounds.push(n);
    // The masks M_p partition k-space (Σ_p M_p = 1), so
    // Σ_p M_p·F(I_p) = F(I_0) + Σ_{p≠0} M_p·F(I_p − I_0): one FFT pass fewer,
    // and none at all for the unmoved image and unchanged copies.
    let mut terms: Vec<(&[f32], Vec<f64>)> = Vec::new();
    let mut ini = 0;
    for (&which, &fin) in order.iter().zip(&bounds) {
        if fin > ini
            && which != 0
            && let Some(diff) = &moved[which - 1]
        {
            let mask: Vec<f64> = (0..n)
                .map(|m| if (ini..fin).contains(&m) { 1.0 } else { 0.0 })
                .collect();
            terms.push((diff, fft::symmetrised(&mask)));
        }
        ini = fin;
    }
    if terms.is_empty() {
        return Ok(image.clone());
    }
    let refs: Vec<(&[f32], &[f64])> = terms.iter().map(|(d, w)| (*d, w.as_slice())).collect();
    let data = fft::filter_along_axis(dims, axis, &refs, Some(image.data()));
    Image::new(grid.clone(), data)
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

/// The sampling geometry of one rigid move (see [`motion_with_centre`]):
/// output index `u` (TorchIO order `(y, x, z)`) samples the input at
/// `u' = A(u − c) + shift` (`shift = c + Sp⁻¹·D·t`).
struct Rigid {
    a: [[f64; 3]; 3],
    c: [f64; 3],
    shift: [f64; 3],
}

impl Rigid {
    fn new(image: &Image, mv: &RigidMove, centre: RotationCentre) -> Self {
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
    fn is_identity(mv: &RigidMove) -> bool {
        mv.degrees.iter().chain(&mv.translation).all(|&v| v == 0.0)
    }
}

/// `x ∘ T − x` (`x ∘ T` resampled as SimpleITK does, see
/// [`motion_with_centre`]): the moved image minus the unmoved one, the term
/// that [`motion_with_centre`] filters.
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
fn moved_minus_unmoved(image: &Image, rigid: &Rigid, fill: f64) -> Vec<f32> {
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
    fft::collect_chunks(src.len(), rows * w, |chunk_index, chunk| {
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

// ---------------------------------------------------------------------------
// Registered perturbations
// ---------------------------------------------------------------------------

/// Spike levels: intensity ratio `r` (one spike each).
const SPIKE_LEVELS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, 4.0];
/// Ghosting levels: intensity (count 4 each).
const GHOSTING_LEVELS: [f64; 5] = [0.2, 0.4, 0.6, 0.8, 1.0];
/// Ghosting count of every level.
const GHOSTING_LEVEL_COUNT: usize = 4;
/// Motion levels: band `[lo, hi]` of |angle| (deg) and of |shift| (mm).
const MOTION_LEVELS: [(f64, f64); 5] =
    [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 8.0), (8.0, 10.0)];
/// Motion levels: width of the central k-space band kept from the unmoved image.
const MOTION_LEVEL_BAND: [f64; 5] = [0.8, 0.5, 0.3, 0.15, 0.05];
/// Motion movements of every level.
const MOTION_LEVEL_MOVES: usize = 2;

/// Reads `position_y`, `position_x`, `position_z` (fractions in `[0, 1)`).
fn position_options(params: &Params, perturbation: &str) -> Result<[Option<f64>; 3]> {
    let mut out = [None; 3];
    for (slot, key) in out
        .iter_mut()
        .zip(["position_y", "position_x", "position_z"])
    {
        if params.0.contains_key(key) {
            let v = params.number(key, 0.0)?;
            if !(v.is_finite() && (0.0..1.0).contains(&v)) {
                return Err(invalid(perturbation, key, v, "a fraction in [0, 1)"));
            }
            *slot = Some(v);
        }
    }
    Ok(out)
}

/// `count` positions like `torch.rand(count, 3)` (three uniforms per spike,
/// in `(y, x, z)` order), fixed components overriding the draws.
fn draw_positions(rng: &mut SeededRng, count: usize, fixed: [Option<f64>; 3]) -> Vec<[f64; 3]> {
    (0..count)
        .map(|_| {
            let drawn = [rng.uniform(), rng.uniform(), rng.uniform()];
            std::array::from_fn(|a| fixed[a].unwrap_or(drawn[a]))
        })
        .collect()
}

/// MR spike (herringbone) artefact, swept by the intensity ratio `r`
/// (TorchIO `Spike`/`RandomSpike` `intensity`: the spike's magnitude over
/// the spectrum maximum); the formula and its differences from TorchIO are
/// those of the kernel [`spike`].
///
/// Options: `count` (number of spikes, integer `0..=64`, default 1;
/// TorchIO `num_spikes`), `position_y` / `position_x` / `position_z`
/// (fractions in `[0, 1)`, TorchIO `spikes_positions`; only with
/// `count: 1`). Positions not given are drawn from the rng like TorchIO's
/// `torch.rand(count, 3)`: three uniforms per spike in `(y, x, z)` order (the
/// `z` draw is taken, and has no effect, for a 2D image). Identity: 0 (or
/// `count: 0`); no numbers are drawn then. Any finite `r` is accepted
/// (negative subtracts the spike, as TorchIO's symmetric range allows).
///
/// Severity scale ([`SpikeSeverity`], options `position_*` only): one spike
/// of ratio 0.25, 0.5, 1, 2, 4 for levels 1..=5. TorchIO's `RandomSpike`
/// default range `(1, 3)` spans levels 3–4½; each level doubles `r` because
/// the mean |change| is `r·max|S|/N` times the mean |cos| of the drawn
/// frequency, which lies in `[½, 1]` on a grid, so a factor 2 keeps the
/// levels ordered whatever frequencies the rng draws.
#[derive(Clone, Debug)]
pub struct Spike {
    /// Number of spikes.
    pub count: usize,
    /// Fixed position components `(y, x, z)`, drawn when `None`.
    pub position: [Option<f64>; 3],
}

impl Spike {
    /// Registered name.
    pub const NAME: &'static str = "spike";
    /// Binds options (`count`, `position_y`, `position_x`, `position_z`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(
            Self::NAME,
            &["count", "position_y", "position_x", "position_z"],
        )?;
        let count = integer_option(params, Self::NAME, "count", 1, 0, 64)?;
        let position = position_options(params, Self::NAME)?;
        if count != 1 && position.iter().any(Option::is_some) {
            return Err(invalid(
                Self::NAME,
                "count",
                count as f64,
                "1 when a position_* option is given",
            ));
        }
        Ok(Spike { count, position })
    }
    fn entry() -> PerturbationEntry {
        PerturbationEntry {
            name: Self::NAME,
            summary: "MR spike: a k-space component of r * max|spectrum| added at random (or given) positions (TorchIO Spike)",
            parameter: ParameterInfo {
                name: "intensity",
                unit: "ratio to spectrum max",
                identity: Some(0.0),
            },
            build: |p| Ok(Box::new(Spike::from_params(p)?)),
            severity: Some(SeverityScale {
                levels: [
                    "1 spike, intensity 0.25",
                    "1 spike, intensity 0.5",
                    "1 spike, intensity 1",
                    "1 spike, intensity 2",
                    "1 spike, intensity 4",
                ],
                build: |p| Ok(Box::new(SpikeSeverity::from_params(p)?)),
            }),
        }
    }
}

impl Perturbation for Spike {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let r = finite(Self::NAME, "intensity", value)?;
        if r == 0.0 || self.count == 0 {
            return Ok(unchanged(image, mask));
        }
        let positions = draw_positions(rng, self.count, self.position);
        Ok((spike(image, &positions, r)?, mask.cloned()))
    }
}

/// [`Spike`] bound to its severity scale: the swept value is the level
/// 0..=5 (table on [`Spike`]); options `position_*`.
#[derive(Clone, Debug)]
pub struct SpikeSeverity {
    /// Fixed position components `(y, x, z)`, drawn when `None`.
    pub position: [Option<f64>; 3],
}

impl SpikeSeverity {
    /// Binds options (`position_y`, `position_x`, `position_z`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Spike::NAME, &["position_y", "position_x", "position_z"])?;
        Ok(SpikeSeverity {
            position: position_options(params, Spike::NAME)?,
        })
    }
}

impl Perturbation for SpikeSeverity {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let level = severity_level(Spike::NAME, value)?;
        if level == 0 {
            return Ok(unchanged(image, mask));
        }
        let positions = draw_positions(rng, 1, self.position);
        Ok((
            spike(image, &positions, SPIKE_LEVELS[level - 1])?,
            mask.cloned(),
        ))
    }
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
/// Severity scale ([`GhostingSeverity`], options `axis`, `restore`):
/// count 4 and intensity 0.2, 0.4, 0.6, 0.8, 1.0 for levels 1..=5 (TorchIO's
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
        Ok(Ghosting {
            count: integer_option(params, Self::NAME, "count", 4, 0, 1024)?,
            axis: Axis::from_params(params, Self::NAME, Axis::Y)?,
            restore: number_option(params, Self::NAME, "restore", 0.02, 0.0, 1.0)?,
        })
    }
    fn entry() -> PerturbationEntry {
        PerturbationEntry {
            name: Self::NAME,
            summary: "MR ghosting: every count-th k-space plane along axis scaled by 1 - intensity (TorchIO Ghosting)",
            parameter: ParameterInfo {
                name: "intensity",
                unit: "",
                identity: Some(0.0),
            },
            build: |p| Ok(Box::new(Ghosting::from_params(p)?)),
            severity: Some(SeverityScale {
                levels: [
                    "count 4, intensity 0.2",
                    "count 4, intensity 0.4",
                    "count 4, intensity 0.6",
                    "count 4, intensity 0.8",
                    "count 4, intensity 1.0",
                ],
                build: |p| Ok(Box::new(GhostingSeverity::from_params(p)?)),
            }),
        }
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

/// [`Ghosting`] bound to its severity scale: the swept value is the level
/// 0..=5 (table on [`Ghosting`]); options `axis`, `restore`.
#[derive(Clone, Debug)]
pub struct GhostingSeverity {
    /// The k-space axis of the planes.
    pub axis: Axis,
    /// Fraction of the planes around the k-space centre restored.
    pub restore: f64,
}

impl GhostingSeverity {
    /// Binds options (`axis`, `restore`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Ghosting::NAME, &["axis", "restore"])?;
        Ok(GhostingSeverity {
            axis: Axis::from_params(params, Ghosting::NAME, Axis::Y)?,
            restore: number_option(params, Ghosting::NAME, "restore", 0.02, 0.0, 1.0)?,
        })
    }
}

impl Perturbation for GhostingSeverity {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let level = severity_level(Ghosting::NAME, value)?;
        if level == 0 {
            return Ok(unchanged(image, mask));
        }
        let out = ghosting(
            image,
            GHOSTING_LEVEL_COUNT,
            self.axis,
            GHOSTING_LEVELS[level - 1],
            self.restore,
        )?;
        Ok((out, mask.cloned()))
    }
}

/// Draws `count` moves like TorchIO's `RandomMotion.get_params`: all angles
/// (`count × 3`, row-major), then all shifts, then the time jitter; times
/// `t_i = (i + 1)/(count + 1) + U(−0.3, 0.3)/(count + 1)`. Each angle /
/// shift component is `U(−hi, hi)` when `lo` is `None`, else `±U(lo, hi)`
/// with a random sign (the sign drawn after the magnitude).
fn draw_moves(
    rng: &mut SeededRng,
    count: usize,
    degrees: (Option<f64>, f64),
    shift: (Option<f64>, f64),
) -> Vec<RigidMove> {
    let component = |rng: &mut SeededRng, (lo, hi): (Option<f64>, f64)| match lo {
        None => rng.range(-hi, hi),
        Some(lo) => {
            let m = rng.range(lo, hi);
            if rng.uniform() < 0.5 { -m } else { m }
        }
    };
    let angles: Vec<[f64; 3]> = (0..count)
        .map(|_| std::array::from_fn(|_| component(rng, degrees)))
        .collect();
    let shifts: Vec<[f64; 3]> = (0..count)
        .map(|_| std::array::from_fn(|_| component(rng, shift)))
        .collect();
    let step = 1.0 / (count + 1) as f64;
    angles
        .into_iter()
        .zip(shifts)
        .enumerate()
        .map(|(i, (degrees, translation))| RigidMove {
            degrees,
            translation,
            time: (i + 1) as f64 * step + rng.range(-0.3 * step, 0.3 * step),
        })
        .collect()
}

/// MR rigid-motion artefact, swept by `degrees` (the largest |rotation| of a
/// movement): TorchIO `RandomMotion(degrees, translation, num_transforms)`
/// with the kernel [`motion`] (formula, rotation centre, 2D segment axis and
/// other differences from TorchIO documented there).
///
/// Draws, from the rng, `movements` moves like TorchIO: each angle
/// `U(−degrees, degrees)`, each shift `U(−translation, translation)` mm, times
/// `i/(movements+1)` jittered by `±0.3/(movements+1)` (see TorchIO
/// `get_params`; for a 2D image the out-of-plane components are drawn and
/// then zeroed, as TorchIO does). Options: `translation` (mm, ≥ 0, default
/// 0), `movements` (integer `1..=16`, default 2; TorchIO `num_transforms`).
/// Identity: 0 degrees, whatever `translation` (a motion sweep sweeps the
/// rotation; the shifts ride along with every non-zero point). No numbers
/// are drawn at the identity.
///
/// Severity scale ([`MotionSeverity`], no options): 2 movements, every
/// angle component `±U(lo, hi)` degrees and every shift component
/// `±U(lo, hi)` mm (random sign, drawn from the rng), at the fixed times
/// `0.5 ∓ w/2`, so the unmoved image fills the central band of width `w`
/// of k-space along the segment axis:
///
/// | level | `[lo, hi]` (deg and mm) | `w` |
/// |---|---|---|
/// | 1 | [0, 2] | 0.8 |
/// | 2 | [2, 4] | 0.5 |
/// | 3 | [4, 6] | 0.3 |
/// | 4 | [6, 8] | 0.15 |
/// | 5 | [8, 10] | 0.05 |
///
/// Level 5 reaches TorchIO's `RandomMotion` defaults (degrees 10,
/// translation 10, 2 transforms). Why the band: the moved copies only
/// supply the k-space outside the central band, and there (periods of a few
/// voxels) a shift of a voxel or two already wraps the phase, so with
/// TorchIO's times (about 1/3 and 2/3) the change does not grow with the
/// move size (measured on a smooth phantom: level 5 could be weaker than
/// level 1). Narrowing the band as the moves grow makes the levels ordered
/// draw by draw (tested on 16 seeds per level, 2D and 3D).
#[derive(Clone, Debug)]
pub struct Motion {
    /// Largest |shift| per axis, mm.
    pub translation: f64,
    /// Number of movements.
    pub movements: usize,
}

impl Motion {
    /// Registered name.
    pub const NAME: &'static str = "motion";
    /// Binds options (`translation`, `movements`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["translation", "movements"])?;
        Ok(Motion {
            translation: number_option(params, Self::NAME, "translation", 0.0, 0.0, 1e6)?,
            movements: integer_option(params, Self::NAME, "movements", 2, 1, 16)?,
        })
    }
    fn entry() -> PerturbationEntry {
        PerturbationEntry {
            name: Self::NAME,
            summary: "MR motion: k-space segments from rigidly moved copies (TorchIO Motion, rotation about the image centre)",
            parameter: ParameterInfo {
                name: "degrees",
                unit: "deg",
                identity: Some(0.0),
            },
            build: |p| Ok(Box::new(Motion::from_params(p)?)),
            severity: Some(SeverityScale {
                levels: [
                    "2 moves, |angles| 0-2 deg, |shifts| 0-2 mm, unmoved k-space band 0.8",
                    "2 moves, |angles| 2-4 deg, |shifts| 2-4 mm, unmoved k-space band 0.5",
                    "2 moves, |angles| 4-6 deg, |shifts| 4-6 mm, unmoved k-space band 0.3",
                    "2 moves, |angles| 6-8 deg, |shifts| 6-8 mm, unmoved k-space band 0.15",
                    "2 moves, |angles| 8-10 deg, |shifts| 8-10 mm, unmoved k-space band 0.05",
                ],
                build: |p| Ok(Box::new(MotionSeverity::from_params(p)?)),
            }),
        }
    }
}

impl Perturbation for Motion {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(degrees) = magnitude(Self::NAME, "degrees", value, "an angle >= 0")? else {
            return Ok(unchanged(image, mask));
        };
        let moves = draw_moves(
            rng,
            self.movements,
            (None, degrees),
            (None, self.translation),
        );
        Ok((motion(image, &moves)?, mask.cloned()))
    }
}

/// [`Motion`] bound to its severity scale: the swept value is the level
/// 0..=5 (table on [`Motion`]); no options.
#[derive(Clone, Debug, Default)]
pub struct MotionSeverity;

impl MotionSeverity {
    /// Binds options (none).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Motion::NAME, &[])?;
        Ok(MotionSeverity)
    }
}

impl Perturbation for MotionSeverity {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let level = severity_level(Motion::NAME, value)?;
        if level == 0 {
            return Ok(unchanged(image, mask));
        }
        let (lo, hi) = MOTION_LEVELS[level - 1];
        let mut moves = draw_moves(rng, MOTION_LEVEL_MOVES, (Some(lo), hi), (Some(lo), hi));
        let w = MOTION_LEVEL_BAND[level - 1];
        moves[0].time = 0.5 - w / 2.0;
        moves[1].time = 0.5 + w / 2.0;
        Ok((motion(image, &moves)?, mask.cloned()))
    }
}

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![Spike::entry(), Ghosting::entry(), Motion::entry()]
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
