//! The data-efficiency study end to end with libtorch: suite → fine-tuning
//! of real TorchScript sources → efficiency parts → resume → report.
#![cfg(feature = "torch")]

use std::path::Path;

use polars::prelude::*;
use sensibench_integration::{load, repo_root};
use sensibench_runner::{RunOptions, run};

fn suite_text(models: &Path) -> String {
    format!(
        r#"
name: study
seed: 11
task: segmentation
classes: [background, muscle]
datasets:
  - name: ph
    source: phantom_ct
    subjects: 4
    slices_per_subject: 2
    size: 64
    observers: 3
metrics: [dice, rmssd]
efficiency:
  sources:
    - name: random
      path: {m}/muscle_random.pt
    - name: supervised
      path: {m}/muscle_supervised.pt
    - name: broken
      path: {m}/README.md
  input: {{ size: [32, 32], fit: resize }}
  normalize: {{ window: {{ level: 40, width: 400 }} }}
  train_sizes: [1, 2, all]
  folds: 2
  steps: 3
  batch_size: 2
  threads: 1
  measures: [area_cm2, mean_hu]
  human: {{ metric: dice, from: observers }}
"#,
        m = models.display()
    )
}

fn options(out: &Path, resume: bool) -> RunOptions {
    RunOptions {
        out: out.to_path_buf(),
        run_id: Some("r1".into()),
        resume,
        threads: 1,
        progress: false,
        git_sha: "test".into(),
    }
}

#[test]
fn study_runs_resumes_and_reports() {
    let tmp = tempfile::tempdir().expect("tmp");
    let suite = tmp.path().join("study.yaml");
    let models = repo_root().join("plugins/models/muscle");
    std::fs::write(&suite, suite_text(&models)).expect("write");
    let plan = load(&suite, tmp.path()).expect("plan");
    let registry = sensibench_perturb::registry();
    let out = tmp.path().join("results");

    let s = run(&plan, &registry, &options(&out, false)).expect("run");
    // 2 folds of 2 subjects (4 slices each): pool 4 → sizes 1, 2, all = 4;
    // 3 sources × 3 sizes × 2 folds = 18 units
    assert_eq!(s.parts_written, 18);
    // each unit: 4 held-out slices × 1 class × (2 metrics + 2 measures)
    assert_eq!(s.rows, 18 * 4 * 4);
    // the broken source (not a TorchScript file) fails its own rows only
    assert_eq!(s.failed_rows, 6 * 4 * 4);

    let df = sensibench_results::read_efficiency_rows(&s.run_dir)
        .expect("read")
        .expect("rows");
    assert_eq!(df.height(), 288);
    let ok = df
        .clone()
        .lazy()
        .filter(col("status").eq(lit("ok")))
        .collect()
        .expect("filter");
    assert_eq!(ok.height(), 192);
    let n: Vec<u32> = ok
        .column("n")
        .expect("n")
        .u32()
        .expect("u32")
        .into_no_null_iter()
        .collect();
    assert!(n.iter().all(|&n| [1, 2, 4].contains(&n)));
    // measures carry the reference's value; metrics do not
    let m = ok
        .clone()
        .lazy()
        .filter(col("metric").eq(lit("area_cm2")))
        .collect()
        .expect("area");
    let refs = m
        .column("reference_value")
        .expect("ref")
        .f64()
        .expect("f64");
    assert!(refs.iter().all(|v| v.is_some_and(|v| v > 10.0)));
    let failed = df
        .lazy()
        .filter(col("status").eq(lit("failed")))
        .collect()
        .expect("failed");
    let err = failed
        .column("error")
        .expect("e")
        .str()
        .expect("s")
        .get(0)
        .unwrap_or("");
    assert!(
        err.contains("README.md") && err.contains("TorchScript"),
        "{err}"
    );

    // resume: every unit is skipped
    let again = run(&plan, &registry, &options(&out, true)).expect("resume");
    assert_eq!((again.parts_written, again.parts_skipped), (0, 18));

    // the report has the curves, the band and the table
    let html = std::fs::read_to_string(
        sensibench_runner::publish::write_report(&s.run_dir).expect("report"),
    )
    .expect("html");
    assert!(html.contains("Data efficiency"));
    assert!(html.contains("Smallest"));
    assert!(html.contains("human level"));
    assert!(html.contains("supervised") && html.contains("random"));
    assert!(html.contains("fine-tuning"), "failures listed");
}

#[test]
fn identical_studies_give_identical_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let suite = tmp.path().join("study.yaml");
    let models = repo_root().join("plugins/models/muscle");
    let text = suite_text(&models).replace("    - name: broken\n      path: ", "#");
    std::fs::write(&suite, text).expect("write");
    let plan = load(&suite, tmp.path()).expect("plan");
    let registry = sensibench_perturb::registry();
    let values = |out: &Path| -> Vec<Option<f64>> {
        let s = run(&plan, &registry, &options(out, false)).expect("run");
        let df = sensibench_results::read_efficiency_rows(&s.run_dir)
            .expect("read")
            .expect("rows")
            .sort(
                ["source", "n", "fold", "sample", "metric"],
                Default::default(),
            )
            .expect("sort");
        df.column("value")
            .expect("v")
            .f64()
            .expect("f")
            .iter()
            .collect()
    };
    let a = values(&tmp.path().join("a"));
    let b = values(&tmp.path().join("b"));
    assert_eq!(a.len(), 192);
    assert_eq!(a, b);
}
