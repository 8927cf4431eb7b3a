//! Exports the cardiac phantom as NumPy arrays for model training.
//!
//! `cargo run -p sensibench-data --example export_phantom -- --out DIR --seed S
//! --subjects N --slices M --size 128` writes `DIR/images.npy` (float32
//! `[N*M, size, size]`), `DIR/masks.npy` (uint8, same shape; 0 bg, 1 LV, 2
//! myocardium, 3 RV), `DIR/ids.txt` (one sample id per line) and
//! `DIR/positions.txt` (slice position 0 = base .. 1 = apex per line).

use std::path::PathBuf;
use std::process::ExitCode;

use sensibench_data::npy::write_npy;
use sensibench_data::{CardiacPhantom, Dataset};

struct Args {
    out: PathBuf,
    seed: u64,
    subjects: usize,
    slices: usize,
    size: usize,
}

fn parse() -> Result<Args, String> {
    let mut out = None;
    let mut seed = 0u64;
    let mut subjects = 8usize;
    let mut slices = 5usize;
    let mut size = 128usize;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |name: &str, v: String| -> Result<u64, String> {
            v.parse::<u64>()
                .map_err(|e| format!("{name} `{v}`: expected a non-negative integer ({e})"))
        };
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(val("--out")?)),
            "--seed" => seed = num("--seed", val("--seed")?)?,
            "--subjects" => subjects = num("--subjects", val("--subjects")?)? as usize,
            "--slices" => slices = num("--slices", val("--slices")?)? as usize,
            "--size" => size = num("--size", val("--size")?)? as usize,
            "-h" | "--help" => {
                return Err("usage: export_phantom --out DIR [--seed S] [--subjects N] \
                            [--slices M] [--size 128]"
                    .into());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Args {
        out: out.ok_or("--out DIR is required")?,
        seed,
        subjects,
        slices,
        size,
    })
}

fn run() -> Result<(), String> {
    let a = parse()?;
    let ph =
        CardiacPhantom::new(a.seed, a.subjects, a.slices, a.size).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let n = ph.len();
    let mut images = Vec::with_capacity(n * a.size * a.size);
    let mut masks = Vec::with_capacity(n * a.size * a.size);
    let mut ids = String::new();
    let mut pos = String::new();
    for i in 0..n {
        let s = ph.get(i).map_err(|e| e.to_string())?;
        images.extend_from_slice(s.image.data());
        if let Some(m) = &s.mask {
            masks.extend_from_slice(m.data());
        }
        ids.push_str(&s.id);
        ids.push('\n');
        pos.push_str(&format!("{}\n", ph.slice_position(i)));
    }
    let shape = [n, a.size, a.size];
    write_npy(&a.out.join("images.npy"), &shape, &images).map_err(|e| e.to_string())?;
    write_npy(&a.out.join("masks.npy"), &shape, &masks).map_err(|e| e.to_string())?;
    for (name, text) in [("ids.txt", &ids), ("positions.txt", &pos)] {
        let p = a.out.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    eprintln!(
        "wrote {n} samples of {}x{} ({} mm spacing) to {}",
        a.size,
        a.size,
        ph.spacing(),
        a.out.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("export_phantom: {e}");
            ExitCode::FAILURE
        }
    }
}
