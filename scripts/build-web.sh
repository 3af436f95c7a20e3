#!/usr/bin/env bash
# Builds the browser side: the wasm bundles (CPU-only and WebGPU) into pkg/wasm/, the hand models
# into pkg/models/, and the patient page with a set of exported weights into dist/web/.
# Usage: scripts/build-web.sh [export-dir] [--bundles cpu|webgpu|cpu,webgpu] [--bench cpu|webgpu|cpu,webgpu]
#   export-dir: default runs/demo/export, what `jointscope demo` wrote.
#   --bundles: which bundles to build (default both). With `cpu` the page is assembled with the CPU
#   bundle alone; with `webgpu` alone the WebGPU bundle is built and added to an assembled page
#   (scripts/demo.sh serves the page on the CPU bundle while the WebGPU one builds).
#   --bench: also build these bundles with the benchmarks' entries (feature `bench`: LandmarkModel,
#   profileEncoded) into dist/wasm-bench/, for bench/web and the tests of those entries; the
#   shipped bundles never carry them.
# Installs what it needs: the wasm32 target (rustup) and wasm-bindgen-cli at Cargo.lock's version.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
weights="runs/demo/export"
bundles="cpu webgpu"
bench=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bundles) bundles="${2//,/ }"; shift 2 ;;
    --bundles=*) bundles="${1#--bundles=}"; bundles="${bundles//,/ }"; shift ;;
    --bench) bench="${2//,/ }"; shift 2 ;;
    --bench=*) bench="${1#--bench=}"; bench="${bench//,/ }"; shift ;;
    -*) echo "build-web: unknown option $1" >&2; exit 2 ;;
    *) weights="$1"; shift ;;
  esac
done
for b in $bundles $bench; do
  case "$b" in cpu|webgpu) ;; *) echo "build-web: --bundles and --bench take cpu and/or webgpu, not $b" >&2; exit 2 ;; esac
done
target="${CARGO_TARGET_DIR:-target}"

if command -v rustup >/dev/null 2>&1; then rustup target add wasm32-unknown-unknown >/dev/null 2>&1; fi
bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $bindgen\$"; then
  echo "build-web: installing wasm-bindgen-cli $bindgen (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$bindgen" >/dev/null   # not --locked: a version Cargo.lock pins for it is missing from the registry
fi
models="${JOINTSCOPE_MODELS:-models}"
bash scripts/fetch-models.sh "$models" >/dev/null

# One bundle: `bundle` (cpu or webgpu) with `extra` features (empty, or bench) into folder `out`.
build_bundle() {
  local bundle="$1" extra="$2" out="$3"
  # The WebGPU bundle has its own profile (Cargo.toml's [profile.webgpu]: built for size).
  local profile=release features="$extra"
  if [ "$bundle" = webgpu ]; then profile=webgpu features="webgpu${extra:+,$extra}"; fi
  echo "build-web: building the $bundle bundle${extra:+ ($extra)}"
  cargo build --locked --target wasm32-unknown-unknown -p jointscope-wasm --profile "$profile" --features "$features"
  local raw="$target/wasm32-unknown-unknown/$profile/jointscope_wasm.wasm"
  # wasm-opt takes minutes on the WebGPU bundle: skip it when cargo's output is what this
  # checkout's bundle in `out` was made from (the stamp names the checkout: targets can be shared).
  local stamp="$target/jointscope-web-$bundle${extra:+-$extra}.sha256"
  local source_sum="$(sha256sum "$raw" | cut -d' ' -f1) $PWD $(command -v wasm-opt >/dev/null 2>&1 && echo opt || true)"
  if [ -f "$out/jointscope_wasm_bg.wasm" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$source_sum" ]; then
    echo "build-web: the $bundle bundle${extra:+ ($extra)} is up to date"
    return
  fi
  local work; work="$(mktemp -d)"
  cp "$raw" "$work/jointscope_wasm.wasm"
  # wasm-opt before wasm-bindgen: Debian's binaryen breaks the module when run after it.
  if command -v wasm-opt >/dev/null 2>&1; then
    wasm-opt -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
      "$work/jointscope_wasm.wasm" -o "$work/jointscope_wasm.wasm"
  fi
  rm -rf "$out"
  wasm-bindgen --target web --out-dir "$out" "$work/jointscope_wasm.wasm"
  rm -rf "$work"
  echo "$source_sum" > "$stamp"
}

for bundle in $bundles; do build_bundle "$bundle" "" "pkg/wasm/$bundle"; done
for bundle in $bench; do build_bundle "$bundle" bench "dist/wasm-bench/$bundle"; done

mkdir -p pkg/models
cp "$models"/palm_detection_full.tflite "$models"/hand_landmark_full.tflite "$models"/LICENSE-mediapipe "$models"/NOTICE pkg/models/

if [ "$bundles" = webgpu ] && [ -d dist/web/pkg ]; then
  # Add the WebGPU bundle to the page already assembled (and maybe being served).
  rm -rf dist/web/pkg/wasm/webgpu.tmp
  cp -r pkg/wasm/webgpu dist/web/pkg/wasm/webgpu.tmp
  rm -rf dist/web/pkg/wasm/webgpu
  mv dist/web/pkg/wasm/webgpu.tmp dist/web/pkg/wasm/webgpu
else
  rm -rf dist/web
  mkdir -p dist/web/pkg/wasm dist/web/weights
  cp web/* dist/web/
  cp pkg/*.js pkg/index.d.ts dist/web/pkg/   # the package's modules, whatever they are
  cp -r pkg/models dist/web/pkg/
  for bundle in $bundles; do cp -r "pkg/wasm/$bundle" dist/web/pkg/wasm/; done
  if [ -f "$weights/jointscope.bpk" ]; then
    cp "$weights/jointscope.bpk" "$weights/jointscope.json" dist/web/weights/
  else
    echo "build-web: no weights in $weights (run \`jointscope demo\` or \`jointscope export\` first); the page will say so" >&2
  fi
fi
bash scripts/stamp-sw.sh dist/web
for bundle in $bundles; do
  f="pkg/wasm/$bundle/jointscope_wasm_bg.wasm"
  printf 'build-web: %s %s bytes (%s gzip)\n' "$f" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done
echo "build-web: the page is in dist/web (serve it with: jointscope serve dist/web)"
