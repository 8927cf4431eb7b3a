//! Loading the models of a plan: in this process through the backends, or in
//! a worker process (`isolate: process`).

use sensibench_core::Model;
use sensibench_suite::plan::{Isolation, ModelPlan, Plan};

use crate::manifest::ModelInfo;
use crate::predict::{ModelTiming, Predictor};

#[cfg(not(feature = "torch"))]
pub(crate) use crate::backend::NO_TORCH;

/// Loads `mp` as the plan says (in process, or isolated in a worker): the
/// model's record for the manifest, and the model or why it did not load.
pub(crate) fn load_model(
    mp: &ModelPlan,
    threads: usize,
) -> (ModelInfo, std::result::Result<Box<dyn Model>, String>) {
    if mp.isolate == Isolation::Process {
        return crate::worker::load_isolated(mp, threads);
    }
    crate::backend::load_in_process(mp, threads)
}

/// A model of the plan with its manifest record; no predictor when it did
/// not load (its rows fail with `info.load_error`).
pub(crate) struct LoadedModel {
    pub(crate) plan: ModelPlan,
    pub(crate) info: ModelInfo,
    pub(crate) predictor: Option<Predictor>,
}

/// Every model of `plan`, loaded (or with why it did not load).
pub(crate) fn load_models(plan: &Plan, threads: usize) -> Vec<LoadedModel> {
    plan.models
        .iter()
        .map(|mp| {
            let (info, model) = load_model(mp, threads);
            LoadedModel {
                plan: mp.clone(),
                info,
                predictor: model.ok().map(|m| Predictor::new(mp, m)),
            }
        })
        .collect()
}

/// Per model: its time inside `Model::predict` and around it.
pub(crate) fn model_timings(models: &[LoadedModel]) -> Vec<ModelTiming> {
    models
        .iter()
        .map(|m| {
            m.predictor
                .as_ref()
                .map(|p| p.timing().clone())
                .unwrap_or_else(|| ModelTiming {
                    model: m.info.name.clone(),
                    ..ModelTiming::default()
                })
        })
        .collect()
}
