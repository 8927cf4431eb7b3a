//! A classification ReportData fixture: 2 models, a binary task, a shortcut
//! table with 3 conditions, paired tests, 2 confusion matrices, a saliency
//! gallery (real PNGs from `saliency_png`), class-mean maps (`heat_png`) and a
//! localisation table.

use sensibench_report::{
    AucCell, ClassMap, ClassificationReport, ConfusionView, Leaderboard, LeaderboardColumn,
    LeaderboardRow, LocalisationRow, PairedTestRow, ReportData, SaliencyFrame, SaliencyGallery,
    SaliencyGalleryRow, ShortcutTable, ShortcutTableRow, heat_png, saliency_png, to_base64,
};

/// The fixture's model names.
pub const MODELS: [&str; 2] = ["densenet121-cxr", "resnet18-cxr"];
/// The fixture's classes.
pub const CLASSES: [&str; 2] = ["normal", "pneumothorax"];
/// The fixture's image size.
pub const SIZE: usize = 48;

/// The marker box: rows 3..11, columns 34..45 (top right, like a side marker).
pub fn marker_box() -> Vec<bool> {
    (0..SIZE * SIZE)
        .map(|i| {
            let (r, c) = (i / SIZE, i % SIZE);
            (3..11).contains(&r) && (34..45).contains(&c)
        })
        .collect()
}

/// A chest-like grey phantom: a bright body, two darker lungs, a bright marker.
pub fn phantom(with_marker: bool) -> Vec<f32> {
    let marker = marker_box();
    (0..SIZE * SIZE)
        .map(|i| {
            let (r, c) = (i / SIZE, i % SIZE);
            let (y, x) = (r as f32 / SIZE as f32 - 0.55, c as f32 / SIZE as f32 - 0.5);
            let body = if (x * x) / 0.18 + (y * y) / 0.22 < 1.0 {
                0.7
            } else {
                0.05
            };
            let lung = |cx: f32| ((x - cx) * (x - cx)) / 0.018 + (y * y) / 0.09 < 1.0;
            let v = if lung(-0.17) || lung(0.17) {
                0.25 + 0.1 * (y + 0.3)
            } else {
                body
            };
            if with_marker && marker[i] { 1.0 } else { v }
        })
        .collect()
}

/// A Gaussian blob centred at `(row, col)` with spread `sd` pixels.
pub fn blob(row: f32, col: f32, sd: f32) -> Vec<f32> {
    (0..SIZE * SIZE)
        .map(|i| {
            let (r, c) = ((i / SIZE) as f32, (i % SIZE) as f32);
            (-((r - row).powi(2) + (c - col).powi(2)) / (2.0 * sd * sd)).exp()
        })
        .collect()
}

fn mass(map: &[f32], region: &[bool]) -> f64 {
    let total: f64 = map.iter().map(|&v| f64::from(v.max(0.0))).sum();
    let inside: f64 = map
        .iter()
        .zip(region)
        .filter(|(_, r)| **r)
        .map(|(&v, _)| f64::from(v.max(0.0)))
        .sum();
    inside / total
}

fn frame(with_marker: bool, map: &[f32], caption: &str) -> SaliencyFrame {
    let region = marker_box();
    let png = saliency_png(&phantom(with_marker), SIZE, SIZE, map, Some(&region))
        .expect("fixture saliency overlay");
    SaliencyFrame {
        png_base64: to_base64(&png),
        caption: caption.to_string(),
        mass: Some(mass(map, &region)),
    }
}

fn auc(auc: f64, ci: (f64, f64), delta: Option<f64>, p: Option<f64>, n: usize) -> AucCell {
    AucCell {
        auc: Some(auc),
        ci: Some(ci),
        delta,
        p,
        n,
    }
}

/// The paired tests of the fixture.
pub fn tests_rows() -> Vec<PairedTestRow> {
    let row = |kind: &str, condition: &str, a: &str, b: &str, p: [f64; 3]| PairedTestRow {
        dataset: "cxr-internal".to_string(),
        kind: kind.to_string(),
        condition: condition.to_string(),
        a: a.to_string(),
        b: b.to_string(),
        n: 400,
        accuracy: (Some(0.8825), Some(0.8475)),
        mcnemar_p: Some(p[0]),
        stuart_maxwell: Some((4.213, 1, p[1])),
        auc: (Some(0.9312), Some(0.9027)),
        delong_p: Some(p[2]),
    };
    vec![
        row(
            "models",
            "none",
            MODELS[0],
            MODELS[1],
            [0.0412, 0.0401, 0.0163],
        ),
        row(
            "models",
            "marker removed",
            MODELS[0],
            MODELS[1],
            [0.52, 0.61, 0.2874],
        ),
        row(
            "condition",
            "marker removed",
            MODELS[0],
            "marker removed",
            [0.00021, 0.00019, 0.0000032],
        ),
        PairedTestRow {
            stuart_maxwell: None,
            delong_p: None,
            auc: (None, None),
            ..row(
                "condition",
                "marker removed",
                MODELS[1],
                "marker removed",
                [0.0071, 0.5, 0.5],
            )
        },
    ]
}

/// The fixture.
pub fn classification_report() -> ReportData {
    let column = |name: &str, higher: Option<bool>, description: &str| LeaderboardColumn {
        name: name.to_string(),
        higher_is_better: higher,
        description: description.to_string(),
    };
    let leaderboard = Leaderboard {
        metric: "ROC AUC on the internal test set".to_string(),
        higher_is_better: true,
        columns: vec![
            column("AUC", Some(true), "ROC AUC, unperturbed"),
            column("Accuracy", Some(true), "accuracy at threshold 0.5"),
            column("ECE", Some(false), "expected calibration error (15 bins)"),
        ],
        rows: vec![
            LeaderboardRow {
                rank: 1,
                model: MODELS[0].to_string(),
                values: vec![Some(0.9312), Some(0.8825), Some(0.041)],
                ci: vec![Some((0.9071, 0.9528)), Some((0.85, 0.9125)), None],
            },
            LeaderboardRow {
                rank: 2,
                model: MODELS[1].to_string(),
                values: vec![Some(0.9027), Some(0.8475), Some(0.067)],
                ci: vec![Some((0.8744, 0.9301)), Some((0.8125, 0.8825)), None],
            },
        ],
    };
    let shortcut = ShortcutTable {
        reference: "internal (markers as in training)".to_string(),
        conditions: vec![
            "marker removed".to_string(),
            "marker swapped".to_string(),
            "external site".to_string(),
        ],
        saliency_method: Some("crm".to_string()),
        test_label: "DeLong's test for two correlated ROC curves, two-sided".to_string(),
        rows: vec![
            ShortcutTableRow {
                model: MODELS[0].to_string(),
                reference: auc(0.9312, (0.9071, 0.9528), None, None, 400),
                cells: vec![
                    auc(
                        0.7182,
                        (0.6701, 0.7655),
                        Some(-0.2130),
                        Some(0.0000032),
                        400,
                    ),
                    auc(0.6409, (0.5873, 0.6921), Some(-0.2903), Some(0.0031), 400),
                    auc(0.8794, (0.8411, 0.9130), Some(-0.0518), Some(0.4123), 250),
                ],
                saliency_mass: Some(0.634),
            },
            ShortcutTableRow {
                model: MODELS[1].to_string(),
                reference: auc(0.9027, (0.8744, 0.9301), None, None, 400),
                cells: vec![
                    auc(0.8911, (0.8593, 0.9207), Some(-0.0116), Some(0.62), 400),
                    auc(0.9120, (0.8840, 0.9372), Some(0.0093), Some(0.0496), 400),
                    AucCell {
                        n: 250,
                        ..Default::default()
                    },
                ],
                saliency_mass: Some(0.087),
            },
        ],
    };
    // Confusion matrices: rows = truth, columns = predicted.
    let confusion = vec![
        ConfusionView {
            model: MODELS[0].to_string(),
            dataset: "cxr-internal".to_string(),
            condition: "none".to_string(),
            counts: vec![182, 18, 29, 171],
        },
        ConfusionView {
            model: MODELS[0].to_string(),
            dataset: "cxr-internal".to_string(),
            condition: "marker removed".to_string(),
            counts: vec![141, 59, 77, 123],
        },
    ];
    let on_marker = blob(7.0, 39.0, 3.5);
    let on_lung = blob(26.0, 15.0, 6.0);
    let gallery = SaliencyGallery {
        model: MODELS[0].to_string(),
        method: "crm".to_string(),
        dataset: "cxr-internal".to_string(),
        conditions: vec!["original".to_string(), "marker removed".to_string()],
        rows: vec![
            SaliencyGalleryRow {
                sample: "cxr-000142".to_string(),
                truth: CLASSES[1].to_string(),
                frames: vec![
                    frame(true, &on_marker, "pneumothorax 0.93"),
                    frame(false, &on_lung, "normal 0.61"),
                ],
            },
            SaliencyGalleryRow {
                sample: "cxr-000377".to_string(),
                truth: CLASSES[0].to_string(),
                frames: vec![
                    frame(true, &blob(8.0, 37.0, 5.0), "normal 0.88"),
                    frame(false, &blob(30.0, 32.0, 7.0), "normal 0.72"),
                ],
            },
        ],
    };
    let class_maps = CLASSES
        .iter()
        .enumerate()
        .map(|(k, class)| {
            let map = if k == 1 {
                blob(7.0, 39.0, 5.0)
            } else {
                blob(26.0, 24.0, 10.0)
            };
            ClassMap {
                model: MODELS[0].to_string(),
                method: "crm".to_string(),
                class: class.to_string(),
                n: [200, 200][k],
                png_base64: to_base64(&heat_png(&map, SIZE, SIZE).expect("fixture heat map")),
            }
        })
        .collect();
    let localisation = vec![
        LocalisationRow {
            model: MODELS[0].to_string(),
            method: "crm".to_string(),
            dataset: "cxr-internal".to_string(),
            condition: "none".to_string(),
            mass: Some(0.634),
            rank: Some(0.512),
            pointing: Some(0.8),
            n: 380,
        },
        LocalisationRow {
            model: MODELS[1].to_string(),
            method: "crm".to_string(),
            dataset: "cxr-internal".to_string(),
            condition: "none".to_string(),
            mass: Some(0.087),
            rank: Some(0.061),
            pointing: None,
            n: 380,
        },
    ];
    ReportData {
        title: "Chest radiograph classification: reliance on side markers".to_string(),
        suite: "cxr-shortcut".to_string(),
        description: "Two pneumothorax classifiers trained on radiographs whose laterality \
                      markers correlate with the label, evaluated with the markers as in \
                      training, removed, swapped, and on an external site."
            .to_string(),
        run_id: "2026-12-09T14-02-11Z-5be1d0".to_string(),
        created: "2026-12-09 14:02:11 UTC".to_string(),
        provenance: vec![
            ("harness version".to_string(), "0.1.0".to_string()),
            ("seed".to_string(), "20261209".to_string()),
        ],
        ci_label: "95% percentile bootstrap CI over images (1000 resamples)".to_string(),
        leaderboard,
        classification: Some(ClassificationReport {
            classes: CLASSES.iter().map(|c| c.to_string()).collect(),
            shortcut: Some(shortcut),
            tests: tests_rows(),
            confusion,
            galleries: vec![gallery],
            class_maps,
            localisation,
            labels: None,
        }),
        ..Default::default()
    }
}
