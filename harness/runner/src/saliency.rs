//! Saliency maps of classifiers: for each model, dataset and condition the
//! suite's `saliency:` names, a map per image from every method the model's
//! backend supports, how much of it falls on the image's region (the marker
//! box), galleries of overlays and class-mean maps for the report.
//!
//! Maps are computed on the model's input grid (after fitting and
//! normalisation); the region is brought to that grid by nearest neighbour.
//! The map explains the predicted class, except CRM, whose all-class form
//! (the paper's definition: every output node's squared change) is used.
//! - `crm` / `cam`: ONNX models exposing `features` and `head_weight` outputs;
//! - `gradcam`: TorchScript models with `features_and_logits` (`torch` feature);
//! - `occlusion`: any model; windows filled with 0 in the normalised input.

use std::collections::BTreeMap;
use std::path::Path;

use sensibench_core::{Batch, HARNESS_VERSION, Image, LabelMap, Model, Sample, Tensor};
use sensibench_perturb::resample::resize_labels;
use sensibench_report::{ClassMap, SaliencyFrame, SaliencyGallery, SaliencyGalleryRow, to_base64};
use sensibench_results::{SaliencyRow, Status, argmax, write_saliency_part};
use sensibench_saliency::{
    SaliencyMap, cam, class_mean_maps, crm, occlusion, pointing_game, relevance_mass_accuracy,
    relevance_rank_accuracy,
};
use sensibench_suite::plan::{
    BackendPlan, DatasetPlan, ModelPlan, Plan, SaliencyMethod, SaliencyPlan,
};

use crate::classify::REGION_PERTURBATIONS;
use crate::pipeline::{model_size, prepare_input, probabilities_from_output};
use crate::publish::classification::{SavedSaliency, saved_saliency_path};
use crate::run::{BoundPerturbation, apply, load_model};
use crate::{Result, RunError, io_err, sanitize};

/// One image prepared for a model, under one condition.
struct Prepared {
    sample: usize,
    /// The model-grid input (`h x w`).
    input: Vec<f32>,
    /// The region on the model grid (empty: none).
    region: Vec<bool>,
}

/// What the runner passes along.
pub(crate) struct SaliencyContext<'a> {
    pub plan: &'a Plan,
    pub sp: &'a SaliencyPlan,
    pub datasets: &'a [(&'a DatasetPlan, Vec<Sample>)],
    pub perturbations: &'a [BoundPerturbation],
    pub run_dir: &'a Path,
    pub run_id: &'a str,
    pub git_sha: &'a str,
    pub threads: usize,
}

fn region_on_grid(mask: Option<&LabelMap>, label: u8, h: usize, w: usize) -> Vec<bool> {
    let Some(m) = mask else { return Vec::new() };
    if !m.data().contains(&label) {
        return Vec::new();
    }
    let on = if m.grid().height() == h && m.grid().width() == w {
        Some(m.clone())
    } else {
        resize_labels(m, h, w).ok()
    };
    on.map(|m| m.data().iter().map(|&v| v == label).collect())
        .unwrap_or_default()
}

fn prepare(
    ctx: &SaliencyContext<'_>,
    mp: &ModelPlan,
    samples: &[Sample],
    bp: Option<&BoundPerturbation>,
) -> (Vec<Prepared>, [usize; 2], Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut size = [0, 0];
    let region_op = bp.is_some_and(|b| REGION_PERTURBATIONS.contains(&b.info.kind.as_str()));
    for (i, s) in samples.iter().enumerate() {
        let has_region = s
            .mask
            .as_ref()
            .is_some_and(|m| m.data().contains(&ctx.sp.region_label));
        let perturbed: std::result::Result<(Image, Option<LabelMap>), String> = match bp {
            None => Ok((s.image.clone(), s.mask.clone())),
            Some(_) if region_op && !has_region => Ok((s.image.clone(), s.mask.clone())),
            Some(b) => {
                let point = b.info.points.first().copied().unwrap_or(0.0);
                apply(b, ctx.plan.seed, s, s.mask.as_ref(), point).map_err(|e| e.to_string())
            }
        };
        let (image, mask) = match perturbed {
            Ok(x) => x,
            Err(e) => {
                errors.push(format!("{}: {e}", s.id));
                continue;
            }
        };
        let [h, w] = model_size(&image, &mp.preprocess);
        if size == [0, 0] {
            size = [h, w];
        }
        if [h, w] != size {
            errors.push(format!(
                "{}: input size {h}x{w} differs from {}x{}",
                s.id, size[0], size[1]
            ));
            continue;
        }
        match prepare_input(&image, &mp.preprocess) {
            Ok(input) => out.push(Prepared {
                sample: i,
                input,
                region: region_on_grid(mask.as_ref(), ctx.sp.region_label, h, w),
            }),
            Err(e) => errors.push(format!("{}: {e}", s.id)),
        }
    }
    (out, size, errors)
}

/// One method's maps of one model on prepared images.
trait MapMaker {
    /// `(map, predicted class, its probability)` per image, or why it failed.
    fn maps(
        &mut self,
        items: &[Prepared],
        size: [usize; 2],
    ) -> Vec<std::result::Result<(SaliencyMap, usize, f32), String>>;
}

struct OnnxHead {
    model: sensibench_backends::onnx::OnnxModel,
    method: SaliencyMethod,
    post: sensibench_suite::plan::Postprocess,
    k: usize,
}

impl MapMaker for OnnxHead {
    fn maps(
        &mut self,
        items: &[Prepared],
        [h, w]: [usize; 2],
    ) -> Vec<std::result::Result<(SaliencyMap, usize, f32), String>> {
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
    fn maps(
        &mut self,
        items: &[Prepared],
        size: [usize; 2],
    ) -> Vec<std::result::Result<(SaliencyMap, usize, f32), String>> {
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
    fn maps(
        &mut self,
        items: &[Prepared],
        [h, w]: [usize; 2],
    ) -> Vec<std::result::Result<(SaliencyMap, usize, f32), String>> {
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

fn maker(
    ctx: &SaliencyContext<'_>,
    mp: &ModelPlan,
    method: SaliencyMethod,
) -> std::result::Result<Box<dyn MapMaker>, String> {
    let k = ctx.plan.classes.len();
    let post = mp.postprocess;
    match (method, &mp.backend) {
        (
            SaliencyMethod::Crm | SaliencyMethod::CrmClass | SaliencyMethod::Cam,
            BackendPlan::Onnx { path, threads },
        ) => {
            #[cfg(feature = "onnx")]
            {
                let t = [*threads, ctx.threads]
                    .into_iter()
                    .find(|&t| t > 0)
                    .unwrap_or(1);
                let model = sensibench_backends::onnx::OnnxModel::load(&mp.name, path, t)
                    .map_err(|e| e.to_string())?;
                let names = model.output_names();
                if !names.iter().any(|n| n == "features")
                    || !names.iter().any(|n| n == "head_weight")
                {
                    return Err(format!(
                        "{} needs ONNX outputs `features` and `head_weight`; `{}` has {}",
                        method.name(),
                        path.display(),
                        names.join(", ")
                    ));
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
                Err("built without the `onnx` feature".into())
            }
        }
        (SaliencyMethod::Crm | SaliencyMethod::CrmClass | SaliencyMethod::Cam, _) => Err(format!(
            "{} needs an ONNX model exposing its features and head",
            method.name()
        )),
        (SaliencyMethod::GradCam, BackendPlan::TorchScript { path, threads }) => {
            #[cfg(feature = "torch")]
            {
                let t = [*threads, ctx.threads]
                    .into_iter()
                    .find(|&t| t > 0)
                    .unwrap_or(0);
                let gc = sensibench_backends_tch::gradcam::GradCam::load(&mp.name, path, t)
                    .map_err(|e| e.to_string())?;
                Ok(Box::new(GradCamMaker { gc, post, k }))
            }
            #[cfg(not(feature = "torch"))]
            {
                let _ = (path, threads);
                Err(crate::run::NO_TORCH.to_string())
            }
        }
        (SaliencyMethod::GradCam, _) => {
            Err("gradcam runs through the TorchScript backend (backend: torchscript)".into())
        }
        (SaliencyMethod::Occlusion, _) => {
            let (_, model) = load_model(mp, ctx.threads);
            let model = model?;
            Ok(Box::new(Occluder {
                model,
                post,
                k,
                patch: ctx.sp.occlusion_patch,
                stride: ctx.sp.occlusion_stride,
                batch: ctx.sp.occlusion_batch,
            }))
        }
    }
}

/// Evenly spread picks of `n` out of `candidates`.
fn spread(candidates: &[usize], n: usize) -> Vec<usize> {
    if candidates.len() <= n {
        return candidates.to_vec();
    }
    (0..n)
        .map(|i| candidates[i * candidates.len() / n])
        .collect()
}

/// The bounding box `(y0, x0, y1, x1)` (end exclusive) of `label` in a 2D map.
fn bounding_box(m: &LabelMap, label: u8) -> Option<(usize, usize, usize, usize)> {
    let w = m.grid().width();
    let mut b: Option<(usize, usize, usize, usize)> = None;
    for (i, _) in m.data().iter().enumerate().filter(|(_, v)| **v == label) {
        let (y, x) = (i / w, i % w);
        b = Some(match b {
            None => (y, x, y + 1, x + 1),
            Some((a, c, d, e)) => (a.min(y), c.min(x), d.max(y + 1), e.max(x + 1)),
        });
    }
    b
}

/// The `side x side` window at (`top`, `left`) of a row-major plane `w` wide.
fn crop<T: Copy>(data: &[T], w: usize, top: usize, left: usize, side: usize) -> Vec<T> {
    (top..top + side)
        .flat_map(|y| data[y * w + left..y * w + left + side].iter().copied())
        .collect()
}

/// Longest side of the images of a region gallery.
const GALLERY_SIDE: usize = 320;

/// The images themselves under each condition, at (up to) [`GALLERY_SIDE`]
/// pixels with the region outlined: what a region perturbation (marker
/// removal) did to the images that carry a region, model-independent.
fn region_gallery(
    ctx: &SaliencyContext<'_>,
    dplan: &DatasetPlan,
    samples: &[Sample],
) -> Result<Option<SaliencyGallery>> {
    let label = ctx.sp.region_label;
    let with_region: Vec<usize> = (0..samples.len())
        .filter(|&i| {
            samples[i]
                .mask
                .as_ref()
                .is_some_and(|m| m.data().contains(&label))
        })
        .collect();
    if with_region.is_empty() || ctx.sp.perturbations.len() < 2 {
        return Ok(None);
    }
    let mut rows = Vec::new();
    for i in spread(&with_region, ctx.sp.gallery) {
        let s = &samples[i];
        let mut frames = Vec::new();
        for cond in &ctx.sp.perturbations {
            let bp = ctx.perturbations.iter().find(|b| &b.info.label == cond);
            let (image, mask) = match bp {
                None => (s.image.clone(), s.mask.clone()),
                Some(b) => {
                    let point = b.info.points.first().copied().unwrap_or(0.0);
                    match apply(b, ctx.plan.seed, s, s.mask.as_ref(), point) {
                        Ok(x) => x,
                        Err(e) => {
                            frames.push(SaliencyFrame {
                                png_base64: String::new(),
                                caption: format!("failed: {e}"),
                                mass: None,
                            });
                            continue;
                        }
                    }
                }
            };
            let (h, w) = (image.grid().height(), image.grid().width());
            // a crop around the box: three times its size, at least 64 px
            let (y0, x0, y1, x1) = match mask.as_ref().and_then(|m| bounding_box(m, label)) {
                Some(b) => b,
                None => (0, 0, h, w),
            };
            let side = (3 * (y1 - y0).max(x1 - x0)).max(64).min(h.min(w));
            let (cy, cx) = ((y0 + y1) / 2, (x0 + x1) / 2);
            let top = cy.saturating_sub(side / 2).min(h - side);
            let left = cx.saturating_sub(side / 2).min(w - side);
            let crop_img = crop(image.data(), w, top, left, side);
            let crop_mask: Option<Vec<u8>> =
                mask.as_ref().map(|m| crop(m.data(), w, top, left, side));
            let grid = sensibench_core::Grid::new_2d(side, side, [1.0, 1.0])?;
            let cropped = Image::new(grid.clone(), crop_img)?;
            let cropped_mask = match crop_mask {
                Some(d) => Some(LabelMap::new(grid, d)?),
                None => None,
            };
            let n = side.min(GALLERY_SIDE);
            let (nh, nw) = (n, n);
            let small = sensibench_perturb::resample::resize_image(&cropped, nh, nw)?;
            let region = region_on_grid(cropped_mask.as_ref(), label, nh, nw);
            let png = sensibench_report::saliency_png(
                small.data(),
                nh,
                nw,
                &vec![0.0; nh * nw],
                (!region.is_empty()).then_some(region.as_slice()),
            )
            .map_err(|e| RunError::Other(e.to_string()))?;
            frames.push(SaliencyFrame {
                png_base64: to_base64(&png),
                caption: format!("{h}x{w} px"),
                mass: None,
            });
        }
        rows.push(SaliencyGalleryRow {
            sample: s.id.clone(),
            truth: s
                .label
                .and_then(|t| ctx.plan.classes.get(t as usize).cloned())
                .unwrap_or_else(|| "—".into()),
            frames,
        });
    }
    Ok(Some(SaliencyGallery {
        model: String::new(),
        method: "images, region outlined".into(),
        dataset: dplan.name.clone(),
        conditions: ctx
            .sp
            .perturbations
            .iter()
            .map(|p| {
                if p == "none" {
                    "unperturbed".to_string()
                } else {
                    p.clone()
                }
            })
            .collect(),
        rows,
    }))
}

/// Computes every saliency map the suite asks for; returns (parts, rows, notes).
pub(crate) fn run_saliency(ctx: &SaliencyContext<'_>) -> Result<(usize, usize, Vec<String>)> {
    let mut notes = Vec::new();
    let mut saved = SavedSaliency::default();
    let (mut parts, mut rows_written) = (0, 0);
    let classes = &ctx.plan.classes;
    for (dplan, samples) in ctx
        .datasets
        .iter()
        .filter(|(d, _)| ctx.sp.datasets.contains(&d.name))
    {
        if let Some(g) = region_gallery(ctx, dplan, samples)? {
            saved.galleries.push(g);
        }
    }
    for mp in &ctx.plan.models {
        let model_hash = match &mp.backend {
            BackendPlan::Onnx { path, .. }
            | BackendPlan::TorchScript { path, .. }
            | BackendPlan::Native { path, .. } => {
                sensibench_backends::sha256_file(path).unwrap_or_default()
            }
            BackendPlan::Null => String::new(),
        };
        for &method in &ctx.sp.methods {
            let applies = match method {
                SaliencyMethod::Crm | SaliencyMethod::CrmClass | SaliencyMethod::Cam => {
                    matches!(mp.backend, BackendPlan::Onnx { .. })
                }
                SaliencyMethod::GradCam => matches!(mp.backend, BackendPlan::TorchScript { .. }),
                SaliencyMethod::Occlusion => true,
            };
            if !applies {
                // CRM/CAM need an ONNX model's features and head, Grad-CAM the
                // TorchScript backend: other models simply do not get that map
                continue;
            }
            let mut mk = match maker(ctx, mp, method) {
                Ok(m) => m,
                Err(e) => {
                    notes.push(format!(
                        "Saliency `{}` of model `{}` not computed: {e}",
                        method.name(),
                        mp.name
                    ));
                    continue;
                }
            };
            for (dplan, samples) in ctx
                .datasets
                .iter()
                .filter(|(d, _)| ctx.sp.datasets.contains(&d.name))
            {
                // per condition: sample index -> (input, map, pred, prob, region, mass)
                type Kept = (Vec<f32>, SaliencyMap, usize, f32, Vec<bool>, Option<f64>);
                let mut kept: Vec<BTreeMap<usize, Kept>> = Vec::new();
                let mut size_of = [0, 0];
                let mut class_maps: Vec<(SaliencyMap, usize)> = Vec::new();
                for label in &ctx.sp.perturbations {
                    let bp = if label == "none" {
                        None
                    } else {
                        ctx.perturbations.iter().find(|b| &b.info.label == label)
                    };
                    let (mut items, size, errors) = prepare(ctx, mp, samples, bp);
                    size_of = size;
                    // without regions and class maps only the gallery shows
                    // the maps: compute just those
                    if !ctx.sp.class_maps && items.iter().all(|p| p.region.is_empty()) {
                        let all: Vec<usize> = (0..items.len()).collect();
                        let keep = spread(&all, ctx.sp.gallery);
                        items = items
                            .into_iter()
                            .enumerate()
                            .filter(|(i, _)| keep.contains(i))
                            .map(|(_, p)| p)
                            .collect();
                    }
                    let maps = mk.maps(&items, size);
                    let mut rows = Vec::new();
                    let mut this = BTreeMap::new();
                    let row = |s: &Sample,
                               metric: &str,
                               value: Option<f64>,
                               error: Option<String>| SaliencyRow {
                        run_id: ctx.run_id.to_string(),
                        suite: ctx.plan.name.clone(),
                        suite_hash: ctx.plan.suite_hash.clone(),
                        harness_version: HARNESS_VERSION.to_string(),
                        git_sha: ctx.git_sha.to_string(),
                        seed: ctx.plan.seed,
                        model: mp.name.clone(),
                        model_hash: model_hash.clone(),
                        dataset: dplan.name.clone(),
                        sample: s.id.clone(),
                        perturbation: label.clone(),
                        point: bp
                            .and_then(|b| b.info.points.first().copied())
                            .unwrap_or(0.0),
                        point_index: 0,
                        method: method.name().to_string(),
                        target: if method == SaliencyMethod::Crm {
                            "all".into()
                        } else {
                            "predicted".into()
                        },
                        metric: metric.to_string(),
                        status: if error.is_some() {
                            Status::Failed
                        } else {
                            Status::Ok
                        },
                        value,
                        error,
                    };
                    for (p, m) in items.iter().zip(maps) {
                        let s = &samples[p.sample];
                        match m {
                            Err(e) => rows.push(row(s, "relevance_mass", None, Some(e))),
                            Ok((map, pred, prob)) => {
                                let mut mass = None;
                                if !p.region.is_empty() {
                                    mass = relevance_mass_accuracy(&map, &p.region);
                                    rows.push(row(s, "relevance_mass", mass, None));
                                    rows.push(row(
                                        s,
                                        "relevance_rank",
                                        relevance_rank_accuracy(&map, &p.region),
                                        None,
                                    ));
                                    rows.push(row(
                                        s,
                                        "pointing_game",
                                        pointing_game(&map, &p.region, 0)
                                            .map(|b| if b { 1.0 } else { 0.0 }),
                                        None,
                                    ));
                                }
                                if kept.is_empty()
                                    && ctx.sp.class_maps
                                    && let Some(t) = s.label
                                {
                                    class_maps.push((map.clone(), t as usize));
                                }
                                this.insert(
                                    p.sample,
                                    (p.input.clone(), map, pred, prob, p.region.clone(), mass),
                                );
                            }
                        }
                    }
                    if !errors.is_empty() {
                        notes.push(format!(
                            "Saliency `{}` of `{}` on `{}` under `{label}`: {} image(s) could not be prepared (first: {})",
                            method.name(),
                            mp.name,
                            dplan.name,
                            errors.len(),
                            errors[0]
                        ));
                    }
                    let part = format!(
                        "{}__{}__{}__{}",
                        sanitize(&mp.name),
                        sanitize(&dplan.name),
                        sanitize(label),
                        method.name()
                    );
                    rows_written += rows.len();
                    if !rows.is_empty() {
                        write_saliency_part(ctx.run_dir, &part, &rows)?;
                        parts += 1;
                    }
                    kept.push(this);
                }
                // gallery: images present under every condition, regions first
                let common: Vec<usize> = kept
                    .first()
                    .map(|k| {
                        k.keys()
                            .copied()
                            .filter(|i| kept.iter().all(|c| c.contains_key(i)))
                            .collect()
                    })
                    .unwrap_or_default();
                let with_region: Vec<usize> = common
                    .iter()
                    .copied()
                    .filter(|i| !kept[0][i].4.is_empty())
                    .collect();
                let pool = if with_region.is_empty() {
                    &common
                } else {
                    &with_region
                };
                let picks = spread(pool, ctx.sp.gallery);
                let [h, w] = size_of;
                let mut gallery_rows = Vec::new();
                for i in picks {
                    let s = &samples[i];
                    let mut frames = Vec::new();
                    for c in &kept {
                        let (input, map, pred, prob, region, mass) = &c[&i];
                        let png = sensibench_report::saliency_png(
                            input,
                            h,
                            w,
                            &map.data,
                            (!region.is_empty()).then_some(region.as_slice()),
                        )
                        .map_err(|e| RunError::Other(e.to_string()))?;
                        frames.push(SaliencyFrame {
                            png_base64: to_base64(&png),
                            caption: format!(
                                "{} {:.2}",
                                classes.get(*pred).map_or("?", |c| c.as_str()),
                                prob
                            ),
                            mass: *mass,
                        });
                    }
                    gallery_rows.push(SaliencyGalleryRow {
                        sample: s.id.clone(),
                        truth: s
                            .label
                            .and_then(|t| classes.get(t as usize).cloned())
                            .unwrap_or_else(|| "—".into()),
                        frames,
                    });
                }
                if !gallery_rows.is_empty() {
                    saved.galleries.push(SaliencyGallery {
                        model: mp.name.clone(),
                        method: method.name().to_string(),
                        dataset: dplan.name.clone(),
                        conditions: ctx
                            .sp
                            .perturbations
                            .iter()
                            .map(|p| {
                                if p == "none" {
                                    "unperturbed".to_string()
                                } else {
                                    p.clone()
                                }
                            })
                            .collect(),
                        rows: gallery_rows,
                    });
                }
                if ctx.sp.class_maps && !class_maps.is_empty() {
                    let (maps, labels): (Vec<SaliencyMap>, Vec<usize>) =
                        class_maps.into_iter().unzip();
                    for (c, mean) in class_mean_maps(&maps, &labels, classes.len())
                        .into_iter()
                        .enumerate()
                    {
                        let Some(mean) = mean else { continue };
                        let png = sensibench_report::heat_png(&mean.data, mean.height, mean.width)
                            .map_err(|e| RunError::Other(e.to_string()))?;
                        saved.class_maps.push(ClassMap {
                            model: mp.name.clone(),
                            method: method.name().to_string(),
                            class: classes[c].clone(),
                            n: labels.iter().filter(|&&l| l == c).count(),
                            png_base64: to_base64(&png),
                        });
                    }
                }
            }
        }
    }
    let path = saved_saliency_path(ctx.run_dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let mut saved_json =
        serde_json::to_value(&saved).map_err(|e| RunError::Other(e.to_string()))?;
    saved_json["notes"] = serde_json::json!(notes);
    std::fs::write(
        &path,
        serde_json::to_string(&saved_json).map_err(|e| RunError::Other(e.to_string()))?,
    )
    .map_err(io_err(&path))?;
    Ok((parts, rows_written, notes))
}
