//! `isolate: process`: a model whose process crashes (abort, segfault) fails
//! its own rows with the signal in the reason, the run goes on, and an
//! isolated model that does not crash gives exactly the in-process rows.
//!
//! Needs the `sensibench` CLI (the worker executable) built next to the test
//! binaries and the `sensibench_test_fixtures` and `sensibench_classical_seg`
//! plugins on `SENSIBENCH_PLUGIN_PATH` (or next to the test binaries).

use polars::prelude::*;
use sensibench_integration::{cli_binary, load};
use sensibench_runner::{RunOptions, run};
use std::collections::BTreeMap;

const SUITE: &str = r#"
name: isolation
description: isolate process test
seed: 3
task: segmentation
classes: [background, LV, myocardium, RV]
reference: ground_truth
datasets:
  - name: phantom
    source: phantom_cardiac
    subjects: 1
    slices_per_subject: 3
    size: 48
models:
  - name: classical
    backend: native
    plugin: sensibench_classical_seg
    output: labels
  - name: aborts
    backend: native
    plugin: sensibench_test_fixtures
    config: {crash: abort, after: 0}
    isolate: process
    output: labels
    batch_size: 1
  - name: segfaults
    backend: native
    plugin: sensibench_test_fixtures
    config: {crash: segfault, after: 1}
    isolate: process
    output: labels
    batch_size: 1
  - name: isolated
    backend: native
    plugin: sensibench_test_fixtures
    config: {crash: none}
    isolate: process
    output: labels
    batch_size: 2
  - name: in_process
    backend: native
    plugin: sensibench_test_fixtures
    output: labels
    batch_size: 2
perturbations:
  - name: gaussian_noise
    points: [0.05, 0.1]
metrics: [dice]
"#;

fn strings(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name)
        .expect("column")
        .str()
        .expect("str")
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect()
}

fn floats(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name)
        .expect("column")
        .f64()
        .expect("f64")
        .iter()
        .collect()
}

#[test]
fn crashing_models_fail_their_rows_and_the_run_goes_on() {
    assert!(
        cli_binary().is_file(),
        "{} missing: build the CLI first (cargo build -p sensibench-cli)",
        cli_binary().display()
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("isolation.yaml");
    std::fs::write(&suite, SUITE).expect("write suite");
    let plan = load(&suite, tmp.path()).expect("suite is valid");
    let registry = sensibench_perturb::registry();
    let options = RunOptions {
        out: tmp.path().join("results"),
        run_id: Some("r1".into()),
        resume: false,
        threads: 1,
        progress: false,
        git_sha: "test".into(),
        shard: None,
    };
    let summary = run(&plan, &registry, &options).expect("the run finishes");
    // 5 models x 3 samples x (1 clean + 2 points) x 3 foreground classes x 1 metric
    assert_eq!(summary.rows, 5 * 3 * 3 * 3);

    let df = sensibench_results::read_rows(&summary.run_dir).expect("rows");
    let model = strings(&df, "model");
    let status = strings(&df, "status");
    let error = strings(&df, "error");
    let key: Vec<String> = {
        let (sample, pert, class) = (
            strings(&df, "sample"),
            strings(&df, "perturbation"),
            strings(&df, "class"),
        );
        let point = floats(&df, "point");
        (0..df.height())
            .map(|i| format!("{}|{}|{:?}|{}", sample[i], pert[i], point[i], class[i]))
            .collect()
    };
    let value = floats(&df, "value");

    let mut per_model: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut isolated = BTreeMap::new();
    let mut in_process = BTreeMap::new();
    for i in 0..df.height() {
        let e = per_model.entry(model[i].as_str()).or_default();
        if status[i] == "ok" {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
        match model[i].as_str() {
            "classical" | "isolated" | "in_process" => {
                assert_eq!(status[i], "ok", "{} row {i}: {}", model[i], error[i]);
            }
            "aborts" => {
                assert_eq!(status[i], "failed", "aborts row {i}");
                assert!(
                    error[i].contains("killed by signal 6 (SIGABRT)"),
                    "aborts row {i}: {}",
                    error[i]
                );
            }
            "segfaults" if status[i] != "ok" => assert!(
                error[i].contains(
                    "worker process of model `segfaults` died: killed by signal 11 (SIGSEGV)"
                ),
                "segfaults row {i}: {}",
                error[i]
            ),
            _ => {}
        }
        let bits = value[i].map(f64::to_bits);
        if model[i] == "isolated" {
            isolated.insert(key[i].clone(), bits);
        } else if model[i] == "in_process" {
            in_process.insert(key[i].clone(), bits);
        }
    }
    // the fixture's stderr line before crashing is quoted
    assert!(
        error
            .iter()
            .any(|e| e.contains("sensibench_test_fixtures: crashing (abort) on call 1")),
        "no stderr tail in {:?}",
        error.iter().find(|e| !e.is_empty())
    );
    // three deaths in a row, then the abort model fails fast
    assert!(
        error.iter().any(|e| e.contains("died 3 times in a row")),
        "no fail-fast message"
    );
    // after: 1 with a restart per crash: every worker predicts one batch, then dies
    let (ok, failed) = per_model["segfaults"];
    assert!(ok > 0 && failed > 0, "segfaults: {ok} ok, {failed} failed");
    assert_eq!(per_model["classical"], (27, 0));
    assert_eq!(per_model["aborts"], (0, 27));
    // bit-identical rows in a worker and in process
    assert_eq!(isolated.len(), 27);
    assert_eq!(isolated, in_process);

    // the manifest describes the isolated models like in-process ones
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(summary.run_dir.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let models = manifest["models"].as_array().expect("models");
    let hash_of = |name: &str| {
        models
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| {
                (
                    m["backend"].clone(),
                    m["hash"].clone(),
                    m["load_error"].clone(),
                )
            })
            .expect("model in manifest")
    };
    assert_eq!(hash_of("isolated"), hash_of("in_process"));
    assert_eq!(hash_of("isolated").0, "native");
    assert!(hash_of("isolated").2.is_null());
}

#[test]
fn an_isolated_load_error_fails_the_model_rows() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("isolation.yaml");
    let text = SUITE.replace("{crash: none}", "{crash: sometimes}");
    std::fs::write(&suite, text).expect("write suite");
    let plan = load(&suite, tmp.path()).expect("suite is valid");
    let registry = sensibench_perturb::registry();
    let options = RunOptions {
        out: tmp.path().join("results"),
        run_id: Some("r1".into()),
        resume: false,
        threads: 1,
        progress: false,
        git_sha: "test".into(),
        shard: None,
    };
    let summary = run(&plan, &registry, &options).expect("the run finishes");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(summary.run_dir.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let isolated = manifest["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["name"] == "isolated")
        .expect("isolated")
        .clone();
    let reason = isolated["load_error"].as_str().expect("a load error");
    assert!(
        reason.contains("`crash`") && reason.contains("sometimes"),
        "{reason}"
    );
}
