#!/usr/bin/env python3
"""statefulset_bench: how long a StatefulSet of --replicas pods (OrderedReady) takes from its
creation to all pods Ready (issue target: 10 pods with volumes on one node <= 5 s).

It starts `skiff server --disable-agent` on a free loopback port and one `skiff sim` node whose
pods run --ready-delay after binding (a stand-in for container start), then for each of --rounds
rounds creates a StatefulSet in a fresh namespace, watches its pods, and prints:
  * all-Ready: POST of the set -> status.readyReplicas == replicas seen by a watch of the set;
  * the controller's step: pod N-1 Ready -> pod N created (median and max), the part of the time
    that is the StatefulSet controller's; the rest is scheduling and the simulated start.
--volumes adds a volumeClaimTemplate (claims are only bound where a PV controller/provisioner
runs; with one that binds them, the figure includes binding).
Conditions (CPU count, load average, replicas, ready delay) are printed with the figures. The
server, the simulator and their data dir are removed at the end.

Usage: python3 bench/statefulset_bench.py [--skiff build/skiff] [--replicas 10] [--rounds 3]
                                          [--ready-delay 100ms] [--volumes]
"""
import argparse
import json
import os
import statistics
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))


def manifest(replicas, volumes):
    spec = {"replicas": replicas, "serviceName": "bench", "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"app": "bench"}},
            "template": {"metadata": {"labels": {"app": "bench"}},
                         "spec": {"containers": [{"name": "c", "image": "busybox",
                                                  "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}}
    if volumes:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Mi"}}}}]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "bench"}, "spec": spec}


def watch(s, path, on_event, stop):
    from conftest import watch_events
    for _, ev in watch_events(s, path, timeout=120):
        on_event(time.time(), ev)
        if stop.is_set():
            return


def ready(pod):
    st = pod.get("status", {})
    return st.get("phase") == "Running" and any(
        c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", []))


def one_round(s, ns, replicas, volumes):
    from conftest import api_request
    status, _, body = api_request(s, "POST", "/api/v1/namespaces",
                                  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    assert status == 201, body
    created, ready_at, done = {}, {}, threading.Event()
    stop = threading.Event()

    def on_pod(t, ev):
        p = ev["object"]
        name = p["metadata"]["name"]
        created.setdefault(name, t)
        if ready(p):
            ready_at.setdefault(name, t)

    def on_set(t, ev):
        if ev["object"].get("status", {}).get("readyReplicas", 0) == replicas:
            done.all_ready_at = t
            done.set()

    threads = [threading.Thread(target=watch, args=(s, f"/api/v1/namespaces/{ns}/pods?watch=true", on_pod, stop),
                                daemon=True),
               threading.Thread(target=watch, args=(s, f"/apis/apps/v1/namespaces/{ns}/statefulsets?watch=true",
                                                    on_set, stop), daemon=True)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # let the watches open
    t0 = time.time()
    status, _, body = api_request(s, "POST", f"/apis/apps/v1/namespaces/{ns}/statefulsets",
                                  manifest(replicas, volumes))
    assert status == 201, body
    if not done.wait(120):
        raise AssertionError(f"not all Ready after 120 s: {sorted(ready_at)}")
    stop.set()
    steps = [created[f"bench-{i}"] - ready_at[f"bench-{i - 1}"] for i in range(1, replicas)]
    return done.all_ready_at - t0, steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", default=os.path.join(REPO, "build", "skiff"))
    ap.add_argument("--replicas", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ready-delay", default="100ms")
    ap.add_argument("--volumes", action="store_true")
    args = ap.parse_args()
    os.environ["SKIFF_BIN"] = os.path.abspath(args.skiff)
    from conftest import Skiff, start_sim, stop_process
    s = Skiff(extra_args=["--disable-agent"]).start()
    sim = None
    try:
        sim = start_sim(s, 1, "--ready-delay", args.ready_delay)
        totals, steps = [], []
        for r in range(args.rounds):
            total, round_steps = one_round(s, f"bench-{r}", args.replicas, args.volumes)
            totals.append(total)
            steps.extend(round_steps)
        print("statefulset_bench: StatefulSet (OrderedReady) creation -> all pods Ready")
        print(f"conditions: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, 1 sim node, "
              f"replicas {args.replicas}, pod ready delay {args.ready_delay}, volumes {args.volumes}, "
              f"rounds {args.rounds}")
        print(f"all Ready: median {statistics.median(totals):.2f} s, max {max(totals):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in totals)})")
        print(f"controller step (pod N-1 Ready -> pod N created): median {statistics.median(steps) * 1000:.0f} ms, "
              f"max {max(steps) * 1000:.0f} ms")
    finally:
        if sim:
            stop_process(sim)
        s.stop()
        s.cleanup()


if __name__ == "__main__":
    main()
