//! MR acquisition artefacts, with TorchIO's definitions as the reference
//! (each type documents where it differs): k-space artefacts (spike,
//! ghosting, motion) in [`kspace`], and bias field, Rician noise,
//! anisotropy and elastic deformation in [`spatial`]. Every artefact has a
//! severity scale (levels 1..=5) besides its own swept parameter, declared
//! as a level table and bound by the one adapter of [`severity`].
//!
//! Shared by both: the options ([`Axis`], numeric ranges), the parallel
//! loops and, for the k-space artefacts, the FFT kernels (private modules
//! `options`, `parallel`, `fft`).

mod fft;
pub mod kspace;
mod options;
mod parallel;
pub mod severity;
pub mod spatial;

pub use options::Axis;

use sensibench_core::PerturbationEntry;

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    kspace::entries()
        .into_iter()
        .chain(spatial::entries())
        .collect()
}
