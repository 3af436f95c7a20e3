#!/usr/bin/env bash
# The hand-landmark model in headless Chromium: our CPU and WebGPU bundles (burn) against
# onnxruntime-web (npm; wasm and WebGPU) in the same page on the same inputs (bench/web); then a
# whole detection in the CPU bundle stage by stage against the same photos natively; then the
# camera's capture check, video mode against whole detections, at 640 × 480 and 1 280 × 720.
# Usage: scripts/bench-web.sh [COUNT] [REPEATS]   Prints Markdown tables, writes
# runs/bench/landmarks-web.json, runs/bench/stages-web.json and runs/bench/video-web.json.
# The detection uses the weights in $JOINTSCOPE_WEIGHTS (default runs/demo/export).
# Builds the bundles (scripts/build-web.sh); needs Chromium (/usr/bin/chromium or
# $CHROMIUM), and the ONNX conversion of the model (scripts/setup-reference.sh's environment makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/node.sh   # Node 20.19+ (the machine's, or Node 22 from PyPI)
count="${1:-8}"
repeats="${2:-5}"
out=runs/bench
mkdir -p "$out"
models="${JOINTSCOPE_MODELS:-$PWD/models}"
bash scripts/fetch-models.sh "$models" >/dev/null
bash scripts/setup-reference.sh >/dev/null
ref="${JOINTSCOPE_PYREF:-$HOME/.cache/jointscope/pyref}"
onnx="$models/reference/hand_landmark_full.tflite.onnx"
# tflite2onnx converts the file on first use (the same conversion the native peers run).
[ -f "$onnx" ] || (cd scripts && "$ref/bin/python" -c "import sys, tflite_reference; tflite_reference.onnx(sys.argv[1])" "$models/hand_landmark_full.tflite")
bash scripts/build-web.sh --bench cpu,webgpu   # with the bundles carrying the benchmarks' entries (skipping what is already built from the same code)
cargo build --release --locked -p jointscope-trainer
bin="${CARGO_TARGET_DIR:-target}/release/jointscope"
(cd bench && npm ci --no-audit --no-fund --loglevel=error)

weights="${JOINTSCOPE_WEIGHTS:-runs/demo/export}"
# Photos with one hand each, of three sizes (tests/data/real-hands/NOTICE.md).
photos=(11k_f_d.jpg 11k_m_p.jpg mp_hand_thumb_up.jpg mp_hand_landmarker_test.jpg)

site=dist/bench-web
rm -rf "$site"
mkdir -p "$site/models" "$site/ort" "$site/weights" "$site/photos"
cp bench/web/* "$site/"
cp -r dist/wasm-bench "$site/wasm"
cp -r dist/web/pkg "$site/pkg"   # the package as the page ships it, for the camera's video-mode bench
cp "$weights/jointscope.json" "$weights/jointscope.bpk" "$site/weights/"
for p in "${photos[@]}"; do cp "tests/data/real-hands/$p" "$site/photos/"; done
cp "$models/palm_detection_full.tflite" "$models/hand_landmark_full.tflite" "$site/models/"
cp "$onnx" "$site/models/hand_landmark_full.onnx"
ortdist=bench/node_modules/onnxruntime-web/dist
cp "$ortdist/ort.min.mjs" "$ortdist/ort-wasm-simd-threaded.jsep.mjs" "$ortdist/ort-wasm-simd-threaded.jsep.wasm" "$site/ort/"

source scripts/serve-lib.sh
serve "$bin" "$site"
node bench/landmarks_web.mjs "$url" "$out/landmarks-web.json" "$count" "$repeats" | tee "$out/landmarks-web.md"
"$bin" bench detect --quiet --weights "$weights" --models "$models" --repeats "$repeats" \
  $(printf -- '--photo tests/data/real-hands/%s ' "${photos[@]}") --json "$out/stages-native.json" > /dev/null
node bench/stages_web.mjs "$url" "$out/stages-native.json" "$out/stages-web.json" "$repeats" "${photos[@]}" | tee "$out/stages-web.md"
node bench/video_web.mjs "$url" "$out/video-web.json" 30 tests/data/real-hands/11k_f_d.jpg | tee "$out/video-web.md"
