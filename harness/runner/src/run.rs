//! Executing a plan.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sensibench_core::{
    Error, HARNESS_VERSION, Image, LabelMap, Model, Perturbation, PerturbationEntry, Registry,
    Sample, SeededRng, derive_seed,
};
use sensibench_metrics::{SegMetric, score_class};
use sensibench_results::{ResultRow, Status, part_exists, write_part};
use sensibench_suite::plan::{BackendPlan, ModelPlan, Plan, ReferenceMode, Scale, Task};

use crate::manifest::{DatasetInfo, Manifest, ModelInfo, PerturbationInfo};
use crate::predict::{Item, ModelTiming, Predictor};
use crate::shard::{Ownership, Unit, shard_info};
use crate::{Result, RunError, datasets::load_samples, io_err, sanitize, time};

/// How to run a plan.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Results root; the run goes to `<out>/<suite>/<run_id>/`.
    pub out: PathBuf,
    /// Reuse this run id (with `resume`) or name the new run.
    pub run_id: Option<String>,
    /// Continue the latest run of this suite (or `run_id`): finished parts are skipped.
    pub resume: bool,
    /// Worker threads for perturbations and metrics, and intra-op threads of
    /// ONNX models that do not set their own (0 = all cores).
    pub threads: usize,
    /// Show progress bars on stderr.
    pub progress: bool,
    /// Provenance: the harness's git revision.
    pub git_sha: String,
    /// Run only this shard's units (`--shard I/N`, needs `run_id`); the
    /// shard writes to `<out>/<suite>/<run_id>/shards/I-of-N/`.
    pub shard: Option<crate::shard::Shard>,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub run_dir: PathBuf,
    pub parts_written: usize,
    pub parts_skipped: usize,
    pub rows: usize,
    pub failed_rows: usize,
    pub seconds: f64,
    /// Per model: seconds inside `Model::predict` (the backend's session
    /// time for the batches), and seconds of the harness's own work around it
    /// (pre-processing, batch assembly, output decoding and mapping back).
    /// Their ratio is the harness overhead on inference.
    pub model_seconds: Vec<ModelTiming>,
}

impl RunSummary {
    /// A summary of nothing done yet, for the run in `run_dir`.
    pub(crate) fn empty(run_dir: &Path) -> Self {
        RunSummary {
            run_dir: run_dir.to_path_buf(),
            parts_written: 0,
            parts_skipped: 0,
            rows: 0,
            failed_rows: 0,
            seconds: 0.0,
            model_seconds: Vec::new(),
        }
    }
}

/// The run id: the run folder's name.
pub(crate) fn run_id_of(run_dir: &Path) -> String {
    run_dir
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// The progress bar of `total` predictions (hidden unless `show`).
pub(crate) fn prediction_bar(total: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total as u64);
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} predictions  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}

/// The clean baseline evaluated for every model and dataset.
pub(crate) const BASELINE: &str = "none";

struct Loaded {
    plan: ModelPlan,
    info: ModelInfo,
    predictor: Option<Predictor>,
}

/// Why a TorchScript model or study cannot run in this build.
#[cfg(not(feature = "torch"))]
pub(crate) const NO_TORCH: &str = "this sensibench was built without the `torch` feature (TorchScript needs libtorch): build it with `make suite` or `cargo build --features sensibench-cli/torch` with LIBTORCH set";

pub(crate) fn load_model(
    mp: &ModelPlan,
    threads: usize,
) -> (ModelInfo, std::result::Result<Box<dyn Model>, String>) {
    if mp.isolate == sensibench_suite::plan::Isolation::Process {
        return crate::worker::load_isolated(mp, threads);
    }
    let (backend, path) = match &mp.backend {
        BackendPlan::Onnx { path, .. } => ("onnx", Some(path.clone())),
        BackendPlan::Native { path, .. } => ("native", Some(path.clone())),
        BackendPlan::TorchScript { path, .. } => ("torchscript", Some(path.clone())),
        BackendPlan::Null => ("null", None),
    };
    let hash = path
        .as_deref()
        .map(|p| sensibench_backends::sha256_file(p).unwrap_or_default())
        .unwrap_or_default();
    let model: std::result::Result<Box<dyn Model>, String> = match &mp.backend {
        #[cfg(feature = "onnx")]
        BackendPlan::Onnx { path, threads: t } => {
            // 0 means "all cores", for the suite's `threads` and for --threads alike
            let t = [*t, threads]
                .into_iter()
                .find(|&t| t > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            sensibench_backends::onnx::OnnxModel::load(&mp.name, path, t)
                .map(|m| Box::new(m) as Box<dyn Model>)
                .map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "onnx"))]
        BackendPlan::Onnx { .. } => {
            Err("this sensibench was built without the `onnx` feature".to_string())
        }
        #[cfg(feature = "torch")]
        BackendPlan::TorchScript { path, threads: t } => {
            let t = [*t, threads].into_iter().find(|&t| t > 0).unwrap_or(0);
            sensibench_backends_tch::TorchScriptModel::load(&mp.name, path, t)
                .map(|m| Box::new(m) as Box<dyn Model>)
                .map_err(|e| e.to_string())
        }
        #[cfg(not(feature = "torch"))]
        BackendPlan::TorchScript { .. } => Err(NO_TORCH.to_string()),
        BackendPlan::Native { path, config } => {
            sensibench_backends::native::NativeModel::load(&mp.name, path, config)
                .map(|m| Box::new(m) as Box<dyn Model>)
                .map_err(|e| e.to_string())
        }
        BackendPlan::Null => Ok(Box::new(sensibench_backends::null::NullModel::new(
            &mp.name,
        ))),
    };
    let info = ModelInfo {
        name: mp.name.clone(),
        backend: backend.to_string(),
        path: path.map(|p| p.display().to_string()).unwrap_or_default(),
        hash,
        load_error: model.as_ref().err().cloned(),
    };
    (info, model)
}

/// A perturbation of the plan, bound, with what the rows say about it.
pub(crate) struct BoundPerturbation {
    pub(crate) info: PerturbationInfo,
    pub(crate) op: Option<Box<dyn Perturbation>>,
}

pub(crate) fn bind_perturbations(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
) -> Result<Vec<BoundPerturbation>> {
    let mut out = vec![BoundPerturbation {
        info: PerturbationInfo {
            label: BASELINE.into(),
            kind: BASELINE.into(),
            parameter: String::new(),
            unit: String::new(),
            identity: Some(0.0),
            points: vec![0.0],
        },
        op: None,
    }];
    for p in &plan.perturbations {
        let entry = registry.get(&p.kind)?;
        let (op, parameter, unit, identity) = match (p.scale, &entry.severity) {
            (Scale::Severity, Some(sev)) => {
                ((sev.build)(&p.params)?, "severity", "level", Some(0.0))
            }
            (Scale::Severity, None) => {
                return Err(Error::invalid(
                    &format!("{}.severity", p.label),
                    "severity levels",
                    "a perturbation with a severity scale",
                )
                .into());
            }
            (Scale::Parameter, _) => (
                (entry.build)(&p.params)?,
                entry.parameter.name,
                entry.parameter.unit,
                entry.parameter.identity,
            ),
        };
        out.push(BoundPerturbation {
            info: PerturbationInfo {
                label: p.label.clone(),
                kind: p.kind.clone(),
                parameter: parameter.to_string(),
                unit: unit.to_string(),
                identity,
                points: p.points.clone(),
            },
            op: Some(op),
        });
    }
    Ok(out)
}

/// Seed of one cell: (suite seed, sample id, perturbation label, point).
pub fn cell_seed(suite_seed: u64, sample: &str, perturbation: &str, point: f64) -> u64 {
    derive_seed(suite_seed, &[sample, perturbation, &format!("{point}")])
}

pub(crate) fn apply(
    bp: &BoundPerturbation,
    seed: u64,
    sample: &Sample,
    mask: Option<&LabelMap>,
    point: f64,
) -> std::result::Result<(Image, Option<LabelMap>), Error> {
    match &bp.op {
        None => Ok((sample.image.clone(), mask.cloned())),
        Some(op) => {
            let mut rng = SeededRng::new(cell_seed(seed, &sample.id, &bp.info.label, point));
            op.apply(&sample.image, mask, point, &mut rng)
        }
    }
}

pub(crate) fn git_sha_or(s: &str) -> String {
    if s.is_empty() {
        "unknown".into()
    } else {
        s.into()
    }
}

/// The run folder and the run id its rows carry.
pub(crate) fn choose_run_dir(plan: &Plan, opts: &RunOptions) -> Result<(PathBuf, String)> {
    let dir = choose_dir(plan, opts)?;
    let id = match (&opts.shard, &opts.run_id) {
        (Some(_), Some(id)) => id.clone(),
        _ => run_id_of(&dir),
    };
    Ok((dir, id))
}

fn choose_dir(plan: &Plan, opts: &RunOptions) -> Result<PathBuf> {
    let suite_dir = opts.out.join(&plan.name);
    if let Some(shard) = &opts.shard {
        let Some(id) = &opts.run_id else {
            return Err(RunError::Other(format!(
                "--shard {}/{} needs --run-id, so the shards agree on the run they belong to (on Slurm: --run-id $SLURM_ARRAY_JOB_ID)",
                shard.index, shard.count
            )));
        };
        if plan.labels.is_some() {
            return Err(RunError::Other(
                "a suite with a `labels:` study cannot be sharded: its fine-tuned classifiers are the models of every part; run it unsharded".into(),
            ));
        }
        return Ok(shard.dir(&suite_dir.join(id)));
    }
    if let Some(id) = &opts.run_id {
        return Ok(suite_dir.join(id));
    }
    if opts.resume {
        // the newest run of this suite with the same suite hash
        let mut runs: Vec<PathBuf> = std::fs::read_dir(&suite_dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        runs.sort();
        for r in runs.iter().rev() {
            if let Ok(m) = Manifest::read(r)
                && m.suite_hash == plan.suite_hash
            {
                return Ok(r.clone());
            }
        }
    }
    let mut id = time::run_id_now();
    let mut k = 1;
    while suite_dir.join(&id).exists() {
        k += 1;
        id = format!("{}-{k}", time::run_id_now());
    }
    Ok(suite_dir.join(id))
}

/// One prediction to make: sample `sample` at point `point_index`.
struct Cell {
    sample: usize,
    point_index: usize,
    /// The perturbed input and its perturbed reference, or why perturbing failed.
    input: std::result::Result<(Image, Option<LabelMap>), String>,
}

/// Runs `plan`; returns where the rows are. Model failures do not stop the run.
pub fn run(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
    opts: &RunOptions,
) -> Result<RunSummary> {
    if plan.task == Task::Classification {
        return crate::classify::run(plan, registry, opts);
    }
    let started = Instant::now();
    let (run_dir, run_id) = choose_run_dir(plan, opts)?;
    std::fs::create_dir_all(run_dir.join("parts")).map_err(io_err(&run_dir))?;
    let metrics: Vec<SegMetric> = plan
        .metrics
        .iter()
        .map(|m| SegMetric::from_name(m).map_err(RunError::from))
        .collect::<Result<_>>()?;
    let perturbations = bind_perturbations(plan, registry)?;

    let mut datasets = Vec::new();
    for d in &plan.datasets {
        let samples = load_samples(d, plan.seed, &plan.classes)?;
        if samples.is_empty() {
            return Err(RunError::Other(format!(
                "dataset `{}` has no samples",
                d.name
            )));
        }
        datasets.push((d, samples));
    }

    let mut models: Vec<Loaded> = plan
        .models
        .iter()
        .map(|mp| {
            let (info, model) = load_model(mp, opts.threads);
            Loaded {
                plan: mp.clone(),
                info,
                predictor: model.ok().map(|m| Predictor::new(mp, m)),
            }
        })
        .collect();

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

    let primary = plan
        .report
        .primary_metric
        .clone()
        .unwrap_or_else(|| plan.metrics[0].clone());
    let strip = match &plan.report.strip_sample {
        Some(id) => datasets.iter().find_map(|(d, s)| {
            s.iter()
                .find(|x| &x.id == id)
                .map(|x| (d.name.clone(), x.id.clone()))
        }),
        None => datasets
            .first()
            .map(|(d, s)| (d.name.clone(), s[0].id.clone())),
    };
    let manifest = Manifest {
        suite: plan.name.clone(),
        title: plan
            .report
            .title
            .clone()
            .unwrap_or_else(|| plan.name.clone()),
        description: plan.description.clone(),
        suite_path: plan.suite_path.display().to_string(),
        suite_hash: plan.suite_hash.clone(),
        seed: plan.seed,
        run_id: run_id.clone(),
        created: time::iso_now(),
        harness_version: HARNESS_VERSION.into(),
        git_sha: git_sha_or(&opts.git_sha),
        classes: plan.classes.clone(),
        metrics: plan.metrics.clone(),
        primary_metric: primary,
        models: models.iter().map(|m| m.info.clone()).collect(),
        datasets: datasets
            .iter()
            .map(|(d, s)| DatasetInfo {
                name: d.name.clone(),
                samples: s.len(),
                reference_mode: mode_str(d.reference).into(),
            })
            .collect(),
        skipped_datasets: plan
            .skipped_datasets
            .iter()
            .map(|s| (s.name.clone(), s.reason.clone()))
            .collect(),
        perturbations: perturbations.iter().map(|p| p.info.clone()).collect(),
        strip_sample: strip.clone(),
        efficiency: study.clone(),
        task: "segmentation".into(),
        classification: None,
        shard: opts.shard.map(|s| shard_info(s, &owned, &units)),
    };
    manifest.write(&run_dir)?;

    let total: usize = datasets
        .iter()
        .map(|(_, s)| {
            s.len()
                * perturbations
                    .iter()
                    .map(|p| p.info.points.len())
                    .sum::<usize>()
        })
        .sum::<usize>()
        * models.len();
    let bar = prediction_bar(total, opts.progress);

    let mut summary = RunSummary::empty(&run_dir);
    let classes: Vec<u8> = (1..plan.classes.len()).map(|c| c as u8).collect();

    for (dplan, samples) in &datasets {
        // Unperturbed predictions, the reference in `unperturbed_prediction` mode.
        let mut clean: Vec<Option<Vec<std::result::Result<LabelMap, String>>>> =
            (0..models.len()).map(|_| None).collect();
        for bp in &perturbations {
            let ctx = PartContext {
                plan,
                dataset: &dplan.name,
                mode: dplan.reference,
                bp,
                samples,
                metrics: &metrics,
                classes: &classes,
                run_id: &run_id,
                git_sha: &manifest.git_sha,
            };
            // Perturbed inputs with the ground truth, shared by the models.
            let mut shared: Option<Vec<Cell>> = None;
            for (mi, lm) in models.iter_mut().enumerate() {
                let part = part_name(&lm.plan.name, &dplan.name, &bp.info.label);
                let n_pred = samples.len() * bp.info.points.len();
                if !owned.owns(&format!("parts/{part}.parquet")) {
                    bar.inc(n_pred as u64);
                    continue;
                }
                if opts.resume && part_exists(&run_dir, &part) {
                    summary.parts_skipped += 1;
                    bar.inc(n_pred as u64);
                    continue;
                }
                bar.set_message(format!(
                    "{} · {} · {}",
                    lm.plan.name, dplan.name, bp.info.label
                ));
                let rows = match dplan.reference {
                    ReferenceMode::GroundTruth => {
                        let cells =
                            shared.get_or_insert_with(|| perturb_all(&ctx, |s| Ok(s.mask.clone())));
                        run_part(&ctx, lm, cells, &bar)
                    }
                    ReferenceMode::UnperturbedPrediction => {
                        if clean[mi].is_none() {
                            clean[mi] = Some(predict_clean(lm, samples));
                        }
                        let refs = clean[mi].as_deref().unwrap_or(&[]);
                        let cells = perturb_all(&ctx, |s| {
                            let i = samples.iter().position(|x| x.id == s.id);
                            match i.and_then(|i| refs.get(i)) {
                                Some(Ok(m)) => Ok(Some(m.clone())),
                                Some(Err(e)) => {
                                    Err(format!("no unperturbed prediction to compare with: {e}"))
                                }
                                None => Ok(None),
                            }
                        });
                        run_part(&ctx, lm, &cells, &bar)
                    }
                };
                if let Some((ds, sid)) = &strip
                    && ds == &dplan.name
                    && let Err(e) = write_strip(&run_dir, &ctx, lm, sid)
                {
                    bar.println(format!("warning: prediction strip not written: {e}"));
                }
                summary.failed_rows += rows.iter().filter(|r| r.status == Status::Failed).count();
                summary.rows += rows.len();
                write_part(&run_dir, &part, &rows)?;
                summary.parts_written += 1;
            }
        }
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
    summary.model_seconds = models
        .iter()
        .map(|m| {
            m.predictor
                .as_ref()
                .map(|p| p.timing().clone())
                .unwrap_or_else(|| ModelTiming {
                    model: m.plan.name.clone(),
                    ..ModelTiming::default()
                })
        })
        .collect();
    Ok(summary)
}

/// The file name (without `.parquet`) of the part of (model, dataset, perturbation).
pub(crate) fn part_name(model: &str, dataset: &str, perturbation: &str) -> String {
    format!(
        "{}__{}__{}",
        sanitize(model),
        sanitize(dataset),
        sanitize(perturbation)
    )
}

/// The shard units of the parts in `folder` (`parts` or `predictions`):
/// one per (dataset, perturbation, model), in run order, each costing
/// samples × points × voxels.
pub(crate) fn part_units(
    folder: &str,
    datasets: &[(&sensibench_suite::plan::DatasetPlan, Vec<Sample>)],
    perturbations: &[BoundPerturbation],
    models: &[&str],
) -> Vec<Unit> {
    let mut units = Vec::new();
    for (d, samples) in datasets {
        let voxels = mean_voxels(samples);
        for bp in perturbations {
            for m in models {
                units.push(Unit {
                    name: format!("{folder}/{}.parquet", part_name(m, &d.name, &bp.info.label)),
                    cost: (samples.len() * bp.info.points.len()) as f64 * voxels,
                });
            }
        }
    }
    units
}

/// The mean number of voxels of `samples` (the cost of one prediction, in
/// the shard partition's cost model).
pub(crate) fn mean_voxels(samples: &[Sample]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples
        .iter()
        .map(|s| s.image.data().len() as f64)
        .sum::<f64>()
        / samples.len() as f64
}

pub(crate) fn mode_str(m: ReferenceMode) -> &'static str {
    match m {
        ReferenceMode::GroundTruth => "ground_truth",
        ReferenceMode::UnperturbedPrediction => "unperturbed_prediction",
    }
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
    lm: &mut Loaded,
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
    lm: &mut Loaded,
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
    lm: &mut Loaded,
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
    lm: &mut Loaded,
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
            .map_err(|e| RunError::Other(e.to_string()))?;
        let path = dir.join(format!("{k:03}.png"));
        std::fs::write(&path, png).map_err(io_err(&path))?;
    }
    Ok(())
}
