//! The tissue classes of the CT phantom.

/// Tissue classes; the order is the index into the per-subject tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(super) enum Tissue {
    Air = 0,
    Skin,
    SubcutFat,
    VisceralFat,
    Rectus,
    Oblique,
    Transversus,
    Psoas,
    QuadLumb,
    Erector,
    Cortical,
    Cancellous,
    Canal,
    Aorta,
    Ivc,
    Kidney,
    Liver,
    BowelWall,
    BowelFluid,
    BowelGas,
    BowelStool,
    Vessel,
}
pub(super) const N_TISSUES: usize = 22;

impl Tissue {
    pub(super) fn is_muscle(self) -> bool {
        matches!(
            self,
            Tissue::Rectus
                | Tissue::Oblique
                | Tissue::Transversus
                | Tissue::Psoas
                | Tissue::QuadLumb
                | Tissue::Erector
        )
    }
}
