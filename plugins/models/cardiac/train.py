#!/usr/bin/env python3
"""Train a small 2D U-Net on the sensibench cardiac phantom and export it to ONNX.

The two reference models of the `cardiac` suite are made with this script:

    unet_plain      --no-augment   (no data augmentation at all)
    unet_augmented  --augment      (rotation of any angle, zoom, shift, flips,
                                    gamma/contrast/brightness, noise, blur,
                                    low resolution)

Data: a directory holding `images.npy` (float32 [N,H,W]), `masks.npy`
(uint8 [N,H,W]: 0 background, 1 LV, 2 myocardium, 3 RV) and `ids.txt`
(one sample id per line), as exported by the sensibench phantom.

Model contract (what the harness feeds): input "input", float32 [N,1,128,128],
each image z-score normalised over the whole image ((x - mean) / std, population
std); output "logits", float32 [N,4,128,128] class scores (the harness takes the
argmax over axis 1). The batch axis is dynamic.

Every perturbation the augmentation and the robustness check use is applied to
the *raw* phantom intensities first and the z-score second, exactly the order in
which the harness perturbs an image and then normalises it for the model.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["background", "LV", "myocardium", "RV"]
NUM_CLASSES = len(CLASSES)
SIZE = 128
HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- setup


def set_determinism(seed: int, threads: int) -> None:
    """Fix python, numpy and torch seeds and force deterministic torch kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    # CPU kernels are deterministic; NaN-filling every torch.empty costs ~20% of a step.
    torch.utils.deterministic.fill_uninitialized_memory = False
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process


def load_dir(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Load images.npy / masks.npy / ids.txt and check their shapes and labels."""
    for f in ("images.npy", "masks.npy"):
        if not (path / f).is_file():
            sys.exit(f"error: {path / f} not found (expected the phantom export)")
    images = np.load(path / "images.npy").astype(np.float32)
    masks = np.load(path / "masks.npy")
    ids_file = path / "ids.txt"
    ids = ids_file.read_text().split() if ids_file.is_file() else [str(i) for i in range(len(images))]
    if images.ndim != 3 or masks.shape != images.shape:
        sys.exit(f"error: {path}: images {images.shape} / masks {masks.shape}: expected equal [N,H,W]")
    if images.shape[1:] != (SIZE, SIZE):
        sys.exit(f"error: {path}: images are {images.shape[1:]}, expected {SIZE}x{SIZE}")
    if len(ids) != len(images):
        sys.exit(f"error: {ids_file}: {len(ids)} ids for {len(images)} images")
    if masks.max() >= NUM_CLASSES:
        sys.exit(f"error: {path}/masks.npy: label {masks.max()} (expected 0..{NUM_CLASSES - 1})")
    if not np.isfinite(images).all():
        sys.exit(f"error: {path}/images.npy holds non-finite values")
    return images, masks.astype(np.int64), ids


def zscore(x: torch.Tensor) -> torch.Tensor:
    """Per-image z-score over all pixels of each [N,1,H,W] image (population std)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = x.std(dim=(1, 2, 3), keepdim=True, unbiased=False)
    return (x - mean) / std.clamp_min(1e-8)


# --------------------------------------------------------------------------- model


class DoubleConv(nn.Sequential):
    """(3x3 conv -> BatchNorm -> ReLU) twice."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class UNet(nn.Module):
    """A plain 2D U-Net: len(widths)-1 down-sampling steps, transposed-conv up-sampling."""

    def __init__(self, widths: tuple[int, ...], in_ch: int = 1, n_classes: int = NUM_CLASSES):
        super().__init__()
        self.down = nn.ModuleList()
        c = in_ch
        for w in widths:
            self.down.append(DoubleConv(c, w))
            c = w
        self.up = nn.ModuleList()
        self.upconv = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(c, w, 2, stride=2))
            self.upconv.append(DoubleConv(2 * w, w))
            c = w
        self.head = nn.Conv2d(c, n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        skips.pop()
        for up, conv in zip(self.up, self.upconv):
            x = up(x)
            x = conv(torch.cat([skips.pop(), x], dim=1))
        return self.head(x)


class StemUNet(nn.Module):
    """The reference segmenter: a stride-2 3x3 conv stem (1 -> widths[0] channels,
    BatchNorm, ReLU) halves the 128x128 input, a U-Net with `widths` runs at 64x64,
    and its 4 class scores are up-sampled x2 bilinearly (align_corners=False) back to
    128x128. The stem keeps CPU training about 3x cheaper than a full-resolution
    U-Net of the same widths at a cost of ~1 px of boundary detail."""

    def __init__(self, widths: tuple[int, ...] = (16, 32, 48, 64), n_classes: int = NUM_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, widths[0], 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        self.unet = UNet(widths, in_ch=widths[0], n_classes=n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.unet(self.stem(x))
        return F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)


# --------------------------------------------------------------------------- geometry


def affine_warp(img: torch.Tensor, mask: torch.Tensor | None, angle_deg, zoom, tx, ty, flip):
    """Warp [N,1,H,W] images (bilinear) and [N,H,W] masks (nearest) like the harness.

    Per sample ([N] tensors): horizontal flip if `flip`, then rotation by `angle_deg`
    counter-clockwise as displayed (row 0 at the top) about the array centre
    ((H-1)/2, (W-1)/2), then magnification by `zoom` (>1 enlarges), then a shift of
    (tx, ty) pixels (right, down). Outside the input the image takes its own minimum
    (the harness default `fill`) and the mask takes 0. rotate(90) equals np.rot90.
    """
    n, _, h, w = img.shape
    a = torch.deg2rad(angle_deg)
    cos, sin = torch.cos(a), torch.sin(a)
    # exact quarter turns, as the harness (cosdg/sindg)
    cos = torch.where(cos.abs() < 1e-6, 0.0, cos)
    sin = torch.where(sin.abs() < 1e-6, 0.0, sin)
    sx = torch.where(flip, -1.0, 1.0)
    # affine_grid maps output (x right, y down, normalised) to input coordinates.
    # Forward map on screen: p_out = Z R_ccw F p_in + t; R_ccw in (x, y-down) axes is
    # [[cos, sin], [-sin, cos]], so the inverse is F R_ccw^T / zoom.
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = sx * cos / zoom
    theta[:, 0, 1] = -sx * sin / zoom
    theta[:, 1, 0] = sin / zoom
    theta[:, 1, 1] = cos / zoom
    tnx = -2.0 * tx / w
    tny = -2.0 * ty / h
    theta[:, 0, 2] = theta[:, 0, 0] * tnx + theta[:, 0, 1] * tny
    theta[:, 1, 2] = theta[:, 1, 0] * tnx + theta[:, 1, 1] * tny
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)
    lo = img.amin(dim=(1, 2, 3), keepdim=True)
    out = F.grid_sample(img - lo, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + lo
    out_mask = None
    if mask is not None:
        m = F.grid_sample(mask[:, None].float(), grid, mode="nearest", padding_mode="zeros", align_corners=False)
        out_mask = m[:, 0].round().long()
    return out, out_mask


def gaussian_blur(img: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of [N,1,H,W] with per-sample sigma (pixels, reflect padding,
    kernel radius ceil(3 sigma), normalised to sum 1)."""
    out = img.clone()
    for i in range(img.shape[0]):
        s = float(sigma[i])
        if s < 0.05:
            continue
        r = min(max(1, int(math.ceil(3 * s))), img.shape[-1] - 1)
        k = torch.arange(-r, r + 1, dtype=torch.float32)
        k = torch.exp(-0.5 * (k / s) ** 2)
        k = k / k.sum()
        x = F.pad(img[i : i + 1], (r, r, r, r), mode="reflect")
        x = F.conv2d(x, k.view(1, 1, 1, -1))
        x = F.conv2d(x, k.view(1, 1, -1, 1))
        out[i] = x[0]
    return out


def low_resolution(img: torch.Tensor, factor: float) -> torch.Tensor:
    """Down-sample [n,1,H,W] by `factor` (area average) and back up (bilinear)."""
    h, w = img.shape[-2:]
    small = F.interpolate(img, size=(max(2, round(h / factor)), max(2, round(w / factor))), mode="area")
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)


def gamma_in_range(img: torch.Tensor, g) -> torch.Tensor:
    """Harness gamma: min + (max-min)*((x-min)/(max-min))^g per image; g scalar or [N,1,1,1]."""
    lo = img.amin(dim=(1, 2, 3), keepdim=True)
    hi = img.amax(dim=(1, 2, 3), keepdim=True)
    rng = (hi - lo).clamp_min(1e-12)
    return lo + rng * ((img - lo) / rng).clamp(0.0, 1.0) ** g


# --------------------------------------------------------------------------- augmentation


def augment(img: torch.Tensor, mask: torch.Tensor, g: torch.Generator):
    """Random augmentation of a raw-intensity batch img [N,1,H,W], mask [N,H,W].

    All draws come from `g`, per sample, in a fixed order. With lo/hi the image
    min/max (taken after the geometric step) and r = hi - lo:
      geometric (p=0.9): rotation U(-180,180) deg, zoom exp(U(ln 0.75, ln 1.33)),
        shift U(-12,12) px per axis; horizontal flip p=0.5 (independently);
      low resolution p=0.15: area down-sampling by U(1,4), bilinear back up;
      blur p=0.2: Gaussian sigma U(0,2.5) px;
      gamma p=0.5: lo + r*((x-lo)/r)^g, g = 10^U(-0.55,0.55);
      contrast p=0.4: m + c*(x-m), m = image mean, c = 10^U(-0.5,0.5);
      brightness p=0.4: x + b*r, b ~ U(-0.4,0.4);
      clipping to [lo,hi] p=0.3 (the z-score makes contrast and brightness
        no-ops unless intensities saturate, so they act through this clipping);
      Gaussian noise p=0.6: sigma = U(0,0.35)*r.
    """
    n = img.shape[0]

    def u(lo_, hi_):
        return lo_ + (hi_ - lo_) * torch.rand((n,), generator=g)

    def coin(p):
        return torch.rand((n,), generator=g) < p

    geo = coin(0.9)
    angle = torch.where(geo, u(-180.0, 180.0), 0.0)
    zoom = torch.where(geo, torch.exp(u(math.log(0.75), math.log(1.33))), 1.0)
    tx = torch.where(geo, u(-12.0, 12.0), 0.0)
    ty = torch.where(geo, u(-12.0, 12.0), 0.0)
    flip = coin(0.5)
    img, mask = affine_warp(img, mask, angle, zoom, tx, ty, flip)

    lo = img.amin(dim=(1, 2, 3), keepdim=True)
    hi = img.amax(dim=(1, 2, 3), keepdim=True)
    rng = (hi - lo).clamp_min(1e-6)

    lowres = coin(0.15)
    factors = u(1.0, 4.0)
    for i in range(n):
        if lowres[i]:
            img[i : i + 1] = low_resolution(img[i : i + 1], float(factors[i]))
    img = gaussian_blur(img, torch.where(coin(0.2), u(0.0, 2.5), 0.0))

    gam = torch.where(coin(0.5), 10.0 ** u(-0.55, 0.55), 1.0).view(n, 1, 1, 1)
    img = lo + rng * ((img - lo) / rng).clamp(0.0, 1.0) ** gam
    con = torch.where(coin(0.4), 10.0 ** u(-0.5, 0.5), 1.0).view(n, 1, 1, 1)
    mean = img.mean(dim=(1, 2, 3), keepdim=True)
    img = mean + con * (img - mean)
    img = img + torch.where(coin(0.4), u(-0.4, 0.4), 0.0).view(n, 1, 1, 1) * rng
    clip = coin(0.3).view(n, 1, 1, 1)
    img = torch.where(clip, torch.minimum(torch.maximum(img, lo), hi), img)
    noise_sigma = torch.where(coin(0.6), u(0.0, 0.35), 0.0).view(n, 1, 1, 1) * rng
    img = img + noise_sigma * torch.randn(img.shape, generator=g)
    return img, mask


# --------------------------------------------------------------------------- perturbed validation


def perturbations():
    """Fixed perturbations for the robustness check: name -> f(img [N,1,H,W], mask [N,H,W]).

    They follow the harness definitions (harness/perturb): rotate = counter-clockwise
    degrees about the array centre, zoom = magnification, both with fill = image
    minimum; flip_lr = np.flip(axis=-1) (dihedral k=4); gamma = in-range gamma;
    noise s = additive N(0, (s*(max-min))^2), fixed seed; blur in mm at the phantom's
    1.5 mm spacing; lowres_3 = area down-sampling by 3 and bilinear up-sampling
    (an approximation of the harness `resolution`). Brightness and contrast are left
    out: the harness applies them without clipping, so the z-score undoes them.
    """

    def geo(deg=0.0, z=1.0, flip=False):
        def f(x, m):
            n = x.shape[0]
            return affine_warp(x, m, torch.full((n,), float(deg)), torch.full((n,), float(z)), torch.zeros(n),
                               torch.zeros(n), torch.full((n,), flip, dtype=torch.bool))
        return f

    def gamma(gv):
        return lambda x, m: (gamma_in_range(x, gv), m)

    def noise(s):
        def f(x, m):
            g = torch.Generator().manual_seed(12345)
            r = x.amax(dim=(1, 2, 3), keepdim=True) - x.amin(dim=(1, 2, 3), keepdim=True)
            return x + s * r * torch.randn(x.shape, generator=g), m
        return f

    def blur(mm):
        return lambda x, m: (gaussian_blur(x, torch.full((x.shape[0],), mm / 1.5)), m)

    return {
        "clean": lambda x, m: (x, m),
        "rotate_45": geo(deg=45),
        "rotate_90": geo(deg=90),
        "rotate_-90": geo(deg=-90),
        "rotate_180": geo(deg=180),
        "flip_lr": geo(flip=True),
        "zoom_0.6": geo(z=0.6),
        "zoom_0.8": geo(z=0.8),
        "zoom_1.25": geo(z=1.25),
        "zoom_1.5": geo(z=1.5),
        "gamma_0.32": gamma(10 ** -0.5),
        "gamma_3.16": gamma(10 ** 0.5),
        "noise_0.05": noise(0.05),
        "noise_0.1": noise(0.1),
        "noise_0.2": noise(0.2),
        "noise_0.3": noise(0.3),
        "blur_2mm": blur(2.0),
        "blur_3mm": blur(3.0),
        "lowres_3": lambda x, m: (low_resolution(x, 3.0), m),
    }


# --------------------------------------------------------------------------- loss and metrics


def dice_ce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy + (1 - mean soft Dice over the 4 classes, pooled over the batch)."""
    ce = F.cross_entropy(logits, target)
    prob = logits.softmax(dim=1)
    onehot = F.one_hot(target, NUM_CLASSES).permute(0, 3, 1, 2).float()
    inter = (prob * onehot).sum(dim=(0, 2, 3))
    denom = prob.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    dice = (2 * inter + 1.0) / (denom + 1.0)
    return ce + (1.0 - dice.mean())


def dice_per_class(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """Mean over images of per-image Dice for classes 1..3 (both empty counts as 1)."""
    out = {}
    for c in range(1, NUM_CLASSES):
        p = pred == c
        t = gt == c
        inter = (p & t).sum(axis=(1, 2))
        s = p.sum(axis=(1, 2)) + t.sum(axis=(1, 2))
        d = np.where(s == 0, 1.0, 2.0 * inter / np.maximum(s, 1))
        out[CLASSES[c]] = float(d.mean())
    out["mean"] = float(np.mean([out[CLASSES[c]] for c in range(1, NUM_CLASSES)]))
    return out


@torch.no_grad()
def predict(model: nn.Module, raw: torch.Tensor, batch: int = 32) -> np.ndarray:
    """Argmax labels of raw-intensity images [N,1,H,W] (z-scored here, as the harness does)."""
    model.eval()
    outs = [model(zscore(raw[i : i + batch])).argmax(dim=1) for i in range(0, raw.shape[0], batch)]
    return torch.cat(outs).numpy()


def evaluate(model: nn.Module, images: np.ndarray, masks: np.ndarray, perts) -> dict[str, dict[str, float]]:
    """Dice per class on the validation set under each fixed perturbation."""
    x = torch.from_numpy(images)[:, None]
    m = torch.from_numpy(masks)
    res = {}
    for name, f in perts.items():
        xp, mp = f(x.clone(), m.clone())
        res[name] = dice_per_class(predict(model, xp), mp.numpy())
    return res


# --------------------------------------------------------------------------- export


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_onnx(model: nn.Module, path: Path, sample: torch.Tensor) -> None:
    """Export with the legacy TorchScript exporter (opset 17, dynamic batch axis)."""
    model.eval().to(memory_format=torch.contiguous_format)
    torch.onnx.export(
        model,
        sample,
        str(path),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )


def verify_onnx(model: nn.Module, path: Path, x: torch.Tensor, ort_python: str) -> dict:
    """Run the ONNX file with onnxruntime (in `ort_python`) and compare to torch."""
    with torch.no_grad():
        ref = model.eval()(x).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "x.npy", x.numpy())
        np.save(Path(tmp) / "ref.npy", ref)
        cmd = [ort_python, str(HERE / "verify_onnx.py"), str(path), str(Path(tmp) / "x.npy"), str(Path(tmp) / "ref.npy")]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def fmt_table(title: str, res: dict[str, dict[str, float]]) -> str:
    lines = [title, f"  {'condition':<20} {'LV':>6} {'myo':>6} {'RV':>6} {'mean':>6}"]
    for k, v in res.items():
        lines.append(f"  {k:<20} {v['LV']:6.3f} {v['myocardium']:6.3f} {v['RV']:6.3f} {v['mean']:6.3f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="training export (images.npy, masks.npy, ids.txt)")
    ap.add_argument("--val-data", type=Path, help="validation export of other phantoms (default: last 15%% of --data)")
    ap.add_argument("--out", type=Path, default=HERE, help="output directory for <name>.onnx and models.json")
    ap.add_argument("--name", required=True, help="model name: writes <out>/<name>.onnx")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--augment", action=argparse.BooleanOptionalAction, default=False)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--widths", default="16,32,48,64", help="channels per U-Net level, comma separated")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ort-python", default=str(HERE.parents[2] / ".tools" / "ort" / "bin" / "python"),
                    help="python with onnxruntime used to check the export ('' to skip)")
    args = ap.parse_args()

    set_determinism(args.seed, args.threads)
    t0 = time.time()
    c0 = time.process_time()

    images, masks, ids = load_dir(args.data)
    if args.val_data is not None:
        vimages, vmasks, vids = load_dir(args.val_data)
    else:
        k = max(1, len(images) * 15 // 100)
        images, vimages = images[:-k], images[-k:]
        masks, vmasks = masks[:-k], masks[-k:]
        ids, vids = ids[:-k], ids[-k:]
    print(f"train: {len(images)} images from {args.data}; validation: {len(vimages)} images"
          f" ({args.val_data or 'tail of --data'})")
    print(f"raw intensities of the training images: min {images.min():.4g}, median {np.median(images):.4g},"
          f" max {images.max():.4g}")

    widths = tuple(int(w) for w in args.widths.split(","))
    model = StemUNet(widths).to(memory_format=torch.channels_last)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"U-Net widths {widths}: {n_params} parameters; augment={args.augment}; epochs={args.epochs}")

    x_all = torch.from_numpy(images)[:, None]
    m_all = torch.from_numpy(masks)
    n = len(images)
    steps_per_epoch = math.ceil(n / args.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.15)
    g = torch.Generator().manual_seed(args.seed)
    perts = perturbations()

    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        total = 0.0
        te = time.time()
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch_size : (s + 1) * args.batch_size]
            if len(idx) < 2:
                continue  # BatchNorm needs more than one sample
            xb, mb = x_all[idx].clone(), m_all[idx].clone()
            if args.augment:
                xb, mb = augment(xb, mb, g)
            loss = dice_ce_loss(model(zscore(xb).contiguous(memory_format=torch.channels_last)), mb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        val = evaluate(model, vimages, vmasks, {"clean": perts["clean"]})["clean"]
        print(f"epoch {epoch + 1:3d}/{args.epochs} loss {total / n:.4f} val dice LV {val['LV']:.3f} "
              f"myo {val['myocardium']:.3f} RV {val['RV']:.3f} ({time.time() - te:.1f} s)", flush=True)
    train_seconds = time.time() - t0
    train_cpu_seconds = time.process_time() - c0
    print(f"training took {train_seconds:.1f} s wall, {train_cpu_seconds:.1f} s CPU (all threads)")

    res = evaluate(model, vimages, vmasks, perts)
    print(fmt_table(f"validation Dice of {args.name} ({len(vimages)} held-out phantom slices):", res))

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"{args.name}.onnx"
    x_check = zscore(torch.from_numpy(vimages[:8])[:, None])
    export_onnx(model, onnx_path, x_check)
    check = None
    if args.ort_python and not Path(args.ort_python).is_file():
        sys.exit(f"error: --ort-python {args.ort_python}: not found (a python with onnxruntime and numpy; '' skips)")
    if args.ort_python:
        check = verify_onnx(model, onnx_path, x_check, args.ort_python)
        print(f"onnxruntime check: max |onnx - torch| = {check['max_abs_diff']:.3e} over {check['shape']} "
              f"(batch 1 also ok: {check['batch1_ok']}); argmax agreement {check['argmax_agreement']:.6f}; "
              f"{'OK' if check['max_abs_diff'] <= 1e-4 else 'FAILED'} (tolerance 1e-4)")
        if check["max_abs_diff"] > 1e-4:
            sys.exit("error: ONNX output differs from torch by more than 1e-4")
    size = onnx_path.stat().st_size
    print(f"wrote {onnx_path} ({size} bytes, sha256 {sha256(onnx_path)})")

    meta_path = args.out / "models.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    meta.setdefault("models", {})
    try:
        rel = onnx_path.relative_to(HERE)
    except ValueError:
        rel = onnx_path
    meta["models"][args.name] = {
        "file": str(rel),
        "sha256": sha256(onnx_path),
        "bytes": size,
        "architecture": f"stride-2 conv stem + 2D U-Net at 64x64, widths {list(widths)}, BatchNorm+ReLU, "
                        "transposed-conv up-sampling, x2 bilinear up-sampling of the logits",
        "parameters": n_params,
        "input": {"name": "input", "shape": ["n", 1, SIZE, SIZE], "dtype": "float32",
                  "normalisation": "per-image z-score (x - mean) / std over the whole image"},
        "output": {"name": "logits", "shape": ["n", NUM_CLASSES, SIZE, SIZE], "dtype": "float32",
                   "classes": CLASSES},
        "augment": args.augment,
        "train_command": " ".join(["python", os.path.basename(sys.argv[0])] + sys.argv[1:]),
        "seed": args.seed,
        "epochs": args.epochs,
        "train_images": len(images),
        "val_images": len(vimages),
        "torch": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "train_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu_seconds, 1),
        "onnx_check": check,
        "validation_dice": {k: {c: round(v, 4) for c, v in d.items()} for k, d in res.items()},
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"updated {meta_path}; total {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
