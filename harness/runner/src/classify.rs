//! Classification runs: every model predicts class probabilities for every
//! sample of every dataset, unperturbed and at every point of every
//! perturbation; one prediction part per (model, dataset, perturbation)
//! under `<run>/predictions/`. Metrics, confidence intervals and paired
//! tests are computed from these rows when the report is made.
//!
//! Datasets may burn side markers into their images (`markers:`); the
//! marker's box becomes label 1 of the sample's region map, which geometric
//! perturbations move with the image and the region perturbations
//! (`marker_remove`, `marker_swap`, `minmax_clip`) read.

use std::path::Path;
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;
use sensibench_core::{
    HARNESS_VERSION, Image, LabelMap, PerturbationEntry, Registry, Sample, SeededRng, derive_seed,
};
use sensibench_results::{
    PredictionRow, Status, argmax, prediction_part_path, write_prediction_part,
};
use sensibench_suite::plan::{DatasetPlan, MarkerPolicy, Plan, ReferenceMode};

use crate::datasets::{load_samples, mode_str};
use crate::manifest::{ClassificationInfo, ConditionInfo, Manifest, ModelInfo};
use crate::models::{LoadedModel, load_models, model_timings};
use crate::options::{RunOptions, RunSummary};
use crate::perturbations::{
    BASELINE, BoundPerturbation, REGION_LABEL, REGION_PERTURBATIONS, apply, bind_perturbations,
};
use crate::predict::Item;
use crate::progress::{prediction_bar, total_predictions};
use crate::run_folder::choose_run_dir;
use crate::run_record::base_manifest;
use crate::shard::{Ownership, Unit, shard_info};
use crate::units::{mean_voxels, part_name, part_units};
use crate::{Result, RunError, io_err};

/// Burns the dataset's markers into its samples (see [`MarkerPolicy`]).
fn apply_markers(
    d: &DatasetPlan,
    policy: &MarkerPolicy,
    samples: &mut [Sample],
    registry: &Registry<PerturbationEntry>,
    seed: u64,
) -> Result<()> {
    let entry = registry.get("marker_inject")?;
    let op = (entry.build)(&policy.params)?;
    samples.par_iter_mut().try_for_each(|s| {
        let Some(c) = s.label else { return Ok(()) };
        let rate = policy.rates.get(c as usize).copied().unwrap_or(0.0);
        let u = SeededRng::new(derive_seed(seed, &["markers", &s.id])).uniform();
        if u < rate {
            let mut rng = SeededRng::new(derive_seed(seed, &["markers-draw", &s.id]));
            let (image, mask) = op
                .apply(&s.image, s.mask.as_ref(), policy.size, &mut rng)
                .map_err(|e| RunError::Dataset {
                    dataset: d.name.clone(),
                    source: e,
                })?;
            s.image = image;
            s.mask = mask;
        }
        Ok(())
    })
}

fn has_region(mask: Option<&LabelMap>) -> bool {
    mask.is_some_and(|m| m.data().contains(&REGION_LABEL))
}

/// One perturbed input: sample `sample` at point `point_index`.
struct Cell {
    sample: usize,
    point_index: usize,
    input: std::result::Result<(Image, Option<LabelMap>), String>,
}

fn perturb_cells(plan: &Plan, bp: &BoundPerturbation, samples: &[Sample]) -> Vec<Cell> {
    let n = samples.len();
    let region_op = REGION_PERTURBATIONS.contains(&bp.info.kind.as_str());
    let any_region = samples.iter().any(|s| has_region(s.mask.as_ref()));
    (0..bp.info.points.len() * n)
        .into_par_iter()
        .map(|k| {
            let (point_index, sample) = (k / n, k % n);
            let s = &samples[sample];
            let point = bp.info.points[point_index];
            let input = if region_op && any_region && !has_region(s.mask.as_ref()) {
                // nothing to remove or swap on this image
                Ok((s.image.clone(), s.mask.clone()))
            } else {
                apply(bp, plan.seed, s, s.mask.as_ref(), point)
                    .map_err(|e| format!("perturbation failed: {e}"))
            };
            Cell {
                sample,
                point_index,
                input,
            }
        })
        .collect()
}

fn classify(
    lm: &mut LoadedModel,
    items: &[Item<'_>],
    k: usize,
    bar: &ProgressBar,
) -> Vec<std::result::Result<Vec<f32>, String>> {
    match lm.predictor.as_mut() {
        Some(p) => p.classify_with_progress(items, k, |n| bar.inc(n as u64)),
        None => {
            let reason = format!(
                "model could not be loaded: {}",
                lm.info.load_error.clone().unwrap_or_default()
            );
            bar.inc(items.len() as u64);
            items.iter().map(|_| Err(reason.clone())).collect()
        }
    }
}

/// The saliency stage as one shard unit.
const SALIENCY_UNIT: &str = "saliency";

/// Runs a classification plan.
pub(crate) fn run(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
    opts: &RunOptions,
) -> Result<RunSummary> {
    let started = Instant::now();
    let (run_dir, run_id) = choose_run_dir(plan, opts)?;
    std::fs::create_dir_all(run_dir.join("predictions")).map_err(io_err(&run_dir))?;
    // A label study trains its classifiers first; they are then evaluated
    // like any other model, on every dataset but the annotated one.
    let with_study;
    let plan = match &plan.labels {
        Some(lp) => {
            let prepared = crate::labels::prepare(
                plan,
                lp,
                &run_dir,
                opts.resume,
                plan.statistics.bootstrap,
                plan.statistics.level,
            )?;
            let mut p = plan.clone();
            p.models.extend(prepared.models);
            p.datasets.retain(|d| d.name != lp.dataset);
            with_study = p;
            &with_study
        }
        None => plan,
    };
    let perturbations = bind_perturbations(plan, registry)?;
    let (datasets, marker_notes) = load_datasets(plan, registry)?;
    let mut models = load_models(plan, opts.threads);
    let units = classification_units(plan, &datasets, &perturbations, &models);
    let owned = Ownership::of(opts.shard, &units);
    let manifest = Manifest {
        classification: Some(classification_info(plan, &perturbations, marker_notes)),
        shard: opts.shard.map(|s| shard_info(s, &owned, &units)),
        ..base_manifest(
            plan,
            &opts.git_sha,
            &run_id,
            &models,
            &datasets,
            &perturbations,
            "classification",
        )
    };
    manifest.write(&run_dir)?;

    let bar = prediction_bar(
        total_predictions(&datasets, &perturbations, models.len()),
        opts.progress,
    );
    let mut summary = RunSummary::empty(&run_dir);
    let git_sha = manifest.git_sha.clone();
    let run = RunContext {
        plan,
        opts,
        run_dir: &run_dir,
        run_id: &run_id,
        git_sha: &git_sha,
        owned: &owned,
        bar: &bar,
    };
    for (dplan, samples) in &datasets {
        classify_dataset(
            &run,
            dplan,
            samples,
            &perturbations,
            &mut models,
            &mut summary,
        )?;
    }
    bar.finish_and_clear();
    if let Some(sp) = &plan.saliency
        && owned.owns(SALIENCY_UNIT)
    {
        let (parts, rows, _notes) =
            crate::saliency::run_saliency(&crate::saliency::SaliencyContext {
                plan,
                sp,
                datasets: &datasets,
                perturbations: &perturbations,
                run_dir: &run_dir,
                run_id: &run_id,
                git_sha: &git_sha,
                threads: opts.threads,
            })?;
        summary.parts_written += parts;
        summary.rows += rows;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    summary.model_seconds = model_timings(&models);
    Ok(summary)
}

/// The datasets of `plan` with their samples (markers burnt in where the
/// dataset has a marker policy) and, per marked dataset, a note describing it.
#[allow(clippy::type_complexity)]
fn load_datasets<'p>(
    plan: &'p Plan,
    registry: &Registry<PerturbationEntry>,
) -> Result<(Vec<(&'p DatasetPlan, Vec<Sample>)>, Vec<(String, String)>)> {
    let mut datasets: Vec<(&DatasetPlan, Vec<Sample>)> = Vec::new();
    let mut marker_notes = Vec::new();
    for d in &plan.datasets {
        let mut samples = load_samples(d, plan.seed, &plan.classes)?;
        if samples.is_empty() {
            return Err(RunError::Invalid(format!(
                "dataset `{}` has no samples",
                d.name
            )));
        }
        if d.reference == ReferenceMode::GroundTruth
            && let Some(s) = samples.iter().find(|s| s.label.is_none())
        {
            return Err(RunError::Invalid(format!(
                "dataset `{}`: sample `{}` has no class label, but the dataset is scored against `ground_truth`; \
                 give every image a label or set `reference: unperturbed_prediction`",
                d.name, s.id
            )));
        }
        if let Some(policy) = &d.markers {
            apply_markers(d, policy, &mut samples, registry, plan.seed)?;
            let marked = samples
                .iter()
                .filter(|s| has_region(s.mask.as_ref()))
                .count();
            let rates: Vec<String> = plan
                .classes
                .iter()
                .zip(&policy.rates)
                .map(|(c, r)| format!("{c} {:.0} %", r * 100.0))
                .collect();
            marker_notes.push((
                d.name.clone(),
                format!(
                    "side marker burnt in with probability {} ({marked} of {} images marked)",
                    rates.join(", "),
                    samples.len()
                ),
            ));
        }
        datasets.push((d, samples));
    }

    Ok((datasets, marker_notes))
}

/// The shard units of a classification run: its prediction parts and the
/// saliency stage.
fn classification_units(
    plan: &Plan,
    datasets: &[(&DatasetPlan, Vec<Sample>)],
    perturbations: &[BoundPerturbation],
    models: &[LoadedModel],
) -> Vec<Unit> {
    let model_names: Vec<&str> = models.iter().map(|m| m.info.name.as_str()).collect();
    let mut units = part_units("predictions", datasets, perturbations, &model_names);
    if let Some(sp) = &plan.saliency {
        let samples: usize = datasets.iter().map(|(_, s)| s.len()).sum();
        let voxels = datasets.first().map_or(0.0, |(_, s)| mean_voxels(s));
        units.push(Unit {
            name: SALIENCY_UNIT.into(),
            cost: (models.len() * samples * sp.methods.len().max(1)) as f64 * voxels * 20.0,
        });
    }
    units
}

/// What the report needs to know about the classification suite.
fn classification_info(
    plan: &Plan,
    perturbations: &[BoundPerturbation],
    marker_notes: Vec<(String, String)>,
) -> ClassificationInfo {
    let point_index = |label: &str, point: f64| -> u32 {
        perturbations
            .iter()
            .find(|p| p.info.label == label)
            .and_then(|p| p.info.points.iter().position(|&x| x == point))
            .unwrap_or(0) as u32
    };
    let cond = |c: &sensibench_suite::plan::ConditionPlan| ConditionInfo {
        name: c.name.clone(),
        dataset: c.dataset.clone(),
        perturbation: c.perturbation.clone(),
        point_index: point_index(&c.perturbation, c.point),
    };
    ClassificationInfo {
        bootstrap: plan.statistics.bootstrap,
        level: plan.statistics.level,
        shortcut: plan
            .shortcut
            .as_ref()
            .map(|s| (cond(&s.reference), s.conditions.iter().map(cond).collect())),
        shortcut_saliency: plan.shortcut.as_ref().and_then(|s| s.saliency.clone()),
        saliency_methods: plan
            .saliency
            .as_ref()
            .map(|s| s.methods.iter().map(|m| m.name().to_string()).collect())
            .unwrap_or_default(),
        markers: marker_notes,
        synthetic: plan
            .datasets
            .iter()
            .filter(|d| {
                matches!(
                    d.source,
                    sensibench_suite::plan::DatasetSource::PhantomClasses { .. }
                )
            })
            .map(|d| d.name.clone())
            .collect(),
    }
}

/// What every prediction part of the run shares.
struct RunContext<'a> {
    plan: &'a Plan,
    opts: &'a RunOptions,
    run_dir: &'a Path,
    run_id: &'a str,
    git_sha: &'a str,
    owned: &'a Ownership,
    bar: &'a ProgressBar,
}

/// Runs every (perturbation, model) prediction part of one dataset that this
/// process owns and has not finished.
fn classify_dataset(
    run: &RunContext<'_>,
    dplan: &DatasetPlan,
    samples: &[Sample],
    perturbations: &[BoundPerturbation],
    models: &mut [LoadedModel],
    summary: &mut RunSummary,
) -> Result<()> {
    let (plan, bar) = (run.plan, run.bar);
    let k = plan.classes.len();
    // each model's class on the unperturbed images (the reference in
    // `unperturbed_prediction` mode)
    let mut clean: Vec<Option<Vec<Option<u32>>>> = (0..models.len()).map(|_| None).collect();
    for bp in perturbations {
        let mut cells: Option<Vec<Cell>> = None;
        for (mi, lm) in models.iter_mut().enumerate() {
            let part = part_name(&lm.info.name, &dplan.name, &bp.info.label);
            let n_pred = samples.len() * bp.info.points.len();
            if !run.owned.owns(&format!("predictions/{part}.parquet")) {
                bar.inc(n_pred as u64);
                continue;
            }
            let needs_clean = dplan.reference == ReferenceMode::UnperturbedPrediction;
            if run.opts.resume && prediction_part_path(run.run_dir, &part).is_file() {
                summary.parts_skipped += 1;
                bar.inc(n_pred as u64);
                continue;
            }
            bar.set_message(format!(
                "{} · {} · {}",
                lm.info.name, dplan.name, bp.info.label
            ));
            if needs_clean && clean[mi].is_none() {
                let items: Vec<Item<'_>> = samples.iter().map(|s| (&s.image, None)).collect();
                let probs = classify(lm, &items, k, &ProgressBar::hidden());
                clean[mi] = Some(
                    probs
                        .iter()
                        .map(|p| p.as_ref().ok().map(|p| argmax(p) as u32))
                        .collect(),
                );
            }
            let cells = cells.get_or_insert_with(|| perturb_cells(plan, bp, samples));
            let ok: Vec<usize> = (0..cells.len())
                .filter(|&i| cells[i].input.is_ok())
                .collect();
            let items: Vec<Item<'_>> = ok
                .iter()
                .filter_map(|&i| cells[i].input.as_ref().ok().map(|(im, _)| (im, None)))
                .collect();
            bar.inc((cells.len() - ok.len()) as u64);
            let preds = classify(lm, &items, k, bar);
            let mut pred_of: Vec<Option<&std::result::Result<Vec<f32>, String>>> =
                vec![None; cells.len()];
            for (j, &i) in ok.iter().enumerate() {
                pred_of[i] = preds.get(j);
            }
            let part_ctx = PartRows {
                run,
                dplan,
                samples,
                bp,
                model: &lm.info,
                clean: clean[mi].as_deref(),
            };
            let rows = prediction_rows(&part_ctx, cells, &pred_of);
            if bp.info.label == BASELINE && clean[mi].is_none() {
                clean[mi] = Some(
                    (0..samples.len())
                        .map(|si| {
                            cells
                                .iter()
                                .position(|c| c.sample == si)
                                .and_then(|i| pred_of[i])
                                .and_then(|p| p.as_ref().ok())
                                .map(|p| argmax(p) as u32)
                        })
                        .collect(),
                );
            }
            summary.failed_rows += rows.iter().filter(|r| r.status == Status::Failed).count();
            summary.rows += rows.len();
            write_prediction_part(run.run_dir, &part, &rows)?;
            summary.parts_written += 1;
        }
    }
    Ok(())
}

/// What the rows of one prediction part are about.
struct PartRows<'a> {
    run: &'a RunContext<'a>,
    dplan: &'a DatasetPlan,
    samples: &'a [Sample],
    bp: &'a BoundPerturbation,
    model: &'a ModelInfo,
    /// The model's class per sample on the unperturbed images, when known.
    clean: Option<&'a [Option<u32>]>,
}

/// The rows of one prediction part: one per (cell, class), failed where the
/// cell could not be perturbed or predicted, or has no reference.
fn prediction_rows(
    p: &PartRows<'_>,
    cells: &[Cell],
    pred_of: &[Option<&std::result::Result<Vec<f32>, String>>],
) -> Vec<PredictionRow> {
    let (plan, dplan, samples, bp) = (p.run.plan, p.dplan, p.samples, p.bp);
    let k = plan.classes.len();
    let mut rows = Vec::with_capacity(cells.len() * k);
    for (i, cell) in cells.iter().enumerate() {
        let s = &samples[cell.sample];
        let truth = match dplan.reference {
            ReferenceMode::GroundTruth => Ok(s.label),
            ReferenceMode::UnperturbedPrediction => match p.clean.and_then(|c| c[cell.sample]) {
                Some(c) => Ok(Some(c)),
                None => Err("no unperturbed prediction to compare with".to_string()),
            },
        };
        let outcome = match (&cell.input, pred_of[i], truth) {
            (Err(e), _, _) => Err(e.clone()),
            (_, None, _) => Err("not predicted".to_string()),
            (_, Some(Err(e)), _) => Err(e.clone()),
            (_, _, Err(e)) => Err(e),
            (Ok((_, mask)), Some(Ok(p)), Ok(t)) => Ok((p, t, has_region(mask.as_ref()))),
        };
        let region = cell
            .input
            .as_ref()
            .map(|(_, m)| has_region(m.as_ref()))
            .unwrap_or(false);
        for c in 0..k {
            let (probability, truth, predicted, status, error) = match &outcome {
                Ok((p, t, _)) => (
                    Some(f64::from(p[c])),
                    *t,
                    Some(argmax(p) as u32),
                    Status::Ok,
                    None,
                ),
                Err(e) => (None, s.label, None, Status::Failed, Some(e.clone())),
            };
            rows.push(PredictionRow {
                run_id: p.run.run_id.to_string(),
                suite: plan.name.clone(),
                suite_hash: plan.suite_hash.clone(),
                harness_version: HARNESS_VERSION.to_string(),
                git_sha: p.run.git_sha.to_string(),
                seed: plan.seed,
                model: p.model.name.clone(),
                model_hash: p.model.hash.clone(),
                backend: p.model.backend.clone(),
                dataset: dplan.name.clone(),
                sample: s.id.clone(),
                reference_mode: mode_str(dplan.reference).to_string(),
                perturbation: bp.info.label.clone(),
                kind: bp.info.kind.clone(),
                parameter: bp.info.parameter.clone(),
                point: bp.info.points[cell.point_index],
                point_index: cell.point_index as u32,
                truth,
                predicted,
                class: plan.classes[c].clone(),
                class_index: c as u32,
                probability,
                has_region: region,
                status,
                error,
            });
        }
    }
    rows
}
