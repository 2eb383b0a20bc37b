"""ReplicationControllers end to end (`skiff server --disable-agent` with `skiff sim` nodes, the
real kubectl and the Python client): an RC converges to spec.replicas Running pods it controls,
reports replicas/fullyLabeledReplicas/readyReplicas/availableReplicas/observedGeneration,
`kubectl scale rc` works through the scale subresource, matching orphans are adopted and
relabelled pods released, and deleting the RC garbage-collects its pods."""
import json

import pytest

from sim_util import sim_cluster, wait_for

NODES = 2


def rc(name, replicas, app):
    return json.dumps({
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"app": app},
                 "template": {"metadata": {"labels": {"app": app, "tier": "fe"}},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})


@pytest.fixture(scope="module")
def cluster():
    with sim_cluster("rc", NODES) as s:
        yield s


def active_pods(s, app):
    return [p for p in s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]
            if not p["metadata"].get("deletionTimestamp")]


def converged(s, name, app, n):
    """The RC's status once it shows n ready, available pods for its current generation."""
    obj = s.kubectl_json("get", "rc", name)
    st = obj.get("status", {})
    pods = active_pods(s, app)
    if len(pods) != n or not all(p["status"].get("phase") == "Running" for p in pods):
        return None
    if st.get("observedGeneration") != obj["metadata"]["generation"]:
        return None
    if not (st.get("replicas", 0) == st.get("readyReplicas", 0) == st.get("availableReplicas", 0) == n):
        return None
    return obj


def test_rc_converges_and_reports_status(cluster):
    cluster.kubectl("apply", "-f", "-", input=rc("web", 3, "web"))
    obj = wait_for(lambda: converged(cluster, "web", "web", 3), what="rc web with 3 ready pods")
    assert obj["status"]["fullyLabeledReplicas"] == 3
    assert not obj["status"].get("conditions")
    for p in active_pods(cluster, "web"):
        ref = p["metadata"]["ownerReferences"][0]
        assert ref["apiVersion"] == "v1" and ref["kind"] == "ReplicationController"
        assert ref["name"] == "web" and ref["uid"] == obj["metadata"]["uid"]
        assert ref["controller"] and ref["blockOwnerDeletion"]
        assert p["metadata"]["name"].startswith("web-")
        assert p["spec"].get("nodeName", "").startswith("rc-")
    header, row = cluster.kubectl("get", "rc", "web").stdout.splitlines()[:2]
    assert header.split()[:4] == ["NAME", "DESIRED", "CURRENT", "READY"]
    assert row.split()[:4] == ["web", "3", "3", "3"], row


def test_kubectl_scale_rc(cluster):
    raw = json.loads(cluster.kubectl("get", "--raw",
                                     "/api/v1/namespaces/default/replicationcontrollers/web/scale").stdout)
    assert raw["kind"] == "Scale" and raw["spec"]["replicas"] == 3
    assert raw["status"]["selector"] == "app=web"
    cluster.kubectl("scale", "rc", "web", "--replicas=5")
    wait_for(lambda: converged(cluster, "web", "web", 5), what="rc web scaled up to 5")
    cluster.kubectl("scale", "rc", "web", "--replicas=1")
    wait_for(lambda: converged(cluster, "web", "web", 1), what="rc web scaled down to 1")
    # The Python client's scale subresource too.
    from kubernetes import client
    api = client.CoreV1Api(cluster.python_client())
    api.patch_namespaced_replication_controller_scale("web", "default", {"spec": {"replicas": 2}})
    wait_for(lambda: converged(cluster, "web", "web", 2), what="rc web scaled to 2 by the Python client")
    got = api.read_namespaced_replication_controller("web", "default")
    assert got.spec.replicas == 2 and got.status.ready_replicas == 2


def test_adopts_orphans_and_releases_relabelled_pods(cluster):
    cluster.kubectl("apply", "-f", "-", input=rc("adopt", 2, "adopt"))
    wait_for(lambda: converged(cluster, "adopt", "adopt", 2), what="rc adopt with 2 pods")
    uid = cluster.kubectl_json("get", "rc", "adopt")["metadata"]["uid"]
    # A matching pod without an owner is adopted; the RC then has one too many and deletes one.
    cluster.kubectl("run", "stray", "--image=busybox", "--labels=app=adopt")

    def adopted():
        pods = {q["metadata"]["name"]: q for q in
                cluster.kubectl_json("get", "pods", "-l", "app=adopt")["items"]}
        stray = pods.get("stray")
        owned = stray is None or any(r.get("uid") == uid and r.get("controller")
                                     for r in stray["metadata"].get("ownerReferences", []))
        return owned and len(active_pods(cluster, "adopt")) == 2

    wait_for(adopted, what="stray pod adopted and the RC back at 2 pods")
    # A pod whose labels stop matching is released and replaced.
    victim = active_pods(cluster, "adopt")[0]["metadata"]["name"]
    cluster.kubectl("label", "pod", victim, "app=debug", "--overwrite")

    def released():
        p = cluster.kubectl_json("get", "pod", victim)
        return not p["metadata"].get("ownerReferences") and len(active_pods(cluster, "adopt")) == 2

    wait_for(released, what="relabelled pod released and replaced")
    wait_for(lambda: converged(cluster, "adopt", "adopt", 2), what="rc adopt back at 2 ready pods")
    cluster.kubectl("delete", "pod", victim, "--wait=false")


@pytest.mark.parametrize("cascade", ["background", "foreground"])
def test_deleting_the_rc_deletes_its_pods(cluster, cascade):
    name = "gone-" + cascade
    cluster.kubectl("apply", "-f", "-", input=rc(name, 2, name))
    wait_for(lambda: converged(cluster, name, name, 2), what=f"rc {name} with 2 pods")
    cluster.kubectl("delete", "rc", name, f"--cascade={cascade}", "--wait=false")
    wait_for(lambda: not cluster.kubectl_json("get", "pods", "-l", f"app={name}")["items"],
             what=f"pods of rc {name} to go")
    wait_for(lambda: name not in {r["metadata"]["name"] for r in cluster.kubectl_json("get", "rc")["items"]},
             what=f"rc {name} to go")
