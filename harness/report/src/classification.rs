//! The view model of the classification sections: shortcut table, paired
//! tests, confusion matrices, saliency galleries, class-mean maps and the
//! localisation table.
//!
//! As in [`crate::view`], numbers are formatted here and user strings are
//! passed through as is for the template's auto-escaping; the only markup
//! built here is the model swatches and the confusion cells' inline colours
//! (no user text in either).

use serde::Serialize;

use crate::chart::format::{finite, format_fixed, interval};
use crate::data_uri::png_data_uri;
use crate::numbering::Numbering;
use crate::{AucCell, ClassificationReport, ConfusionView, PairedTestRow};

/// Significance level of the bold ΔAUC / p-values (no multiplicity correction).
const ALPHA: f64 = 0.05;

/// Model-vs-model rows shown before the rest of the tests go into a
/// collapsed `<details>`.
const MAX_TEST_ROWS: usize = 40;

/// Digits after the point of AUCs, accuracies and their intervals.
const AUC_DECIMALS: usize = 3;

#[derive(Serialize)]
pub(crate) struct ClassificationView<'a> {
    shortcut: Option<ShortcutView<'a>>,
    tests: Option<TestsView<'a>>,
    confusion: Option<ConfusionFigure<'a>>,
    galleries: Vec<GalleryView<'a>>,
    class_maps: Option<ClassMapsView<'a>>,
    localisation: Option<LocalisationView<'a>>,
    /// Whether the saliency section has anything to show.
    saliency: bool,
    /// The label study.
    labels: Option<crate::labels::LabelsView>,
}

#[derive(Serialize)]
struct ShortcutView<'a> {
    table: usize,
    reference: &'a str,
    conditions: Vec<&'a str>,
    method: Option<&'a str>,
    test_label: &'a str,
    rows: Vec<ShortcutRowView<'a>>,
}

#[derive(Serialize)]
struct ShortcutRowView<'a> {
    model: &'a str,
    swatch: String,
    reference: AucView,
    cells: Vec<AucView>,
    mass: String,
    mass_missing: bool,
}

#[derive(Serialize)]
struct AucView {
    auc: String,
    /// `[lo, hi]` or empty.
    ci: String,
    missing: bool,
    /// Signed ΔAUC (`+0.012`, `−0.213`) or `—`.
    delta: String,
    /// `p = 0.003`, `p < 0.001` or empty.
    p: String,
    significant: bool,
    n: usize,
}

#[derive(Serialize)]
struct TestsView<'a> {
    table: usize,
    binary: bool,
    total: usize,
    shown: Vec<TestGroup<'a>>,
    more: Vec<TestGroup<'a>>,
    n_more: usize,
}

#[derive(Serialize)]
struct TestGroup<'a> {
    title: String,
    a: &'static str,
    b: &'static str,
    rows: Vec<TestRowView<'a>>,
}

#[derive(Serialize)]
struct TestRowView<'a> {
    dataset: &'a str,
    condition: &'a str,
    a: &'a str,
    a_swatch: String,
    b: &'a str,
    b_swatch: String,
    n: usize,
    accuracy: String,
    mcnemar: PView,
    sm_stat: String,
    sm_p: PView,
    auc: String,
    delong: PView,
}

/// A p-value in a column headed "p": `0.003`, `< 0.001` or `—`.
#[derive(Serialize)]
struct PView {
    text: String,
    significant: bool,
    missing: bool,
}

#[derive(Serialize)]
struct ConfusionFigure<'a> {
    figure: usize,
    matrices: Vec<MatrixView<'a>>,
}

#[derive(Serialize)]
struct MatrixView<'a> {
    model: &'a str,
    swatch: String,
    dataset: &'a str,
    condition: &'a str,
    classes: Vec<&'a str>,
    rows: Vec<MatrixRow<'a>>,
    total: u64,
    accuracy: String,
    /// Why the matrix cannot be shown (wrong number of counts), else empty.
    error: String,
}

#[derive(Serialize)]
struct MatrixRow<'a> {
    class: &'a str,
    cells: Vec<MatrixCell>,
    total: u64,
}

#[derive(Serialize)]
struct MatrixCell {
    count: u64,
    /// Row-normalised fraction as a percentage, e.g. `87 %` (`—` for an empty row).
    pct: String,
    /// `background:#rrggbb;color:#rrggbb` (built here, no user text).
    style: String,
    diagonal: bool,
}

#[derive(Serialize)]
struct GalleryView<'a> {
    figure: usize,
    model: &'a str,
    swatch: String,
    method: &'a str,
    dataset: &'a str,
    conditions: &'a [String],
    rows: Vec<GalleryRowView<'a>>,
}

#[derive(Serialize)]
struct GalleryRowView<'a> {
    sample: &'a str,
    truth: &'a str,
    frames: Vec<SaliencyFrameView<'a>>,
}

#[derive(Serialize)]
struct SaliencyFrameView<'a> {
    src: Option<String>,
    caption: &'a str,
    mass: String,
}

#[derive(Serialize)]
struct ClassMapsView<'a> {
    figure: usize,
    groups: Vec<ClassMapGroup<'a>>,
}

#[derive(Serialize)]
struct ClassMapGroup<'a> {
    model: &'a str,
    swatch: String,
    method: &'a str,
    maps: Vec<ClassMapView<'a>>,
}

#[derive(Serialize)]
struct ClassMapView<'a> {
    class: &'a str,
    n: usize,
    src: Option<String>,
}

#[derive(Serialize)]
struct LocalisationView<'a> {
    table: usize,
    rows: Vec<LocalisationRowView<'a>>,
}

#[derive(Serialize)]
struct LocalisationRowView<'a> {
    model: &'a str,
    swatch: String,
    method: &'a str,
    dataset: &'a str,
    condition: &'a str,
    mass: String,
    rank: String,
    pointing: String,
    n: usize,
}

/// `v` with `decimals` digits, or `—`.
fn fixed_or_dash(v: Option<f64>, decimals: usize) -> String {
    finite(v).map_or_else(|| "—".to_string(), |v| format_fixed(v, decimals))
}

/// A fraction as a whole percentage, `0.634 → "63 %"`, or `—`.
pub(crate) fn percent(v: Option<f64>) -> String {
    finite(v).map_or_else(|| "—".to_string(), |v| format!("{:.0} %", 100.0 * v))
}

/// A signed difference with the typographic minus: `−0.213`, `+0.012`,
/// `0.000` when it rounds to zero; `—` when missing.
pub(crate) fn signed(v: Option<f64>, decimals: usize) -> String {
    let Some(v) = finite(v) else {
        return "—".to_string();
    };
    let text = format_fixed(v.abs(), decimals);
    if text.bytes().all(|b| b == b'0' || b == b'.') {
        text
    } else if v < 0.0 {
        format!("\u{2212}{text}")
    } else {
        format!("+{text}")
    }
}

/// A p-value's relation and digits: `("<", "0.001")` below 0.001, else
/// `("=", …)` with 3 digits below 0.01 and 2 digits from there on (more digits
/// when rounding would put the shown value on the other side of 0.05, e.g.
/// 0.0496 → `0.0496`, never `0.05`). `None` for a missing or non-finite p.
pub(crate) fn p_parts(p: Option<f64>) -> Option<(&'static str, String)> {
    let p = finite(p)?.clamp(0.0, 1.0);
    if p < 0.001 {
        return Some(("<", "0.001".to_string()));
    }
    let mut decimals = if p < 0.01 { 3 } else { 2 };
    loop {
        let text = format_fixed(p, decimals);
        let shown = text.parse::<f64>().unwrap_or(p);
        if (shown < ALPHA) == (p < ALPHA) || decimals >= 6 {
            return Some(("=", text));
        }
        decimals += 1;
    }
}

/// `p = 0.003`, `p < 0.001`, or empty.
pub(crate) fn p_text(p: Option<f64>) -> String {
    p_parts(p).map_or_else(String::new, |(op, v)| format!("p {op} {v}"))
}

fn p_view(p: Option<f64>) -> PView {
    match p_parts(p) {
        Some((op, v)) => PView {
            text: if op == "<" { format!("< {v}") } else { v },
            significant: finite(p).is_some_and(|p| p < ALPHA),
            missing: false,
        },
        None => PView {
            text: "—".to_string(),
            significant: false,
            missing: true,
        },
    }
}

fn auc_view(cell: Option<&AucCell>) -> AucView {
    let Some(cell) = cell else {
        return AucView {
            auc: "—".to_string(),
            ci: String::new(),
            missing: true,
            delta: "—".to_string(),
            p: String::new(),
            significant: false,
            n: 0,
        };
    };
    let auc = finite(cell.auc);
    AucView {
        auc: fixed_or_dash(auc, AUC_DECIMALS),
        ci: if auc.is_some() {
            interval(cell.ci, AUC_DECIMALS)
        } else {
            String::new()
        },
        missing: auc.is_none(),
        delta: signed(cell.delta, AUC_DECIMALS),
        p: p_text(cell.p),
        significant: finite(cell.delta).is_some() && finite(cell.p).is_some_and(|p| p < ALPHA),
        n: cell.n,
    }
}

/// `a / b` with `decimals` digits (`—` for a missing side), or `—` when both
/// are missing.
fn pair(v: (Option<f64>, Option<f64>), decimals: usize) -> String {
    match (finite(v.0), finite(v.1)) {
        (None, None) => "—".to_string(),
        (a, b) => format!(
            "{} / {}",
            fixed_or_dash(a, decimals),
            fixed_or_dash(b, decimals)
        ),
    }
}

fn test_row<'a>(t: &'a PairedTestRow, swatch: &dyn Fn(&str) -> String) -> TestRowView<'a> {
    let sm = t
        .stuart_maxwell
        .filter(|(stat, _, p)| stat.is_finite() && p.is_finite());
    TestRowView {
        dataset: &t.dataset,
        condition: &t.condition,
        a: &t.a,
        a_swatch: swatch(&t.a),
        b: &t.b,
        b_swatch: if t.kind == "models" {
            swatch(&t.b)
        } else {
            String::new()
        },
        n: t.n,
        accuracy: pair(t.accuracy, AUC_DECIMALS),
        mcnemar: p_view(t.mcnemar_p),
        sm_stat: sm.map_or_else(
            || "—".to_string(),
            |(stat, df, _)| format!("{} ({df})", format_fixed(stat, 2)),
        ),
        sm_p: p_view(sm.map(|(_, _, p)| p)),
        auc: pair(t.auc, AUC_DECIMALS),
        delong: p_view(t.delong_p),
    }
}

fn group_title(kind: &str) -> (String, &'static str, &'static str) {
    match kind {
        "models" => (
            "Model against model, same images and condition".to_string(),
            "model a",
            "model b",
        ),
        "condition" => (
            "Perturbed against unperturbed images, same model".to_string(),
            "model",
            "perturbed",
        ),
        other => (format!("Comparisons of kind “{other}”"), "a", "b"),
    }
}

fn tests_view<'a>(
    tests: &'a [PairedTestRow],
    table: usize,
    swatch: &dyn Fn(&str) -> String,
) -> TestsView<'a> {
    // Kinds in the order models, condition, then others by first appearance.
    let mut kinds: Vec<&str> = vec!["models", "condition"];
    for t in tests {
        if !kinds.contains(&t.kind.as_str()) {
            kinds.push(&t.kind);
        }
    }
    let spill = tests.len() > MAX_TEST_ROWS;
    let mut shown: Vec<TestGroup<'a>> = Vec::new();
    let mut more: Vec<TestGroup<'a>> = Vec::new();
    let mut n_more = 0;
    for kind in kinds {
        let rows: Vec<&PairedTestRow> = tests.iter().filter(|t| t.kind == kind).collect();
        if rows.is_empty() {
            continue;
        }
        let (title, a, b) = group_title(kind);
        let group = |rows: &[&'a PairedTestRow]| TestGroup {
            title: title.clone(),
            a,
            b,
            rows: rows.iter().map(|t| test_row(t, swatch)).collect(),
        };
        let keep = match (spill, kind) {
            (false, _) => rows.len(),
            (true, "models") => rows.len().min(MAX_TEST_ROWS),
            (true, _) => 0,
        };
        if keep > 0 {
            shown.push(group(&rows[..keep]));
        }
        if keep < rows.len() {
            n_more += rows.len() - keep;
            more.push(group(&rows[keep..]));
        }
    }
    TestsView {
        table,
        binary: tests
            .iter()
            .any(|t| t.auc.0.is_some() || t.auc.1.is_some() || t.delong_p.is_some()),
        total: tests.len(),
        shown,
        more,
        n_more,
    }
}

/// Matplotlib's `Blues` at `t = k/8` (a single-hue sequential scale).
const BLUES: [[u8; 3]; 9] = [
    [247, 251, 255],
    [222, 235, 247],
    [198, 219, 239],
    [157, 202, 225],
    [106, 174, 214],
    [65, 145, 198],
    [32, 112, 180],
    [8, 80, 155],
    [8, 48, 107],
];

/// The shade of a fraction `f ∈ [0, 1]` (linear interpolation in `BLUES`)
/// and the text colour (near-black or white, whichever contrasts more by the
/// WCAG 2 contrast ratio).
fn shade(f: f64) -> ([u8; 3], &'static str) {
    let s = f.clamp(0.0, 1.0) * 8.0;
    let lo = (s.floor() as usize).min(7);
    let w = s - lo as f64;
    let c = [0, 1, 2].map(|i| {
        let v = (1.0 - w) * f64::from(BLUES[lo][i]) + w * f64::from(BLUES[lo + 1][i]);
        v.round().clamp(0.0, 255.0) as u8
    });
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    // Text #1b1f24 has luminance ≈ 0.0137; white has 1.
    let dark = (l + 0.05) / (0.0137 + 0.05);
    let light = 1.05 / (l + 0.05);
    (c, if dark >= light { "#1b1f24" } else { "#ffffff" })
}

fn matrix_view<'a>(
    m: &'a ConfusionView,
    classes: &'a [String],
    swatch: &dyn Fn(&str) -> String,
) -> MatrixView<'a> {
    let k = classes.len();
    let mut view = MatrixView {
        model: &m.model,
        swatch: swatch(&m.model),
        dataset: &m.dataset,
        condition: &m.condition,
        classes: classes.iter().map(String::as_str).collect(),
        rows: Vec::new(),
        total: 0,
        accuracy: "—".to_string(),
        error: String::new(),
    };
    if k == 0 || m.counts.len() != k * k {
        view.error = format!(
            "{} counts for {k} classes: expected {k} × {k} = {}",
            m.counts.len(),
            k * k
        );
        return view;
    }
    let mut correct = 0u64;
    for (i, class) in classes.iter().enumerate() {
        let row = &m.counts[i * k..(i + 1) * k];
        let total: u64 = row.iter().sum();
        correct += row[i];
        view.total += total;
        view.rows.push(MatrixRow {
            class,
            cells: row
                .iter()
                .enumerate()
                .map(|(j, &count)| {
                    let f = if total > 0 {
                        count as f64 / total as f64
                    } else {
                        0.0
                    };
                    let (bg, fg) = shade(f);
                    MatrixCell {
                        count,
                        pct: if total > 0 {
                            format!("{:.0} %", 100.0 * f)
                        } else {
                            "—".to_string()
                        },
                        style: format!(
                            "background:#{:02x}{:02x}{:02x};color:{fg}",
                            bg[0], bg[1], bg[2]
                        ),
                        diagonal: i == j,
                    }
                })
                .collect(),
            total,
        });
    }
    if view.total > 0 {
        view.accuracy = format_fixed(correct as f64 / view.total as f64, AUC_DECIMALS);
    }
    view
}

/// Builds the classification view; tables and figures are numbered from
/// `numbering` (the shortcut table first, then the tests table, then the
/// localisation table; figures: confusion, galleries, class maps), which is
/// advanced past the numbers used.
pub(crate) fn build<'a>(
    c: &'a ClassificationReport,
    numbering: &mut Numbering,
    swatch: &dyn Fn(&str) -> String,
) -> ClassificationView<'a> {
    let shortcut = c.shortcut.as_ref().map(|s| ShortcutView {
        table: numbering.next_table(),
        reference: &s.reference,
        conditions: s.conditions.iter().map(String::as_str).collect(),
        method: s.saliency_method.as_deref(),
        test_label: &s.test_label,
        rows: s
            .rows
            .iter()
            .map(|r| ShortcutRowView {
                model: &r.model,
                swatch: swatch(&r.model),
                reference: AucView {
                    delta: String::new(),
                    p: String::new(),
                    significant: false,
                    ..auc_view(Some(&r.reference))
                },
                cells: (0..s.conditions.len())
                    .map(|i| auc_view(r.cells.get(i)))
                    .collect(),
                mass: percent(r.saliency_mass),
                mass_missing: finite(r.saliency_mass).is_none(),
            })
            .collect(),
    });
    // the label study's section follows the robustness curves: its tables
    // after the shortcut table, its figure after the curves' figures
    let labels = c.labels.as_ref().map(|l| crate::labels::view(l, numbering));
    let tests = (!c.tests.is_empty()).then(|| tests_view(&c.tests, numbering.next_table(), swatch));
    let localisation = (!c.localisation.is_empty()).then(|| LocalisationView {
        table: numbering.next_table(),
        rows: c
            .localisation
            .iter()
            .map(|l| LocalisationRowView {
                model: &l.model,
                swatch: swatch(&l.model),
                method: &l.method,
                dataset: &l.dataset,
                condition: &l.condition,
                mass: percent(l.mass),
                rank: percent(l.rank),
                pointing: percent(l.pointing),
                n: l.n,
            })
            .collect(),
    });

    let confusion = (!c.confusion.is_empty()).then(|| ConfusionFigure {
        figure: numbering.next_figure(),
        matrices: c
            .confusion
            .iter()
            .map(|m| matrix_view(m, &c.classes, swatch))
            .collect(),
    });
    let galleries: Vec<GalleryView<'a>> = c
        .galleries
        .iter()
        .map(|g| GalleryView {
            figure: numbering.next_figure(),
            model: &g.model,
            swatch: swatch(&g.model),
            method: &g.method,
            dataset: &g.dataset,
            conditions: &g.conditions,
            rows: g
                .rows
                .iter()
                .map(|r| GalleryRowView {
                    sample: &r.sample,
                    truth: &r.truth,
                    frames: (0..g.conditions.len().max(r.frames.len()))
                        .map(|i| match r.frames.get(i) {
                            Some(f) => SaliencyFrameView {
                                src: png_data_uri(&f.png_base64),
                                caption: &f.caption,
                                mass: if finite(f.mass).is_some() {
                                    format!("mass {}", percent(f.mass))
                                } else {
                                    String::new()
                                },
                            },
                            None => SaliencyFrameView {
                                src: None,
                                caption: "",
                                mass: String::new(),
                            },
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let class_maps = (!c.class_maps.is_empty()).then(|| {
        let mut groups: Vec<ClassMapGroup<'a>> = Vec::new();
        for m in &c.class_maps {
            let map = ClassMapView {
                class: &m.class,
                n: m.n,
                src: png_data_uri(&m.png_base64),
            };
            match groups
                .iter_mut()
                .find(|g| g.model == m.model && g.method == m.method)
            {
                Some(g) => g.maps.push(map),
                None => groups.push(ClassMapGroup {
                    model: &m.model,
                    swatch: swatch(&m.model),
                    method: &m.method,
                    maps: vec![map],
                }),
            }
        }
        ClassMapsView {
            figure: numbering.next_figure(),
            groups,
        }
    });
    ClassificationView {
        saliency: !galleries.is_empty() || class_maps.is_some() || localisation.is_some(),
        shortcut,
        tests,
        confusion,
        galleries,
        class_maps,
        localisation,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_formatting() {
        assert_eq!(p_text(Some(0.0031)), "p = 0.003");
        assert_eq!(p_text(Some(0.0004)), "p < 0.001");
        assert_eq!(p_text(Some(0.4123)), "p = 0.41");
        assert_eq!(p_text(Some(0.0496)), "p = 0.0496");
        assert_eq!(p_text(Some(0.052)), "p = 0.05");
        assert_eq!(p_text(Some(1.0)), "p = 1.00");
        assert_eq!(p_text(Some(f64::NAN)), "");
        assert_eq!(p_text(None), "");
    }

    #[test]
    fn signed_and_percent() {
        assert_eq!(signed(Some(-0.2134), 3), "\u{2212}0.213");
        assert_eq!(signed(Some(0.012), 3), "+0.012");
        assert_eq!(signed(Some(-0.0001), 3), "0.000");
        assert_eq!(signed(None, 3), "—");
        assert_eq!(percent(Some(0.634)), "63 %");
        assert_eq!(percent(None), "—");
        assert_eq!(interval(Some((0.9, 0.8)), 3), "[0.800, 0.900]");
    }

    #[test]
    fn shade_ends_and_contrast() {
        assert_eq!(shade(0.0), ([247, 251, 255], "#1b1f24"));
        assert_eq!(shade(1.0), ([8, 48, 107], "#ffffff"));
        // Halfway between entries 4 and 5 of the scale.
        assert_eq!(shade(0.5625).0, [86, 160, 206]);
    }
}
