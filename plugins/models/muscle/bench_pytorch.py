#!/usr/bin/env python3
"""Time a muscle TorchScript source in PyTorch: one training step and one inference batch.

The Rust harness (tch backend) runs the same measurement on the same file, so
the two can be put side by side (issue 3, item 8).

Usage:
    bench_pytorch.py MODULE.pt [--threads 2] [--reps 30] [--warmup 5] [--seed 0]

The module is loaded with torch.jit.load. Inputs are fixed pseudo-random
tensors from torch.manual_seed(seed): images uniform in [0, 1) (the range of
the CT window), labels a random 0/1 map.

(a) training step, batch of 4 images [4,1,128,128], module in train() mode,
    Adam(lr = 1e-3, default betas/eps), one step =
        opt.zero_grad(); loss = L(model(x), y); loss.backward(); opt.step()
    with
        loss = CE(mean over pixels) + (1 - mean over classes of soft Dice),
        soft Dice per class c pooled over the batch:
            D_c = (2 * sum(p_c * y_c) + 1e-5) / (sum(p_c) + sum(y_c) + 1e-5),
        p = softmax over the class axis of the logits, y = one-hot labels,
        sums over batch and all pixels.
(b) inference batch of 8 images [8,1,128,128] under torch.no_grad(), module in
    eval() mode (identical math: GroupNorm, no dropout).

Each is run `warmup` times untimed, then `reps` times with time.perf_counter;
the JSON line printed gives the median and the interquartile range (p75 - p25,
numpy default linear percentiles) in milliseconds:

    {"train_step_ms": ..., "train_step_iqr_ms": ..., "infer_batch_ms": ...,
     "infer_batch_iqr_ms": ..., "threads": ..., "torch": ..., ...}

torch.set_num_threads(threads) and set_num_interop_threads(1) are applied
first; the step time depends heavily on other load on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from unet import seg_loss  # noqa: E402


def stats(ts: list[float]) -> tuple[float, float]:
    a = np.asarray(ts) * 1000.0
    return float(np.median(a)), float(np.percentile(a, 75) - np.percentile(a, 25))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("module", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", type=int, default=128)
    args = ap.parse_args()
    if not args.module.is_file():
        sys.exit(f"error: {args.module}: file not found (expected a TorchScript .pt)")
    if args.size % 8:
        sys.exit(f"error: --size {args.size}: expected a multiple of 8")
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    model = torch.jit.load(str(args.module))
    n_cls = 2
    s = args.size
    x = torch.rand(4, 1, s, s)
    y = torch.randint(0, n_cls, (4, s, s))
    xi = torch.rand(8, 1, s, s)

    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad()
        loss = seg_loss(model(x), y)
        loss.backward()
        opt.step()

    train_ts = []
    for i in range(args.warmup + args.reps):
        t = time.perf_counter()
        step()
        if i >= args.warmup:
            train_ts.append(time.perf_counter() - t)

    model.eval()
    infer_ts = []
    with torch.no_grad():
        for i in range(args.warmup + args.reps):
            t = time.perf_counter()
            model(xi)
            if i >= args.warmup:
                infer_ts.append(time.perf_counter() - t)
    tr, tr_iqr = stats(train_ts)
    inf, inf_iqr = stats(infer_ts)
    print(json.dumps({
        "train_step_ms": round(tr, 2), "train_step_iqr_ms": round(tr_iqr, 2),
        "infer_batch_ms": round(inf, 2), "infer_batch_iqr_ms": round(inf_iqr, 2),
        "threads": args.threads, "torch": torch.__version__, "module": args.module.name,
        "train_batch": 4, "infer_batch": 8, "size": s, "reps": args.reps, "warmup": args.warmup,
    }))


if __name__ == "__main__":
    main()
