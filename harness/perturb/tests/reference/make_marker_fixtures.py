"""Writes `marker_fixtures.json` for harness/perturb/tests/marker_reference.rs:
side-marker injections by plugins/models/classifiers/markers.py and biharmonic
inpaintings by scikit-image (0.26) on real MedNIST images.

Run from anywhere: /work/main/.tools/train/bin/python make_marker_fixtures.py
(reads /work/shared/data/mednist; the inputs are stored in the fixture, so the
Rust test needs neither the data nor a JPEG decoder).
"""

import json
import os
import sys

import numpy as np
from PIL import Image
from skimage.restoration import inpaint_biharmonic

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "plugins", "models", "classifiers"))
import markers  # noqa: E402

DATA = "/work/shared/data/mednist"


def load(rel):
    """A MedNIST JPEG as float32 grey 0..255."""
    return np.asarray(Image.open(os.path.join(DATA, rel)).convert("L"), dtype=np.float32)


def f32list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


inputs = {"cxr": load("CXR/000007.jpeg"), "hand": load("Hand/" + sorted(os.listdir(DATA + "/Hand"))[0])}

glyphs = []
for g in ("L", "R"):
    for size in (7, 8, 9, 12, 13, 20):
        m = markers.glyph_mask(g, size)
        glyphs.append({"glyph": g, "size": size, "rows": ["".join("1" if v else "0" for v in r) for r in m]})

INJECT = [
    dict(glyph="L", size=9, corner="top_left", margin=2, pad=2, intensity=1.0, box=False, box_intensity=0.0),
    dict(glyph="R", size=12, corner="top_right", margin=3, pad=1, intensity=0.8, box=True, box_intensity=0.0),
    dict(glyph="L", size=7, corner="bottom_left", margin=0, pad=0, intensity=0.5, box=True, box_intensity=0.2),
    dict(glyph="R", size=20, corner="bottom_right", margin=2, pad=3, intensity=1.0, box=False, box_intensity=0.0),
    dict(glyph="R", size=10, position=(30, 17), margin=2, pad=2, intensity=0.95, box=False, box_intensity=0.0),
    dict(glyph="L", size=16, position=(5, 40), margin=2, pad=2, intensity=0.3, box=True, box_intensity=0.1),
]
injections = []
for k, spec in enumerate(INJECT):
    name = "cxr" if k % 2 == 0 else "hand"
    img = inputs[name]
    kw = {key: v for key, v in spec.items()}
    out, reg = markers.inject(img, **kw)
    changed = np.flatnonzero(out.ravel() != img.ravel())
    injections.append({
        "input": name,
        "spec": {**spec, "position": list(spec["position"]) if "position" in spec else None},
        "region": list(reg),
        "changed_index": [int(i) for i in changed],
        "changed_value": f32list(out.ravel()[changed]),
    })


def box(mask, y0, y1, x0, x1):
    mask[y0:y1, x0:x1] = True


HOLES = []
m = np.zeros((64, 64), bool); box(m, 0, 10, 0, 12); HOLES.append(("corner_box", "cxr", m))
m = np.zeros((64, 64), bool); box(m, 22, 38, 26, 36); HOLES.append(("interior_box", "cxr", m))
m = np.zeros((64, 64), bool); box(m, 40, 58, 8, 13); box(m, 53, 58, 8, 26); HOLES.append(("l_shape", "hand", m))
m = np.zeros((64, 64), bool); box(m, 1, 9, 55, 64); box(m, 30, 34, 2, 6); box(m, 30, 34, 7, 11)
box(m, 30, 34, 14, 18); box(m, 1, 2, 20, 40); box(m, 62, 64, 30, 33); HOLES.append(("edges_and_pieces", "hand", m))
marked, reg = markers.inject(inputs["cxr"], glyph="L", size=9)
inputs["cxr_marked"] = marked
m = np.zeros((64, 64), bool); box(m, reg[0], reg[2], reg[1], reg[3]); HOLES.append(("marker_region", "cxr_marked", m))

inpaints = []
for name, src, mask in HOLES:
    img = inputs[src].astype(np.float64)
    out = inpaint_biharmonic(img, mask)
    assert np.array_equal(out[~mask], img[~mask])
    idx = np.flatnonzero(mask.ravel())
    inpaints.append({
        "name": name,
        "input": src,
        "hole_index": [int(i) for i in idx],
        "value": [float(v) for v in out.ravel()[idx]],
    })

fixture = {
    "inputs": {k: {"height": int(v.shape[0]), "width": int(v.shape[1]), "data": f32list(v)} for k, v in inputs.items()},
    "glyphs": glyphs,
    "injections": injections,
    "inpaints": inpaints,
}
path = os.path.join(HERE, "marker_fixtures.json")
with open(path, "w") as f:
    json.dump(fixture, f)
print(path, os.path.getsize(path), "bytes")
