//! Aggregation of classification runs: every metric per condition with a
//! seeded percentile-bootstrap CI, confusion matrices, paired tests between
//! models (same dataset and condition) and between each perturbed condition
//! and the unperturbed images (same model and dataset), and the shortcut
//! table (AUC under a reference condition vs other conditions, DeLong).
//!
//! Pairing is by sample id: two conditions are compared on the samples both
//! have a prediction and the same reference class for. DeLong's test needs a
//! binary task (AUC of class 1); Stuart–Maxwell (no zero shifting) and McNemar
//! (exact) apply to any number of classes.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rayon::prelude::*;
use sensibench_core::derive_seed;
use sensibench_metrics::classification::{ClassMetric, ConfusionMatrix, bootstrap_ci};
use sensibench_metrics::compare::{delong_auc_ci, delong_paired, mcnemar, stuart_maxwell};

use crate::Result;
use crate::classification::{Cases, ConditionKey, read_cases};

/// A metric of one condition.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClassMetricStat {
    pub model: String,
    pub dataset: String,
    pub perturbation: String,
    pub kind: String,
    pub parameter: String,
    pub point_index: u32,
    pub point: f64,
    pub metric: String,
    /// The metric on every case (`None` when undefined, e.g. AUC with one class).
    pub value: Option<f64>,
    /// Percentile-bootstrap CI over cases.
    pub ci: Option<(f64, f64)>,
    /// Cases scored.
    pub n: usize,
    /// Cases whose prediction failed.
    pub n_failed: usize,
}

/// The confusion matrix of one condition (rows: reference, columns: predicted).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConfusionTable {
    pub model: String,
    pub dataset: String,
    pub perturbation: String,
    pub point_index: u32,
    pub point: f64,
    pub k: usize,
    /// Row-major `k x k` counts.
    pub counts: Vec<u64>,
}

/// A paired comparison of two sets of predictions on the same cases.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PairedTest {
    pub dataset: String,
    /// `model`: two models under one condition; `condition`: one model,
    /// perturbed (`b`) vs unperturbed (`a`).
    pub kind: String,
    pub a: String,
    pub b: String,
    /// The condition of the comparison (`none` for unperturbed images).
    pub perturbation: String,
    pub point_index: u32,
    pub point: f64,
    /// Paired cases.
    pub n: usize,
    pub accuracy_a: Option<f64>,
    pub accuracy_b: Option<f64>,
    /// Exact McNemar p of the paired accuracies.
    pub mcnemar_p: Option<f64>,
    /// Stuart–Maxwell (statistic, df, p) of the predicted-label margins.
    pub stuart_maxwell: Option<(f64, usize, f64)>,
    /// Binary tasks: AUC of a, AUC of b, DeLong's two-sided p.
    pub auc_a: Option<f64>,
    pub auc_b: Option<f64>,
    pub delong_p: Option<f64>,
}

/// A condition of the shortcut table, named.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConditionRef {
    pub name: String,
    pub dataset: String,
    pub perturbation: String,
    pub point_index: u32,
}

/// One cell of a model's shortcut row.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ShortcutCell {
    pub condition: String,
    pub auc: Option<f64>,
    /// DeLong CI of the AUC.
    pub ci: Option<(f64, f64)>,
    /// AUC here − AUC under the reference, on the paired cases.
    pub delta: Option<f64>,
    /// DeLong's paired p against the reference.
    pub p: Option<f64>,
    /// Paired cases (cases of the condition itself for the reference).
    pub n: usize,
}

/// A model's row of the shortcut table.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ShortcutRow {
    pub model: String,
    pub reference: ShortcutCell,
    pub conditions: Vec<ShortcutCell>,
}

/// Everything a report shows of a classification run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ClassificationTables {
    pub metrics: Vec<ClassMetricStat>,
    pub confusion: Vec<ConfusionTable>,
    pub pairs: Vec<PairedTest>,
    pub shortcut: Vec<ShortcutRow>,
    /// Failed predictions grouped by model, dataset, perturbation and reason.
    pub failures: Vec<(String, String, String, String, usize)>,
}

/// How to aggregate.
#[derive(Clone, Debug)]
pub struct ClassificationSpec<'a> {
    /// Metric names (`ClassMetric` names) in report order.
    pub metrics: &'a [String],
    /// Bootstrap resamples and confidence level of the CIs.
    pub bootstrap: usize,
    pub level: f64,
    /// Seeds the bootstrap (with the condition and metric).
    pub seed: u64,
    /// The shortcut table's reference and conditions.
    pub shortcut: Option<(ConditionRef, Vec<ConditionRef>)>,
}

/// Cases of `a` and `b` paired by sample id (same reference class):
/// (indices into a, indices into b).
fn pair(a: &Cases, b: &Cases) -> (Vec<usize>, Vec<usize>) {
    let index: HashMap<&str, usize> = b
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut ia = Vec::new();
    let mut ib = Vec::new();
    for (i, s) in a.samples.iter().enumerate() {
        if let Some(&j) = index.get(s.as_str())
            && a.truth[i] == b.truth[j]
        {
            ia.push(i);
            ib.push(j);
        }
    }
    (ia, ib)
}

fn class1_scores(c: &Cases, idx: &[usize]) -> Vec<f64> {
    idx.iter()
        .map(|&i| f64::from(c.probs[i * c.k + 1]))
        .collect()
}

fn paired_test(
    dataset: &str,
    kind: &str,
    (a_name, a): (&str, &Cases),
    (b_name, b): (&str, &Cases),
    perturbation: &str,
    point_index: u32,
    point: f64,
) -> PairedTest {
    let (ia, ib) = pair(a, b);
    let k = a.k;
    let truth: Vec<usize> = ia.iter().map(|&i| a.truth[i]).collect();
    let pa: Vec<usize> = ia.iter().map(|&i| a.predicted(i)).collect();
    let pb: Vec<usize> = ib.iter().map(|&j| b.predicted(j)).collect();
    let ca: Vec<bool> = pa.iter().zip(&truth).map(|(p, t)| p == t).collect();
    let cb: Vec<bool> = pb.iter().zip(&truth).map(|(p, t)| p == t).collect();
    let acc = |c: &[bool]| {
        (!c.is_empty()).then(|| c.iter().filter(|&&x| x).count() as f64 / c.len() as f64)
    };
    let (auc_a, auc_b, delong_p) = if k == 2 && b.k == 2 {
        let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
        match delong_paired(&class1_scores(a, &ia), &class1_scores(b, &ib), &positive) {
            Ok(d) => (Some(d.auc_a), Some(d.auc_b), Some(d.p)),
            Err(_) => (None, None, None),
        }
    } else {
        (None, None, None)
    };
    PairedTest {
        dataset: dataset.to_string(),
        kind: kind.to_string(),
        a: a_name.to_string(),
        b: b_name.to_string(),
        perturbation: perturbation.to_string(),
        point_index,
        point,
        n: truth.len(),
        accuracy_a: acc(&ca),
        accuracy_b: acc(&cb),
        mcnemar_p: mcnemar(&ca, &cb).ok().map(|m| m.p_exact),
        stuart_maxwell: (k == b.k)
            .then(|| stuart_maxwell(&pa, &pb, k, false).ok())
            .flatten()
            .map(|s| (s.statistic, s.df, s.p)),
        auc_a,
        auc_b,
        delong_p,
    }
}

/// Reads the prediction parts of `run_dir` and aggregates them; `None` when
/// the run has none.
pub fn aggregate_classification(
    run_dir: &Path,
    spec: &ClassificationSpec<'_>,
) -> Result<Option<ClassificationTables>> {
    let Some(cases) = read_cases(run_dir)? else {
        return Ok(None);
    };
    let metrics: Vec<ClassMetric> = spec
        .metrics
        .iter()
        .filter_map(|m| ClassMetric::from_name(m).ok())
        .collect();
    let stats = metric_stats(&cases, &metrics, spec);
    let confusion = confusion_tables(&cases);
    let pairs = paired_tests(&cases);
    let shortcut = match &spec.shortcut {
        Some((reference, conditions)) => shortcut_rows(&cases, reference, conditions, spec.level),
        None => Vec::new(),
    };
    Ok(Some(ClassificationTables {
        metrics: stats,
        confusion,
        pairs,
        shortcut,
        failures: failure_counts(&cases),
    }))
}

/// Every condition of a run with its cases.
type CaseMap = BTreeMap<ConditionKey, Cases>;

/// Every metric of every condition with its bootstrap CI, in parallel over
/// (condition, metric).
fn metric_stats(
    cases: &CaseMap,
    metrics: &[ClassMetric],
    spec: &ClassificationSpec<'_>,
) -> Vec<ClassMetricStat> {
    let jobs: Vec<(&ConditionKey, &Cases, ClassMetric)> = cases
        .iter()
        .flat_map(|(key, c)| metrics.iter().map(move |m| (key, c, *m)))
        .collect();
    jobs.par_iter()
        .map(|(key, c, m)| {
            let n = c.samples.len();
            let value = (n > 0)
                .then(|| m.compute(&c.probs, c.k, &c.truth))
                .flatten();
            let seed = derive_seed(
                spec.seed,
                &[
                    "bootstrap",
                    &key.model,
                    &key.dataset,
                    &key.perturbation,
                    &key.point_index.to_string(),
                    m.name(),
                ],
            );
            let ci = if n >= 2 {
                bootstrap_ci(
                    *m,
                    &c.probs,
                    c.k,
                    &c.truth,
                    spec.bootstrap,
                    spec.level,
                    seed,
                )
            } else {
                None
            };
            ClassMetricStat {
                model: key.model.clone(),
                dataset: key.dataset.clone(),
                perturbation: key.perturbation.clone(),
                kind: c.kind.clone(),
                parameter: c.parameter.clone(),
                point_index: key.point_index,
                point: c.point,
                metric: m.name().to_string(),
                value,
                ci,
                n,
                n_failed: c.failed.len(),
            }
        })
        .collect()
}

/// The confusion matrix of every condition.
fn confusion_tables(cases: &CaseMap) -> Vec<ConfusionTable> {
    cases
        .iter()
        .filter_map(|(key, c)| {
            let pred: Vec<usize> = (0..c.samples.len()).map(|i| c.predicted(i)).collect();
            let cm = ConfusionMatrix::new(&c.truth, &pred, c.k.max(2)).ok()?;
            Some(ConfusionTable {
                model: key.model.clone(),
                dataset: key.dataset.clone(),
                perturbation: key.perturbation.clone(),
                point_index: key.point_index,
                point: c.point,
                k: cm.k(),
                counts: cm.counts().to_vec(),
            })
        })
        .collect()
}

/// Paired tests: models under the same condition (ground-truth reference
/// only), and each perturbed condition against the model's unperturbed one.
fn paired_tests(cases: &CaseMap) -> Vec<PairedTest> {
    type ByCondition<'a> = BTreeMap<(&'a str, &'a str, u32), Vec<(&'a str, &'a Cases)>>;
    let mut by_condition: ByCondition<'_> = BTreeMap::new();
    for (key, c) in cases {
        by_condition
            .entry((
                key.dataset.as_str(),
                key.perturbation.as_str(),
                key.point_index,
            ))
            .or_default()
            .push((key.model.as_str(), c));
    }
    let mut pairs = Vec::new();
    for ((dataset, perturbation, pi), list) in &by_condition {
        // against each model's own unperturbed class, two models have
        // different references: no model-vs-model comparison
        if list.iter().any(|(_, c)| c.reference_mode != "ground_truth") {
            continue;
        }
        for i in 0..list.len() {
            for j in i + 1..list.len() {
                pairs.push(paired_test(
                    dataset,
                    "model",
                    list[i],
                    list[j],
                    perturbation,
                    *pi,
                    list[i].1.point,
                ));
            }
        }
    }
    for (key, c) in cases {
        if key.perturbation == "none" {
            continue;
        }
        let base = ConditionKey {
            model: key.model.clone(),
            dataset: key.dataset.clone(),
            perturbation: "none".into(),
            point_index: 0,
        };
        if let Some(b) = cases.get(&base) {
            pairs.push(paired_test(
                &key.dataset,
                "condition",
                (&key.model, b),
                (&key.model, c),
                &key.perturbation,
                key.point_index,
                c.point,
            ));
        }
    }
    pairs
}

/// The shortcut table: per model, the AUC under `reference` and under each
/// of `conditions` against it (DeLong, CIs at `level`).
fn shortcut_rows(
    cases: &CaseMap,
    reference: &ConditionRef,
    conditions: &[ConditionRef],
    level: f64,
) -> Vec<ShortcutRow> {
    let mut shortcut = Vec::new();
    let models: Vec<&str> = {
        let mut m: Vec<&str> = cases.keys().map(|k| k.model.as_str()).collect();
        m.dedup();
        m
    };
    let get = |model: &str, c: &ConditionRef| {
        cases.get(&ConditionKey {
            model: model.to_string(),
            dataset: c.dataset.clone(),
            perturbation: c.perturbation.clone(),
            point_index: c.point_index,
        })
    };
    let auc_ci = |c: &Cases| -> (Option<f64>, Option<(f64, f64)>) {
        if c.k != 2 {
            return (None, None);
        }
        let idx: Vec<usize> = (0..c.samples.len()).collect();
        let positive: Vec<bool> = c.truth.iter().map(|&t| t == 1).collect();
        match delong_auc_ci(&class1_scores(c, &idx), &positive, level) {
            Some((auc, lo, hi)) => (Some(auc), Some((lo, hi))),
            None => (None, None),
        }
    };
    for model in models {
        let Some(r) = get(model, reference) else {
            continue;
        };
        let (auc, ci) = auc_ci(r);
        let reference_cell = ShortcutCell {
            condition: reference.name.clone(),
            auc,
            ci,
            delta: None,
            p: None,
            n: r.samples.len(),
        };
        let cells = conditions
            .iter()
            .map(|cond| match get(model, cond) {
                None => ShortcutCell {
                    condition: cond.name.clone(),
                    auc: None,
                    ci: None,
                    delta: None,
                    p: None,
                    n: 0,
                },
                Some(c) => {
                    let (auc, ci) = auc_ci(c);
                    let t = paired_test(
                        &cond.dataset,
                        "condition",
                        (model, r),
                        (model, c),
                        &cond.perturbation,
                        cond.point_index,
                        c.point,
                    );
                    ShortcutCell {
                        condition: cond.name.clone(),
                        auc,
                        ci,
                        delta: t.auc_a.zip(t.auc_b).map(|(a, b)| b - a),
                        p: t.delong_p,
                        n: t.n,
                    }
                }
            })
            .collect();
        shortcut.push(ShortcutRow {
            model: model.to_string(),
            reference: reference_cell,
            conditions: cells,
        });
    }
    shortcut
}

/// Failed predictions counted by model, dataset, perturbation and reason.
fn failure_counts(cases: &CaseMap) -> Vec<(String, String, String, String, usize)> {
    let mut failures: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    for (key, c) in cases {
        for (_, reason) in &c.failed {
            *failures
                .entry((
                    key.model.clone(),
                    key.dataset.clone(),
                    key.perturbation.clone(),
                    reason.clone(),
                ))
                .or_default() += 1;
        }
    }
    failures
        .into_iter()
        .map(|((m, d, p, r), n)| (m, d, p, r, n))
        .collect()
}
