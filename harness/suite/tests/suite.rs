//! Suite parsing and validation: the real cardiac suite, broken suites with
//! exact positions, and grid points against numpy.

use std::path::{Path, PathBuf};

use sensibench_core::{
    Error, Image, LabelMap, ParameterInfo, Params, Perturbation, PerturbationEntry, Registry,
    Result as CoreResult, SeededRng, SeverityScale,
};
use sensibench_suite::{
    BackendPlan, Catalog, DEFAULT_OBTAIN, DatasetSource, Fit, Normalize, Plan, PointsSpec,
    Postprocess, ReferenceMode, Scale, SuiteError, expand_points, load_suite,
};

// ---------------------------------------------------------------- catalog

struct Identity;

impl Perturbation for Identity {
    fn apply(
        &self,
        image: &Image,
        mask: Option<&LabelMap>,
        _value: f64,
        _rng: &mut SeededRng,
    ) -> CoreResult<(Image, Option<LabelMap>)> {
        Ok((image.clone(), mask.cloned()))
    }
}

fn build_plain(p: &Params) -> CoreResult<Box<dyn Perturbation>> {
    p.check_known("perturbation", &[])?;
    Ok(Box::new(Identity))
}

fn build_translate(p: &Params) -> CoreResult<Box<dyn Perturbation>> {
    p.check_known("translate", &["axis"])?;
    let axis = p.text("axis", "x")?;
    if axis != "x" && axis != "y" {
        return Err(Error::invalid("axis", axis, "`x` or `y`"));
    }
    Ok(Box::new(Identity))
}

fn build_marker(p: &Params) -> CoreResult<Box<dyn Perturbation>> {
    p.check_known("marker_inject", &["glyph", "corner"])?;
    Ok(Box::new(Identity))
}

fn build_noise(p: &Params) -> CoreResult<Box<dyn Perturbation>> {
    p.check_known("gaussian_noise", &["clip"])?;
    p.flag("clip", true)?;
    Ok(Box::new(Identity))
}

const MR_KINDS: [&str; 7] = [
    "spike",
    "ghosting",
    "motion",
    "bias_field",
    "rician_noise",
    "anisotropy",
    "elastic",
];

const KINDS: [&str; 12] = [
    "marker_inject",
    "marker_remove",
    "rotate",
    "zoom",
    "translate",
    "dihedral",
    "resolution",
    "brightness",
    "contrast",
    "gamma",
    "gaussian_noise",
    "gaussian_blur",
];

fn registry() -> Registry<PerturbationEntry> {
    let mut r = Registry::new("perturbation");
    for name in KINDS.into_iter().chain(MR_KINDS) {
        let build = match name {
            "translate" => build_translate,
            "gaussian_noise" => build_noise,
            "marker_inject" => build_marker,
            _ => build_plain,
        };
        r.register(
            name,
            PerturbationEntry {
                name,
                summary: "test entry",
                parameter: ParameterInfo {
                    name: "value",
                    unit: "",
                    identity: None,
                },
                build,
                severity: MR_KINDS.contains(&name).then_some(SeverityScale {
                    levels: ["1", "2", "3", "4", "5"],
                    build: build_plain,
                }),
            },
        )
        .expect("unique test names");
    }
    r
}

const METRICS: [&str; 4] = ["dice", "hd95", "assd", "rmssd"];

/// A temp tree: `suites/` (the suite file), `plugins/models/cardiac/*.onnx`
/// and `models/net.onnx` (placeholders), `data/` (the data root), and a fake
/// plugin library.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().expect("temp dir");
        let t = Tree { dir };
        for f in [
            "plugins/models/cardiac/unet_plain.onnx",
            "plugins/models/cardiac/unet_augmented.onnx",
            "models/net.onnx",
            "lib/libsensibench_classical_seg.so",
        ] {
            t.touch(f);
        }
        std::fs::create_dir_all(t.path("suites")).expect("mkdir");
        std::fs::create_dir_all(t.path("data")).expect("mkdir");
        t
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn touch(&self, rel: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, b"placeholder").expect("write");
    }
    fn mkdir(&self, rel: &str) {
        std::fs::create_dir_all(self.path(rel)).expect("mkdir");
    }
    fn load_file(&self, suite: &Path) -> Result<Plan, SuiteError> {
        let reg = registry();
        let lib = self.path("lib");
        let resolve = move |name: &str| -> Result<PathBuf, String> {
            let p = lib.join(format!("lib{name}.so"));
            if p.is_file() {
                Ok(p)
            } else {
                Err(format!("no lib{name}.so in {}", lib.display()))
            }
        };
        let catalog = Catalog {
            perturbations: &reg,
            metrics: &METRICS,
            classification_metrics: &["accuracy", "roc_auc", "kappa"],
            resolve_plugin: &resolve,
        };
        load_suite(suite, &self.path("data"), &catalog)
    }
    fn load(&self, text: &str) -> Result<Plan, SuiteError> {
        let p = self.path("suites/test.yaml");
        std::fs::write(&p, text).expect("write suite");
        self.load_file(&p)
    }
}

// ------------------------------------------------------------ cardiac.yaml

fn cardiac_text() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/cardiac.yaml");
    std::fs::read_to_string(&p).expect("suites/cardiac.yaml")
}

#[test]
fn cardiac_suite_parses_without_optional_data() {
    let t = Tree::new();
    let text = cardiac_text();
    let suite = t.path("suites/cardiac.yaml");
    std::fs::write(&suite, &text).expect("copy");
    let plan = t.load_file(&suite).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(plan.name, "cardiac");
    assert!(
        plan.description
            .starts_with("How Dice and surface distances")
    );
    assert_eq!(plan.seed, 20261124);
    assert_eq!(plan.classes, ["background", "LV", "myocardium", "RV"]);
    assert_eq!(plan.reference, ReferenceMode::GroundTruth);
    assert_eq!(plan.suite_path, suite);
    // SHA-256 of the exact bytes, as `sha256sum` computes it.
    assert_eq!(plan.suite_hash.len(), 64);
    assert_eq!(plan.suite_hash, sha256_hex(text.as_bytes()));

    // Only the phantom is there; the two optional datasets are skipped.
    assert_eq!(plan.datasets.len(), 1);
    let ph = &plan.datasets[0];
    assert_eq!(ph.name, "phantom");
    assert!(matches!(
        ph.source,
        DatasetSource::PhantomCardiac {
            subjects: 4,
            slices_per_subject: 3,
            size: 128
        }
    ));
    assert_eq!(ph.reference, ReferenceMode::GroundTruth);
    let skipped: Vec<&str> = plan
        .skipped_datasets
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(skipped, ["kaggle", "kaggle-dicom"]);
    let reason = &plan.skipped_datasets[0].reason;
    assert!(
        reason.contains(
            &t.path("data/cardiac-misas/example/kaggle/images")
                .display()
                .to_string()
        ),
        "{reason}"
    );
    assert!(reason.contains(DEFAULT_OBTAIN), "{reason}");

    // Models.
    let names: Vec<&str> = plan.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["unet-plain", "unet-augmented", "classical"]);
    let m = &plan.models[0];
    match &m.backend {
        BackendPlan::Onnx { path, threads } => {
            assert_eq!(
                *path,
                std::fs::canonicalize(t.path("plugins/models/cardiac/unet_plain.onnx")).expect("c")
            );
            assert_eq!(*threads, 0);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.preprocess.size, Some([128, 128]));
    assert_eq!(m.preprocess.fit, Fit::Resize);
    assert_eq!(m.preprocess.normalize, Normalize::ZScore);
    assert_eq!(m.postprocess, Postprocess::Argmax);
    assert_eq!(m.batch_size, 8);
    let c = &plan.models[2];
    match &c.backend {
        BackendPlan::Native { path, .. } => {
            assert_eq!(*path, t.path("lib/libsensibench_classical_seg.so"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.postprocess, Postprocess::Labels);
    assert_eq!(c.preprocess.size, None);
    assert_eq!(c.preprocess.normalize, Normalize::None);
    assert_eq!(c.batch_size, 8);

    // Perturbations: kinds, labels, points.
    let kinds: Vec<&str> = plan.perturbations.iter().map(|p| p.kind.as_str()).collect();
    let expected: Vec<&str> = KINDS[2..].iter().chain(&MR_KINDS).copied().collect();
    assert_eq!(kinds, expected);
    let labels: Vec<&str> = plan
        .perturbations
        .iter()
        .map(|p| p.label.as_str())
        .collect();
    assert_eq!(labels, expected);
    // the MR artefacts sweep their severity scale, 0 (unchanged) to 5
    for p in &plan.perturbations {
        let mr = MR_KINDS.contains(&p.kind.as_str());
        assert_eq!(p.scale == Scale::Severity, mr, "{}", p.kind);
        if mr {
            assert_eq!(p.points, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "{}", p.kind);
        }
    }
    let pts = |k: &str| {
        plan.perturbations
            .iter()
            .find(|p| p.kind == k)
            .map(|p| p.points.clone())
            .expect("kind")
    };
    assert_eq!(pts("rotate"), [-90.0, -60.0, -30.0, 0.0, 30.0, 60.0, 90.0]);
    assert_eq!(pts("zoom"), [0.6, 0.8, 1.0, 1.25, 1.5]);
    assert_eq!(pts("translate"), [-20.0, -10.0, 0.0, 10.0, 20.0]);
    assert_eq!(pts("dihedral"), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    // numpy.linspace(-0.4, 0.4, 5)
    assert_eq!(
        pts("brightness"),
        [-0.4, -0.2, 0.0, 0.20000000000000007, 0.4]
    );
    // numpy.logspace(-0.5, 0.5, 5): 10**[-0.5, -0.25, 0, 0.25, 0.5]
    let expected = [
        0.31622776601683794,
        0.5623413251903491,
        1.0,
        1.7782794100389228,
        3.1622776601683795,
    ];
    for (a, b) in pts("contrast").iter().zip(expected) {
        assert!((a - b).abs() <= 1e-15 * b, "{a} vs {b}");
    }
    let translate = plan
        .perturbations
        .iter()
        .find(|p| p.kind == "translate")
        .expect("t");
    assert_eq!(
        translate.params.0.get("axis"),
        Some(&sensibench_core::ParamValue::Text("x".into()))
    );
    assert!(plan.perturbations[0].params.0.is_empty());

    assert_eq!(plan.metrics, ["dice", "hd95", "assd"]);
    assert_eq!(
        plan.report.title.as_deref(),
        Some("Cardiac short-axis segmentation robustness")
    );
    assert_eq!(plan.report.primary_metric.as_deref(), Some("dice"));
    assert_eq!(plan.report.strip_sample, None);
}

#[test]
fn cardiac_suite_uses_optional_data_when_present() {
    let t = Tree::new();
    t.mkdir("data/cardiac-misas/example/kaggle/images");
    t.mkdir("data/cardiac-misas/example/kaggle/masks_full");
    t.mkdir("data/cardiac-misas/example/kaggle/sample_images");
    let suite = t.path("suites/cardiac.yaml");
    std::fs::write(&suite, cardiac_text()).expect("copy");
    let plan = t.load_file(&suite).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.skipped_datasets.is_empty());
    let names: Vec<&str> = plan.datasets.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["phantom", "kaggle", "kaggle-dicom"]);
    match &plan.datasets[1].source {
        DatasetSource::ImageFolder {
            images,
            masks,
            spacing,
            observers,
        } => {
            assert!(observers.is_empty());
            assert_eq!(*images, t.path("data/cardiac-misas/example/kaggle/images"));
            assert_eq!(
                masks.as_deref(),
                Some(
                    t.path("data/cardiac-misas/example/kaggle/masks_full")
                        .as_path()
                )
            );
            assert_eq!(*spacing, [1.4, 1.4]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(plan.datasets[1].reference, ReferenceMode::GroundTruth);
    assert_eq!(
        plan.datasets[2].reference,
        ReferenceMode::UnperturbedPrediction
    );
    assert!(matches!(
        plan.datasets[2].source,
        DatasetSource::DicomFolder { .. }
    ));
}

/// SHA-256 (hex) of `bytes` through an independent route: coreutils' `sha256sum`.
fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("x");
    std::fs::write(&f, bytes).expect("write");
    match std::process::Command::new("sha256sum").arg(&f).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

// ------------------------------------------------------------- mini suite

/// A small valid suite; broken variants replace one piece of it. Line numbers
/// in the tests refer to this text.
const MINI: &str = "\
name: mini
description: a small suite
seed: 7
task: segmentation
classes: [background, LV]
reference: ground_truth
datasets:
  - name: phantom
    source: phantom_cardiac
    subjects: 1
    slices_per_subject: 2
    size: 32
models:
  - name: net
    backend: onnx
    path: ../models/net.onnx
    input: { size: [32, 32], fit: pad }
    normalize: { fixed: { mean: 0.5, std: 0.25 } }
    output: { sigmoid_threshold: 0.5 }
  - name: base
    backend: null
perturbations:
  - name: rotate
    points: { linspace: [-10, 10, 3] }
  - name: translate
    label: shift-y
    options: { axis: y }
    points: { range: [0, 3, 1] }
metrics: [dice, hd95]
report:
  primary_metric: hd95
";

fn mini_with(from: &str, to: &str) -> String {
    assert!(MINI.contains(from), "{from:?} not in MINI");
    MINI.replacen(from, to, 1)
}

/// Loads `text`, expecting failure; returns (line, column, message) triples.
fn errors(t: &Tree, text: &str) -> Vec<(usize, usize, String)> {
    match t.load(text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e
            .diagnostics
            .iter()
            .map(|d| (d.line, d.column, d.message.clone()))
            .collect(),
    }
}

fn one_error(t: &Tree, text: &str) -> (usize, usize, String) {
    let e = errors(t, text);
    assert_eq!(e.len(), 1, "{e:#?}");
    e.into_iter().next().expect("one")
}

#[test]
fn mini_suite_is_valid() {
    let t = Tree::new();
    let plan = t.load(MINI).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.description, "a small suite");
    let net = &plan.models[0];
    assert_eq!(
        net.preprocess,
        sensibench_suite::Preprocess {
            size: Some([32, 32]),
            fit: Fit::Pad,
            normalize: Normalize::Fixed {
                mean: 0.5,
                std: 0.25
            },
        }
    );
    assert_eq!(
        net.postprocess,
        Postprocess::SigmoidThreshold { threshold: 0.5 }
    );
    assert!(matches!(plan.models[1].backend, BackendPlan::Null));
    assert_eq!(plan.perturbations[0].points, [-10.0, 0.0, 10.0]);
    assert_eq!(plan.perturbations[1].label, "shift-y");
    assert_eq!(plan.perturbations[1].points, [0.0, 1.0, 2.0]);
}

#[test]
fn severity_levels_sweep_a_severity_scale() {
    let t = Tree::new();
    let text = mini_with(
        "metrics: [dice, hd95]",
        "  - name: spike\n    severity: [1, 3, 5]\nmetrics: [dice, hd95]",
    );
    let plan = t.load(&text).unwrap_or_else(|e| panic!("{e}"));
    let spike = &plan.perturbations[2];
    assert_eq!(spike.points, [1.0, 3.0, 5.0]);
    assert_eq!(spike.scale, Scale::Severity);
    assert_eq!(plan.perturbations[0].scale, Scale::Parameter);
}

#[test]
fn severity_errors_name_the_level_and_the_perturbation() {
    let t = Tree::new();
    let with = |item: &str| {
        mini_with(
            "metrics: [dice, hd95]",
            &format!("{item}metrics: [dice, hd95]"),
        )
    };
    // Line 30 is the new item's second line; `2.5` is at column 19.
    let (line, col, msg) = one_error(&t, &with("  - name: spike\n    severity: [1, 2.5]\n"));
    assert_eq!((line, col), (30, 19), "{msg}");
    assert!(
        msg.contains("spike.severity") && msg.contains("0, 1, 2, 3, 4 or 5"),
        "{msg}"
    );
    let (line, _, msg) = one_error(
        &t,
        &with("  - name: rotate\n    label: rot-sev\n    severity: [1, 2]\n"),
    );
    assert_eq!(line, 31);
    assert!(
        msg.contains("`rotate` has no severity scale") && msg.contains("parameter `value`"),
        "{msg}"
    );
    let (_, _, msg) = one_error(&t, &with("  - name: spike\n    severity: [1, 1]\n"));
    assert!(msg.contains("severity level 1 is repeated"), "{msg}");
    let (_, _, msg) = one_error(
        &t,
        &with("  - name: spike\n    points: [1]\n    severity: [1]\n"),
    );
    assert!(msg.contains("both `points:` and `severity:`"), "{msg}");
    let (line, _, msg) = one_error(&t, &with("  - name: spike\n"));
    assert_eq!(line, 29);
    assert!(
        msg.contains("needs `points:`") && msg.contains("`severity:`"),
        "{msg}"
    );
}

#[test]
fn unknown_top_level_key_suggests() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("perturbations:", "perturbation:"));
    assert_eq!(
        e,
        (
            22,
            1,
            "unknown key `perturbation` (did you mean `perturbations`?)".into()
        )
    );
}

#[test]
fn unknown_nested_key_suggests() {
    let t = Tree::new();
    // `    batchsize: 4` inserted as line 20, inside the `net` model.
    let e = one_error(
        &t,
        &mini_with(
            "    output: { sigmoid_threshold: 0.5 }\n",
            "    output: { sigmoid_threshold: 0.5 }\n    batchsize: 4\n",
        ),
    );
    assert_eq!(
        e,
        (
            20,
            5,
            "unknown key `batchsize` (did you mean `batch_size`?)".into()
        )
    );
}

#[test]
fn unknown_enum_value_suggests() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("fit: pad", "fit: resise"));
    // `    input: { size: [32, 32], fit: resise }`: `resise` starts at column 35.
    assert_eq!(
        e,
        (
            17,
            35,
            "unknown value `resise` (did you mean `resize`?)".into()
        )
    );
}

#[test]
fn wrong_type_is_located() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("seed: 7", "seed: \"abc\""));
    assert_eq!(
        e,
        (3, 7, "expected a whole number >= 0, found `\"abc\"`".into())
    );
}

#[test]
fn unknown_perturbation_suggests() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("  - name: rotate", "  - name: rotat"));
    assert_eq!(
        e,
        (
            23,
            11,
            "unknown perturbation `rotat` (did you mean `rotate`?)".into()
        )
    );
}

#[test]
fn unknown_metric_suggests() {
    let t = Tree::new();
    let e = one_error(
        &t,
        &mini_with("metrics: [dice, hd95]", "metrics: [dcie, hd95]"),
    );
    assert_eq!(
        e,
        (
            29,
            11,
            "unknown metric `dcie` (did you mean `dice`?)".into()
        )
    );
}

#[test]
fn missing_model_file() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("../models/net.onnx", "../models/nett.onnx"));
    let looked = t.path("suites/../models/nett.onnx");
    assert_eq!(
        e,
        (
            16,
            11,
            format!(
                "model `net`: file `../models/nett.onnx` not found (looked for {}; \
                 model paths are relative to the suite file's folder)",
                looked.display()
            )
        )
    );
}

#[test]
fn bad_linspace() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("[-10, 10, 3]", "[-10, 10, 0]"));
    // `    points: { linspace: [-10, 10, 0] }`: `[` is column 25.
    assert_eq!(
        e,
        (
            24,
            25,
            "`linspace` needs num >= 1 (the number of points), got 0".into()
        )
    );
    let e = one_error(&t, &mini_with("[-10, 10, 3]", "[-10, 10, 2.5]"));
    assert_eq!(
        e,
        (
            24,
            25,
            "`linspace` needs a whole number of points (num >= 1), got 2.5".into()
        )
    );
    let e = one_error(&t, &mini_with("[-10, 10, 3]", "[-10, 10]"));
    assert_eq!(
        e,
        (
            24,
            25,
            "`linspace` takes [start, stop, num], got 2 values".into()
        )
    );
}

#[test]
fn bad_range_and_points() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("[0, 3, 1]", "[0, 3, 0]"));
    // `    points: { range: [0, 3, 0] }`: `[` is column 22.
    assert_eq!(
        e,
        (
            28,
            22,
            "`range` needs a finite, non-zero step, got 0".into()
        )
    );
    let e = one_error(&t, &mini_with("[0, 3, 1]", "[0, 100000, 1]"));
    assert_eq!(
        e,
        (
            28,
            22,
            "`range: [0, 100000, 1]` gives 100000 points; at most 10000 are allowed".into()
        )
    );
    let e = one_error(&t, &mini_with("{ range: [0, 3, 1] }", "[1, .nan, 2]"));
    // `    points: [1, .nan, 2]`: `.nan` is column 17.
    assert_eq!(e, (28, 17, "point NaN is not a finite number".into()));
    let e = one_error(&t, &mini_with("{ range: [0, 3, 1] }", "[]"));
    assert_eq!(e, (28, 13, "the list of points is empty".into()));
    let e = one_error(
        &t,
        &mini_with("{ range: [0, 3, 1] }", "{ range: [0, 3, 1], base: 2 }"),
    );
    assert_eq!(e, (28, 39, "`base` only applies to `logspace`".into()));
    let e = one_error(
        &t,
        &mini_with("{ range: [0, 3, 1] }", "{ rnge: [0, 3, 1] }"),
    );
    assert_eq!(
        e,
        (28, 15, "unknown key `rnge` (did you mean `range`?)".into())
    );
}

#[test]
fn duplicate_model_names() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("  - name: base", "  - name: net"));
    assert_eq!(
        e,
        (
            20,
            11,
            "duplicate model name `net` (first at line 14)".into()
        )
    );
}

#[test]
fn duplicate_perturbation_labels() {
    let t = Tree::new();
    let e = one_error(
        &t,
        &mini_with("    label: shift-y\n", "    label: rotate\n"),
    );
    assert_eq!(
        e,
        (
            26,
            12,
            "duplicate perturbation label `rotate` (first at line 23); give each a different `label:`"
                .into()
        )
    );
}

#[test]
fn yaml_syntax_error() {
    let t = Tree::new();
    let e = one_error(
        &t,
        &mini_with("classes: [background, LV]", "classes: [background, LV"),
    );
    // The flow sequence runs on into line 6, where the parser stops at the
    // `:` of `reference: ground_truth`.
    assert_eq!(e, (6, 10, "illegal placement of ':' indicator".into()));
    // A bracket left open at the end of the file is reported where it opens.
    let e = one_error(
        &t,
        &mini_with(
            "metrics: [dice, hd95]\nreport:\n  primary_metric: hd95\n",
            "metrics: [dice, hd95\n",
        ),
    );
    assert_eq!(e, (29, 10, "unclosed bracket '['".into()));
}

#[test]
fn required_dataset_missing_file() {
    let t = Tree::new();
    t.mkdir("data/scans/images");
    let text = mini_with(
        "models:\n",
        "  - name: scans
    source: image_folder
    images: scans/images
    masks: scans/masks
    spacing: [1, 1]
models:\n",
    );
    let e = one_error(&t, &text);
    // Line 16: `    masks: scans/masks`.
    assert_eq!(
        e,
        (
            16,
            12,
            format!(
                "dataset `scans`: `scans/masks` not found under the data root ({}); {DEFAULT_OBTAIN} \
                 (or mark the dataset `optional: true`)",
                t.path("data/scans/masks").display()
            )
        )
    );
    // Optional: skipped with a reason naming the path and the obtain text.
    let text = text.replace(
        "    spacing: [1, 1]\n",
        "    spacing: [1, 1]\n    optional: true\n    obtain: ask the lab\n",
    );
    let plan = t.load(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.datasets.len(), 1);
    assert_eq!(plan.skipped_datasets.len(), 1);
    assert_eq!(plan.skipped_datasets[0].name, "scans");
    assert_eq!(
        plan.skipped_datasets[0].reason,
        format!(
            "not found: {}; to obtain it: ask the lab",
            t.path("data/scans/masks").display()
        )
    );
}

#[test]
fn dataset_rules() {
    let t = Tree::new();
    t.mkdir("data/dcm");
    // A DICOM folder has no masks: ground truth is impossible.
    let text = mini_with(
        "models:\n",
        "  - name: dcm\n    source: dicom_folder\n    path: dcm\nmodels:\n",
    );
    let e = one_error(&t, &text);
    assert_eq!(
        e,
        (
            14,
            13,
            "dataset `dcm` cannot be scored against `ground_truth`: a `dicom_folder` has no masks; \
             add `masks:` or set `reference: unperturbed_prediction`"
                .into()
        )
    );
    let ok = text.replace(
        "    path: dcm\n",
        "    path: dcm\n    reference: unperturbed_prediction\n",
    );
    let plan = t.load(&ok).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plan.datasets[1].reference,
        ReferenceMode::UnperturbedPrediction
    );
    assert_eq!(plan.datasets[0].reference, ReferenceMode::GroundTruth);

    // Keys of another source, a missing required key, a bad phantom size.
    let e = errors(
        &t,
        &mini_with("    size: 32\n", "    size: 8\n    spacing: [1, 1]\n"),
    );
    assert_eq!(
        e,
        vec![
            (
                12,
                11,
                "phantom `size` must be between 16 and 2048 pixels, got 8".to_string()
            ),
            (
                13,
                14,
                "`spacing` does not apply to `source: phantom_cardiac` (its keys: `subjects`, \
                 `slices_per_subject`, `size`)"
                    .to_string()
            ),
        ]
    );
    let e = one_error(&t, &mini_with("    size: 32\n", ""));
    assert_eq!(
        e,
        (
            9,
            13,
            "dataset `phantom`: `source: phantom_cardiac` needs `size`".into()
        )
    );
}

#[test]
fn perturbation_options_are_checked_by_the_registry() {
    let t = Tree::new();
    let e = one_error(&t, &mini_with("{ axis: y }", "{ axis: z }"));
    // `    options: { axis: z }`: `z` is column 22.
    assert_eq!(
        e,
        (
            27,
            22,
            "perturbation `translate`: invalid parameter `axis` = z: `x` or `y`".into()
        )
    );
    let e = one_error(&t, &mini_with("{ axis: y }", "{ axis: y, axs: 1 }"));
    // `axs` is column 25.
    assert_eq!(
        e,
        (
            27,
            25,
            "unknown option `axs` of perturbation `translate` (did you mean `axis`?)".into()
        )
    );
}

#[test]
fn model_rules() {
    let t = Tree::new();
    let e = errors(
        &t,
        &mini_with(
            "  - name: base\n    backend: null\n",
            "  - name: base\n    backend: native\n    plugin: nope\n    batch_size: 0\n",
        ),
    );
    assert_eq!(
        e,
        vec![
            (
                22,
                13,
                format!(
                    "model `base`: cannot find plugin `nope`: no libnope.so in {}",
                    t.path("lib").display()
                )
            ),
            (23, 17, "`batch_size` must be at least 1".to_string()),
        ]
    );
    let e = one_error(&t, &mini_with("std: 0.25", "std: 0"));
    assert_eq!(
        e,
        (18, 43, "`std` must be a finite number > 0, got 0".into())
    );
}

#[test]
fn report_and_top_level_rules() {
    let t = Tree::new();
    let e = errors(
        &t,
        &mini_with("name: mini", "name: Mini")
            .replace("classes: [background, LV]", "classes: [background]")
            .replace("primary_metric: hd95", "primary_metric: assd"),
    );
    assert_eq!(
        e,
        vec![
            (1, 7, "suite name `Mini` contains 'M'; use a-z, 0-9, `_` and `-`".to_string()),
            (
                5,
                10,
                "a segmentation suite needs at least 2 classes (background first), got 1".to_string()
            ),
            (
                31,
                19,
                "`primary_metric` `assd` is not among the suite's metrics; it must be one of `dice`, `hd95`"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn several_errors_reported_at_once_sorted() {
    let t = Tree::new();
    let text = mini_with("metrics: [dice, hd95]", "metrics: [dcie, hd95]")
        .replace("  - name: rotate", "  - name: rotat")
        .replace("../models/net.onnx", "../models/nett.onnx")
        .replace("  - name: base", "  - name: net");
    let e = errors(&t, &text);
    let short: Vec<(usize, usize)> = e.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(short, [(16, 11), (20, 11), (23, 11), (29, 11)], "{e:#?}");
    assert!(
        e[0].2
            .starts_with("model `net`: file `../models/nett.onnx` not found")
    );
    assert_eq!(e[1].2, "duplicate model name `net` (first at line 14)");
    assert_eq!(
        e[2].2,
        "unknown perturbation `rotat` (did you mean `rotate`?)"
    );
    assert_eq!(e[3].2, "unknown metric `dcie` (did you mean `dice`?)");
}

#[test]
fn display_is_rustc_like() {
    let t = Tree::new();
    let text = mini_with("metrics: [dice, hd95]", "metrics: [dcie, hd95]")
        .replace("  - name: rotate", "  - name: rotat");
    let err = t.load(&text).expect_err("broken");
    let p = t.path("suites/test.yaml");
    let p = p.display();
    assert_eq!(
        err.to_string(),
        format!(
            "{p}:23:11: unknown perturbation `rotat` (did you mean `rotate`?)
   |
23 |   - name: rotat
   |           ^
{p}:29:11: unknown metric `dcie` (did you mean `dice`?)
   |
29 | metrics: [dcie, hd95]
   |           ^
{p}: 2 errors in this suite"
        )
    );
}

#[test]
fn unreadable_file_has_no_position() {
    let t = Tree::new();
    let missing = t.path("suites/nope.yaml");
    let err = t.load_file(&missing).expect_err("missing");
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!((err.diagnostics[0].line, err.diagnostics[0].column), (0, 0));
    assert!(err.to_string().starts_with(&format!(
        "{}: cannot read the suite file",
        missing.display()
    )));
}

// ------------------------------------------------------------ grid points

#[test]
fn expand_points_matches_numpy() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/points.json");
    let text = std::fs::read_to_string(p).expect("points.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let cases = v["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 13);
    for c in cases {
        let a: Vec<f64> = c["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|x| x.as_f64().expect("num"))
            .collect();
        let expected: Vec<f64> = c["expected"]
            .as_array()
            .expect("expected")
            .iter()
            .map(|x| x.as_f64().expect("num"))
            .collect();
        let spec = match c["kind"].as_str().expect("kind") {
            "linspace" => PointsSpec::Linspace {
                start: a[0],
                stop: a[1],
                num: a[2] as usize,
            },
            "logspace" => PointsSpec::Logspace {
                start: a[0],
                stop: a[1],
                num: a[2] as usize,
                base: c["base"].as_f64().expect("base"),
            },
            _ => PointsSpec::Range {
                start: a[0],
                stop: a[1],
                step: a[2],
            },
        };
        let got = expand_points(&spec).expect("valid");
        assert_eq!(got.len(), expected.len(), "{spec:?}");
        for (g, e) in got.iter().zip(&expected) {
            // linspace/arange are bit-exact; pow may differ in the last ulp.
            assert!(
                (g - e).abs() <= 4.0 * f64::EPSILON * e.abs().max(1.0),
                "{spec:?}: {g} vs {e}"
            );
        }
    }
}

#[test]
fn expand_points_by_hand() {
    // numpy.linspace(0, 1, 5) = [0, .25, .5, .75, 1]
    assert_eq!(
        expand_points(&PointsSpec::Linspace {
            start: 0.0,
            stop: 1.0,
            num: 5
        }),
        Ok(vec![0.0, 0.25, 0.5, 0.75, 1.0])
    );
    // numpy.logspace(0, 3, 4) = [1, 10, 100, 1000]
    assert_eq!(
        expand_points(&PointsSpec::Logspace {
            start: 0.0,
            stop: 3.0,
            num: 4,
            base: 10.0
        }),
        Ok(vec![1.0, 10.0, 100.0, 1000.0])
    );
    // numpy.logspace(0, 3, 4, base=2) = [1, 2, 4, 8]
    assert_eq!(
        expand_points(&PointsSpec::Logspace {
            start: 0.0,
            stop: 3.0,
            num: 4,
            base: 2.0
        }),
        Ok(vec![1.0, 2.0, 4.0, 8.0])
    );
    // numpy.arange(1, 2, 0.25) = [1, 1.25, 1.5, 1.75] (stop excluded)
    assert_eq!(
        expand_points(&PointsSpec::Range {
            start: 1.0,
            stop: 2.0,
            step: 0.25
        }),
        Ok(vec![1.0, 1.25, 1.5, 1.75])
    );
    assert_eq!(
        expand_points(&PointsSpec::List(vec![3.0, 1.0])),
        Ok(vec![3.0, 1.0])
    );
    assert!(expand_points(&PointsSpec::List(vec![])).is_err());
    assert!(
        expand_points(&PointsSpec::Linspace {
            start: 0.0,
            stop: 1.0,
            num: 0
        })
        .is_err()
    );
    assert!(
        expand_points(&PointsSpec::Range {
            start: 0.0,
            stop: 1.0,
            step: 0.0
        })
        .is_err()
    );
    assert!(
        expand_points(&PointsSpec::Range {
            start: 1.0,
            stop: 0.0,
            step: 0.5
        })
        .is_err()
    );
    // 10**400 overflows: not finite.
    assert!(
        expand_points(&PointsSpec::Logspace {
            start: 0.0,
            stop: 400.0,
            num: 2,
            base: 10.0
        })
        .is_err()
    );
    assert!(expand_points(&PointsSpec::List(vec![1.0, f64::INFINITY])).is_err());
}

#[test]
fn missing_and_duplicate_keys() {
    let t = Tree::new();
    // All missing top-level keys at once, at the top of the file.
    let e = errors(
        &t,
        &mini_with("seed: 7\n", "").replace("task: segmentation\n", ""),
    );
    assert_eq!(
        e,
        vec![
            (1, 1, "missing key `seed`".to_string()),
            (1, 1, "missing key `task`".to_string()),
        ]
    );
    // A perturbation without its grid is reported at its name.
    let e = one_error(
        &t,
        &mini_with("    points: { linspace: [-10, 10, 3] }\n", ""),
    );
    assert_eq!(
        e,
        (
            23,
            11,
            "perturbation `rotate` needs `points:` (values of its parameter) or `severity:` (levels 1..5)".into()
        )
    );
    // `size` twice in `    input: { size: [32, 32], fit: pad, size: [1, 2] }`.
    let e = one_error(&t, &mini_with("fit: pad }", "fit: pad, size: [1, 2] }"));
    assert_eq!(e, (17, 40, "duplicate key `size`".into()));
}

#[test]
fn nifti_slices() {
    let t = Tree::new();
    t.touch("data/vol/a.nii.gz");
    t.touch("data/vol/b.nii.gz");
    t.touch("data/vol/a_mask.nii.gz");
    let dataset = "  - name: vols
    source: nifti_slices
    images: [vol/a.nii.gz, vol/b.nii.gz]
    masks: [vol/a_mask.nii.gz, ~]
    axis: axial
    slices: [3, 4]
    reference: unperturbed_prediction
    limit: 5
models:\n";
    let plan = t
        .load(&mini_with("models:\n", dataset))
        .unwrap_or_else(|e| panic!("{e}"));
    let d = &plan.datasets[1];
    assert_eq!(d.limit, Some(5));
    assert_eq!(d.reference, ReferenceMode::UnperturbedPrediction);
    match &d.source {
        DatasetSource::NiftiSlices {
            images,
            masks,
            axis,
            slices,
            labels,
        } => {
            assert_eq!(
                *images,
                [t.path("data/vol/a.nii.gz"), t.path("data/vol/b.nii.gz")]
            );
            assert_eq!(*masks, [Some(t.path("data/vol/a_mask.nii.gz")), None]);
            assert_eq!(*axis, sensibench_suite::SliceAxis::Axial);
            assert_eq!(
                *slices,
                sensibench_suite::plan::SliceSelection::Indices(vec![3, 4])
            );
            assert_eq!(*labels, None);
        }
        other => panic!("{other:?}"),
    }

    // Scored against ground truth, the image without a mask is an error at
    // its `~` (line 16: `    masks: [vol/a_mask.nii.gz, ~]`, `~` at column 32);
    // a mask list of the wrong length is an error at the list.
    let e = errors(
        &t,
        &mini_with(
            "models:\n",
            &dataset.replace("    reference: unperturbed_prediction\n", ""),
        ),
    );
    assert_eq!(
        e,
        vec![(
            16,
            32,
            "dataset `vols` is scored against `ground_truth`, so every image needs a mask; \
             set `reference: unperturbed_prediction` to use images without masks"
                .to_string()
        )]
    );
    let e = one_error(
        &t,
        &mini_with(
            "models:\n",
            &dataset.replace("[vol/a_mask.nii.gz, ~]", "[vol/a_mask.nii.gz]"),
        ),
    );
    assert_eq!(
        e,
        (
            16,
            12,
            "`masks` lists 1 files but `images` lists 2; give one mask (or ~) per image".into()
        )
    );
    // `axis` is required; a missing volume is located at its list entry
    // (`    images: [vol/a.nii.gz, vol/c.nii.gz]`: column 28).
    let e = errors(
        &t,
        &mini_with(
            "models:\n",
            &dataset
                .replace("    axis: axial\n", "")
                .replace("vol/b.nii.gz", "vol/c.nii.gz"),
        ),
    );
    let short: Vec<(usize, usize)> = e.iter().map(|(l, c, _)| (*l, *c)).collect();
    assert_eq!(short, [(14, 13), (15, 28)], "{e:#?}");
    assert_eq!(
        e[0].2,
        "dataset `vols`: `source: nifti_slices` needs `axis`"
    );
    assert!(
        e[1].2
            .starts_with("dataset `vols`: `vol/c.nii.gz` not found under the data root")
    );
}

// ------------------------------------------------- efficiency (muscle.yaml)

fn muscle_tree() -> (Tree, PathBuf) {
    let t = Tree::new();
    for s in ["random", "supervised", "autoencoder", "mednist"] {
        t.touch(&format!("plugins/models/muscle/muscle_{s}.pt"));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/muscle.yaml");
    let suite = t.path("suites/muscle.yaml");
    std::fs::write(
        &suite,
        std::fs::read_to_string(&p).expect("suites/muscle.yaml"),
    )
    .expect("copy");
    (t, suite)
}

#[test]
fn muscle_suite_parses() {
    use sensibench_suite::plan::{AugmentPlan, OptimizerPlan, Schedule, SliceSelection, TrainSize};
    let (t, suite) = muscle_tree();
    let plan = t.load_file(&suite).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.models.is_empty() && plan.perturbations.is_empty());
    assert!(matches!(
        plan.datasets[0].source,
        DatasetSource::PhantomCt {
            subjects: 12,
            slices_per_subject: 3,
            size: 128,
            observers: 4
        }
    ));
    // the real CT is optional and absent here: skipped with how to obtain it
    assert_eq!(plan.skipped_datasets.len(), 1);
    assert!(
        plan.skipped_datasets[0]
            .reason
            .contains("example_ct.nii.gz")
    );
    assert!(plan.skipped_datasets[0].reason.contains("TotalSegmentator"));
    let e = plan.efficiency.as_ref().expect("efficiency");
    let names: Vec<&str> = e.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["random", "supervised", "autoencoder", "mednist"]);
    assert!(
        e.sources[1]
            .path
            .ends_with("plugins/models/muscle/muscle_supervised.pt")
    );
    assert_eq!(e.datasets, ["phantom"]);
    assert_eq!(e.train_sizes, [1, 2, 5, 10, 20].map(TrainSize::N).to_vec());
    assert_eq!((e.folds, e.repeats, e.batch_size), (4, 1, 4));
    assert_eq!(e.schedule, Schedule::Steps(60));
    assert_eq!(e.optimizer, OptimizerPlan::Adam);
    assert_eq!((e.learning_rate, e.weight_decay), (0.002, 0.0));
    assert_eq!((e.ce_weight, e.dice_weight), (1.0, 1.0));
    assert_eq!(
        e.augment,
        AugmentPlan {
            flip_x: true,
            flip_y: false,
            rot90: false,
            scale: 0.05,
            shift: 0.02
        }
    );
    assert_eq!(
        e.preprocess.normalize,
        Normalize::Window {
            level: 40.0,
            width: 400.0
        }
    );
    assert_eq!(e.preprocess.size, Some([128, 128]));
    assert_eq!(e.measures, ["area_cm2", "mean_hu"]);
    let h = e.human.as_ref().expect("human");
    assert_eq!((h.metric.as_str(), h.declared), ("dice", None));

    // with the real CT present, its slices are those containing label 29
    // and its masks are relabelled
    t.touch("data/ct-totalseg/tests/reference_files/example_ct.nii.gz");
    t.touch("data/ct-totalseg/tests/reference_files/example_seg_fast_force_split.nii.gz");
    let plan = t.load_file(&suite).unwrap_or_else(|e| panic!("{e}"));
    match &plan.datasets[1].source {
        DatasetSource::NiftiSlices { slices, labels, .. } => {
            assert_eq!(
                *slices,
                SliceSelection::ContainingLabel {
                    label: 29,
                    margin: 0
                }
            );
            assert_eq!(*labels, Some(vec![(1, (80..=89).collect())]));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        plan.efficiency.as_ref().map(|e| e.datasets.clone()),
        Some(vec!["phantom".to_string(), "ct-l3".to_string()])
    );
}

/// A small study; the error tests below break one piece at a time. Line
/// numbers refer to this text.
const STUDY: &str = "\
name: study
seed: 1
task: segmentation
classes: [background, muscle]
datasets:
  - name: ph
    source: phantom_ct
    subjects: 4
    slices_per_subject: 1
    size: 32
    observers: 3
metrics: [dice]
efficiency:
  sources:
    - name: random
      path: ../models/net.onnx
  input: { size: [32, 32] }
  train_sizes: [1, 2, all]
  steps: 3
  human: { metric: dice, from: observers }
";

fn study_with(from: &str, to: &str) -> String {
    assert!(STUDY.contains(from), "{from:?} not in STUDY");
    STUDY.replacen(from, to, 1)
}

#[test]
fn study_rules_are_located() {
    use sensibench_suite::plan::TrainSize;
    let t = Tree::new();
    let plan = t.load(STUDY).unwrap_or_else(|e| panic!("{e}"));
    let e = plan.efficiency.expect("study");
    assert_eq!(
        e.train_sizes,
        [TrainSize::N(1), TrainSize::N(2), TrainSize::All]
    );
    assert_eq!(e.folds, 4, "four folds by default, as the paper");

    let e = one_error(&t, &study_with("[1, 2, all]", "[2, 1]"));
    assert_eq!(
        e,
        (18, 20, "training-set sizes must increase: 1 after 2".into())
    );
    let e = one_error(&t, &study_with("[1, 2, all]", "[all, 2]"));
    assert_eq!(
        e,
        (18, 22, "`all` must be the last training-set size".into())
    );
    let e = one_error(&t, &study_with("[1, 2, all]", "[0, 2]"));
    assert_eq!(
        e,
        (
            18,
            17,
            "a training-set size must be at least 1, got 0".into()
        )
    );
    let e = errors(&t, &study_with("[1, 2, all]", "[1, most]"));
    assert_eq!(
        e,
        vec![(
            18,
            20,
            "`most` is not a training-set size: give a number or `all`".into()
        )]
    );
    let e = one_error(&t, &study_with("  steps: 3\n", "  steps: 3\n  epochs: 2\n"));
    assert_eq!(e, (20, 11, "give `steps` or `epochs`, not both".into()));
    let e = one_error(
        &t,
        &study_with("  steps: 3\n", "  steps: 3\n  momentum: 0.9\n"),
    );
    assert_eq!(
        e,
        (20, 13, "`momentum` applies to `optimizer: sgd` only".into())
    );
    let e = one_error(&t, &study_with("  steps: 3\n", "  steps: 3\n  folds: 1\n"));
    assert_eq!(e, (20, 10, "`folds` must be at least 2, got 1".into()));
    let e = one_error(
        &t,
        &study_with("  steps: 3\n", "  steps: 3\n  measures: [area, mean_hu]\n"),
    );
    assert_eq!(
        e,
        (
            20,
            14,
            "unknown measure `area` (known: `area_cm2`, `mean_hu`)".into()
        )
    );
    let e = one_error(&t, &study_with("metric: dice, from", "metric: hd95, from"));
    assert_eq!(
        e,
        (
            20,
            20,
            "`human.metric` `hd95` is not among the suite's metrics (`dice`)".into()
        )
    );
    let e = one_error(&t, &study_with("    observers: 3\n", ""));
    assert_eq!(e.0, 19);
    assert!(
        e.2.starts_with("`from: observers` needs a study dataset with observers' masks"),
        "{e:?}"
    );
    let e = one_error(&t, &study_with("../models/net.onnx", "../models/nope.pt"));
    assert_eq!((e.0, e.1), (16, 13));
    assert!(
        e.2.starts_with("source `random`: TorchScript file `../models/nope.pt` not found"),
        "{e:?}"
    );
    let e = one_error(&t, &study_with("  input: { size: [32, 32] }\n", ""));
    assert_eq!(e.0, 14);
    assert!(e.2.contains("needs `input: {size: [h, w]}`"), "{e:?}");
    let e = errors(&t, &study_with("    observers: 3\n", "    observers: 1\n"));
    assert_eq!(e.len(), 2, "{e:?}"); // and `from: observers` lacks observers
    let e = e.into_iter().next().expect("error");
    assert_eq!(
        e,
        (
            11,
            16,
            "`observers` must be 0 (none) or at least 2: agreement needs pairs".into()
        )
    );
    // a study needs no models or perturbations, but a suite without a study does
    let e = errors(
        &t,
        &STUDY
            .replace(STUDY.split("efficiency:").nth(1).unwrap_or(""), "")
            .replace("efficiency:", ""),
    );
    assert!(e.iter().any(|x| x.2 == "missing key `models`"), "{e:?}");
}

#[test]
fn observers_rules() {
    let t = Tree::new();
    for d in ["imgs", "masks", "o1", "o2"] {
        t.mkdir(&format!("data/{d}"));
    }
    let folder = "  - name: folder\n    source: image_folder\n    images: imgs\n    masks: masks\n    spacing: [1, 1]\n    observers: [o1, o2]\nmetrics: [dice]\n";
    let plan = t
        .load(&study_with("metrics: [dice]\n", folder))
        .unwrap_or_else(|e| panic!("{e}"));
    match &plan.datasets[1].source {
        DatasetSource::ImageFolder { observers, .. } => {
            assert_eq!(*observers, [t.path("data/o1"), t.path("data/o2")]);
        }
        other => panic!("{other:?}"),
    }
    // one folder is no pair; a number is for phantoms; a list is for folders
    let e = one_error(
        &t,
        &study_with("metrics: [dice]\n", &folder.replace("[o1, o2]", "[o1]")),
    );
    assert_eq!((e.0, e.1), (17, 16));
    assert!(
        e.2.starts_with("`observers` of an `image_folder` is a list of at least 2 folders"),
        "{e:?}"
    );
    let e = errors(
        &t,
        &study_with("    observers: 3\n", "    observers: [o1, o2]\n"),
    );
    assert!(
        e.iter().any(|x| x
            == &(
                11,
                16,
                "a phantom's `observers` is a number of simulated observers".to_string()
            )),
        "{e:?}"
    );
    // a missing observer folder of a required dataset is an error at its entry
    let e = one_error(
        &t,
        &study_with("metrics: [dice]\n", &folder.replace("[o1, o2]", "[o1, o3]")),
    );
    assert_eq!((e.0, e.1), (17, 21));
    assert!(e.2.contains("`o3` not found under the data root"), "{e:?}");
}

// ---------------------------------------------------------------- classification

const CLASSIFICATION: &str = r#"name: clf
seed: 1
task: classification
classes: [negative, positive]
datasets:
  - name: internal
    source: class_folders
    path: folders
    folders: [neg, pos]
    split: test
    per_class: 5
    markers:
      size: 11
      rates: [0.1, 0.9]
      options: { glyph: L, corner: top_right }
  - name: fallback
    source: phantom_classes
    fallback_for: internal
    per_class: 4
    size: 64
models:
  - name: net
    backend: onnx
    path: ../models/net.onnx
    normalize: minmax
perturbations:
  - name: marker_remove
    points: [1]
metrics: [accuracy, roc_auc]
statistics: { bootstrap: 500, level: 0.9 }
shortcut:
  reference: { dataset: internal, name: with markers }
  conditions:
    - { dataset: internal, perturbation: marker_remove, name: removed }
  saliency: crm
saliency:
  methods: [crm, occlusion]
  perturbations: [none, marker_remove]
"#;

#[test]
fn classification_suite_with_markers_shortcut_and_saliency() {
    let t = Tree::new();
    t.mkdir("data/folders/neg");
    t.mkdir("data/folders/pos");
    let plan = t.load(CLASSIFICATION).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.task, sensibench_suite::plan::Task::Classification);
    // the real data is present: the fallback is not used
    assert_eq!(plan.datasets.len(), 1);
    let d = &plan.datasets[0];
    match &d.source {
        DatasetSource::ClassFolders {
            folders,
            split,
            per_class,
            ..
        } => {
            assert_eq!(folders, &["neg".to_string(), "pos".to_string()]);
            assert_eq!(*split, sensibench_suite::plan::Split::Test);
            assert_eq!(*per_class, Some(5));
        }
        other => panic!("{other:?}"),
    }
    let m = d.markers.as_ref().expect("markers");
    assert_eq!(m.rates, vec![0.1, 0.9]);
    assert_eq!(m.size, 11.0);
    assert_eq!(plan.models[0].postprocess, Postprocess::Softmax);
    assert_eq!(plan.statistics.bootstrap, 500);
    let s = plan.shortcut.as_ref().expect("shortcut");
    assert_eq!(s.reference.dataset, "internal");
    assert_eq!(s.conditions[0].perturbation, "marker_remove");
    assert_eq!(s.conditions[0].point, 1.0);
    let sal = plan.saliency.as_ref().expect("saliency");
    assert_eq!(
        sal.perturbations,
        vec!["none".to_string(), "marker_remove".to_string()]
    );
    assert_eq!(sal.datasets, vec!["internal".to_string()]);
}

#[test]
fn classification_fallback_stands_in_for_missing_data() {
    let t = Tree::new();
    let text = CLASSIFICATION.replace(
        "    per_class: 5\n",
        "    per_class: 5\n    optional: true\n",
    );
    let plan = t.load(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.datasets.len(), 1);
    assert_eq!(plan.datasets[0].name, "fallback");
    assert_eq!(plan.skipped_datasets[0].name, "internal");
    // conditions and saliency follow the fallback
    assert_eq!(
        plan.shortcut.as_ref().expect("shortcut").reference.dataset,
        "fallback"
    );
    assert_eq!(
        plan.saliency.as_ref().expect("saliency").datasets,
        vec!["fallback".to_string()]
    );
}

#[test]
fn classification_errors_point_at_the_line() {
    let t = Tree::new();
    t.mkdir("data/folders/neg");
    t.mkdir("data/folders/pos");
    // one rate for two classes
    let (line, col, msg) = one_error(
        &t,
        &CLASSIFICATION.replace("rates: [0.1, 0.9]", "rates: [0.1]"),
    );
    assert_eq!((line, col), (14, 14), "{msg}");
    assert!(msg.contains("one per class (2"), "{msg}");
    // a rate that is not a probability
    let (line, _, msg) = one_error(
        &t,
        &CLASSIFICATION.replace("rates: [0.1, 0.9]", "rates: [0.1, 1.5]"),
    );
    assert_eq!(line, 14);
    assert!(msg.contains("within [0, 1]"), "{msg}");
    // a segmenter's output in a classification suite
    let text = CLASSIFICATION.replace(
        "    normalize: minmax\n",
        "    normalize: minmax\n    output: argmax\n",
    );
    let (_, _, msg) = one_error(&t, &text);
    assert!(msg.contains("`softmax`"), "{msg}");
    // a classification metric in a classification suite only
    let (line, _, msg) = one_error(
        &t,
        &CLASSIFICATION.replace("[accuracy, roc_auc]", "[accuracy, dice]"),
    );
    assert_eq!(line, 29);
    assert!(msg.contains("unknown metric `dice`"), "{msg}");
    // unknown condition dataset and saliency method
    let (line, _, msg) = one_error(
        &t,
        &CLASSIFICATION.replace(
            "- { dataset: internal, perturbation",
            "- { dataset: externl, perturbation",
        ),
    );
    assert_eq!(line, 34);
    assert!(msg.contains("unknown dataset `externl`"), "{msg}");
    let (_, _, msg) = one_error(
        &t,
        &CLASSIFICATION.replace("methods: [crm, occlusion]", "methods: [crm, lime]"),
    );
    assert!(msg.contains("unknown saliency method `lime`"), "{msg}");
    // a shortcut table needs two classes
    let text = CLASSIFICATION
        .replace("classes: [negative, positive]", "classes: [a, b, c]")
        .replace("folders: [neg, pos]", "folders: [neg, pos, pos]")
        .replace("rates: [0.1, 0.9]", "rates: [0.1, 0.9, 0.5]");
    let (_, _, msg) = one_error(&t, &text);
    assert!(msg.contains("3 classes, not 2"), "{msg}");
    // classification sources in a segmentation suite
    let text = CLASSIFICATION
        .replace("task: classification", "task: segmentation")
        .replace("metrics: [accuracy, roc_auc]", "metrics: [dice]");
    let e = errors(&t, &text);
    assert!(
        e.iter()
            .any(|(_, _, m)| m.contains("belongs in a `task: classification` suite")),
        "{e:#?}"
    );
    assert!(
        e.iter()
            .any(|(_, _, m)| m.contains("`shortcut` applies to `task: classification`")),
        "{e:#?}"
    );
}

const LABELS: &str = r#"name: slices
seed: 3
task: classification
classes: [too basal, LV, too apical]
datasets:
  - { name: train, source: phantom_stacks, subjects: 20, slices_per_subject: 12, size: 48, cuts: [0.2, 0.8], split: train }
  - { name: test, source: phantom_stacks, subjects: 20, slices_per_subject: 12, size: 48, cuts: [0.2, 0.8], split: test }
labels:
  dataset: train
  test: test
  cut: { fractions: [0.25, 0.5, 0.25] }
  ranking: { annotators: [R1, R2], seconds_per_batch: 60 }
  single: { annotators: [S1], error_rate: 0.2, seconds_per_label: 10 }
  training:
    model: ../models/net.pt
    sources: [truth, ranking, single]
    input: { size: [64, 64], fit: resize }
    normalize: minmax
perturbations:
  - { name: spike, severity: [1, 5] }
metrics: [accuracy, kappa]
"#;

fn labels_with(from: &str, to: &str) -> String {
    assert!(LABELS.contains(from), "{from:?} not in LABELS");
    LABELS.replacen(from, to, 1)
}

#[test]
fn label_study_suite_parses_with_defaults() {
    let t = Tree::new();
    t.touch("models/net.pt");
    let plan = t.load(LABELS).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.models.is_empty());
    let lp = plan.labels.expect("labels");
    assert_eq!(
        lp.cut,
        sensibench_suite::plan::CutPlan::Fractions(vec![0.25, 0.5, 0.25])
    );
    assert_eq!(lp.alpha, 0.01);
    assert_eq!((lp.ranking.batch_size, lp.ranking.views_per_image), (8, 3));
    assert_eq!(lp.ranking.noise, 0.05);
    assert_eq!(lp.training.steps, 200);
    assert_eq!(lp.training.sources.len(), 3);
    match &plan.datasets[0].source {
        DatasetSource::PhantomStacks { cuts, split, .. } => {
            assert_eq!(cuts, &[0.2, 0.8]);
            assert_eq!(*split, sensibench_suite::plan::Split::Train);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn label_study_errors_point_at_the_key() {
    let t = Tree::new();
    t.touch("models/net.pt");
    // fractions that do not sum to 1
    let (line, col, msg) = one_error(&t, &labels_with("[0.25, 0.5, 0.25]", "[0.25, 0.5, 0.5]"));
    assert_eq!((line, col), (11, 21), "{msg}");
    assert!(msg.contains("summing to 1"), "{msg}");
    // an unknown label source, with the known ones
    let (line, col, msg) = one_error(
        &t,
        &labels_with("[truth, ranking, single]", "[truth, rank]"),
    );
    assert_eq!((line, col), (16, 22), "{msg}");
    assert!(
        msg.contains("unknown label source `rank`") && msg.contains("`ranking`"),
        "{msg}"
    );
    // cuts that do not give the suite's classes
    let e = errors(
        &t,
        &labels_with(
            "cuts: [0.2, 0.8], split: train",
            "cuts: [0.5], split: train",
        ),
    );
    assert!(
        e.iter()
            .any(|(l, _, m)| *l == 6 && m.contains("giving 2 classes")),
        "{e:?}"
    );
    // the test set must differ from the annotated set
    let (line, _, msg) = one_error(&t, &labels_with("  test: test", "  test: train"));
    assert_eq!(line, 10);
    assert!(msg.contains("different dataset"), "{msg}");
    // the annotated and the test set must be the same stacks, split apart
    let e = errors(
        &t,
        &labels_with(
            "cuts: [0.2, 0.8], split: train }",
            "cuts: [0.2, 0.8], split: all }",
        ),
    );
    assert!(
        e.iter()
            .any(|(l, _, m)| *l == 10 && m.contains("`split: train`")),
        "{e:?}"
    );
    let e = errors(
        &t,
        &labels_with(
            "subjects: 20, slices_per_subject: 12, size: 48, cuts: [0.2, 0.8], split: test",
            "subjects: 20, slices_per_subject: 10, size: 48, cuts: [0.2, 0.8], split: test",
        ),
    );
    assert!(
        e.iter()
            .any(|(_, _, m)| m.contains("must be the same stacks")),
        "{e:?}"
    );
    // a missing starting model
    let (line, _, msg) = one_error(&t, &labels_with("../models/net.pt", "../models/none.pt"));
    assert_eq!(line, 15);
    assert!(
        msg.contains("TorchScript file `../models/none.pt` not found"),
        "{msg}"
    );
}

#[test]
fn regression_defaults_to_the_primary_metric_and_wilcoxon() {
    let t = Tree::new();
    let plan = t.load(MINI).unwrap_or_else(|e| panic!("{e}"));
    let r = &plan.regression;
    assert_eq!(r.metrics, ["hd95"]);
    assert!(r.tolerance.is_empty() && r.default_tolerance.is_none());
    assert_eq!(r.test, sensibench_suite::PairedTestKind::Wilcoxon);
    assert_eq!(r.alpha, 0.05);
    assert!(
        plan.models
            .iter()
            .all(|m| m.isolate == sensibench_suite::Isolation::InProcess)
    );
}

#[test]
fn regression_section_is_read_and_checked_at_its_keys() {
    let t = Tree::new();
    let base = "report:\n  primary_metric: hd95\n";
    let with = |section: &str| mini_with(base, &format!("{base}{section}"));
    let plan = t
        .load(&with(
            "regression:\n  metrics: [dice, hd95]\n  tolerance: {dice: 0.02, hd95: 1.5}\n  test: permutation\n  alpha: 0.01\n",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = &plan.regression;
    assert_eq!(r.metrics, ["dice", "hd95"]);
    assert_eq!(r.tolerance.get("dice"), Some(&0.02));
    assert_eq!(r.tolerance.get("hd95"), Some(&1.5));
    assert_eq!(r.test, sensibench_suite::PairedTestKind::Permutation);
    assert_eq!(r.alpha, 0.01);
    let plan = t
        .load(&with("regression:\n  tolerance: 0.05\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plan.regression.default_tolerance, Some(0.05));

    // MINI has 31 lines; the section starts on line 32
    let (line, col, msg) = one_error(
        &t,
        &with("regression:\n  metrics: [dice]\n  tolerance: {hd95: 1}\n"),
    );
    assert_eq!((line, col), (34, 15), "{msg}");
    assert!(msg.contains("`hd95`") && msg.contains("`dice`"), "{msg}");
    let (line, col, msg) = one_error(&t, &with("regression:\n  alpha: 1.5\n"));
    assert_eq!((line, col), (33, 10), "{msg}");
    assert!(msg.contains("(0, 1)"), "{msg}");
    let (line, _, msg) = one_error(&t, &with("regression:\n  metrics: [iou]\n"));
    assert_eq!(line, 33, "{msg}");
    assert!(msg.contains("`iou`") && msg.contains("`dice`"), "{msg}");
    let (_, _, msg) = one_error(&t, &with("regression:\n  tolerance: -1\n"));
    assert!(msg.contains(">= 0"), "{msg}");
}

#[test]
fn isolate_and_native_config_are_read() {
    let t = Tree::new();
    let text = mini_with(
        "  - name: base\n    backend: null\n",
        "  - name: base\n    backend: null\n  - name: crashy\n    backend: native\n    path: ../models/net.onnx\n    isolate: process\n    config: {crash: abort, after: 1, loud: true}\n",
    );
    let plan = t.load(&text).unwrap_or_else(|e| panic!("{e}"));
    let m = &plan.models[2];
    assert_eq!(m.isolate, sensibench_suite::Isolation::Process);
    match &m.backend {
        BackendPlan::Native { config, .. } => {
            assert_eq!(config, r#"{"crash":"abort","after":1,"loud":true}"#)
        }
        other => panic!("{other:?}"),
    }
    // `config` is for native plugins only
    let text = mini_with(
        "    output: { sigmoid_threshold: 0.5 }\n",
        "    output: { sigmoid_threshold: 0.5 }\n    config: {a: 1}\n",
    );
    let (line, _, msg) = one_error(&t, &text);
    assert_eq!(line, 20, "{msg}");
    assert!(msg.contains("backend: native"), "{msg}");
}
