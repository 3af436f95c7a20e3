#!/usr/bin/env bash
# Runs every test: the Rust workspace (one optimised build shared with the demo), then the page and
# the npm package in headless Chromium (tests/).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"   # where rustup puts cargo (scripts/setup.sh installs it when missing)
bash scripts/setup.sh
source scripts/node.sh              # Node 20.19+ for the browser tests: the machine's, or Node 22 from PyPI
bash scripts/fetch-models.sh        # MediaPipe's hand models, from PyPI (models/)
bash scripts/setup-reference.sh     # TFLite interpreter + onnxruntime, the references for the burn import
# On a machine without a desktop session the Vulkan loader behind the wgpu tests prints "error:
# XDG_RUNTIME_DIR is invalid or not set" (harmless, but it reads like a failure): give it a private one.
if [ ! -d "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR="$(mktemp -d)"
  export XDG_RUNTIME_DIR
  trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
fi
# Lint first: formatting as rustfmt.toml says, no clippy warning in any target, and ESLint's
# recommended rules on the JavaScript (tests/eslint.config.mjs).
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)
cargo clippy --workspace --all-targets --locked -- -D warnings
(cd tests && npm ci --no-audit --no-fund)
tests/node_modules/.bin/eslint -c tests/eslint.config.mjs web pkg tests
cargo test --release --workspace --locked
# The browser side: both wasm bundles and the page (and the CPU bundle with the benchmarks'
# entries, for their tests), then real headless Chromium against them.
bash scripts/build-web.sh --bench cpu
(cd tests && npm test)
