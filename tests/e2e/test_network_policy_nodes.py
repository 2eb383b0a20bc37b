"""NetworkPolicy across nodes: two `skiff agent`s, each in its own network namespace (netns_cluster.py),
joined over HTTPS with their node credentials (so their enforcers read pods, namespaces and policies
through RBAC as system:nodes). A server pod on the first node is policed for traffic coming from pods
on the second node (routed, not bridged); an egress policy on the second node polices its own pod."""
import pytest

from agent_util import BUSYBOX, apply
from conftest import wait_for
from netns_cluster import NetnsCluster

NS = "np-nodes"


def pod(name, node, labels, command):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS, "labels": labels},
            "spec": {"nodeSelector": {"kubernetes.io/hostname": node}, "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "c", "image": BUSYBOX, "imagePullPolicy": "Never",
                                     "command": ["sh", "-c", command]}]}}


@pytest.fixture(scope="module")
def cluster():
    with NetnsCluster("np", nodes=2) as c:
        s = c.server
        s.kubectl("create", "namespace", NS)
        first, second = c.nodes[0].name, c.nodes[1].name
        apply(s, pod("server", first, {"app": "server"},
                     "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"))
        apply(s, pod("client", second, {"role": "client"}, "exec sleep 3600"))
        apply(s, pod("stranger", second, {}, "exec sleep 3600"))

        def ips():
            items = s.kubectl_json("get", "pods", "-n", NS)["items"]
            got = {p["metadata"]["name"]: p["status"].get("podIP") for p in items
                   if p["status"].get("phase") == "Running"}
            return got if len(got) == 3 and all(got.values()) else None
        c.ips = wait_for(ips, 180, 1, "three pods Running")
        yield c


def fetch(c, client):
    r = c.server.kubectl("exec", "-n", NS, client, "--", "timeout", "3", "wget", "-q", "-O", "-",
                         f"http://{c.ips['server']}:8080/", check=False, timeout=60)
    return r.returncode == 0 and r.stdout.strip() == "ok"


def expect(c, client, ok):
    wait_for(lambda: fetch(c, client) == ok, 30, 0.5, f"{client} -> server {'admitted' if ok else 'refused'}")


def policy(name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": NS},
            "spec": spec}


def test_ingress_from_another_node_and_egress_on_the_remote_node(cluster):
    c = cluster
    expect(c, "client", True)
    expect(c, "stranger", True)
    apply(c.server, policy("clients-only", {"podSelector": {"matchLabels": {"app": "server"}}, "ingress": [
        {"from": [{"podSelector": {"matchLabels": {"role": "client"}}}]}]}))
    expect(c, "stranger", False)  # enforced by the first node's agent on traffic from the second
    expect(c, "client", True)
    apply(c.server, policy("client-no-egress", {"podSelector": {"matchLabels": {"role": "client"}},
                                                "policyTypes": ["Egress"]}))
    expect(c, "client", False)  # enforced by the second node's agent on its own pod
    c.server.kubectl("delete", "networkpolicy", "--all", "-n", NS)
    expect(c, "client", True)
    expect(c, "stranger", True)
