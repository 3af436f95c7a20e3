#!/usr/bin/env bash
# The main job on the embedded default, start to finish: the synthetic benchmark is generated, a
# global–local model trained, evaluated and exported (`jointscope demo`, everything in runs/demo/),
# then the browser bundles and the patient page are built with those weights (dist/web/) and served
# on http://127.0.0.1:8080/ (PORT=… to change). Arguments go to `jointscope demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
cargo run --release --locked --bin jointscope -- demo "$@"
bash scripts/build-web.sh runs/demo/export
exec "${CARGO_TARGET_DIR:-target}/release/jointscope" serve dist/web --port "${PORT:-8080}"
