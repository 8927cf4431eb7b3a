//! The comparison engine on hand-built runs with known differences.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use sensibench_results::compare::{CompareTest, Verdict};
use sensibench_results::{
    CompareSettings, PredictionRow, ResultRow, Status, compare, load_side, write_baseline,
    write_part, write_prediction_part,
};

fn manifest(dir: &Path, run_id: &str, model_hash: &str, task: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let m = serde_json::json!({
        "suite": "t", "suite_hash": "s", "seed": 7, "run_id": run_id,
        "created": "2026-11-24T00:00:00Z", "harness_version": "0.1.0", "git_sha": "abc",
        "task": task, "primary_metric": "dice", "metrics": ["dice", "hd95"],
        "models": [{"name": "m", "backend": "null", "path": "", "hash": model_hash, "load_error": null}],
        "datasets": [], "perturbations": []
    });
    std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
}

fn row(sample: usize, pert: &str, pi: u32, metric: &str, value: Option<f64>) -> ResultRow {
    ResultRow {
        run_id: "r".into(),
        suite: "t".into(),
        suite_hash: "s".into(),
        harness_version: "0.1.0".into(),
        git_sha: "abc".into(),
        seed: 7,
        model: "m".into(),
        model_hash: String::new(),
        backend: "null".into(),
        dataset: "d".into(),
        sample: format!("s{sample:02}"),
        reference_mode: "ground_truth".into(),
        perturbation: pert.into(),
        kind: pert.into(),
        parameter: "sigma".into(),
        point: f64::from(pi) * 0.5,
        point_index: pi,
        class: "lv".into(),
        class_index: 1,
        metric: metric.into(),
        value,
        status: if value.is_some() {
            Status::Ok
        } else {
            Status::Failed
        },
        error: value.is_none().then(|| "boom".to_string()),
    }
}

/// Dice of sample i: 0.8 + 0.01 i; run B loses `0.03 + 0.002 i` under noise
/// (points 1 and 2), nothing on the clean images; hd95 unchanged (5 mm).
fn seg_run(dir: &Path, shifted: bool, hash: &str) {
    manifest(
        dir,
        dir.file_name().unwrap().to_str().unwrap(),
        hash,
        "segmentation",
    );
    let mut clean = Vec::new();
    let mut noise = Vec::new();
    for i in 0..10 {
        let base = 0.8 + 0.01 * i as f64;
        clean.push(row(i, "none", 0, "dice", Some(base)));
        clean.push(row(i, "none", 0, "hd95", Some(5.0)));
        for pi in 1..=2 {
            let shift = if shifted {
                0.03 + 0.002 * i as f64
            } else {
                0.0
            };
            noise.push(row(i, "noise", pi, "dice", Some(base - shift)));
            noise.push(row(i, "noise", pi, "hd95", Some(5.0)));
        }
    }
    write_part(dir, "m__d__none", &clean).unwrap();
    write_part(dir, "m__d__noise", &noise).unwrap();
}

#[test]
fn a_known_shift_is_a_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    seg_run(&a, false, "h1");
    seg_run(&b, true, "h1");
    let c = compare(
        &load_side(&a).unwrap(),
        &load_side(&b).unwrap(),
        &CompareSettings::default(),
    );
    assert!(c.regressed());
    assert_eq!(c.counts.paired, 60);
    assert_eq!(c.differences.len(), 0, "{:?}", c.differences);
    // Per-model dice: unit = d/s_i, diff_i = -(2/3)(0.03 + 0.002 i) -> mean -(2/3)(0.039) = -0.026.
    let g = c
        .groups
        .iter()
        .find(|g| g.dataset.is_none() && g.metric == "dice")
        .unwrap();
    assert_eq!((g.n, g.pairs), (10, 30));
    assert!((g.mean_diff + 0.026).abs() < 1e-12, "{}", g.mean_diff);
    assert!((g.mean_a - 0.845).abs() < 1e-12);
    // All ten differences negative and untied: exact Wilcoxon p = 2 / 2^10.
    assert_eq!(g.p_value, 2.0 / 1024.0);
    assert_eq!(g.test, "wilcoxon (exact)");
    assert_eq!(g.verdict, Verdict::Regression);
    let (lo, hi) = g.ci.unwrap();
    assert!(lo <= -0.026 && (-0.026..0.0).contains(&hi), "{lo} {hi}");
    // Worst: sample 9 at either noise point, worsening 0.048.
    assert_eq!(g.worst.len(), 5);
    assert_eq!(g.worst[0].sample, "s09");
    assert!((g.worst[0].worsening - 0.048).abs() < 1e-12);
    // Per perturbation: noise regresses by the full shift, none is unchanged with p = 1.
    let noise = c
        .groups
        .iter()
        .find(|g| g.perturbation.as_deref() == Some("noise") && g.metric == "dice")
        .unwrap();
    assert!((noise.mean_diff + 0.039).abs() < 1e-12);
    assert_eq!(noise.verdict, Verdict::Regression);
    let none = c
        .groups
        .iter()
        .find(|g| g.perturbation.as_deref() == Some("none") && g.metric == "dice")
        .unwrap();
    assert_eq!(
        (none.mean_diff, none.p_value, none.verdict),
        (0.0, 1.0, Verdict::Unchanged)
    );
    assert!(none.worst.is_empty());
    let hd = c
        .groups
        .iter()
        .find(|g| g.dataset.is_none() && g.metric == "hd95")
        .unwrap();
    assert_eq!(
        (hd.verdict, hd.tolerance, hd.higher_is_better),
        (Verdict::Unchanged, 1.0, false)
    );
    // Reversed, it is an improvement.
    let r = compare(
        &load_side(&b).unwrap(),
        &load_side(&a).unwrap(),
        &CompareSettings::default(),
    );
    assert!(!r.regressed());
    assert!(r.groups.iter().any(|g| g.verdict == Verdict::Improvement));
    // A tolerance above the shift: unchanged. The permutation test: exact 2/1024 too.
    let mut s = CompareSettings::default();
    s.tolerance.insert("dice".into(), 0.05);
    s.test = CompareTest::Permutation;
    let t = compare(&load_side(&a).unwrap(), &load_side(&b).unwrap(), &s);
    assert!(!t.regressed());
    let g = t
        .groups
        .iter()
        .find(|g| g.dataset.is_none() && g.metric == "dice")
        .unwrap();
    assert_eq!(g.p_value, 2.0 / 1024.0);
    // JSON output.
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["groups"][0]["verdict"], "regression");
}

#[test]
fn identical_runs_are_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    seg_run(&a, true, "h1");
    seg_run(&b, true, "h2");
    let c = compare(
        &load_side(&a).unwrap(),
        &load_side(&b).unwrap(),
        &CompareSettings::default(),
    );
    assert!(!c.regressed());
    assert!(!c.groups.is_empty());
    for g in &c.groups {
        assert_eq!(
            (g.mean_diff, g.p_value, g.verdict),
            (0.0, 1.0, Verdict::Unchanged)
        );
        assert_eq!(g.ci, Some((0.0, 0.0)));
    }
    // The model hash change is listed.
    assert_eq!(c.differences.len(), 1);
    assert_eq!(c.differences[0].what, "model `m` hash");
    assert_eq!(
        (c.differences[0].a.as_str(), c.differences[0].b.as_str()),
        ("h1", "h2")
    );
}

#[test]
fn counts_failures_nans_and_missing_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    manifest(&a, "a", "h", "segmentation");
    manifest(&b, "b", "h", "segmentation");
    write_part(
        &a,
        "p",
        &[
            row(0, "none", 0, "dice", Some(0.9)),
            row(1, "none", 0, "dice", Some(0.9)),
            row(2, "none", 0, "dice", Some(f64::NAN)),
            row(3, "none", 0, "dice", None),
            row(4, "none", 0, "dice", Some(0.5)),
            row(7, "none", 0, "hd95", Some(3.0)),
        ],
    )
    .unwrap();
    write_part(
        &b,
        "p",
        &[
            row(0, "none", 0, "dice", Some(0.9)),
            row(1, "none", 0, "dice", None),
            row(2, "none", 0, "dice", Some(0.7)),
            row(3, "none", 0, "dice", Some(0.8)),
            row(5, "none", 0, "dice", Some(0.5)),
            row(6, "none", 0, "dice", Some(0.5)),
            // defined in A, undefined now (the class is no longer predicted)
            row(7, "none", 0, "hd95", Some(f64::NAN)),
        ],
    )
    .unwrap();
    let c = compare(
        &load_side(&a).unwrap(),
        &load_side(&b).unwrap(),
        &CompareSettings::default(),
    );
    let n = &c.counts;
    assert_eq!(
        (n.paired, n.only_in_a, n.only_in_b, n.nan_dropped),
        (1, 1, 2, 1)
    );
    assert_eq!((n.newly_failing, n.newly_passing, n.failed_both), (2, 1, 0));
    assert_eq!(c.newly_failing[0].sample, "s01");
    assert_eq!(
        (
            c.newly_failing[1].sample.as_str(),
            c.newly_failing[1].metric.as_str()
        ),
        ("s07", "hd95")
    );
    assert!(
        c.regressed(),
        "a newly failing row is a regression on its own"
    );
}

#[test]
fn baseline_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, base) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("baselines/t"),
    );
    seg_run(&a, false, "h1");
    seg_run(&b, true, "h1");
    let json = write_baseline(&a, &base, &[]).unwrap();
    assert_eq!(json, base.join("baseline.json"));
    let side = load_side(&base).unwrap();
    assert!(side.is_baseline);
    assert_eq!(side.provenance.metrics, ["dice"]);
    assert_eq!(side.rows.len(), 30, "only the primary metric is kept");
    let s = CompareSettings {
        metrics: vec!["dice".into()],
        ..CompareSettings::default()
    };
    let from_base = compare(&side, &load_side(&b).unwrap(), &s);
    let from_run = compare(&load_side(&a).unwrap(), &load_side(&b).unwrap(), &s);
    assert_eq!(from_base.groups, from_run.groups);
    assert_eq!(from_base.counts, from_run.counts);
    assert_eq!(from_base.a.kind, "baseline");
    assert!(write_baseline(&a, &base, &["nope".into()]).is_err());
    assert!(load_side(tmp.path()).is_err());
}

fn prediction_rows(sample: usize, truth: u32, predicted: u32, p1: f64) -> Vec<PredictionRow> {
    (0..2u32)
        .map(|c| PredictionRow {
            run_id: "r".into(),
            suite: "t".into(),
            suite_hash: "s".into(),
            harness_version: "0.1.0".into(),
            git_sha: "abc".into(),
            seed: 7,
            model: "m".into(),
            model_hash: String::new(),
            backend: "null".into(),
            dataset: "d".into(),
            sample: format!("s{sample:02}"),
            reference_mode: "ground_truth".into(),
            perturbation: "none".into(),
            kind: "none".into(),
            parameter: String::new(),
            point: 0.0,
            point_index: 0,
            truth: Some(truth),
            predicted: Some(predicted),
            class: ["neg", "pos"][c as usize].into(),
            class_index: c,
            probability: Some(if c == 1 { p1 } else { 1.0 - p1 }),
            has_region: false,
            status: Status::Ok,
            error: None,
        })
        .collect()
}

#[test]
fn classification_mcnemar_and_delong() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    manifest(&a, "a", "h", "classification");
    manifest(&b, "b", "h", "classification");
    // 30 samples, truth alternating; A is right on all; B is wrong on the
    // first 12 (b = 12, c = 0: McNemar exact p = 2 / 2^12).
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for i in 0..30 {
        let t = (i % 2) as u32;
        let pa = if t == 1 {
            0.9 - 0.01 * i as f64
        } else {
            0.1 + 0.01 * i as f64
        };
        ra.extend(prediction_rows(i, t, t, pa));
        let (pred, pb) = if i < 12 { (1 - t, 1.0 - pa) } else { (t, pa) };
        rb.extend(prediction_rows(i, t, pred, pb));
    }
    write_prediction_part(&a, "p", &ra).unwrap();
    write_prediction_part(&b, "p", &rb).unwrap();
    let c = compare(
        &load_side(&a).unwrap(),
        &load_side(&b).unwrap(),
        &CompareSettings::default(),
    );
    let acc = c
        .conditions
        .iter()
        .find(|c| c.metric == "accuracy")
        .unwrap();
    assert_eq!(acc.n, 30);
    assert_eq!((acc.a, acc.b), (1.0, 0.6));
    // McNemar exact: 12 discordant pairs all one way, 2 · 0.5^12 (binomial sum in floating point)
    assert!(
        (acc.p_value - 2.0 / 4096.0).abs() < 1e-15,
        "{}",
        acc.p_value
    );
    assert_eq!(acc.verdict, Verdict::Regression);
    let aucs: Vec<_> = c.conditions.iter().filter(|c| c.metric == "auc").collect();
    assert_eq!(aucs.len(), 2);
    assert_eq!(aucs[0].a, 1.0);
    // The same DeLong test directly.
    let d = sensibench_metrics::delong_paired(
        &(0..30)
            .map(|i| {
                if i % 2 == 1 {
                    0.9 - 0.01 * i as f64
                } else {
                    0.1 + 0.01 * i as f64
                }
            })
            .collect::<Vec<_>>(),
        &(0..30)
            .map(|i| {
                let t = i % 2;
                let pa = if t == 1 {
                    0.9 - 0.01 * i as f64
                } else {
                    0.1 + 0.01 * i as f64
                };
                if i < 12 { 1.0 - pa } else { pa }
            })
            .collect::<Vec<_>>(),
        &(0..30).map(|i| i % 2 == 1).collect::<Vec<_>>(),
    )
    .unwrap();
    assert!((aucs[1].b - d.auc_b).abs() < 1e-12 && (aucs[1].p_value - d.p).abs() < 1e-12);
    // The generic per-model accuracy group: 12 differences of -1, 18 zeros ->
    // Wilcoxon asymptotic (n = 30 with zeros): z = (0 - 39) / sqrt(12*13*25/24 - (12^3-12)/48).
    let g = c.groups.iter().find(|g| g.dataset.is_none()).unwrap();
    assert_eq!(g.metric, "accuracy");
    assert!((g.mean_diff + 0.4).abs() < 1e-12);
    let z: f64 = -39.0 / (12.0f64 * 13.0 * 25.0 / 24.0 - (1728.0 - 12.0) / 48.0).sqrt();
    let p = 2.0 * sensibench_metrics::normal_sf(z.abs());
    assert!((g.p_value - p).abs() < 1e-12, "{} vs {p}", g.p_value);
    assert!(c.regressed());
}

/// A data-efficiency run: source `imagenet` fine-tuned on n = 2 and n = 5;
/// each of 8 held-out samples scores Dice 0.7 + 0.02 i (n = 2) and
/// 0.8 + 0.01 i (n = 5); run B loses 0.05 at n = 2 only.
fn efficiency_run(dir: &Path, shifted: bool) {
    manifest(
        dir,
        dir.file_name().unwrap().to_str().unwrap(),
        "h",
        "segmentation",
    );
    let mut rows = Vec::new();
    for (n, base, step) in [(2u32, 0.7, 0.02), (5, 0.8, 0.01)] {
        for i in 0..8u32 {
            let loss = if shifted && n == 2 { 0.05 } else { 0.0 };
            rows.push(sensibench_results::EfficiencyRow {
                run_id: "r".into(),
                suite: "t".into(),
                suite_hash: "s".into(),
                harness_version: "0.1.0".into(),
                git_sha: "abc".into(),
                seed: 7,
                source: "imagenet".into(),
                source_hash: "h".into(),
                dataset: "d".into(),
                sample: format!("s{i}"),
                n,
                n_label: n.to_string(),
                fold: i % 4,
                repeat: 0,
                class: "muscle".into(),
                class_index: 1,
                metric: "dice".into(),
                value: Some(base + step * f64::from(i) - loss),
                reference_value: None,
                steps: 10,
                final_loss: Some(0.1),
                // timing differs between runs and is not compared
                train_seconds: if shifted { 2.0 } else { 1.0 },
                status: Status::Ok,
                error: None,
            });
        }
    }
    sensibench_results::write_efficiency_part(dir, "study", &rows).unwrap();
}

#[test]
fn efficiency_study_rows_are_compared_per_training_size() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    efficiency_run(&a, false);
    efficiency_run(&b, true);
    let base = tmp.path().join("base");
    write_baseline(&a, &base, &["dice".to_string()]).unwrap();
    let c = compare(
        &load_side(&base).unwrap(),
        &load_side(&b).unwrap(),
        &CompareSettings::default(),
    );
    assert_eq!(c.counts.paired, 16);
    let group = |p: &str| {
        c.groups
            .iter()
            .find(|g| g.perturbation.as_deref() == Some(p))
            .unwrap()
    };
    let n2 = group("efficiency n=2");
    assert_eq!(n2.model, "imagenet");
    assert_eq!(n2.n, 8);
    assert!((n2.mean_diff + 0.05).abs() < 1e-12, "{}", n2.mean_diff);
    // 8 equal negative differences: exact Wilcoxon p = 2 / 2^8
    assert!((n2.p_value - 2.0 / 256.0).abs() < 1e-12, "{}", n2.p_value);
    assert_eq!(n2.verdict, Verdict::Regression);
    let n5 = group("efficiency n=5");
    assert_eq!((n5.mean_diff, n5.verdict), (0.0, Verdict::Unchanged));
}
