//! Voxel counts of one class in a prediction and a reference, and the
//! overlap metrics computed from them (Dice, IoU).

/// Voxel counts of one class: `|A|` (prediction), `|B|` (reference) and
/// `|A∩B|`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OverlapCounts {
    /// `|A|`: voxels of the class in the prediction.
    pub(crate) pred: usize,
    /// `|B|`: voxels of the class in the reference.
    pub(crate) reference: usize,
    /// `|A∩B|`: voxels of the class in both.
    pub(crate) both: usize,
}

impl OverlapCounts {
    /// Dice `2|A∩B| / (|A| + |B|)`; the masks must not both be empty.
    pub(crate) fn dice(self) -> f64 {
        2.0 * self.both as f64 / (self.pred + self.reference) as f64
    }

    /// IoU `|A∩B| / |A∪B|`; the masks must not both be empty.
    pub(crate) fn iou(self) -> f64 {
        self.both as f64 / (self.pred + self.reference - self.both) as f64
    }
}
