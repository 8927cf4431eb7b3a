//! The spike (herringbone) artefact: the kernel [`spike`] and the
//! registered [`Spike`], after TorchIO 1.2.1 `Spike` / `RandomSpike`.

use rustfft::num_complex::Complex;
use sensibench_core::{Image, LabelMap, Params, Perturbation, Result, SEVERITY_LEVELS, SeededRng};

use crate::mr::fft::{self, phasors};
use crate::mr::options::integer_option;
use crate::mr::parallel::{for_each_chunk, sum_min};
use crate::mr::severity::{Severity, SeverityLevels};
use crate::options::{finite, invalid, unchanged};

/// Sizes in TorchIO order `(y, x, z)`.
fn torchio_dims(image: &Image) -> [usize; 3] {
    let [d, h, w] = image.grid().dims();
    [h, w, d]
}

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
    let (sum, min) = sum_min(data);
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
    for_each_chunk(&mut out, rows * w, |c, chunk| {
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
/// Severity scale ([`Severity<Spike>`](Severity), options `position_*` only):
/// one spike of ratio 0.25, 0.5, 1, 2, 4 for levels 1..=5. TorchIO's `RandomSpike`
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

impl SeverityLevels for Spike {
    type Level = f64;
    const NAME: &'static str = Spike::NAME;
    /// One spike (count 1) of intensity ratio `r`.
    const SCALE: [(&'static str, f64); SEVERITY_LEVELS] = [
        ("1 spike, intensity 0.25", 0.25),
        ("1 spike, intensity 0.5", 0.5),
        ("1 spike, intensity 1", 1.0),
        ("1 spike, intensity 2", 2.0),
        ("1 spike, intensity 4", 4.0),
    ];
    /// Options `position_y`, `position_x`, `position_z`; one spike.
    fn bind_severity(params: &Params) -> Result<Self> {
        params.check_known(Spike::NAME, &["position_y", "position_x", "position_z"])?;
        Ok(Spike {
            count: 1,
            position: position_options(params, Spike::NAME)?,
        })
    }
}

/// [`Spike`] bound to its severity scale (the swept value is the level
/// 0..=5); options `position_*`.
pub type SpikeSeverity = Severity<Spike>;
