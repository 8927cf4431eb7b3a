//! The null model: returns the batch's reference at once, so a run with it
//! measures the harness's own overhead (loading, perturbing, scoring, storing).

use sensibench_core::{Batch, Error, Model, Result, Tensor};

/// Returns [`Batch::reference`] unchanged (a `N x 1 x …` label map); its scores are
/// the metrics' perfect values.
#[derive(Clone, Debug)]
pub struct NullModel {
    name: String,
}

impl NullModel {
    /// A null model with the given name (used in messages and result rows).
    pub fn new(name: &str) -> Self {
        NullModel {
            name: name.to_string(),
        }
    }
}

impl Model for NullModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn predict(&mut self, batch: &Batch<'_>) -> Result<Tensor> {
        batch.reference.cloned().ok_or_else(|| Error::Model {
            model: self.name.clone(),
            reason: "the null model returns the reference, but the batch has none (the dataset must provide labels)"
                .into(),
        })
    }

    fn needs_reference(&self) -> bool {
        true
    }
}
