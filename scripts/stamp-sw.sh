#!/usr/bin/env bash
# Stamps a built page's service worker: VERSION becomes a hash of every other file of the page,
# FILES the list to cache on install (all but the WebGPU bundle, cached when first used, and type
# declarations). A page rebuilt with any change is therefore a new service worker with a new cache.
# Usage: scripts/stamp-sw.sh SITE_DIR   (build-web.sh runs it on dist/web)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
site="${1:?usage: scripts/stamp-sw.sh SITE_DIR}"
cd "$site"
version=$(find . -type f ! -name sw.js -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
files=$(find . -type f ! -name sw.js ! -name '*.d.ts' ! -path './pkg/wasm/webgpu/*' | sed 's|^\./||' | LC_ALL=C sort |
  awk 'BEGIN { printf "[\"./\"" } { gsub(/["\\]/, "\\\\&"); printf ", \"%s\"", $0 } END { printf "]" }')
sed -e "s|__VERSION__|$version|" -e "s|__FILES__|$files|" "$root/web/sw.js" > sw.js
echo "stamp-sw: $site/sw.js is version $version"
