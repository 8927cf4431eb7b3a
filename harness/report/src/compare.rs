//! The comparison page: one run against another (or a baseline).
//!
//! Plain data in ([`CompareView`]), one self-contained HTML
//! page out, in the report's style (the same inline stylesheet, no scripts,
//! images only as `data:image/png;base64,` URIs whose payload is checked to
//! be pure base64). Numbers are shown with 4 significant decimals for values
//! and differences, p-values as `p < 0.0001` below that.

use serde::{Deserialize, Serialize};

use crate::ReportError;
use crate::data_uri::png_data_uri;
use crate::template;

/// One side of a comparison (A: the reference, B: the new run).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SideView {
    /// `run` or `baseline`.
    pub kind: String,
    /// The folder.
    pub path: String,
    /// The run identifier.
    pub run_id: String,
    /// When it was made.
    pub created: String,
    /// Provenance pairs shown in order (suite hash, harness version, git sha,
    /// seed, model hashes, ...).
    pub provenance: Vec<(String, String)>,
}

/// A provenance field that differs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DifferenceView {
    /// What differs.
    pub what: String,
    /// Value in A.
    pub a: String,
    /// Value in B.
    pub b: String,
}

/// One of the worst-affected samples of a group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorstView {
    /// The dataset.
    pub dataset: String,
    /// The sample.
    pub sample: String,
    /// The perturbation.
    pub perturbation: String,
    /// The point.
    pub point: f64,
    /// Value in A.
    pub a: f64,
    /// Value in B.
    pub b: f64,
    /// An optional picture (standard base64 PNG), e.g. A and B overlays side
    /// by side; anything outside the base64 alphabet is not embedded.
    pub image_png_base64: Option<String>,
}

/// One compared group (a table row).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    /// The model.
    pub model: String,
    /// The dataset (empty: all).
    pub dataset: String,
    /// The perturbation (empty: all), possibly with the point, e.g. `noise @ 0.5`.
    pub perturbation: String,
    /// The metric (with the class for per-class metrics, e.g. `auc (pos)`).
    pub metric: String,
    /// Number of independent units (samples).
    pub n: usize,
    /// Mean in A.
    pub mean_a: Option<f64>,
    /// Mean in B.
    pub mean_b: Option<f64>,
    /// `B − A`.
    pub diff: Option<f64>,
    /// CI of `diff`.
    pub ci: Option<(f64, f64)>,
    /// The test's p-value.
    pub p: Option<f64>,
    /// The test's name.
    pub test: String,
    /// The tolerance.
    pub tolerance: f64,
    /// `regression`, `improvement` or `unchanged`.
    pub verdict: String,
    /// The worst samples (shown for regressions).
    pub worst: Vec<WorstView>,
}

/// Everything a comparison page shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareView {
    /// The page title.
    pub title: String,
    /// The suite.
    pub suite: String,
    /// Side A.
    pub a: SideView,
    /// Side B.
    pub b: SideView,
    /// What differs in provenance ("what differs" box; empty: nothing).
    pub differences: Vec<DifferenceView>,
    /// `true` when anything regressed (verdict banner).
    pub regressed: bool,
    /// Pairing counts, e.g. `("rows newly failing in B", "3")`.
    pub counts: Vec<(String, String)>,
    /// How the decision was made (test, alpha, CI method), one paragraph.
    pub method: String,
    /// Per-model groups.
    pub model_groups: Vec<GroupView>,
    /// Per (model, dataset, perturbation) groups.
    pub perturbation_groups: Vec<GroupView>,
    /// Classification: per-condition McNemar / DeLong tests.
    pub condition_groups: Vec<GroupView>,
    /// Newly failing rows, as text (listed under the counts).
    pub newly_failing: Vec<String>,
}

const COMPARE_TEMPLATE: &str = include_str!("../templates/compare.html");

fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if x != 0.0 && x.abs() < 1e-3 {
                format!("{x:.2e}")
            } else {
                format!("{x:.4}")
            }
        }
        Some(x) if x.is_nan() => "–".into(),
        Some(x) => format!("{x}"),
        None => "–".into(),
    }
}

fn signed(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && x > 0.0 => format!("+{}", num(Some(x))),
        other => num(other),
    }
}

fn pval(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 1e-4 => "< 0.0001".into(),
        Some(p) if p.is_finite() => format!("{p:.4}"),
        _ => "–".into(),
    }
}

#[derive(Serialize)]
struct WorstRow {
    label: String,
    a: String,
    b: String,
    src: Option<String>,
}

#[derive(Serialize)]
struct Row {
    model: String,
    scope: String,
    metric: String,
    n: usize,
    a: String,
    b: String,
    diff: String,
    ci: String,
    p: String,
    test: String,
    tolerance: String,
    verdict: String,
    worst: Vec<WorstRow>,
}

fn row(g: &GroupView) -> Row {
    let scope = match (g.dataset.is_empty(), g.perturbation.is_empty()) {
        (true, true) => "all".to_string(),
        (false, true) => g.dataset.clone(),
        (true, false) => g.perturbation.clone(),
        (false, false) => format!("{} / {}", g.dataset, g.perturbation),
    };
    Row {
        model: g.model.clone(),
        scope,
        metric: g.metric.clone(),
        n: g.n,
        a: num(g.mean_a),
        b: num(g.mean_b),
        diff: signed(g.diff),
        ci: g
            .ci
            .map(|(lo, hi)| format!("[{}, {}]", signed(Some(lo)), signed(Some(hi))))
            .unwrap_or_else(|| "–".into()),
        p: pval(g.p),
        test: g.test.clone(),
        tolerance: num(Some(g.tolerance)),
        verdict: g.verdict.clone(),
        worst: g
            .worst
            .iter()
            .map(|w| WorstRow {
                label: format!(
                    "{} / {} · {} = {}",
                    w.dataset,
                    w.sample,
                    w.perturbation,
                    num(Some(w.point))
                ),
                a: num(Some(w.a)),
                b: num(Some(w.b)),
                src: w.image_png_base64.as_deref().and_then(png_data_uri),
            })
            .collect(),
    }
}

/// Regressions first, then improvements, then the rest (stable).
fn ordered(groups: &[GroupView]) -> Vec<Row> {
    let rank = |v: &str| match v {
        "regression" => 0,
        "improvement" => 1,
        _ => 2,
    };
    let mut g: Vec<&GroupView> = groups.iter().collect();
    g.sort_by_key(|g| rank(&g.verdict));
    g.into_iter().map(row).collect()
}

fn render_page(ctx: minijinja::Value) -> Result<String, ReportError> {
    let ctx = minijinja::context! {
        css => template::stylesheet(),
        ..ctx
    };
    template::render_page("compare.html", &[("compare.html", COMPARE_TEMPLATE)], ctx)
}

/// Renders a comparison page (header with A and B, "what differs", verdict
/// summary with the regressions first, per-model then per-perturbation
/// tables, worst samples of every regressed group).
///
/// # Errors
/// [`ReportError::Template`] if the compiled-in template fails (a bug).
pub fn render_compare(view: &CompareView) -> Result<String, ReportError> {
    let all: Vec<&GroupView> = view
        .model_groups
        .iter()
        .chain(&view.perturbation_groups)
        .chain(&view.condition_groups)
        .collect();
    let regressions: Vec<Row> = all
        .iter()
        .filter(|g| g.verdict == "regression")
        .map(|g| row(g))
        .collect();
    let improvements = all.iter().filter(|g| g.verdict == "improvement").count();
    let ctx = minijinja::context! {
        v => minijinja::Value::from(minijinja::value::Serde(view)),
        regressions => minijinja::Value::from(minijinja::value::Serde(&regressions)),
        improvements => improvements,
        model_rows => minijinja::Value::from(minijinja::value::Serde(ordered(&view.model_groups))),
        pert_rows => minijinja::Value::from(minijinja::value::Serde(ordered(&view.perturbation_groups))),
        cond_rows => minijinja::Value::from(minijinja::value::Serde(ordered(&view.condition_groups))),
    };
    render_page(ctx)
}

/// Renders [`render_compare`] into `path` (parents created).
///
/// # Errors
/// As [`render_compare`]; [`ReportError::Io`] naming the path.
pub fn write_compare_html(
    view: &CompareView,
    path: &std::path::Path,
) -> Result<std::path::PathBuf, ReportError> {
    write(render_compare(view)?, path)
}

fn write(html: String, path: &std::path::Path) -> Result<std::path::PathBuf, ReportError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, html).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn group(verdict: &str, model: &str) -> GroupView {
        GroupView {
            model: model.into(),
            metric: "dice".into(),
            n: 10,
            mean_a: Some(0.85),
            mean_b: Some(0.82),
            diff: Some(-0.03),
            ci: Some((-0.04, -0.02)),
            p: Some(0.00195),
            test: "wilcoxon (exact)".into(),
            tolerance: 0.01,
            verdict: verdict.into(),
            worst: vec![WorstView {
                dataset: "d".into(),
                sample: "s09".into(),
                perturbation: "noise".into(),
                point: 0.5,
                a: 0.89,
                b: 0.84,
                image_png_base64: Some("iVBORw0KGgo=".into()),
            }],
            ..GroupView::default()
        }
    }

    #[test]
    fn compare_page_lists_regressions_first_and_escapes() {
        let v = CompareView {
            title: "cardiac: <b> vs a".into(),
            suite: "cardiac".into(),
            regressed: true,
            differences: vec![DifferenceView {
                what: "model `unet` hash".into(),
                a: "h1".into(),
                b: "h2".into(),
            }],
            model_groups: vec![group("unchanged", "zz_ok"), group("regression", "unet")],
            counts: vec![("rows newly failing in B".into(), "0".into())],
            ..CompareView::default()
        };
        let html = render_compare(&v).unwrap();
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b> vs"));
        assert!(html.contains("What differs") && html.contains("h2"));
        assert!(html.contains("class=\"verdict-banner failed\""));
        // In the per-model table the regression row comes before the unchanged one.
        let table = &html[html.find("id=\"per-model\"").unwrap()..];
        assert!(table.find("unet").unwrap() < table.find("zz_ok").unwrap());
        assert!(html.contains("−0.0300") || html.contains("-0.0300"));
        assert!(html.contains("data:image/png;base64,iVBORw0KGgo="));
        assert!(!html.contains("<script"));
        let ok = render_compare(&CompareView::default()).unwrap();
        assert!(ok.contains("class=\"verdict-banner passed\""));
    }
}
