#!/usr/bin/env python3
"""Reference fixtures for sensibench-metrics (read by tests/reference.rs).

Re-run from the repository root with the project's training Python:

    .tools/train/bin/python harness/metrics/tests/reference/make_reference.py

Writes, next to this script:
- edt_cases.json: scipy.ndimage.distance_transform_edt(~mask, sampling=spacing)
  on small deterministic 2D and 3D masks with anisotropic spacing.
- seg_cases.json: per-class segmentation metrics of deterministic 2D and 3D
  label-map pairs (anisotropic spacing, objects touching the image border,
  several classes, empty classes), computed with
    * MedPy 0.5.2 `medpy.metric.binary`: dc (Dice), jc (IoU), hd, hd95, assd
      (0.5.2's assd is the mean of the pooled distances of both directions);
    * numpy on MedPy's surface distances: hd95_monai (max of the two directed
      95th percentiles) and rmssd (sqrt of the mean squared pooled distance);
    * the crate's empty rules where MedPy raises (both empty: 1, 1, 0...;
      one empty: 0, 0, NaN... written as null).
Label maps are stored flat, row-major (z, y, x); 2D cases have ndim 2 and
depth 1.
"""

import json
import os

import numpy as np
import medpy
from medpy.metric import binary as mb
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))


def surface_distances(result, reference, spacing):
    """MedPy's private __surface_distances (same calls, connectivity=1)."""
    fp = ndimage.generate_binary_structure(result.ndim, 1)
    rb = result ^ ndimage.binary_erosion(result, structure=fp, iterations=1)
    fb = reference ^ ndimage.binary_erosion(reference, structure=fp, iterations=1)
    dt = ndimage.distance_transform_edt(~fb, sampling=spacing)
    return dt[rb]


def blobs(rng, shape, n, rmin, rmax):
    """A label map with `n` random ellipsoids (labels 1..n, later ones on top)."""
    lab = np.zeros(shape, dtype=np.uint8)
    grids = np.meshgrid(*[np.arange(s) for s in shape], indexing="ij")
    for k in range(1, n + 1):
        c = [rng.uniform(-1, s) for s in shape]
        r = [rng.uniform(rmin, rmax) for _ in shape]
        inside = sum(((g - ci) / ri) ** 2 for g, ci, ri in zip(grids, c, r)) <= 1.0
        lab[inside] = k
    return lab


def perturb(rng, lab, flips):
    """Shift by one voxel along a random axis, grow label 1 by one voxel
    (face connectivity), then set a few random voxels to random labels."""
    out = np.roll(lab, rng.choice([-1, 1]), axis=rng.integers(0, lab.ndim)).copy()
    grown = ndimage.binary_dilation(out == 1) & (out == 0)
    out[grown] = 1
    idx = tuple(rng.integers(0, s, size=flips) for s in lab.shape)
    out[idx] = rng.integers(0, lab.max() + 1, size=flips)
    return out


def seg_metrics(pred, ref, spacing):
    a, b = pred.astype(bool), ref.astype(bool)
    na, nb = a.sum(), b.sum()
    if na == 0 and nb == 0:
        return dict(dice=1.0, iou=1.0, hausdorff=0.0, hd95=0.0, hd95_monai=0.0, assd=0.0, rmssd=0.0)
    if na == 0 or nb == 0:
        return dict(dice=0.0, iou=0.0, hausdorff=None, hd95=None, hd95_monai=None, assd=None, rmssd=None)
    d_ab = surface_distances(a, b, spacing)
    d_ba = surface_distances(b, a, spacing)
    pooled = np.hstack((d_ab, d_ba))
    return dict(
        dice=float(mb.dc(a, b)),
        iou=float(mb.jc(a, b)),
        hausdorff=float(mb.hd(a, b, voxelspacing=spacing)),
        hd95=float(mb.hd95(a, b, voxelspacing=spacing)),
        hd95_monai=float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95))),
        assd=float(mb.assd(a, b, voxelspacing=spacing)),
        rmssd=float(np.sqrt(np.mean(pooled**2))),
    )


def case(name, pred, ref, spacing, classes):
    ndim = pred.ndim
    dims = list(pred.shape) if ndim == 3 else [1] + list(pred.shape)
    per_class = {}
    for c in classes:
        per_class[str(c)] = seg_metrics(pred == c, ref == c, spacing)
    return dict(
        name=name,
        ndim=ndim,
        dims=dims,
        spacing=list(map(float, spacing)),
        pred=pred.ravel().tolist(),
        reference=ref.ravel().tolist(),
        classes=classes,
        expected=per_class,
    )


def main():
    rng = np.random.default_rng(20240611)
    cases = []
    # 2D: three blobs, some touching the border, anisotropic spacing.
    ref = blobs(rng, (24, 31), 3, 3, 9)
    cases.append(case("2d_blobs", perturb(rng, ref, 12), ref, (0.7, 1.3), [1, 2, 3, 4]))
    ref = blobs(rng, (40, 20), 2, 4, 14)
    cases.append(case("2d_large_border", perturb(rng, ref, 30), ref, (1.6, 0.45), [1, 2]))
    # 2D: an object filling the whole image vs. a small one.
    full = np.ones((9, 11), dtype=np.uint8)
    small = np.zeros((9, 11), dtype=np.uint8)
    small[3:5, 4:8] = 1
    cases.append(case("2d_full_vs_small", full, small, (1.1, 0.9), [1]))
    # 3D blobs with anisotropic spacing (thick slices).
    ref = blobs(rng, (7, 18, 16), 2, 2, 7)
    cases.append(case("3d_blobs", perturb(rng, ref, 25), ref, (2.5, 0.8, 1.1), [1, 2, 3]))
    ref = blobs(rng, (12, 10, 14), 3, 2, 6)
    cases.append(case("3d_many", perturb(rng, ref, 15), ref, (0.6, 1.7, 0.9), [1, 2, 3]))
    # 3D single slice: every object voxel touches the z border -> all surface.
    ref = blobs(rng, (1, 15, 15), 1, 3, 6)
    cases.append(case("3d_single_slice", perturb(rng, ref, 6), ref, (3.0, 1.0, 0.8), [1]))
    # One class missing from the prediction (NaN distances).
    ref = blobs(rng, (10, 12), 2, 2, 4)
    pred = ref.copy()
    pred[pred == 2] = 0
    cases.append(case("2d_missing_class", pred, ref, (1.0, 1.0), [1, 2, 3]))

    with open(os.path.join(HERE, "seg_cases.json"), "w") as f:
        json.dump(dict(generator="make_reference.py", medpy=medpy.__version__, cases=cases), f)

    edt = []
    for shape, spacing, p in [
        ((13, 17), (0.7, 1.9), 0.04),
        ((6, 9, 11), (2.5, 0.8, 1.1), 0.02),
        ((5, 8, 7), (0.3, 1.0, 2.0), 0.01),
        ((20, 3), (1.25, 0.5), 0.05),
    ]:
        mask = rng.random(shape) < p
        mask.flat[rng.integers(0, mask.size)] = True
        dist = ndimage.distance_transform_edt(~mask, sampling=spacing)
        ndim = len(shape)
        dims = list(shape) if ndim == 3 else [1] + list(shape)
        edt.append(
            dict(
                ndim=ndim,
                dims=dims,
                spacing=list(map(float, spacing)),
                mask=mask.astype(np.uint8).ravel().tolist(),
                distance=dist.ravel().tolist(),
            )
        )
    with open(os.path.join(HERE, "edt_cases.json"), "w") as f:
        json.dump(dict(generator="make_reference.py", cases=edt), f)


if __name__ == "__main__":
    main()
