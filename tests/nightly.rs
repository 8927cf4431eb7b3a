//! The nightly regression benchmark through the CLI: a baseline made from a
//! run, a nightly run that matches it passes, the same suite with a
//! deliberately degraded model (tests/fixtures/models/unet_degraded.onnx,
//! made by make_degraded.py) fails with a report naming the model, the
//! metric and the worst samples as images, and a criterion benchmark slower
//! than its saved baseline beyond the declared ratio fails it too.

use std::path::Path;
use std::process::{Command, Output};

use sensibench_integration::{cli_binary, repo_root};

const SUITE: &str = "nightly-test";

fn suite_text() -> String {
    format!(
        r#"
name: {SUITE}
seed: 5
task: segmentation
classes: [background, LV, myocardium, RV]
datasets:
  - name: phantom
    source: phantom_cardiac
    subjects: 2
    slices_per_subject: 4
    size: 96
models:
  - name: unet
    backend: onnx
    path: model/unet.onnx
    input: {{ size: [128, 128], fit: resize }}
    normalize: zscore
    batch_size: 8
  - name: classical
    backend: native
    plugin: sensibench_classical_seg
    output: labels
perturbations:
  - name: rotate
    points: [0, 20]
  - name: gaussian_noise
    points: [0.1]
metrics: [dice, hd95]
report:
  primary_metric: dice
regression:
  metrics: [dice, hd95]
  tolerance: {{dice: 0.01, hd95: 1.0}}
  test: wilcoxon
  alpha: 0.05
"#
    )
}

fn sensibench(args: &[&str]) -> Output {
    let exe = cli_binary();
    assert!(exe.is_file(), "{} not built", exe.display());
    Command::new(exe)
        .args(args)
        .output()
        .expect("sensibench starts")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A criterion output folder with one benchmark per (id, nanoseconds).
fn criterion_dir(dir: &Path, benches: &[(&str, f64)]) {
    for (id, ns) in benches {
        let d = dir.join(id.replace('/', "_")).join("new");
        std::fs::create_dir_all(&d).expect("mkdir");
        let est = |x: f64| {
            format!(
                r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lo},"upper_bound":{hi}}},"point_estimate":{x},"standard_error":1.0}}"#,
                lo = x * 0.99,
                hi = x * 1.01
            )
        };
        std::fs::write(
            d.join("estimates.json"),
            format!(
                r#"{{"mean":{m},"median":{m},"median_abs_dev":{s},"slope":null,"std_dev":{s}}}"#,
                m = est(*ns),
                s = est(ns * 0.01)
            ),
        )
        .expect("estimates");
        let (group, function) = id.split_once('/').unwrap_or((id, ""));
        std::fs::write(
            d.join("benchmark.json"),
            format!(
                r#"{{"group_id":"{group}","function_id":"{function}","value_str":null,"throughput":null,"full_id":"{id}","directory_name":"{dir}","title":"{id}"}}"#,
                dir = id.replace('/', "_")
            ),
        )
        .expect("benchmark");
    }
}

#[test]
fn nightly_passes_on_its_baseline_and_fails_on_a_degraded_model_or_a_slower_harness() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    std::fs::create_dir_all(root.join("model")).expect("mkdir");
    let good = repo_root().join("plugins/models/cardiac/unet_plain.onnx");
    let degraded = repo_root().join("tests/fixtures/models/unet_degraded.onnx");
    std::fs::copy(&good, root.join("model/unet.onnx")).expect("copy model");
    let suite = root.join("nightly-test.yaml");
    std::fs::write(&suite, suite_text()).expect("suite");
    let (suite_s, out, baselines) = (
        suite.to_string_lossy().to_string(),
        root.join("results").to_string_lossy().to_string(),
        root.join("baselines").to_string_lossy().to_string(),
    );
    let (crit_a, crit_b) = (root.join("criterion-a"), root.join("criterion-b"));
    criterion_dir(
        &crit_a,
        &[("perturb/rotate", 1000.0), ("metrics/dice", 500.0)],
    );
    criterion_dir(
        &crit_b,
        &[("perturb/rotate", 1100.0), ("metrics/dice", 1500.0)],
    );
    let bench_json = root
        .join("baselines/bench.json")
        .to_string_lossy()
        .to_string();

    let o = sensibench(&[
        "baseline",
        &suite_s,
        "--out",
        &out,
        "--baselines",
        &baselines,
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let base_dir = Path::new(&baselines).join(SUITE);
    assert!(base_dir.join("baseline.json").is_file() && base_dir.join("rows.parquet").is_file());
    let o = sensibench(&[
        "bench-baseline",
        "--criterion",
        &crit_a.to_string_lossy(),
        "--out",
        &bench_json,
        "--max-ratio",
        "1.5",
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let nightly = |report: &str, criterion: &Path| {
        sensibench(&[
            "nightly",
            &suite_s,
            "--out",
            &out,
            "--baselines",
            &baselines,
            "--report",
            &root.join(report).to_string_lossy(),
            "--criterion",
            &criterion.to_string_lossy(),
            "--bench-baseline",
            &bench_json,
            "--quiet",
        ])
    };
    // 1. the same model, the same harness speed: passes
    let o = nightly("night1", &crit_a);
    assert!(o.status.success(), "{}", text(&o));
    let html = std::fs::read_to_string(root.join("night1/index.html")).expect("report");
    assert!(
        html.contains("passed"),
        "night 1 report does not say passed"
    );

    // 2. a slower harness (metrics/dice 3x its baseline, the declared ratio 1.5): fails
    let o = nightly("night2", &crit_b);
    assert!(!o.status.success(), "{}", text(&o));
    let all = text(&o);
    assert!(all.contains("metrics/dice"), "{all}");
    let html = std::fs::read_to_string(root.join("night2/index.html")).expect("report");
    assert!(
        html.contains("metrics&#x2f;dice") && html.contains("3.00"),
        "slowdown not in the report"
    );

    // 3. the degraded model: fails, naming the model and the metric, with images
    std::fs::copy(&degraded, root.join("model/unet.onnx")).expect("swap model");
    let o = nightly("night3", &crit_a);
    assert!(!o.status.success(), "{}", text(&o));
    let all = text(&o);
    assert!(all.contains("unet") && all.contains("dice"), "{all}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("night3/nightly.json")).expect("nightly.json"),
    )
    .expect("json");
    assert_eq!(json["passed"], serde_json::Value::Bool(false));
    let html = std::fs::read_to_string(root.join("night3/index.html")).expect("report");
    assert!(
        html.contains("unet") && html.contains("data:image/png;base64,"),
        "no worst-sample images"
    );
    // the untouched model did not regress
    let regressions = json["suites"][0]["regressions"]
        .as_array()
        .expect("regressions");
    assert!(!regressions.is_empty());
    assert!(
        regressions.iter().all(|r| r["model"] == "unet"),
        "{regressions:?}"
    );
    // the report says the model file changed
    assert!(
        html.contains("model hash") || html.contains("model `unet`"),
        "model change not reported"
    );
}
