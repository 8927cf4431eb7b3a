//! The ONNX backend for real: ONNX Runtime 1.31.1 from the project's `.tools/ort`
//! venv (or `$ORT_DYLIB_PATH`), compared with Python onnxruntime on the same model.
//! Fixtures come from `tests/reference/make_tiny_onnx.py`.
#![cfg(feature = "onnx")]

use std::path::{Path, PathBuf};

use sensibench_backends::onnx::{OnnxModel, find_onnx_runtime_in, onnx_runtime_version};
use sensibench_core::{Batch, Model, Tensor};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(model: &mut OnnxModel, input: &Tensor) -> sensibench_core::Result<Tensor> {
    model.predict(&Batch {
        input,
        reference: None,
    })
}

#[test]
fn matches_python_onnxruntime() {
    let text = std::fs::read_to_string(fixture("tiny_seg_expected.json")).expect("fixture");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let floats = |key: &str| -> Vec<f32> {
        v[key]
            .as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect()
    };
    let dims = |key: &str| -> Vec<usize> {
        v[key]
            .as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_u64().expect("int") as usize)
            .collect()
    };
    let input = Tensor::new(dims("input_shape"), floats("input")).expect("input");
    let expected = floats("output");

    let mut model = OnnxModel::load("tiny", &fixture("tiny_seg.onnx"), 1).expect("loads");
    assert_eq!(model.input_name(), "input");
    assert_eq!(model.output_name(), "logits");
    assert_eq!(model.name(), "tiny");
    let out = run(&mut model, &input).expect("runs");
    assert_eq!(out.shape(), dims("output_shape").as_slice());
    assert_eq!(out.shape(), &[2, 3, 6, 5]);
    for (i, (a, b)) in out.data().iter().zip(&expected).enumerate() {
        assert!((a - b).abs() <= 1e-5, "element {i}: {a} vs {b}");
    }

    // Dynamic batch: the second item alone gives the second half, with 2 threads too.
    let mut model2 = OnnxModel::load("tiny", &fixture("tiny_seg.onnx"), 2).expect("loads");
    let single = Tensor::new(vec![1, 1, 6, 5], input.item(1).to_vec()).expect("input");
    let out1 = run(&mut model2, &single).expect("runs");
    assert_eq!(out1.shape(), &[1, 3, 6, 5]);
    for (a, b) in out1.data().iter().zip(&expected[90..]) {
        assert!((a - b).abs() <= 1e-5, "{a} vs {b}");
    }

    assert_eq!(onnx_runtime_version().expect("version"), "1.31.1");
}

#[test]
fn bad_outputs_are_errors_naming_the_model() {
    let input =
        Tensor::new(vec![1, 1, 4, 4], (0..16).map(|i| i as f32 - 3.0).collect()).expect("input");
    let mut nan = OnnxModel::load("log-model", &fixture("bad_nan.onnx"), 1).expect("loads");
    let err = run(&mut nan, &input).expect_err("NaN").to_string();
    assert!(err.contains("model `log-model`"), "{err}");
    // log(-3), log(-2), log(-1) are NaN and log(0) is -inf.
    assert!(err.contains("4 non-finite value(s)"), "{err}");

    let mut pool = OnnxModel::load("pool", &fixture("bad_shape.onnx"), 1).expect("loads");
    let err = run(&mut pool, &input).expect_err("shape").to_string();
    assert!(err.contains("model `pool`"), "{err}");
    assert!(
        err.contains("output shape [1, 1, 2, 2] does not fit input shape [1, 1, 4, 4]"),
        "{err}"
    );

    // Wrong input rank: ONNX Runtime refuses; still a model error, no panic.
    let flat = Tensor::zeros(vec![16]);
    let err = run(&mut pool, &flat).expect_err("rank").to_string();
    assert!(err.contains("model `pool`"), "{err}");
}

#[test]
fn missing_file_and_bad_threads_are_errors() {
    let err = OnnxModel::load("m", Path::new("/nonexistent/model.onnx"), 1)
        .expect_err("missing")
        .to_string();
    assert!(err.contains("model `m`"), "{err}");
    assert!(err.contains("/nonexistent/model.onnx not found"), "{err}");
    let err = OnnxModel::load("m", &fixture("tiny_seg.onnx"), 0)
        .expect_err("0 threads")
        .to_string();
    assert!(err.contains("threads"), "{err}");
    // A file that is not an ONNX model.
    let err = OnnxModel::load("m", &fixture("tiny_seg_expected.json"), 1)
        .expect_err("not onnx")
        .to_string();
    assert!(err.contains("could not load ONNX file"), "{err}");
}

#[test]
fn runtime_discovery_explains_how_to_install() {
    // Discovery is tested apart from initialisation (which is process-global).
    let err = find_onnx_runtime_in(Some("/bogus/libonnxruntime.so".as_ref()), &[])
        .expect_err("bogus path")
        .to_string();
    assert!(
        err.contains("ORT_DYLIB_PATH=/bogus/libonnxruntime.so is not a file"),
        "{err}"
    );
    assert!(err.contains("make setup"), "{err}");
    assert!(err.contains("pip install onnxruntime==1.31.1"), "{err}");

    let empty = tempfile::tempdir().expect("temp dir");
    let err = find_onnx_runtime_in(None, &[empty.path().to_path_buf()])
        .expect_err("nothing there")
        .to_string();
    assert!(err.contains("ORT_DYLIB_PATH is not set"), "{err}");
    assert!(
        err.contains(&empty.path().join(".tools/ort/lib").display().to_string()),
        "{err}"
    );
    assert!(err.contains("make setup"), "{err}");

    // A venv layout is found from a folder below it.
    let root = tempfile::tempdir().expect("temp dir");
    let capi = root
        .path()
        .join(".tools/ort/lib/python3.11/site-packages/onnxruntime/capi");
    std::fs::create_dir_all(&capi).expect("mkdir");
    std::fs::write(capi.join("libonnxruntime.so.1.31.1"), b"").expect("write");
    std::fs::write(capi.join("libonnxruntime_providers_shared.so"), b"").expect("write");
    let below = root.path().join("a/b");
    std::fs::create_dir_all(&below).expect("mkdir");
    let found = find_onnx_runtime_in(None, &[below]).expect("found");
    assert_eq!(found, capi.join("libonnxruntime.so.1.31.1"));
    // An explicit, existing ORT_DYLIB_PATH wins.
    let explicit = capi.join("libonnxruntime_providers_shared.so");
    assert_eq!(
        find_onnx_runtime_in(Some(explicit.as_os_str()), &[]).expect("explicit"),
        explicit
    );
}
