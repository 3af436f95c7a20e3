#!/usr/bin/env bash
# Builds the browser side: the two wasm bundles (CPU-only and WebGPU) into pkg/wasm/, the hand
# models into pkg/models/, and the patient page with a set of exported weights into dist/web/.
# Usage: scripts/build-web.sh [export-dir]   (default: runs/demo/export, what `jointscope demo` wrote)
# Installs what it needs: the wasm32 target (rustup) and wasm-bindgen-cli at Cargo.lock's version.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
weights="${1:-runs/demo/export}"
target="${CARGO_TARGET_DIR:-target}"

if command -v rustup >/dev/null 2>&1; then rustup target add wasm32-unknown-unknown >/dev/null 2>&1; fi
bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $bindgen\$"; then
  echo "build-web: installing wasm-bindgen-cli $bindgen (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$bindgen" >/dev/null   # not --locked: see ../shared/PLATFORM.md
fi
models="${JOINTSCOPE_MODELS:-models}"
bash scripts/fetch-models.sh "$models" >/dev/null

for bundle in cpu webgpu; do
  features=()
  [ "$bundle" = webgpu ] && features=(--features webgpu)
  echo "build-web: building the $bundle bundle"
  cargo build --release --locked --target wasm32-unknown-unknown -p jointscope-wasm "${features[@]}"
  raw="$target/wasm32-unknown-unknown/release/jointscope_wasm.wasm"
  # wasm-opt takes minutes on the WebGPU bundle: skip it when cargo's output is what this
  # checkout's bundle in pkg/wasm was made from (the stamp names the checkout: targets can be shared).
  stamp="$target/jointscope-web-$bundle.sha256"
  source_sum="$(sha256sum "$raw" | cut -d' ' -f1) $PWD $(command -v wasm-opt >/dev/null 2>&1 && echo opt || true)"
  if [ -f "pkg/wasm/$bundle/jointscope_wasm_bg.wasm" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$source_sum" ]; then
    echo "build-web: the $bundle bundle is up to date"
    continue
  fi
  work="$(mktemp -d)"
  cp "$raw" "$work/jointscope_wasm.wasm"
  # wasm-opt before wasm-bindgen: Debian's binaryen breaks the module when run after it.
  if command -v wasm-opt >/dev/null 2>&1; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
      "$work/jointscope_wasm.wasm" -o "$work/jointscope_wasm.wasm"
  fi
  rm -rf "pkg/wasm/$bundle"
  wasm-bindgen --target web --out-dir "pkg/wasm/$bundle" "$work/jointscope_wasm.wasm"
  rm -rf "$work"
  echo "$source_sum" > "$stamp"
done

mkdir -p pkg/models
cp "$models"/palm_detection_full.tflite "$models"/hand_landmark_full.tflite "$models"/LICENSE-mediapipe "$models"/NOTICE pkg/models/

rm -rf dist/web
mkdir -p dist/web/pkg dist/web/weights
cp web/* dist/web/
cp -r pkg/index.js pkg/engine.js pkg/worker.js pkg/index.d.ts pkg/wasm pkg/models dist/web/pkg/
if [ -f "$weights/jointscope.bpk" ]; then
  cp "$weights/jointscope.bpk" "$weights/jointscope.json" dist/web/weights/
else
  echo "build-web: no weights in $weights (run \`jointscope demo\` or \`jointscope export\` first); the page will say so" >&2
fi
bash scripts/stamp-sw.sh dist/web
for f in pkg/wasm/*/jointscope_wasm_bg.wasm; do
  printf 'build-web: %s %s bytes (%s gzip)\n' "$f" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done
echo "build-web: the page is in dist/web (serve it with: jointscope serve dist/web)"
