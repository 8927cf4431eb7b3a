//! Random perturbations: additive Gaussian noise.

use sensibench_core::{
    Image, LabelMap, Params, Perturbation, PerturbationEntry, Result, SeededRng,
};

use crate::options::{entry, noise_sigma, parameter, unchanged};

/// Additive white Gaussian noise: `x' = x + σ·s·n`, with `n ~ N(0, 1)` drawn
/// from the passed [`SeededRng`] ([`SeededRng::normal`]) once per voxel in
/// row-major `(z, y, x)` order, and `s = max − min` of the image (the
/// default, so σ is relative to the intensity range) or `s = 1` with option
/// `absolute: true` (σ in intensity units). Computed in `f64`, rounded to
/// `f32`. The mask is unchanged. Identity: 0 (no numbers are drawn);
/// σ must be ≥ 0.
#[derive(Clone, Debug, Default)]
pub struct GaussianNoise {
    /// σ in intensity units instead of a fraction of the range.
    pub absolute: bool,
}

impl GaussianNoise {
    /// Registered name.
    pub const NAME: &'static str = "gaussian_noise";
    /// Binds options (`absolute`, default false).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["absolute"])?;
        Ok(GaussianNoise {
            absolute: params.flag("absolute", false)?,
        })
    }
}

impl Perturbation for GaussianNoise {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(scale) = noise_sigma(Self::NAME, value, self.absolute, image)? else {
            return Ok(unchanged(image, mask));
        };
        let mut out = image.clone();
        // Sequential on purpose: the draws follow voxel order.
        for v in out.data_mut() {
            *v = (f64::from(*v) + scale * rng.normal()) as f32;
        }
        Ok((out, mask.cloned()))
    }
}

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![entry(
        GaussianNoise::NAME,
        "x + sigma * (max - min) * N(0,1) (option absolute: true drops the range)",
        parameter("sigma", "fraction of range", Some(0.0)),
        |p| Ok(Box::new(GaussianNoise::from_params(p)?)),
    )]
}
