#!/bin/sh
# Re-makes every reference classifier end to end, deterministically (2 torch
# threads, fixed seeds, torch.use_deterministic_algorithms, PYTHONHASHSEED=0):
#   modality_cnn.{onnx,pt}         6-class MedNIST modality, all TRAIN images
#   modality_tiny.{onnx,pt}        6-class, 10 % of TRAIN, fewer channels (weaker)
#   shortcut_confounded.{onnx,pt}  HeadCT vs AbdomenCT, L marker on 90 % / 10 %
#   shortcut_clean.{onnx,pt}       same images, markers inpainted (biharmonic)
# then checks ONNX (onnxruntime) vs PyTorch vs TorchScript on the TEST split
# and writes models.json. About 5-10 minutes on the shared 2-core machine.
#
# Environment (all optional):
#   PYTHON          python with requirements.txt  (default: <root>/.tools/train/bin/python)
#   ORT_PYTHON      python with onnxruntime+numpy (default: <root>/.tools/ort/bin/python)
#   SENSIBENCH_DATA_ROOT  data root holding mednist/ (default: ../shared/data beside the repository)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.tools/train/bin/python}
ORT_PYTHON=${ORT_PYTHON:-$ROOT/.tools/ort/bin/python}
export PYTHONHASHSEED=0
export PYTHONDONTWRITEBYTECODE=1
export OMP_WAIT_POLICY=PASSIVE

cd "$HERE"
rm -f models.json
"$PYTHON" train_modality.py cnn
"$PYTHON" train_modality.py tiny
"$PYTHON" train_shortcut.py
"$PYTHON" verify_models.py --ort-python "$ORT_PYTHON"
echo "done: $HERE/{modality_cnn,modality_tiny,shortcut_confounded,shortcut_clean}.{onnx,pt} models.json"
