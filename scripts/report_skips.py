#!/usr/bin/env python3
"""Prints how many GoogleTest cases the last ctest run skipped (GTEST_SKIP) and why, from
build/Testing/Temporary/LastTest.log: ctest counts a test binary with skipped cases as passed."""
import pathlib
import re
import sys

log = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/Testing/Temporary/LastTest.log")
if not log.exists():
    sys.exit(f"no ctest log at {log}")
lines = log.read_text(errors="replace").splitlines()
skipped = []
for i, line in enumerate(lines):
    m = re.match(r"\[  SKIPPED \] (\S+) \(\d+ ms\)", line)
    if not m:
        continue
    # GoogleTest prints "<file>:<line>: Skipped" and the reason between RUN and SKIPPED.
    reason = ""
    for j in range(i - 1, max(i - 20, -1), -1):
        if lines[j].startswith("[ RUN      ]"):
            break
        if lines[j].endswith(": Skipped"):
            reason = " ".join(l.strip() for l in lines[j + 1:i] if l.strip())
            break
    skipped.append((m.group(1), reason))
print(f"unit tests skipped: {len(skipped)}")
for name, reason in skipped:
    print(f"  {name}: {reason or '(no reason given)'}")
