//! `efficiency:`, the transfer-learning data-efficiency study.

use serde_saphyr::Spanned;

use super::checker::{Checker, at_least, backticked, finite, finite_positive};
use super::preprocess::{augment, preprocess};
use crate::plan::{
    DatasetPlan, DatasetSource, DeclaredBand, EfficiencyPlan, HumanPlan, OptimizerPlan,
    ReferenceMode, Schedule, SkippedDataset, SourcePlan, TrainSize,
};
use crate::position::{Pos, pos};
use crate::raw::{RawEfficiency, RawHuman, RawOptimizer, RawSource, RawTrainSize};

/// The clinical measures a study may compare (the metrics crate's
/// `ClinicalMeasure` names; a runner test keeps the two in step).
pub const MEASURES: &[&str] = &["area_cm2", "mean_hu"];

/// Defaults of the study (four folds, as the paper).
const DEFAULT_FOLDS: usize = 4;
const DEFAULT_STEPS: usize = 100;
const DEFAULT_BATCH: usize = 4;
const DEFAULT_LR: f64 = 1e-3;
const DEFAULT_MOMENTUM: f64 = 0.9;

/// Checks the study; `None` when it has problems (all of them reported).
pub(super) fn efficiency(
    ck: &mut Checker,
    e: &Spanned<RawEfficiency>,
    datasets: &[DatasetPlan],
    skipped: &[SkippedDataset],
    metrics: &[String],
) -> Option<EfficiencyPlan> {
    let errors_before = ck.errors.len();
    let at = pos(e);
    let r = &e.value;

    let sources = sources(ck, &r.sources);
    let names = study_datasets(ck, r, at, datasets, skipped);
    let pre = preprocess(ck, r.input.as_ref(), r.normalize.as_ref());
    if pre.size.is_none() {
        ck.error(
            r.input.as_ref().map_or(at, pos),
            "the study needs `input: {size: [h, w]}`: training batches need one image size",
        );
    }
    let train_sizes = train_sizes(ck, &r.train_sizes);

    let folds = at_least(ck, "folds", r.folds.as_ref(), 2, DEFAULT_FOLDS);
    let repeats = at_least(ck, "repeats", r.repeats.as_ref(), 1, 1);
    let batch_size = at_least(ck, "batch_size", r.batch_size.as_ref(), 1, DEFAULT_BATCH);
    let schedule = match (&r.steps, &r.epochs) {
        (Some(_), Some(e)) => {
            ck.error(pos(e), "give `steps` or `epochs`, not both");
            Schedule::Steps(DEFAULT_STEPS)
        }
        (_, Some(_)) => Schedule::Epochs(at_least(ck, "epochs", r.epochs.as_ref(), 1, 1)),
        _ => Schedule::Steps(at_least(ck, "steps", r.steps.as_ref(), 1, DEFAULT_STEPS)),
    };
    let learning_rate = positive(ck, "learning_rate", &r.learning_rate, DEFAULT_LR, false);
    let weight_decay = positive(ck, "weight_decay", &r.weight_decay, 0.0, true);
    let optimizer = optimizer(ck, r, at);
    let (mut ce_weight, mut dice_weight) = (1.0, 1.0);
    if let Some(l) = &r.loss {
        ce_weight = positive(ck, "ce", &l.value.ce, 0.0, true);
        dice_weight = positive(ck, "dice", &l.value.dice, 0.0, true);
        if ce_weight == 0.0 && dice_weight == 0.0 {
            ck.error(pos(l), "`loss` needs a weight > 0 for `ce` or `dice`");
        }
    }
    let augment = augment(ck, r.augment.as_ref());
    if augment.rot90
        && let Some([h, w]) = pre.size
        && h != w
    {
        ck.error(at, format!("`rot90` needs a square input, got {h} x {w}"));
    }
    let measures = measures(ck, r.measures.as_ref());
    let human = r
        .human
        .as_ref()
        .map(|h| human(ck, h, &names, datasets, metrics));

    if ck.errors.len() > errors_before {
        return None;
    }
    let threads = r.threads.as_ref().map_or(0, |t| t.value);
    Some(EfficiencyPlan {
        sources,
        datasets: names,
        preprocess: pre,
        train_sizes,
        folds,
        repeats,
        schedule,
        batch_size,
        optimizer,
        learning_rate,
        weight_decay,
        ce_weight,
        dice_weight,
        augment,
        threads,
        measures,
        human,
    })
}

/// An optional number: finite and > 0 (>= 0 when `zero_ok`), `default` when
/// absent or wrong.
fn positive(
    ck: &mut Checker,
    key: &str,
    v: &Option<Spanned<f64>>,
    default: f64,
    zero_ok: bool,
) -> f64 {
    match v {
        Some(v) if !finite_positive(ck, key, v, zero_ok) => default,
        Some(v) => v.value,
        None => default,
    }
}

/// `sources:`, the pretrained TorchScript files (next to the suite file).
fn sources(ck: &mut Checker, list: &Spanned<Vec<Spanned<RawSource>>>) -> Vec<SourcePlan> {
    ck.check_named_list(
        list,
        "`sources` is empty; list at least one pretraining source",
        "source name",
        |s| &s.name,
    );
    let mut sources = Vec::new();
    for s in &list.value {
        ck.check_name("source", &s.value.name);
        let p = &s.value.path;
        let full = ck.ctx.suite_dir.join(&p.value);
        if full.is_file() {
            sources.push(SourcePlan {
                name: s.value.name.value.clone(),
                path: std::fs::canonicalize(&full).unwrap_or(full),
            });
        } else {
            ck.error(
                pos(p),
                format!(
                    "source `{}`: TorchScript file `{}` not found (looked for {}; paths are relative to the suite file's folder)",
                    s.value.name.value,
                    p.value,
                    full.display()
                ),
            );
        }
    }
    sources
}

/// The study's datasets: named ones must exist (skipped ones are left out);
/// default = every dataset scored against the ground truth. Each needs masks.
fn study_datasets(
    ck: &mut Checker,
    r: &RawEfficiency,
    at: Pos,
    datasets: &[DatasetPlan],
    skipped: &[SkippedDataset],
) -> Vec<String> {
    let names: Vec<String> = match &r.datasets {
        Some(list) => {
            let mut out = Vec::new();
            for d in &list.value {
                let known = datasets.iter().any(|p| p.name == d.value);
                let skipped = skipped.iter().any(|s| s.name == d.value);
                if known {
                    out.push(d.value.clone());
                } else if !skipped {
                    ck.error(
                        pos(d),
                        format!(
                            "unknown dataset `{}` (datasets: {})",
                            d.value,
                            backticked(datasets.iter().map(|p| p.name.as_str()))
                        ),
                    );
                }
            }
            out
        }
        None => datasets
            .iter()
            .filter(|d| d.reference == ReferenceMode::GroundTruth)
            .map(|d| d.name.clone())
            .collect(),
    };
    for n in &names {
        if let Some(d) = datasets.iter().find(|d| &d.name == n)
            && d.reference != ReferenceMode::GroundTruth
        {
            ck.error(
                at,
                format!("dataset `{n}` has no ground truth: fine-tuning needs masks"),
            );
        }
    }
    names
}

/// `train_sizes:`: increasing numbers >= 1, `all` last.
fn train_sizes(ck: &mut Checker, list: &Spanned<Vec<Spanned<RawTrainSize>>>) -> Vec<TrainSize> {
    let mut train_sizes = Vec::new();
    for t in &list.value {
        let size = match &t.value {
            RawTrainSize::N(n) if *n >= 1 => {
                TrainSize::N(usize::try_from(*n).unwrap_or(usize::MAX))
            }
            RawTrainSize::Word(w) if w == "all" => TrainSize::All,
            RawTrainSize::N(n) => {
                ck.error(
                    pos(t),
                    format!("a training-set size must be at least 1, got {n}"),
                );
                continue;
            }
            RawTrainSize::Word(w) => {
                ck.error(
                    pos(t),
                    format!("`{w}` is not a training-set size: give a number or `all`"),
                );
                continue;
            }
        };
        match (train_sizes.last(), size) {
            (Some(TrainSize::All), _) => {
                ck.error(pos(t), "`all` must be the last training-set size");
            }
            (Some(TrainSize::N(prev)), TrainSize::N(n)) if n <= *prev => {
                ck.error(
                    pos(t),
                    format!("training-set sizes must increase: {n} after {prev}"),
                );
            }
            _ => {}
        }
        train_sizes.push(size);
    }
    if list.value.is_empty() {
        ck.error(pos(list), "`train_sizes` is empty; e.g. [1, 2, 5, 10, all]");
    }
    train_sizes
}

/// `optimizer:` and its `momentum:` (sgd only).
fn optimizer(ck: &mut Checker, r: &RawEfficiency, at: Pos) -> OptimizerPlan {
    let optimizer = match r.optimizer.as_ref().map(|o| o.value) {
        None | Some(RawOptimizer::Adam) => OptimizerPlan::Adam,
        Some(RawOptimizer::Adamw) => OptimizerPlan::AdamW,
        Some(RawOptimizer::Sgd) => {
            let momentum = r.momentum.as_ref().map_or(DEFAULT_MOMENTUM, |m| m.value);
            if !(0.0..1.0).contains(&momentum) {
                ck.error(
                    r.momentum.as_ref().map_or(at, pos),
                    format!("`momentum` must be in [0, 1), got {momentum}"),
                );
            }
            OptimizerPlan::Sgd { momentum }
        }
    };
    if let Some(m) = &r.momentum
        && !matches!(optimizer, OptimizerPlan::Sgd { .. })
    {
        ck.error(pos(m), "`momentum` applies to `optimizer: sgd` only");
    }
    optimizer
}

/// `measures:`, among [`MEASURES`], each once.
fn measures(ck: &mut Checker, list: Option<&Spanned<Vec<Spanned<String>>>>) -> Vec<String> {
    let mut measures = Vec::new();
    if let Some(list) = list {
        for m in &list.value {
            if MEASURES.contains(&m.value.as_str()) {
                measures.push(m.value.clone());
            } else {
                ck.error(
                    pos(m),
                    format!(
                        "unknown measure `{}` (known: {})",
                        m.value,
                        backticked(MEASURES.iter().copied())
                    ),
                );
            }
        }
        ck.check_unique(
            "measure",
            list.value.iter().map(|m| (m.value.as_str(), pos(m))),
            "",
        );
    }
    measures
}

/// `human:`, the human reference: a declared level or the observers'
/// agreement on the study datasets `names`.
fn human(
    ck: &mut Checker,
    h: &Spanned<RawHuman>,
    names: &[String],
    datasets: &[DatasetPlan],
    metrics: &[String],
) -> HumanPlan {
    let hv = &h.value;
    if !metrics.contains(&hv.metric.value) {
        ck.error(
            pos(&hv.metric),
            format!(
                "`human.metric` `{}` is not among the suite's metrics ({})",
                hv.metric.value,
                backticked(metrics.iter().map(String::as_str))
            ),
        );
    }
    let declared = match (&hv.value, &hv.from) {
        (Some(v), None) => {
            finite(ck, "value", v);
            let spread = positive(ck, "spread", &hv.spread, 0.0, true);
            Some(DeclaredBand {
                value: v.value,
                spread,
            })
        }
        (None, Some(f)) if f.value == "observers" => {
            if !has_observers(names, datasets) {
                ck.error(
                    pos(f),
                    "`from: observers` needs a study dataset with observers' masks (`source: phantom_ct` with `observers: 4`, or an `image_folder` with `observers: [folder, folder, ...]`)",
                );
            }
            if let Some(s) = &hv.spread {
                ck.error(
                    pos(s),
                    "`spread` applies to a declared `value`, not to `from: observers`",
                );
            }
            None
        }
        (None, Some(f)) => {
            ck.error(
                pos(f),
                format!(
                    "`from: {}` is not known; use `from: observers` or give `value`",
                    f.value
                ),
            );
            None
        }
        (Some(v), Some(_)) => {
            ck.error(
                pos(v),
                "give `value` (a declared level) or `from: observers`, not both",
            );
            None
        }
        (None, None) => {
            ck.error(
                pos(h),
                "`human` needs `value` (and `spread`) or `from: observers`",
            );
            None
        }
    };
    let source = hv.source.clone().unwrap_or_else(|| match declared {
        Some(_) => "declared in the suite".to_string(),
        None => "pairwise agreement of the observers' masks".to_string(),
    });
    HumanPlan {
        metric: hv.metric.value.clone(),
        declared,
        source,
    }
}

/// Whether one of the study datasets `names` has observers' masks.
fn has_observers(names: &[String], datasets: &[DatasetPlan]) -> bool {
    names.iter().any(|n| {
        datasets.iter().any(|d| {
            &d.name == n
                && match &d.source {
                    DatasetSource::PhantomCt { observers, .. } => *observers >= 2,
                    DatasetSource::ImageFolder { observers, .. } => observers.len() >= 2,
                    _ => false,
                }
        })
    })
}
