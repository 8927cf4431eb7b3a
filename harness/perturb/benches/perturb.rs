//! Throughput of every perturbation on a 256x256 image and a 128^3 volume,
//! and of the resampling to a model input.
//!
//! `cargo bench -p sensibench-perturb -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sensibench_core::{Grid, Image, LabelMap, Params, SeededRng};
use sensibench_perturb::{registry, resample};

/// A textured test image with a mask on `grid`.
fn sample(grid: Grid) -> (Image, LabelMap) {
    let n = grid.len();
    let data = (0..n)
        .map(|k| ((k * 2_654_435_761) % 1000) as f32 * 0.1 + (k % 97) as f32)
        .collect();
    let mask = (0..n).map(|k| (k % 5) as u8).collect();
    (
        Image::new(grid.clone(), data).expect("image"),
        LabelMap::new(grid, mask).expect("mask"),
    )
}

/// A non-identity point of every perturbation.
const POINTS: &[(&str, f64)] = &[
    ("rotate", 17.0),
    ("zoom", 1.3),
    ("crop", 0.7),
    ("translate", 3.3),
    ("dihedral", 5.0),
    ("flip", 1.0),
    ("resolution", 3.0),
    ("brightness", 0.2),
    ("contrast", 1.5),
    ("gamma", 0.7),
    ("gaussian_noise", 0.1),
    ("gaussian_blur", 2.0),
];

fn perturbations(c: &mut Criterion) {
    let reg = registry();
    let inputs = [
        (
            "256x256",
            sample(Grid::new_2d(256, 256, [1.0, 1.0]).expect("grid")),
        ),
        (
            "128^3",
            sample(Grid::new_3d([128, 128, 128], [1.0, 1.0, 1.0]).expect("grid")),
        ),
    ];
    for (label, (image, mask)) in &inputs {
        let mut group = c.benchmark_group(format!("perturb/{label}"));
        if image.grid().ndim() == 3 {
            group.sample_size(10);
        }
        for &(name, value) in POINTS {
            let p = (reg.get(name).expect("registered").build)(&Params::default()).expect("build");
            group.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    let mut rng = SeededRng::new(1);
                    black_box(p.apply(image, Some(mask), value, &mut rng).expect("apply"))
                })
            });
        }
        group.finish();
    }
    let (image, mask) = &inputs[0].1;
    let mut group = c.benchmark_group("resample/256x256->128x128");
    group.bench_function("resize_image", |b| {
        b.iter(|| black_box(resample::resize_image(image, 128, 128).expect("resize")))
    });
    group.bench_function("resize_labels", |b| {
        b.iter(|| black_box(resample::resize_labels(mask, 128, 128).expect("resize")))
    });
    group.finish();
}

criterion_group!(benches, perturbations);
criterion_main!(benches);
