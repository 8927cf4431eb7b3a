//! Options shared by the MR artefacts: the array [`Axis`] and numeric
//! options checked against a range.

use sensibench_core::{Error, Params, Result};

use crate::options::invalid;

/// An array axis (option `axis` of `ghosting` and `anisotropy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Slices (the first array axis; TorchIO spatial axis 2). 3D only.
    Z,
    /// Rows (TorchIO spatial axis 0).
    Y,
    /// Columns, the last array axis (TorchIO spatial axis 1).
    X,
}

impl Axis {
    /// Reads option `axis` (`y`, `x` or `z`), `default` when absent.
    pub fn from_params(params: &Params, perturbation: &str, default: Axis) -> Result<Self> {
        match params.text("axis", default.name())? {
            "z" => Ok(Axis::Z),
            "y" => Ok(Axis::Y),
            "x" => Ok(Axis::X),
            other => Err(Error::invalid(
                &format!("{perturbation}.axis"),
                format!("`{other}`"),
                "`y`, `x` or `z`",
            )),
        }
    }
    /// The index in `(z, y, x)` order.
    pub fn index(self) -> usize {
        match self {
            Axis::Z => 0,
            Axis::Y => 1,
            Axis::X => 2,
        }
    }
    /// `z`, `y` or `x`.
    pub fn name(self) -> &'static str {
        match self {
            Axis::Z => "z",
            Axis::Y => "y",
            Axis::X => "x",
        }
    }
}

/// Reads a numeric option that must be an integer in `lo..=hi`.
pub(crate) fn integer_option(
    params: &Params,
    perturbation: &str,
    key: &str,
    default: usize,
    lo: usize,
    hi: usize,
) -> Result<usize> {
    let v = params.number(key, default as f64)?;
    if v.is_finite() && v.fract() == 0.0 && v >= lo as f64 && v <= hi as f64 {
        Ok(v as usize)
    } else {
        Err(Error::invalid(
            &format!("{perturbation}.{key}"),
            v,
            &format!("an integer from {lo} to {hi}"),
        ))
    }
}

/// Number option `key` in `[lo, hi]` (`default` when absent).
pub(crate) fn number_option(
    params: &Params,
    perturbation: &str,
    key: &str,
    default: f64,
    lo: f64,
    hi: f64,
) -> Result<f64> {
    let v = params.number(key, default)?;
    if v.is_finite() && v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(invalid(
            perturbation,
            key,
            v,
            &format!("a number in [{lo}, {hi}]"),
        ))
    }
}
