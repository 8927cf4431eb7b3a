#!/usr/bin/env python3
"""Reference outputs for the MR spatial artefacts of sensibench-perturb
(mr/spatial.rs: bias_field, rician_noise, anisotropy, elastic), produced by
TorchIO 1.2.1 (BiasField, RandomAnisotropy, ElasticDeformation, all through
SimpleITK) and MONAI 1.6's RandRicianNoise formula.

Re-run from the repository root with the project's tool venv:

    /work/main/.tools/train/bin/python harness/perturb/tests/reference/torchio_spatial.py

It writes into harness/perturb/tests/reference/spatial/:
  phantom2d.in.f32, phantom2d.mask.f32   40x48 (y, x), spacing (dy, dx) = (1.0, 0.5) mm
  phantom3d.in.f32, phantom3d.mask.f32   16x20x24 (z, y, x), spacing (2.0, 1.0, 0.5) mm
  <case>.json        parameters, input, shapes, tolerance, output file names
  <case>.out.f32     the reference image, (z, y, x) row-major little-endian f32
  <case>.mask.f32    the reference mask (labels as f32) where the mask moves
  <case>.valid.f32   1 where the comparison applies, 0 at documented borders
  <case>.n1.f32, <case>.n2.f32   the standard-normal draws of the Rician cases

Axis mapping (MR contract): our array is (z, y, x); TorchIO's tensor is
array.transpose(1, 2, 0)[None] of shape (1, y, x, z), affine
diag(dy, dx, dz, 1). Spacings are powers of two so that SimpleITK's
physical-coordinate arithmetic is exact and nearest-neighbour ties (which
the anisotropy grids have) round the way exact arithmetic says.
"""

import json
import pathlib

import numpy as np
import torch
import torchio as tio

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "spatial"


from mr_phantoms import affine, from_tio, phantom2d, phantom3d, to_tio  # noqa: E402  (shared with torchio_kspace.py)


def subject(img, mask, spacing):
    s = {"image": tio.ScalarImage(tensor=to_tio(img), affine=affine(spacing))}
    if mask is not None:
        s["mask"] = tio.LabelMap(tensor=to_tio(mask.astype(np.int16)), affine=affine(spacing))
    return tio.Subject(**s)


def write(name, meta, out, mask=None, valid=None, extra=None):
    meta = dict(meta, case=name, out=f"{name}.out.f32")
    out.astype("<f4").tofile(OUT / f"{name}.out.f32")
    meta["mask_out"] = None
    meta["valid"] = None
    if mask is not None:
        mask.astype("<f4").tofile(OUT / f"{name}.mask.f32")
        meta["mask_out"] = f"{name}.mask.f32"
    if valid is not None:
        valid.astype("<f4").tofile(OUT / f"{name}.valid.f32")
        meta["valid"] = f"{name}.valid.f32"
        meta["n_valid"] = int(valid.sum())
    for key, arr in (extra or {}).items():
        arr.astype("<f4").tofile(OUT / f"{name}.{key}.f32")
        meta[key] = f"{name}.{key}.f32"
    (OUT / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")


def base_meta(kind, input_name, img, spacing, ndim):
    return {
        "kind": kind,
        "input": input_name,
        "ndim": ndim,
        "dims": list(img.shape),
        "spacing_zyx": list(spacing),
    }


# --- cases ------------------------------------------------------------------
def bias_cases(name, img, spacing, ndim):
    rng = np.random.default_rng(10)
    for order in (1, 3):
        n = (order + 1) * (order + 2) * (order + 3) // 6
        coefficients = rng.uniform(-0.5, 0.5, n).round(6).tolist()
        t = tio.BiasField(coefficients=coefficients, order=order)
        out = from_tio(t(subject(img, None, spacing))["image"].data)
        meta = base_meta("bias_field", name, img, spacing, ndim)
        meta.update(
            order=order,
            coefficients=coefficients,
            tolerance={"relative": 1e-5},
            reference="torchio.BiasField (float64 field, exp, float32 product)",
        )
        write(f"bias_{name}_o{order}", meta, out)


def anisotropy_valid(n, m, f, axis, shape):
    """1 where the up-sampling source v lies inside SimpleITK's buffer
    [-0.5, m - 0.5); outside, SimpleITK writes 0 and sensibench repeats the edge."""
    c = (n - 1) / 2.0
    i = np.arange(n, dtype=np.float64)
    v = (i - c) / f + (m - 1) / 2.0
    ok = ((v >= -0.5 + 1e-9) & (v < m - 0.5 - 1e-9)).astype(np.float32)
    view = [1, 1, 1]
    view[axis] = n
    return np.broadcast_to(ok.reshape(view), shape).copy()


def anisotropy_cases(name, img, mask, spacing, ndim, cases):
    # our axis index (z=0, y=1, x=2) -> TorchIO spatial axis (y=0, x=1, z=2)
    to_tio_axis = {1: 0, 2: 1, 0: 2}
    names = {0: "z", 1: "y", 2: "x"}
    for axis, factor in cases:
        t = tio.RandomAnisotropy(
            axes=(to_tio_axis[axis],), downsampling=(factor, factor), scalars_only=False
        )
        res = t(subject(img, mask, spacing))
        out = from_tio(res["image"].data)
        mout = from_tio(res["mask"].data)
        n = img.shape[axis]
        m = int(np.floor(n * spacing[axis] / (spacing[axis] * factor)))
        valid = anisotropy_valid(n, m, factor, axis, img.shape)
        meta = base_meta("anisotropy", name, img, spacing, ndim)
        meta.update(
            axis=names[axis],
            factor=factor,
            low_res_size=m,
            tolerance={"abs_of_range": 1e-4},
            reference="torchio.RandomAnisotropy(downsampling=(f, f), scalars_only=False)",
        )
        write(f"aniso_{name}_{names[axis]}{factor}", meta, out, mout, valid)


def elastic_case(name, img, mask, spacing, ndim, max_disp, seed):
    """Our ControlGrid: points (ny, nx, nz) (nz = 1 in 2D), displacement
    [d_y, d_x, d_z] in mm along increasing array index, pull-back convention
    out(i) = in(i + d / spacing). TorchIO/SimpleITK (LPS, directions -1 on
    TorchIO axes 0 and 1) sees the grid reversed along y and x with d_y, d_x
    negated."""
    cp = 7
    planar = ndim == 2
    nz = 1 if planar else cp
    rng = np.random.default_rng(seed)
    d = rng.uniform(-max_disp, max_disp, (cp, cp, nz, 3)).round(6)
    if planar:
        d[..., 2] = 0.0
    for i in range(2):
        d[i], d[-1 - i] = 0.0, 0.0
        d[:, i], d[:, -1 - i] = 0.0, 0.0
        if not planar:
            d[:, :, i], d[:, :, -1 - i] = 0.0, 0.0
    cpt = d[::-1, ::-1].copy()
    cpt[..., 0] *= -1.0
    cpt[..., 1] *= -1.0
    if planar:
        cpt = np.repeat(cpt, cp, axis=2)
    t = tio.ElasticDeformation(control_points=cpt, max_displacement=(max_disp,) * 3)
    res = t(subject(img, mask, spacing))
    out = from_tio(res["image"].data)
    mout = from_tio(res["mask"].data)
    meta = base_meta("elastic", name, img, spacing, ndim)
    meta.update(
        points=[cp, cp, nz],
        displacement=d.reshape(-1).tolist(),
        max_displacement=max_disp,
        tolerance={"abs_of_range": 1e-4},
        reference="torchio.ElasticDeformation with the grid mapped to LPS (see elastic_case)",
    )
    write(f"elastic_{name}", meta, out, mout)


def rician_case(name, img, spacing, ndim, sigma_rel, seed):
    """MONAI RandRicianNoise._add_noise with std = sigma_rel * (max - min) and
    its two normal draws replaced by std * n1, std * n2 (n1, n2 stored)."""
    from monai.transforms import RandRicianNoise

    rng = np.random.default_rng(seed)
    n1 = rng.standard_normal(img.shape).astype(np.float32)
    n2 = rng.standard_normal(img.shape).astype(np.float32)
    std = sigma_rel * float(img.max() - img.min())

    class Fixed:
        def __init__(self):
            self.k = 0

        def uniform(self, lo, hi):
            return hi

        def normal(self, mean, s, size):
            z = (n1, n2)[self.k]
            self.k += 1
            return mean + s * z.astype(np.float64)

    t = RandRicianNoise(prob=1.0, std=std, sample_std=False)
    t.R = Fixed()
    t._do_transform = True
    out = t(torch.as_tensor(img[None]), randomize=False)[0].numpy()
    meta = base_meta("rician_noise", name, img, spacing, ndim)
    meta.update(
        sigma=sigma_rel,
        sigma_abs=std,
        tolerance={"abs_of_range": 1e-6},
        reference="monai RandRicianNoise formula sqrt((x + s*n1)^2 + (s*n2)^2)",
    )
    write(f"rician_{name}", meta, out, extra={"n1": n1, "n2": n2})


def main():
    OUT.mkdir(exist_ok=True)
    img2, m2, sp2 = phantom2d()
    img3, m3, sp3 = phantom3d()
    for nm, im, mk in (("phantom2d", img2, m2), ("phantom3d", img3, m3)):
        im.astype("<f4").tofile(OUT / f"{nm}.in.f32")
        mk.astype("<f4").tofile(OUT / f"{nm}.mask.f32")
    bias_cases("phantom2d", img2, sp2, 2)
    bias_cases("phantom3d", img3, sp3, 3)
    anisotropy_cases("phantom2d", img2, m2, sp2, 2, [(1, 2.0), (2, 3.0)])
    anisotropy_cases("phantom3d", img3, m3, sp3, 3, [(0, 2.0), (1, 3.0), (2, 2.5)])
    elastic_case("phantom2d", img2, m2, sp2, 2, 2.5, 20)
    elastic_case("phantom3d", img3, m3, sp3, 3, 1.5, 21)
    rician_case("phantom2d", img2, sp2, 2, 0.05, 30)
    rician_case("phantom3d", img3, sp3, 3, 0.1, 31)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total / 1024:.0f} KiB, into {OUT}")


if __name__ == "__main__":
    main()
