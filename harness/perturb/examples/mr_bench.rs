//! Speed of the MR artefact kernels on a 256x256 slice (z = 1) and a 128^3
//! volume (spacing 1 mm), with the bench cases of the MR contract; the
//! TorchIO side is `bench/torchio_speed.py`, which runs this example in the
//! same run and draws `docs/mr-artefacts-speed.svg`.
//!
//! ```text
//! cargo build --release -p sensibench-perturb --example mr_bench
//! target/release/examples/mr_bench [--min-secs 1] [--min-reps 5] [--only NAME]
//!                                  [--case 256x256|128^3]
//!                                  [--elastic-grid FILE]
//! ```
//!
//! Prints one JSON line per input, `{"input", "sum", "min", "max", "first",
//! "mid"}` (a checksum the Python side compares with its own phantom), then
//! one per case, `{"artefact", "case", "median_ms", "min_ms", "reps",
//! "kernel"}`. Each case: one warm-up call, then repetitions until they
//! total at least `--min-secs` and number at least `--min-reps`.
//!
//! The phantom (array `(z, y, x)`, computed in f64, stored as f32):
//! `5 + Σ_k a_k exp(-((v-cy_k)² + (u-cx_k)² + (w-cz_k)²) / (2 s_k²))
//!  + 2 sin(2π·11u) sin(2π·13v) cos(2π·3w)` with `u = (x+0.5)/W - 0.5`,
//! `v = (y+0.5)/H - 0.5`, `w = (z+0.5)/D - 0.5` (`w = 0` when `D = 1`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use sensibench_core::{Grid, Image, ParamValue, Params, SeededRng};
use sensibench_perturb::mr::Axis;
use sensibench_perturb::mr::kspace::{self, RigidMove};
use sensibench_perturb::mr::spatial::{self, ControlGrid};
use sensibench_perturb::registry;

/// `(cy, cx, cz, sigma, amplitude)` of the phantom's Gaussians.
const BLOBS: [(f64, f64, f64, f64, f64); 5] = [
    (0.00, 0.00, 0.00, 0.30, 100.0),
    (-0.15, 0.10, 0.05, 0.08, 60.0),
    (0.20, -0.12, -0.10, 0.06, 80.0),
    (0.05, 0.22, 0.15, 0.10, 40.0),
    (-0.05, -0.25, -0.20, 0.05, 50.0),
];

/// The bench phantom on `grid` (see the module doc).
fn phantom(grid: &Grid) -> Image {
    let [d, h, w] = grid.dims();
    let tau = std::f64::consts::TAU;
    let mut data = Vec::with_capacity(grid.len());
    for z in 0..d {
        let wz = if d == 1 {
            0.0
        } else {
            (z as f64 + 0.5) / d as f64 - 0.5
        };
        for y in 0..h {
            let v = (y as f64 + 0.5) / h as f64 - 0.5;
            for x in 0..w {
                let u = (x as f64 + 0.5) / w as f64 - 0.5;
                let mut val = 5.0;
                for &(cy, cx, cz, s, a) in &BLOBS {
                    let r2 = (v - cy).powi(2) + (u - cx).powi(2) + (wz - cz).powi(2);
                    val += a * (-r2 / (2.0 * s * s)).exp();
                }
                val +=
                    2.0 * (tau * 11.0 * u).sin() * (tau * 13.0 * v).sin() * (tau * 3.0 * wz).cos();
                data.push(val as f32);
            }
        }
    }
    Image::new(grid.clone(), data).expect("phantom size matches its grid")
}

/// One timed case.
struct Case {
    artefact: &'static str,
    /// What is timed (kernel path or registry entry).
    kernel: String,
    run: Box<dyn Fn() -> Image>,
}

/// Options of the command line.
struct Args {
    min_secs: f64,
    min_reps: usize,
    only: Option<String>,
    case: Option<String>,
    elastic_grid: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        min_secs: 1.0,
        min_reps: 5,
        only: None,
        case: None,
        elastic_grid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--min-secs" => {
                let v = value()?;
                args.min_secs = v
                    .parse()
                    .map_err(|_| format!("--min-secs: expected seconds, got `{v}`"))?;
            }
            "--min-reps" => {
                let v = value()?;
                args.min_reps = v
                    .parse()
                    .map_err(|_| format!("--min-reps: expected a count, got `{v}`"))?;
            }
            "--only" => args.only = Some(value()?),
            "--case" => args.case = Some(value()?),
            "--elastic-grid" => args.elastic_grid = Some(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn params(pairs: &[(&str, ParamValue)]) -> Params {
    Params(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
    )
}

/// A case through the registered perturbation, with a fixed seed.
fn via_registry(
    artefact: &'static str,
    image: &Image,
    value: f64,
    opts: &[(&str, ParamValue)],
) -> Result<Case, String> {
    let reg = registry();
    let entry = reg.get(artefact).map_err(|e| format!("registry: {e}"))?;
    let p = (entry.build)(&params(opts)).map_err(|e| format!("build: {e}"))?;
    let image = image.clone();
    // Check it runs before timing.
    p.apply(&image, None, value, &mut SeededRng::new(7))
        .map_err(|e| format!("apply: {e}"))?;
    Ok(Case {
        artefact,
        kernel: format!("registry `{artefact}`"),
        run: Box::new(move || {
            let mut rng = SeededRng::new(7);
            match p.apply(&image, None, value, &mut rng) {
                Ok((out, _)) => out,
                Err(e) => unreachable!("checked before timing: {e}"),
            }
        }),
    })
}

/// The names of the bench cases, in the order they run.
const ARTEFACTS: [&str; 7] = [
    "spike",
    "ghosting",
    "motion",
    "bias_field",
    "rician_noise",
    "anisotropy",
    "elastic",
];

/// Wraps a fallible kernel call: checks it once, then times it.
fn kernel_case<F>(artefact: &'static str, kernel: &str, f: F) -> Result<Case, String>
where
    F: Fn() -> sensibench_core::Result<Image> + 'static,
{
    f().map_err(|e| format!("{kernel}: {e}"))?;
    Ok(Case {
        artefact,
        kernel: kernel.to_string(),
        run: Box::new(move || match f() {
            Ok(out) => out,
            Err(e) => unreachable!("checked before timing: {e}"),
        }),
    })
}

/// The elastic control grid: `--elastic-grid FILE` (a JSON list of the
/// 7·7·7·3 values of numpy's seed-0 grid, TorchIO layout, written by
/// `torchio_speed.py`), else a grid of the same law from [`SeededRng`] 0.
/// For a planar image the middle z layer is kept (`n_z = 1`).
fn control_grid(image: &Image, args: &Args) -> Result<ControlGrid, String> {
    let planar = image.grid().depth() == 1;
    let Some(path) = &args.elastic_grid else {
        return ControlGrid::random(image.grid(), 7, 5.0, 2, &mut SeededRng::new(0))
            .map_err(|e| e.to_string());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let flat: Vec<f64> =
        serde_json::from_str(&text).map_err(|e| format!("{path}: expected a JSON list: {e}"))?;
    if flat.len() != 7 * 7 * 7 * 3 {
        return Err(format!(
            "{path}: expected 1029 values, found {}",
            flat.len()
        ));
    }
    let points: Vec<[f64; 3]> = flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    if planar {
        let mid: Vec<[f64; 3]> = points
            .chunks_exact(7)
            .map(|zs| [zs[3][0], zs[3][1], 0.0])
            .collect();
        ControlGrid::new([7, 7, 1], mid).map_err(|e| e.to_string())
    } else {
        ControlGrid::new([7, 7, 7], points).map_err(|e| e.to_string())
    }
}

/// The bench case `artefact` of the contract on `image`.
fn build(artefact: &'static str, image: &Image, args: &Args) -> Result<Case, String> {
    let is_2d = image.grid().depth() == 1;
    let img = image.clone();
    match artefact {
        "spike" => kernel_case(artefact, "mr::kspace::spike", move || {
            kspace::spike(&img, &[[0.3, 0.6, 0.5]], 1.0)
        }),
        "ghosting" => kernel_case(artefact, "mr::kspace::ghosting", move || {
            kspace::ghosting(&img, 4, Axis::Y, 0.5, 0.02)
        }),
        "motion" => {
            let moves = [
                RigidMove {
                    degrees: [2.0, -3.0, 4.0],
                    translation: [1.0, -2.0, 3.0],
                    time: 0.33,
                },
                RigidMove {
                    degrees: [-4.0, 1.0, 2.0],
                    translation: [-3.0, 2.0, 1.0],
                    time: 0.66,
                },
            ];
            // The kernel keeps only the in-plane part of each move on 2D.
            kernel_case(artefact, "mr::kspace::motion", move || {
                kspace::motion(&img, &moves)
            })
        }
        "bias_field" => {
            let coefficients: Vec<f64> = (0..spatial::bias_field_terms(3))
                .map(|i| if i % 2 == 0 { 0.2 } else { -0.2 })
                .collect();
            kernel_case(artefact, "mr::spatial::bias_field", move || {
                spatial::bias_field(&img, 3, &coefficients)
            })
        }
        // The kernel `rician` takes explicit draws; the registered
        // perturbation draws them (as MONAI does), so that is what is timed.
        "rician_noise" => via_registry(artefact, image, 0.05, &[]),
        "anisotropy" => {
            let axis = if is_2d { Axis::Y } else { Axis::Z };
            kernel_case(artefact, "mr::spatial::anisotropy", move || {
                spatial::anisotropy(&img, None, axis, 3.0).map(|(out, _)| out)
            })
        }
        "elastic" => {
            let grid = control_grid(image, args)?;
            kernel_case(artefact, "mr::spatial::elastic", move || {
                spatial::elastic(&img, None, &grid).map(|(out, _)| out)
            })
        }
        other => Err(format!("no bench case `{other}`")),
    }
}

/// Median and minimum of the repetitions, in ms, and their number.
fn time_case(run: &dyn Fn() -> Image, min_secs: f64, min_reps: usize) -> (f64, f64, usize) {
    black_box(run());
    let min_total = Duration::from_secs_f64(min_secs);
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 10_000 {
        let t0 = Instant::now();
        black_box(run());
        times.push(t0.elapsed().as_secs_f64() * 1e3);
        if times.len() >= min_reps && start.elapsed() >= min_total {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        0.5 * (times[n / 2 - 1] + times[n / 2])
    };
    (median, times[0], n)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mr_bench: {e}");
            std::process::exit(2);
        }
    };
    let inputs = [
        (
            "256x256",
            Grid::new_2d(256, 256, [1.0, 1.0]).expect("valid grid"),
        ),
        (
            "128^3",
            Grid::new_3d([128, 128, 128], [1.0, 1.0, 1.0]).expect("valid grid"),
        ),
    ];
    if let Some(c) = args.case.as_deref()
        && !inputs.iter().any(|(name, _)| *name == c)
    {
        eprintln!("mr_bench: --case: expected `256x256` or `128^3`, got `{c}`");
        std::process::exit(2);
    }
    if let Some(a) = args.only.as_deref()
        && !ARTEFACTS.contains(&a)
    {
        eprintln!("mr_bench: --only: expected one of {ARTEFACTS:?}, got `{a}`");
        std::process::exit(2);
    }
    let images: Vec<(&str, Image)> = inputs
        .iter()
        .filter(|(c, _)| args.case.as_deref().is_none_or(|w| w == *c))
        .map(|(c, g)| (*c, phantom(g)))
        .collect();
    for (case, image) in &images {
        let data = image.data();
        let (min, max) = image.min_max();
        let sum: f64 = data.iter().map(|&v| f64::from(v)).sum();
        println!(
            "{}",
            serde_json::json!({
                "input": case, "sum": sum, "min": min, "max": max,
                "first": data[0], "mid": data[data.len() / 2],
            })
        );
    }
    for (case, image) in &images {
        for artefact in ARTEFACTS {
            if args.only.as_deref().is_some_and(|o| o != artefact) {
                continue;
            }
            let line = match build(artefact, image, &args) {
                Ok(c) => {
                    let (median, min, reps) = time_case(&*c.run, args.min_secs, args.min_reps);
                    serde_json::json!({
                        "artefact": c.artefact, "case": case, "median_ms": median,
                        "min_ms": min, "reps": reps, "kernel": c.kernel,
                    })
                }
                Err(e) => serde_json::json!({"artefact": artefact, "case": case, "error": e}),
            };
            println!("{line}");
        }
    }
}
