//! A model with its declared pre- and post-processing: images in, label maps
//! on the images' own grids out, batch by batch, with the time split between
//! the model and the harness around it.

use sensibench_core::{Batch, Image, LabelMap, Model, Tensor, TensorView};
use sensibench_suite::plan::{ModelPlan, Postprocess, Preprocess};
use std::time::Instant;

use crate::pipeline::{
    labels_from_output, model_size, prepare_input, prepare_reference, probabilities_from_output,
};

/// Where a model's prediction time went.
#[derive(Clone, Debug, Default)]
pub struct ModelTiming {
    pub model: String,
    /// Images predicted.
    pub predictions: usize,
    /// Seconds inside `Model::predict` (the backend's session time).
    pub inference: f64,
    /// Seconds of the harness's own work around it: pre-processing, batch
    /// assembly, output decoding and mapping back onto the image grid.
    pub pipeline: f64,
}

impl ModelTiming {
    /// The harness's time as a fraction of the model's (0.05 = 5 %).
    pub fn overhead(&self) -> f64 {
        if self.inference > 0.0 {
            self.pipeline / self.inference
        } else {
            0.0
        }
    }
}

/// One image to predict, with the reference the null model returns.
pub type Item<'a> = (&'a Image, Option<&'a LabelMap>);

/// A loaded model and how its inputs and outputs are processed.
pub struct Predictor {
    model: Box<dyn Model>,
    pre: Preprocess,
    post: Postprocess,
    batch_size: usize,
    timing: ModelTiming,
}

impl Predictor {
    /// Wraps `model` with the processing its suite entry declares.
    pub fn new(plan: &ModelPlan, model: Box<dyn Model>) -> Self {
        Self::with_processing(
            &plan.name,
            model,
            plan.preprocess.clone(),
            plan.postprocess,
            plan.batch_size,
        )
    }

    /// Wraps `model` (called `name` in messages) with explicit processing.
    /// A model that needs the reference (the null model) returns labels.
    pub fn with_processing(
        name: &str,
        model: Box<dyn Model>,
        pre: Preprocess,
        post: Postprocess,
        batch_size: usize,
    ) -> Self {
        let post = if model.needs_reference() {
            Postprocess::Labels
        } else {
            post
        };
        Predictor {
            model,
            pre,
            post,
            batch_size: batch_size.max(1),
            timing: ModelTiming {
                model: name.to_string(),
                ..ModelTiming::default()
            },
        }
    }

    /// The model's name in messages and results.
    pub fn name(&self) -> &str {
        &self.timing.model
    }

    /// The time spent so far.
    pub fn timing(&self) -> &ModelTiming {
        &self.timing
    }

    /// Predicts labels for `items`, batch by batch; each result is the label
    /// map on the item's own grid, or why it failed.
    pub fn predict(&mut self, items: &[Item<'_>]) -> Vec<Result<LabelMap, String>> {
        self.predict_with_progress(items, |_| {})
    }

    /// As [`Predictor::predict`], calling `on_batch(n)` after each batch of `n` items.
    ///
    /// Everything runs on the calling thread, one batch after the other:
    /// the model's own threads have the cores while it runs, and the output
    /// is decoded where the backend left it ([`Model::predict_view`]), with
    /// no copy. [`ModelTiming::inference`] is the time until the output is
    /// handed over; [`ModelTiming::pipeline`] is the rest of the wall time.
    pub fn predict_with_progress(
        &mut self,
        items: &[Item<'_>],
        mut on_batch: impl FnMut(usize),
    ) -> Vec<Result<LabelMap, String>> {
        let started = Instant::now();
        let mut inference = 0.0;
        let needs_ref = self.model.needs_reference();
        let (pre, post) = (&self.pre, self.post);
        let name = self.timing.model.as_str();
        let mut results: Vec<Option<Result<LabelMap, String>>> =
            (0..items.len()).map(|_| None).collect();
        for (ci, chunk) in items.chunks(self.batch_size).enumerate() {
            for job in prepare_chunk(ci * self.batch_size, chunk, pre, needs_ref) {
                let input = match job.input {
                    Ok(input) => input,
                    Err(e) => {
                        for &j in &job.indices {
                            results[j] = Some(Err(e.clone()));
                        }
                        continue;
                    }
                };
                let t0 = Instant::now();
                let mut handed_over = None;
                let mut decoded = false;
                let outcome = run_model(
                    self.model.as_mut(),
                    name,
                    &input,
                    job.reference.as_ref(),
                    &mut |out| {
                        handed_over = Some(t0.elapsed().as_secs_f64());
                        decoded = true;
                        for (gi, &j) in job.indices.iter().enumerate() {
                            results[j] = Some(
                                labels_from_output(name, out, gi, post, pre, items[j].0.grid())
                                    .map_err(|e| e.to_string()),
                            );
                        }
                    },
                );
                inference += handed_over.unwrap_or_else(|| t0.elapsed().as_secs_f64());
                let failure = match outcome {
                    Err(e) => Some(e),
                    Ok(()) if !decoded => Some(format!("model `{name}` returned no output")),
                    Ok(()) => None,
                };
                if let Some(e) = failure {
                    for &j in &job.indices {
                        results[j] = Some(Err(e.clone()));
                    }
                }
            }
            on_batch(chunk.len());
        }
        self.timing.inference += inference;
        self.timing.pipeline += started.elapsed().as_secs_f64() - inference;
        self.timing.predictions += items.len();
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err("not predicted".into())))
            .collect()
    }
}

impl Predictor {
    /// Class probabilities for `items` (a classifier), batch by batch: each
    /// result is the `n_classes` probabilities of one item, or why it failed.
    /// The output is turned into probabilities as the suite declares
    /// ([`probabilities_from_output`]). Timing as in
    /// [`Predictor::predict_with_progress`].
    pub fn classify_with_progress(
        &mut self,
        items: &[Item<'_>],
        n_classes: usize,
        mut on_batch: impl FnMut(usize),
    ) -> Vec<Result<Vec<f32>, String>> {
        let started = Instant::now();
        let mut inference = 0.0;
        let (pre, post) = (&self.pre, self.post);
        let name = self.timing.model.as_str();
        let mut results: Vec<Option<Result<Vec<f32>, String>>> =
            (0..items.len()).map(|_| None).collect();
        for (ci, chunk) in items.chunks(self.batch_size).enumerate() {
            for job in prepare_chunk(ci * self.batch_size, chunk, pre, false) {
                let input = match job.input {
                    Ok(input) => input,
                    Err(e) => {
                        for &j in &job.indices {
                            results[j] = Some(Err(e.clone()));
                        }
                        continue;
                    }
                };
                let t0 = Instant::now();
                let mut handed_over = None;
                let mut decoded = false;
                let outcome = run_model(self.model.as_mut(), name, &input, None, &mut |out| {
                    handed_over = Some(t0.elapsed().as_secs_f64());
                    decoded = true;
                    for (gi, &j) in job.indices.iter().enumerate() {
                        results[j] = Some(
                            probabilities_from_output(name, out, gi, post, n_classes)
                                .map_err(|e| e.to_string()),
                        );
                    }
                });
                inference += handed_over.unwrap_or_else(|| t0.elapsed().as_secs_f64());
                let failure = match outcome {
                    Err(e) => Some(e),
                    Ok(()) if !decoded => Some(format!("model `{name}` returned no output")),
                    Ok(()) => None,
                };
                if let Some(e) = failure {
                    for &j in &job.indices {
                        results[j] = Some(Err(e.clone()));
                    }
                }
            }
            on_batch(chunk.len());
        }
        self.timing.inference += inference;
        self.timing.pipeline += started.elapsed().as_secs_f64() - inference;
        self.timing.predictions += items.len();
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err("not predicted".into())))
            .collect()
    }
}

/// Items bound for one model call: their indices, the assembled input (or
/// why it could not be prepared), and for the null model the reference.
struct Job {
    indices: Vec<usize>,
    input: Result<Tensor, String>,
    reference: Option<Tensor>,
}

/// Items of one model-grid size being assembled into one call.
struct Open {
    size: [usize; 2],
    indices: Vec<usize>,
    input: Vec<f32>,
    /// `None` once an item comes without a reference.
    refs: Option<Vec<f32>>,
}

impl Open {
    fn into_job(self) -> Job {
        let [h, w] = self.size;
        let n = self.indices.len();
        Job {
            indices: self.indices,
            input: Tensor::new(vec![n, 1, h, w], self.input).map_err(|e| e.to_string()),
            reference: self
                .refs
                .and_then(|r| Tensor::new(vec![n, 1, h, w], r).ok()),
        }
    }
}

/// Prepares one batch (items `first..first + chunk.len()`): items of the same
/// model-grid size go to the model as one tensor, so a batch whose images
/// differ in size becomes several calls; an item that cannot be prepared is a
/// job of its own that carries the reason.
fn prepare_chunk(first: usize, chunk: &[Item<'_>], pre: &Preprocess, needs_ref: bool) -> Vec<Job> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut open: Option<Open> = None;
    for (k, (img, mask)) in chunk.iter().enumerate() {
        let index = first + k;
        let prepared = prepare_input(img, pre).and_then(|x| match mask {
            Some(m) if needs_ref => prepare_reference(m, pre).map(|r| (x, Some(r))),
            _ => Ok((x, None)),
        });
        let (x, r) = match prepared {
            Ok(p) => p,
            Err(e) => {
                jobs.push(Job {
                    indices: vec![index],
                    input: Err(e.to_string()),
                    reference: None,
                });
                continue;
            }
        };
        let size = model_size(img, pre);
        if let Some(o) = open.take_if(|o| o.size != size) {
            jobs.push(o.into_job());
        }
        let o = open.get_or_insert_with(|| Open {
            size,
            indices: Vec::new(),
            input: Vec::with_capacity(chunk.len() * x.len()),
            refs: Some(Vec::new()),
        });
        o.indices.push(index);
        o.input.extend_from_slice(&x);
        match (r, o.refs.as_mut()) {
            (Some(r), Some(refs)) => refs.extend_from_slice(&r),
            _ => o.refs = None,
        }
    }
    jobs.extend(open.map(Open::into_job));
    jobs
}

/// One model call, its output handed to `consume` when its batch size is
/// right; a panic is caught as the model's failure.
fn run_model(
    model: &mut dyn Model,
    name: &str,
    input: &Tensor,
    reference: Option<&Tensor>,
    consume: &mut dyn FnMut(TensorView<'_>),
) -> Result<(), String> {
    let batch = Batch { input, reference };
    let n = input.shape()[0];
    let mut wrong = None;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        model.predict_view(&batch, &mut |out| {
            if out.shape().first() == Some(&n) {
                consume(out);
            } else {
                wrong = Some(out.shape().to_vec());
            }
        })
    }))
    .map_err(|_| format!("model `{name}` panicked"))?
    .map_err(|e| e.to_string())?;
    match wrong {
        Some(shape) => Err(format!(
            "model `{name}`: output batch of shape {shape:?} for {n} inputs"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sensibench_core::{Error, Grid};
    use sensibench_suite::plan::{Fit, Normalize};

    /// Returns each input pixel as a label, and records the batch shapes.
    struct Echo {
        calls: Calls,
        fail_on_size: Option<usize>,
    }

    impl Model for Echo {
        fn name(&self) -> &str {
            "echo"
        }
        fn predict(&mut self, batch: &Batch<'_>) -> sensibench_core::Result<Tensor> {
            let shape = batch.input.shape().to_vec();
            self.calls.lock().unwrap().push(shape.clone());
            if Some(shape[2]) == self.fail_on_size {
                return Err(Error::Model {
                    model: "echo".into(),
                    reason: "refuses this size".into(),
                });
            }
            Ok(batch.input.clone())
        }
    }

    fn image(h: usize, w: usize, value: f32) -> Image {
        Image::new(Grid::new_2d(h, w, [1.0, 1.0]).unwrap(), vec![value; h * w]).unwrap()
    }

    type Calls = std::sync::Arc<std::sync::Mutex<Vec<Vec<usize>>>>;

    /// A predictor around [`Echo`] (batches of 3) and the calls it records.
    fn predictor(fail_on_size: Option<usize>) -> (Predictor, Calls) {
        let calls = Calls::default();
        let pre = Preprocess {
            size: None,
            fit: Fit::Pad,
            normalize: Normalize::None,
        };
        let echo = Echo {
            calls: Calls::clone(&calls),
            fail_on_size,
        };
        let p = Predictor::with_processing("echo", Box::new(echo), pre, Postprocess::Labels, 3);
        (p, calls)
    }

    #[test]
    fn batches_split_by_size_and_keep_the_order() {
        // sizes 4 4 6 | 4 6 6 | 4 (batches of 3), plus a 3D volume that
        // cannot be prepared
        let volume = Image::new(Grid::new_3d([2, 4, 4], [1.0; 3]).unwrap(), vec![9.0; 32]).unwrap();
        let imgs = [
            image(4, 4, 1.0),
            image(4, 4, 2.0),
            image(6, 6, 3.0),
            image(4, 4, 4.0),
            volume,
            image(6, 6, 6.0),
            image(4, 4, 7.0),
        ];
        let items: Vec<Item<'_>> = imgs.iter().map(|i| (i, None)).collect();
        let (mut p, calls) = predictor(None);
        let mut batches = Vec::new();
        let out = p.predict_with_progress(&items, |n| batches.push(n));
        assert_eq!(batches, vec![3, 3, 1]);
        let calls = calls.lock().unwrap().clone();
        let shapes: Vec<[usize; 2]> = calls.iter().map(|s| [s[0], s[2]]).collect();
        // batch 1: [4, 4] then [6]; batch 2: [4], (volume fails), [6]; batch 3: [4]
        assert_eq!(shapes, vec![[2, 4], [1, 6], [1, 4], [1, 6], [1, 4]]);
        for (k, r) in out.iter().enumerate() {
            if k == 4 {
                let e = r.as_ref().unwrap_err();
                assert!(e.contains("2D models need 2D images"), "{e}");
            } else {
                let l = r.as_ref().unwrap();
                let want = (k + 1) as u8;
                assert_eq!(l.grid(), imgs[k].grid());
                assert!(l.data().iter().all(|&v| v == want), "item {k}");
            }
        }
        let t = p.timing();
        assert_eq!(t.predictions, 7);
        assert!(t.inference >= 0.0 && t.pipeline >= 0.0);
    }

    #[test]
    fn a_failing_call_fails_only_its_items() {
        let imgs = [image(4, 4, 1.0), image(6, 6, 2.0), image(4, 4, 3.0)];
        let items: Vec<Item<'_>> = imgs.iter().map(|i| (i, None)).collect();
        let (mut p, _) = predictor(Some(6));
        let out = p.predict(&items);
        assert_eq!(out[0].as_ref().unwrap().data()[0], 1);
        assert!(out[1].as_ref().unwrap_err().contains("refuses this size"));
        assert_eq!(out[2].as_ref().unwrap().data()[0], 3);
    }
}
