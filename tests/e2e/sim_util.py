"""Helpers for e2e suites that run a control-plane-only `skiff server` with `skiff sim` nodes:
start/stop the simulator, wait for a condition, and a module fixture body (`sim_cluster`)."""
import contextlib
import os
import subprocess
import time

from conftest import SKIFF_BIN, Skiff


def wait_for(predicate, timeout=40, what="condition", interval=0.3):
    """Polls predicate() until it returns something truthy (returned) or raises on timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def start_sim(s, prefix, nodes):
    log = open(os.path.join(s.data_dir, f"{prefix}.log"), "ab")
    return subprocess.Popen(
        [SKIFF_BIN, "sim", "--kubeconfig", s.kubeconfig, "--nodes", str(nodes), "--ready-delay", "200ms",
         "--name-prefix", prefix + "-"],
        stdout=log, stderr=subprocess.STDOUT)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def sim_cluster(prefix, nodes):
    """A `skiff server --disable-agent` with `nodes` registered sim nodes named <prefix>-N."""
    s = Skiff(extra_args=["--disable-agent"]).start()
    sim = start_sim(s, prefix, nodes)
    try:
        wait_for(lambda: len(s.kubectl_json("get", "nodes")["items"]) == nodes, what="sim nodes")
        yield s
    finally:
        stop(sim)
        s.cleanup()
