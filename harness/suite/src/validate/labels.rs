//! `labels:`, the label study of a classification suite (slice position).

use serde_saphyr::Spanned;

use super::{Checker, at_least, backticked, pos, preprocess};
use crate::plan::{
    AugmentPlan, CutPlan, DatasetPlan, DatasetSource, LabelSource, LabelStudyPlan,
    LabelTrainingPlan, OptimizerPlan, RankingPlan, SinglePlan, Split,
};
use crate::raw::{RawLabels, RawOptimizer};

const SOURCES: [LabelSource; 3] = [
    LabelSource::Truth,
    LabelSource::Ranking,
    LabelSource::Single,
];

fn positive(ck: &mut Checker, key: &str, v: &Spanned<f64>, zero_ok: bool) -> f64 {
    let ok = v.value.is_finite() && (v.value > 0.0 || (zero_ok && v.value == 0.0));
    if !ok {
        let rule = if zero_ok { ">= 0" } else { "> 0" };
        ck.error(
            pos(v),
            format!("`{key}` must be a finite number {rule}, got {}", v.value),
        );
    }
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

pub(super) fn labels(
    ck: &mut Checker,
    l: &Spanned<RawLabels>,
    datasets: &[DatasetPlan],
    n_classes: usize,
) -> Option<LabelStudyPlan> {
    let errors_before = ck.errors.len();
    let r = &l.value;

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
    } else {
        // The same stacks, annotated on the training subjects and scored on
        // the others: no subject on both sides, the same true classes.
        let stacks = |name: &str| {
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
        };
        if let (Some((a, sa)), Some((b, sb))) = (stacks(&r.dataset.value), stacks(&r.test.value)) {
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

    let cut = match (&r.cut.value.fractions, &r.cut.value.points) {
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
                pos(&r.cut),
                "`cut` needs one of `fractions: [..]` or `points: [..]`",
            );
            CutPlan::Fractions(Vec::new())
        }
    };
    let alpha = r
        .alpha
        .as_ref()
        .map_or(0.01, |a| positive(ck, "alpha", a, false));

    let rk = &r.ranking.value;
    let ranking = RankingPlan {
        annotators: annotators(ck, &rk.annotators),
        batch_size: at_least(ck, "batch_size", rk.batch_size.as_ref(), 2, 8),
        views_per_image: at_least(ck, "views_per_image", rk.views_per_image.as_ref(), 1, 3),
        noise: rk
            .noise
            .as_ref()
            .map_or(0.05, |n| positive(ck, "noise", n, true)),
        seconds_per_batch: positive(ck, "seconds_per_batch", &rk.seconds_per_batch, false),
        sessions: rk.sessions.as_ref().map(|p| csv_path(ck, p)),
    };
    let sg = &r.single.value;
    let error_rate = sg.error_rate.as_ref().map_or(0.2, |e| {
        if !(e.value.is_finite() && (0.0..=1.0).contains(&e.value)) {
            ck.error(
                pos(e),
                format!("`error_rate` must be in [0, 1], got {}", e.value),
            );
        }
        e.value
    });
    let single = SinglePlan {
        annotators: annotators(ck, &sg.annotators),
        error_rate,
        seconds_per_label: positive(ck, "seconds_per_label", &sg.seconds_per_label, false),
        labels: sg.labels.as_ref().map(|p| csv_path(ck, p)),
    };

    let t = &r.training.value;
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
    let mut sources = Vec::new();
    for s in &t.sources.value {
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
    if t.sources.value.is_empty() {
        ck.error(
            pos(&t.sources),
            "`sources` is empty; e.g. [truth, ranking, single]",
        );
    }
    ck.check_unique(
        "label source",
        t.sources.value.iter().map(|s| (s.value.as_str(), pos(s))),
        "",
    );
    let pre = preprocess(ck, t.input.as_ref(), t.normalize.as_ref());
    let optimizer = match t.optimizer.as_ref().map(|o| o.value) {
        None | Some(RawOptimizer::Adam) => OptimizerPlan::Adam,
        Some(RawOptimizer::Adamw) => OptimizerPlan::AdamW,
        Some(RawOptimizer::Sgd) => OptimizerPlan::Sgd { momentum: 0.9 },
    };
    let augment = t.augment.as_ref().map_or(AugmentPlan::default(), |a| {
        let a = &a.value;
        AugmentPlan {
            flip_x: a.flip_x,
            flip_y: a.flip_y,
            rot90: a.rot90,
            scale: a
                .scale
                .as_ref()
                .map_or(0.0, |v| positive(ck, "scale", v, true)),
            shift: a
                .shift
                .as_ref()
                .map_or(0.0, |v| positive(ck, "shift", v, true)),
        }
    });
    let training = LabelTrainingPlan {
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
    };

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
