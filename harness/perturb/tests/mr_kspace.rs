//! The k-space MR artefacts (spike, ghosting, motion): the kernels against
//! TorchIO 1.2.1 outputs (fixtures of tests/reference/torchio_kspace.py),
//! hand-worked cases, and the properties of the registered perturbations
//! (identity, errors, masks, severity order).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a message

mod common;

use common::params;

use std::path::PathBuf;

use sensibench_core::{Error, Grid, Image, LabelMap, ParamValue, Params, SeededRng};
use sensibench_perturb::mr::Axis;
use sensibench_perturb::mr::kspace::{
    RigidMove, RotationCentre, ghosting, motion, motion_with_centre, spike,
};
use sensibench_perturb::registry;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/kspace")
}

fn read_f32(name: &str) -> Vec<f32> {
    common::read_f32(&fixture_dir().join(name))
}

fn f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn triple(v: &serde_json::Value) -> [f64; 3] {
    let v = f64s(v);
    [v[0], v[1], v[2]]
}

fn fixture_image(meta: &serde_json::Value) -> Image {
    let dims: Vec<usize> = f64s(&meta["dims"]).iter().map(|&d| d as usize).collect();
    let spacing = f64s(&meta["spacing"]);
    let grid = if meta["ndim"].as_u64() == Some(2) {
        Grid::new_2d(dims[1], dims[2], [spacing[1], spacing[2]]).unwrap()
    } else {
        Grid::new_3d(
            [dims[0], dims[1], dims[2]],
            [spacing[0], spacing[1], spacing[2]],
        )
        .unwrap()
    };
    let input = meta["input"].as_str().unwrap();
    Image::new(grid, read_f32(&format!("{input}.in.f32"))).unwrap()
}

fn run_case(meta: &serde_json::Value, image: &Image) -> Image {
    let p = &meta["params"];
    match meta["kind"].as_str().unwrap() {
        "spike" => {
            let positions: Vec<[f64; 3]> = p["positions"]
                .as_array()
                .unwrap()
                .iter()
                .map(triple)
                .collect();
            spike(image, &positions, p["intensity"].as_f64().unwrap()).unwrap()
        }
        "ghosting" => {
            let axis = match p["axis"].as_str().unwrap() {
                "y" => Axis::Y,
                "x" => Axis::X,
                _ => Axis::Z,
            };
            ghosting(
                image,
                p["count"].as_u64().unwrap() as usize,
                axis,
                p["intensity"].as_f64().unwrap(),
                p["restore"].as_f64().unwrap(),
            )
            .unwrap()
        }
        "motion" => {
            let moves: Vec<RigidMove> = p["moves"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| RigidMove {
                    degrees: triple(&m["degrees"]),
                    translation: triple(&m["translation"]),
                    time: m["time"].as_f64().unwrap(),
                })
                .collect();
            let centre = match p["centre"].as_str().unwrap() {
                "origin" => RotationCentre::Origin,
                _ => RotationCentre::ImageCentre,
            };
            motion_with_centre(image, &moves, centre).unwrap()
        }
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn kernels_match_torchio() {
    let cases: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("cases.json")).unwrap())
            .unwrap();
    assert_eq!(cases.len(), 13);
    let mut failures = Vec::new();
    for name in &cases {
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(fixture_dir().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        let image = fixture_image(&meta);
        let expected = read_f32(&format!("{name}.out.f32"));
        let ours = run_case(&meta, &image);
        assert_eq!(ours.grid(), image.grid());
        let err = ours
            .data()
            .iter()
            .zip(&expected)
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
            .fold(0.0, f64::max);
        let tol = meta["tolerance"].as_f64().unwrap();
        let range = meta["input_range"].as_f64().unwrap();
        println!(
            "{name}: max abs error {err:.3e} = {:.2e} x range (tolerance {tol:.3e})",
            err / range
        );
        if err > tol || err.is_nan() {
            failures.push(format!("{name}: {err} > {tol}"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

fn grid_2d(h: usize, w: usize) -> Grid {
    Grid::new_2d(h, w, [1.0, 1.0]).unwrap()
}

/// A smooth non-negative phantom.
fn phantom(grid: &Grid) -> Image {
    let [d, h, w] = grid.dims();
    let mut data = Vec::with_capacity(grid.len());
    for z in 0..d {
        for y in 0..h {
            for x in 0..w {
                let (fz, fy, fx) = (
                    z as f64 / d as f64 - 0.5,
                    y as f64 / h as f64 - 0.45,
                    x as f64 / w as f64 - 0.55,
                );
                let blob = (-(fy * fy + fx * fx + fz * fz) / 0.05).exp();
                let ring = ((fy * fy + fx * fx).sqrt() * 25.0).sin().abs() * 0.2;
                data.push((100.0 * (blob + ring) + 5.0) as f32);
            }
        }
    }
    Image::new(grid.clone(), data).unwrap()
}

#[test]
fn spike_on_a_constant_image_is_a_cosine() {
    // S = c·N at DC only, so A = r·c·N and x' = c + r·c·cos(2π(k_y y/8 + k_x x/10)):
    // position y 0.375 -> m = 3 -> k_y = 3 - 4 = -1; position x 0.9 -> m = 9 -> k_x = 4.
    let (h, w, c, r) = (8, 10, 2.0f32, 0.75);
    let image = Image::filled(grid_2d(h, w), c);
    let out = spike(&image, &[[0.375, 0.9, 0.3]], r).unwrap();
    for y in 0..h {
        for x in 0..w {
            let phase = std::f64::consts::TAU * (-(y as f64) / 8.0 + 4.0 * x as f64 / 10.0);
            let want = f64::from(c) + r * f64::from(c) * phase.cos();
            let got = f64::from(out.at(0, y, x));
            assert!((got - want).abs() < 1e-6, "({y},{x}) {got} vs {want}");
        }
    }
}

#[test]
fn spike_on_a_signed_impulse_uses_the_full_spectrum() {
    // x = -1 at voxel (0,0,0): |S(k)| = 1 everywhere, so A = r and
    // x' = x + (r/N)·cos(2π k·v/n); a second spike at the same frequency
    // sees max |S| = |−1 + r| (> 1 for r = 3).
    let grid = Grid::new_3d([4, 6, 5], [1.0, 1.0, 1.0]).unwrap();
    let mut image = Image::filled(grid.clone(), 0.0);
    image.data_mut()[0] = -1.0;
    let n = grid.len() as f64;
    let r = 3.0;
    // positions (y, x, z) = (0.5, 0.0, 0.75): m = (3, 0, 3) -> k_y = 0, k_x = 0 - 2 = -2, k_z = 3 - 2 = 1
    let pos = [0.5, 0.0, 0.75];
    let one = spike(&image, &[pos], r).unwrap();
    let two = spike(&image, &[pos, pos], r).unwrap();
    let a2 = r * (-1.0f64 + r).abs();
    for z in 0..4 {
        for y in 0..6 {
            for x in 0..5 {
                let phase = std::f64::consts::TAU * (z as f64 / 4.0 - 2.0 * x as f64 / 5.0);
                let x0 = f64::from(image.at(z, y, x));
                let want1 = x0 + r / n * phase.cos();
                let want2 = x0 + (r + a2) / n * phase.cos();
                assert!((f64::from(one.at(z, y, x)) - want1).abs() < 1e-6);
                assert!((f64::from(two.at(z, y, x)) - want2).abs() < 1e-6);
            }
        }
    }
}

#[test]
fn ghosting_hand_cases() {
    let image = phantom(&grid_2d(12, 10));
    // intensity 0 and count 0 are the identity, bit for bit
    assert_eq!(ghosting(&image, 4, Axis::Y, 0.0, 0.02).unwrap(), image);
    assert_eq!(ghosting(&image, 0, Axis::Y, 0.7, 0.02).unwrap(), image);
    // count 1, no restore: every plane scaled, so x' = (1 - i)·x
    for axis in [Axis::Y, Axis::X] {
        let out = ghosting(&image, 1, axis, 0.25, 0.0).unwrap();
        for (a, b) in out.data().iter().zip(image.data()) {
            assert!((a - 0.75 * b).abs() < 1e-4, "{a} vs {b}");
        }
        // restore 1: the whole axis restored, so nothing changes
        let out = ghosting(&image, 1, axis, 0.25, 1.0).unwrap();
        for (a, b) in out.data().iter().zip(image.data()) {
            assert!((a - b).abs() < 1e-4);
        }
    }
    // a 2D image has no z axis
    let err = ghosting(&image, 4, Axis::Z, 0.5, 0.02).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "ghosting.axis"),
        "{err}"
    );
    let err = ghosting(&image, 4, Axis::Y, 1.5, 0.02).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "ghosting.intensity"),
        "{err}"
    );
}

#[test]
fn motion_hand_cases() {
    let image = phantom(&grid_2d(16, 12));
    assert_eq!(motion(&image, &[]).unwrap(), image);
    // 2D: out-of-plane components are ignored
    let planar = [RigidMove {
        degrees: [0.0, 0.0, 5.0],
        translation: [1.0, -2.0, 0.0],
        time: 0.4,
    }];
    let tilted = [RigidMove {
        degrees: [7.0, -3.0, 5.0],
        translation: [1.0, -2.0, 9.0],
        time: 0.4,
    }];
    assert_eq!(
        motion(&image, &planar).unwrap(),
        motion(&image, &tilted).unwrap()
    );
    // a constant image stays constant (the fill value is its minimum)
    let flat = Image::filled(Grid::new_3d([6, 8, 7], [2.0, 1.0, 1.5]).unwrap(), 3.5);
    let moves = [
        RigidMove {
            degrees: [3.0, -4.0, 8.0],
            translation: [1.0, 2.0, -3.0],
            time: 0.3,
        },
        RigidMove {
            degrees: [-6.0, 2.0, 1.0],
            translation: [-2.0, 0.5, 1.0],
            time: 0.7,
        },
    ];
    for v in motion(&flat, &moves).unwrap().data() {
        assert!((v - 3.5).abs() < 1e-5);
    }
    // bad times
    let bad = [
        RigidMove {
            time: 0.6,
            ..moves[0]
        },
        RigidMove {
            time: 0.5,
            ..moves[1]
        },
    ];
    let err = motion(&flat, &bad).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "motion.time"),
        "{err}"
    );
}

fn build_err(name: &str, p: &Params) -> Error {
    match (registry().get(name).unwrap().build)(p) {
        Ok(_) => panic!("{name} accepted {p:?}"),
        Err(e) => e,
    }
}

fn mean_abs_change(a: &Image, b: &Image) -> f64 {
    a.data()
        .iter()
        .zip(b.data())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).abs())
        .sum::<f64>()
        / a.data().len() as f64
}

#[test]
fn registered_perturbations() {
    let reg = registry();
    let image = phantom(&grid_2d(24, 20));
    let mask = LabelMap::new(
        image.grid().clone(),
        (0..480).map(|k| (k % 3) as u8).collect(),
    )
    .unwrap();
    for (name, value) in [("spike", 1.0), ("ghosting", 0.5), ("motion", 5.0)] {
        let entry = reg.get(name).unwrap();
        assert_eq!(entry.parameter.identity, Some(0.0));
        let p = (entry.build)(&Params::default()).unwrap();
        let mut rng = SeededRng::new(3);
        // identity: bit for bit, mask too
        let (out, m) = p.apply(&image, Some(&mask), 0.0, &mut rng).unwrap();
        assert_eq!(out, image);
        assert_eq!(m.as_ref(), Some(&mask));
        // a real change, mask unchanged, reproducible from the seed
        let (a, ma) = p
            .apply(&image, Some(&mask), value, &mut SeededRng::new(11))
            .unwrap();
        let (b, _) = p
            .apply(&image, Some(&mask), value, &mut SeededRng::new(11))
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(ma.as_ref(), Some(&mask));
        assert!(mean_abs_change(&a, &image) > 1e-3, "{name}");
        // non-finite values are refused, naming the parameter
        let err = p.apply(&image, None, f64::NAN, &mut rng).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { ref name, .. } if name.starts_with(entry.name)),
            "{err}"
        );
        // unknown options are refused
        assert!((entry.build)(&params(&[("colour", ParamValue::Number(1.0))])).is_err());
        // severity: level 0 identity, 6 refused
        let scale = entry.severity.as_ref().unwrap();
        let s = (scale.build)(&Params::default()).unwrap();
        assert_eq!(s.apply(&image, None, 0.0, &mut rng).unwrap().0, image);
        let err = s.apply(&image, None, 6.0, &mut rng).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { name: ref n, .. } if *n == format!("{name}.severity")),
            "{err}"
        );
    }
    let err = build_err("spike", &params(&[("count", ParamValue::Number(1.5))]));
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "spike.count"),
        "{err}"
    );
    let err = build_err(
        "ghosting",
        &params(&[("axis", ParamValue::Text("w".into()))]),
    );
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "ghosting.axis"),
        "{err}"
    );
    let motion = (reg.get("motion").unwrap().build)(&Params::default()).unwrap();
    let err = motion
        .apply(&image, None, -1.0, &mut SeededRng::new(1))
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref name, .. } if name == "motion.degrees"),
        "{err}"
    );
    // a fixed spike position: the result no longer depends on the rng
    let fixed = params(&[
        ("position_y", ParamValue::Number(0.3)),
        ("position_x", ParamValue::Number(0.6)),
        ("position_z", ParamValue::Number(0.5)),
    ]);
    let p = (reg.get("spike").unwrap().build)(&fixed).unwrap();
    let a = p
        .apply(&image, None, 1.0, &mut SeededRng::new(1))
        .unwrap()
        .0;
    let b = p
        .apply(&image, None, 1.0, &mut SeededRng::new(2))
        .unwrap()
        .0;
    assert_eq!(a, b);
    assert_eq!(a, spike(&image, &[[0.3, 0.6, 0.5]], 1.0).unwrap());
}

/// Seeds per artefact and level in [`severity_levels_grow`].
const SEEDS: u64 = 8;

#[test]
fn severity_levels_grow() {
    let reg = registry();
    // Big enough for 10 mm moves to stay well inside the field of view.
    let images = [
        phantom(&grid_2d(128, 112)),
        phantom(&Grid::new_3d([32, 48, 40], [1.0, 1.0, 1.0]).unwrap()),
    ];
    for image in &images {
        for name in ["spike", "ghosting", "motion"] {
            let scale = reg.get(name).unwrap().severity.as_ref().unwrap();
            let s = (scale.build)(&Params::default()).unwrap();
            // several seeds: the order must hold draw by draw
            for seed in 0..SEEDS {
                let changes: Vec<f64> = (1..=5)
                    .map(|level| {
                        let mut rng = SeededRng::new(seed * 10 + level);
                        let out = s.apply(image, None, level as f64, &mut rng).unwrap().0;
                        mean_abs_change(&out, image)
                    })
                    .collect();
                assert!(
                    changes.windows(2).all(|w| w[1] > w[0]) && changes[0] > 0.0,
                    "{name} {} seed {seed}: {changes:?}",
                    image.grid().shape_string()
                );
            }
        }
    }
}

/// Release-mode timing of the bench cases of the MR contract:
/// `cargo test --release -p sensibench-perturb --test mr_kspace -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let moves3d = [
        RigidMove {
            degrees: [2.0, -3.0, 4.0],
            translation: [1.0, -2.0, 3.0],
            time: 0.33,
        },
        RigidMove {
            degrees: [-4.0, 1.0, 2.0],
            translation: [-3.0, 2.0, 1.0],
            time: 0.66,
        },
    ];
    for grid in [
        Grid::new_2d(256, 256, [1.0, 1.0]).unwrap(),
        Grid::new_3d([128, 128, 128], [1.0; 3]).unwrap(),
    ] {
        let image = phantom(&grid);
        let mut signed = image.clone();
        signed.data_mut().iter_mut().for_each(|v| *v -= 50.0);
        let time = |label: &str, f: &dyn Fn() -> Image| {
            f();
            let reps = 5;
            let t = std::time::Instant::now();
            for _ in 0..reps {
                std::hint::black_box(f());
            }
            println!(
                "{} {label}: {:.2} ms",
                grid.shape_string(),
                t.elapsed().as_secs_f64() * 1e3 / reps as f64
            );
        };
        time("spike (non-negative)", &|| {
            spike(&image, &[[0.3, 0.6, 0.5]], 1.0).unwrap()
        });
        time("spike (signed, full FFT)", &|| {
            spike(&signed, &[[0.3, 0.6, 0.5]], 1.0).unwrap()
        });
        time("ghosting", &|| {
            ghosting(&image, 4, Axis::Y, 0.5, 0.02).unwrap()
        });
        time("motion", &|| motion(&image, &moves3d).unwrap());
    }
}
