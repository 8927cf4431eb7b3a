//! The transfer-learning data-efficiency study (`efficiency:` of a suite).
//!
//! For every study dataset × pretraining source × training size `n` × fold ×
//! repeat (one *unit*, one part file, resumable): fine-tune the source on `n`
//! images drawn from the training folds and score it on every image of the
//! held-out fold.
//!
//! **Folds.** Samples are grouped so that correlated images never sit on both
//! sides of a split: the slices of one phantom subject form one group; for
//! other sources the samples, in their sorted order, are cut into `k`
//! contiguous blocks (neighbouring slices of a volume stay together). Groups
//! are dealt to folds after a seeded shuffle (phantom subjects) or in order
//! (blocks).
//!
//! **Subsets.** The training pool of fold `f` (all other folds) is shuffled
//! with a seed from (suite seed, dataset, fold, repeat) and the first `n`
//! images are taken: subsets are nested (the 5 images include the 2) and the
//! same for every source, so sources are compared on the same images.
//! A size larger than the pool is skipped and recorded.
//!
//! **Fine-tuning seed** (batch order, augmentation): from (suite seed,
//! dataset, source, n, fold, repeat).

use std::collections::BTreeMap;

use sensibench_core::{LabelMap, Sample, SeededRng, derive_seed};
use sensibench_metrics::{SegMetric, band_from_scores, pairwise_scores};
use sensibench_suite::plan::{
    DatasetPlan, DatasetSource, EfficiencyPlan, Plan, Schedule, TrainSize,
};

use crate::manifest::{EfficiencyInfo, HumanBandInfo, ModelInfo, StudyDataset};
use crate::{Result, RunError};

/// Deals the samples of a dataset into `k` folds (see the module docs).
pub fn assign_folds(
    dataset: &DatasetPlan,
    samples: &[Sample],
    k: usize,
    seed: u64,
) -> Vec<Vec<usize>> {
    let n = samples.len();
    let mut folds = vec![Vec::new(); k];
    match &dataset.source {
        DatasetSource::PhantomCt {
            slices_per_subject, ..
        }
        | DatasetSource::PhantomCardiac {
            slices_per_subject, ..
        } => {
            let per = (*slices_per_subject).max(1);
            let subjects = n.div_ceil(per);
            let mut order: Vec<usize> = (0..subjects).collect();
            SeededRng::new(derive_seed(seed, &["folds", &dataset.name])).shuffle(&mut order);
            for (pos, subject) in order.into_iter().enumerate() {
                let f = pos % k;
                folds[f].extend((subject * per..((subject + 1) * per).min(n)).collect::<Vec<_>>());
            }
            for f in &mut folds {
                f.sort_unstable();
            }
        }
        _ => {
            for i in 0..n {
                folds[i * k / n.max(1)].push(i);
            }
        }
    }
    folds
}

/// The nested training subset of `n` images for `fold` and `repeat`.
pub fn training_subset(
    folds: &[Vec<usize>],
    fold: usize,
    repeat: usize,
    n: usize,
    seed: u64,
    dataset: &str,
) -> Vec<usize> {
    let mut pool: Vec<usize> = folds
        .iter()
        .enumerate()
        .filter(|(f, _)| *f != fold)
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    pool.sort_unstable();
    SeededRng::new(derive_seed(
        seed,
        &["subset", dataset, &fold.to_string(), &repeat.to_string()],
    ))
    .shuffle(&mut pool);
    pool.truncate(n);
    pool
}

/// Optimiser steps for `n` training images.
pub fn steps_for(schedule: Schedule, n: usize, batch: usize) -> usize {
    match schedule {
        Schedule::Steps(s) => s,
        Schedule::Epochs(e) => (e * n).div_ceil(batch.min(n).max(1)).max(1),
    }
}

/// Plans the study on the loaded datasets: folds, sizes, human bands.
pub(crate) fn prepare(
    plan: &Plan,
    eff: &EfficiencyPlan,
    datasets: &[(&DatasetPlan, Vec<Sample>)],
) -> Result<EfficiencyInfo> {
    let mut out = Vec::new();
    for name in &eff.datasets {
        let Some((d, samples)) = datasets.iter().find(|(d, _)| &d.name == name) else {
            continue;
        };
        if samples.iter().any(|s| s.mask.is_none()) {
            return Err(RunError::Invalid(format!(
                "efficiency study: dataset `{name}` has samples without a mask"
            )));
        }
        if samples.len() < eff.folds {
            return Err(RunError::Invalid(format!(
                "efficiency study: dataset `{name}` has {} samples, fewer than {} folds",
                samples.len(),
                eff.folds
            )));
        }
        let folds = assign_folds(d, samples, eff.folds, plan.seed);
        let smallest_pool = (0..eff.folds)
            .map(|f| samples.len() - folds[f].len())
            .min()
            .unwrap_or(0);
        let mut sizes = Vec::new();
        let mut notes = Vec::new();
        for t in &eff.train_sizes {
            match *t {
                TrainSize::N(n) if n > smallest_pool => notes.push(format!(
                    "n = {n} skipped on `{name}`: a training pool holds only {smallest_pool} images"
                )),
                TrainSize::N(n) => sizes.push((n.to_string(), n)),
                TrainSize::All => {
                    if sizes.last().is_some_and(|(_, n)| *n == smallest_pool) {
                        notes.push(format!(
                            "`all` on `{name}` equals n = {smallest_pool}, already run"
                        ));
                    } else {
                        sizes.push(("all".to_string(), smallest_pool));
                    }
                }
            }
        }
        let bands = human_bands(plan, eff, d, samples)?;
        out.push(StudyDataset {
            name: name.clone(),
            folds: folds
                .iter()
                .map(|f| f.iter().map(|&i| samples[i].id.clone()).collect())
                .collect(),
            sizes,
            notes,
            bands,
        });
    }
    let sources = eff
        .sources
        .iter()
        .map(|s| ModelInfo {
            name: s.name.clone(),
            backend: "torchscript".into(),
            path: s.path.display().to_string(),
            hash: sensibench_backends::sha256_file(&s.path).unwrap_or_default(),
            load_error: None,
        })
        .collect();
    Ok(EfficiencyInfo {
        sources,
        train_sizes: eff
            .train_sizes
            .iter()
            .map(|t| match t {
                TrainSize::N(n) => n.to_string(),
                TrainSize::All => "all".into(),
            })
            .collect(),
        folds: eff.folds,
        repeats: eff.repeats,
        recipe: recipe(eff),
        metrics: plan.metrics.clone(),
        measures: eff.measures.clone(),
        datasets: out,
        human_metric: eff.human.as_ref().map(|h| h.metric.clone()),
    })
}

fn recipe(eff: &EfficiencyPlan) -> String {
    let steps = match eff.schedule {
        Schedule::Steps(s) => format!("{s} steps"),
        Schedule::Epochs(e) => format!("{e} epochs"),
    };
    let opt = match eff.optimizer {
        sensibench_suite::plan::OptimizerPlan::Adam => "Adam".to_string(),
        sensibench_suite::plan::OptimizerPlan::AdamW => "AdamW".to_string(),
        sensibench_suite::plan::OptimizerPlan::Sgd { momentum } => {
            format!("SGD (momentum {momentum})")
        }
    };
    let a = &eff.augment;
    let mut aug: Vec<String> = [
        (a.flip_x, "left-right flips"),
        (a.flip_y, "top-bottom flips"),
        (a.rot90, "90° rotations"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, s)| s.to_string())
    .collect();
    if a.scale > 0.0 {
        aug.push(format!("intensity ×[1±{}]", a.scale));
    }
    if a.shift > 0.0 {
        aug.push(format!("intensity ±{}", a.shift));
    }
    let aug = if aug.is_empty() {
        "no augmentation".to_string()
    } else {
        aug.join(", ")
    };
    format!(
        "{steps} of {opt}, learning rate {}, weight decay {}, batch {}, loss {}·CE + {}·(1 − soft Dice), {aug}",
        eff.learning_rate, eff.weight_decay, eff.batch_size, eff.ce_weight, eff.dice_weight
    )
}

/// The human band of every non-background class: declared in the suite, or
/// the mean ± 1 SD of the pairwise scores of the observers' masks of every
/// sample (the phantom's simulated observers, or an `image_folder`'s
/// `observers:` folders).
fn human_bands(
    plan: &Plan,
    eff: &EfficiencyPlan,
    d: &DatasetPlan,
    samples: &[Sample],
) -> Result<Vec<HumanBandInfo>> {
    let Some(h) = &eff.human else {
        return Ok(Vec::new());
    };
    let classes = plan.classes.iter().enumerate().skip(1);
    if let Some(decl) = h.declared {
        return Ok(classes
            .map(|(_, c)| HumanBandInfo {
                class: c.clone(),
                metric: h.metric.clone(),
                value: decl.value,
                lo: decl.value - decl.spread,
                hi: decl.value + decl.spread,
                pairs: 0,
                source: h.source.clone(),
            })
            .collect());
    }
    let metric = SegMetric::from_name(&h.metric).map_err(RunError::from)?;
    let n = d.limit.map_or(samples.len(), |l| l.min(samples.len()));
    // every observer's masks of sample i, and how to describe them
    let (observer_masks, who): (Vec<Vec<LabelMap>>, String) = match &d.source {
        DatasetSource::PhantomCt {
            subjects,
            slices_per_subject,
            size,
            observers,
        } if *observers >= 2 => {
            let phantom =
                sensibench_data::CtPhantom::new(plan.seed, *subjects, *slices_per_subject, *size)
                    .map_err(RunError::from)?;
            let masks = (0..n)
                .map(|i| phantom.render_observers(i, *observers))
                .collect::<sensibench_core::Result<_>>()
                .map_err(RunError::from)?;
            (masks, format!("{observers} simulated observers"))
        }
        DatasetSource::ImageFolder {
            images,
            spacing,
            observers,
            ..
        } if observers.len() >= 2 => {
            // the observers' masks carry the images' file names
            let ds = sensibench_data::ImageFolderDataset::open(images, None, *spacing)
                .map_err(RunError::from)?;
            let mut masks = Vec::with_capacity(n);
            for image in ds.image_paths().iter().take(n) {
                let name = image.file_name().unwrap_or_default();
                let per: Vec<LabelMap> = observers
                    .iter()
                    .map(|dir| sensibench_data::load_label_map(&dir.join(name), *spacing))
                    .collect::<sensibench_core::Result<_>>()
                    .map_err(|source| RunError::Study {
                        study: "efficiency study",
                        what: format!(
                            "dataset `{}`: observers' masks for {}",
                            d.name,
                            image.display()
                        ),
                        source,
                    })?;
                masks.push(per);
            }
            (masks, format!("{} observers' masks", observers.len()))
        }
        _ => return Ok(Vec::new()),
    };
    let mut per_class: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for masks in &observer_masks {
        for (ci, _) in plan.classes.iter().enumerate().skip(1) {
            let scores = pairwise_scores(masks, ci as u8, metric).map_err(RunError::from)?;
            per_class.entry(ci).or_default().extend(scores);
        }
    }
    Ok(per_class
        .into_iter()
        .map(|(ci, scores)| {
            let b = band_from_scores(&scores);
            HumanBandInfo {
                class: plan.classes[ci].clone(),
                metric: h.metric.clone(),
                value: b.value,
                lo: b.lo,
                hi: b.hi,
                pairs: scores.len(),
                source: format!(
                    "{} ({who} on `{}`, {} pairwise scores; band = mean ± 1 SD)",
                    h.source,
                    d.name,
                    scores.len()
                ),
            }
        })
        .collect())
}

#[cfg(feature = "torch")]
pub(crate) use train::run_study;

#[cfg(not(feature = "torch"))]
pub(crate) fn run_study(_: &StudyContext<'_>) -> Result<StudyOutcome> {
    Err(RunError::Invalid(format!(
        "the suite has an `efficiency:` study, but {}",
        crate::models::NO_TORCH.trim_start_matches("this sensibench ")
    )))
}

/// What the study needs from the run.
#[cfg_attr(not(feature = "torch"), allow(dead_code))]
pub(crate) struct StudyContext<'a> {
    pub plan: &'a Plan,
    pub eff: &'a EfficiencyPlan,
    pub info: &'a EfficiencyInfo,
    pub datasets: &'a [(&'a DatasetPlan, Vec<Sample>)],
    pub run_dir: &'a std::path::Path,
    pub run_id: &'a str,
    pub git_sha: &'a str,
    pub resume: bool,
    pub progress: bool,
    /// The units this process runs (a shard's, or all).
    pub owned: &'a crate::shard::Ownership,
}

/// The study's fine-tunings as shard units (`efficiency/<part>.parquet`),
/// in the order the study runs them.
pub(crate) fn units(
    eff: &EfficiencyPlan,
    info: &EfficiencyInfo,
    datasets: &[(&DatasetPlan, Vec<Sample>)],
) -> Vec<crate::shard::Unit> {
    let mut out = Vec::new();
    for study in &info.datasets {
        let voxels = datasets
            .iter()
            .find(|(d, _)| d.name == study.name)
            .map_or(0.0, |(_, s)| crate::units::mean_voxels(s));
        for source in &eff.sources {
            for (label, n) in &study.sizes {
                let steps = steps_for(eff.schedule, *n, eff.batch_size) as f64;
                for fold in 0..eff.folds {
                    for repeat in 0..eff.repeats {
                        out.push(crate::shard::Unit {
                            name: format!(
                                "efficiency/{}.parquet",
                                part_name(&study.name, &source.name, label, fold, repeat)
                            ),
                            cost: steps * eff.batch_size as f64 * voxels * 3.0,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The file name (without `.parquet`) of one fine-tuning's part.
pub(crate) fn part_name(
    study: &str,
    source: &str,
    label: &str,
    fold: usize,
    repeat: usize,
) -> String {
    format!(
        "{}__{}__n{}__f{fold}__r{repeat}",
        crate::sanitize(study),
        crate::sanitize(source),
        label
    )
}

/// What the study did.
#[derive(Clone, Debug, Default)]
pub(crate) struct StudyOutcome {
    pub parts_written: usize,
    pub parts_skipped: usize,
    pub rows: usize,
    pub failed_rows: usize,
}

#[cfg(feature = "torch")]
mod train {
    use indicatif::{ProgressBar, ProgressStyle};
    use sensibench_backends_tch::{
        Augment, FineTuneConfig, FineTuneReport, Loss, Optimizer, TorchScriptModel, TrainingSet,
        fine_tune,
    };
    use sensibench_core::{HARNESS_VERSION, Image, Sample};
    use sensibench_metrics::{ClinicalMeasure, SegMetric, score_class};
    use sensibench_results::{EfficiencyRow, Status, write_efficiency_part};
    use sensibench_suite::plan::{OptimizerPlan, Postprocess, SourcePlan};

    use super::{StudyContext, StudyOutcome, steps_for, training_subset};
    use crate::manifest::StudyDataset;
    use crate::pipeline::{prepare_input, prepare_reference};
    use crate::{Predictor, Result, RunError};

    /// One scored quantity: a suite metric or a clinical measure.
    enum Score {
        Metric(SegMetric),
        Measure(ClinicalMeasure),
    }

    /// What every fine-tuning of the study scores.
    struct Scoring {
        /// The suite metrics, then the clinical measures, by name.
        scores: Vec<(String, Score)>,
        /// The non-background classes.
        classes: Vec<u8>,
    }

    /// One study dataset, its samples prepared at the model size once.
    struct StudyData<'a> {
        samples: &'a [Sample],
        /// `(input, labels)` per sample.
        prepared: Vec<(Vec<f32>, Vec<u8>)>,
        /// Sample indices per fold.
        folds: Vec<Vec<usize>>,
    }

    /// One fine-tuning of the study (one unit, one part file).
    struct FineTuning<'a> {
        study: &'a StudyDataset,
        source: &'a SourcePlan,
        source_hash: &'a str,
        /// The declared training size (`5`, `all`) and its `n`.
        label: &'a str,
        n: usize,
        fold: usize,
        repeat: usize,
    }

    pub(crate) fn run_study(cx: &StudyContext<'_>) -> Result<StudyOutcome> {
        let eff = cx.eff;
        let scoring = scoring(cx)?;
        let bar = progress_bar(cx);
        let mut outcome = StudyOutcome::default();
        for study in &cx.info.datasets {
            let Some((_, samples)) = cx.datasets.iter().find(|(d, _)| d.name == study.name) else {
                continue;
            };
            let data = study_data(cx, study, samples)?;
            for (si, source) in eff.sources.iter().enumerate() {
                let source_hash = cx
                    .info
                    .sources
                    .get(si)
                    .map(|s| s.hash.clone())
                    .unwrap_or_default();
                for (label, n) in &study.sizes {
                    for fold in 0..eff.folds {
                        for repeat in 0..eff.repeats {
                            let unit = FineTuning {
                                study,
                                source,
                                source_hash: &source_hash,
                                label,
                                n: *n,
                                fold,
                                repeat,
                            };
                            run_unit(cx, &scoring, &data, &unit, &bar, &mut outcome)?;
                        }
                    }
                }
            }
        }
        bar.finish_and_clear();
        Ok(outcome)
    }

    /// The suite's metrics and the study's measures, and the classes scored.
    fn scoring(cx: &StudyContext<'_>) -> Result<Scoring> {
        let mut scores: Vec<(String, Score)> = Vec::new();
        for m in &cx.plan.metrics {
            scores.push((m.clone(), Score::Metric(SegMetric::from_name(m)?)));
        }
        for m in &cx.eff.measures {
            scores.push((m.clone(), Score::Measure(ClinicalMeasure::from_name(m)?)));
        }
        let classes: Vec<u8> = (1..cx.plan.classes.len()).map(|c| c as u8).collect();
        Ok(Scoring { scores, classes })
    }

    /// The bar of the study's fine-tunings (hidden without `progress`).
    fn progress_bar(cx: &StudyContext<'_>) -> ProgressBar {
        let eff = cx.eff;
        let total: usize = cx
            .info
            .datasets
            .iter()
            .map(|d| d.sizes.len() * eff.folds * eff.repeats * eff.sources.len())
            .sum();
        if cx.progress {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} fine-tunings  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        } else {
            ProgressBar::hidden()
        }
    }

    /// The inputs and labels of `samples` at the model size, and the folds
    /// of `study` as sample indices.
    fn study_data<'a>(
        cx: &StudyContext<'_>,
        study: &StudyDataset,
        samples: &'a [Sample],
    ) -> Result<StudyData<'a>> {
        let eff = cx.eff;
        let mut prepared: Vec<(Vec<f32>, Vec<u8>)> = Vec::with_capacity(samples.len());
        for s in samples {
            let x = prepare_input(&s.image, &eff.preprocess)?;
            let mask = s
                .mask
                .as_ref()
                .ok_or_else(|| RunError::Invalid(format!("sample `{}` has no mask", s.id)))?;
            let y: Vec<u8> = prepare_reference(mask, &eff.preprocess)?
                .iter()
                .map(|&v| v as u8)
                .collect();
            prepared.push((x, y));
        }
        let folds: Vec<Vec<usize>> = study
            .folds
            .iter()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| samples.iter().position(|s| &s.id == id))
                    .collect()
            })
            .collect();
        Ok(StudyData {
            samples,
            prepared,
            folds,
        })
    }

    /// Runs one fine-tuning, unless another shard owns it or (`resume`) its
    /// part exists: trains on the subset, scores the held-out fold, writes
    /// the part.
    fn run_unit(
        cx: &StudyContext<'_>,
        scoring: &Scoring,
        data: &StudyData<'_>,
        u: &FineTuning<'_>,
        bar: &ProgressBar,
        outcome: &mut StudyOutcome,
    ) -> Result<()> {
        let (eff, plan, study) = (cx.eff, cx.plan, u.study);
        let part = super::part_name(&study.name, &u.source.name, u.label, u.fold, u.repeat);
        if !cx.owned.owns(&format!("efficiency/{part}.parquet")) {
            bar.inc(1);
            return Ok(());
        }
        if cx.resume && sensibench_results::efficiency_part_path(cx.run_dir, &part).is_file() {
            outcome.parts_skipped += 1;
            bar.inc(1);
            return Ok(());
        }
        bar.set_message(format!(
            "{} · {} · n = {} · fold {}",
            study.name,
            u.source.name,
            u.label,
            u.fold + 1
        ));
        let subset = training_subset(&data.folds, u.fold, u.repeat, u.n, plan.seed, &study.name);
        let [h, w] = eff.preprocess.size.unwrap_or([0, 0]);
        let set = TrainingSet::new(
            subset.iter().map(|&i| data.prepared[i].0.clone()).collect(),
            subset.iter().map(|&i| data.prepared[i].1.clone()).collect(),
            [1, h, w],
        )?;
        let steps = steps_for(eff.schedule, u.n, eff.batch_size);
        let cfg = fine_tune_config(cx, u, steps);
        let name = format!("{}@n{}f{}", u.source.name, u.label, u.fold);
        let trained = fine_tune(&name, &u.source.path, &set, &cfg);
        let test: Vec<&Sample> = data.folds[u.fold]
            .iter()
            .map(|&i| &data.samples[i])
            .collect();
        let base = base_row(cx, u, steps);
        let rows = match trained {
            Err(e) => failed_rows(&base, &test, scoring, &plan.classes, &e.to_string()),
            Ok((model, report)) => scored_rows(cx, &name, model, &report, base, &test, scoring),
        };
        outcome.failed_rows += rows.iter().filter(|r| r.status == Status::Failed).count();
        outcome.rows += rows.len();
        write_efficiency_part(cx.run_dir, &part, &rows)?;
        outcome.parts_written += 1;
        bar.inc(1);
        Ok(())
    }

    /// The study's recipe for one fine-tuning, seeded by (suite seed,
    /// dataset, source, n, fold, repeat).
    fn fine_tune_config(cx: &StudyContext<'_>, u: &FineTuning<'_>, steps: usize) -> FineTuneConfig {
        let (eff, plan) = (cx.eff, cx.plan);
        FineTuneConfig {
            steps,
            batch_size: eff.batch_size,
            optimizer: match eff.optimizer {
                OptimizerPlan::Adam => Optimizer::Adam,
                OptimizerPlan::AdamW => Optimizer::AdamW,
                OptimizerPlan::Sgd { momentum } => Optimizer::Sgd { momentum },
            },
            learning_rate: eff.learning_rate,
            weight_decay: eff.weight_decay,
            loss: Loss {
                ce_weight: eff.ce_weight,
                dice_weight: eff.dice_weight,
            },
            augment: Augment {
                flip_x: eff.augment.flip_x,
                flip_y: eff.augment.flip_y,
                rot90: eff.augment.rot90,
                scale: eff.augment.scale,
                shift: eff.augment.shift,
            },
            classes: plan.classes.len(),
            seed: sensibench_core::derive_seed(
                plan.seed,
                &[
                    "finetune",
                    &u.study.name,
                    &u.source.name,
                    &u.n.to_string(),
                    &u.fold.to_string(),
                    &u.repeat.to_string(),
                ],
            ),
            threads: eff.threads,
        }
    }

    /// The fields every row of one fine-tuning shares (sample, class,
    /// metric and scores left empty).
    fn base_row(cx: &StudyContext<'_>, u: &FineTuning<'_>, steps: usize) -> EfficiencyRow {
        let plan = cx.plan;
        EfficiencyRow {
            run_id: cx.run_id.to_string(),
            suite: plan.name.clone(),
            suite_hash: plan.suite_hash.clone(),
            harness_version: HARNESS_VERSION.into(),
            git_sha: cx.git_sha.to_string(),
            seed: plan.seed,
            source: u.source.name.clone(),
            source_hash: u.source_hash.to_string(),
            dataset: u.study.name.clone(),
            sample: String::new(),
            n: u.n as u32,
            n_label: u.label.to_string(),
            fold: u.fold as u32,
            repeat: u.repeat as u32,
            class: String::new(),
            class_index: 0,
            metric: String::new(),
            value: None,
            reference_value: None,
            steps: steps as u32,
            final_loss: None,
            train_seconds: 0.0,
            status: Status::Ok,
            error: None,
        }
    }

    /// A failed row per (test sample, class, score) of a fine-tuning that
    /// failed with `reason`.
    fn failed_rows(
        base: &EfficiencyRow,
        test: &[&Sample],
        scoring: &Scoring,
        names: &[String],
        reason: &str,
    ) -> Vec<EfficiencyRow> {
        let mut rows = Vec::new();
        for s in test {
            for &c in &scoring.classes {
                for (mname, _) in &scoring.scores {
                    rows.push(EfficiencyRow {
                        sample: s.id.clone(),
                        class: names[c as usize].clone(),
                        class_index: u32::from(c),
                        metric: mname.clone(),
                        status: Status::Failed,
                        error: Some(reason.to_string()),
                        ..base.clone()
                    });
                }
            }
        }
        rows
    }

    /// The fine-tuned `model` (named `name`) predicts the `test` samples,
    /// scored per class and score.
    fn scored_rows(
        cx: &StudyContext<'_>,
        name: &str,
        model: TorchScriptModel,
        report: &FineTuneReport,
        base: EfficiencyRow,
        test: &[&Sample],
        scoring: &Scoring,
    ) -> Vec<EfficiencyRow> {
        let mut predictor = Predictor::with_processing(
            name,
            Box::new(model),
            cx.eff.preprocess.clone(),
            Postprocess::Argmax,
            8,
        );
        let items: Vec<crate::Item<'_>> = test.iter().map(|s| (&s.image, None)).collect();
        let preds = predictor.predict(&items);
        let base = EfficiencyRow {
            final_loss: report.losses.last().copied(),
            train_seconds: report.seconds,
            ..base
        };
        let mut rows = Vec::new();
        for (s, pred) in test.iter().zip(preds) {
            score_sample(
                &base,
                s,
                &pred,
                &scoring.classes,
                &cx.plan.classes,
                &scoring.scores,
                &mut rows,
            );
        }
        rows
    }

    fn score_sample(
        base: &EfficiencyRow,
        s: &sensibench_core::Sample,
        pred: &std::result::Result<sensibench_core::LabelMap, String>,
        classes: &[u8],
        names: &[String],
        scores: &[(String, Score)],
        rows: &mut Vec<EfficiencyRow>,
    ) {
        let reference = s.mask.as_ref();
        for &c in classes {
            for (mname, score) in scores {
                let mut row = EfficiencyRow {
                    sample: s.id.clone(),
                    class: names[c as usize].clone(),
                    class_index: u32::from(c),
                    metric: mname.clone(),
                    ..base.clone()
                };
                let result: std::result::Result<(f64, Option<f64>), String> =
                    match (pred, reference) {
                        (Err(e), _) => Err(e.clone()),
                        (_, None) => Err("no reference mask".into()),
                        (Ok(p), Some(r)) => match score {
                            Score::Metric(m) => score_class(p, r, c, &[*m])
                                .map(|v| (v[0], None))
                                .map_err(|e| e.to_string()),
                            Score::Measure(m) => {
                                measure(*m, &s.image, p, r, c).map_err(|e| e.to_string())
                            }
                        },
                    };
                match result {
                    Ok((v, reference_value)) => {
                        row.value = Some(v);
                        row.reference_value = reference_value;
                    }
                    Err(e) => {
                        row.status = Status::Failed;
                        row.error = Some(e);
                    }
                }
                rows.push(row);
            }
        }
    }

    fn measure(
        m: ClinicalMeasure,
        image: &Image,
        pred: &sensibench_core::LabelMap,
        reference: &sensibench_core::LabelMap,
        class: u8,
    ) -> sensibench_core::Result<(f64, Option<f64>)> {
        let p = m.compute(image, pred, class)?;
        let r = m.compute(image, reference, class)?;
        Ok((p, Some(r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sensibench_core::{Grid, Image};
    use sensibench_suite::plan::ReferenceMode;

    fn samples(n: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let g = Grid::new_2d(2, 2, [1.0, 1.0]).expect("grid");
                Sample::new(
                    format!("s{i:02}"),
                    Image::new(g, vec![0.0; 4]).expect("img"),
                    None,
                )
                .expect("sample")
            })
            .collect()
    }

    fn plan(source: DatasetSource) -> DatasetPlan {
        DatasetPlan {
            markers: None,
            name: "d".into(),
            source,
            reference: ReferenceMode::GroundTruth,
            limit: None,
        }
    }

    #[test]
    fn phantom_folds_keep_subjects_together() {
        let d = plan(DatasetSource::PhantomCt {
            subjects: 6,
            slices_per_subject: 3,
            size: 32,
            observers: 0,
        });
        let folds = assign_folds(&d, &samples(18), 4, 7);
        // 6 subjects dealt to 4 folds: sizes 2, 2, 1, 1 subjects
        let mut sizes: Vec<usize> = folds.iter().map(Vec::len).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, [3, 3, 6, 6]);
        // every sample exactly once, and a subject's 3 slices in one fold
        let mut all: Vec<usize> = folds.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..18).collect::<Vec<_>>());
        for f in &folds {
            for &i in f {
                let subject = i / 3;
                assert!((subject * 3..subject * 3 + 3).all(|j| f.contains(&j)));
            }
        }
        // deterministic, and the seed matters
        assert_eq!(folds, assign_folds(&d, &samples(18), 4, 7));
        let other: Vec<Vec<Vec<usize>>> = (8..20)
            .map(|s| assign_folds(&d, &samples(18), 4, s))
            .collect();
        assert!(other.iter().any(|f| f != &folds));
    }

    #[test]
    fn other_folds_are_contiguous_blocks() {
        let d = plan(DatasetSource::DicomFolder { path: "x".into() });
        let folds = assign_folds(&d, &samples(10), 4, 1);
        // i * 4 / 10: 0,0,0,1,1,2,2,2,3,3
        assert_eq!(
            folds,
            vec![vec![0, 1, 2], vec![3, 4], vec![5, 6, 7], vec![8, 9]]
        );
    }

    #[test]
    fn subsets_are_nested_disjoint_from_the_fold_and_seeded() {
        let folds = vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9, 10, 11]];
        let big = training_subset(&folds, 1, 0, 9, 42, "d");
        assert_eq!(big.len(), 9);
        assert!(big.iter().all(|i| !folds[1].contains(i)));
        for n in [1, 2, 5] {
            assert_eq!(training_subset(&folds, 1, 0, n, 42, "d"), big[..n].to_vec());
        }
        // capped at the pool
        assert_eq!(training_subset(&folds, 1, 0, 50, 42, "d").len(), 9);
        // another repeat or dataset draws another order
        assert_ne!(training_subset(&folds, 1, 1, 9, 42, "d"), big);
        assert_ne!(training_subset(&folds, 1, 0, 9, 42, "e"), big);
    }

    #[test]
    fn steps_by_schedule() {
        assert_eq!(steps_for(Schedule::Steps(40), 1, 4), 40);
        assert_eq!(steps_for(Schedule::Steps(40), 20, 4), 40);
        // epochs: ceil(epochs * n / min(batch, n))
        assert_eq!(steps_for(Schedule::Epochs(10), 1, 4), 10);
        assert_eq!(steps_for(Schedule::Epochs(10), 2, 4), 10);
        assert_eq!(steps_for(Schedule::Epochs(10), 5, 4), 13);
        assert_eq!(steps_for(Schedule::Epochs(3), 20, 4), 15);
    }

    #[test]
    fn suite_measures_are_the_metric_crate_measures() {
        let names: Vec<&str> = sensibench_metrics::ClinicalMeasure::ALL
            .iter()
            .map(|m| m.name())
            .collect();
        assert_eq!(names, sensibench_suite::MEASURES);
    }
}
