#!/usr/bin/env bash
# Installs what building and testing jointscope needs on a fresh Debian/Ubuntu machine.
# Idempotent: each step is skipped when already done.
set -euo pipefail

need_apt=()
# Mesa's lavapipe: a software Vulkan driver, so the wgpu backend (and its parity test) runs without a GPU.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 || ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  need_apt+=(mesa-vulkan-drivers libvulkan1)
fi
if ! command -v cc >/dev/null 2>&1; then need_apt+=(build-essential); fi
if ! command -v pkg-config >/dev/null 2>&1; then need_apt+=(pkg-config); fi
if ! command -v cargo >/dev/null 2>&1 && ! command -v curl >/dev/null 2>&1; then need_apt+=(curl ca-certificates); fi
# The browser side: Chromium (headless, with SwiftShader for WebGPU) drives the end-to-end tests
# through npm's playwright-core; binaryen's wasm-opt shrinks the wasm bundles.
if ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); fi
# (Node.js for the browser tests comes from scripts/node.sh: the distributions' is too old for Vite 8.)
if ! command -v wasm-opt >/dev/null 2>&1; then need_apt+=(binaryen); fi
# Python with pip and venv: fetches the MediaPipe models from PyPI and holds the reference runtimes.
if ! command -v python3 >/dev/null 2>&1; then need_apt+=(python3); fi
if ! python3 -m pip --version >/dev/null 2>&1; then need_apt+=(python3-pip); fi
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then need_apt+=(python3-venv); fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install: ${need_apt[*]} (needs root)" >&2
    exit 1
  fi
fi

# Rust through rustup when there is none (callers put ~/.cargo/bin on PATH first).
if ! command -v cargo >/dev/null 2>&1; then
  if command -v curl >/dev/null 2>&1; then
    echo "setup: installing Rust (stable) with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable >/dev/null
  else
    echo "setup: Rust is missing and curl is not there to fetch rustup; install Rust 1.95 or newer (https://rustup.rs)" >&2
    exit 1
  fi
fi
# rustfmt and clippy, which the test command runs (the minimal profile leaves them out).
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  if command -v rustup >/dev/null 2>&1; then
    echo "setup: adding rustfmt and clippy with rustup"
    rustup component add rustfmt clippy >/dev/null
  else
    echo "setup: cargo fmt and cargo clippy are missing; install the rustfmt and clippy components" >&2
    exit 1
  fi
fi
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "${rust_minor:-0}" -lt 95 ]; then
  if command -v rustup >/dev/null 2>&1; then
    echo "setup: Rust 1.$rust_minor is too old (burn 0.22 needs 1.95); updating stable with rustup"
    rustup update stable >/dev/null
  else
    echo "setup: Rust 1.$rust_minor is too old; burn 0.22 needs 1.95 or newer" >&2
    exit 1
  fi
fi
