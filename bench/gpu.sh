#!/usr/bin/env bash
# GPU figures on a machine that has a GPU but no Rust toolchain: a prebuilt `jointscope` binary and
# the python3 that holds PyTorch (with CUDA). burn wgpu vs flex, PyTorch CUDA vs CPU, same model and
# batches as scripts/bench.sh; landmarks and whole detection on wgpu vs flex.
# Usage: bench/gpu.sh JOINTSCOPE_BIN OUT_DIR [WEIGHTS_DIR]   (models from $JOINTSCOPE_MODELS)
# STEPS (default 10): timed training steps. BUDGET_S (default 3600): the whole script's time; each
# command also has its own limit, so one that hangs (a driver, a shader compile) costs the rest
# little, and commands are ordered by importance. The log says what ran out of time (rc 124).
set -uo pipefail
bin=$1 out=$2 weights=${3:-runs/demo/export}
steps=${STEPS:-10} budget=${BUDGET_S:-3600}
start=$(date +%s)
mkdir -p "$out"
run() { # NAME LIMIT_S COMMAND...: time one command, keep its output, never stop the script
  local name=$1 limit=$2; shift 2
  local left=$((budget - ($(date +%s) - start) - 5))
  (( left < limit )) && limit=$left
  if (( limit < 5 )); then printf '%-28s skipped (budget spent)\n' "$name"; return; fi
  local t0=$(date +%s.%N)
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  printf '%-28s rc=%-3s %6.1f s  %s\n' "$name" "$rc" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$(tail -1 "$out/$name.log")"
}
train() { # IMAGES
  run "train-wgpu-$1" 150 "$bin" bench train --backend wgpu --quiet --images "$1" --steps "$steps" --json "$out/train-wgpu-$1.json"
  run "train-torch-cuda-$1" 60 python3 bench/train_step.py --device cuda --images "$1" --steps "$steps" --json "$out/train-torch-cuda-$1.json"
  run "train-flex-$1" 90 "$bin" bench train --backend flex --quiet --images "$1" --steps "$steps" --json "$out/train-flex-$1.json"
  run "train-torch-cpu-$1" 60 python3 bench/train_step.py --device cpu --images "$1" --steps "$steps" --json "$out/train-torch-cpu-$1.json"
}
train 8
for backend in wgpu flex; do
  run "landmarks-$backend" 60 "$bin" bench landmarks --backend "$backend" --quiet --inputs 8 --repeats 5 --inputs-file "$out/landmark-inputs.f32" --json "$out/landmarks-$backend.json"
  run "detect-$backend" 60 "$bin" bench detect --backend "$backend" --quiet --weights "$weights" --hands 1 --inputs 8 --repeats 3 --json "$out/detect-$backend.json"
done
train 64
run profile-wgpu 90 "$bin" bench profile --backend wgpu --quiet --steps "$steps"
