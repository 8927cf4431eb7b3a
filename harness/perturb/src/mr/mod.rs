//! MR acquisition artefacts, with TorchIO's definitions as the reference
//! (each type documents where it differs): k-space artefacts (spike,
//! ghosting, motion) in [`kspace`], and bias field, Rician noise,
//! anisotropy and elastic deformation in [`spatial`]. Every artefact has a
//! severity scale (levels 1..=5) besides its own swept parameter.

mod fft;
pub mod kspace;
pub mod spatial;

use sensibench_core::PerturbationEntry;

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    kspace::entries()
        .into_iter()
        .chain(spatial::entries())
        .collect()
}
