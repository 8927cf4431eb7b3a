"""Reference values for sensibench-saliency's tests (run from this folder):

    ../../../../.tools/train/bin/python saliency_reference.py

Writes saliency_reference.json with
- crm: random float32 features (K x h x w) and a linear head; CRM by the
  BRUTE-FORCE definition (zero location (l, m) in all K maps, recompute
  GAP + linear, square the logit changes, sum over the outputs or keep one
  class), upsampled with torch.nn.functional.interpolate(mode="bilinear",
  align_corners=False), all in float64;
- cam: sum_k W[c, k] F_k, same upsampling;
- occlusion: a tiny linear softmax "model" (weights stored) and the
  occlusion map computed here with masks (same window convention as the
  Rust doc: 0, stride, ... while the window fits, plus one at size - patch);
- localisation: random maps and regions with RMA / RRA (numpy stable
  argsort) / pointing game (scipy Euclidean distance transform).
Needs torch, numpy, scipy (the venv of `make models`)."""
import json

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import distance_transform_edt

rng = np.random.default_rng(7)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def upsample(x, out_h, out_w):
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))[None, None]
    return F.interpolate(t, size=(out_h, out_w), mode="bilinear",
                         align_corners=False)[0, 0].numpy()


def head(feats, weight, bias):
    """GAP + linear in float64: feats K x h x w -> C logits."""
    return weight @ feats.mean(axis=(1, 2)) + bias


crm_cases = []
for (k, h, w, c, out_h, out_w) in [(5, 4, 3, 3, 13, 10), (4, 4, 4, 2, 16, 16), (3, 2, 5, 4, 2, 5)]:
    feats = f32(np.maximum(rng.normal(size=(k, h, w)), 0) * 2)
    weight = f32(rng.normal(size=(c, k)))
    bias = f32(rng.normal(size=c))
    F64, W64, B64 = feats.astype(np.float64), weight.astype(np.float64), bias.astype(np.float64)
    base = head(F64, W64, B64)
    sq = np.zeros((c, h, w))
    for l in range(h):
        for m in range(w):
            z = F64.copy()
            z[:, l, m] = 0.0
            sq[:, l, m] = (head(z, W64, B64) - base) ** 2
    case = {"k": k, "h": h, "w": w, "classes": c, "out_h": out_h, "out_w": out_w,
            "features": feats.flatten().tolist(), "head_weight": weight.flatten().tolist(),
            "head_bias": bias.flatten().tolist(),
            "crm_all": upsample(sq.sum(0), out_h, out_w).flatten().tolist(),
            "crm_class": [upsample(sq[j], out_h, out_w).flatten().tolist() for j in range(c)],
            "cam": [upsample(np.einsum("k,khw->hw", W64[j], F64), out_h, out_w).flatten().tolist()
                    for j in range(c)]}
    crm_cases.append(case)


def positions(size, patch, stride):
    if patch >= size:
        return [0]
    last = size - patch
    p = list(range(0, last + 1, stride))
    if p[-1] != last:
        p.append(last)
    return p


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


occ_cases = []
for (h, w, patch, stride, fill, cls, classes) in [(7, 9, 3, 2, 0.5, 1, 3), (6, 6, 2, 2, 0.0, 0, 2),
                                                  (5, 8, 4, 3, -1.0, 2, 3), (4, 5, 6, 1, 0.0, 1, 2)]:
    image = f32(rng.uniform(size=(h, w)))
    lw = f32(rng.normal(size=(classes, h * w)))
    lb = f32(rng.normal(size=classes))
    predict = lambda x: softmax(x.reshape(-1, h * w).astype(np.float64) @ lw.T.astype(np.float64) + lb)
    base = predict(image)[0, cls]
    num = np.zeros((h, w))
    den = np.zeros((h, w))
    for r in positions(h, patch, stride):
        for c in positions(w, patch, stride):
            mask = np.zeros((h, w), dtype=bool)
            mask[r:r + patch, c:c + patch] = True
            occluded = np.where(mask, np.float32(fill), image)
            num += mask * (base - predict(occluded)[0, cls])
            den += mask
    occ_cases.append({"height": h, "width": w, "patch": patch, "stride": stride, "fill": fill,
                      "class": cls, "classes": classes, "image": image.flatten().tolist(),
                      "weight": lw.flatten().tolist(), "bias": lb.tolist(),
                      "map": np.where(den > 0, num / np.maximum(den, 1), 0).flatten().tolist()})


loc_cases = []
for i in range(8):
    h, w = int(rng.integers(5, 12)), int(rng.integers(5, 12))
    m = f32(rng.normal(size=(h, w)))
    if i % 2 == 0:  # quantised maps produce ties
        m = f32(np.round(m * 2) / 2)
    region = np.zeros((h, w), dtype=bool)
    r0, c0 = int(rng.integers(0, h - 2)), int(rng.integers(0, w - 2))
    region[r0:r0 + int(rng.integers(1, 4)), c0:c0 + int(rng.integers(1, 5))] = True
    R = m.astype(np.float64)
    pos = np.maximum(R, 0)
    rma = float(pos[region].sum() / pos.sum())
    kk = int(region.sum())
    order = np.argsort(-R.flatten(), kind="stable")
    rra = float(region.flatten()[order[:kk]].mean())
    dist = distance_transform_edt(~region)  # distance to the nearest region pixel
    maxima = R == R.max()
    pg = {str(t): bool((dist[maxima] <= t).all()) for t in [0, 1, 2, 4]}
    loc_cases.append({"height": h, "width": w, "map": m.flatten().tolist(),
                      "region": region.flatten().astype(int).tolist(),
                      "rma": rma, "rra": rra, "pointing": pg})

json.dump({"crm": crm_cases, "occlusion": occ_cases, "localisation": loc_cases},
          open("saliency_reference.json", "w"))
print("wrote saliency_reference.json")
