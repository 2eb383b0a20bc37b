#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz/ and runs each for N seconds (default 10).
# Longer runs by hand: build-fuzz/<target> -max_total_time=600 corpus/
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true  # cache hits across clones (see build.sh)
CXX=clang++ CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSKIFF_BUILD_TESTS=OFF -DSKIFF_BUILD_FUZZERS=ON >/dev/null
ninja -C build-fuzz skiff_fuzzers
for f in build-fuzz/fuzz/*_fuzz; do
  echo "fuzzing $(basename "$f") for ${seconds}s"
  # Crash inputs land in build-fuzz/ (not the source tree); a crash fails the run.
  "$f" -max_total_time="$seconds" -artifact_prefix=build-fuzz/ 2>&1 | tail -n 3
done
