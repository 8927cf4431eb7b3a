#!/usr/bin/env python3
"""The starting model of the slice-position study (methods.md section 3):
cardiac MR short-axis slices, 1 x 64 x 64, three classes in index order
0 'too basal', 1 'LV', 2 'too apical'.

`SliceCNN` (BatchNorm-free, so it trains the same with any batch size):

    4 blocks of [3x3 conv (pad 1, no bias) -> GroupNorm(4 groups) -> ReLU],
    widths 16-32-32-64, a 2x2 max-pool after blocks 1-3 (64 -> 8);
    features F = last block output [N, 64, 8, 8]; global average pool;
    head Linear(64, 3).  32,883 parameters (32,400 conv, 288 GroupNorm, 195 head), all trainable.

It follows the project's classifier contract (plugins/models/classifiers):
`forward(x) -> logits [N, 3]` and `@torch.jit.export
features_and_logits(x) -> (F, logits)` (Grad-CAM), with nothing between the
pool and the head (CRM's closed form logits = W mean_hw(F) + b).

The weights are PyTorch's default initialisation (Kaiming-uniform convs and
linear, GroupNorm weight 1 / bias 0) drawn after `torch.manual_seed(SEED)`:
no training, no outside data. The module is scripted in train mode
(GroupNorm computes the same in train and eval mode) and saved with
`torch.jit.save` as slice_cnn.pt; `slice_cnn.json` records the architecture,
parameter count, sha256 and the logits of a fixed probe batch.

    python slice_model.py [--out DIR]      (make_slice_model.sh runs it)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
from typing import Tuple

import torch
import torch.nn as nn

SEED = 20240
CLASSES = ["too basal", "LV", "too apical"]
WIDTHS = (16, 32, 32, 64)
GROUPS = 4
SIZE = 64


class SliceCNN(nn.Module):
    """See the module docstring."""

    def __init__(self, widths: Tuple[int, ...] = WIDTHS, n_classes: int = len(CLASSES)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.GroupNorm(GROUPS, w), nn.ReLU()]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))

    @torch.jit.export
    def features_and_logits(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        f = self.features(x)
        return f, self.head(f.mean((2, 3)))


def probe_batch() -> torch.Tensor:
    """Four fixed 1 x 64 x 64 inputs in [0, 1] (seeded uniform noise)."""
    g = torch.Generator().manual_seed(1)
    return torch.rand(4, 1, SIZE, SIZE, generator=g)


def build() -> SliceCNN:
    torch.manual_seed(SEED)
    return SliceCNN()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    net = build().train()
    for p in net.parameters():
        assert p.requires_grad
    scripted = torch.jit.script(net)
    path = out / "slice_cnn.pt"
    torch.jit.save(scripted, str(path))
    params = sum(p.numel() for p in net.parameters())
    with torch.no_grad():
        probe = scripted(probe_batch())
        eager = net(probe_batch())
    assert torch.allclose(probe, eager, atol=1e-6), "scripted vs eager"
    assert probe.shape == (4, len(CLASSES))
    entry = {
        "file": "slice_cnn.pt",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
        "classes": CLASSES,
        "input": {"shape": ["n", 1, SIZE, SIZE], "dtype": "float32", "normalisation": "minmax per image to [0, 1]"},
        "output": "logits [n, 3] (suites declare output: softmax)",
        "architecture": (f"4 blocks [3x3 conv (pad 1, no bias) -> GroupNorm({GROUPS}) -> ReLU], widths "
                         f"{'-'.join(map(str, WIDTHS))}, 2x2 max-pool after blocks 1-3 (64 -> 8); "
                         f"features [N, {WIDTHS[-1]}, 8, 8]; global average pool; Linear({WIDTHS[-1]}, 3)"),
        "parameters": params,
        "initialisation": f"PyTorch default init after torch.manual_seed({SEED}); untrained",
        "probe": "torch.rand(4, 1, 64, 64, generator=torch.Generator().manual_seed(1))",
        "probe_logits": [[round(float(v), 6) for v in row] for row in probe],
        "torch": torch.__version__,
        "command": "plugins/models/slice/make_slice_model.sh",
    }
    (out / "slice_cnn.json").write_text(json.dumps(entry, indent=2) + "\n")
    print(f"wrote {path} ({entry['bytes']} bytes, {params} parameters, sha256 {entry['sha256']})")


if __name__ == "__main__":
    main()
