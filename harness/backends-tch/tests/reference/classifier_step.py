#!/usr/bin/env python3
"""PyTorch reference for `fine_tune_classifier` (tests/finetune_classifier.rs).

    cd harness/backends-tch/tests/reference
    PYTHONHASHSEED=0 ../../../../.tools/train/bin/python classifier_step.py

Writes classifier_step.json:
- a training set of 8 images 1 x 64 x 64 (noise + a disc, 3 classes) and a
  probe batch of 3 images, each stored as a hex string of bytes v, the pixel
  being v / 255 in float32;
- BATCHES: the images of each of the K = 3 steps, in batch order. They are
  what sensibench's seeded sampler draws for 8 images, batch 4, seed 3
  (`batch_indices(8, 4, 3, 3)`); the Rust test checks that it still does;
- the loss of each step (before its update) and the probe logits [3, 3]
  after the K steps (eval mode), from torch.optim.Adam (lr 1e-2, betas
  (0.9, 0.999), eps 1e-8, no weight decay) on the TorchScript module
  plugins/models/slice/slice_cnn.pt in train mode, float32, one thread,
  mean cross-entropy, no augmentation ("torchscript_f32");
- the same run on the eager `SliceCNN` (plugins/models/slice/slice_model.py)
  in float64 with the same initial weights ("eager_f64"), an independent
  check of the TorchScript run; the script asserts both agree to 1e-4;
- tuple_classifier.pt: a tiny scripted classifier whose forward returns
  (features, logits), the form fine-tuning accepts (the last element);
- `loss_cases`: F.cross_entropy in float64 on fixed logits [5, 3] and
  targets, with label smoothing and class weights (for `cross_entropy_loss`).
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
MODEL = ROOT / "plugins/models/slice/slice_cnn.pt"
sys.path.insert(0, str(ROOT / "plugins/models/slice"))
import slice_model  # noqa: E402

N, PROBE, SIZE, CLASSES = 8, 3, 64, 3
BATCHES = [[4, 7, 0, 2], [3, 6, 5, 1], [1, 5, 2, 7]]
LR = 1e-2
SEED = 3

torch.set_num_threads(1)
g = torch.Generator().manual_seed(5)


def image(label: int) -> torch.Tensor:
    """Bytes: noise 0..90 plus a bright disc whose radius grows with the class."""
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    cy, cx = torch.randint(20, 44, (2,), generator=g).tolist()
    r = 6 + 7 * label
    disc = ((yy - cy) ** 2 + (xx - cx) ** 2) < r * r
    noise = torch.randint(0, 90, (SIZE, SIZE), generator=g)
    return (noise + 160 * disc).clamp(0, 255).to(torch.uint8)


labels = torch.randint(0, CLASSES, (N,), generator=g)
raw = torch.stack([image(int(l)) for l in labels])
probe_raw = torch.stack([image(k) for k in range(PROBE)])
x = (raw.float() / 255)[:, None]
probe = (probe_raw.float() / 255)[:, None]


def run(model, dtype):
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    losses = []
    for b in BATCHES:
        logits = model(x[b].to(dtype))
        loss = F.cross_entropy(logits, labels[b])
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        out = model(probe.to(dtype))
    return losses, out.double()


ts = torch.jit.load(str(MODEL))
init = {k: v.clone() for k, v in ts.state_dict().items()}
ts_losses, ts_logits = run(ts, torch.float32)

eager = slice_model.SliceCNN().double()
eager.load_state_dict({k: v.double() for k, v in init.items()})
eg_losses, eg_logits = run(eager, torch.float64)

dl = max(abs(a - b) for a, b in zip(ts_losses, eg_losses))
dz = float((ts_logits - eg_logits).abs().max())
print(f"TorchScript f32 vs eager f64: max |d loss| {dl:.2e}, max |d logit| {dz:.2e}")
assert dl < 1e-4 and dz < 1e-4

cg = torch.Generator().manual_seed(9)
cl = (torch.randn(5, 3, generator=cg) * 2).double()
ct = torch.tensor([0, 2, 1, 1, 0])
cases = []
for eps, w in [(0.0, None), (0.1, None), (0.0, [1.0, 2.0, 0.5]), (0.2, [1.0, 2.0, 0.5])]:
    wt = None if w is None else torch.tensor(w, dtype=torch.float64)
    cases.append({"label_smoothing": eps, "class_weights": w,
                  "loss": float(F.cross_entropy(cl, ct, weight=wt, label_smoothing=eps))})

out = {
    "model": "plugins/models/slice/slice_cnn.pt",
    "shape": [1, SIZE, SIZE],
    "classes": CLASSES,
    "images_hex": [bytes(r.flatten().tolist()).hex() for r in raw],
    "labels": labels.tolist(),
    "probe_hex": [bytes(r.flatten().tolist()).hex() for r in probe_raw],
    "batch_size": 4, "seed": SEED, "steps": len(BATCHES), "batches": BATCHES,
    "optimizer": {"name": "Adam", "lr": LR, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0},
    "torchscript_f32": {"losses": ts_losses, "probe_logits": ts_logits.tolist()},
    "eager_f64": {"losses": eg_losses, "probe_logits": eg_logits.tolist()},
    "loss_cases": {"logits": cl.tolist(), "target": ct.tolist(), "cases": cases},
    "torch": torch.__version__,
}


class TupleNet(torch.nn.Module):
    """conv3x3(1->4) -> ReLU -> GAP -> Linear(4, 3); forward returns (features, logits)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 3)

    def forward(self, x):
        f = torch.relu(self.conv(x))
        return f, self.head(f.mean((2, 3)))


torch.manual_seed(0)
torch.jit.save(torch.jit.script(TupleNet()), str(HERE / "tuple_classifier.pt"))
(HERE / "classifier_step.json").write_text(json.dumps(out, indent=1) + "\n")
print("losses", ts_losses, "\nprobe logits", ts_logits.tolist())
