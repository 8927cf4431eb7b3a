#!/usr/bin/env python3
"""Reference outputs for the k-space MR artefacts of sensibench-perturb
(mr/kspace.rs: spike, ghosting, motion), produced by TorchIO 1.2.1
(Spike, Ghosting, Motion; Motion resamples through SimpleITK).

Re-run from the repository root with the project's tool venv:

    /work/main/.tools/train/bin/python harness/perturb/tests/reference/torchio_kspace.py

It writes into harness/perturb/tests/reference/kspace/:
  <input>.in.f32   the input images (z, y, x) row-major little-endian f32:
                   phantom2d (40x48, spacing (dy, dx) = (1.0, 0.5) mm),
                   phantom3d (16x20x24, spacing (2.0, 1.0, 0.5) mm) and their
                   z-scored versions phantom2d_z, phantom3d_z
  <case>.json      kind, parameters, input, dims, spacing, tolerance
  <case>.out.f32   TorchIO's output, (z, y, x) row-major little-endian f32

Axis mapping (MR contract): our array is (z, y, x); TorchIO's tensor is
array.transpose(1, 2, 0)[None] of shape (1, y, x, z), affine
diag(dy, dx, dz, 1). Positions, degrees and translations are in TorchIO
order (y, x, z).

Motion: TorchIO 1.2.1 drops the rotation centre (Motion.matrix_to_transform
rebuilds each Euler3DTransform from matrix + translation only), so its
rotations turn about voxel (0, 0, 0). Cases `*_origin` are stock TorchIO
(our kernel with RotationCentre::Origin); cases `*_centre` use
CentredMotion below, i.e. TorchIO with the centre it computes kept (our
default). For 2D images TorchIO segments k-space along its last axis, of
size 1, which makes its 2D output a plain rigid move; Motion2d below is
TorchIO's add_artifact with the segments along TorchIO axis 1 (our x), our
convention for 2D.
"""

import json
import pathlib

import numpy as np
import SimpleITK as sitk
import torch
import torchio as tio

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "kspace"


from mr_phantoms import affine, from_tio, phantom2d, phantom3d, to_tio  # noqa: E402  (shared with torchio_spatial.py)


def zscored(a):
    a64 = a.astype(np.float64)
    return ((a64 - a64.mean()) / a64.std()).astype(np.float32)


def run(transform, arr, spacing):
    subject = tio.Subject(img=tio.ScalarImage(tensor=to_tio(arr), affine=affine(spacing)))
    return from_tio(transform(subject)["img"].data).astype(np.float32)


class CentredMotion(tio.Motion):
    """TorchIO's Motion keeping the rotation centre it computes."""

    def get_rigid_transforms(self, degrees_params, translation_params, image):
        center_ijk = np.array(image.GetSize()) / 2
        center_lps = image.TransformContinuousIndexToPhysicalPoint(center_ijk)
        transforms = [sitk.Euler3DTransform()]
        for degrees, translation in zip(degrees_params, translation_params, strict=True):
            motion = sitk.Euler3DTransform()
            motion.SetCenter(center_lps)
            motion.SetRotation(*np.radians(degrees).tolist())
            motion.SetTranslation(np.asarray(translation, np.float64).tolist())
            transforms.append(motion)
        return transforms


class Motion2d(CentredMotion):
    """CentredMotion with the k-space segments along TorchIO axis 1."""

    def add_artifact(self, image, transforms, times, interpolation):
        images = self.resample_images(image, transforms, interpolation)
        spectra = []
        for im in images:
            array = sitk.GetArrayFromImage(im).transpose()
            spectra.append(self.fourier_transform(torch.from_numpy(array)))
        self.sort_spectra(spectra, times)
        result = torch.empty_like(spectra[0])
        last_index = result.shape[1]
        indices = [int(v) for v in (last_index * times).astype(int).tolist()]
        indices.append(last_index)
        ini = 0
        for spectrum, fin in zip(spectra, indices, strict=True):
            result[:, ini:fin, :] = spectrum[:, ini:fin, :]
            ini = fin
        return self.inv_fourier_transform(result).real.float()


def main():
    OUT.mkdir(exist_ok=True)
    p2, _, s2 = phantom2d()
    p3, _, s3 = phantom3d()
    inputs = {
        "phantom2d": (p2, s2),
        "phantom3d": (p3, s3),
        "phantom2d_z": (zscored(p2), s2),
        "phantom3d_z": (zscored(p3), s3),
    }
    for name, (arr, _) in inputs.items():
        arr.astype("<f4").tofile(OUT / f"{name}.in.f32")

    cases = []

    def add(name, kind, inp, params, transform, rel_tol):
        arr, spacing = inputs[inp]
        out = run(transform, arr, spacing)
        out.astype("<f4").tofile(OUT / f"{name}.out.f32")
        rng = float(arr.max() - arr.min())
        meta = {
            "name": name,
            "kind": kind,
            "input": inp,
            "dims": list(arr.shape),
            "ndim": 2 if arr.shape[0] == 1 else 3,
            "spacing": list(spacing),
            "params": params,
            "input_range": rng,
            "tolerance": rel_tol * rng,
            "tolerance_note": f"max |ours - torchio| <= {rel_tol} x input range",
        }
        (OUT / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")
        cases.append(name)

    # --- spike: non-negative and z-scored, 2D and 3D, several spikes, DC hits
    for name, inp, pos, r in [
        ("spike2d_pos", "phantom2d", [[0.3, 0.6, 0.5]], 1.0),
        ("spike2d_z", "phantom2d_z", [[0.1, 0.8, 0.2], [0.55, 0.3, 0.7]], 0.7),
        ("spike2d_dc", "phantom2d", [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.25, 0.75, 0.0]], 0.5),
        ("spike3d_pos", "phantom3d", [[0.3, 0.6, 0.5], [0.8, 0.15, 0.9]], 1.5),
        ("spike3d_z", "phantom3d_z", [[0.5, 0.5, 0.5], [0.2, 0.7, 0.4]], -0.8),
    ]:
        pos32 = np.asarray(pos, np.float32)
        add(name, "spike", inp, {"positions": pos32.astype(np.float64).tolist(), "intensity": r},
            tio.Spike(spikes_positions=pos32, intensity=r), 1e-4)

    # --- ghosting: torchio axis 0 = our y, 1 = our x, 2 = our z
    for name, inp, count, axis, inten, restore in [
        ("ghost2d_y", "phantom2d", 4, "y", 0.5, 0.02),
        ("ghost2d_x", "phantom2d", 6, "x", 0.8, 0.25),
        ("ghost3d_z", "phantom3d", 5, "z", 1.0, 0.3),
        ("ghost3d_y", "phantom3d_z", 4, "y", 0.5, 0.02),
    ]:
        tio_axis = {"y": 0, "x": 1, "z": 2}[axis]
        add(name, "ghosting", inp,
            {"count": count, "axis": axis, "intensity": inten, "restore": restore},
            tio.Ghosting(num_ghosts=count, axis=tio_axis, intensity=inten, restore=restore), 1e-4)

    # --- motion (moves in TorchIO order; the bench moves and a 3-move set)
    bench = [((2.0, -3.0, 4.0), (1.0, -2.0, 3.0), 0.33), ((-4.0, 1.0, 2.0), (-3.0, 2.0, 1.0), 0.66)]
    three = [((8.0, -6.0, 10.0), (3.0, -4.0, 2.0), 0.2), ((-5.0, 7.0, -9.0), (-2.0, 5.0, -3.0), 0.45),
             ((3.0, 3.0, 3.0), (1.0, 1.0, 1.0), 0.8)]
    planar = [((0.0, 0.0, 4.0), (1.0, -2.0, 0.0), 0.33), ((0.0, 0.0, -7.0), (-3.0, 2.5, 0.0), 0.66)]

    def motion_case(name, inp, moves, cls, centre, rel_tol):
        deg = np.array([m[0] for m in moves], np.float64)
        tr = np.array([m[1] for m in moves], np.float64)
        times = np.array([m[2] for m in moves], np.float64)
        params = {"moves": [{"degrees": list(m[0]), "translation": list(m[1]), "time": m[2]} for m in moves],
                  "centre": centre}
        add(name, "motion", inp, params,
            cls(degrees=deg, translation=tr, times=times, image_interpolation="linear"), rel_tol)

    motion_case("motion3d_centre", "phantom3d", bench, CentredMotion, "image", 1e-4)
    motion_case("motion3d_origin", "phantom3d", bench, tio.Motion, "origin", 1e-4)
    motion_case("motion3d_three", "phantom3d_z", three, CentredMotion, "image", 1e-4)
    motion_case("motion2d_centre", "phantom2d", planar, Motion2d, "image", 1e-4)
    (OUT / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    print("wrote", len(cases), "cases to", OUT)


if __name__ == "__main__":
    main()
