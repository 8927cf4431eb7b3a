//! Classification end to end: class folders with the fixed hash split, side
//! markers burnt in by policy, marker removal, the shortcut table, saliency,
//! the report; checked against numbers computed outside the harness.

use std::path::Path;

use sensibench_integration::{load, repo_root};
use sensibench_results::{ClassificationSpec, ConditionRef, aggregate_classification, read_cases};
use sensibench_runner::{RunOptions, run};

/// ONNX Runtime's environment and libtorch are process-wide: the tests of
/// this binary run one at a time, as those of `end_to_end.rs` do.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn options(out: &Path) -> RunOptions {
    RunOptions {
        out: out.to_path_buf(),
        run_id: Some("r1".into()),
        resume: false,
        threads: 2,
        progress: false,
        git_sha: "test".into(),
        shard: None,
    }
}

fn models_dir() -> std::path::PathBuf {
    repo_root().join("plugins/models/classifiers")
}

/// The harness reproduces the accuracy and confusion matrix that the
/// training script measured in PyTorch on the same MedNIST test split
/// (PIL decoding, its own min-max normalisation): an independent pipeline.
#[test]
fn modality_cnn_matches_pytorch_on_the_mednist_test_split() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = repo_root().join("../shared/data");
    if !data.join("mednist").is_dir() {
        eprintln!("skipped: ../shared/data/mednist is absent");
        return;
    }
    let info: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(models_dir().join("models.json")).expect("models.json"),
    )
    .expect("models.json parses");
    let cnn = &info["models"]["modality_cnn"];
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("modality.yaml");
    std::fs::write(
        &suite,
        format!(
            r#"
name: modality-e2e
seed: 1
task: classification
classes: [AbdomenCT, BreastMRI, CXR, ChestCT, Hand, HeadCT]
datasets:
  - name: mednist
    source: class_folders
    path: mednist
    split: test
models:
  - name: cnn
    backend: onnx
    path: {}
    normalize: minmax
    output: softmax
    batch_size: 64
perturbations: []
metrics: [accuracy, roc_auc]
"#,
            models_dir().join("modality_cnn.onnx").display()
        ),
    )
    .expect("write suite");
    let plan = load(&suite, &data).expect("suite loads");
    let summary = run(&plan, &sensibench_perturb::registry(), &options(tmp.path())).expect("runs");
    assert_eq!(summary.failed_rows, 0);
    let cases = read_cases(&summary.run_dir)
        .expect("reads")
        .expect("has predictions");
    let (_, c) = cases.iter().next().expect("one condition");
    assert_eq!(
        c.samples.len() as u64,
        cnn["test_images"].as_u64().expect("test_images")
    );
    let want: Vec<Vec<u64>> =
        serde_json::from_value(cnn["test_confusion_rows_true"].clone()).expect("confusion rows");
    let mut got = vec![vec![0u64; 6]; 6];
    for i in 0..c.samples.len() {
        got[c.truth[i]][c.predicted(i)] += 1;
    }
    assert_eq!(
        got, want,
        "confusion matrix differs from the PyTorch evaluation"
    );
    let spec = ClassificationSpec {
        metrics: &["accuracy".to_string()],
        bootstrap: 200,
        level: 0.95,
        seed: 1,
        shortcut: None,
    };
    let t = aggregate_classification(&summary.run_dir, &spec)
        .expect("aggregates")
        .expect("tables");
    let acc = t.metrics[0].value.expect("accuracy");
    let want_acc = cnn["test_accuracy"].as_f64().expect("test_accuracy");
    assert!((acc - want_acc).abs() < 5e-5, "{acc} vs {want_acc}");
    let (lo, hi) = t.metrics[0].ci.expect("ci");
    assert!(lo <= acc && acc <= hi && hi - lo < 0.02, "[{lo}, {hi}]");
}

/// Markers burnt in by class (rates 0 and 1: exactly the class-1 images get
/// one), removed again by biharmonic inpainting, the shortcut table and CRM
/// mass on the marker; the report renders it.
#[test]
fn markers_shortcut_table_and_saliency_on_phantoms() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("markers.yaml");
    let onnx = models_dir().join("shortcut_confounded.onnx");
    if !onnx.is_file() {
        panic!(
            "{} is missing: run plugins/models/classifiers/make_classifiers.sh",
            onnx.display()
        );
    }
    std::fs::write(
        &suite,
        format!(
            r#"
name: markers-e2e
seed: 3
task: classification
classes: [negative, positive]
datasets:
  - name: internal
    source: phantom_classes
    per_class: 12
    size: 64
    markers:
      size: 11
      rates: [0.0, 1.0]
      options: {{ glyph: L, corner: top_right }}
  - name: swapped
    source: phantom_classes
    per_class: 12
    size: 64
    markers:
      size: 11
      rates: [1.0, 0.0]
      options: {{ glyph: L, corner: top_right }}
models:
  - name: confounded
    backend: onnx
    path: {}
    normalize: minmax
    output: softmax
perturbations:
  - name: marker_remove
    points: [1]
metrics: [accuracy, roc_auc]
shortcut:
  reference: {{ dataset: internal, name: with markers }}
  conditions:
    - {{ dataset: internal, perturbation: marker_remove, name: removed }}
    - {{ dataset: swapped, name: swapped }}
  saliency: crm
saliency:
  methods: [crm, crm_class, occlusion]
  datasets: [internal]
  perturbations: [none, marker_remove]
  gallery: 2
"#,
            onnx.display()
        ),
    )
    .expect("write suite");
    let plan = load(&suite, tmp.path()).expect("suite loads");
    let summary = run(&plan, &sensibench_perturb::registry(), &options(tmp.path())).expect("runs");
    assert_eq!(summary.failed_rows, 0);
    let cases = read_cases(&summary.run_dir)
        .expect("reads")
        .expect("has predictions");
    for (key, c) in &cases {
        // rates [0, 1]: a marker exactly on the positives (internal), on the
        // negatives (swapped); marker_remove keeps the region map
        for i in 0..c.samples.len() {
            let want = if key.dataset == "internal" {
                c.truth[i] == 1
            } else {
                c.truth[i] == 0
            };
            assert_eq!(c.has_region[i], want, "{key:?} {}", c.samples[i]);
        }
        assert_eq!(c.samples.len(), 24);
    }
    let cond = |name: &str, dataset: &str, perturbation: &str| ConditionRef {
        name: name.into(),
        dataset: dataset.into(),
        perturbation: perturbation.into(),
        point_index: 0,
    };
    let spec = ClassificationSpec {
        metrics: &["roc_auc".to_string()],
        bootstrap: 200,
        level: 0.95,
        seed: 3,
        shortcut: Some((
            cond("with markers", "internal", "none"),
            vec![
                cond("removed", "internal", "marker_remove"),
                cond("swapped", "swapped", "none"),
            ],
        )),
    };
    let t = aggregate_classification(&summary.run_dir, &spec)
        .expect("aggregates")
        .expect("tables");
    let row = &t.shortcut[0];
    assert_eq!(row.conditions.len(), 2);
    // the paired AUCs agree with the unpaired ones (same 24 images everywhere)
    for cell in &row.conditions {
        assert_eq!(cell.n, 24);
        let d = cell.delta.expect("delta");
        let want = cell.auc.expect("auc") - row.reference.auc.expect("auc");
        assert!((d - want).abs() < 1e-12);
        assert!(cell.p.is_some_and(|p| (0.0..=1.0).contains(&p)));
    }
    // CRM rows exist for the marked images, with masses in [0, 1]
    let sal = sensibench_results::aggregate_saliency(&summary.run_dir).expect("saliency");
    let mass = sal
        .iter()
        .find(|s| s.method == "crm" && s.metric == "relevance_mass" && s.perturbation == "none")
        .expect("crm mass");
    assert_eq!(mass.n, 12);
    assert!(mass.mean.is_some_and(|m| (0.0..=1.0).contains(&m)));
    // every method has its rows; CRM is non-negative, so its mass is defined on every marked image
    for (method, all_defined) in [("crm", true), ("crm_class", true), ("occlusion", false)] {
        let m = sal
            .iter()
            .find(|s| {
                s.method == method && s.metric == "relevance_mass" && s.perturbation == "none"
            })
            .unwrap_or_else(|| panic!("no {method} rows"));
        assert_eq!(m.n_failed, 0, "{method}");
        assert!(
            if all_defined { m.n == 12 } else { m.n > 0 },
            "{method}: {}",
            m.n
        );
    }
    let html = sensibench_runner::publish::write_report(&summary.run_dir).expect("report");
    let text = std::fs::read_to_string(html).expect("html");
    assert!(text.contains("id=\"shortcut\""), "no shortcut section");
    assert!(text.contains("removed") && text.contains("swapped"));
}

/// The shortcut study on the real MedNIST test images: the confounded model
/// loses ROC AUC when its markers are removed (DeLong p < 0.05) and puts more
/// of its CRM relevance on the marker than the clean model, whose AUC does
/// not move; the TorchScript export of the confounded model gives the ONNX
/// model's probabilities.
#[test]
fn shortcut_study_on_mednist() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = repo_root().join("../shared/data");
    if !data.join("mednist").is_dir() {
        eprintln!("skipped: ../shared/data/mednist is absent");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("shortcut.yaml");
    let dir = models_dir();
    let torch_model = if cfg!(feature = "torch") {
        format!(
            "  - name: confounded-ts\n    backend: torchscript\n    path: {}\n    normalize: minmax\n    output: softmax\n    threads: 2\n",
            dir.join("shortcut_confounded.pt").display()
        )
    } else {
        String::new()
    };
    std::fs::write(
        &suite,
        format!(
            r#"
name: shortcut-e2e
seed: 20261124
task: classification
classes: [AbdomenCT, HeadCT]
datasets:
  - name: internal
    source: class_folders
    path: mednist
    split: test
    markers:
      size: 11
      rates: [0.1, 0.9]
      options: {{ glyph: L, corner: top_right, margin: 2, pad: 2 }}
models:
  - name: confounded
    backend: onnx
    path: {}
    normalize: minmax
    output: softmax
  - name: clean
    backend: onnx
    path: {}
    normalize: minmax
    output: softmax
{torch_model}
perturbations:
  - name: marker_remove
    points: [0]
metrics: [roc_auc]
shortcut:
  reference: {{ dataset: internal }}
  conditions:
    - {{ dataset: internal, perturbation: marker_remove, name: removed }}
  saliency: crm
saliency:
  methods: [crm]
  gallery: 1
"#,
            dir.join("shortcut_confounded.onnx").display(),
            dir.join("shortcut_clean.onnx").display()
        ),
    )
    .expect("write suite");
    let plan = load(&suite, &data).expect("suite loads");
    let summary = run(&plan, &sensibench_perturb::registry(), &options(tmp.path())).expect("runs");
    assert_eq!(summary.failed_rows, 0);
    let cond = |name: &str, perturbation: &str| ConditionRef {
        name: name.into(),
        dataset: "internal".into(),
        perturbation: perturbation.into(),
        point_index: 0,
    };
    let spec = ClassificationSpec {
        metrics: &["roc_auc".to_string()],
        bootstrap: 100,
        level: 0.95,
        seed: 1,
        shortcut: Some((
            cond("internal", "none"),
            vec![cond("removed", "marker_remove")],
        )),
    };
    let t = aggregate_classification(&summary.run_dir, &spec)
        .expect("aggregates")
        .expect("tables");
    let row = |m: &str| t.shortcut.iter().find(|r| r.model == m).expect("row");
    let confounded = &row("confounded").conditions[0];
    let clean = &row("clean").conditions[0];
    assert!(
        confounded.delta.expect("delta") < -0.1 && confounded.p.expect("p") < 0.05,
        "{confounded:?}"
    );
    assert!(clean.delta.expect("delta").abs() < 0.03, "{clean:?}");
    let sal = sensibench_results::aggregate_saliency(&summary.run_dir).expect("saliency");
    let mass = |m: &str| {
        sal.iter()
            .find(|s| s.model == m && s.metric == "relevance_mass" && s.perturbation == "none")
            .and_then(|s| s.mean)
            .expect("mass")
    };
    assert!(
        mass("confounded") > 2.0 * mass("clean"),
        "{} vs {}",
        mass("confounded"),
        mass("clean")
    );
    if cfg!(feature = "torch") {
        let cases = read_cases(&summary.run_dir).expect("reads").expect("cases");
        let get = |m: &str| {
            cases
                .iter()
                .find(|(k, _)| k.model == m && k.perturbation == "none")
                .map(|(_, c)| c.probs.clone())
                .expect("cases")
        };
        let (a, b) = (get("confounded"), get("confounded-ts"));
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-4,
            "ONNX vs TorchScript probabilities differ by {worst}"
        );
    }
}
