//! Pairing the rows of two sides ([`compare`]): the pairing counts, the
//! newly failing rows, and the groups the pairs fall into.

use std::collections::BTreeMap;

use super::comparison::{Comparison, NEWLY_FAILING_LISTED, PairCounts, RowKey, side_info};
use super::conditions::classification_conditions;
use super::groups::{Pair, group};
use super::provenance::differences;
use super::settings::CompareSettings;
use super::side::{ScoreRow, Side, point_bits};

type PairKey = (String, String, String, String, u64, String, String);

fn key_of(r: &ScoreRow) -> PairKey {
    (
        r.model.clone(),
        r.dataset.clone(),
        r.sample.clone(),
        r.perturbation.clone(),
        point_bits(r.point),
        r.class.clone(),
        r.metric.clone(),
    )
}

/// The listed key of a newly failing row.
fn row_key(r: &ScoreRow) -> RowKey {
    RowKey {
        model: r.model.clone(),
        dataset: r.dataset.clone(),
        sample: r.sample.clone(),
        perturbation: r.perturbation.clone(),
        point: r.point,
        class: r.class.clone(),
        metric: r.metric.clone(),
    }
}

/// Compares side `a` (the reference) with side `b` (module documentation).
pub fn compare(a: &Side, b: &Side, settings: &CompareSettings) -> Comparison {
    let rows_a = a.score_rows();
    let rows_b = b.score_rows();
    let map_a: BTreeMap<PairKey, &ScoreRow> = rows_a
        .iter()
        .filter(|r| settings.keeps(&r.metric))
        .map(|r| (key_of(r), r))
        .collect();
    let map_b: BTreeMap<PairKey, &ScoreRow> = rows_b
        .iter()
        .filter(|r| settings.keeps(&r.metric))
        .map(|r| (key_of(r), r))
        .collect();
    let mut counts = PairCounts::default();
    let mut newly_failing = Vec::new();
    let mut pairs: Vec<Pair<'_>> = Vec::new();
    for (k, ra) in &map_a {
        let Some(rb) = map_b.get(k) else {
            counts.only_in_a += 1;
            continue;
        };
        match (ra.ok, rb.ok) {
            (true, false) => {
                counts.newly_failing += 1;
                if newly_failing.len() < NEWLY_FAILING_LISTED {
                    newly_failing.push(row_key(ra));
                }
            }
            (false, true) => counts.newly_passing += 1,
            (false, false) => counts.failed_both += 1,
            (true, true) => match (ra.value, rb.value) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                    pairs.push(Pair {
                        row: ra,
                        a: x,
                        b: y,
                    });
                }
                // defined in A, undefined in B (e.g. a surface distance
                // once the model stops predicting the class): a failure
                (Some(x), y) if x.is_finite() && !y.is_some_and(f64::is_finite) => {
                    counts.newly_failing += 1;
                    if newly_failing.len() < NEWLY_FAILING_LISTED {
                        newly_failing.push(row_key(ra));
                    }
                }
                _ => counts.nan_dropped += 1,
            },
        }
    }
    counts.only_in_b = map_b.keys().filter(|k| !map_a.contains_key(*k)).count();
    counts.paired = pairs.len();

    // Per-model groups: unit = dataset/sample; per-perturbation groups: unit = sample.
    let mut per_model: BTreeMap<(String, String), Vec<&Pair<'_>>> = BTreeMap::new();
    let mut per_pert: BTreeMap<(String, String, String, String), Vec<&Pair<'_>>> = BTreeMap::new();
    for p in &pairs {
        let r = p.row;
        per_model
            .entry((r.model.clone(), r.metric.clone()))
            .or_default()
            .push(p);
        per_pert
            .entry((
                r.model.clone(),
                r.dataset.clone(),
                r.perturbation.clone(),
                r.metric.clone(),
            ))
            .or_default()
            .push(p);
    }
    let mut groups = Vec::new();
    for ((model, metric), ps) in &per_model {
        groups.push(group(model, None, None, metric, ps, settings));
    }
    for ((model, dataset, pert, metric), ps) in &per_pert {
        groups.push(group(
            model,
            Some(dataset),
            Some(pert),
            metric,
            ps,
            settings,
        ));
    }
    let conditions = if a.is_classification() && b.is_classification() {
        classification_conditions(a, b, settings)
    } else {
        Vec::new()
    };
    Comparison {
        a: side_info(a),
        b: side_info(b),
        settings: settings.clone(),
        differences: differences(&a.provenance, &b.provenance),
        counts,
        newly_failing,
        groups,
        conditions,
    }
}
