//! The one trait every model backend implements.

use crate::{Result, Tensor, TensorView};

/// A batch handed to a model: the pre-processed input (`N x C x H x W`, or
/// `N x C x D x H x W`), and, on the same grid, the reference label maps as
/// a `N x 1 x …` tensor when the runner has them. Only the null model reads
/// the reference: it exists to measure the harness's own overhead.
pub struct Batch<'a> {
    pub input: &'a Tensor,
    pub reference: Option<&'a Tensor>,
}

/// A model that maps a batch of inputs to a batch of outputs.
///
/// The output is `N x K x …` on the input's spatial grid: `K` class scores
/// (logits or probabilities, as the suite declares) or `K = 1` label values.
/// Implementations must not panic on bad input: return [`crate::Error::Model`].
pub trait Model: Send {
    /// A short name for messages.
    fn name(&self) -> &str;
    /// Runs the model on one batch.
    fn predict(&mut self, batch: &Batch<'_>) -> Result<Tensor>;
    /// Runs the model on one batch and hands the output to `consume` as a
    /// view, without copying it where the backend can (ONNX Runtime's own
    /// output buffer). The runner predicts this way. Unlike
    /// [`Model::predict`], the values are not checked for NaN or infinity
    /// here: the consumer checks what it reads. The shape is checked as in
    /// `predict`. The default calls `predict`.
    fn predict_view(
        &mut self,
        batch: &Batch<'_>,
        consume: &mut dyn FnMut(TensorView<'_>),
    ) -> Result<()> {
        let output = self.predict(batch)?;
        consume(output.view());
        Ok(())
    }
    /// Whether [`Batch::reference`] must be filled (the null model).
    fn needs_reference(&self) -> bool {
        false
    }
}
