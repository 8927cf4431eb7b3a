//! A realistic ReportData fixture: 3 models, 2 perturbations (one linear, one
//! geometric grid), 3 classes, Dice as the primary metric and HD95 as a
//! secondary one, a strip of real overlay PNGs, notes and a failure.

use sensibench_report::{
    CurvePanel, CurvePoint, Failure, Frame, Leaderboard, LeaderboardColumn, LeaderboardRow,
    ReportData, Series, Strip, overlay_png, to_base64,
};

/// The fixture's model names.
pub const MODELS: [&str; 3] = ["unet2d-acdc", "nnunet-lite", "otsu-morphology"];
/// The fixture's classes.
pub const CLASSES: [&str; 3] = ["RV", "MYO", "LV"];

/// A deterministic value in [-1, 1) from a few integers (no RNG crate).
fn jitter(a: usize, b: usize, c: usize) -> f64 {
    let mut h = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (c as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 32;
    (h % 10_000) as f64 / 5_000.0 - 1.0
}

fn dice_curve(model: usize, class: usize, severity: f64) -> f64 {
    let clean = [0.91, 0.88, 0.74][model] - [0.04, 0.07, 0.0][class] + [0.0, 0.0, 0.05][class];
    let fragility = [0.55, 0.35, 0.9][model] * [1.2, 1.0, 0.8][class];
    (clean * (-fragility * severity * severity).exp()).clamp(0.0, 1.0)
}

fn panel(
    perturbation: &str,
    parameter: &str,
    unit: &str,
    xs: &[f64],
    severity: impl Fn(f64) -> f64,
    class: usize,
    primary: bool,
) -> CurvePanel {
    let series = MODELS
        .iter()
        .enumerate()
        .map(|(m, name)| Series {
            model: name.to_string(),
            points: xs
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    let d = dice_curve(m, class, severity(x)) + 0.01 * jitter(m, class, i);
                    let (mean, half) = if primary {
                        (
                            d.clamp(0.0, 1.0),
                            0.02 + 0.05 * severity(x) * (1.0 + m as f64 * 0.3),
                        )
                    } else {
                        let hd = 3.0 + 40.0 * (1.0 - d);
                        (hd, 0.8 + 6.0 * severity(x))
                    };
                    // Otsu has no defined score on the strongest point of the first grid.
                    let undefined_everywhere =
                        m == 2 && i == xs.len() - 1 && perturbation == "gaussian_noise";
                    CurvePoint {
                        x,
                        mean: (!undefined_everywhere).then_some(mean),
                        lo: (!undefined_everywhere).then_some(if primary {
                            (mean - half).max(0.0)
                        } else {
                            mean - half
                        }),
                        hi: (!undefined_everywhere).then_some(if primary {
                            (mean + half).min(1.0)
                        } else {
                            mean + half
                        }),
                        n: if undefined_everywhere {
                            0
                        } else {
                            40 - usize::from(m == 2 && i >= 3) * 3
                        },
                        n_undefined: if undefined_everywhere {
                            40
                        } else {
                            usize::from(m == 2 && i >= 3) * 3
                        },
                    }
                })
                .collect(),
        })
        .collect();
    CurvePanel {
        perturbation: perturbation.to_string(),
        parameter: parameter.to_string(),
        unit: unit.to_string(),
        metric: if primary { "Dice" } else { "HD95" }.to_string(),
        metric_unit: if primary { "" } else { "mm" }.to_string(),
        class: CLASSES[class].to_string(),
        higher_is_better: primary,
        primary,
        dataset: "acdc-val".to_string(),
        y_min: Some(0.0),
        y_max: primary.then_some(1.0),
        series,
    }
}

/// A synthetic short-axis slice: a bright blood pool (LV), a dark ring (MYO)
/// and a crescent (RV), plus deterministic noise scaled by `sigma`.
pub fn phantom(size: usize, sigma: f64, seed: usize) -> (Vec<f32>, Vec<u8>) {
    let mut image = vec![0f32; size * size];
    let mut labels = vec![0u8; size * size];
    let c = size as f64 / 2.0;
    for r in 0..size {
        for col in 0..size {
            let (y, x) = (r as f64 - c, col as f64 - c - 4.0);
            let d = (x * x + y * y).sqrt();
            let (xr, yr) = (x + 15.0, y);
            let drv = ((xr / 1.1).powi(2) + (yr / 1.6).powi(2)).sqrt();
            let (v, l) = if d < 10.0 {
                (0.9, 3)
            } else if d < 14.0 {
                (0.3, 2)
            } else if drv < 14.0 && d >= 14.5 {
                (0.8, 1)
            } else if d < 26.0 {
                (0.45, 0)
            } else {
                (0.1, 0)
            };
            let i = r * size + col;
            image[i] = (v + sigma * jitter(seed, r, col) * 1.7) as f32;
            labels[i] = l;
        }
    }
    (image, labels)
}

/// The prediction of a model degrading with the noise: labels eroded at random.
fn degrade(labels: &[u8], size: usize, amount: f64, seed: usize) -> Vec<u8> {
    let mut out = labels.to_vec();
    for r in 0..size {
        for c in 0..size {
            let i = r * size + c;
            if jitter(seed, r, c).abs() < amount {
                out[i] = if labels[i] == 0 {
                    ((r + c) % 3 + 1) as u8 * u8::from(amount > 0.3)
                } else {
                    0
                };
            }
        }
    }
    out
}

/// The fixture.
pub fn report_data() -> ReportData {
    let noise = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4];
    let down = [1.0, 2.0, 4.0, 8.0, 16.0];
    let mut panels = Vec::new();
    for primary in [true, false] {
        for class in 0..3 {
            panels.push(panel(
                "gaussian_noise",
                "sigma",
                "× image SD",
                &noise,
                |x| 3.0 * x,
                class,
                primary,
            ));
        }
    }
    for primary in [true, false] {
        for class in 0..3 {
            panels.push(panel(
                "downsample",
                "factor",
                "",
                &down,
                |x: f64| x.log2() / 2.5,
                class,
                primary,
            ));
        }
    }

    let size = 64;
    let strips = MODELS
        .iter()
        .enumerate()
        .map(|(m, name)| Strip {
            perturbation: "gaussian_noise".to_string(),
            parameter: "sigma".to_string(),
            unit: "× image SD".to_string(),
            metric: "Dice".to_string(),
            sample: "patient101_frame01_slice05".to_string(),
            model: name.to_string(),
            frames: noise
                .iter()
                .enumerate()
                .map(|(i, &sigma)| {
                    let (image, labels) = phantom(size, sigma, i);
                    let pred = degrade(&labels, size, sigma * [0.8, 0.5, 1.6][m], m * 10 + i);
                    let png =
                        overlay_png(&image, size, size, &pred, None).expect("fixture overlay");
                    Frame {
                        x: sigma,
                        png_base64: to_base64(&png),
                        score: (!(m == 2 && i == noise.len() - 1))
                            .then(|| dice_curve(m, 1, 3.0 * sigma)),
                    }
                })
                .collect(),
        })
        .collect();

    let column = |name: &str, higher: Option<bool>, description: &str| LeaderboardColumn {
        name: name.to_string(),
        higher_is_better: higher,
        description: description.to_string(),
    };
    let values = [
        [
            Some(0.871),
            Some(0.742),
            Some(0.801),
            Some(0.688),
            Some(0.412),
            Some(0.459),
            Some(0.951),
        ],
        [
            Some(0.842),
            Some(0.756),
            Some(0.812),
            Some(0.702),
            Some(0.455),
            Some(0.387),
            Some(0.962),
        ],
        [
            Some(0.738),
            Some(0.498),
            Some(0.551),
            Some(0.471),
            None,
            Some(0.738),
            Some(0.903),
        ],
    ];
    let order = [1usize, 0, 2];
    let rows = order
        .iter()
        .enumerate()
        .map(|(rank, &m)| LeaderboardRow {
            rank: rank + 1,
            model: MODELS[m].to_string(),
            values: values[m].to_vec(),
            ci: vec![],
        })
        .collect();

    ReportData {
        title: "Cardiac cine MRI segmentation: robustness to acquisition perturbations".to_string(),
        suite: "cardiac".to_string(),
        description: "Three short-axis segmentation models (RV, myocardium, LV) evaluated on the ACDC \
                      validation split under Gaussian noise and in-plane downsampling. Every perturbation \
                      point is applied to every sample with a seed derived from its identity."
            .to_string(),
        run_id: "2026-11-24T10-31-07Z-3f9c2a".to_string(),
        created: "2026-11-24 10:31:07 UTC".to_string(),
        provenance: vec![
            ("harness version".to_string(), "0.1.0".to_string()),
            ("git sha".to_string(), "f3c6c6e1b2a4d5c6e7f8091a2b3c4d5e6f708192".to_string()),
            ("suite hash".to_string(), "sha256:9a1d0c7e55b1f8a2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182930".to_string()),
            ("seed".to_string(), "20261124".to_string()),
            ("model unet2d-acdc".to_string(), "sha256:41c2e9…b7d0".to_string()),
            ("model nnunet-lite".to_string(), "sha256:0d9a7f…11ce".to_string()),
            ("model otsu-morphology".to_string(), "native plugin classical-seg 0.1.0".to_string()),
        ],
        notes: vec![
            "Dataset mnms-vendorB skipped: folder /data/mnms not found.".to_string(),
            "otsu-morphology produced empty masks for every sample at sigma = 0.4; those points are undefined.".to_string(),
        ],
        ci_label: "95% percentile bootstrap CI of the mean over samples (1000 resamples)".to_string(),
        leaderboard: Leaderboard {
            metric: "Dice (mean over classes and grid)".to_string(),
            higher_is_better: true,
            columns: vec![
                column("Clean", Some(true), "Dice on unperturbed inputs"),
                column("Mean", Some(true), "mean Dice over every perturbation point"),
                column("nAUC noise", Some(true), "normalised area under the gaussian_noise curve"),
                column("nAUC downsample", Some(true), "normalised area under the downsample curve"),
                column("Worst", Some(true), "lowest mean Dice of any point"),
                column("Deg", Some(false), "Clean − Worst"),
                column("OA", Some(true), "overall accuracy of the foreground/background decision"),
            ],
            rows,
        },
        efficiency: Vec::new(),
        panels,
        strips,
        failures: vec![Failure {
            model: "otsu-morphology".to_string(),
            dataset: "acdc-val".to_string(),
            perturbation: "downsample".to_string(),
            reason: "plugin returned status 3: output shape [1, 32, 32] does not match input [1, 64, 64]".to_string(),
            rows: 24,
        }],
        classification: None,
    }
}
