//! Properties every perturbation must have: identity values change nothing,
//! noise is reproducible from its seed, masks move with geometric
//! perturbations, in-plane operations treat a volume slice by slice, and bad
//! values or options are errors (never panics).

#![allow(clippy::unwrap_used)] // a panic in a test is a failure with a message

mod common;

use common::{apply, params};

use std::collections::BTreeMap;

use sensibench_core::{Error, Grid, Image, LabelMap, ParamValue, Params, Registry, SeededRng};
use sensibench_perturb::{register_all, registry, resample};

/// A 2D test image (non-square) with a few labels, and a 3D one.
fn image_2d() -> (Image, LabelMap) {
    let (h, w) = (11, 9);
    let grid = Grid::new_2d(h, w, [1.0, 1.0]).unwrap();
    let data = (0..h * w)
        .map(|k| ((k * 37) % 23) as f32 * 1.5 - 4.0)
        .collect();
    let mask = (0..h * w).map(|k| ((k / w + k % w) % 4) as u8).collect();
    (
        Image::new(grid.clone(), data).unwrap(),
        LabelMap::new(grid, mask).unwrap(),
    )
}

fn image_3d() -> (Image, LabelMap) {
    let dims = [4, 10, 10];
    let grid = Grid::new_3d(dims, [2.0, 0.8, 0.8]).unwrap();
    let n = grid.len();
    let data = (0..n).map(|k| ((k * 53) % 31) as f32 - 7.5).collect();
    let mask = (0..n)
        .map(|k| (k % 7 == 0) as u8 + (k % 11 == 0) as u8)
        .collect();
    (
        Image::new(grid.clone(), data).unwrap(),
        LabelMap::new(grid, mask).unwrap(),
    )
}

/// The seed of every [`apply`] of this file.
const SEED: u64 = 7;

#[test]
fn registry_lists_every_perturbation_once() {
    let reg = registry();
    assert_eq!(reg.kind(), "perturbation");
    let names: Vec<&str> = reg.names().collect();
    assert_eq!(
        names,
        [
            "anisotropy",
            "bias_field",
            "brightness",
            "contrast",
            "crop",
            "dihedral",
            "elastic",
            "flip",
            "gamma",
            "gaussian_blur",
            "gaussian_noise",
            "ghosting",
            "marker_inject",
            "marker_remove",
            "marker_swap",
            "minmax_clip",
            "motion",
            "resolution",
            "rician_noise",
            "rotate",
            "spike",
            "translate",
            "zoom"
        ]
    );
    // the MR artefacts, and only they, have a severity scale
    let with_scale: Vec<&str> = reg
        .iter()
        .filter(|(_, e)| e.severity.is_some())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        with_scale,
        [
            "anisotropy",
            "bias_field",
            "elastic",
            "ghosting",
            "motion",
            "rician_noise",
            "spike"
        ]
    );
    let mut again = registry();
    assert!(matches!(
        register_all(&mut again),
        Err(Error::DuplicateName { .. })
    ));
    let mut empty = Registry::new("perturbation");
    register_all(&mut empty).unwrap();
    assert_eq!(empty.names().count(), 23);
}

#[test]
fn identity_values_change_nothing() {
    let reg = registry();
    for (image, mask) in [image_2d(), image_3d()] {
        for (name, entry) in reg.iter() {
            // marker_remove has none (tested in marker_reference.rs).
            let Some(identity) = entry.parameter.identity else {
                continue;
            };
            let p = (entry.build)(&Params::default()).unwrap();
            let (out, out_mask) = p
                .apply(&image, Some(&mask), identity, &mut SeededRng::new(3))
                .unwrap();
            assert_eq!(
                out, image,
                "{name} at identity {identity} changed the image"
            );
            assert_eq!(out_mask.as_ref(), Some(&mask), "{name} changed the mask");
            let (_, none) = p
                .apply(&image, None, identity, &mut SeededRng::new(3))
                .unwrap();
            assert!(none.is_none(), "{name} invented a mask");
            // severity level 0 is the identity too
            if let Some(sev) = &entry.severity {
                let p = (sev.build)(&Params::default()).unwrap();
                let (out, out_mask) = p
                    .apply(&image, Some(&mask), 0.0, &mut SeededRng::new(3))
                    .unwrap();
                assert_eq!(out, image, "{name} at severity 0 changed the image");
                assert_eq!(out_mask.as_ref(), Some(&mask), "{name} severity 0 mask");
                assert!(
                    p.apply(&image, None, 6.0, &mut SeededRng::new(3)).is_err(),
                    "{name} accepted severity 6"
                );
            }
        }
    }
}

#[test]
fn noise_is_reproducible_from_the_seed() {
    let (image, mask) = image_3d();
    let p = (registry().get("gaussian_noise").unwrap().build)(&Params::default()).unwrap();
    let run = |seed| {
        p.apply(&image, Some(&mask), 0.1, &mut SeededRng::new(seed))
            .unwrap()
    };
    let (a, am) = run(11);
    let (b, _) = run(11);
    let (c, _) = run(12);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(am.as_ref(), Some(&mask));
    // exactly x + sigma * (max - min) * N(0,1), drawn in voxel order
    let (lo, hi) = image.min_max();
    let scale = 0.1 * f64::from(hi - lo);
    let mut rng = SeededRng::new(11);
    for (k, (&x, &y)) in image.data().iter().zip(a.data()).enumerate() {
        let want = (f64::from(x) + scale * rng.normal()) as f32;
        assert_eq!(y, want, "voxel {k}");
    }
    // absolute sigma: standard deviation of the difference is sigma
    let abs = params(&[("absolute", ParamValue::Bool(true))]);
    let big = Image::filled(Grid::new_2d(200, 200, [1.0, 1.0]).unwrap(), 5.0);
    let (n, _) = apply(SEED, "gaussian_noise", &abs, &big, None, 2.0).unwrap();
    let d: Vec<f64> = n.data().iter().map(|&v| f64::from(v) - 5.0).collect();
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let sd = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
    assert!(
        mean.abs() < 0.03 && (sd - 2.0).abs() < 0.03,
        "mean {mean}, sd {sd}"
    );
}

/// A 9x9 image/mask with one labelled pixel at `(y, x)`; the image is 100 there, 0 elsewhere.
fn dot(y: usize, x: usize, spacing: [f64; 2]) -> (Image, LabelMap) {
    let grid = Grid::new_2d(9, 9, spacing).unwrap();
    let mut image = Image::filled(grid.clone(), 0.0);
    let mut mask = LabelMap::filled(grid, 0);
    image.data_mut()[y * 9 + x] = 100.0;
    mask.data_mut()[y * 9 + x] = 2;
    (image, mask)
}

fn where_is(mask: &LabelMap) -> Vec<(usize, usize)> {
    let w = mask.grid().width();
    mask.data()
        .iter()
        .enumerate()
        .filter(|(_, v)| **v == 2)
        .map(|(k, _)| (k / w, k % w))
        .collect()
}

#[test]
fn masks_move_with_geometric_perturbations() {
    let none = Params::default();
    let (image, mask) = dot(1, 7, [1.0, 1.0]);
    let cases: Vec<(&str, Params, f64, (usize, usize))> = vec![
        // counter-clockwise as displayed: top-right goes to top-left
        ("rotate", none.clone(), 90.0, (1, 1)),
        ("rotate", none.clone(), -90.0, (7, 7)),
        ("rotate", none.clone(), 180.0, (7, 1)),
        ("dihedral", none.clone(), 1.0, (1, 1)),
        ("dihedral", none.clone(), 4.0, (1, 1)),
        ("dihedral", none.clone(), 5.0, (1, 7)),
        (
            "flip",
            params(&[("axis", ParamValue::Text("y".into()))]),
            1.0,
            (7, 7),
        ),
        ("flip", none.clone(), 1.0, (1, 1)),
        // zoom 2 about the centre (4, 4): (1, 7) -> (-2, 10) leaves, (3, 5) -> (2, 6)
        ("translate", none.clone(), -3.0, (1, 4)),
        (
            "translate",
            params(&[("axis", ParamValue::Text("y".into()))]),
            2.0,
            (3, 7),
        ),
    ];
    for (name, opts, value, want) in cases {
        let (out, m) = apply(SEED, name, &opts, &image, Some(&mask), value).unwrap();
        let m = m.unwrap();
        assert_eq!(where_is(&m), vec![want], "{name} {value} {:?}", opts.0);
        assert_eq!(
            out.at(0, want.0, want.1),
            100.0,
            "{name} {value}: image follows the mask"
        );
    }
    let (image, mask) = dot(3, 5, [1.0, 1.0]);
    let (_, m) = apply(SEED, "zoom", &none, &image, Some(&mask), 2.0).unwrap();
    // output o samples o/2 + 2: the pixel at 3 is seen from 2 (3 - 0.5 rounds up), and 5 from 6
    let found = where_is(&m.unwrap());
    assert!(found.contains(&(2, 6)), "{found:?}");
    // translate is in mm: 2.4 mm at 0.8 mm/pixel is 3 pixels
    let (image, mask) = dot(4, 2, [1.0, 0.8]);
    let (_, m) = apply(SEED, "translate", &none, &image, Some(&mask), 2.4).unwrap();
    assert_eq!(where_is(&m.unwrap()), vec![(4, 5)]);
    // crop blanks the mask outside the box
    let (image, mask) = dot(0, 0, [1.0, 1.0]);
    let (out, m) = apply(SEED, "crop", &none, &image, Some(&mask), 0.5).unwrap();
    assert!(where_is(&m.unwrap()).is_empty());
    assert_eq!(out.at(0, 0, 0), 0.0);
}

#[test]
fn dihedral_swaps_spacing_and_is_a_group() {
    let grid = Grid::new_2d(5, 5, [2.0, 0.5]).unwrap();
    let image = Image::new(grid, (0..25).map(|v| v as f32).collect()).unwrap();
    let (r, _) = apply(SEED, "dihedral", &Params::default(), &image, None, 1.0).unwrap();
    assert_eq!(r.grid().spacing(), [1.0, 0.5, 2.0]);
    // four quarter turns and two flips are the identity
    let mut x = image.clone();
    for _ in 0..4 {
        x = apply(SEED, "dihedral", &Params::default(), &x, None, 1.0)
            .unwrap()
            .0;
    }
    assert_eq!(x, image);
    let f = apply(SEED, "dihedral", &Params::default(), &image, None, 4.0)
        .unwrap()
        .0;
    assert_eq!(
        apply(SEED, "dihedral", &Params::default(), &f, None, 4.0)
            .unwrap()
            .0,
        image
    );
}

#[test]
fn in_plane_operations_act_slice_by_slice() {
    let (vol, mask) = image_3d();
    let cases: Vec<(&str, f64)> = vec![
        ("rotate", 33.0),
        ("zoom", 1.3),
        ("crop", 0.6),
        ("translate", 1.7),
        ("dihedral", 3.0),
        ("flip", 1.0),
    ];
    for (name, value) in cases {
        let opts = Params(BTreeMap::from([(
            "fill".to_string(),
            ParamValue::Number(-1.0),
        )]));
        let opts = if matches!(name, "dihedral" | "flip") {
            Params::default()
        } else {
            opts
        };
        let (out, m) = apply(SEED, name, &opts, &vol, Some(&mask), value).unwrap();
        let m = m.unwrap();
        for z in 0..vol.grid().depth() {
            let (s, sm) = apply(
                SEED,
                name,
                &opts,
                &vol.slice_z(z).unwrap(),
                Some(&mask.slice_z(z).unwrap()),
                value,
            )
            .unwrap();
            assert_eq!(out.slice_z(z).unwrap().data(), s.data(), "{name} slice {z}");
            assert_eq!(
                m.slice_z(z).unwrap().data(),
                sm.unwrap().data(),
                "{name} mask slice {z}"
            );
        }
    }
    // resolution with axes: in_plane also works slice by slice
    let opts = params(&[("axes", ParamValue::Text("in_plane".into()))]);
    let (out, _) = apply(SEED, "resolution", &opts, &vol, None, 3.0).unwrap();
    let (s, _) = apply(
        SEED,
        "resolution",
        &opts,
        &vol.slice_z(2).unwrap(),
        None,
        3.0,
    )
    .unwrap();
    assert_eq!(out.slice_z(2).unwrap().data(), s.data());
}

#[test]
fn intensity_edge_cases() {
    let none = Params::default();
    let flat = Image::filled(Grid::new_2d(4, 4, [1.0, 1.0]).unwrap(), 3.0);
    assert_eq!(
        apply(SEED, "gamma", &none, &flat, None, 2.0).unwrap().0,
        flat
    );
    assert_eq!(
        apply(SEED, "gaussian_noise", &none, &flat, None, 0.5)
            .unwrap()
            .0,
        flat
    );
    let (image, _) = image_2d();
    let (c0, _) = apply(SEED, "contrast", &none, &image, None, 0.0).unwrap();
    let mean = image.data().iter().map(|&v| f64::from(v)).sum::<f64>() / image.data().len() as f64;
    assert!(c0.data().iter().all(|&v| v == mean as f32));
    // gamma keeps min and max
    let (g, _) = apply(SEED, "gamma", &none, &image, None, 2.5).unwrap();
    assert_eq!(g.min_max(), image.min_max());
}

#[test]
fn bad_values_and_options_are_errors() {
    let (image, mask) = image_2d();
    let none = Params::default();
    let bad: &[(&str, &[f64])] = &[
        ("rotate", &[f64::NAN, f64::INFINITY]),
        ("zoom", &[0.0, -1.0, f64::NAN]),
        ("crop", &[0.0, 1.5, -0.2]),
        ("translate", &[f64::NEG_INFINITY]),
        ("dihedral", &[-1.0, 8.0, 1.5]),
        ("flip", &[0.5, 2.0, -1.0]),
        ("resolution", &[0.5, 0.0, f64::NAN]),
        ("brightness", &[f64::NAN]),
        ("contrast", &[-0.1]),
        ("gamma", &[0.0, -2.0]),
        ("gaussian_noise", &[-0.1]),
        ("gaussian_blur", &[-1.0, f64::INFINITY]),
    ];
    for (name, values) in bad {
        for &v in *values {
            match apply(SEED, name, &none, &image, Some(&mask), v) {
                Err(Error::InvalidParameter { name: n, .. }) => assert!(n.starts_with(name), "{n}"),
                other => panic!(
                    "{name} = {v}: expected InvalidParameter, got {:?}",
                    other.map(|_| ())
                ),
            }
        }
    }
    // a quarter turn of a non-square plane transposes its shape, as np.rot90:
    // out[i][j] = in[j][W - 1 - i], out is W x H
    let (turned, turned_mask) = apply(SEED, "dihedral", &none, &image, Some(&mask), 1.0).unwrap();
    let (h, w) = (image.grid().height(), image.grid().width());
    assert_eq!(image.grid().shape_string(), "11x9");
    assert_eq!(turned.grid().shape_string(), "9x11");
    let turned_mask = turned_mask.unwrap();
    for i in 0..w {
        for j in 0..h {
            assert_eq!(turned.at(0, i, j), image.at(0, j, w - 1 - i));
            assert_eq!(turned_mask.at(0, i, j), mask.at(0, j, w - 1 - i));
        }
    }
    // unknown options, with a suggestion
    let e = apply(
        SEED,
        "rotate",
        &params(&[("fil", ParamValue::Number(0.0))]),
        &image,
        None,
        1.0,
    )
    .unwrap_err();
    assert!(e.to_string().contains("did you mean `fill`"), "{e}");
    assert!(
        apply(
            SEED,
            "gamma",
            &params(&[("axis", ParamValue::Text("x".into()))]),
            &image,
            None,
            1.0
        )
        .is_err()
    );
    // option values of the wrong kind or outside their domain
    for (name, key, v) in [
        ("translate", "axis", ParamValue::Text("z".into())),
        ("flip", "axis", ParamValue::Number(1.0)),
        ("zoom", "fill", ParamValue::Text("min".into())),
        ("zoom", "fill", ParamValue::Number(f64::NAN)),
        ("resolution", "axes", ParamValue::Text("z".into())),
        ("gaussian_noise", "absolute", ParamValue::Text("yes".into())),
    ] {
        let r = apply(SEED, name, &params(&[(key, v.clone())]), &image, None, 1.0);
        assert!(
            matches!(r, Err(Error::InvalidParameter { .. })),
            "{name} {key} {v:?}"
        );
    }
}

#[test]
fn resample_edge_cases() {
    let (image, mask) = image_3d();
    assert!(resample::resize_image(&image, 0, 4).is_err());
    assert!(resample::resize_labels(&mask, 3, 0).is_err());
    assert_eq!(resample::resize_image(&image, 10, 10).unwrap(), image);
    let up = resample::resize_labels(&mask, 20, 20).unwrap();
    assert_eq!(up.grid().dims(), [4, 20, 20]);
    assert_eq!(up.grid().spacing(), [2.0, 0.4, 0.4]);
    // nearest-exact doubling repeats every label twice
    assert_eq!(up.at(1, 5, 7), mask.at(1, 2, 3));
    assert_eq!(
        resample::resize_plane_f32(&[1.0, 3.0], 1, 2, 1, 4),
        vec![1.0, 1.5, 2.5, 3.0]
    );
}
