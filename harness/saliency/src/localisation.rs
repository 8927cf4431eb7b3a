//! How much of a saliency map falls on a region (e.g. the ground-truth
//! lesion or organ mask).
//!
//! All three metrics return `None` when the region does not match the map
//! (`region.len() != map.height * map.width`, or an inconsistent map), when
//! the map has a non-finite value, or in the degenerate cases each function
//! lists. Use [`check_region`] to tell a size mismatch from a degenerate map.

use crate::map::SaliencyMap;

/// `Ok` when `region` has one entry per pixel of `map` and the map's data
/// has `height * width` values; otherwise an error saying which sizes differ.
pub fn check_region(map: &SaliencyMap, region: &[bool]) -> Result<(), String> {
    let n = map.height * map.width;
    if map.data.len() != n {
        return Err(format!(
            "saliency map: expected {} x {} = {n} values, found {}",
            map.height,
            map.width,
            map.data.len()
        ));
    }
    if region.len() != n {
        return Err(format!(
            "region: expected {} x {} = {n} pixels (the map's size), found {}",
            map.height,
            map.width,
            region.len()
        ));
    }
    Ok(())
}

/// The map's values when the region fits and every value is finite.
fn usable<'a>(map: &'a SaliencyMap, region: &[bool]) -> Option<&'a [f32]> {
    check_region(map, region).ok()?;
    map.data.iter().all(|v| v.is_finite()).then_some(&map.data)
}

/// Relevance Mass Accuracy (Arras, Osman & Samek, Information Fusion 2022):
/// `Σ_{p ∈ region} R⁺(p) / Σ_p R⁺(p)` with `R⁺ = max(R, 0)`, in `[0, 1]`
/// (sums in `f64`). `None` when `Σ R⁺ = 0` (no positive relevance) or the
/// map is unusable (see the module doc). An empty region gives 0.
pub fn relevance_mass_accuracy(map: &SaliencyMap, region: &[bool]) -> Option<f64> {
    let data = usable(map, region)?;
    let (mut inside, mut total) = (0.0f64, 0.0f64);
    for (&v, &r) in data.iter().zip(region) {
        if v > 0.0 {
            total += f64::from(v);
            if r {
                inside += f64::from(v);
            }
        }
    }
    (total > 0.0).then(|| inside / total)
}

/// Relevance Rank Accuracy (Arras, Osman & Samek 2022): with `K = |region|`,
/// the fraction of the `K` highest-ranked pixels that lie in the region, in
/// `[0, 1]`.
///
/// Pixels are ranked by the signed value `R` in decreasing order, ties
/// broken by the lower flat (row-major) index first. (Ranking by `R⁺`
/// instead would only differ in the order of non-positive pixels.) `None`
/// when the region is empty, when the map has no positive value (no
/// evidence, consistent with [`relevance_mass_accuracy`]), or when the map
/// is unusable.
pub fn relevance_rank_accuracy(map: &SaliencyMap, region: &[bool]) -> Option<f64> {
    let data = usable(map, region)?;
    let k = region.iter().filter(|&&r| r).count();
    if k == 0 || !data.iter().any(|&v| v > 0.0) {
        return None;
    }
    let mut order: Vec<usize> = (0..data.len()).collect();
    // Stable sort on descending value keeps lower indices first among ties.
    order.sort_by(|&a, &b| data[b].total_cmp(&data[a]));
    let hits = order[..k].iter().filter(|&&i| region[i]).count();
    Some(hits as f64 / k as f64)
}

/// Pointing game (Zhang et al., IJCV 2018): is the map's maximum on the
/// region?
///
/// A maximal pixel hits when some region pixel lies within Euclidean
/// distance `tolerance` pixels of it (`0` = the pixel itself must be in the
/// region; Zhang et al. use 15 px at the original image resolution). Ties:
/// when several pixels share the maximum value, **every** one of them must
/// hit (conservative: a flat or saturated map cannot score by luck).
/// `None` when the maximum is not positive (no evidence: zero or all
/// negative map), when the region is empty, or when the map is unusable.
pub fn pointing_game(map: &SaliencyMap, region: &[bool], tolerance: usize) -> Option<bool> {
    let data = usable(map, region)?;
    if !region.iter().any(|&r| r) {
        return None;
    }
    let max = data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let (h, w) = (map.height, map.width);
    let t = tolerance;
    let hits = |i: usize| {
        let (y, x) = (i / w, i % w);
        let t2 = t * t;
        (y.saturating_sub(t)..(y + t + 1).min(h)).any(|yy| {
            (x.saturating_sub(t)..(x + t + 1).min(w)).any(|xx| {
                let (dy, dx) = (yy.abs_diff(y), xx.abs_diff(x));
                dy * dy + dx * dx <= t2 && region[yy * w + xx]
            })
        })
    };
    Some(
        data.iter()
            .enumerate()
            .filter(|&(_, &v)| v == max)
            .all(|(i, _)| hits(i)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(h: usize, w: usize, data: &[f32]) -> SaliencyMap {
        SaliencyMap::new(h, w, data.to_vec()).expect("map")
    }

    fn region(bits: &str) -> Vec<bool> {
        bits.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c == '1')
            .collect()
    }

    #[test]
    fn mass_accuracy_hand_worked() {
        // 2 x 3; R = [3 -1 1 / 0 2 -4]; region = first column + (1,1)
        let m = map(2, 3, &[3.0, -1.0, 1.0, 0.0, 2.0, -4.0]);
        let r = region("100 110");
        // R⁺ total = 3 + 1 + 2 = 6; inside = 3 + 0 + 2 = 5
        assert_eq!(relevance_mass_accuracy(&m, &r), Some(5.0 / 6.0));
        assert_eq!(relevance_mass_accuracy(&m, &region("000 000")), Some(0.0));
        let neg = map(1, 2, &[-1.0, 0.0]);
        assert_eq!(relevance_mass_accuracy(&neg, &region("10")), None);
        assert_eq!(relevance_mass_accuracy(&m, &region("10")), None);
        let nan = map(1, 2, &[f32::NAN, 1.0]);
        assert_eq!(relevance_mass_accuracy(&nan, &region("01")), None);
    }

    #[test]
    fn rank_accuracy_hand_worked() {
        let m = map(2, 3, &[3.0, -1.0, 1.0, 0.0, 2.0, -4.0]);
        // K = 3; ranking: 3 (i0), 2 (i4), 1 (i2), 0, -1, -4 -> top {0, 4, 2}
        assert_eq!(
            relevance_rank_accuracy(&m, &region("100 110")),
            Some(2.0 / 3.0)
        );
        assert_eq!(relevance_rank_accuracy(&m, &region("101 010")), Some(1.0));
        // K = 1 with tied maxima: index 1 ranks before index 3
        let t = map(1, 4, &[0.0, 5.0, 1.0, 5.0]);
        assert_eq!(relevance_rank_accuracy(&t, &region("0100")), Some(1.0));
        assert_eq!(relevance_rank_accuracy(&t, &region("0001")), Some(0.0));
        assert_eq!(relevance_rank_accuracy(&t, &region("0000")), None);
        assert_eq!(
            relevance_rank_accuracy(&map(1, 2, &[0.0, -1.0]), &region("10")),
            None
        );
    }

    #[test]
    fn pointing_game_hand_worked() {
        // 3 x 4, maximum at (0, 3)
        let m = map(
            3,
            4,
            &[0.0, 1.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        );
        assert_eq!(pointing_game(&m, &region("0001 0000 0000"), 0), Some(true));
        assert_eq!(pointing_game(&m, &region("0100 0000 0000"), 0), Some(false));
        // (2, 2) is at distance sqrt(4 + 1) ≈ 2.24 from (0, 3)
        let far = region("0000 0000 0010");
        assert_eq!(pointing_game(&m, &far, 2), Some(false));
        assert_eq!(pointing_game(&m, &far, 3), Some(true));
        // tied maxima: all must hit
        let t = map(1, 4, &[2.0, 0.0, 0.0, 2.0]);
        assert_eq!(pointing_game(&t, &region("1000"), 0), Some(false));
        assert_eq!(pointing_game(&t, &region("1001"), 0), Some(true));
        assert_eq!(pointing_game(&t, &region("0000"), 0), None);
        assert_eq!(
            pointing_game(&map(1, 2, &[0.0, 0.0]), &region("11"), 0),
            None
        );
        assert!(check_region(&t, &region("10")).is_err());
        assert_eq!(pointing_game(&t, &region("10"), 0), None);
    }
}
