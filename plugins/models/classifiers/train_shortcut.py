#!/usr/bin/env python3
"""The shortcut experiment: a binary MedNIST task where an "L" side marker is a
tempting shortcut (after the CMPB 2022 L/R-marker paper), two models:

    shortcut_confounded  trained on images where the marker is present on ~90 %
                         of the (recorded) positive and ~10 % of the negative class;
    shortcut_clean       the SAME images and labels, with every injected marker
                         removed by skimage.restoration.inpaint_biharmonic over
                         the region markers.inject returned (the paper's
                         "inpainted" arm).

Task: 1 = HeadCT (positive), 0 = AbdomenCT (classes [AbdomenCT, HeadCT]; the
MedNIST pair the 6-class models confuse most); 200 TRAIN images per class (the
first by file sha256), widths 16-32-64-64, 6 epochs. Every MedNIST pair is easy
for a CNN, so with exact labels the network ignores the marker entirely (tried:
AbdomenCT/ChestCT, HeadCT/AbdomenCT, CXR/Hand with 30-200 images per class,
4-8-8-8 and 16-32-64-64 widths: AUC unchanged by the marker). As with
report-derived disease labels, the recorded training label is noisy: 40 % of
TRAIN labels are flipped (by file hash), and the marker follows the recorded
label (the protocol sees the record, not the truth). Then anatomy explains
~60 % of the recorded labels and the marker ~90 %: the network learns the
marker first and the anatomy only weakly, so removing the marker costs ROC AUC
(the clean arm, same labels, learns the anatomy). TEST labels are the true
folder labels. The input is never degraded: the models see the raw image.

Same architecture, recipe, seed, labels and image order for both. Marker
(markers.py, the numpy reference of the Rust `marker_inject`): glyph "L", size
11, corner top_right, margin 2, pad 2, intensity 1.0, box False -> region rows
2..17, cols 50..62 (end exclusive) of the 64x64 image; drawn on the raw 0..255
grey image, before the per-image min-max normalisation (as the harness does).

Which images carry a marker is a deterministic function of the file: with
u = int(sha256(b"marker:" + sha256(file bytes) hex)[:8], 16) / 2**32 in [0, 1),
the image is marked iff u < rate(label), where rate = (positive, negative) =
(0.9, 0.1) internal (= training), (0.5, 0.5) external, (0.1, 0.9) swapped.

Evaluated on the TEST split (common.is_test) under: none (raw test images),
internal, external, swapped, removed (internal markers, then inpainted). AUC of
p(class 1) with sklearn.metrics.roc_auc_score; each condition is compared with
`internal` by the paired DeLong test (same images and labels, two score vectors;
`delong_paired`, two-sided normal p).

    python train_shortcut.py            # the committed models (defaults)
    python train_shortcut.py --pos CXR --neg Hand --label-noise 0 --no-save   # experiments
    python train_shortcut.py --seed 1 --no-save                               # other seeds
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
import markers  # noqa: E402

MARKER = {"glyph": "L", "size": 11, "corner": "top_right", "margin": 2, "pad": 2,
          "intensity": 1.0, "box": False}
RATES = {"internal": (0.9, 0.1), "external": (0.5, 0.5), "swapped": (0.1, 0.9)}


def marker_u(sha_hex: str) -> float:
    """u in [0, 1): int(sha256(b"marker:" + file sha256 hex)[:8], 16) / 2**32."""
    return int(hashlib.sha256(b"marker:" + sha_hex.encode()).hexdigest()[:8], 16) / 2 ** 32


def noise_v(sha_hex: str) -> float:
    """v in [0, 1): int(sha256(b"noise:" + file sha256 hex)[:8], 16) / 2**32."""
    return int(hashlib.sha256(b"noise:" + sha_hex.encode()).hexdigest()[:8], 16) / 2 ** 32


def inject(raw: np.ndarray):
    return markers.inject(raw, **MARKER)


def inpaint(img: np.ndarray, reg) -> np.ndarray:
    """skimage.restoration.inpaint_biharmonic over the marker region (float64 in, float32 out)."""
    from skimage.restoration import inpaint_biharmonic

    y0, x0, y1, x1 = reg
    mask = np.zeros(img.shape, dtype=bool)
    mask[y0:y1, x0:x1] = True
    return inpaint_biharmonic(img.astype(np.float64), mask).astype(np.float32)


def make_set(items, condition: str, remove: bool):
    """Raw images with markers per `condition` (rates on label 1 / label 0); `remove` inpaints them.
    Returns (list of raw float32 images, marked flags)."""
    pos_rate, neg_rate = RATES[condition]
    out, flags = [], []
    for _, raw, label, sha in items:
        rate = pos_rate if label == 1 else neg_rate
        marked = marker_u(sha) < rate
        img = raw
        if marked:
            img, reg = inject(raw)
            if remove:
                img = inpaint(img, reg)
        out.append(img)
        flags.append(marked)
    return out, np.array(flags)


def scores(net, raw_images) -> np.ndarray:
    """Softmax p(class 1), float64."""
    logits = common.predict(net, common.to_tensor(raw_images))
    return torch.softmax(logits, 1)[:, 1].double().numpy()


def auc(net, raw_images, labels) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores(net, raw_images)))


def delong_paired(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> dict:
    """Paired DeLong test (DeLong, DeLong & Clarke-Pearson 1988) of AUC(a) vs AUC(b) on the same
    cases, labels y in {0, 1}. Placement values psi(x, z) = 1 if x > z, 1/2 if equal, 0 else, over
    the m positives x and n negatives z: V10_i = mean_j psi(x_i, z_j), V01_j = mean_i psi(x_i, z_j),
    AUC = mean(V10); S10, S01 = 2x2 sample covariances (ddof 1) of (V10 of a, of b) and (V01 of a,
    of b); var(AUC_a - AUC_b) = (S10_aa + S10_bb - 2 S10_ab) / m + (S01_aa + S01_bb - 2 S01_ab) / n;
    z = (AUC_a - AUC_b) / sqrt(var), two-sided p = 2 (1 - Phi(|z|)); var 0 -> z 0, p 1."""
    from scipy.stats import norm

    y = np.asarray(y)
    v10, v01 = [], []
    for s in (np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)):
        x, z = s[y == 1], s[y == 0]
        psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
        v10.append(psi.mean(1))
        v01.append(psi.mean(0))
    auc_a, auc_b = float(v10[0].mean()), float(v10[1].mean())
    s10, s01 = np.cov(np.vstack(v10)), np.cov(np.vstack(v01))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / len(v10[0]) + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / len(v01[0])
    zval = (auc_a - auc_b) / np.sqrt(var) if var > 0 else 0.0
    return {"auc": auc_a, "auc_internal": auc_b, "difference": auc_a - auc_b,
            "z": float(zval), "p": float(2 * norm.sf(abs(zval)))}


def accuracy(net, raw_images, labels) -> float:
    logits = common.predict(net, common.to_tensor(raw_images))
    return float((logits.argmax(1).numpy() == labels).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pos", default="HeadCT", help="positive class (label 1)")
    ap.add_argument("--neg", default="AbdomenCT", help="negative class (label 0)")
    ap.add_argument("--n-per-class", type=int, default=200,
                    help="TRAIN images per class: the first n by file sha256 (0 = all)")
    ap.add_argument("--widths", default="16,32,64,64")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--label-noise", type=float, default=0.4,
                    help="fraction q of TRAIN labels flipped (recorded label), by file hash")
    ap.add_argument("--only", choices=["confounded", "clean"], default=None)
    ap.add_argument("--no-save", action="store_true", help="experiment: do not write files")
    args = ap.parse_args()
    widths = tuple(int(v) for v in args.widths.split(","))

    t_all = time.time()
    common.set_determinism(args.seed)
    classes = [args.neg, args.pos]  # index 0 = negative, 1 = positive
    split = common.load_split(classes)
    train_items = split["train"]
    if args.n_per_class:
        sel = []
        for c in (0, 1):
            its = sorted((it for it in train_items if it[2] == c), key=lambda it: it[3])
            sel += its[:args.n_per_class]
        train_items = sorted(sel, key=lambda it: it[3])
    test_items = split["test"]
    y_true_tr = np.array([it[2] for it in train_items])
    flip = np.array([noise_v(it[3]) < args.label_noise for it in train_items])
    y_tr = np.where(flip, 1 - y_true_tr, y_true_tr)
    train_items = [(p, r, int(y), h) for (p, r, _, h), y in zip(train_items, y_tr)]
    print(f"recorded labels flipped: {int(flip.sum())} of {len(flip)}", flush=True)
    y_te = np.array([it[2] for it in test_items])
    print(f"task {args.pos} (1) vs {args.neg} (0): train {len(train_items)} ({int(y_tr.sum())} pos), "
          f"test {len(test_items)} ({int(y_te.sum())} pos)", flush=True)

    conf_tr, flags_tr = make_set(train_items, "internal", remove=False)
    clean_tr, _ = make_set(train_items, "internal", remove=True)
    rates_tr = {"positive": float(flags_tr[y_tr == 1].mean()), "negative": float(flags_tr[y_tr == 0].mean())}
    print(f"training marker rates {rates_tr}", flush=True)

    test_sets = {"none": ([it[1] for it in test_items], np.zeros(len(test_items), bool))}
    for cond in RATES:
        test_sets[cond] = make_set(test_items, cond, remove=False)
    test_sets["removed"] = make_set(test_items, "internal", remove=True)
    test_rates = {k: {"positive": float(f[y_te == 1].mean()), "negative": float(f[y_te == 0].mean())}
                  for k, (_, f) in test_sets.items()}

    results = {}
    for name, raws in (("confounded", conf_tr), ("clean", clean_tr)):
        if args.only and name != args.only:
            continue
        t0, c0 = time.time(), time.process_time()
        common.set_determinism(args.seed)
        net = common.SmallCNN(widths, 2)
        common.train(net, common.to_tensor(raws), torch.from_numpy(y_tr), epochs=args.epochs,
                     batch=args.batch, lr=args.lr, seed=args.seed, flip=False, log=f"shortcut_{name}")
        secs, cpu = time.time() - t0, time.process_time() - c0
        aucs = {k: round(auc(net, r, y_te), 4) for k, (r, _) in test_sets.items()}
        accs = {k: round(accuracy(net, r, y_te), 4) for k, (r, _) in test_sets.items()}
        sc = {k: scores(net, r) for k, (r, _) in test_sets.items()}
        delong = {k: {kk: float(f"{vv:.6g}") for kk, vv in delong_paired(y_te, sc[k], sc["internal"]).items()}
                  for k in test_sets if k != "internal"}
        results[name] = aucs
        print(f"shortcut_{name} AUC {aucs} acc {accs} ({secs:.0f} s)", flush=True)
        for k, d in delong.items():
            print(f"shortcut_{name} DeLong {k} vs internal: AUC {d['auc']:.4f} vs {d['auc_internal']:.4f}, "
                  f"diff {d['difference']:+.4f}, z {d['z']:.3f}, p {d['p']:.3g}", flush=True)
        if args.no_save:
            continue
        fname = f"shortcut_{name}"
        common.export_onnx(net, HERE / f"{fname}.onnx")
        common.export_torchscript(net, HERE / f"{fname}.pt")
        entry = {
            "name": fname,
            "file": f"{fname}.onnx",
            "torchscript": f"{fname}.pt",
            "sha256": common.sha256_file(HERE / f"{fname}.onnx"),
            "torchscript_sha256": common.sha256_file(HERE / f"{fname}.pt"),
            "bytes": (HERE / f"{fname}.onnx").stat().st_size,
            "torchscript_bytes": (HERE / f"{fname}.pt").stat().st_size,
            "classes": classes,
            "positive_class": args.pos,
            "task": f"binary: 1 = {args.pos}, 0 = {args.neg}",
            "architecture": common.architecture_string(widths, 2),
            "parameters": common.param_count(net),
            "input": {"name": "image", "shape": ["n", 1, 64, 64], "dtype": "float32",
                      "normalisation": "minmax: grey 0..255 (PIL convert('L')), (x - min) / (max - min) "
                                       "per image, constant -> 0"},
            "outputs": {"logits": ["n", 2], "features": ["n", widths[-1], 8, 8],
                        "head_weight": [2, widths[-1]], "head_bias": [2]},
            "output": "logits (the suites declare output: softmax)",
            "split": "TEST iff int(sha256(file bytes).hexdigest()[:8], 16) % 5 == 0, else TRAIN",
            "train_images": len(train_items),
            "train_selection": (f"first {args.n_per_class} TRAIN images per class by file sha256"
                                if args.n_per_class else "all TRAIN images"),
            "test_images": len(test_items),
            "marker": MARKER,
            "marker_region": list(markers.region((64, 64), MARKER["size"], MARKER["corner"],
                                                 MARKER["margin"], MARKER["pad"])),
            "marker_rule": "marked iff u < rate(label), u = int(sha256(b'marker:' + file sha256 hex)"
                           "[:8], 16) / 2**32; rates (positive, negative): internal (0.9, 0.1), "
                           "external (0.5, 0.5), swapped (0.1, 0.9)",
            "training_data": ("markers at the internal rates, drawn on the raw 0..255 image" if name == "confounded"
                              else "the same images, every injected marker removed by "
                                   "skimage.restoration.inpaint_biharmonic over its region"),
            "training_marker_rates": rates_tr,
            "label_noise": {"fraction": args.label_noise, "flipped": int(flip.sum()),
                            "rule": "recorded TRAIN label = 1 - true label iff v < fraction, v = "
                                    "int(sha256(b'noise:' + file sha256 hex)[:8], 16) / 2**32; markers "
                                    "follow the recorded label; TEST labels are the true (folder) labels"},
            "test_marker_rates": test_rates,
            "test_auc": aucs,
            "test_accuracy": accs,
            "test_delong_vs_internal": delong,
            "test_delong_rule": "paired DeLong (1988), placement values, ties 1/2, two-sided normal p; "
                                "each condition's p(class 1) vs the internal condition's on the same images",
            "training": {"epochs": args.epochs, "batch": args.batch, "optimizer": "AdamW (wd 1e-4)",
                         "lr": args.lr, "schedule": "linear warm-up 10 % of steps, then cosine",
                         "augmentation": "none", "loss": "cross-entropy", "seed": args.seed,
                         "threads": common.THREADS},
            "command": "python train_shortcut.py " + " ".join(sys.argv[1:]),
            "torch": torch.__version__,
        }
        common.update_manifest(fname, entry)
        print(f"wrote {fname}.onnx {fname}.pt")
    print(f"total {time.time() - t_all:.0f} s")


if __name__ == "__main__":
    main()
