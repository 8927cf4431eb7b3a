//! Compares the crate with fixtures written by `tests/reference/make_reference.py`
//! (scipy's distance transform, MedPy 0.5.2's metrics, numpy for the rest).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a message

use sensibench_core::{Grid, LabelMap};
use sensibench_metrics::{SegMetric, edt_squared, score_all_classes, score_class};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn grid_of(case: &Value) -> Grid {
    let dims: Vec<usize> = serde_json::from_value(case["dims"].clone()).unwrap();
    let sp: Vec<f64> = serde_json::from_value(case["spacing"].clone()).unwrap();
    match case["ndim"].as_u64().unwrap() {
        2 => Grid::new_2d(dims[1], dims[2], [sp[0], sp[1]]).unwrap(),
        _ => Grid::new_3d([dims[0], dims[1], dims[2]], [sp[0], sp[1], sp[2]]).unwrap(),
    }
}

fn labels(case: &Value, key: &str, grid: &Grid) -> LabelMap {
    let data: Vec<u8> = serde_json::from_value(case[key].clone()).unwrap();
    LabelMap::new(grid.clone(), data).unwrap()
}

fn assert_close(got: f64, want: f64, what: &str) {
    let tol = 1e-9 * want.abs().max(1e-9);
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

#[test]
fn edt_matches_scipy() {
    let fixture = load("edt_cases.json");
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for (k, case) in cases.iter().enumerate() {
        let grid = grid_of(case);
        let mask: Vec<bool> = case["mask"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64() == Some(1))
            .collect();
        let want: Vec<f64> = serde_json::from_value(case["distance"].clone()).unwrap();
        let got = edt_squared(&mask, &grid).unwrap();
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_close(g.sqrt(), *w, &format!("edt case {k} voxel {i}"));
        }
    }
}

#[test]
fn segmentation_metrics_match_medpy() {
    let fixture = load("seg_cases.json");
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let grid = grid_of(case);
        let pred = labels(case, "pred", &grid);
        let reference = labels(case, "reference", &grid);
        let classes: Vec<u8> = serde_json::from_value(case["classes"].clone()).unwrap();
        let all = score_all_classes(&pred, &reference, &classes, SegMetric::ALL).unwrap();
        for (&c, row) in classes.iter().zip(&all) {
            let expected = &case["expected"][c.to_string()];
            // Each metric alone gives the same value as all together.
            for (&m, &got) in SegMetric::ALL.iter().zip(row) {
                let alone = score_class(&pred, &reference, c, &[m]).unwrap()[0];
                assert!(
                    alone.to_bits() == got.to_bits(),
                    "{name} class {c} {m}: {alone} vs {got}"
                );
                let what = format!("{name} class {c} {m}");
                match expected[m.name()].as_f64() {
                    Some(want) => assert_close(got, want, &what),
                    None => assert!(got.is_nan(), "{what}: got {got}, want NaN"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "{checked}");
}
