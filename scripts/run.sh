#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running single-node skiff cluster: installs
# missing packages, builds, and runs `skiff server` in the foreground. The kubeconfig path is
# printed at start (default data dir /var/lib/skiff; override with SKIFF_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh skiff
exec build/skiff server --data-dir "${SKIFF_DATA_DIR:-/var/lib/skiff}" "$@"
