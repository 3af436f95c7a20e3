#!/usr/bin/env bash
# The main job on the embedded default, start to finish: the synthetic benchmark is generated, a
# global–local model trained, evaluated and exported (`jointscope demo`, everything in runs/demo/),
# then the patient page is built with those weights (dist/web/) and served on
# http://127.0.0.1:8080/ (PORT=… to change) as soon as its CPU bundle is ready. The WebGPU bundle
# is built after that, while the page is already served, and added to it when done (the page uses
# it on machines with a hardware GPU from the next load on); WEBGPU=0 skips it. Arguments go to
# `jointscope demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
# MediaPipe's hand models before `demo`: its export summarises the training photos in MediaPipe's
# features, which the page uses to refuse photos unlike them (without the models it warns and skips).
bash scripts/fetch-models.sh
cargo run --release --locked --bin jointscope -- demo "$@"
bash scripts/build-web.sh runs/demo/export --bundles cpu
"${CARGO_TARGET_DIR:-target}/release/jointscope" serve dist/web --port "${PORT:-8080}" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT INT TERM
if [ "${WEBGPU:-1}" != 0 ]; then
  sleep 1
  echo "demo: the page is served on the CPU bundle; now building the WebGPU bundle (about 15 minutes on 2 cores)."
  if bash scripts/build-web.sh runs/demo/export --bundles webgpu; then
    echo "demo: the WebGPU bundle is in the page: reload it to use a hardware GPU, if this machine has one."
  else
    echo "demo: the WebGPU bundle failed to build; the page keeps working on the CPU." >&2
  fi
fi
wait $server
