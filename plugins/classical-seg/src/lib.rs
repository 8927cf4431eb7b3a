//! A classical cardiac short-axis segmenter (Otsu, connected components, morphology) as a native plugin.
//!
//! Exported through the sensibench plugin ABI as `sensibench_classical_seg`
//! (`libsensibench_classical_seg.so`). It needs no training and no external
//! dependencies, so it serves as a transparent, deterministic baseline whose
//! failure modes under perturbations are easy to reason about.
//!
//! # Input and output
//!
//! Input: `N x 1 x H x W` (or `N x 1 x D x H x W`, segmented slice by slice) raw
//! intensities in any range. Output: the same shape, `f32` labels
//! `0` background, `1` LV cavity, `2` LV myocardium, `3` RV cavity. The
//! configuration must be empty or `{}` (there are no options).
//!
//! # Method (per 2D slice)
//!
//! 1. **Normalise**: map the 1st..99th percentile of the finite intensities to
//!    `0..1` (clipped; non-finite values count as the minimum). A flat slice gives
//!    an all-background result.
//! 2. **Smooth**: Gaussian filter, sigma 1 pixel (kernel radius 3, edge values
//!    repeated).
//! 3. **Threshold**: Otsu's threshold (256 bins on `0..1`) computed over the
//!    central window (the middle half of each axis, where short-axis crops place
//!    the heart); pixels above it are *bright* (blood pools).
//! 4. **Components**: a 3x3 opening of the bright mask breaks thin bridges; its
//!    4-connected components with an area between `max(12, HW/2000)` and `HW/4`
//!    pixels are candidates. Each candidate's holes are filled, and it is grown
//!    back by one pixel inside the (unopened) bright mask plus its holes.
//! 5. **LV cavity**: the candidate maximising `circularity - d / R`, where
//!    `circularity = area / (pi (r_max + 0.5)^2)` (`r_max`: largest distance of a
//!    pixel from the centroid; 1 for a disk, small for a crescent), `d` the
//!    centroid's distance from the image centre and `R = min(H, W) / 2`; only
//!    candidates with circularity >= 0.45 qualify. Without one, the slice is all
//!    background.
//! 6. **Myocardial thickness**: `t = max(2, round(0.5 r))` pixels, with
//!    `r = sqrt(area_LV / pi)` the LV's equivalent radius.
//! 7. **RV cavity**: the largest other candidate whose nearest pixel lies within
//!    `1.5 t + 3` pixels of the LV (it sits across the septum).
//! 8. **Myocardium**: the pixels within Euclidean distance `t` of the LV (exact
//!    distance transform) that are not brighter than the threshold and not RV;
//!    a 3x3 closing (limited to distance `t + 1` and to non-blood pixels) closes
//!    small gaps, and only its largest 8-connected component is kept.
//! 9. **Hole filling**: pixels enclosed by LV and myocardium that are neither
//!    become LV (papillary muscles belong to the cavity, as in ACDC).

use sensibench_plugin_sdk::{NativeModel, OwnedTensor, TensorRef, export_plugin};

/// Label of the background.
pub const BACKGROUND: u8 = 0;
/// Label of the left-ventricular cavity.
pub const LV: u8 = 1;
/// Label of the left-ventricular myocardium.
pub const MYO: u8 = 2;
/// Label of the right-ventricular cavity.
pub const RV: u8 = 3;

/// The plugin's model: stateless, see the crate docs for the method.
#[derive(Debug, Default)]
pub struct ClassicalSeg;

impl NativeModel for ClassicalSeg {
    fn create(config: &str) -> Result<Self, String> {
        let c: String = config.chars().filter(|c| !c.is_whitespace()).collect();
        if c.is_empty() || c == "{}" || c == "null" {
            Ok(ClassicalSeg)
        } else {
            Err(format!(
                "sensibench_classical_seg takes no options; expected an empty configuration or {{}}, got `{config}`"
            ))
        }
    }

    fn predict(&mut self, input: TensorRef<'_>) -> Result<OwnedTensor, String> {
        let shape = input.shape();
        if !(shape.len() == 4 || shape.len() == 5) || shape[1] != 1 {
            return Err(format!(
                "expected an input of shape N x 1 x H x W (or N x 1 x D x H x W), got {shape:?}"
            ));
        }
        let h = shape[shape.len() - 2];
        let w = shape[shape.len() - 1];
        if h < 8 || w < 8 {
            return Err(format!(
                "expected slices of at least 8 x 8 pixels, got {h} x {w}"
            ));
        }
        let data = input.data();
        let mut out = Vec::with_capacity(data.len());
        for slice in data.chunks_exact(h * w) {
            out.extend(segment_slice(slice, h, w).into_iter().map(f32::from));
        }
        OwnedTensor::new(shape.to_vec(), out)
    }
}

export_plugin!(
    ClassicalSeg,
    name = "sensibench_classical_seg",
    version = "0.1.0",
    description = "classical cardiac short-axis segmenter: Otsu, connected components, morphology (0 bg, 1 LV, 2 myo, 3 RV)"
);

/// A binary mask of one slice, row-major.
type Mask = Vec<bool>;

/// Segments one `h x w` slice (row-major) into labels 0..=3 (see the crate docs).
///
/// Panics if `image.len() != h * w`.
pub fn segment_slice(image: &[f32], h: usize, w: usize) -> Vec<u8> {
    assert_eq!(image.len(), h * w, "slice length must be h * w");
    let n = h * w;
    let mut labels = vec![BACKGROUND; n];
    let Some(norm) = normalise(image) else {
        return labels;
    };
    let smooth = gaussian_blur(&norm, h, w, 1.0);
    let threshold = otsu_threshold(&central_window(&smooth, h, w));
    let bright: Mask = smooth.iter().map(|&v| v > threshold).collect();
    let opened = dilate(&erode(&bright, h, w), h, w);

    let min_area = (n / 2000).max(12);
    let max_area = n / 4;
    let mut candidates: Vec<Candidate> = components(&opened, h, w, false)
        .into_iter()
        .filter(|c| c.len() >= min_area && c.len() <= max_area)
        .map(|pixels| Candidate::new(&pixels, &bright, h, w))
        .collect();

    let half = h.min(w) as f64 / 2.0;
    let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
    let lv_index = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.circularity >= 0.45)
        .map(|(i, c)| {
            let d = ((c.centroid.0 - cy).powi(2) + (c.centroid.1 - cx).powi(2)).sqrt();
            (i, c.circularity - d / half)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    let Some(lv_index) = lv_index else {
        return labels;
    };
    let lv = candidates.swap_remove(lv_index);
    let lv_area = lv.mask.iter().filter(|&&m| m).count();
    let radius = (lv_area as f64 / std::f64::consts::PI).sqrt();
    let thickness = (0.5 * radius).round().max(2.0);
    let lv_dist2 = squared_distance_transform(&lv.mask, h, w);

    // RV: the largest other candidate close enough to the LV.
    let reach = 1.5 * thickness + 3.0;
    let rv = candidates
        .iter()
        .filter(|c| {
            c.mask
                .iter()
                .zip(&lv_dist2)
                .any(|(&m, &d2)| m && d2 <= reach * reach)
        })
        .max_by_key(|c| c.area);
    let mut rv_mask = rv.map_or_else(|| vec![false; n], |c| c.mask.clone());
    for (r, &l) in rv_mask.iter_mut().zip(&lv.mask) {
        *r &= !l;
    }

    // Myocardium: dark pixels within `thickness` of the LV.
    let t2 = thickness * thickness;
    let allowed: Mask = (0..n)
        .map(|i| !lv.mask[i] && !rv_mask[i] && !bright[i])
        .collect();
    let ring: Mask = (0..n)
        .map(|i| allowed[i] && lv_dist2[i] > 0.0 && lv_dist2[i] <= t2)
        .collect();
    let near: Mask = (0..n)
        .map(|i| allowed[i] && lv_dist2[i] <= (thickness + 1.0) * (thickness + 1.0))
        .collect();
    let closed: Mask = erode(&dilate(&ring, h, w), h, w)
        .into_iter()
        .zip(&near)
        .map(|(c, &a)| c && a)
        .collect();
    let myo = largest_component(&closed, h, w);

    for (i, label) in labels.iter_mut().enumerate() {
        *label = if lv.mask[i] {
            LV
        } else if rv_mask[i] {
            RV
        } else if myo[i] {
            MYO
        } else {
            BACKGROUND
        };
    }
    // Holes enclosed by LV + myocardium belong to the cavity.
    let heart: Mask = labels.iter().map(|&l| l == LV || l == MYO).collect();
    let filled = fill_holes(&heart, h, w);
    for i in 0..n {
        if filled[i] && labels[i] == BACKGROUND {
            labels[i] = LV;
        }
    }
    labels
}

/// A candidate blood pool: hole-filled mask, grown back after the opening.
struct Candidate {
    mask: Mask,
    area: usize,
    centroid: (f64, f64),
    circularity: f64,
}

impl Candidate {
    fn new(pixels: &[usize], bright: &Mask, h: usize, w: usize) -> Self {
        let n = h * w;
        // Work in the component's bounding box plus a margin of 3 pixels:
        // the mask below never leaves the box grown by 1, so the margin
        // stays background, connected along the crop's border, and hole
        // filling and dilation give what they give on the whole image.
        let (mut y0, mut y1, mut x0, mut x1) = (h, 0, w, 0);
        for &p in pixels {
            let (y, x) = (p / w, p % w);
            (y0, y1, x0, x1) = (y0.min(y), y1.max(y), x0.min(x), x1.max(x));
        }
        let (y0, x0) = (y0.saturating_sub(3), x0.saturating_sub(3));
        let (y1, x1) = ((y1 + 3).min(h - 1), (x1 + 3).min(w - 1));
        let (ch, cw) = (y1 - y0 + 1, x1 - x0 + 1);
        let crop = |i: usize| (i / cw + y0) * w + i % cw + x0;
        let mut core = vec![false; ch * cw];
        for &p in pixels {
            core[(p / w - y0) * cw + p % w - x0] = true;
        }
        let filled = fill_holes(&core, ch, cw);
        let grown = dilate(&filled, ch, cw);
        let cropped = fill_holes(
            &(0..ch * cw)
                .map(|i| grown[i] && (bright[crop(i)] || filled[i]))
                .collect::<Mask>(),
            ch,
            cw,
        );
        let mut mask = vec![false; n];
        for (i, &m) in cropped.iter().enumerate() {
            if m {
                mask[crop(i)] = true;
            }
        }
        let idx: Vec<usize> = (0..n).filter(|&i| mask[i]).collect();
        let area = idx.len();
        let (sy, sx) = idx.iter().fold((0.0, 0.0), |(sy, sx), &i| {
            (sy + (i / w) as f64, sx + (i % w) as f64)
        });
        let centroid = (sy / area.max(1) as f64, sx / area.max(1) as f64);
        let r_max = idx
            .iter()
            .map(|&i| {
                let dy = (i / w) as f64 - centroid.0;
                let dx = (i % w) as f64 - centroid.1;
                (dy * dy + dx * dx).sqrt()
            })
            .fold(0.0, f64::max);
        let circularity = area as f64 / (std::f64::consts::PI * (r_max + 0.5).powi(2));
        Candidate {
            mask,
            area,
            centroid,
            circularity,
        }
    }
}

/// Maps the 1st..99th percentile of the finite values to 0..1 (clipped); `None`
/// for a flat or empty slice.
fn normalise(image: &[f32]) -> Option<Vec<f32>> {
    let mut finite: Vec<f32> = image.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_by(f32::total_cmp);
    let at = |q: f64| finite[((finite.len() - 1) as f64 * q).round() as usize];
    let (lo, hi) = (at(0.01), at(0.99));
    if (hi - lo).abs() <= f32::EPSILON * hi.abs().max(lo.abs()).max(1.0) {
        return None;
    }
    Some(
        image
            .iter()
            .map(|&v| {
                if v.is_finite() {
                    ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect(),
    )
}

/// Separable Gaussian filter with edge values repeated; radius `ceil(3 sigma)`.
fn gaussian_blur(image: &[f32], h: usize, w: usize, sigma: f32) -> Vec<f32> {
    let r = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-r..=r)
        .map(|k| (-((k * k) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / sum).collect();
    let clampi = |v: isize, len: usize| v.clamp(0, len as isize - 1) as usize;
    let mut tmp = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            tmp[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, &kv)| kv * image[y * w + clampi(x as isize + k as isize - r, w)])
                .sum();
        }
    }
    let mut out = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, &kv)| kv * tmp[clampi(y as isize + k as isize - r, h) * w + x])
                .sum();
        }
    }
    out
}

/// The values of the middle half of each axis.
fn central_window(image: &[f32], h: usize, w: usize) -> Vec<f32> {
    let (y0, y1) = (h / 4, h - h / 4);
    let (x0, x1) = (w / 4, w - w / 4);
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| image[y * w + x]))
        .collect()
}

/// Otsu's threshold of values in `0..1` with 256 bins: the bin edge maximising the
/// between-class variance `w0 w1 (mu0 - mu1)^2`. Returns a value between bins.
pub fn otsu_threshold(values: &[f32]) -> f32 {
    const BINS: usize = 256;
    let mut hist = [0u64; BINS];
    for &v in values {
        let b = ((v.clamp(0.0, 1.0) * BINS as f32) as usize).min(BINS - 1);
        hist[b] += 1;
    }
    let total = values.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w0, mut sum0) = (0.0f64, 0.0f64);
    let (mut best, mut best_var) = (BINS / 2, -1.0f64);
    for (i, &c) in hist.iter().enumerate().take(BINS - 1) {
        w0 += c as f64;
        sum0 += i as f64 * c as f64;
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let mu0 = sum0 / w0;
        let mu1 = (sum_all - sum0) / w1;
        let var = w0 * w1 * (mu0 - mu1) * (mu0 - mu1);
        if var > best_var {
            best_var = var;
            best = i;
        }
    }
    // Values in bins 0..=best are below the threshold.
    (best + 1) as f32 / BINS as f32
}

/// The 3x3 neighbourhood reduction of `mask` with `op` (`|` for dilation,
/// `&` for erosion), over in-bounds neighbours only: separable, a row pass
/// then a column pass, which is exact for a square element.
fn reduce3x3(mask: &Mask, h: usize, w: usize, op: fn(bool, bool) -> bool) -> Mask {
    let mut rows = vec![false; h * w];
    for (src, dst) in mask.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
        for x in 0..w {
            let mut v = src[x];
            if x > 0 {
                v = op(v, src[x - 1]);
            }
            if x + 1 < w {
                v = op(v, src[x + 1]);
            }
            dst[x] = v;
        }
    }
    let mut out = rows.clone();
    for y in 0..h {
        let row = &mut out[y * w..(y + 1) * w];
        if y > 0 {
            for (o, &a) in row.iter_mut().zip(&rows[(y - 1) * w..y * w]) {
                *o = op(*o, a);
            }
        }
        if y + 1 < h {
            for (o, &b) in row.iter_mut().zip(&rows[(y + 1) * w..(y + 2) * w]) {
                *o = op(*o, b);
            }
        }
    }
    out
}

/// Binary dilation with a 3x3 square.
fn dilate(mask: &Mask, h: usize, w: usize) -> Mask {
    reduce3x3(mask, h, w, |a, b| a | b)
}

/// Binary erosion with a 3x3 square (pixels outside the image count as set).
fn erode(mask: &Mask, h: usize, w: usize) -> Mask {
    reduce3x3(mask, h, w, |a, b| a & b)
}

/// Connected components of the set pixels (4- or 8-connectivity), as pixel lists.
fn components(mask: &Mask, h: usize, w: usize, eight: bool) -> Vec<Vec<usize>> {
    let mut seen = vec![false; h * w];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..h * w {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut pixels = Vec::new();
        while let Some(p) = stack.pop() {
            pixels.push(p);
            let (y, x) = (p / w, p % w);
            let (y0, y1) = (y.saturating_sub(1), (y + 1).min(h - 1));
            let (x0, x1) = (x.saturating_sub(1), (x + 1).min(w - 1));
            for qy in y0..=y1 {
                for qx in x0..=x1 {
                    if !eight && qy != y && qx != x {
                        continue;
                    }
                    let q = qy * w + qx;
                    if mask[q] && !seen[q] {
                        seen[q] = true;
                        stack.push(q);
                    }
                }
            }
        }
        out.push(pixels);
    }
    out
}

/// The largest 8-connected component of `mask`.
fn largest_component(mask: &Mask, h: usize, w: usize) -> Mask {
    let mut out = vec![false; h * w];
    if let Some(best) = components(mask, h, w, true)
        .into_iter()
        .max_by_key(|c| c.len())
    {
        for p in best {
            out[p] = true;
        }
    }
    out
}

/// Fills the holes of `mask`: unset pixels not 4-connected to the image border.
fn fill_holes(mask: &Mask, h: usize, w: usize) -> Mask {
    let background: Mask = mask.iter().map(|&m| !m).collect();
    let mut outside = vec![false; h * w];
    for comp in components(&background, h, w, false) {
        if comp
            .iter()
            .any(|&p| p / w == 0 || p / w == h - 1 || p % w == 0 || p % w == w - 1)
        {
            for p in comp {
                outside[p] = true;
            }
        }
    }
    outside.iter().map(|&o| !o).collect()
}

/// Exact squared Euclidean distance (in pixels) to the nearest set pixel
/// (Felzenszwalb & Huttenlocher's separable lower-envelope algorithm); all
/// infinite if `mask` is empty.
fn squared_distance_transform(mask: &Mask, h: usize, w: usize) -> Vec<f64> {
    let inf = f64::INFINITY;
    let mut grid: Vec<f64> = mask.iter().map(|&m| if m { 0.0 } else { inf }).collect();
    let mut buf = Vec::new();
    for x in 0..w {
        let col: Vec<f64> = (0..h).map(|y| grid[y * w + x]).collect();
        distance_1d(&col, &mut buf);
        for y in 0..h {
            grid[y * w + x] = buf[y];
        }
    }
    for y in 0..h {
        let row = grid[y * w..(y + 1) * w].to_vec();
        distance_1d(&row, &mut buf);
        grid[y * w..(y + 1) * w].copy_from_slice(&buf);
    }
    grid
}

/// One pass of the 1D squared distance transform of sampled function `f`.
fn distance_1d(f: &[f64], out: &mut Vec<f64>) {
    let n = f.len();
    out.clear();
    out.resize(n, f64::INFINITY);
    let finite: Vec<usize> = (0..n).filter(|&q| f[q].is_finite()).collect();
    if finite.is_empty() {
        return;
    }
    // Lower envelope of the parabolas rooted at the finite samples.
    let mut v: Vec<usize> = Vec::with_capacity(finite.len());
    let mut z: Vec<f64> = Vec::with_capacity(finite.len() + 1);
    for &q in &finite {
        let qf = q as f64;
        loop {
            match v.last() {
                None => {
                    v.push(q);
                    z.clear();
                    z.push(f64::NEG_INFINITY);
                    break;
                }
                Some(&p) => {
                    let pf = p as f64;
                    let s = ((f[q] + qf * qf) - (f[p] + pf * pf)) / (2.0 * (qf - pf));
                    if s <= z[z.len() - 1] {
                        v.pop();
                        z.pop();
                    } else {
                        v.push(q);
                        z.push(s);
                        break;
                    }
                }
            }
        }
    }
    let mut k = 0;
    for (q, o) in out.iter_mut().enumerate() {
        let qf = q as f64;
        while k + 1 < v.len() && z[k + 1] < qf {
            k += 1;
        }
        let p = v[k] as f64;
        *o = (qf - p) * (qf - p) + f[v[k]];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otsu_splits_two_levels() {
        let mut v = vec![0.2f32; 100];
        v.extend(vec![0.8f32; 50]);
        let t = otsu_threshold(&v);
        assert!(t > 0.2 && t <= 0.8, "{t}");
    }

    #[test]
    fn distance_transform_matches_brute_force() {
        let (h, w) = (9, 11);
        let mut mask = vec![false; h * w];
        for &(y, x) in &[(1usize, 2usize), (7, 9), (4, 4)] {
            mask[y * w + x] = true;
        }
        let d = squared_distance_transform(&mask, h, w);
        for y in 0..h {
            for x in 0..w {
                let brute = [(1.0, 2.0), (7.0, 9.0), (4.0, 4.0)]
                    .iter()
                    .map(|&(py, px): &(f64, f64)| (y as f64 - py).powi(2) + (x as f64 - px).powi(2))
                    .fold(f64::INFINITY, f64::min);
                assert_eq!(d[y * w + x], brute, "at ({y}, {x})");
            }
        }
    }

    #[test]
    fn fill_holes_fills_enclosed_pixels_only() {
        // A 5x5 square ring (3x3 hole inside), plus a U open to the border.
        let (h, w) = (7, 7);
        let mut m = vec![false; h * w];
        for y in 1..6 {
            for x in 1..6 {
                if y == 1 || y == 5 || x == 1 || x == 5 {
                    m[y * w + x] = true;
                }
            }
        }
        let f = fill_holes(&m, h, w);
        assert_eq!(f.iter().filter(|&&v| v).count(), 25);
        m[w + 3] = false; // opens the ring: the hole now reaches the border through (1, 3)
        let f = fill_holes(&m, h, w);
        assert_eq!(f.iter().filter(|&&v| v).count(), 15);
    }

    #[test]
    fn flat_image_is_background() {
        let labels = segment_slice(&[3.0; 64 * 64], 64, 64);
        assert!(labels.iter().all(|&l| l == BACKGROUND));
    }
}
