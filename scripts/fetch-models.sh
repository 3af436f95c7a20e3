#!/usr/bin/env bash
# Fetches MediaPipe's hand models (Apache-2.0) from the PyPI package mediapipe==0.10.21 — the last
# wheel that ships the .tflite files — and keeps only the four model files plus the licence notice.
# Idempotent: files whose checksums already match are not fetched again.
# Usage: scripts/fetch-models.sh [dest]   (default: $JOINTSCOPE_MODELS or models/ in the repository)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-${JOINTSCOPE_MODELS:-$root/models}}"
mkdir -p "$dest"

# sha256 of the files inside mediapipe-0.10.21 (identical in every platform's wheel).
declare -A SHA=(
  [hand_landmark_full.tflite]=11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3
  [hand_landmark_lite.tflite]=048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6
  [palm_detection_full.tflite]=1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54
  [palm_detection_lite.tflite]=e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18
)

ok=1
for f in "${!SHA[@]}"; do
  if [ ! -f "$dest/$f" ] || [ "$(sha256sum "$dest/$f" | cut -d' ' -f1)" != "${SHA[$f]}" ]; then ok=0; fi
done
if [ $ok = 1 ] && [ -f "$dest/LICENSE-mediapipe" ]; then
  echo "fetch-models: models in $dest are up to date"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading mediapipe==0.10.21 from PyPI (36 MB)"
# Any platform's wheel holds the same model files; ask for one explicitly so the local Python version
# does not matter.
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp \
  mediapipe==0.10.21 -d "$tmp"
wheel="$(ls "$tmp"/mediapipe-0.10.21-*.whl)"
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
want = {
    "mediapipe/modules/hand_landmark/hand_landmark_full.tflite": "hand_landmark_full.tflite",
    "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite": "hand_landmark_lite.tflite",
    "mediapipe/modules/palm_detection/palm_detection_full.tflite": "palm_detection_full.tflite",
    "mediapipe/modules/palm_detection/palm_detection_lite.tflite": "palm_detection_lite.tflite",
    "mediapipe-0.10.21.dist-info/LICENSE": "LICENSE-mediapipe",
}
with zipfile.ZipFile(wheel) as z:
    for src, name in want.items():
        tmp = os.path.join(dest, name + ".part")
        with z.open(src) as r, open(tmp, "wb") as w:
            w.write(r.read())
        os.replace(tmp, os.path.join(dest, name))
PY
for f in "${!SHA[@]}"; do
  got="$(sha256sum "$dest/$f" | cut -d' ' -f1)"
  if [ "$got" != "${SHA[$f]}" ]; then
    echo "fetch-models: $f has sha256 $got, expected ${SHA[$f]}" >&2
    exit 1
  fi
done
cat > "$dest/NOTICE" <<'TXT'
The .tflite files in this folder are MediaPipe's hand models (palm detection, hand landmarks),
Copyright Google LLC, licensed under the Apache License 2.0 (see LICENSE-mediapipe). They were taken
unmodified from the PyPI package mediapipe==0.10.21 by scripts/fetch-models.sh.
Model card: https://storage.googleapis.com/mediapipe-assets/Model%20Card%20Hand%20Tracking%20(Lite_Full)%20with%20Fairness%20Oct%202021.pdf
TXT
echo "fetch-models: wrote models to $dest"
