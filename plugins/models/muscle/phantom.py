"""Synthetic axial CT slices around L3, in Hounsfield units, for the pretraining sources.

This generator is the pretraining data of `muscle_supervised` and (with the real
DICOM slices) `muscle_autoencoder`. It is deliberately independent of the
harness's own Rust muscle phantom (different code, different seeds, different
shape model), so the pretraining never sees the evaluation images.

One slice (`make_slice(rng, size)`) is drawn from these parts, in this order
(later parts overwrite earlier ones), all on a `size` x `size` grid
(about 3.9 mm per pixel at 128, i.e. a 500 mm field of view):

- air -1000 HU everywhere;
- optional arms (p = 0.3): two lateral ellipses of fat, muscle and a bone core;
- body: an ellipse (semi-axes 0.28-0.40 x 0.20-0.30 of the field, rotated
  +-0.12 rad, centre jitter +-4 %), its radius modulated by random 2nd-4th
  harmonics (+-4 %), filled with subcutaneous fat (-100 +- 15 HU);
- abdominal-wall muscle: a ring inside the fat (fat 2-9 px thick, muscle 2-5 px
  at 128, thicker posteriorly), 30-55 HU;
- visceral fat (-110 .. -80 HU) inside the ring;
- organs (40-65 HU liver, p = 0.6; 25-40 HU kidneys, p = 0.9 each; 5-14 bowel
  loops with soft content 10-45 HU, air -850 HU with a 30 HU wall, or oral
  contrast 150-300 HU; aorta and IVC, 35-50 HU or contrast 140-220 HU);
- psoas (two ellipses lateral to the vertebral body) and paraspinal muscles
  (two ellipses behind the vertebra, joined to the posterior wall), muscle HU;
- vertebra: body disc (cancellous 150-260 HU, cortex 450-750 HU), spinal canal
  (10 HU), pedicles/laminae and spinous process (cortical HU);
- intramuscular fat marbling (muscle HU - 0..25 HU of smooth noise), a
  Gaussian blur sigma 0.4-0.9 px (partial volume), Gaussian noise sigma 6-25 HU.

Returned labels (uint8 masks, same grid): `body`, `muscle` (wall, psoas,
paraspinal, arm muscle), `organs` (liver, kidneys, bowel, aorta, IVC), `bone`
(vertebra and arm bones).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage


def _ellipse(yy, xx, cy, cx, ry, rx, angle=0.0):
    """Boolean mask of a rotated ellipse."""
    c, s = math.cos(angle), math.sin(angle)
    dy, dx = yy - cy, xx - cx
    u = (c * dx + s * dy) / rx
    v = (-s * dx + c * dy) / ry
    return u * u + v * v <= 1.0


def make_slice(rng: np.random.Generator, size: int = 128) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One synthetic L3 slice: (HU float32 [size,size], dict of uint8 label masks)."""
    n = size
    f = n / 128.0  # pixel scale relative to 128
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float64)
    hu = np.full((n, n), -1000.0)
    muscle = np.zeros((n, n), bool)
    organs = np.zeros((n, n), bool)
    bone = np.zeros((n, n), bool)

    cy = n / 2 + rng.uniform(-0.04, 0.04) * n
    cx = n / 2 + rng.uniform(-0.04, 0.04) * n
    rx = rng.uniform(0.32, 0.44) * n
    ry = rng.uniform(0.23, 0.32) * n
    ang = rng.uniform(-0.12, 0.12)
    mus_hu = rng.uniform(30, 55)
    fat_hu = rng.uniform(-115, -85)
    cort_hu = rng.uniform(450, 750)

    # optional arms beside the body
    if rng.random() < 0.3:
        for side in (-1, 1):
            ax = cx + side * (rx + rng.uniform(8, 14) * f)
            ay = cy + rng.uniform(-6, 6) * f
            ar = rng.uniform(6, 9) * f
            m = _ellipse(yy, xx, ay, ax, ar * 1.1, ar)
            hu[m] = fat_hu
            mm = _ellipse(yy, xx, ay, ax, ar * 0.8, ar * 0.75)
            hu[mm] = mus_hu
            muscle |= mm
            bb = _ellipse(yy, xx, ay, ax, ar * 0.3, ar * 0.3)
            hu[bb] = cort_hu
            muscle &= ~bb
            bone |= bb

    # body outline with harmonic modulation
    c, s = math.cos(ang), math.sin(ang)
    dy, dx = yy - cy, xx - cx
    u = (c * dx + s * dy) / rx
    v = (-s * dx + c * dy) / ry
    rho = np.sqrt(u * u + v * v)
    phi = np.arctan2(v, u)
    mod = np.ones_like(rho)
    for k in (2, 3, 4):
        mod += rng.uniform(-0.04, 0.04) * np.cos(k * phi + rng.uniform(0, 2 * math.pi))
    r_norm = rho / mod  # < 1 inside the body
    body = r_norm <= 1.0
    hu[body] = fat_hu + rng.normal(0, 5, size=body.sum())
    mean_r = 0.5 * (rx + ry)
    # fat thickness and muscle thickness (in pixels), thicker posteriorly (v > 0 is posterior: image down)
    post = np.clip(np.sin(phi), 0, 1)  # 1 at the back
    t_fat = rng.uniform(2, 9) * f * (1 + 0.3 * np.cos(phi * 2 + rng.uniform(0, 6.3)))
    t_mus = rng.uniform(2, 5) * f * (1 + 1.0 * post)
    r_out = 1.0 - t_fat / mean_r
    r_in = r_out - t_mus / mean_r
    wall = body & (r_norm <= r_out) & (r_norm > r_in)
    inner = body & (r_norm <= r_in)
    hu[wall] = mus_hu
    muscle |= wall
    hu[inner] = rng.uniform(-110, -80)

    # vertebra position: posterior midline
    vy = cy + (ry * 0.38) * math.cos(ang)
    vx = cx - (ry * 0.38) * math.sin(ang)
    vr = rng.uniform(7, 10) * f

    def put(mask, value, kind):
        nonlocal muscle, organs, bone
        mask = mask & inner
        hu[mask] = value
        muscle &= ~mask
        organs &= ~mask
        bone &= ~mask
        if kind == "m":
            muscle |= mask
        elif kind == "o":
            organs |= mask
        elif kind == "b":
            bone |= mask

    # liver (image left = patient right), kidneys, bowel, vessels
    if rng.random() < 0.6:
        lx = cx - rx * rng.uniform(0.35, 0.55)
        ly = cy - ry * rng.uniform(-0.1, 0.25)
        put(_ellipse(yy, xx, ly, lx, ry * rng.uniform(0.3, 0.55), rx * rng.uniform(0.25, 0.4), rng.uniform(-0.5, 0.5)),
            rng.uniform(40, 65), "o")
    for side in (-1, 1):
        if rng.random() < 0.9:
            kx = vx + side * rng.uniform(2.2, 3.0) * vr
            ky = vy - rng.uniform(0.2, 1.0) * vr
            put(_ellipse(yy, xx, ky, kx, rng.uniform(5, 8) * f, rng.uniform(3.5, 5.5) * f, side * rng.uniform(0.2, 0.7)),
                rng.uniform(25, 40), "o")
    for _ in range(rng.integers(5, 15)):
        by = cy + rng.uniform(-0.75, 0.2) * ry
        bx = cx + rng.uniform(-0.7, 0.7) * rx
        br = rng.uniform(2.5, 6.5) * f
        kind = rng.random()
        outer = _ellipse(yy, xx, by, bx, br, br * rng.uniform(0.7, 1.3))
        if kind < 0.3:
            put(outer, 30.0, "o")
            put(_ellipse(yy, xx, by, bx, br * 0.7, br * 0.7), -850.0, "o")
        elif kind < 0.45:
            put(outer, rng.uniform(150, 300), "o")
        else:
            put(outer, rng.uniform(10, 45), "o")
    contrast = rng.random() < 0.5
    vessel_hu = rng.uniform(140, 220) if contrast else rng.uniform(35, 50)
    put(_ellipse(yy, xx, vy - 1.6 * vr, vx + 0.6 * vr, 3.5 * f, 3.5 * f), vessel_hu, "o")
    put(_ellipse(yy, xx, vy - 1.5 * vr, vx - 0.9 * vr, 3.0 * f, 4.0 * f), vessel_hu * 0.8, "o")

    # psoas and paraspinal muscles
    for side in (-1, 1):
        put(_ellipse(yy, xx, vy - 0.2 * vr, vx + side * 1.6 * vr, rng.uniform(0.6, 0.9) * vr,
                     rng.uniform(0.5, 0.8) * vr, side * 0.3), mus_hu, "m")
        put(_ellipse(yy, xx, vy + 1.7 * vr, vx + side * 1.1 * vr, rng.uniform(0.9, 1.2) * vr,
                     rng.uniform(0.8, 1.1) * vr), mus_hu, "m")
    # vertebra
    vb = _ellipse(yy, xx, vy, vx, vr * 0.85, vr)
    put(vb, cort_hu, "b")
    put(_ellipse(yy, xx, vy, vx, vr * 0.85 - 1.5 * f, vr - 1.5 * f), rng.uniform(150, 260), "b")
    arch = _ellipse(yy, xx, vy + 1.25 * vr, vx, 0.6 * vr, 0.75 * vr)
    canal = _ellipse(yy, xx, vy + 1.25 * vr, vx, 0.35 * vr, 0.42 * vr)
    put(arch & ~canal, cort_hu * 0.8, "b")
    put(canal, 10.0, "o")
    organs &= ~canal  # the canal is neither organ nor bone
    spin = (np.abs(xx - vx) <= 1.0 * f) & (yy >= vy + 1.6 * vr) & (yy <= vy + 2.5 * vr)
    put(spin, cort_hu * 0.8, "b")

    # marbling, partial volume, noise
    marb = ndimage.gaussian_filter(rng.normal(0, 1, (n, n)), 1.5 * f)
    hu[muscle] -= np.clip(marb[muscle], 0, None) * rng.uniform(0, 25)
    hu = ndimage.gaussian_filter(hu, rng.uniform(0.4, 0.9) * f)
    hu += rng.normal(0, rng.uniform(6, 25), (n, n))
    labels = {
        "body": body.astype(np.uint8),
        "muscle": muscle.astype(np.uint8),
        "organs": organs.astype(np.uint8),
        "bone": bone.astype(np.uint8),
    }
    return hu.astype(np.float32), labels


def make_set(seed: int, count: int, size: int = 128) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`count` slices from np.random.default_rng(seed): HU [count,size,size] and stacked label masks."""
    rng = np.random.default_rng(seed)
    imgs, labs = [], {}
    for _ in range(count):
        hu, lab = make_slice(rng, size)
        imgs.append(hu)
        for k, v in lab.items():
            labs.setdefault(k, []).append(v)
    return np.stack(imgs), {k: np.stack(v) for k, v in labs.items()}
