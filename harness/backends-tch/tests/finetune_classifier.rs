//! Classifier fine-tuning through libtorch against PyTorch: the fixture
//! `tests/reference/classifier_step.json` is made by
//! `tests/reference/classifier_step.py` (torch.optim.Adam on the same
//! TorchScript file, cross-checked there against the eager network in
//! float64), on the slice-position starting model
//! `plugins/models/slice/slice_cnn.pt`.

mod common;

use std::path::{Path, PathBuf};

use common::{error_text, read_json, reference_file};
use sensibench_backends_tch::{
    Augment, ClassTrainingSet, CrossEntropy, FineTuneConfig, Loss, Optimizer, TorchScriptModel,
    batch_indices, cross_entropy_loss, fine_tune_classifier, fine_tune_classifier_with,
};
use sensibench_core::{Batch, Model, SeededRng, Tensor};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn slice_model() -> PathBuf {
    root().join("plugins/models/slice/slice_cnn.pt")
}

fn reference() -> Value {
    read_json(&reference_file("classifier_step.json"))
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// One image from its hex bytes: pixel = byte / 255 in f32 (as the script).
fn from_hex(s: &str) -> Vec<f32> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex") as f32 / 255.0)
        .collect()
}

fn config(steps: usize, batch_size: usize, lr: f64, seed: u64) -> FineTuneConfig {
    FineTuneConfig {
        steps,
        batch_size,
        optimizer: Optimizer::Adam,
        learning_rate: lr,
        weight_decay: 0.0,
        loss: Loss::default(),
        augment: Augment::default(),
        classes: 3,
        seed,
        threads: 1,
    }
}

fn predict(model: &mut dyn Model, images: &[&[f32]], size: usize) -> Tensor {
    let data: Vec<f32> = images.iter().flat_map(|x| x.iter().copied()).collect();
    let input = Tensor::new(vec![images.len(), 1, size, size], data).expect("shape");
    model
        .predict(&Batch {
            input: &input,
            reference: None,
        })
        .expect("predict")
}

/// Three Adam steps (lr 1e-2) on fixed batches of the committed set, then
/// the eval-mode logits of a probe batch, against PyTorch on the same
/// TorchScript file. Tolerance 1e-4 absolute on the losses (O(1)) and the
/// logits (O(0.1–1)): both sides run libtorch 2.13 float32 kernels with one
/// thread, but PyTorch's Python Adam (foreach) and libtorch's C++ Adam order
/// their float32 operations differently, and the reference itself agrees
/// with a float64 eager run to 3e-7; 1e-4 leaves two orders of margin while
/// a wrong batch, label, loss or optimiser setting moves them by > 1e-2.
#[test]
fn three_adam_steps_match_pytorch() {
    let r = reference();
    let images: Vec<Vec<f32>> = r["images_hex"]
        .as_array()
        .expect("images")
        .iter()
        .map(|v| from_hex(v.as_str().expect("hex")))
        .collect();
    let labels: Vec<u32> = r["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|v| v.as_u64().expect("label") as u32)
        .collect();
    let n = images.len();
    let (batch, steps) = (
        r["batch_size"].as_u64().expect("b") as usize,
        r["steps"].as_u64().expect("k") as usize,
    );
    let seed = r["seed"].as_u64().expect("seed");
    // the batches PyTorch used are the ones the seeded sampler draws
    let want_batches: Vec<Vec<usize>> = r["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .map(|b| f64s(b).into_iter().map(|i| i as usize).collect())
        .collect();
    assert_eq!(batch_indices(n, batch, steps, seed), want_batches);

    let set = ClassTrainingSet::new(images, labels, [1, 64, 64]).expect("set");
    let lr = r["optimizer"]["lr"].as_f64().expect("lr");
    let (mut model, report) = fine_tune_classifier(
        "slice",
        &slice_model(),
        &set,
        &config(steps, batch, lr, seed),
    )
    .expect("fine-tune");

    let probe: Vec<Vec<f32>> = r["probe_hex"]
        .as_array()
        .expect("probe")
        .iter()
        .map(|v| from_hex(v.as_str().expect("hex")))
        .collect();
    let refs: Vec<&[f32]> = probe.iter().map(Vec::as_slice).collect();
    let logits = predict(&mut model, &refs, 64);
    assert_eq!(logits.shape(), &[3, 3]);

    for arm in ["torchscript_f32", "eager_f64"] {
        let want = f64s(&r[arm]["losses"]);
        assert_eq!(report.losses.len(), want.len());
        for (k, (got, want)) in report.losses.iter().zip(&want).enumerate() {
            assert!(
                (got - want).abs() < 1e-4,
                "{arm} step {k}: loss {got} vs {want}"
            );
        }
        let want: Vec<f64> = r[arm]["probe_logits"]
            .as_array()
            .expect("logits")
            .iter()
            .flat_map(f64s)
            .collect();
        let max = logits
            .data()
            .iter()
            .zip(&want)
            .map(|(&a, b)| (f64::from(a) - b).abs())
            .fold(0.0, f64::max);
        let dl = report
            .losses
            .iter()
            .zip(&f64s(&r[arm]["losses"]))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!("{arm}: max |Δ loss| {dl:.1e}, max |Δ logit| {max:.1e}");
        assert!(max < 1e-4, "{arm}: max |Δ logit| {max}");
    }
    // training moved the weights: the untrained model gives other logits
    let mut before = TorchScriptModel::load("before", &slice_model(), 1).expect("load");
    let untrained = predict(&mut before, &refs, 64);
    let moved = untrained
        .data()
        .iter()
        .zip(logits.data())
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(moved > 1e-2, "the logits moved by {moved}");
}

/// `cross_entropy_loss` against `F.cross_entropy` in float64 (label
/// smoothing, class weights): 1e-5, float32 here.
#[test]
fn cross_entropy_matches_pytorch() {
    let r = &reference()["loss_cases"];
    let logits: Vec<f32> = r["logits"]
        .as_array()
        .expect("logits")
        .iter()
        .flat_map(f64s)
        .map(|v| v as f32)
        .collect();
    let target: Vec<i64> = f64s(&r["target"]).into_iter().map(|v| v as i64).collect();
    let n = target.len() as i64;
    let lt = tch::Tensor::from_slice(&logits).reshape([n, 3]);
    let tt = tch::Tensor::from_slice(&target);
    for case in r["cases"].as_array().expect("cases") {
        let opts = CrossEntropy {
            label_smoothing: case["label_smoothing"].as_f64().expect("eps"),
            class_weights: case["class_weights"]
                .as_array()
                .map(|_| f64s(&case["class_weights"])),
        };
        let got = cross_entropy_loss(&lt, &tt, &opts)
            .expect("loss")
            .double_value(&[]);
        let want = case["loss"].as_f64().expect("loss");
        assert!((got - want).abs() < 1e-5, "{opts:?}: {got} vs {want}");
    }
}

/// 3 classes told apart by the radius of a bright disc (5–7, 10–12, 15–17
/// px) at a random place on a noisy 64 x 64 background.
fn disc_set(n: usize, size: usize, seed: u64) -> ClassTrainingSet {
    let mut rng = SeededRng::new(seed);
    let mut images = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = (i % 3) as u32;
        let r = 5.0 + 5.0 * f64::from(class) + rng.range(0.0, 2.0);
        let margin = r + 2.0;
        let (cy, cx) = (
            rng.range(margin, size as f64 - margin),
            rng.range(margin, size as f64 - margin),
        );
        let mut x = Vec::with_capacity(size * size);
        for row in 0..size {
            for col in 0..size {
                let inside = (row as f64 - cy).hypot(col as f64 - cx) < r;
                let base = if inside { 0.8 } else { 0.2 };
                x.push((base + 0.05 * rng.normal()) as f32);
            }
        }
        images.push(x);
        labels.push(class);
    }
    ClassTrainingSet::new(images, labels, [1, size, size]).expect("set")
}

fn accuracy(model: &mut dyn Model, set: &ClassTrainingSet) -> f64 {
    let mut correct = 0;
    for chunk in (0..set.len()).collect::<Vec<_>>().chunks(20) {
        let images: Vec<&[f32]> = chunk.iter().map(|&i| set.item(i).0).collect();
        let out = predict(model, &images, set.shape()[1]);
        for (k, &i) in chunk.iter().enumerate() {
            let row = &out.data()[3 * k..3 * k + 3];
            let best = (0..3)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            correct += usize::from(best as u32 == set.item(i).1);
        }
    }
    correct as f64 / set.len() as f64
}

/// The starting model learns the disc task: 80 Adam steps of 16 images
/// with flips and 90° rotations (which keep the radius) reach a training
/// accuracy above 0.9 (from chance), and the run is deterministic.
#[test]
fn slice_model_learns_disc_radius() {
    let set = disc_set(60, 64, 1);
    let mut cfg = config(80, 16, 3e-3, 7);
    cfg.augment = Augment {
        flip_x: true,
        flip_y: true,
        rot90: true,
        scale: 0.05,
        shift: 0.02,
    };
    let mut before = TorchScriptModel::load("before", &slice_model(), 1).expect("load");
    let acc_before = accuracy(&mut before, &set);
    let (mut tuned, report) =
        fine_tune_classifier("slice", &slice_model(), &set, &cfg).expect("fit");
    let acc = accuracy(&mut tuned, &set);
    let first = report.losses[..5].iter().sum::<f64>() / 5.0;
    let last = report.losses[75..].iter().sum::<f64>() / 5.0;
    eprintln!(
        "accuracy {acc_before:.3} -> {acc:.3}, loss {first:.3} -> {last:.3}, {:.2} s",
        report.seconds
    );
    assert!(acc > 0.9, "training accuracy {acc_before} -> {acc}");
    assert!(last < 0.5 * first, "loss {first} -> {last}");
    // same seed and threads: the same losses bit for bit (first 5 steps)
    cfg.steps = 5;
    let (_, a) = fine_tune_classifier("slice", &slice_model(), &set, &cfg).expect("fit");
    assert_eq!(a.losses, report.losses[..5]);
}

/// A forward returning `(features, logits)` trains on the last element.
#[test]
fn tuple_output_trains_on_its_last_element() {
    let set = disc_set(6, 16, 2);
    let path = reference_file("tuple_classifier.pt");
    let (mut model, report) =
        fine_tune_classifier("tuple", &path, &set, &config(3, 3, 1e-2, 1)).expect("fit");
    assert_eq!(report.losses.len(), 3);
    // 3 classes from a near-uniform start: CE ≈ ln 3
    assert!((report.losses[0] - 3f64.ln()).abs() < 0.3, "{report:?}");
    // and the trained model predicts through the same last element: N x 3
    let input = Tensor::new(vec![2, 1, 16, 16], vec![0.5; 2 * 256]).expect("shape");
    let out = model
        .predict(&Batch {
            input: &input,
            reference: None,
        })
        .expect("predict a tuple-returning module");
    assert_eq!(out.shape(), [2, 3]);
}

#[test]
fn classifier_fine_tuning_refuses_what_it_cannot_do() {
    let set = disc_set(3, 16, 3);
    let cfg = config(2, 3, 1e-3, 1);
    // a label >= classes
    let bad = ClassTrainingSet::new(vec![vec![0.0; 256]; 2], vec![0, 3], [1, 16, 16]).expect("set");
    let e = error_text(fine_tune_classifier("m", &slice_model(), &bad, &cfg));
    assert!(
        e.contains("model `m`")
            && e.contains("training image 1 has class 3")
            && e.contains("3 classes"),
        "{e}"
    );
    // a segmenter (N x 2 x H x W) is not N x classes
    let seg = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.pt");
    let e = error_text(fine_tune_classifier("seg", &seg, &set, &cfg));
    assert!(
        e.contains("model `seg`")
            && e.contains("output shape [3, 2, 16, 16]")
            && e.contains("N x classes"),
        "{e}"
    );
    // the right rank but the wrong class count
    let mut four = cfg.clone();
    four.classes = 4;
    let e = error_text(fine_tune_classifier("m", &slice_model(), &set, &four));
    assert!(
        e.contains("output shape [3, 3]") && e.contains("[3, 4]"),
        "{e}"
    );
    // a missing file
    let e = error_text(fine_tune_classifier(
        "gone",
        Path::new("/nonexistent/x.pt"),
        &set,
        &cfg,
    ));
    assert!(
        e.contains("model `gone`")
            && e.contains("/nonexistent/x.pt")
            && e.contains("does not exist"),
        "{e}"
    );
    // not a TorchScript file
    let e = error_text(fine_tune_classifier(
        "json",
        &reference_file("classifier_step.json"),
        &set,
        &cfg,
    ));
    assert!(
        e.contains("model `json`") && e.contains("classifier_step.json"),
        "{e}"
    );
    // frozen parameters only
    let frozen = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/frozen.pt");
    assert!(error_text(fine_tune_classifier("f", &frozen, &set, &cfg)).contains("no trainable"));
    // loss settings
    let smooth = CrossEntropy {
        label_smoothing: 1.0,
        class_weights: None,
    };
    let e = error_text(fine_tune_classifier_with(
        "m",
        &slice_model(),
        &set,
        &cfg,
        &smooth,
    ));
    assert!(e.contains("label_smoothing"), "{e}");
    let weights = CrossEntropy {
        label_smoothing: 0.0,
        class_weights: Some(vec![1.0, 1.0]),
    };
    let e = error_text(fine_tune_classifier_with(
        "m",
        &slice_model(),
        &set,
        &cfg,
        &weights,
    ));
    assert!(e.contains("class_weights has 2 values"), "{e}");
    // a NaN input makes the loss NaN at the first step
    let mut x = vec![0.5f32; 256];
    x[7] = f32::NAN;
    let nan = ClassTrainingSet::new(vec![x], vec![1], [1, 16, 16]).expect("set");
    let e = error_text(fine_tune_classifier("m", &slice_model(), &nan, &cfg));
    assert!(e.contains("diverged") && e.contains("step 0"), "{e}");
    // the segmentation loss settings do not matter here
    let mut other = cfg.clone();
    other.loss = Loss {
        ce_weight: 0.0,
        dice_weight: 5.0,
    };
    let (_, a) = fine_tune_classifier("m", &slice_model(), &set, &cfg).expect("fit");
    let (_, b) = fine_tune_classifier("m", &slice_model(), &set, &other).expect("fit");
    assert_eq!(a.losses, b.losses);
}

/// Wall time of 300 steps of 16 images 64 x 64 (report for sizing suites):
/// `cargo test --test finetune_classifier -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing_300_steps() {
    let set = disc_set(64, 64, 4);
    for threads in [1, 2] {
        let mut cfg = config(300, 16, 1e-3, 1);
        cfg.threads = threads;
        cfg.augment.flip_x = true;
        let (_, report) = fine_tune_classifier("slice", &slice_model(), &set, &cfg).expect("fit");
        let mut s = report.step_seconds.clone();
        s.sort_by(f64::total_cmp);
        eprintln!(
            "{threads} thread(s): 300 steps x 16 images 64x64: {:.2} s (median step {:.1} ms)",
            report.seconds,
            1e3 * s[150]
        );
    }
}
