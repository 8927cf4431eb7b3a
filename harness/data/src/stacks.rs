//! Short-axis stacks of the cardiac phantom with a class per slice from its
//! known position along the long axis ('too basal', 'LV', 'too apical'):
//! the images and the ground truth of the slice-position study.

use sensibench_core::{Error, Result, Sample};

use crate::classes::{HashSplit, in_test_split};
use crate::{CardiacPhantom, Dataset};

pub use crate::phantom::POSITIONS;

/// The slices of a [`CardiacPhantom`] (subject by subject, base to apex),
/// restricted to a split by subject, each labelled by its position: class
/// `c` = the number of cut points `≤` the position. Slice `z` of `m` lies at
/// `first + (last − first) · z / (m − 1)` on the long axis (0 = base, 1 =
/// apex; outside `[0, 1]` the slice is above the base or beyond the apex,
/// see [`CardiacPhantom::render_at`]).
///
/// **Split.** Whole subjects go to one part, so no subject is in both:
/// subject `s` is in the test part when `in_test_split(b"s{s:02}")` (the
/// project's SHA-256 rule, 1 in 5 on average).
#[derive(Clone, Debug)]
pub struct SliceStacks {
    phantom: CardiacPhantom,
    /// Positions of the first and the last slice of a stack.
    range: [f64; 2],
    cuts: Vec<f64>,
    /// Phantom sample indices in this split, in order.
    indices: Vec<usize>,
}

impl SliceStacks {
    /// Stacks of `subjects` × `slices_per_subject` slices of `size` pixels
    /// from position `range[0]` to `range[1]`; `cuts` are increasing
    /// positions strictly inside the range. Fails on an empty split, a range
    /// that does not increase or leaves [`POSITIONS`], or bad cut points.
    pub fn new(
        seed: u64,
        subjects: usize,
        slices_per_subject: usize,
        size: usize,
        range: [f64; 2],
        cuts: &[f64],
        split: HashSplit,
    ) -> Result<Self> {
        let phantom = CardiacPhantom::new(seed, subjects, slices_per_subject, size)?;
        let [first, last] = range;
        if !(first.is_finite() && last.is_finite() && first < last)
            || first < POSITIONS.0
            || last > POSITIONS.1
        {
            return Err(Error::invalid(
                "positions",
                format!("{range:?}"),
                &format!(
                    "increasing first and last positions within [{}, {}]",
                    POSITIONS.0, POSITIONS.1
                ),
            ));
        }
        if cuts.is_empty()
            || cuts
                .iter()
                .any(|c| !(c.is_finite() && *c > first && *c < last))
            || cuts.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(Error::invalid(
                "cuts",
                format!("{cuts:?}"),
                "increasing positions inside the stack's positions",
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
            range,
            cuts: cuts.to_vec(),
            indices,
        })
    }

    /// Position along the long axis of sample `i` (0 = base, 1 = apex).
    pub fn position(&self, i: usize) -> f64 {
        let [first, last] = self.range;
        first + (last - first) * self.phantom.slice_position(self.indices[i])
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
        let (image, _) = self.phantom.render_at(j, self.position(i))?;
        Ok(Sample::new(self.phantom.sample_id(j), image, None)?.with_label(Some(self.class(i))))
    }

    fn has_masks(&self) -> bool {
        false
    }
}
