//! Scale-out and resilience of long runs, with the real CLI in separate
//! processes: a run split into 3 shards (3 processes at once) and merged
//! equals the single-process run byte for byte (parts and prediction
//! strips; the manifest except its `created` time), and a run killed with
//! SIGKILL mid-way then resumed with `--resume` equals the uninterrupted run:
//! no row lost or doubled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sensibench_integration::{cli_binary, repo_root};

const SUITE: &str = "scale";
const PARTS: usize = 3 * 6; // 3 models × (clean + 5 perturbations) × 1 dataset

fn suite_text() -> String {
    let onnx = repo_root().join("plugins/models/cardiac/unet_plain.onnx");
    format!(
        r#"
name: {SUITE}
seed: 11
task: segmentation
classes: [background, LV, myocardium, RV]
datasets:
  - name: phantom
    source: phantom_cardiac
    subjects: 2
    slices_per_subject: 3
    size: 96
models:
  - name: unet
    backend: onnx
    path: {onnx}
    input: {{ size: [128, 128], fit: resize }}
    normalize: zscore
    batch_size: 4
  - name: classical
    backend: native
    plugin: sensibench_classical_seg
    output: labels
  - name: "null"
    backend: "null"
perturbations:
  - name: rotate
    points: [0, 30, 90]
  - name: gaussian_noise
    points: [0.05, 0.2]
  - name: gamma
    points: [0.5, 2]
  - name: ghosting
    severity: [1, 4]
  - name: elastic
    severity: [2, 5]
metrics: [dice, hd95]
"#,
        onnx = onnx.display()
    )
}

fn cli(args: &[&str]) -> Command {
    let exe = cli_binary();
    assert!(
        exe.is_file(),
        "{} not built: `make test` builds every target first (cargo build --workspace --all-targets)",
        exe.display()
    );
    let mut c = Command::new(exe);
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn ok(mut c: Command) -> String {
    let out = c.output().expect("sensibench starts");
    assert!(
        out.status.success(),
        "sensibench failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn run_args<'a>(suite: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "run",
        suite,
        "--out",
        out,
        "--run-id",
        "r1",
        "--quiet",
        "--threads",
        "1",
    ];
    a.extend_from_slice(extra);
    a
}

/// Every file under `dir` (relative path → bytes), skipping `report/`.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            let rel = p.strip_prefix(root).expect("prefix").to_path_buf();
            if rel.starts_with("report") || rel.starts_with("shards") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn manifest_without_time(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v.as_object_mut().expect("object").remove("created");
    v
}

/// Asserts `b` holds exactly `a`'s files with the same bytes (the manifest
/// compared without its `created` time).
fn assert_same_run(a: &Path, b: &Path, what: &str) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &BTreeMap<PathBuf, Vec<u8>>| f.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&fa),
        names(&fb),
        "{what}: the runs hold different files"
    );
    let parts = fa.keys().filter(|p| p.starts_with("parts")).count();
    assert_eq!(parts, PARTS, "{what}: parts");
    assert!(fa.keys().any(|p| p.starts_with("strips")), "{what}: strips");
    for (name, bytes) in &fa {
        if name == Path::new("manifest.json") {
            continue;
        }
        assert!(fb[name] == *bytes, "{what}: {} differs", name.display());
    }
    assert_eq!(
        manifest_without_time(a),
        manifest_without_time(b),
        "{what}: manifest"
    );
}

#[test]
fn sharded_run_merged_and_killed_run_resumed_equal_the_single_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let suite = tmp.path().join("scale.yaml");
    std::fs::write(&suite, suite_text()).expect("suite");
    let suite_s = suite.to_string_lossy().to_string();

    // the single-process run
    let single_out = tmp.path().join("single").to_string_lossy().to_string();
    let report = ok(cli(&run_args(&suite_s, &single_out, &[])));
    assert!(report.ends_with("index.html"), "{report}");
    let single = Path::new(&single_out).join(SUITE).join("r1");

    // three shards at once, in three processes
    let sharded_out = tmp.path().join("sharded").to_string_lossy().to_string();
    let children: Vec<_> = (0..3)
        .map(|i| {
            let shard = format!("{i}/3");
            cli(&run_args(&suite_s, &sharded_out, &["--shard", &shard]))
                .spawn()
                .expect("shard starts")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("shard runs");
        assert!(
            out.status.success(),
            "shard failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let merged = Path::new(&sharded_out).join(SUITE).join("r1");
    let shard_dirs: Vec<String> = (0..3)
        .map(|i| {
            merged
                .join("shards")
                .join(format!("{i}-of-3"))
                .to_string_lossy()
                .to_string()
        })
        .collect();
    // each shard ran a share of the parts, none ran them all
    for d in &shard_dirs {
        let n = std::fs::read_dir(Path::new(d).join("parts")).map_or(0, |r| r.count());
        assert!(n > 0 && n < PARTS, "{d}: {n} parts");
    }
    // a merge with a shard missing is refused, naming it
    let out = cli(&["merge", &shard_dirs[0], &shard_dirs[2]])
        .output()
        .expect("merge");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1/3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut args = vec!["merge"];
    args.extend(shard_dirs.iter().map(String::as_str));
    let report = ok(cli(&args));
    assert!(Path::new(&report).is_file(), "{report}");
    assert_same_run(&single, &merged, "merged shards");

    // kill -9 mid-way, then --resume
    let killed_out = tmp.path().join("killed").to_string_lossy().to_string();
    let killed = Path::new(&killed_out).join(SUITE).join("r1");
    let mut child = cli(&run_args(&suite_s, &killed_out, &[]))
        .spawn()
        .expect("run starts");
    let started = Instant::now();
    let parts_done = || {
        std::fs::read_dir(killed.join("parts")).map_or(0, |r| {
            r.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
                .count()
        })
    };
    while parts_done() < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no parts after 10 minutes"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let done = parts_done();
    assert!(
        done < PARTS,
        "the run finished before the kill ({done} parts)"
    );
    let report = ok(cli(&run_args(&suite_s, &killed_out, &["--resume"])));
    assert!(Path::new(&report).is_file());
    assert_same_run(&single, &killed, "killed and resumed");
    let rows = sensibench_results::read_rows(&killed)
        .expect("rows")
        .height();
    let want = sensibench_results::read_rows(&single)
        .expect("rows")
        .height();
    assert_eq!(rows, want, "rows lost or doubled");
}
