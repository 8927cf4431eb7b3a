//! Short-axis stacks of the cardiac phantom with a class per slice from its
//! known position along the long axis ('too basal', 'LV', 'too apical'):
//! the images and the ground truth of the slice-position study.

use sensibench_core::{Error, Result, Sample};

use crate::classes::{HashSplit, in_test_split};
use crate::{CardiacPhantom, Dataset};

/// The slices of a [`CardiacPhantom`] (subject by subject, base to apex),
/// restricted to a split by subject, each labelled by its position: class
/// `c` = the number of cut points `≤` the position (position 0 = base,
/// 1 = apex; see [`CardiacPhantom::slice_position`]).
///
/// **Split.** Whole subjects go to one part, so no subject is in both:
/// subject `s` is in the test part when `in_test_split(b"s{s:02}")` (the
/// project's SHA-256 rule, 1 in 5 on average).
#[derive(Clone, Debug)]
pub struct SliceStacks {
    phantom: CardiacPhantom,
    cuts: Vec<f64>,
    /// Phantom sample indices in this split, in order.
    indices: Vec<usize>,
}

impl SliceStacks {
    /// Stacks of `subjects` × `slices_per_subject` slices of `size` pixels;
    /// `cuts` are increasing positions in (0, 1). Fails on an empty split
    /// or cut points that are not increasing inside (0, 1).
    pub fn new(
        seed: u64,
        subjects: usize,
        slices_per_subject: usize,
        size: usize,
        cuts: &[f64],
        split: HashSplit,
    ) -> Result<Self> {
        let phantom = CardiacPhantom::new(seed, subjects, slices_per_subject, size)?;
        if cuts.is_empty()
            || cuts
                .iter()
                .any(|c| !(c.is_finite() && *c > 0.0 && *c < 1.0))
            || cuts.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(Error::invalid(
                "cuts",
                format!("{cuts:?}"),
                "increasing positions in (0, 1)",
            ));
        }
        let m = slices_per_subject;
        let indices: Vec<usize> = (0..subjects)
            .filter(|s| match split {
                HashSplit::All => true,
                HashSplit::Test => in_test_split(format!("s{s:02}").as_bytes()),
                HashSplit::Train => !in_test_split(format!("s{s:02}").as_bytes()),
            })
            .flat_map(|s| s * m..(s + 1) * m)
            .collect();
        if indices.is_empty() {
            return Err(Error::invalid(
                "subjects",
                subjects,
                "enough subjects for both parts of the split (a test subject is 1 in 5 on average)",
            ));
        }
        Ok(SliceStacks {
            phantom,
            cuts: cuts.to_vec(),
            indices,
        })
    }

    /// Position along the long axis of sample `i` (0 = base, 1 = apex).
    pub fn position(&self, i: usize) -> f64 {
        self.phantom.slice_position(self.indices[i])
    }

    /// The true class of sample `i`.
    pub fn class(&self, i: usize) -> u32 {
        class_of(self.position(i), &self.cuts)
    }

    /// The subject of sample `i` (phantom subject index).
    pub fn subject(&self, i: usize) -> usize {
        self.indices[i] / self.phantom.slices_per_subject
    }

    /// The cut points of the true classes.
    pub fn cuts(&self) -> &[f64] {
        &self.cuts
    }
}

/// Class of a position: the number of cut points `≤ position`.
pub fn class_of(position: f64, cuts: &[f64]) -> u32 {
    cuts.iter().filter(|&&c| c <= position).count() as u32
}

impl Dataset for SliceStacks {
    fn len(&self) -> usize {
        self.indices.len()
    }

    fn sample_id(&self, i: usize) -> String {
        match self.indices.get(i) {
            Some(&j) => self.phantom.sample_id(j),
            None => format!("missing-{i}"),
        }
    }

    fn get(&self, i: usize) -> Result<Sample> {
        let j = *self.indices.get(i).ok_or_else(|| {
            Error::invalid("sample index", i, &format!("< {}", self.indices.len()))
        })?;
        let (image, _) = self.phantom.render(j)?;
        Ok(Sample::new(self.phantom.sample_id(j), image, None)?.with_label(Some(self.class(i))))
    }

    fn has_masks(&self) -> bool {
        false
    }
}
