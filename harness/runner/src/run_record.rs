//! The manifest a run starts with: what the plan, its models, datasets and
//! perturbations are (the study adds its own record).

use sensibench_core::{HARNESS_VERSION, Sample};
use sensibench_results::time;
use sensibench_suite::plan::{DatasetPlan, Plan};

use crate::datasets::mode_str;
use crate::manifest::{DatasetInfo, Manifest};
use crate::models::LoadedModel;
use crate::perturbations::BoundPerturbation;
use crate::run_folder::git_sha_or;

/// The manifest of a run of `plan` with these models, datasets and
/// perturbations, for the task `task`; no study, strip, shard or
/// classification record (the caller sets them).
pub(crate) fn base_manifest(
    plan: &Plan,
    git_sha: &str,
    run_id: &str,
    models: &[LoadedModel],
    datasets: &[(&DatasetPlan, Vec<Sample>)],
    perturbations: &[BoundPerturbation],
    task: &str,
) -> Manifest {
    Manifest {
        suite: plan.name.clone(),
        title: plan
            .report
            .title
            .clone()
            .unwrap_or_else(|| plan.name.clone()),
        description: plan.description.clone(),
        suite_path: plan.suite_path.display().to_string(),
        suite_hash: plan.suite_hash.clone(),
        seed: plan.seed,
        run_id: run_id.to_string(),
        created: time::iso_now(),
        harness_version: HARNESS_VERSION.into(),
        git_sha: git_sha_or(git_sha),
        classes: plan.classes.clone(),
        metrics: plan.metrics.clone(),
        primary_metric: plan
            .report
            .primary_metric
            .clone()
            .unwrap_or_else(|| plan.metrics[0].clone()),
        models: models.iter().map(|m| m.info.clone()).collect(),
        datasets: datasets
            .iter()
            .map(|(d, s)| DatasetInfo {
                name: d.name.clone(),
                samples: s.len(),
                reference_mode: mode_str(d.reference).into(),
            })
            .collect(),
        skipped_datasets: plan
            .skipped_datasets
            .iter()
            .map(|s| (s.name.clone(), s.reason.clone()))
            .collect(),
        perturbations: perturbations.iter().map(|p| p.info.clone()).collect(),
        strip_sample: None,
        efficiency: None,
        task: task.into(),
        classification: None,
        shard: None,
    }
}
