//! The work units of a run (one per part file) and their cost, for the shard
//! partition.

use sensibench_core::Sample;
use sensibench_suite::plan::DatasetPlan;

use crate::perturbations::BoundPerturbation;
use crate::sanitize;
use crate::shard::Unit;

/// The file name (without `.parquet`) of the part of (model, dataset, perturbation).
pub(crate) fn part_name(model: &str, dataset: &str, perturbation: &str) -> String {
    format!(
        "{}__{}__{}",
        sanitize(model),
        sanitize(dataset),
        sanitize(perturbation)
    )
}

/// The shard units of the parts in `folder` (`parts` or `predictions`):
/// one per (dataset, perturbation, model), in run order, each costing
/// samples × points × voxels.
pub(crate) fn part_units(
    folder: &str,
    datasets: &[(&DatasetPlan, Vec<Sample>)],
    perturbations: &[BoundPerturbation],
    models: &[&str],
) -> Vec<Unit> {
    let mut units = Vec::new();
    for (d, samples) in datasets {
        let voxels = mean_voxels(samples);
        for bp in perturbations {
            for m in models {
                units.push(Unit {
                    name: format!("{folder}/{}.parquet", part_name(m, &d.name, &bp.info.label)),
                    cost: (samples.len() * bp.info.points.len()) as f64 * voxels,
                });
            }
        }
    }
    units
}

/// The mean number of voxels of `samples` (the cost of one prediction, in
/// the shard partition's cost model).
pub(crate) fn mean_voxels(samples: &[Sample]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples
        .iter()
        .map(|s| s.image.data().len() as f64)
        .sum::<f64>()
        / samples.len() as f64
}
