#!/usr/bin/env python3
"""The two MedNIST modality classifiers (6 classes, alphabetical folder order
AbdomenCT, BreastMRI, CXR, ChestCT, Hand, HeadCT), for pairwise comparison
(DeLong / Stuart-Maxwell) and for saliency (CRM, Grad-CAM):

    modality_cnn   SmallCNN widths 16-32-64-64 on all TRAIN images, 5 epochs,
                   left-right flips;
    modality_tiny  SmallCNN widths 4-8-8-8 on the first 10 % of TRAIN (by file
                   sha256), 15 epochs: deliberately weaker.

Split (common.is_test): TEST iff int(sha256(file bytes)[:8 hex], 16) % 5 == 0.
Input: grey 0..255 -> per-image min-max to [0, 1], float32 [N, 1, 64, 64].
Each model is exported as <name>.onnx (image -> logits, features, head_weight,
head_bias) and <name>.pt (TorchScript: forward -> logits,
features_and_logits -> (features, logits)), and entered in models.json.

    python train_modality.py cnn|tiny
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402

CONFIGS = {
    "cnn": {"widths": (16, 32, 64, 64), "fraction": 1.0, "epochs": 5, "batch": 32, "lr": 3e-3, "flip": True},
    "tiny": {"widths": (4, 8, 8, 8), "fraction": 0.1, "epochs": 15, "batch": 32, "lr": 3e-3, "flip": True},
}
SEED = 11


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=sorted(CONFIGS))
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args()
    cfg = CONFIGS[args.which]
    name = f"modality_{args.which}"

    t0, c0 = time.time(), time.process_time()
    common.set_determinism(SEED)
    split = common.load_split(common.MODALITY_CLASSES)
    train_items = sorted(split["train"], key=lambda it: it[3])
    if cfg["fraction"] < 1.0:
        train_items = train_items[:round(cfg["fraction"] * len(train_items))]
    test_items = split["test"]
    x_tr = common.to_tensor([it[1] for it in train_items])
    y_tr = torch.tensor([it[2] for it in train_items])
    x_te = common.to_tensor([it[1] for it in test_items])
    y_te = np.array([it[2] for it in test_items])
    print(f"{name}: train {len(train_items)}, test {len(test_items)}", flush=True)

    net = common.SmallCNN(cfg["widths"], len(common.MODALITY_CLASSES))
    common.train(net, x_tr, y_tr, epochs=cfg["epochs"], batch=cfg["batch"], lr=cfg["lr"], seed=SEED,
                 flip=cfg["flip"], log=name)
    secs, cpu = time.time() - t0, time.process_time() - c0
    logits = common.predict(net, x_te)
    pred = logits.argmax(1).numpy()
    acc = float((pred == y_te).mean())
    n = len(common.MODALITY_CLASSES)
    conf = np.zeros((n, n), dtype=int)
    for t, p in zip(y_te, pred):
        conf[t, p] += 1
    from sklearn.metrics import roc_auc_score

    prob = torch.softmax(logits, 1).numpy()
    auc_ovr = float(roc_auc_score(y_te, prob, multi_class="ovr"))
    print(f"{name}: {secs:.0f} s wall, {cpu:.0f} s CPU")
    print(f"{name}: test accuracy {acc:.4f}, macro one-vs-rest AUC {auc_ovr:.4f}\nconfusion (rows true):\n{conf}")
    if args.no_save:
        return
    common.export_onnx(net, HERE / f"{name}.onnx")
    common.export_torchscript(net, HERE / f"{name}.pt")
    k = cfg["widths"][-1]
    entry = {
        "name": name,
        "file": f"{name}.onnx",
        "torchscript": f"{name}.pt",
        "sha256": common.sha256_file(HERE / f"{name}.onnx"),
        "torchscript_sha256": common.sha256_file(HERE / f"{name}.pt"),
        "bytes": (HERE / f"{name}.onnx").stat().st_size,
        "torchscript_bytes": (HERE / f"{name}.pt").stat().st_size,
        "classes": common.MODALITY_CLASSES,
        "task": "6-class imaging modality (MedNIST folder = class)",
        "architecture": common.architecture_string(cfg["widths"], n),
        "parameters": common.param_count(net),
        "input": {"name": "image", "shape": ["n", 1, 64, 64], "dtype": "float32",
                  "normalisation": "minmax: grey 0..255 (PIL convert('L')), (x - min) / (max - min) "
                                   "per image, constant -> 0"},
        "outputs": {"logits": ["n", n], "features": ["n", k, 8, 8], "head_weight": [n, k], "head_bias": [n]},
        "output": "logits (the suites declare output: softmax)",
        "split": "TEST iff int(sha256(file bytes).hexdigest()[:8], 16) % 5 == 0, else TRAIN",
        "train_images": len(train_items),
        "train_selection": ("all TRAIN images" if cfg["fraction"] >= 1.0 else
                            f"first {len(train_items)} TRAIN images ({cfg['fraction']:.0%}) by file sha256"),
        "test_images": len(test_items),
        "test_accuracy": round(acc, 4),
        "test_macro_auc_ovr": round(auc_ovr, 4),
        "test_confusion_rows_true": conf.tolist(),
        "training": {"epochs": cfg["epochs"], "batch": cfg["batch"], "optimizer": "AdamW (wd 1e-4)",
                     "lr": cfg["lr"], "schedule": "linear warm-up 10 % of steps, then cosine",
                     "augmentation": "left-right flip p=0.5" if cfg["flip"] else "none",
                     "loss": "cross-entropy", "seed": SEED, "threads": common.THREADS},
        "command": "python train_modality.py " + " ".join(sys.argv[1:]),
        "torch": torch.__version__,
    }
    common.update_manifest(name, entry)
    print(f"wrote {name}.onnx {name}.pt")


if __name__ == "__main__":
    main()
