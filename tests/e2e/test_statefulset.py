"""StatefulSets end to end on `skiff server --disable-agent` with `skiff sim` nodes, driven by the
real kubectl and the Python client: OrderedReady creates web-0, web-1, web-2 each after its
predecessor is Running and Ready and scales down from the highest ordinal, one pod gone before the
next goes (checked on a pod watch); Parallel with spec.ordinals.start creates every pod at once;
pods get hostname/subdomain and the pod-name/pod-index labels; a partitioned RollingUpdate updates
only ordinals >= partition, and `kubectl rollout status|history|undo statefulset` work; claims from
volumeClaimTemplates are kept or deleted per persistentVolumeClaimRetentionPolicy on scale-down
and on deletion of the set (claims are not bound here: binding is the PV controller's)."""
import json
import threading

import pytest

from conftest import wait_for, watch_events
from sim_util import sim_cluster

NODES = 2


@pytest.fixture(scope="module")
def cluster():
    with sim_cluster("ss", NODES) as s:
        yield s


def statefulset(name, replicas, image="busybox:1", spec_extra="", template_labels=""):
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  clusterIP: None
  selector: {{app: {name}}}
  ports: [{{port: 80}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {name}
  annotations: {{kubernetes.io/change-cause: "create {image}"}}
spec:
  replicas: {replicas}
  serviceName: {name}
  selector:
    matchLabels: {{app: {name}}}
{spec_extra}
  template:
    metadata:
      labels: {{app: {name}{template_labels}}}
    spec:
      containers:
      - name: c
        image: {image}
        resources:
          requests: {{cpu: 10m, memory: 16Mi}}
"""


def namespace(s, name):
    s.kubectl("create", "namespace", name)
    return name


class PodWatch:
    """Records every pod event of a namespace (kind, pod name, running+ready, terminating)."""

    def __init__(self, s, ns):
        self.events = []
        self.opened = threading.Event()
        path = f"/api/v1/namespaces/{ns}/pods?watch=true&timeoutSeconds=120"
        self.thread = threading.Thread(target=self.run, args=(s, path), daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "pod watch did not open"

    def run(self, s, path):
        for _, ev in watch_events(s, path, timeout=130, on_open=lambda status: self.opened.set()):
            pod = ev["object"]
            st = pod.get("status", {})
            ready = st.get("phase") == "Running" and any(
                c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", []))
            self.events.append((ev["type"], pod["metadata"]["name"], ready,
                                bool(pod["metadata"].get("deletionTimestamp"))))

    def first(self, pred):
        """Index of the first event matching pred(type, name, ready, terminating), or None."""
        for i, e in enumerate(self.events):
            if pred(*e):
                return i
        return None

    def state_before(self, index, name):
        """The last recorded (type, name, ready, terminating) of `name` before event `index`."""
        last = None
        for e in self.events[:index]:
            if e[1] == name:
                last = e
        return last


def sts(s, ns, name="web"):
    return s.kubectl_json("-n", ns, "get", "statefulset", name)


def pods(s, ns, app="web"):
    return {p["metadata"]["name"]: p for p in s.kubectl_json("-n", ns, "get", "pods", "-l", f"app={app}")["items"]}


def rollout_status(s, ns, name="web"):
    return s.kubectl("-n", ns, "rollout", "status", f"statefulset/{name}", "--timeout=60s", timeout=90).stdout


def test_ordered_ready_creates_in_order_and_scales_down_in_reverse(cluster):
    ns = namespace(cluster, "ss-ordered")
    watch = PodWatch(cluster, ns)
    cluster.kubectl("-n", ns, "apply", "-f", "-", input=statefulset("web", 3))
    out = rollout_status(cluster, ns)
    # kubectl calls every RollingUpdate with a rollingUpdate block (defaulted) partitioned.
    assert "partitioned roll out complete: 3 new pods have been updated" in out, out
    wait_for(lambda: sts(cluster, ns)["status"].get("availableReplicas") == 3, what="3 available")
    # Each pod was created only once its predecessor was Running and Ready.
    for i in (1, 2):
        created = watch.first(lambda t, n, r, d: t == "ADDED" and n == f"web-{i}")
        assert created is not None, watch.events
        before = watch.state_before(created, f"web-{i - 1}")
        assert before is not None and before[2], (i, before, watch.events)
    assert watch.first(lambda t, n, r, d: t == "ADDED" and n == "web-0") < \
        watch.first(lambda t, n, r, d: t == "ADDED" and n == "web-1")
    # Stable identity.
    got = pods(cluster, ns)
    assert sorted(got) == ["web-0", "web-1", "web-2"]
    for name, p in got.items():
        assert p["spec"]["hostname"] == name
        assert p["spec"]["subdomain"] == "web"
        labels = p["metadata"]["labels"]
        assert labels["statefulset.kubernetes.io/pod-name"] == name
        assert labels["apps.kubernetes.io/pod-index"] == name.split("-")[1]
        assert labels["controller-revision-hash"] == sts(cluster, ns)["status"]["updateRevision"]
        ref = p["metadata"]["ownerReferences"][0]
        assert ref["kind"] == "StatefulSet" and ref["name"] == "web" and ref["controller"]
    # The Python client reads the same status.
    from kubernetes import client
    st = client.AppsV1Api(cluster.python_client()).read_namespaced_stateful_set("web", ns).status
    assert (st.replicas, st.ready_replicas, st.current_replicas, st.updated_replicas) == (3, 3, 3, 3)
    assert st.current_revision == st.update_revision and st.current_revision.startswith("web-")
    assert st.observed_generation == 1 and st.collision_count == 0
    row = cluster.kubectl("-n", ns, "get", "statefulset", "web").stdout.splitlines()[1].split()
    assert row[1] == "3/3", row

    # Scale down: web-2 goes first and is gone before web-1 starts terminating.
    mark = len(watch.events)
    cluster.kubectl("-n", ns, "scale", "statefulset/web", "--replicas=1")
    wait_for(lambda: sorted(pods(cluster, ns)) == ["web-0"], what="scale down to web-0")
    wait_for(lambda: sts(cluster, ns)["status"].get("replicas") == 1, what="status.replicas 1")
    tail = watch.events[mark:]
    gone2 = next(i for i, e in enumerate(tail) if e[1] == "web-2" and e[0] == "DELETED")
    term1 = next(i for i, e in enumerate(tail) if e[1] == "web-1" and (e[3] or e[0] == "DELETED"))
    assert gone2 < term1, tail


def test_parallel_with_start_ordinal_creates_all_pods_at_once(cluster):
    ns = namespace(cluster, "ss-parallel")
    watch = PodWatch(cluster, ns)
    cluster.kubectl("-n", ns, "apply", "-f", "-", input=statefulset(
        "db", 4, spec_extra="  podManagementPolicy: Parallel\n  ordinals: {start: 10}"))
    wait_for(lambda: sts(cluster, ns, "db")["status"].get("readyReplicas") == 4, what="4 ready")
    assert sorted(pods(cluster, ns, "db")) == ["db-10", "db-11", "db-12", "db-13"]
    first_ready = watch.first(lambda t, n, r, d: r)
    last_added = max(watch.first(lambda t, n, r, d, k=k: t == "ADDED" and n == f"db-{k}") for k in range(10, 14))
    assert last_added < first_ready, watch.events
    # Scaling to 0 removes them all.
    cluster.kubectl("-n", ns, "scale", "statefulset/db", "--replicas=0")
    wait_for(lambda: not pods(cluster, ns, "db"), what="all db pods gone")


def revision_of(s, ns, pod):
    return pods(s, ns)[pod]["metadata"]["labels"]["controller-revision-hash"]


def test_partitioned_rolling_update_and_rollout_history_undo(cluster):
    ns = namespace(cluster, "ss-rollout")
    cluster.kubectl("-n", ns, "apply", "-f", "-", input=statefulset(
        "web", 3, spec_extra="  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {partition: 2}"))
    rollout_status(cluster, ns)
    wait_for(lambda: sts(cluster, ns)["status"].get("readyReplicas") == 3, what="3 ready")
    first = sts(cluster, ns)["status"]["currentRevision"]

    # The revision copies the set's annotations when it is made: annotate first.
    cluster.kubectl("-n", ns, "annotate", "statefulset/web", "--overwrite", "kubernetes.io/change-cause=to busybox:2")
    cluster.kubectl("-n", ns, "set", "image", "statefulset/web", "c=busybox:2")
    out = rollout_status(cluster, ns)
    assert "partitioned roll out complete: 1 new pods have been updated" in out, out
    st = sts(cluster, ns)["status"]
    second = st["updateRevision"]
    assert second != first and st["currentRevision"] == first
    wait_for(lambda: revision_of(cluster, ns, "web-2") == second, what="web-2 updated")
    assert revision_of(cluster, ns, "web-0") == first and revision_of(cluster, ns, "web-1") == first
    assert pods(cluster, ns)["web-2"]["spec"]["containers"][0]["image"] == "busybox:2"
    assert pods(cluster, ns)["web-0"]["spec"]["containers"][0]["image"] == "busybox:1"

    # Partition 0: the rest follows, highest ordinal first, and the update revision becomes current.
    cluster.kubectl("-n", ns, "patch", "statefulset/web", "-p",
                    json.dumps({"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}))
    rollout_status(cluster, ns)
    wait_for(lambda: sts(cluster, ns)["status"].get("currentRevision") == second, what="rollout complete")
    assert {revision_of(cluster, ns, p) for p in ("web-0", "web-1", "web-2")} == {second}

    history = cluster.kubectl("-n", ns, "rollout", "history", "statefulset/web").stdout
    lines = [l.split(None, 1) for l in history.splitlines() if l[:1].isdigit()]
    assert [l[0] for l in lines] == ["1", "2"], history
    assert lines[1][1].strip() == "to busybox:2", history
    detail = cluster.kubectl("-n", ns, "rollout", "history", "statefulset/web", "--revision=1").stdout
    assert "busybox:1" in detail, detail

    out = cluster.kubectl("-n", ns, "rollout", "undo", "statefulset/web").stdout
    assert "rolled back" in out, out
    rollout_status(cluster, ns)
    wait_for(lambda: sts(cluster, ns)["status"].get("currentRevision") == first, what="undo complete")
    assert {p["spec"]["containers"][0]["image"] for p in pods(cluster, ns).values()} == {"busybox:1"}
    history = cluster.kubectl("-n", ns, "rollout", "history", "statefulset/web").stdout
    assert [l.split()[0] for l in history.splitlines() if l[:1].isdigit()] == ["2", "3"], history
    revs = cluster.kubectl_json("-n", ns, "get", "controllerrevisions")["items"]
    assert sorted(r["metadata"]["name"] for r in revs) == sorted([first, second])


CLAIMS = """  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: %s, whenScaled: %s}
  volumeClaimTemplates:
  - metadata: {name: data, labels: {tier: storage}}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}"""


def claims(s, ns):
    return {c["metadata"]["name"]: c for c in s.kubectl_json("-n", ns, "get", "pvc")["items"]
            if not c["metadata"].get("deletionTimestamp")}


def test_claims_follow_retention_policy(cluster):
    ns = namespace(cluster, "ss-claims")
    cluster.kubectl("-n", ns, "apply", "-f", "-", input=statefulset("keep", 3, spec_extra=CLAIMS % ("Retain", "Retain")))
    cluster.kubectl("-n", ns, "apply", "-f", "-", input=statefulset("drop", 3, spec_extra=CLAIMS % ("Delete", "Delete")))
    want = {f"data-{s}-{i}" for s in ("keep", "drop") for i in range(3)}
    wait_for(lambda: set(claims(cluster, ns)) == want, what="6 claims")
    for name, c in claims(cluster, ns).items():
        assert c["metadata"]["labels"] == {"tier": "storage", "app": name.split("-")[1]}
        assert c["spec"]["resources"]["requests"]["storage"] == "1Gi"
        refs = c["metadata"].get("ownerReferences", [])
        if name.startswith("data-keep"):
            assert refs == [], c
        else:
            assert [(r["kind"], r["name"], r["controller"]) for r in refs] == [("StatefulSet", "drop", True)]
    vols = pods(cluster, ns, "drop")["drop-1"]["spec"]["volumes"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-drop-1"}} in vols, vols

    for name in ("keep", "drop"):
        cluster.kubectl("-n", ns, "scale", f"statefulset/{name}", "--replicas=1")
    wait_for(lambda: set(pods(cluster, ns, "drop")) == {"drop-0"} and set(pods(cluster, ns, "keep")) == {"keep-0"},
             what="scaled down to one pod each")
    # whenScaled: Delete -> the scaled-down pods' claims go with them; Retain keeps them.
    wait_for(lambda: set(claims(cluster, ns)) == {"data-keep-0", "data-keep-1", "data-keep-2", "data-drop-0"},
             what="scaled-down claims of drop deleted")

    # Scaling up again reuses the kept claims.
    cluster.kubectl("-n", ns, "scale", "statefulset/keep", "--replicas=3")
    wait_for(lambda: len(pods(cluster, ns, "keep")) == 3, what="keep back to 3")
    assert set(claims(cluster, ns)) >= {"data-keep-0", "data-keep-1", "data-keep-2"}

    # whenDeleted: Delete -> deleting the set deletes its claims; Retain keeps them.
    for name in ("keep", "drop"):
        cluster.kubectl("-n", ns, "delete", "statefulset", name)
    wait_for(lambda: not pods(cluster, ns, "drop") and not pods(cluster, ns, "keep"), what="pods gone")
    wait_for(lambda: set(claims(cluster, ns)) == {"data-keep-0", "data-keep-1", "data-keep-2"},
             what="drop's claims deleted with the set")
