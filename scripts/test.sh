#!/usr/bin/env bash
# One command that installs, builds and runs every test: the layering check, unit tests (ctest),
# brief fuzzer runs, and the end-to-end suites (pytest with the real kubectl and Python client).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== layering"
python3 scripts/check_layering.py
python3 scripts/check_layering_test.py
echo "== build"
scripts/build.sh
echo "== unit tests"
(cd build && ctest --output-on-failure -j2)
echo "== fuzzers"
scripts/fuzz.sh 10
echo "== end-to-end"
SKIFF_BIN="$PWD/build/skiff" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e "$@"
