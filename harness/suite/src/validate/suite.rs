//! The entry point of validation, [`validate`], and the suite-wide sections:
//! required keys, name, classes, the `datasets:` list with its fallbacks,
//! metrics, report and the optional studies (each checked by its module).

use std::collections::HashMap;

use sensibench_core::did_you_mean;
use serde_saphyr::Spanned;

use super::checker::{Checker, Context, backticked};
use super::dataset::{DatasetOutcome, dataset};
use super::{classification, efficiency, labels, model, perturbation, regression};
use crate::plan::{
    DatasetPlan, EfficiencyPlan, LabelStudyPlan, PerturbationPlan, Plan, ReferenceMode,
    RegressionPlan, ReportOptions, SaliencyPlan, ShortcutPlan, SkippedDataset, StatisticsPlan,
    Task,
};
use crate::position::{Pos, pos};
use crate::raw::{RawDataset, RawReport, RawSuite};

/// Validates `raw`; returns the plan or every problem found.
pub(crate) fn validate(raw: RawSuite, ctx: &Context) -> Result<Plan, Vec<(Pos, String)>> {
    let mut ck = Checker::new(ctx);
    required_keys(&mut ck, &raw);
    if let Some(n) = &raw.name {
        suite_name(&mut ck, n);
    }
    let task = raw.task.as_ref().map_or(Task::Segmentation, |t| t.value);
    let class_names: Vec<String> = raw
        .classes
        .as_ref()
        .map(|c| c.value.iter().map(|x| x.value.clone()).collect())
        .unwrap_or_default();
    if let Some(classes) = &raw.classes {
        check_classes(&mut ck, classes, task);
    }
    let reference = raw
        .reference
        .as_ref()
        .map_or(ReferenceMode::GroundTruth, |r| r.value);
    let data = raw
        .datasets
        .as_ref()
        .map(|list| datasets(&mut ck, list, reference, task, &class_names))
        .unwrap_or_default();
    let models = raw
        .models
        .as_ref()
        .map_or_else(Vec::new, |list| model::models(&mut ck, list, task));
    let perturbations = raw
        .perturbations
        .as_ref()
        .map_or_else(Vec::new, |list| perturbation::perturbations(&mut ck, list));
    let metrics = raw
        .metrics
        .as_ref()
        .map_or_else(Vec::new, |list| metrics(&mut ck, list, task));
    let primary_metric = raw.report.as_ref().and_then(|r| r.primary_metric.as_ref());
    if let Some(pm) = primary_metric
        && raw.metrics.is_some()
    {
        check_primary_metric(&mut ck, pm, &metrics);
    }
    let n_classes = class_names.len();
    let studies = studies(
        &mut ck,
        &raw,
        task,
        n_classes,
        &data,
        &perturbations,
        &metrics,
    );

    // Every missing required key has been reported above, so the `else`
    // branch always carries errors.
    let (Some(name), Some(seed), Some(task), Some(classes)) =
        (raw.name, raw.seed, raw.task, raw.classes)
    else {
        return Err(ck.errors);
    };
    if !ck.errors.is_empty() {
        return Err(ck.errors);
    }
    Ok(Plan {
        name: name.value,
        description: raw.description.unwrap_or_default().trim().to_string(),
        suite_path: ctx.suite_path.clone(),
        suite_hash: ctx.suite_hash.clone(),
        seed: seed.value,
        task: task.value,
        classes: classes.value.into_iter().map(|c| c.value).collect(),
        reference,
        datasets: data.ready,
        skipped_datasets: data.skipped,
        models,
        perturbations,
        metrics,
        report: report_options(raw.report.unwrap_or_default()),
        efficiency: studies.efficiency,
        statistics: studies.statistics,
        shortcut: studies.shortcut,
        saliency: studies.saliency,
        labels: studies.labels,
        regression: studies.regression,
    })
}

/// Reports every missing required top-level key, at the top of the file.
fn required_keys(ck: &mut Checker, raw: &RawSuite) {
    let top = Pos { line: 1, column: 1 };
    for (key, present) in [
        ("name", raw.name.is_some()),
        ("seed", raw.seed.is_some()),
        ("task", raw.task.is_some()),
        ("classes", raw.classes.is_some()),
        ("datasets", raw.datasets.is_some()),
        // a data-efficiency or label study trains its own models
        (
            "models",
            raw.models.is_some() || raw.efficiency.is_some() || raw.labels.is_some(),
        ),
        (
            "perturbations",
            raw.perturbations.is_some() || raw.efficiency.is_some(),
        ),
        ("metrics", raw.metrics.is_some()),
    ] {
        if !present {
            ck.error(top, format!("missing key `{key}`"));
        }
    }
}

/// `name:` of the suite: a-z, 0-9, `_` and `-`.
fn suite_name(ck: &mut Checker, n: &Spanned<String>) {
    let name = &n.value;
    if name.is_empty() {
        ck.error(pos(n), "suite name is empty");
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')))
    {
        ck.error(
            pos(n),
            format!("suite name `{name}` contains {c:?}; use a-z, 0-9, `_` and `-`"),
        );
    }
}

/// `classes:` of a suite of `task`: enough of them, named, each once.
fn check_classes(ck: &mut Checker, classes: &Spanned<Vec<Spanned<String>>>, task: Task) {
    if classes.value.len() < 2 {
        let what = match task {
            Task::Segmentation => {
                "a segmentation suite needs at least 2 classes (background first)"
            }
            Task::Classification => "a classification suite needs at least 2 classes",
        };
        ck.error(pos(classes), format!("{what}, got {}", classes.value.len()));
    }
    if task == Task::Classification && classes.value.len() > 256 {
        ck.error(pos(classes), "at most 256 classes");
    }
    for c in &classes.value {
        if c.value.trim().is_empty() {
            ck.error(pos(c), "class name is empty");
        }
    }
    ck.check_unique(
        "class",
        classes.value.iter().map(|c| (c.value.as_str(), pos(c))),
        "",
    );
}

/// The checked `datasets:` list.
#[derive(Default)]
struct Datasets {
    /// The datasets to run (unused fallbacks left out).
    ready: Vec<DatasetPlan>,
    /// The optional datasets whose data is absent.
    skipped: Vec<SkippedDataset>,
    /// Every dataset name declared, in file order.
    declared: Vec<String>,
    /// Skipped dataset -> the fallback used in its place.
    redirect: HashMap<String, String>,
}

/// `datasets:`: names unique, every dataset checked, fallbacks resolved.
fn datasets(
    ck: &mut Checker,
    list: &Spanned<Vec<Spanned<RawDataset>>>,
    reference: ReferenceMode,
    task: Task,
    class_names: &[String],
) -> Datasets {
    ck.check_named_list(
        list,
        "`datasets` is empty; list at least one",
        "dataset name",
        |d| &d.name,
    );
    let mut out = Datasets::default();
    for d in &list.value {
        match dataset(ck, d, reference, task, class_names) {
            Some(DatasetOutcome::Ready(p)) => out.ready.push(p),
            Some(DatasetOutcome::Skipped(s)) => out.skipped.push(s),
            None => {}
        }
    }
    out.declared = list
        .value
        .iter()
        .map(|d| d.value.name.value.clone())
        .collect();
    fallbacks(ck, list, &mut out);
    out
}

/// `fallback_for:`: a fallback is used only when the dataset it stands in
/// for is skipped.
fn fallbacks(ck: &mut Checker, list: &Spanned<Vec<Spanned<RawDataset>>>, out: &mut Datasets) {
    for d in &list.value {
        let Some(f) = &d.value.fallback_for else {
            continue;
        };
        let names: Vec<&str> = list
            .value
            .iter()
            .map(|x| x.value.name.value.as_str())
            .collect();
        if f.value == d.value.name.value || !names.contains(&f.value.as_str()) {
            ck.error(
                pos(f),
                format!(
                    "`fallback_for` names another dataset of the suite ({}), got `{}`",
                    backticked(names.iter().copied().filter(|n| *n != d.value.name.value)),
                    f.value
                ),
            );
            continue;
        }
        if out.skipped.iter().any(|s| s.name == f.value) {
            out.redirect
                .insert(f.value.clone(), d.value.name.value.clone());
        } else {
            out.ready.retain(|x| x.name != d.value.name.value);
        }
    }
}

/// `metrics:`, among the catalog's metrics of `task`, each once.
fn metrics(ck: &mut Checker, list: &Spanned<Vec<Spanned<String>>>, task: Task) -> Vec<String> {
    if list.value.is_empty() {
        ck.error(pos(list), "`metrics` is empty; list at least one");
    }
    let known = match task {
        Task::Segmentation => ck.ctx.catalog.metrics,
        Task::Classification => ck.ctx.catalog.classification_metrics,
    };
    for m in &list.value {
        if !known.contains(&m.value.as_str()) {
            let hint = match did_you_mean(&m.value, known.iter().copied()) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => format!(" (known: {})", backticked(known.iter().copied())),
            };
            ck.error(pos(m), format!("unknown metric `{}`{hint}", m.value));
        }
    }
    ck.check_unique(
        "metric",
        list.value.iter().map(|m| (m.value.as_str(), pos(m))),
        "",
    );
    list.value.iter().map(|m| m.value.clone()).collect()
}

/// `report.primary_metric` must be one of the suite's `metrics`.
fn check_primary_metric(ck: &mut Checker, pm: &Spanned<String>, metrics: &[String]) {
    if metrics.contains(&pm.value) {
        return;
    }
    let hint = match did_you_mean(&pm.value, metrics.iter().map(String::as_str)) {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => format!(
            "; it must be one of {}",
            backticked(metrics.iter().map(String::as_str))
        ),
    };
    ck.error(
        pos(pm),
        format!(
            "`primary_metric` `{}` is not among the suite's metrics{hint}",
            pm.value
        ),
    );
}

/// `report:` as the plan keeps it.
fn report_options(raw: RawReport) -> ReportOptions {
    ReportOptions {
        title: raw.title,
        strip_sample: raw.strip_sample,
        primary_metric: raw.primary_metric.map(|m| m.value),
    }
}

/// The plans of the optional study sections.
struct Studies {
    efficiency: Option<EfficiencyPlan>,
    statistics: StatisticsPlan,
    shortcut: Option<ShortcutPlan>,
    saliency: Option<SaliencyPlan>,
    labels: Option<LabelStudyPlan>,
    regression: RegressionPlan,
}

/// The studies of a suite of `task`: `efficiency:`, the classification-only sections (`statistics:`,
/// `shortcut:`, `saliency:`, `labels:`) and `regression:`.
fn studies(
    ck: &mut Checker,
    raw: &RawSuite,
    task: Task,
    n_classes: usize,
    data: &Datasets,
    perturbations: &[PerturbationPlan],
    metrics: &[String],
) -> Studies {
    let efficiency = raw
        .efficiency
        .as_ref()
        .and_then(|e| efficiency::efficiency(ck, e, &data.ready, &data.skipped, metrics));
    if let Some(e) = &raw.efficiency
        && task != Task::Segmentation
    {
        ck.error(pos(e), "`efficiency` studies fine-tune segmentation sources; this suite's task is classification");
    }

    let only_classification = |ck: &mut Checker, key: &str, at: Option<Pos>| {
        if let Some(at) = at
            && task != Task::Classification
        {
            ck.error(
                at,
                format!("`{key}` applies to `task: classification` suites"),
            );
        }
    };
    only_classification(ck, "statistics", raw.statistics.as_ref().map(pos));
    only_classification(ck, "shortcut", raw.shortcut.as_ref().map(pos));
    only_classification(ck, "saliency", raw.saliency.as_ref().map(pos));
    let statistics = classification::statistics(ck, raw.statistics.as_ref());
    let names = classification::DatasetNames {
        declared: &data.declared,
        redirect: &data.redirect,
    };
    let shortcut = raw
        .shortcut
        .as_ref()
        .map(|s| classification::shortcut(ck, s, &names, perturbations, n_classes));
    let saliency = raw
        .saliency
        .as_ref()
        .map(|s| classification::saliency(ck, s, &data.ready, &names, perturbations));
    only_classification(ck, "labels", raw.labels.as_ref().map(pos));
    let labels = raw
        .labels
        .as_ref()
        .and_then(|l| labels::labels(ck, l, &data.ready, n_classes));
    let primary_metric = raw
        .report
        .as_ref()
        .and_then(|r| r.primary_metric.as_ref())
        .map(|m| m.value.as_str());
    let regression =
        regression::regression(ck, raw.regression.as_ref(), task, metrics, primary_metric);
    Studies {
        efficiency,
        statistics,
        shortcut,
        saliency,
        labels,
        regression,
    }
}
