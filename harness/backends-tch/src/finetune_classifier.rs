//! Fine-tuning a TorchScript **classifier** on a few labelled images, on the
//! CPU: the classification counterpart of [`crate::fine_tune`].
//!
//! The module's `forward(x)` takes `N x C x H x W` and returns the logits
//! `N x classes` (pre-softmax), or a tuple whose **last** element is that
//! tensor (e.g. `(features, logits)`). Only `forward` is called. Everything
//! else is shared with segmentation fine-tuning: every parameter with
//! `requires_grad` in the file is trained (frozen ones stay frozen), buffers
//! stay in the module (BatchNorm running statistics are updated: the module
//! runs in train mode during fine-tuning, so a BatchNorm model needs batches
//! of ≥ 2 images), the same optimisers ([`crate::Optimizer`]), the same
//! seeded batch order ([`crate::batch_indices`]) and the same
//! [`crate::Augment`] draws; for classification a geometric augmentation
//! moves only the image (the label is the class of the whole image).
//!
//! The loss is the mean cross-entropy of [`cross_entropy_loss`]
//! ([`CrossEntropy`]: label smoothing and class weights, both off by
//! default). [`crate::FineTuneConfig::loss`] (the Dice/CE weights of
//! segmentation) is **ignored** here.
//!
//! Afterwards the module is switched to eval mode and returned as a
//! [`TorchScriptModel`] whose `predict` gives the `N x classes` logits (the
//! suite applies the softmax). That path calls `forward` and needs it to
//! return a tensor: a module whose `forward` returns a tuple trains here but
//! fails in `predict`.
//!
//! **Determinism.** The batch order and the augmentation come from
//! [`sensibench_core::SeededRng`] seeded with
//! [`crate::FineTuneConfig::seed`]; the initial weights come from the file.
//! With the same thread count the same inputs give the same losses and
//! weights bit for bit; libtorch's CPU reductions may differ in the last bits
//! when the thread count changes.

use std::path::Path;
use std::time::Instant;

use sensibench_core::{Error, Result};
use tch::{IValue, Kind, Reduction, Tensor};

use crate::finetune::{
    Sampler, TrainingLog, check_common, guard_panics, load_for_training, tch_error,
};
use crate::{FineTuneConfig, FineTuneReport, TorchScriptModel, seed_libtorch_once};

/// Labelled training images for a classifier, already pre-processed into the
/// module's input space (e.g. min-max normalised and resized): `images[i]` is
/// `C x H x W` (row-major), `labels[i]` its class index.
#[derive(Clone, Debug)]
pub struct ClassTrainingSet {
    images: Vec<Vec<f32>>,
    labels: Vec<u32>,
    shape: [usize; 3],
}

impl ClassTrainingSet {
    /// Checks that there is at least one image, one label per image and that
    /// every image has `C·H·W` values (`shape = [C, H, W]`, all ≥ 1). Labels
    /// are checked against the class count by the fine-tuning call.
    pub fn new(images: Vec<Vec<f32>>, labels: Vec<u32>, shape: [usize; 3]) -> Result<Self> {
        let [c, h, w] = shape;
        if images.is_empty() || images.len() != labels.len() || c * h * w == 0 {
            return Err(Error::Shape {
                what: "classification training set".into(),
                expected: "at least one image, one label per image, and C, H, W >= 1".into(),
                found: format!(
                    "{} images, {} labels, shape {c} x {h} x {w}",
                    images.len(),
                    labels.len()
                ),
            });
        }
        if let Some((i, x)) = images
            .iter()
            .enumerate()
            .find(|(_, x)| x.len() != c * h * w)
        {
            return Err(Error::Shape {
                what: format!("training image {i}"),
                expected: format!("{c} x {h} x {w} = {} values", c * h * w),
                found: format!("{} values", x.len()),
            });
        }
        Ok(ClassTrainingSet {
            images,
            labels,
            shape,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Always false (a set has at least one image).
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Image `i` (`C x H x W`) and its class.
    pub fn item(&self, i: usize) -> (&[f32], u32) {
        (&self.images[i], self.labels[i])
    }

    /// The class of every image, in order.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// The `[C, H, W]` shape of every image.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }
}

/// Options of the classification loss (see [`cross_entropy_loss`]). The
/// default is the plain mean cross-entropy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CrossEntropy {
    /// Label smoothing ε in `[0, 1)` (0 = none).
    pub label_smoothing: f64,
    /// One weight ≥ 0 per class (`None` = all 1).
    pub class_weights: Option<Vec<f64>>,
}

/// The mean cross-entropy of logits `N x K` and class indices `N` (`Int64`),
/// as `torch.nn.functional.cross_entropy(logits, target, weight=w,
/// label_smoothing=ε)` (reduction mean; libtorch's `cross_entropy_loss`).
/// With `log p_{ik} = log_softmax(logits_i)_k` and `y_i` the target of item i:
///
/// `ℓ_i = (1 − ε) · w_{y_i} · (−log p_{i,y_i}) + (ε / K) · Σ_k w_k · (−log p_{ik})`
///
/// and `loss = Σ_i ℓ_i / Σ_i w_{y_i}` (`w ≡ 1` without class weights, so the
/// denominator is N and `ε = 0` gives the plain mean of `−log p_{i,y_i}`).
pub fn cross_entropy_loss(
    logits: &Tensor,
    target: &Tensor,
    loss: &CrossEntropy,
) -> std::result::Result<Tensor, tch::TchError> {
    let weight = match &loss.class_weights {
        Some(w) => Some(Tensor::f_from_slice(w)?.f_to_kind(Kind::Float)?),
        None => None,
    };
    logits.f_cross_entropy_loss(
        target,
        weight.as_ref(),
        Reduction::Mean,
        -100,
        loss.label_smoothing,
    )
}

fn check_class_setup(
    name: &str,
    set: &ClassTrainingSet,
    cfg: &FineTuneConfig,
    loss: &CrossEntropy,
) -> Result<()> {
    let bad = |what: String| Error::Model {
        model: name.to_string(),
        reason: format!("fine-tuning: {what}"),
    };
    check_common(name, cfg)?;
    if cfg.classes < 2 {
        return Err(bad(format!(
            "classes must be at least 2 (found {})",
            cfg.classes
        )));
    }
    if let Some((i, &l)) = set
        .labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| l as usize >= cfg.classes)
    {
        return Err(bad(format!(
            "training image {i} has class {l}, but the module has {} classes (labels 0..{})",
            cfg.classes,
            cfg.classes - 1
        )));
    }
    if !(loss.label_smoothing.is_finite() && (0.0..1.0).contains(&loss.label_smoothing)) {
        return Err(bad(format!(
            "label_smoothing must be in [0, 1) (found {})",
            loss.label_smoothing
        )));
    }
    if let Some(w) = &loss.class_weights {
        if w.len() != cfg.classes {
            return Err(bad(format!(
                "class_weights has {} values, expected one per class ({})",
                w.len(),
                cfg.classes
            )));
        }
        if let Some((k, v)) = w
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(bad(format!(
                "class_weights[{k}] = {v}, expected a finite weight >= 0"
            )));
        }
        if let Some((i, l)) = set
            .labels
            .iter()
            .enumerate()
            .find(|&(_, &l)| w[l as usize] == 0.0)
        {
            // a batch of only such images would divide 0 by 0
            return Err(bad(format!(
                "class_weights[{l}] is 0 but training image {i} has class {l}"
            )));
        }
    }
    Ok(())
}

/// Fine-tunes the TorchScript classifier in `module_path` on `set` with the
/// plain mean cross-entropy ([`CrossEntropy::default`]) and returns it, in
/// eval mode, as a model named `name`, with the loss of every step. See
/// [`fine_tune_classifier_with`].
pub fn fine_tune_classifier(
    name: &str,
    module_path: &Path,
    set: &ClassTrainingSet,
    cfg: &FineTuneConfig,
) -> Result<(TorchScriptModel, FineTuneReport)> {
    fine_tune_classifier_with(name, module_path, set, cfg, &CrossEntropy::default())
}

/// Fine-tunes the TorchScript classifier in `module_path` on `set` with the
/// loss `loss` ([`cross_entropy_loss`]); `cfg.loss` is ignored, `cfg.classes`
/// is the number of logits. Each step takes `min(batch_size, set.len())`
/// images ([`crate::batch_indices`]), augments them, runs `forward`, and
/// takes one optimiser step on the loss.
///
/// Fails (never panics) with [`Error::Model`] naming `name` when the file is
/// missing or does not load, the module has no trainable parameter, its
/// output is not `N x classes` (or a tuple ending in it), a label is not
/// below `classes`, a setting is out of range, or the loss becomes NaN or
/// infinite.
pub fn fine_tune_classifier_with(
    name: &str,
    module_path: &Path,
    set: &ClassTrainingSet,
    cfg: &FineTuneConfig,
    loss: &CrossEntropy,
) -> Result<(TorchScriptModel, FineTuneReport)> {
    check_class_setup(name, set, cfg, loss)?;
    if !module_path.is_file() {
        return Err(Error::Model {
            model: name.to_string(),
            reason: format!("TorchScript file {} does not exist", module_path.display()),
        });
    }
    seed_libtorch_once();
    crate::set_threads(cfg.threads);
    guard_panics(name, || train(name, module_path, set, cfg, loss))
}

/// The logits of `forward`'s output: the tensor itself, or the last element
/// of a tuple when that is a tensor.
fn logits_of(name: &str, out: IValue) -> Result<Tensor> {
    match out {
        IValue::Tensor(t) => Ok(t),
        IValue::Tuple(items) => match items.into_iter().last() {
            Some(IValue::Tensor(t)) => Ok(t),
            _ => Err(Error::Model {
                model: name.to_string(),
                reason: "fine-tuning: forward returned a tuple whose last element is not a \
                         tensor (expected the N x classes logits there)"
                    .into(),
            }),
        },
        _ => Err(Error::Model {
            model: name.to_string(),
            reason: "fine-tuning: forward returned neither a tensor nor a tuple ending in \
                     the N x classes logits"
                .into(),
        }),
    }
}

fn train(
    name: &str,
    module_path: &Path,
    set: &ClassTrainingSet,
    cfg: &FineTuneConfig,
    loss_opts: &CrossEntropy,
) -> Result<(TorchScriptModel, FineTuneReport)> {
    let err = |what: &str| tch_error(name, what);
    let (module, vs, opt) = load_for_training(name, module_path, cfg)?;

    let [c, h, w] = set.shape;
    let chw = c * h * w;
    let b = cfg.batch_size.min(set.len());
    let mut sampler = Sampler::new(set.len(), cfg.seed);
    let mut x = vec![0f32; b * chw];
    let mut y = vec![0i64; b];
    let mut log = TrainingLog::start(cfg.steps);
    for step in 0..cfg.steps {
        let step_start = Instant::now();
        for slot in 0..b {
            let (i, t) = sampler.next(&cfg.augment, h, w);
            t.apply_image(
                &set.images[i],
                set.shape,
                &mut x[slot * chw..(slot + 1) * chw],
            );
            y[slot] = i64::from(set.labels[i]);
        }
        let xt = Tensor::f_from_slice(&x)
            .and_then(|t| t.f_reshape([b as i64, c as i64, h as i64, w as i64]))
            .map_err(err("cannot build the input batch"))?;
        let yt = Tensor::f_from_slice(&y).map_err(err("cannot build the target batch"))?;
        let out = module
            .forward_is(&[IValue::Tensor(xt)])
            .map_err(err("forward failed during fine-tuning"))?;
        let logits = logits_of(name, out)?;
        let size = logits.size();
        if size != [b as i64, cfg.classes as i64] {
            return Err(Error::Model {
                model: name.to_string(),
                reason: format!(
                    "fine-tuning: output shape {size:?} is not N x classes = [{b}, {}] for input \
                     {b} x {c} x {h} x {w} (a classifier must return one logit per class)",
                    cfg.classes
                ),
            });
        }
        let loss =
            cross_entropy_loss(&logits, &yt, loss_opts).map_err(err("cannot compute the loss"))?;
        log.record_and_step(name, &opt, &loss, step, step_start)?;
    }
    log.finish(name, module, vs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_training_set_checks_shapes() {
        assert!(ClassTrainingSet::new(vec![], vec![], [1, 2, 2]).is_err());
        assert!(ClassTrainingSet::new(vec![vec![0.0; 4]], vec![], [1, 2, 2]).is_err());
        let e = ClassTrainingSet::new(vec![vec![0.0; 4], vec![0.0; 3]], vec![0, 1], [1, 2, 2])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("training image 1") && e.contains("3 values"),
            "{e}"
        );
        let s = ClassTrainingSet::new(vec![vec![0.5; 4]], vec![7], [1, 2, 2]).expect("set");
        assert_eq!((s.len(), s.item(0).1, s.labels()), (1, 7, &[7u32][..]));
    }

    /// Hand-worked: logits (0, ln 3) and target 1 → p = (1/4, 3/4),
    /// CE = −ln(3/4); with ε = 0.2: 0.8·(−ln ¾) + 0.1·(−ln ¼ − ln ¾);
    /// class weights (1, 3) on two items (targets 1 and 0) of the same
    /// logits: (3·(−ln ¾) + 1·(−ln ¼)) / (3 + 1).
    #[test]
    fn cross_entropy_by_hand() {
        let l3 = 3f64.ln();
        let one = Tensor::from_slice(&[0f32, l3 as f32]).reshape([1, 2]);
        let t1 = Tensor::from_slice(&[1i64]);
        let (a, b) = (-(0.75f64.ln()), -(0.25f64.ln()));
        let plain = cross_entropy_loss(&one, &t1, &CrossEntropy::default())
            .expect("ce")
            .double_value(&[]);
        assert!((plain - a).abs() < 1e-6, "{plain}");
        let smooth = CrossEntropy {
            label_smoothing: 0.2,
            class_weights: None,
        };
        let got = cross_entropy_loss(&one, &t1, &smooth)
            .expect("ce")
            .double_value(&[]);
        assert!((got - (0.8 * a + 0.1 * (a + b))).abs() < 1e-6, "{got}");
        let two = Tensor::from_slice(&[0f32, l3 as f32, 0.0, l3 as f32]).reshape([2, 2]);
        let t = Tensor::from_slice(&[1i64, 0]);
        let weighted = CrossEntropy {
            label_smoothing: 0.0,
            class_weights: Some(vec![1.0, 3.0]),
        };
        let got = cross_entropy_loss(&two, &t, &weighted)
            .expect("ce")
            .double_value(&[]);
        assert!((got - (3.0 * a + b) / 4.0).abs() < 1e-6, "{got}");
    }
}
