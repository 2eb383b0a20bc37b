"""End to end: the lifecycle controllers inside `skiff server` — garbage collection in the three
propagation modes, the default ServiceAccount, PodDisruptionBudget status with the eviction
subresource (`kubectl drain`), default NoExecute tolerations and per-node podCIDRs."""
import json
import time
import uuid

import pytest

from conftest import wait_for


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def apply(s, obj):
    s.kubectl("apply", "-f", "-", input=json.dumps(obj))


def names(s, kind, ns):
    out = s.kubectl("get", kind, "-n", ns, "-o", "jsonpath={.items[*].metadata.name}").stdout
    return sorted(out.split())


def make_owned_configmaps(s, ns):
    """A ReplicaSet with no replicas (so no pods appear) owning three ConfigMaps: one with
    blockOwnerDeletion, one without, and one also owned by a second ReplicaSet."""
    s.kubectl("create", "namespace", ns)
    for name in ("owner", "other"):
        apply(s, {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": {"name": name, "namespace": ns},
                  "spec": {"replicas": 0, "selector": {"matchLabels": {"app": name}},
                           "template": {"metadata": {"labels": {"app": name}},
                                        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
    uid = s.kubectl("get", "rs", "owner", "-n", ns, "-o", "jsonpath={.metadata.uid}").stdout
    other = s.kubectl("get", "rs", "other", "-n", ns, "-o", "jsonpath={.metadata.uid}").stdout

    def ref(name, u, block):
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name, "uid": u,
                "controller": False, "blockOwnerDeletion": block}
    refs = {"blocking": [ref("owner", uid, True)], "free": [ref("owner", uid, False)],
            "shared": [ref("owner", uid, True), ref("other", other, False)]}
    for name, r in refs.items():
        apply(s, {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": name, "namespace": ns, "ownerReferences": r}, "data": {"k": "v"}})
    return uid


def owner_uids(s, ns, name):
    obj = s.kubectl_json("get", "configmap", name, "-n", ns)
    return [r["uid"] for r in obj["metadata"].get("ownerReferences", [])]


def test_default_service_account_in_new_namespace(shared_skiff):
    s = shared_skiff
    ns = unique("sa")
    s.kubectl("create", "namespace", ns)
    wait_for(lambda: "default" in names(s, "serviceaccounts", ns), what="default ServiceAccount")
    s.kubectl("delete", "serviceaccount", "default", "-n", ns)
    wait_for(lambda: "default" in names(s, "serviceaccounts", ns), what="default ServiceAccount re-created")
    # Existing namespaces have one too.
    wait_for(lambda: "default" in names(s, "serviceaccounts", "default"), what="default in default")


def test_gc_background(shared_skiff):
    s = shared_skiff
    ns = unique("gc-bg")
    make_owned_configmaps(s, ns)
    s.kubectl("delete", "rs", "owner", "-n", ns, "--cascade=background")
    wait_for(lambda: names(s, "configmaps", ns) == ["kube-root-ca.crt", "shared"] or
             names(s, "configmaps", ns) == ["shared"], what="dependents collected")
    other = s.kubectl("get", "rs", "other", "-n", ns, "-o", "jsonpath={.metadata.uid}").stdout
    wait_for(lambda: owner_uids(s, ns, "shared") == [other], what="gone owner's reference removed")


def test_gc_foreground(shared_skiff):
    s = shared_skiff
    ns = unique("gc-fg")
    make_owned_configmaps(s, ns)
    # kubectl waits until the owner is gone, which needs its blocking dependents gone first.
    s.kubectl("delete", "rs", "owner", "-n", ns, "--cascade=foreground", "--timeout=30s")
    assert "owner" not in names(s, "replicasets", ns)
    left = [n for n in names(s, "configmaps", ns) if n != "kube-root-ca.crt"]
    assert "blocking" not in left
    wait_for(lambda: [n for n in names(s, "configmaps", ns) if n != "kube-root-ca.crt"] == ["shared"],
             what="non-blocking dependents collected")


def test_gc_foreground_owner_waits_with_finalizer(shared_skiff):
    s = shared_skiff
    ns = unique("gc-fgw")
    make_owned_configmaps(s, ns)
    # A finalizer on the blocking dependent keeps it (terminating), so the owner must wait.
    s.kubectl("patch", "configmap", "blocking", "-n", ns, "--type=merge",
              "-p", '{"metadata":{"finalizers":["example.com/hold"]}}')
    s.kubectl("delete", "rs", "owner", "-n", ns, "--cascade=foreground", "--wait=false")
    time.sleep(2)
    owner = s.kubectl_json("get", "rs", "owner", "-n", ns)
    assert "foregroundDeletion" in owner["metadata"]["finalizers"]
    assert owner["metadata"].get("deletionTimestamp")
    s.kubectl("patch", "configmap", "blocking", "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    wait_for(lambda: "owner" not in names(s, "replicasets", ns), what="owner deleted after its dependents")


def test_gc_orphan(shared_skiff):
    s = shared_skiff
    ns = unique("gc-or")
    make_owned_configmaps(s, ns)
    s.kubectl("delete", "rs", "owner", "-n", ns, "--cascade=orphan", "--timeout=30s")
    assert "owner" not in names(s, "replicasets", ns)
    time.sleep(1)
    left = [n for n in names(s, "configmaps", ns) if n != "kube-root-ca.crt"]
    assert left == ["blocking", "free", "shared"]
    assert owner_uids(s, ns, "blocking") == []
    assert owner_uids(s, ns, "free") == []
    assert len(owner_uids(s, ns, "shared")) == 1


def test_pods_get_default_tolerations(shared_skiff):
    s = shared_skiff
    name = unique("tol")
    s.kubectl("run", name, "--image=busybox", "--restart=Never")
    pod = s.kubectl_json("get", "pod", name)
    tolerations = pod["spec"]["tolerations"]
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        assert {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300} in tolerations


def test_node_gets_pod_cidr(shared_skiff):
    s = shared_skiff
    name = unique("cidr-node")
    apply(s, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
    cidr = wait_for(lambda: s.kubectl("get", "node", name, "-o", "jsonpath={.spec.podCIDR}").stdout,
                    what="podCIDR")
    assert cidr.startswith("10.42.") and cidr.endswith("/24")
    cidrs = s.kubectl("get", "node", name, "-o", "jsonpath={.spec.podCIDRs[0]}").stdout
    assert cidrs == cidr
    s.kubectl("delete", "node", name)


def make_ready_pod(s, ns, name, node):
    apply(s, {"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": name, "namespace": ns, "labels": {"app": "web"}},
              "spec": {"nodeName": node, "terminationGracePeriodSeconds": 0,
                       "containers": [{"name": "c", "image": "busybox"}]}})
    status = {"status": {"phase": "Running",
                         "conditions": [{"type": "Ready", "status": "True"}]}}
    s.kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def test_pdb_status_and_drain(shared_skiff):
    s = shared_skiff
    ns = unique("pdb")
    node = unique("drain-node")
    s.kubectl("create", "namespace", ns)
    apply(s, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})
    make_ready_pod(s, ns, "web-1", node)
    make_ready_pod(s, ns, "web-2", node)
    apply(s, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
              "metadata": {"name": "web", "namespace": ns},
              "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})

    def status():
        return s.kubectl_json("get", "pdb", "web", "-n", ns).get("status", {})
    wait_for(lambda: status().get("disruptionsAllowed") == 1 and status().get("currentHealthy") == 2,
             what="PDB status")
    st = status()
    assert st["desiredHealthy"] == 1 and st["expectedPods"] == 2
    assert st["observedGeneration"] == 1
    assert any(c["type"] == "DisruptionAllowed" and c["status"] == "True" for c in st["conditions"])
    header, row = s.kubectl("get", "pdb", "web", "-n", ns).stdout.splitlines()[:2]
    assert header.split()[:6] == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED"], header
    assert row.split()[:4] == ["web", "1", "N/A", "1"], row

    # The budget lets one pod go; the drain then keeps retrying the other and times out.
    # --force: these bare pods have no controller.
    res = s.kubectl("drain", node, "--ignore-daemonsets", "--force", "--timeout=8s", check=False, timeout=60)
    assert res.returncode != 0, res.stdout + res.stderr
    assert "Cannot evict pod as it would violate the pod's disruption budget." in res.stderr + res.stdout
    left = names(s, "pods", ns)
    assert len(left) == 1, left
    wait_for(lambda: status().get("disruptionsAllowed") == 0 and status().get("currentHealthy") == 1,
             what="PDB status after eviction")
    assert any(c["type"] == "DisruptionAllowed" and c["reason"] == "InsufficientPods" for c in status()["conditions"])

    # Without the budget, the drain completes.
    s.kubectl("delete", "pdb", "web", "-n", ns)
    s.kubectl("drain", node, "--ignore-daemonsets", "--force", "--timeout=20s", timeout=60)
    assert names(s, "pods", ns) == []
    node_obj = s.kubectl_json("get", "node", node)
    assert node_obj["spec"].get("unschedulable") is True
