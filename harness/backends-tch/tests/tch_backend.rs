//! The TorchScript backend for real: libtorch loads, runs and fine-tunes the
//! committed fixtures (made by `tests/fixtures/make_fixtures.py`).

mod common;

use std::path::Path;

use common::{error_text, fixture, read_json};
use sensibench_backends_tch::{
    Augment, FineTuneConfig, Loss, Optimizer, TorchScriptModel, TrainingSet, dice_ce_loss,
    fine_tune,
};
use sensibench_core::{Batch, Model, SeededRng, Tensor};

fn random_input(n: usize, h: usize, w: usize, seed: u64) -> Tensor {
    let mut rng = SeededRng::new(seed);
    let data = (0..n * h * w).map(|_| rng.uniform() as f32).collect();
    Tensor::new(vec![n, 1, h, w], data).expect("shape")
}

fn predict(model: &mut dyn Model, input: &Tensor) -> Tensor {
    model
        .predict(&Batch {
            input,
            reference: None,
        })
        .expect("predict")
}

#[test]
fn missing_and_invalid_files_are_clear_errors() {
    let e = error_text(TorchScriptModel::load("m", &fixture("nope.pt"), 1));
    assert!(e.contains("nope.pt") && e.contains("does not exist"), "{e}");
    let e = error_text(TorchScriptModel::load(
        "m",
        &fixture("loss_reference.json"),
        1,
    ));
    assert!(
        e.contains("loss_reference.json") && e.contains("TorchScript"),
        "{e}"
    );
}

#[test]
fn wrong_input_fails_the_call_not_the_process() {
    let mut m = TorchScriptModel::load("tiny", &fixture("tiny.pt"), 1).expect("load");
    // two channels where the module takes one
    let input = Tensor::new(vec![1, 2, 8, 8], vec![0.0; 128]).expect("shape");
    let e = error_text(m.predict(&Batch {
        input: &input,
        reference: None,
    }));
    assert!(
        e.contains("model `tiny`") && e.contains("forward failed"),
        "{e}"
    );
}

/// The same eval-mode network exported to TorchScript and to ONNX gives the
/// same logits: |Δ| ≤ 1e-5 absolute (float32 kernels of libtorch and ONNX
/// Runtime differ in summation order; the logits here are O(1)).
#[test]
fn torchscript_and_onnx_agree() {
    let input = random_input(3, 16, 24, 11);
    let mut ts = TorchScriptModel::load("tiny", &fixture("tiny.pt"), 1).expect("load");
    let mut ox =
        sensibench_backends::OnnxModel::load("tiny", &fixture("tiny.onnx"), 1).expect("onnx");
    let a = predict(&mut ts, &input);
    let b = predict(&mut ox, &input);
    assert_eq!(a.shape(), &[3, 2, 16, 24]);
    assert_eq!(a.shape(), b.shape());
    let max = a
        .data()
        .iter()
        .zip(b.data())
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(max <= 1e-5, "max |TorchScript - ONNX| = {max}");
    assert!(
        a.data().iter().any(|&v| v.abs() > 0.1),
        "non-trivial logits"
    );
}

#[test]
fn loss_matches_pytorch() {
    let v = read_json(&fixture("loss_reference.json"));
    let shape: Vec<i64> = v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|x| x.as_i64().expect("int"))
        .collect();
    let logits: Vec<f32> = v["logits"]
        .as_array()
        .expect("logits")
        .iter()
        .map(|x| x.as_f64().expect("f") as f32)
        .collect();
    let target: Vec<i64> = v["target"]
        .as_array()
        .expect("target")
        .iter()
        .map(|x| x.as_i64().expect("i"))
        .collect();
    let lt = tch::Tensor::from_slice(&logits).reshape(shape.as_slice());
    let tt = tch::Tensor::from_slice(&target).reshape([shape[0], shape[2], shape[3]]);
    for case in v["cases"].as_array().expect("cases") {
        let loss = Loss {
            ce_weight: case["ce_weight"].as_f64().expect("w"),
            dice_weight: case["dice_weight"].as_f64().expect("w"),
        };
        let got = dice_ce_loss(&lt, &tt, shape[1], loss)
            .expect("loss")
            .double_value(&[]);
        let want = case["loss"].as_f64().expect("loss");
        // float32 here, float64 in the reference
        assert!((got - want).abs() < 1e-5, "{loss:?}: {got} vs {want}");
    }
}

/// A task the tiny net can learn in a few steps: class 1 where the pixel is
/// bright. Images are noise around 0.3 with bright blobs around 0.8.
fn threshold_set(n: usize, size: usize, seed: u64) -> TrainingSet {
    let mut rng = SeededRng::new(seed);
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..n {
        let (cy, cx) = (
            rng.range(3.0, size as f64 - 3.0),
            rng.range(3.0, size as f64 - 3.0),
        );
        let r = rng.range(2.0, size as f64 / 3.0);
        let mut x = Vec::with_capacity(size * size);
        let mut y = Vec::with_capacity(size * size);
        for i in 0..size {
            for j in 0..size {
                let inside = (i as f64 - cy).hypot(j as f64 - cx) < r;
                let base = if inside { 0.8 } else { 0.3 };
                x.push((base + 0.05 * rng.normal()) as f32);
                y.push(u8::from(inside));
            }
        }
        images.push(x);
        labels.push(y);
    }
    TrainingSet::new(images, labels, [1, size, size]).expect("set")
}

fn config(steps: usize) -> FineTuneConfig {
    FineTuneConfig {
        steps,
        batch_size: 4,
        optimizer: Optimizer::Adam,
        learning_rate: 0.05,
        weight_decay: 0.0,
        loss: Loss::default(),
        augment: Augment {
            flip_x: true,
            flip_y: true,
            rot90: true,
            scale: 0.05,
            shift: 0.02,
        },
        classes: 2,
        seed: 5,
        threads: 1,
    }
}

fn pixel_accuracy(model: &mut dyn Model, set_seed: u64) -> f64 {
    let test = threshold_set(4, 16, set_seed);
    let mut correct = 0usize;
    let mut total = 0usize;
    for i in 0..test.len() {
        let (x, y) = test.item(i);
        let input = Tensor::new(vec![1, 1, 16, 16], x.to_vec()).expect("shape");
        let out = predict(model, &input);
        let d = out.data();
        for (p, &label) in y.iter().enumerate() {
            let pred = u8::from(d[256 + p] > d[p]);
            correct += usize::from(pred == label);
            total += 1;
        }
    }
    correct as f64 / total as f64
}

#[test]
fn fine_tuning_learns_and_is_deterministic() {
    let set = threshold_set(6, 16, 1);
    let mut before = TorchScriptModel::load("tiny", &fixture("tiny.pt"), 1).expect("load");
    let acc_before = pixel_accuracy(&mut before, 99);

    let (mut tuned, report) =
        fine_tune("tiny", &fixture("tiny.pt"), &set, &config(60)).expect("fit");
    assert_eq!(report.losses.len(), 60);
    let first = report.losses[..5].iter().sum::<f64>() / 5.0;
    let last = report.losses[55..].iter().sum::<f64>() / 5.0;
    assert!(last < 0.5 * first, "loss {first} -> {last}");
    let acc_after = pixel_accuracy(&mut tuned, 99);
    assert!(
        acc_after > 0.97 && acc_after > acc_before,
        "held-out pixel accuracy {acc_before} -> {acc_after}"
    );

    // same seed, same threads: the same losses, bit for bit
    let (_, again) = fine_tune("tiny", &fixture("tiny.pt"), &set, &config(60)).expect("fit");
    assert_eq!(report.losses, again.losses);
    // another seed draws other batches
    let mut other = config(60);
    other.seed = 6;
    let (_, third) = fine_tune("tiny", &fixture("tiny.pt"), &set, &other).expect("fit");
    assert_ne!(report.losses, third.losses);

    // the file on disk is untouched by fine-tuning
    let mut reloaded = TorchScriptModel::load("tiny", &fixture("tiny.pt"), 1).expect("load");
    assert_eq!(pixel_accuracy(&mut reloaded, 99), acc_before);

    // a fine-tuned module saves and reloads to the same predictions
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("tuned.pt");
    tuned.save(&path).expect("save");
    let mut back = TorchScriptModel::load("tuned", &path, 1).expect("reload");
    let input = random_input(2, 16, 16, 3);
    assert_eq!(
        predict(&mut tuned, &input).data(),
        predict(&mut back, &input).data()
    );
}

#[test]
fn fine_tuning_refuses_what_it_cannot_do() {
    let set = threshold_set(2, 16, 1);
    let err = |path: &str, cfg: &FineTuneConfig, set: &TrainingSet| {
        error_text(fine_tune("m", &fixture(path), set, cfg))
    };
    let e = err("frozen.pt", &config(2), &set);
    assert!(e.contains("no trainable parameter"), "{e}");
    let mut three = config(2);
    three.classes = 3;
    let e = err("tiny.pt", &three, &set);
    assert!(e.contains("output shape") && e.contains("3 classes"), "{e}");
    let bad_labels =
        TrainingSet::new(vec![vec![0.0; 4]], vec![vec![0, 1, 2, 0]], [1, 2, 2]).expect("set");
    let e = err("tiny.pt", &config(2), &bad_labels);
    assert!(e.contains("class 2") && e.contains("2 classes"), "{e}");
    let mut zero = config(2);
    zero.steps = 0;
    assert!(err("tiny.pt", &zero, &set).contains("steps"));
    // a NaN in the input makes the loss NaN at the first step
    let nan = TrainingSet::new(
        vec![vec![0.0, f32::NAN, 0.0, 0.0]],
        vec![vec![0, 1, 1, 0]],
        [1, 2, 2],
    )
    .expect("set");
    let e = err("tiny.pt", &config(3), &nan);
    assert!(e.contains("diverged") && e.contains("step 0"), "{e}");
}

/// The muscle reference model (`plugins/models/muscle`, made by
/// `pretrain.py`): the same weights exported to TorchScript and to ONNX give
/// the same predictions on windowed CT phantom slices. Tolerance: logits
/// within 1e-4 · max(1, max |logit|) of each other (float32 kernels of
/// libtorch and ONNX Runtime sum in different orders), and the argmax labels
/// equal on at least 99.99 % of pixels (a pixel may flip only where the two
/// logits tie within that tolerance).
#[test]
fn muscle_model_same_in_onnx_and_torchscript() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/models/muscle");
    let phantom = sensibench_data::CtPhantom::new(3, 2, 2, 128).expect("phantom");
    let mut data = Vec::new();
    for i in 0..4 {
        let (image, _) = phantom.render(i).expect("render");
        // the suite's CT window: level 40, width 400 -> [0, 1]
        data.extend(
            image
                .data()
                .iter()
                .map(|&hu| ((hu + 160.0) / 400.0).clamp(0.0, 1.0)),
        );
    }
    let input = Tensor::new(vec![4, 1, 128, 128], data).expect("shape");
    let mut ts = TorchScriptModel::load("ts", &dir.join("muscle_supervised.pt"), 1).expect("pt");
    let mut ox =
        sensibench_backends::OnnxModel::load("onnx", &dir.join("muscle_supervised.onnx"), 1)
            .expect("onnx");
    let a = predict(&mut ts, &input);
    let b = predict(&mut ox, &input);
    assert_eq!(a.shape(), &[4, 2, 128, 128]);
    assert_eq!(a.shape(), b.shape());
    let scale = a.data().iter().fold(1f32, |m, v| m.max(v.abs()));
    let max = a
        .data()
        .iter()
        .zip(b.data())
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(
        max <= 1e-4 * scale,
        "max |Δ| {max} for logits up to {scale}"
    );
    let plane = 128 * 128;
    let mut differ = 0;
    let mut foreground = 0;
    for img in 0..4 {
        let (pa, pb) = (a.item(img), b.item(img));
        for p in 0..plane {
            let la = pa[plane + p] > pa[p];
            let lb = pb[plane + p] > pb[p];
            differ += usize::from(la != lb);
            foreground += usize::from(la);
        }
    }
    assert!(differ * 10_000 <= 4 * plane, "{differ} labels differ");
    assert!(
        foreground > 1000,
        "the model segments something: {foreground} px"
    );
}
