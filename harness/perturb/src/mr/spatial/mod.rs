//! MR artefacts in image space: bias field, Rician noise, anisotropy
//! (thick-slice acquisition resampled back) and elastic deformation.
//!
//! Definitions follow TorchIO 1.2.1 (`BiasField`, `RandomAnisotropy`,
//! `ElasticDeformation`, the last two through SimpleITK) and, for Rician
//! noise, MONAI 1.6 `RandRicianNoise`; each type documents the formula and
//! every place it differs. Axis mapping to TorchIO (MR contract): our array
//! is `(z, y, x)`; TorchIO's spatial axes 0, 1, 2 are our y, x, z, with the
//! affine `diag(dy, dx, dz, 1)`. A 2D image is TorchIO-2D (one z voxel).
//!
//! Bias field and Rician noise change intensities only (the mask is
//! returned unchanged); anisotropy and elastic deformation move the mask
//! with nearest-neighbour interpolation, as the geometric perturbations do.
//!
//! Each artefact has a pub deterministic kernel with explicit parameters
//! ([`bias_field`](fn@bias_field), [`rician`](fn@rician),
//! [`anisotropy`](fn@anisotropy), [`elastic`](fn@elastic) with a
//! [`ControlGrid`]), checked against TorchIO/MONAI by
//! `tests/mr_spatial.rs` with the fixtures of
//! `tests/reference/torchio_spatial.py`, and a severity scale (levels
//! 1..=5, see each type).
//!
//! | name | swept value | identity | options (defaults) |
//! |---|---|---|---|
//! | `bias_field` | coefficient bound c | 0 | `order` (3) |
//! | `rician_noise` | σ (fraction of range) | 0 | `absolute` (false) |
//! | `anisotropy` | down-sampling factor ≥ 1 | 1 | `axis` (`y`) |
//! | `elastic` | max displacement (mm) | 0 | `control_points` (7), `locked_borders` (2) |
//!
//! One file per artefact (`bias_field.rs`, `rician.rs`, `anisotropy.rs`,
//! `elastic.rs`), each with its kernel, its registered perturbation and its
//! severity levels.

mod anisotropy;
mod bias_field;
mod elastic;
mod rician;

pub use anisotropy::{Anisotropy, anisotropy};
pub use bias_field::{BiasField, bias_field, bias_field_terms};
pub use elastic::{ControlGrid, Elastic, elastic};
pub use rician::{RICIAN_STREAM_LEN, RicianNoise, rician};

use sensibench_core::PerturbationEntry;

use crate::mr::severity;
use crate::options::parameter;

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![
        severity::entry::<BiasField>(
            "MR bias field: x * exp(polynomial), coefficients uniform in [-c, c] (TorchIO RandomBiasField)",
            parameter("coefficients", "", Some(0.0)),
            |p| Ok(Box::new(BiasField::from_params(p)?)),
        ),
        severity::entry::<RicianNoise>(
            "Rician noise sqrt((x + s n1)^2 + (s n2)^2), s = sigma * (max - min) (MONAI RicianNoise formula)",
            parameter("sigma", "fraction of range", Some(0.0)),
            |p| Ok(Box::new(RicianNoise::from_params(p)?)),
        ),
        severity::entry::<Anisotropy>(
            "thick slices: nearest down-sampling by a factor along an axis, linear back (TorchIO RandomAnisotropy)",
            parameter("factor", "factor", Some(1.0)),
            |p| Ok(Box::new(Anisotropy::from_params(p)?)),
        ),
        severity::entry::<Elastic>(
            "elastic deformation: cubic B-spline of random control-point displacements (mm) (TorchIO RandomElasticDeformation)",
            parameter("max_displacement", "mm", Some(0.0)),
            |p| Ok(Box::new(Elastic::from_params(p)?)),
        ),
    ]
}
