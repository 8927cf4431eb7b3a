"""The one network shared by every muscle pretraining source, the CT window and
the segmentation training loss (`seg_loss`).

`MuscleUNet` is a small full-resolution 2D U-Net that `torch.jit.script`
compiles as is (no tracing):

    input  float32 [N, 1, H, W], H and W multiples of 8 (the harness uses 128x128),
           CT windowed to [0, 1] by `ct_window` (level 40 HU, width 400 HU)
    output float32 [N, 2, H, W] logits: class 0 background, class 1 skeletal muscle

Layout (widths 8-16-32-64, every "block" = two times [3x3 conv (padding 1,
bias) -> GroupNorm(4 groups) -> ReLU]):

    enc1  block 1->8      at H      (skip 1)
    enc2  block 8->16     at H/2    (after 2x2 max-pool; skip 2)
    enc3  block 16->32    at H/4    (after 2x2 max-pool; skip 3)
    bott  block 32->64    at H/8    (after 2x2 max-pool)
    up3   2x2 transposed conv stride 2, 64->32; dec3 block (32+32)->32 at H/4
    up2   2x2 transposed conv stride 2, 32->16; dec2 block (16+16)->16 at H/2
    up1   2x2 transposed conv stride 2, 16->8;  dec1 block (8+8)->8    at H
    head  1x1 conv 8->2

GroupNorm (not BatchNorm) keeps train() and eval() numerically identical, and
there is no dropout, so the harness may fine-tune in either mode. The encoder
(`enc1, enc2, enc3, bott`) is what the MedNIST classification source pretrains;
`encode()` exposes it.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WIDTHS = (8, 16, 32, 64)
GROUPS = 4
NUM_CLASSES = 2
CT_LEVEL = 40.0
CT_WIDTH = 400.0


def ct_window(hu: np.ndarray, level: float = CT_LEVEL, width: float = CT_WIDTH) -> np.ndarray:
    """x = clip((HU - (L - W/2)) / W, 0, 1); L=40, W=400 maps [-160, 240] HU to [0, 1]."""
    lo = level - width / 2.0
    return np.clip((np.asarray(hu, dtype=np.float64) - lo) / width, 0.0, 1.0).astype(np.float32)


class Block(nn.Module):
    """Two times [3x3 conv (padding 1) -> GroupNorm(4) -> ReLU]."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm1 = nn.GroupNorm(GROUPS, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(GROUPS, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.norm1(self.conv1(x)))
        return F.relu(self.norm2(self.conv2(x)))


class MuscleUNet(nn.Module):
    """Small 2D U-Net, widths 8-16-32-64, GroupNorm, 2-class logits (see module doc)."""

    def __init__(self, in_channels: int = 1, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        w1, w2, w3, w4 = WIDTHS
        self.enc1 = Block(in_channels, w1)
        self.enc2 = Block(w1, w2)
        self.enc3 = Block(w2, w3)
        self.bott = Block(w3, w4)
        self.up3 = nn.ConvTranspose2d(w4, w3, 2, stride=2)
        self.dec3 = Block(2 * w3, w3)
        self.up2 = nn.ConvTranspose2d(w3, w2, 2, stride=2)
        self.dec2 = Block(2 * w2, w2)
        self.up1 = nn.ConvTranspose2d(w2, w1, 2, stride=2)
        self.dec1 = Block(2 * w1, w1)
        self.head = nn.Conv2d(w1, num_classes, 1)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder only: [N,1,H,W] -> bottleneck features [N,64,H/8,W/8]."""
        s1 = self.enc1(x)
        s2 = self.enc2(F.max_pool2d(s1, 2))
        s3 = self.enc3(F.max_pool2d(s2, 2))
        return self.bott(F.max_pool2d(s3, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.enc1(x)
        s2 = self.enc2(F.max_pool2d(s1, 2))
        s3 = self.enc3(F.max_pool2d(s2, 2))
        b = self.bott(F.max_pool2d(s3, 2))
        d3 = self.dec3(torch.cat([self.up3(b), s3], dim=1))
        d2 = self.dec2(torch.cat([self.up2(d3), s2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), s1], dim=1))
        return self.head(d1)


ENCODER_PREFIXES = ("enc1.", "enc2.", "enc3.", "bott.")


def new_unet(seed: int) -> MuscleUNet:
    """A MuscleUNet whose every parameter comes from torch.manual_seed(seed) (PyTorch default init)."""
    torch.manual_seed(seed)
    return MuscleUNet()


def reinit_head(model: MuscleUNet, seed: int) -> None:
    """Re-initialise the final 1x1 conv exactly as `new_unet(seed)` would (same values)."""
    fresh = new_unet(seed)
    with torch.no_grad():
        model.head.weight.copy_(fresh.head.weight)
        model.head.bias.copy_(fresh.head.bias)


def param_count(model: nn.Module) -> int:
    """Number of scalar parameters."""
    return sum(p.numel() for p in model.parameters())


def architecture_string() -> str:
    """One-line description used in sources.json."""
    return (
        "2D U-Net, widths 8-16-32-64 at H, H/2, H/4, H/8; block = 2x[3x3 conv+bias, GroupNorm(4), ReLU]; "
        "2x2 max-pool down; 2x2 stride-2 transposed conv up + skip concat; 1x1 conv head 8->2; "
        "no BatchNorm, no dropout"
    )


def seg_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CE(mean over pixels) + (1 - mean over classes of batch-pooled soft Dice, eps 1e-5)."""
    ce = F.cross_entropy(logits, target)
    p = logits.softmax(1)
    y = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
    inter = (p * y).sum((0, 2, 3))
    dice = (2 * inter + 1e-5) / (p.sum((0, 2, 3)) + y.sum((0, 2, 3)) + 1e-5)
    return ce + (1 - dice.mean())
