//! Regression benchmarks: baselines, the nightly run and its report.
//!
//! `sensibench baseline SUITE` runs a suite (or takes a finished run) and
//! keeps a small summary of it under `results/baselines/<suite>/`
//! (`baseline.json` + `rows.parquet`: the suite's regression metrics per
//! sample, see `sensibench_results::write_baseline`). `sensibench nightly`
//! runs each suite, compares the run with its baseline sample by sample
//! (paired test over samples; the suite's `regression:` section declares
//! the metrics, tolerances, test and alpha), renders the worst samples of
//! every regression as images (the perturbed input with the reference and
//! the new prediction), compares the criterion benchmarks with their saved
//! baseline, writes one HTML report, and fails when anything regressed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sensibench_core::{Image, LabelMap, PerturbationEntry, Registry};
use sensibench_results::compare::{
    CompareSettings, CompareTest, Comparison, Verdict, compare, load_side,
};
use sensibench_suite::plan::{PairedTestKind, Plan, RegressionPlan, Task};

use crate::models::load_model;
use crate::perturbations::{apply, bind_perturbations};
use crate::predict::Predictor;
use crate::{Result, datasets::load_samples};

/// One worst sample to draw: where it is in the run.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRef {
    pub model: String,
    pub dataset: String,
    pub sample: String,
    pub perturbation: String,
    pub point: f64,
}

/// Draws each sample of `wanted` as one PNG: the perturbed input with the
/// reference outlined in colour (left) and the model's new prediction
/// (right); a classifier's sample is the perturbed input alone. Samples of
/// the same (dataset) are loaded once and models once. Each entry is the
/// PNG or why it could not be drawn (a missing dataset or model, a failing
/// prediction): a picture never stops the report.
pub fn render_samples(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
    wanted: &[SampleRef],
    threads: usize,
) -> Vec<std::result::Result<Vec<u8>, String>> {
    let perturbations = match bind_perturbations(plan, registry) {
        Ok(p) => p,
        Err(e) => return wanted.iter().map(|_| Err(e.to_string())).collect(),
    };
    let mut samples_of: BTreeMap<
        String,
        std::result::Result<Vec<sensibench_core::Sample>, String>,
    > = BTreeMap::new();
    let mut models: BTreeMap<String, std::result::Result<Predictor, String>> = BTreeMap::new();
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let samples = samples_of.entry(w.dataset.clone()).or_insert_with(|| {
            let d = plan
                .datasets
                .iter()
                .find(|d| d.name == w.dataset)
                .ok_or_else(|| format!("dataset `{}` is not in the suite", w.dataset))?;
            load_samples(d, plan.seed, &plan.classes).map_err(|e| e.to_string())
        });
        let sample = match samples {
            Ok(s) => s.iter().find(|s| s.id == w.sample),
            Err(e) => {
                out.push(Err(e.clone()));
                continue;
            }
        };
        let Some(sample) = sample else {
            out.push(Err(format!(
                "sample `{}` not in dataset `{}`",
                w.sample, w.dataset
            )));
            continue;
        };
        let Some(bp) = perturbations
            .iter()
            .find(|p| p.info.label == w.perturbation)
        else {
            out.push(Err(format!(
                "perturbation `{}` is not in the suite",
                w.perturbation
            )));
            continue;
        };
        let (image, reference) = match apply(bp, plan.seed, sample, sample.mask.as_ref(), w.point) {
            Ok(x) => x,
            Err(e) => {
                out.push(Err(format!("perturbation failed: {e}")));
                continue;
            }
        };
        if plan.task == Task::Classification {
            out.push(panel(&image, None, None));
            continue;
        }
        let predictor = models.entry(w.model.clone()).or_insert_with(|| {
            let mp = plan
                .models
                .iter()
                .find(|m| m.name == w.model)
                .ok_or_else(|| format!("model `{}` is not in the suite", w.model))?;
            let (_, model) = load_model(mp, threads);
            model.map(|m| Predictor::new(mp, m))
        });
        let prediction = match predictor {
            Ok(p) => p
                .predict(&[(&image, reference.as_ref())])
                .into_iter()
                .next()
                .unwrap_or_else(|| Err("no prediction".into())),
            Err(e) => Err(e.clone()),
        };
        match prediction {
            Ok(pred) => out.push(panel(&image, reference.as_ref(), Some(&pred))),
            Err(e) => out.push(Err(format!("prediction failed: {e}"))),
        }
    }
    out
}

/// The middle slice of `image` (and the label maps) side by side:
/// [input + reference | input + prediction], 2 background columns apart; or
/// the input alone when neither is given.
fn panel(
    image: &Image,
    reference: Option<&LabelMap>,
    prediction: Option<&LabelMap>,
) -> std::result::Result<Vec<u8>, String> {
    let g = image.grid();
    let (d, h, w) = (g.depth(), g.height(), g.width());
    let z = d / 2;
    let slice = |data: &[f32]| data[z * h * w..(z + 1) * h * w].to_vec();
    let labels = |m: Option<&LabelMap>| -> Vec<u8> {
        match m {
            Some(m) if m.data().len() == d * h * w => m.data()[z * h * w..(z + 1) * h * w].to_vec(),
            _ => vec![0; h * w],
        }
    };
    let img = slice(image.data());
    if reference.is_none() && prediction.is_none() {
        return sensibench_report::overlay_png(&img, h, w, &vec![0; h * w], None)
            .map_err(|e| e.to_string());
    }
    let (r, p) = (labels(reference), labels(prediction));
    let gap = 2;
    let wide = 2 * w + gap;
    let lo = img.iter().copied().fold(f32::INFINITY, f32::min);
    let mut data = vec![if lo.is_finite() { lo } else { 0.0 }; h * wide];
    let mut lab = vec![0u8; h * wide];
    for y in 0..h {
        for x in 0..w {
            data[y * wide + x] = img[y * w + x];
            data[y * wide + w + gap + x] = img[y * w + x];
            lab[y * wide + x] = r[y * w + x];
            lab[y * wide + w + gap + x] = p[y * w + x];
        }
    }
    sensibench_report::overlay_png(&data, h, wide, &lab, None).map_err(|e| e.to_string())
}

/// The tolerance of each regression metric: the suite's, else
/// `default_tolerance`, else 0.01 for scores in [0, 1] and 1 mm for surface
/// distances.
pub fn tolerances(r: &RegressionPlan) -> BTreeMap<String, f64> {
    r.metrics
        .iter()
        .map(|m| {
            let default =
                r.default_tolerance.unwrap_or_else(
                    || match sensibench_metrics::SegMetric::from_name(m) {
                        Ok(sm) if sm.is_distance() => 1.0,
                        _ => 0.01,
                    },
                );
            (
                compare_name(m).to_string(),
                r.tolerance.get(m).copied().unwrap_or(default),
            )
        })
        .collect()
}

/// The comparison's name of a suite's regression metric (`roc_auc` is the
/// comparison's per-class `auc`).
fn compare_name(metric: &str) -> &str {
    if metric == "roc_auc" { "auc" } else { metric }
}

/// The comparison settings a suite declares (`regression:`), with the
/// bootstrap of its `statistics:` section and its seed.
pub fn settings_for(plan: &Plan) -> CompareSettings {
    let r = &plan.regression;
    let tolerance = tolerances(r);
    CompareSettings {
        default_tolerance: r.default_tolerance.unwrap_or(0.01),
        tolerance,
        alpha: r.alpha,
        test: match r.test {
            PairedTestKind::Wilcoxon => CompareTest::Wilcoxon,
            PairedTestKind::Permutation => CompareTest::Permutation,
        },
        resamples: plan.statistics.bootstrap.max(1000),
        level: plan.statistics.level,
        seed: plan.seed,
        metrics: r
            .metrics
            .iter()
            .map(|m| compare_name(m).to_string())
            .collect(),
        ..CompareSettings::default()
    }
}

/// One suite of a nightly run: the run, its baseline, the comparison, the
/// worst samples drawn (keyed by (group index, worst index) in the
/// comparison), or why the suite could not be checked.
#[derive(Clone, Debug)]
pub struct SuiteCheck {
    pub suite: String,
    pub run_dir: Option<PathBuf>,
    pub baseline: PathBuf,
    pub comparison: Option<Comparison>,
    pub images: BTreeMap<(usize, usize), std::result::Result<Vec<u8>, String>>,
    /// Why the suite failed without a comparison (no baseline, the run failed).
    pub error: Option<String>,
}

impl SuiteCheck {
    /// A suite that could not be checked.
    pub fn failed(suite: &str, baseline: &Path, error: String) -> Self {
        SuiteCheck {
            suite: suite.to_string(),
            run_dir: None,
            baseline: baseline.to_path_buf(),
            comparison: None,
            images: BTreeMap::new(),
            error: Some(error),
        }
    }

    /// Whether the suite passed: compared, and nothing regressed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.comparison.as_ref().is_some_and(|c| !c.regressed())
    }
}

/// Compares the finished run `run_dir` of `plan` with the suite's baseline
/// under `baselines` and draws the worst samples of every regression.
pub fn check_suite(
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
    run_dir: &Path,
    baselines: &Path,
    threads: usize,
) -> SuiteCheck {
    let baseline = baseline_dir(baselines, &plan.name);
    if !baseline
        .join(sensibench_results::baseline::BASELINE_JSON)
        .is_file()
    {
        return SuiteCheck::failed(
            &plan.name,
            &baseline,
            format!(
                "no baseline for suite `{}` at {}: make one with `sensibench baseline {}` (or `make baseline NAME={}`) and commit it",
                plan.name,
                baseline.display(),
                plan.suite_path.display(),
                plan.name
            ),
        );
    }
    let sides = load_side(&baseline).and_then(|a| load_side(run_dir).map(|b| (a, b)));
    let (a, b) = match sides {
        Ok(x) => x,
        Err(e) => return SuiteCheck::failed(&plan.name, &baseline, e.to_string()),
    };
    let comparison = compare(&a, &b, &settings_for(plan));
    let images = draw_worst(&comparison, plan, registry, threads);
    SuiteCheck {
        suite: plan.name.clone(),
        run_dir: Some(run_dir.to_path_buf()),
        baseline,
        comparison: Some(comparison),
        images,
        error: None,
    }
}

/// The baseline folder of suite `suite` under `baselines`.
pub fn baseline_dir(baselines: &Path, suite: &str) -> PathBuf {
    baselines.join(suite)
}

/// Writes the baseline of the finished run `run_dir` of `plan` to
/// `<baselines>/<suite>/` (the suite's regression metrics only); returns
/// the folder.
pub fn write_suite_baseline(plan: &Plan, run_dir: &Path, baselines: &Path) -> Result<PathBuf> {
    let dir = baseline_dir(baselines, &plan.name);
    let metrics: Vec<String> = match plan.task {
        Task::Segmentation => plan.regression.metrics.clone(),
        Task::Classification => Vec::new(),
    };
    sensibench_results::write_baseline(run_dir, &dir, &metrics)?;
    Ok(dir)
}

/// The harness-speed part of a nightly run: the criterion benches against
/// their saved baseline.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BenchCheck {
    /// The baseline file.
    pub baseline: String,
    /// Where the baseline was measured.
    pub machine: sensibench_results::bench::MachineFacts,
    /// The declared slowdown ratio.
    pub max_ratio: f64,
    pub rows: Vec<sensibench_results::bench::BenchDiff>,
}

impl BenchCheck {
    /// No benchmark slower than the declared ratio.
    pub fn passed(&self) -> bool {
        !self.rows.iter().any(|r| r.slower)
    }
}

/// What [`write_nightly_report`] wrote.
#[derive(Clone, Debug)]
pub struct NightlyOutcome {
    /// `<dir>/index.html`.
    pub index: PathBuf,
    /// Every suite compared and passed, and the harness is not slower.
    pub passed: bool,
    /// One line per suite and for the benches, for the terminal.
    pub summary: Vec<String>,
}

/// One regressed group, as `nightly.json` lists it.
#[derive(Clone, Debug, serde::Serialize)]
struct RegressionLine {
    model: String,
    metric: String,
    dataset: Option<String>,
    perturbation: Option<String>,
    mean_a: f64,
    mean_b: f64,
    mean_diff: f64,
    ci: Option<(f64, f64)>,
    p_value: f64,
    tolerance: f64,
}

fn regression_lines(c: &Comparison) -> Vec<RegressionLine> {
    c.regressions()
        .map(|g| RegressionLine {
            model: g.model.clone(),
            metric: g.metric.clone(),
            dataset: g.dataset.clone(),
            perturbation: g.perturbation.clone(),
            mean_a: g.mean_a,
            mean_b: g.mean_b,
            mean_diff: g.mean_diff,
            ci: g.ci,
            p_value: g.p_value,
            tolerance: g.tolerance,
        })
        .chain(
            c.conditions
                .iter()
                .filter(|k| k.verdict == Verdict::Regression)
                .map(|k| RegressionLine {
                    model: k.model.clone(),
                    metric: k.metric.clone(),
                    dataset: Some(k.dataset.clone()),
                    perturbation: Some(k.perturbation.clone()),
                    mean_a: k.a,
                    mean_b: k.b,
                    mean_diff: k.diff,
                    ci: k.ci,
                    p_value: k.p_value,
                    tolerance: k.tolerance,
                }),
        )
        .collect()
}

fn fmt(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "–".into()
    }
}

fn fmt_ci(ci: Option<(f64, f64)>) -> String {
    ci.map_or_else(
        || "–".into(),
        |(lo, hi)| format!("[{}, {}]", fmt(lo), fmt(hi)),
    )
}

fn fmt_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// `target` relative to the folder `from` (both made absolute first).
fn relative(target: &Path, from: &Path) -> String {
    let abs = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (t, f) = (abs(target), abs(from));
    let tc: Vec<_> = t.components().collect();
    let fc: Vec<_> = f.components().collect();
    let common = tc.iter().zip(&fc).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..fc.len() {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c.as_os_str());
    }
    out.to_string_lossy().replace('\\', "/")
}

fn suite_view(c: &SuiteCheck, dir: &Path) -> sensibench_report::nightly::NightlySuiteView {
    use sensibench_report::nightly::{NightlySuiteView, RegressionView, WorstView};
    let mut v = NightlySuiteView {
        name: c.suite.clone(),
        passed: c.passed(),
        error: c.error.clone(),
        baseline: c.baseline.display().to_string(),
        report: c
            .run_dir
            .as_ref()
            .map(|r| r.join("report").join("index.html"))
            .filter(|p| p.is_file())
            .map(|p| relative(&p, dir)),
        ..Default::default()
    };
    let Some(cmp) = &c.comparison else {
        return v;
    };
    v.compare_json = Some(format!("{}.compare.json", c.suite));
    v.baseline = format!("{} (run {})", v.baseline, cmp.a.provenance.run_id);
    v.differences = cmp
        .differences
        .iter()
        .map(|d| (d.what.clone(), d.a.clone(), d.b.clone()))
        .collect();
    v.newly_failing = cmp.counts.newly_failing;
    v.newly_failing_examples = cmp
        .newly_failing
        .iter()
        .take(10)
        .map(|k| {
            format!(
                "{} · {} / {} · {} = {} · {} · {}",
                k.model, k.dataset, k.sample, k.perturbation, k.point, k.class, k.metric
            )
        })
        .collect();
    v.paired = cmp.counts.paired;
    v.only_in_baseline = cmp.counts.only_in_a;
    v.only_in_run = cmp.counts.only_in_b;
    v.groups = cmp.groups.len() + cmp.conditions.len();
    v.improvements = cmp
        .groups
        .iter()
        .filter(|g| g.verdict == Verdict::Improvement)
        .count()
        + cmp
            .conditions
            .iter()
            .filter(|k| k.verdict == Verdict::Improvement)
            .count();
    for (gi, g) in cmp.groups.iter().enumerate() {
        if g.verdict != Verdict::Regression {
            continue;
        }
        let scope = match (&g.dataset, &g.perturbation) {
            (Some(d), Some(p)) => format!("{d} · {p}"),
            (Some(d), None) => d.clone(),
            _ => "all datasets and perturbations".into(),
        };
        let worst = g
            .worst
            .iter()
            .enumerate()
            .filter(|_| g.dataset.is_some())
            .map(|(wi, w)| {
                let caption = format!(
                    "{} / {} · {} = {}: {} → {}",
                    w.dataset,
                    w.sample,
                    w.perturbation,
                    w.point,
                    fmt(w.a),
                    fmt(w.b)
                );
                match c.images.get(&(gi, wi)) {
                    Some(Ok(png)) => WorstView {
                        caption,
                        image: Some(sensibench_report::to_base64(png)),
                        note: None,
                    },
                    Some(Err(e)) => WorstView {
                        caption,
                        image: None,
                        note: Some(e.clone()),
                    },
                    None => WorstView {
                        caption,
                        ..Default::default()
                    },
                }
            })
            .collect();
        v.regressions.push(RegressionView {
            model: g.model.clone(),
            metric: g.metric.clone(),
            scope,
            n: g.n,
            baseline: fmt(g.mean_a),
            run: fmt(g.mean_b),
            diff: format!("{:+.3}", g.mean_diff),
            ci: fmt_ci(g.ci),
            p_value: fmt_p(g.p_value),
            test: g.test.clone(),
            tolerance: fmt(g.tolerance),
            worst,
        });
    }
    for k in &cmp.conditions {
        if k.verdict != Verdict::Regression {
            continue;
        }
        let class = k
            .class
            .as_deref()
            .map(|c| format!(" · class {c}"))
            .unwrap_or_default();
        v.regressions.push(RegressionView {
            model: k.model.clone(),
            metric: k.metric.clone(),
            scope: format!("{} · {} = {}{class}", k.dataset, k.perturbation, k.point),
            n: k.n,
            baseline: fmt(k.a),
            run: fmt(k.b),
            diff: format!("{:+.3}", k.diff),
            ci: fmt_ci(k.ci),
            p_value: fmt_p(k.p_value),
            test: k.test.clone(),
            tolerance: fmt(k.tolerance),
            worst: Vec::new(),
        });
    }
    v
}

fn bench_view(b: &BenchCheck) -> sensibench_report::nightly::BenchView {
    use sensibench_report::nightly::{BenchRowView, BenchView};
    let ns = |x: Option<f64>| {
        x.map_or_else(
            || "–".to_string(),
            |v| {
                if v >= 1e6 {
                    format!("{:.2} ms", v / 1e6)
                } else if v >= 1e3 {
                    format!("{:.2} µs", v / 1e3)
                } else {
                    format!("{v:.0} ns")
                }
            },
        )
    };
    BenchView {
        passed: b.passed(),
        baseline: format!(
            "{} ({} cores, {})",
            b.baseline, b.machine.cores, b.machine.cpu_model
        ),
        max_ratio: format!("{}", b.max_ratio),
        rows: b
            .rows
            .iter()
            .map(|r| BenchRowView {
                id: r.id.clone(),
                baseline: ns(r.baseline_ns),
                current: ns(r.current_ns),
                ratio: r.ratio.map_or_else(|| "–".into(), |x| format!("{x:.2}")),
                verdict: match (r.slower, r.baseline_ns, r.current_ns) {
                    (true, _, _) => "slower",
                    (_, None, _) => "new",
                    (_, _, None) => "missing",
                    _ => "ok",
                }
                .into(),
            })
            .collect(),
    }
}

/// Writes the nightly report into `dir`: `index.html`, `nightly.json` (the
/// verdicts) and each suite's comparison as `<suite>.compare.json`.
pub fn write_nightly_report(
    checks: &[SuiteCheck],
    bench: Option<&BenchCheck>,
    dir: &Path,
) -> Result<NightlyOutcome> {
    std::fs::create_dir_all(dir).map_err(crate::io_err(dir))?;
    let passed = checks.iter().all(SuiteCheck::passed) && bench.is_none_or(BenchCheck::passed);
    let mut summary = Vec::new();
    let mut suites_json = Vec::new();
    for c in checks {
        if let Some(cmp) = &c.comparison {
            let path = dir.join(format!("{}.compare.json", c.suite));
            let text = serde_json::to_string_pretty(cmp).map_err(crate::json_err(&path))?;
            std::fs::write(&path, text).map_err(crate::io_err(&path))?;
        }
        let lines = c
            .comparison
            .as_ref()
            .map(regression_lines)
            .unwrap_or_default();
        let verdict = if c.passed() { "passed" } else { "FAILED" };
        summary.push(match (&c.error, lines.len(), &c.comparison) {
            (Some(e), _, _) => format!("{}: FAILED: {e}", c.suite),
            (None, 0, Some(cmp)) if cmp.counts.newly_failing > 0 => format!(
                "{}: FAILED: {} row(s) fail now and did not in the baseline",
                c.suite, cmp.counts.newly_failing
            ),
            (None, 0, _) => format!("{}: {verdict}", c.suite),
            (None, n, _) => format!(
                "{}: {verdict}: {n} regression(s): {}",
                c.suite,
                lines
                    .iter()
                    .take(5)
                    .map(|l| format!(
                        "{} {} {}{:+.3} (tolerance {})",
                        l.model,
                        l.metric,
                        match (&l.dataset, &l.perturbation) {
                            (Some(d), Some(p)) => format!("[{d} · {p}] "),
                            _ => String::new(),
                        },
                        l.mean_diff,
                        l.tolerance
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
        suites_json.push(serde_json::json!({
            "suite": c.suite,
            "passed": c.passed(),
            "error": c.error,
            "run_dir": c.run_dir.as_ref().map(|p| p.display().to_string()),
            "baseline": c.baseline.display().to_string(),
            "differences": c.comparison.as_ref().map(|cmp| &cmp.differences),
            "newly_failing": c.comparison.as_ref().map_or(0, |cmp| cmp.counts.newly_failing),
            "regressions": lines,
        }));
    }
    if let Some(b) = bench {
        let slow: Vec<String> = b
            .rows
            .iter()
            .filter(|r| r.slower)
            .map(|r| format!("{} {:.2}x", r.id, r.ratio.unwrap_or(f64::NAN)))
            .collect();
        summary.push(if slow.is_empty() {
            format!(
                "harness speed: ok ({} benchmark(s) within {}x)",
                b.rows.len(),
                b.max_ratio
            )
        } else {
            format!(
                "harness speed: FAILED: slower than {}x the baseline: {}",
                b.max_ratio,
                slow.join(", ")
            )
        });
    }
    let created = sensibench_results::time::iso_now();
    let json = serde_json::json!({
        "created": created,
        "passed": passed,
        "suites": suites_json,
        "bench": bench,
    });
    let path = dir.join("nightly.json");
    let text = serde_json::to_string_pretty(&json).map_err(crate::json_err(&path))?;
    std::fs::write(&path, text).map_err(crate::io_err(&path))?;
    let view = sensibench_report::nightly::NightlyView {
        created,
        passed,
        suites: checks.iter().map(|c| suite_view(c, dir)).collect(),
        bench: bench.map(bench_view),
    };
    let html = sensibench_report::nightly::render_nightly(&view)
        .map_err(crate::render_err("nightly report"))?;
    let index = dir.join("index.html");
    std::fs::write(&index, html).map_err(crate::io_err(&index))?;
    Ok(NightlyOutcome {
        index,
        passed,
        summary,
    })
}

/// The worst samples of every regressed (dataset, perturbation) group of
/// `c`, drawn: keyed by (group index, worst index).
fn draw_worst(
    c: &Comparison,
    plan: &Plan,
    registry: &Registry<PerturbationEntry>,
    threads: usize,
) -> BTreeMap<(usize, usize), std::result::Result<Vec<u8>, String>> {
    let mut wanted = Vec::new();
    let mut keys = Vec::new();
    for (gi, g) in c.groups.iter().enumerate() {
        // a data-efficiency group's "model" is a pretraining source, not a
        // suite model: nothing to draw
        let efficiency = g
            .perturbation
            .as_deref()
            .is_some_and(|p| p.starts_with("efficiency n="));
        if g.verdict != Verdict::Regression || g.dataset.is_none() || efficiency {
            continue;
        }
        for (wi, w) in g.worst.iter().enumerate() {
            keys.push((gi, wi));
            wanted.push(SampleRef {
                model: g.model.clone(),
                dataset: w.dataset.clone(),
                sample: w.sample.clone(),
                perturbation: w.perturbation.clone(),
                point: w.point,
            });
        }
    }
    keys.into_iter()
        .zip(render_samples(plan, registry, &wanted, threads))
        .collect()
}

/// `sensibench compare A B`: compares run (or baseline) `a` with run `b`
/// using `plan`'s regression settings (defaults without a plan), draws the
/// worst samples of each regression when the plan is given, and writes
/// `compare.json` and `compare.html` into `out`. Returns their paths and
/// whether anything regressed.
pub fn compare_and_write(
    a: &Path,
    b: &Path,
    plan: Option<&Plan>,
    registry: &Registry<PerturbationEntry>,
    out: &Path,
) -> Result<(PathBuf, PathBuf, bool)> {
    let settings = plan.map(settings_for).unwrap_or_default();
    let comparison = crate::compare::compare_runs(a, b, &settings)?;
    let mut view = crate::compare::to_view(&comparison);
    if let Some(plan) = plan {
        let images = draw_worst(&comparison, plan, registry, 0);
        // the view's perturbation groups are the comparison's groups with a dataset, in order
        let with_dataset = comparison
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.dataset.is_some())
            .map(|(gi, _)| gi);
        for (gv, gi) in view.perturbation_groups.iter_mut().zip(with_dataset) {
            for (wi, w) in gv.worst.iter_mut().enumerate() {
                if let Some(Ok(png)) = images.get(&(gi, wi)) {
                    w.image_png_base64 = Some(sensibench_report::to_base64(png));
                }
            }
        }
    }
    let (json, html) = crate::compare::write_compare_view(&comparison, &view, out)?;
    Ok((json, html, comparison.regressed()))
}
