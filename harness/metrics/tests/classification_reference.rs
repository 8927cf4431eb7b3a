//! Compares the classification metrics, the paired tests and the tail
//! functions with `tests/reference/classification_reference.json`, written by
//! `tests/reference/classification_reference.py` (scikit-learn, statsmodels,
//! scipy, and numpy implementations of DeLong's O(m·n) structural components
//! and of the ECE).
//!
//! Tolerances: `1e-10 · max(1, |want|)` for the metrics and test statistics
//! (closed forms: they agree to a few ulps); p-values and tail
//! probabilities to `1e-10` relative (they reach 1e-14 and below, where an
//! absolute tolerance would test nothing).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a message

use sensibench_metrics::classification::predicted_classes;
use sensibench_metrics::dist::binomial_two_sided_half;
use sensibench_metrics::{
    ClassMetric, ConfusionMatrix, KappaWeights, chi2_sf, delong_auc_ci, delong_paired,
    expected_calibration_error, mcnemar, normal_cdf, normal_sf, roc_auc_ovr_macro, stuart_maxwell,
};
use serde_json::Value;

fn load() -> Value {
    let path = format!(
        "{}/tests/reference/classification_reference.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-10 * want.abs().max(1.0);
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

fn rel(got: f64, want: f64, what: &str) {
    let tol = 1e-10 * want.abs();
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e}"
    );
}

/// `Some(x)` must match a number, `None` must match `null`.
fn close_opt(got: Option<f64>, want: &Value, what: &str) {
    match (got, want.as_f64()) {
        (Some(g), Some(w)) => close(g, w, what),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, want {want}"),
    }
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_bool().unwrap())
        .collect()
}

#[test]
fn classification_metrics_match_sklearn() {
    let fx = load();
    for case in fx["classification"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["k"].as_u64().unwrap() as usize;
        let truth = usizes(&case["truth"]);
        // The probabilities are float32 values stored exactly as float64.
        let probs: Vec<f32> = f64s(&case["probs"]).iter().map(|&v| v as f32).collect();
        let e = &case["expected"];

        let pred = predicted_classes(&probs, k);
        assert_eq!(pred, usizes(&e["pred"]), "{name}: argmax");
        let cm = ConfusionMatrix::new(&truth, &pred, k).unwrap();
        let want_counts: Vec<u64> = usizes(&e["confusion"]).iter().map(|&v| v as u64).collect();
        assert_eq!(cm.counts(), &want_counts[..], "{name}: confusion matrix");

        close_opt(cm.accuracy(), &e["accuracy"], name);
        close_opt(cm.balanced_accuracy(), &e["balanced_accuracy"], name);
        close_opt(cm.macro_f1(), &e["macro_f1"], name);
        close_opt(roc_auc_ovr_macro(&probs, k, &truth), &e["roc_auc"], name);
        for (w, key) in [
            (KappaWeights::Unweighted, "kappa"),
            (KappaWeights::Linear, "kappa_linear"),
            (KappaWeights::Quadratic, "kappa_quadratic"),
        ] {
            // sklearn with labels=range(k).
            close_opt(cm.cohen_kappa(w), &e[key], &format!("{name}: {key}"));
            // sklearn's default labels agree when the present classes are 0..m.
            if e["present_classes_contiguous"].as_bool().unwrap() {
                let default_key = format!("{key}_sklearn_default_labels");
                close_opt(cm.cohen_kappa(w), &e[&default_key], &default_key);
            }
        }
        close_opt(
            expected_calibration_error(&probs, k, &truth, 15),
            &e["ece15"],
            &format!("{name}: ece15"),
        );
        close_opt(
            expected_calibration_error(&probs, k, &truth, 10),
            &e["ece10"],
            &format!("{name}: ece10"),
        );

        // ClassMetric::compute is the same numbers by name.
        for m in ClassMetric::ALL {
            let key = if m == ClassMetric::Ece {
                "ece15"
            } else {
                m.name()
            };
            close_opt(
                m.compute(&probs, k, &truth),
                &e[key],
                &format!("{name}: compute {}", m.name()),
            );
        }
    }
}

#[test]
fn sklearn_default_kappa_labels_differ_only_with_a_gap() {
    // The fixture's class-2-absent case documents the deviation: linear and
    // quadratic kappas on the class indices differ from sklearn's default
    // (re-indexed) ones, the unweighted kappa does not.
    let fx = load();
    let case = fx["classification"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            !c["expected"]["present_classes_contiguous"]
                .as_bool()
                .unwrap()
        })
        .unwrap();
    let e = &case["expected"];
    let num = |key: &str| e[key].as_f64().unwrap();
    assert_eq!(num("kappa"), num("kappa_sklearn_default_labels"));
    assert!((num("kappa_linear") - num("kappa_linear_sklearn_default_labels")).abs() > 1e-3);
}

#[test]
fn delong_matches_the_quadratic_reference() {
    let fx = load();
    for case in fx["delong"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let a = f64s(&case["scores_a"]);
        let b = f64s(&case["scores_b"]);
        let pos = bools(&case["positive"]);
        let e = &case["expected"];
        let t = delong_paired(&a, &b, &pos).unwrap();
        for (got, key) in [
            (t.auc_a, "auc_a"),
            (t.auc_b, "auc_b"),
            (t.diff, "diff"),
            (t.var_a, "var_a"),
            (t.var_b, "var_b"),
            (t.cov, "cov"),
            (t.se, "se"),
            (t.z, "z"),
        ] {
            close(got, e[key].as_f64().unwrap(), &format!("{name}: {key}"));
        }
        // Variances are ~1e-3: check them relatively too.
        for (got, key) in [(t.var_a, "var_a"), (t.var_b, "var_b"), (t.cov, "cov")] {
            rel(got, e[key].as_f64().unwrap(), &format!("{name}: {key}"));
        }
        rel(t.p, e["p"].as_f64().unwrap(), &format!("{name}: p"));
        let (auc, lo, hi) = delong_auc_ci(&a, &pos, 0.95).unwrap();
        let want = f64s(&e["ci95_a"]);
        close(auc, want[0], name);
        close(lo, want[1], name);
        close(hi, want[2], name);
    }
}

#[test]
fn stuart_maxwell_matches_statsmodels() {
    let fx = load();
    for case in fx["stuart_maxwell"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["k"].as_u64().unwrap() as usize;
        let a = usizes(&case["pred_a"]);
        let b = usizes(&case["pred_b"]);
        for (shift, key) in [(false, "noshift"), (true, "shift")] {
            let e = &case["expected"][key];
            let what = format!("{name} {key} ({})", e["method"].as_str().unwrap());
            let t = stuart_maxwell(&a, &b, k, shift).unwrap();
            assert_eq!(t.df as u64, e["df"].as_u64().unwrap(), "{what}: df");
            close(t.statistic, e["statistic"].as_f64().unwrap(), &what);
            rel(t.p, e["p_sf"].as_f64().unwrap(), &what);
            // statsmodels' own p-value is 1 − cdf: absolute agreement only.
            if let Some(p) = e["p_statsmodels"].as_f64() {
                assert!((t.p - p).abs() < 1e-14, "{what}: {} vs {p}", t.p);
            }
        }
    }
}

#[test]
fn mcnemar_matches_statsmodels() {
    let fx = load();
    for case in fx["mcnemar"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let e = &case["expected"];
        let t = mcnemar(&bools(&case["correct_a"]), &bools(&case["correct_b"])).unwrap();
        assert_eq!(t.b, e["b"].as_u64().unwrap(), "{name}: b");
        assert_eq!(t.c, e["c"].as_u64().unwrap(), "{name}: c");
        close(t.statistic, e["statistic"].as_f64().unwrap(), name);
        rel(t.p_exact, e["p_exact"].as_f64().unwrap(), name);
        rel(t.p_chi2, e["p_chi2"].as_f64().unwrap(), name);
    }
}

#[test]
fn tails_match_scipy() {
    let fx = load();
    let t = &fx["tails"];
    for v in t["normal"].as_array().unwrap() {
        let x = v["x"].as_f64().unwrap();
        rel(
            normal_sf(x),
            v["sf"].as_f64().unwrap(),
            &format!("norm.sf({x})"),
        );
        rel(
            normal_cdf(x),
            v["cdf"].as_f64().unwrap(),
            &format!("norm.cdf({x})"),
        );
    }
    for v in t["chi2"].as_array().unwrap() {
        let (x, df) = (v["x"].as_f64().unwrap(), v["df"].as_f64().unwrap());
        rel(
            chi2_sf(x, df),
            v["sf"].as_f64().unwrap(),
            &format!("chi2.sf({x}, {df})"),
        );
    }
    for v in t["binomial_two_sided"].as_array().unwrap() {
        let (x, n) = (v["x"].as_u64().unwrap(), v["n"].as_u64().unwrap());
        rel(
            binomial_two_sided_half(x, n),
            v["p"].as_f64().unwrap(),
            &format!("binomial x={x} n={n}"),
        );
    }
}
