"""Makes the tiny ONNX segmentation model and its expected outputs for the
ONNX backend test.

Writes, next to this folder:
  ../fixtures/tiny_seg.onnx           2 small conv layers (fixed seed), input "input"
                                      [N,1,H,W] (dynamic N), output "logits" [N,3,H,W]
  ../fixtures/tiny_seg_expected.json  an input batch and the output of Python
                                      onnxruntime on it
  ../fixtures/bad_nan.onnx            log(input): NaN for negative inputs
  ../fixtures/bad_shape.onnx          2x2 max-pool: output grid differs from the input's

Run (from the repository root):
  .tools/train/bin/python harness/backends/tests/reference/make_tiny_onnx.py export
  .tools/ort/bin/python   harness/backends/tests/reference/make_tiny_onnx.py expected
(torch lives in the train venv, onnxruntime 1.31.1 in the ort venv).
"""

import json
import pathlib
import sys

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
ONNX = FIXTURES / "tiny_seg.onnx"
EXPECTED = FIXTURES / "tiny_seg_expected.json"
BAD_NAN = FIXTURES / "bad_nan.onnx"
BAD_SHAPE = FIXTURES / "bad_shape.onnx"
N, H, W = 2, 6, 5


def export():
    import torch

    torch.manual_seed(1234)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, kernel_size=3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 3, kernel_size=3, padding=1),
    ).eval()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        torch.zeros(1, 1, H, W),
        str(ONNX),
        dynamo=False,
        opset_version=17,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )
    print(f"wrote {ONNX} ({ONNX.stat().st_size} bytes)")

    # Two broken models for the output checks: log of the input (NaN for negative
    # inputs) and a 2x2 max-pool (output grid differs from the input's).
    class Log(torch.nn.Module):
        def forward(self, x):
            return torch.log(x)

    for module, path in [(Log(), BAD_NAN), (torch.nn.MaxPool2d(2), BAD_SHAPE)]:
        torch.onnx.export(
            module,
            torch.ones(1, 1, 4, 4),
            str(path),
            dynamo=False,
            opset_version=17,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        )
        print(f"wrote {path} ({path.stat().st_size} bytes)")


def expected():
    import numpy as np
    import onnxruntime as ort

    rng = np.random.default_rng(42)
    x = rng.normal(size=(N, 1, H, W)).astype(np.float32)
    sess = ort.InferenceSession(str(ONNX), providers=["CPUExecutionProvider"])
    (y,) = sess.run(["logits"], {"input": x})
    out = {
        "onnxruntime": ort.__version__,
        "input_shape": list(x.shape),
        "input": [float(v) for v in x.ravel()],
        "output_shape": list(y.shape),
        "output": [float(v) for v in y.ravel()],
    }
    EXPECTED.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {EXPECTED}: output shape {y.shape}")


if __name__ == "__main__":
    {"export": export, "expected": expected}[sys.argv[1] if len(sys.argv) > 1 else "export"]()
