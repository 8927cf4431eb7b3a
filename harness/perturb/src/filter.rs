//! Filtering perturbations: resolution loss and Gaussian blur.
//!
//! Unlike the geometric perturbations these act on every axis of the image's
//! dimensionality (y, x in 2D; z, y, x in 3D) unless told otherwise. The grid
//! and the mask are unchanged.

use sensibench_core::{
    Error, Image, LabelMap, Params, Perturbation, PerturbationEntry, Result, SeededRng,
};

use crate::interp::{LineOperator, apply_along_axis};
use crate::options::{downsampling_factor, entry, magnitude, parameter, unchanged};

/// The `(z, y, x)` axes a filter acts on for an image of dimensionality `ndim`.
fn image_axes(ndim: usize, in_plane_only: bool) -> &'static [usize] {
    if ndim == 3 && !in_plane_only {
        &[0, 1, 2]
    } else {
        &[1, 2]
    }
}

/// Applies one line operator per axis to `data` (sizes `dims`); `op(axis, n)`
/// builds the operator for an axis currently of `n` samples, `None` skips it.
/// Returns the new data and sizes.
fn separable(
    data: &[f32],
    dims: [usize; 3],
    axes: &[usize],
    op: impl Fn(usize, usize) -> Option<LineOperator>,
) -> (Vec<f32>, [usize; 3]) {
    let mut current: Option<(Vec<f32>, [usize; 3])> = None;
    for &axis in axes {
        let (src, d) = match &current {
            Some((v, d)) => (v.as_slice(), *d),
            None => (data, dims),
        };
        if let Some(op) = op(axis, d[axis]) {
            current = Some(apply_along_axis(src, d, axis, &op));
        }
    }
    current.unwrap_or_else(|| (data.to_vec(), dims))
}

/// Loss of resolution by a `factor ≥ 1`: each affected axis of `n` pixels is
/// down-sampled to `m = max(1, round(n / factor))` pixels by area averaging
/// (each low-resolution pixel is the overlap-weighted mean of the input over
/// its `n/m`-pixel-wide interval, exact for fractional factors; a box
/// anti-aliasing filter, like `cv2.INTER_AREA`), then up-sampled back to `n`
/// by linear interpolation with pixel centres aligned (`torch` `bilinear`,
/// `align_corners=False`: edge samples repeat). The effective factor is
/// therefore `n/m`. The mask and grid are unchanged.
///
/// Option `axes`: `all` (default: y, x in 2D and z, y, x in 3D) or
/// `in_plane` (y, x only, e.g. for thick-slice stacks). Identity: 1.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// Leave the z axis of a volume alone.
    pub in_plane_only: bool,
}

impl Resolution {
    /// Registered name.
    pub const NAME: &'static str = "resolution";
    /// Binds options (`axes`: `all` or `in_plane`).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &["axes"])?;
        let in_plane_only = match params.text("axes", "all")? {
            "all" => false,
            "in_plane" => true,
            other => {
                return Err(Error::invalid(
                    "axes",
                    format!("`{other}`"),
                    "`all` or `in_plane`",
                ));
            }
        };
        Ok(Resolution { in_plane_only })
    }
}

impl Perturbation for Resolution {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let factor = downsampling_factor(Self::NAME, value)?;
        if factor == 1.0 {
            return Ok(unchanged(image, mask));
        }
        let axes = image_axes(image.grid().ndim(), self.in_plane_only);
        let dims = image.grid().dims();
        let low = |n: usize| ((n as f64 / factor).round() as usize).max(1);
        let (small, small_dims) = separable(image.data(), dims, axes, |_, n| {
            (low(n) != n).then(|| LineOperator::area_average(n, low(n)))
        });
        let (data, _) = separable(&small, small_dims, axes, |axis, m| {
            (m != dims[axis]).then(|| LineOperator::linear_resize(m, dims[axis]))
        });
        Ok((Image::new(image.grid().clone(), data)?, mask.cloned()))
    }
}

/// Gaussian blur with standard deviation `sigma` in millimetres on every axis
/// of the image's dimensionality: `σ_px = sigma / spacing` per axis, a
/// separable kernel truncated at 4 σ_px, boundary `reflect` (`d c b a | a b c
/// d`). Equals `scipy.ndimage.gaussian_filter(img, sigma=sigma/spacing,
/// mode='reflect', truncate=4.0)`; axes with `σ_px ≤ 1e-15` are skipped, as
/// scipy does. The mask is unchanged. Identity: 0; sigma must be ≥ 0.
#[derive(Clone, Debug, Default)]
pub struct GaussianBlur;

impl GaussianBlur {
    /// Registered name.
    pub const NAME: &'static str = "gaussian_blur";
    /// Kernel truncation in standard deviations.
    pub const TRUNCATE: f64 = 4.0;
    /// Binds options (none).
    pub fn from_params(params: &Params) -> Result<Self> {
        params.check_known(Self::NAME, &[])?;
        Ok(GaussianBlur)
    }
}

impl Perturbation for GaussianBlur {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        _rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)> {
        let Some(sigma) = magnitude(Self::NAME, "sigma", value, "a standard deviation >= 0 mm")?
        else {
            return Ok(unchanged(image, mask));
        };
        let spacing = image.grid().spacing();
        let axes = image_axes(image.grid().ndim(), false);
        let (data, _) = separable(image.data(), image.grid().dims(), axes, |axis, n| {
            let sigma_px = sigma / spacing[axis];
            (sigma_px > 1e-15).then(|| LineOperator::gaussian(n, sigma_px, Self::TRUNCATE))
        });
        Ok((Image::new(image.grid().clone(), data)?, mask.cloned()))
    }
}

/// The registry entries of this module.
pub(crate) fn entries() -> Vec<PerturbationEntry> {
    vec![
        entry(
            Resolution::NAME,
            "down-sample by a factor (area average) and back up (linear): resolution loss",
            parameter("factor", "factor", Some(1.0)),
            |p| Ok(Box::new(Resolution::from_params(p)?)),
        ),
        entry(
            GaussianBlur::NAME,
            "Gaussian blur with sigma in mm on every axis (scipy gaussian_filter, reflect)",
            parameter("sigma", "mm", Some(0.0)),
            |p| Ok(Box::new(GaussianBlur::from_params(p)?)),
        ),
    ]
}
