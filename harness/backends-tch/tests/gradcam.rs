//! Grad-CAM through libtorch's autograd against PyTorch: the fixtures are
//! made by `tests/fixtures/make_classifier_fixture.py` (torch.autograd.grad
//! on the same TorchScript module, cross-checked there with hooks on the
//! eager module).

mod common;

use common::{error_text, fixture, read_json};
use sensibench_backends_tch::GradCam;
use sensibench_core::Tensor;
use serde_json::Value;

fn reference() -> Value {
    read_json(&fixture("gradcam_reference.json"))
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn input(r: &Value) -> Tensor {
    let shape: Vec<usize> = r["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|v| v.as_u64().expect("dim") as usize)
        .collect();
    Tensor::new(shape, f32s(&r["input"])).expect("input")
}

fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "{what}[{i}]: {x} vs {y}");
    }
}

/// Maps of both inputs for every class pairing, repeated calls included (the
/// TorchScript executor optimises from the second call on): |Δ| ≤ 1e-5
/// against PyTorch (maps are O(0.1)); logits too.
#[test]
fn gradcam_matches_pytorch() {
    let r = reference();
    let x = input(&r);
    let mut g = GradCam::load("clf", &fixture("classifier.pt"), 1).expect("load");
    for _ in 0..3 {
        for classes in [[0usize, 0], [1, 1], [2, 2], [0, 2], [2, 1]] {
            let (maps, logits) = g.maps_and_logits(&x, &classes).expect("maps");
            assert_eq!(maps.len(), 2);
            for (i, &c) in classes.iter().enumerate() {
                let want = f32s(&r["maps"][i][c]);
                assert_eq!(maps[i].len(), 16 * 16);
                assert_close(&format!("item {i} class {c}"), &maps[i], &want, 1e-5);
                assert!(maps[i].iter().all(|&v| v >= 0.0));
            }
            assert_eq!(logits.shape(), &[2, 3]);
            assert_close("logits", logits.data(), &f32s(&r["logits"]), 1e-5);
        }
    }
    // one item alone gives the same map as within the batch
    let one = Tensor::new(vec![1, 1, 16, 16], x.item(1).to_vec()).expect("item");
    let maps = g.maps(&one, &[2]).expect("maps");
    assert_close("single item", &maps[0], &f32s(&r["maps"][1][2]), 1e-5);
}

#[test]
fn missing_method_is_a_clear_error() {
    let e = error_text(GradCam::load(
        "plain",
        &fixture("classifier_no_method.pt"),
        1,
    ));
    assert!(
        e.contains("classifier_no_method.pt") && e.contains("features_and_logits"),
        "{e}"
    );
    let e = error_text(GradCam::load("m", &fixture("nope.pt"), 1));
    assert!(e.contains("nope.pt") && e.contains("does not exist"), "{e}");
}

#[test]
fn bad_inputs_fail_the_call_not_the_process() {
    let r = reference();
    let x = input(&r);
    let mut g = GradCam::load("clf", &fixture("classifier.pt"), 1).expect("load");
    let e = error_text(g.maps(&x, &[0]));
    assert!(e.contains("one class per item"), "{e}");
    let e = error_text(g.maps(&x, &[0, 3]));
    assert!(e.contains("classes[1]") && e.contains("3 logits"), "{e}");
    let two = Tensor::new(vec![1, 2, 16, 16], vec![0.0; 512]).expect("shape");
    let e = error_text(g.maps(&two, &[0]));
    assert!(e.contains("N x 1 x H x W"), "{e}");
    // a module without the GAP head contract: tiny.pt is a segmentation net
    let e = error_text(GradCam::load("tiny", &fixture("tiny.pt"), 1));
    assert!(
        e.contains("tiny.pt") && e.contains("features_and_logits"),
        "{e}"
    );
}
