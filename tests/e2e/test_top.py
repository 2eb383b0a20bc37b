"""End to end: `kubectl top pods` / `kubectl top nodes` against the metrics.k8s.io group the API
server serves from the agents' /stats/summary (CPU rate from cumulative CRI usage between two
samples, working-set memory), with real busybox containers run by the in-process agent of
`skiff server`. Everything the agent created is removed afterwards."""
import json
import re

import pytest

from agent_util import (agent_node, apply, busybox_pod, running_ready, wait_for, wait_pod)
from conftest import api_request


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-top-e2e-") as s:
        burner = busybox_pod("burner", "while true; do :; done", restart="Always")
        burner["metadata"]["labels"] = {"app": "burn"}
        apply(s, burner)
        apply(s, busybox_pod("idler", "exec sleep 3600", restart="Always"))
        for name in ("burner", "idler"):
            wait_pod(s, name, running_ready, timeout=90)
        yield s


def top_rows(s, *args):
    res = s.kubectl("top", *args, check=False)
    if res.returncode != 0:
        return None
    lines = res.stdout.strip().splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines[1:]} or None


def test_discovery_lists_metrics_group(node):
    groups = json.loads(node.kubectl("get", "--raw", "/apis").stdout)
    names = [g["name"] for g in groups["groups"]]
    assert "metrics.k8s.io" in names
    res = json.loads(node.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1").stdout)
    kinds = {r["name"]: r["kind"] for r in res["resources"]}
    assert kinds == {"pods": "PodMetrics", "nodes": "NodeMetrics"}
    out = node.kubectl("api-resources", "--api-group=metrics.k8s.io").stdout
    assert "PodMetrics" in out and "NodeMetrics" in out, out


def test_top_pods(node):
    rows = wait_for(lambda: (r := top_rows(node, "pods")) and "burner" in r and "idler" in r and r,
                    60, interval=2, what="kubectl top pods")
    cpu, mem = rows["burner"]
    assert re.fullmatch(r"\d+m", cpu) and re.fullmatch(r"\d+Mi", mem), rows
    # A busy loop uses a good part of a core.
    assert int(cpu[:-1]) >= 200, rows
    idle_cpu = int(rows["idler"][0][:-1])
    assert idle_cpu < 50, rows
    selected = top_rows(node, "pods", "-l", "app=burn")
    assert selected and set(selected) == {"burner"}, selected
    per_container = node.kubectl("top", "pods", "burner", "--containers").stdout
    assert "main" in per_container, per_container


def test_top_nodes(node):
    name = node.node["metadata"]["name"] if isinstance(node.node, dict) else node.node
    rows = wait_for(lambda: top_rows(node, "nodes"), 60, interval=2, what="kubectl top nodes")
    assert name in rows, rows
    cpu, cpu_pct, mem, mem_pct = rows[name]
    assert re.fullmatch(r"\d+m", cpu) and re.fullmatch(r"\d+%", cpu_pct), rows
    assert re.fullmatch(r"\d+Mi", mem) and re.fullmatch(r"\d+%", mem_pct), rows
    assert int(cpu[:-1]) > 0 and int(mem[:-2]) > 0


def test_metrics_api_objects(node):
    wait_for(lambda: top_rows(node, "pods"), 60, interval=2, what="metrics")
    pm = json.loads(node.kubectl("get", "--raw",
                                 "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burner").stdout)
    assert pm["kind"] == "PodMetrics" and pm["metadata"]["name"] == "burner"
    assert pm["containers"][0]["name"] == "main"
    assert pm["containers"][0]["usage"]["cpu"].endswith("n")
    assert pm["window"].endswith("s") and pm["timestamp"]
    # The CPU rate covers at most 15 s (what the HPA scales on is as fresh as `kubectl top`).
    assert 0 < float(pm["window"][:-1]) <= 15, pm["window"]
    all_ns = json.loads(node.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/pods").stdout)
    assert all_ns["kind"] == "PodMetricsList"
    assert {"burner", "idler"} <= {i["metadata"]["name"] for i in all_ns["items"]}
    res = node.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope",
                       check=False)
    assert res.returncode != 0 and "not found" in res.stderr, res.stderr
