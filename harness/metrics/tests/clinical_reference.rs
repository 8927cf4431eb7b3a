//! Compares the clinical measures, agreement statistics and the Student-t
//! quantile with `tests/reference/clinical_agreement.json`, written by
//! `tests/reference/make_clinical_reference.py` (statsmodels, scipy, mpmath,
//! MedPy, numpy). Tolerance: `1e-10 · max(1, |want|)` unless stated.

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a message

use sensibench_core::{Grid, Image, LabelMap};
use sensibench_metrics::agreement::LOA_Z;
use sensibench_metrics::clinical::MUSCLE_HU_RANGE;
use sensibench_metrics::dist::normal_quantile;
use sensibench_metrics::{
    SegMetric, area_cm2, band_from_scores, bland_altman, fold_ci, mean_intensity,
    mean_intensity_in_range, pairwise_scores, student_t_cdf, student_t_quantile,
};
use serde_json::Value;

fn load() -> Value {
    let path = format!(
        "{}/tests/reference/clinical_agreement.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-10 * want.abs().max(1.0);
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

/// A JSON number, or NaN for `null`.
fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}

fn pair(v: &Value) -> (f64, f64) {
    (num(&v[0]), num(&v[1]))
}

#[test]
fn bland_altman_matches_statsmodels_and_scipy() {
    let fx = load();
    for case in fx["bland_altman"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let ba = bland_altman(&nums(&case["pred"]), &nums(&case["reference"])).unwrap();
        let e = &case["expected"];
        assert_eq!(ba.n as u64, e["n"].as_u64().unwrap(), "{name}");
        assert_eq!(ba.n_excluded as u64, e["n_excluded"].as_u64().unwrap());
        for (got, key) in [
            (ba.mean_diff, "mean_diff"),
            (ba.sd_diff, "sd_diff"),
            (ba.loa_lower, "loa_lower"),
            (ba.loa_upper, "loa_upper"),
            (ba.t_quantile, "t_quantile"),
            (ba.mean_abs_diff, "mean_abs_diff"),
            (ba.rms_diff, "rms_diff"),
            (ba.mean_pred, "mean_pred"),
            (ba.mean_ref, "mean_ref"),
        ] {
            close(got, num(&e[key]), &format!("{name} {key}"));
        }
        for (got, key) in [
            (ba.bias_ci, "bias_ci"),
            (ba.loa_lower_ci, "loa_lower_ci"),
            (ba.loa_upper_ci, "loa_upper_ci"),
        ] {
            let want = pair(&e[key]);
            close(got.0, want.0, &format!("{name} {key}.lo"));
            close(got.1, want.1, &format!("{name} {key}.hi"));
        }
        // statsmodels' mean_diff_plot: same bias; its limits use the
        // population SD (ddof = 0) = ours · sqrt((n − 1)/n).
        let sm = &case["statsmodels"];
        assert_eq!(num(&sm["sd_limit"]), LOA_Z);
        close(ba.mean_diff, num(&sm["mean_diff"]), "statsmodels mean_diff");
        let n = ba.n as f64;
        let sd0 = ba.sd_diff * ((n - 1.0) / n).sqrt();
        close(
            ba.mean_diff - LOA_Z * sd0,
            num(&sm["lower"]),
            "statsmodels lower",
        );
        close(
            ba.mean_diff + LOA_Z * sd0,
            num(&sm["upper"]),
            "statsmodels upper",
        );
    }
}

#[test]
fn t_and_normal_quantiles_match_scipy() {
    let fx = load();
    let rows = fx["t"]["quantiles"].as_array().unwrap();
    assert!(rows.len() >= 150);
    for r in rows {
        let (p, df) = (num(&r["p"]), num(&r["df"]));
        close(
            student_t_quantile(p, df),
            num(&r["t"]),
            &format!("t.ppf({p}, {df})"),
        );
    }
    for r in fx["t"]["normal"].as_array().unwrap() {
        let p = num(&r["p"]);
        close(normal_quantile(p), num(&r["z"]), &format!("norm.ppf({p})"));
    }
    for r in fx["t"]["cdf"].as_array().unwrap() {
        let (t, df) = (num(&r["t"]), num(&r["df"]));
        // Absolute tolerance on a probability; relative for the small tail.
        let (got, want) = (student_t_cdf(t, df), num(&r["cdf"]));
        let tol = 1e-13_f64.max(1e-12 * want.min(1.0 - want));
        assert!(
            (got - want).abs() <= tol,
            "t.cdf({t}, {df}): {got} vs {want}"
        );
    }
}

#[test]
fn fold_ci_matches_scipy_t_interval() {
    let fx = load();
    for c in fx["fold_ci"].as_array().unwrap() {
        let (m, lo, hi) = fold_ci(&nums(&c["values"]), num(&c["level"]));
        close(m, num(&c["mean"]), "fold mean");
        close(lo, num(&c["lo"]), "fold lo");
        close(hi, num(&c["hi"]), "fold hi");
    }
}

#[test]
fn pairwise_dice_band_matches_medpy() {
    let fx = load();
    let b = &fx["band"];
    let dims: Vec<usize> = serde_json::from_value(b["dims"].clone()).unwrap();
    let grid = Grid::new_2d(dims[1], dims[2], [1.0, 1.0]).unwrap();
    let masks: Vec<LabelMap> = b["masks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| LabelMap::new(grid.clone(), serde_json::from_value(m.clone()).unwrap()).unwrap())
        .collect();
    let scores = pairwise_scores(&masks, 1, SegMetric::Dice).unwrap();
    let want = nums(&b["dice"]);
    assert_eq!(scores.len(), want.len());
    for (g, w) in scores.iter().zip(&want) {
        close(*g, *w, "pairwise dice");
    }
    let band = band_from_scores(&scores);
    close(band.value, num(&b["value"]), "band value");
    close(band.spread, num(&b["spread"]), "band spread");
    close(band.lo, num(&b["value"]) - num(&b["spread"]), "band lo");
    assert_eq!(band.n, 3);
}

#[test]
fn clinical_measures_match_numpy() {
    let fx = load();
    let cases = fx["clinical"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for (k, c) in cases.iter().enumerate() {
        let dims: Vec<usize> = serde_json::from_value(c["dims"].clone()).unwrap();
        let sp = nums(&c["spacing"]);
        let grid = match c["ndim"].as_u64().unwrap() {
            2 => Grid::new_2d(dims[1], dims[2], [sp[0], sp[1]]).unwrap(),
            _ => Grid::new_3d([dims[0], dims[1], dims[2]], [sp[0], sp[1], sp[2]]).unwrap(),
        };
        let labels = LabelMap::new(
            grid.clone(),
            serde_json::from_value(c["labels"].clone()).unwrap(),
        )
        .unwrap();
        let image =
            Image::new(grid, nums(&c["image"]).iter().map(|&v| v as f32).collect()).unwrap();
        for class in 1..=3u8 {
            let e = &c["expected"][class.to_string()];
            let what = format!("case {k} class {class}");
            close(
                area_cm2(&labels, class),
                num(&e["size"]),
                &format!("{what} size"),
            );
            let (lo, hi) = MUSCLE_HU_RANGE;
            for (got, key) in [
                (mean_intensity(&image, &labels, class).unwrap(), "mean"),
                (
                    mean_intensity_in_range(&image, &labels, class, lo, hi).unwrap(),
                    "mean_in_range",
                ),
            ] {
                let want = num(&e[key]);
                if want.is_nan() {
                    assert!(got.is_nan(), "{what} {key}: {got}");
                } else {
                    close(got, want, &format!("{what} {key}"));
                }
            }
        }
    }
}
