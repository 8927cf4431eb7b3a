//! `publish` of real runs into a static site: three tiny runs of a phantom
//! suite with the classical plugin and the null model, published (one of them
//! twice), then every link of the site checked and the pages opened in
//! headless Chromium.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sensibench_integration::load;
use sensibench_runner::site::{publish, read_site_runs};
use sensibench_runner::{RunOptions, run};

const SUITE: &str = r#"
name: site-test
description: publish test
seed: 11
task: segmentation
classes: [background, LV, myocardium, RV]
reference: ground_truth
datasets:
  - name: phantom
    source: phantom_cardiac
    subjects: 1
    slices_per_subject: 2
    size: 64
models:
  - name: classical
    backend: native
    plugin: sensibench_classical_seg
    output: labels
  - name: "null"
    backend: "null"
perturbations:
  - name: gaussian_noise
    points: [0, 0.3]
metrics: [dice]
"#;

/// Makes run `id` and sets its manifest's `created` to `created`.
fn make_run(plan: &sensibench_suite::plan::Plan, out: &Path, id: &str, created: &str) -> PathBuf {
    let registry = sensibench_perturb::registry();
    let options = RunOptions {
        out: out.to_path_buf(),
        run_id: Some(id.into()),
        resume: false,
        threads: 0,
        progress: false,
        git_sha: format!("sha-{id}"),
        shard: None,
    };
    let summary = run(plan, &registry, &options).expect("run");
    let manifest = summary.run_dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    value["created"] = serde_json::Value::String(created.into());
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&value).expect("json"),
    )
    .expect("write manifest");
    summary.run_dir
}

/// The values of every `attr="..."` in `html`, entities `&amp;` and `&#x2f;` decoded.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"')
                .map(|end| rest[..end].replace("&#x2f;", "/").replace("&amp;", "&"))
        })
        .collect()
}

/// Asserts every href/src of `page` is relative and resolves: a fragment to
/// an id of the page, a path to a file in the site (and inside it).
fn assert_links_resolve(site: &Path, page: &Path) -> usize {
    let html = std::fs::read_to_string(page).expect("page");
    let dir = page.parent().expect("parent");
    let ids: BTreeSet<String> = attribute_values(&html, "id").into_iter().collect();
    let mut checked = 0;
    for attr in ["href", "src"] {
        for link in attribute_values(&html, attr) {
            assert!(
                !link.contains("://") && !link.starts_with("//") && !link.starts_with('/'),
                "{}: non-relative link {link}",
                page.display()
            );
            if link.starts_with("data:") {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            if path.is_empty() {
                assert!(
                    ids.contains(fragment),
                    "{}: #{fragment} has no target",
                    page.display()
                );
            } else {
                let target = dir.join(path);
                assert!(target.is_file(), "{}: {link} is missing", page.display());
                let canon = target.canonicalize().expect("canonical");
                assert!(
                    canon.starts_with(site.canonicalize().expect("site")),
                    "{link} leaves the site"
                );
            }
            checked += 1;
        }
    }
    checked
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
fn publish_three_runs_links_history_and_chromium() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("site-test.yaml");
    std::fs::write(&suite, SUITE).expect("write suite");
    let plan = load(&suite, tmp.path()).expect("suite is valid");
    let out = tmp.path().join("results");
    let r1 = make_run(&plan, &out, "r1", "2026-01-01T10:00:00Z");
    let r2 = make_run(&plan, &out, "r2", "2026-01-02T10:00:00Z");
    let r3 = make_run(&plan, &out, "r3", "2026-01-03T10:00:00Z");
    // r3 has no report yet: publish writes it
    let _ = std::fs::remove_dir_all(r3.join("report"));
    sensibench_runner::publish::write_report(&r1).expect("report r1");
    sensibench_runner::publish::write_report(&r2).expect("report r2");

    let site = tmp.path().join("site");
    publish(&[r1.clone(), r2.clone()], &site).expect("publish r1, r2");
    // again into the existing site: r3 added, r2 once
    let index = publish(&[r2.clone(), r3.clone()], &site).expect("publish r2, r3");
    assert_eq!(index, site.join("index.html"));
    assert!(r3.join("report/index.html").is_file(), "report written");

    let runs = read_site_runs(&site).expect("site runs");
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2", "r3"]);
    for id in ["r1", "r2", "r3"] {
        let copy = site.join(format!("runs/site-test/{id}/index.html"));
        let original = out.join(format!("site-test/{id}/report/index.html"));
        assert_eq!(
            std::fs::read(&copy).expect("copy"),
            std::fs::read(&original).expect("original"),
            "{id}: the site holds the run's own report"
        );
    }

    let pages = ["index.html", "leaderboard.html", "history.html"].map(|p| site.join(p));
    let mut links = 0;
    for page in &pages {
        links += assert_links_resolve(&site, page);
    }
    for id in ["r1", "r2", "r3"] {
        links += assert_links_resolve(&site, &site.join(format!("runs/site-test/{id}/index.html")));
    }
    assert!(links >= 3 + 3 + 3 * 3, "too few links checked: {links}");

    // index: newest first, every run once
    let index_html = std::fs::read_to_string(&pages[0]).expect("index");
    let pos: Vec<usize> = ["r3/index.html", "r2/index.html", "r1/index.html"]
        .iter()
        .map(|l| {
            assert_eq!(index_html.matches(l).count(), 1, "{l} once");
            index_html.find(l).expect("link")
        })
        .collect();
    assert!(pos[0] < pos[1] && pos[1] < pos[2], "newest first");
    assert!(index_html.contains("sha-r3") && index_html.contains("classical, null"));

    // leaderboard: per run a ranking key (Mean nAUC) and a Clean column
    let board = std::fs::read_to_string(&pages[1]).expect("leaderboard");
    assert_eq!(board.matches(">Mean nAUC</th>").count(), 3);
    assert_eq!(board.matches(">Clean</th>").count(), 3);
    // same suite, same seed: the runs agree, so the best model is bold in every column
    assert!(board.matches("<strong>").count() >= 6, "{board}");

    // history: two charts, one polyline per model with a value, one vertex per run
    let history = std::fs::read_to_string(&pages[2]).expect("history");
    let charts: Vec<&str> = history
        .split("<svg class=\"chart history\"")
        .skip(1)
        .collect();
    assert_eq!(charts.len(), 2);
    let (key, clean) = sensibench_report::site::summary_columns(&runs[0].leaderboard);
    for (chart, col) in charts.iter().zip([key, clean]) {
        let col = col.expect("summary column");
        let chart = chart.split("</svg>").next().expect("svg");
        // the models with a finite value in some run
        let expected: BTreeSet<&str> = runs
            .iter()
            .flat_map(|r| r.leaderboard.rows.iter())
            .filter(|r| {
                r.values
                    .get(col)
                    .copied()
                    .flatten()
                    .is_some_and(f64::is_finite)
            })
            .map(|r| r.model.as_str())
            .collect();
        assert!(expected.contains("classical"), "{expected:?}");
        assert_eq!(
            chart.matches("<polyline").count(),
            expected.len(),
            "{chart}"
        );
        for m in &expected {
            assert_eq!(chart.matches(&format!("data-model=\"{m}\"")).count(), 1);
        }
        for pts in attribute_values(chart, "points") {
            assert_eq!(pts.split(' ').count(), 3, "one vertex per run: {pts}");
        }
    }

    // Chromium: each page renders, no console errors
    let chromium = Path::new("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "Chromium not found at /usr/bin/chromium: run `make setup`"
    );
    let profile = tmp.path().join("profile");
    for page in &pages {
        let url = format!("file://{}", page.display());
        let mut cmd = Command::new(chromium);
        cmd.args([
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
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url);
        let (ok, dom, log) = run_with_deadline(&mut cmd, Duration::from_secs(120));
        assert!(ok, "chromium failed on {url}; stderr:\n{log}");
        assert!(dom.contains("sensibench"), "{url}: empty DOM");
        assert!(dom.contains("leaderboard.html"), "{url}: no site nav");
        assert!(!log.contains("Uncaught"), "{url}: console error:\n{log}");
        assert!(
            !log.contains("ERROR:CONSOLE"),
            "{url}: console error:\n{log}"
        );
    }
}
