#!/bin/sh
# Re-makes every pretraining source of the muscle suite, deterministically
# (1 torch thread, fixed seeds, PYTHONHASHSEED=0: the .pt bytes and sha256 repeat):
#   muscle_random.pt       seeded initialisation only
#   muscle_supervised.pt   organs+bone segmentation on synthetic CT phantoms (+ .onnx twin)
#   muscle_autoencoder.pt  denoising reconstruction of phantoms + 20 real CT DICOM slices
#   muscle_mednist.pt      MedNIST 6-class modality classification (encoder)
# then checks the contract of every file (verify) and writes sources.json.
# About 5 minutes in all on one core.
#
# Environment (all optional):
#   PYTHON          python with requirements.txt  (default: <root>/.tools/train/bin/python)
#   ORT_PYTHON      python with onnxruntime+numpy for the ONNX check (default: <root>/.tools/ort/bin/python)
#   SENSIBENCH_DATA_ROOT  data root holding mednist/ and ct-totalseg/ (default: ../shared/data beside the repository)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.tools/train/bin/python}
ORT_PYTHON=${ORT_PYTHON:-$ROOT/.tools/ort/bin/python}
export PYTHONHASHSEED=0

cd "$HERE"
rm -f sources.json
"$PYTHON" pretrain.py random
"$PYTHON" pretrain.py supervised
"$PYTHON" pretrain.py autoencoder
"$PYTHON" pretrain.py mednist
"$PYTHON" pretrain.py onnx
if [ -x "$ORT_PYTHON" ]; then
    "$PYTHON" pretrain.py verify --ort-python "$ORT_PYTHON"
else
    echo "warning: $ORT_PYTHON not found: ONNX twin not checked with onnxruntime" >&2
    "$PYTHON" pretrain.py verify
fi
echo "done: $HERE/muscle_{random,supervised,autoencoder,mednist}.pt muscle_supervised.onnx sources.json"
