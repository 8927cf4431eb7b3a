//! The progress bar of a run's predictions.

use indicatif::{ProgressBar, ProgressStyle};
use sensibench_core::Sample;
use sensibench_suite::plan::DatasetPlan;

use crate::perturbations::BoundPerturbation;

/// The progress bar of `total` predictions (hidden unless `show`).
pub(crate) fn prediction_bar(total: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total as u64);
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} predictions  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}

/// How many predictions a run makes: samples × points × models.
pub(crate) fn total_predictions(
    datasets: &[(&DatasetPlan, Vec<Sample>)],
    perturbations: &[BoundPerturbation],
    models: usize,
) -> usize {
    datasets
        .iter()
        .map(|(_, s)| {
            s.len()
                * perturbations
                    .iter()
                    .map(|p| p.info.points.len())
                    .sum::<usize>()
        })
        .sum::<usize>()
        * models
}
