//! The native plugin host against the real `libsensibench_classical_seg.so`.
//!
//! These tests build nothing themselves: `make test` builds the workspace first;
//! by hand, run `cargo build -p sensibench-classical-seg` before
//! `cargo test -p sensibench-backends`. The library is found by `resolve_plugin`
//! (`$SENSIBENCH_PLUGIN_PATH`, the test binary's target folder, `$CARGO_TARGET_DIR`,
//! `target/…` of the workspace). A missing library FAILS the tests.

use std::path::{Path, PathBuf};

use sensibench_backends::native::{
    NativeModel, plugin_file_name, plugin_search_dirs, resolve_plugin, resolve_plugin_in,
};
use sensibench_core::{Batch, Model, Tensor};

const PLUGIN: &str = "sensibench_classical_seg";

fn plugin_path() -> PathBuf {
    match resolve_plugin(PLUGIN) {
        Ok(p) => p,
        Err(e) => panic!(
            "the classical-seg plugin must be built before these tests: run \
             `cargo build -p sensibench-classical-seg` (make test does it), or set \
             SENSIBENCH_PLUGIN_PATH. {e}"
        ),
    }
}

/// A 96 x 96 short-axis-like slice: bright LV disk (r 12) at the centre, dark
/// myocardial ring to r 18, bright RV crescent on the left, raw range 100..1100.
fn slice() -> (Vec<f32>, Vec<u8>) {
    let (h, w) = (96usize, 96usize);
    let mut img = vec![0.0f32; h * w];
    let mut truth = vec![0u8; h * w];
    for y in 0..h {
        for x in 0..w {
            let d_lv = ((y as f64 - 48.0).powi(2) + (x as f64 - 48.0).powi(2)).sqrt();
            let d_rv = ((y as f64 - 48.0).powi(2) + (x as f64 - 28.0).powi(2)).sqrt();
            // Deterministic texture instead of random noise.
            let texture = 0.03 * ((x * 7 + y * 13) % 5) as f64;
            let (v, l) = if d_lv <= 12.0 {
                (1.0, 1)
            } else if d_lv <= 18.0 {
                (0.3, 2)
            } else if d_rv <= 22.0 && d_lv > 21.0 {
                (0.9, 3)
            } else {
                (0.2, 0)
            };
            img[y * w + x] = (100.0 + 1000.0 * (v + texture)) as f32;
            truth[y * w + x] = l;
        }
    }
    (img, truth)
}

fn dice(pred: &[f32], truth: &[u8], label: u8) -> f64 {
    let (mut i, mut p, mut t) = (0, 0, 0);
    for (&a, &b) in pred.iter().zip(truth) {
        let a = a == f32::from(label);
        let b = b == label;
        p += usize::from(a);
        t += usize::from(b);
        i += usize::from(a && b);
    }
    2.0 * i as f64 / (p + t) as f64
}

#[test]
fn resolves_and_runs_the_classical_plugin() {
    let path = plugin_path();
    assert_eq!(
        path.file_name().and_then(|n| n.to_str()),
        Some("libsensibench_classical_seg.so")
    );
    let mut model = NativeModel::load("classical", &path, "{}").expect("plugin loads");
    assert_eq!(model.name(), "classical");
    assert!(!model.needs_reference());
    let info = model.info().clone();
    assert_eq!(info.name, PLUGIN);
    assert_eq!(info.version, "0.1.0");
    assert!(info.description.contains("classical cardiac"));
    assert_eq!((info.abi.major, info.abi.minor), (1, 0));

    let (img, truth) = slice();
    let mut data = img.clone();
    data.extend(&img);
    let input = Tensor::new(vec![2, 1, 96, 96], data).expect("tensor");
    let out = model
        .predict(&Batch {
            input: &input,
            reference: None,
        })
        .expect("predict");
    assert_eq!(out.shape(), &[2, 1, 96, 96]);
    assert_eq!(out.item(0), out.item(1), "same slice, same labels");
    for (label, min) in [(1u8, 0.9), (2, 0.6), (3, 0.7)] {
        let d = dice(out.item(0), &truth, label);
        assert!(d > min, "label {label}: Dice {d} <= {min}");
    }

    // A second model from the same (cached, never unloaded) library.
    let mut again = NativeModel::load("classical-2", &path, "").expect("second load");
    let out2 = again
        .predict(&Batch {
            input: &input,
            reference: None,
        })
        .expect("predict");
    assert_eq!(out, out2);
    drop(again);

    // A plugin error is a model error, and the model stays usable.
    let bad = Tensor::zeros(vec![1, 3, 16, 16]);
    let err = model
        .predict(&Batch {
            input: &bad,
            reference: None,
        })
        .expect_err("three channels")
        .to_string();
    assert!(err.contains("model `classical`"), "{err}");
    assert!(err.contains("N x 1 x H x W"), "{err}");
    assert!(
        model
            .predict(&Batch {
                input: &input,
                reference: None
            })
            .is_ok()
    );
}

#[test]
fn plugin_refusing_its_config_is_an_error() {
    let path = plugin_path();
    let err = NativeModel::load("classical", &path, r#"{"smooth": 2}"#)
        .expect_err("no options")
        .to_string();
    assert!(err.contains("could not create the model"), "{err}");
    assert!(err.contains("takes no options"), "{err}");
}

#[test]
fn missing_and_invalid_libraries_are_errors() {
    let err = NativeModel::load("m", Path::new("/nonexistent/libnothing.so"), "")
        .expect_err("missing")
        .to_string();
    assert!(
        err.contains("/nonexistent/libnothing.so not found"),
        "{err}"
    );
    assert!(err.contains("make build"), "{err}");

    // A file that is not a shared library.
    let onnx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny_seg.onnx");
    let err = NativeModel::load("m", &onnx, "")
        .expect_err("not a library")
        .to_string();
    assert!(err.contains("could not load native plugin"), "{err}");

    // A real shared library without the entry symbol.
    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
    ]
    .into_iter()
    .map(Path::new)
    .find(|p| p.is_file());
    if let Some(libm) = libm {
        let err = NativeModel::load("m", libm, "")
            .expect_err("no entry")
            .to_string();
        assert!(
            err.contains("does not export `sensibench_plugin_entry`"),
            "{err}"
        );
    }
}

#[test]
fn search_order_and_not_found_message() {
    let dirs = plugin_search_dirs(
        Some("/a:/b".as_ref()),
        Some(Path::new("/t/debug/deps/native-123")),
        Some(Path::new("/ct")),
        Some(Path::new("/w/x")),
    );
    let expect: Vec<PathBuf> = [
        "/a",
        "/b",
        "/t/debug/deps",
        "/t/debug",
        "/ct/suite",
        "/ct/release",
        "/ct/debug",
        "/w/x/target/suite",
        "/w/x/target/release",
        "/w/x/target/debug",
        "/w/target/suite",
        "/w/target/release",
        "/w/target/debug",
        "/target/suite",
        "/target/release",
        "/target/debug",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(dirs, expect);

    assert_eq!(plugin_file_name("abc"), "libabc.so");
    let err = resolve_plugin_in("no_such_plugin", &[PathBuf::from("/nowhere")])
        .expect_err("absent")
        .to_string();
    assert!(err.contains("libno_such_plugin.so not found"), "{err}");
    assert!(err.contains("looked in: /nowhere"), "{err}");
    assert!(err.contains("make build"), "{err}");
    assert!(err.contains("cargo build -p no-such-plugin"), "{err}");
    assert!(err.contains("SENSIBENCH_PLUGIN_PATH"), "{err}");
    assert!(resolve_plugin_in("../evil", &[]).is_err());
}
