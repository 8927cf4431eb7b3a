//! Executing a plan: the study of its task.

use sensibench_core::{PerturbationEntry, Registry};
use sensibench_suite::plan::{Plan, Task};

use crate::Result;
use crate::options::{RunOptions, RunSummary};

/// Runs `plan`; returns where the rows are. Model failures do not stop the run.
pub fn run(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
    opts: &RunOptions,
) -> Result<RunSummary> {
    match plan.task {
        Task::Classification => crate::classify::run(plan, registry, opts),
        Task::Segmentation => crate::segmentation::run(plan, registry, opts),
    }
}
