//! Parallel loops of the MR artefacts: chunked writes into an output
//! buffer, ordered maps and a sum/min reduction, each on the calling thread
//! for small inputs (below [`MIN_PARALLEL_LEN`] values) and on rayon
//! otherwise. Every chunk is computed on its own, so results do not depend
//! on the number of threads.

use std::mem::MaybeUninit;

use rayon::prelude::*;

/// Jobs smaller than this many values run on the calling thread.
pub(super) const MIN_PARALLEL_LEN: usize = 1 << 15;

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

/// Like [`for_each_chunk`], but rayon gets at least `MIN_PARALLEL_LEN / 8`
/// values per job (the last chunk may be shorter than `len`).
pub(super) fn for_each_chunk_batched<T: Send>(
    out: &mut [T],
    len: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
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

/// A `len`-long vector built chunk by chunk without zero-filling it first
/// (for a large fresh heap block that fill is a serial pass over the whole
/// output): `f(k, buf)` writes chunk `k` (`chunk` values, fewer for the
/// last) into a reused per-job buffer, which is then copied into place; in
/// parallel like [`for_each_chunk`]. `f` must write every element of `buf`
/// (which holds the job's previous chunk).
pub(super) fn collect_chunks<F>(len: usize, chunk: usize, f: F) -> Vec<f32>
where
    F: Fn(usize, &mut [f32]) + Sync + Send,
{
    let chunk = chunk.max(1);
    let mut out: Vec<f32> = Vec::with_capacity(len);
    let job = |buf: &mut Vec<f32>, (k, dst): (usize, &mut [MaybeUninit<f32>])| {
        if buf.len() < dst.len() {
            buf.resize(dst.len(), 0.0);
        }
        let buf = &mut buf[..dst.len()];
        f(k, buf);
        for (d, &v) in dst.iter_mut().zip(buf.iter()) {
            d.write(v);
        }
    };
    let spare = &mut out.spare_capacity_mut()[..len];
    if len < MIN_PARALLEL_LEN {
        let mut buf = Vec::new();
        spare
            .chunks_mut(chunk)
            .enumerate()
            .for_each(|c| job(&mut buf, c));
    } else {
        spare
            .par_chunks_mut(chunk)
            .enumerate()
            .for_each_init(Vec::new, job);
    }
    // SAFETY: the capacity is at least `len`; the chunks cover the first
    // `len` slots and `job` wrote every slot of its chunk (`buf` has
    // exactly `dst.len()` values), so all `len` values are initialised.
    unsafe { out.set_len(len) };
    out
}

/// `f(item)` for every item, in parallel (with one `init()` state per rayon
/// job) when `work` values justify it, collected in order.
pub(super) fn map_items<I, S, R>(
    items: &[I],
    work: usize,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &I) -> R + Sync + Send,
) -> Vec<R>
where
    I: Sync,
    R: Send,
{
    if work < MIN_PARALLEL_LEN {
        let mut state = init();
        items.iter().map(|i| f(&mut state, i)).collect()
    } else {
        items.par_iter().map_init(init, f).collect()
    }
}

/// `(Σ x in f64, min x)` in one pass (the minimum ignores NaN, like
/// `Image::min_max`; `+∞` for an empty slice). Eight lanes, so it
/// vectorises; in parallel for large inputs.
pub(super) fn sum_min(data: &[f32]) -> (f64, f32) {
    fn lanes(data: &[f32]) -> (f64, f32) {
        let mut s = [0.0f64; 8];
        let mut m = [f32::INFINITY; 8];
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            for l in 0..8 {
                s[l] += f64::from(c[l]);
                m[l] = if c[l] < m[l] { c[l] } else { m[l] };
            }
        }
        let mut sum: f64 = s.iter().sum();
        let mut min = m
            .iter()
            .fold(f32::INFINITY, |a, &b| if b < a { b } else { a });
        for &v in chunks.remainder() {
            sum += f64::from(v);
            if v < min {
                min = v;
            }
        }
        (sum, min)
    }
    if data.len() < 4 * MIN_PARALLEL_LEN {
        lanes(data)
    } else {
        data.par_chunks(MIN_PARALLEL_LEN).map(lanes).reduce(
            || (0.0, f32::INFINITY),
            |a, b| (a.0 + b.0, if b.1 < a.1 { b.1 } else { a.1 }),
        )
    }
}
