//! Perturbations: controlled changes of the input along one parameter.

use std::collections::BTreeMap;

use crate::{Error, Image, LabelMap, Result, SeededRng};

/// A fixed option of a perturbation, as written in a suite.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// The fixed options of one perturbation in a suite (the swept parameter is
/// not among them: it is the grid point handed to [`Perturbation::apply`]).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl Params {
    /// Numeric option `key`, or `default` when absent.
    pub fn number(&self, key: &str, default: f64) -> Result<f64> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ParamValue::Number(v)) => Ok(*v),
            Some(other) => Err(Error::invalid(key, format!("{other:?}"), "a number")),
        }
    }
    /// Text option `key`, or `default` when absent.
    pub fn text<'a>(&'a self, key: &str, default: &'a str) -> Result<&'a str> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ParamValue::Text(v)) => Ok(v),
            Some(other) => Err(Error::invalid(key, format!("{other:?}"), "a string")),
        }
    }
    /// Boolean option `key`, or `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.0.get(key) {
            None => Ok(default),
            Some(ParamValue::Bool(v)) => Ok(*v),
            Some(other) => Err(Error::invalid(key, format!("{other:?}"), "true or false")),
        }
    }
    /// Fails naming the first option not in `allowed` (with a did-you-mean).
    pub fn check_known(&self, perturbation: &str, allowed: &[&str]) -> Result<()> {
        for key in self.0.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(Error::UnknownName {
                    kind: "option",
                    name: format!("{key}` of perturbation `{perturbation}"),
                    suggestion: crate::did_you_mean(key, allowed.iter().copied()),
                });
            }
        }
        Ok(())
    }
}

/// What the swept parameter of a perturbation is.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ParameterInfo {
    /// e.g. `angle`.
    pub name: &'static str,
    /// e.g. `deg`, `mm`, `factor`, `` (unitless).
    pub unit: &'static str,
    /// The value that leaves the input unchanged, if any (e.g. 0 degrees).
    pub identity: Option<f64>,
}

/// A perturbation with its fixed options bound.
pub trait Perturbation: Send + Sync {
    /// Applies the perturbation at grid point `value`. Geometric perturbations
    /// move the mask with nearest-neighbour interpolation; intensity ones
    /// return the mask unchanged. Random ones draw only from `rng`, which the
    /// runner seeds from (suite seed, sample id, perturbation, point).
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        value: f64,
        rng: &mut SeededRng,
    ) -> Result<(Image, Option<LabelMap>)>;
}

/// A registered perturbation kind.
pub struct PerturbationEntry {
    pub name: &'static str,
    /// One line for `sensibench list`.
    pub summary: &'static str,
    pub parameter: ParameterInfo,
    /// Binds the fixed options; fails on unknown or out-of-range options.
    pub build: fn(&Params) -> Result<Box<dyn Perturbation>>,
    /// The severity scale, for perturbations a suite may sweep by level
    /// (`severity: [1, 2, 3, 4, 5]`) instead of by their parameter.
    pub severity: Option<SeverityScale>,
}

/// Number of severity levels above 0 (level 0 leaves the input unchanged).
pub const SEVERITY_LEVELS: usize = 5;

/// A severity scale: each level 1..=5 fixes every parameter of the
/// perturbation (e.g. spike intensity *and* count), so that suites compare
/// artefacts at matched strengths. Level 0 is the identity.
pub struct SeverityScale {
    /// What each level 1..=5 sets, e.g. `"intensity 0.4"` (shown by
    /// `sensibench list` and in the docs).
    pub levels: [&'static str; SEVERITY_LEVELS],
    /// Binds the fixed options (those the scale does not set); the bound
    /// perturbation's swept value is the level, checked with
    /// [`severity_level`].
    pub build: fn(&Params) -> Result<Box<dyn Perturbation>>,
}

/// The level of a severity sweep: `value` must be an integer in
/// `0..=SEVERITY_LEVELS`; otherwise an [`Error::InvalidParameter`] naming
/// `perturbation.severity`.
pub fn severity_level(perturbation: &str, value: f64) -> Result<usize> {
    if value.is_finite() && value.fract() == 0.0 && (0.0..=SEVERITY_LEVELS as f64).contains(&value)
    {
        Ok(value as usize)
    } else {
        Err(Error::invalid(
            &format!("{perturbation}.severity"),
            value,
            "a severity level 0, 1, 2, 3, 4 or 5",
        ))
    }
}
