//! The TorchScript backend: models exported with `torch.jit.script` (or
//! `trace`) run by libtorch through `tch` 0.26 (PyTorch 2.13), on the CPU.
//!
//! - [`TorchScriptModel`] implements the core [`Model`] trait for inference:
//!   the input batch `N x C x spatial` goes in as one `f32` tensor, the first
//!   output (logits or probabilities, `N x K x spatial`) comes back.
//! - [`finetune`] fine-tunes a TorchScript module (`tch::TrainableCModule`)
//!   on a few labelled images with Dice + cross-entropy and hands back a
//!   [`TorchScriptModel`] for evaluation: the transfer-learning
//!   data-efficiency study.
//!
//! This crate needs libtorch at build and run time; it is kept out of the
//! core crates and enabled in the runner and CLI by their `torch` feature.
//! The Makefile installs libtorch from the `torch==2.13.0` PyPI wheel into
//! `.tools/torch` and builds with `LIBTORCH=…/site-packages/torch`; the
//! build script of every crate that links this one adds an rpath to
//! `$LIBTORCH/lib` so binaries, tests and plugins find it at run time.
//!
//! `tch`'s own types (its `Tensor`, its `ndarray 0.16` conversions) never
//! leave this crate: data crosses the boundary as `&[f32]` and
//! [`sensibench_core::Tensor`].

pub mod finetune;
pub mod finetune_classifier;
pub mod gradcam;

use std::path::Path;
use std::sync::Once;

use sensibench_core::{Batch, Error, Model, Result, Tensor};
use tch::nn::VarStore;
use tch::{CModule, Device, Kind, TrainableCModule};

pub use gradcam::GradCam;

pub use finetune::{
    Augment, FineTuneConfig, FineTuneReport, Loss, Optimizer, TrainingSet, batch_indices,
    dice_ce_loss, fine_tune,
};
pub use finetune_classifier::{
    ClassTrainingSet, CrossEntropy, cross_entropy_loss, fine_tune_classifier,
    fine_tune_classifier_with,
};

/// The libtorch version this backend was built against (`tch`'s pin).
pub const LIBTORCH_VERSION: &str = "2.13.0";

/// Sets libtorch's intra-op thread count (0 = leave libtorch's default, which
/// is one thread per core). The inter-op pool is left alone: libtorch allows
/// setting it only once per process, and TorchScript inference here does not
/// use it.
pub fn set_threads(threads: usize) {
    if threads > 0 {
        tch::set_num_threads(i32::try_from(threads).unwrap_or(i32::MAX));
    }
}

/// Seeds libtorch's CPU generator once per process with a fixed value, so
/// nothing a module does with `torch.rand*` differs between runs. The
/// harness's own randomness (subsets, batches, augmentation) comes from its
/// seeded RNGs, not from libtorch.
fn seed_libtorch_once() {
    static SEEDED: Once = Once::new();
    SEEDED.call_once(|| tch::manual_seed(0));
}

/// Turns a `tch` error into the core's model error.
pub(crate) fn model_err(model: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Model {
        model: model.to_string(),
        reason: format!("{what}: {e}"),
    }
}

/// Loads the TorchScript file `path` on the CPU in eval mode with
/// `threads` intra-op threads (0 = libtorch's default), seeding libtorch
/// first. Fails naming the file when it is missing or not a TorchScript
/// archive.
pub(crate) fn load_eval_module(name: &str, path: &Path, threads: usize) -> Result<CModule> {
    if !path.is_file() {
        return Err(Error::Model {
            model: name.to_string(),
            reason: format!("TorchScript file {} does not exist", path.display()),
        });
    }
    seed_libtorch_once();
    set_threads(threads);
    let mut module = CModule::load_on_device(path, Device::Cpu).map_err(|e| {
        model_err(
            name,
            &format!("cannot load {} as a TorchScript module", path.display()),
            e,
        )
    })?;
    module
        .f_set_eval()
        .map_err(|e| model_err(name, "cannot switch the module to eval mode", e))?;
    Ok(module)
}

/// A TorchScript module run for inference (eval mode, no autograd) on the CPU.
pub struct TorchScriptModel {
    name: String,
    module: Module,
}

/// A module loaded for inference, or one fine-tuned here (whose parameters
/// live in its `VarStore`).
enum Module {
    Plain(CModule),
    Trained {
        module: TrainableCModule,
        _vars: VarStore,
    },
}

impl Module {
    /// `forward(input)`: a tensor, or the last element of a returned tuple
    /// (classifiers that return `(features, logits)`).
    fn forward(&self, input: tch::Tensor) -> std::result::Result<tch::Tensor, tch::TchError> {
        let out = match self {
            Module::Plain(m) => m.forward_is(&[tch::IValue::Tensor(input)]),
            Module::Trained { module, .. } => module.forward_is(&[tch::IValue::Tensor(input)]),
        }?;
        match out {
            tch::IValue::Tensor(t) => Ok(t),
            tch::IValue::Tuple(items) => match items.into_iter().last() {
                Some(tch::IValue::Tensor(t)) => Ok(t),
                _ => Err(tch::TchError::Kind(
                    "forward returned a tuple whose last element is not a tensor".into(),
                )),
            },
            _ => Err(tch::TchError::Kind(
                "forward returned neither a tensor nor a tuple ending in one".into(),
            )),
        }
    }
}

impl TorchScriptModel {
    /// Loads the TorchScript file `path` on the CPU in eval mode. `threads`
    /// intra-op threads (0 = libtorch's default). Fails naming the file when
    /// it is missing or not a TorchScript archive.
    pub fn load(name: &str, path: &Path, threads: usize) -> Result<Self> {
        let module = load_eval_module(name, path, threads)?;
        Ok(TorchScriptModel {
            name: name.to_string(),
            module: Module::Plain(module),
        })
    }

    /// Wraps a fine-tuned module (already in eval mode) and its variables.
    pub(crate) fn from_trainable(
        name: &str,
        module: TrainableCModule,
        vars: VarStore,
    ) -> Result<Self> {
        Ok(TorchScriptModel {
            name: name.to_string(),
            module: Module::Trained {
                module,
                _vars: vars,
            },
        })
    }

    /// Saves the module (weights and buffers) as a TorchScript file that
    /// `torch.jit.load` and [`TorchScriptModel::load`] read back.
    pub fn save(&self, path: &Path) -> Result<()> {
        let r = match &self.module {
            Module::Plain(m) => m.save(path),
            Module::Trained { module, .. } => module.save(path),
        };
        r.map_err(|e| model_err(&self.name, &format!("cannot save {}", path.display()), e))
    }
}

/// Copies a core tensor into a libtorch `f32` tensor of the same shape.
pub(crate) fn to_tch(model: &str, t: &Tensor) -> Result<tch::Tensor> {
    let shape: Vec<i64> = t.shape().iter().map(|&d| d as i64).collect();
    tch::Tensor::f_from_slice(t.data())
        .and_then(|x| x.f_reshape(shape.as_slice()))
        .map_err(|e| model_err(model, "cannot build the input tensor", e))
}

/// Copies a libtorch tensor (any float kind, any layout) into a core tensor.
pub(crate) fn from_tch(model: &str, t: &tch::Tensor) -> Result<Tensor> {
    let shape: Vec<usize> = t.size().iter().map(|&d| d.max(0) as usize).collect();
    let numel: usize = shape.iter().product();
    let flat = t
        .f_to_kind(Kind::Float)
        .and_then(|x| x.f_contiguous())
        .map_err(|e| model_err(model, "cannot read the output tensor", e))?;
    let mut data = vec![0f32; numel];
    flat.f_copy_data(&mut data, numel)
        .map_err(|e| model_err(model, "cannot copy the output tensor", e))?;
    Tensor::new(shape, data)
}

impl Model for TorchScriptModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn predict(&mut self, batch: &Batch<'_>) -> Result<Tensor> {
        let input = to_tch(&self.name, batch.input)?;
        let output = tch::no_grad(|| self.module.forward(input))
            .map_err(|e| model_err(&self.name, "forward failed", e))?;
        let out = from_tch(&self.name, &output)?;
        sensibench_backends::check_output_shape(&self.name, batch.input.shape(), out.shape())?;
        sensibench_backends::check_finite(&self.name, out.data())?;
        Ok(out)
    }
}
