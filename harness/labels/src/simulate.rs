//! Seeded simulated annotators for the ranking and the single-label
//! protocols, and the equal-effort rule.
//!
//! Positions are on a true axis running from basal (small) to apical
//! (large), in "position units" (e.g. `0..1` from the most basal to the most
//! apical slice). Every simulator draws from
//! [`SeededRng::new`]`(`[`derive_seed`]`(seed, &[protocol, annotator]))` with
//! `protocol` = `"rankings"` or `"single"`, so two annotators with the same
//! seed differ, and the same `(seed, annotator)` always gives the same
//! output.

use std::collections::HashSet;

use sensibench_core::{Error, Result, SeededRng, derive_seed};

use crate::ranking::RankingSession;
use crate::single::SingleLabel;

/// A simulated expert ranking batches (see [`simulate_rankings`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RankingAnnotatorModel {
    /// Standard deviation of the perceived position, in position units.
    pub noise: f64,
    /// Images per batch (8 in the paper).
    pub batch_size: usize,
    /// Minimum number of times each image is ranked (3 in the paper).
    pub views_per_image: usize,
}

impl Default for RankingAnnotatorModel {
    /// `noise = 0.05`, `batch_size = 8`, `views_per_image = 3`.
    fn default() -> Self {
        RankingAnnotatorModel {
            noise: 0.05,
            batch_size: 8,
            views_per_image: 3,
        }
    }
}

/// A simulated expert labelling one image at a time (see
/// [`simulate_single`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SingleAnnotatorModel {
    /// Probability that a label is moved to an adjacent class.
    pub error_rate: f64,
}

fn check_ids(ids: &[String], positions: &[f64]) -> Result<()> {
    if ids.len() != positions.len() {
        return Err(Error::invalid(
            "positions",
            format!("{} positions", positions.len()),
            &format!("one position per image ({} ids)", ids.len()),
        ));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.as_str()) {
            return Err(Error::invalid("ids", id, "unique image ids"));
        }
    }
    if let Some(i) = positions.iter().position(|p| !p.is_finite()) {
        return Err(Error::invalid(
            "positions",
            format!("positions[{i}] = {}", positions[i]),
            "finite positions",
        ));
    }
    Ok(())
}

/// Simulated ranking sessions of one annotator.
///
/// **Batches.** With `n` images and `B = min(batch_size, n)`, each of
/// `views_per_image` rounds `r = 1, 2, …` shuffles the images (Fisher–Yates)
/// and cuts the permutation into batches of `B`; a last, partial batch of
/// `m < B` images is filled with `B − m` images drawn at random, without
/// replacement, from the images not already in it (they get an extra view).
/// So every image is ranked at least `views_per_image` times, and there are
/// `views_per_image · ⌈n / B⌉` batches, named `r{r}-b{j:03}` (`j = 1, 2, …`
/// within a round).
///
/// **Noise.** Each view of image `i` perceives `x = position_i + noise · z`
/// with an independent `z ~ N(0, 1)`; the batch is sorted by `x` ascending
/// (most basal first; exact ties by index in `ids`).
///
/// Errors if `ids` and `positions` differ in length, `ids` repeats an id or
/// has fewer than 2 images, a position or `noise` is not finite, `noise < 0`,
/// `batch_size < 2` or `views_per_image == 0`. The ids must also be valid in
/// a ranking ([`RankingSession::validate`]).
pub fn simulate_rankings(
    ids: &[String],
    positions: &[f64],
    model: &RankingAnnotatorModel,
    annotator: &str,
    seed: u64,
) -> Result<Vec<RankingSession>> {
    check_ids(ids, positions)?;
    let n = ids.len();
    if n < 2 {
        return Err(Error::invalid("ids", n, "at least 2 images to rank"));
    }
    if !(model.noise.is_finite() && model.noise >= 0.0) {
        return Err(Error::invalid("noise", model.noise, "a finite sd ≥ 0"));
    }
    if model.batch_size < 2 {
        return Err(Error::invalid("batch_size", model.batch_size, "at least 2"));
    }
    if model.views_per_image == 0 {
        return Err(Error::invalid("views_per_image", 0, "at least 1"));
    }
    let b = model.batch_size.min(n);
    let mut rng = SeededRng::new(derive_seed(seed, &["rankings", annotator]));
    let mut out = Vec::new();
    for round in 1..=model.views_per_image {
        let mut perm: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut perm);
        for (j, chunk) in perm.chunks(b).enumerate() {
            let mut batch = chunk.to_vec();
            if batch.len() < b {
                let inside: HashSet<usize> = batch.iter().copied().collect();
                let mut rest: Vec<usize> = (0..n).filter(|i| !inside.contains(i)).collect();
                rng.shuffle(&mut rest);
                batch.extend_from_slice(&rest[..b - batch.len()]);
            }
            let mut seen: Vec<(f64, usize)> = batch
                .iter()
                .map(|&i| (positions[i] + model.noise * rng.normal(), i))
                .collect();
            seen.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let session = RankingSession {
                annotator: annotator.to_string(),
                batch: format!("r{round}-b{:03}", j + 1),
                items: seen.iter().map(|&(_, i)| ids[i].clone()).collect(),
            };
            session
                .validate()
                .map_err(|e| Error::invalid("ids / annotator", annotator, &e))?;
            out.push(session);
        }
    }
    Ok(out)
}

/// Simulated one-image-at-a-time labels of one annotator, one per image in
/// `ids` order.
///
/// `k = cut_points.len() + 1` classes; `cut_points` are the class boundaries
/// on the position axis (strictly increasing). For each image one uniform
/// `u ∈ [0, 1)` is drawn; if `u < error_rate` the label is the adjacent
/// class nearer to the image's position instead of `truth_classes[i] = c`:
/// class 0 moves to 1, class `k − 1` to `k − 2`, and an inner class moves
/// to `c − 1` if `|position − cut_points[c − 1]| ≤ |cut_points[c] −
/// position|` (ties go down), else to `c + 1`. Otherwise the label is `c`.
///
/// Errors if the lengths differ, an id repeats, a position is not finite,
/// `cut_points` is empty or not strictly increasing and finite, a true
/// class is `≥ k`, or `error_rate ∉ [0, 1]`.
pub fn simulate_single(
    ids: &[String],
    truth_classes: &[u32],
    positions: &[f64],
    cut_points: &[f64],
    model: &SingleAnnotatorModel,
    annotator: &str,
    seed: u64,
) -> Result<Vec<SingleLabel>> {
    check_ids(ids, positions)?;
    if truth_classes.len() != ids.len() {
        return Err(Error::invalid(
            "truth_classes",
            format!("{} classes", truth_classes.len()),
            &format!("one class per image ({} ids)", ids.len()),
        ));
    }
    if cut_points.is_empty()
        || cut_points.iter().any(|x| !x.is_finite())
        || cut_points.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(Error::invalid(
            "cut_points",
            format!("{cut_points:?}"),
            "at least one finite, strictly increasing cut point",
        ));
    }
    if !(0.0..=1.0).contains(&model.error_rate) {
        return Err(Error::invalid(
            "error_rate",
            model.error_rate,
            "a probability in [0, 1]",
        ));
    }
    let k = cut_points.len() + 1;
    if let Some(i) = truth_classes.iter().position(|&c| c as usize >= k) {
        return Err(Error::invalid(
            "truth_classes",
            format!("class {} of `{}`", truth_classes[i], ids[i]),
            &format!("class indices in 0..{k}"),
        ));
    }
    let mut rng = SeededRng::new(derive_seed(seed, &["single", annotator]));
    let mut out = Vec::with_capacity(ids.len());
    for i in 0..ids.len() {
        let c = truth_classes[i] as usize;
        let u = rng.uniform();
        let label = if u < model.error_rate {
            if c == 0 {
                1
            } else if c == k - 1 {
                k - 2
            } else {
                let p = positions[i];
                if (p - cut_points[c - 1]).abs() <= (cut_points[c] - p).abs() {
                    c - 1
                } else {
                    c + 1
                }
            }
        } else {
            c
        };
        out.push(SingleLabel {
            annotator: annotator.to_string(),
            image: ids[i].clone(),
            label: label as u32,
        });
    }
    Ok(out)
}

/// Annotation effort, for comparing the two protocols at equal time.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Effort {
    /// Seconds an expert needs to rank one batch.
    pub seconds_per_batch: f64,
    /// Seconds an expert needs to label one image.
    pub seconds_per_label: f64,
}

impl Effort {
    /// Seconds spent ranking `batches` batches: `batches · seconds_per_batch`.
    pub fn ranking_seconds(&self, batches: usize) -> f64 {
        batches as f64 * self.seconds_per_batch
    }

    /// How many single labels per image fit into the time the ranking of
    /// `batches` batches took, for `images` images:
    /// `max(1, ⌊batches · seconds_per_batch / (images · seconds_per_label)⌋)`
    /// (at least one label per image, even if that takes longer).
    ///
    /// Errors if `images == 0` or a time is not finite and `> 0`.
    pub fn single_labels_per_image(&self, batches: usize, images: usize) -> Result<usize> {
        for (name, v) in [
            ("seconds_per_batch", self.seconds_per_batch),
            ("seconds_per_label", self.seconds_per_label),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid(name, v, "a finite time > 0 seconds"));
            }
        }
        if images == 0 {
            return Err(Error::invalid("images", 0, "at least one image"));
        }
        let per = self.ranking_seconds(batches) / (images as f64 * self.seconds_per_label);
        Ok((per.floor() as usize).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effort_by_hand() {
        let e = Effort {
            seconds_per_batch: 60.0,
            seconds_per_label: 5.0,
        };
        // 75 batches · 60 s = 4500 s; 200 images · 5 s = 1000 s → 4 labels.
        assert_eq!(e.single_labels_per_image(75, 200).unwrap(), 4);
        assert_eq!(e.single_labels_per_image(1, 200).unwrap(), 1);
        assert!(e.single_labels_per_image(1, 0).is_err());
        let bad = Effort {
            seconds_per_batch: 0.0,
            ..e
        };
        assert!(bad.single_labels_per_image(1, 1).is_err());
    }

    #[test]
    fn single_error_moves_to_the_nearer_neighbour() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let cuts = [0.3, 0.7];
        let pos = [0.1, 0.35, 0.65, 0.9];
        let truth = [0, 1, 1, 2];
        let m = SingleAnnotatorModel { error_rate: 1.0 };
        let l = simulate_single(&ids, &truth, &pos, &cuts, &m, "A", 1).unwrap();
        let got: Vec<u32> = l.iter().map(|l| l.label).collect();
        assert_eq!(got, [1, 0, 2, 1]);
        let m0 = SingleAnnotatorModel { error_rate: 0.0 };
        let l = simulate_single(&ids, &truth, &pos, &cuts, &m0, "A", 1).unwrap();
        assert!(l.iter().zip(&truth).all(|(l, &t)| l.label == t));
        assert!(simulate_single(&ids, &[0, 1, 1, 3], &pos, &cuts, &m, "A", 1).is_err());
        assert!(simulate_single(&ids, &truth, &pos, &[0.7, 0.3], &m, "A", 1).is_err());
        let bad = SingleAnnotatorModel { error_rate: 1.5 };
        assert!(simulate_single(&ids, &truth, &pos, &cuts, &bad, "A", 1).is_err());
    }

    #[test]
    fn small_sets_make_one_batch_per_round() {
        let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let m = RankingAnnotatorModel {
            noise: 0.0,
            ..Default::default()
        };
        let s = simulate_rankings(&ids, &[0.3, 0.1, 0.2], &m, "A", 5).unwrap();
        assert_eq!(s.len(), 3);
        for x in &s {
            assert_eq!(x.items, ["b", "c", "a"]);
        }
        assert_eq!(s[2].batch, "r3-b001");
        assert!(simulate_rankings(&ids[..1], &[0.0], &m, "A", 5).is_err());
        assert!(simulate_rankings(&ids, &[0.0, 1.0], &m, "A", 5).is_err());
        let bad = RankingAnnotatorModel { batch_size: 1, ..m };
        assert!(simulate_rankings(&ids, &[0.3, 0.1, 0.2], &bad, "A", 5).is_err());
    }
}
