"""Deployments and ReplicaSets end to end: `skiff server --disable-agent` with 3 `skiff sim` nodes,
driven by the real kubectl: a 5-replica deployment becomes available, `kubectl set image` rolls
out without dropping below replicas - maxUnavailable ready pods (checked by a pod watcher),
`rollout history|undo|restart|pause|resume|status` work, and scaling follows."""
import json
import os
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import SKIFF_BIN, Skiff, watch_events

NODES = 3
REPLICAS = 5
MAX_UNAVAILABLE = 1

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    kubernetes.io/change-cause: first
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: %d}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        resources:
          requests: {cpu: 10m, memory: 16Mi}
""" % (REPLICAS, MAX_UNAVAILABLE)


@pytest.fixture(scope="module")
def cluster():
    s = Skiff(extra_args=["--disable-agent"]).start()
    log = open(os.path.join(s.data_dir, "sim.log"), "ab")
    sim = subprocess.Popen(
        [SKIFF_BIN, "sim", "--kubeconfig", s.kubeconfig, "--nodes", str(NODES), "--ready-delay", "300ms"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            assert sim.poll() is None, "skiff sim exited"
            if len(s.kubectl_json("get", "nodes")["items"]) == NODES:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("sim nodes did not register")
        s.kubectl("apply", "-f", "-", input=DEPLOYMENT)
        yield s
    finally:
        sim.terminate()
        try:
            sim.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sim.kill()
            sim.wait()
        s.cleanup()


def rollout_status(s, timeout="90s"):
    return s.kubectl("rollout", "status", "deploy/web", f"--timeout={timeout}", timeout=120)


def replicasets(s):
    return s.kubectl_json("get", "rs", "-l", "app=web")["items"]


def active_pods(s):
    return [p for p in s.kubectl_json("get", "pods", "-l", "app=web")["items"]
            if not p["metadata"].get("deletionTimestamp")]


def test_deployment_reaches_full_availability(cluster):
    out = rollout_status(cluster).stdout
    assert 'deployment "web" successfully rolled out' in out
    d = cluster.kubectl_json("get", "deploy", "web")
    st = d["status"]
    assert st["observedGeneration"] == d["metadata"]["generation"]
    assert st["replicas"] == st["updatedReplicas"] == st["readyReplicas"] == st["availableReplicas"] == REPLICAS
    conds = {c["type"]: (c["status"], c["reason"]) for c in st["conditions"]}
    assert conds["Available"] == ("True", "MinimumReplicasAvailable")
    assert conds["Progressing"] == ("True", "NewReplicaSetAvailable")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    rss = replicasets(cluster)
    assert len(rss) == 1
    rs = rss[0]
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == "web-" + h
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["status"]["availableReplicas"] == REPLICAS
    pods = active_pods(cluster)
    assert len(pods) == REPLICAS
    for p in pods:
        assert p["metadata"]["name"].startswith(rs["metadata"]["name"] + "-")
        ref = p["metadata"]["ownerReferences"][0]
        assert ref["kind"] == "ReplicaSet" and ref["controller"] and ref["blockOwnerDeletion"]
        assert p["spec"].get("nodeName", "").startswith("sim-")
    # kubectl get deploy shows READY 5/5.
    row = cluster.kubectl("get", "deploy", "web").stdout.splitlines()[1].split()
    assert row[1] == f"{REPLICAS}/{REPLICAS}", row


class PodReadyWatcher:
    """Watches the deployment's pods and records the lowest count of ready, not-terminating pods."""

    def __init__(self, s):
        self.s = s
        self.pods = {}
        self.min_ready = None
        self.events = 0
        self.stop = False
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def ready_count(self):
        n = 0
        for p in self.pods.values():
            if p["metadata"].get("deletionTimestamp"):
                continue
            for c in p.get("status", {}).get("conditions", []):
                if c["type"] == "Ready" and c["status"] == "True":
                    n += 1
        return n

    def run(self):
        sel = urllib.parse.quote("app=web")
        path = f"/api/v1/namespaces/default/pods?watch=true&labelSelector={sel}&timeoutSeconds=120"
        for _, ev in watch_events(self.s, path, timeout=130, on_open=lambda status: self.opened.set()):
            if self.stop:
                return
            obj = ev["object"]
            name = obj["metadata"]["name"]
            if ev["type"] == "DELETED":
                self.pods.pop(name, None)
            elif ev["type"] in ("ADDED", "MODIFIED"):
                self.pods[name] = obj
            else:
                continue
            self.events += 1
            n = self.ready_count()
            # Initial ADDED events build the picture; judge once every existing pod was seen.
            if len(self.pods) >= REPLICAS or self.min_ready is not None:
                self.min_ready = n if self.min_ready is None else min(self.min_ready, n)


def test_set_image_rolls_out_within_max_unavailable(cluster):
    rollout_status(cluster)
    watcher = PodReadyWatcher(cluster)
    watcher.thread.start()
    assert watcher.opened.wait(10)
    time.sleep(1)  # initial events delivered
    out = cluster.kubectl("set", "image", "deploy/web", "nginx=nginx:1.26").stdout
    assert "image updated" in out
    assert "successfully rolled out" in rollout_status(cluster).stdout
    time.sleep(1)
    watcher.stop = True
    assert watcher.min_ready is not None and watcher.events > REPLICAS
    assert watcher.min_ready >= REPLICAS - MAX_UNAVAILABLE, watcher.min_ready
    rss = sorted(replicasets(cluster), key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    assert len(rss) == 2
    assert rss[0]["spec"]["replicas"] == 0
    assert rss[1]["spec"]["replicas"] == REPLICAS
    assert rss[1]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    d = cluster.kubectl_json("get", "deploy", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    images = {p["spec"]["containers"][0]["image"] for p in active_pods(cluster)}
    assert images == {"nginx:1.26"}


def test_rollout_history_and_undo(cluster):
    rollout_status(cluster)
    hist = cluster.kubectl("rollout", "history", "deploy/web").stdout
    revisions = [line.split()[0] for line in hist.splitlines()[2:] if line.strip()]
    assert revisions == ["1", "2"], hist
    assert "rolled back" in cluster.kubectl("rollout", "undo", "deploy/web").stdout
    assert "successfully rolled out" in rollout_status(cluster).stdout
    d = cluster.kubectl_json("get", "deploy", "web")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    rss = replicasets(cluster)
    assert len(rss) == 2  # the revision-1 ReplicaSet was reused as revision 3
    by_image = {r["spec"]["template"]["spec"]["containers"][0]["image"]: r for r in rss}
    assert by_image["nginx:1.25"]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert by_image["nginx:1.25"]["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert by_image["nginx:1.25"]["spec"]["replicas"] == REPLICAS
    assert by_image["nginx:1.26"]["spec"]["replicas"] == 0
    hist = cluster.kubectl("rollout", "history", "deploy/web").stdout
    assert [line.split()[0] for line in hist.splitlines()[2:] if line.strip()] == ["2", "3"], hist


def test_pause_resume_and_restart(cluster):
    rollout_status(cluster)
    cluster.kubectl("rollout", "pause", "deploy/web")
    cluster.kubectl("set", "image", "deploy/web", "nginx=nginx:1.27")
    time.sleep(2)
    d = cluster.kubectl_json("get", "deploy", "web")
    progressing = [c for c in d["status"]["conditions"] if c["type"] == "Progressing"][0]
    assert progressing["reason"] == "DeploymentPaused"
    assert not any(r["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
                   for r in replicasets(cluster))
    cluster.kubectl("rollout", "resume", "deploy/web")
    assert "successfully rolled out" in rollout_status(cluster).stdout
    assert "restarted" in cluster.kubectl("rollout", "restart", "deploy/web").stdout
    assert "successfully rolled out" in rollout_status(cluster).stdout
    d = cluster.kubectl_json("get", "deploy", "web")
    assert "kubectl.kubernetes.io/restartedAt" in d["spec"]["template"]["metadata"]["annotations"]
    pods = active_pods(cluster)
    assert len(pods) == REPLICAS
    assert all("kubectl.kubernetes.io/restartedAt" in p["metadata"].get("annotations", {}) for p in pods)


def test_scale_up_and_down(cluster):
    rollout_status(cluster)
    cluster.kubectl("scale", "deploy/web", "--replicas=7")
    assert "successfully rolled out" in rollout_status(cluster).stdout
    deadline = time.time() + 30
    while time.time() < deadline and len(active_pods(cluster)) != 7:
        time.sleep(0.3)
    assert len(active_pods(cluster)) == 7
    cluster.kubectl("scale", "deploy/web", f"--replicas={REPLICAS}")
    assert "successfully rolled out" in rollout_status(cluster).stdout
    deadline = time.time() + 30
    while time.time() < deadline and len(active_pods(cluster)) != REPLICAS:
        time.sleep(0.3)
    assert len(active_pods(cluster)) == REPLICAS


def test_replicaset_replaces_deleted_pod(cluster):
    rollout_status(cluster)
    victim = active_pods(cluster)[0]["metadata"]["name"]
    cluster.kubectl("delete", "pod", victim, "--wait=false")
    deadline = time.time() + 30
    while time.time() < deadline:
        names = {p["metadata"]["name"] for p in active_pods(cluster)}
        if victim not in names and len(names) == REPLICAS:
            break
        time.sleep(0.3)
    names = {p["metadata"]["name"] for p in active_pods(cluster)}
    assert victim not in names and len(names) == REPLICAS
