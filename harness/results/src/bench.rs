//! Harness-speed regression checks: criterion results read back, saved as a
//! baseline, and compared.
//!
//! * [`read_criterion`] walks a criterion output folder (`target/criterion`)
//!   for every `new/estimates.json` (the latest measurement of a benchmark)
//!   and its sibling `new/benchmark.json` (whose `full_id`, e.g.
//!   `gaussian_noise/256`, names the benchmark; the folder path relative to
//!   the root is used when `benchmark.json` is absent). Criterion reports
//!   times in nanoseconds: `mean.point_estimate` and `median.point_estimate`.
//! * [`BenchBaseline`] is `results/baselines/bench.json`: the machine's facts
//!   (logical cores, CPU model from `/proc/cpuinfo`), the date (ISO 8601 UTC)
//!   and the estimates; [`save_bench_baseline`] / [`load_bench_baseline`].
//! * [`compare_bench`] compares medians: `ratio = current / baseline`, and a
//!   benchmark is `slower` when `ratio > max_ratio`. Benchmarks present on
//!   one side only are listed with the other side `None` and are never
//!   `slower` (a renamed or new benchmark is not a regression).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Result, ResultsError};

/// One benchmark's latest timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchEstimate {
    /// The benchmark's id (criterion's `full_id`, e.g. `perturb/rotate/256`).
    pub id: String,
    /// Mean time per iteration, nanoseconds (criterion's point estimate).
    pub mean_ns: f64,
    /// Median time per iteration, nanoseconds.
    pub median_ns: f64,
}

/// The machine a baseline was measured on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MachineFacts {
    /// Logical cores available to the process.
    pub cores: usize,
    /// The first `model name` of `/proc/cpuinfo` (empty when unknown).
    pub cpu_model: String,
}

impl MachineFacts {
    /// The facts of this machine.
    pub fn current() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_default();
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
        }
    }
}

/// A saved set of benchmark timings (`results/baselines/bench.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchBaseline {
    /// Where they were measured.
    pub machine: MachineFacts,
    /// When the baseline was saved (ISO 8601 UTC, `2026-11-24T09:30:00Z`).
    pub date: String,
    /// The timings, sorted by id.
    pub estimates: Vec<BenchEstimate>,
    /// The declared slowdown ratio: a benchmark whose median exceeds this
    /// times its baseline median is a regression (`None`: the caller's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ratio: Option<f64>,
}

impl BenchBaseline {
    /// A baseline of `estimates` on this machine, dated now.
    pub fn new(mut estimates: Vec<BenchEstimate>) -> Self {
        estimates.sort_by(|a, b| a.id.cmp(&b.id));
        Self {
            machine: MachineFacts::current(),
            date: crate::time::iso_now(),
            estimates,
            max_ratio: None,
        }
    }
}

/// One benchmark compared with its baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchDiff {
    /// The benchmark id.
    pub id: String,
    /// Baseline median (ns); `None`: a new benchmark.
    pub baseline_ns: Option<f64>,
    /// Current median (ns); `None`: no longer measured.
    pub current_ns: Option<f64>,
    /// `current_ns / baseline_ns` when both exist and the baseline is > 0.
    pub ratio: Option<f64>,
    /// `ratio > max_ratio`.
    pub slower: bool,
}

fn invalid(path: &Path, message: String) -> ResultsError {
    ResultsError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| invalid(path, format!("not JSON: {e}")))
}

fn point_estimate(v: &serde_json::Value, path: &Path, which: &str) -> Result<f64> {
    v.get(which)
        .and_then(|m| m.get("point_estimate"))
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| {
            invalid(
                path,
                format!("expected a criterion estimates file with `{which}.point_estimate`"),
            )
        })
}

/// Reads every benchmark's latest estimates under a criterion folder
/// (usually `target/criterion`), sorted by id.
///
/// # Errors
/// `dir` is not a readable folder, or an `estimates.json` / `benchmark.json`
/// is not what criterion writes (the error names the file).
pub fn read_criterion(dir: &Path) -> Result<Vec<BenchEstimate>> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| ResultsError::Io {
            path: d.clone(),
            source,
        })?;
        for e in entries.flatten() {
            let p = e.path();
            if !p.is_dir() {
                continue;
            }
            let name = e.file_name();
            if name == "new" {
                if p.join("estimates.json").is_file() {
                    found.push(p);
                }
            } else if name != "base" && name != "change" && name != "report" {
                stack.push(p);
            }
        }
    }
    let mut out = Vec::with_capacity(found.len());
    for new in found {
        let est_path = new.join("estimates.json");
        let est = read_json(&est_path)?;
        let mean_ns = point_estimate(&est, &est_path, "mean")?;
        let median_ns = point_estimate(&est, &est_path, "median")?;
        let bench_path = new.join("benchmark.json");
        let id = if bench_path.is_file() {
            read_json(&bench_path)?
                .get("full_id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid(&bench_path, "expected a string `full_id`".into()))?
        } else {
            let parent = new.parent().unwrap_or(&new);
            parent
                .strip_prefix(dir)
                .unwrap_or(parent)
                .to_string_lossy()
                .into_owned()
        };
        out.push(BenchEstimate {
            id,
            mean_ns,
            median_ns,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Writes `baseline` as pretty JSON to `path` (parent folders created).
///
/// # Errors
/// The folder or file cannot be written (naming the path).
pub fn save_bench_baseline(baseline: &BenchBaseline, path: &Path) -> Result<()> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ResultsError::Io { path: p, source }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let text = serde_json::to_string_pretty(baseline)
        .map_err(|e| invalid(path, format!("serialising: {e}")))?;
    std::fs::write(path, text).map_err(io(path))
}

/// Reads a baseline written by [`save_bench_baseline`].
///
/// # Errors
/// The file is missing or not a bench baseline (naming the path).
pub fn load_bench_baseline(path: &Path) -> Result<BenchBaseline> {
    let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| {
        invalid(
            path,
            format!("expected a bench baseline (machine, date, estimates): {e}"),
        )
    })
}

/// Compares medians of `current` against `baseline`: one [`BenchDiff`] per
/// benchmark of either side, baseline ids first (in their order), then ids
/// only in `current` (in theirs).
pub fn compare_bench(
    baseline: &[BenchEstimate],
    current: &[BenchEstimate],
    max_ratio: f64,
) -> Vec<BenchDiff> {
    let mut out: Vec<BenchDiff> = baseline
        .iter()
        .map(|b| {
            let c = current.iter().find(|c| c.id == b.id).map(|c| c.median_ns);
            let ratio = c
                .filter(|_| b.median_ns > 0.0)
                .map(|c| c / b.median_ns)
                .filter(|r| r.is_finite());
            BenchDiff {
                id: b.id.clone(),
                baseline_ns: Some(b.median_ns),
                current_ns: c,
                ratio,
                slower: ratio.is_some_and(|r| r > max_ratio),
            }
        })
        .collect();
    for c in current {
        if !baseline.iter().any(|b| b.id == c.id) {
            out.push(BenchDiff {
                id: c.id.clone(),
                baseline_ns: None,
                current_ns: Some(c.median_ns),
                ratio: None,
                slower: false,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn estimates(mean: f64, median: f64) -> String {
        format!(
            r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lo},"upper_bound":{hi}}},"point_estimate":{mean},"standard_error":1.0}},
"median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lo},"upper_bound":{hi}}},"point_estimate":{median},"standard_error":1.0}},
"median_abs_dev":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":0.0,"upper_bound":1.0}},"point_estimate":0.5,"standard_error":0.1}},
"slope":null,"std_dev":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":0.0,"upper_bound":1.0}},"point_estimate":0.5,"standard_error":0.1}}}}"#,
            lo = median - 1.0,
            hi = median + 1.0
        )
    }

    /// A criterion folder as criterion 0.5+ writes it: group/function/value,
    /// with `new`, `base`, `change` and `report` folders.
    fn criterion_dir(root: &Path) {
        let b = root.join("perturb/rotate/256");
        write(&b.join("new/estimates.json"), &estimates(1500.0, 1400.0));
        write(
            &b.join("new/benchmark.json"),
            r#"{"group_id":"perturb","function_id":"rotate","value_str":"256","throughput":null,"full_id":"perturb/rotate/256","directory_name":"perturb/rotate/256","title":"perturb/rotate/256"}"#,
        );
        // the previous run's numbers: must be ignored
        write(&b.join("base/estimates.json"), &estimates(9.0, 9.0));
        write(&b.join("change/estimates.json"), r#"{"mean":{}}"#);
        write(&root.join("report/index.html"), "<html></html>");
        let d = root.join("dice");
        write(&d.join("new/estimates.json"), &estimates(2.5e6, 2.0e6));
        write(
            &d.join("new/benchmark.json"),
            r#"{"group_id":"dice","function_id":null,"value_str":null,"throughput":null,"full_id":"dice","directory_name":"dice","title":"dice"}"#,
        );
        // no benchmark.json: the folder path names it
        write(
            &root.join("hd95/64/new/estimates.json"),
            &estimates(10.0, 8.0),
        );
    }

    #[test]
    fn reads_a_criterion_folder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        criterion_dir(tmp.path());
        let got = read_criterion(tmp.path()).expect("reads");
        assert_eq!(
            got,
            vec![
                BenchEstimate {
                    id: "dice".into(),
                    mean_ns: 2.5e6,
                    median_ns: 2.0e6
                },
                BenchEstimate {
                    id: "hd95/64".into(),
                    mean_ns: 10.0,
                    median_ns: 8.0
                },
                BenchEstimate {
                    id: "perturb/rotate/256".into(),
                    mean_ns: 1500.0,
                    median_ns: 1400.0
                },
            ]
        );
    }

    #[test]
    fn bad_files_name_the_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write(&tmp.path().join("x/new/estimates.json"), r#"{"mean":{}}"#);
        let err = read_criterion(tmp.path()).expect_err("bad estimates");
        let msg = err.to_string();
        assert!(
            msg.contains("estimates.json") && msg.contains("mean.point_estimate"),
            "{msg}"
        );
        let err = read_criterion(&tmp.path().join("missing")).expect_err("no dir");
        assert!(err.to_string().contains("missing"));
        let bad = tmp.path().join("bench.json");
        write(&bad, "[]");
        let err = load_bench_baseline(&bad).expect_err("not a baseline");
        assert!(err.to_string().contains("bench.json"), "{err}");
    }

    #[test]
    fn baseline_round_trip_and_comparison() {
        let tmp = tempfile::tempdir().expect("tempdir");
        criterion_dir(tmp.path());
        let base = BenchBaseline::new(read_criterion(tmp.path()).expect("reads"));
        assert!(base.machine.cores >= 1);
        assert_eq!(base.date.len(), 20, "{}", base.date);
        let path = tmp.path().join("baselines/bench.json");
        save_bench_baseline(&base, &path).expect("save");
        assert_eq!(load_bench_baseline(&path).expect("load"), base);

        let current = vec![
            BenchEstimate {
                id: "dice".into(),
                mean_ns: 1.0,
                median_ns: 2.6e6, // 1.3x
            },
            BenchEstimate {
                id: "perturb/rotate/256".into(),
                mean_ns: 1.0,
                median_ns: 1680.0, // 1.2x
            },
            BenchEstimate {
                id: "new_bench".into(),
                mean_ns: 1.0,
                median_ns: 5.0,
            },
        ];
        let diffs = compare_bench(&base.estimates, &current, 1.25);
        let ids: Vec<&str> = diffs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["dice", "hd95/64", "perturb/rotate/256", "new_bench"]);
        assert!((diffs[0].ratio.expect("ratio") - 1.3).abs() < 1e-12);
        assert!(diffs[0].slower);
        assert_eq!(
            (diffs[1].current_ns, diffs[1].ratio, diffs[1].slower),
            (None, None, false)
        );
        assert!((diffs[2].ratio.expect("ratio") - 1.2).abs() < 1e-12);
        assert!(!diffs[2].slower);
        assert_eq!(
            (diffs[3].baseline_ns, diffs[3].current_ns, diffs[3].slower),
            (None, Some(5.0), false)
        );
    }

    #[test]
    fn iso_dates() {
        assert_eq!(crate::time::iso_from_secs(0), "1970-01-01T00:00:00Z");
        // 2024-02-29T12:34:56Z (leap day), from `date -u -d @1709210096`
        assert_eq!(
            crate::time::iso_from_secs(1_709_210_096),
            "2024-02-29T12:34:56Z"
        );
        assert_eq!(
            crate::time::iso_from_secs(951_782_400),
            "2000-02-29T00:00:00Z"
        );
    }
}
