#!/usr/bin/env bash
# Runs every test: the Rust workspace (one optimised build shared with the demo), then the page and
# the npm package in headless Chromium (tests/).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"   # where rustup puts cargo (scripts/setup.sh installs it when missing)
bash scripts/setup.sh
# The browser tests build an app with Vite 8, which needs Node 20.19 or newer: say so before hours of building.
node_version=$(node -p 'process.versions.node')
IFS=. read -r node_major node_minor _ <<< "$node_version"
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  echo "test: Node $node_version is too old; the browser tests need Node 20.19 or newer (Debian 12's nodejs is 18: install a newer one, e.g. from NodeSource or with nvm)" >&2
  exit 1
fi
bash scripts/fetch-models.sh        # MediaPipe's hand models, from PyPI (models/)
bash scripts/setup-reference.sh     # TFLite interpreter + onnxruntime, the references for the burn import
cargo test --release --workspace --locked
# The browser side: both wasm bundles and the page, then real headless Chromium against them.
bash scripts/build-web.sh
(cd tests && npm ci --no-audit --no-fund && npm test)
