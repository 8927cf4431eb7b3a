#!/usr/bin/env python3
"""Speed of sensibench's MR artefacts against TorchIO 1.2.1 (Rician noise:
MONAI 1.6 RandRicianNoise; TorchIO has none), side by side, in one run.

Inputs: a deterministic smooth phantom (a sum of Gaussians plus a small
sinusoidal texture, positive), as a 256x256 slice (z = 1) and a 128^3 volume,
spacing 1 mm. The formula is the one of `examples/mr_bench.rs` (the Rust
example prints a checksum of its inputs; this script checks it against its
own). The bench cases are those of docs/design MR contract:

    spike        intensity 1.0, count 1, position (y, x, z) = (0.3, 0.6, 0.5)
    ghosting     intensity 0.5, count 4, axis y, restore 0.02
    motion       2 moves: rot (2, -3, 4) deg, trans (1, -2, 3) mm, time 0.33;
                 rot (-4, 1, 2) deg, trans (-3, 2, 1) mm, time 0.66
                 (2D: rotation about z and translation in (y, x) only)
    bias_field   order 3, coefficients 0.2 * (-1)^i
    rician_noise sigma 0.05 of the image range (MONAI std = 0.05 * (max - min))
    anisotropy   factor 3, axis y (2D) / z (3D)
    elastic      7 control points, max displacement 5 mm, 2 locked borders
                 (grid from numpy seed 0, uniform +-5, borders locked)

Our array is (z, y, x); TorchIO's tensor is array.transpose(1, 2, 0)[None]
(TorchIO axes 0, 1, 2 = our y, x, z), affine diag(spacing_y, spacing_x,
spacing_z, 1). Both sides get 2 threads by default (--threads: torch.set_num_threads,
RAYON_NUM_THREADS=2). Each case: one warm-up call, then repetitions until
they total >= --min-secs and number >= --min-reps; median and min reported.
The two sides of a case run back to back (the Rust example once per case),
so that both see the same load; the speed-up is the ratio of the minimum
times (the machine may be shared: under load, torch's OpenMP threads can
stall for 100x their work, which would flatter us; medians are kept in the
JSON and the printed table).
TorchIO is timed as a user calls it: `transform(subject)` (which copies the
subject, as our kernels allocate their output).

Writes docs/mr-artefacts-speed.svg and docs/mr-artefacts-speed.json.

    cargo build --release -p sensibench-perturb --example mr_bench
    .tools/train/bin/python harness/perturb/bench/torchio_speed.py
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
TARGET = 5.0  # speed-up target

# (cy, cx, cz, sigma, amplitude) in centred normalised coordinates.
BLOBS = [
    (0.00, 0.00, 0.00, 0.30, 100.0),
    (-0.15, 0.10, 0.05, 0.08, 60.0),
    (0.20, -0.12, -0.10, 0.06, 80.0),
    (0.05, 0.22, 0.15, 0.10, 40.0),
    (-0.05, -0.25, -0.20, 0.05, 50.0),
]

# The motion bench case, in TorchIO's axis order (y, x, z).
MOVES = [
    ((2.0, -3.0, 4.0), (1.0, -2.0, 3.0), 0.33),
    ((-4.0, 1.0, 2.0), (-3.0, 2.0, 1.0), 0.66),
]


def phantom(depth: int, height: int, width: int) -> np.ndarray:
    """The bench phantom, float32 array (z, y, x); computed in float64.

    value = 5 + sum_k a_k exp(-((v-cy)^2 + (u-cx)^2 + (w-cz)^2) / (2 s_k^2))
              + 2 sin(2 pi 11 u) sin(2 pi 13 v) cos(2 pi 3 w)
    with u = (x + 0.5)/W - 0.5, v = (y + 0.5)/H - 0.5, w = (z + 0.5)/D - 0.5
    (w = 0 when D = 1). Every value is >= 3.
    """
    u = ((np.arange(width) + 0.5) / width - 0.5)[None, None, :]
    v = ((np.arange(height) + 0.5) / height - 0.5)[None, :, None]
    if depth == 1:
        w = np.zeros((1, 1, 1))
    else:
        w = ((np.arange(depth) + 0.5) / depth - 0.5)[:, None, None]
    out = np.full((depth, height, width), 5.0)
    for cy, cx, cz, s, a in BLOBS:
        out += a * np.exp(-((v - cy) ** 2 + (u - cx) ** 2 + (w - cz) ** 2) / (2 * s * s))
    tau = 2 * math.pi
    out += 2.0 * np.sin(tau * 11 * u) * np.sin(tau * 13 * v) * np.cos(tau * 3 * w)
    return out.astype(np.float32)


def elastic_grid() -> np.ndarray:
    """The fixed control grid (7, 7, 7, 3) in mm: numpy seed 0, uniform
    [-5, 5), borders locked as TorchIO RandomElasticDeformation does (2
    layers along its axes 0 and 1); 2D: no displacement along z."""
    rng = np.random.default_rng(0)
    grid = rng.uniform(-5.0, 5.0, size=(7, 7, 7, 3))
    for i in range(2):
        grid[i, :] = 0
        grid[-1 - i, :] = 0
        grid[:, i] = 0
        grid[:, -1 - i] = 0
    return grid


def checksum(arr: np.ndarray) -> dict:
    flat = arr.reshape(-1)
    return {
        "sum": float(flat.astype(np.float64).sum()),
        "min": float(flat.min()),
        "max": float(flat.max()),
        "first": float(flat[0]),
        "mid": float(flat[flat.size // 2]),
    }


def time_it(fn, min_secs: float, min_reps: int, max_reps: int = 10_000) -> dict:
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < max_reps:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= min_reps and time.perf_counter() - start >= min_secs:
            break
    return {
        "median_ms": statistics.median(times) * 1e3,
        "min_ms": min(times) * 1e3,
        "reps": len(times),
    }


def reference_cases(arr: np.ndarray, case: str):
    """(artefact, reference name, callable) for every bench case."""
    import torch
    import torchio as tio
    from monai.transforms import RandRicianNoise

    is_2d = arr.shape[0] == 1
    tensor = torch.from_numpy(np.ascontiguousarray(arr.transpose(1, 2, 0)[None]))
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    subject = tio.Subject(img=tio.ScalarImage(tensor=tensor, affine=affine))

    spike = tio.Spike(spikes_positions=np.array([[0.3, 0.6, 0.5]]), intensity=1.0)
    ghosting = tio.Ghosting(num_ghosts=4, axis=0, intensity=0.5, restore=0.02)
    degrees = np.array([m[0] for m in MOVES])
    translation = np.array([m[1] for m in MOVES])
    if is_2d:  # in-plane only, as RandomMotion does for 2D images
        degrees[:, :-1] = 0
        translation[:, 2] = 0
    motion = tio.Motion(
        degrees=degrees,
        translation=translation,
        times=np.array([m[2] for m in MOVES]),
        image_interpolation="linear",
    )
    coefficients = [0.2 * (-1) ** i for i in range(20)]  # order 3: 20 terms
    bias = tio.BiasField(coefficients=coefficients, order=3)
    aniso_axis = 0 if is_2d else 2  # our y / our z
    anisotropy = tio.RandomAnisotropy(axes=(aniso_axis,), downsampling=(3.0, 3.0))
    grid = elastic_grid()
    if is_2d:
        grid[..., 2] = 0
    elastic = tio.ElasticDeformation(
        control_points=grid, max_displacement=(5.0, 5.0, 5.0 if not is_2d else 0.0)
    )
    rician = RandRicianNoise(prob=1.0, mean=0.0, std=1.0, sample_std=False)
    rician.set_random_state(0)

    def rician_call():
        data = subject["img"].data
        std = 0.05 * float(data.max() - data.min())
        rician.std = std
        return rician(data)

    return [
        ("spike", "torchio.Spike", lambda: spike(subject)),
        ("ghosting", "torchio.Ghosting", lambda: ghosting(subject)),
        ("motion", "torchio.Motion", lambda: motion(subject)),
        ("bias_field", "torchio.BiasField", lambda: bias(subject)),
        ("rician_noise", "monai.RandRicianNoise", rician_call),
        ("anisotropy", "torchio.RandomAnisotropy", lambda: anisotropy(subject)),
        ("elastic", "torchio.ElasticDeformation", lambda: elastic(subject)),
    ]


def run_rust(binary: Path, grid_file: Path, artefact: str, case: str,
             min_secs: float, min_reps: int, threads: int) -> tuple[dict, dict]:
    """Times one case with the Rust example; returns (row, input checksum)."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    cmd = [str(binary), "--min-secs", str(min_secs), "--min-reps", str(min_reps),
           "--elastic-grid", str(grid_file), "--only", artefact, "--case", case]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    row, checks = None, None
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            if "input" in rec:
                checks = rec
            else:
                row = rec
    if row is None or checks is None:
        sys.exit(f"{' '.join(cmd)}: unexpected output:\n{proc.stdout}")
    return row, checks


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = None
    try:
        load = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model, "loadavg": load, "platform": platform.platform()}


def versions() -> dict:
    import monai
    import torch
    import torchio

    out = {
        "python": platform.python_version(),
        "torchio": torchio.__version__,
        "monai": monai.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
    }
    try:
        out["rustc"] = subprocess.run(
            ["rustc", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out["rustc"] = "unknown"
    return out


def ms_label(v: float) -> str:
    return f"{v:.3g}" if v < 1000 else f"{v:.0f}"


def svg_chart(results: list, title: str) -> str:
    """A hand-written SVG: per row, TorchIO and sensibench best times (log
    scale), and the speed-up (ratio of the best times, log scale) with the
    5x target line."""
    row_h, bar_h = 34, 12
    label_w, panel_w, gap = 190, 330, 70
    top, bottom = 84, 60
    width = label_w + 2 * panel_w + gap + 30
    height = top + row_h * len(results) + bottom
    ms = [v for r in results for v in (r["torchio"]["min_ms"], r["sensibench"]["min_ms"])]
    t_lo = 10 ** math.floor(math.log10(min(ms)))
    t_hi = 10 ** math.ceil(math.log10(max(ms)))
    sp = [r["speedup"] for r in results]
    s_lo = 10 ** min(0, math.floor(math.log10(min(sp))))
    s_hi = 10 ** max(1, math.ceil(math.log10(max(sp))))
    x0 = label_w
    x1 = label_w + panel_w + gap

    def tx(v):
        return x0 + panel_w * (math.log10(v) - math.log10(t_lo)) / (math.log10(t_hi) - math.log10(t_lo))

    def sx(v):
        return x1 + panel_w * (math.log10(v) - math.log10(s_lo)) / (math.log10(s_hi) - math.log10(s_lo))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{title}</text>',
        f'<text x="{x0 + panel_w / 2}" y="48" text-anchor="middle">best time per call (ms, min over the repetitions, log scale)</text>',
        f'<text x="{x1 + panel_w / 2}" y="48" text-anchor="middle">speed-up over the reference (log scale)</text>',
    ]
    y_axis = top + row_h * len(results)
    for i in range(0, len(results), 2):
        out.append(f'<rect x="0" y="{top + i * row_h}" width="{width}" height="{row_h}" fill="#f4f4f4"/>')
    # Time grid.
    e = int(round(math.log10(t_lo)))
    while 10**e <= t_hi * 1.0001:
        x = tx(10**e)
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{y_axis}" stroke="#ddd"/>')
        lab = f"{10**e:g}"
        out.append(f'<text x="{x:.1f}" y="{y_axis + 16}" text-anchor="middle" fill="#444">{lab}</text>')
        e += 1
    e = int(round(math.log10(s_lo)))
    while 10**e <= s_hi * 1.0001:
        x = sx(10**e)
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{y_axis}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{y_axis + 16}" text-anchor="middle" fill="#444">{10**e:g}x</text>')
        e += 1
    xt = sx(TARGET)
    out.append(
        f'<line x1="{xt:.1f}" y1="{top - 10}" x2="{xt:.1f}" y2="{y_axis}" stroke="#c0392b" '
        f'stroke-width="1.5" stroke-dasharray="5,3"/>'
    )
    out.append(f'<text x="{xt:.1f}" y="{top - 14}" text-anchor="middle" fill="#c0392b">target {TARGET:g}x</text>')
    for i, r in enumerate(results):
        y = top + i * row_h
        out.append(
            f'<text x="{label_w - 10}" y="{y + row_h / 2 + 4}" text-anchor="end">'
            f'{r["artefact"]} <tspan fill="#666">{r["case"]}</tspan></text>'
        )
        for k, (key, colour) in enumerate((("torchio", "#8e9aaf"), ("sensibench", "#2e86c1"))):
            v = r[key]["min_ms"]
            by = y + 4 + k * (bar_h + 2)
            out.append(
                f'<rect x="{x0}" y="{by}" width="{max(tx(v) - x0, 1):.1f}" height="{bar_h}" fill="{colour}">'
                f'<title>{key} {v:.3g} ms</title></rect>'
            )
            out.append(f'<text x="{tx(v) + 4:.1f}" y="{by + bar_h - 2}" font-size="10" fill="#333">{ms_label(v)}</text>')
        s = r["speedup"]
        colour = "#27ae60" if s >= TARGET else "#e67e22"
        left, w = min(sx(s), sx(1.0)), abs(sx(s) - sx(1.0))
        out.append(
            f'<rect x="{left:.1f}" y="{y + 8}" width="{max(w, 1):.1f}" height="{row_h - 16}" '
            f'fill="{colour}"><title>{s:.3g}x</title></rect>'
        )
        out.append(f'<text x="{max(sx(s), sx(1.0)) + 4:.1f}" y="{y + row_h / 2 + 4}" font-size="11">{s:.3g}x</text>')
    # Legend.
    ly = height - 22
    out.append(f'<rect x="{x0}" y="{ly - 10}" width="12" height="12" fill="#8e9aaf"/>')
    out.append(f'<text x="{x0 + 16}" y="{ly}">TorchIO 1.2.1 (Rician: MONAI RandRicianNoise)</text>')
    out.append(f'<rect x="{x1}" y="{ly - 10}" width="12" height="12" fill="#2e86c1"/>')
    out.append(f'<text x="{x1 + 16}" y="{ly}">sensibench (Rust, release)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rust-bin", default=os.environ.get("MR_BENCH_BIN", "target/release/examples/mr_bench"))
    ap.add_argument("--min-secs", type=float, default=1.0)
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--only", help="run one artefact only (both sides)")
    ap.add_argument("--out-dir", default=str(ROOT / "docs"))
    ap.add_argument("--threads", type=int, default=2,
                    help="torch.set_num_threads and RAYON_NUM_THREADS (default 2)")
    ap.add_argument("--fake-rust", action="store_true", help="dummy Rust numbers (tests the report)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")

    binary = Path(args.rust_bin)
    if not binary.is_absolute():
        binary = ROOT / binary
    if not args.fake_rust and not binary.exists():
        sys.exit(f"{binary}: no such file; build it with "
                 "`cargo build --release -p sensibench-perturb --example mr_bench` or pass --rust-bin")
    # The elastic control grid of numpy seed 0, (7, 7, 7, 3) C order, TorchIO axes.
    fd, grid_name = tempfile.mkstemp(prefix="mr_bench_grid_", suffix=".json")
    os.close(fd)
    grid_file = Path(grid_name)
    grid_file.write_text(json.dumps(elastic_grid().reshape(-1).tolist()))

    inputs = {"256x256": phantom(1, 256, 256), "128^3": phantom(128, 128, 128)}
    load_before = machine()["loadavg"]
    results = []
    try:
        for case, arr in inputs.items():
            ours_check = checksum(arr)
            for artefact, ref_name, fn in reference_cases(arr, case):
                if args.only and artefact != args.only:
                    continue
                # Interleaved: the Rust case, then the reference, so that both
                # see the same machine load.
                print(f"timing {artefact} {case}: sensibench, then {ref_name} ...",
                      file=sys.stderr, flush=True)
                if args.fake_rust:
                    row = {"median_ms": 1.0, "min_ms": 0.9, "reps": 5, "kernel": "fake"}
                else:
                    row, theirs = run_rust(binary, grid_file, artefact, case, args.min_secs, args.min_reps,
                                           args.threads)
                    if "error" in row:
                        sys.exit(f"sensibench {artefact} {case}: {row['error']}")
                    for key, val in ours_check.items():  # the inputs must be equal
                        if not math.isclose(val, theirs[key], rel_tol=1e-6, abs_tol=1e-4):
                            sys.exit(f"input {case} differs: {key} numpy {val} vs Rust {theirs[key]}")
                ref = time_it(fn, args.min_secs, args.min_reps)
                ours = {k: row[k] for k in ("median_ms", "min_ms", "reps", "kernel")}
                results.append({
                    "artefact": artefact,
                    "case": case,
                    "reference": ref_name,
                    "torchio": ref,
                    "sensibench": ours,
                    "speedup": ref["min_ms"] / ours["min_ms"],
                    "speedup_median": ref["median_ms"] / ours["median_ms"],
                })
    finally:
        grid_file.unlink(missing_ok=True)

    header = (f"{'artefact':<13} {'case':<8} {'TorchIO ms':>11} {'sensibench ms':>14} {'speed-up':>9}"
              f"   {'(medians: TorchIO / sensibench / speed-up)'}")
    print(header)
    print("-" * len(header))
    for r in results:
        flag = "" if r["speedup"] >= TARGET else f"  < {TARGET:g}x"
        print(f"{r['artefact']:<13} {r['case']:<8} {r['torchio']['min_ms']:>11.3f} "
              f"{r['sensibench']['min_ms']:>14.3f} {r['speedup']:>8.1f}x   "
              f"({r['torchio']['median_ms']:.3f} / {r['sensibench']['median_ms']:.3f} / "
              f"{r['speedup_median']:.1f}x){flag}")

    mach = machine()
    mach["loadavg_before"] = load_before
    mach["loadavg_after"] = mach.pop("loadavg")
    report = {
        "description": "Wall time per call, one warm-up, then repetitions until >= min_secs and >= min_reps; "
                       "TorchIO 1.2.1 (Rician noise: MONAI RandRicianNoise) vs sensibench MR artefact kernels, "
                       "each case run back to back (sensibench, then the reference). speedup = ratio of the "
                       "minimum times (robust to other processes on a shared machine); speedup_median = ratio "
                       "of the medians.",
        "command": "cargo build --release -p sensibench-perturb --example mr_bench && "
                   ".tools/train/bin/python harness/perturb/bench/torchio_speed.py",
        "target_speedup": TARGET,
        "settings": {"min_secs": args.min_secs, "min_reps": args.min_reps,
                     "torch_threads": args.threads, "rayon_threads": args.threads, "fake_rust": args.fake_rust},
        "machine": mach,
        "versions": versions(),
        "inputs": {c: {"shape_zyx": list(a.shape), "spacing_mm": [1.0, 1.0, 1.0], **checksum(a)}
                   for c, a in inputs.items()},
        "results": results,
    }
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "mr-artefacts-speed.json").write_text(json.dumps(report, indent=2) + "\n")
    if results:
        title = (f"MR artefacts: sensibench vs TorchIO 1.2.1, {args.threads} threads "
                 f"({mach['cpu_model']})")
        (out_dir / "mr-artefacts-speed.svg").write_text(svg_chart(results, title))
    print(f"wrote {out_dir / 'mr-artefacts-speed.json'} and {out_dir / 'mr-artefacts-speed.svg'}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
