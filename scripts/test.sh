#!/usr/bin/env bash
# Runs every test of the workspace (one optimised build shared with the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release --workspace --locked
