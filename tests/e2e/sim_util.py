"""Helpers for e2e suites that run a control-plane-only `skiff server` with `skiff sim` nodes:
start named simulators, and a module fixture body (`sim_cluster`)."""
import contextlib

from conftest import Skiff, start_sim as _start_sim, stop_process, wait_for  # noqa: F401 (re-exported)

stop = stop_process


def start_sim(s, prefix, nodes, *extra):
    """A simulator of `nodes` nodes named <prefix>-N (Ready after 200 ms); does not wait for them."""
    return _start_sim(s, nodes, "--ready-delay", "200ms", "--name-prefix", prefix + "-", *extra,
                      log_name=f"{prefix}.log", wait=False)


@contextlib.contextmanager
def sim_cluster(prefix, nodes, *sim_args, server_args=(), setup=None):
    """A `skiff server --disable-agent` with `nodes` registered sim nodes named <prefix>-N (extra
    `sim_args` for `skiff sim`). `setup(s)` runs after the simulator starts, before its nodes are
    waited for. The server's `sims` list holds the simulators; all of them are stopped at the end."""
    s = Skiff(extra_args=["--disable-agent", *server_args]).start()
    s.sims = []
    try:
        s.sims.append(start_sim(s, prefix, nodes, *sim_args))
        if setup:
            setup(s)
        wait_for(lambda: len(s.kubectl_json("get", "nodes")["items"]) == nodes, what="sim nodes")
        yield s
    finally:
        for p in s.sims:
            stop_process(p)
        s.cleanup()
