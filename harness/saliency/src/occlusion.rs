//! Occlusion sensitivity (Zeiler & Fergus, ECCV 2014).

use crate::map::SaliencyMap;

/// Window start positions along one axis of length `size`: `0, stride,
/// 2·stride, …` as long as the whole window fits (`p + patch <= size`), plus
/// one window aligned to the far edge (`size − patch`) when the last regular
/// window stops short of it. When `patch >= size` there is a single window at
/// 0, clipped to the image.
fn positions(size: usize, patch: usize, stride: usize) -> Vec<usize> {
    if patch >= size {
        return vec![0];
    }
    let last = size - patch;
    let mut p: Vec<usize> = (0..=last).step_by(stride).collect();
    if p.last() != Some(&last) {
        p.push(last);
    }
    p
}

/// Checks a probability batch returned by `predict` and gives `p_class` of
/// each of its `n` items.
fn class_probs(probs: &[f32], n: usize, class: usize) -> Result<Vec<f64>, String> {
    if n == 0 || probs.is_empty() || !probs.len().is_multiple_of(n) {
        return Err(format!(
            "occlusion: predict returned {} values for a batch of {n}: expected N x C",
            probs.len()
        ));
    }
    let c = probs.len() / n;
    if class >= c {
        return Err(format!(
            "occlusion: class {class} out of range: predict returned {c} classes"
        ));
    }
    (0..n)
        .map(|i| {
            let p = probs[i * c + class];
            if p.is_finite() {
                Ok(f64::from(p))
            } else {
                Err(format!(
                    "occlusion: predict returned a non-finite probability {p}"
                ))
            }
        })
        .collect()
}

/// Occlusion sensitivity map of one `height x width` image (Zeiler & Fergus
/// 2014).
///
/// A `patch x patch` square of value `fill` is slid over the image; the
/// window start positions along each axis are `0, stride, 2·stride, …` while
/// the window fits, plus one aligned to the far edge if the regular grid
/// does not reach it (a window larger than the image is clipped to it). The
/// occluded copies are sent to `predict(flat_batch, n)` at most `batch` at a
/// time (`flat_batch` is `n x height x width`, row-major, one channel);
/// `predict` returns `n x C` probabilities (row-major), and the unoccluded
/// image is predicted once first.
///
/// Map value at a pixel = mean, over the windows covering it, of
/// `p_class(original) − p_class(occluded)`.
///
/// Sign convention: **positive = evidence for `class`** (hiding the pixel
/// lowers the class probability); negative = hiding it raises the
/// probability. The signed map is returned (no clamping); localisation
/// metrics use its positive part. With `stride > patch` some pixels are
/// covered by no window; their value is 0. Values are differences of
/// probabilities, so they lie in `[-1, 1]`.
///
/// Errors: empty image, `image.len() != height * width`, `patch`, `stride`
/// or `batch` equal to 0, a `predict` error (passed through), or a
/// `predict` output that is not `n x C` with `class < C` and finite values.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn occlusion(
    image: &[f32],
    height: usize,
    width: usize,
    patch: usize,
    stride: usize,
    fill: f32,
    class: usize,
    batch: usize,
    predict: &mut dyn FnMut(&[f32], usize) -> Result<Vec<f32>, String>,
) -> Result<SaliencyMap, String> {
    if height == 0 || width == 0 {
        return Err(format!(
            "occlusion: image size must be positive, got {height} x {width}"
        ));
    }
    let hw = height * width;
    if image.len() != hw {
        return Err(format!(
            "occlusion: image: expected {height} x {width} = {hw} values, found {}",
            image.len()
        ));
    }
    for (name, v) in [("patch", patch), ("stride", stride), ("batch", batch)] {
        if v == 0 {
            return Err(format!("occlusion: `{name}` must be at least 1, got 0"));
        }
    }
    let base = class_probs(&predict(image, 1)?, 1, class)?[0];

    let rows = positions(height, patch, stride);
    let cols = positions(width, patch, stride);
    let windows: Vec<(usize, usize)> = rows
        .iter()
        .flat_map(|&r| cols.iter().map(move |&c| (r, c)))
        .collect();
    let window_rows = |r: usize| r..(r + patch).min(height);
    let window_cols = |c: usize| c..(c + patch).min(width);

    let mut sum = vec![0.0f64; hw];
    let mut count = vec![0u32; hw];
    let mut flat = Vec::with_capacity(batch.min(windows.len()) * hw);
    for chunk in windows.chunks(batch) {
        flat.clear();
        for &(r, c) in chunk {
            let start = flat.len();
            flat.extend_from_slice(image);
            let item = &mut flat[start..];
            for y in window_rows(r) {
                item[y * width + c..y * width + (c + patch).min(width)].fill(fill);
            }
        }
        let probs = class_probs(&predict(&flat, chunk.len())?, chunk.len(), class)?;
        for (&(r, c), p) in chunk.iter().zip(probs) {
            let d = base - p;
            for y in window_rows(r) {
                for x in window_cols(c) {
                    sum[y * width + x] += d;
                    count[y * width + x] += 1;
                }
            }
        }
    }
    let data = sum
        .iter()
        .zip(&count)
        .map(|(&s, &n)| {
            if n > 0 {
                (s / f64::from(n)) as f32
            } else {
                0.0
            }
        })
        .collect();
    SaliencyMap::new(height, width, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_positions() {
        assert_eq!(positions(10, 4, 3), vec![0, 3, 6]);
        assert_eq!(positions(10, 4, 4), vec![0, 4, 6]);
        assert_eq!(positions(4, 4, 2), vec![0]);
        assert_eq!(positions(3, 5, 1), vec![0]);
        assert_eq!(positions(5, 1, 2), vec![0, 2, 4]);
    }

    /// "Model": p_1 = mean of pixel 0 of each item, p_0 = 1 - p_1. A 1 x 3
    /// image [1, 0.5, 0.5], patch 2, stride 1: windows at columns 0 and 1
    /// (rows: single window clipped). Occluding with 0: window 0 covers
    /// pixel 0 -> p_1 = 0, Δ = 1; window 1 leaves pixel 0 -> Δ = 0.
    /// Map: pixel 0 -> 1 (one window), pixel 1 -> (1 + 0) / 2, pixel 2 -> 0.
    #[test]
    fn hand_worked_map_and_batching() {
        let image = [1.0, 0.5, 0.5];
        for batch in [1, 2, 5] {
            let mut calls = Vec::new();
            let mut predict = |x: &[f32], n: usize| -> Result<Vec<f32>, String> {
                calls.push(n);
                Ok((0..n).flat_map(|i| [1.0 - x[i * 3], x[i * 3]]).collect())
            };
            let m = occlusion(&image, 1, 3, 2, 1, 0.0, 1, batch, &mut predict).expect("ok");
            assert_eq!(m.data, vec![1.0, 0.5, 0.0]);
            // the original once, then the 2 windows `batch` at a time
            let expected: Vec<usize> = match batch {
                1 => vec![1, 1, 1],
                _ => vec![1, 2],
            };
            assert_eq!(calls, expected);
            let m0 = occlusion(&image, 1, 3, 2, 1, 0.0, 0, batch, &mut |x, n| {
                Ok((0..n).flat_map(|i| [1.0 - x[i * 3], x[i * 3]]).collect())
            })
            .expect("ok");
            assert_eq!(m0.data, vec![-1.0, -0.5, 0.0]);
        }
    }

    #[test]
    fn bad_arguments_and_outputs_are_errors() {
        let mut ok = |_: &[f32], n: usize| -> Result<Vec<f32>, String> { Ok(vec![0.5; 2 * n]) };
        let e = occlusion(&[0.0; 4], 2, 2, 0, 1, 0.0, 0, 1, &mut ok).unwrap_err();
        assert!(e.contains("patch"), "{e}");
        let e = occlusion(&[0.0; 3], 2, 2, 1, 1, 0.0, 0, 1, &mut ok).unwrap_err();
        assert!(e.contains("image"), "{e}");
        let e = occlusion(&[0.0; 4], 2, 2, 1, 1, 0.0, 2, 1, &mut ok).unwrap_err();
        assert!(e.contains("class 2"), "{e}");
        let mut short = |_: &[f32], _: usize| -> Result<Vec<f32>, String> { Ok(vec![0.5; 3]) };
        let e = occlusion(&[0.0; 4], 2, 2, 1, 1, 0.0, 0, 2, &mut short).unwrap_err();
        assert!(e.contains("N x C"), "{e}");
        let mut fail = |_: &[f32], _: usize| -> Result<Vec<f32>, String> { Err("boom".into()) };
        let e = occlusion(&[0.0; 4], 2, 2, 1, 1, 0.0, 0, 2, &mut fail).unwrap_err();
        assert_eq!(e, "boom");
    }
}
