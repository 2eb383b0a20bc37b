#!/usr/bin/env python3
"""Self-test of check_layering.py: the real tree passes, and the violations it exists to catch fail
(above all: skiff_client linking skiff_apiserver again)."""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SCRIPTS = pathlib.Path(__file__).resolve().parent
CHECK = SCRIPTS / "check_layering.py"
SRC = SCRIPTS.parent / "src"


def run(root=None):
    args = [sys.executable, str(CHECK)] + (["--root", str(root)] if root else [])
    p = subprocess.run(args, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def expect(cond, what, output):
    if not cond:
        print(f"FAIL: {what}\n{output}")
        sys.exit(1)
    print(f"ok: {what}")


def main():
    code, out = run()
    expect(code == 0, "the tree passes", out)
    with tempfile.TemporaryDirectory() as tmp:
        # The real CMake files, with skiff_client linking skiff_apiserver again.
        root = pathlib.Path(tmp) / "src"
        for cmake in SRC.rglob("CMakeLists.txt"):
            write(root, cmake.relative_to(SRC), cmake.read_text())
        client = root / "client" / "CMakeLists.txt"
        text, n = re.subn(r"skiff_library\(skiff_client DEPS", "skiff_library(skiff_client DEPS skiff_apiserver",
                          client.read_text())
        expect(n == 1, "src/client/CMakeLists.txt declares skiff_client", text)
        client.write_text(text)
        code, out = run(root)
        expect(code == 1 and "skiff_client (client) must not link skiff_apiserver" in out,
               "skiff_client linking skiff_apiserver fails", out)

    # The real CMake files, with a plug-in library linking the API server that links it (one layer,
    # so only the cycle check sees it): the quota plug-ins, the Node authorizer.
    for folder, library in (("quota", "skiff_apiserver_quota"),
                            ("node_authorizer", "skiff_apiserver_node_authorizer")):
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp) / "src"
            for cmake in SRC.rglob("CMakeLists.txt"):
                write(root, cmake.relative_to(SRC), cmake.read_text())
            plugin = root / "apiserver" / folder / "CMakeLists.txt"
            text, n = re.subn(rf"skiff_library\({library} DEPS", f"skiff_library({library} DEPS skiff_apiserver",
                              plugin.read_text())
            expect(n == 1, f"src/apiserver/{folder}/CMakeLists.txt declares {library}", text)
            plugin.write_text(text)
            code, out = run(root)
            expect(code == 1 and f"link cycle: skiff_apiserver -> {library} -> skiff_apiserver" in out,
                   f"skiff_apiserver and {library} linking each other fails", out)

    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp) / "src"
        write(root, "client/informer.cc", '#include "client/client.h"\n#include "api/schema.h"\n')
        write(root, "client/informer_test.cc", '#include "client/testing/test_api_server.h"\n')
        write(root, "client/inprocess/in_process_client.cc", '#include "apiserver/watch_cache.h"\n')
        code, out = run(root)
        expect(code == 0, "downward includes and a test's own layer's helpers pass", out)
        write(root, "client/client.cc", '#include "apiserver/errors.h"\n')
        write(root, "client/workqueue.cc", '#include "client/inprocess/in_process_client.h"\n')
        write(root, "client/rest/rest_client.cc", '#include "apiserver/errors.h"\n')
        code, out = run(root)
        expect(code == 1 and "src/client/client.cc:1: client must not include apiserver/" in out
               and "client must not include client/inprocess/" in out
               and "client/rest must not include apiserver/" in out, "upward includes fail", out)
    print("check_layering self-test ok")


if __name__ == "__main__":
    main()
