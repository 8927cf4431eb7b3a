//! sensibench-saliency against `tests/reference/saliency_reference.json`,
//! written by `tests/reference/saliency_reference.py` (PyTorch / numpy /
//! scipy, float64): CRM by its brute-force definition, CAM, occlusion on a
//! linear softmax model, and the localisation metrics on random maps.

use std::path::Path;

use sensibench_saliency::{
    SaliencyMap, cam, crm, occlusion, pointing_game, relevance_mass_accuracy,
    relevance_rank_accuracy,
};
use serde_json::Value;

fn reference() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/saliency_reference.json");
    let text = std::fs::read_to_string(&path).expect("read the reference JSON");
    serde_json::from_str(&text).expect("parse the reference JSON")
}

fn usize_of(v: &Value, key: &str) -> usize {
    v[key].as_u64().expect(key) as usize
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// `max |a - b| <= tol * max(max |b|, tiny)`: relative to the map's scale.
fn assert_close_rel(what: &str, a: &SaliencyMap, b: &[f64], tol: f64) {
    assert_eq!(a.data.len(), b.len(), "{what}: length");
    let scale = b.iter().fold(1e-30f64, |m, v| m.max(v.abs()));
    for (i, (&x, &y)) in a.data.iter().zip(b).enumerate() {
        let d = (f64::from(x) - y).abs();
        assert!(d <= tol * scale, "{what}[{i}]: {x} vs {y} (scale {scale})");
    }
}

/// CRM (closed form, constant 1/(h·w)² kept) equals the brute-force
/// squared logit changes, and CAM equals Σ_k W F_k, both after torch's
/// bilinear upsampling: relative error ≤ 1e-5 of the map's maximum.
#[test]
fn crm_and_cam_match_brute_force_and_torch() {
    let r = reference();
    for case in r["crm"].as_array().expect("crm cases") {
        let (k, h, w) = (
            usize_of(case, "k"),
            usize_of(case, "h"),
            usize_of(case, "w"),
        );
        let (c, oh, ow) = (
            usize_of(case, "classes"),
            usize_of(case, "out_h"),
            usize_of(case, "out_w"),
        );
        let feats = f32s(&case["features"]);
        let wt = f32s(&case["head_weight"]);
        let all = crm(&feats, k, h, w, &wt, c, None, oh, ow).expect("crm");
        assert_eq!((all.height, all.width), (oh, ow));
        assert_close_rel("crm_all", &all, &f64s(&case["crm_all"]), 1e-5);
        for j in 0..c {
            let one = crm(&feats, k, h, w, &wt, c, Some(j), oh, ow).expect("crm class");
            assert_close_rel("crm_class", &one, &f64s(&case["crm_class"][j]), 1e-5);
            let cm = cam(&feats, k, h, w, &wt, c, j, oh, ow).expect("cam");
            assert_close_rel("cam", &cm, &f64s(&case["cam"][j]), 1e-5);
        }
    }
}

/// Occlusion on a linear softmax model reproduced here: |Δ| ≤ 1e-6
/// (probabilities are handed over as f32).
#[test]
fn occlusion_matches_numpy() {
    let r = reference();
    for case in r["occlusion"].as_array().expect("occlusion cases") {
        let (h, w) = (usize_of(case, "height"), usize_of(case, "width"));
        let classes = usize_of(case, "classes");
        let image = f32s(&case["image"]);
        let weight = f32s(&case["weight"]);
        let bias = f32s(&case["bias"]);
        let mut predict = |x: &[f32], n: usize| -> Result<Vec<f32>, String> {
            let hw = h * w;
            let mut out = Vec::with_capacity(n * classes);
            for item in x.chunks(hw).take(n) {
                let z: Vec<f64> = (0..classes)
                    .map(|c| {
                        let row = &weight[c * hw..(c + 1) * hw];
                        row.iter()
                            .zip(item)
                            .map(|(&a, &b)| f64::from(a) * f64::from(b))
                            .sum::<f64>()
                            + f64::from(bias[c])
                    })
                    .collect();
                let m = z.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
                let s: f64 = e.iter().sum();
                out.extend(e.iter().map(|v| (v / s) as f32));
            }
            Ok(out)
        };
        let expected = f64s(&case["map"]);
        for batch in [1, 3, 64] {
            let m = occlusion(
                &image,
                h,
                w,
                usize_of(case, "patch"),
                usize_of(case, "stride"),
                case["fill"].as_f64().expect("fill") as f32,
                usize_of(case, "class"),
                batch,
                &mut predict,
            )
            .expect("occlusion");
            for (i, (&a, &b)) in m.data.iter().zip(&expected).enumerate() {
                assert!(
                    (f64::from(a) - b).abs() <= 1e-6,
                    "occlusion[{i}]: {a} vs {b}"
                );
            }
        }
    }
}

/// RMA and RRA within 1e-9 (both are ratios of f64 sums / counts), pointing
/// game exactly, against numpy and scipy's Euclidean distance transform.
#[test]
fn localisation_matches_numpy() {
    let r = reference();
    for case in r["localisation"].as_array().expect("localisation cases") {
        let map = SaliencyMap::new(
            usize_of(case, "height"),
            usize_of(case, "width"),
            f32s(&case["map"]),
        )
        .expect("map");
        let region: Vec<bool> = case["region"]
            .as_array()
            .expect("region")
            .iter()
            .map(|v| v.as_u64() == Some(1))
            .collect();
        let rma = relevance_mass_accuracy(&map, &region).expect("rma");
        assert!(
            (rma - case["rma"].as_f64().expect("rma")).abs() < 1e-9,
            "rma {rma}"
        );
        let rra = relevance_rank_accuracy(&map, &region).expect("rra");
        assert!(
            (rra - case["rra"].as_f64().expect("rra")).abs() < 1e-9,
            "rra {rra}"
        );
        for t in [0usize, 1, 2, 4] {
            let want = case["pointing"][t.to_string()].as_bool().expect("pointing");
            assert_eq!(pointing_game(&map, &region, t), Some(want), "tolerance {t}");
        }
    }
}
