"""Jobs and DaemonSets end to end: `skiff server --disable-agent` with `skiff sim` nodes, driven by
the real kubectl. A Job with completions 3 runs pods that exit via the sim annotation
sim.skiff.dev/exit-after and reaches condition Complete; a failing Job hits its backoffLimit; an
Indexed Job numbers its pods; a DaemonSet runs one pod per sim node and follows a new node."""
import json

import pytest

from sim_util import sim_cluster, start_sim, wait_for

NODES = 2


@pytest.fixture(scope="module")
def cluster():
    with sim_cluster("batch", NODES) as s:
        yield s


def job(name, completions, parallelism, exit_code="0", extra=None):
    manifest = {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"completions": completions, "parallelism": parallelism, "backoffLimit": 2,
                 "template": {"metadata": {"annotations": {"sim.skiff.dev/exit-after": "1s",
                                                           "sim.skiff.dev/exit-code": exit_code}},
                              "spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "c", "image": "busybox"}]}}}}
    manifest["spec"].update(extra or {})
    return json.dumps(manifest)


def conditions(obj):
    return {c["type"]: c.get("reason") for c in obj.get("status", {}).get("conditions", [])
            if c.get("status") == "True"}


def test_job_with_three_completions_completes(cluster):
    cluster.kubectl("apply", "-f", "-", input=job("three", 3, 2))
    cluster.kubectl("wait", "--for=condition=Complete", "job/three", "--timeout=60s", timeout=90)
    obj = cluster.kubectl_json("get", "job", "three")
    assert obj["status"]["succeeded"] == 3
    assert obj["status"].get("failed", 0) == 0
    assert "SuccessCriteriaMet" in conditions(obj)
    assert obj["status"]["completionTime"] and obj["status"]["startTime"]
    pods = cluster.kubectl_json("get", "pods", "-l", "batch.kubernetes.io/job-name=three")["items"]
    assert len(pods) == 3
    for p in pods:
        assert "batch.kubernetes.io/job-tracking" not in p["metadata"].get("finalizers", [])
    row = cluster.kubectl("get", "job", "three").stdout.splitlines()[1].split()
    assert row[1] == "Complete" and row[2] == "3/3", row


def test_failing_job_hits_backoff_limit(cluster):
    cluster.kubectl("apply", "-f", "-", input=job("bad", 1, 1, exit_code="1"))
    cluster.kubectl("wait", "--for=condition=Failed", "job/bad", "--timeout=60s", timeout=90)
    obj = cluster.kubectl_json("get", "job", "bad")
    assert conditions(obj)["Failed"] == "BackoffLimitExceeded"
    assert obj["status"]["failed"] == 3


def test_indexed_job(cluster):
    cluster.kubectl("apply", "-f", "-", input=job("idx", 3, 3, extra={"completionMode": "Indexed"}))
    cluster.kubectl("wait", "--for=condition=Complete", "job/idx", "--timeout=60s", timeout=90)
    obj = cluster.kubectl_json("get", "job", "idx")
    assert obj["status"]["completedIndexes"] == "0-2"
    pods = cluster.kubectl_json("get", "pods", "-l", "batch.kubernetes.io/job-name=idx")["items"]
    assert sorted(p["spec"]["hostname"] for p in pods) == ["idx-0", "idx-1", "idx-2"]


DAEMONSET = {
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
    "spec": {"selector": {"matchLabels": {"app": "agent"}},
             "template": {"metadata": {"labels": {"app": "agent"}},
                          "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


def ds_pods(cluster):
    return [p for p in cluster.kubectl_json("get", "pods", "-l", "app=agent")["items"]
            if not p["metadata"].get("deletionTimestamp")]


def test_daemonset_runs_one_pod_per_node_and_follows_new_nodes(cluster):
    cluster.kubectl("apply", "-f", "-", input=json.dumps(DAEMONSET))

    def placed(n):
        pods = ds_pods(cluster)
        nodes = [p["spec"].get("nodeName") for p in pods]
        return len(pods) == n and all(nodes) and len(set(nodes)) == n and \
            all(p["status"].get("phase") == "Running" for p in pods)

    wait_for(lambda: placed(NODES), what="one daemon pod per node")
    wait_for(lambda: cluster.kubectl_json("get", "ds", "agent")["status"].get("numberReady") == NODES,
             what="daemonset status")
    status = cluster.kubectl_json("get", "ds", "agent")["status"]
    assert status["desiredNumberScheduled"] == NODES and status["updatedNumberScheduled"] == NODES
    assert cluster.kubectl_json("get", "controllerrevisions")["items"]
    extra = start_sim(cluster, "late", 1)
    cluster.sims.append(extra)
    wait_for(lambda: placed(NODES + 1), what="a pod on the new node")
    assert "late-0" in {p["spec"]["nodeName"] for p in ds_pods(cluster)}
    cluster.kubectl("rollout", "status", "ds/agent", "--timeout=60s", timeout=90)
