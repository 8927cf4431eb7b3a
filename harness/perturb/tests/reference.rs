//! Compares every perturbation and the resampling functions with the
//! scipy/numpy/torch outputs in `tests/reference/reference.json`
//! (re-create it with `tests/reference/make_reference.py`).

mod common;

use std::collections::BTreeMap;

use sensibench_core::{Grid, Image, LabelMap, Params, SeededRng};
use sensibench_perturb::{registry, resample};
use serde::Deserialize;

const TOLERANCE: f32 = 1e-4;

#[derive(Deserialize)]
struct Input {
    dims: [usize; 3],
    spacing: Vec<f64>,
    data: Vec<f32>,
    mask: Option<Vec<u8>>,
}

#[derive(Deserialize)]
struct Case {
    perturbation: String,
    value: f64,
    options: Params,
    input: String,
    image: Vec<f32>,
    mask: Option<Vec<u8>>,
}

#[derive(Deserialize)]
struct Resize {
    input: String,
    size: [usize; 2],
    image: Vec<f32>,
    labels: Option<Vec<u8>>,
}

#[derive(Deserialize)]
struct Fixture {
    inputs: BTreeMap<String, Input>,
    cases: Vec<Case>,
    resizes: Vec<Resize>,
}

fn fixture() -> Fixture {
    common::json_fixture("reference.json", "reference fixture")
}

fn load(input: &Input) -> (Image, Option<LabelMap>) {
    let grid = match input.spacing.as_slice() {
        &[dy, dx] => Grid::new_2d(input.dims[1], input.dims[2], [dy, dx]),
        &[dz, dy, dx] => Grid::new_3d(input.dims, [dz, dy, dx]),
        other => panic!("bad spacing {other:?}"),
    }
    .expect("grid");
    let image = Image::new(grid.clone(), input.data.clone()).expect("image");
    let mask = input
        .mask
        .as_ref()
        .map(|m| LabelMap::new(grid, m.clone()).expect("mask"));
    (image, mask)
}

/// Largest absolute difference, with the index where it occurs.
fn max_diff(got: &[f32], want: &[f32]) -> (f32, usize) {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .enumerate()
        .fold(
            (0.0, 0),
            |(best, bi), (i, d)| if d > best { (d, i) } else { (best, bi) },
        )
}

#[test]
fn perturbations_match_scipy_numpy_torch() {
    let fx = fixture();
    let reg = registry();
    let mut failures = Vec::new();
    for case in &fx.cases {
        let what = format!(
            "{} = {} {:?} on {}",
            case.perturbation, case.value, case.options.0, case.input
        );
        let (image, mask) = load(&fx.inputs[&case.input]);
        let entry = reg.get(&case.perturbation).expect("registered");
        let p = (entry.build)(&case.options).expect("options");
        let mut rng = SeededRng::new(1);
        let (out, out_mask) = p
            .apply(&image, mask.as_ref(), case.value, &mut rng)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let (d, i) = max_diff(out.data(), &case.image);
        if d > TOLERANCE {
            failures.push(format!(
                "{what}: image differs by {d} at {i} (got {}, want {})",
                out.data()[i],
                case.image[i]
            ));
        }
        match (&case.mask, &out_mask) {
            (Some(want), Some(got)) => {
                let bad = got.data().iter().zip(want).filter(|(g, w)| g != w).count();
                if bad > 0 {
                    failures.push(format!("{what}: {bad} mask voxels differ"));
                }
            }
            // perturbations that do not move the mask must return it as it was
            (None, got) => assert_eq!(got.as_ref(), mask.as_ref(), "{what}: mask changed"),
            (Some(_), None) => failures.push(format!("{what}: mask missing")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        fx.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn resampling_matches_torch_interpolate() {
    let fx = fixture();
    for r in &fx.resizes {
        let (image, mask) = load(&fx.inputs[&r.input]);
        let [h, w] = r.size;
        let out = resample::resize_image(&image, h, w).expect("resize");
        assert_eq!(out.grid().dims(), [image.grid().depth(), h, w]);
        let (d, i) = max_diff(out.data(), &r.image);
        assert!(
            d <= TOLERANCE,
            "resize {} to {h}x{w}: differs by {d} at {i}",
            r.input
        );
        // the physical extent is kept
        let (e0, e1) = (image.grid().extent_mm(), out.grid().extent_mm());
        for a in 0..3 {
            assert!((e0[a] - e1[a]).abs() < 1e-9, "{e0:?} vs {e1:?}");
        }
        if let (Some(m), Some(want)) = (mask, &r.labels) {
            let got = resample::resize_labels(&m, h, w).expect("resize labels");
            assert_eq!(got.data(), want.as_slice(), "labels {} to {h}x{w}", r.input);
        }
        if image.grid().depth() == 1 {
            let [_, ih, iw] = image.grid().dims();
            let plane = resample::resize_plane_f32(image.data(), ih, iw, h, w);
            assert_eq!(plane, out.data());
        }
    }
}
