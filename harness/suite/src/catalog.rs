//! The names a suite may use ([`Catalog`]), supplied by the crates that implement them.

use std::path::PathBuf;

use sensibench_core::{PerturbationEntry, Registry};

/// The names a suite may use, as registered by the crates that implement them.
pub struct Catalog<'a> {
    /// Registered perturbation kinds; `build` validates a suite's `options:`.
    pub perturbations: &'a Registry<PerturbationEntry>,
    /// Registered segmentation metric names.
    pub metrics: &'a [&'a str],
    /// Registered classification metric names.
    pub classification_metrics: &'a [&'a str],
    /// Resolves `plugin: NAME` of a native model to its library file, or says
    /// why it cannot (the message is shown at the plugin name's position).
    pub resolve_plugin: &'a dyn Fn(&str) -> Result<PathBuf, String>,
}
