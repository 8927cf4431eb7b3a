//! The parts of a suite that only classification suites have: the datasets'
//! side-marker policies, `statistics:`, `shortcut:` and `saliency:`.

use serde_saphyr::Spanned;

use super::checker::{Checker, backticked};
use super::perturbation::params_of;
use crate::plan::{
    ConditionPlan, DatasetPlan, MarkerPolicy, PerturbationPlan, SaliencyMethod, SaliencyPlan,
    ShortcutPlan, StatisticsPlan,
};
use crate::position::pos;
use crate::raw::{RawCondition, RawMarkers, RawSaliency, RawShortcut, RawStatistics};

/// The perturbation whose options a dataset's `markers:` takes.
const MARKER_PERTURBATION: &str = "marker_inject";

/// `markers:` of a classification dataset with `classes` classes.
pub(super) fn markers(
    ck: &mut Checker,
    m: &Spanned<RawMarkers>,
    classes: usize,
) -> Option<MarkerPolicy> {
    let errors_before = ck.errors.len();
    let r = &m.value;
    if r.rates.value.len() != classes {
        ck.error(
            pos(&r.rates),
            format!(
                "`rates` gives {} probabilities; give one per class ({classes}, in `classes:` order)",
                r.rates.value.len()
            ),
        );
    }
    for v in &r.rates.value {
        if !(0.0..=1.0).contains(&v.value) {
            ck.error(
                pos(v),
                format!(
                    "a marker rate is a probability within [0, 1], got {}",
                    v.value
                ),
            );
        }
    }
    if !(r.size.value.is_finite() && r.size.value >= 7.0) {
        ck.error(
            pos(&r.size),
            format!(
                "`size` is the glyph height in pixels, at least 7; got {}",
                r.size.value
            ),
        );
    }
    let params = params_of(r.options.as_ref());
    match ck.ctx.catalog.perturbations.get(MARKER_PERTURBATION) {
        Ok(entry) => {
            if let Err(e) = (entry.build)(&params) {
                let at = r.options.as_ref().map_or(pos(m), pos);
                ck.error(at, format!("`markers.options`: {e}"));
            }
        }
        Err(e) => ck.error(pos(m), format!("`markers` needs {e}")),
    }
    if ck.errors.len() > errors_before {
        return None;
    }
    Some(MarkerPolicy {
        size: r.size.value,
        params,
        rates: r.rates.value.iter().map(|v| v.value).collect(),
    })
}

/// `statistics:`.
pub(super) fn statistics(ck: &mut Checker, s: Option<&Spanned<RawStatistics>>) -> StatisticsPlan {
    let mut out = StatisticsPlan::default();
    let Some(s) = s else { return out };
    if let Some(b) = &s.value.bootstrap {
        if b.value < 100 {
            ck.error(
                pos(b),
                format!(
                    "`bootstrap` is the number of resamples, at least 100; got {}",
                    b.value
                ),
            );
        }
        out.bootstrap = b.value;
    }
    if let Some(l) = &s.value.level {
        if !(l.value > 0.0 && l.value < 1.0) {
            ck.error(
                pos(l),
                format!(
                    "`level` is a confidence level within (0, 1), e.g. 0.95; got {}",
                    l.value
                ),
            );
        }
        out.level = l.value;
    }
    out
}

/// The suite's datasets as conditions see them: every declared name, and the
/// fallback standing in for each skipped dataset.
pub(super) struct DatasetNames<'a> {
    /// Every dataset declared in the suite (used, skipped or unused fallback).
    pub declared: &'a [String],
    /// Skipped dataset -> the fallback used in its place.
    pub redirect: &'a std::collections::HashMap<String, String>,
}

/// Checks that `name` is a dataset of the suite (declared).
fn dataset_known(ck: &mut Checker, name: &Spanned<String>, names: &DatasetNames<'_>) {
    let known = names.declared.iter().map(String::as_str);
    if !known.clone().any(|d| d == name.value) {
        ck.error(
            pos(name),
            format!(
                "unknown dataset `{}` (datasets: {})",
                name.value,
                backticked(known)
            ),
        );
    }
}

/// Checks that `label` is `none` or a perturbation label of the suite.
fn perturbation_known(
    ck: &mut Checker,
    label: &Spanned<String>,
    perturbations: &[PerturbationPlan],
) -> Option<f64> {
    if label.value == "none" {
        return Some(0.0);
    }
    match perturbations.iter().find(|p| p.label == label.value) {
        Some(p) => p.points.first().copied(),
        None => {
            ck.error(
                pos(label),
                format!(
                    "unknown perturbation `{}` (use `none` or one of {})",
                    label.value,
                    backticked(perturbations.iter().map(|p| p.label.as_str()))
                ),
            );
            None
        }
    }
}

fn condition(
    ck: &mut Checker,
    c: &Spanned<RawCondition>,
    names: &DatasetNames<'_>,
    perturbations: &[PerturbationPlan],
) -> ConditionPlan {
    let r = &c.value;
    dataset_known(ck, &r.dataset, names);
    let dataset = names
        .redirect
        .get(&r.dataset.value)
        .cloned()
        .unwrap_or_else(|| r.dataset.value.clone());
    let perturbation = r
        .perturbation
        .as_ref()
        .map_or_else(|| "none".to_string(), |p| p.value.clone());
    let first = match &r.perturbation {
        Some(p) => perturbation_known(ck, p, perturbations),
        None => Some(0.0),
    };
    let point = match (&r.point, r.perturbation.as_ref()) {
        (Some(v), Some(p)) => {
            let points = perturbations
                .iter()
                .find(|x| x.label == p.value)
                .map(|x| x.points.clone())
                .unwrap_or_default();
            if !points.is_empty() && !points.contains(&v.value) {
                ck.error(
                    pos(v),
                    format!(
                        "point {} is not among the points of `{}` ({points:?})",
                        v.value, p.value
                    ),
                );
            }
            v.value
        }
        (Some(v), None) => {
            ck.error(pos(v), "`point` needs a `perturbation`");
            0.0
        }
        (None, _) => first.unwrap_or(0.0),
    };
    let name = match &r.name {
        Some(n) => n.value.clone(),
        None if perturbation == "none" => dataset.clone(),
        None => format!("{dataset} · {perturbation}"),
    };
    ConditionPlan {
        name,
        dataset,
        perturbation,
        point,
    }
}

/// `shortcut:`.
pub(super) fn shortcut(
    ck: &mut Checker,
    s: &Spanned<RawShortcut>,
    names: &DatasetNames<'_>,
    perturbations: &[PerturbationPlan],
    classes: usize,
) -> ShortcutPlan {
    let r = &s.value;
    if classes != 2 {
        ck.error(
            pos(s),
            format!("`shortcut` compares binary ROC AUCs (DeLong's test); the suite has {classes} classes, not 2"),
        );
    }
    if r.conditions.value.is_empty() {
        ck.error(
            pos(&r.conditions),
            "`conditions` is empty; list the conditions compared with the reference",
        );
    }
    let reference = condition(ck, &r.reference, names, perturbations);
    let conditions: Vec<ConditionPlan> = r
        .conditions
        .value
        .iter()
        .map(|c| condition(ck, c, names, perturbations))
        .collect();
    let saliency = r.saliency.as_ref().map(|m| {
        if !SaliencyMethod::ALL.iter().any(|x| x.name() == m.value) {
            ck.error(
                pos(m),
                format!(
                    "unknown saliency method `{}` (known: {})",
                    m.value,
                    backticked(SaliencyMethod::ALL.iter().map(|x| x.name()))
                ),
            );
        }
        m.value.clone()
    });
    ShortcutPlan {
        reference,
        conditions,
        saliency,
    }
}

/// `saliency:`.
pub(super) fn saliency(
    ck: &mut Checker,
    s: &Spanned<RawSaliency>,
    datasets: &[DatasetPlan],
    names: &DatasetNames<'_>,
    perturbations: &[PerturbationPlan],
) -> SaliencyPlan {
    let r = &s.value;
    let mut methods = Vec::new();
    if r.methods.value.is_empty() {
        ck.error(pos(&r.methods), "`methods` is empty; list at least one");
    }
    for m in &r.methods.value {
        match SaliencyMethod::ALL.iter().find(|x| x.name() == m.value) {
            Some(x) if methods.contains(x) => {
                ck.error(pos(m), format!("method `{}` is listed twice", m.value))
            }
            Some(x) => methods.push(*x),
            None => ck.error(
                pos(m),
                format!(
                    "unknown saliency method `{}` (known: {})",
                    m.value,
                    backticked(SaliencyMethod::ALL.iter().map(|x| x.name()))
                ),
            ),
        }
    }
    let names = match &r.datasets {
        Some(list) => {
            for d in &list.value {
                dataset_known(ck, d, names);
            }
            list.value
                .iter()
                .map(|d| {
                    names
                        .redirect
                        .get(&d.value)
                        .cloned()
                        .unwrap_or_else(|| d.value.clone())
                })
                .collect()
        }
        None => datasets.iter().map(|d| d.name.clone()).collect(),
    };
    let labels = match &r.perturbations {
        Some(list) => {
            for p in &list.value {
                perturbation_known(ck, p, perturbations);
            }
            list.value.iter().map(|p| p.value.clone()).collect()
        }
        None => vec!["none".to_string()],
    };
    let positive =
        |ck: &mut Checker, v: &Option<Spanned<usize>>, what: &str, default: usize| match v {
            Some(v) if v.value == 0 => {
                ck.error(pos(v), format!("`{what}` must be at least 1"));
                default
            }
            Some(v) => v.value,
            None => default,
        };
    let (patch, stride, batch) = match &r.occlusion {
        Some(o) => (
            positive(ck, &o.value.patch, "patch", 8),
            positive(ck, &o.value.stride, "stride", 4),
            positive(ck, &o.value.batch, "batch", 64),
        ),
        None => (8, 4, 64),
    };
    SaliencyPlan {
        methods,
        datasets: names,
        perturbations: labels,
        region_label: r.region_label.as_ref().map_or(1, |l| l.value),
        occlusion_patch: patch,
        occlusion_stride: stride,
        occlusion_batch: batch,
        gallery: r.gallery.as_ref().map_or(4, |g| g.value),
        class_maps: r.class_maps.unwrap_or(false),
    }
}
