//! Tests of the rendered report: structure, escaping, self-containment, SVG
//! well-formedness, chart helpers, overlays, and a real Chromium render.

#[path = "common/efficiency_fixture.rs"]
mod efficiency_fixture;
#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/markup.rs"]
mod markup;

use markup::{check_markup, svg_fragments};

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sensibench_report::svg::{efficiency_chart, is_geometric, line_chart, nice_ticks};
use sensibench_report::{
    CurvePanel, CurvePoint, EfficiencyCurve, EfficiencyPanel, EfficiencyPoint, HumanBand,
    ReportData, Series, overlay_png, render, smallest_n_reaching, to_base64, write_report,
};

fn rendered() -> (ReportData, String) {
    let data = fixture::report_data();
    let html = render(&data).expect("fixture renders");
    (data, html)
}

#[test]
fn markup_checker_rejects_broken_markup() {
    assert!(check_markup("<svg><g><path d=\"M0,0\"/></g></svg>", &[]).is_ok());
    assert!(check_markup("<svg><g></svg>", &[]).is_err());
    assert!(check_markup("<svg><text>a < b</text></svg>", &[]).is_err());
    assert!(check_markup("<svg><text>a & b</text></svg>", &[]).is_err());
    assert!(check_markup("<svg width=10></svg>", &[]).is_err());
    assert!(check_markup("<svg><title>x</g></svg>", &[]).is_err());
}

// ---------------------------------------------------------------- structure

#[test]
fn report_contains_every_part() {
    let (data, html) = rendered();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(
        "<title>Cardiac cine MRI segmentation: robustness to acquisition perturbations</title>"
    ));
    for m in fixture::MODELS {
        assert!(html.contains(m), "model {m} missing");
    }
    for class in fixture::CLASSES {
        assert!(
            html.contains(&format!("<span class=\"panel-title\">{class}</span>")),
            "class {class}"
        );
    }
    // One chart per panel, plus the swatches (3 in the key, 3 in the table, 3 strip rows).
    let charts = html.matches("<svg class=\"chart\"").count();
    assert_eq!(charts, data.panels.len());
    assert_eq!(html.matches("<svg class=\"swatch\"").count(), 9);
    // Primary panels in the grid, the others in details.
    assert_eq!(html.matches("<details class=\"other\">").count(), 2);
    assert!(html.contains("Other metrics: HD95 (3 charts)"));
    // Provenance, notes, CI label, failures table.
    assert!(html.contains("f3c6c6e1b2a4d5c6e7f8091a2b3c4d5e6f708192"));
    assert!(html.contains("Dataset mnms-vendorB skipped"));
    assert!(html.contains("95% percentile bootstrap CI"));
    assert!(html.contains("<table class=\"failures\">"));
    assert!(html.contains("24 result rows missing"));
    // Strip frames: 3 models × 6 frames, each an inline PNG.
    assert_eq!(
        html.matches("src=\"data:image/png;base64,iVBORw0KGgo")
            .count(),
        18
    );
    assert!(html.contains("Dice <b>undefined</b>"));
    // Log axis only for the geometric downsample grid (6 panels).
    assert_eq!(html.matches(" · log scale</text>").count(), 6);
}

#[test]
fn leaderboard_bolds_best_per_column_with_direction() {
    let (_, html) = rendered();
    // Clean ↑: 0.871 best; Mean ↑: 0.756; Deg ↓: 0.387; Worst has a missing value.
    for best in [
        "0.871", "0.756", "0.812", "0.702", "0.455", "0.387", "0.962",
    ] {
        assert!(
            html.contains(&format!(
                "<td class=\"num best\"><strong>{best}</strong></td>"
            )),
            "best {best}"
        );
    }
    assert_eq!(html.matches("<td class=\"num best\">").count(), 7);
    assert!(html.contains("<td class=\"num missing\">—</td>"));
    assert!(html.contains("<span class=\"arrow\" title=\"lower is better\"> ↓</span>"));
    assert_eq!(
        html.matches("title=\"higher is better\"> ↑</span>").count(),
        6
    );
    // Rank order as given.
    let first = html.find("<span>nnunet-lite</span>").expect("row");
    let second = html.find("<span>unet2d-acdc</span>").expect("row");
    assert!(first < second);
}

#[test]
fn self_contained_without_scripts_or_network() {
    let (_, html) = rendered();
    assert!(!html.contains("http://"), "no http:// anywhere");
    assert!(!html.contains("https://"), "no https:// anywhere");
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<link"), "no external stylesheets");
    assert!(!html.contains("@import"));
    assert!(!html.contains("url("), "no CSS urls");
    // No inline event handlers: ` on<letters>=` would start one.
    for (i, _) in html.match_indices(" on") {
        let rest = &html[i + 3..];
        let word = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        assert!(!rest[word..].starts_with('='), "event handler at byte {i}");
    }
}

#[test]
fn user_strings_are_escaped_everywhere() {
    let mut data = fixture::report_data();
    let evil = "<script>alert(1)</script>";
    let rename = |m: &mut String| {
        if m == "nnunet-lite" {
            *m = evil.to_string();
        }
    };
    for r in &mut data.leaderboard.rows {
        rename(&mut r.model);
    }
    for p in &mut data.panels {
        for s in &mut p.series {
            rename(&mut s.model);
        }
        p.class = format!("{} \"&' <b>", p.class);
    }
    for s in &mut data.strips {
        rename(&mut s.model);
    }
    data.title = format!("{evil} title");
    data.notes.push("<img src=x onerror=alert(2)>".to_string());
    data.failures[0].reason = "</td></tr></table><script>alert(3)</script>".to_string();
    data.provenance.push((
        "<b>key</b>".to_string(),
        "\" onmouseover=\"alert(4)".to_string(),
    ));
    data.strips[0].frames[0].png_base64 = "\" onerror=\"alert(5)".to_string();
    let html = render(&data).expect("renders");
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b>key</b>"));
    assert!(!html.contains("\" onmouseover=\"") && !html.contains("\" onerror=\""));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;"),
        "escaped model name present"
    );
    assert!(html.contains("image unavailable"));
    // Still well-formed everywhere.
    for svg in svg_fragments(&html) {
        check_markup(svg, &[]).unwrap_or_else(|e| panic!("{e} in {svg}"));
    }
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
}

#[test]
fn every_svg_fragment_is_well_formed() {
    let (_, html) = rendered();
    let svgs = svg_fragments(&html);
    assert_eq!(svgs.len(), 12 + 9);
    for svg in &svgs {
        let n = check_markup(svg, &[]).unwrap_or_else(|e| panic!("{e} in {svg}"));
        assert!(n >= 3);
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "non-finite coordinate in {svg}"
        );
    }
    // The whole document balances too (HTML void elements allowed).
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
}

// ---------------------------------------------------------------- charts

#[test]
fn nice_ticks_hand_cases() {
    let t = nice_ticks(0.0, 1.0, 5);
    assert_eq!(t.step, 0.2);
    assert_eq!(t.values, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    assert_eq!(t.label(0.4), "0.4");

    let t = nice_ticks(0.62, 0.91, 5);
    assert_eq!((t.lo, t.hi, t.step), (0.6, 1.0, 0.1));
    assert_eq!(t.values, vec![0.6, 0.7, 0.8, 0.9, 1.0]);

    let t = nice_ticks(-3.0, 17.0, 5);
    assert_eq!((t.lo, t.hi, t.step), (-5.0, 20.0, 5.0));
    assert_eq!(t.values, vec![-5.0, 0.0, 5.0, 10.0, 15.0, 20.0]);
    assert_eq!(t.label(0.0), "0");

    // raw = 0.05 → step 0.05; 2.5 mantissa gets one more digit.
    let t = nice_ticks(0.0, 0.25, 5);
    assert_eq!(t.step, 0.05);
    assert_eq!(t.values.len(), 6);
    let t = nice_ticks(0.0, 1.1, 5);
    assert_eq!(t.step, 0.25);
    assert_eq!(t.values, vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25]);
    assert_eq!(t.label(0.25), "0.25");

    // Large and degenerate ranges.
    let t = nice_ticks(120.0, 980.0, 4);
    assert_eq!((t.lo, t.hi, t.step), (0.0, 1000.0, 250.0));
    let t = nice_ticks(0.8, 0.8, 5);
    assert!(t.lo < 0.8 && t.hi > 0.8, "{t:?}");
    let t = nice_ticks(f64::NAN, 1.0, 5);
    assert_eq!((t.lo, t.hi), (0.0, 1.0));
    let t = nice_ticks(1.0, 0.0, 5);
    assert_eq!((t.lo, t.hi), (0.0, 1.0));
}

#[test]
fn log_axis_detection() {
    assert!(is_geometric(&[1.0, 2.0, 4.0, 8.0, 16.0]));
    assert!(
        is_geometric(&[16.0, 1.0, 4.0, 2.0, 8.0, 4.0]),
        "order and duplicates do not matter"
    );
    assert!(
        is_geometric(&[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]),
        "1-2-5 sequence"
    );
    assert!(is_geometric(&[1.0, 3.0, 9.0, 27.0]));
    assert!(!is_geometric(&[0.0, 1.0, 2.0, 4.0]), "zero");
    assert!(!is_geometric(&[-1.0, 2.0, 4.0, 8.0]), "negative");
    assert!(!is_geometric(&[0.1, 0.2, 0.3, 0.4, 0.5]), "linear");
    assert!(!is_geometric(&[1.0, 2.0, 3.0, 4.0]), "linear");
    assert!(!is_geometric(&[1.0, 10.0]), "two points");
    assert!(!is_geometric(&[2.0, 3.0, 4.5]), "span below 4");
    assert!(!is_geometric(&[1.0, f64::NAN, 4.0, 8.0]));
}

#[test]
fn chart_draws_gaps_bands_and_hollow_markers() {
    let p = |x: f64, mean: Option<f64>, n_undefined: usize| CurvePoint {
        x,
        mean,
        lo: mean.map(|m| m - 0.05),
        hi: mean.map(|m| m + 0.05),
        n: 10,
        n_undefined,
    };
    let panel = CurvePanel {
        perturbation: "noise".into(),
        parameter: "sigma".into(),
        unit: "".into(),
        metric: "Dice".into(),
        class: "LV".into(),
        higher_is_better: true,
        primary: true,
        y_min: Some(0.0),
        y_max: Some(1.0),
        series: vec![Series {
            model: "m".into(),
            points: vec![
                p(0.3, Some(0.6), 0),
                p(0.0, Some(0.9), 0),
                p(0.1, Some(0.8), 0),
                p(0.2, None, 0),
                p(0.4, Some(0.5), 2),
                p(0.5, None, 0),
                p(0.6, Some(0.3), 0),
            ],
        }],
        ..Default::default()
    };
    let svg = line_chart(&panel, &["other".to_string(), "m".to_string()]);
    check_markup(&svg, &[]).expect("well-formed");
    // Second model in the list: vermillion.
    assert!(svg.contains("stroke=\"#D55E00\""));
    // Line segments: [0, 0.1] and [0.3, 0.4] and the lone 0.6 point (no line).
    let line = svg
        .split("<path class=\"line\" stroke=\"#D55E00\" d=\"")
        .nth(1)
        .expect("line");
    let d = &line[..line.find('"').expect("end")];
    assert_eq!(d.matches('M').count(), 3, "{d}");
    assert_eq!(d.matches('L').count(), 2, "{d}");
    // Two bands (runs of 2) and one error bar (the lone point).
    assert_eq!(svg.matches("<path class=\"band\"").count(), 2);
    assert_eq!(svg.matches("<path class=\"errbar\"").count(), 1);
    // Five markers, one hollow; y axis 0.2 .. 1.0 clipped to the bound 1.
    assert_eq!(
        svg.matches("<path class=\"marker\" transform").count(),
        5 + 1
    );
    assert_eq!(svg.matches("fill=\"#fff\"").count(), 1);
    assert!(svg.contains("undefined = 2"));
    assert!(
        svg.contains(">1.0</text>") && svg.contains(">0.2</text>"),
        "{svg}"
    );
    assert!(!svg.contains(">1.2</text>"));
    assert!(!svg.contains("log scale"));
}

#[test]
fn chart_without_data_says_so() {
    let panel = CurvePanel {
        metric: "Dice".into(),
        series: vec![Series {
            model: "m".into(),
            points: vec![],
        }],
        ..Default::default()
    };
    let svg = line_chart(&panel, &[]);
    check_markup(&svg, &[]).expect("well-formed");
    assert!(svg.contains("no defined values"));
}

// ---------------------------------------------------------------- data efficiency

fn sources() -> Vec<String> {
    efficiency_fixture::SOURCES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The `x1` of every x-axis tick mark, with its label.
fn x_ticks(svg: &str) -> Vec<(f64, String)> {
    svg.split("<line class=\"tick\" x1=\"")
        .skip(1)
        .map(|rest| {
            let x: f64 = rest[..rest.find('"').expect("x1 ends")]
                .parse()
                .expect("x1 is a number");
            let label = rest.split("<text").nth(1).expect("label");
            let label =
                &label[label.find('>').expect(">") + 1..label.find("</text>").expect("end")];
            (x, label.to_string())
        })
        .collect()
}

#[test]
fn efficiency_chart_has_log_ticks_one_line_per_source_and_the_band() {
    let panels = efficiency_fixture::efficiency_panels();
    let dice = &panels[1];
    assert!(dice.primary && dice.band.is_some());
    let svg = efficiency_chart(dice, &sources());
    check_markup(&svg, &[]).unwrap_or_else(|e| panic!("{e} in {svg}"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"));
    // Ticks 1, 2, 5, 10, 20 at log10(n) positions: the plot runs from x = 56
    // to 544 over log10(n) in [−0.065, 1.366] (5% padding of log10 20 each
    // side), so x(n) = 56 + (log10 n + 0.06505) / 1.43113 · 488.
    let ticks = x_ticks(&svg);
    let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(labels, ["1", "2", "5", "10", "20"]);
    let expected = [78.2, 180.8, 316.5, 419.2, 521.8];
    for ((x, l), e) in ticks.iter().zip(expected) {
        assert!((x - e).abs() < 0.051, "tick {l} at {x}, expected {e}");
    }
    assert!(svg.contains("training images (n, log scale)"));
    // One data line per source, in the report-wide colours.
    assert_eq!(svg.matches("<path class=\"line\" stroke=").count(), 4);
    for c in ["#0072B2", "#D55E00", "#009E73", "#CC79A7"] {
        assert_eq!(
            svg.matches(&format!("<path class=\"line\" stroke=\"{c}\""))
                .count(),
            1,
            "{c}"
        );
    }
    // A ribbon per source (5 points with intervals each), 20 markers.
    assert_eq!(svg.matches("<path class=\"band\"").count(), 4);
    assert_eq!(
        svg.matches("<path class=\"marker\" transform").count(),
        20 + 4
    );
    // The band: a rect across the plot, a dashed line and a label; its key in the legend.
    assert!(
        svg.contains("<rect class=\"human-band\" x=\"56.0\""),
        "{svg}"
    );
    assert_eq!(svg.matches("<rect class=\"human-band\"").count(), 2);
    assert_eq!(svg.matches("<line class=\"human-line\"").count(), 2);
    assert!(svg.contains(">human level 0.90 [0.87, 0.93]</text>"));
    assert!(svg.contains("10 observers, pairwise Dice"));
    assert!(!svg.contains("no human reference declared"));

    // Without a band: no rect, the chart says so.
    let svg = efficiency_chart(&panels[2], &sources());
    check_markup(&svg, &[]).expect("well-formed");
    assert!(svg.contains("no human reference declared"));
    assert!(!svg.contains("human-band") && !svg.contains("human-line"));
}

#[test]
fn efficiency_chart_gaps_hollow_markers_and_other_ranges() {
    let pt = |n: usize, mean: Option<f64>, folds: usize| EfficiencyPoint {
        n,
        mean,
        lo: mean.map(|m| m - 1.0),
        hi: mean.map(|m| m + 1.0),
        folds,
    };
    let panel = EfficiencyPanel {
        metric: "RMS distance".into(),
        metric_unit: "mm".into(),
        higher_is_better: false,
        curves: vec![EfficiencyCurve {
            source: "late".into(),
            points: vec![
                pt(0, Some(9.0), 4),
                pt(150, Some(1.5), 4),
                pt(3, Some(6.0), 4),
                pt(10, None, 4),
                pt(30, Some(2.5), 3),
            ],
        }],
        band: Some(HumanBand {
            value: 1.6,
            lo: 1.2,
            hi: 2.1,
            source: String::new(),
        }),
        ..Default::default()
    };
    let svg = efficiency_chart(&panel, &sources());
    check_markup(&svg, &[]).expect("well-formed");
    // n = 0 not drawn; ticks over [3, 150]: 5 … 100.
    let labels: Vec<String> = x_ticks(&svg).into_iter().map(|(_, l)| l).collect();
    assert_eq!(labels, ["5", "10", "20", "50", "100"]);
    // An unlisted source takes the next free style (index 4: orange).
    let line = svg
        .split("<path class=\"line\" stroke=\"#E69F00\" d=\"")
        .nth(1)
        .expect("line");
    let d = &line[..line.find('"').expect("end")];
    // 3 | gap at 10 | 30 – 150.
    assert_eq!(
        (d.matches('M').count(), d.matches('L').count()),
        (2, 1),
        "{d}"
    );
    assert_eq!(svg.matches("<path class=\"errbar\"").count(), 1);
    assert_eq!(svg.matches("<path class=\"band\"").count(), 1);
    // The 3-fold point is hollow.
    assert_eq!(svg.matches("fill=\"#fff\"").count(), 1);
    assert!(svg.contains("3 folds"));
    assert!(svg.contains("RMS distance (mm)"));
    assert!(svg.contains(">human level 1.6 [1.2, 2.1]</text>"));
}

fn row_html(source: &str, reached: &str, score: &str) -> String {
    format!(
        "<span>{source}</span></th><td class=\"num{}\">{reached}</td><td class=\"num\">{score}",
        if reached == "not reached" {
            " missing"
        } else {
            ""
        }
    )
}

#[test]
fn efficiency_section_tables_and_order() {
    let data = efficiency_fixture::muscle_report();
    let html = render(&data).expect("renders");
    for svg in svg_fragments(&html) {
        check_markup(svg, &[]).unwrap_or_else(|e| panic!("{e} in {svg}"));
    }
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
    assert!(html.contains("<section id=\"efficiency\">"));
    assert!(html.contains("<a href=\"#efficiency\">Data efficiency</a>"));
    assert!(html.contains(
        "Each point is the mean over folds of the per-image scores on the held-out fold"
    ));
    assert_eq!(html.matches("<svg class=\"chart efficiency\"").count(), 4);
    // Primary panels first (figures 1, 2: Dice), then RMS (3, 4), in given order otherwise.
    let titles: Vec<&str> = html
        .match_indices("<span class=\"panel-title\">")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            &rest[..rest.find(" <span").expect("title end")]
        })
        .collect();
    assert_eq!(
        titles,
        [
            "Dice &middot; muscle",
            "Dice &middot; muscle",
            "RMS distance &middot; muscle",
            "RMS distance &middot; muscle"
        ]
    );
    let sub = |d: &str| {
        html.find(&format!("<span class=\"panel-sub\">{d} &middot; n = 1–20"))
            .expect(d)
    };
    assert!(sub("ct-l3") < sub("phantom"));
    // Two tables (the panels with a band); hand-worked from the fixture:
    // Dice band lo 0.87 → random never (0.857 at 20), supervised 5 (0.884),
    // autoencoder 20 (0.858 at 10, 0.893 at 20), mednist 20 (0.881).
    assert_eq!(html.matches("<table class=\"reach\">").count(), 2);
    assert_eq!(
        html.matches("Smallest <i>n</i> reaching the human band</caption>")
            .count(),
        2
    );
    assert!(html.contains("Dice at n = 20 <span class=\"arrow\""));
    for (s, reached, score) in [
        (
            "random",
            "not reached",
            "0.857 <span class=\"ci\">[0.824, 0.890]</span>",
        ),
        ("supervised", "<strong>5</strong>", "<strong>0.925</strong>"),
        ("autoencoder", "20", "0.893"),
        ("mednist", "20", "0.881"),
    ] {
        assert!(html.contains(&row_html(s, reached, score)), "{s}");
    }
    // Rows in the legend's (leaderboard's) order: supervised first, random last.
    let row = |s: &str| {
        html.find(&format!("<span>{s}</span></th><td class=\"num"))
            .expect(s)
    };
    assert!(row("supervised") < row("autoencoder") && row("mednist") < row("random"));
    // RMS (lower is better), band hi 2.1: 2.0 at 5 for supervised, 1.8 / 2.0 at 20.
    assert!(html.contains("RMS distance (mm) at n = 20"));
    assert!(html.contains(&row_html(
        "supervised",
        "<strong>5</strong>",
        "<strong>1.30</strong>"
    )));
    assert!(html.contains(&row_html("random", "not reached", "2.60")));
    assert!(html.contains("whose mean is ≤ 2.1 (the band&#x27;s upper end)"));
    assert!(html.contains("no human reference declared"));
    assert!(html.contains("Figure 1.</span> Dice"));
    // Colours follow the leaderboard (supervised ranks first: blue, circle).
    assert!(html.contains("stroke=\"#0072B2\" fill=\"#0072B2\"><title>supervised: n = 1 → Dice 0.741 [0.6735, 0.8085]; 4 folds</title>"));
    assert!(html.contains("stroke=\"#CC79A7\" fill=\"#CC79A7\"><title>random: n = 1 →"));
    assert!(html.contains("<p class=\"eyebrow\">sensibench &middot; data-efficiency report</p>"));
    assert!(html.contains("Figure 3.</span> RMS distance (mm)"));
}

#[test]
fn efficiency_section_comes_before_robustness_and_renumbers_figures() {
    let mut data = fixture::report_data();
    let plain = render(&data).expect("renders");
    assert!(!plain.contains("id=\"efficiency\"") && !plain.contains("<h2>Data efficiency</h2>"));
    assert!(!plain.contains("href=\"#efficiency\""));
    data.efficiency = efficiency_fixture::efficiency_panels();
    let html = render(&data).expect("renders");
    let eff = html.find("<section id=\"efficiency\">").expect("section");
    let curves = html.find("<section id=\"curves\">").expect("curves");
    assert!(eff < curves);
    // 4 efficiency figures, then the 2 robustness groups as figures 5 and 6.
    assert!(html[curves..].contains("Figure 5.</span>"));
    assert!(!html[curves..].contains("Figure 1.</span>"));
    // The robustness charts are unchanged.
    assert_eq!(
        html.matches("<svg class=\"chart\"").count(),
        data.panels.len()
    );
}

#[test]
fn efficiency_source_names_are_escaped() {
    let mut data = efficiency_fixture::muscle_report();
    for p in &mut data.efficiency {
        p.curves[0].source = "<b>&".to_string();
        p.class = "\"mus'cle\"".to_string();
        if let Some(b) = &mut p.band {
            b.source = "<script>alert(1)</script>".to_string();
        }
    }
    let html = render(&data).expect("renders");
    assert!(!html.contains("<b>&"), "raw source name");
    assert!(!html.contains("<script"));
    // In the table (minijinja) and in the SVG legend (escape_xml).
    assert!(
        html.contains("<span>&lt;b&gt;&amp;</span></th><td class=\"num missing\">not reached</td>")
    );
    assert!(html.contains(">&lt;b&gt;&amp;</text>"), "legend");
    for svg in svg_fragments(&html) {
        check_markup(svg, &[]).unwrap_or_else(|e| panic!("{e} in {svg}"));
    }
    check_markup(&html, &["meta", "img", "br"]).expect("html well-formed");
}

#[test]
fn efficiency_defaults_to_empty_in_older_runs() {
    let data = fixture::report_data();
    let mut json = serde_json::to_value(&data).expect("serialises");
    json.as_object_mut().expect("object").remove("efficiency");
    let back: ReportData = serde_json::from_value(json).expect("deserialises without the field");
    assert_eq!(back, data);
    assert!(back.efficiency.is_empty());
}

#[test]
fn smallest_n_on_the_fixture() {
    let panels = efficiency_fixture::efficiency_panels();
    let (rms, dice) = (&panels[0], &panels[1]);
    let reach = |p: &EfficiencyPanel| -> Vec<Option<usize>> {
        p.curves
            .iter()
            .map(|c| smallest_n_reaching(c, p.band.as_ref().expect("band"), p.higher_is_better))
            .collect()
    };
    assert_eq!(reach(dice), [None, Some(5), Some(20), Some(20)]);
    // RMS ≤ 2.1: random 2.6 never; supervised 2.0 at 5; autoencoder 1.8 at 20
    // (2.3 at 10); mednist 2.0 at 20 (2.5 at 10).
    assert_eq!(reach(rms), [None, Some(5), Some(20), Some(20)]);
}

// ---------------------------------------------------------------- overlays

#[derive(serde::Deserialize)]
struct OverlayReference {
    height: usize,
    width: usize,
    image: Vec<f32>,
    labels: Vec<u8>,
    rgb: Vec<u8>,
}

#[test]
fn overlay_matches_numpy_reference() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/overlay_reference.json"),
    )
    .expect("fixture tests/reference/overlay_reference.json (run overlay_reference.py)");
    let r: OverlayReference = serde_json::from_str(&text).expect("fixture parses");
    let png = overlay_png(&r.image, r.height, r.width, &r.labels, None).expect("overlay");
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("valid PNG")
        .to_rgb8();
    assert_eq!(
        (img.height() as usize, img.width() as usize),
        (r.height, r.width)
    );
    let got = img.into_raw();
    for (i, (g, e)) in got.iter().zip(&r.rgb).enumerate() {
        assert!(g.abs_diff(*e) <= 1, "byte {i}: got {g}, numpy {e}");
    }
}

#[test]
fn overlay_hand_case() {
    // Values 0..=100 in one row: p1 = 1, p99 = 99 (NumPy linear).
    let image: Vec<f32> = (0..=100).map(|v| v as f32).collect();
    let mut labels = vec![0u8; 101];
    labels[25] = 1; // isolated → contour: alpha 0.9 with orange (230, 159, 0)
    let palette = [[255u8, 0, 0], [0, 255, 0]];
    labels[60] = 2;
    labels[61] = 2;
    labels[62] = 2; // 61 is inside (both neighbours label 2)
    let png = overlay_png(&image, 1, 101, &labels, None).expect("overlay");
    let rgb = image::load_from_memory(&png).expect("png").to_rgb8();
    let px = |c: u32| rgb.get_pixel(c, 0).0;
    assert_eq!(px(0), [0, 0, 0]);
    assert_eq!(px(1), [0, 0, 0]);
    assert_eq!(px(99), [255, 255, 255]);
    assert_eq!(px(100), [255, 255, 255]);
    // v = 50: 255 · 49/98 = 127.5 → 128
    assert_eq!(px(50), [128, 128, 128]);
    // v = 25: g = 255 · 24/98 = 62.449; 0.1·g + 0.9·(230, 159, 0) = (213.24, 149.34, 6.24)
    assert_eq!(px(25), [213, 149, 6]);
    // v = 61 inside label 2 (sky blue 86, 180, 233): g = 255·60/98 = 156.12;
    // 0.55·g + 0.45·c = (124.57, 166.87, 190.72)
    assert_eq!(px(61), [125, 167, 191]);

    let png = overlay_png(&image, 1, 101, &labels, Some(&palette)).expect("overlay");
    let rgb = image::load_from_memory(&png).expect("png").to_rgb8();
    // 0.55·156.12 + 0.45·(0, 255, 0) = (85.87, 200.62, 85.87)
    assert_eq!(rgb.get_pixel(61, 0).0, [86, 201, 86]);
}

#[test]
fn overlay_rejects_bad_input() {
    let msg =
        |r: Result<Vec<u8>, sensibench_report::ReportError>| r.expect_err("must fail").to_string();
    assert!(
        msg(overlay_png(&[0.0; 6], 2, 2, &[0; 4], None)).contains("image has 6 values, expected")
    );
    assert!(msg(overlay_png(&[0.0; 4], 2, 2, &[0; 3], None)).contains("labels has 3 values"));
    assert!(msg(overlay_png(&[], 0, 2, &[], None)).contains("≥ 1"));
    assert!(msg(overlay_png(&[0.0; 4], 2, 2, &[1; 4], Some(&[]))).contains("palette is empty"));
    // Constant and non-finite images are fine.
    assert!(overlay_png(&[3.0; 4], 2, 2, &[0, 1, 2, 3], None).is_ok());
    assert!(overlay_png(&[f32::NAN; 4], 2, 2, &[0; 4], None).is_ok());
}

#[test]
fn base64_round_trips_png_signature() {
    assert_eq!(
        to_base64(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        "iVBORw0KGgo="
    );
}

// ---------------------------------------------------------------- files and a browser

#[test]
fn write_report_creates_index_html() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("a/b/report");
    let path = write_report(&fixture::report_data(), &target).expect("writes");
    assert_eq!(path, target.join("index.html"));
    let text = std::fs::read_to_string(&path).expect("readable");
    assert!(text.contains("</html>"));

    // A file where the folder should be: an error naming the path.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").expect("write");
    let err = write_report(&fixture::report_data(), &blocker.join("sub")).expect_err("must fail");
    assert!(err.to_string().contains("file"), "{err}");
}

/// Runs `cmd` with a deadline; returns (success, stdout, stderr).
fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> (bool, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status.success(),
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    )
}

#[test]
fn chromium_renders_without_console_errors() {
    let chromium = Path::new("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "Chromium not found at /usr/bin/chromium: run `make setup` (it installs Debian's `chromium`) to run the report's browser test"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let data = fixture::report_data();
    let path = write_report(&data, &dir.path().join("report")).expect("writes");
    let profile = dir.path().join("profile");
    let url = format!("file://{}", path.display());
    let base = |c: &mut Command| {
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
    };
    let mut cmd = Command::new(chromium);
    base(&mut cmd);
    cmd.arg("--dump-dom").arg(&url);
    let (ok, dom, log) = run_with_deadline(&mut cmd, Duration::from_secs(120));
    assert!(ok, "chromium failed; stderr:\n{log}");
    assert!(
        dom.contains(&data.title),
        "DOM lacks the title; stderr:\n{log}"
    );
    assert!(dom.contains("<svg class=\"chart\""), "DOM lacks the charts");
    assert!(!log.contains("Uncaught"), "console error:\n{log}");
    assert!(!log.contains("ERROR:CONSOLE"), "console error:\n{log}");

    let shot = dir.path().join("report.png");
    let mut cmd = Command::new(chromium);
    base(&mut cmd);
    cmd.arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,2400")
        .arg(&url);
    let (ok, _, log) = run_with_deadline(&mut cmd, Duration::from_secs(120));
    assert!(ok, "chromium screenshot failed; stderr:\n{log}");
    let img = image::open(&shot).expect("screenshot is a PNG").to_rgb8();
    assert_eq!((img.width(), img.height()), (1400, 2400));
    // Not a blank page: plenty of distinct colours.
    let mut colours: Vec<[u8; 3]> = img.pixels().step_by(97).map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "screenshot looks blank ({} colours)",
        colours.len()
    );
    if let Ok(keep) = std::env::var("SENSIBENCH_REPORT_SCREENSHOT") {
        let _ = std::fs::copy(&shot, keep);
    }
}
