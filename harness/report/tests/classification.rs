//! Tests of the classification sections (leaderboard CIs, shortcut table,
//! paired tests, confusion matrices, saliency) and of `saliency_png` /
//! `heat_png`.

#[path = "common/classification_fixture.rs"]
mod classification_fixture;
#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/markup.rs"]
mod markup;

use classification_fixture::{MODELS, SIZE, classification_report};
use markup::{check_markup, svg_fragments};
use sensibench_report::{
    ConfusionView, Failure, PairedTestRow, ReportData, ReportError, heat_png, render, saliency_png,
};

fn rendered() -> (ReportData, String) {
    let data = classification_report();
    let html = render(&data).expect("classification fixture renders");
    (data, html)
}

/// The text of the section with `id`, up to the next `<section` or the footer.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("section {id} missing"));
    let rest = &html[start + 1..];
    let end = [rest.find("<section"), rest.find("<footer")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    &html[start..start + 1 + end]
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------- structure

#[test]
fn sections_toc_and_eyebrow() {
    let (_, html) = rendered();
    assert!(html.contains("<p class=\"eyebrow\">sensibench &middot; classification report</p>"));
    for (id, title) in [
        ("shortcut", "Shortcut reliance"),
        ("tests", "Statistical comparisons"),
        ("confusion", "Confusion matrices"),
        ("saliency", "Saliency"),
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">\n  <h2>{title}</h2>")),
            "{id}"
        );
        assert!(
            html.contains(&format!("<a href=\"#{id}\">{title}</a>")),
            "toc {id}"
        );
    }
    // Document order: leaderboard, shortcut, tests, confusion, saliency.
    let pos = |id: &str| html.find(&format!("<section id=\"{id}\">")).expect(id);
    assert!(pos("leaderboard") < pos("shortcut"));
    assert!(pos("shortcut") < pos("tests"));
    assert!(pos("tests") < pos("confusion"));
    assert!(pos("confusion") < pos("saliency"));
    // Tables 1–4 and Figures 1–3 in order, once each.
    let mut last = 0;
    for label in [
        "Table 1.",
        "Table 2.",
        "Table 3.",
        "Figure 1.",
        "Figure 2.",
        "Figure 3.",
        "Table 4.",
    ] {
        let text = format!("<span class=\"label\">{label}</span>");
        assert_eq!(html.matches(&text).count(), 1, "{label}");
        let at = html.find(&text).expect(label);
        assert!(at > last, "{label} out of order");
        last = at;
    }
    assert!(!html.contains("Figure 4.") && !html.contains("Table 5."));
}

#[test]
fn segmentation_reports_are_unchanged() {
    let html = render(&fixture::report_data()).expect("renders");
    assert!(html.contains("sensibench &middot; robustness report"));
    for id in ["shortcut", "tests", "confusion", "saliency"] {
        assert!(!html.contains(&format!("id=\"{id}\"")), "{id}");
        assert!(!html.contains(&format!("href=\"#{id}\"")), "{id}");
    }
    assert!(html.contains("<span class=\"label\">Table 2.</span> Work that failed"));
    assert!(!html.contains("class=\"ci\""));
}

#[test]
fn failures_table_is_numbered_after_the_classification_tables() {
    let mut data = classification_report();
    data.failures.push(Failure {
        model: MODELS[1].to_string(),
        dataset: "cxr-external".to_string(),
        perturbation: "none".to_string(),
        reason: "missing file".to_string(),
        rows: 3,
    });
    let html = render(&data).expect("renders");
    assert!(html.contains("<span class=\"label\">Table 5.</span> Work that failed"));
}

#[test]
fn leaderboard_shows_intervals_at_the_value_precision() {
    let (_, html) = rendered();
    let board = section(&html, "leaderboard");
    assert!(board.contains(
        "<td class=\"num best\"><strong>0.931</strong> <span class=\"ci\">[0.907, 0.953]</span></td>"
    ));
    assert!(
        board.contains("<td class=\"num\">0.903 <span class=\"ci\">[0.874, 0.930]</span></td>")
    );
    assert!(board.contains(
        "<td class=\"num best\"><strong>0.882</strong> <span class=\"ci\">[0.850, 0.912]</span></td>"
    ));
    // ECE has no interval; lower is better.
    assert!(board.contains("<td class=\"num best\"><strong>0.041</strong></td>"));
    assert!(board.contains("<td class=\"num\">0.067</td>"));
    assert!(board.contains("Brackets: 95% percentile bootstrap CI over images (1000 resamples)."));
}

// ---------------------------------------------------------------- shortcut table

#[test]
fn shortcut_table_numbers() {
    let (_, html) = rendered();
    let s = collapse(section(&html, "shortcut"));
    // Reference AUC with its CI and n.
    assert!(s.contains(
        "<td class=\"num stack start\">0.931 <span class=\"ci\">[0.907, 0.953]</span></td><td class=\"num n\">400</td>"
    ));
    // ΔAUC signed with a typographic minus; bold when p < 0.05; p formats.
    let cell = |delta: &str, bold: bool, p: &str| {
        let d = if bold {
            format!("<strong>{delta}</strong>")
        } else {
            delta.to_string()
        };
        // the paired n follows p only where it differs from the reference's
        format!("<td class=\"num stack delta\">{d} <span class=\"ci\">{p}")
    };
    for (delta, bold, p) in [
        ("\u{2212}0.213", true, "p &lt; 0.001"),
        ("\u{2212}0.290", true, "p = 0.003"),
        ("\u{2212}0.052", false, "p = 0.41"),
        ("\u{2212}0.012", false, "p = 0.62"),
        ("+0.009", true, "p = 0.0496"),
    ] {
        assert!(s.contains(&cell(delta, bold, p)), "{delta} {p}");
    }
    assert!(!s.contains("-0.2"), "ASCII hyphen as a minus sign");
    // Condition AUC with CI; a missing cell; n of the paired images.
    assert!(s.contains(
        "<td class=\"num stack start\">0.718 <span class=\"ci\">[0.670, 0.765]</span></td>"
    ));
    assert!(s.contains(
        "<td class=\"num stack start missing\">—</td><td class=\"num stack delta missing\">—</td>"
    ));
    // Saliency mass as a whole percentage, method in the heading.
    assert!(s.contains("<td class=\"num\">63 %</td>"));
    assert!(s.contains("<td class=\"num\">9 %</td>"));
    assert!(s.contains("Saliency mass<br><span class=\"sub\">crm, on marker</span>"));
    // Column groups: reference then the three conditions.
    assert!(s.contains("internal (markers as in training) <span class=\"tag\">reference</span>"));
    for c in ["marker removed", "marker swapped", "external site"] {
        assert!(
            s.contains(&format!(
                "<th scope=\"colgroup\" colspan=\"2\" class=\"cond\">{c}</th>"
            )),
            "{c}"
        );
    }
    // The caption says what Δ, p and the mass are.
    assert!(s.contains("<em>internal (markers as in training)</em>"));
    assert!(s.contains("minus the reference AUC on the same images"));
    assert!(s.contains("p: DeLong&#x27;s test for two correlated ROC curves, two-sided"));
    assert!(s.contains("relevance mass accuracy, Arras et al. 2022"));
    assert!(s.contains("Brackets: confidence intervals of the AUC (see the test note)."));
}

#[test]
fn shortcut_table_without_saliency_has_no_mass_column() {
    let mut data = classification_report();
    if let Some(c) = data.classification.as_mut()
        && let Some(s) = c.shortcut.as_mut()
    {
        s.saliency_method = None;
        s.rows[0].cells.truncate(1); // missing cells are shown as —
    }
    let html = render(&data).expect("renders");
    let s = section(&html, "shortcut");
    assert!(!s.contains("Saliency mass"));
    assert!(!s.contains("63 %"));
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
}

// ---------------------------------------------------------------- tests

#[test]
fn paired_tests_table() {
    let (_, html) = rendered();
    let t = collapse(section(&html, "tests"));
    assert!(t.contains("Model against model, same images and condition"));
    assert!(t.contains("Perturbed against unperturbed images, same model"));
    assert!(t.contains("two-sided and paired by image"));
    assert!(t.contains("No correction for multiple comparisons"));
    // Row 1: McNemar 0.0412, S–M 4.213 (1) p 0.0401, DeLong 0.0163: all bold.
    assert!(t.contains(
        "<td class=\"num\">400</td><td class=\"num start\">0.882 &#x2f; 0.848</td><td class=\"num\"><strong>0.04</strong></td><td class=\"num start\">4.21 (1)</td><td class=\"num\"><strong>0.04</strong></td><td class=\"num start\">0.931 &#x2f; 0.903</td><td class=\"num\"><strong>0.02</strong></td>"
    ));
    // Row 2: not significant.
    assert!(t.contains(
        "<td class=\"num\">0.52</td><td class=\"num start\">4.21 (1)</td><td class=\"num\">0.61</td><td class=\"num start\">0.931 &#x2f; 0.903</td><td class=\"num\">0.29</td>"
    ));
    // Row 3: < 0.001 everywhere, escaped.
    assert_eq!(t.matches("<strong>&lt; 0.001</strong>").count(), 3);
    // Row 4: no S–M, no AUC: dashes.
    assert!(t.contains(
        "<td class=\"num\"><strong>0.007</strong></td><td class=\"num start missing\">—</td><td class=\"num missing\">—</td><td class=\"num start missing\">—</td><td class=\"num missing\">—</td>"
    ));
    assert!(t.contains("<th scope=\"col\" class=\"num\">DeLong p</th>"));
    assert!(!t.contains("<details"));
}

#[test]
fn many_tests_spill_into_details_and_multiclass_drops_auc_columns() {
    let mut data = classification_report();
    let base = classification_fixture::tests_rows();
    let mut rows: Vec<PairedTestRow> = (0..45)
        .map(|i| PairedTestRow {
            condition: format!("rotate = {i} deg"),
            auc: (None, None),
            delong_p: None,
            ..base[0].clone()
        })
        .collect();
    rows.extend(base[2..].iter().cloned().map(|r| PairedTestRow {
        auc: (None, None),
        delong_p: None,
        ..r
    }));
    if let Some(c) = data.classification.as_mut() {
        c.tests = rows;
    }
    let html = render(&data).expect("renders");
    let t = section(&html, "tests");
    let (main, more) = t.split_at(t.find("<details").expect("details"));
    assert_eq!(main.matches("rotate = ").count(), 40);
    assert!(main.contains("rotate = 39 deg") && !main.contains("rotate = 40 deg"));
    assert!(!main.contains("Perturbed against unperturbed"));
    assert!(main.contains("(the first 40 of 47; the rest below)"));
    assert!(more.contains("<summary>7 more comparisons</summary>"));
    assert_eq!(more.matches("rotate = ").count(), 5);
    assert!(more.contains("Perturbed against unperturbed"));
    assert!(!t.contains("DeLong p") && !t.contains("ROC AUC</th>"));
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
}

// ---------------------------------------------------------------- confusion

#[test]
fn confusion_matrices_are_shaded_by_row_fraction() {
    let mut data = classification_report();
    if let Some(c) = data.classification.as_mut() {
        c.confusion[0].counts = vec![184, 16, 30, 170];
        c.confusion.push(ConfusionView {
            model: MODELS[1].to_string(),
            dataset: "cxr-internal".to_string(),
            condition: "none".to_string(),
            counts: vec![1, 2, 3],
        });
    }
    let html = render(&data).expect("renders");
    let c = collapse(section(&html, "confusion"));
    // 184/200 = 0.92: Blues at 0.92 = (8, 68, 138) → #08448a, white text;
    // 16/200 = 0.08: (231, 241, 250) → #e7f1fa, dark text.
    assert!(c.contains(
        "<td style=\"background:#08448a;color:#ffffff\" class=\"diag\"><b>184</b><span>92 %</span></td>"
    ));
    assert!(
        c.contains("<td style=\"background:#e7f1fa;color:#1b1f24\"><b>16</b><span>8 %</span></td>")
    );
    assert!(c.contains("<span>15 %</span>") && c.contains("<span>85 %</span>"));
    assert!(c.contains("<td class=\"tot\">200</td>"));
    assert!(c.contains("n = 400 &middot; accuracy 0.885"));
    // Second matrix: 141 + 123 of 400.
    assert!(c.contains("n = 400 &middot; accuracy 0.660"));
    // Class names as headers; unperturbed first (given order).
    assert!(c.contains("<th scope=\"col\">normal</th><th scope=\"col\">pneumothorax</th>"));
    assert!(
        c.find("cxr-internal &middot; none").expect("none")
            < c.find("cxr-internal &middot; marker removed")
                .expect("removed")
    );
    // A matrix with the wrong number of counts says so.
    assert!(c.contains("3 counts for 2 classes: expected 2 × 2 = 4"));
    assert_eq!(c.matches("<table class=\"cm\">").count(), 2);
}

// ---------------------------------------------------------------- saliency

#[test]
fn saliency_gallery_class_maps_and_localisation() {
    let mut data = classification_report();
    if let Some(c) = data.classification.as_mut() {
        c.galleries[0].rows[0].frames[0].mass = Some(0.6349);
        c.galleries[0].rows[0].frames[1].mass = None;
    }
    let html = render(&data).expect("renders");
    let s = collapse(section(&html, "saliency"));
    // 4 gallery frames + 2 class maps, all inline PNGs.
    assert_eq!(
        s.matches("src=\"data:image/png;base64,iVBORw0KGgo").count(),
        6
    );
    assert!(s.contains("<th scope=\"col\">original</th><th scope=\"col\">marker removed</th>"));
    assert!(s.contains(
        "<span class=\"mono\">cxr-000142</span><span class=\"truth\">truth: pneumothorax</span>"
    ));
    assert!(s.contains(
        "<div class=\"frame-score\">pneumothorax 0.93</div><div class=\"frame-x\">mass 63 %</div>"
    ));
    assert!(s.contains("<div class=\"frame-score\">normal 0.61</div></div>"));
    assert!(s.contains("densenet121-cxr <span class=\"param\">crm &middot; cxr-internal</span>"));
    // Class maps with class names and n.
    assert!(s.contains(
        "<div class=\"frame-score\">pneumothorax</div><div class=\"frame-x\">n = 200</div>"
    ));
    // Localisation table: percentages, a dash for a missing pointing rate.
    assert!(s.contains(
        "<td>crm</td><td>cxr-internal</td><td>none</td><td class=\"num\">63 %</td><td class=\"num\">51 %</td><td class=\"num\">80 %</td><td class=\"num\">380</td>"
    ));
    assert!(
        s.contains("<td class=\"num\">9 %</td><td class=\"num\">6 %</td><td class=\"num\">—</td>")
    );
    assert!(s.contains("relevance rank accuracy"));
    assert!(s.contains("pointing game"));
}

// ---------------------------------------------------------------- safety

#[test]
fn self_contained_and_well_formed() {
    let (_, html) = rendered();
    assert!(!html.contains("http"), "no http reference anywhere");
    assert!(!html.contains("<script"));
    assert!(!html.contains("url("));
    for svg in svg_fragments(&html) {
        check_markup(svg, &[]).unwrap_or_else(|e| panic!("{e} in {svg}"));
    }
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
}

#[test]
fn hostile_strings_are_escaped_in_every_section() {
    let mut data = classification_report();
    let evil = "<script>alert(1)</script>";
    let rename = |m: &mut String| {
        if m == MODELS[1] {
            *m = evil.to_string();
        }
    };
    for r in &mut data.leaderboard.rows {
        rename(&mut r.model);
    }
    if let Some(c) = data.classification.as_mut() {
        c.classes[1] = "<b>pneumo</b>".to_string();
        if let Some(s) = c.shortcut.as_mut() {
            s.reference = "\" onmouseover=\"alert(2)".to_string();
            s.conditions[0] = "<i>removed</i>".to_string();
            s.saliency_method = Some("<u>crm</u>".to_string());
            s.test_label = "</caption><script>alert(3)</script>".to_string();
            for r in &mut s.rows {
                rename(&mut r.model);
            }
        }
        for t in &mut c.tests {
            rename(&mut t.a);
            rename(&mut t.b);
            t.dataset = "<img src=x onerror=alert(4)>".to_string();
        }
        for m in &mut c.confusion {
            m.model = evil.to_string();
            m.condition = "</td></tr></table>".to_string();
        }
        for g in &mut c.galleries {
            g.model = evil.to_string();
            g.method = "\"><script>".to_string();
            g.rows[0].frames[0].png_base64 = "\" onerror=\"alert(5)".to_string();
            g.rows[0].frames[1].caption = "<b>cap</b>".to_string();
            g.rows[1].sample = "<i>id</i>".to_string();
        }
        for m in &mut c.class_maps {
            m.model = evil.to_string();
            m.class = "<em>cls</em>".to_string();
        }
        for l in &mut c.localisation {
            rename(&mut l.model);
        }
    }
    let html = render(&data).expect("renders");
    assert!(!html.contains("<script"), "unescaped script tag");
    for raw in [
        "<b>pneumo</b>",
        "<i>removed</i>",
        "<u>crm</u>",
        "<img src=x",
        "</td></tr></table>",
        "<b>cap</b>",
        "<i>id</i>",
        "<em>cls</em>",
        "\" onmouseover=\"",
        "\" onerror=\"",
    ] {
        assert!(!html.contains(raw), "unescaped {raw}");
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(html.contains("image unavailable"));
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
}

// ---------------------------------------------------------------- saliency_png / heat_png

fn decode(png: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("valid PNG")
        .to_rgb8()
}

#[test]
fn saliency_png_hand_case() {
    // One row of values 0..=100: window p1 = 1, p99 = 99 (NumPy linear).
    let image: Vec<f32> = (0..=100).map(|v| v as f32).collect();
    let mut map = vec![0.0f32; 101];
    map[50] = 2.0; // the maximum: t = 1
    map[25] = 1.0; // t = 0.5
    map[30] = 1.0625; // t = 0.53125
    map[60] = -3.0; // negative: t = 0
    map[70] = f32::NAN; // non-finite: t = 0
    let png = saliency_png(&image, 1, 101, &map, None).expect("saliency");
    let rgb = decode(&png);
    assert_eq!(rgb.dimensions(), (101, 1));
    let px = |c: u32| rgb.get_pixel(c, 0).0;
    // v = 50: g = 255·49/98 = 127.5, α = 0.6, inferno(1) = (252, 255, 164):
    // 0.4·127.5 + 0.6·c = (202.2, 204.0, 149.4)
    assert_eq!(px(50), [202, 204, 149]);
    // v = 25: g = 255·24/98 = 62.449, α = 0.3, inferno(0.5) = (188, 55, 84):
    // 0.7·g + 0.3·c = (100.11, 60.21, 68.91)
    assert_eq!(px(25), [100, 60, 69]);
    // v = 30: g = 75.459, t = 0.53125 halfway between LUT 8 and 9: (199, 62.5, 76),
    // α = 0.31875: (114.84, 71.33, 75.63)
    assert_eq!(px(30), [115, 71, 76]);
    // t = 0: plain grey (v = 60: 255·59/98 = 153.52; v = 70: 179.54).
    assert_eq!(px(60), [154, 154, 154]);
    assert_eq!(px(70), [180, 180, 180]);
    assert_eq!(px(0), [0, 0, 0]);
    assert_eq!(px(100), [255, 255, 255]);
}

#[test]
fn saliency_png_outlines_the_region() {
    // 3 × 4 image; region = the 3 × 3 block of columns 0..3.
    let (h, w) = (3, 4);
    let image: Vec<f32> = (0..h * w).map(|i| i as f32).collect();
    let region: Vec<bool> = (0..h * w).map(|i| i % w < 3).collect();
    let map = vec![0.0f32; h * w];
    let rgb = decode(&saliency_png(&image, h, w, &map, Some(&region)).expect("saliency"));
    let sky = [0x56, 0xB4, 0xE9];
    for r in 0..3u32 {
        for c in 0..3u32 {
            let inside = (r, c) == (1, 1);
            assert_eq!(
                rgb.get_pixel(c, r).0 == sky,
                !inside,
                "pixel ({r}, {c}) outline"
            );
        }
        assert_ne!(rgb.get_pixel(3, r).0, sky, "column 3 is outside the region");
    }
    // The interior pixel keeps its grey: values 0..11, p1 = 0.11, p99 = 10.89;
    // v = 5: 255·4.89/10.78 = 115.67.
    assert_eq!(rgb.get_pixel(1, 1).0, [116, 116, 116]);
}

#[test]
fn heat_png_uses_the_same_scale() {
    let map = [0.0f32, 1.0, 2.0, -1.0, f32::NAN, 4.0];
    let rgb = decode(&heat_png(&map, 2, 3).expect("heat"));
    assert_eq!(rgb.dimensions(), (3, 2));
    let got: Vec<[u8; 3]> = rgb.pixels().map(|p| p.0).collect();
    // t = 0, 0.25, 0.5, 0, 0, 1 → inferno LUT entries 0, 4, 8, 0, 0, 16.
    assert_eq!(
        got,
        vec![
            [0, 0, 4],
            [87, 16, 110],
            [188, 55, 84],
            [0, 0, 4],
            [0, 0, 4],
            [252, 255, 164]
        ]
    );
    // No positive value: the darkest colour everywhere.
    let rgb = decode(&heat_png(&[0.0, -2.0], 1, 2).expect("heat"));
    assert!(rgb.pixels().all(|p| p.0 == [0, 0, 4]));
    // The fixture's maps have the fixture's size.
    let fixture =
        decode(&heat_png(&classification_fixture::blob(5.0, 5.0, 2.0), SIZE, SIZE).expect("heat"));
    assert_eq!(fixture.dimensions(), (SIZE as u32, SIZE as u32));
}

#[test]
fn saliency_and_heat_reject_bad_input() {
    let msg = |r: Result<Vec<u8>, ReportError>| r.expect_err("must fail").to_string();
    assert!(
        msg(saliency_png(&[0.0; 4], 2, 2, &[0.0; 3], None))
            .contains("saliency_png: map has 3 values, expected height·width = 2·2 = 4")
    );
    assert!(
        msg(saliency_png(&[0.0; 5], 2, 2, &[0.0; 4], None)).contains("saliency_png: image has 5")
    );
    assert!(
        msg(saliency_png(&[0.0; 4], 2, 2, &[0.0; 4], Some(&[true; 2])))
            .contains("saliency_png: region has 2 values")
    );
    assert!(msg(saliency_png(&[], 0, 2, &[], None)).contains("≥ 1"));
    assert!(msg(heat_png(&[0.0; 4], 2, 3)).contains("heat_png: map has 4 values"));
    assert!(msg(heat_png(&[], 2, 0)).contains("heat_png: image size 2×0"));
    // Constant and non-finite inputs are fine.
    assert!(saliency_png(&[1.0; 4], 2, 2, &[f32::NAN; 4], Some(&[false; 4])).is_ok());
}
