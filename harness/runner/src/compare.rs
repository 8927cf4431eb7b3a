//! `sensibench compare A B`: loads two sides (run or baseline folders),
//! compares them ([`sensibench_results::compare`]) and writes the JSON and
//! the HTML page ([`sensibench_report::render_compare`]).

use std::path::{Path, PathBuf};

use sensibench_report::{CompareView, DifferenceView, GroupView, SideView, WorstView};
use sensibench_results::compare::{
    CompareTest, ConditionComparison, GroupComparison, SideInfo, WorstSample,
};
use sensibench_results::{CompareSettings, Comparison, compare, load_side};

use crate::{Result, io_err, json_err, render_err};

/// The JSON file [`write_compare`] writes.
pub const COMPARE_JSON: &str = "compare.json";
/// The HTML file [`write_compare`] writes.
pub const COMPARE_HTML: &str = "compare.html";

/// Loads `a` (the reference: a run or a baseline folder) and `b` and
/// compares them.
///
/// # Errors
/// When either side cannot be loaded (the error names the folder).
pub fn compare_runs(a: &Path, b: &Path, settings: &CompareSettings) -> Result<Comparison> {
    let sa = load_side(a)?;
    let sb = load_side(b)?;
    Ok(compare(&sa, &sb, settings))
}

/// Writes `out_dir/compare.json` (the [`Comparison`]) and
/// `out_dir/compare.html` (its page, see [`to_view`]); returns both paths.
///
/// # Errors
/// When the folder or a file cannot be written.
pub fn write_compare(c: &Comparison, out_dir: &Path) -> Result<(PathBuf, PathBuf)> {
    write_compare_view(c, &to_view(c), out_dir)
}

/// [`write_compare`] with a view the caller has completed (e.g. with the
/// worst samples' images).
///
/// # Errors
/// When the folder or a file cannot be written.
pub fn write_compare_view(
    c: &Comparison,
    view: &CompareView,
    out_dir: &Path,
) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let json = out_dir.join(COMPARE_JSON);
    let text = serde_json::to_string_pretty(c).map_err(json_err(&json))?;
    std::fs::write(&json, text).map_err(io_err(&json))?;
    let html_path = out_dir.join(COMPARE_HTML);
    let html = sensibench_report::render_compare(view)
        .map_err(render_err(html_path.display().to_string()))?;
    std::fs::write(&html_path, html).map_err(io_err(&html_path))?;
    Ok((json, html_path))
}

fn side_view(s: &SideInfo) -> SideView {
    let p = &s.provenance;
    let mut provenance = vec![
        ("suite".to_string(), p.suite.clone()),
        ("suite hash".to_string(), p.suite_hash.clone()),
        ("task".to_string(), p.task.clone()),
        ("seed".to_string(), p.seed.to_string()),
        ("harness version".to_string(), p.harness_version.clone()),
        ("git sha".to_string(), p.git_sha.clone()),
    ];
    for m in &p.models {
        provenance.push((format!("model `{}`", m.name), m.hash.clone()));
    }
    SideView {
        kind: s.kind.clone(),
        path: s.path.clone(),
        run_id: p.run_id.clone(),
        created: p.created.clone(),
        provenance,
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn worst_view(w: &WorstSample) -> WorstView {
    WorstView {
        dataset: w.dataset.clone(),
        sample: w.sample.clone(),
        perturbation: w.perturbation.clone(),
        point: w.point,
        a: w.a,
        b: w.b,
        image_png_base64: None,
    }
}

/// One group as a table row.
pub fn group_view(g: &GroupComparison) -> GroupView {
    GroupView {
        model: g.model.clone(),
        dataset: g.dataset.clone().unwrap_or_default(),
        perturbation: g.perturbation.clone().unwrap_or_default(),
        metric: g.metric.clone(),
        n: g.n,
        mean_a: finite(g.mean_a),
        mean_b: finite(g.mean_b),
        diff: finite(g.mean_diff),
        ci: g.ci,
        p: finite(g.p_value),
        test: g.test.clone(),
        tolerance: g.tolerance,
        verdict: g.verdict.as_str().to_string(),
        worst: g.worst.iter().map(worst_view).collect(),
    }
}

fn condition_view(c: &ConditionComparison) -> GroupView {
    GroupView {
        model: c.model.clone(),
        dataset: c.dataset.clone(),
        perturbation: format!("{} @ {}", c.perturbation, c.point),
        metric: match &c.class {
            Some(k) => format!("{} ({k})", c.metric),
            None => c.metric.clone(),
        },
        n: c.n,
        mean_a: finite(c.a),
        mean_b: finite(c.b),
        diff: finite(c.diff),
        ci: c.ci,
        p: finite(c.p_value),
        test: match &c.note {
            Some(n) => format!("{}: {n}", c.test),
            None => c.test.clone(),
        },
        tolerance: c.tolerance,
        verdict: c.verdict.as_str().to_string(),
        worst: Vec::new(),
    }
}

/// The page of a comparison (worst samples without images; the caller may
/// fill [`WorstView::image_png_base64`]).
pub fn to_view(c: &Comparison) -> CompareView {
    let s = &c.settings;
    let test = match s.test {
        CompareTest::Wilcoxon => "Wilcoxon signed-rank test (scipy defaults)",
        CompareTest::Permutation => "sign-flip permutation test of the mean",
    };
    let method = format!(
        "A group regresses when B is worse than A by more than the metric's tolerance and the \
         paired {test} over samples gives p < {}. Δ is the mean over samples of B − A (each \
         sample's pairs averaged first); its interval is the {}% percentile bootstrap CI \
         ({} resamples).",
        s.alpha,
        s.level * 100.0,
        s.resamples
    );
    let n = &c.counts;
    let counts = vec![
        ("pairs compared".to_string(), n.paired.to_string()),
        ("rows only in A".to_string(), n.only_in_a.to_string()),
        ("rows only in B".to_string(), n.only_in_b.to_string()),
        (
            "pairs dropped (value missing or not finite)".to_string(),
            n.nan_dropped.to_string(),
        ),
        (
            "rows newly failing in B".to_string(),
            n.newly_failing.to_string(),
        ),
        (
            "rows failing in A, ok in B".to_string(),
            n.newly_passing.to_string(),
        ),
        (
            "rows failing in both".to_string(),
            n.failed_both.to_string(),
        ),
    ];
    let newly_failing = c
        .newly_failing
        .iter()
        .map(|k| {
            format!(
                "{} · {}/{} · {} = {} · {} {}",
                k.model, k.dataset, k.sample, k.perturbation, k.point, k.class, k.metric
            )
        })
        .collect();
    let suite = c.b.provenance.suite.clone();
    CompareView {
        title: format!(
            "{suite}: {} vs {}",
            c.b.provenance.run_id, c.a.provenance.run_id
        ),
        suite,
        a: side_view(&c.a),
        b: side_view(&c.b),
        differences: c
            .differences
            .iter()
            .map(|d| DifferenceView {
                what: d.what.clone(),
                a: d.a.clone(),
                b: d.b.clone(),
            })
            .collect(),
        regressed: c.regressed(),
        counts,
        method,
        model_groups: c
            .groups
            .iter()
            .filter(|g| g.dataset.is_none())
            .map(group_view)
            .collect(),
        perturbation_groups: c
            .groups
            .iter()
            .filter(|g| g.dataset.is_some())
            .map(group_view)
            .collect(),
        condition_groups: c.conditions.iter().map(condition_view).collect(),
        newly_failing,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sensibench_results::{ResultRow, Status, Verdict, write_part};

    fn manifest(dir: &Path, run_id: &str, hash: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let m = serde_json::json!({
            "suite": "t", "suite_hash": "s", "seed": 1, "run_id": run_id,
            "created": "2026-11-24T00:00:00Z", "harness_version": "0.1.0", "git_sha": "abc",
            "task": "segmentation", "primary_metric": "dice", "metrics": ["dice"],
            "models": [{"name": "m", "backend": "null", "path": "", "hash": hash, "load_error": null}]
        });
        std::fs::write(dir.join("manifest.json"), m.to_string()).unwrap();
    }

    /// 12 samples, dice 0.7 + 0.02 i; `shift`: B loses 0.05 + 0.001 i.
    fn run(dir: &Path, shift: bool, hash: &str) {
        manifest(dir, dir.file_name().unwrap().to_str().unwrap(), hash);
        let rows: Vec<ResultRow> = (0..12)
            .map(|i| ResultRow {
                run_id: "r".into(),
                suite: "t".into(),
                suite_hash: "s".into(),
                harness_version: "0.1.0".into(),
                git_sha: "abc".into(),
                seed: 1,
                model: "m".into(),
                model_hash: hash.into(),
                backend: "null".into(),
                dataset: "d".into(),
                sample: format!("s{i:02}"),
                reference_mode: "ground_truth".into(),
                perturbation: "noise".into(),
                kind: "gaussian_noise".into(),
                parameter: "sigma".into(),
                point: 0.1,
                point_index: 1,
                class: "lv".into(),
                class_index: 1,
                metric: "dice".into(),
                value: Some(
                    0.7 + 0.02 * i as f64 - if shift { 0.05 + 0.001 * i as f64 } else { 0.0 },
                ),
                status: Status::Ok,
                error: None,
            })
            .collect();
        write_part(dir, "m__d__noise", &rows).unwrap();
    }

    #[test]
    fn shifted_run_regresses_and_pages_are_written() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        run(&a, false, "h1");
        run(&b, true, "h1");
        let c = compare_runs(&a, &b, &CompareSettings::default()).unwrap();
        assert!(c.regressed());
        let g = &c.groups[0];
        // Δ = -(0.05 + 0.001 · 5.5) = -0.0555; 12 negative untied differences: p = 2 / 4096.
        assert!((g.mean_diff + 0.0555).abs() < 1e-12, "{}", g.mean_diff);
        assert_eq!(g.p_value, 2.0 / 4096.0);
        assert_eq!(g.verdict, Verdict::Regression);
        let (json, html) = write_compare(&c, &tmp.path().join("cmp")).unwrap();
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
        assert_eq!(j["groups"][0]["verdict"], "regression");
        let page = std::fs::read_to_string(html).unwrap();
        assert!(page.contains("Regressed") && page.contains("-0.0555"));
    }

    #[test]
    fn identical_runs_are_unchanged_and_hash_changes_listed() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        run(&a, true, "h1");
        run(&b, true, "h2");
        let c = compare_runs(&a, &b, &CompareSettings::default()).unwrap();
        assert!(!c.regressed());
        for g in &c.groups {
            assert_eq!(
                (g.mean_diff, g.p_value, g.verdict),
                (0.0, 1.0, Verdict::Unchanged)
            );
        }
        let v = to_view(&c);
        assert_eq!(v.differences.len(), 1);
        assert_eq!(v.differences[0].what, "model `m` hash");
        let page = sensibench_report::render_compare(&v).unwrap();
        assert!(page.contains("What differs") && page.contains("No regression"));
        assert!(
            compare_runs(&a, &tmp.path().join("missing"), &CompareSettings::default()).is_err()
        );
    }
}
