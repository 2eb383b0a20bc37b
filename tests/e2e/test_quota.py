"""ResourceQuota and LimitRange end to end (`skiff server --disable-agent`, the real kubectl and the
Python client): quota admission refuses what would go over spec.hard with Kubernetes' messages and
never over-admits under concurrent creates; the resource-quota controller keeps status.used current
so `kubectl describe quota` follows pods as they come and go; LimitRange defaults land in created
pods and min/max/ratio are enforced; a Deployment scaled past a quota stops at it and its
ReplicaSet reports FailedCreate with the quota message."""
import json
import threading

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from conftest import wait_for


def make_ns(s, name):
    s.kubectl("create", "namespace", name)
    return name


def pod(name, requests=None, limits=None, **spec):
    resources = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "busybox", "resources": resources}], **spec}}


def apply(s, ns, obj, check=True):
    return s.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(obj), check=check)


def create(s, ns, obj, check=True):
    return s.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(obj), check=check)


def quota(name, hard, **spec):
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name},
            "spec": {"hard": hard, **spec}}


def describe_rows(s, ns, name):
    """{resource: (used, hard)} from `kubectl describe quota`."""
    out = s.kubectl("-n", ns, "describe", "quota", name).stdout
    rows = {}
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("--------"))
    for line in lines[start + 1:]:
        parts = line.split()
        if len(parts) == 3:
            rows[parts[0]] = (parts[1], parts[2])
    return rows


def wait_used(s, ns, name, expected):
    """Waits until describe shows exactly `expected` ({resource: used}) for those resources."""
    def shown():
        rows = describe_rows(s, ns, name)
        return rows if all(rows.get(k, (None,))[0] == v for k, v in expected.items()) else None
    return wait_for(shown, timeout=30, what=f"quota {ns}/{name} used {expected}")


def test_quota_refuses_the_pod_over_budget(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-count")
    # Every namespace gets the kube-root-ca.crt ConfigMap, which counts like any other.
    wait_for(lambda: s.kubectl("-n", ns, "get", "configmap", "kube-root-ca.crt", check=False).returncode == 0,
             what="kube-root-ca.crt published")
    apply(s, ns, quota("q", {"pods": "2", "configmaps": "2", "count/deployments.apps": "0"}))
    create(s, ns, pod("p1"))
    create(s, ns, pod("p2"))
    res = create(s, ns, pod("p3"), check=False)
    assert res.returncode != 0
    assert ('Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: '
            'exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2') in res.stderr
    # Legacy and count/<resource>.<group> names count their kinds.
    s.kubectl("-n", ns, "create", "configmap", "c1")
    res = s.kubectl("-n", ns, "create", "configmap", "c2", check=False)
    assert ('configmaps "c2" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=2, '
            'limited: configmaps=2') in res.stderr
    res = s.kubectl("-n", ns, "create", "deployment", "d", "--image=busybox", check=False)
    assert ('deployments.apps "d" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, '
            'used: count/deployments.apps=0, limited: count/deployments.apps=0') in res.stderr
    # The Python client gets the 403 Status.
    v1 = k8s.CoreV1Api(s.python_client())
    with pytest.raises(ApiException) as exc:
        v1.create_namespaced_pod(ns, pod("p4"))
    assert exc.value.status == 403
    body = json.loads(exc.value.body)
    assert body["reason"] == "Forbidden"
    assert body["message"] == ('pods "p4" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, '
                               'limited: pods=2')
    # A deleted pod frees its place.
    s.kubectl("-n", ns, "delete", "pod", "p1", "--wait=false")
    wait_for(lambda: create(s, ns, pod("p4"), check=False).returncode == 0, timeout=20,
             what="a pod admitted once another was deleted")


def test_compute_quota_needs_requests_and_counts_them(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-compute")
    apply(s, ns, quota("compute", {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2"}))
    res = create(s, ns, pod("bare"), check=False)
    assert ('pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: app; '
            'requests.cpu for: app; requests.memory for: app') in res.stderr
    create(s, ns, pod("a", requests={"cpu": "600m", "memory": "256Mi"}, limits={"cpu": "1"}))
    res = create(s, ns, pod("b", requests={"cpu": "500m", "memory": "256Mi"}, limits={"cpu": "1"}), check=False)
    assert ('pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, '
            'used: requests.cpu=600m, limited: requests.cpu=1') in res.stderr
    create(s, ns, pod("b", requests={"cpu": "400m", "memory": "256Mi"}, limits={"cpu": "1"}))


def test_describe_follows_pods_as_they_come_and_go(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-describe")
    apply(s, ns, quota("q", {"pods": "4", "requests.cpu": "2", "limits.memory": "2Gi"}))
    rows = wait_used(s, ns, "q", {"pods": "0", "requests.cpu": "0", "limits.memory": "0"})
    assert rows["pods"] == ("0", "4") and rows["requests.cpu"] == ("0", "2")
    assert rows["limits.memory"] == ("0", "2Gi")
    for i, cpu in enumerate(["250m", "500m"]):
        create(s, ns, pod(f"p{i}", requests={"cpu": cpu, "memory": "64Mi"}, limits={"memory": "512Mi"}))
    wait_used(s, ns, "q", {"pods": "2", "requests.cpu": "750m", "limits.memory": "1Gi"})
    # A pod that finished stops counting (count/pods would still count it).
    v1 = k8s.CoreV1Api(s.python_client())
    p = v1.read_namespaced_pod("p0", ns)
    p.status.phase = "Succeeded"
    v1.replace_namespaced_pod_status("p0", ns, p)
    wait_used(s, ns, "q", {"pods": "1", "requests.cpu": "500m", "limits.memory": "512Mi"})
    s.kubectl("-n", ns, "delete", "pod", "p1")
    wait_used(s, ns, "q", {"pods": "0", "requests.cpu": "0", "limits.memory": "0"})
    status = s.kubectl_json("-n", ns, "get", "quota", "q")["status"]
    assert status["hard"] == {"pods": "4", "requests.cpu": "2", "limits.memory": "2Gi"}


def test_concurrent_creates_never_exceed_the_quota(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-race")
    apply(s, ns, quota("q", {"pods": "5"}))
    api = s.python_client()
    results = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def create_one(i):
        v1 = k8s.CoreV1Api(api)
        start.wait()
        try:
            v1.create_namespaced_pod(ns, pod(f"r{i}"))
            outcome = 201
        except ApiException as e:
            outcome = (e.status, json.loads(e.body)["message"])
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=create_one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = [r for r in results if r == 201]
    refused = [r for r in results if r != 201]
    assert len(created) == 5, results
    assert len(refused) == 15
    for code, message in refused:
        assert code == 403
        assert "exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5" in message
    assert len(s.kubectl_json("-n", ns, "get", "pods")["items"]) == 5
    wait_used(s, ns, "q", {"pods": "5"})


def test_dry_run_does_not_consume_quota(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-dryrun")
    apply(s, ns, quota("q", {"pods": "1"}))
    for i in range(3):
        s.kubectl("-n", ns, "run", f"d{i}", "--image=busybox", "--restart=Never", "--dry-run=server")
    s.kubectl("-n", ns, "run", "real", "--image=busybox", "--restart=Never")
    res = s.kubectl("-n", ns, "run", "more", "--image=busybox", "--restart=Never", "--dry-run=server", check=False)
    assert "exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1" in res.stderr


def test_scoped_quotas_and_service_quotas(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-scopes")
    apply(s, ns, quota("besteffort", {"pods": "1"}, scopes=["BestEffort"]))
    apply(s, ns, quota("high", {"pods": "1"}, scopeSelector={"matchExpressions": [
        {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}))
    apply(s, ns, quota("svc", {"services.loadbalancers": "0", "services.nodeports": "1"}))
    create(s, ns, pod("be1"))
    res = create(s, ns, pod("be2"), check=False)
    assert "exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1" in res.stderr
    # Not best-effort: the BestEffort quota does not select it.
    create(s, ns, pod("burst", requests={"cpu": "10m"}))
    s.kubectl("create", "priorityclass", "high", "--value=1000")
    create(s, ns, pod("hi1", requests={"cpu": "10m"}, priorityClassName="high"))
    res = create(s, ns, pod("hi2", requests={"cpu": "10m"}, priorityClassName="high"), check=False)
    assert "exceeded quota: high, requested: pods=1, used: pods=1, limited: pods=1" in res.stderr
    wait_used(s, ns, "besteffort", {"pods": "1"})
    wait_used(s, ns, "high", {"pods": "1"})
    res = s.kubectl("-n", ns, "create", "service", "loadbalancer", "lb", "--tcp=80:80", check=False)
    assert ('services "lb" is forbidden: exceeded quota: svc, requested: services.loadbalancers=1, '
            'used: services.loadbalancers=0, limited: services.loadbalancers=0') in res.stderr
    s.kubectl("-n", ns, "create", "service", "nodeport", "np", "--tcp=80:80")
    res = s.kubectl("-n", ns, "create", "service", "nodeport", "np2", "--tcp=80:80", check=False)
    assert ('exceeded quota: svc, requested: services.nodeports=1, used: services.nodeports=1, '
            'limited: services.nodeports=1') in res.stderr
    wait_used(s, ns, "svc", {"services.nodeports": "1", "services.loadbalancers": "0"})


LIMIT_RANGE = {
    "apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "limits"},
    "spec": {"limits": [
        {"type": "Container", "max": {"cpu": "500m", "memory": "1Gi"}, "min": {"cpu": "50m"},
         "default": {"cpu": "200m", "memory": "256Mi"}, "defaultRequest": {"cpu": "100m"},
         "maxLimitRequestRatio": {"cpu": "4"}},
        {"type": "Pod", "max": {"cpu": "800m"}},
        {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}, "max": {"storage": "2Gi"}},
    ]}}


def test_limit_range_defaults_and_bounds(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "limits")
    apply(s, ns, LIMIT_RANGE)
    # Defaulting of the LimitRange itself: defaultRequest.memory from default.memory.
    item = s.kubectl_json("-n", ns, "get", "limitrange", "limits")["spec"]["limits"][0]
    assert item["defaultRequest"] == {"cpu": "100m", "memory": "256Mi"}
    described = s.kubectl("-n", ns, "describe", "limitrange", "limits").stdout
    assert any(line.split() == ["Container", "cpu", "50m", "500m", "100m", "200m", "4"]
               for line in described.splitlines()), described

    spec = {"containers": [{"name": "app", "image": "busybox"}],
            "initContainers": [{"name": "init", "image": "busybox", "resources": {"limits": {"cpu": "300m"}}}]}
    create(s, ns, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "defaulted"}, "spec": spec})
    got = s.kubectl_json("-n", ns, "get", "pod", "defaulted")
    app = got["spec"]["containers"][0]["resources"]
    assert app == {"limits": {"cpu": "200m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}}
    init = got["spec"]["initContainers"][0]["resources"]
    assert init == {"limits": {"cpu": "300m", "memory": "256Mi"}, "requests": {"cpu": "300m", "memory": "256Mi"}}
    assert got["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; "
        "memory request for init container init; memory limit for init container init")

    res = create(s, ns, pod("too-big", limits={"cpu": "1"}), check=False)
    # Every violation of the range is named, as Kubernetes aggregates them.
    assert ('pods "too-big" is forbidden: [maximum cpu usage per Container is 500m, but limit is 1, '
            'maximum cpu usage per Pod is 800m, but limit is 1]') in res.stderr
    res = create(s, ns, pod("too-big2", limits={"cpu": "600m"}, requests={"cpu": "200m"}), check=False)
    assert 'pods "too-big2" is forbidden: maximum cpu usage per Container is 500m, but limit is 600m' in res.stderr
    res = create(s, ns, pod("too-small", requests={"cpu": "10m"}, limits={"cpu": "20m"}), check=False)
    assert 'pods "too-small" is forbidden: minimum cpu usage per Container is 50m, but request is 10m' in res.stderr
    res = create(s, ns, pod("ratio", requests={"cpu": "60m"}, limits={"cpu": "400m"}), check=False)
    assert ('pods "ratio" is forbidden: cpu max limit to request ratio per Container is 4, '
            'but provided ratio is 6.666667') in res.stderr
    two = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod-max"},
           "spec": {"containers": [{"name": n, "image": "busybox", "resources": {"limits": {"cpu": "450m"}}}
                                   for n in ("a", "b")]}}
    res = create(s, ns, two, check=False)
    assert 'pods "pod-max" is forbidden: maximum cpu usage per Pod is 800m, but limit is 900m' in res.stderr

    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "big"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}}
    res = create(s, ns, claim, check=False)
    assert ('persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, '
            'but request is 5Gi') in res.stderr
    claim["metadata"]["name"] = "ok"
    claim["spec"]["resources"]["requests"]["storage"] = "1Gi"
    create(s, ns, claim)


def test_deployment_scaled_past_quota_stops_at_it(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-deploy")
    apply(s, ns, quota("q", {"pods": "3"}))
    s.kubectl("-n", ns, "create", "deployment", "web", "--image=busybox", "--replicas=2")
    wait_for(lambda: len(s.kubectl_json("-n", ns, "get", "pods")["items"]) == 2, what="2 pods")
    s.kubectl("-n", ns, "scale", "deployment", "web", "--replicas=6")

    def failed_create():
        events = s.kubectl_json("-n", ns, "get", "events", "--field-selector", "reason=FailedCreate")["items"]
        return [e for e in events if e["involvedObject"]["kind"] == "ReplicaSet"]
    events = wait_for(failed_create, what="a FailedCreate event of the ReplicaSet")
    message = events[0]["message"]
    assert message.startswith('Error creating: pods "web-')
    assert message.endswith('" is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3')
    assert len(s.kubectl_json("-n", ns, "get", "pods")["items"]) == 3
    rs = s.kubectl_json("-n", ns, "get", "rs")["items"][0]
    cond = wait_for(lambda: [c for c in s.kubectl_json("-n", ns, "get", "rs", rs["metadata"]["name"])
                             .get("status", {}).get("conditions", []) if c["type"] == "ReplicaFailure"],
                    what="ReplicaFailure condition")[0]
    assert cond["reason"] == "FailedCreate" and "exceeded quota: q" in cond["message"]
    wait_used(s, ns, "q", {"pods": "3"})
    # Never more than the quota, however long the controller retries.
    assert len(s.kubectl_json("-n", ns, "get", "pods")["items"]) == 3


def test_malformed_quotas_and_limit_ranges_are_invalid(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-invalid")
    res = apply(s, ns, quota("neg", {"pods": "-1"}), check=False)
    assert res.returncode != 0
    assert ('ResourceQuota "neg" is invalid: spec.hard[pods]: Invalid value: "-1": '
            'must be greater than or equal to 0') in res.stderr
    bad = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "bad"},
           "spec": {"limits": [{"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}]}}
    res = apply(s, ns, bad, check=False)
    # kubectl lists the causes; the defaults (from max) are checked too, as Kubernetes defaults first.
    assert 'The LimitRange "bad" is invalid: ' in res.stderr
    assert '* spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1' in res.stderr
    assert ('* spec.limits[0].default[cpu]: Invalid value: "1": min value 2 is greater than default value 1'
            in res.stderr)
    assert s.kubectl_json("-n", ns, "get", "quota,limitrange")["items"] == []


def test_storage_quota_by_class(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "quota-storage")
    apply(s, ns, quota("storage", {"requests.storage": "3Gi", "persistentvolumeclaims": "5",
                                   "gold.storageclass.storage.k8s.io/requests.storage": "1Gi"}))

    def claim(name, size, storage_class=None):
        spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
        if storage_class:
            spec["storageClassName"] = storage_class
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}
    create(s, ns, claim("plain", "2Gi"))
    res = create(s, ns, claim("gold", "2Gi", "gold"), check=False)
    assert ('persistentvolumeclaims "gold" is forbidden: exceeded quota: storage, requested: '
            'gold.storageclass.storage.k8s.io/requests.storage=2Gi,requests.storage=2Gi, used: '
            'gold.storageclass.storage.k8s.io/requests.storage=0,requests.storage=2Gi, limited: '
            'gold.storageclass.storage.k8s.io/requests.storage=1Gi,requests.storage=3Gi') in res.stderr
    create(s, ns, claim("gold", "512Mi", "gold"))
    wait_used(s, ns, "storage", {"requests.storage": "2560Mi", "persistentvolumeclaims": "2",
                                 "gold.storageclass.storage.k8s.io/requests.storage": "512Mi"})
