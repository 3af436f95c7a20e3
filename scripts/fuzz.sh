#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a fixed budget and writes fuzz/results.md.
# Usage: scripts/fuzz.sh [seconds per target] [target[:seconds] ...]   (default: 120 s; all four
# targets; `detect:3600` gives one target its own budget)
# Installs what it needs: the nightly toolchain (rustup) and cargo-fuzz. Seeds each corpus
# (fuzz/corpus/<target>) from the synthetic generator plus hand-made bad files; keeps what the
# fuzzer adds, so later runs start from there. Crashes land in fuzz/artifacts/<target>/.
# Not part of test.sh: the sanitizer build of burn alone takes ~20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
budget="${1:-120}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(image_decode manifest weights detect)

# An installed nightly is kept as it is: updating it would rebuild burn with the sanitizer (~10 min).
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
models="${JOINTSCOPE_MODELS:-$PWD/models}"
bash scripts/fetch-models.sh "$models" >/dev/null
export JOINTSCOPE_MODELS="$models"

# Seeds: a small synthetic benchmark and a quick exported model (its weights are small).
seed=fuzz/seed
if [ ! -f "$seed/export/jointscope.bpk" ]; then
  # The binary the test command or the demo built, where there is one.
  bin="${CARGO_TARGET_DIR:-target}/release/jointscope"
  [ -x "$bin" ] || cargo build --release --locked -p jointscope-trainer
  rm -rf "$seed"
  "$bin" demo --quick --backend flex --out "$seed" --quiet >/dev/null
fi
export JOINTSCOPE_FUZZ_WEIGHTS="$PWD/$seed/export"
python3 - "$seed" <<'PY'
import os, struct, sys, zlib, glob
seed = sys.argv[1]
def put(target, name, data):
    d = os.path.join("fuzz/corpus", target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "seed-" + name), "wb").write(data)
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
def png(w, h, raw=None, bad_crc=False):
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    raw = raw if raw is not None else zlib.compress(b"".join(b"\0" + b"\x80" * (3 * w) for _ in range(min(h, 64))))
    c = chunk(b"IHDR", ihdr)
    if bad_crc: c = c[:-1] + bytes([c[-1] ^ 1])
    return b"\x89PNG\r\n\x1a\n" + c + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
photos = sorted(glob.glob(os.path.join(seed, "data/images/*")))[:4]
bad = {
    "empty": b"", "text.jpg": b"this is not a photo\n", "tiny.png": png(1, 1), "small.png": png(40, 40),
    "bomb.png": png(60000, 60000, zlib.compress(b"\0" * (1 << 20))), "wide.png": png(20000, 32),
    "badcrc.png": png(40, 40, bad_crc=True), "soi-only.jpg": b"\xff\xd8\xff\xd9",
}
for p in photos:
    b = open(p, "rb").read()
    for t in ("image_decode", "detect"):
        put(t, os.path.basename(p), b)
    bad["truncated-" + os.path.basename(p)] = b[: len(b) // 3]
for n, b in bad.items():
    put("image_decode", n, b); put("detect", n, b)
put("detect", "rgba", b"RGBA" + struct.pack("<H", 64) + bytes([200, 150, 120, 255]) * 64 * 64)
lines = open(os.path.join(seed, "data/manifest.csv"), "rb").read().splitlines()
put("manifest", "real.csv", b"\n".join(lines[:40]) + b"\n")
put("manifest", "a.csv", b"image,patient_id,hand,view,joint,label,x,y\na.png,p1,L,dorsal,MCP2,1,10,12\na.png,p1,L,dorsal,PIP3,unknown,,\n")
put("manifest", "bad.csv", b"image,patient_id,hand,view,joint,label,x,y\na.png,,X,side,MCP9,2,1e40,\n\"a.png,p1\nb.png,p2,R,palmar,WRIST,0,5,5\n")
put("manifest", "noheader.csv", b"\xef\xbb\xbfimage;patient\n")
sidecar = open(os.path.join(seed, "export/jointscope.json"), "rb").read()
weights = open(os.path.join(seed, "export/jointscope.bpk"), "rb").read()
put("weights", "export", b"\0" + sidecar + b"\0" + weights)
put("weights", "burnpack", b"\1" + weights)
put("weights", "burnpack-truncated", b"\1" + weights[: len(weights) // 2])
put("weights", "sidecar-only", b"\0" + sidecar)
put("weights", "tflite-header", b"\2" + open(os.path.join(os.environ["JOINTSCOPE_MODELS"], "hand_landmark_lite.tflite"), "rb").read()[:4096])
PY

echo "fuzz: building the targets (nightly, address sanitizer)"
cargo +nightly fuzz build -O

results="${FUZZ_RESULTS:-fuzz/results.md}"   # another file for a second run beside this one
{
  echo "# Fuzzing: $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
  echo
  echo "| target | seconds | executions | exec/s | corpus (files) | peak RSS (MB) | crashes |"
  echo "|---|---|---|---|---|---|---|"
} > "$results"
failed=0
for spec in "${targets[@]}"; do
  t="${spec%%:*}"
  seconds="$budget"
  [ "$spec" != "$t" ] && seconds="${spec#*:}"
  log="fuzz/artifacts/$t.$$.log"   # this run's own: a second run beside it has another
  mkdir -p "fuzz/artifacts/$t"
  before=$(ls "fuzz/artifacts/$t" | grep -c '^crash-\|^oom-\|^timeout-' || true)
  echo "fuzz: $t for ${seconds} s"
  set +e
  cargo +nightly fuzz run -O "$t" -- -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 -timeout=120 \
    -malloc_limit_mb=4096 > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  files=$(ls "fuzz/corpus/$t" | wc -l)
  after=$(ls "fuzz/artifacts/$t" | grep -c '^crash-\|^oom-\|^timeout-' || true)
  crashes=$((after - before))
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes="exit $rc (see $log)"
  [ "$rc" -ne 0 ] && failed=1
  echo "| $t | $seconds | $execs | $((execs / seconds)) | $files | $rss | $crashes |" >> "$results"
done
cat "$results"
exit $failed
