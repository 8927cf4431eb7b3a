//! A realistic data-efficiency fixture (made-up numbers shaped like the
//! transfer-learning study): 4 pretraining sources, n = 1, 2, 5, 10, 20,
//! 4 folds, Dice and RMS distance-to-agreement on two datasets, with and
//! without a human band.

use sensibench_report::{
    EfficiencyCurve, EfficiencyPanel, EfficiencyPoint, HumanBand, Leaderboard, LeaderboardColumn,
    LeaderboardRow, ReportData,
};

/// The fixture's pretraining sources.
pub const SOURCES: [&str; 4] = ["random", "supervised", "autoencoder", "mednist"];
/// The fixture's numbers of training images.
pub const NS: [usize; 5] = [1, 2, 5, 10, 20];

/// Fold-mean Dice on the CT slices, per source and n.
const CT_DICE: [[f64; 5]; 4] = [
    [0.412, 0.553, 0.708, 0.802, 0.857],
    [0.741, 0.823, 0.884, 0.906, 0.925],
    [0.583, 0.688, 0.797, 0.858, 0.893],
    [0.521, 0.634, 0.762, 0.841, 0.881],
];
/// Fold-mean RMS distance-to-agreement (mm) on the CT slices.
const CT_RMS: [[f64; 5]; 4] = [
    [9.8, 7.1, 4.9, 3.4, 2.6],
    [4.6, 3.1, 2.0, 1.6, 1.3],
    [6.9, 5.0, 3.2, 2.3, 1.8],
    [7.8, 5.6, 3.7, 2.5, 2.0],
];
/// Fold-mean Dice on the synthetic phantoms (easier).
const PH_DICE: [[f64; 5]; 4] = [
    [0.552, 0.681, 0.812, 0.884, 0.921],
    [0.842, 0.893, 0.931, 0.947, 0.958],
    [0.701, 0.792, 0.872, 0.912, 0.938],
    [0.648, 0.754, 0.851, 0.903, 0.931],
];
/// Fold-mean RMS distance-to-agreement (mm) on the synthetic phantoms.
const PH_RMS: [[f64; 5]; 4] = [
    [6.2, 4.4, 2.9, 2.1, 1.6],
    [2.4, 1.8, 1.3, 1.1, 0.9],
    [4.1, 3.0, 2.0, 1.5, 1.2],
    [4.8, 3.4, 2.3, 1.6, 1.3],
];

/// One curve: `means[i]` at `NS[i]` with a half-width that shrinks with n
/// (`spread · (0.5 + 1/√n)`), clipped to `[0, cap]`.
fn curve(source: &str, means: &[f64; 5], spread: f64, cap: f64) -> EfficiencyCurve {
    EfficiencyCurve {
        source: source.to_string(),
        points: NS
            .iter()
            .zip(means)
            .map(|(&n, &m)| {
                let half = spread * (0.5 + 1.0 / (n as f64).sqrt());
                EfficiencyPoint {
                    n,
                    mean: Some(m),
                    lo: Some((m - half).max(0.0)),
                    hi: Some((m + half).min(cap)),
                    folds: 4,
                }
            })
            .collect(),
    }
}

fn panel(
    dataset: &str,
    dice: bool,
    table: &[[f64; 5]; 4],
    band: Option<HumanBand>,
) -> EfficiencyPanel {
    let (spread, cap) = if dice { (0.045, 1.0) } else { (0.9, f64::MAX) };
    EfficiencyPanel {
        dataset: dataset.to_string(),
        metric: if dice { "Dice" } else { "RMS distance" }.to_string(),
        metric_unit: if dice { "" } else { "mm" }.to_string(),
        class: "muscle".to_string(),
        higher_is_better: dice,
        primary: dice,
        curves: SOURCES
            .iter()
            .zip(table)
            .map(|(s, means)| curve(s, means, spread, cap))
            .collect(),
        band,
        ci_label: "95% t-interval across 4 folds".to_string(),
    }
}

/// The fixture's panels, deliberately with a secondary metric first (the
/// report must put the primary panels first).
pub fn efficiency_panels() -> Vec<EfficiencyPanel> {
    vec![
        panel(
            "ct-l3",
            false,
            &CT_RMS,
            Some(HumanBand {
                value: 1.6,
                lo: 1.2,
                hi: 2.1,
                source: "10 observers, pairwise RMS distance-to-agreement".to_string(),
            }),
        ),
        panel(
            "ct-l3",
            true,
            &CT_DICE,
            Some(HumanBand {
                value: 0.9,
                lo: 0.87,
                hi: 0.93,
                source: "10 observers, pairwise Dice".to_string(),
            }),
        ),
        panel("phantom", true, &PH_DICE, None),
        panel("phantom", false, &PH_RMS, None),
    ]
}

/// A muscle-suite report with only the data-efficiency study.
pub fn muscle_report() -> ReportData {
    let column = |name: &str, higher: Option<bool>, description: &str| LeaderboardColumn {
        name: name.to_string(),
        higher_is_better: higher,
        description: description.to_string(),
    };
    let rows = [
        (1usize, 0.925, 1.3),
        (2, 0.893, 1.8),
        (3, 0.881, 2.0),
        (0, 0.857, 2.6),
    ]
    .iter()
    .enumerate()
    .map(|(rank, &(s, dice, rms))| LeaderboardRow {
        rank: rank + 1,
        model: SOURCES[s].to_string(),
        values: vec![Some(dice), Some(rms)],
        ci: vec![],
    })
    .collect();
    ReportData {
        title: "CT skeletal muscle at L3: data efficiency of pretraining sources".to_string(),
        suite: "muscle".to_string(),
        description: "A small U-Net initialised from four pretraining sources is fine-tuned on 1 to \
                      20 annotated axial CT slices around the L3 vertebra and evaluated by four-fold \
                      cross-validation, on synthetic phantoms and on real CT."
            .to_string(),
        run_id: "2026-12-02T08-14-55Z-a81c07".to_string(),
        created: "2026-12-02 08:14:55 UTC".to_string(),
        provenance: vec![
            ("harness version".to_string(), "0.1.0".to_string()),
            ("seed".to_string(), "20261202".to_string()),
            ("folds".to_string(), "4".to_string()),
        ],
        notes: Vec::new(),
        ci_label: "95% t-interval across 4 folds".to_string(),
        leaderboard: Leaderboard {
            metric: "Dice on ct-l3 at n = 20".to_string(),
            higher_is_better: true,
            columns: vec![
                column("Dice n=20", Some(true), "mean Dice over folds at n = 20 (ct-l3)"),
                column("RMS n=20 (mm)", Some(false), "mean RMS distance at n = 20 (ct-l3)"),
            ],
            rows,
        },
        efficiency: efficiency_panels(),
        ..Default::default()
    }
}
