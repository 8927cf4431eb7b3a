//! The slice-position label study end to end with libtorch: simulated
//! ranking and one-at-a-time annotators on the cardiac phantom's stacks,
//! Bradley–Terry aggregation, agreement, one classifier fine-tuned per label
//! source, their evaluation, and the report.
#![cfg(feature = "torch")]

use std::path::Path;

use sensibench_integration::{load, repo_root};
use sensibench_runner::labels::read_study;
use sensibench_runner::{RunOptions, run};

fn suite_text(model: &Path) -> String {
    format!(
        r#"
name: slices
seed: 7
task: classification
classes: [too basal, LV, too apical]
datasets:
  - {{ name: train, source: phantom_stacks, subjects: 20, slices_per_subject: 12, size: 48, positions: [-0.25, 1.25], cuts: [0, 1], split: train }}
  - {{ name: test, source: phantom_stacks, subjects: 20, slices_per_subject: 12, size: 48, positions: [-0.25, 1.25], cuts: [0, 1], split: test }}
labels:
  dataset: train
  test: test
  cut: {{ fractions: [0.1666667, 0.6666666, 0.1666667] }}
  ranking: {{ annotators: [R1, R2], noise: 0.08, seconds_per_batch: 60 }}
  single: {{ annotators: [S1, S2], error_rate: 0.25, seconds_per_label: 10 }}
  training:
    model: {model}
    sources: [truth, ranking, single]
    input: {{ size: [64, 64], fit: resize }}
    normalize: minmax
    steps: 4
    batch_size: 8
    threads: 1
perturbations:
  - {{ name: bias_field, severity: [2] }}
metrics: [accuracy, macro_f1, roc_auc, kappa]
statistics: {{ bootstrap: 200 }}
"#,
        model = model.display()
    )
}

#[test]
fn label_study_runs_and_reports() {
    let tmp = tempfile::tempdir().expect("tmp");
    let suite = tmp.path().join("slices.yaml");
    let model = repo_root().join("plugins/models/slice/slice_cnn.pt");
    std::fs::write(&suite, suite_text(&model)).expect("write");
    let plan = load(&suite, tmp.path()).expect("plan");
    let registry = sensibench_perturb::registry();
    let opts = RunOptions {
        out: tmp.path().join("results"),
        run_id: Some("r1".into()),
        resume: false,
        threads: 1,
        progress: false,
        git_sha: "test".into(),
        shard: None,
    };
    let s = run(&plan, &registry, &opts).expect("run");
    assert_eq!(s.failed_rows, 0);
    let study = read_study(&s.run_dir).expect("study.json");

    // the annotated images: the train split's subjects, 12 slices each
    let n = study.axis.len();
    assert!(n >= 12 * 10 && n.is_multiple_of(12), "{n} images");
    // every image seen >= 3 times in each pass; batches of 8
    let csv = std::fs::read_to_string(s.run_dir.join("labels/rankings.csv")).expect("csv");
    let mut seen = std::collections::BTreeMap::<(String, String), usize>::new();
    let mut batches_first = 0;
    for line in csv.lines().skip(1) {
        let mut f = line.splitn(3, ',');
        let (a, _, order) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let ids: Vec<&str> = order.split(';').collect();
        assert_eq!(ids.len(), 8, "{line}");
        if !a.ends_with("/repeat") {
            batches_first += 1;
        }
        for id in ids {
            *seen.entry((a.to_string(), id.to_string())).or_default() += 1;
        }
    }
    for pass in ["R1", "R2", "R1/repeat"] {
        let views: Vec<usize> = study
            .axis
            .iter()
            .map(|p| {
                seen.get(&(pass.to_string(), p.id.clone()))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        assert!(views.iter().all(|&v| v >= 3), "{pass}: {views:?}");
    }
    // equal effort: as many 10 s labels per image as fit in the ranking time
    assert_eq!(study.effort.batches, batches_first);
    assert_eq!(
        study.effort.single_labels_per_image,
        (batches_first * 60) / (n * 10)
    );
    // the cut by fractions gives the declared class sizes
    let count = |c: u32| study.axis.iter().filter(|p| p.label == c).count();
    assert_eq!(count(0), n / 6);
    assert_eq!(count(2), n / 6);
    // the true positions run from above the base to beyond the apex, 2 of
    // every 12 slices in each outer class
    let lo = study
        .axis
        .iter()
        .map(|p| p.position)
        .fold(f64::INFINITY, f64::min);
    let hi = study
        .axis
        .iter()
        .map(|p| p.position)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!((lo, hi), (-0.25, 1.25));
    assert_eq!(study.axis.iter().filter(|p| p.truth == 0).count(), n / 6);
    // the consensus row's accuracy is the axis' labels against the truth
    let axis_acc = study.axis.iter().filter(|p| p.label == p.truth).count() as f64 / n as f64;
    assert!((study.truth[0].accuracy - axis_acc).abs() < 1e-12);
    // the paper's shape at the label level: ranking labels agree better with
    // the truth than one-at-a-time labels under the same annotation time
    let (rank, single) = (&study.truth[0], &study.truth[1]);
    assert_eq!(rank.method, "ranking");
    assert_eq!(single.method, "single");
    assert!(
        rank.accuracy > single.accuracy + 0.03,
        "ranking {} vs single {}",
        rank.accuracy,
        single.accuracy
    );
    assert!(rank.kappa.unweighted.value > single.kappa.unweighted.value);
    // κ intervals bracket their estimate
    for t in &study.truth {
        let k = &t.kappa.linear;
        assert!(k.lo <= k.value && k.value <= k.hi, "{}: {k:?}", t.label_set);
    }
    // observers: one intra and two inter rows per method
    for method in ["ranking", "single"] {
        let kinds: Vec<&str> = study
            .observers
            .iter()
            .filter(|o| o.method == method)
            .map(|o| o.kind.as_str())
            .collect();
        assert_eq!(kinds, ["intra", "inter", "inter"], "{method}");
    }
    // one trained classifier per source, evaluated on the test split
    let names: Vec<&str> = study.training.iter().map(|t| t.model.as_str()).collect();
    assert_eq!(
        names,
        [
            "cnn-truth-labels",
            "cnn-ranking-labels",
            "cnn-single-labels"
        ]
    );
    assert!((study.training[0].label_accuracy - 1.0).abs() < 1e-12);
    for t in &study.training {
        assert!(
            s.run_dir
                .join(format!("labels/models/{}.pt", t.source))
                .is_file()
        );
    }
    let page = sensibench_runner::publish::write_report(&s.run_dir).expect("report");
    let html = std::fs::read_to_string(&page).expect("html");
    assert!(html.contains("id=\"labels\"") && html.contains("cnn-ranking-labels"));
    assert!(html.contains("Bradley&ndash;Terry score") || html.contains("Bradley–Terry score"));

    // resume reuses the finished study and models
    let again = run(
        &plan,
        &registry,
        &RunOptions {
            resume: true,
            ..opts
        },
    )
    .expect("resume");
    assert_eq!(again.parts_written, 0);
    assert_eq!(read_study(&again.run_dir).expect("study").axis, study.axis);
}

#[test]
fn the_committed_suite_is_valid() {
    assert_eq!(
        sensibench_suite::plan::STACK_POSITIONS,
        sensibench_data::POSITIONS
    );
    let plan = load(
        &repo_root().join("suites/slice-position.yaml"),
        &repo_root().join("../shared/data"),
    )
    .expect("suites/slice-position.yaml");
    let lp = plan.labels.expect("labels");
    assert_eq!(lp.ranking.batch_size, 8);
    assert_eq!(lp.ranking.views_per_image, 3);
}
