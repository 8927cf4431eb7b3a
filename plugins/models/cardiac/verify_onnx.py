#!/usr/bin/env python3
"""Check an exported model with onnxruntime against torch outputs.

Usage (run with a python that has onnxruntime and numpy):
    verify_onnx.py MODEL.onnx X.npy REF.npy
X.npy is a float32 [N,1,128,128] batch, REF.npy the torch logits for it.
Prints one JSON line: max_abs_diff, shape, batch1_ok, argmax_agreement, io names.
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def main() -> None:
    model, x_path, ref_path = sys.argv[1:4]
    x = np.load(x_path).astype(np.float32)
    ref = np.load(ref_path)
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    inputs = [i.name for i in sess.get_inputs()]
    outputs = [o.name for o in sess.get_outputs()]
    if inputs != ["input"] or outputs != ["logits"]:
        sys.exit(f"error: {model}: inputs {inputs} outputs {outputs}, expected ['input'] / ['logits']")
    out = sess.run(["logits"], {"input": x})[0]
    if out.shape != ref.shape:
        sys.exit(f"error: {model}: output shape {out.shape}, torch gave {ref.shape}")
    one = sess.run(["logits"], {"input": x[:1]})[0]
    print(json.dumps({
        "max_abs_diff": float(np.abs(out - ref).max()),
        "shape": list(out.shape),
        "batch1_ok": bool(one.shape == (1,) + ref.shape[1:] and np.abs(one - ref[:1]).max() <= 1e-4),
        "argmax_agreement": float((out.argmax(1) == ref.argmax(1)).mean()),
        "input_shape": [str(d) for d in sess.get_inputs()[0].shape],
        "onnxruntime": ort.__version__,
    }))


if __name__ == "__main__":
    main()
