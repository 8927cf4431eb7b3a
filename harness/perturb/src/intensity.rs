//! Intensity perturbations: brightness, contrast, gamma.
//!
//! They change voxel values only; the grid and the mask are returned
//! unchanged. Statistics (`min`, `max`, `mean`) are taken over the whole image
//! (all slices of a volume); `min`/`max` ignore NaN. Arithmetic is in `f64`,
//! results are rounded to `f32`.

use sensibench_core::{
    Image, LabelMap, Params, Perturbation, PerturbationEntry, Result, SeededRng,
};

use crate::interp::map_values;
use crate::options::{entry, finite, invalid, parameter, unchanged};

/// The image with `f` applied to every voxel, and the mask unchanged.
fn map_image(
    image: &Image,
    mask: Option<&LabelMap>,
    f: impl Fn(f64) -> f64 + Sync,
) -> (Image, Option<LabelMap>) {
    let mut out = image.clone();
    map_values(out.data_mut(), |v| f(f64::from(v)) as f32);
    (out, mask.cloned())
}

/// Additive brightness shift relative to the intensity range:
/// `x' = x + b·(max − min)`. Identity: 0; any finite `b`.
#[derive(Clone, Debug, Default)]
pub struct Brightness;

impl Brightness {
    /// Registered name.
    pub const NAME: &'static str = "brightness";
    /// Binds options (none).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &[])?;
        Ok(Brightness)
    }
}

impl Perturbation for Brightness {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let b = finite(Self::NAME, "b", value)?;
        if b == 0.0 {
            return Ok(unchanged(image, mask));
        }
        let (lo, hi) = image.min_max();
        let delta = b * (f64::from(hi) - f64::from(lo));
        Ok(map_image(image, mask, |x| x + delta))
    }
}

/// Contrast scaling about the mean: `x' = mean + c·(x − mean)`, with `mean`
/// the arithmetic mean of all voxels. Identity: 1; `c` must be ≥ 0 (0 gives a
/// constant image; negative values, which would invert the image, are refused).
#[derive(Clone, Debug, Default)]
pub struct Contrast;

impl Contrast {
    /// Registered name.
    pub const NAME: &'static str = "contrast";
    /// Binds options (none).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &[])?;
        Ok(Contrast)
    }
}

impl Perturbation for Contrast {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let c = finite(Self::NAME, "c", value)?;
        if c < 0.0 {
            return Err(invalid(Self::NAME, "c", c, "a factor >= 0"));
        }
        if c == 1.0 {
            return Ok(unchanged(image, mask));
        }
        let data = image.data();
        let mean = data.iter().map(|&v| f64::from(v)).sum::<f64>() / data.len() as f64;
        Ok(map_image(image, mask, |x| mean + c * (x - mean)))
    }
}

/// Gamma correction within the intensity range:
/// `x' = min + (max − min)·((x − min)/(max − min))^g`. Keeps `min` and `max`;
/// `g < 1` brightens mid-tones, `g > 1` darkens them. A constant image is
/// returned unchanged. Identity: 1; `g` must be > 0.
#[derive(Clone, Debug, Default)]
pub struct Gamma;

impl Gamma {
    /// Registered name.
    pub const NAME: &'static str = "gamma";
    /// Binds options (none).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &[])?;
        Ok(Gamma)
    }
}

impl Perturbation for Gamma {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let g = finite(Self::NAME, "g", value)?;
        if g <= 0.0 {
            return Err(invalid(Self::NAME, "g", g, "an exponent > 0"));
        }
        let (lo, hi) = image.min_max();
        if g == 1.0 || lo == hi {
            return Ok(unchanged(image, mask));
        }
        let (lo, range) = (f64::from(lo), f64::from(hi) - f64::from(lo));
        Ok(map_image(image, mask, |x| {
            lo + range * ((x - lo) / range).powf(g)
        }))
    }
}

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![
        entry(
            Brightness::NAME,
            "x + b * (max - min): brightness shift as a fraction of the intensity range",
            parameter("b", "fraction of range", Some(0.0)),
            |p| Ok(Box::new(Brightness::from_params(p)?)),
        ),
        entry(
            Contrast::NAME,
            "mean + c * (x - mean): contrast scaling about the image mean",
            parameter("c", "factor", Some(1.0)),
            |p| Ok(Box::new(Contrast::from_params(p)?)),
        ),
        entry(
            Gamma::NAME,
            "min + (max - min) * ((x - min) / (max - min))^g: gamma within the intensity range",
            parameter("g", "exponent", Some(1.0)),
            |p| Ok(Box::new(Gamma::from_params(p)?)),
        ),
    ]
}
