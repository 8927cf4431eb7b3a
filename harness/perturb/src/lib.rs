//! The perturbation library of sensibench: geometric, intensity, noise,
//! filtering and side-marker perturbations, the inpainting the latter use,
//! and the resampling used to fit images to a model.
//!
//! Every perturbation implements [`sensibench_core::Perturbation`] for 2D and
//! 3D images alike (a 2D image is a grid of depth 1). Geometric ones act on
//! each `(y, x)` plane and move the mask with nearest-neighbour
//! interpolation; intensity, noise and filter ones change only intensities.
//! Each documents its exact formula on its type. All of them:
//! - return the input unchanged (bit for bit) at their identity value;
//! - refuse non-finite or out-of-range values with
//!   [`sensibench_core::Error::InvalidParameter`] naming `perturbation.parameter`;
//! - refuse unknown options (with a did-you-mean).
//!
//! | name | swept parameter | identity | options |
//! |---|---|---|---|
//! | `rotate` | angle (deg, counter-clockwise) | 0 | `fill` |
//! | `zoom` | factor | 1 | `fill` |
//! | `crop` | fraction of the field of view kept | 1 | `fill` |
//! | `translate` | shift (mm) | 0 | `axis: x\|y`, `fill` |
//! | `dihedral` | k ∈ 0..=7 | 0 | |
//! | `flip` | 0 or 1 | 0 | `axis: x\|y` |
//! | `resolution` | factor ≥ 1 | 1 | `axes: all\|in_plane` |
//! | `brightness` | b (fraction of range) | 0 | |
//! | `contrast` | c (factor) | 1 | |
//! | `gamma` | g (exponent) | 1 | |
//! | `gaussian_noise` | σ (fraction of range) | 0 | `absolute` |
//! | `gaussian_blur` | σ (mm) | 0 | |
//! | `marker_inject` | size (px, glyph height, 0 or ≥ 7) | 0 | `glyph`, `corner`, `y`, `x`, `margin`, `pad`, `intensity`, `box`, `box_intensity`, `label` |
//! | `marker_remove` | dilate (px) | none | `method`, `label` |
//! | `marker_swap` | 0 or 1 | 0 | `to`, `pad`, `intensity`, `method`, `label` |
//! | `minmax_clip` | 0 or 1 | 0 | `method`, `label` |
//! | `spike` | intensity r (× spectrum max) | 0 | `count`, `position_y`, `position_x`, `position_z` |
//! | `ghosting` | intensity (lines × (1 − intensity)) | 0 | `count`, `axis`, `restore` |
//! | `motion` | degrees (max per movement) | 0 | `translation`, `movements` |
//! | `bias_field` | coefficient bound c | 0 | `order` |
//! | `rician_noise` | σ (fraction of range) | 0 | `absolute` |
//! | `anisotropy` | down-sampling factor | 1 | `axis` |
//! | `elastic` | max displacement (mm) | 0 | `control_points`, `locked_borders` |
//!
//! The MR acquisition artefacts (module [`mr`]; TorchIO 1.2's definitions,
//! differences documented on each type) also take a severity scale:
//! `severity: [1, 2, 3, 4, 5]` in a suite sets every parameter of the
//! artefact from the level (`sensibench list` prints the tables).
//!
//! The marker perturbations (module [`marker`]) are 2D only and use the mask
//! as a region map (label `label` = the side marker's box); their inpainting
//! lives in [`inpaint`](mod@inpaint).
//!
//! The shared kernels (bilinear/nearest warping, separable line operators)
//! live in one private module, `interp`.

#![warn(missing_docs)]

pub mod filter;
pub mod geometric;
pub mod inpaint;
pub mod intensity;
mod interp;
pub mod marker;
pub mod mr;
pub mod noise;
pub mod options;
pub mod resample;

use sensibench_core::{PerturbationEntry, Registry, Result};

pub use filter::{GaussianBlur, Resolution};
pub use geometric::{Crop, Dihedral, Flip, Rotate, Translate, Zoom};
pub use inpaint::{InpaintMethod, inpaint};
pub use intensity::{Brightness, Contrast, Gamma};
pub use marker::{
    Corner, Glyph, MarkerInject, MarkerRemove, MarkerSpec, MarkerSwap, MinmaxClip, Placement,
    Region, glyph_mask, inject_marker, mark_region, region_of,
};
pub use mr::Axis;
pub use mr::kspace::{RigidMove, ghosting, motion, spike};
pub use mr::spatial::{ControlGrid, anisotropy, bias_field, elastic, rician};
pub use noise::GaussianNoise;
pub use options::{Fill, PlaneAxis};

/// Adds every perturbation of this crate to `reg`; fails if a name is
/// already registered.
pub fn register_all(reg: &mut Registry<PerturbationEntry>) -> Result<()> {
    let entries = geometric::entries()
        .into_iter()
        .chain(intensity::entries())
        .chain(noise::entries())
        .chain(filter::entries())
        .chain(marker::entries())
        .chain(mr::entries());
    for entry in entries {
        reg.register(entry.name, entry)?;
    }
    Ok(())
}

/// A registry of kind `"perturbation"` holding every perturbation of this crate.
pub fn registry() -> Registry<PerturbationEntry> {
    let mut reg = Registry::new("perturbation");
    // The names of this crate are distinct, so registering into an empty
    // registry cannot fail.
    if let Err(e) = register_all(&mut reg) {
        unreachable!("duplicate perturbation name in sensibench-perturb: {e}");
    }
    reg
}
