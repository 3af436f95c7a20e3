#!/usr/bin/env bash
# Speed against the peers, each ratio measured in this one run on this machine, into runs/bench/:
#   training step: burn (flex; wgpu too with --wgpu) vs PyTorch (CPU) on the same batch and architecture,
#   and its layers one by one at the same shapes;
#   hand landmarks: burn (flex) vs onnxruntime and LiteRT on the same inputs.
#   the same landmark model in headless Chromium: our wasm bundles vs onnxruntime-web (scripts/bench-web.sh).
# Usage: scripts/bench.sh [--wgpu] [--no-web]    Prints Markdown tables (also runs/bench/bench.md).
#   --wgpu: also burn's wgpu backend (a GPU, or Mesa's lavapipe where there is none);
#   --no-web: skip the browser part (it builds both wasm bundles when they are missing or stale).
# Installs what it needs: PyTorch from PyPI into ~/.cache/jointscope/pybench (a few GB: PyPI's
# Linux wheel brings the CUDA libraries; it runs on the CPU here), and the reference runtimes.
set -euo pipefail
cd "$(dirname "$0")/.."
wgpu=0 web=1
for arg in "$@"; do
  case "$arg" in
    --wgpu) wgpu=1 ;;
    --no-web) web=0 ;;
    *) echo "usage: scripts/bench.sh [--wgpu] [--no-web]" >&2; exit 2 ;;
  esac
done
export PATH="$HOME/.cargo/bin:$PATH"
out=runs/bench
mkdir -p "$out"
rm -f "$out"/train-*.json "$out"/torch-scale-*.json "$out"/layers-*.json "$out"/layers.md "$out"/gradients.* "$out"/landmarks-*.json "$out"/landmarks-web.md "$out"/detect-hands-*.json
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

# The step with burn's backward and with ours (what training runs), in one process, then PyTorch.
"$bin" bench train --backend flex --json "$out/train-flex.json"
[ "$wgpu" = 1 ] && "$bin" bench train --backend wgpu --steps 3 --json "$out/train-wgpu.json"
"$venv/bin/python" bench/train_step.py --json "$out/train-torch.json"
# How the step scales with the batch (photos of 11 joints) and the threads, each side limited to
# the same number (rayon's pool for burn, PyTorch's intra-op threads).
for threads in 1 2; do
  for images in 4 8 16 32; do
    RAYON_NUM_THREADS=$threads "$bin" bench train --backend flex --images "$images" --steps 5 --json "$out/train-scale-$images-$threads.json" >/dev/null
    "$venv/bin/python" bench/train_step.py --images "$images" --steps 5 --threads "$threads" --json "$out/torch-scale-$images-$threads.json" >/dev/null
  done
done
# The training step's convolutions and group norms one by one, at the step's shapes, vs PyTorch.
"$bin" bench layers --backend flex --json "$out/layers-flex.json" --gradients "$out/gradients.json" >/dev/null
"$venv/bin/python" bench/layers.py "$out/layers-flex.json" > "$out/layers.md"
# Our backward's gradients recomputed by PyTorch on the same values (float32 and float64).
"$venv/bin/python" bench/layers.py --gradients "$out/gradients.json" > "$out/gradients.md"
"$bin" bench landmarks --backend flex --inputs 8 --repeats 5 --inputs-file "$out/landmark-inputs.f32" --json "$out/landmarks-flex.json"
"$ref/bin/python" bench/landmarks_peers.py "$models/hand_landmark_full.tflite" "$out/landmark-inputs.f32" 8 5 "$out/landmarks-peers.json"

# Scaling: wall time and peak memory (GNU time) of whole commands, model loading included:
# detect and evaluate as photos grow; detect (in-process timing too) and evaluate as the joints per
# photo grow; training (1 epoch) and evaluate as the dataset grows 1×, 4×, 16×.
command -v /usr/bin/time >/dev/null || sudo apt-get install -y time >/dev/null 2>&1 || apt-get install -y time >/dev/null
measure() { /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >/dev/null 2>&1 || true; tail -1 "$out/time.txt"; }
weights=runs/demo/export
[ -f "$weights/jointscope.bpk" ] || { "$bin" demo --quick --backend flex --out "$out/quick" --quiet >/dev/null; weights="$out/quick/export"; }
echo "what,size,seconds,peak_kb" > "$out/scaling.csv"
for size in 320 640 1280 2560; do
  d="$out/photos-$size"
  [ -d "$d/images" ] || "$bin" synth --out "$d" --patients 2 --healthy 0 --size "$size" --seed 5 --quiet >/dev/null
  read -r secs kb < <(measure "$bin" detect --weights "$weights" --backend flex $(ls "$d"/images/* | head -4))
  echo "detect 4 photos,$size × $size,$secs,$kb" >> "$out/scaling.csv"
done
for scale in 1 4 16; do
  d="$out/data-$scale"
  [ -d "$d/images" ] || "$bin" synth --out "$d" --patients $((20 * scale)) --healthy 0 --seed 5 --quiet >/dev/null
  rm -rf "$out/run-$scale"
  read -r secs kb < <(measure "$bin" train --manifest "$d/manifest.csv" --run "$out/run-$scale" --epochs 1 --backend flex --quiet)
  echo "train 1 epoch,$((40 * scale)) photos,$secs,$kb" >> "$out/scaling.csv"
  read -r secs kb < <(measure "$bin" evaluate --run "$out/run-$scale" --manifest "$d/manifest.csv" --quiet)
  echo "evaluate,$((40 * scale)) photos × 11 joints,$secs,$kb" >> "$out/scaling.csv"
done
# Joints per photo: the 160 photos of the 4× set with the first 1, 3, 6 or all 11 joints of each
# photo in the manifest (the run trained above), and photos as large as in the detect rows.
for k in 1 3 6 11; do
  awk -F, -v k="$k" 'NR == 1 { print; next } { if (++n[$1] <= k) print }' "$out/data-4/manifest.csv" > "$out/data-4/joints-$k.csv"
  read -r secs kb < <(measure "$bin" evaluate --run "$out/run-4" --manifest "$out/data-4/joints-$k.csv" --quiet)
  echo "evaluate,160 photos × $k joints,$secs,$kb" >> "$out/scaling.csv"
done
for size in 320 1280 2560; do
  read -r secs kb < <(measure "$bin" evaluate --run "$out/run-1" --manifest "$out/photos-$size/manifest.csv" --quiet)
  echo "evaluate 4 photos × 11 joints,$size × $size,$secs,$kb" >> "$out/scaling.csv"
done
# Detection against the hands (so joints) in a photo: 0, 1 or 2 hands side by side, 320 px each.
for hands in 0 1 2; do
  read -r secs kb < <(measure "$bin" bench detect --weights "$weights" --backend flex --hands "$hands" --inputs 8 --repeats 3 --json "$out/detect-hands-$hands.json")
  echo "bench detect (8 photos × 4 runs),$hands hands per photo,$secs,$kb" >> "$out/scaling.csv"
done
if [ "$web" = 1 ]; then
  bash scripts/bench-web.sh 8 5 >/dev/null || echo "bench: the browser part failed (above); the native figures follow" >&2
fi

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
    base = peers[0]["median_ms"] if peers else ours[0]["median_ms"]
    print(f"{title}: {rows[0]['what']}, {rows[0]['config']}\n")
    print(f"| runtime | median ms | per second | time vs {rows[len(ours)]['backend'] if peers else 'burn'} |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['median_ms']:.2f} | {r['items_per_s']:.2f} | {r['median_ms'] / base:.2f}× |")
    print()
scale = [(i, t) for t in (1, 2) for i in (4, 8, 16, 32) if os.path.exists(os.path.join(out, f"train-scale-{i}-{t}.json"))]
if scale:
    print("Training step against the batch and the threads (median of 5 steps after 2 warm-up steps):\n")
    print("| photos | threads | burn, burn's backward ms | burn, ours ms | PyTorch ms | burn's ÷ PyTorch | ours ÷ PyTorch |\n|---|---|---|---|---|---|---|")
    for i, t in scale:
        burn, ours = load(f"train-scale-{i}-{t}.json")
        torch = load(f"torch-scale-{i}-{t}.json")[0]
        print(f"| {i} | {t} | {burn['median_ms']:.1f} | {ours['median_ms']:.1f} | {torch['median_ms']:.1f} | {burn['median_ms'] / torch['median_ms']:.2f}× | {ours['median_ms'] / torch['median_ms']:.2f}× |")
    print()
import csv
rows = list(csv.DictReader(open(os.path.join(out, "scaling.csv"))))
if rows:
    print("Scaling (flex, wall time including model loading; peak resident memory):\n")
    print("| what | size | seconds | peak MB |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['size']} | {float(r['seconds']):.2f} | {int(r['peak_kb']) / 1024:.0f} |")
    print()
hands = [f for h in range(3) for f in load(f"detect-hands-{h}.json")]
if hands:
    print("Detection against the hands in a photo (flex, in-process, median per photo):\n")
    print("| photos | ms per photo | time vs no hand |\n|---|---|---|")
    for f in hands:
        print(f"| {f['config']} | {f['median_ms']:.1f} | {f['median_ms'] / hands[0]['median_ms']:.2f}× |")
    print()
for part in ("layers.md", "gradients.md"):
    if os.path.exists(os.path.join(out, part)):
        print(open(os.path.join(out, part)).read())
web = os.path.join(out, "landmarks-web.md")
if os.path.exists(web):
    print(open(web).read())
PY
