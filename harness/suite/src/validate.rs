//! Raw spec -> [`Plan`]: every name resolved, every path checked, every
//! problem collected with its position.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sensibench_core::{Error as CoreError, ParamValue, Params, did_you_mean, severity_level};
use serde_saphyr::Spanned;

use crate::Catalog;

mod classification;
mod efficiency;
mod labels;
mod regression;
use crate::plan::SliceSelection;
use crate::plan::{
    BackendPlan, DatasetPlan, DatasetSource, Fit, Isolation, ModelPlan, Normalize,
    PerturbationPlan, Plan, Postprocess, Preprocess, ReferenceMode, ReportOptions, Scale,
    SkippedDataset, Split, Task,
};
use crate::points::{MAX_POINTS, PointsSpec, expand_points};
use crate::raw::{
    BackendKind, PathList, RawDataset, RawFit, RawGenerator, RawInput, RawIsolate, RawModel,
    RawNormalize, RawObservers, RawOptions, RawOutput, RawPerturbation, RawPoints, RawSlices,
    RawSplit, RawSuite, SourceKind,
};
pub use efficiency::MEASURES;
pub use regression::CLASSIFICATION_REGRESSION_METRICS;

/// What a dataset without `obtain:` says about getting its files.
pub const DEFAULT_OBTAIN: &str =
    "see ../shared/data/README.md or pass --data-root / set SENSIBENCH_DATA_ROOT";

/// The phantom's size limits (those of `sensibench-data`'s phantom), checked
/// here so a bad size is reported at its line.
const PHANTOM_SIZE: std::ops::RangeInclusive<usize> = 16..=2048;

/// A 1-based (line, column) position in the suite file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub(crate) fn of_location(l: serde_saphyr::Location) -> Pos {
        Pos {
            line: usize::try_from(l.line()).unwrap_or(usize::MAX),
            column: usize::try_from(l.column()).unwrap_or(usize::MAX),
        }
    }
}

fn pos<T>(s: &Spanned<T>) -> Pos {
    Pos::of_location(s.referenced)
}

/// Where the suite file is and what names exist.
pub(crate) struct Context<'c, 'a> {
    pub suite_path: PathBuf,
    pub suite_dir: PathBuf,
    pub suite_hash: String,
    pub data_root: PathBuf,
    pub catalog: &'c Catalog<'a>,
}

/// Collects located problems.
struct Checker<'c, 'a> {
    ctx: &'c Context<'c, 'a>,
    errors: Vec<(Pos, String)>,
}

impl Checker<'_, '_> {
    fn error(&mut self, at: Pos, message: impl Into<String>) {
        self.errors.push((at, message.into()));
    }

    /// Checks a name used in file names and result rows.
    fn check_name(&mut self, what: &str, name: &Spanned<String>) {
        let n = &name.value;
        if n.is_empty() {
            self.error(pos(name), format!("{what} name is empty"));
        } else if let Some(c) = n
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            self.error(
                pos(name),
                format!("{what} name `{n}` contains {c:?}; use letters, digits, `_`, `-` and `.`"),
            );
        }
    }

    /// Reports the second and later uses of a name.
    fn check_unique<'n>(
        &mut self,
        what: &str,
        names: impl IntoIterator<Item = (&'n str, Pos)>,
        hint: &str,
    ) {
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        for (name, at) in names {
            if let Some(first) = seen.get(name) {
                self.error(
                    at,
                    format!(
                        "duplicate {what} `{name}` (first at line {}){hint}",
                        first.line
                    ),
                );
            } else {
                seen.insert(name, at);
            }
        }
    }
}

/// Validates `raw`; returns the plan or every problem found.
pub(crate) fn validate(raw: RawSuite, ctx: &Context) -> Result<Plan, Vec<(Pos, String)>> {
    let mut ck = Checker {
        ctx,
        errors: Vec::new(),
    };

    // Required top-level keys: all missing ones are reported, at the top.
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

    // name
    if let Some(n) = &raw.name {
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

    let task = raw.task.as_ref().map_or(Task::Segmentation, |t| t.value);
    let n_classes = raw.classes.as_ref().map_or(0, |c| c.value.len());
    let class_names: Vec<String> = raw
        .classes
        .as_ref()
        .map(|c| c.value.iter().map(|x| x.value.clone()).collect())
        .unwrap_or_default();
    // classes
    if let Some(classes) = &raw.classes {
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

    let reference = raw
        .reference
        .as_ref()
        .map_or(ReferenceMode::GroundTruth, |r| r.value);

    // datasets
    let mut declared: Vec<String> = Vec::new();
    let mut redirect: HashMap<String, String> = HashMap::new();
    let mut datasets = Vec::new();
    let mut skipped_datasets = Vec::new();
    if let Some(list) = &raw.datasets {
        if list.value.is_empty() {
            ck.error(pos(list), "`datasets` is empty; list at least one");
        }
        ck.check_unique(
            "dataset name",
            list.value
                .iter()
                .map(|d| (d.value.name.value.as_str(), pos(&d.value.name))),
            "",
        );
        for d in &list.value {
            match dataset(&mut ck, d, reference, task, &class_names) {
                Some(DatasetOutcome::Ready(p)) => datasets.push(p),
                Some(DatasetOutcome::Skipped(s)) => skipped_datasets.push(s),
                None => {}
            }
        }
        declared = list
            .value
            .iter()
            .map(|d| d.value.name.value.clone())
            .collect();
        // fallbacks: used only when the dataset they stand in for is skipped
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
            if skipped_datasets.iter().any(|s| s.name == f.value) {
                redirect.insert(f.value.clone(), d.value.name.value.clone());
            } else {
                datasets.retain(|x| x.name != d.value.name.value);
            }
        }
    }

    // models
    let mut models = Vec::new();
    if let Some(list) = &raw.models {
        if list.value.is_empty() {
            ck.error(pos(list), "`models` is empty; list at least one");
        }
        ck.check_unique(
            "model name",
            list.value
                .iter()
                .map(|m| (m.value.name.value.as_str(), pos(&m.value.name))),
            "",
        );
        models = list
            .value
            .iter()
            .filter_map(|m| model(&mut ck, &m.value, task))
            .collect();
    }

    // perturbations
    let mut perturbations = Vec::new();
    if let Some(list) = &raw.perturbations {
        ck.check_unique(
            "perturbation label",
            list.value.iter().map(|p| {
                let p = &p.value;
                match &p.label {
                    Some(l) => (l.value.as_str(), pos(l)),
                    None => (p.name.value.as_str(), pos(&p.name)),
                }
            }),
            "; give each a different `label:`",
        );
        perturbations = list
            .value
            .iter()
            .filter_map(|p| perturbation(&mut ck, &p.value))
            .collect();
    }

    // metrics
    let mut metrics: Vec<String> = Vec::new();
    if let Some(list) = &raw.metrics {
        if list.value.is_empty() {
            ck.error(pos(list), "`metrics` is empty; list at least one");
        }
        let known = match task {
            Task::Segmentation => ctx.catalog.metrics,
            Task::Classification => ctx.catalog.classification_metrics,
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
        metrics = list.value.iter().map(|m| m.value.clone()).collect();
    }

    // report
    let raw_report = raw.report.unwrap_or_default();
    if let Some(pm) = &raw_report.primary_metric
        && raw.metrics.is_some()
        && !metrics.contains(&pm.value)
    {
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
    let report = ReportOptions {
        title: raw_report.title,
        strip_sample: raw_report.strip_sample,
        primary_metric: raw_report.primary_metric.map(|m| m.value),
    };

    let efficiency = raw
        .efficiency
        .as_ref()
        .and_then(|e| efficiency::efficiency(&mut ck, e, &datasets, &skipped_datasets, &metrics));
    if let Some(e) = &raw.efficiency
        && task != Task::Segmentation
    {
        ck.error(pos(e), "`efficiency` studies fine-tune segmentation sources; this suite's task is classification");
    }

    // classification-only sections
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
    only_classification(&mut ck, "statistics", raw.statistics.as_ref().map(pos));
    only_classification(&mut ck, "shortcut", raw.shortcut.as_ref().map(pos));
    only_classification(&mut ck, "saliency", raw.saliency.as_ref().map(pos));
    let statistics = classification::statistics(&mut ck, raw.statistics.as_ref());
    let names = classification::DatasetNames {
        declared: &declared,
        redirect: &redirect,
    };
    let shortcut = raw
        .shortcut
        .as_ref()
        .map(|s| classification::shortcut(&mut ck, s, &names, &perturbations, n_classes));
    let saliency = raw
        .saliency
        .as_ref()
        .map(|s| classification::saliency(&mut ck, s, &datasets, &names, &perturbations));
    only_classification(&mut ck, "labels", raw.labels.as_ref().map(pos));
    let labels = raw
        .labels
        .as_ref()
        .and_then(|l| labels::labels(&mut ck, l, &datasets, n_classes));
    let regression = regression::regression(
        &mut ck,
        raw.regression.as_ref(),
        task,
        &metrics,
        report.primary_metric.as_deref(),
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
        datasets,
        skipped_datasets,
        models,
        perturbations,
        metrics,
        report,
        efficiency,
        statistics,
        shortcut,
        saliency,
        labels,
        regression,
    })
}

/// Checks a phantom's `size` against [`PHANTOM_SIZE`].
fn phantom_size(ck: &mut Checker, size: Option<&Spanned<usize>>) {
    if let Some(s) = size
        && !PHANTOM_SIZE.contains(&s.value)
    {
        ck.error(
            pos(s),
            format!(
                "phantom `size` must be between {} and {} pixels, got {}",
                PHANTOM_SIZE.start(),
                PHANTOM_SIZE.end(),
                s.value
            ),
        );
    }
}

/// A dataset's `split:` (all when absent).
fn split_of(d: &RawDataset) -> Split {
    match d.split.as_ref().map(|s| s.value) {
        None | Some(RawSplit::All) => Split::All,
        Some(RawSplit::Train) => Split::Train,
        Some(RawSplit::Test) => Split::Test,
    }
}

/// An optional count: at least `min` (an error at its position otherwise),
/// `default` when absent.
fn at_least(
    ck: &mut Checker,
    key: &str,
    v: Option<&Spanned<usize>>,
    min: usize,
    default: usize,
) -> usize {
    match v {
        Some(v) if v.value < min => {
            ck.error(
                pos(v),
                format!("`{key}` must be at least {min}, got {}", v.value),
            );
            default
        }
        Some(v) => v.value,
        None => default,
    }
}

/// `a`, `b`, `c` (for messages).
fn backticked<'n>(names: impl IntoIterator<Item = &'n str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

enum DatasetOutcome {
    Ready(DatasetPlan),
    Skipped(SkippedDataset),
}

/// A path of a dataset, to be checked under the data root.
struct DataPath {
    at: Pos,
    written: String,
    full: PathBuf,
    folder: bool,
}

fn has_masks_declared(d: &RawDataset) -> bool {
    d.masks.is_some()
}

fn dataset(
    ck: &mut Checker,
    item: &Spanned<RawDataset>,
    default_reference: ReferenceMode,
    task: Task,
    class_names: &[String],
) -> Option<DatasetOutcome> {
    let n_classes = class_names.len();
    let d = &item.value;
    let errors_before = ck.errors.len();
    let name = &d.name.value;
    ck.check_name("dataset", &d.name);
    let kind = d.source.value;

    // Which keys apply to which source.
    let present: [(&str, Option<Pos>, &[SourceKind]); 18] = {
        use SourceKind::*;
        [
            ("folders", d.folders.as_ref().map(pos), &[ClassFolders]),
            (
                "split",
                d.split.as_ref().map(pos),
                &[ClassFolders, PhantomStacks],
            ),
            ("cuts", d.cuts.as_ref().map(pos), &[PhantomStacks]),
            ("positions", d.positions.as_ref().map(pos), &[PhantomStacks]),
            (
                "per_class",
                d.per_class.as_ref().map(pos),
                &[ClassFolders, PhantomClasses],
            ),
            ("csv", d.csv.as_ref().map(pos), &[ImageCsv]),
            (
                "markers",
                d.markers.as_ref().map(pos),
                &[ClassFolders, ImageCsv, PhantomClasses],
            ),
            (
                "subjects",
                d.subjects.as_ref().map(pos),
                &[PhantomCardiac, PhantomCt, PhantomStacks],
            ),
            (
                "slices_per_subject",
                d.slices_per_subject.as_ref().map(pos),
                &[PhantomCardiac, PhantomCt, PhantomStacks],
            ),
            (
                "size",
                d.size.as_ref().map(pos),
                &[PhantomCardiac, PhantomCt, PhantomClasses, PhantomStacks],
            ),
            (
                "observers",
                d.observers.as_ref().map(pos),
                &[PhantomCt, ImageFolder],
            ),
            ("labels", d.labels.as_ref().map(pos), &[NiftiSlices]),
            (
                "images",
                d.images.as_ref().map(pos),
                &[ImageFolder, NiftiSlices],
            ),
            (
                "masks",
                d.masks.as_ref().map(pos),
                &[ImageFolder, NiftiSlices],
            ),
            ("spacing", d.spacing.as_ref().map(pos), &[ImageFolder]),
            ("axis", d.axis.as_ref().map(pos), &[NiftiSlices]),
            ("slices", d.slices.as_ref().map(pos), &[NiftiSlices]),
            (
                "path",
                d.path.as_ref().map(pos),
                &[DicomFolder, ClassFolders],
            ),
        ]
    };
    let own_keys: Vec<&str> = present
        .iter()
        .filter(|(_, _, kinds)| kinds.contains(&kind))
        .map(|(k, _, _)| *k)
        .collect();
    for (key, at, kinds) in &present {
        if let Some(at) = at
            && !kinds.contains(&kind)
        {
            ck.error(
                *at,
                format!(
                    "`{key}` does not apply to `source: {}` (its keys: {})",
                    kind.as_str(),
                    backticked(own_keys.iter().copied())
                ),
            );
        }
    }
    let source_at = pos(&d.source);
    let require = |ck: &mut Checker, key: &str, present: bool| {
        if !present {
            ck.error(
                source_at,
                format!(
                    "dataset `{name}`: `source: {}` needs `{key}`",
                    kind.as_str()
                ),
            );
        }
    };

    if let Some(limit) = &d.limit
        && limit.value == 0
    {
        ck.error(pos(limit), "`limit` must be at least 1");
    }

    let reference = d.reference.as_ref().map_or(default_reference, |r| r.value);
    let reference_at = d.reference.as_ref().map_or(source_at, pos);
    let root = &ck.ctx.data_root;
    let mut paths: Vec<DataPath> = Vec::new();
    let mut has_masks = true;

    let classification_source = matches!(
        kind,
        SourceKind::ClassFolders
            | SourceKind::ImageCsv
            | SourceKind::PhantomClasses
            | SourceKind::PhantomStacks
    );
    match (task, classification_source) {
        (Task::Segmentation, true) => ck.error(
            source_at,
            format!(
                "`source: {}` gives image-level classes; it belongs in a `task: classification` suite",
                kind.as_str()
            ),
        ),
        (Task::Classification, false) => ck.error(
            source_at,
            format!(
                "a classification suite reads `class_folders`, `image_csv`, `phantom_classes` or `phantom_stacks`, not `{}`",
                kind.as_str()
            ),
        ),
        _ => {}
    }
    let markers = d.markers.as_ref().and_then(|m| {
        if task == Task::Classification {
            classification::markers(ck, m, n_classes)
        } else {
            None
        }
    });

    let source = match kind {
        SourceKind::ClassFolders => {
            require(ck, "path", d.path.is_some());
            let path = d.path.as_ref().map(|p| {
                let full = root.join(&p.value);
                paths.push(DataPath {
                    at: pos(p),
                    written: p.value.clone(),
                    full: full.clone(),
                    folder: true,
                });
                full
            });
            let folders: Vec<String> = match &d.folders {
                Some(f) => {
                    if f.value.len() != n_classes {
                        ck.error(
                            pos(f),
                            format!(
                                "`folders` lists {} folders; give one per class ({n_classes}, in `classes:` order)",
                                f.value.len()
                            ),
                        );
                    }
                    f.value.iter().map(|x| x.value.clone()).collect()
                }
                None => class_names.to_vec(),
            };
            if let Some(base) = &path {
                for (i, f) in folders.iter().enumerate() {
                    let at = d
                        .folders
                        .as_ref()
                        .and_then(|l| l.value.get(i).map(pos))
                        .unwrap_or(source_at);
                    paths.push(DataPath {
                        at,
                        written: format!(
                            "{}/{f}",
                            d.path.as_ref().map_or("", |p| p.value.as_str())
                        ),
                        full: base.join(f),
                        folder: true,
                    });
                }
            }
            if let Some(n) = &d.per_class
                && n.value == 0
            {
                ck.error(pos(n), "`per_class` must be at least 1");
            }
            DatasetSource::ClassFolders {
                path: path.unwrap_or_default(),
                folders,
                split: split_of(d),
                per_class: d.per_class.as_ref().map(|n| n.value),
            }
        }
        SourceKind::ImageCsv => {
            require(ck, "csv", d.csv.is_some());
            let csv = d.csv.as_ref().map(|c| {
                let full = ck.ctx.suite_dir.join(&c.value);
                match std::fs::metadata(&full) {
                    Ok(m) if m.is_file() => {}
                    _ => ck.error(
                        pos(c),
                        format!(
                            "dataset `{name}`: CSV `{}` not found (looked for {}; the CSV is relative to the suite file's folder, the images in it to the data root)",
                            c.value,
                            full.display()
                        ),
                    ),
                }
                full
            });
            DatasetSource::ImageCsv {
                csv: csv.unwrap_or_default(),
                data_root: root.clone(),
            }
        }
        SourceKind::PhantomStacks => {
            require(ck, "subjects", d.subjects.is_some());
            require(ck, "slices_per_subject", d.slices_per_subject.is_some());
            require(ck, "size", d.size.is_some());
            require(ck, "cuts", d.cuts.is_some());
            if let Some(v) = &d.subjects
                && v.value < 2
            {
                ck.error(pos(v), "`subjects` must be at least 2");
            }
            if let Some(v) = &d.slices_per_subject
                && v.value < 2
            {
                ck.error(
                    pos(v),
                    "`slices_per_subject` must be at least 2 (base to apex)",
                );
            }
            phantom_size(ck, d.size.as_ref());
            let cuts: Vec<f64> = d
                .cuts
                .as_ref()
                .map(|c| c.value.iter().map(|x| x.value).collect())
                .unwrap_or_default();
            let (lo, hi) = crate::plan::STACK_POSITIONS;
            let positions = match &d.positions {
                None => [0.0, 1.0],
                Some(p) => match p.value.as_slice() {
                    [a, b] if a.value >= lo && b.value <= hi && a.value < b.value => {
                        [a.value, b.value]
                    }
                    _ => {
                        ck.error(
                            pos(p),
                            format!(
                                "`positions` takes the first and last slice's position, increasing, within [{lo}, {hi}] (0 = base, 1 = apex)"
                            ),
                        );
                        [0.0, 1.0]
                    }
                },
            };
            if let Some(c) = &d.cuts {
                let [first, last] = positions;
                let ok = cuts
                    .iter()
                    .all(|x| x.is_finite() && *x > first && *x < last)
                    && cuts.windows(2).all(|w| w[0] < w[1]);
                if !ok {
                    ck.error(
                        pos(c),
                        format!(
                            "`cuts` must be increasing positions inside `positions` ({first}, {last}) (0 = base, 1 = apex)"
                        ),
                    );
                } else if cuts.len() + 1 != n_classes {
                    ck.error(
                        pos(c),
                        format!(
                            "`cuts` has {} points, giving {} classes; the suite has {n_classes} classes",
                            cuts.len(),
                            cuts.len() + 1
                        ),
                    );
                }
            }
            DatasetSource::PhantomStacks {
                subjects: d.subjects.as_ref().map_or(2, |n| n.value),
                slices_per_subject: d.slices_per_subject.as_ref().map_or(2, |n| n.value),
                size: d.size.as_ref().map_or(64, |n| n.value),
                positions,
                cuts,
                split: split_of(d),
            }
        }
        SourceKind::PhantomClasses => {
            require(ck, "per_class", d.per_class.is_some());
            require(ck, "size", d.size.is_some());
            if let Some(n) = &d.per_class
                && n.value == 0
            {
                ck.error(pos(n), "`per_class` must be at least 1");
            }
            phantom_size(ck, d.size.as_ref());
            DatasetSource::PhantomClasses {
                per_class: d.per_class.as_ref().map_or(1, |n| n.value),
                size: d.size.as_ref().map_or(64, |n| n.value),
            }
        }
        SourceKind::PhantomCardiac | SourceKind::PhantomCt => {
            require(ck, "subjects", d.subjects.is_some());
            require(ck, "slices_per_subject", d.slices_per_subject.is_some());
            require(ck, "size", d.size.is_some());
            for (key, v) in [
                ("subjects", &d.subjects),
                ("slices_per_subject", &d.slices_per_subject),
            ] {
                if let Some(v) = v
                    && v.value == 0
                {
                    ck.error(pos(v), format!("`{key}` must be at least 1"));
                }
            }
            phantom_size(ck, d.size.as_ref());
            let subjects = d.subjects.as_ref().map_or(0, |v| v.value);
            let slices_per_subject = d.slices_per_subject.as_ref().map_or(0, |v| v.value);
            let size = d.size.as_ref().map_or(0, |v| v.value);
            if kind == SourceKind::PhantomCt {
                let observers = match d.observers.as_ref() {
                    None => 0,
                    Some(o) => match &o.value {
                        RawObservers::Count(1) => {
                            ck.error(
                                pos(o),
                                "`observers` must be 0 (none) or at least 2: agreement needs pairs",
                            );
                            0
                        }
                        RawObservers::Count(n) => usize::try_from(*n).unwrap_or(usize::MAX),
                        RawObservers::Folders(_) => {
                            ck.error(
                                pos(o),
                                "a phantom's `observers` is a number of simulated observers",
                            );
                            0
                        }
                    },
                };
                DatasetSource::PhantomCt {
                    subjects,
                    slices_per_subject,
                    size,
                    observers,
                }
            } else {
                DatasetSource::PhantomCardiac {
                    subjects,
                    slices_per_subject,
                    size,
                }
            }
        }
        SourceKind::ImageFolder => {
            require(ck, "images", d.images.is_some());
            require(ck, "spacing", d.spacing.is_some());
            let images = d
                .images
                .as_ref()
                .and_then(|p| single_path(ck, "images", p, root, &mut paths));
            let masks = d
                .masks
                .as_ref()
                .and_then(|p| single_path(ck, "masks", p, root, &mut paths));
            has_masks = d.masks.is_some();
            let mut observers = Vec::new();
            match d.observers.as_ref().map(|o| (o, &o.value)) {
                None => {}
                Some((_, RawObservers::Folders(list))) if list.len() >= 2 => {
                    for f in list {
                        let full = root.join(&f.value);
                        paths.push(DataPath {
                            at: pos(f),
                            written: f.value.clone(),
                            full: full.clone(),
                            folder: true,
                        });
                        observers.push(full);
                    }
                }
                Some((o, _)) => ck.error(
                    pos(o),
                    "`observers` of an `image_folder` is a list of at least 2 folders of masks (one per observer, named as the images)",
                ),
            }
            let mut spacing = [1.0, 1.0];
            if let Some(s) = &d.spacing {
                if s.value.len() == 2 && s.value.iter().all(|v| v.is_finite() && *v > 0.0) {
                    spacing = [s.value[0], s.value[1]];
                } else {
                    ck.error(
                        pos(s),
                        format!(
                            "`spacing` must be [dy, dx] in mm, two finite numbers > 0; got {:?}",
                            s.value
                        ),
                    );
                }
            }
            DatasetSource::ImageFolder {
                images: images.unwrap_or_default(),
                masks,
                spacing,
                observers,
            }
        }
        SourceKind::NiftiSlices => {
            require(ck, "images", d.images.is_some());
            require(ck, "axis", d.axis.is_some());
            let images: Vec<PathBuf> = match &d.images {
                Some(list) => path_list(ck, "images", list, root, &mut paths, false)
                    .into_iter()
                    .flatten()
                    .collect(),
                None => Vec::new(),
            };
            let masks: Vec<Option<PathBuf>> = match &d.masks {
                Some(list) => {
                    let masks = path_list(ck, "masks", list, root, &mut paths, true);
                    if d.images.is_some() && masks.len() != images.len() {
                        ck.error(
                            pos(list),
                            format!(
                                "`masks` lists {} files but `images` lists {}; give one mask (or ~) per image",
                                masks.len(),
                                images.len()
                            ),
                        );
                    }
                    if reference == ReferenceMode::GroundTruth
                        && let PathList::Many(items) = &list.value
                    {
                        for item in items.iter().filter(|i| i.value.is_none()) {
                            ck.error(
                                pos(item),
                                format!(
                                    "dataset `{name}` is scored against `ground_truth`, so every image needs a mask; \
                                     set `reference: unperturbed_prediction` to use images without masks"
                                ),
                            );
                        }
                    }
                    masks
                }
                None => {
                    has_masks = false;
                    vec![None; images.len()]
                }
            };
            let slices = match &d.slices {
                None => SliceSelection::All,
                Some(sl) => match &sl.value {
                    RawSlices::List(v) if v.is_empty() => {
                        ck.error(
                            pos(sl),
                            "`slices` is empty; leave it out to take every slice",
                        );
                        SliceSelection::All
                    }
                    RawSlices::List(v) => SliceSelection::Indices(v.clone()),
                    RawSlices::Containing(c) => {
                        if !has_masks_declared(d) {
                            ck.error(
                                pos(sl),
                                "`slices: {containing_label: ...}` needs `masks` (the label is looked up in them)",
                            );
                        }
                        SliceSelection::ContainingLabel {
                            label: c.containing_label.value,
                            margin: c.margin.as_ref().map_or(0, |m| m.value),
                        }
                    }
                },
            };
            let labels = d.labels.as_ref().map(|l| {
                if l.value.is_empty() {
                    ck.error(
                        pos(l),
                        "`labels` is empty; leave it out to keep the stored labels",
                    );
                }
                if !has_masks_declared(d) {
                    ck.error(
                        pos(l),
                        "`labels` relabels the masks, but the dataset has no `masks`",
                    );
                }
                let mut seen: HashMap<u8, u8> = HashMap::new();
                for (to, from) in &l.value {
                    if from.is_empty() {
                        ck.error(
                            pos(l),
                            format!("`labels`: label {to} lists no stored labels"),
                        );
                    }
                    for f in from {
                        if let Some(prev) = seen.insert(*f, *to)
                            && prev != *to
                        {
                            ck.error(
                                pos(l),
                                format!(
                                    "`labels`: stored label {f} is mapped to both {prev} and {to}"
                                ),
                            );
                        }
                    }
                }
                l.value
                    .iter()
                    .map(|(to, from)| (*to, from.clone()))
                    .collect()
            });
            DatasetSource::NiftiSlices {
                images,
                masks,
                axis: d
                    .axis
                    .as_ref()
                    .map_or(crate::plan::SliceAxis::Axial, |a| a.value),
                slices,
                labels,
            }
        }
        SourceKind::DicomFolder => {
            require(ck, "path", d.path.is_some());
            has_masks = false;
            let path = d.path.as_ref().map(|p| {
                let full = root.join(&p.value);
                paths.push(DataPath {
                    at: pos(p),
                    written: p.value.clone(),
                    full: full.clone(),
                    folder: true,
                });
                full
            });
            DatasetSource::DicomFolder {
                path: path.unwrap_or_default(),
            }
        }
    };

    if task == Task::Segmentation && reference == ReferenceMode::GroundTruth && !has_masks {
        let why = if kind == SourceKind::DicomFolder {
            "a `dicom_folder` has no masks".to_string()
        } else {
            "it has no `masks`".to_string()
        };
        ck.error(
            reference_at,
            format!(
                "dataset `{name}` cannot be scored against `ground_truth`: {why}; \
                 add `masks:` or set `reference: unperturbed_prediction`"
            ),
        );
    }

    // Paths: missing ones skip an optional dataset, fail a required one;
    // present ones of the wrong kind always fail.
    let optional = d.optional.unwrap_or(false);
    let obtain = d.obtain.as_deref().unwrap_or(DEFAULT_OBTAIN);
    let mut missing = Vec::new();
    for p in &paths {
        match std::fs::metadata(&p.full) {
            Err(_) => missing.push(p),
            Ok(meta) => {
                if p.folder && !meta.is_dir() {
                    ck.error(
                        p.at,
                        format!("`{}` is not a folder ({})", p.written, p.full.display()),
                    );
                } else if !p.folder && !meta.is_file() {
                    ck.error(
                        p.at,
                        format!("`{}` is not a file ({})", p.written, p.full.display()),
                    );
                }
            }
        }
    }
    if !optional {
        for p in &missing {
            ck.error(
                p.at,
                format!(
                    "dataset `{name}`: `{}` not found under the data root ({}); {obtain} \
                     (or mark the dataset `optional: true`)",
                    p.written,
                    p.full.display()
                ),
            );
        }
    }
    if ck.errors.len() > errors_before {
        return None;
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|p| p.full.display().to_string())
            .collect();
        return Some(DatasetOutcome::Skipped(SkippedDataset {
            name: name.clone(),
            reason: format!("not found: {}; to obtain it: {obtain}", list.join(", ")),
        }));
    }
    Some(DatasetOutcome::Ready(DatasetPlan {
        name: name.clone(),
        source,
        reference,
        limit: d.limit.as_ref().map(|l| l.value),
        markers,
    }))
}

/// `images: folder` of an image folder.
fn single_path(
    ck: &mut Checker,
    key: &str,
    p: &Spanned<PathList>,
    root: &Path,
    paths: &mut Vec<DataPath>,
) -> Option<PathBuf> {
    match &p.value {
        PathList::One(s) => {
            let full = root.join(s);
            paths.push(DataPath {
                at: pos(p),
                written: s.clone(),
                full: full.clone(),
                folder: true,
            });
            Some(full)
        }
        PathList::Many(_) => {
            ck.error(
                pos(p),
                format!("`{key}` of an `image_folder` is one folder, not a list"),
            );
            None
        }
    }
}

/// `images: [a.nii.gz, ...]` (or one file) of NIfTI slices; `~` entries only
/// where `allow_null`.
fn path_list(
    ck: &mut Checker,
    key: &str,
    list: &Spanned<PathList>,
    root: &Path,
    paths: &mut Vec<DataPath>,
    allow_null: bool,
) -> Vec<Option<PathBuf>> {
    let mut push = |at: Pos, s: &str| {
        let full = root.join(s);
        paths.push(DataPath {
            at,
            written: s.to_string(),
            full: full.clone(),
            folder: false,
        });
        full
    };
    match &list.value {
        PathList::One(s) => vec![Some(push(pos(list), s))],
        PathList::Many(items) => {
            if items.is_empty() {
                ck.error(pos(list), format!("`{key}` is an empty list"));
            }
            items
                .iter()
                .map(|item| match &item.value {
                    Some(s) => Some(push(pos(item), s)),
                    None => {
                        if !allow_null {
                            ck.error(pos(item), format!("an entry of `{key}` is empty"));
                        }
                        None
                    }
                })
                .collect()
        }
    }
}

/// `input:` and `normalize:` of a model (or of the efficiency study).
fn preprocess(
    ck: &mut Checker,
    input: Option<&Spanned<RawInput>>,
    normalize: Option<&Spanned<RawNormalize>>,
) -> Preprocess {
    let mut preprocess = Preprocess {
        size: None,
        fit: Fit::Resize,
        normalize: Normalize::None,
    };
    if let Some(input) = input {
        if let Some(size) = &input.value.size {
            match size.value.as_slice() {
                [h, w] if *h >= 1 && *w >= 1 => preprocess.size = Some([*h, *w]),
                other => ck.error(
                    pos(size),
                    format!("`size` must be [height, width], two integers >= 1; got {other:?}"),
                ),
            }
        }
        if let Some(RawFit::Pad) = input.value.fit {
            preprocess.fit = Fit::Pad;
        }
    }
    if let Some(n) = normalize {
        preprocess.normalize = match &n.value {
            RawNormalize::None => Normalize::None,
            RawNormalize::Zscore => Normalize::ZScore,
            RawNormalize::Minmax => Normalize::MinMax,
            RawNormalize::Fixed(f) => {
                if !f.mean.value.is_finite() {
                    ck.error(pos(&f.mean), "`mean` must be a finite number");
                }
                if !(f.std.value.is_finite() && f.std.value > 0.0) {
                    ck.error(
                        pos(&f.std),
                        format!("`std` must be a finite number > 0, got {}", f.std.value),
                    );
                }
                Normalize::Fixed {
                    mean: f.mean.value,
                    std: f.std.value,
                }
            }
            RawNormalize::Window(w) => {
                if !w.level.value.is_finite() {
                    ck.error(pos(&w.level), "`level` must be a finite number");
                }
                if !(w.width.value.is_finite() && w.width.value > 0.0) {
                    ck.error(
                        pos(&w.width),
                        format!("`width` must be a finite number > 0, got {}", w.width.value),
                    );
                }
                Normalize::Window {
                    level: w.level.value,
                    width: w.width.value,
                }
            }
        };
    }
    preprocess
}

fn model(ck: &mut Checker, m: &RawModel, task: Task) -> Option<ModelPlan> {
    let errors_before = ck.errors.len();
    let name = &m.name.value;
    ck.check_name("model", &m.name);
    let backend_at = pos(&m.backend);
    let not_here = |ck: &mut Checker, key: &str, at: Option<Pos>, backend: &str| {
        if let Some(at) = at {
            ck.error(
                at,
                format!("`{key}` does not apply to `backend: {backend}`"),
            );
        }
    };
    let suite_dir = ck.ctx.suite_dir.clone();
    let model_file = |ck: &mut Checker, p: &Spanned<String>| -> Option<PathBuf> {
        let full = suite_dir.join(&p.value);
        match std::fs::metadata(&full) {
            Ok(meta) if meta.is_file() => Some(std::fs::canonicalize(&full).unwrap_or(full)),
            Ok(_) => {
                ck.error(
                    pos(p),
                    format!(
                        "model `{name}`: `{}` is not a file ({})",
                        p.value,
                        full.display()
                    ),
                );
                None
            }
            Err(_) => {
                ck.error(
                    pos(p),
                    format!(
                        "model `{name}`: file `{}` not found (looked for {}; model paths are relative to the suite file's folder)",
                        p.value,
                        full.display()
                    ),
                );
                None
            }
        }
    };
    if !matches!(m.backend.value, BackendKind::Native)
        && let Some(c) = &m.config
    {
        ck.error(
            pos(c),
            "`config` applies to `backend: native` (it is handed to the plugin's `create`)",
        );
    }
    let config = plugin_config(m.config.as_ref());
    let backend = match m.backend.value {
        BackendKind::Onnx => {
            not_here(ck, "plugin", m.plugin.as_ref().map(pos), "onnx");
            match &m.path {
                Some(p) => model_file(ck, p).map(|path| BackendPlan::Onnx {
                    path,
                    threads: m.threads.as_ref().map_or(0, |t| t.value),
                }),
                None => {
                    ck.error(
                        backend_at,
                        format!("model `{name}`: `backend: onnx` needs `path`"),
                    );
                    None
                }
            }
        }
        BackendKind::Native => {
            not_here(ck, "threads", m.threads.as_ref().map(pos), "native");
            match (&m.plugin, &m.path) {
                (Some(plugin), None) => match (ck.ctx.catalog.resolve_plugin)(&plugin.value) {
                    Ok(path) => Some(BackendPlan::Native {
                        path,
                        config: config.clone(),
                    }),
                    Err(why) => {
                        ck.error(
                            pos(plugin),
                            format!(
                                "model `{name}`: cannot find plugin `{}`: {why}",
                                plugin.value
                            ),
                        );
                        None
                    }
                },
                (None, Some(p)) => model_file(ck, p).map(|path| BackendPlan::Native {
                    path,
                    config: config.clone(),
                }),
                (Some(_), Some(p)) => {
                    ck.error(
                        pos(p),
                        format!("model `{name}`: give `plugin` or `path`, not both"),
                    );
                    None
                }
                (None, None) => {
                    ck.error(
                        backend_at,
                        format!("model `{name}`: `backend: native` needs `plugin` (a plugin name) or `path` (a library file)"),
                    );
                    None
                }
            }
        }
        BackendKind::Torchscript => {
            not_here(ck, "plugin", m.plugin.as_ref().map(pos), "torchscript");
            match &m.path {
                Some(p) => model_file(ck, p).map(|path| BackendPlan::TorchScript {
                    path,
                    threads: m.threads.as_ref().map_or(0, |t| t.value),
                }),
                None => {
                    ck.error(
                        backend_at,
                        format!("model `{name}`: `backend: torchscript` needs `path`"),
                    );
                    None
                }
            }
        }
        BackendKind::Null => {
            not_here(ck, "path", m.path.as_ref().map(pos), "null");
            not_here(ck, "plugin", m.plugin.as_ref().map(pos), "null");
            not_here(ck, "threads", m.threads.as_ref().map(pos), "null");
            Some(BackendPlan::Null)
        }
    };

    let preprocess = preprocess(ck, m.input.as_ref(), m.normalize.as_ref());
    let output_at = m.output.as_ref().map_or(backend_at, pos);
    let postprocess = match (task, m.output.as_ref().map(|o| &o.value)) {
        (Task::Classification, None | Some(RawOutput::Softmax)) => Postprocess::Softmax,
        (Task::Classification, Some(RawOutput::Sigmoid)) => Postprocess::Sigmoid,
        (Task::Classification, Some(RawOutput::Probabilities)) => Postprocess::Probabilities,
        (Task::Classification, Some(_)) => {
            ck.error(
                output_at,
                format!("model `{name}`: a classifier's `output` is `softmax` (logits), `sigmoid` (logits) or `probabilities`"),
            );
            Postprocess::Softmax
        }
        (
            Task::Segmentation,
            Some(RawOutput::Softmax | RawOutput::Sigmoid | RawOutput::Probabilities),
        ) => {
            ck.error(
                output_at,
                format!("model `{name}`: a segmenter's `output` is `argmax`, `labels` or `{{sigmoid_threshold: p}}`"),
            );
            Postprocess::Argmax
        }
        (Task::Segmentation, None | Some(RawOutput::Argmax)) => Postprocess::Argmax,
        (Task::Segmentation, Some(RawOutput::Labels)) => Postprocess::Labels,
        (Task::Segmentation, Some(RawOutput::SigmoidThreshold(t))) => {
            if !(0.0..=1.0).contains(&t.value) {
                ck.error(
                    pos(t),
                    format!("`sigmoid_threshold` must be within [0, 1], got {}", t.value),
                );
            }
            Postprocess::SigmoidThreshold { threshold: t.value }
        }
    };
    let batch_size = match &m.batch_size {
        Some(b) if b.value == 0 => {
            ck.error(pos(b), "`batch_size` must be at least 1");
            1
        }
        Some(b) => b.value,
        None => 8,
    };
    if ck.errors.len() > errors_before {
        return None;
    }
    let isolate = match m.isolate.as_ref().map(|i| i.value) {
        Some(RawIsolate::Process) => Isolation::Process,
        Some(RawIsolate::InProcess) | None => Isolation::InProcess,
    };
    Some(ModelPlan {
        name: name.clone(),
        backend: backend?,
        preprocess,
        postprocess,
        batch_size,
        isolate,
    })
}

/// A native plugin's `config:` as the JSON object its `create` receives
/// (`{}` when absent); keys in file order.
fn plugin_config(raw: Option<&Spanned<RawOptions>>) -> String {
    let Some(c) = raw else {
        return "{}".into();
    };
    let fields: Vec<String> = c
        .value
        .0
        .iter()
        .map(|(k, v)| {
            let value = match &v.value {
                ParamValue::Bool(b) => b.to_string(),
                ParamValue::Number(x) if x.is_finite() => format!("{x}"),
                ParamValue::Number(_) => "null".into(),
                ParamValue::Text(t) => json_string(t),
            };
            format!("{}:{value}", json_string(&k.value))
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn perturbation(ck: &mut Checker, p: &RawPerturbation) -> Option<PerturbationPlan> {
    let errors_before = ck.errors.len();
    if let Some(l) = &p.label {
        ck.check_name("perturbation label", l);
    }
    let entry = match ck.ctx.catalog.perturbations.get(&p.name.value) {
        Ok(e) => Some(e),
        Err(e) => {
            ck.error(pos(&p.name), e.to_string());
            None
        }
    };

    let mut params = Params::default();
    if let Some(opts) = &p.options {
        for (k, v) in &opts.value.0 {
            params.0.insert(k.value.clone(), v.value.clone());
        }
    }
    let scale = if p.severity.is_some() {
        Scale::Severity
    } else {
        Scale::Parameter
    };
    let build = match (entry, scale) {
        (Some(entry), Scale::Severity) => match &entry.severity {
            Some(sev) => Some(sev.build),
            None => {
                ck.error(
                    p.severity.as_ref().map_or(pos(&p.name), pos),
                    format!(
                        "perturbation `{}` has no severity scale; sweep its parameter `{}` with `points:`",
                        p.name.value, entry.parameter.name
                    ),
                );
                None
            }
        },
        (Some(entry), Scale::Parameter) => Some(entry.build),
        (None, _) => None,
    };
    if let Some(build) = build
        && let Err(e) = build(&params)
    {
        // Point at the option the error is about when we can tell which.
        let key_of = |key: &str| {
            p.options
                .as_ref()
                .and_then(|o| o.value.0.iter().find(|(k, _)| k.value == key))
        };
        let fallback = p.options.as_ref().map_or(pos(&p.name), pos);
        let (at, message) = match &e {
            CoreError::InvalidParameter { name, .. } => (
                key_of(name).map_or(fallback, |(_, v)| pos(v)),
                format!("perturbation `{}`: {e}", p.name.value),
            ),
            CoreError::UnknownName { name, .. } => {
                // `Params::check_known` names it "key` of perturbation `x".
                let key = name.split('`').next().unwrap_or(name);
                (key_of(key).map_or(fallback, |(k, _)| pos(k)), e.to_string())
            }
            _ => (fallback, format!("perturbation `{}`: {e}", p.name.value)),
        };
        ck.error(at, message);
    }

    let points = match (&p.points, &p.severity) {
        (Some(pts), None) => points(ck, pts),
        (None, Some(levels)) => severity_levels(ck, &p.name.value, levels),
        (Some(pts), Some(_)) => {
            ck.error(
                pos(pts),
                format!(
                    "perturbation `{}` has both `points:` and `severity:`; give one of them",
                    p.name.value
                ),
            );
            None
        }
        (None, None) => {
            ck.error(
                pos(&p.name),
                format!(
                    "perturbation `{}` needs `points:` (values of its parameter) or `severity:` (levels 1..5)",
                    p.name.value
                ),
            );
            None
        }
    };
    if ck.errors.len() > errors_before {
        return None;
    }
    Some(PerturbationPlan {
        kind: p.name.value.clone(),
        label: p
            .label
            .as_ref()
            .map_or_else(|| p.name.value.clone(), |l| l.value.clone()),
        params,
        points: points?,
        scale,
    })
}

/// `severity: [1, 2, 3]`: integer levels 0..=5, each once.
fn severity_levels(
    ck: &mut Checker,
    perturbation: &str,
    levels: &Spanned<Vec<Spanned<f64>>>,
) -> Option<Vec<f64>> {
    if levels.value.is_empty() {
        ck.error(pos(levels), "`severity` needs at least one level (1..5)");
        return None;
    }
    let mut out = Vec::with_capacity(levels.value.len());
    let mut ok = true;
    for v in &levels.value {
        match severity_level(perturbation, v.value) {
            Ok(_) if out.contains(&v.value) => {
                ck.error(pos(v), format!("severity level {} is repeated", v.value));
                ok = false;
            }
            Ok(_) => out.push(v.value),
            Err(e) => {
                ck.error(pos(v), e.to_string());
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn points(ck: &mut Checker, points: &Spanned<RawPoints>) -> Option<Vec<f64>> {
    let spec = match &points.value {
        RawPoints::List(values) => {
            let mut ok = true;
            for v in values {
                if !v.value.is_finite() {
                    ck.error(pos(v), format!("point {} is not a finite number", v.value));
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            PointsSpec::List(values.iter().map(|v| v.value).collect())
        }
        RawPoints::Generator(g) => generator(ck, pos(points), g)?,
    };
    let at = match &points.value {
        RawPoints::List(_) => pos(points),
        RawPoints::Generator(g) => g
            .linspace
            .as_ref()
            .or(g.logspace.as_ref())
            .or(g.range.as_ref())
            .map_or(pos(points), pos),
    };
    match expand_points(&spec) {
        Ok(v) => Some(v),
        Err(why) => {
            ck.error(at, why);
            None
        }
    }
}

fn generator(ck: &mut Checker, at: Pos, g: &RawGenerator) -> Option<PointsSpec> {
    let given: Vec<(&str, &Spanned<Vec<f64>>)> = [
        ("linspace", &g.linspace),
        ("logspace", &g.logspace),
        ("range", &g.range),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let (kind, triple) = match given.as_slice() {
        [one] => *one,
        [] => {
            ck.error(
                at,
                "`points` needs one of `linspace`, `logspace`, `range` (or a list of numbers)",
            );
            return None;
        }
        [_, (second, v), ..] => {
            ck.error(
                pos(v),
                format!("`points` takes one generator; `{second}` is a second one"),
            );
            return None;
        }
    };
    if let Some(b) = &g.base
        && kind != "logspace"
    {
        ck.error(pos(b), "`base` only applies to `logspace`");
        return None;
    }
    if let Some(b) = &g.base
        && !(b.value.is_finite() && b.value > 0.0)
    {
        ck.error(
            pos(b),
            format!("`base` must be a finite number > 0, got {}", b.value),
        );
        return None;
    }
    let what = if kind == "range" {
        "[start, stop, step]"
    } else {
        "[start, stop, num]"
    };
    let [start, stop, third] = match triple.value.as_slice() {
        [a, b, c] => [*a, *b, *c],
        other => {
            ck.error(
                pos(triple),
                format!("`{kind}` takes {what}, got {} values", other.len()),
            );
            return None;
        }
    };
    let num = |ck: &mut Checker| -> Option<usize> {
        if third.fract() != 0.0 || third < 0.0 {
            ck.error(
                pos(triple),
                format!("`{kind}` needs a whole number of points (num >= 1), got {third}"),
            );
            return None;
        }
        // Larger values are rejected by `expand_points`; saturate to keep them large.
        Some(if third > (MAX_POINTS + 1) as f64 {
            MAX_POINTS + 1
        } else {
            third as usize
        })
    };
    Some(match kind {
        "linspace" => PointsSpec::Linspace {
            start,
            stop,
            num: num(ck)?,
        },
        "logspace" => PointsSpec::Logspace {
            start,
            stop,
            num: num(ck)?,
            base: g.base.as_ref().map_or(10.0, |b| b.value),
        },
        _ => PointsSpec::Range {
            start,
            stop,
            step: third,
        },
    })
}
