//! The TorchScript backend next to PyTorch, measured side by side in one run:
//! a training step (batch 4, 128 x 128, Adam lr 1e-3, Dice + cross-entropy)
//! and an inference batch (8 images, 128 x 128, no autograd) of the muscle
//! reference model, in the harness (tch, fine-tuning and `Model::predict`
//! paths as the study uses them) and in Python with
//! `plugins/models/muscle/bench_pytorch.py` on the same file and threads.
//!
//! `make bench-tch` (or `cargo bench -p sensibench-backends-tch`, with
//! `LIBTORCH` set). Environment: `SENSIBENCH_BENCH_THREADS` (default 1),
//! `SENSIBENCH_BENCH_PYTHON` (default `.tools/train/bin/python`; the PyTorch
//! side is skipped with a note when it is missing).
//!
//! Medians and interquartile ranges of 30 repetitions after 5 warm-ups,
//! milliseconds. The harness's training step includes drawing the batch and
//! augmentation from its seeded RNG (here none) and reading the loss back.

use std::path::Path;
use std::time::Instant;

use sensibench_backends_tch::{
    Augment, FineTuneConfig, Loss, Optimizer, TorchScriptModel, TrainingSet, fine_tune,
};
use sensibench_core::{Batch, Model, SeededRng, Tensor};

const WARMUP: usize = 5;
const REPS: usize = 30;
const SIZE: usize = 128;

fn median_iqr(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    // numpy's default linear interpolation
    let q = |p: f64| {
        let x = p * (v.len() - 1) as f64;
        let (i, f) = (x.floor() as usize, x - x.floor());
        v[i] + (v[(i + 1).min(v.len() - 1)] - v[i]) * f
    };
    (q(0.5), q(0.75) - q(0.25))
}

fn main() {
    let threads: usize = std::env::var("SENSIBENCH_BENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let module = root.join("plugins/models/muscle/muscle_random.pt");
    let mut rng = SeededRng::new(0);

    // training step: fine_tune times each step itself
    let images: Vec<Vec<f32>> = (0..4)
        .map(|_| (0..SIZE * SIZE).map(|_| rng.uniform() as f32).collect())
        .collect();
    let labels: Vec<Vec<u8>> = (0..4)
        .map(|_| {
            (0..SIZE * SIZE)
                .map(|_| u8::from(rng.uniform() < 0.5))
                .collect()
        })
        .collect();
    let set = TrainingSet::new(images, labels, [1, SIZE, SIZE]).expect("training set");
    let cfg = FineTuneConfig {
        steps: WARMUP + REPS,
        batch_size: 4,
        optimizer: Optimizer::Adam,
        learning_rate: 1e-3,
        weight_decay: 0.0,
        loss: Loss::default(),
        augment: Augment::default(),
        classes: 2,
        seed: 0,
        threads,
    };
    let (_, report) = fine_tune("bench", &module, &set, &cfg).expect("fine-tune");
    let mut train: Vec<f64> = report.step_seconds[WARMUP..]
        .iter()
        .map(|s| s * 1000.0)
        .collect();
    let (train_ms, train_iqr) = median_iqr(&mut train);

    // inference batch through the Model trait
    let mut model = TorchScriptModel::load("bench", &module, threads).expect("load");
    let input = Tensor::new(
        vec![8, 1, SIZE, SIZE],
        (0..8 * SIZE * SIZE).map(|_| rng.uniform() as f32).collect(),
    )
    .expect("input");
    let mut infer = Vec::new();
    for i in 0..WARMUP + REPS {
        let t = Instant::now();
        let out = model
            .predict(&Batch {
                input: &input,
                reference: None,
            })
            .expect("predict");
        std::hint::black_box(out);
        if i >= WARMUP {
            infer.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (infer_ms, infer_iqr) = median_iqr(&mut infer);

    println!("muscle U-Net (0.12 M parameters), {threads} thread(s), median (IQR) of {REPS} in ms");
    println!(
        "{:<28}{:>22}{:>24}",
        "", "train step (4x128²)", "inference (8x128²)"
    );
    println!(
        "{:<28}{:>22}{:>24}",
        "sensibench (tch 0.26)",
        format!("{train_ms:.1} ({train_iqr:.1})"),
        format!("{infer_ms:.1} ({infer_iqr:.1})")
    );

    let python = std::env::var("SENSIBENCH_BENCH_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join(".tools/train/bin/python"));
    if !python.is_file() {
        println!(
            "PyTorch side skipped: {} not found (run `make models` for the training venv, or set SENSIBENCH_BENCH_PYTHON)",
            python.display()
        );
        return;
    }
    let out = std::process::Command::new(&python)
        .arg(root.join("plugins/models/muscle/bench_pytorch.py"))
        .arg(&module)
        .args([
            "--threads",
            &threads.to_string(),
            "--reps",
            &REPS.to_string(),
        ])
        .args(["--warmup", &WARMUP.to_string()])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let line = text.lines().last().unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            println!(
                "{:<28}{:>22}{:>24}",
                format!("PyTorch {}", v["torch"].as_str().unwrap_or("?")),
                format!("{:.1} ({:.1})", f("train_step_ms"), f("train_step_iqr_ms")),
                format!(
                    "{:.1} ({:.1})",
                    f("infer_batch_ms"),
                    f("infer_batch_iqr_ms")
                )
            );
            println!(
                "{:<28}{:>22}{:>24}",
                "ratio tch / PyTorch",
                format!("{:.2}", train_ms / f("train_step_ms")),
                format!("{:.2}", infer_ms / f("infer_batch_ms"))
            );
        }
        Ok(o) => println!(
            "PyTorch side failed: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ),
        Err(e) => println!("PyTorch side failed to start: {e}"),
    }
}
