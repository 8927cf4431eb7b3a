//! FFT helpers of the k-space artefacts (private).
//!
//! Conventions: arrays are row-major `(z, y, x)` with `dims = [d, h, w]`;
//! the forward DFT is unnormalised (`X[k] = Σ x[r]·e^{−2πi k r / n}`) and the
//! inverse carries `1/n`, as in numpy / torch. All transforms run in `f64`.

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Jobs smaller than this many values run on the calling thread.
const MIN_PARALLEL_LEN: usize = 1 << 15;

/// Calls `f(k, chunk_k)` for every `len`-long chunk of `out`, in parallel
/// when `out` is large enough to pay for the hand-over to rayon.
pub(super) fn for_each_chunk<T, F>(out: &mut [T], len: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync + Send,
{
    let len = len.max(1);
    if out.len() < MIN_PARALLEL_LEN {
        out.chunks_mut(len).enumerate().for_each(|(k, c)| f(k, c));
    } else {
        out.par_chunks_mut(len)
            .enumerate()
            .for_each(|(k, c)| f(k, c));
    }
}

/// The unshifted frequency index of position `m` of an `fftshift`ed axis of
/// length `n` (`fftshift` moves frequency `(m − n/2) mod n` to position `m`).
pub(super) fn unshift(m: usize, n: usize) -> usize {
    (m + n - n / 2) % n
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

/// Geometry of the lines along one axis of a `(z, y, x)` array: line
/// `l = o·inner + j` holds elements `o·n·inner + t·inner + j`, `t < n`.
#[derive(Clone, Copy)]
struct Lines {
    n: usize,
    inner: usize,
    count: usize,
}

impl Lines {
    fn new(dims: [usize; 3], axis: usize) -> Self {
        let n = dims[axis];
        let inner: usize = dims[axis + 1..].iter().product();
        let outer: usize = dims[..axis].iter().product();
        Lines {
            n,
            inner,
            count: outer * inner,
        }
    }
    #[inline]
    fn start(&self, line: usize) -> usize {
        (line / self.inner) * self.n * self.inner + line % self.inner
    }
}

/// `out = Σ_s ifft_axis(w_s · fft_axis(x_s))` along `axis` (0 = z, 1 = y,
/// 2 = x) for real images `x_s` and real symmetric weights `w_s` (unshifted
/// frequency order, length `dims[axis]`, see [`symmetrised`]); the result
/// is real. Two real lines share one complex FFT (`x_a + i·x_b`). Computed
/// in `f64`, rounded to `f32`.
pub(super) fn filter_along_axis(
    dims: [usize; 3],
    axis: usize,
    terms: &[(&[f32], &[f64])],
) -> Vec<f32> {
    let lines = Lines::new(dims, axis);
    let n = lines.n;
    let mut planner = FftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let inverse = planner.plan_fft_inverse(n);
    // Lines per work item: an even number, about 16k values.
    let per_chunk = ((1 << 14) / n).clamp(2, 256) & !1;
    let mut line_major = vec![0.0f32; lines.count * n];
    for_each_chunk(&mut line_major, per_chunk * n, |c, chunk| {
        filter_chunk(&lines, c * per_chunk, chunk, terms, &forward, &inverse);
    });
    if lines.inner == 1 {
        return line_major;
    }
    // Back to array order: row `(o, t)` of length `inner` gathers element `t`
    // of lines `o·inner .. (o+1)·inner`.
    let mut out = vec![0.0f32; line_major.len()];
    let inner = lines.inner;
    for_each_chunk(&mut out, inner, |row, dst| {
        let (o, t) = (row / n, row % n);
        let base = o * inner * n + t;
        for (j, v) in dst.iter_mut().enumerate() {
            *v = line_major[base + j * n];
        }
    });
    out
}

fn filter_chunk(
    lines: &Lines,
    first: usize,
    chunk: &mut [f32],
    terms: &[(&[f32], &[f64])],
    forward: &Arc<dyn Fft<f64>>,
    inverse: &Arc<dyn Fft<f64>>,
) {
    let n = lines.n;
    let count = chunk.len() / n;
    let pairs = count.div_ceil(2);
    let zero = Complex::new(0.0, 0.0);
    let mut buf = vec![zero; pairs * n];
    let mut acc = vec![zero; pairs * n];
    let scratch_len = forward
        .get_inplace_scratch_len()
        .max(inverse.get_inplace_scratch_len());
    let mut scratch = vec![zero; scratch_len];
    for (s, (data, weights)) in terms.iter().enumerate() {
        for p in 0..pairs {
            let a = lines.start(first + 2 * p);
            let b = (2 * p + 1 < count).then(|| lines.start(first + 2 * p + 1));
            let dst = &mut buf[p * n..(p + 1) * n];
            for (t, d) in dst.iter_mut().enumerate() {
                let re = f64::from(data[a + t * lines.inner]);
                let im = b.map_or(0.0, |b| f64::from(data[b + t * lines.inner]));
                *d = Complex::new(re, im);
            }
        }
        forward.process_with_scratch(&mut buf, &mut scratch);
        for (line_acc, line_buf) in acc.chunks_exact_mut(n).zip(buf.chunks_exact(n)) {
            for ((a, b), w) in line_acc.iter_mut().zip(line_buf).zip(weights.iter()) {
                if s == 0 {
                    *a = b * *w;
                } else {
                    *a += b * *w;
                }
            }
        }
    }
    inverse.process_with_scratch(&mut acc, &mut scratch);
    let scale = 1.0 / n as f64;
    for p in 0..pairs {
        let src = &acc[p * n..(p + 1) * n];
        for (t, v) in src.iter().enumerate() {
            chunk[2 * p * n + t] = (v.re * scale) as f32;
        }
        if 2 * p + 1 < count {
            for (t, v) in src.iter().enumerate() {
                chunk[(2 * p + 1) * n + t] = (v.im * scale) as f32;
            }
        }
    }
}

/// The full 3D DFT of a real `(z, y, x)` array in `f32` (like TorchIO's
/// `complex64`; only used for the spectrum maximum), unshifted, in `(kz, ky, kx)`
/// row-major order (see [`spectrum_index`]). One FFT pass per axis of length
/// > 1 (the last axis), each followed by an axis rotation.
pub(super) fn full_spectrum(data: &[f32], dims: [usize; 3]) -> Vec<Complex<f32>> {
    let mut planner = FftPlanner::<f32>::new();
    let mut buf: Vec<Complex<f32>> = data.iter().map(|&v| Complex::new(v, 0.0)).collect();
    let mut shape = dims;
    for _ in 0..3 {
        // FFT along the last axis, then rotate the axes (d0, d1, d2) -> (d1, d2, d0).
        let n = shape[2];
        if n > 1 {
            let fft = planner.plan_fft_forward(n);
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
