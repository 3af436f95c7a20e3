#!/usr/bin/env bash
# Creates the Python environments of the references the burn import of the MediaPipe models is
# tested against: Google's TFLite interpreter (ai-edge-litert) and onnxruntime with tflite2onnx
# ($JOINTSCOPE_PYREF or ~/.cache/jointscope/pyref), and Google's own hand pipeline, mediapipe
# ($JOINTSCOPE_MEDIAPIPE or ~/.cache/jointscope/mediapipe). Idempotent.
set -euo pipefail
venv="${JOINTSCOPE_PYREF:-$HOME/.cache/jointscope/pyref}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import ai_edge_litert.interpreter, numpy, onnxruntime, tflite2onnx" 2>/dev/null; then
  echo "setup-reference: $venv is ready"
else
  echo "setup-reference: creating $venv with ai-edge-litert, tflite2onnx and onnxruntime"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "ai-edge-litert==2.3.0" "tflite2onnx==0.4.1" "tflite==2.18.0" "onnx==1.23.2" "onnxruntime==1.31.1" numpy
fi

# Google's own hand pipeline (mediapipe==0.10.21's legacy solution), the reference of the whole
# landmark pipeline on real photos. Its own environment: mediapipe pins protobuf below 5, onnx needs 6.
mp="${JOINTSCOPE_MEDIAPIPE:-$HOME/.cache/jointscope/mediapipe}"
if [ -x "$mp/bin/python" ] && "$mp/bin/python" -c "import mediapipe, PIL" 2>/dev/null; then
  echo "setup-reference: $mp is ready"
else
  echo "setup-reference: creating $mp with mediapipe 0.10.21"
  python3 -m venv "$mp"
  "$mp/bin/python" -m pip install --quiet --disable-pip-version-check "mediapipe==0.10.21" "pillow==11.3.0"
fi
