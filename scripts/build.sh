#!/usr/bin/env bash
# Configures and builds skiff (and its unit tests) into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache keys on paths relative to the checkout, so every clone (CI's fresh ones too) shares hits.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=true
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build "$@"
