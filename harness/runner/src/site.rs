//! `sensibench publish RUN_DIR... --site DIR`: a static site over many runs.
//!
//! Layout of the site folder:
//! * `runs/<suite>/<run_id>/index.html`: a copy of each run's self-contained
//!   report (`report/index.html` of the run folder; written first when
//!   missing), and next to it `site.json`: the run's [`SiteRun`] (suite, date,
//!   provenance, leaderboard), which is what the site pages are built from;
//! * `index.html`, `leaderboard.html`, `history.html`: rebuilt from every
//!   `runs/*/*/site.json` at each publish (see [`sensibench_report::site`]).
//!
//! Suite and run id are made safe as folder names (anything but ASCII
//! letters, digits, `-`, `_` and `.` becomes `_`). Publishing a run that is
//! already in the site replaces its folder, so publishing twice is the same as
//! publishing once, and publishing into an existing site adds runs. Runs
//! removed from disk later stay in the site (their copy is in it).

use std::path::{Path, PathBuf};

use sensibench_report::site::{SiteRun, write_site_pages};

use crate::manifest::Manifest;
use crate::{Result, io_err, json_err, render_err, sanitize};

/// The file next to each published report that describes the run.
pub const SITE_RUN_FILE: &str = "site.json";

/// Publishes `run_dirs` into the site folder `site` (created when missing)
/// and rebuilds the site's pages; returns the path of `site/index.html`.
///
/// # Errors
/// A run folder without a readable `manifest.json` or whose results cannot
/// be aggregated, a `site.json` in the site that cannot be read, or a file
/// that cannot be written: the error names the path.
pub fn publish(run_dirs: &[PathBuf], site: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(site).map_err(io_err(site))?;
    for run_dir in run_dirs {
        publish_one(run_dir, site)?;
    }
    let runs = read_site_runs(site)?;
    let [index, _, _] = write_site_pages(&runs, site).map_err(render_err("site pages"))?;
    Ok(index)
}

/// Copies one run's report into the site and writes its `site.json`.
fn publish_one(run_dir: &Path, site: &Path) -> Result<()> {
    let m = Manifest::read(run_dir)?;
    let data = crate::publish::report_data(run_dir)?;
    let rel = format!("runs/{}/{}", sanitize(&m.suite), sanitize(&m.run_id));
    let dest = site.join(&rel);
    std::fs::create_dir_all(&dest).map_err(io_err(&dest))?;
    let report = run_dir.join("report").join("index.html");
    let html = if report.is_file() {
        std::fs::read(&report).map_err(io_err(&report))?
    } else {
        let text = sensibench_report::render(&data)
            .map_err(render_err(format!("report of {}", run_dir.display())))?;
        // keep the run's own copy too, as `sensibench report` would; a
        // read-only run folder is not an error
        let dir = run_dir.join("report");
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = write_atomic(&report, text.as_bytes());
        }
        text.into_bytes()
    };
    write_atomic(&dest.join("index.html"), &html)?;
    let entry = SiteRun {
        suite: m.suite.clone(),
        title: data.title.clone(),
        run_id: m.run_id.clone(),
        created: m.created.clone(),
        git_sha: m.git_sha.clone(),
        harness_version: m.harness_version.clone(),
        task: m.task.clone(),
        models: m.models.iter().map(|x| x.name.clone()).collect(),
        href: format!("{rel}/index.html"),
        leaderboard: data.leaderboard,
    };
    let path = dest.join(SITE_RUN_FILE);
    let json = serde_json::to_vec_pretty(&entry).map_err(json_err(&path))?;
    write_atomic(&path, &json)
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Every run published in `site`: the `runs/*/*/site.json` files, in path
/// order.
///
/// # Errors
/// A folder that cannot be listed or a `site.json` that cannot be read or
/// parsed, naming the path.
pub fn read_site_runs(site: &Path) -> Result<Vec<SiteRun>> {
    let runs_dir = site.join("runs");
    let mut out = Vec::new();
    if !runs_dir.is_dir() {
        return Ok(out);
    }
    for suite in sorted_dirs(&runs_dir)? {
        for run in sorted_dirs(&suite)? {
            let path = run.join(SITE_RUN_FILE);
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
            let entry: SiteRun = serde_json::from_str(&text).map_err(json_err(&path))?;
            out.push(entry);
        }
    }
    Ok(out)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_manifest_names_the_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let run = tmp.path().join("not-a-run");
        std::fs::create_dir_all(&run).expect("mkdir");
        let err =
            publish(std::slice::from_ref(&run), &tmp.path().join("site")).expect_err("no manifest");
        assert!(err.to_string().contains("manifest.json"), "{err}");
    }

    #[test]
    fn empty_site_and_bad_site_json() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let site = tmp.path().join("site");
        let index = publish(&[], &site).expect("empty site");
        let text = std::fs::read_to_string(index).expect("index");
        assert!(text.contains("No runs published yet"));
        let bad = site.join("runs/s/r");
        std::fs::create_dir_all(&bad).expect("mkdir");
        std::fs::write(bad.join(SITE_RUN_FILE), "{").expect("write");
        let err = publish(&[], &site).expect_err("bad json");
        assert!(err.to_string().contains("site.json"), "{err}");
    }
}
