#!/usr/bin/env bash
# Runs every test of the workspace (one optimised build shared with the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"   # where rustup puts cargo (scripts/setup.sh installs it when missing)
bash scripts/setup.sh
bash scripts/fetch-models.sh        # MediaPipe's hand models, from PyPI (models/)
bash scripts/setup-reference.sh     # TFLite interpreter + onnxruntime, the references for the burn import
cargo test --release --workspace --locked
