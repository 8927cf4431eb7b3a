//! The nightly regression report: per suite, passed or failed against its
//! baseline, what regressed (model, metric, where, by how much, with the
//! interval and the p-value against the tolerance) and the worst samples as
//! images; then the harness-speed table (criterion benches against their
//! saved baseline). One self-contained page in the report's style.

use serde::Serialize;

use crate::ReportError;
use crate::template;

/// The whole page.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NightlyView {
    /// When the nightly run finished (ISO 8601 UTC).
    pub created: String,
    /// Every suite passed and the harness is not slower.
    pub passed: bool,
    /// The suites, in run order.
    pub suites: Vec<NightlySuiteView>,
    /// `None` when no criterion results were compared.
    pub bench: Option<BenchView>,
}

/// One suite's check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NightlySuiteView {
    /// The suite name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why the suite could not be compared (no baseline, the run failed).
    pub error: Option<String>,
    /// Relative link to the run's report, if written.
    pub report: Option<String>,
    /// Relative link to the comparison's JSON.
    pub compare_json: Option<String>,
    /// The baseline folder and its run.
    pub baseline: String,
    /// What differs between the baseline and the run: (what, baseline, run).
    pub differences: Vec<(String, String, String)>,
    /// Rows ok in the baseline and failing now.
    pub newly_failing: usize,
    /// Examples of newly failing rows.
    pub newly_failing_examples: Vec<String>,
    /// Paired rows, and rows on one side only.
    pub paired: usize,
    /// Rows only in the baseline.
    pub only_in_baseline: usize,
    /// Rows only in the run.
    pub only_in_run: usize,
    /// Groups compared, improved.
    pub groups: usize,
    /// Groups better than the baseline beyond the tolerance.
    pub improvements: usize,
    /// The regressed groups.
    pub regressions: Vec<RegressionView>,
}

/// One regressed group.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RegressionView {
    /// The model.
    pub model: String,
    /// The metric.
    pub metric: String,
    /// `all datasets and perturbations`, or `dataset · perturbation`.
    pub scope: String,
    /// Number of samples (the test's unit).
    pub n: usize,
    /// The baseline value (formatted).
    pub baseline: String,
    /// The run value (formatted).
    pub run: String,
    /// Run − baseline (formatted, signed).
    pub diff: String,
    /// Bootstrap interval of the difference.
    pub ci: String,
    /// The paired test's p-value.
    pub p_value: String,
    /// The test, e.g. `wilcoxon (exact)`.
    pub test: String,
    /// The metric's tolerance.
    pub tolerance: String,
    /// The worst samples, worst first.
    pub worst: Vec<WorstView>,
}

/// One worst sample.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WorstView {
    /// E.g. `phantom / s01-03 · rotate = 20: 0.91 → 0.62`.
    pub caption: String,
    /// The picture as a base64 PNG.
    pub image: Option<String>,
    /// Why there is no picture.
    pub note: Option<String>,
}

/// The harness-speed table.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BenchView {
    /// Whether it passed.
    pub passed: bool,
    /// The baseline file, its machine and date.
    pub baseline: String,
    /// The declared slowdown ratio.
    pub max_ratio: String,
    /// One row per benchmark.
    pub rows: Vec<BenchRowView>,
}

/// One benchmark.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BenchRowView {
    /// The benchmark id.
    pub id: String,
    /// The baseline value (formatted).
    pub baseline: String,
    /// The median now (formatted).
    pub current: String,
    /// Now / baseline.
    pub ratio: String,
    /// `slower`, `ok`, `new` or `missing`.
    pub verdict: String,
}

const TEMPLATE: &str = include_str!("../templates/nightly.html");

/// Renders the nightly report page.
///
/// # Errors
/// [`ReportError::Template`] if the compiled-in template fails (a bug).
pub fn render_nightly(view: &NightlyView) -> Result<String, ReportError> {
    template::render_page(
        "nightly.html",
        &[("nightly.html", TEMPLATE)],
        minijinja::context! {
            n => minijinja::Value::from(minijinja::value::Serde(view)),
            css => template::stylesheet(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_night_shows_the_regression_and_the_slow_bench() {
        let view = NightlyView {
            created: "2026-11-24T23:00:00Z".into(),
            passed: false,
            suites: vec![NightlySuiteView {
                name: "cardiac".into(),
                passed: false,
                differences: vec![("model `unet` hash".into(), "aa".into(), "bb".into())],
                regressions: vec![RegressionView {
                    model: "unet".into(),
                    metric: "dice".into(),
                    scope: "phantom · rotate".into(),
                    n: 8,
                    diff: "-0.120".into(),
                    worst: vec![WorstView {
                        caption: "s1".into(),
                        image: Some("AAAA".into()),
                        note: None,
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            bench: Some(BenchView {
                passed: false,
                rows: vec![BenchRowView {
                    id: "metrics/dice".into(),
                    ratio: "3.00".into(),
                    verdict: "slower".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        let html = render_nightly(&view).expect("render");
        for want in [
            "FAILED",
            "model `unet` hash",
            "phantom · rotate",
            "-0.120",
            "data:image/png;base64,AAAA",
            "metrics&#x2f;dice", // autoescaped
            "3.00",
        ] {
            assert!(html.contains(want), "{want} missing");
        }
        let ok = render_nightly(&NightlyView {
            passed: true,
            ..Default::default()
        })
        .expect("render");
        assert!(ok.contains("passed") && !ok.contains("FAILED"));
    }
}
