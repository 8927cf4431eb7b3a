#!/bin/sh
# Re-makes slice_cnn.pt and slice_cnn.json (the untrained, seeded starting
# model of the slice-position study) byte-identically: fixed seed, one torch
# thread, PYTHONHASHSEED=0 (TorchScript module constants).
#   PYTHON  python with torch 2.13 (default: <root>/.tools/train/bin/python)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.tools/train/bin/python}
export PYTHONHASHSEED=0
export PYTHONDONTWRITEBYTECODE=1
export OMP_WAIT_POLICY=PASSIVE
cd "$HERE"
"$PYTHON" slice_model.py
