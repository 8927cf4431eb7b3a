//! Classification conditions: per (model, dataset, perturbation, point),
//! accuracy with McNemar's exact test and one-vs-rest AUC with DeLong's
//! paired test.

use std::collections::BTreeMap;

use sensibench_core::derive_seed;
use sensibench_metrics::dist::normal_quantile;
use sensibench_metrics::paired::paired_bootstrap_ci;
use sensibench_metrics::{delong_paired, mcnemar};

use super::comparison::ConditionComparison;
use super::groups::mean;
use super::settings::{CompareSettings, Verdict, verdict};
use super::side::{Side, point_bits};

/// One sample's probabilities by class index.
type ClassProbabilities = BTreeMap<u32, f64>;

/// One sample under one condition: truth, prediction, probabilities by class index.
#[derive(Default)]
struct Case {
    truth: Option<u32>,
    predicted: Option<u32>,
    probs: BTreeMap<u32, f64>,
    ok: bool,
}

type CondKey = (String, String, String, u64);
type CondCases = BTreeMap<CondKey, (f64, u32, BTreeMap<String, Case>)>;

fn cases(side: &Side) -> (CondCases, BTreeMap<u32, String>) {
    let mut out: CondCases = BTreeMap::new();
    let mut names = BTreeMap::new();
    for p in &side.probabilities {
        names
            .entry(p.class_index)
            .or_insert_with(|| p.class.clone());
        let c = out
            .entry((
                p.model.clone(),
                p.dataset.clone(),
                p.perturbation.clone(),
                point_bits(p.point),
            ))
            .or_insert_with(|| (p.point, p.point_index, BTreeMap::new()));
        let case = c.2.entry(p.sample.clone()).or_insert_with(|| Case {
            ok: true,
            ..Case::default()
        });
        case.truth = p.truth;
        case.predicted = p.predicted;
        match (p.ok, p.probability) {
            (true, Some(v)) if v.is_finite() => {
                case.probs.insert(p.class_index, v);
            }
            _ => case.ok = false,
        }
    }
    (out, names)
}

/// The per-condition tests of two classification sides.
pub(super) fn classification_conditions(
    a: &Side,
    b: &Side,
    settings: &CompareSettings,
) -> Vec<ConditionComparison> {
    let (ca, names) = cases(a);
    let (cb, _) = cases(b);
    let z = normal_quantile((1.0 + settings.level) / 2.0);
    let mut out = Vec::new();
    for (key, (point, point_index, sa)) in &ca {
        let Some((_, _, sb)) = cb.get(key) else {
            continue;
        };
        // Paired samples: ok on both sides, same truth, same classes.
        let mut truth = Vec::new();
        let mut correct_a = Vec::new();
        let mut correct_b = Vec::new();
        let mut probs: Vec<(&ClassProbabilities, &ClassProbabilities)> = Vec::new();
        for (id, x) in sa {
            let Some(y) = sb.get(id) else { continue };
            let (Some(t), Some(pa), Some(pb)) = (x.truth, x.predicted, y.predicted) else {
                continue;
            };
            if !x.ok || !y.ok || y.truth != Some(t) || x.probs.len() != y.probs.len() {
                continue;
            }
            truth.push(t);
            correct_a.push(pa == t);
            correct_b.push(pb == t);
            probs.push((&x.probs, &y.probs));
        }
        let base = |metric: &str, class: Option<String>| ConditionComparison {
            model: key.0.clone(),
            dataset: key.1.clone(),
            perturbation: key.2.clone(),
            point: *point,
            point_index: *point_index,
            metric: metric.to_string(),
            class,
            n: truth.len(),
            a: f64::NAN,
            b: f64::NAN,
            diff: f64::NAN,
            ci: None,
            p_value: 1.0,
            test: String::new(),
            tolerance: settings.tolerance_of(metric),
            verdict: Verdict::Unchanged,
            note: None,
        };
        if settings.keeps("accuracy") {
            let mut c = base("accuracy", None);
            c.test = "mcnemar (exact)".into();
            let fa: Vec<f64> = correct_a.iter().map(|&v| f64::from(u8::from(v))).collect();
            let fb: Vec<f64> = correct_b.iter().map(|&v| f64::from(u8::from(v))).collect();
            match mcnemar(&correct_a, &correct_b) {
                Ok(m) => {
                    c.a = mean(&fa);
                    c.b = mean(&fb);
                    c.diff = c.b - c.a;
                    c.p_value = m.p_exact;
                    let seed = derive_seed(
                        settings.seed,
                        &[&key.0, &key.1, &key.2, &point_index.to_string(), "accuracy"],
                    );
                    c.ci = paired_bootstrap_ci(&fa, &fb, settings.resamples, settings.level, seed)
                        .ok()
                        .flatten();
                    c.verdict = verdict(
                        c.diff,
                        c.p_value,
                        c.tolerance,
                        settings.alpha,
                        settings.higher_is_better_of("accuracy"),
                    );
                }
                Err(e) => c.note = Some(e),
            }
            out.push(c);
        }
        if settings.keeps("auc") {
            for (&ci, name) in &names {
                let mut c = base("auc", Some(name.clone()));
                c.test = "delong".into();
                let positive: Vec<bool> = truth.iter().map(|&t| t == ci).collect();
                let sa: Option<Vec<f64>> = probs.iter().map(|p| p.0.get(&ci).copied()).collect();
                let sb: Option<Vec<f64>> = probs.iter().map(|p| p.1.get(&ci).copied()).collect();
                match (sa, sb) {
                    (Some(sa), Some(sb)) => match delong_paired(&sa, &sb, &positive) {
                        Ok(t) => {
                            c.a = t.auc_a;
                            c.b = t.auc_b;
                            c.diff = t.diff;
                            c.p_value = t.p;
                            c.ci = Some((t.diff - z * t.se, t.diff + z * t.se));
                            c.verdict = verdict(
                                c.diff,
                                c.p_value,
                                c.tolerance,
                                settings.alpha,
                                settings.higher_is_better_of("auc"),
                            );
                        }
                        Err(e) => c.note = Some(e),
                    },
                    _ => c.note = Some(format!("class `{name}`: probabilities missing")),
                }
                out.push(c);
            }
        }
    }
    out
}
