//! The map makers of the saliency stage: CRM and CAM from an ONNX model's
//! features and head, Grad-CAM through libtorch, occlusion through any
//! model; each turns images prepared on the model grid into maps.

use sensibench_core::{Batch, Model, Tensor};
use sensibench_results::argmax;
use sensibench_saliency::{SaliencyMap, occlusion};
#[cfg(feature = "onnx")]
use sensibench_saliency::{cam, crm};
use sensibench_suite::plan::{BackendPlan, ModelPlan, SaliencyMethod, SaliencyPlan};

use crate::models::load_model;
use crate::pipeline::probabilities_from_output;

/// One image prepared for a model, under one condition.
pub(super) struct Prepared {
    pub(super) sample: usize,
    /// The model-grid input (`h x w`).
    pub(super) input: Vec<f32>,
    /// The region on the model grid (empty: none).
    pub(super) region: Vec<bool>,
}

/// An image's map, its predicted class and that class's probability, or
/// why there is none (recorded in the image's rows).
pub(super) type MapResult = std::result::Result<(SaliencyMap, usize, f32), String>;

/// One method's maps of one model on prepared images.
pub(super) trait MapMaker {
    /// `(map, predicted class, its probability)` per image, or why it failed.
    fn maps(&mut self, items: &[Prepared], size: [usize; 2]) -> Vec<MapResult>;
}

#[cfg(feature = "onnx")]
struct OnnxHead {
    model: sensibench_backends::onnx::OnnxModel,
    method: SaliencyMethod,
    post: sensibench_suite::plan::Postprocess,
    k: usize,
}

#[cfg(feature = "onnx")]
impl MapMaker for OnnxHead {
    fn maps(&mut self, items: &[Prepared], [h, w]: [usize; 2]) -> Vec<MapResult> {
        let mut out = Vec::with_capacity(items.len());
        for chunk in items.chunks(32) {
            let n = chunk.len();
            let data: Vec<f32> = chunk.iter().flat_map(|p| p.input.iter().copied()).collect();
            let result = Tensor::new(vec![n, 1, h, w], data)
                .map_err(|e| e.to_string())
                .and_then(|t| self.model.run_all(&t).map_err(|e| e.to_string()));
            let outputs = match result {
                Ok(o) => o,
                Err(e) => {
                    out.extend((0..n).map(|_| Err(e.clone())));
                    continue;
                }
            };
            let get = |name: &str| outputs.iter().find(|(n, _)| n == name).map(|(_, t)| t);
            let (Some(logits), Some(features), Some(weight)) = (
                get("logits").or(outputs.first().map(|(_, t)| t)),
                get("features"),
                get("head_weight"),
            ) else {
                let e = format!(
                    "{} needs ONNX outputs `features` (N x K x h x w) and `head_weight` (C x K); the model has {}",
                    self.method.name(),
                    outputs
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                out.extend((0..n).map(|_| Err(e.clone())));
                continue;
            };
            let fs = features.shape();
            let ws = weight.shape();
            if fs.len() != 4 || ws.len() != 2 || ws[1] != fs[1] {
                let e = format!(
                    "features {fs:?} and head_weight {ws:?} do not fit (N x K x h x w and C x K)"
                );
                out.extend((0..n).map(|_| Err(e.clone())));
                continue;
            }
            let (kf, fh, fw, c) = (fs[1], fs[2], fs[3], ws[0]);
            for i in 0..n {
                let probs = match probabilities_from_output(
                    "saliency",
                    logits.view(),
                    i,
                    self.post,
                    self.k,
                ) {
                    Ok(p) => p,
                    Err(e) => {
                        out.push(Err(e.to_string()));
                        continue;
                    }
                };
                let pred = argmax(&probs);
                let f = &features.data()[i * kf * fh * fw..(i + 1) * kf * fh * fw];
                let map = match self.method {
                    SaliencyMethod::Cam => cam(f, kf, fh, fw, weight.data(), c, pred, h, w),
                    SaliencyMethod::CrmClass => {
                        crm(f, kf, fh, fw, weight.data(), c, Some(pred), h, w)
                    }
                    _ => crm(f, kf, fh, fw, weight.data(), c, None, h, w),
                };
                out.push(map.map(|m| (m, pred, probs[pred])));
            }
        }
        out
    }
}

struct Occluder {
    model: Box<dyn Model>,
    post: sensibench_suite::plan::Postprocess,
    k: usize,
    patch: usize,
    stride: usize,
    batch: usize,
}

impl Occluder {
    fn probs(
        &mut self,
        data: &[f32],
        n: usize,
        [h, w]: [usize; 2],
    ) -> std::result::Result<Vec<f32>, String> {
        let t = Tensor::new(vec![n, 1, h, w], data.to_vec()).map_err(|e| e.to_string())?;
        let out = self
            .model
            .predict(&Batch {
                input: &t,
                reference: None,
            })
            .map_err(|e| e.to_string())?;
        let mut probs = Vec::with_capacity(n * self.k);
        for i in 0..n {
            probs.extend(
                probabilities_from_output("occlusion", out.view(), i, self.post, self.k)
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(probs)
    }
}

impl MapMaker for Occluder {
    fn maps(&mut self, items: &[Prepared], size: [usize; 2]) -> Vec<MapResult> {
        items
            .iter()
            .map(|p| {
                let probs = self.probs(&p.input, 1, size)?;
                let pred = argmax(&probs);
                let (patch, stride, batch) = (self.patch, self.stride, self.batch);
                let map = occlusion(
                    &p.input,
                    size[0],
                    size[1],
                    patch,
                    stride,
                    0.0,
                    pred,
                    batch,
                    &mut |d, n| self.probs(d, n, size),
                )?;
                Ok((map, pred, probs[pred]))
            })
            .collect()
    }
}

#[cfg(feature = "torch")]
struct GradCamMaker {
    gc: sensibench_backends_tch::gradcam::GradCam,
    post: sensibench_suite::plan::Postprocess,
    k: usize,
}

#[cfg(feature = "torch")]
impl MapMaker for GradCamMaker {
    fn maps(&mut self, items: &[Prepared], [h, w]: [usize; 2]) -> Vec<MapResult> {
        let mut out = Vec::with_capacity(items.len());
        for p in items {
            let r = (|| -> std::result::Result<(SaliencyMap, usize, f32), String> {
                let t =
                    Tensor::new(vec![1, 1, h, w], p.input.clone()).map_err(|e| e.to_string())?;
                // first pass for the predicted class, second for its map
                let (_, logits) = self
                    .gc
                    .maps_and_logits(&t, &[0])
                    .map_err(|e| e.to_string())?;
                let probs =
                    probabilities_from_output("gradcam", logits.view(), 0, self.post, self.k)
                        .map_err(|e| e.to_string())?;
                let pred = argmax(&probs);
                let maps = self.gc.maps(&t, &[pred]).map_err(|e| e.to_string())?;
                let map = maps.into_iter().next().ok_or("Grad-CAM returned no map")?;
                Ok((SaliencyMap::new(h, w, map)?, pred, probs[pred]))
            })();
            out.push(r);
        }
        out
    }
}

/// Why a method's maps cannot be made for a model (the run notes it and
/// goes on).
#[derive(Debug, thiserror::Error)]
pub(super) enum MakerError {
    /// The backend did not load the model.
    #[cfg(any(feature = "onnx", feature = "torch"))]
    #[error(transparent)]
    Load(#[from] sensibench_core::Error),
    /// The runner's loader did not load the model (its reason).
    #[error("{0}")]
    NotLoaded(String),
    /// An ONNX model without the outputs CRM and CAM read.
    #[cfg(feature = "onnx")]
    #[error("{method} needs ONNX outputs `features` and `head_weight`; `{path}` has {outputs}")]
    MissingOutputs {
        method: &'static str,
        path: String,
        outputs: String,
    },
    #[cfg(not(feature = "onnx"))]
    #[error("built without the `onnx` feature")]
    NoOnnx,
    /// CRM or CAM on a model that is not ONNX.
    #[error("{0} needs an ONNX model exposing its features and head")]
    NeedsOnnx(&'static str),
    /// Grad-CAM in a build without libtorch (the build's message).
    #[cfg(not(feature = "torch"))]
    #[error("{0}")]
    NoTorch(&'static str),
    /// Grad-CAM on a model that is not TorchScript.
    #[error("gradcam runs through the TorchScript backend (backend: torchscript)")]
    NeedsTorchScript,
}

/// The model's own thread count, else the run's, else `default`.
#[cfg(any(feature = "onnx", feature = "torch"))]
fn thread_count(model: usize, run: usize, default: usize) -> usize {
    [model, run].into_iter().find(|&t| t > 0).unwrap_or(default)
}

/// The maker of `method`'s maps of `mp` (`k` classes); `run_threads` when the
/// model does not say, occlusion's windows from `sp`.
pub(super) fn maker(
    mp: &ModelPlan,
    method: SaliencyMethod,
    k: usize,
    run_threads: usize,
    sp: &SaliencyPlan,
) -> std::result::Result<Box<dyn MapMaker>, MakerError> {
    let post = mp.postprocess;
    match (method, &mp.backend) {
        (
            SaliencyMethod::Crm | SaliencyMethod::CrmClass | SaliencyMethod::Cam,
            BackendPlan::Onnx { path, threads },
        ) => {
            #[cfg(feature = "onnx")]
            {
                let t = thread_count(*threads, run_threads, 1);
                let model = sensibench_backends::onnx::OnnxModel::load(&mp.name, path, t)?;
                let names = model.output_names();
                if !names.iter().any(|n| n == "features")
                    || !names.iter().any(|n| n == "head_weight")
                {
                    return Err(MakerError::MissingOutputs {
                        method: method.name(),
                        path: path.display().to_string(),
                        outputs: names.join(", "),
                    });
                }
                Ok(Box::new(OnnxHead {
                    model,
                    method,
                    post,
                    k,
                }))
            }
            #[cfg(not(feature = "onnx"))]
            {
                let _ = (path, threads);
                Err(MakerError::NoOnnx)
            }
        }
        (SaliencyMethod::Crm | SaliencyMethod::CrmClass | SaliencyMethod::Cam, _) => {
            Err(MakerError::NeedsOnnx(method.name()))
        }
        (SaliencyMethod::GradCam, BackendPlan::TorchScript { path, threads }) => {
            #[cfg(feature = "torch")]
            {
                let t = thread_count(*threads, run_threads, 0);
                let gc = sensibench_backends_tch::gradcam::GradCam::load(&mp.name, path, t)?;
                Ok(Box::new(GradCamMaker { gc, post, k }))
            }
            #[cfg(not(feature = "torch"))]
            {
                let _ = (path, threads);
                Err(MakerError::NoTorch(crate::models::NO_TORCH))
            }
        }
        (SaliencyMethod::GradCam, _) => Err(MakerError::NeedsTorchScript),
        (SaliencyMethod::Occlusion, _) => {
            let (_, model) = load_model(mp, run_threads);
            let model = model.map_err(MakerError::NotLoaded)?;
            Ok(Box::new(Occluder {
                model,
                post,
                k,
                patch: sp.occlusion_patch,
                stride: sp.occlusion_stride,
                batch: sp.occlusion_batch,
            }))
        }
    }
}
