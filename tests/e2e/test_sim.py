"""`skiff sim`: simulated nodes registered against a real `skiff server --disable-agent`, driven
with kubectl: nodes are Ready with leases, bound pods run with an IP and are finalised on delete."""
import json
import time

import pytest

from conftest import Skiff, start_sim, stop_process

NODES = 5


@pytest.fixture(scope="module")
def cluster():
    s = Skiff(extra_args=["--disable-agent"]).start()
    sim = None
    try:
        sim = start_sim(s, NODES, "--ready-delay", "300ms", "--cpu", "8", "--memory", "32Gi", "--label",
                        "pool=sim")
        yield s
    finally:
        if sim:
            stop_process(sim)
        s.cleanup()


def test_nodes_are_ready_with_columns(cluster):
    out = cluster.kubectl("get", "nodes").stdout.splitlines()
    assert out[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    rows = [line.split() for line in out[1:]]
    assert sorted(r[0] for r in rows) == [f"sim-{i}" for i in range(NODES)]
    for r in rows:
        assert r[1] == "Ready", out
        assert r[4] == "v1.32.0", out
    wide = cluster.kubectl("get", "nodes", "-o", "wide").stdout.splitlines()
    assert "INTERNAL-IP" in wide[0] and "CONTAINER-RUNTIME" in wide[0]
    assert "127.64.0." in wide[1]  # loopback node addresses (sim_objects.h)


def test_node_objects(cluster):
    node = cluster.kubectl_json("get", "node", "sim-1")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "sim-1"
    assert labels["topology.kubernetes.io/zone"] == "zone-1"
    assert labels["pool"] == "sim"
    status = node["status"]
    assert status["capacity"]["cpu"] == "8" and status["allocatable"]["memory"] == "32Gi"
    assert status["capacity"]["pods"] == "110"
    assert len(status["nodeInfo"]) == 10 and all(status["nodeInfo"].values())
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions == {"Ready": "True", "MemoryPressure": "False", "DiskPressure": "False",
                          "PIDPressure": "False"}
    # kubectl describe renders the node without complaint.
    described = cluster.kubectl("describe", "node", "sim-1").stdout
    assert "KubeletReady" in described


def test_leases_are_renewed(cluster):
    leases = cluster.kubectl_json("get", "leases", "-n", "kube-node-lease")["items"]
    assert sorted(l["metadata"]["name"] for l in leases) == [f"sim-{i}" for i in range(NODES)]
    before = {l["metadata"]["name"]: l["spec"]["renewTime"] for l in leases}
    time.sleep(11)  # renewals every 10 s
    after = cluster.kubectl_json("get", "leases", "-n", "kube-node-lease")["items"]
    renewed = [l["metadata"]["name"] for l in after if l["spec"]["renewTime"] != before[l["metadata"]["name"]]]
    assert len(renewed) == NODES, (before, after)


POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  annotations: {annotations}
spec:
  nodeName: {node}
  terminationGracePeriodSeconds: 30
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: nginx:1.27
  - name: side
    image: busybox
"""


def test_pod_runs_ready_with_ip_and_deletes(cluster):
    cluster.kubectl("apply", "-f", "-", input=POD.format(name="web", node="sim-2", annotations="{}"))
    cluster.kubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=30s")
    pod = cluster.kubectl_json("get", "pod", "web")
    st = pod["status"]
    assert st["phase"] == "Running"
    assert st["podIP"] and st["podIPs"] == [{"ip": st["podIP"]}]
    assert st["hostIP"] == "127.64.0.3"
    node_cidr = cluster.kubectl_json("get", "node", "sim-2")["spec"].get("podCIDR")
    prefix = node_cidr.rsplit(".", 1)[0] + "." if node_cidr else "10.244.2."
    assert st["podIP"].startswith(prefix), (st["podIP"], node_cidr)
    assert sorted(c["name"] for c in st["containerStatuses"]) == ["app", "side"]
    for c in st["containerStatuses"]:
        assert c["ready"] and c["started"] and c["restartCount"] == 0 and "running" in c["state"]
        assert c["imageID"] and c["containerID"].startswith("containerd://")
    assert st["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    types = {c["type"]: c["status"] for c in st["conditions"]}
    assert types == {"PodScheduled": "True", "Initialized": "True", "ContainersReady": "True",
                     "Ready": "True", "PodReadyToStartContainers": "True"}
    row = cluster.kubectl("get", "pod", "web", "--no-headers").stdout.split()
    assert row[1:3] == ["2/2", "Running"], row

    start = time.time()
    cluster.kubectl("delete", "pod", "web", "--timeout=30s")  # waits until the pod is gone
    assert time.time() - start < 20
    res = cluster.kubectl("get", "pod", "web", check=False)
    assert res.returncode != 0 and "NotFound" in res.stderr


def test_pods_get_distinct_ips(cluster):
    names = [f"many-{i}" for i in range(6)]
    docs = "\n---\n".join(POD.format(name=n, node="sim-0", annotations="{}") for n in names)
    cluster.kubectl("apply", "-f", "-", input=docs)
    cluster.kubectl("wait", "--for=condition=Ready", *[f"pod/{n}" for n in names], "--timeout=30s")
    pods = cluster.kubectl_json("get", "pods", "--field-selector", "spec.nodeName=sim-0")["items"]
    ips = [p["status"]["podIP"] for p in pods if p["metadata"]["name"] in names]
    assert len(ips) == len(names) and len(set(ips)) == len(names)
    cluster.kubectl("delete", "pods", *names, "--timeout=30s")


def test_exit_after_annotation_completes_pod(cluster):
    cluster.kubectl("apply", "-f", "-", input=POD.format(
        name="batch", node="sim-3", annotations=json.dumps({"sim.skiff.dev/exit-after": "1s"})))
    cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/batch", "--timeout=30s")
    row = cluster.kubectl("get", "pod", "batch", "--no-headers").stdout.split()
    assert row[2] == "Completed", row
    cluster.kubectl("delete", "pod", "batch", "--timeout=30s")


def test_pods_on_other_nodes_are_left_alone(cluster):
    cluster.kubectl("apply", "-f", "-", input=POD.format(name="orphan", node="not-a-sim-node", annotations="{}"))
    time.sleep(1.5)
    assert cluster.kubectl_json("get", "pod", "orphan")["status"]["phase"] == "Pending"
    cluster.kubectl("delete", "pod", "orphan", "--grace-period=0", "--force", "--wait=false")
