#!/usr/bin/env bash
# One command that installs, builds and runs every test: the layering check, unit tests (ctest),
# brief fuzzer runs, and the end-to-end suites (pytest with the real kubectl and Python client).
# Missing tools or root fail the tests; the few skips left are counted and explained (ctest: the
# skipped GoogleTest cases; pytest: -rs).
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
python3 scripts/report_skips.py build/Testing/Temporary/LastTest.log
echo "== fuzzers"
scripts/fuzz.sh 10
echo "== end-to-end"
SKIFF_BIN="$PWD/build/skiff" /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider tests/e2e "$@"
