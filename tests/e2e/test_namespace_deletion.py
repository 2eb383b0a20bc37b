"""Namespace deletion through the namespace controller: `kubectl delete namespace` with content
inside waits until the content is gone and the namespace with it; content held by a finalizer keeps
the namespace Terminating with conditions explaining why. Also: the controller-manager Lease."""
import json
import os
import time

import pytest

from conftest import Skiff, wait_for

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 0
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
"""


def condition(ns_obj, type_):
    for c in ns_obj.get("status", {}).get("conditions", []):
        if c["type"] == type_:
            return c
    return None


def test_delete_namespace_with_content_completes(skiff):
    skiff.kubectl("create", "namespace", "x")
    skiff.kubectl("-n", "x", "create", "configmap", "a", "--from-literal=k=v")
    skiff.kubectl("-n", "x", "create", "configmap", "b", "--from-literal=k=v")
    skiff.kubectl("-n", "x", "create", "secret", "generic", "s", "--from-literal=k=v")
    skiff.kubectl("-n", "x", "apply", "-f", "-", input=DEPLOYMENT)
    skiff.kubectl("create", "namespace", "y")
    skiff.kubectl("-n", "y", "create", "configmap", "keep", "--from-literal=k=v")

    t0 = time.time()
    res = skiff.kubectl("delete", "namespace", "x", timeout=60)  # waits until it is gone
    assert 'namespace "x" deleted' in res.stdout
    assert time.time() - t0 < 30
    res = skiff.kubectl("get", "namespace", "x", check=False)
    assert res.returncode != 0
    assert "NotFound" in res.stderr or "not found" in res.stderr
    res = skiff.kubectl("-n", "x", "get", "configmaps,secrets,deployments", "-o", "name", check=False)
    assert res.stdout.strip() == ""
    # Other namespaces are untouched.
    assert skiff.kubectl_json("-n", "y", "get", "configmap", "keep")["data"] == {"k": "v"}


def test_finalizer_holds_namespace_in_terminating(skiff):
    skiff.kubectl("create", "namespace", "held")
    skiff.kubectl("-n", "held", "apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "h", "finalizers": ["example.com/hold"]}}))
    skiff.kubectl("-n", "held", "create", "configmap", "free")
    skiff.kubectl("delete", "namespace", "held", "--wait=false")

    def remaining_reported():
        ns = skiff.kubectl_json("get", "namespace", "held")
        c = condition(ns, "NamespaceContentRemaining")
        return c is not None and c["status"] == "True"
    wait_for(remaining_reported, what="NamespaceContentRemaining=True")
    ns = skiff.kubectl_json("get", "namespace", "held")
    assert ns["status"]["phase"] == "Terminating"
    assert condition(ns, "NamespaceContentRemaining")["message"] == \
        "Some resources are remaining: configmaps has 1 resource instances"
    assert condition(ns, "NamespaceFinalizersRemaining")["message"] == \
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    assert "Terminating" in skiff.kubectl("get", "namespace", "held").stdout
    res = skiff.kubectl("-n", "held", "get", "configmap", "free", check=False)
    assert res.returncode != 0

    skiff.kubectl("-n", "held", "patch", "configmap", "h", "--type=merge", "-p",
                  '{"metadata":{"finalizers":null}}')
    skiff.kubectl("wait", "--for=delete", "namespace/held", "--timeout=30s")
    assert skiff.kubectl("get", "namespace", "held", check=False).returncode != 0


def test_controller_manager_holds_its_lease(skiff):
    def lease():
        res = skiff.kubectl("-n", "kube-system", "get", "lease", "kube-controller-manager", "-o", "json",
                            check=False)
        return json.loads(res.stdout) if res.returncode == 0 else None
    wait_for(lambda: lease() is not None, what="controller-manager lease")
    spec = lease()["spec"]
    # On etcd, --leader-elect-lease-duration (Kubernetes' 15 s, shortened to 3 s by the tests); a
    # sole server on the embedded store holds it 900 s and renews it every 5 min (no idle writes).
    assert spec["leaseDurationSeconds"] == (3 if os.environ.get("SKIFF_TEST_STORE") == "etcd" else 900)
    assert "_" in spec["holderIdentity"]


def test_disable_controllers_leaves_namespace_terminating():
    s = Skiff(extra_args=["--disable-controllers"]).start()
    try:
        s.kubectl("create", "namespace", "stuck")
        s.kubectl("delete", "namespace", "stuck", "--wait=false")
        time.sleep(2)
        ns = s.kubectl_json("get", "namespace", "stuck")
        assert ns["status"]["phase"] == "Terminating"
        res = s.kubectl("-n", "kube-system", "get", "lease", "kube-controller-manager", check=False)
        assert res.returncode != 0
    finally:
        s.cleanup()
