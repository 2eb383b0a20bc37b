#!/usr/bin/env python3
"""Fails when a dependency runs up the layers of design.md (lower layers never use higher ones).

Three checks over src/:
  * includes: no .h/.cc file includes a header of a higher layer;
  * targets: no library target (skiff_library(NAME DEPS ...), add_library + target_link_libraries
    in src/**/CMakeLists.txt) links a library target of a higher layer;
  * cycles: no library target links itself through others, even within one layer (a plug-in
    library and the API server linking each other: give the plug-in an interface instead).
A file or target belongs to the longest layer path that holds it ("client/rest" before "client").
Tests (*_test.cc, *_test targets) may also use the test helpers (a layer's testing/ folder) of
their own layer. `--root DIR` checks another tree (the self-test uses it).
"""
import argparse
import pathlib
import re
import sys

# Lowest first. http is the HTTP(S) transport and PKI that the API server, the agent's kubelet
# endpoint and the sim share. The client kit sits below the API server; its in-process
# implementation (and the in-memory API server for tests) sit above it, the REST implementation below it.
# RBAC's policy logic (apiserver/rbac) sits below the rest of the API server, which feeds it and asks it.
LAYERS = ["base", "api", "http", "storage", "client", "client/rest", "apiserver/rbac", "apiserver", "client/inprocess", "client/testing",
          "controllers", "scheduler", "agent", "sim", "cmd"]
RANK = {name: i for i, name in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_/]+)/[^"/]+"')
CALL = re.compile(r"\b(skiff_library|add_library|target_link_libraries)\s*\(([^)]*)\)", re.S)
LINK_KEYWORDS = {"PUBLIC", "PRIVATE", "INTERFACE", "DEPS", "STATIC", "SHARED", "OBJECT"}


def layer_of(path):
    """The longest layer that is a prefix of a folder path relative to src/ (None if none)."""
    parts = path.split("/")
    for n in range(len(parts), 0, -1):
        candidate = "/".join(parts[:n])
        if candidate in RANK:
            return candidate
    return None


def test_helper_layer(folder):
    """For tests: a layer's testing/ helpers count as that layer."""
    parts = folder.split("/")
    if "testing" in parts:
        parts = parts[: parts.index("testing")]
    return layer_of("/".join(parts)) if parts else None


def check_includes(root):
    bad = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        rel = path.relative_to(root)
        layer = layer_of(rel.parent.as_posix())
        if layer is None:
            bad.append(f"{rel}: folder '{rel.parts[0]}' is not a known layer")
            continue
        is_test = path.name.endswith("_test.cc")
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = layer_of(m.group(1))
            if target is None or RANK[target] <= RANK[layer]:
                continue
            if is_test and RANK[test_helper_layer(m.group(1)) or target] <= RANK[layer]:
                continue
            bad.append(f"src/{rel}:{n}: {layer} must not include {m.group(1)}/")
    return bad


def read_targets(root):
    """(target -> folder, [(target, dep, cmake file)]) for the library targets under root."""
    folders, links = {}, []
    for cmake in sorted(root.rglob("CMakeLists.txt")):
        folder = cmake.parent.relative_to(root).as_posix()
        text = "\n".join(line.split("#", 1)[0] for line in cmake.read_text(errors="replace").splitlines())
        for func, args in CALL.findall(text):
            words = args.split()
            if not words or not re.fullmatch(r"[A-Za-z0-9_]+", words[0]):
                continue
            name, rest = words[0], words[1:]
            if func in ("skiff_library", "add_library"):
                folders.setdefault(name, folder)
            test_deps = []
            if func == "skiff_library" and "TEST_DEPS" in rest:  # linked into NAME_test only
                at = rest.index("TEST_DEPS")
                rest, test_deps = rest[:at], rest[at + 1:]
            deps = [w for w in rest if w not in LINK_KEYWORDS and re.fullmatch(r"[A-Za-z0-9_]+", w)]
            if func == "add_library":
                deps = []  # sources, not dependencies
            links += [(name, dep, cmake.relative_to(root.parent)) for dep in deps]
            links += [(name + "_test", dep, cmake.relative_to(root.parent)) for dep in test_deps
                      if dep not in LINK_KEYWORDS and re.fullmatch(r"[A-Za-z0-9_]+", dep)]
    return folders, links


def check_targets(root):
    folders, links = read_targets(root)
    bad = []
    for target, dep, cmake in links:
        if target.endswith("_test") or target not in folders or dep not in folders:
            continue  # tests and executables may link anything below them; external libraries
        layer, dep_layer = layer_of(folders[target]), layer_of(folders[dep])
        if layer is None or dep_layer is None:
            continue  # an unknown folder is reported by the include check
        if RANK[dep_layer] > RANK[layer]:
            bad.append(f"{cmake}: {target} ({layer}) must not link {dep} ({dep_layer})")
    return bad


def check_cycles(root):
    """Link cycles among library targets (tests and external libraries aside), each reported once."""
    folders, links = read_targets(root)
    graph = {}
    for target, dep, _ in links:
        if target.endswith("_test") or target not in folders or dep not in folders or target == dep:
            continue
        graph.setdefault(target, set()).add(dep)
    bad, reported = [], set()
    state = {}  # target -> "open" while on the DFS path, "done" after

    def visit(node, path):
        state[node] = "open"
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                cycle = path[path.index(dep):] + [dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    bad.append("link cycle: " + " -> ".join(cycle))
            elif dep not in state:
                visit(dep, path)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent.parent / "src")
    root = parser.parse_args().root.resolve()
    bad = check_includes(root) + check_targets(root) + check_cycles(root)
    if bad:
        print("layering violations:\n" + "\n".join(bad))
        return 1
    print("layering ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
