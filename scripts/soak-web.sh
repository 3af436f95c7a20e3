#!/usr/bin/env bash
# The patient page through a long session in headless Chromium (bench/soak_web.mjs): N photos in one
# tab (the committed real photos, the demo's drawn photos, every tenth a 12-megapixel one), then S
# seconds of the live camera's check, with the memory after every 50 photos; then one photo of 1 to
# 48 megapixels per fresh tab. Prints Markdown tables, writes runs/bench/soak-web.json.
# Usage: scripts/soak-web.sh [N] [S]   (default 300 photos, 120 s). Needs the page built with the
# demo's weights (scripts/demo.sh, or scripts/build-web.sh after `jointscope demo`) and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node.sh
n="${1:-300}"
secs="${2:-120}"
[ -f dist/web/weights/jointscope.bpk ] || { echo "soak-web: build the page first (scripts/demo.sh or scripts/build-web.sh)" >&2; exit 1; }
[ -d runs/demo/data/images ] || { echo "soak-web: the demo's drawn photos are missing (run jointscope demo)" >&2; exit 1; }
bin="${CARGO_TARGET_DIR:-target}/release/jointscope"
(cd bench && npm ci --no-audit --no-fund --loglevel=error)
mkdir -p runs/bench
source scripts/serve-lib.sh
serve "$bin" dist/web
real=(11k_f_d.jpg 11k_m_p.jpg mp_hand_thumb_up.jpg mp_hand_landmarker_test.jpg 11k_f_p.jpg)
drawn=(runs/demo/data/images/*.jpg)
drawn=("${drawn[@]:0:5}")
node bench/soak_web.mjs "$url" runs/bench/soak-web.json "$n" "$secs" $(printf -- 'tests/data/real-hands/%s ' "${real[@]}") "${drawn[@]}" | tee runs/bench/soak-web.md
