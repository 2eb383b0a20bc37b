"""Persistent volumes with `skiff sim` nodes, driven through kubectl: the default StorageClass
local-path and DefaultStorageClass admission; WaitForFirstConsumer provisioning on the node the
scheduler picks; static PV binding (size, access modes, class, selector, volumeName and claimRef
pre-binding); phases Released/Failed per reclaim policy; the pvc- and pv-protection finalizers;
the scheduler honouring bound PVs' node affinity and refusing unbound Immediate claims; and the
provisioning latency of a StatefulSet-like sequence of 10 claimed pods on one node; and expansion
of local-path claims (kubectl patch to a larger size; shrinking and classes without
allowVolumeExpansion refused with kube's messages)."""
import json
import time

import pytest

import sim_util
from conftest import wait_for

NODES = 3


@pytest.fixture(scope="module")
def cluster():
    with sim_util.sim_cluster("pvsim", NODES) as s:
        yield s


def apply(s, *objs):
    s.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)}))


def namespace(s, name):
    apply(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def claim(name, ns, size="1Gi", modes=("ReadWriteOnce",), cls=None, **spec):
    body = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec}
    if cls is not None:
        body["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": ns}, "spec": body}


def volume(name, size="1Gi", modes=("ReadWriteOnce",), cls="", policy="Retain", labels=None, **spec):
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"capacity": {"storage": size}, "accessModes": list(modes), "storageClassName": cls,
                     "persistentVolumeReclaimPolicy": policy,
                     "hostPath": {"path": f"/tmp/skiff-e2e-pv/{name}"}, **spec}}


def pod(name, ns, claims, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": "c", "image": "busybox",
                                     "volumeMounts": [{"name": c, "mountPath": f"/{c}"} for c in claims]}],
                     "volumes": [{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims],
                     **spec}}


def get(s, kind, name, ns=None):
    args = ["get", kind, name, "--ignore-not-found"] + (["-n", ns] if ns else [])
    out = s.kubectl(*args, "-o", "json").stdout
    return json.loads(out) if out.strip() else None


def phase(s, kind, name, ns=None):
    obj = get(s, kind, name, ns)
    return obj and obj.get("status", {}).get("phase")


def wait_phase(s, kind, name, want, ns=None, timeout=30):
    return wait_for(lambda: phase(s, kind, name, ns) == want, timeout=timeout, what=f"{kind} {name} {want}")


def events_for(s, ns, name):
    items = s.kubectl_json("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={name}")["items"]
    return {e["reason"]: e["message"] for e in items}


def scheduled_message(s, name, ns):
    p = get(s, "pod", name, ns)
    for c in p.get("status", {}).get("conditions", []):
        if c["type"] == "PodScheduled" and c["status"] == "False":
            return c["message"]
    return None


def test_local_path_is_the_default_class(cluster):
    sc = cluster.kubectl_json("get", "storageclass", "local-path")
    assert sc["provisioner"] == "skiff.io/local-path"
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["reclaimPolicy"] == "Delete"
    assert sc["allowVolumeExpansion"] is True
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert "local-path (default)" in cluster.kubectl("get", "storageclass").stdout


def test_claim_without_class_gets_the_default_and_waits_for_a_consumer(cluster):
    ns = namespace(cluster, "pv-default")
    apply(cluster, claim("plain", ns), claim("classless", ns, cls=""))
    plain = get(cluster, "pvc", "plain", ns)
    assert plain["spec"]["storageClassName"] == "local-path"
    assert plain["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert get(cluster, "pvc", "classless", ns)["spec"]["storageClassName"] == ""  # "" means no class
    wait_for(lambda: "WaitForFirstConsumer" in events_for(cluster, ns, "plain"), what="WaitForFirstConsumer event")
    time.sleep(1)
    assert phase(cluster, "pvc", "plain", ns) == "Pending"
    assert not get(cluster, "pvc", "plain", ns)["spec"].get("volumeName")


def test_first_consumer_gets_a_volume_on_its_node_and_delete_reclaims_it(cluster):
    ns = namespace(cluster, "pv-provision")
    apply(cluster, claim("data", ns, size="2Gi"))
    start = time.time()
    apply(cluster, pod("user", ns, ["data"]))
    wait_phase(cluster, "pvc", "data", "Bound", ns)
    bound_after = time.time() - start
    pvc = get(cluster, "pvc", "data", ns)
    node = get(cluster, "pod", "user", ns)["spec"]["nodeName"]
    notes = pvc["metadata"]["annotations"]
    assert notes["volume.kubernetes.io/selected-node"] == node
    assert notes["pv.kubernetes.io/bind-completed"] == "yes"
    assert notes["volume.kubernetes.io/storage-provisioner"] == "skiff.io/local-path"
    assert pvc["status"]["capacity"]["storage"] == "2Gi"
    assert pvc["spec"]["volumeName"] == "pvc-" + pvc["metadata"]["uid"]
    pv = get(cluster, "pv", pvc["spec"]["volumeName"])
    assert pv["status"]["phase"] == "Bound"
    assert pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "skiff.io/local-path"
    assert pv["spec"]["hostPath"]["path"].startswith("/var/lib/skiff/local-path/pvc-")  # sim nodes: no agent root
    term = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert term == {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
    assert "kubernetes.io/pv-protection" in pv["metadata"]["finalizers"]
    assert "ProvisioningSucceeded" in events_for(cluster, ns, "data")
    wait_for(lambda: (get(cluster, "pod", "user", ns) or {}).get("status", {}).get("phase") == "Running",
             what="pod running")
    print(f"\nWaitForFirstConsumer claim bound {bound_after:.2f}s after its pod was created")

    # Delete reclaim: the claim goes once its pod is gone, then the provisioned PV.
    cluster.kubectl("delete", "pod", "user", "-n", ns, "--wait=false")
    cluster.kubectl("delete", "pvc", "data", "-n", ns, "--wait=false")
    wait_for(lambda: get(cluster, "pv", pv["metadata"]["name"]) is None, what="provisioned PV deleted")


def bound_claim_with_pod(s, ns, name, cls=None):
    apply(s, claim(name, ns, cls=cls))
    apply(s, pod(f"{name}-user", ns, [name]))
    wait_phase(s, "pvc", name, "Bound", ns)
    return get(s, "pvc", name, ns)


def patch_size(s, ns, name, size, check=True):
    return s.kubectl("patch", "pvc", name, "-n", ns, "-p",
                     json.dumps({"spec": {"resources": {"requests": {"storage": size}}}}), check=check)


def test_patching_a_local_path_claim_larger_expands_it(cluster):
    ns = namespace(cluster, "pv-expand")
    pvc = bound_claim_with_pod(cluster, ns, "data")
    pv_name = pvc["spec"]["volumeName"]
    assert pvc["status"]["capacity"]["storage"] == "1Gi"
    patch_size(cluster, ns, "data", "3Gi")
    wait_for(lambda: get(cluster, "pvc", "data", ns)["status"]["capacity"]["storage"] == "3Gi",
             what="claim capacity 3Gi")
    pvc = get(cluster, "pvc", "data", ns)
    assert pvc["status"]["allocatedResources"] == {"storage": "3Gi"}
    assert not pvc["status"].get("conditions")  # Resizing is over; a directory needs no node step
    assert not pvc["status"].get("allocatedResourceStatuses")
    assert get(cluster, "pv", pv_name)["spec"]["capacity"]["storage"] == "3Gi"
    row = cluster.kubectl("get", "pvc", "data", "-n", ns, "--no-headers").stdout.split()
    assert row[1:4] == ["Bound", pv_name, "3Gi"], row
    wait_for(lambda: {"Resizing", "VolumeResizeSuccessful"} <= events_for(cluster, ns, "data").keys(),
             what="resize events")
    events = events_for(cluster, ns, "data")
    assert events["Resizing"] == f"External resizer is resizing volume {pv_name}"
    assert events["VolumeResizeSuccessful"] == "Resize volume succeeded"

    # Shrinking is refused, and nothing changes.
    res = patch_size(cluster, ns, "data", "2Gi", check=False)
    assert res.returncode != 0
    assert ('The PersistentVolumeClaim "data" is invalid: spec.resources.requests.storage: Forbidden: '
            'field can not be less than status.capacity') in res.stderr, res.stderr
    assert get(cluster, "pvc", "data", ns)["spec"]["resources"]["requests"]["storage"] == "3Gi"
    # Other fields of the spec stay as they were created.
    res = cluster.kubectl("patch", "pvc", "data", "-n", ns, "-p", '{"spec":{"accessModes":["ReadWriteMany"]}}',
                          check=False)
    assert res.returncode != 0
    assert "spec is immutable after creation except resources.requests and volumeAttributesClassName" in res.stderr


def test_expansion_needs_a_bound_claim_of_a_class_that_allows_it(cluster):
    ns = namespace(cluster, "pv-no-expand")
    apply(cluster, {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                    "metadata": {"name": "fixed-size"}, "provisioner": "skiff.io/local-path",
                    "volumeBindingMode": "WaitForFirstConsumer"})
    try:
        pvc = bound_claim_with_pod(cluster, ns, "fixed", cls="fixed-size")
        res = patch_size(cluster, ns, "fixed", "2Gi", check=False)
        assert res.returncode != 0
        assert ('persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized '
                'and the storageclass that provisions the pvc must support resize') in res.stderr, res.stderr
        assert get(cluster, "pvc", "fixed", ns)["status"]["capacity"]["storage"] == "1Gi"
        assert get(cluster, "pv", pvc["spec"]["volumeName"])["spec"]["capacity"]["storage"] == "1Gi"
    finally:
        cluster.kubectl("delete", "storageclass", "fixed-size", "--wait=false", check=False)
    # A claim not yet bound cannot be resized either (its spec is still immutable).
    apply(cluster, claim("waiting", ns))
    res = patch_size(cluster, ns, "waiting", "2Gi", check=False)
    assert res.returncode != 0
    assert ('The PersistentVolumeClaim "waiting" is invalid: spec: Forbidden: spec is immutable after creation '
            'except resources.requests and volumeAttributesClassName for bound claims') in res.stderr, res.stderr


def test_static_volumes_bind_the_smallest_match(cluster):
    ns = namespace(cluster, "pv-static")
    apply(cluster,
          volume("st-small", size="500Mi", cls="static"),
          volume("st-rwx", size="1Gi", modes=("ReadWriteMany",), cls="static"),
          volume("st-fit", size="2Gi", cls="static", labels={"tier": "gold"}),
          volume("st-big", size="10Gi", cls="static", labels={"tier": "gold"}),
          volume("st-other-class", size="1Gi", cls="elsewhere"))
    for name in ("st-small", "st-rwx", "st-fit", "st-big", "st-other-class"):
        wait_phase(cluster, "pv", name, "Available")
    apply(cluster, claim("want", ns, size="1Gi", cls="static"))
    wait_phase(cluster, "pvc", "want", "Bound", ns)
    pvc = get(cluster, "pvc", "want", ns)
    assert pvc["spec"]["volumeName"] == "st-fit"  # smallest RWO of the class that is large enough
    assert pvc["status"]["capacity"]["storage"] == "2Gi"
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    pv = get(cluster, "pv", "st-fit")
    assert pv["status"]["phase"] == "Bound"
    assert pv["spec"]["claimRef"]["name"] == "want" and pv["spec"]["claimRef"]["namespace"] == ns
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
    # Selector: only labelled PVs; RWX: only the RWX one.
    apply(cluster, claim("gold", ns, size="1Gi", cls="static", selector={"matchLabels": {"tier": "gold"}}),
          claim("shared", ns, size="1Gi", cls="static", modes=("ReadWriteMany",)))
    wait_phase(cluster, "pvc", "gold", "Bound", ns)
    wait_phase(cluster, "pvc", "shared", "Bound", ns)
    assert get(cluster, "pvc", "gold", ns)["spec"]["volumeName"] == "st-big"
    assert get(cluster, "pvc", "shared", ns)["spec"]["volumeName"] == "st-rwx"
    # Nothing left that fits: Pending with an event saying so.
    apply(cluster, claim("nothing", ns, size="5Gi", cls="static"))
    wait_for(lambda: "FailedBinding" in events_for(cluster, ns, "nothing"), what="FailedBinding event")
    assert phase(cluster, "pvc", "nothing", ns) == "Pending"
    # A new PV that fits binds the waiting claim.
    apply(cluster, volume("st-late", size="5Gi", cls="static"))
    wait_phase(cluster, "pvc", "nothing", "Bound", ns)
    assert get(cluster, "pvc", "nothing", ns)["spec"]["volumeName"] == "st-late"


def test_pre_binding_by_volume_name_and_by_claim_ref(cluster):
    ns = namespace(cluster, "pv-prebound")
    apply(cluster, volume("pre-a", size="1Gi", cls="pre"), volume("pre-b", size="1Gi", cls="pre"),
          volume("pre-ref", size="3Gi", cls="pre", claimRef={"namespace": ns, "name": "by-ref"}))
    apply(cluster, claim("by-name", ns, size="1Gi", cls="pre", volumeName="pre-b"))
    wait_phase(cluster, "pvc", "by-name", "Bound", ns)
    assert get(cluster, "pvc", "by-name", ns)["spec"]["volumeName"] == "pre-b"
    assert phase(cluster, "pv", "pre-a") == "Available"
    # claimRef: the PV waits (Available) for its claim, which binds to it although pre-a is smaller.
    wait_phase(cluster, "pv", "pre-ref", "Available")
    apply(cluster, claim("by-ref", ns, size="1Gi", cls="pre"))
    wait_phase(cluster, "pvc", "by-ref", "Bound", ns)
    assert get(cluster, "pvc", "by-ref", ns)["spec"]["volumeName"] == "pre-ref"
    assert get(cluster, "pv", "pre-ref")["spec"]["claimRef"]["uid"] == get(cluster, "pvc", "by-ref", ns)["metadata"]["uid"]
    # A named PV too small for the claim: VolumeMismatch, stays Pending.
    apply(cluster, claim("too-big", ns, size="5Gi", cls="pre", volumeName="pre-a"))
    wait_for(lambda: "VolumeMismatch" in events_for(cluster, ns, "too-big"), what="VolumeMismatch event")
    assert phase(cluster, "pvc", "too-big", ns) == "Pending"
    assert phase(cluster, "pv", "pre-a") == "Available"


def test_reclaim_policies_when_the_claim_goes(cluster):
    ns = namespace(cluster, "pv-reclaim")
    apply(cluster, volume("keep-me", cls="reclaim-retain"), volume("delete-me", cls="reclaim-delete", policy="Delete"))
    apply(cluster, claim("retained", ns, cls="reclaim-retain"), claim("deleted", ns, cls="reclaim-delete"))
    wait_phase(cluster, "pvc", "retained", "Bound", ns)
    wait_phase(cluster, "pvc", "deleted", "Bound", ns)
    cluster.kubectl("delete", "pvc", "retained", "deleted", "-n", ns)
    wait_phase(cluster, "pv", "keep-me", "Released")
    assert get(cluster, "pv", "keep-me")["spec"]["claimRef"]["name"] == "retained"  # Retain keeps the data
    # A static PV with Delete has no deleter: Failed, with the reason.
    wait_phase(cluster, "pv", "delete-me", "Failed")
    assert "no deletable volume plugin" in get(cluster, "pv", "delete-me")["status"]["message"]
    time.sleep(1)
    assert phase(cluster, "pv", "keep-me") == "Released"
    # A Released PV binds nothing new.
    apply(cluster, claim("again", ns, cls="reclaim-retain"))
    time.sleep(1.5)
    assert phase(cluster, "pvc", "again", ns) == "Pending"


def test_protection_finalizers_hold_objects_in_use(cluster):
    ns = namespace(cluster, "pv-protect")
    apply(cluster, volume("guarded", cls="protect"), claim("held", ns, cls="protect"))
    wait_phase(cluster, "pvc", "held", "Bound", ns)
    apply(cluster, pod("holder", ns, ["held"]))
    wait_for(lambda: (get(cluster, "pod", "holder", ns) or {}).get("status", {}).get("phase") == "Running",
             what="holder running")
    cluster.kubectl("delete", "pvc", "held", "-n", ns, "--wait=false")
    cluster.kubectl("delete", "pv", "guarded", "--wait=false")
    time.sleep(1.5)
    held = get(cluster, "pvc", "held", ns)
    assert held and held["metadata"].get("deletionTimestamp"), "a claim in use must stay"
    assert held["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert "Terminating" in cluster.kubectl("get", "pvc", "held", "-n", ns).stdout
    assert get(cluster, "pv", "guarded")["metadata"].get("deletionTimestamp"), "a bound PV must stay"
    cluster.kubectl("delete", "pod", "holder", "-n", ns, "--wait=false")
    wait_for(lambda: get(cluster, "pvc", "held", ns) is None, what="claim gone after its pod")
    wait_for(lambda: get(cluster, "pv", "guarded") is None, what="PV gone once released")


def test_scheduler_follows_bound_volume_node_affinity(cluster):
    ns = namespace(cluster, "pv-affinity")
    affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["pvsim-2"]}]}]}}
    apply(cluster, volume("on-two", cls="pinned", nodeAffinity=affinity), claim("pinned", ns, cls="pinned"))
    wait_phase(cluster, "pvc", "pinned", "Bound", ns)
    for i in range(4):
        apply(cluster, pod(f"p{i}", ns, ["pinned"]))
    for i in range(4):
        wait_for(lambda: (get(cluster, "pod", f"p{i}", ns) or {}).get("spec", {}).get("nodeName"), what="scheduled")
        assert get(cluster, "pod", f"p{i}", ns)["spec"]["nodeName"] == "pvsim-2"
    # Cordon pvsim-2: nowhere else satisfies the volume.
    cluster.kubectl("cordon", "pvsim-2")
    try:
        apply(cluster, pod("stuck", ns, ["pinned"]))
        msg = wait_for(lambda: scheduled_message(cluster, "stuck", ns), what="unschedulable message")
        assert "node(s) had volume node affinity conflict" in msg, msg
    finally:
        cluster.kubectl("uncordon", "pvsim-2")
    wait_for(lambda: get(cluster, "pod", "stuck", ns)["spec"].get("nodeName") == "pvsim-2", what="retried")


def test_static_local_volumes_wait_for_their_consumer(cluster):
    ns = namespace(cluster, "pv-local")
    apply(cluster, {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local-static"},
                    "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"})
    affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["pvsim-1"]}]}]}}
    apply(cluster, volume("local-one", cls="local-static", nodeAffinity=affinity), claim("local", ns, cls="local-static"))
    time.sleep(1)
    assert phase(cluster, "pvc", "local", ns) == "Pending"  # no consumer yet
    apply(cluster, pod("consumer", ns, ["local"]))
    wait_phase(cluster, "pvc", "local", "Bound", ns)
    assert get(cluster, "pvc", "local", ns)["spec"]["volumeName"] == "local-one"
    assert get(cluster, "pod", "consumer", ns)["spec"]["nodeName"] == "pvsim-1"


def test_unbound_immediate_and_missing_claims_keep_pods_pending(cluster):
    ns = namespace(cluster, "pv-pending")
    apply(cluster, claim("never", ns, cls="nonexistent-class"), pod("waits", ns, ["never"]),
          pod("orphan", ns, ["missing"]))
    msg = wait_for(lambda: scheduled_message(cluster, "waits", ns), what="unschedulable message")
    assert "pod has unbound immediate PersistentVolumeClaims" in msg, msg
    msg = wait_for(lambda: scheduled_message(cluster, "orphan", ns), what="unschedulable message")
    assert 'persistentvolumeclaim "missing" not found' in msg, msg
    # The claim appears: the pod is retried and placed.
    apply(cluster, claim("missing", ns))
    wait_for(lambda: get(cluster, "pod", "orphan", ns)["spec"].get("nodeName"), what="orphan scheduled")
    wait_phase(cluster, "pvc", "missing", "Bound", ns)


def test_ten_claimed_pods_in_order_on_one_node(cluster):
    """The StatefulSet figure's volume part: claim <i> then pod <i> (pinned to one node), each
    created once the previous pod is Ready, as OrderedReady does; through the Python client."""
    from kubernetes import client
    ns = namespace(cluster, "pv-ordered")
    core = client.CoreV1Api(cluster.python_client())

    def ready(i):
        p = core.read_namespaced_pod(f"web-{i}", ns)
        return any(c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))

    bound_after = []
    start = time.time()
    for i in range(10):
        core.create_namespaced_persistent_volume_claim(ns, claim(f"data-web-{i}", ns))
        created = time.time()
        core.create_namespaced_pod(ns, pod(f"web-{i}", ns, [f"data-web-{i}"],
                                           nodeSelector={"kubernetes.io/hostname": "pvsim-0"}))
        wait_for(lambda: core.read_namespaced_persistent_volume_claim(f"data-web-{i}", ns).status.phase == "Bound",
                 interval=0.01, what=f"claim {i} bound")
        bound_after.append(time.time() - created)
        wait_for(lambda: ready(i), interval=0.01, what=f"web-{i} ready")
    elapsed = time.time() - start
    for i in range(10):
        assert core.read_namespaced_pod(f"web-{i}", ns).spec.node_name == "pvsim-0"
    print(f"\n10 claimed pods Ready one after another in {elapsed:.2f}s; claim bound after its pod was "
          f"created: mean {sum(bound_after) / 10:.3f}s, max {max(bound_after):.3f}s")
    assert elapsed < 10
