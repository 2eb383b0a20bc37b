#!/usr/bin/env python3
"""Fails when an #include runs up the layers of design.md (lower layers never include higher ones)."""
import pathlib
import re
import sys

LAYERS = ["base", "api", "storage", "apiserver", "client", "controllers", "scheduler", "agent", "sim", "cmd"]
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')

root = pathlib.Path(__file__).resolve().parent.parent / "src"
bad = []
for path in sorted(root.rglob("*")):
    if path.suffix not in (".h", ".cc"):
        continue
    layer = path.relative_to(root).parts[0]
    if layer not in RANK:
        bad.append(f"{path}: folder '{layer}' is not a known layer")
        continue
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        m = INCLUDE.match(line)
        if m and m.group(1) in RANK and RANK[m.group(1)] > RANK[layer]:
            bad.append(f"{path.relative_to(root.parent)}:{n}: {layer} must not include {m.group(1)}/")
if bad:
    print("layering violations:\n" + "\n".join(bad))
    sys.exit(1)
print("layering ok")
