//! `metrics::paired` against scipy 1.17 (fixture: tests/reference/paired_scipy.json,
//! written by tests/reference/paired_scipy.py).
#![allow(clippy::unwrap_used)]

use sensibench_metrics::paired::{sign_flip_permutation, wilcoxon_signed_rank};

fn fixture() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/paired_scipy.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn wilcoxon_matches_scipy() {
    let f = fixture();
    let cases = f["wilcoxon"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let d = floats(&c["d"]);
        let w = wilcoxon_signed_rank(&d);
        let p = c["p_value"].as_f64().unwrap();
        assert_eq!(w.method, c["method"].as_str().unwrap(), "{name}");
        assert_eq!(w.n, d.len(), "{name}");
        assert_eq!(w.n_zero as u64, c["n_zero"].as_u64().unwrap(), "{name}");
        assert!(
            (w.statistic - c["statistic"].as_f64().unwrap()).abs() < 1e-9,
            "{name}: {w:?}"
        );
        assert!(
            (w.p_value - p).abs() <= 1e-12 + 1e-9 * p,
            "{name}: {} vs {p}",
            w.p_value
        );
    }
}

#[test]
fn sign_flip_matches_scipy() {
    let f = fixture();
    for c in f["sign_flip"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let d = floats(&c["d"]);
        let p = c["p_value"].as_f64().unwrap();
        let t = sign_flip_permutation(&d, 20_000, 7);
        if d.len() <= 16 {
            assert!(t.exact, "{name}");
            assert!(
                (t.p_value - p).abs() < 1e-12,
                "{name}: {} vs {p}",
                t.p_value
            );
        } else {
            // Monte Carlo: binomial standard error sqrt(p(1-p)/R) ~ 0.003; allow 4 SE.
            assert!(!t.exact, "{name}");
            assert!(
                (t.p_value - p).abs() < 0.012,
                "{name}: {} vs {p}",
                t.p_value
            );
            // Repeatable for a seed.
            assert_eq!(t, sign_flip_permutation(&d, 20_000, 7));
        }
    }
}
