//! Regression benchmarks and publishing: `baseline`, `compare`, `nightly`,
//! `bench-baseline`, `publish`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use sensibench_results::bench::{
    BenchBaseline, compare_bench, load_bench_baseline, read_criterion, save_bench_baseline,
};
use sensibench_runner::nightly::{self, SuiteCheck};

use crate::{init_threads, load, registry, run_plan};

/// `sensibench baseline`.
#[derive(Args)]
pub struct BaselineArgs {
    /// The suite file.
    suite: PathBuf,
    /// Make the baseline from this finished run instead of running the suite.
    #[arg(long)]
    from: Option<PathBuf>,
    /// Where baselines live; the suite's goes to BASELINES/<suite>/.
    #[arg(long, default_value = "results/baselines")]
    baselines: PathBuf,
    /// Results root of the run made for the baseline.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Root of the real data sets [env: SENSIBENCH_DATA_ROOT; default: ../shared/data].
    #[arg(long)]
    data_root: Option<PathBuf>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

/// `sensibench nightly`.
#[derive(Args)]
pub struct NightlyArgs {
    /// The suite files (default: every suites/*.yaml).
    suites: Vec<PathBuf>,
    /// Where the committed baselines are (BASELINES/<suite>/).
    #[arg(long, default_value = "results/baselines")]
    baselines: PathBuf,
    /// Results root of the nightly runs.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// The regression report's folder (default: OUT/nightly/<UTC timestamp>).
    #[arg(long)]
    report: Option<PathBuf>,
    /// A criterion output folder (target/criterion) to compare with --bench-baseline.
    #[arg(long)]
    criterion: Option<PathBuf>,
    /// The saved criterion baseline (made by `sensibench bench-baseline`).
    #[arg(long, default_value = "results/baselines/bench.json")]
    bench_baseline: PathBuf,
    /// A benchmark slower than its baseline by more than this ratio is a
    /// regression (default: the ratio declared in the bench baseline, else 1.5).
    #[arg(long)]
    max_bench_ratio: Option<f64>,
    /// Root of the real data sets [env: SENSIBENCH_DATA_ROOT; default: ../shared/data].
    #[arg(long)]
    data_root: Option<PathBuf>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

/// `sensibench compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// The reference: a run folder or a baseline folder.
    a: PathBuf,
    /// The run compared with it.
    b: PathBuf,
    /// Where to write compare.json and compare.html (default: B/compare/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Take the tolerances, test and alpha from this suite's `regression:`
    /// section (default: B's suite file when it still exists, else defaults).
    #[arg(long)]
    suite: Option<PathBuf>,
    /// Exit with a failure when something regressed.
    #[arg(long)]
    fail_on_regression: bool,
    /// Root of the real data sets (to draw the worst samples).
    #[arg(long)]
    data_root: Option<PathBuf>,
}

/// `sensibench bench-baseline`.
#[derive(Args)]
pub struct BenchBaselineArgs {
    /// The criterion output folder.
    #[arg(long, default_value = "target/criterion")]
    criterion: PathBuf,
    /// The baseline file to write.
    #[arg(long, default_value = "results/baselines/bench.json")]
    out: PathBuf,
    /// The declared slowdown ratio: a benchmark slower than this times its
    /// baseline median is a regression.
    #[arg(long, default_value_t = 1.5)]
    max_ratio: f64,
}

/// `sensibench publish`.
#[derive(Args)]
pub struct PublishArgs {
    /// Run folders to publish.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// The site folder (created; runs already published stay).
    #[arg(long)]
    site: PathBuf,
}

pub fn baseline(args: BaselineArgs) -> Result<()> {
    let plan = load(&args.suite, args.data_root)?;
    let run_dir = match args.from {
        Some(dir) => dir,
        None => {
            init_threads(args.threads)?;
            let s = run_plan(
                &plan,
                &args.suite,
                args.out,
                None,
                false,
                args.threads,
                args.quiet,
                None,
            )?;
            sensibench_runner::publish::write_report(&s.run_dir)?;
            s.run_dir
        }
    };
    let dir = nightly::write_suite_baseline(&plan, &run_dir, &args.baselines)?;
    eprintln!(
        "baseline of `{}` from {} (metrics: {})",
        plan.name,
        run_dir.display(),
        plan.regression.metrics.join(", ")
    );
    println!("{}", dir.display());
    Ok(())
}

pub fn bench_baseline(args: BenchBaselineArgs) -> Result<()> {
    if !(args.max_ratio.is_finite() && args.max_ratio >= 1.0) {
        bail!("--max-ratio must be a number >= 1, got {}", args.max_ratio);
    }
    let estimates = read_criterion(&args.criterion)?;
    if estimates.is_empty() {
        bail!(
            "{}: no criterion results (run `make bench` or `cargo bench` first)",
            args.criterion.display()
        );
    }
    let mut b = BenchBaseline::new(estimates);
    b.max_ratio = Some(args.max_ratio);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    save_bench_baseline(&b, &args.out)?;
    eprintln!(
        "{} benchmark(s), slowdown ratio {} declared",
        b.estimates.len(),
        args.max_ratio
    );
    println!("{}", args.out.display());
    Ok(())
}

pub fn publish(args: PublishArgs) -> Result<()> {
    let index = sensibench_runner::site::publish(&args.runs, &args.site)?;
    println!("{}", index.display());
    Ok(())
}

/// The harness-speed comparison of a nightly run: the rows and whether it passed.
fn bench_check(args: &NightlyArgs) -> Result<Option<nightly::BenchCheck>> {
    let Some(dir) = &args.criterion else {
        return Ok(None);
    };
    let baseline = load_bench_baseline(&args.bench_baseline).with_context(|| {
        format!(
            "the bench baseline {} (make it with `make bench-baseline`)",
            args.bench_baseline.display()
        )
    })?;
    let current = read_criterion(dir)?;
    let max_ratio = args.max_bench_ratio.or(baseline.max_ratio).unwrap_or(1.5);
    let rows = compare_bench(&baseline.estimates, &current, max_ratio);
    Ok(Some(nightly::BenchCheck {
        baseline: args.bench_baseline.display().to_string(),
        machine: baseline.machine.clone(),
        max_ratio,
        rows,
    }))
}

pub fn nightly(args: NightlyArgs) -> Result<bool> {
    init_threads(args.threads)?;
    let suites = if args.suites.is_empty() {
        let mut v: Vec<PathBuf> = std::fs::read_dir("suites")
            .context("reading suites/")?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        v.sort();
        v
    } else {
        args.suites.clone()
    };
    let report_dir = args.report.clone().unwrap_or_else(|| {
        args.out
            .join("nightly")
            .join(sensibench_runner::run_id_now())
    });
    if args.criterion.is_some() && !args.bench_baseline.is_file() {
        bail!(
            "--criterion given but the bench baseline {} does not exist: make it with `make bench-baseline` (or leave --criterion out)",
            args.bench_baseline.display()
        );
    }
    let registry = registry()?;
    let mut checks: Vec<SuiteCheck> = Vec::new();
    for suite in &suites {
        let name = suite
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let plan = match load(suite, args.data_root.clone()) {
            Ok(p) => p,
            Err(e) => {
                checks.push(SuiteCheck::failed(
                    &name,
                    &args.baselines.join(&name),
                    format!("{e:#}"),
                ));
                continue;
            }
        };
        let run = run_plan(
            &plan,
            suite,
            args.out.clone(),
            None,
            false,
            args.threads,
            args.quiet,
            None,
        );
        let check = match run {
            Ok(s) => {
                if let Err(e) = sensibench_runner::publish::write_report(&s.run_dir) {
                    eprintln!(
                        "warning: report of {} not written: {e}",
                        s.run_dir.display()
                    );
                }
                nightly::check_suite(&plan, &registry, &s.run_dir, &args.baselines, args.threads)
            }
            Err(e) => SuiteCheck::failed(
                &plan.name,
                &args.baselines.join(&plan.name),
                format!("{e:#}"),
            ),
        };
        checks.push(check);
    }
    let bench = bench_check(&args)?;
    let outcome = nightly::write_nightly_report(&checks, bench.as_ref(), &report_dir)?;
    for line in &outcome.summary {
        eprintln!("{line}");
    }
    println!("{}", outcome.index.display());
    Ok(outcome.passed)
}

pub fn compare(args: CompareArgs) -> Result<bool> {
    let suite_file = match &args.suite {
        Some(s) => Some(s.clone()),
        None => suite_path_of(&args.b).filter(|p| p.is_file()),
    };
    let plan = match &suite_file {
        Some(f) => Some(load(f, args.data_root.clone())?),
        None => None,
    };
    let out = args.out.clone().unwrap_or_else(|| args.b.join("compare"));
    let (json, html, regressed) =
        nightly::compare_and_write(&args.a, &args.b, plan.as_ref(), &registry()?, &out)?;
    eprintln!("{}", json.display());
    println!("{}", html.display());
    if regressed {
        eprintln!("regressions found: see {}", html.display());
    }
    Ok(!(regressed && args.fail_on_regression))
}

/// The suite file recorded in a run folder's manifest.
fn suite_path_of(run_dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(run_dir.join("manifest.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("suite_path")?.as_str().map(PathBuf::from)
}
