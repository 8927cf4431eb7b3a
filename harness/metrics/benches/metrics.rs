//! `score_class` with every metric on a 256x256 pair of offset ellipses and a
//! 128³ pair of offset spheres (anisotropic spacing).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sensibench_core::{Grid, LabelMap};
use sensibench_metrics::{SegMetric, score_class};

/// Label 1 inside the ellipsoid with centre `c` and semi-axes `r` (voxels, z y x).
fn ellipsoid(grid: &Grid, c: [f64; 3], r: [f64; 3]) -> LabelMap {
    let [d, h, w] = grid.dims();
    let mut data = vec![0u8; grid.len()];
    for z in 0..d {
        for y in 0..h {
            for x in 0..w {
                let q = [z as f64 - c[0], y as f64 - c[1], x as f64 - c[2]];
                let s: f64 = (0..3).map(|i| (q[i] / r[i]).powi(2)).sum();
                if s <= 1.0 {
                    data[grid.index(z, y, x)] = 1;
                }
            }
        }
    }
    LabelMap::new(grid.clone(), data).expect("length matches the grid")
}

fn bench(c: &mut Criterion) {
    let g2 = Grid::new_2d(256, 256, [0.8, 1.2]).expect("valid grid");
    let a2 = ellipsoid(&g2, [0.0, 128.0, 128.0], [1.0, 70.0, 50.0]);
    let b2 = ellipsoid(&g2, [0.0, 131.0, 125.0], [1.0, 66.0, 54.0]);
    c.bench_function("score_class all metrics 256x256", |bch| {
        bch.iter(|| score_class(black_box(&a2), black_box(&b2), 1, SegMetric::ALL))
    });

    let g3 = Grid::new_3d([128, 128, 128], [2.0, 0.9, 0.9]).expect("valid grid");
    let a3 = ellipsoid(&g3, [64.0, 64.0, 64.0], [40.0, 45.0, 45.0]);
    let b3 = ellipsoid(&g3, [66.0, 61.0, 67.0], [38.0, 47.0, 44.0]);
    c.bench_function("score_class all metrics 128^3", |bch| {
        bch.iter(|| score_class(black_box(&a3), black_box(&b3), 1, SegMetric::ALL))
    });
    c.bench_function("score_class dice+iou 128^3", |bch| {
        bch.iter(|| {
            score_class(
                black_box(&a3),
                black_box(&b3),
                1,
                &[SegMetric::Dice, SegMetric::Iou],
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
