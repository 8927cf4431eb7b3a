"""Reference grid points for sensibench-suite's `expand_points`.

Writes points.json next to this file: numpy.linspace / logspace / arange
values for the cases the Rust test `expand_points_matches_numpy` checks.
Re-run: /work/main/.tools/train/bin/python harness/suite/tests/reference/points.py
"""
import json
import pathlib

import numpy as np

cases = [
    {"kind": "linspace", "args": [-90, 90, 7]},
    {"kind": "linspace", "args": [-20, 20, 5]},
    {"kind": "linspace", "args": [-0.4, 0.4, 5]},
    {"kind": "linspace", "args": [0.1, 0.7, 7]},
    {"kind": "linspace", "args": [3, 3, 4]},
    {"kind": "linspace", "args": [2.5, -1, 1]},
    {"kind": "logspace", "args": [-0.5, 0.5, 5], "base": 10.0},
    {"kind": "logspace", "args": [0, 4, 5], "base": 2.0},
    {"kind": "logspace", "args": [-1, 1, 9], "base": float(np.e)},
    {"kind": "range", "args": [0, 1, 0.1]},
    {"kind": "range", "args": [5, -1, -2]},
    {"kind": "range", "args": [0, 10, 3]},
    {"kind": "range", "args": [-1.5, 1.5, 0.5]},
]
for c in cases:
    a = c["args"]
    if c["kind"] == "linspace":
        v = np.linspace(a[0], a[1], int(a[2]))
    elif c["kind"] == "logspace":
        v = np.logspace(a[0], a[1], int(a[2]), base=c["base"])
    else:
        v = np.arange(a[0], a[1], a[2], dtype=np.float64)
    c["expected"] = [float(x) for x in v]

out = pathlib.Path(__file__).with_name("points.json")
out.write_text(json.dumps({"numpy": np.__version__, "cases": cases}, indent=1) + "\n")
print(f"wrote {out} ({len(cases)} cases)")
