#!/usr/bin/env python3
"""Check every model of models.json on its TEST split: ONNX (onnxruntime, run in
the --ort-python interpreter) vs eager PyTorch (common.SmallCNN rebuilt from the
TorchScript file's state dict) vs TorchScript (forward and features_and_logits).

Per model it checks, and records under "verification" in models.json:
- file sha256 matches models.json;
- ONNX: onnx.checker, input `image` [n,1,64,64], outputs logits, features,
  head_weight, head_bias in that order;
- max |logit| difference ONNX vs PyTorch and TorchScript vs PyTorch <= 1e-4,
  features likewise, on all TEST images (shortcut models: with the internal
  markers, i.e. the images the suites feed), in batches of 64 and a batch of 1;
- head_weight / head_bias equal the PyTorch head; logits = head_weight @
  mean(features) + head_bias (CRM's closed form) within 1e-4;
- TEST accuracy from the ONNX logits (printed; equals the training script's).

    python verify_models.py --ort-python <python with onnxruntime + numpy>
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402

TOL = 1e-4
OUTPUTS = ["logits", "features", "head_weight", "head_bias"]

ORT_SCRIPT = r"""
import sys, json, numpy as np, onnxruntime as ort
model, inp, out = sys.argv[1], sys.argv[2], sys.argv[3]
so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
x = np.load(inp)
meta = {"inputs": [(i.name, list(i.shape)) for i in s.get_inputs()],
        "outputs": [o.name for o in s.get_outputs()], "ort": ort.__version__}
res = {}
for start in range(0, len(x), 64):
    r = s.run(None, {"image": x[start:start + 64]})
    for name, v in zip(meta["outputs"], r):
        res.setdefault(name, []).append(v)
b1 = s.run(None, {"image": x[:1]})
np.savez(out, logits=np.concatenate(res["logits"]), features=np.concatenate(res["features"]),
         head_weight=res["head_weight"][0], head_bias=res["head_bias"][0], logits_b1=b1[0])
print(json.dumps(meta))
"""


def widths_of(state: dict) -> tuple[int, ...]:
    return tuple(v.shape[0] for k, v in state.items() if k.startswith("features.") and v.dim() == 4)


def test_inputs(name: str, entry: dict):
    classes = entry["classes"]
    split = common.load_split(classes)
    items = split["test"]
    y = np.array([it[2] for it in items])
    if name.startswith("shortcut_"):
        import train_shortcut

        raws, _ = train_shortcut.make_set(items, "internal", remove=False)
    else:
        raws = [it[1] for it in items]
    return common.to_tensor(raws), y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ort-python", required=True)
    args = ap.parse_args()
    common.set_determinism(0)
    mpath = HERE / "models.json"
    if not mpath.is_file():
        sys.exit(f"error: {mpath} not found: run the training scripts first")
    manifest = json.loads(mpath.read_text())
    failures = []
    import onnx

    for name, entry in sorted(manifest["models"].items()):
        onnx_path, ts_path = HERE / entry["file"], HERE / entry["torchscript"]
        for p, key in ((onnx_path, "sha256"), (ts_path, "torchscript_sha256")):
            if common.sha256_file(p) != entry[key]:
                failures.append(f"{name}: {p.name} sha256 differs from models.json")
        m = onnx.load(str(onnx_path))
        onnx.checker.check_model(m)
        outs = [o.name for o in m.graph.output]
        if outs != OUTPUTS or [i.name for i in m.graph.input] != ["image"]:
            failures.append(f"{name}: ONNX inputs/outputs {[i.name for i in m.graph.input]} {outs}")

        ts = torch.jit.load(str(ts_path)).eval()
        state = ts.state_dict()
        net = common.SmallCNN(widths_of(state), len(entry["classes"]))
        net.load_state_dict(state)
        net.eval()
        x, y = test_inputs(name, entry)
        with torch.no_grad():
            f_pt = torch.cat([net.features(x[i:i + 64]) for i in range(0, len(x), 64)])
            l_pt = net.head(f_pt.mean((2, 3)))
            l_ts = torch.cat([ts(x[i:i + 64]) for i in range(0, len(x), 64)])
            fl = [ts.features_and_logits(x[i:i + 64]) for i in range(0, len(x), 64)]
            f_ts = torch.cat([a for a, _ in fl])
            l_ts2 = torch.cat([b for _, b in fl])
        with tempfile.TemporaryDirectory() as td:
            inp, out = Path(td) / "x.npy", Path(td) / "y.npz"
            np.save(inp, x.numpy())
            r = subprocess.run([args.ort_python, "-c", ORT_SCRIPT, str(onnx_path), str(inp), str(out)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"error: onnxruntime run of {onnx_path} failed:\n{r.stderr}")
            meta = json.loads(r.stdout.strip().splitlines()[-1])
            o = dict(np.load(out))
        d = {
            "logits_onnx_vs_pytorch": float(np.abs(o["logits"] - l_pt.numpy()).max()),
            "logits_onnx_batch1_vs_pytorch": float(np.abs(o["logits_b1"] - l_pt[:1].numpy()).max()),
            "logits_torchscript_vs_pytorch": float((l_ts - l_pt).abs().max()),
            "logits_features_and_logits_vs_pytorch": float((l_ts2 - l_pt).abs().max()),
            "features_onnx_vs_pytorch": float(np.abs(o["features"] - f_pt.numpy()).max()),
            "features_torchscript_vs_pytorch": float((f_ts - f_pt).abs().max()),
            "head_weight_onnx_vs_pytorch": float(np.abs(o["head_weight"] - net.head.weight.detach().numpy()).max()),
            "head_bias_onnx_vs_pytorch": float(np.abs(o["head_bias"] - net.head.bias.detach().numpy()).max()),
            "crm_closed_form_onnx": float(np.abs(o["features"].mean((2, 3)) @ o["head_weight"].T
                                                 + o["head_bias"] - o["logits"]).max()),
        }
        worst = max(d.values())
        acc = float((o["logits"].argmax(1) == y).mean())
        if worst > TOL:
            failures.append(f"{name}: max difference {worst:.3g} > {TOL}: {d}")
        shapes = {"features": list(o["features"].shape), "head_weight": list(o["head_weight"].shape)}
        print(f"{name}: {len(y)} TEST images, ONNX accuracy {acc:.4f}, max |diff| {worst:.2e} "
              f"(ORT {meta['ort']}), shapes {shapes}")
        entry["verification"] = {
            "images": len(y),
            "inputs": "TEST split" + (" with the internal markers" if name.startswith("shortcut_") else ""),
            "onnxruntime": meta["ort"],
            "tolerance": TOL,
            "max_abs_diff": {k: float(f"{v:.3g}") for k, v in d.items()},
            "onnx_accuracy": round(acc, 4),
            "passed": worst <= TOL,
        }
    mpath.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if failures:
        sys.exit("verification FAILED:\n" + "\n".join(failures))
    print("verification passed")


if __name__ == "__main__":
    main()
