//! FFT helpers of the k-space artefacts (private).
//!
//! Conventions: arrays are row-major `(z, y, x)` with `dims = [d, h, w]`;
//! the forward DFT is unnormalised (`X[k] = Σ x[r]·e^{−2πi k r / n}`) and the
//! inverse carries `1/n`, as in numpy / torch. The transforms run in `f32`
//! (`complex64`, like TorchIO); with `n ≤ 2^16` their rounding error stays
//! below ~1e-6 of the line's magnitude, far inside the 1e-4 × range
//! tolerance of the TorchIO fixtures.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use super::parallel::{MIN_PARALLEL_LEN, collect_chunks, for_each_chunk, map_items};

/// Columns per tile when the filtered axis is not the contiguous one.
const TILE: usize = 32;

type C32 = Complex<f32>;

/// Cached forward and inverse `f32` plans of length `n` (one planner shared
/// by all calls, so repeated calls do not re-plan).
fn plans(n: usize) -> (Arc<dyn Fft<f32>>, Arc<dyn Fft<f32>>) {
    static PLANNER: OnceLock<Mutex<FftPlanner<f32>>> = OnceLock::new();
    let mut planner = PLANNER
        .get_or_init(|| Mutex::new(FftPlanner::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    (planner.plan_fft_forward(n), planner.plan_fft_inverse(n))
}

/// The unshifted frequency index of position `m` of an `fftshift`ed axis of
/// length `n` (`fftshift` moves frequency `(m − n/2) mod n` to position `m`).
pub(super) fn unshift(m: usize, n: usize) -> usize {
    (m + n - n / 2) % n
}

/// `e^{sign·2πi k v / n}` for `v < n`, with the phase reduced exactly.
pub(super) fn phasors(n: usize, k: usize, sign: f64) -> Vec<Complex<f64>> {
    (0..n)
        .map(|v| {
            let phase = ((k * v) % n) as f64 / n as f64;
            Complex::from_polar(1.0, sign * std::f64::consts::TAU * phase)
        })
        .collect()
}

/// A mask given on `fftshift`ed positions, reordered to unshifted
/// frequencies and symmetrised: `w[k] = (M[k] + M[−k]) / 2`.
///
/// For a real line `x` and a real mask `M`, `Re(ifft(M·fft(x))) =
/// ifft(w·fft(x))` exactly (`fft(x)` is Hermitian), and the right-hand side is
/// real, which lets [`filter_along_axis`] pack two real lines into one
/// complex FFT.
pub(super) fn symmetrised(shifted_mask: &[f64]) -> Vec<f64> {
    let n = shifted_mask.len();
    let mut m = vec![0.0; n];
    for (pos, &v) in shifted_mask.iter().enumerate() {
        m[unshift(pos, n)] = v;
    }
    (0..n).map(|k| 0.5 * (m[k] + m[(n - k) % n])).collect()
}

/// The lines along one axis of a `(z, y, x)` array, viewed as
/// `(outer, n, inner)`: element `t` of line `(o, i)` is at
/// `o·n·inner + t·inner + i`.
#[derive(Clone, Copy)]
pub(super) struct Lines {
    /// Length of the axis.
    pub n: usize,
    /// Product of the sizes after the axis (the stride of `t`).
    pub inner: usize,
    /// Product of the sizes before the axis.
    pub outer: usize,
}

impl Lines {
    pub(super) fn new(dims: [usize; 3], axis: usize) -> Self {
        Lines {
            n: dims[axis],
            inner: dims[axis + 1..].iter().product(),
            outer: dims[..axis].iter().product(),
        }
    }
}

/// Per-job buffers of [`filter_along_axis`].
struct Work {
    buf: Vec<C32>,
    acc: Vec<C32>,
    scratch: Vec<C32>,
}

/// A batch of `count` real lines: element `t` of line `j` is at
/// `base + j·js + t·ts` in the input and at `j·ojs + t·ots` in the output.
#[derive(Clone, Copy)]
struct Batch {
    count: usize,
    base: usize,
    js: usize,
    ts: usize,
    ojs: usize,
    ots: usize,
}

/// The filter of [`filter_along_axis`] for one axis.
struct Filter<'a> {
    n: usize,
    terms: Vec<(&'a [f32], Vec<f32>)>,
    forward: Arc<dyn Fft<f32>>,
    inverse: Arc<dyn Fft<f32>>,
}

impl Filter<'_> {
    fn work(&self, lines: usize) -> Work {
        let zero = Complex::new(0.0, 0.0);
        let len = lines.div_ceil(2) * self.n;
        let scratch = self
            .forward
            .get_inplace_scratch_len()
            .max(self.inverse.get_inplace_scratch_len());
        Work {
            buf: vec![zero; len],
            acc: vec![zero; len],
            scratch: vec![zero; scratch],
        }
    }

    /// Filters one batch into `dst`: two real lines per complex FFT
    /// (`x_a + i·x_b`; the weights are real and even, so the results are the
    /// real and imaginary parts).
    fn run(&self, w: &mut Work, b: Batch, dst: &mut [f32]) {
        let n = self.n;
        let pairs = b.count.div_ceil(2);
        let odd = b.count % 2 == 1;
        let len = pairs * n;
        let (buf, acc) = (&mut w.buf[..len], &mut w.acc[..len]);
        for (s, (data, weights)) in self.terms.iter().enumerate() {
            if b.ts == 1 {
                for (p, line) in buf.chunks_exact_mut(n).enumerate() {
                    let a = &data[b.base + 2 * p * b.js..][..n];
                    if odd && p + 1 == pairs {
                        for (d, &re) in line.iter_mut().zip(a) {
                            *d = Complex::new(re, 0.0);
                        }
                    } else {
                        let c = &data[b.base + (2 * p + 1) * b.js..][..n];
                        for ((d, &re), &im) in line.iter_mut().zip(a).zip(c) {
                            *d = Complex::new(re, im);
                        }
                    }
                }
            } else {
                for t in 0..n {
                    let row = b.base + t * b.ts;
                    for p in 0..pairs {
                        let re = data[row + 2 * p * b.js];
                        let im = if odd && p + 1 == pairs {
                            0.0
                        } else {
                            data[row + (2 * p + 1) * b.js]
                        };
                        buf[p * n + t] = Complex::new(re, im);
                    }
                }
            }
            self.forward.process_with_scratch(buf, &mut w.scratch);
            for (line_acc, line_buf) in acc.chunks_exact_mut(n).zip(buf.chunks_exact(n)) {
                let it = line_acc.iter_mut().zip(line_buf).zip(weights);
                if s == 0 {
                    it.for_each(|((a, v), &wt)| *a = v * wt);
                } else {
                    it.for_each(|((a, v), &wt)| *a += v * wt);
                }
            }
        }
        self.inverse.process_with_scratch(acc, &mut w.scratch);
        let scale = 1.0 / n as f32;
        if b.ots == 1 {
            for (p, line) in acc.chunks_exact(n).enumerate() {
                let ra = &mut dst[2 * p * b.ojs..][..n];
                for (d, v) in ra.iter_mut().zip(line) {
                    *d = v.re * scale;
                }
                if !(odd && p + 1 == pairs) {
                    let rb = &mut dst[(2 * p + 1) * b.ojs..][..n];
                    for (d, v) in rb.iter_mut().zip(line) {
                        *d = v.im * scale;
                    }
                }
            }
        } else {
            for t in 0..n {
                let row = t * b.ots;
                for p in 0..pairs {
                    let v = acc[p * n + t];
                    dst[row + 2 * p * b.ojs] = v.re * scale;
                    if !(odd && p + 1 == pairs) {
                        dst[row + (2 * p + 1) * b.ojs] = v.im * scale;
                    }
                }
            }
        }
    }
}

/// `out = b + Σ_s ifft_axis(w_s · fft_axis(x_s))` along `axis` (0 = z, 1 = y,
/// 2 = x) for real images `x_s` and real symmetric weights `w_s` (unshifted
/// frequency order, length `dims[axis]`, see [`symmetrised`]), plus the
/// optional real image `b = base` (0 when `None`); the result is real.
/// Two real lines share one complex FFT (`x_a + i·x_b`). Computed
/// in `f32`.
///
/// Work split: along the contiguous axis, batches of whole lines written in
/// place; along another axis, tiles of [`TILE`] adjacent lines (contiguous
/// runs of `TILE` values per row on input and output), each job with its
/// own reused buffers.
pub(super) fn filter_along_axis(
    dims: [usize; 3],
    axis: usize,
    terms: &[(&[f32], &[f64])],
    base: Option<&[f32]>,
) -> Vec<f32> {
    let lines = Lines::new(dims, axis);
    let Lines { n, inner, outer } = lines;
    let (forward, inverse) = plans(n);
    let filter = Filter {
        n,
        terms: terms
            .iter()
            .map(|(d, w)| (*d, w.iter().map(|&v| v as f32).collect()))
            .collect(),
        forward,
        inverse,
    };
    let total = outer * n * inner;
    if inner == 1 {
        let mut out = vec![0.0f32; total];
        // Lines per job: an even number, about 16k values.
        let per = ((1 << 14) / n).clamp(2, 256) & !1;
        let job = |w: &mut Work, (c, chunk): (usize, &mut [f32])| {
            let batch = Batch {
                count: chunk.len() / n,
                base: c * per * n,
                js: n,
                ts: 1,
                ojs: n,
                ots: 1,
            };
            filter.run(w, batch, chunk);
            if let Some(b) = base {
                for (d, v) in chunk.iter_mut().zip(&b[c * per * n..]) {
                    *d += v;
                }
            }
        };
        if total < MIN_PARALLEL_LEN {
            let mut w = filter.work(per);
            out.chunks_mut(per * n)
                .enumerate()
                .for_each(|c| job(&mut w, c));
        } else {
            out.par_chunks_mut(per * n)
                .enumerate()
                .for_each_init(|| filter.work(per), job);
        }
        return out;
    }
    // Tiles (o, i0, width); each result is laid out (t, j).
    let per_slab = inner.div_ceil(TILE);
    let tiles: Vec<(usize, usize)> = (0..outer)
        .flat_map(|o| (0..per_slab).map(move |k| (o, k * TILE)))
        .collect();
    let results = map_items(
        &tiles,
        total,
        || filter.work(TILE),
        |w, &(o, i0)| {
            let width = TILE.min(inner - i0);
            let mut dst = vec![0.0f32; width * n];
            let batch = Batch {
                count: width,
                base: o * n * inner + i0,
                js: 1,
                ts: inner,
                ojs: 1,
                ots: width,
            };
            filter.run(w, batch, &mut dst);
            dst
        },
    );
    collect_chunks(total, inner, |row, dst| {
        let (o, t) = (row / n, row % n);
        for (k, tile) in results[o * per_slab..(o + 1) * per_slab].iter().enumerate() {
            let i0 = k * TILE;
            let width = TILE.min(inner - i0);
            let part = &mut dst[i0..i0 + width];
            part.copy_from_slice(&tile[t * width..(t + 1) * width]);
            if let Some(b) = base {
                for (d, v) in part.iter_mut().zip(&b[row * inner + i0..]) {
                    *d += v;
                }
            }
        }
    })
}

/// The full 3D DFT of a real `(z, y, x)` array in `f32` (like TorchIO's
/// `complex64`; only used for the spectrum maximum), unshifted, in `(kz, ky, kx)`
/// row-major order (see [`spectrum_index`]). One FFT pass per axis of length
/// > 1 (the last axis), each followed by an axis rotation.
pub(super) fn full_spectrum(data: &[f32], dims: [usize; 3]) -> Vec<Complex<f32>> {
    let mut buf: Vec<Complex<f32>> = data.iter().map(|&v| Complex::new(v, 0.0)).collect();
    let mut shape = dims;
    for _ in 0..3 {
        // FFT along the last axis, then rotate the axes (d0, d1, d2) -> (d1, d2, d0).
        let n = shape[2];
        if n > 1 {
            let (fft, _) = plans(n);
            let rows = ((1 << 14) / n).max(1) * n;
            for_each_chunk(&mut buf, rows, |_, c| {
                let mut scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
                fft.process_with_scratch(c, &mut scratch);
            });
        }
        buf = rotate_axes(&buf, shape);
        shape = [shape[1], shape[2], shape[0]];
    }
    // Three rotations bring the layout back to (z, y, x).
    buf
}

/// Index in the array returned by [`full_spectrum`] of frequency `(kz, ky, kx)`.
pub(super) fn spectrum_index(dims: [usize; 3], k: [usize; 3]) -> usize {
    (k[0] * dims[1] + k[1]) * dims[2] + k[2]
}

/// `out[i1][i2][i0] = in[i0][i1][i2]` for an array of shape `dims`.
fn rotate_axes(src: &[Complex<f32>], dims: [usize; 3]) -> Vec<Complex<f32>> {
    let [d0, d1, d2] = dims;
    if d0 == 1 {
        return src.to_vec();
    }
    let mut out = vec![Complex::new(0.0, 0.0); src.len()];
    for_each_chunk(&mut out, d0, |row, dst| {
        let (i1, i2) = (row / d2, row % d2);
        for (i0, v) in dst.iter_mut().enumerate() {
            *v = src[(i0 * d1 + i1) * d2 + i2];
        }
    });
    out
}
