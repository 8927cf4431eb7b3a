//! The MR spatial artefacts (bias field, Rician noise, anisotropy, elastic)
//! against TorchIO 1.2.1 / MONAI 1.6 fixtures written by
//! `tests/reference/torchio_spatial.py` into `tests/reference/spatial/`, and
//! their perturbation behaviour (identity, errors, options, severity).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a message

mod common;

use common::params;

use std::path::{Path, PathBuf};

use sensibench_core::{Grid, Image, LabelMap, ParamValue, Params, Perturbation, SeededRng};
use sensibench_perturb::mr::Axis;
use sensibench_perturb::mr::spatial::{
    Anisotropy, BiasField, ControlGrid, Elastic, RicianNoise, anisotropy, bias_field,
    bias_field_terms, elastic, rician,
};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/spatial")
}

fn read_f32(name: &str) -> Vec<f32> {
    common::read_f32(&dir().join(name))
}

struct Case {
    meta: Value,
    image: Image,
    mask: LabelMap,
}

impl Case {
    fn load(name: &str) -> Case {
        let text = std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap();
        let meta: Value = serde_json::from_str(&text).unwrap();
        let dims: Vec<usize> = meta["dims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let sp: Vec<f64> = meta["spacing_zyx"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let grid = if meta["ndim"].as_u64() == Some(2) {
            Grid::new_2d(dims[1], dims[2], [sp[1], sp[2]]).unwrap()
        } else {
            Grid::new_3d([dims[0], dims[1], dims[2]], [sp[0], sp[1], sp[2]]).unwrap()
        };
        let input = meta["input"].as_str().unwrap().to_string();
        let image = Image::new(grid.clone(), read_f32(&format!("{input}.in.f32"))).unwrap();
        let mask = LabelMap::new(
            grid,
            read_f32(&format!("{input}.mask.f32"))
                .iter()
                .map(|&v| v as u8)
                .collect(),
        )
        .unwrap();
        Case { meta, image, mask }
    }
    fn file(&self, key: &str) -> Option<Vec<f32>> {
        self.meta[key].as_str().map(read_f32)
    }
    fn range(&self) -> f64 {
        let (lo, hi) = self.image.min_max();
        f64::from(hi) - f64::from(lo)
    }
}

/// Largest |got − want| over voxels where `valid` (if any) is 1.
fn max_abs_diff(got: &[f32], want: &[f32], valid: Option<&[f32]>) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .enumerate()
        .filter(|(i, _)| valid.is_none_or(|v| v[*i] > 0.5))
        .map(|(_, (a, b))| (f64::from(*a) - f64::from(*b)).abs())
        .fold(0.0, f64::max)
}

fn mask_mismatches(got: &LabelMap, want: &[f32], valid: Option<&[f32]>) -> usize {
    got.data()
        .iter()
        .zip(want)
        .enumerate()
        .filter(|(i, (a, b))| valid.is_none_or(|v| v[*i] > 0.5) && f32::from(**a) != **b)
        .count()
}

#[test]
fn bias_field_matches_torchio() {
    for name in [
        "bias_phantom2d_o1",
        "bias_phantom2d_o3",
        "bias_phantom3d_o1",
        "bias_phantom3d_o3",
    ] {
        let case = Case::load(name);
        let order = case.meta["order"].as_u64().unwrap() as usize;
        let coefficients: Vec<f64> = case.meta["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(coefficients.len(), bias_field_terms(order));
        let out = bias_field(&case.image, order, &coefficients).unwrap();
        let want = case.file("out").unwrap();
        let worst = out
            .data()
            .iter()
            .zip(&want)
            .map(|(a, b)| ((f64::from(*a) - f64::from(*b)) / f64::from(*b).abs()).abs())
            .fold(0.0, f64::max);
        eprintln!("{name}: max relative error {worst:e}");
        assert!(worst <= 1e-5, "{name}: relative error {worst:e}");
        // a real field: far from the identity
        let moved = max_abs_diff(out.data(), case.image.data(), None);
        assert!(moved > 1.0, "{name}: field too weak ({moved})");
    }
}

#[test]
fn anisotropy_matches_torchio() {
    for name in [
        "aniso_phantom2d_y2.0",
        "aniso_phantom2d_x3.0",
        "aniso_phantom3d_z2.0",
        "aniso_phantom3d_y3.0",
        "aniso_phantom3d_x2.5",
    ] {
        let case = Case::load(name);
        let axis = match case.meta["axis"].as_str().unwrap() {
            "z" => Axis::Z,
            "y" => Axis::Y,
            _ => Axis::X,
        };
        let factor = case.meta["factor"].as_f64().unwrap();
        let (out, mask) = anisotropy(&case.image, Some(&case.mask), axis, factor).unwrap();
        let valid = case.file("valid").unwrap();
        let want = case.file("out").unwrap();
        let err = max_abs_diff(out.data(), &want, Some(&valid)) / case.range();
        let n_valid = valid.iter().filter(|&&v| v > 0.5).count();
        eprintln!("{name}: max error {err:e} of the range over {n_valid} voxels");
        assert!(err <= 1e-4, "{name}: max error {err:e} of the range");
        let bad = mask_mismatches(
            &mask.unwrap(),
            &case.file("mask_out").unwrap(),
            Some(&valid),
        );
        assert_eq!(bad, 0, "{name}: {bad} mask voxels differ");
        // where SimpleITK leaves its 0 default, we repeat the edge sample
        let n_border = valid.iter().filter(|&&v| v < 0.5).count();
        if n_border > 0 {
            let ours_zero = out
                .data()
                .iter()
                .zip(&valid)
                .filter(|(v, ok)| **ok < 0.5 && **v == 0.0)
                .count();
            assert_eq!(ours_zero, 0, "{name}: border should keep intensities");
        }
    }
}

fn control_grid(case: &Case) -> ControlGrid {
    let points: Vec<usize> = case.meta["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let flat: Vec<f64> = case.meta["displacement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let d = flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    ControlGrid::new([points[0], points[1], points[2]], d).unwrap()
}

#[test]
fn elastic_matches_torchio() {
    for name in ["elastic_phantom2d", "elastic_phantom3d"] {
        let case = Case::load(name);
        let grid = control_grid(&case);
        let (out, mask) = elastic(&case.image, Some(&case.mask), &grid).unwrap();
        let want = case.file("out").unwrap();
        let err = max_abs_diff(out.data(), &want, None) / case.range();
        eprintln!("{name}: max error {err:e} of the range");
        assert!(err <= 1e-4, "{name}: max error {err:e} of the range");
        let mask = mask.unwrap();
        let bad = mask_mismatches(&mask, &case.file("mask_out").unwrap(), None);
        assert_eq!(bad, 0, "{name}: {bad} mask voxels differ");
        // the deformation is real: the mask moved
        assert_ne!(mask.data(), case.mask.data(), "{name}");
    }
}

#[test]
fn rician_matches_monai_formula() {
    for name in ["rician_phantom2d", "rician_phantom3d"] {
        let case = Case::load(name);
        let sigma = case.meta["sigma_abs"].as_f64().unwrap();
        let n1 = case.file("n1").unwrap();
        let n2 = case.file("n2").unwrap();
        let out = rician(&case.image, sigma, &n1, &n2).unwrap();
        let err = max_abs_diff(out.data(), &case.file("out").unwrap(), None) / case.range();
        eprintln!("{name}: max error {err:e} of the range");
        assert!(err <= 1e-6, "{name}: max error {err:e} of the range");
    }
    // hand-worked: sqrt((3 + 2·0.5)² + (2·1.5)²) = sqrt(16 + 9) = 5
    let g = Grid::new_2d(1, 1, [1.0, 1.0]).unwrap();
    let im = Image::new(g, vec![3.0]).unwrap();
    assert_eq!(rician(&im, 2.0, &[0.5], &[1.5]).unwrap().data(), &[5.0]);
    assert!(rician(&im, 2.0, &[0.5, 1.0], &[1.5]).is_err());
}

// --- perturbation behaviour ------------------------------------------------

fn phantom(h: usize, w: usize, spacing: f64) -> (Image, LabelMap) {
    let g = Grid::new_2d(h, w, [spacing, spacing]).unwrap();
    let mut data = Vec::with_capacity(h * w);
    let mut labels = Vec::with_capacity(h * w);
    for y in 0..h {
        for x in 0..w {
            let (fy, fx) = (y as f64 / h as f64 - 0.5, x as f64 / w as f64 - 0.5);
            let r2 = (fy / 0.3).powi(2) + (fx / 0.35).powi(2);
            let inside = r2 <= 1.0;
            let v = 20.0
                + if inside { 100.0 } else { 0.0 }
                + 15.0 * (7.0 * fy).sin() * (5.0 * fx).cos();
            data.push(v as f32);
            labels.push(u8::from(inside));
        }
    }
    (
        Image::new(g.clone(), data).unwrap(),
        LabelMap::new(g, labels).unwrap(),
    )
}

fn volume() -> (Image, LabelMap) {
    let g = Grid::new_3d([16, 40, 36], [3.0, 1.5, 1.5]).unwrap();
    let n = g.len();
    let data: Vec<f32> = (0..n).map(|i| 50.0 + ((i * 37) % 101) as f32).collect();
    let labels: Vec<u8> = (0..n).map(|i| u8::from(i % 7 == 0)).collect();
    (
        Image::new(g.clone(), data).unwrap(),
        LabelMap::new(g, labels).unwrap(),
    )
}

fn all() -> Vec<(&'static str, Box<dyn Perturbation>, f64, f64)> {
    // (name, perturbation with default options, identity, a typical value)
    vec![
        (
            "bias_field",
            Box::new(BiasField::from_params(&Params::default()).unwrap()),
            0.0,
            0.3,
        ),
        (
            "rician_noise",
            Box::new(RicianNoise::from_params(&Params::default()).unwrap()),
            0.0,
            0.05,
        ),
        (
            "anisotropy",
            Box::new(Anisotropy::from_params(&Params::default()).unwrap()),
            1.0,
            3.0,
        ),
        (
            "elastic",
            Box::new(Elastic::from_params(&Params::default()).unwrap()),
            0.0,
            5.0,
        ),
    ]
}

#[test]
fn identity_is_bit_exact_and_masks_follow_the_rules() {
    let (im, mk) = phantom(64, 56, 1.5);
    let (vol, vmk) = volume();
    for (name, p, identity, value) in all() {
        for (image, mask) in [(&im, &mk), (&vol, &vmk)] {
            let mut rng = SeededRng::new(7);
            let (o, m) = p.apply(image, Some(mask), identity, &mut rng).unwrap();
            assert_eq!(o.data(), image.data(), "{name}");
            assert_eq!(m.as_ref(), Some(mask), "{name}");
            assert_eq!(
                rng.next_u64(),
                SeededRng::new(7).next_u64(),
                "{name}: drew at identity"
            );
            let (o1, m1) = p
                .apply(image, Some(mask), value, &mut SeededRng::new(3))
                .unwrap();
            let (o2, _) = p
                .apply(image, Some(mask), value, &mut SeededRng::new(3))
                .unwrap();
            assert_eq!(o1, o2, "{name}: not deterministic");
            assert_ne!(o1.data(), image.data(), "{name}: no effect");
            assert_eq!(o1.grid(), image.grid(), "{name}");
            let m1 = m1.unwrap();
            match name {
                "bias_field" | "rician_noise" => assert_eq!(&m1, mask, "{name}"),
                _ => assert_ne!(&m1, mask, "{name}: mask did not move"),
            }
        }
    }
}

#[test]
fn random_draws_differ_by_seed() {
    let (im, _) = phantom(32, 32, 2.0);
    for (name, p, _, value) in all() {
        if name == "anisotropy" {
            continue; // deterministic
        }
        let a = p.apply(&im, None, value, &mut SeededRng::new(1)).unwrap().0;
        let b = p.apply(&im, None, value, &mut SeededRng::new(2)).unwrap().0;
        assert_ne!(a, b, "{name}");
    }
}

#[test]
fn invalid_values_name_the_parameter() {
    let (im, _) = phantom(32, 32, 1.0);
    let cases: [(&str, f64, &str); 8] = [
        ("bias_field", -0.1, "bias_field.coefficients"),
        ("bias_field", f64::NAN, "bias_field.coefficients"),
        ("rician_noise", -1.0, "rician_noise.sigma"),
        ("rician_noise", f64::INFINITY, "rician_noise.sigma"),
        ("anisotropy", 0.5, "anisotropy.factor"),
        ("anisotropy", 40.0, "anisotropy.factor"),
        ("elastic", -1.0, "elastic.max_displacement"),
        ("elastic", f64::NAN, "elastic.max_displacement"),
    ];
    let reg = sensibench_perturb::registry();
    for (name, value, param) in cases {
        let p = (reg.get(name).unwrap().build)(&Params::default()).unwrap();
        let e = p
            .apply(&im, None, value, &mut SeededRng::new(0))
            .unwrap_err()
            .to_string();
        assert!(e.contains(param), "{name} {value}: {e}");
    }
    // folding: 32 mm field of view, 7 points -> spacing 32.25/4 mm, half 4.03 mm
    let p = Elastic::from_params(&Params::default()).unwrap();
    let e = p
        .apply(&im, None, 4.5, &mut SeededRng::new(0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("elastic.max_displacement") && e.contains("4.03"),
        "{e}"
    );
    assert!(p.apply(&im, None, 4.0, &mut SeededRng::new(0)).is_ok());
    // z on a 2D image
    let z = Anisotropy::from_params(&params(&[("axis", ParamValue::Text("z".into()))])).unwrap();
    let e = z
        .apply(&im, None, 2.0, &mut SeededRng::new(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("anisotropy.axis"), "{e}");
}

#[test]
fn options_are_checked() {
    let reg = sensibench_perturb::registry();
    for name in ["bias_field", "rician_noise", "anisotropy", "elastic"] {
        let entry = reg.get(name).unwrap();
        let bad = params(&[("sigmaa", ParamValue::Number(1.0))]);
        assert!((entry.build)(&bad).is_err(), "{name}");
        let scale = entry.severity.as_ref().unwrap();
        assert!((scale.build)(&bad).is_err(), "{name}");
    }
    let bad = [
        ("bias_field", "order", ParamValue::Number(1.5)),
        ("bias_field", "order", ParamValue::Number(13.0)),
        ("anisotropy", "axis", ParamValue::Text("w".into())),
        ("elastic", "control_points", ParamValue::Number(3.0)),
        ("elastic", "locked_borders", ParamValue::Number(3.0)),
        ("rician_noise", "absolute", ParamValue::Number(1.0)),
    ];
    for (name, key, v) in bad {
        let e = match (reg.get(name).unwrap().build)(&params(&[(key, v)])) {
            Ok(_) => panic!("{name}.{key} accepted"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(key), "{name}: {e}");
    }
    // locked_borders 2 needs 5 control points (TorchIO: identity otherwise)
    let p = params(&[("control_points", ParamValue::Number(4.0))]);
    assert!(Elastic::from_params(&p).is_err());
    let p = params(&[
        ("control_points", ParamValue::Number(4.0)),
        ("locked_borders", ParamValue::Number(1.0)),
    ]);
    assert!(Elastic::from_params(&p).is_ok());
    // absolute Rician sigma is in intensity units
    let (im, _) = phantom(16, 16, 1.0);
    let abs = RicianNoise::from_params(&params(&[("absolute", ParamValue::Bool(true))])).unwrap();
    let rel = RicianNoise::from_params(&Params::default()).unwrap();
    let (lo, hi) = im.min_max();
    let range = f64::from(hi - lo);
    let a = abs
        .apply(&im, None, 0.05 * range, &mut SeededRng::new(4))
        .unwrap()
        .0;
    let r = rel
        .apply(&im, None, 0.05, &mut SeededRng::new(4))
        .unwrap()
        .0;
    assert!(max_abs_diff(a.data(), r.data(), None) < 1e-3);
}

#[test]
fn control_grid_random_locks_borders() {
    let g = Grid::new_3d([20, 30, 30], [2.0, 1.0, 1.0]).unwrap();
    let cg = ControlGrid::random(&g, 7, 3.0, 2, &mut SeededRng::new(5)).unwrap();
    assert_eq!(cg.points(), [7, 7, 7]);
    let mut free = 0;
    for ky in 0..7 {
        for kx in 0..7 {
            for kz in 0..7 {
                let v = cg.displacement()[(ky * 7 + kx) * 7 + kz];
                let inner = |k: usize| (2..5).contains(&k);
                if inner(ky) && inner(kx) && inner(kz) {
                    free += 1;
                    assert!(v.iter().all(|c| c.abs() < 3.0 && *c != 0.0), "{v:?}");
                } else {
                    assert_eq!(v, [0.0; 3]);
                }
            }
        }
    }
    assert_eq!(free, 27);
    let g2 = Grid::new_2d(30, 30, [1.0, 1.0]).unwrap();
    let cg = ControlGrid::random(&g2, 6, 3.0, 1, &mut SeededRng::new(5)).unwrap();
    assert_eq!(cg.points(), [6, 6, 1]);
    assert!(cg.displacement().iter().all(|v| v[2] == 0.0));
    // a planar grid on a volume (and the reverse) is refused
    let (vol, _) = volume();
    assert!(elastic(&vol, None, &cg).is_err());
    // a zero grid is the identity up to rounding
    let (im, mk) = phantom(30, 30, 1.0);
    let zero = ControlGrid::new([6, 6, 1], vec![[0.0; 3]; 36]).unwrap();
    let (o, m) = elastic(&im, Some(&mk), &zero).unwrap();
    assert_eq!(o.data(), im.data());
    assert_eq!(m.unwrap(), mk);
}

#[test]
fn hand_worked_kernels() {
    // bias order 1 on a 1x3 row: x coordinates -1, 0, 1; coefficient order
    // (a, b, c): (0,0,0) (0,0,1) (0,1,0) (1,0,0) -> k_000 = 0.1, k_010 = 0.5 (x)
    let g = Grid::new_2d(1, 3, [1.0, 1.0]).unwrap();
    let im = Image::new(g, vec![2.0, 2.0, 2.0]).unwrap();
    let out = bias_field(&im, 1, &[0.1, 0.7, 0.5, 0.9]).unwrap();
    let want = [
        2.0 * (-0.4f64).exp(),
        2.0 * 0.1f64.exp(),
        2.0 * 0.6f64.exp(),
    ];
    for (a, b) in out.data().iter().zip(want) {
        assert!((f64::from(*a) - b).abs() < 1e-6, "{a} {b}");
    }
    assert!(bias_field(&im, 1, &[0.1]).is_err());
    // anisotropy factor 2 on 8 columns: low-res samples at 0.5 + 2j -> columns
    // 1, 3, 5, 7 (ties up); back at v = i/2 - 0.25, clamped to [0, 3]
    let g = Grid::new_2d(1, 8, [1.0, 1.0]).unwrap();
    let im = Image::new(g, (0..8).map(|v| (v * 10) as f32).collect()).unwrap();
    let (out, _) = anisotropy(&im, None, Axis::X, 2.0).unwrap();
    let low = [10.0f32, 30.0, 50.0, 70.0];
    let want: Vec<f32> = (0..8)
        .map(|i| {
            let v = (i as f64 / 2.0 - 0.25).clamp(0.0, 3.0);
            let k = v.floor() as usize;
            let k1 = (k + 1).min(3);
            (f64::from(low[k]) + (f64::from(low[k1]) - f64::from(low[k])) * (v - k as f64)) as f32
        })
        .collect();
    assert_eq!(out.data(), &want[..]);
}

#[test]
fn severity_grows_with_level() {
    let (im, mk) = phantom(128, 128, 1.5);
    let reg = sensibench_perturb::registry();
    for name in ["bias_field", "rician_noise", "anisotropy", "elastic"] {
        let entry = reg.get(name).unwrap();
        let scale = entry.severity.as_ref().unwrap();
        let p = (scale.build)(&Params::default()).unwrap();
        let (o, m) = p
            .apply(&im, Some(&mk), 0.0, &mut SeededRng::new(9))
            .unwrap();
        assert_eq!(o.data(), im.data(), "{name}: level 0");
        assert_eq!(m.as_ref(), Some(&mk));
        let mut last = 0.0;
        for level in 1..=5 {
            let (o, _) = p
                .apply(&im, Some(&mk), level as f64, &mut SeededRng::new(9))
                .unwrap();
            let rms = (o
                .data()
                .iter()
                .zip(im.data())
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
                / o.data().len() as f64)
                .sqrt();
            assert!(rms > last, "{name}: level {level} rms {rms} <= {last}");
            last = rms;
        }
        for bad in [-1.0, 6.0, 2.5] {
            let e = p
                .apply(&im, None, bad, &mut SeededRng::new(0))
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("{name}.severity")), "{e}");
        }
    }
}

/// Times the contract's bench cases (256x256 slice, 128^3 volume, 1 mm):
/// `cargo test --release -p sensibench-perturb --test mr_spatial -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing() {
    use std::time::Instant;
    let shapes: [(&str, Grid); 2] = [
        ("256x256", Grid::new_2d(256, 256, [1.0, 1.0]).unwrap()),
        (
            "128^3",
            Grid::new_3d([128, 128, 128], [1.0, 1.0, 1.0]).unwrap(),
        ),
    ];
    for (label, g) in shapes {
        let [d, h, w] = g.dims();
        let data: Vec<f32> = (0..g.len())
            .map(|i| {
                let (z, y, x) = (i / (h * w), (i / w) % h, i % w);
                100.0 + 50.0 * ((x as f32 * 0.05).sin() * (y as f32 * 0.07).cos()) + (z % 5) as f32
            })
            .collect();
        let im = Image::new(g.clone(), data).unwrap();
        let mk = LabelMap::new(
            g.clone(),
            im.data().iter().map(|&v| u8::from(v > 120.0)).collect(),
        )
        .unwrap();
        let time = |name: &str, f: &dyn Fn()| {
            f();
            let mut t: Vec<f64> = (0..7)
                .map(|_| {
                    let s = Instant::now();
                    f();
                    s.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            t.sort_by(f64::total_cmp);
            eprintln!("{label} {name}: median {:.2} ms", t[3]);
        };
        let coefs: Vec<f64> = (0..bias_field_terms(3))
            .map(|i| if i % 2 == 0 { 0.2 } else { -0.2 })
            .collect();
        time("bias_field o3", &|| {
            bias_field(&im, 3, &coefs).unwrap();
        });
        let rn = RicianNoise::default();
        time("rician_noise 0.05", &|| {
            rn.apply(&im, None, 0.05, &mut SeededRng::new(1)).unwrap();
        });
        let axis = if d == 1 { Axis::Y } else { Axis::Z };
        time("anisotropy 3 (+mask)", &|| {
            anisotropy(&im, Some(&mk), axis, 3.0).unwrap();
        });
        let cg = ControlGrid::random(&g, 7, 5.0, 2, &mut SeededRng::new(0)).unwrap();
        time("elastic 7/5mm (+mask)", &|| {
            elastic(&im, Some(&mk), &cg).unwrap();
        });
        time("elastic 7/5mm image only", &|| {
            elastic(&im, None, &cg).unwrap();
        });
    }
}
