#!/usr/bin/env bash
# Speed against the peers, each ratio measured in this one run on this machine, into runs/bench/:
#   training step: burn (flex; wgpu too with --wgpu) vs PyTorch (CPU) on the same batch and architecture;
#   hand landmarks: burn (flex) vs onnxruntime and LiteRT on the same inputs.
# Usage: scripts/bench.sh [--wgpu]    Prints a Markdown table (also runs/bench/bench.md).
# Installs what it needs: PyTorch from PyPI into ~/.cache/jointscope/pybench (a few GB: PyPI's
# Linux wheel brings the CUDA libraries; it runs on the CPU here), and the reference runtimes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=runs/bench
mkdir -p "$out"
venv="${JOINTSCOPE_PYBENCH:-$HOME/.cache/jointscope/pybench}"
if ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "torch==2.9.1" numpy
fi
bash scripts/setup-reference.sh >/dev/null
ref="${JOINTSCOPE_PYREF:-$HOME/.cache/jointscope/pyref}"
models="${JOINTSCOPE_MODELS:-$PWD/models}"
bash scripts/fetch-models.sh "$models" >/dev/null
export JOINTSCOPE_MODELS="$models"
cargo build --release --locked -p jointscope-trainer
bin="${CARGO_TARGET_DIR:-target}/release/jointscope"

"$bin" bench train --backend flex --json "$out/train-flex.json"
[ "${1:-}" = "--wgpu" ] && "$bin" bench train --backend wgpu --json "$out/train-wgpu.json"
"$venv/bin/python" bench/train_step.py --json "$out/train-torch.json"
"$bin" bench landmarks --backend flex --inputs 8 --repeats 5 --inputs-file "$out/landmark-inputs.f32" --json "$out/landmarks-flex.json"
"$ref/bin/python" bench/landmarks_peers.py "$models/hand_landmark_full.tflite" "$out/landmark-inputs.f32" 8 5 "$out/landmarks-peers.json"

# Scaling: wall time and peak memory (GNU time) of detect as photos grow, and of training
# (1 epoch) and evaluate as the dataset grows 1×, 4×, 16×.
command -v /usr/bin/time >/dev/null || sudo apt-get install -y time >/dev/null 2>&1 || apt-get install -y time >/dev/null
measure() { /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>&1 || true; tail -1 "$out/time.txt"; }
weights=runs/demo/export
[ -f "$weights/jointscope.bpk" ] || { "$bin" demo --quick --backend flex --out "$out/quick" --quiet >/dev/null; weights="$out/quick/export"; }
echo "what,size,seconds,peak_kb" > "$out/scaling.csv"
for size in 320 640 1280 2560; do
  d="$out/photos-$size"
  [ -d "$d/images" ] || "$bin" synth --out "$d" --patients 2 --healthy 0 --size "$size" --seed 5 --quiet >/dev/null
  read -r secs kb < <(measure "$bin" detect --weights "$weights" --backend flex $(ls "$d"/images/* | head -4))
  echo "detect 4 photos,$size,$secs,$kb" >> "$out/scaling.csv"
done
for scale in 1 4 16; do
  d="$out/data-$scale"
  [ -d "$d/images" ] || "$bin" synth --out "$d" --patients $((20 * scale)) --healthy 0 --seed 5 --quiet >/dev/null
  rm -rf "$out/run-$scale"
  read -r secs kb < <(measure "$bin" train --manifest "$d/manifest.csv" --run "$out/run-$scale" --epochs 1 --backend flex --quiet)
  echo "train 1 epoch,$((40 * scale)) photos,$secs,$kb" >> "$out/scaling.csv"
  read -r secs kb < <(measure "$bin" evaluate --run "$out/run-$scale" --quiet)
  echo "evaluate,$((40 * scale)) photos,$secs,$kb" >> "$out/scaling.csv"
done

python3 - "$out" <<'PY' | tee "$out/bench.md"
import json, glob, os, platform, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, name)
    if not os.path.exists(p): return []
    v = json.load(open(p)); return v if isinstance(v, list) else [v]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"Machine: {cpu}, {os.cpu_count()} cores.\n")
for title, ours, peers in [("Training step", load("train-flex.json") + load("train-wgpu.json"), load("train-torch.json")),
                           ("Hand landmarks", load("landmarks-flex.json"), load("landmarks-peers.json"))]:
    rows = ours + peers
    if not rows: continue
    base = ours[0]["median_ms"]
    print(f"{title}: {rows[0]['what']}, {rows[0]['config']}\n")
    print("| runtime | median ms | per second | time vs burn flex |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['median_ms']:.2f} | {r['items_per_s']:.2f} | {r['median_ms'] / base:.2f}× |")
    print()
import csv
rows = list(csv.DictReader(open(os.path.join(out, "scaling.csv"))))
if rows:
    print("Scaling (flex, wall time including model loading; peak resident memory):\n")
    print("| what | size | seconds | peak MB |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['size']} | {float(r['seconds']):.2f} | {int(r['peak_kb']) / 1024:.0f} |")
PY
