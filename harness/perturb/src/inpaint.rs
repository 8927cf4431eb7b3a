//! Classical inpainting of 2D images: filling a set of pixels (the hole)
//! from the pixels around it.
//!
//! [`InpaintMethod::Biharmonic`] reproduces
//! `skimage.restoration.inpaint_biharmonic(image, mask)` (scikit-image 0.26,
//! one channel, float64):
//! - every hole pixel `p` gets the equation `Σ_q c_q(p)·u_q = 0`, where `c(p)`
//!   is the biharmonic stencil `laplace(laplace(δ_p))` computed by
//!   `scipy.ndimage.laplace` (kernel `[1, −2, 1]` per axis, `mode='reflect'`)
//!   on the neighbourhood `[y−2, y+2] × [x−2, x+2]` of `p` *clipped to the
//!   image*. Away from the image border (`2 ≤ y < H−2` and `2 ≤ x < W−2`)
//!   this is the 13-point stencil (centre 20, axial neighbours −8, diagonal
//!   neighbours 2, axial distance-2 neighbours 1); nearer the border it is
//!   the reflected, truncated stencil of scikit-image. Known pixels `q` move
//!   to the right-hand side with their input values;
//! - the hole splits into independent blocks of pixels coupled by a stencil
//!   (`|dy| + |dx| ≤ 2`); each block's system is solved exactly (banded LU
//!   with partial pivoting in `f64`, rows ordered along the shorter side of
//!   the block), which equals scikit-image's single global `spsolve` up to
//!   rounding;
//! - the filled values are clipped to `[min, max]` of the known pixels and
//!   rounded to `f32`.
//!
//! [`InpaintMethod::Telea`] is named but not implemented yet: it returns an
//! error saying so.
//!
//! In every method the pixels outside the hole are returned bit for bit.

use std::collections::VecDeque;

use sensibench_core::{Error, Image, Params, Result, did_you_mean};

/// How [`inpaint`] fills a hole (option `method` of the marker perturbations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InpaintMethod {
    /// Biharmonic inpainting, as `skimage.restoration.inpaint_biharmonic`
    /// (see the module documentation). Option value `biharmonic` (default).
    Biharmonic,
    /// Fast-marching inpainting (Telea 2004, as OpenCV's `INPAINT_TELEA`).
    /// Option value `telea`. Not implemented yet: [`inpaint`] fails.
    Telea,
}

impl InpaintMethod {
    /// The option values, in the order of the variants.
    pub const NAMES: [&'static str; 2] = ["biharmonic", "telea"];

    /// Parses `biharmonic` or `telea`; an unknown name is an
    /// [`Error::UnknownName`] with a did-you-mean.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "biharmonic" => Ok(InpaintMethod::Biharmonic),
            "telea" => Ok(InpaintMethod::Telea),
            other => Err(Error::UnknownName {
                kind: "inpainting method",
                name: other.to_string(),
                suggestion: did_you_mean(other, Self::NAMES),
            }),
        }
    }

    /// Reads option `method` (default `biharmonic`).
    pub fn from_params(params: &Params) -> Result<Self> {
        Self::parse(params.text("method", "biharmonic")?)
    }

    /// The option value of this method.
    pub fn name(self) -> &'static str {
        match self {
            InpaintMethod::Biharmonic => Self::NAMES[0],
            InpaintMethod::Telea => Self::NAMES[1],
        }
    }
}

/// Fills the pixels of the 2D `image` where `hole` is true (row-major, one
/// flag per pixel) with `method`; the other pixels are returned bit for bit.
/// An empty hole returns a copy of the image.
///
/// Fails if the image is 3D, if `hole` has another length, if the hole
/// covers the whole image (nothing to fill from), if the image holds a
/// non-finite value next to the hole, or for [`InpaintMethod::Telea`] (not
/// implemented yet).
pub fn inpaint(image: &Image, hole: &[bool], method: InpaintMethod) -> Result<Image> {
    let grid = image.grid();
    if grid.ndim() != 2 {
        return Err(Error::Other(format!(
            "inpainting needs a 2D image, got a {} volume",
            grid.shape_string()
        )));
    }
    if hole.len() != grid.len() {
        return Err(Error::Shape {
            what: "inpainting hole".to_string(),
            expected: format!("{} flags ({})", grid.len(), grid.shape_string()),
            found: hole.len().to_string(),
        });
    }
    if !hole.contains(&true) {
        return Ok(image.clone());
    }
    match method {
        InpaintMethod::Biharmonic => {
            let data = biharmonic(image.data(), grid.height(), grid.width(), hole)?;
            Image::new(grid.clone(), data)
        }
        InpaintMethod::Telea => Err(Error::Other(
            "inpainting method `telea` is not implemented yet; use `biharmonic`".to_string(),
        )),
    }
}

/// The offsets `(dy, dx)` with `0 < |dy| + |dx| ≤ 2`: the pixels a
/// biharmonic stencil couples.
const COUPLED: [(isize, isize); 12] = [
    (-2, 0),
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, -2),
    (0, -1),
    (0, 1),
    (0, 2),
    (1, -1),
    (1, 0),
    (1, 1),
    (2, 0),
];

/// The 13-point biharmonic stencil `laplace(laplace(δ))` away from the border.
const FULL_STENCIL: [(isize, isize, f64); 13] = [
    (-2, 0, 1.0),
    (-1, -1, 2.0),
    (-1, 0, -8.0),
    (-1, 1, 2.0),
    (0, -2, 1.0),
    (0, -1, -8.0),
    (0, 0, 20.0),
    (0, 1, -8.0),
    (0, 2, 1.0),
    (1, -1, 2.0),
    (1, 0, -8.0),
    (1, 1, 2.0),
    (2, 0, 1.0),
];

/// Most `f64` values the banded solver may allocate for one block (1 GiB).
const MAX_BAND_VALUES: usize = 1 << 27;

/// `scipy.ndimage.laplace(a, mode='reflect')` of a small `nh × nw` array.
fn laplace_reflect(a: &[f64], nh: usize, nw: usize) -> Vec<f64> {
    // 'reflect' (half-sample symmetric): index −1 reads 0, index n reads n−1.
    let at = |i: isize, j: isize| -> f64 {
        let i = i.clamp(0, nh as isize - 1) as usize;
        let j = j.clamp(0, nw as isize - 1) as usize;
        a[i * nw + j]
    };
    let mut out = vec![0.0; nh * nw];
    for i in 0..nh as isize {
        for j in 0..nw as isize {
            let c = at(i, j);
            let along_y = at(i - 1, j) - 2.0 * c + at(i + 1, j);
            let along_x = at(i, j - 1) - 2.0 * c + at(i, j + 1);
            out[i as usize * nw + j as usize] = along_y + along_x;
        }
    }
    out
}

/// The non-zero stencil `(dy, dx, coefficient)` of pixel `(y, x)` in an
/// `h × w` image, as scikit-image builds it (see the module documentation).
fn stencil(y: usize, x: usize, h: usize, w: usize) -> Vec<(isize, isize, f64)> {
    if y >= 2 && y + 2 < h && x >= 2 && x + 2 < w {
        return FULL_STENCIL.to_vec();
    }
    let (y0, y1) = (y.saturating_sub(2), (y + 3).min(h));
    let (x0, x1) = (x.saturating_sub(2), (x + 3).min(w));
    let (nh, nw) = (y1 - y0, x1 - x0);
    let mut delta = vec![0.0; nh * nw];
    delta[(y - y0) * nw + (x - x0)] = 1.0;
    let coef = laplace_reflect(&laplace_reflect(&delta, nh, nw), nh, nw);
    let mut out = Vec::with_capacity(13);
    for i in 0..nh {
        for j in 0..nw {
            let c = coef[i * nw + j];
            if c != 0.0 {
                out.push((
                    (y0 + i) as isize - y as isize,
                    (x0 + j) as isize - x as isize,
                    c,
                ));
            }
        }
    }
    out
}

/// Biharmonic inpainting of the `h × w` plane `data` (see the module docs).
fn biharmonic(data: &[f32], h: usize, w: usize, hole: &[bool]) -> Result<Vec<f32>> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for (&v, &in_hole) in data.iter().zip(hole) {
        if !in_hole {
            lo = lo.min(f64::from(v));
            hi = hi.max(f64::from(v));
        }
    }
    if lo > hi {
        return Err(Error::Other(
            "inpainting: the hole covers the whole image, nothing to fill it from".to_string(),
        ));
    }
    let mut out = data.to_vec();
    // `block[k]` = 1 + index of the block of hole pixel k (0 = not yet seen).
    let mut block = vec![0u32; h * w];
    let mut order = vec![u32::MAX; h * w];
    let mut queue = VecDeque::new();
    let mut pixels = Vec::new();
    let mut next = 0u32;
    for start in 0..h * w {
        if !hole[start] || block[start] != 0 {
            continue;
        }
        next += 1;
        block[start] = next;
        queue.push_back(start);
        pixels.clear();
        while let Some(k) = queue.pop_front() {
            pixels.push(k);
            let (y, x) = ((k / w) as isize, (k % w) as isize);
            for (dy, dx) in COUPLED {
                let (ny, nx) = (y + dy, x + dx);
                if ny < 0 || nx < 0 || ny >= h as isize || nx >= w as isize {
                    continue;
                }
                let q = ny as usize * w + nx as usize;
                if hole[q] && block[q] == 0 {
                    block[q] = next;
                    queue.push_back(q);
                }
            }
        }
        let values = solve_block(data, h, w, hole, &mut pixels, &mut order)?;
        for (&k, v) in pixels.iter().zip(values) {
            out[k] = v.clamp(lo, hi) as f32;
        }
    }
    Ok(out)
}

/// Lower and upper bandwidth of the block `pixels` numbered by `order`.
fn bandwidths(pixels: &[usize], order: &[u32], h: usize, w: usize) -> (usize, usize) {
    let (mut kl, mut ku) = (0usize, 0usize);
    for &k in pixels {
        let (y, x) = ((k / w) as isize, (k % w) as isize);
        let i = order[k] as usize;
        for (dy, dx) in COUPLED {
            let (ny, nx) = (y + dy, x + dx);
            if ny < 0 || nx < 0 || ny >= h as isize || nx >= w as isize {
                continue;
            }
            let j = order[ny as usize * w + nx as usize];
            if j == u32::MAX {
                continue;
            }
            let j = j as usize;
            if j < i {
                kl = kl.max(i - j);
            } else {
                ku = ku.max(j - i);
            }
        }
    }
    (kl, ku)
}

/// Solves the biharmonic system of one block of coupled hole pixels; returns
/// the values of `pixels` (which it reorders) in their new order. `order` is
/// scratch (all `u32::MAX` on entry and on return).
fn solve_block(
    data: &[f32],
    h: usize,
    w: usize,
    hole: &[bool],
    pixels: &mut [usize],
    order: &mut [u32],
) -> Result<Vec<f64>> {
    let n = pixels.len();
    if n > u32::MAX as usize - 1 {
        return Err(Error::Other(format!(
            "biharmonic inpainting: a hole of {n} pixels is too large"
        )));
    }
    // Number the pixels row by row and column by column; keep the narrower band.
    let mut number = |pixels: &mut [usize], column_major: bool| {
        if column_major {
            pixels.sort_unstable_by_key(|&k| (k % w, k / w));
        } else {
            pixels.sort_unstable();
        }
        for (i, &k) in pixels.iter().enumerate() {
            order[k] = i as u32;
        }
        bandwidths(pixels, order, h, w)
    };
    let (kl_c, ku_c) = number(pixels, true);
    let (kl_r, ku_r) = number(pixels, false);
    let (kl, ku) = if kl_c * (kl_c + ku_c) < kl_r * (kl_r + ku_r) {
        number(pixels, true)
    } else {
        (kl_r, ku_r)
    };
    let width = 2 * kl + ku + 1;
    if n.saturating_mul(width) > MAX_BAND_VALUES {
        for &k in pixels.iter() {
            order[k] = u32::MAX;
        }
        return Err(Error::Other(format!(
            "biharmonic inpainting: a hole block of {n} pixels with bandwidth {kl} needs \
             {} MiB; inpaint a smaller region",
            (n * width * 8) >> 20
        )));
    }
    let mut band = Band {
        n,
        kl,
        width,
        a: vec![0.0; n * width],
    };
    let mut rhs = vec![0.0f64; n];
    for (i, &k) in pixels.iter().enumerate() {
        let (y, x) = (k / w, k % w);
        for (dy, dx, c) in stencil(y, x, h, w) {
            let q = (y as isize + dy) as usize * w + (x as isize + dx) as usize;
            if hole[q] {
                *band.at(i, order[q] as usize) += c;
            } else if data[q].is_finite() {
                rhs[i] -= c * f64::from(data[q]);
            } else {
                for &k in pixels.iter() {
                    order[k] = u32::MAX;
                }
                return Err(Error::Other(format!(
                    "inpainting: pixel (row {}, column {}) next to the hole is {}; \
                     the hole must be surrounded by finite values",
                    q / w,
                    q % w,
                    data[q]
                )));
            }
        }
    }
    for &k in pixels.iter() {
        order[k] = u32::MAX;
    }
    band.solve(rhs)
}

/// A square band matrix of `n` rows with lower bandwidth `kl`; row `i`
/// stores columns `i − kl ..= i + kl + ku` (room for the fill of pivoting).
struct Band {
    n: usize,
    kl: usize,
    width: usize,
    a: Vec<f64>,
}

impl Band {
    /// Element `(i, j)`; `j` must lie in the stored window of row `i`.
    #[inline]
    fn at(&mut self, i: usize, j: usize) -> &mut f64 {
        &mut self.a[i * self.width + j + self.kl - i]
    }

    /// Solves `A·x = b` by LU with partial pivoting (as LAPACK `gbsv`).
    fn solve(mut self, mut b: Vec<f64>) -> Result<Vec<f64>> {
        let (n, kl, wd) = (self.n, self.kl, self.width);
        let ku_fill = wd - 1 - kl; // kl + ku: upper bandwidth of U
        for j in 0..n {
            let last_row = (j + kl).min(n - 1);
            let last_col = (j + ku_fill).min(n - 1);
            let mut p = j;
            let mut best = self.at(j, j).abs();
            for r in j + 1..=last_row {
                let v = self.at(r, j).abs();
                if v > best {
                    best = v;
                    p = r;
                }
            }
            if best == 0.0 || !best.is_finite() {
                return Err(Error::Other(
                    "biharmonic inpainting: singular system".to_string(),
                ));
            }
            let cols = last_col - j + 1;
            if p != j {
                for c in j..=last_col {
                    let t = *self.at(j, c);
                    *self.at(j, c) = *self.at(p, c);
                    *self.at(p, c) = t;
                }
                b.swap(j, p);
            }
            let pivot = *self.at(j, j);
            let start_j = j * wd + kl; // column j of row j
            for r in j + 1..=last_row {
                let start_r = r * wd + j + kl - r; // column j of row r
                let f = self.a[start_r] / pivot;
                if f == 0.0 {
                    continue;
                }
                let (upper, lower) = self.a.split_at_mut(r * wd);
                let row_j = &upper[start_j..start_j + cols];
                let row_r = &mut lower[start_r - r * wd..start_r - r * wd + cols];
                for (x, &u) in row_r.iter_mut().zip(row_j) {
                    *x -= f * u;
                }
                b[r] -= f * b[j];
            }
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let last_col = (i + ku_fill).min(n - 1);
            let row = &self.a[i * wd + kl..i * wd + kl + (last_col - i + 1)];
            let s: f64 = row[1..]
                .iter()
                .zip(&x[i + 1..=last_col])
                .map(|(a, x)| a * x)
                .sum();
            x[i] = (b[i] - s) / row[0];
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stencils_match_scikit_image() {
        // The full stencil sums to 0 and is laplace(laplace(δ)).
        let full = stencil(10, 10, 30, 30);
        assert_eq!(full.len(), 13);
        assert_eq!(full.iter().map(|t| t.2).sum::<f64>(), 0.0);
        // Corner pixel (0, 0): neighbourhood 3x3, reflected; checked with
        // scipy: laplace(laplace(e00, mode='reflect'), mode='reflect') on 3x3
        // = [[6, -5, 1], [-5, 2, 0], [1, 0, 0]].
        let mut c = stencil(0, 0, 30, 30);
        c.sort_by_key(|t| (t.0, t.1));
        assert_eq!(
            c,
            vec![
                (0, 0, 6.0),
                (0, 1, -5.0),
                (0, 2, 1.0),
                (1, 0, -5.0),
                (1, 1, 2.0),
                (2, 0, 1.0)
            ]
        );
    }

    #[test]
    fn band_solver_pivots() {
        // [[0, 1], [2, 3]] x = [1, 8] -> x = [2.5, 1].
        let mut band = Band {
            n: 2,
            kl: 1,
            width: 4,
            a: vec![0.0; 8],
        };
        *band.at(0, 0) = 0.0;
        *band.at(0, 1) = 1.0;
        *band.at(1, 0) = 2.0;
        *band.at(1, 1) = 3.0;
        let x = band.solve(vec![1.0, 8.0]).unwrap();
        assert_eq!(x, vec![2.5, 1.0]);
    }

    #[test]
    fn row_one_stencil() {
        // scipy: laplace(laplace(e12)) on a 4x5 array (pixel (1, 2) of a wide image).
        let mut c = stencil(1, 7, 30, 30);
        c.sort_by_key(|t| (t.0, t.1));
        let expected = [
            (-1, -1, 2.0),
            (-1, 0, -7.0),
            (-1, 1, 2.0),
            (0, -2, 1.0),
            (0, -1, -8.0),
            (0, 0, 20.0),
            (0, 1, -8.0),
            (0, 2, 1.0),
            (1, -1, 2.0),
            (1, 0, -8.0),
            (1, 1, 2.0),
            (2, 0, 1.0),
        ];
        assert_eq!(c, expected.to_vec());
    }

    #[test]
    fn method_names() {
        assert_eq!(
            InpaintMethod::parse("biharmonic").unwrap(),
            InpaintMethod::Biharmonic
        );
        let e = InpaintMethod::parse("biharmonik").unwrap_err().to_string();
        assert!(e.contains("did you mean `biharmonic`"), "{e}");
        assert_eq!(InpaintMethod::Telea.name(), "telea");
    }
}
