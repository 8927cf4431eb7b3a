//! The interpolation and filtering kernels every perturbation shares.
//!
//! Two building blocks cover everything:
//!
//! - [`LineOperator`]: a sparse linear map from a line of `n_in` samples to a
//!   line of `n_out` samples (`out[j] = Σ w · in[i]`). Separable operations
//!   (Gaussian blur, area averaging, bilinear resizing) are one operator per
//!   axis, applied with [`apply_along_axis`].
//! - [`Affine2d`]: an in-plane affine map from output `(y, x)` indices to input
//!   indices, sampled with [`warp_linear`] (bilinear) or [`warp_nearest`]
//!   under scipy.ndimage's `mode='constant'` rule: a source coordinate outside
//!   `[0, n-1]` on either axis takes the fill value, no interpolation towards
//!   the fill value happens inside.
//!
//! Arrays are row-major `(z, y, x)` as in [`sensibench_core::Grid`].

use rayon::prelude::*;

/// Work items smaller than this are not split further across threads.
const MIN_PARALLEL_LEN: usize = 1 << 15;

/// Calls `f(k, chunk_k)` for every `len`-long chunk of `out`: on this thread
/// when there are too few chunks to give each worker `min_chunks`, else in
/// parallel. (Handing a small job to the rayon pool costs a cross-thread
/// wake-up, which shows when a model's own threads are busy, as in the
/// runner's pre- and post-processing.)
fn for_each_chunk<T, F>(out: &mut [T], len: usize, min_chunks: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync + Send,
{
    let len = len.max(1);
    if out.len() <= len * min_chunks {
        out.chunks_mut(len).enumerate().for_each(|(k, c)| f(k, c));
    } else {
        out.par_chunks_mut(len)
            .enumerate()
            .with_min_len(min_chunks)
            .for_each(|(k, c)| f(k, c));
    }
}

/// A sparse linear map from `n_in` samples to `n_out` samples:
/// `out[j] = Σ_{t ∈ starts[j]..starts[j+1]} weights[t] · in[indices[t]]`.
#[derive(Clone, Debug)]
pub(crate) struct LineOperator {
    n_in: usize,
    n_out: usize,
    starts: Vec<usize>,
    indices: Vec<usize>,
    weights: Vec<f32>,
}

impl LineOperator {
    /// Builds an operator from `taps(j)`, the `(input index, weight)` pairs of output `j`.
    fn from_taps(
        n_in: usize,
        n_out: usize,
        mut taps: impl FnMut(usize, &mut Vec<(usize, f64)>),
    ) -> Self {
        let mut starts = Vec::with_capacity(n_out + 1);
        let mut indices = Vec::new();
        let mut weights = Vec::new();
        let mut buf = Vec::new();
        starts.push(0);
        for j in 0..n_out {
            buf.clear();
            taps(j, &mut buf);
            for &(i, w) in &buf {
                debug_assert!(i < n_in);
                if w != 0.0 {
                    indices.push(i);
                    weights.push(w as f32);
                }
            }
            starts.push(indices.len());
        }
        LineOperator {
            n_in,
            n_out,
            starts,
            indices,
            weights,
        }
    }

    /// Bilinear resizing with pixel centres aligned (half-pixel convention):
    /// output `j` samples input coordinate `u = (j + 0.5)·n_in/n_out − 0.5`,
    /// clamped to `[0, n_in − 1]` (edge samples repeat). This is
    /// `torch.nn.functional.interpolate(mode='linear', align_corners=False)`
    /// and `scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest')`.
    pub(crate) fn linear_resize(n_in: usize, n_out: usize) -> Self {
        let scale = n_in as f64 / n_out as f64;
        let last = (n_in - 1) as f64;
        Self::from_taps(n_in, n_out, |j, taps| {
            let u = ((j as f64 + 0.5) * scale - 0.5).clamp(0.0, last);
            let i0 = u.floor();
            let f = u - i0;
            let i0 = i0 as usize;
            let i1 = (i0 + 1).min(n_in - 1);
            taps.push((i0, 1.0 - f));
            taps.push((i1, f));
        })
    }

    /// Area averaging: output `j` is the mean of the input over the interval
    /// `[j·s, (j+1)·s)` with `s = n_in/n_out` (input pixel `i` covers `[i, i+1)`),
    /// each input pixel weighted by its overlap. For an integer factor this is
    /// the block mean.
    pub(crate) fn area_average(n_in: usize, n_out: usize) -> Self {
        let s = n_in as f64 / n_out as f64;
        Self::from_taps(n_in, n_out, |j, taps| {
            let lo = j as f64 * s;
            let hi = ((j + 1) as f64 * s).min(n_in as f64);
            let first = lo.floor() as usize;
            let last = (hi.ceil() as usize).min(n_in);
            for i in first..last {
                let overlap = (hi.min((i + 1) as f64) - lo.max(i as f64)).max(0.0);
                taps.push((i, overlap / s));
            }
        })
    }

    /// Gaussian smoothing of a line of `n` samples exactly as
    /// `scipy.ndimage.gaussian_filter1d(mode='reflect', truncate)`: radius
    /// `r = int(truncate·σ + 0.5)`, weights `exp(−k²/(2σ²))` for `k ∈ [−r, r]`
    /// normalised to sum 1, samples beyond the ends mirrored about the pixel
    /// edge (`d c b a | a b c d | d c b a`), repeatedly if `r ≥ n`.
    pub(crate) fn gaussian(n: usize, sigma_px: f64, truncate: f64) -> Self {
        let radius = (truncate * sigma_px + 0.5) as i64;
        let kernel: Vec<f64> = (-radius..=radius)
            .map(|k| (-0.5 / (sigma_px * sigma_px) * (k * k) as f64).exp())
            .collect();
        let total: f64 = kernel.iter().sum();
        Self::from_taps(n, n, |j, taps| {
            for (t, k) in (-radius..=radius).enumerate() {
                taps.push((reflect_index(j as i64 + k, n), kernel[t] / total));
            }
        })
    }

    #[inline]
    fn taps(&self, j: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let range = self.starts[j]..self.starts[j + 1];
        self.indices[range.clone()]
            .iter()
            .copied()
            .zip(self.weights[range].iter().copied())
    }
}

/// Index `i` mirrored into `0..n` with scipy's `'reflect'` rule (half-sample
/// symmetric: `-1 → 0`, `n → n-1`), period `2n`.
pub(crate) fn reflect_index(i: i64, n: usize) -> usize {
    let n = n as i64;
    let period = 2 * n;
    let m = i.rem_euclid(period);
    (if m < n { m } else { period - 1 - m }) as usize
}

/// Applies `op` along `axis` (0 = z, 1 = y, 2 = x) of a row-major array of
/// size `dims`; returns the new data and dims (`dims[axis]` becomes `op.n_out`).
pub(crate) fn apply_along_axis(
    data: &[f32],
    dims: [usize; 3],
    axis: usize,
    op: &LineOperator,
) -> (Vec<f32>, [usize; 3]) {
    debug_assert_eq!(dims[axis], op.n_in);
    let n_in = dims[axis];
    let n_out = op.n_out;
    let outer: usize = dims[..axis].iter().product();
    let inner: usize = dims[axis + 1..].iter().product();
    let mut out_dims = dims;
    out_dims[axis] = n_out;
    let mut out = vec![0.0f32; outer * n_out * inner];
    if inner == 1 {
        // Contiguous lines: gather per output sample.
        for_each_chunk(
            &mut out,
            n_out,
            MIN_PARALLEL_LEN / n_out.max(1) + 1,
            |k, dst| {
                let src = &data[k * n_in..(k + 1) * n_in];
                for (j, d) in dst.iter_mut().enumerate() {
                    *d = op.taps(j).map(|(i, w)| w * src[i]).sum();
                }
            },
        );
    } else {
        // Strided lines: each output row/plane is a weighted sum of input
        // rows/planes, which vectorises over the contiguous inner axis.
        for_each_chunk(&mut out, inner, MIN_PARALLEL_LEN / inner + 1, |k, dst| {
            let (o, j) = (k / n_out, k % n_out);
            let base = o * n_in * inner;
            for (i, w) in op.taps(j) {
                let src = &data[base + i * inner..base + (i + 1) * inner];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += w * s;
                }
            }
        });
    }
    (out, out_dims)
}

/// An in-plane affine map from output index `(oy, ox)` to input coordinate
/// `(y, x) = m · (oy, ox) + offset`, evaluated as scipy's
/// `affine_transform` does: `(m[r][0]·oy + m[r][1]·ox) + offset[r]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Affine2d {
    pub m: [[f64; 2]; 2],
    pub offset: [f64; 2],
}

impl Affine2d {
    #[inline]
    fn source(&self, oy: f64, ox: f64) -> (f64, f64) {
        (
            (self.m[0][0] * oy + self.m[0][1] * ox) + self.offset[0],
            (self.m[1][0] * oy + self.m[1][1] * ox) + self.offset[1],
        )
    }
}

/// Resamples every `(y, x)` plane of `data` (sizes `dims`) through `map`:
/// `sample(plane, y, x)` is called only for in-bounds coordinates
/// (`0 ≤ y ≤ h−1`, `0 ≤ x ≤ w−1`); other outputs take `fill`.
fn warp<T, S>(data: &[T], dims: [usize; 3], map: &Affine2d, fill: T, sample: S) -> Vec<T>
where
    T: Copy + Send + Sync + Default,
    S: Fn(&[T], f64, f64) -> T + Sync,
{
    let [_, h, w] = dims;
    let (hmax, wmax) = ((h - 1) as f64, (w - 1) as f64);
    let mut out = vec![T::default(); data.len()];
    for_each_chunk(&mut out, w, MIN_PARALLEL_LEN / w + 1, |row, dst| {
        let (z, oy) = (row / h, row % h);
        let plane = &data[z * h * w..(z + 1) * h * w];
        for (ox, d) in dst.iter_mut().enumerate() {
            let (y, x) = map.source(oy as f64, ox as f64);
            *d = if (0.0..=hmax).contains(&y) && (0.0..=wmax).contains(&x) {
                sample(plane, y, x)
            } else {
                fill
            };
        }
    });
    out
}

/// Bilinear resampling of every plane through `map` (scipy `order=1`,
/// `mode='constant'`, `cval=fill`).
pub(crate) fn warp_linear(data: &[f32], dims: [usize; 3], map: &Affine2d, fill: f32) -> Vec<f32> {
    let [_, h, w] = dims;
    warp(data, dims, map, fill, |plane, y, x| {
        // In bounds, so y, x ≥ 0 and truncation is floor (and much cheaper
        // than `f64::floor`, a libm call on baseline x86-64).
        let (y0, x0) = (y as usize, x as usize);
        let (fy, fx) = ((y - y0 as f64) as f32, (x - x0 as f64) as f32);
        let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
        let top = (1.0 - fx) * plane[y0 * w + x0] + fx * plane[y0 * w + x1];
        let bottom = (1.0 - fx) * plane[y1 * w + x0] + fx * plane[y1 * w + x1];
        (1.0 - fy) * top + fy * bottom
    })
}

/// Nearest-neighbour resampling of every plane through `map` (scipy
/// `order=0`, `mode='constant'`): index `floor(c + 0.5)`, ties round up.
pub(crate) fn warp_nearest(data: &[u8], dims: [usize; 3], map: &Affine2d, fill: u8) -> Vec<u8> {
    let [_, h, w] = dims;
    warp(data, dims, map, fill, |plane, y, x| {
        // y, x ≥ 0: truncation is floor.
        let yi = ((y + 0.5) as usize).min(h - 1);
        let xi = ((x + 0.5) as usize).min(w - 1);
        plane[yi * w + xi]
    })
}

/// Nearest-neighbour source indices for resizing `n_in` samples to `n_out`
/// with pixel centres aligned: `i = floor((j + 0.5)·n_in/n_out)`, clamped to
/// `n_in − 1` (`torch.nn.functional.interpolate(mode='nearest-exact')`).
pub(crate) fn nearest_resize_indices(n_in: usize, n_out: usize) -> Vec<usize> {
    let scale = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|j| (((j as f64 + 0.5) * scale).floor() as usize).min(n_in - 1))
        .collect()
}

/// Applies `f` to every value, in parallel for large arrays.
pub(crate) fn map_values(data: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    for_each_chunk(data, MIN_PARALLEL_LEN, 4, |_, chunk| {
        chunk.iter_mut().for_each(|v| *v = f(*v))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_matches_scipy_rule() {
        // scipy 'reflect' on n = 3: ... 2 2 1 0 | 0 1 2 | 2 1 0 | 0 1 ...
        let got: Vec<usize> = (-4..8).map(|i| reflect_index(i, 3)).collect();
        assert_eq!(got, vec![2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1]);
        assert_eq!(reflect_index(-1, 1), 0);
        assert_eq!(reflect_index(5, 1), 0);
    }

    #[test]
    fn area_average_of_blocks_and_fractions() {
        let op = LineOperator::area_average(4, 2);
        let (out, _) = apply_along_axis(&[1.0, 3.0, 5.0, 9.0], [1, 1, 4], 2, &op);
        assert_eq!(out, vec![2.0, 7.0]);
        // 3 -> 2: bins [0, 1.5) and [1.5, 3): (1 + 0.5·3)/1.5 and (0.5·3 + 6)/1.5
        let op = LineOperator::area_average(3, 2);
        let (out, _) = apply_along_axis(&[1.0, 3.0, 6.0], [1, 1, 3], 2, &op);
        assert!(
            (out[0] - 2.5 / 1.5).abs() < 1e-6 && (out[1] - 7.5 / 1.5).abs() < 1e-6,
            "{out:?}"
        );
    }

    #[test]
    fn linear_resize_half_pixel() {
        // 2 -> 4: u = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
        let op = LineOperator::linear_resize(2, 4);
        let (out, _) = apply_along_axis(&[0.0, 4.0], [1, 1, 2], 2, &op);
        assert_eq!(out, vec![0.0, 1.0, 3.0, 4.0]);
        // the same along a strided axis
        let (out, dims) = apply_along_axis(&[0.0, 10.0, 4.0, 14.0], [1, 2, 2], 1, &op);
        assert_eq!(dims, [1, 4, 2]);
        assert_eq!(out, vec![0.0, 10.0, 1.0, 11.0, 3.0, 13.0, 4.0, 14.0]);
    }
}
