"""The scheduler inside `skiff server`, with `skiff sim` nodes, driven through kubectl:
anti-affinity spreads replicas one per node and leaves the rest Pending with kube-scheduler's
message; resources, node selectors and taints are honoured; pending pods are retried when a node
appears; a higher-priority pod preempts a lower-priority one."""
import json

import pytest

import sim_util
from conftest import wait_for

NODES = 3


def start_sim(s, name, nodes, *extra):
    return sim_util.start_sim(s, name, nodes, "--cpu", "4", "--memory", "8Gi", *extra)


@pytest.fixture(scope="module")
def cluster():
    with sim_util.sim_cluster("sim", NODES, "--cpu", "4", "--memory", "8Gi") as s:
        yield s


def pods(s, selector):
    return s.kubectl_json("get", "pods", "-l", selector)["items"]


def scheduled_condition(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "PodScheduled":
            return c
    return None


def test_anti_affinity_spreads_one_per_node_and_explains_the_rest(cluster):
    manifest = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 5,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{"name": "web", "image": "nginx",
                                    "resources": {"requests": {"cpu": "100m"}}}],
                    "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                        {"labelSelector": {"matchLabels": {"app": "web"}},
                         "topologyKey": "kubernetes.io/hostname"}]}},
                },
            },
        },
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(manifest))

    def placed():
        items = pods(cluster, "app=web")
        bound = [p for p in items if p["spec"].get("nodeName")]
        pending = [p for p in items if not p["spec"].get("nodeName")]
        if len(items) == 5 and len(bound) == NODES and all(scheduled_condition(p) for p in pending):
            return bound, pending
        return None

    bound, pending = wait_for(placed, timeout=60, what="3 bound + 2 pending web pods")
    assert sorted(p["spec"]["nodeName"] for p in bound) == [f"sim-{i}" for i in range(NODES)]
    want = ("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: "
            "0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    for p in pending:
        cond = scheduled_condition(p)
        assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
        assert cond["message"] == want
    name = pending[0]["metadata"]["name"]
    jsonpath = cluster.kubectl("get", "pod", name, "-o",
                               "jsonpath={.status.conditions[?(@.type=='PodScheduled')].message}").stdout
    assert jsonpath == want
    described = cluster.kubectl("describe", "pod", name).stdout
    assert "FailedScheduling" in described, described
    assert "didn't match pod anti-affinity rules" in described
    assert "Pending" in cluster.kubectl("get", "pod", name).stdout

    # A new node: one more replica is placed there (the queue retries on node events).
    extra = start_sim(cluster, "late", 1)
    cluster.sims.append(extra)
    wait_for(lambda: sum(1 for p in pods(cluster, "app=web") if p["spec"].get("nodeName") == "late-0") == 1,
             timeout=60, what="a replica on the new node")
    cluster.kubectl("delete", "deployment", "web", "--wait=false")
    wait_for(lambda: not pods(cluster, "app=web"), timeout=60, what="web pods to go")


def run_pod(cluster, name, spec_extra, cpu="100m", labels=None):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "default", "labels": labels or {"test": "sched"}},
           "spec": {"containers": [{"name": "c", "image": "busybox",
                                    "resources": {"requests": {"cpu": cpu}}}], **spec_extra}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))


def node_of(cluster, name):
    return cluster.kubectl_json("get", "pod", name)["spec"].get("nodeName", "")


def test_resources_selector_and_taints(cluster):
    run_pod(cluster, "too-big", {}, cpu="64")
    run_pod(cluster, "on-sim-2", {"nodeSelector": {"kubernetes.io/hostname": "sim-2"}})
    wait_for(lambda: node_of(cluster, "on-sim-2") == "sim-2", what="nodeSelector placement")
    msg = wait_for(lambda: (scheduled_condition(cluster.kubectl_json("get", "pod", "too-big")) or {}).get("message"),
                   what="too-big to be reported")
    assert msg.startswith("0/") and "Insufficient cpu" in msg, msg

    cluster.kubectl("taint", "nodes", "--all", "dedicated=infra:NoSchedule")
    try:
        run_pod(cluster, "intolerant", {})
        msg = wait_for(lambda: (scheduled_condition(cluster.kubectl_json("get", "pod", "intolerant")) or {})
                       .get("message"), what="intolerant to be reported")
        assert "node(s) had untolerated taint {dedicated: infra}" in msg, msg
        run_pod(cluster, "tolerant", {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "infra",
                                                       "effect": "NoSchedule"}]})
        wait_for(lambda: node_of(cluster, "tolerant"), what="tolerant pod placement")
    finally:
        cluster.kubectl("taint", "nodes", "--all", "dedicated=infra:NoSchedule-")
    # Removing the taint is a node update: the intolerant pod is retried and placed.
    wait_for(lambda: node_of(cluster, "intolerant"), timeout=60, what="intolerant pod after untaint")
    cluster.kubectl("delete", "pod", "too-big", "on-sim-2", "intolerant", "tolerant", "--wait=false")


def test_priority_class_preemption(cluster):
    cluster.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "high"}, "value": 1000}))
    pin = {"nodeSelector": {"kubernetes.io/hostname": "sim-0"}}
    run_pod(cluster, "low", dict(pin), cpu="3")
    wait_for(lambda: node_of(cluster, "low") == "sim-0", what="low pod placement")
    run_pod(cluster, "urgent", {**pin, "priorityClassName": "high"}, cpu="3")
    wait_for(lambda: node_of(cluster, "urgent") == "sim-0", timeout=60, what="urgent pod to preempt low")
    low = cluster.kubectl("get", "pod", "low", "--ignore-not-found", "-o", "name").stdout
    assert low == "" or "deletionTimestamp" in cluster.kubectl("get", "pod", "low", "-o", "json").stdout
    cluster.kubectl("delete", "pod", "urgent", "--wait=false")
