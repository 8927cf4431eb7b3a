//! Where a side's numbers come from (its `manifest.json` or
//! `baseline.json`), and what differs between two sides' provenance.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::errors::{invalid, io_err};

/// A model's name and the SHA-256 of its file (`""` for built-in models).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelHash {
    /// The model's name in the suite.
    pub name: String,
    /// SHA-256 of the model file.
    #[serde(default)]
    pub hash: String,
}

/// Where a run's numbers come from: the fields of `manifest.json` (or
/// `baseline.json`) a comparison looks at. Unknown fields are ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Provenance {
    /// The suite's name.
    pub suite: String,
    /// SHA-256 of the suite file.
    pub suite_hash: String,
    /// The suite's seed.
    pub seed: u64,
    /// The run identifier.
    pub run_id: String,
    /// When the run was made (ISO 8601, UTC).
    pub created: String,
    /// The harness version.
    pub harness_version: String,
    /// The harness checkout's git sha.
    pub git_sha: String,
    /// `segmentation` or `classification`.
    pub task: String,
    /// The models and their hashes.
    pub models: Vec<ModelHash>,
    /// The metrics of the run (of a baseline: the metrics kept).
    pub metrics: Vec<String>,
    /// The suite's primary metric.
    pub primary_metric: String,
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance {
            suite: String::new(),
            suite_hash: String::new(),
            seed: 0,
            run_id: String::new(),
            created: String::new(),
            harness_version: String::new(),
            git_sha: String::new(),
            task: "segmentation".into(),
            models: Vec::new(),
            metrics: Vec::new(),
            primary_metric: String::new(),
        }
    }
}

/// Reads the provenance JSON at `path` (`manifest.json` or `baseline.json`).
pub fn read_provenance(path: &Path) -> Result<Provenance> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|e| {
        invalid(
            path,
            format!("expected a run manifest or baseline.json: {e}"),
        )
    })
}

/// One provenance field that differs between the sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// What differs, e.g. `suite hash`, `model \`unet\` hash`, `model \`x\``.
    pub what: String,
    /// Its value on side A (`(absent)` when missing).
    pub a: String,
    /// Its value on side B.
    pub b: String,
}

/// What differs between the provenances (module documentation): suite hash,
/// each model's hash, models on one side only, harness version, git sha,
/// seed, task (and the suite's name).
pub fn differences(a: &Provenance, b: &Provenance) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |what: String, x: String, y: String| {
        if x != y {
            out.push(Difference { what, a: x, b: y });
        }
    };
    push("suite".into(), a.suite.clone(), b.suite.clone());
    push(
        "suite hash".into(),
        a.suite_hash.clone(),
        b.suite_hash.clone(),
    );
    push("task".into(), a.task.clone(), b.task.clone());
    push("seed".into(), a.seed.to_string(), b.seed.to_string());
    push(
        "harness version".into(),
        a.harness_version.clone(),
        b.harness_version.clone(),
    );
    push("git sha".into(), a.git_sha.clone(), b.git_sha.clone());
    let ma: BTreeMap<&str, &str> = a
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.hash.as_str()))
        .collect();
    let mb: BTreeMap<&str, &str> = b
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.hash.as_str()))
        .collect();
    let names: BTreeSet<&str> = ma.keys().chain(mb.keys()).copied().collect();
    const ABSENT: &str = "(absent)";
    for name in names {
        match (ma.get(name), mb.get(name)) {
            (Some(x), Some(y)) => {
                push(format!("model `{name}` hash"), x.to_string(), y.to_string())
            }
            (Some(x), None) => push(format!("model `{name}`"), x.to_string(), ABSENT.into()),
            (None, Some(y)) => push(format!("model `{name}`"), ABSENT.into(), y.to_string()),
            (None, None) => {}
        }
    }
    out
}
