//! Shared helpers of the end-to-end tests.

use std::path::{Path, PathBuf};

use sensibench_metrics::SegMetric;
use sensibench_suite::plan::Plan;
use sensibench_suite::{Catalog, load_suite};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Loads a suite with the real registries.
pub fn load(suite: &Path, data_root: &Path) -> Result<Plan, String> {
    let perturbations = sensibench_perturb::registry();
    let metrics: Vec<&str> = SegMetric::ALL.iter().map(|m| m.name()).collect();
    let class_metrics: Vec<&str> = sensibench_metrics::ClassMetric::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    let resolve =
        |name: &str| sensibench_backends::native::resolve_plugin(name).map_err(|e| e.to_string());
    let catalog = Catalog {
        perturbations: &perturbations,
        metrics: &metrics,
        classification_metrics: &class_metrics,
        resolve_plugin: &resolve,
    };
    load_suite(suite, data_root, &catalog).map_err(|e| e.to_string())
}

/// The `sensibench` executable built beside the test binaries
/// (`<target>/debug/deps/<test>` → `<target>/debug/sensibench`): `make test`
/// builds every target of the workspace before it runs the tests.
pub fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    dir.join("sensibench")
}
