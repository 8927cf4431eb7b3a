//! The provenance pairs of a report's header.

use crate::manifest::Manifest;

/// The provenance pairs of a report's header: harness, git, suite, seed,
/// rows, and each model's backend and file hash.
pub(crate) fn provenance(m: &Manifest, rows: usize) -> Vec<(String, String)> {
    let mut provenance = vec![
        (
            "harness".to_string(),
            format!("sensibench {}", m.harness_version),
        ),
        ("git".into(), m.git_sha.clone()),
        (
            "suite".into(),
            format!("{} ({})", m.suite_path, short(&m.suite_hash)),
        ),
        ("seed".into(), m.seed.to_string()),
        ("rows".into(), rows.to_string()),
    ];
    for model in &m.models {
        let what = if model.hash.is_empty() {
            model.backend.clone()
        } else {
            format!("{} · sha256 {}", model.backend, short(&model.hash))
        };
        provenance.push((format!("model {}", model.name), what));
    }
    provenance
}

pub(crate) fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// The report's notes on the datasets the run skipped, one per dataset.
pub(crate) fn skipped_notes(m: &Manifest) -> Vec<String> {
    m.skipped_datasets
        .iter()
        .map(|(n, why)| format!("Dataset `{n}` was skipped: {why}"))
        .collect()
}

/// The report's notes on the models that could not be loaded.
pub(crate) fn load_error_notes(m: &Manifest) -> impl Iterator<Item = String> + '_ {
    m.models.iter().filter_map(|model| {
        model
            .load_error
            .as_ref()
            .map(|e| format!("Model `{}` could not be loaded: {e}", model.name))
    })
}
