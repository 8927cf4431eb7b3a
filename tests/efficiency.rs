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
        shard: None,
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

/// An `image_folder` dataset with three observers' mask folders: the human
/// band is the mean ± 1 SD of the pairwise Dice of every observer pair on
/// every image, computed here independently by counting pixels.
#[test]
fn observers_masks_give_the_human_band() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let disc = |cy: f64, cx: f64, r: f64| {
        move |x: u32, y: u32| (f64::from(y) - cy).hypot(f64::from(x) - cx) < r
    };
    let mut expected = Vec::new();
    for i in 0..6u32 {
        let (cy, cx) = (12.0 + f64::from(i), 14.0 + f64::from(i % 3));
        let name = format!("img{i}.png");
        let save = |dir: &str, f: &dyn Fn(u32, u32) -> u8| {
            let d = data.join(dir);
            std::fs::create_dir_all(&d).expect("mkdir");
            image::GrayImage::from_fn(32, 32, |x, y| image::Luma([f(x, y)]))
                .save(d.join(&name))
                .expect("png");
        };
        let truth = disc(cy, cx, 7.0);
        save("imgs", &|x, y| if truth(x, y) { 200 } else { 40 });
        save("masks", &|x, y| u8::from(truth(x, y)));
        // three observers: the disc drawn 1 px smaller, as is, 1 px larger and shifted
        let obs: Vec<Box<dyn Fn(u32, u32) -> bool>> = vec![
            Box::new(disc(cy, cx, 6.0)),
            Box::new(disc(cy, cx, 7.0)),
            Box::new(disc(cy + 1.0, cx, 8.0)),
        ];
        for (k, o) in obs.iter().enumerate() {
            save(&format!("obs{k}"), &|x, y| u8::from(o(x, y)));
        }
        for a in 0..3 {
            for b in a + 1..3 {
                let (mut inter, mut sa, mut sb) = (0.0, 0.0, 0.0);
                for y in 0..32 {
                    for x in 0..32 {
                        let (pa, pb) = (obs[a](x, y), obs[b](x, y));
                        inter += f64::from(u8::from(pa && pb));
                        sa += f64::from(u8::from(pa));
                        sb += f64::from(u8::from(pb));
                    }
                }
                expected.push(2.0 * inter / (sa + sb));
            }
        }
    }
    let n = expected.len() as f64;
    let mean = expected.iter().sum::<f64>() / n;
    let sd = (expected.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();

    let models = repo_root().join("plugins/models/muscle");
    let suite = tmp.path().join("obs.yaml");
    std::fs::write(
        &suite,
        format!(
            r#"
name: obs
seed: 3
task: segmentation
classes: [background, muscle]
datasets:
  - name: folder
    source: image_folder
    images: imgs
    masks: masks
    spacing: [1, 1]
    observers: [obs0, obs1, obs2]
metrics: [dice]
efficiency:
  sources:
    - {{ name: random, path: {m}/muscle_random.pt }}
  input: {{ size: [32, 32] }}
  train_sizes: [1]
  folds: 2
  steps: 1
  threads: 1
  human: {{ metric: dice, from: observers, source: three readers }}
"#,
            m = models.display()
        ),
    )
    .expect("write");
    let plan = load(&suite, &data).expect("plan");
    let s = run(
        &plan,
        &sensibench_perturb::registry(),
        &options(&tmp.path().join("out"), false),
    )
    .expect("run");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.run_dir.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let band = &manifest["efficiency"]["datasets"][0]["bands"][0];
    assert_eq!(band["pairs"].as_u64(), Some(18));
    let value = band["value"].as_f64().expect("value");
    let lo = band["lo"].as_f64().expect("lo");
    assert!((value - mean).abs() < 1e-12, "{value} vs {mean}");
    assert!((lo - (mean - sd)).abs() < 1e-12, "{lo} vs {}", mean - sd);
    assert!(
        band["source"]
            .as_str()
            .unwrap_or("")
            .contains("three readers")
    );
    assert!(
        band["source"]
            .as_str()
            .unwrap_or("")
            .contains("3 observers' masks")
    );
}
