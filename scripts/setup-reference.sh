#!/usr/bin/env bash
# Creates the Python environment holding Google's TFLite interpreter (ai-edge-litert) and onnxruntime with tflite2onnx, the references
# that the burn import of the MediaPipe models is tested against. Idempotent.
# Location: $JOINTSCOPE_PYREF (a venv directory) or ~/.cache/jointscope/pyref.
set -euo pipefail
venv="${JOINTSCOPE_PYREF:-$HOME/.cache/jointscope/pyref}"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import ai_edge_litert.interpreter, numpy, onnxruntime, tflite2onnx" 2>/dev/null; then
  echo "setup-reference: $venv is ready"
  exit 0
fi
echo "setup-reference: creating $venv with ai-edge-litert, tflite2onnx and onnxruntime"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "ai-edge-litert==2.3.0" "tflite2onnx==0.4.1" "tflite==2.18.0" "onnx==1.23.2" "onnxruntime==1.31.1" numpy
