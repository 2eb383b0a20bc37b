"""Persistent volumes with real containers: a claim of the default local-path class is
provisioned under the agent's data dir on the node the scheduler picked, a file a pod writes there
survives the pod's deletion and re-creation, deleting the claim removes the directory through the
agent (Delete reclaim), and ten claimed pods started one after another (a StatefulSet's
OrderedReady) are all Ready within the figure's budget."""
import json
import os
import time

import pytest

from agent_util import agent_node, apply, busybox_pod, pod_log, running_ready, wait_for, wait_pod


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-pv-e2e-") as s:
        yield s


def claim(name, size="64Mi"):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}


def with_claim(pod, claim_name, path="/data"):
    pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": path}]
    pod["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim_name}}]
    return pod


def get(s, kind, name):
    out = s.kubectl("get", kind, name, "--ignore-not-found", "-o", "json").stdout
    return json.loads(out) if out.strip() else None


def test_node_publishes_its_local_path_root(node):
    root = node.node["metadata"]["annotations"]["skiff.io/local-path-root"]
    assert root == os.path.join(os.path.realpath(node.agent_dir), "storage", "local-path"), root


def test_data_survives_pod_recreation_and_delete_removes_it(node):
    s = node
    root = s.node["metadata"]["annotations"]["skiff.io/local-path-root"]
    apply(s, claim("notes"))
    apply(s, with_claim(busybox_pod("writer", "echo kept-across-pods > /data/note && sleep 3600"), "notes"))
    wait_pod(s, "writer", running_ready, what="writer running")
    pvc = get(s, "pvc", "notes")
    assert pvc["status"]["phase"] == "Bound"
    pv = get(s, "pv", pvc["spec"]["volumeName"])
    path = pv["spec"]["hostPath"]["path"]
    assert path == os.path.join(root, f"pvc-{pvc['metadata']['uid']}_default_notes"), path
    assert pv["metadata"]["finalizers"].count("skiff.io/local-path-cleanup") == 1
    wait_for(lambda: os.path.exists(os.path.join(path, "note")), what="the file on the host")
    with open(os.path.join(path, "note")) as f:
        assert f.read() == "kept-across-pods\n"

    s.kubectl("delete", "pod", "writer", "--timeout=60s")
    apply(s, with_claim(busybox_pod("reader", "cat /data/note"), "notes"))
    reader = wait_pod(s, "reader", lambda p: p.get("status", {}).get("phase") == "Succeeded", what="reader done")
    assert pod_log(s, reader).strip() == "kept-across-pods"

    # Delete reclaim: claim, then PV; the agent removes the directory before the PV goes.
    s.kubectl("delete", "pod", "reader", "--timeout=60s")
    s.kubectl("delete", "pvc", "notes", "--timeout=60s")
    wait_for(lambda: get(s, "pv", pv["metadata"]["name"]) is None, what="PV deleted")
    assert not os.path.exists(path)


def test_ten_claimed_pods_ready_one_after_another(node):
    """Claim <i> then pod <i>, each once the previous pod is Ready (OrderedReady), through the
    Python client; prints when each claim was bound and each pod Ready after the pod's creation."""
    from kubernetes import client
    s = node
    core = client.CoreV1Api(s.python_client())

    def ready(i):
        p = core.read_namespaced_pod(f"web-{i}", "default")
        return any(c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))

    bound_after, ready_after = [], []
    start = time.time()
    for i in range(10):
        core.create_namespaced_persistent_volume_claim("default", claim(f"www-web-{i}"))
        created = time.time()
        core.create_namespaced_pod("default", with_claim(
            busybox_pod(f"web-{i}", "echo $HOSTNAME > /data/who && sleep 3600", restart="Always"), f"www-web-{i}"))
        wait_for(lambda: core.read_namespaced_persistent_volume_claim(f"www-web-{i}", "default").status.phase == "Bound",
                 interval=0.01, what=f"claim {i} bound")
        bound_after.append(time.time() - created)
        wait_for(lambda: ready(i), interval=0.01, what=f"web-{i} ready")
        ready_after.append(time.time() - created)
    elapsed = time.time() - start
    print(f"\n10 claimed pods Ready one after another on the agent in {elapsed:.2f}s; after each pod's "
          f"creation its claim was bound in mean {sum(bound_after) / 10:.3f}s (max {max(bound_after):.3f}s), "
          f"the pod Ready in mean {sum(ready_after) / 10:.2f}s (max {max(ready_after):.2f}s)")
    for i in range(10):
        pv = get(s, "pv", get(s, "pvc", f"www-web-{i}")["spec"]["volumeName"])
        with open(os.path.join(pv["spec"]["hostPath"]["path"], "who")) as f:
            assert f.read().strip() == f"web-{i}"
    assert max(bound_after) < 5
    for i in range(10):
        s.kubectl("delete", "pod", f"web-{i}", "--wait=false")
        s.kubectl("delete", "pvc", f"www-web-{i}", "--wait=false")
