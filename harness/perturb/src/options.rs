//! Parsing and checking of perturbation options and swept values.

use sensibench_core::{Error, Image, LabelMap, Params, Result};

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

/// The input returned unchanged (the identity value of a perturbation).
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

pub(crate) fn unchanged(image: &Image, mask: Option<&LabelMap>) -> (Image, Option<LabelMap>) {
    (image.clone(), mask.cloned())
}
