"""Node loss -> taint-based eviction -> replacement, driven through kubectl: two `skiff sim`
processes own one node each; a Deployment that tolerates node.kubernetes.io/unreachable for 2 s
is spread over both; the sim owning one node is killed with SIGKILL. The node lifecycle
controller marks that node Unknown (NotReady) with the unreachable taints once the (shortened)
node monitor grace period passes, evicts its pods 2 s later (TaintManagerEviction events), and the
Deployment is fully Ready again on the surviving node.

The sims renew their leases every second so that a 5 s grace period cannot make healthy nodes flap."""
import signal
import time

import pytest

import sim_util
from conftest import Skiff, stop_process, wait_for

GRACE = "5s"
REPLICAS = 4

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        resources:
          requests: {{cpu: 100m}}
      tolerations:
      - key: node.kubernetes.io/unreachable
        operator: Exists
        effect: NoExecute
        tolerationSeconds: 2
      - key: node.kubernetes.io/not-ready
        operator: Exists
        effect: NoExecute
        tolerationSeconds: 2
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels: {{app: web}}
"""


def start_sim(s, prefix):
    return sim_util.start_sim(s, prefix, 1, "--lease-interval", "1s", "--cpu", "4", "--memory", "8Gi")


@pytest.fixture
def cluster():
    s = Skiff(extra_args=["--disable-agent", "--node-monitor-grace-period", GRACE]).start()
    sims = {}
    try:
        sims["keep"] = start_sim(s, "keep")
        sims["lost"] = start_sim(s, "lost")
        s.sims = sims
        yield s
    finally:
        for p in sims.values():
            stop_process(p)
        s.cleanup()


def node_rows(s):
    """{name: STATUS column} from `kubectl get nodes`."""
    out = s.kubectl("get", "nodes", "--no-headers").stdout.splitlines()
    return {line.split()[0]: line.split()[1] for line in out if line.strip()}


def pod_rows(s):
    """[(name, status, node)] of the web pods from `kubectl get pods -o wide`."""
    out = s.kubectl("get", "pods", "-l", "app=web", "-o", "wide").stdout.splitlines()
    header = out[0].split()
    status_col, node_col = header.index("STATUS"), header.index("NODE")
    return [(r.split()[0], r.split()[status_col], r.split()[node_col]) for r in out[1:] if r.strip()]


def test_lost_node_is_tainted_its_pods_evicted_and_replaced(cluster):
    s = cluster
    wait_for(lambda: node_rows(s) == {"keep-0": "Ready", "lost-0": "Ready"}, 30, what="both sim nodes Ready")
    # Each node got its own pod CIDR from the default cluster CIDR.
    cidrs = {n: s.kubectl_json("get", "node", n)["spec"].get("podCIDR") for n in ("keep-0", "lost-0")}
    assert all(c and c.startswith("10.42.") and c.endswith("/24") for c in cidrs.values()), cidrs
    assert cidrs["keep-0"] != cidrs["lost-0"], cidrs

    s.kubectl("apply", "-f", "-", input=DEPLOYMENT.format(replicas=REPLICAS))
    s.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    rows = pod_rows(s)
    assert {node for _, _, node in rows} == {"keep-0", "lost-0"}, rows  # spread over both
    doomed = sorted(name for name, _, node in rows if node == "lost-0")

    s.sims["lost"].send_signal(signal.SIGKILL)
    s.sims["lost"].wait()
    killed_at = time.time()

    # The silent node turns NotReady (Ready=Unknown) with the unreachable taints.
    wait_for(lambda: node_rows(s).get("lost-0") == "NotReady", 25, what="lost-0 NotReady")
    node = s.kubectl_json("get", "node", "lost-0")
    ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "Unknown" and ready["reason"] == "NodeStatusUnknown", ready
    taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints", [])}
    assert taints == {("node.kubernetes.io/unreachable", "NoExecute"),
                      ("node.kubernetes.io/unreachable", "NoSchedule")}, taints
    assert node_rows(s)["keep-0"] == "Ready"

    # Its pods are evicted after their 2 s toleration. No kubelet is left to finish them, so (as
    # in Kubernetes) they may stay Terminating; they are no longer counted by the ReplicaSet.
    def evicted():
        left = {name: status for name, status, _ in pod_rows(s)}
        return all(left.get(name, "Terminating") == "Terminating" for name in doomed)
    wait_for(evicted, 15, what=f"eviction of {doomed}")

    # The Deployment is whole again, every Ready replica on the surviving node.
    def replaced():
        d = s.kubectl_json("get", "deployment", "web")
        live = [r for r in pod_rows(s) if r[1] == "Running"]
        return (d["status"].get("readyReplicas") == REPLICAS and d["status"].get("availableReplicas") == REPLICAS
                and len(live) == REPLICAS and all(node == "keep-0" for _, _, node in live))
    wait_for(replaced, 20, what="all replicas Ready on keep-0")
    s.kubectl("rollout", "status", "deployment/web", "--timeout=10s")
    assert time.time() - killed_at < 40

    # The why, as kubectl shows it.
    events = s.kubectl("get", "events", "--field-selector", "reason=TaintManagerEviction",
                       "-o", "custom-columns=OBJ:.involvedObject.name,MSG:.message,SRC:.source.component",
                       "--no-headers").stdout
    for name in doomed:
        assert f"Marking for deletion Pod default/{name}" in events, events
    assert "taint-eviction-controller" in events
    described = s.kubectl("describe", "node", "lost-0").stdout
    assert "node.kubernetes.io/unreachable:NoExecute" in described, described
    assert "NodeNotReady" in described, described
    # A replacement pod shows where it runs.
    wide = s.kubectl("get", "pods", "-l", "app=web", "-o", "wide").stdout
    assert "keep-0" in wide
