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
}
