//! Grad-CAM (Selvaraju et al., ICCV 2017) for TorchScript classifiers, with
//! libtorch's autograd.
//!
//! Convention of the project: a classifier takes `N x 1 x H x W` images and
//! returns `N x C` logits from `forward`; a model that supports Grad-CAM also
//! exports (`@torch.jit.export`) a method
//! `features_and_logits(x) -> (features, logits)` whose `features`
//! (`N x K x h x w`, the last convolutional block) are the tensor the logits
//! are computed from.

use std::path::Path;

use sensibench_core::{Error, Result, Tensor};
use tch::{CModule, IValue, Kind};

use crate::{from_tch, load_eval_module, model_err, to_tch};

/// The TorchScript method a Grad-CAM model must export.
pub const FEATURES_METHOD: &str = "features_and_logits";

/// A TorchScript classifier loaded for Grad-CAM (eval mode, CPU).
pub struct GradCam {
    name: String,
    module: CModule,
}

/// Disables the TorchScript graph executor's optimisations on this thread
/// while alive. The optimised executor fuses `features_and_logits` into one
/// differentiable graph whose `features` output is not on the autograd path
/// to `logits` (from the second call on, `∂logits/∂features` fails with
/// "appears to not have been used in the graph"); the plain interpreter keeps
/// every op in autograd. The setting is thread-local in libtorch; on drop it
/// is set back to `true`, libtorch's default.
struct NoGraphOptimisation;

impl NoGraphOptimisation {
    fn new(model: &str) -> Result<Self> {
        tch::jit::f_set_graph_executor_optimize(false)
            .map_err(|e| model_err(model, "cannot disable TorchScript graph optimisation", e))?;
        Ok(NoGraphOptimisation)
    }
}

impl Drop for NoGraphOptimisation {
    fn drop(&mut self) {
        // Restoring the default cannot fail in practice; nothing to report in drop.
        let _ = tch::jit::f_set_graph_executor_optimize(true);
    }
}

impl GradCam {
    /// Loads the TorchScript classifier `path` on the CPU in eval mode with
    /// `threads` intra-op threads (0 = libtorch's default). Fails naming the
    /// file when it is missing, not a TorchScript archive, or has no
    /// `features_and_logits` method.
    pub fn load(name: &str, path: &Path, threads: usize) -> Result<GradCam> {
        let module = load_eval_module(name, path, threads)?;
        // Probe the method without running it: a call with no argument fails
        // on the argument count when the method exists, and with "Method
        // '…' is not defined" when it does not.
        if let Err(e) = module.method_is::<IValue>(FEATURES_METHOD, &[]) {
            let msg = e.to_string();
            if msg.contains("not defined") || msg.contains("Undefined") {
                return Err(Error::Model {
                    model: name.to_string(),
                    reason: format!(
                        "TorchScript file {} has no method `{FEATURES_METHOD}` (Grad-CAM needs \
                         `@torch.jit.export def {FEATURES_METHOD}(self, x) -> (features, logits)`)",
                        path.display()
                    ),
                });
            }
        }
        Ok(GradCam {
            name: name.to_string(),
            module,
        })
    }

    /// Grad-CAM maps of a batch `input` (`N x 1 x H x W`), one per item for
    /// class `classes[i]`: `H x W` values each, row-major. See
    /// [`GradCam::maps_and_logits`].
    pub fn maps(&mut self, input: &Tensor, classes: &[usize]) -> Result<Vec<Vec<f32>>> {
        self.maps_and_logits(input, classes).map(|(maps, _)| maps)
    }

    /// Grad-CAM maps and the logits (`N x C`) of a batch.
    ///
    /// For item `i` and `c = classes[i]`, with `F` the item's features
    /// (`K x h x w`) and `y^c` its logit (pre-softmax):
    /// `α_k = (1/(h·w)) Σ_{l,m} ∂y^c/∂F_k(l, m)`, map `= ReLU(Σ_k α_k F_k)`,
    /// upsampled to `H x W` with `upsample_bilinear2d(align_corners=False)`
    /// (what `F.interpolate(mode="bilinear")` does). The maps are **not**
    /// normalised. The gradients come from one backward pass of
    /// `Σ_i y_i^{classes[i]}` w.r.t. the features: in eval mode items do not
    /// interact, so each item gets its own gradient.
    ///
    /// Errors: the input is not `N x 1 x H x W` with `N >= 1`,
    /// `classes.len() != N`, the method fails or returns something other
    /// than `(N x K x h x w, N x C)` tensors, a class is `>= C`, the
    /// features do not feed the logits, or a result is not finite.
    pub fn maps_and_logits(
        &mut self,
        input: &Tensor,
        classes: &[usize],
    ) -> Result<(Vec<Vec<f32>>, Tensor)> {
        let name = self.name.as_str();
        let shape = input.shape();
        let (n, h, w) = match *shape {
            [n, 1, h, w] if n > 0 && h > 0 && w > 0 => (n, h, w),
            _ => {
                return Err(Error::Shape {
                    what: format!("Grad-CAM input of model `{name}`"),
                    expected: "N x 1 x H x W with N, H, W >= 1".to_string(),
                    found: format!("{shape:?}"),
                });
            }
        };
        if classes.len() != n {
            return Err(Error::Shape {
                what: format!("Grad-CAM classes of model `{name}`"),
                expected: format!("one class per item ({n})"),
                found: format!("{} classes", classes.len()),
            });
        }
        let x = to_tch(name, input)?
            .f_set_requires_grad(true)
            .map_err(|e| model_err(name, "cannot enable gradients on the input", e))?;

        let (features, logits) = {
            let _guard = NoGraphOptimisation::new(name)?;
            let out = self
                .module
                .method_is(FEATURES_METHOD, &[IValue::Tensor(x)])
                .map_err(|e| model_err(name, &format!("{FEATURES_METHOD} failed"), e))?;
            split_output(name, out)?
        };
        let fsize = features.size();
        let lsize = logits.size();
        let n_i = n as i64;
        if fsize.len() != 4 || fsize[0] != n_i || lsize.len() != 2 || lsize[0] != n_i {
            return Err(model_err(
                name,
                FEATURES_METHOD,
                format!(
                    "expected (features N x K x h x w, logits N x C) with N = {n}, found \
                     ({fsize:?}, {lsize:?})"
                ),
            ));
        }
        let c = lsize[1].max(0) as usize;
        if let Some((i, &bad)) = classes.iter().enumerate().find(|&(_, &k)| k >= c) {
            return Err(Error::invalid(
                &format!("classes[{i}]"),
                bad,
                &format!("a class index below the model's {c} logits"),
            ));
        }

        let index: Vec<i64> = classes.iter().map(|&k| k as i64).collect();
        let grad = tch::Tensor::f_from_slice(&index)
            .and_then(|idx| idx.f_view([n_i, 1]))
            .and_then(|idx| logits.f_gather(1, &idx, false))
            .and_then(|y| y.f_sum(Kind::Float))
            .and_then(|y| tch::Tensor::f_run_backward(&[y], &[&features], false, false))
            .map_err(|e| {
                model_err(
                    name,
                    "cannot differentiate the logits w.r.t. the features (do the features \
                     returned by features_and_logits feed the logits?)",
                    e,
                )
            })?;
        // libtorch hands back an undefined tensor when the features are not
        // on the autograd path to the logits.
        let grad = grad
            .into_iter()
            .next()
            .filter(tch::Tensor::defined)
            .ok_or_else(|| {
                model_err(
                    name,
                    "backward",
                    format!(
                        "the logits do not depend on the features returned by {FEATURES_METHOD}"
                    ),
                )
            })?;

        let maps = tch::no_grad(|| {
            grad.f_mean_dim([2i64, 3].as_slice(), true, Kind::Float)
                .and_then(|alpha| alpha.f_mul(&features.detach()))
                .and_then(|m| m.f_sum_dim_intlist([1i64].as_slice(), true, Kind::Float))
                .and_then(|m| m.f_relu())
                .and_then(|m| m.f_upsample_bilinear2d([h as i64, w as i64], false, None, None))
        })
        .map_err(|e| model_err(name, "cannot compute the Grad-CAM maps", e))?;
        let maps = from_tch(name, &maps)?;
        let logits = from_tch(name, &logits.detach())?;
        for (what, t) in [("Grad-CAM maps", &maps), ("logits", &logits)] {
            if let Some((i, v)) = sensibench_core::tensor::first_non_finite(t.data()) {
                return Err(model_err(
                    name,
                    what,
                    format!("non-finite value {v} at index {i}"),
                ));
            }
        }
        let maps = maps.data().chunks(h * w).map(<[f32]>::to_vec).collect();
        Ok((maps, logits))
    }
}

/// The `(features, logits)` tuple of `features_and_logits`.
fn split_output(name: &str, out: IValue) -> Result<(tch::Tensor, tch::Tensor)> {
    if let IValue::Tuple(items) = out
        && let [IValue::Tensor(_), IValue::Tensor(_)] = items.as_slice()
    {
        let mut it = items.into_iter();
        if let (Some(IValue::Tensor(f)), Some(IValue::Tensor(l))) = (it.next(), it.next()) {
            return Ok((f, l));
        }
    }
    Err(model_err(
        name,
        FEATURES_METHOD,
        "expected a tuple (features, logits) of two tensors",
    ))
}
