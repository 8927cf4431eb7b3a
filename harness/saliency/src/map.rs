//! The saliency map type, bilinear upsampling, normalisation and averaging.

use serde::{Deserialize, Serialize};

/// A 2-D saliency map, row-major (`data[r * width + c]`). Values are
/// non-negative unless the producing function documents otherwise
/// ([`crate::occlusion`] and [`crate::cam`] are signed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaliencyMap {
    /// Number of rows.
    pub height: usize,
    /// Number of columns.
    pub width: usize,
    /// `height * width` values, row-major.
    pub data: Vec<f32>,
}

impl SaliencyMap {
    /// A map from its values; fails when `data.len() != height * width`.
    pub fn new(height: usize, width: usize, data: Vec<f32>) -> Result<Self, String> {
        if data.len() != height * width {
            return Err(format!(
                "saliency map: expected {height} x {width} = {} values, found {}",
                height * width,
                data.len()
            ));
        }
        Ok(SaliencyMap {
            height,
            width,
            data,
        })
    }

    /// The largest value of the positive part `max(R, 0)` (0 for an empty or
    /// non-positive map; NaN values are ignored).
    pub fn positive_max(&self) -> f32 {
        self.data
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(0.0f32, f32::max)
    }
}

/// Source index and weight of one output coordinate, as PyTorch's
/// `area_pixel_compute_source_index` (align_corners=False, non-cubic):
/// `src = max((dst + 0.5) * in / out - 0.5, 0)`, `i0 = floor(src)`,
/// `i1 = min(i0 + 1, in - 1)`, `λ = src - i0`.
fn source_index(dst: usize, input: usize, output: usize) -> (usize, usize, f64) {
    let scale = input as f64 / output as f64;
    let src = ((dst as f64 + 0.5) * scale - 0.5).max(0.0);
    let i0 = (src.floor() as usize).min(input - 1);
    let i1 = (i0 + 1).min(input - 1);
    (i0, i1, src - i0 as f64)
}

/// Bilinear resampling of a `height x width` row-major grid to
/// `out_h x out_w`, exactly `torch.nn.functional.interpolate(x,
/// size=(out_h, out_w), mode="bilinear", align_corners=False)` (without
/// `scale_factor`): pixel centres are aligned, `src = (dst + 0.5)·in/out −
/// 0.5` clamped at 0, the far neighbour clamped to the last row/column.
/// Arithmetic in `f64`. Fails on empty sizes or a wrong `data` length.
pub fn upsample_bilinear(
    data: &[f32],
    height: usize,
    width: usize,
    out_h: usize,
    out_w: usize,
) -> Result<SaliencyMap, String> {
    if height == 0 || width == 0 || out_h == 0 || out_w == 0 {
        return Err(format!(
            "bilinear upsampling: sizes must be positive, got {height} x {width} -> {out_h} x {out_w}"
        ));
    }
    if data.len() != height * width {
        return Err(format!(
            "bilinear upsampling: expected {height} x {width} = {} values, found {}",
            height * width,
            data.len()
        ));
    }
    let cols: Vec<(usize, usize, f64)> =
        (0..out_w).map(|x| source_index(x, width, out_w)).collect();
    let mut out = Vec::with_capacity(out_h * out_w);
    for y in 0..out_h {
        let (r0, r1, ly) = source_index(y, height, out_h);
        for &(c0, c1, lx) in &cols {
            let v = |r: usize, c: usize| f64::from(data[r * width + c]);
            let top = (1.0 - lx) * v(r0, c0) + lx * v(r0, c1);
            let bottom = (1.0 - lx) * v(r1, c0) + lx * v(r1, c1);
            out.push(((1.0 - ly) * top + ly * bottom) as f32);
        }
    }
    SaliencyMap::new(out_h, out_w, out)
}

/// Display normalisation: `max(R, 0) / max(R⁺)`, so values lie in `[0, 1]`
/// and the maximum is 1. Negative values are clamped to 0. A map with no
/// positive value (all zero or all negative) becomes the zero map. NaN
/// values become 0.
pub fn to_unit(map: &SaliencyMap) -> SaliencyMap {
    let m = map.positive_max();
    let data = map
        .data
        .iter()
        .map(|&v| if m > 0.0 && v > 0.0 { v / m } else { 0.0 })
        .collect();
    SaliencyMap {
        height: map.height,
        width: map.width,
        data,
    }
}

/// The mean map of each class `0..classes`: every map is first normalised
/// with [`to_unit`] (clamped at 0 and divided by its own maximum, a zero map
/// stays zero and still counts), then the normalised maps with that label are
/// averaged pixel-wise. Entry `c` is `None` when no map has label `c`.
///
/// Pairs are taken as `maps.iter().zip(labels)` (extra items of the longer
/// slice are ignored); items with a label `>= classes` are skipped, and so is
/// a map whose size differs from the first map of its class (maps are not
/// resampled).
pub fn class_mean_maps(
    maps: &[SaliencyMap],
    labels: &[usize],
    classes: usize,
) -> Vec<Option<SaliencyMap>> {
    let mut sums: Vec<Option<(SaliencyMap, usize)>> = vec![None; classes];
    for (map, &label) in maps.iter().zip(labels) {
        if label >= classes || map.data.len() != map.height * map.width {
            continue;
        }
        let unit = to_unit(map);
        match &mut sums[label] {
            None => sums[label] = Some((unit, 1)),
            Some((acc, n)) => {
                if acc.height != unit.height || acc.width != unit.width {
                    continue;
                }
                for (a, v) in acc.data.iter_mut().zip(&unit.data) {
                    *a += v;
                }
                *n += 1;
            }
        }
    }
    sums.into_iter()
        .map(|s| {
            s.map(|(mut acc, n)| {
                let n = n as f32;
                for a in &mut acc.data {
                    *a /= n;
                }
                acc
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsample_identity_and_hand_worked() {
        let m = upsample_bilinear(&[1.0, 2.0, 3.0, 4.0], 2, 2, 2, 2).expect("ok");
        assert_eq!(m.data, vec![1.0, 2.0, 3.0, 4.0]);
        // 1 x 2 -> 1 x 4: src = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25
        // -> clamp 0 -> 0, 0.25, 0.75, 1(clamped neighbour)
        let m = upsample_bilinear(&[0.0, 4.0], 1, 2, 1, 4).expect("ok");
        assert_eq!(m.data, vec![0.0, 1.0, 3.0, 4.0]);
        assert!(upsample_bilinear(&[0.0; 3], 1, 2, 1, 4).is_err());
        assert!(upsample_bilinear(&[], 0, 2, 1, 4).is_err());
    }

    #[test]
    fn to_unit_clamps_and_scales() {
        let m = SaliencyMap::new(1, 4, vec![-2.0, 0.0, 1.0, 4.0]).expect("ok");
        assert_eq!(to_unit(&m).data, vec![0.0, 0.0, 0.25, 1.0]);
        let z = SaliencyMap::new(1, 2, vec![-1.0, -3.0]).expect("ok");
        assert_eq!(to_unit(&z).data, vec![0.0, 0.0]);
    }

    #[test]
    fn class_means_normalise_each_map_first() {
        let a = SaliencyMap::new(1, 2, vec![2.0, 1.0]).expect("ok"); // -> 1, .5
        let b = SaliencyMap::new(1, 2, vec![0.0, 10.0]).expect("ok"); // -> 0, 1
        let c = SaliencyMap::new(1, 2, vec![0.0, 0.0]).expect("ok"); // zero, counts
        let odd = SaliencyMap::new(1, 3, vec![1.0; 3]).expect("ok"); // wrong size
        let means = class_mean_maps(&[a, b, c, odd], &[0, 0, 2, 2], 4);
        assert_eq!(means.len(), 4);
        assert_eq!(
            means[0].as_ref().map(|m| m.data.clone()),
            Some(vec![0.5, 0.75])
        );
        assert!(means[1].is_none());
        assert_eq!(
            means[2].as_ref().map(|m| m.data.clone()),
            Some(vec![0.0, 0.0])
        );
        assert!(means[3].is_none());
    }
}
