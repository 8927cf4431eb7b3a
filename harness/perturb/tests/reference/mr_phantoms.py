"""The shared 2D and 3D phantoms of the MR artefact reference scripts
(torchio_kspace.py, torchio_spatial.py): deterministic, numpy-seeded.
Returns (image (z, y, x) float32, mask (z, y, x) uint8, spacing (dz, dy, dx) mm).
Also their TorchIO conversions: our (z, y, x) array is TorchIO's
array.transpose(1, 2, 0)[None] with affine diag(dy, dx, dz, 1).
"""

import numpy as np
import torch


def phantom2d():
    y, x = np.mgrid[0:40, 0:48].astype(np.float64)
    img = (
        100.0
        + 60.0 * np.exp(-(((y - 19.0) / 9.0) ** 2 + ((x - 25.0) / 12.0) ** 2))
        + 20.0 * np.sin(0.3 * y) * np.cos(0.2 * x)
        + 0.5 * x
    )
    img += np.random.default_rng(0).normal(0.0, 1.0, img.shape)
    mask = np.zeros(img.shape, np.uint8)
    mask[((y - 19.0) / 11.0) ** 2 + ((x - 25.0) / 14.0) ** 2 <= 1.0] = 1
    mask[((y - 18.0) / 5.0) ** 2 + ((x - 23.0) / 6.0) ** 2 <= 1.0] = 2
    return img[None].astype(np.float32), mask[None], (1.0, 1.0, 0.5)


def phantom3d():
    z, y, x = np.mgrid[0:16, 0:20, 0:24].astype(np.float64)
    img = (
        50.0
        + 40.0 * np.exp(-(((z - 7.5) / 5.0) ** 2 + ((y - 9.0) / 6.0) ** 2 + ((x - 12.0) / 7.0) ** 2))
        + 10.0 * np.sin(0.4 * z + 0.3 * y) * np.cos(0.25 * x)
        + 0.3 * y
    )
    img += np.random.default_rng(1).normal(0.0, 0.5, img.shape)
    mask = np.zeros(img.shape, np.uint8)
    mask[((z - 7.5) / 6.0) ** 2 + ((y - 9.0) / 7.0) ** 2 + ((x - 12.0) / 8.0) ** 2 <= 1.0] = 1
    mask[((z - 7.0) / 3.0) ** 2 + ((y - 10.0) / 3.0) ** 2 + ((x - 11.0) / 4.0) ** 2 <= 1.0] = 2
    return img.astype(np.float32), mask, (2.0, 1.0, 0.5)


# --- TorchIO conversions ----------------------------------------------------
def affine(spacing_zyx):
    sz, sy, sx = spacing_zyx
    return np.diag([sy, sx, sz, 1.0])


def to_tio(a):
    return torch.as_tensor(np.ascontiguousarray(a.transpose(1, 2, 0)[None]))


def from_tio(t):
    return t[0].numpy().transpose(2, 0, 1)
