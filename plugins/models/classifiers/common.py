"""Shared pieces of the sensibench reference classifiers (MedNIST, 64x64 grey).

Everything the Rust harness relies on lives here, in one place:

- `is_test(file_bytes)`: the split rule. An image is in the TEST split iff
  `int(sha256(file_bytes).hexdigest()[:8], 16) % 5 == 0`, else TRAIN. The
  hash is over the JPEG file's bytes, not its name.
- `load_grey(path)`: the image as grey float32 0..255 (PIL `convert("L")`).
- `minmax(x)`: per-image `(x - min) / (max - min)`, a constant image -> 0.
  This is what the suites declare as `normalize: minmax`; the models take
  float32 `[N, 1, 64, 64]` in [0, 1].
- `SmallCNN`: conv blocks -> last conv block output F `[N, K, 8, 8]` -> global
  average pool -> ONE `nn.Linear(K, C)` (the head). Nothing between the pool and
  the head, so CRM's closed form (logits = W mean(F) + b) holds exactly.
- `ExportWrapper` / `ScriptWrapper`: the ONNX and TorchScript interfaces.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path
from typing import Tuple

import numpy as np
import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent
# the data root, as the harness: $SENSIBENCH_DATA_ROOT, else ../shared/data beside the repository
DATA_ROOT = Path(os.environ.get("SENSIBENCH_DATA_ROOT",
                                Path(__file__).resolve().parents[3].parent / "shared" / "data"))
MEDNIST = DATA_ROOT / "mednist"
MODALITY_CLASSES = ["AbdomenCT", "BreastMRI", "CXR", "ChestCT", "Hand", "HeadCT"]
SIZE = 64
OPSET = 17
THREADS = 2


# --------------------------------------------------------------------------- data


def file_bucket(file_bytes: bytes) -> int:
    """`int(sha256(file_bytes).hexdigest()[:8], 16) % 5`."""
    return int(hashlib.sha256(file_bytes).hexdigest()[:8], 16) % 5


def is_test(file_bytes: bytes) -> bool:
    """The split rule: TEST iff `int(sha256(file bytes)[:8 hex], 16) % 5 == 0`, else TRAIN."""
    return file_bucket(file_bytes) == 0


def load_grey(path: Path) -> np.ndarray:
    """Grey float32 0..255, as PIL `Image.open(path).convert("L")`; must be 64x64."""
    from PIL import Image

    with Image.open(path) as im:
        x = np.asarray(im.convert("L"), dtype=np.float32)
    if x.shape != (SIZE, SIZE):
        raise ValueError(f"{path}: image is {x.shape}, expected {SIZE}x{SIZE}")
    return x


def minmax(x: np.ndarray) -> np.ndarray:
    """Per-image min-max to [0, 1] in float32: (x - min) / (max - min); constant image -> 0."""
    x = np.asarray(x, dtype=np.float32)
    lo, hi = float(x.min()), float(x.max())
    if hi > lo:
        return ((x - np.float32(lo)) / np.float32(hi - lo)).astype(np.float32)
    return np.zeros_like(x, dtype=np.float32)


def list_class(cls: str) -> list[Path]:
    folder = MEDNIST / cls
    files = sorted(folder.glob("*.jpeg"))
    if not files:
        raise SystemExit(f"error: no *.jpeg in {folder} (expected the MedNIST class folders; "
                         "set SENSIBENCH_DATA_ROOT)")
    return files


def load_split(classes: list[str]):
    """Returns {'train': [(path, raw 0..255 image, class index, sha256 hex)], 'test': [...]}."""
    out = {"train": [], "test": []}
    for ci, cls in enumerate(classes):
        for f in list_class(cls):
            b = f.read_bytes()
            h = hashlib.sha256(b).hexdigest()
            item = (f, load_grey(f), ci, h)
            out["test" if is_test(b) else "train"].append(item)
    return out


def to_tensor(raw_images) -> torch.Tensor:
    """Stack of raw 0..255 images -> min-max normalised float32 [N, 1, 64, 64]."""
    return torch.from_numpy(np.stack([minmax(x) for x in raw_images]))[:, None]


# --------------------------------------------------------------------------- determinism


def set_determinism(seed: int, threads: int = THREADS) -> None:
    """Fix python, numpy and torch seeds, deterministic kernels, fixed thread count."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.utils.deterministic.fill_uninitialized_memory = False
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


# --------------------------------------------------------------------------- network


class SmallCNN(nn.Module):
    """len(widths) blocks of [3x3 conv (pad 1, no bias) -> BatchNorm -> ReLU], a 2x2
    max-pool after every block but the last; 64x64 -> 8x8 with 4 blocks. The last
    block's output is the feature map F [N, K, 8, 8], K = widths[-1]; then global
    average pool and one Linear(K, n_classes)."""

    def __init__(self, widths: Tuple[int, ...], n_classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            cin = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, n_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))


def architecture_string(widths, n_classes) -> str:
    w = "-".join(str(v) for v in widths)
    return (f"SmallCNN: {len(widths)} blocks [3x3 conv (pad 1, no bias) -> BatchNorm -> ReLU], widths {w}, "
            f"2x2 max-pool after every block but the last (64 -> 8); features F = last block output "
            f"[N, {widths[-1]}, 8, 8]; global average pool; head Linear({widths[-1]}, {n_classes})")


def param_count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


class ExportWrapper(nn.Module):
    """ONNX interface: image -> (logits, features, head_weight, head_bias)."""

    def __init__(self, net: SmallCNN) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor):
        f = self.net.features(x)
        logits = self.net.head(f.mean((2, 3)))
        return logits, f, self.net.head.weight * 1.0, self.net.head.bias * 1.0


class ScriptWrapper(nn.Module):
    """TorchScript interface: forward(x) -> logits; features_and_logits(x) -> (F, logits)."""

    def __init__(self, net: SmallCNN) -> None:
        super().__init__()
        self.features = net.features
        self.head = net.head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))

    @torch.jit.export
    def features_and_logits(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        f = self.features(x)
        return f, self.head(f.mean((2, 3)))


# --------------------------------------------------------------------------- training


def train(net: SmallCNN, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch: int, lr: float,
          seed: int, flip: bool = False, log: str = "") -> None:
    """AdamW (weight decay 1e-4), one-cycle-like schedule (linear warm-up over the first 10 % of
    steps, cosine decay), cross-entropy, shuffled mini-batches from a seeded torch.Generator,
    optional left-right flip (p = 0.5, off for tasks with side markers)."""
    import math

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    n = len(x)
    steps_per_epoch = (n + batch - 1) // batch
    total = epochs * steps_per_epoch
    warm = max(1, total // 10)
    step = 0
    loss_fn = nn.CrossEntropyLoss()
    net.train()
    for ep in range(epochs):
        perm = torch.randperm(n, generator=gen)
        tot = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            if len(idx) < 2:  # BatchNorm needs > 1 sample
                continue
            xb, yb = x[idx], y[idx]
            if flip:
                fl = torch.rand(len(idx), generator=gen) < 0.5
                xb = xb.clone()
                xb[fl] = xb[fl].flip(-1)
            f = (step + 1) / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))
            for g in opt.param_groups:
                g["lr"] = lr * f
            loss = loss_fn(net(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += loss.item() * len(idx)
            step += 1
        print(f"{log} epoch {ep + 1}/{epochs} loss {tot / n:.4f}", flush=True)
    net.eval()


@torch.no_grad()
def predict(net: nn.Module, x: torch.Tensor, batch: int = 256) -> torch.Tensor:
    net.eval()
    return torch.cat([net(x[i:i + batch]) for i in range(0, len(x), batch)])


# --------------------------------------------------------------------------- export


def export_onnx(net: SmallCNN, path: Path) -> None:
    """Legacy (TorchScript-based) exporter, opset 17, input `image`, outputs logits, features,
    head_weight, head_bias; dynamic batch axis on image, logits and features."""
    net.eval()
    w = ExportWrapper(net).eval()
    dummy = torch.zeros(2, 1, SIZE, SIZE)
    torch.onnx.export(
        w, (dummy,), str(path), dynamo=False, opset_version=OPSET,
        input_names=["image"], output_names=["logits", "features", "head_weight", "head_bias"],
        dynamic_axes={"image": {0: "n"}, "logits": {0: "n"}, "features": {0: "n"}},
        do_constant_folding=True,
    )
    import onnx
    from onnx import helper

    # The exporter folds head.weight * 1.0 into fresh anonymous initializers; make the two
    # head outputs plain Identity copies of the Gemm's own initializers, named as the contract says.
    m = onnx.load(str(path))
    g = m.graph
    inits = {t.name for t in g.initializer}
    for src in ("net.head.weight", "net.head.bias"):
        if src not in inits:
            raise RuntimeError(f"{path}: initializer {src} not found in the exported graph")
    for out, new, src in ((g.output[2], "head_weight", "net.head.weight"), (g.output[3], "head_bias", "net.head.bias")):
        old = out.name
        used = any(old in n.input for n in g.node)
        if old in inits and not used:
            keep = [t for t in g.initializer if t.name != old]
            del g.initializer[:]
            g.initializer.extend(keep)
        else:
            for n in g.node:
                n.output[:] = [old + "_unused" if o == old else o for o in n.output]
        g.node.append(helper.make_node("Identity", [src], [new], name=f"{new}_identity"))
        out.name = new
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(path))


def export_torchscript(net: SmallCNN, path: Path) -> None:
    """torch.jit.script of ScriptWrapper in eval() mode, saved with torch.jit.save."""
    net.eval()
    s = torch.jit.script(ScriptWrapper(net).eval())
    torch.jit.save(s, str(path))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def update_manifest(name: str, entry: dict) -> None:
    """Read-modify-write models.json beside the files (keys sorted for stable diffs)."""
    mpath = HERE / "models.json"
    data = json.loads(mpath.read_text()) if mpath.is_file() else {}
    data.setdefault("models", {})[name] = entry
    mpath.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
