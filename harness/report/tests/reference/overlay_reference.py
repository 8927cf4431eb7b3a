"""Reference for sensibench-report's overlay_png, written independently with NumPy.

Writes overlay_reference.json next to this file: a small image, its label map and
the expected RGB bytes (grey windowed to the 1st-99th percentile with
np.percentile's default linear method, labels blended at alpha 0.45 inside and
0.9 on the 4-neighbour contour, Okabe-Ito default palette).

Re-run: /work/main/.tools/train/bin/python overlay_reference.py
"""
import json
import pathlib

import numpy as np

H, W = 6, 7
rng = np.random.default_rng(7)
image = (rng.normal(100.0, 30.0, size=(H, W))).astype(np.float32)
image[0, 0] = 1000.0  # outlier above p99: clamps to white
image[5, 6] = -500.0  # outlier below p1: clamps to black
labels = np.zeros((H, W), dtype=np.uint8)
labels[1:5, 1:5] = 1
labels[2:4, 2:4] = 2
labels[5, 0] = 3

palette = np.array(
    [[0xE6, 0x9F, 0x00], [0x56, 0xB4, 0xE9], [0x00, 0x9E, 0x73], [0xF0, 0xE4, 0x42],
     [0x00, 0x72, 0xB2], [0xD5, 0x5E, 0x00], [0xCC, 0x79, 0xA7]], dtype=np.float64)

p1, p99 = np.percentile(image.astype(np.float64), [1, 99])
grey = 255.0 * np.clip((image.astype(np.float64) - p1) / (p99 - p1), 0.0, 1.0)

padded = np.pad(labels, 1, mode="edge")  # edge padding: outside the image never differs
contour = np.zeros_like(labels, dtype=bool)
for dr, dc in [(-1, 0), (1, 0), (0, -1), (0, 1)]:
    contour |= padded[1 + dr:1 + dr + H, 1 + dc:1 + dc + W] != labels
contour &= labels > 0

rgb = np.repeat(grey[..., None], 3, axis=2)
for k in range(1, labels.max() + 1):
    m = labels == k
    colour = palette[(k - 1) % len(palette)]
    alpha = np.where(contour, 0.9, 0.45)[..., None]
    rgb = np.where(m[..., None], (1 - alpha) * grey[..., None] + alpha * colour, rgb)
expected = np.clip(np.round(rgb), 0, 255).astype(np.uint8)

out = {
    "height": H,
    "width": W,
    "image": [float(v) for v in image.ravel()],
    "labels": [int(v) for v in labels.ravel()],
    "p1": float(p1),
    "p99": float(p99),
    "rgb": [int(v) for v in expected.ravel()],
}
path = pathlib.Path(__file__).with_name("overlay_reference.json")
path.write_text(json.dumps(out))
print(path, p1, p99)
