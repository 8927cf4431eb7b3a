//! The harness's overhead on inference: the reference U-Net
//! (`plugins/models/cardiac/unet_plain.onnx`) on the same batches of phantom
//! slices, (a) through the raw ONNX Runtime session, the z-scored input
//! tensors built beforehand and the outputs left in ORT's memory, and (b)
//! through [`Predictor`], as a suite run does it: z-scoring (and resizing),
//! batch assembly, the session, copying and checking the output, argmax and
//! mapping the labels back onto each image's grid.
//!
//! Two cases: 128×128 images (the suite's phantom, no resize) and 256×256
//! images resized to the model's 128×128 and the labels back (like the real
//! Kaggle images). Batches of 8, ONNX Runtime on all cores, as in the suite.
//!
//! Besides criterion's figures, the bench prints, per case, the overhead as
//! `(b − a) / a` from medians of 30 runs each, and the predictor's own split
//! (time outside `Model::predict` over time inside), the figure every run
//! prints. `make bench ARGS="-p sensibench-runner"`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{ArrayViewD, IxDyn};
use ort::value::TensorRef;
use sensibench_backends::onnx::OnnxModel;
use sensibench_core::{Batch, Image, LabelMap, Model, Sample, Tensor};
use sensibench_data::{CardiacPhantom, Dataset};
use sensibench_runner::{Item, Predictor, pipeline};
use sensibench_suite::plan::{Fit, Normalize, Postprocess, Preprocess};

const BATCH: usize = 8;
const MODEL_SIZE: usize = 128;

fn model_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/models/cardiac/unet_plain.onnx")
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn load(name: &str) -> OnnxModel {
    OnnxModel::load(name, &model_path(), threads()).unwrap_or_else(|e| {
        panic!("{e}\n(run the bench through `make bench`, which sets ORT_DYLIB_PATH)")
    })
}

/// 64 phantom slices of `size`² (8 batches, about a part of the cardiac
/// suite), the input the harness sees.
fn samples(size: usize) -> Vec<Sample> {
    let ds = CardiacPhantom::new(7, 8, 8, size).expect("valid phantom");
    (0..ds.len()).map(|i| ds.get(i).expect("renders")).collect()
}

/// The raw session's input: z-scored `BATCH x 1 x 128 x 128` tensors (the
/// values matter little to a convolutional network's run time; the shapes do).
fn raw_batches(samples: &[Sample]) -> Vec<(Vec<usize>, Vec<f32>)> {
    samples
        .chunks(BATCH)
        .map(|chunk| {
            let mut data = Vec::with_capacity(chunk.len() * MODEL_SIZE * MODEL_SIZE);
            for s in chunk {
                // nearest-neighbour subsampling to the model size: cheap and
                // only here to give the session a realistic input
                let (h, w) = (s.image.grid().height(), s.image.grid().width());
                let px = s.image.data();
                let vals: Vec<f32> = (0..MODEL_SIZE * MODEL_SIZE)
                    .map(|k| {
                        let (y, x) = (k / MODEL_SIZE, k % MODEL_SIZE);
                        px[(y * h / MODEL_SIZE) * w + x * w / MODEL_SIZE]
                    })
                    .collect();
                let n = vals.len() as f32;
                let mean = vals.iter().sum::<f32>() / n;
                let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
                data.extend(vals.iter().map(|v| (v - mean) / sd.max(1e-6)));
            }
            (vec![chunk.len(), 1, MODEL_SIZE, MODEL_SIZE], data)
        })
        .collect()
}

fn run_raw(model: &mut OnnxModel, batches: &[(Vec<usize>, Vec<f32>)]) {
    let input = model.input_name().to_string();
    for (shape, data) in batches {
        let view = ArrayViewD::from_shape(IxDyn(shape), data).expect("shape fits");
        let value = TensorRef::from_array_view(view).expect("tensor");
        let out = model
            .session_mut()
            .run(ort::inputs![input.as_str() => value])
            .expect("session runs");
        black_box(&out);
    }
}

fn predictor(name: &str) -> Predictor {
    Predictor::with_processing(
        name,
        Box::new(load(name)),
        Preprocess {
            size: Some([MODEL_SIZE, MODEL_SIZE]),
            fit: Fit::Resize,
            normalize: Normalize::ZScore,
        },
        Postprocess::Argmax,
        BATCH,
    )
}

fn run_harness(p: &mut Predictor, items: &[Item<'_>]) -> Vec<Result<LabelMap, String>> {
    let out = p.predict(items);
    assert!(out.iter().all(Result::is_ok), "every prediction succeeds");
    out
}

/// Median seconds of `rounds` calls of `f`.
fn median_time(rounds: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..rounds)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn bench(c: &mut Criterion) {
    for size in [128, 256] {
        let samples = samples(size);
        let images: Vec<(&Image, Option<&LabelMap>)> =
            samples.iter().map(|s| (&s.image, None)).collect();
        let batches = raw_batches(&samples);
        let n = samples.len() as f64;
        let mut group = c.benchmark_group(format!("overhead/{size}"));
        group.sample_size(30);

        // One session alive at a time: each session has its own intra-op
        // threads, which spin after a run and would slow the other.
        let raw_time = {
            let mut raw = load("raw");
            group.bench_function("raw ORT session", |b| {
                b.iter(|| run_raw(&mut raw, &batches))
            });
            median_time(30, || run_raw(&mut raw, &batches))
        };
        let (harness_time, split) = {
            let mut harness = predictor("harness");
            group.bench_function("sensibench Predictor", |b| {
                b.iter(|| run_harness(&mut harness, &images))
            });
            let mut split = predictor("split");
            drop(harness);
            let t = median_time(30, || {
                run_harness(&mut split, &images);
            });
            (t, split.timing().overhead())
        };

        // the harness's steps alone, on one batch
        let pre = Preprocess {
            size: Some([MODEL_SIZE, MODEL_SIZE]),
            fit: Fit::Resize,
            normalize: Normalize::ZScore,
        };
        group.bench_function("prepare_input x8", |b| {
            b.iter(|| {
                for (img, _) in &images[..BATCH] {
                    black_box(pipeline::prepare_input(img, &pre).expect("prepares"));
                }
            })
        });
        let (shape, data) = &batches[0];
        let input = Tensor::new(shape.clone(), data.clone()).expect("tensor");
        let output = load("decode")
            .predict(&Batch {
                input: &input,
                reference: None,
            })
            .expect("predicts");
        group.bench_function("labels_from_output x8", |b| {
            b.iter(|| {
                for (i, (img, _)) in images[..BATCH].iter().enumerate() {
                    black_box(
                        pipeline::labels_from_output(
                            "m",
                            output.view(),
                            i,
                            Postprocess::Argmax,
                            &pre,
                            img.grid(),
                        )
                        .expect("decodes"),
                    );
                }
            })
        });
        group.finish();

        println!(
            "overhead {} images {size}x{size}, batches of {BATCH}: raw session {:.3} ms/image, \
             Predictor {:.3} ms/image: {:+.1}% end to end (medians of 30); \
             the Predictor's own split: {:.1}% outside Model::predict",
            samples.len(),
            1e3 * raw_time / n,
            1e3 * harness_time / n,
            100.0 * (harness_time - raw_time) / raw_time,
            100.0 * split,
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
