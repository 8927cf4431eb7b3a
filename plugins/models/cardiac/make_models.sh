#!/bin/sh
# Re-creates the cardiac reference models end to end:
#   1. exports the training (seed 1) and validation (seed 2) phantoms with the
#      project's own Rust phantom (sensibench-data, example export_phantom);
#   2. trains unet_plain (no augmentation) and unet_augmented (augmentation);
#   3. exports both to ONNX, checks them with onnxruntime, writes models.json.
# The suite evaluates on phantoms of seed 20261124, which neither set contains.
#
# Environment (all optional):
#   PYTHON       python with requirements.txt  (default: <root>/.tools/train/bin/python)
#   ORT_PYTHON   python with onnxruntime+numpy (default: <root>/.tools/ort/bin/python)
#   CARGO_TARGET_DIR  as usual for cargo
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.tools/train/bin/python}
ORT_PYTHON=${ORT_PYTHON:-$ROOT/.tools/ort/bin/python}

cd "$ROOT"
for set in "train 1 80 8" "val 2 20 6"; do
    # shellcheck disable=SC2086
    set -- $set
    cargo run --quiet -p sensibench-data --example export_phantom -- \
        --out "$HERE/data/$1" --seed "$2" --subjects "$3" --slices "$4" --size 128
done

cd "$HERE"
rm -f models.json
"$PYTHON" train.py --data data/train --val-data data/val --out . --name unet_plain \
    --no-augment --epochs 12 --seed 1 --ort-python "$ORT_PYTHON"
"$PYTHON" train.py --data data/train --val-data data/val --out . --name unet_augmented \
    --augment --epochs 20 --seed 1 --ort-python "$ORT_PYTHON"
echo "done: $HERE/unet_plain.onnx $HERE/unet_augmented.onnx $HERE/models.json"
