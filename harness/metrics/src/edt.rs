//! Exact Euclidean distance transform in linear time, with anisotropic spacing.
//!
//! The transform is separable: the squared distance to the nearest feature
//! voxel is `min over features f of Σ_axis (spacing_axis · (p_axis − f_axis))²`,
//! which is computed one axis at a time (Saito & Toriwaki's decomposition).
//! The first axis (x) is a pair of linear scans over the binary mask; every
//! further axis (y, then z) is the one-dimensional transform of Felzenszwalb &
//! Huttenlocher ("Distance Transforms of Sampled Functions", Theory of
//! Computing 8, 2012): the lower envelope of the parabolas
//! `w·(q − p)² + f(p)` with `w = spacing²`, built and read in `O(n)`.
//! The whole transform is `O(voxels)` and exact up to floating-point rounding
//! (each output is a sum `Σ w_axis·k_axis²` for integer offsets `k`).
//!
//! It agrees with `scipy.ndimage.distance_transform_edt(~mask, sampling=…)²`,
//! i.e. scipy's convention where the features are the zeros of its input.

use sensibench_core::{Error, Grid, Result};

/// Squared Euclidean distance (mm²) from every voxel of `grid` to the nearest
/// voxel where `mask` is `true`; `0` on the mask itself, `+inf` everywhere if
/// the mask has no `true` voxel.
///
/// `mask` is row-major `(z, y, x)` like every array on a [`Grid`]; the spacing
/// of each axis weighs its offsets (`d² = Σ (spacing_axis · Δ_axis)²`). A 2D
/// grid (depth 1) is transformed in the plane. Fails if `mask.len()` differs
/// from `grid.len()`.
pub fn edt_squared(mask: &[bool], grid: &Grid) -> Result<Vec<f64>> {
    if mask.len() != grid.len() {
        return Err(Error::Shape {
            what: "distance-transform mask length".to_string(),
            expected: format!("{} ({})", grid.len(), grid.shape_string()),
            found: mask.len().to_string(),
        });
    }
    Ok(edt_squared_dims(mask, grid.dims(), grid.spacing()))
}

/// [`edt_squared`] on a raw box of `dims = (depth, height, width)` with
/// `spacing = (dz, dy, dx)`; `mask.len()` must equal the product of `dims`
/// (checked by the callers in this crate).
pub(crate) fn edt_squared_dims(mask: &[bool], dims: [usize; 3], spacing: [f64; 3]) -> Vec<f64> {
    let [d, h, w] = dims;
    debug_assert_eq!(mask.len(), d * h * w);
    let mut out = vec![f64::INFINITY; mask.len()];
    if d * h * w == 0 {
        return out;
    }

    // Axis x: 1D distance to the nearest feature in the row, by two scans.
    let wx = spacing[2] * spacing[2];
    for (row_in, row_out) in mask.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        let mut last: Option<usize> = None;
        for x in 0..w {
            if row_in[x] {
                last = Some(x);
            }
            if let Some(l) = last {
                let k = (x - l) as f64;
                row_out[x] = wx * k * k;
            }
        }
        let mut next: Option<usize> = None;
        for x in (0..w).rev() {
            if row_in[x] {
                next = Some(x);
            }
            if let Some(n) = next {
                let k = (n - x) as f64;
                let v = wx * k * k;
                if v < row_out[x] {
                    row_out[x] = v;
                }
            }
        }
    }

    let longest = h.max(d);
    let mut scratch = Envelope::with_capacity(longest);
    let mut line = vec![0.0; longest];
    let mut line_out = vec![0.0; longest];

    // Axis y: for each (z, x) column.
    if h > 1 {
        let wy = spacing[1] * spacing[1];
        for z in 0..d {
            let plane = &mut out[z * h * w..(z + 1) * h * w];
            for x in 0..w {
                for y in 0..h {
                    line[y] = plane[y * w + x];
                }
                scratch.transform(&line[..h], wy, &mut line_out[..h]);
                for y in 0..h {
                    plane[y * w + x] = line_out[y];
                }
            }
        }
    }

    // Axis z: for each (y, x) column.
    if d > 1 {
        let wz = spacing[0] * spacing[0];
        let plane = h * w;
        for i in 0..plane {
            for z in 0..d {
                line[z] = out[z * plane + i];
            }
            scratch.transform(&line[..d], wz, &mut line_out[..d]);
            for z in 0..d {
                out[z * plane + i] = line_out[z];
            }
        }
    }
    out
}

/// Scratch buffers of the 1D lower-envelope transform.
struct Envelope {
    /// Positions of the parabolas in the envelope.
    v: Vec<usize>,
    /// Boundaries between consecutive parabolas (`z[k]` starts parabola `k`).
    z: Vec<f64>,
}

impl Envelope {
    fn with_capacity(n: usize) -> Self {
        Envelope {
            v: vec![0; n.max(1)],
            z: vec![0.0; n.max(1) + 1],
        }
    }

    /// `out[q] = min_p (weight·(q − p)² + f[p])` over the finite `f[p]`;
    /// `+inf` everywhere if no `f[p]` is finite.
    fn transform(&mut self, f: &[f64], weight: f64, out: &mut [f64]) {
        let n = f.len();
        let v = &mut self.v;
        let z = &mut self.z;
        // Number of parabolas in the envelope.
        let mut k: usize = 0;
        for q in 0..n {
            let fq = f[q];
            if !fq.is_finite() {
                continue;
            }
            let qf = q as f64;
            loop {
                if k == 0 {
                    v[0] = q;
                    z[0] = f64::NEG_INFINITY;
                    k = 1;
                    break;
                }
                let p = v[k - 1];
                let pf = p as f64;
                // Abscissa where the parabolas rooted at p and q intersect.
                let s = ((fq - f[p]) / weight + (qf * qf - pf * pf)) / (2.0 * (qf - pf));
                if s <= z[k - 1] {
                    k -= 1;
                } else {
                    v[k] = q;
                    z[k] = s;
                    k += 1;
                    break;
                }
            }
        }
        if k == 0 {
            out.fill(f64::INFINITY);
            return;
        }
        z[k] = f64::INFINITY;
        let mut j = 0;
        for (q, o) in out.iter_mut().enumerate() {
            let qf = q as f64;
            while z[j + 1] < qf {
                j += 1;
            }
            let dq = qf - v[j] as f64;
            *o = weight * dq * dq + f[v[j]];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all feature voxels.
    fn brute(mask: &[bool], dims: [usize; 3], sp: [f64; 3]) -> Vec<f64> {
        let [d, h, w] = dims;
        let feats: Vec<[usize; 3]> = (0..d)
            .flat_map(|z| (0..h).flat_map(move |y| (0..w).map(move |x| [z, y, x])))
            .filter(|&[z, y, x]| mask[(z * h + y) * w + x])
            .collect();
        let mut out = Vec::with_capacity(mask.len());
        for z in 0..d {
            for y in 0..h {
                for x in 0..w {
                    let mut best = f64::INFINITY;
                    for f in &feats {
                        let dz = (z as f64 - f[0] as f64) * sp[0];
                        let dy = (y as f64 - f[1] as f64) * sp[1];
                        let dx = (x as f64 - f[2] as f64) * sp[2];
                        best = best.min(dz * dz + dy * dy + dx * dx);
                    }
                    out.push(best);
                }
            }
        }
        out
    }

    #[test]
    fn matches_brute_force_on_random_masks() {
        let mut rng = sensibench_core::SeededRng::new(3);
        for (dims, sp, p) in [
            ([1, 17, 23], [1.0, 0.7, 1.9], 0.05),
            ([5, 9, 11], [2.5, 0.8, 1.1], 0.03),
            ([7, 1, 13], [0.3, 1.0, 2.0], 0.1),
            ([4, 6, 1], [1.0, 1.0, 1.0], 0.2),
            ([6, 8, 10], [1.0, 1.0, 1.0], 0.002),
        ] {
            let n: usize = dims.iter().product();
            let mask: Vec<bool> = (0..n).map(|_| rng.uniform() < p).collect();
            let got = edt_squared_dims(&mask, dims, sp);
            let want = brute(&mask, dims, sp);
            for (g, w) in got.iter().zip(&want) {
                if w.is_infinite() {
                    assert!(g.is_infinite());
                } else {
                    assert!((g - w).abs() <= 1e-9 * w.max(1.0), "{dims:?}: {g} vs {w}");
                }
            }
        }
    }

    #[test]
    fn empty_mask_is_infinite_and_length_is_checked() {
        let g = Grid::new_2d(3, 4, [1.0, 1.0]).unwrap();
        let d = edt_squared(&[false; 12], &g).unwrap();
        assert!(d.iter().all(|v| v.is_infinite()));
        let e = edt_squared(&[false; 11], &g).unwrap_err().to_string();
        assert!(
            e.contains("12") && e.contains("11") && e.contains("3x4"),
            "{e}"
        );
    }

    #[test]
    fn single_point_hand_worked() {
        // One feature at (y, x) = (1, 1) with spacing (2, 3): the corner
        // (0, 3) is at dy = 2, dx = 6 -> 4 + 36 = 40.
        let g = Grid::new_2d(2, 4, [2.0, 3.0]).unwrap();
        let mut m = vec![false; 8];
        m[5] = true;
        let d = edt_squared(&m, &g).unwrap();
        assert_eq!(d, vec![13.0, 4.0, 13.0, 40.0, 9.0, 0.0, 9.0, 36.0]);
    }
}
