#!/usr/bin/env python3
"""Reference outputs for sensibench-perturb, from scipy.ndimage, numpy and torch.

Writes reference.json next to this script. Re-run with the project's tool venv:

    /work/main/.tools/train/bin/python harness/perturb/tests/reference/make_reference.py

Inputs (all float32 values, computed here in float64):
  img2d  17x13 (non-square), spacing (dy, dx) = (1.5, 1.2) mm, labels 0..3
  sq2d   13x13 (rows 2..15 of img2d), same spacing, labels
  vol3d  5x9x7, spacing (dz, dy, dx) = (3.0, 1.5, 1.2) mm, no labels

Each case: perturbation name, value, options, input name, expected image and
mask (null when the perturbation leaves the mask unchanged or there is none).
Conventions that are sensibench's own (crop box, resolution) are written here
independently with numpy; torch's interpolate gives the bilinear/nearest
resizing references.
"""

import json
import pathlib

import numpy as np
import scipy
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent


def make_img2d():
    y, x = np.mgrid[0:17, 0:13].astype(np.float64)
    img = 40 + 25 * np.sin(0.45 * y + 0.3) * np.cos(0.35 * x) + 1.5 * y - 0.8 * x
    img += 10.0 * (((7 * y + 3 * x) % 5) == 0)
    img = img.astype(np.float32).astype(np.float64)
    mask = np.zeros((17, 13), dtype=np.uint8)
    mask[((y - 7.3) / 5.0) ** 2 + ((x - 5.8) / 3.5) ** 2 <= 1] = 1
    mask[((y - 7.0) / 2.5) ** 2 + ((x - 6.2) / 1.8) ** 2 <= 1] = 2
    mask[1:4, 9:12] = 3
    return img, mask


def make_vol3d():
    z, y, x = np.mgrid[0:5, 0:9, 0:7].astype(np.float64)
    vol = 100 + 30 * np.sin(0.8 * z + 0.5 * y) * np.cos(0.6 * x) + 4 * z - 2 * y + x
    vol += 20.0 * (((3 * z + 5 * y + 2 * x) % 7) == 0)
    return vol.astype(np.float32).astype(np.float64)


def flat(a, decimals=5):
    return [round(float(v), decimals) for v in np.asarray(a).ravel()]


def flat_int(a):
    return [int(v) for v in np.asarray(a).ravel()]


img2d, mask2d = make_img2d()
sq2d, sqmask = img2d[2:15].copy(), mask2d[2:15].copy()
vol3d = make_vol3d()
SP2 = [1.5, 1.2]
SP3 = [3.0, 1.5, 1.2]
inputs = {
    "img2d": {"dims": [1, 17, 13], "spacing": SP2, "data": flat(img2d, 7), "mask": flat_int(mask2d)},
    "sq2d": {"dims": [1, 13, 13], "spacing": SP2, "data": flat(sq2d, 7), "mask": flat_int(sqmask)},
    "vol3d": {"dims": [5, 9, 7], "spacing": SP3, "data": flat(vol3d, 7), "mask": None},
}
arrays = {"img2d": (img2d, mask2d), "sq2d": (sq2d, sqmask), "vol3d": (vol3d, None)}
cases = []


def add(name, value, inp, image, mask=None, options=None):
    cases.append({
        "perturbation": name,
        "value": value,
        "options": options or {},
        "input": inp,
        "image": flat(image),
        "mask": None if mask is None else flat_int(mask),
    })


# --- rotate: scipy.ndimage.rotate(reshape=False, order=1/0, mode='constant')
for inp in ["img2d", "sq2d"]:
    img, mask = arrays[inp]
    for angle in [-90.0, -37.5, 10.0, 45.0, 90.0, 180.0, 270.0, 123.4]:
        out = ndi.rotate(img, angle, reshape=False, order=1, mode="constant", cval=img.min())
        m = ndi.rotate(mask, angle, reshape=False, order=0, mode="constant", cval=0)
        add("rotate", angle, inp, out, m)
img, mask = arrays["img2d"]
out = ndi.rotate(img, 30.0, reshape=False, order=1, mode="constant", cval=-5.0)
add("rotate", 30.0, "img2d", out, ndi.rotate(mask, 30.0, reshape=False, order=0), {"fill": -5.0})

# --- zoom about the centre, shape kept: affine_transform(diag(1/f), c - c/f)
for f in [0.6, 0.8, 1.25, 1.5, 2.0]:
    inv = 1.0 / f
    c = (np.array(img.shape) - 1) / 2.0
    off = c - inv * c
    mat = np.diag([inv, inv])
    out = ndi.affine_transform(img, mat, off, order=1, mode="constant", cval=img.min())
    m = ndi.affine_transform(mask, mat, off, order=0, mode="constant", cval=0)
    add("zoom", f, "img2d", out, m)

# --- translate: scipy.ndimage.shift by mm / spacing along one axis
for axis, shifts in [("x", [-3.7, 2.5, 6.0]), ("y", [-4.2, 1.0, 3.75])]:
    ax = 1 if axis == "x" else 0
    for s_mm in shifts:
        sh = [0.0, 0.0]
        sh[ax] = s_mm / SP2[ax]
        out = ndi.shift(img, sh, order=1, mode="constant", cval=img.min())
        m = ndi.shift(mask, sh, order=0, mode="constant", cval=0)
        add("translate", s_mm, "img2d", out, m, {"axis": axis})

# --- crop: keep pixels whose centre lies within fraction*n/2 of the centre
for frac in [0.5, 0.8, 0.33]:
    keep = np.ones(img.shape, dtype=bool)
    for ax, n in enumerate(img.shape):
        i = np.arange(n)
        k = np.abs(i - (n - 1) / 2.0) <= frac * n / 2.0 + 1e-9
        keep &= k[:, None] if ax == 0 else k[None, :]
    add("crop", frac, "img2d", np.where(keep, img, img.min()), np.where(keep, mask, 0))

# --- dihedral: np.rot90(k % 4, axes=(-2, -1)) then np.flip(axis=-1) if k >= 4
def dihedral(a, k):
    r = np.rot90(a, k % 4, axes=(-2, -1))
    return np.flip(r, axis=-1) if k >= 4 else r


for k in range(8):
    add("dihedral", float(k), "sq2d", dihedral(sq2d, k), dihedral(sqmask, k))
for k in [2, 4, 6]:
    add("dihedral", float(k), "img2d", dihedral(img, k), dihedral(mask, k))

# --- flip
for axis, ax in [("x", -1), ("y", -2)]:
    add("flip", 1.0, "img2d", np.flip(img, ax), np.flip(mask, ax), {"axis": axis})


# --- resolution: exact area averaging to round(n/f), torch bilinear back up
def area_matrix(n_in, n_out):
    s = n_in / n_out
    a = np.zeros((n_out, n_in))
    for j in range(n_out):
        lo, hi = j * s, min((j + 1) * s, n_in)
        for i in range(n_in):
            a[j, i] = max(0.0, min(hi, i + 1) - max(lo, i)) / s
    return a


def resolution(a, f, axes):
    low = a
    for ax in axes:
        m = max(1, int(np.floor(a.shape[ax] / f + 0.5)))
        low = np.moveaxis(np.tensordot(area_matrix(a.shape[ax], m), np.moveaxis(low, ax, 0), axes=1), 0, ax)
    t = torch.from_numpy(np.ascontiguousarray(low))
    if len(axes) == 2:
        t = t.reshape(-1, 1, *t.shape[-2:])
        up = F.interpolate(t, size=a.shape[-2:], mode="bilinear", align_corners=False)
    else:
        up = F.interpolate(t[None, None], size=a.shape, mode="trilinear", align_corners=False)
    return up.numpy().reshape(a.shape)


for f in [1.5, 2.0, 3.0, 4.0, 6.0]:
    add("resolution", f, "img2d", resolution(img, f, [0, 1]))
add("resolution", 2.0, "vol3d", resolution(vol3d, 2.0, [0, 1, 2]))
add("resolution", 2.5, "vol3d", resolution(vol3d, 2.5, [1, 2]), options={"axes": "in_plane"})

# --- intensity
lo, hi = img.min(), img.max()
for b in [-0.4, 0.25]:
    add("brightness", b, "img2d", img + b * (hi - lo))
for c in [0.316, 0.0, 2.5]:
    add("contrast", c, "img2d", img.mean() + c * (img - img.mean()))
for g in [0.316, 3.16]:
    add("gamma", g, "img2d", lo + (hi - lo) * ((img - lo) / (hi - lo)) ** g)

# --- gaussian blur: scipy.ndimage.gaussian_filter(sigma = mm / spacing, reflect, truncate 4)
for s in [0.5, 1.0, 2.0, 3.0, 7.0]:
    sig = [s / SP2[0], s / SP2[1]]
    add("gaussian_blur", s, "img2d", ndi.gaussian_filter(img, sig, mode="reflect", truncate=4.0))
for s in [1.0, 2.0, 8.0]:
    sig = [s / v for v in SP3]
    add("gaussian_blur", s, "vol3d", ndi.gaussian_filter(vol3d, sig, mode="reflect", truncate=4.0))

# --- resample: torch bilinear (align_corners=False) / nearest-exact, plane by plane
resizes = []
for inp, size in [("img2d", (8, 10)), ("img2d", (32, 24)), ("img2d", (5, 40)), ("vol3d", (4, 11))]:
    a, m = arrays[inp]
    t = torch.from_numpy(a.reshape(-1, 1, *a.shape[-2:]))
    out = F.interpolate(t, size=size, mode="bilinear", align_corners=False).numpy()
    entry = {"input": inp, "size": list(size), "image": flat(out)}
    if m is not None:
        tm = torch.from_numpy(m.astype(np.float64).reshape(-1, 1, *m.shape[-2:]))
        entry["labels"] = flat_int(F.interpolate(tm, size=size, mode="nearest-exact").numpy())
    resizes.append(entry)

doc = {
    "generator": f"make_reference.py (numpy {np.__version__}, scipy {scipy.__version__}, torch {torch.__version__})",
    "inputs": inputs,
    "cases": cases,
    "resizes": resizes,
}
path = HERE / "reference.json"
path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes, {len(cases)} cases, {len(resizes)} resizes)")
