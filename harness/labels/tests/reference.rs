//! sensibench-labels against independent references (choix, sklearn, scipy
//! via tests/reference/reference.json, written by make_reference.py) and
//! end-to-end checks of the CSV files and the simulated annotators.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use sensibench_labels::*;
use sensibench_metrics::KappaWeights;
use serde_json::Value;

fn reference() -> Value {
    let text = include_str!("reference/reference.json");
    serde_json::from_str(text).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// The ranking sessions of a reference case: batch `b{i}` of annotator
/// `ref` ranks the ids of entry `i`.
fn sessions(v: &Value) -> Vec<RankingSession> {
    v.as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, s)| RankingSession {
            annotator: "ref".into(),
            batch: format!("b{i}"),
            items: strings(s),
        })
        .collect()
}

#[test]
fn bradley_terry_matches_choix_opt_pairwise() {
    let r = reference();
    let cases = r["bt"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let ids = strings(&case["ids"]);
        let sessions = sessions(&case["sessions"]);
        let alpha = case["alpha"].as_f64().unwrap();
        let want = floats(&case["scores"]);
        let fit = bradley_terry_ids(&ids, &sessions, alpha).unwrap();
        assert!(fit.converged, "{name}: not converged");
        assert!(
            fit.iterations > 0 && fit.iterations < 50,
            "{name}: {}",
            fit.iterations
        );
        let mean = fit.scores.iter().sum::<f64>() / fit.scores.len() as f64;
        assert!(mean.abs() < 1e-12, "{name}: mean {mean}");
        for (i, (g, w)) in fit.scores.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-6,
                "{name}: {} got {g}, choix {w}",
                ids[i]
            );
        }
        // Comparisons per image: an image in a batch of m takes part in m − 1.
        let mut comps = vec![0usize; ids.len()];
        for s in &sessions {
            for id in &s.items {
                comps[ids.iter().position(|x| x == id).unwrap()] += s.items.len() - 1;
            }
        }
        assert_eq!(fit.comparisons, comps, "{name}");
        // Without the explicit id list the never-ranked image is absent and
        // the others keep their scores (they are 0 there anyway).
        let plain = bradley_terry(&sessions, alpha).unwrap();
        for (id, s) in plain.ids.iter().zip(&plain.scores) {
            let w = want[ids.iter().position(|x| x == id).unwrap()];
            assert!((s - w).abs() <= 1e-6, "{name}: {id}");
        }
    }
    // Data set 1: "e" is never beaten, "a" never beats, "f" never ranked.
    let c = &cases[0];
    let ids = strings(&c["ids"]);
    let sessions = sessions(&c["sessions"]);
    let fit = bradley_terry_ids(&ids, &sessions, DEFAULT_ALPHA).unwrap();
    assert_eq!(fit.unranked(), ["f"]);
    assert_eq!(fit.scores[5], 0.0);
    assert_eq!(fit.order(), ["a", "b", "f", "c", "d", "e"]);
    assert_eq!(
        bradley_terry(&sessions, DEFAULT_ALPHA).unwrap().ids.len(),
        5
    );
}

#[test]
fn kappa_matches_sklearn() {
    let r = reference();
    for case in r["kappa"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["k"].as_u64().unwrap() as usize;
        let (a, b) = (u32s(&case["a"]), u32s(&case["b"]));
        for (key, w) in [
            ("unweighted", KappaWeights::Unweighted),
            ("linear", KappaWeights::Linear),
            ("quadratic", KappaWeights::Quadratic),
        ] {
            let want = case[key].as_f64().unwrap();
            let ci = kappa_with_ci(&a, &b, k, w, 200, 0.95, 11).unwrap();
            assert!(
                (ci.kappa - want).abs() < 1e-12,
                "{name} {key}: {} vs {want}",
                ci.kappa
            );
            assert!(
                ci.lo <= ci.kappa && ci.kappa <= ci.hi,
                "{name} {key}: {ci:?}"
            );
            assert_eq!(ci.n, a.len());
        }
    }
}

#[test]
fn spearman_matches_scipy() {
    let r = reference();
    for case in r["spearman"].as_array().unwrap() {
        let got = spearman(&floats(&case["a"]), &floats(&case["b"])).unwrap();
        let want = case["rho"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{got} {want}");
    }
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("img{i:03}")).collect()
}

#[test]
fn csv_round_trips_and_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let ids = ids(30);
    let pos: Vec<f64> = (0..30).map(|i| i as f64 / 29.0).collect();
    let mut sessions = simulate_rankings(
        &ids,
        &pos,
        &RankingAnnotatorModel::default(),
        "expert, one",
        1,
    )
    .unwrap();
    sessions[0].annotator = "say \"two\"".into();
    let p = dir.path().join("rankings.csv");
    write_rankings(&p, &sessions).unwrap();
    assert_eq!(read_rankings(&p).unwrap(), sessions);

    let classes: Vec<String> = ["too_basal", "LV", "too_apical"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let truth: Vec<u32> = pos
        .iter()
        .map(|&p| u32::from(p > 0.3) + u32::from(p > 0.7))
        .collect();
    let model = SingleAnnotatorModel { error_rate: 0.2 };
    let labels = simulate_single(&ids, &truth, &pos, &[0.3, 0.7], &model, "A", 2).unwrap();
    let q = dir.path().join("single.csv");
    write_single_labels(&q, &labels, Some(&classes)).unwrap();
    assert_eq!(read_single_labels(&q, Some(&classes)).unwrap(), labels);
    write_single_labels(&q, &labels, None).unwrap();
    assert_eq!(read_single_labels(&q, None).unwrap(), labels);

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "annotator,batch,order\nA,b1,x;y;z\n\nA,b2,y;x;y\n").unwrap();
    let e = read_rankings(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.csv: line 4: batch `b2` repeats image `y`"),
        "{e}"
    );
    std::fs::write(&bad, "annotator,image,label\nA,x,LV\nA,y,apical\n").unwrap();
    let e = read_single_labels(&bad, Some(&classes))
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.csv: line 3: label \"apical\""), "{e}");
    let e = read_rankings(dir.path().join("missing.csv"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.csv"), "{e}");
}

#[test]
fn simulation_is_deterministic_and_covers_every_image() {
    // 203 images: 26 batches per round, the last one of 3 filled with 5 others.
    let n = 203;
    let ids = ids(n);
    let pos: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    let m = RankingAnnotatorModel::default();
    let a = simulate_rankings(&ids, &pos, &m, "A", 9).unwrap();
    assert_eq!(a, simulate_rankings(&ids, &pos, &m, "A", 9).unwrap());
    assert_ne!(a, simulate_rankings(&ids, &pos, &m, "A", 10).unwrap());
    assert_ne!(a, simulate_rankings(&ids, &pos, &m, "B", 9).unwrap());
    assert_eq!(a.len(), 3 * 26);
    let mut views: HashMap<&str, usize> = HashMap::new();
    for s in &a {
        assert_eq!(s.items.len(), 8);
        s.validate().unwrap();
        for id in &s.items {
            *views.entry(id.as_str()).or_default() += 1;
        }
    }
    assert_eq!(views.len(), n);
    assert!(views.values().all(|&v| v >= 3));
    assert_eq!(views.values().sum::<usize>(), 3 * 26 * 8);
    assert_eq!(a[25].batch, "r1-b026");

    let truth: Vec<u32> = pos
        .iter()
        .map(|&p| u32::from(p > 0.3) + u32::from(p > 0.7))
        .collect();
    let sm = SingleAnnotatorModel { error_rate: 0.3 };
    let s1 = simulate_single(&ids, &truth, &pos, &[0.3, 0.7], &sm, "A", 9).unwrap();
    assert_eq!(
        s1,
        simulate_single(&ids, &truth, &pos, &[0.3, 0.7], &sm, "A", 9).unwrap()
    );
    let wrong = s1
        .iter()
        .zip(&truth)
        .filter(|(l, t)| l.label != **t)
        .count();
    // Binomial(203, 0.3): mean 60.9, sd 6.5.
    assert!((35..=87).contains(&wrong), "{wrong}");
    assert!(
        s1.iter()
            .zip(&truth)
            .all(|(l, &t)| l.label.abs_diff(t) <= 1)
    );
}

#[test]
fn low_noise_rankings_recover_the_true_order() {
    let n = 200;
    let ids = ids(n);
    // Positions in a shuffled order, so the id order tells nothing.
    let mut rng = sensibench_core::SeededRng::new(3);
    let pos: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let model = RankingAnnotatorModel {
        noise: 0.05,
        batch_size: 8,
        views_per_image: 3,
    };
    let sessions = simulate_rankings(&ids, &pos, &model, "A", 4).unwrap();
    let fit = bradley_terry_ids(&ids, &sessions, DEFAULT_ALPHA).unwrap();
    assert!(fit.converged);
    let rho = spearman(&fit.scores, &pos).unwrap();
    assert!(rho > 0.95, "Spearman {rho}");

    // Cut into 3 classes with the true class sizes and compare with the truth.
    let truth: Vec<u32> = pos
        .iter()
        .map(|&p| u32::from(p > 0.3) + u32::from(p > 0.7))
        .collect();
    let sizes: Vec<usize> = (0..3)
        .map(|c| truth.iter().filter(|&&t| t == c).count())
        .collect();
    let (classes, points) = cut(&fit.scores, &Cut::Counts(sizes)).unwrap();
    assert_eq!(points.len(), 2);
    let k = kappa_with_ci(&truth, &classes, 3, KappaWeights::Linear, 200, 0.95, 1).unwrap();
    assert!(k.kappa > 0.8, "{k:?}");
    // Re-applying the returned points gives the same classes (no ties here).
    assert_eq!(cut(&fit.scores, &Cut::Points(points)).unwrap().0, classes);

    // Equal effort: the ranking took 75 batches.
    let effort = Effort {
        seconds_per_batch: 60.0,
        seconds_per_label: 5.0,
    };
    assert_eq!(
        effort.single_labels_per_image(sessions.len(), n).unwrap(),
        4
    );
}
