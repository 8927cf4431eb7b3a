//! Segmentation runs (the robustness study): every model predicts every
//! sample of every dataset, unperturbed and at every point of every
//! perturbation; one part of result rows per (model, dataset, perturbation).
//! The data-efficiency study of the suite, if any, runs after it.

use std::path::Path;
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;
use sensibench_core::{HARNESS_VERSION, Image, LabelMap, PerturbationEntry, Registry, Sample};
use sensibench_metrics::{SegMetric, score_class};
use sensibench_results::{ResultRow, Status, part_exists, write_part};
use sensibench_suite::plan::{DatasetPlan, Plan, ReferenceMode};

use crate::datasets::{load_samples, mode_str};
use crate::manifest::{Manifest, ModelInfo};
use crate::models::{LoadedModel, load_models, model_timings};
use crate::options::{RunOptions, RunSummary};
use crate::perturbations::{BoundPerturbation, apply, bind_perturbations};
use crate::predict::Item;
use crate::progress::{prediction_bar, total_predictions};
use crate::run_folder::choose_run_dir;
use crate::run_record::base_manifest;
use crate::shard::{Ownership, shard_info};
use crate::units::{part_name, part_units};
use crate::{Result, RunError, io_err, render_err, sanitize};

/// One prediction to make: sample `sample` at point `point_index`.
struct Cell {
    sample: usize,
    point_index: usize,
    /// The perturbed input and its perturbed reference, or why perturbing failed.
    input: std::result::Result<(Image, Option<LabelMap>), String>,
}

/// Runs the segmentation `plan`; returns where the rows are. Model failures
/// do not stop the run.
pub(crate) fn run(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
    opts: &RunOptions,
) -> Result<RunSummary> {
    let started = Instant::now();
    let (run_dir, run_id) = choose_run_dir(plan, opts)?;
    std::fs::create_dir_all(run_dir.join("parts")).map_err(io_err(&run_dir))?;
    let metrics: Vec<SegMetric> = plan
        .metrics
        .iter()
        .map(|m| SegMetric::from_name(m).map_err(RunError::from))
        .collect::<Result<_>>()?;
    let perturbations = bind_perturbations(plan, registry)?;
    let datasets = load_datasets(plan)?;
    let mut models = load_models(plan, opts.threads);

    let study = match &plan.efficiency {
        Some(eff) => Some(crate::efficiency::prepare(plan, eff, &datasets)?),
        None => None,
    };

    let model_names: Vec<&str> = models.iter().map(|m| m.plan.name.as_str()).collect();
    let mut units = part_units("parts", &datasets, &perturbations, &model_names);
    if let (Some(eff), Some(info)) = (&plan.efficiency, &study) {
        units.extend(crate::efficiency::units(eff, info, &datasets));
    }
    let owned = Ownership::of(opts.shard, &units);
    let strip = strip_sample(plan, &datasets);
    let manifest = Manifest {
        strip_sample: strip.clone(),
        efficiency: study.clone(),
        shard: opts.shard.map(|s| shard_info(s, &owned, &units)),
        ..base_manifest(
            plan,
            &opts.git_sha,
            &run_id,
            &models,
            &datasets,
            &perturbations,
            "segmentation",
        )
    };
    manifest.write(&run_dir)?;

    let bar = prediction_bar(
        total_predictions(&datasets, &perturbations, models.len()),
        opts.progress,
    );
    let mut summary = RunSummary::empty(&run_dir);
    let classes: Vec<u8> = (1..plan.classes.len()).map(|c| c as u8).collect();
    let run = RunContext {
        plan,
        opts,
        run_dir: &run_dir,
        run_id: &run_id,
        git_sha: &manifest.git_sha,
        metrics: &metrics,
        classes: &classes,
        owned: &owned,
        strip: strip.as_ref(),
        bar: &bar,
    };
    for (dplan, samples) in &datasets {
        run_dataset(
            &run,
            dplan,
            samples,
            &perturbations,
            &mut models,
            &mut summary,
        )?;
    }
    bar.finish_and_clear();
    if let (Some(eff), Some(info)) = (&plan.efficiency, &study) {
        let outcome = crate::efficiency::run_study(&crate::efficiency::StudyContext {
            plan,
            eff,
            info,
            datasets: &datasets,
            run_dir: &run_dir,
            run_id: &run_id,
            git_sha: &manifest.git_sha,
            resume: opts.resume,
            progress: opts.progress,
            owned: &owned,
        })?;
        summary.parts_written += outcome.parts_written;
        summary.parts_skipped += outcome.parts_skipped;
        summary.rows += outcome.rows;
        summary.failed_rows += outcome.failed_rows;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    summary.model_seconds = model_timings(&models);
    Ok(summary)
}

/// The samples of every dataset of `plan`; a dataset without samples is an error.
fn load_datasets(plan: &Plan) -> Result<Vec<(&DatasetPlan, Vec<Sample>)>> {
    let mut datasets = Vec::new();
    for d in &plan.datasets {
        let samples = load_samples(d, plan.seed, &plan.classes)?;
        if samples.is_empty() {
            return Err(RunError::Invalid(format!(
                "dataset `{}` has no samples",
                d.name
            )));
        }
        datasets.push((d, samples));
    }
    Ok(datasets)
}

/// The (dataset, sample id) shown in the prediction strips: the suite's
/// `strip_sample`, else the first sample of the first dataset.
fn strip_sample(plan: &Plan, datasets: &[(&DatasetPlan, Vec<Sample>)]) -> Option<(String, String)> {
    match &plan.report.strip_sample {
        Some(id) => datasets.iter().find_map(|(d, s)| {
            s.iter()
                .find(|x| &x.id == id)
                .map(|x| (d.name.clone(), x.id.clone()))
        }),
        None => datasets
            .first()
            .map(|(d, s)| (d.name.clone(), s[0].id.clone())),
    }
}

/// What every part of the run shares.
struct RunContext<'a> {
    plan: &'a Plan,
    opts: &'a RunOptions,
    run_dir: &'a Path,
    run_id: &'a str,
    git_sha: &'a str,
    metrics: &'a [SegMetric],
    classes: &'a [u8],
    owned: &'a Ownership,
    strip: Option<&'a (String, String)>,
    bar: &'a ProgressBar,
}

/// Runs every (perturbation, model) part of one dataset that this process
/// owns and has not finished.
fn run_dataset(
    run: &RunContext<'_>,
    dplan: &DatasetPlan,
    samples: &[Sample],
    perturbations: &[BoundPerturbation],
    models: &mut [LoadedModel],
    summary: &mut RunSummary,
) -> Result<()> {
    // Unperturbed predictions, the reference in `unperturbed_prediction` mode.
    let mut clean: Vec<Option<Vec<std::result::Result<LabelMap, String>>>> =
        (0..models.len()).map(|_| None).collect();
    for bp in perturbations {
        let ctx = PartContext {
            plan: run.plan,
            dataset: &dplan.name,
            mode: dplan.reference,
            bp,
            samples,
            metrics: run.metrics,
            classes: run.classes,
            run_id: run.run_id,
            git_sha: run.git_sha,
        };
        // Perturbed inputs with the ground truth, shared by the models.
        let mut shared: Option<Vec<Cell>> = None;
        for (mi, lm) in models.iter_mut().enumerate() {
            let part = part_name(&lm.plan.name, &dplan.name, &bp.info.label);
            let n_pred = samples.len() * bp.info.points.len();
            if !run.owned.owns(&format!("parts/{part}.parquet")) {
                run.bar.inc(n_pred as u64);
                continue;
            }
            if run.opts.resume && part_exists(run.run_dir, &part) {
                summary.parts_skipped += 1;
                run.bar.inc(n_pred as u64);
                continue;
            }
            run.bar.set_message(format!(
                "{} · {} · {}",
                lm.plan.name, dplan.name, bp.info.label
            ));
            let rows = match dplan.reference {
                ReferenceMode::GroundTruth => {
                    let cells =
                        shared.get_or_insert_with(|| perturb_all(&ctx, |s| Ok(s.mask.clone())));
                    run_part(&ctx, lm, cells, run.bar)
                }
                ReferenceMode::UnperturbedPrediction => {
                    let refs = clean[mi].get_or_insert_with(|| predict_clean(lm, samples));
                    let cells = perturb_against(&ctx, samples, refs);
                    run_part(&ctx, lm, &cells, run.bar)
                }
            };
            if let Some((ds, sid)) = run.strip
                && ds == &dplan.name
                && let Err(e) = write_strip(run.run_dir, &ctx, lm, sid)
            {
                run.bar
                    .println(format!("warning: prediction strip not written: {e}"));
            }
            summary.failed_rows += rows.iter().filter(|r| r.status == Status::Failed).count();
            summary.rows += rows.len();
            write_part(run.run_dir, &part, &rows)?;
            summary.parts_written += 1;
        }
    }
    Ok(())
}

/// The perturbed cells of a part scored against the model's own unperturbed
/// predictions `refs` (one per sample, or why it failed).
fn perturb_against(
    ctx: &PartContext<'_>,
    samples: &[Sample],
    refs: &[std::result::Result<LabelMap, String>],
) -> Vec<Cell> {
    perturb_all(ctx, |s| {
        let i = samples.iter().position(|x| x.id == s.id);
        match i.and_then(|i| refs.get(i)) {
            Some(Ok(m)) => Ok(Some(m.clone())),
            Some(Err(e)) => Err(format!("no unperturbed prediction to compare with: {e}")),
            None => Ok(None),
        }
    })
}

struct PartContext<'a> {
    plan: &'a Plan,
    dataset: &'a str,
    mode: ReferenceMode,
    bp: &'a BoundPerturbation,
    samples: &'a [Sample],
    metrics: &'a [SegMetric],
    classes: &'a [u8],
    run_id: &'a str,
    git_sha: &'a str,
}

/// Perturbs every (point, sample) in parallel; `reference` gives the mask to move along.
fn perturb_all<F>(ctx: &PartContext<'_>, reference: F) -> Vec<Cell>
where
    F: Fn(&Sample) -> std::result::Result<Option<LabelMap>, String> + Sync,
{
    let n = ctx.samples.len();
    (0..ctx.bp.info.points.len() * n)
        .into_par_iter()
        .map(|k| {
            let (point_index, sample) = (k / n, k % n);
            let s = &ctx.samples[sample];
            let point = ctx.bp.info.points[point_index];
            let input = match (ctx.mode, reference(s)) {
                (_, Err(e)) => Err(e),
                (ReferenceMode::UnperturbedPrediction, Ok(None)) => {
                    Err("no unperturbed prediction to compare with".to_string())
                }
                (ReferenceMode::GroundTruth, Ok(None)) => {
                    Err(format!("sample `{}` has no reference mask", s.id))
                }
                (_, Ok(Some(mask))) => apply(ctx.bp, ctx.plan.seed, s, Some(&mask), point)
                    .map_err(|e| format!("perturbation failed: {e}")),
            };
            Cell {
                sample,
                point_index,
                input,
            }
        })
        .collect()
}

/// Predicts labels for `items` (with optional references for the null model),
/// batch by batch; each result is the label map or why it failed.
fn predict_images(
    lm: &mut LoadedModel,
    items: &[Item<'_>],
    mut on_batch: impl FnMut(usize),
) -> Vec<std::result::Result<LabelMap, String>> {
    match lm.predictor.as_mut() {
        Some(p) => p.predict_with_progress(items, on_batch),
        None => {
            let reason = format!(
                "model could not be loaded: {}",
                lm.info.load_error.clone().unwrap_or_default()
            );
            on_batch(items.len());
            items.iter().map(|_| Err(reason.clone())).collect()
        }
    }
}

fn predict_clean(
    lm: &mut LoadedModel,
    samples: &[Sample],
) -> Vec<std::result::Result<LabelMap, String>> {
    let items: Vec<(&Image, Option<&LabelMap>)> = samples
        .iter()
        .map(|s| (&s.image, s.mask.as_ref()))
        .collect();
    predict_images(lm, &items, |_| {})
}

fn run_part(
    ctx: &PartContext<'_>,
    lm: &mut LoadedModel,
    cells: &[Cell],
    bar: &ProgressBar,
) -> Vec<ResultRow> {
    let ok_cells: Vec<usize> = (0..cells.len())
        .filter(|&i| cells[i].input.is_ok())
        .collect();
    let items: Vec<(&Image, Option<&LabelMap>)> = ok_cells
        .iter()
        .filter_map(|&i| cells[i].input.as_ref().ok().map(|(im, m)| (im, m.as_ref())))
        .collect();
    bar.inc((cells.len() - ok_cells.len()) as u64);
    let preds = predict_images(lm, &items, |n| bar.inc(n as u64));
    let mut pred_of: Vec<Option<&std::result::Result<LabelMap, String>>> = vec![None; cells.len()];
    for (k, &i) in ok_cells.iter().enumerate() {
        pred_of[i] = preds.get(k);
    }
    let info = &lm.info;
    let rows: Vec<Vec<ResultRow>> = cells
        .par_iter()
        .enumerate()
        .map(|(i, cell)| score_cell(ctx, info, cell, pred_of[i]))
        .collect();
    rows.into_iter().flatten().collect()
}

fn score_cell(
    ctx: &PartContext<'_>,
    model: &ModelInfo,
    cell: &Cell,
    pred: Option<&std::result::Result<LabelMap, String>>,
) -> Vec<ResultRow> {
    let sample = &ctx.samples[cell.sample];
    let point = ctx.bp.info.points[cell.point_index];
    let outcome: std::result::Result<Vec<Vec<f64>>, String> = match (&cell.input, pred) {
        (Err(e), _) => Err(e.clone()),
        (Ok(_), None) => Err("no prediction".into()),
        (Ok(_), Some(Err(e))) => Err(e.clone()),
        (Ok((_, reference)), Some(Ok(p))) => match reference {
            None => Err("no reference".into()),
            Some(r) => ctx
                .classes
                .iter()
                .map(|&c| score_class(p, r, c, ctx.metrics))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| e.to_string()),
        },
    };
    let mut rows = Vec::with_capacity(ctx.classes.len() * ctx.metrics.len());
    for (ci, &c) in ctx.classes.iter().enumerate() {
        for (mi, m) in ctx.metrics.iter().enumerate() {
            let (value, status, error) = match &outcome {
                Ok(v) => (Some(v[ci][mi]), Status::Ok, None),
                Err(e) => (None, Status::Failed, Some(e.clone())),
            };
            rows.push(ResultRow {
                run_id: ctx.run_id.to_string(),
                suite: ctx.plan.name.clone(),
                suite_hash: ctx.plan.suite_hash.clone(),
                harness_version: HARNESS_VERSION.to_string(),
                git_sha: ctx.git_sha.to_string(),
                seed: ctx.plan.seed,
                model: model.name.clone(),
                model_hash: model.hash.clone(),
                backend: model.backend.clone(),
                dataset: ctx.dataset.to_string(),
                sample: sample.id.clone(),
                reference_mode: mode_str(ctx.mode).to_string(),
                perturbation: ctx.bp.info.label.clone(),
                kind: ctx.bp.info.kind.clone(),
                parameter: ctx.bp.info.parameter.clone(),
                point,
                point_index: cell.point_index as u32,
                class: ctx.plan.classes[c as usize].clone(),
                class_index: u32::from(c),
                metric: m.name().to_string(),
                value,
                status,
                error,
            });
        }
    }
    rows
}

/// Saves the strip frames of one (model, perturbation): the perturbed image of
/// the strip sample with the model's prediction overlaid, one PNG per point.
fn write_strip(
    run_dir: &Path,
    ctx: &PartContext<'_>,
    lm: &mut LoadedModel,
    sample_id: &str,
) -> Result<()> {
    let Some(s) = ctx.samples.iter().find(|s| s.id == sample_id) else {
        return Ok(());
    };
    let dir = run_dir
        .join("strips")
        .join(sanitize(ctx.dataset))
        .join(sanitize(&ctx.bp.info.label))
        .join(sanitize(&lm.plan.name));
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let mask = s.mask.clone();
    let inputs: Vec<(Image, Option<LabelMap>)> = ctx
        .bp
        .info
        .points
        .iter()
        .map(|&p| apply(ctx.bp, ctx.plan.seed, s, mask.as_ref(), p))
        .collect::<std::result::Result<_, _>>()?;
    let items: Vec<(&Image, Option<&LabelMap>)> =
        inputs.iter().map(|(im, m)| (im, m.as_ref())).collect();
    let preds = predict_images(lm, &items, |_| {});
    for (k, ((img, _), pred)) in inputs.iter().zip(preds).enumerate() {
        let Ok(pred) = pred else { continue };
        let (h, w) = (img.grid().height(), img.grid().width());
        let png = sensibench_report::overlay_png(img.data(), h, w, pred.data(), None)
            .map_err(render_err("prediction strip"))?;
        let path = dir.join(format!("{k:03}.png"));
        std::fs::write(&path, png).map_err(io_err(&path))?;
    }
    Ok(())
}
