//! `labels:`, the label study of a classification suite (slice position).

use serde_saphyr::Spanned;

use super::checker::{Checker, at_least, backticked, finite_positive};
use super::preprocess::{augment, preprocess};
use crate::plan::{
    CutPlan, DatasetPlan, DatasetSource, LabelSource, LabelStudyPlan, LabelTrainingPlan,
    OptimizerPlan, RankingPlan, SinglePlan, Split,
};
use crate::position::pos;
use crate::raw::{RawCut, RawLabelTraining, RawLabels, RawOptimizer, RawRanking, RawSingle};

const SOURCES: [LabelSource; 3] = [
    LabelSource::Truth,
    LabelSource::Ranking,
    LabelSource::Single,
];

/// A number that must be finite and > 0 (>= 0 when `zero_ok`); reported
/// when not, returned as written.
fn positive(ck: &mut Checker, key: &str, v: &Spanned<f64>, zero_ok: bool) -> f64 {
    finite_positive(ck, key, v, zero_ok);
    v.value
}

fn annotators(ck: &mut Checker, list: &Spanned<Vec<Spanned<String>>>) -> Vec<String> {
    if list.value.is_empty() {
        ck.error(
            pos(list),
            "`annotators` is empty; name at least one annotator",
        );
    }
    for a in &list.value {
        ck.check_name("annotator", a);
    }
    ck.check_unique(
        "annotator",
        list.value.iter().map(|a| (a.value.as_str(), pos(a))),
        "",
    );
    list.value.iter().map(|a| a.value.clone()).collect()
}

fn csv_path(ck: &mut Checker, p: &Spanned<String>) -> std::path::PathBuf {
    let full = ck.ctx.suite_dir.join(&p.value);
    if !full.is_file() {
        ck.error(
            pos(p),
            format!(
                "CSV `{}` not found (looked for {}; paths are relative to the suite file's folder)",
                p.value,
                full.display()
            ),
        );
    }
    full
}

/// Checks the study of a suite with `n_classes` classes; `None` when it has
/// problems (all of them reported).
pub(super) fn labels(
    ck: &mut Checker,
    l: &Spanned<RawLabels>,
    datasets: &[DatasetPlan],
    n_classes: usize,
) -> Option<LabelStudyPlan> {
    let errors_before = ck.errors.len();
    let r = &l.value;
    study_datasets(ck, r, datasets);
    let cut = cut(ck, &r.cut, n_classes);
    let alpha = r
        .alpha
        .as_ref()
        .map_or(0.01, |a| positive(ck, "alpha", a, false));
    let ranking = ranking(ck, &r.ranking.value);
    let single = single(ck, &r.single.value);
    let training = training(ck, &r.training.value);
    if ck.errors.len() > errors_before {
        return None;
    }
    Some(LabelStudyPlan {
        dataset: r.dataset.value.clone(),
        test: r.test.value.clone(),
        cut,
        alpha,
        ranking,
        single,
        training,
    })
}

/// `dataset:` and `test:`: `phantom_stacks` datasets, the same stacks split
/// into training and test subjects.
fn study_datasets(ck: &mut Checker, r: &RawLabels, datasets: &[DatasetPlan]) {
    for d in [&r.dataset, &r.test] {
        match datasets.iter().find(|p| p.name == d.value) {
            Some(p) if matches!(p.source, DatasetSource::PhantomStacks { .. }) => {}
            Some(_) => ck.error(
                pos(d),
                format!(
                    "dataset `{}` is not a `phantom_stacks` dataset; the label study needs the slices' true positions",
                    d.value
                ),
            ),
            None => ck.error(
                pos(d),
                format!(
                    "unknown dataset `{}` (datasets: {})",
                    d.value,
                    backticked(datasets.iter().map(|p| p.name.as_str()))
                ),
            ),
        }
    }
    if r.dataset.value == r.test.value {
        ck.error(
            pos(&r.test),
            "`test` must be a different dataset from `dataset` (e.g. `split: test` of the same stacks)",
        );
        return;
    }
    // The same stacks, annotated on the training subjects and scored on
    // the others: no subject on both sides, the same true classes.
    if let (Some((a, sa)), Some((b, sb))) = (
        stacks(datasets, &r.dataset.value),
        stacks(datasets, &r.test.value),
    ) {
        if sa != Split::Train || sb != Split::Test {
            ck.error(
                pos(&r.test),
                format!(
                    "the annotated dataset `{}` needs `split: train` and the test dataset `{}` `split: test`, so that no subject is on both sides",
                    r.dataset.value, r.test.value
                ),
            );
        }
        if a != b {
            ck.error(
                pos(&r.test),
                format!(
                    "`{}` and `{}` must be the same stacks (subjects, slices_per_subject, size, positions, cuts), split differently",
                    r.dataset.value, r.test.value
                ),
            );
        }
    }
}

/// What makes two stacks the same: (subjects, slices per subject, size,
/// positions, cuts).
type StackShape = (usize, usize, usize, [f64; 2], Vec<f64>);

/// The shape and split of the `phantom_stacks` dataset `name`, if it is one.
fn stacks(datasets: &[DatasetPlan], name: &str) -> Option<(StackShape, Split)> {
    datasets
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| match &p.source {
            DatasetSource::PhantomStacks {
                subjects,
                slices_per_subject,
                size,
                positions,
                cuts,
                split,
            } => Some((
                (
                    *subjects,
                    *slices_per_subject,
                    *size,
                    *positions,
                    cuts.clone(),
                ),
                *split,
            )),
            _ => None,
        })
}

/// `cut:`: class fractions or cut points on the score axis.
fn cut(ck: &mut Checker, c: &Spanned<RawCut>, n_classes: usize) -> CutPlan {
    match (&c.value.fractions, &c.value.points) {
        (Some(f), None) => {
            let v: Vec<f64> = f.value.iter().map(|x| x.value).collect();
            let sum: f64 = v.iter().sum();
            if v.len() != n_classes
                || v.iter().any(|x| !(x.is_finite() && *x > 0.0))
                || (sum - 1.0).abs() > 1e-6
            {
                ck.error(
                    pos(f),
                    format!("`fractions` needs {n_classes} positive class fractions (one per class, in axis order) summing to 1"),
                );
            }
            CutPlan::Fractions(v)
        }
        (None, Some(p)) => {
            let v: Vec<f64> = p.value.iter().map(|x| x.value).collect();
            if v.len() + 1 != n_classes
                || v.iter().any(|x| !x.is_finite())
                || v.windows(2).any(|w| w[0] >= w[1])
            {
                ck.error(
                    pos(p),
                    format!(
                        "`points` needs {} increasing cut points on the score axis",
                        n_classes.saturating_sub(1)
                    ),
                );
            }
            CutPlan::Points(v)
        }
        _ => {
            ck.error(
                pos(c),
                "`cut` needs one of `fractions: [..]` or `points: [..]`",
            );
            CutPlan::Fractions(Vec::new())
        }
    }
}

/// `ranking:`, the simulated ranking annotators.
fn ranking(ck: &mut Checker, rk: &RawRanking) -> RankingPlan {
    RankingPlan {
        annotators: annotators(ck, &rk.annotators),
        batch_size: at_least(ck, "batch_size", rk.batch_size.as_ref(), 2, 8),
        views_per_image: at_least(ck, "views_per_image", rk.views_per_image.as_ref(), 1, 3),
        noise: rk
            .noise
            .as_ref()
            .map_or(0.05, |n| positive(ck, "noise", n, true)),
        seconds_per_batch: positive(ck, "seconds_per_batch", &rk.seconds_per_batch, false),
        sessions: rk.sessions.as_ref().map(|p| csv_path(ck, p)),
    }
}

/// `single:`, the simulated single-label annotators.
fn single(ck: &mut Checker, sg: &RawSingle) -> SinglePlan {
    let error_rate = sg.error_rate.as_ref().map_or(0.2, |e| {
        if !(e.value.is_finite() && (0.0..=1.0).contains(&e.value)) {
            ck.error(
                pos(e),
                format!("`error_rate` must be in [0, 1], got {}", e.value),
            );
        }
        e.value
    });
    SinglePlan {
        annotators: annotators(ck, &sg.annotators),
        error_rate,
        seconds_per_label: positive(ck, "seconds_per_label", &sg.seconds_per_label, false),
        labels: sg.labels.as_ref().map(|p| csv_path(ck, p)),
    }
}

/// `training:`, the classifier trained on each label source.
fn training(ck: &mut Checker, t: &RawLabelTraining) -> LabelTrainingPlan {
    let model_full = ck.ctx.suite_dir.join(&t.model.value);
    if !model_full.is_file() {
        ck.error(
            pos(&t.model),
            format!(
                "TorchScript file `{}` not found (looked for {}; paths are relative to the suite file's folder)",
                t.model.value,
                model_full.display()
            ),
        );
    }
    let sources = label_sources(ck, &t.sources);
    let pre = preprocess(ck, t.input.as_ref(), t.normalize.as_ref());
    let optimizer = match t.optimizer.as_ref().map(|o| o.value) {
        None | Some(RawOptimizer::Adam) => OptimizerPlan::Adam,
        Some(RawOptimizer::Adamw) => OptimizerPlan::AdamW,
        Some(RawOptimizer::Sgd) => OptimizerPlan::Sgd { momentum: 0.9 },
    };
    let augment = augment(ck, t.augment.as_ref());
    LabelTrainingPlan {
        model: std::fs::canonicalize(&model_full).unwrap_or(model_full),
        sources,
        preprocess: pre,
        steps: at_least(ck, "steps", t.steps.as_ref(), 1, 200),
        batch_size: at_least(ck, "batch_size", t.batch_size.as_ref(), 1, 16),
        optimizer,
        learning_rate: t
            .learning_rate
            .as_ref()
            .map_or(1e-3, |v| positive(ck, "learning_rate", v, false)),
        weight_decay: t
            .weight_decay
            .as_ref()
            .map_or(0.0, |v| positive(ck, "weight_decay", v, true)),
        augment,
        threads: t.threads.as_ref().map_or(0, |v| v.value),
    }
}

/// `sources:` of the training, among [`SOURCES`], each once.
fn label_sources(ck: &mut Checker, list: &Spanned<Vec<Spanned<String>>>) -> Vec<LabelSource> {
    let mut sources = Vec::new();
    for s in &list.value {
        match SOURCES.iter().find(|x| x.name() == s.value) {
            Some(x) => sources.push(*x),
            None => ck.error(
                pos(s),
                format!(
                    "unknown label source `{}` (known: {})",
                    s.value,
                    backticked(SOURCES.iter().map(|x| x.name()))
                ),
            ),
        }
    }
    if list.value.is_empty() {
        ck.error(
            pos(list),
            "`sources` is empty; e.g. [truth, ranking, single]",
        );
    }
    ck.check_unique(
        "label source",
        list.value.iter().map(|s| (s.value.as_str(), pos(s))),
        "",
    );
    sources
}
