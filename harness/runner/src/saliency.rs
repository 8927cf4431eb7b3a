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

mod makers;

use std::collections::BTreeMap;
use std::path::Path;

use sensibench_core::{HARNESS_VERSION, Image, LabelMap, Sample};
use sensibench_perturb::resample::resize_labels;
use sensibench_report::{ClassMap, SaliencyFrame, SaliencyGallery, SaliencyGalleryRow, to_base64};
use sensibench_results::{SaliencyRow, Status, write_saliency_part};
use sensibench_saliency::{
    SaliencyMap, class_mean_maps, pointing_game, relevance_mass_accuracy, relevance_rank_accuracy,
};
use sensibench_suite::plan::{
    BackendPlan, DatasetPlan, ModelPlan, Plan, SaliencyMethod, SaliencyPlan,
};

use crate::manifest::{SavedSaliency, saved_saliency_path};
use crate::perturbations::{BoundPerturbation, REGION_PERTURBATIONS, apply};
use crate::pipeline::{model_size, prepare_input};
use crate::{Result, io_err, json_err, render_err, sanitize};
use makers::{MapMaker, Prepared, maker};

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
        let perturbed: sensibench_core::Result<(Image, Option<LabelMap>)> = match bp {
            None => Ok((s.image.clone(), s.mask.clone())),
            Some(_) if region_op && !has_region => Ok((s.image.clone(), s.mask.clone())),
            Some(b) => {
                let point = b.info.points.first().copied().unwrap_or(0.0);
                apply(b, ctx.plan.seed, s, s.mask.as_ref(), point)
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
            .map_err(render_err("region gallery"))?;
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
        conditions: condition_names(ctx.sp),
        rows,
    }))
}

/// The conditions of the galleries, as their columns are titled (`none`
/// is `unperturbed`).
fn condition_names(sp: &SaliencyPlan) -> Vec<String> {
    sp.perturbations
        .iter()
        .map(|p| {
            if p == "none" {
                "unperturbed".to_string()
            } else {
                p.clone()
            }
        })
        .collect()
}

/// The datasets the suite asks maps on, with their samples.
fn saliency_datasets<'a>(
    ctx: &SaliencyContext<'a>,
) -> impl Iterator<Item = &'a (&'a DatasetPlan, Vec<Sample>)> + use<'a> {
    let sp = ctx.sp;
    ctx.datasets
        .iter()
        .filter(move |(d, _)| sp.datasets.contains(&d.name))
}

/// What the saliency stage has produced so far.
#[derive(Default)]
struct SaliencyOut {
    saved: SavedSaliency,
    notes: Vec<String>,
    /// Parts written and rows in them.
    parts: usize,
    rows: usize,
}

/// Computes every saliency map the suite asks for; returns (parts, rows, notes).
pub(crate) fn run_saliency(ctx: &SaliencyContext<'_>) -> Result<(usize, usize, Vec<String>)> {
    let mut out = SaliencyOut::default();
    for (dplan, samples) in saliency_datasets(ctx) {
        if let Some(g) = region_gallery(ctx, dplan, samples)? {
            out.saved.galleries.push(g);
        }
    }
    for mp in &ctx.plan.models {
        let model_hash = model_hash(mp);
        for &method in &ctx.sp.methods {
            if !applies(method, &mp.backend) {
                // CRM/CAM need an ONNX model's features and head, Grad-CAM the
                // TorchScript backend: other models simply do not get that map
                continue;
            }
            let mut mk = match maker(mp, method, ctx.plan.classes.len(), ctx.threads, ctx.sp) {
                Ok(m) => m,
                Err(e) => {
                    out.notes.push(format!(
                        "Saliency `{}` of model `{}` not computed: {e}",
                        method.name(),
                        mp.name
                    ));
                    continue;
                }
            };
            for (dplan, samples) in saliency_datasets(ctx) {
                let job = MapJob {
                    ctx,
                    mp,
                    model_hash: &model_hash,
                    method,
                    dplan,
                    samples,
                };
                let maps = job.every_condition(mk.as_mut(), &mut out)?;
                if let Some(g) = job.gallery(&maps)? {
                    out.saved.galleries.push(g);
                }
                let class_maps = job.class_mean_images(maps.class_maps)?;
                out.saved.class_maps.extend(class_maps);
            }
        }
    }
    write_saved(ctx.run_dir, &out.saved, &out.notes)?;
    Ok((out.parts, out.rows, out.notes))
}

/// The SHA-256 of the model's file (empty without one, or unreadable).
fn model_hash(mp: &ModelPlan) -> String {
    match &mp.backend {
        BackendPlan::Onnx { path, .. }
        | BackendPlan::TorchScript { path, .. }
        | BackendPlan::Native { path, .. } => {
            sensibench_backends::sha256_file(path).unwrap_or_default()
        }
        BackendPlan::Null => String::new(),
    }
}

/// Whether `method` can run on a model of `backend`.
fn applies(method: SaliencyMethod, backend: &BackendPlan) -> bool {
    match method {
        SaliencyMethod::Crm | SaliencyMethod::CrmClass | SaliencyMethod::Cam => {
            matches!(backend, BackendPlan::Onnx { .. })
        }
        SaliencyMethod::GradCam => matches!(backend, BackendPlan::TorchScript { .. }),
        SaliencyMethod::Occlusion => true,
    }
}

/// Writes the galleries and class maps, with the stage's `notes`, to
/// `saliency/report.json`.
fn write_saved(run_dir: &Path, saved: &SavedSaliency, notes: &[String]) -> Result<()> {
    let path = saved_saliency_path(run_dir);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let mut saved_json = serde_json::to_value(saved).map_err(json_err(&path))?;
    saved_json["notes"] = serde_json::json!(notes);
    std::fs::write(
        &path,
        serde_json::to_string(&saved_json).map_err(json_err(&path))?,
    )
    .map_err(io_err(&path))
}

/// One image's map under one condition, kept for the gallery.
struct KeptMap {
    /// The model-grid input.
    input: Vec<f32>,
    map: SaliencyMap,
    /// The predicted class and its probability.
    pred: usize,
    prob: f32,
    /// The region on the model grid (empty: none).
    region: Vec<bool>,
    /// The relevance mass on the region, if it has one.
    mass: Option<f64>,
}

/// The maps of one model, method and dataset under every condition.
struct ConditionMaps {
    /// Per condition: sample index → its map.
    kept: Vec<BTreeMap<usize, KeptMap>>,
    /// The model-grid size (`h`, `w`).
    size: [usize; 2],
    /// The first condition's maps with the images' true classes (for the
    /// class means; only when the suite asks for class maps).
    class_maps: Vec<(SaliencyMap, usize)>,
}

/// One condition of the suite's `saliency:`.
struct Condition<'a> {
    label: &'a String,
    /// The perturbation (none: unperturbed).
    bp: Option<&'a BoundPerturbation>,
}

/// One model's maps of one method on one dataset.
struct MapJob<'a> {
    ctx: &'a SaliencyContext<'a>,
    mp: &'a ModelPlan,
    model_hash: &'a str,
    method: SaliencyMethod,
    dplan: &'a DatasetPlan,
    samples: &'a [Sample],
}

impl MapJob<'_> {
    /// The maps under every condition, in the suite's order; writes a part
    /// of rows per condition.
    fn every_condition(
        &self,
        mk: &mut dyn MapMaker,
        out: &mut SaliencyOut,
    ) -> Result<ConditionMaps> {
        let ctx = self.ctx;
        let mut maps = ConditionMaps {
            kept: Vec::new(),
            size: [0, 0],
            class_maps: Vec::new(),
        };
        for label in &ctx.sp.perturbations {
            let bp = if label == "none" {
                None
            } else {
                ctx.perturbations.iter().find(|b| &b.info.label == label)
            };
            let cond = Condition { label, bp };
            let this = self.condition(&cond, mk, &mut maps, out)?;
            maps.kept.push(this);
        }
        Ok(maps)
    }

    /// The maps under one condition: their rows written as one part, the
    /// maps kept for the gallery (and, on the first condition, the class
    /// means).
    fn condition(
        &self,
        cond: &Condition<'_>,
        mk: &mut dyn MapMaker,
        maps: &mut ConditionMaps,
        out: &mut SaliencyOut,
    ) -> Result<BTreeMap<usize, KeptMap>> {
        let (ctx, mp) = (self.ctx, self.mp);
        let (mut items, size, errors) = prepare(ctx, mp, self.samples, cond.bp);
        maps.size = size;
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
        let made = mk.maps(&items, size);
        let mut rows = Vec::new();
        let mut this = BTreeMap::new();
        for (p, m) in items.iter().zip(made) {
            let s = &self.samples[p.sample];
            match m {
                Err(e) => rows.push(self.row(cond, s, "relevance_mass", None, Some(e))),
                Ok((map, pred, prob)) => {
                    let mut mass = None;
                    if !p.region.is_empty() {
                        mass = self.region_rows(cond, s, &map, &p.region, &mut rows);
                    }
                    if maps.kept.is_empty()
                        && ctx.sp.class_maps
                        && let Some(t) = s.label
                    {
                        maps.class_maps.push((map.clone(), t as usize));
                    }
                    this.insert(
                        p.sample,
                        KeptMap {
                            input: p.input.clone(),
                            map,
                            pred,
                            prob,
                            region: p.region.clone(),
                            mass,
                        },
                    );
                }
            }
        }
        if !errors.is_empty() {
            out.notes.push(format!(
                "Saliency `{}` of `{}` on `{}` under `{}`: {} image(s) could not be prepared (first: {})",
                self.method.name(),
                mp.name,
                self.dplan.name,
                cond.label,
                errors.len(),
                errors[0]
            ));
        }
        let part = format!(
            "{}__{}__{}__{}",
            sanitize(&mp.name),
            sanitize(&self.dplan.name),
            sanitize(cond.label),
            self.method.name()
        );
        out.rows += rows.len();
        if !rows.is_empty() {
            write_saliency_part(ctx.run_dir, &part, &rows)?;
            out.parts += 1;
        }
        Ok(this)
    }

    /// The localisation rows of a map on an image's `region` (relevance
    /// mass, relevance rank, pointing game); returns the mass.
    fn region_rows(
        &self,
        cond: &Condition<'_>,
        s: &Sample,
        map: &SaliencyMap,
        region: &[bool],
        rows: &mut Vec<SaliencyRow>,
    ) -> Option<f64> {
        let mass = relevance_mass_accuracy(map, region);
        rows.push(self.row(cond, s, "relevance_mass", mass, None));
        rows.push(self.row(
            cond,
            s,
            "relevance_rank",
            relevance_rank_accuracy(map, region),
            None,
        ));
        rows.push(self.row(
            cond,
            s,
            "pointing_game",
            pointing_game(map, region, 0).map(|b| if b { 1.0 } else { 0.0 }),
            None,
        ));
        mass
    }

    /// The row of `metric` on sample `s` under `cond` (failed with `error`).
    fn row(
        &self,
        cond: &Condition<'_>,
        s: &Sample,
        metric: &str,
        value: Option<f64>,
        error: Option<String>,
    ) -> SaliencyRow {
        let (ctx, method) = (self.ctx, self.method);
        SaliencyRow {
            run_id: ctx.run_id.to_string(),
            suite: ctx.plan.name.clone(),
            suite_hash: ctx.plan.suite_hash.clone(),
            harness_version: HARNESS_VERSION.to_string(),
            git_sha: ctx.git_sha.to_string(),
            seed: ctx.plan.seed,
            model: self.mp.name.clone(),
            model_hash: self.model_hash.to_string(),
            dataset: self.dplan.name.clone(),
            sample: s.id.clone(),
            perturbation: cond.label.clone(),
            point: cond
                .bp
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
        }
    }

    /// The gallery: images present under every condition, regions first;
    /// none when no image is.
    fn gallery(&self, maps: &ConditionMaps) -> Result<Option<SaliencyGallery>> {
        let kept = &maps.kept;
        let classes = &self.ctx.plan.classes;
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
            .filter(|i| !kept[0][i].region.is_empty())
            .collect();
        let pool = if with_region.is_empty() {
            &common
        } else {
            &with_region
        };
        let picks = spread(pool, self.ctx.sp.gallery);
        let [h, w] = maps.size;
        let mut gallery_rows = Vec::new();
        for i in picks {
            let s = &self.samples[i];
            let mut frames = Vec::new();
            for c in kept {
                let k = &c[&i];
                let png = sensibench_report::saliency_png(
                    &k.input,
                    h,
                    w,
                    &k.map.data,
                    (!k.region.is_empty()).then_some(k.region.as_slice()),
                )
                .map_err(render_err("saliency gallery"))?;
                frames.push(SaliencyFrame {
                    png_base64: to_base64(&png),
                    caption: format!(
                        "{} {:.2}",
                        classes.get(k.pred).map_or("?", |c| c.as_str()),
                        k.prob
                    ),
                    mass: k.mass,
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
        if gallery_rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(SaliencyGallery {
            model: self.mp.name.clone(),
            method: self.method.name().to_string(),
            dataset: self.dplan.name.clone(),
            conditions: condition_names(self.ctx.sp),
            rows: gallery_rows,
        }))
    }

    /// The mean map of every class of the first condition (when the suite
    /// asks for class maps), as heat maps.
    fn class_mean_images(&self, class_maps: Vec<(SaliencyMap, usize)>) -> Result<Vec<ClassMap>> {
        let classes = &self.ctx.plan.classes;
        let mut out = Vec::new();
        if !self.ctx.sp.class_maps || class_maps.is_empty() {
            return Ok(out);
        }
        let (maps, labels): (Vec<SaliencyMap>, Vec<usize>) = class_maps.into_iter().unzip();
        for (c, mean) in class_mean_maps(&maps, &labels, classes.len())
            .into_iter()
            .enumerate()
        {
            let Some(mean) = mean else { continue };
            let png = sensibench_report::heat_png(&mean.data, mean.height, mean.width)
                .map_err(render_err("class-mean saliency map"))?;
            out.push(ClassMap {
                model: self.mp.name.clone(),
                method: self.method.name().to_string(),
                class: classes[c].clone(),
                n: labels.iter().filter(|&&l| l == c).count(),
                png_base64: to_base64(&png),
            });
        }
        Ok(out)
    }
}
