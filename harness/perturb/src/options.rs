//! Parsing and checking of perturbation options and swept values, and the
//! registry entries built from them.

use sensibench_core::{
    Error, Image, LabelMap, ParameterInfo, Params, Perturbation, PerturbationEntry, Result,
};

/// The value written outside the field of view by geometric perturbations
/// (option `fill`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
    /// The minimum intensity of the whole input image (all slices of a
    /// volume; NaN ignored). The default: for MR and CT the minimum is the
    /// background, so the new border looks like air rather than tissue.
    ImageMinimum,
    /// A fixed intensity.
    Value(f32),
}

impl Fill {
    /// Reads option `fill` (a number; absent = [`Fill::ImageMinimum`]).
    pub fn from_params(params: &Params) -> Result<Self> {
        if !params.0.contains_key("fill") {
            return Ok(Fill::ImageMinimum);
        }
        let v = params.number("fill", 0.0)?;
        if !v.is_finite() || v.abs() > f64::from(f32::MAX) {
            return Err(Error::invalid(
                "fill",
                v,
                "a finite number in the f32 range",
            ));
        }
        Ok(Fill::Value(v as f32))
    }

    /// The fill intensity for `image`.
    pub fn resolve(self, image: &Image) -> f32 {
        match self {
            Fill::ImageMinimum => image.min_max().0,
            Fill::Value(v) => v,
        }
    }
}

/// An in-plane axis (option `axis`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneAxis {
    /// Columns: the last array axis, increasing to the right as displayed.
    X,
    /// Rows: the second-to-last array axis, increasing downwards as displayed.
    Y,
}

impl PlaneAxis {
    /// Reads option `axis`: `x` (default) or `y`.
    pub fn from_params(params: &Params) -> Result<Self> {
        match params.text("axis", "x")? {
            "x" => Ok(PlaneAxis::X),
            "y" => Ok(PlaneAxis::Y),
            other => Err(Error::invalid("axis", format!("`{other}`"), "`x` or `y`")),
        }
    }

    /// The axis index in `(z, y, x)` order.
    pub fn index(self) -> usize {
        match self {
            PlaneAxis::X => 2,
            PlaneAxis::Y => 1,
        }
    }
}

/// Fails unless the swept value is finite.
pub(crate) fn finite(perturbation: &str, parameter: &str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(invalid(perturbation, parameter, value, "a finite number"))
    }
}

/// An [`Error::InvalidParameter`] naming `perturbation.parameter`.
pub(crate) fn invalid(perturbation: &str, parameter: &str, value: f64, expected: &str) -> Error {
    Error::invalid(&format!("{perturbation}.{parameter}"), value, expected)
}

/// A swept magnitude whose identity is 0 (a noise level, a displacement):
/// an error naming `perturbation.parameter` when `value` is not finite or
/// negative (`expected` says what is), `None` at 0 (return the input
/// unchanged), else the value.
pub(crate) fn magnitude(
    perturbation: &str,
    parameter: &str,
    value: f64,
    expected: &str,
) -> Result<Option<f64>> {
    let v = finite(perturbation, parameter, value)?;
    if v < 0.0 {
        return Err(invalid(perturbation, parameter, v, expected));
    }
    Ok((v != 0.0).then_some(v))
}

/// The input returned unchanged (the identity value of a perturbation).
pub(crate) fn unchanged(image: &Image, mask: Option<&LabelMap>) -> (Image, Option<LabelMap>) {
    (image.clone(), mask.cloned())
}

/// The σ of a noise perturbation in intensity units, from its swept value
/// (checked like [`magnitude`] as `perturbation.sigma`): `None` at 0, else
/// σ itself with `absolute`, or σ·(max − min) of `image`.
pub(crate) fn noise_sigma(
    perturbation: &str,
    value: f64,
    absolute: bool,
    image: &Image,
) -> Result<Option<f64>> {
    let Some(sigma) = magnitude(perturbation, "sigma", value, "a standard deviation >= 0")? else {
        return Ok(None);
    };
    Ok(Some(if absolute {
        sigma
    } else {
        let (lo, hi) = image.min_max();
        sigma * (f64::from(hi) - f64::from(lo))
    }))
}

/// A down-sampling factor: finite and at least 1, else an error naming
/// `perturbation.factor`.
pub(crate) fn downsampling_factor(perturbation: &str, value: f64) -> Result<f64> {
    let factor = finite(perturbation, "factor", value)?;
    if factor < 1.0 {
        return Err(invalid(perturbation, "factor", factor, "a factor >= 1"));
    }
    Ok(factor)
}

/// The swept parameter of a registry entry: its name, unit (`""` when
/// unitless) and identity value.
pub(crate) const fn parameter(
    name: &'static str,
    unit: &'static str,
    identity: Option<f64>,
) -> ParameterInfo {
    ParameterInfo {
        name,
        unit,
        identity,
    }
}

/// The registry entry of a perturbation without a severity scale: `name`,
/// the one-line `summary` of `sensibench list`, the swept `parameter` and
/// the options binder `build`.
pub(crate) fn entry(
    name: &'static str,
    summary: &'static str,
    parameter: ParameterInfo,
    build: fn(&Params) -> Result<Box<dyn Perturbation>>,
) -> PerturbationEntry {
    PerturbationEntry {
        name,
        summary,
        parameter,
        build,
        severity: None,
    }
}
