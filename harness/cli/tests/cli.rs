//! The `sensibench` binary, driven as a user would.

use std::path::Path;
use std::process::Command;

fn sensibench(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sensibench"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run sensibench");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn validate_points_at_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("broken.yaml");
    // line 12, column 11: the misspelt perturbation; line 14: the misspelt metric
    std::fs::write(
        &suite,
        "name: broken\nseed: 1\ntask: segmentation\nclasses: [background, LV]\n\
         datasets:\n  - name: p\n    source: phantom_cardiac\n    subjects: 1\n    slices_per_subject: 1\n    size: 32\n\
         perturbations:\n  - name: rotat\n    points: [0, 10]\nmetrics: [dcie]\nmodels:\n  - name: n\n    backend: \"null\"\n",
    )
    .unwrap();
    let (ok, _, err) = sensibench(&["validate", suite.to_str().unwrap()], dir.path());
    assert!(!ok);
    assert!(
        err.contains("broken.yaml:12:11: unknown perturbation `rotat` (did you mean `rotate`?)"),
        "{err}"
    );
    assert!(err.contains("broken.yaml:14:11"), "{err}");
    assert!(err.contains("did you mean `dice`?"), "{err}");
}

#[test]
fn validate_accepts_the_cardiac_suite() {
    let (ok, out, err) = sensibench(
        &[
            "validate",
            "suites/cardiac.yaml",
            "--data-root",
            "/nonexistent",
        ],
        repo(),
    );
    assert!(ok, "{err}");
    assert!(out.contains("ok"), "{out}");
    // the optional real datasets are skipped, saying what is missing
    assert!(out.contains("skipped dataset `kaggle`"), "{out}");
    assert!(out.contains("/nonexistent"), "{out}");
}

fn write_mask(path: &Path, w: u32, h: u32, square: (u32, u32, u32)) {
    let (y0, x0, n) = square;
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([u8::from(y >= y0 && y < y0 + n && x >= x0 && x < x0 + n)])
    });
    img.save(path).expect("write a PNG mask");
}

#[test]
fn evaluate_scores_png_masks_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (p, r) = (dir.path().join("p.png"), dir.path().join("r.png"));
    // a 4x4 square and the same square one column to the right
    write_mask(&p, 10, 8, (2, 2, 4));
    write_mask(&r, 10, 8, (2, 3, 4));
    let (ok, out, err) = sensibench(
        &[
            "evaluate",
            "--pred",
            p.to_str().unwrap(),
            "--ref",
            r.to_str().unwrap(),
            "--metrics",
            "dice,iou,hausdorff",
            "--spacing",
            "0.5,1.5",
        ],
        dir.path(),
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let m = &v["metric_per_case"][0]["metrics"]["1"];
    // overlap 12 of 16 + 16: Dice 24/32, IoU 12/20; HD = one column = dx = 1.5 mm
    assert_eq!(m["dice"].as_f64(), Some(0.75));
    assert_eq!(m["iou"].as_f64(), Some(0.6));
    assert_eq!(m["hausdorff"].as_f64(), Some(1.5));
    assert_eq!(v["mean"]["1"]["dice"].as_f64(), Some(0.75));
}

#[test]
fn evaluate_reports_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (p, r) = (dir.path().join("p.png"), dir.path().join("r.png"));
    write_mask(&p, 10, 8, (2, 2, 4));
    write_mask(&r, 9, 8, (2, 3, 4));
    let (ok, _, err) = sensibench(
        &[
            "evaluate",
            "--pred",
            p.to_str().unwrap(),
            "--ref",
            r.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("8x10") && err.contains("8x9"), "{err}");
    std::fs::write(&r, b"not a png").unwrap();
    let (ok, _, err) = sensibench(
        &[
            "evaluate",
            "--pred",
            p.to_str().unwrap(),
            "--ref",
            r.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("r.png"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (ok, _, err) = sensibench(
        &[
            "evaluate",
            "--pred",
            p.to_str().unwrap(),
            "--ref",
            p.to_str().unwrap(),
            "--metrics",
            "dcie",
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("did you mean `dice`"), "{err}");
}

#[test]
fn list_shows_every_registry() {
    let (ok, out, err) = sensibench(&["list"], repo());
    assert!(ok, "{err}");
    for name in [
        "rotate",
        "zoom",
        "crop",
        "translate",
        "dihedral",
        "flip",
        "resolution",
        "brightness",
        "contrast",
        "gamma",
        "gaussian_noise",
        "gaussian_blur",
        "dice",
        "hd95",
        "hd95_monai",
        "assd",
        "rmssd",
        "onnx",
        "native",
        "null",
        "cardiac",
    ] {
        assert!(out.contains(name), "`list` lacks {name}:\n{out}");
    }
}
