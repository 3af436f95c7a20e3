# Sourced by the scripts that drive a page in Chromium: `serve BIN DIR` starts `jointscope serve DIR`
# on a free port in the background, sets $url to its origin, and stops it when the script exits.
serve() {
  local bin="$1" dir="$2"
  serve_log="$(mktemp)"
  "$bin" serve "$dir" --port 0 > "$serve_log" &
  serve_pid=$!
  trap 'kill $serve_pid 2>/dev/null || true; rm -f "$serve_log"' EXIT
  url=""
  for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$serve_log" | head -1 || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): the server did not start" >&2
  exit 1
}
