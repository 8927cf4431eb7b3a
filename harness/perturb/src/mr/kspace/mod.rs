//! k-space MR artefacts: [`Spike`] (herringbone), [`Ghosting`] and
//! [`Motion`], after TorchIO 1.2.1 (`RandomSpike`, `RandomGhosting`,
//! `RandomMotion` and `transforms/fourier.py`). Each type documents its exact
//! formula and where it differs from TorchIO.
//!
//! Conventions shared by the three:
//! - Axis mapping (the MR contract): our array is `(z, y, x)`; TorchIO's
//!   tensor is `array.transpose(1, 2, 0)`, so TorchIO spatial axes 0, 1, 2
//!   are our y, x, z, a 2D image is a TorchIO 2D image (last axis of size 1)
//!   and every per-axis triple (`positions`, `degrees`, `translation`) is in
//!   TorchIO order `(y, x, z)`. The affine is `diag(dy, dx, dz)`.
//! - TorchIO's spectrum is `fftshift(fftn(x))`: position `m` of an axis of
//!   length `n` holds frequency `(m − n/2) mod n` (`n/2` rounded down).
//! - The deterministic kernels ([`spike`](fn@spike), [`ghosting`](fn@ghosting),
//!   [`motion`](fn@motion)) take the
//!   artefact's parameters explicitly; the registered perturbations draw the
//!   random ones from the passed [`SeededRng`](sensibench_core::SeededRng)
//!   and call them.
//! - Masks are returned unchanged: all three are intensity artefacts
//!   (TorchIO's `Motion` is an `IntensityTransform` too and leaves label
//!   maps alone; the moved copies only exist inside the simulated
//!   acquisition).
//! - Precision: FFTs, plane waves and interpolation run in `f32` (TorchIO:
//!   `complex64`); sums over whole lines or images (spectrum DC, ghosting
//!   band coefficients) and sample positions in `f64`.
//!
//! The kernels never take full `n`-D FFTs when the structure allows less:
//! ghosting and motion masks depend on one k-space axis only, so
//! `ifftn(M·fftn(x)) = ifft_a(M·fft_a(x))` along that axis `a` (exact; two
//! real lines share one complex FFT), and a spike is one k-space component,
//! i.e. a plane wave added in image space.
//!
//! One file per artefact (`spike.rs`, `ghosting.rs`, `motion.rs`, the last
//! with its rigid resampling in `rigid.rs`), each with its kernel, its
//! registered perturbation and its severity levels.

mod ghosting;
mod motion;
mod rigid;
mod spike;

pub use ghosting::{Ghosting, GhostingSeverity, ghosting};
pub use motion::{Motion, MotionSeverity, motion, motion_with_centre};
pub use rigid::{RigidMove, RotationCentre};
pub use spike::{Spike, SpikeSeverity, spike};

use sensibench_core::PerturbationEntry;

use crate::mr::severity;
use crate::options::parameter;

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![
        severity::entry::<Spike>(
            "MR spike: a k-space component of r * max|spectrum| added at random (or given) positions (TorchIO Spike)",
            parameter("intensity", "ratio to spectrum max", Some(0.0)),
            |p| Ok(Box::new(Spike::from_params(p)?)),
        ),
        severity::entry::<Ghosting>(
            "MR ghosting: every count-th k-space plane along axis scaled by 1 - intensity (TorchIO Ghosting)",
            parameter("intensity", "", Some(0.0)),
            |p| Ok(Box::new(Ghosting::from_params(p)?)),
        ),
        severity::entry::<Motion>(
            "MR motion: k-space segments from rigidly moved copies (TorchIO Motion, rotation about the image centre)",
            parameter("degrees", "deg", Some(0.0)),
            |p| Ok(Box::new(Motion::from_params(p)?)),
        ),
    ]
}
