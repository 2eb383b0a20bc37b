"""Nodes on separate network hosts: three `skiff agent`s, each in its own network namespace joined to
a host bridge (netns_cluster.py), join a server on the host. They get distinct podCIDRs and routes
to each other's pods (host-gw: they share the bridge's subnet); a Deployment with required hostname
anti-affinity spreads over all three; from a pod on every node each replica answers through the
Service's ClusterIP, through its DNS names and by pod IP; the NodePort answers on every node with
every replica. Losing a node (agent killed, namespace deleted) gets its pods rescheduled on the
others by the node lifecycle controller's taints; deleting its Node removes the routes to it.
A second, two-node cluster runs `--flannel-backend vxlan`: pods reach each other through the VXLAN
device and the vtep MACs the agents publish on their Nodes."""
import json
import os
import signal

import pytest

from agent_util import BUSYBOX, apply
from conftest import wait_for
from netns_cluster import NetnsCluster

NS = "multinode"
# The node lifecycle controller's grace: agents renew their Lease every 10 s.
GRACE = "25s"


@pytest.fixture(scope="module")
def cluster():
    with NetnsCluster("mn", nodes=3, server_args=["--node-monitor-grace-period", GRACE]) as c:
        c.server.kubectl("create", "namespace", NS)
        yield c


def web_deployment(name, replicas, spread):
    """busybox httpd answering its own pod name on 8080. spread: "required" hostname anti-affinity,
    or "any" (topology spread ScheduleAnyway) with 2 s tolerations of unreachable/not-ready nodes."""
    spec = {
        "terminationGracePeriodSeconds": 1,
        "containers": [{
            "name": "web", "image": BUSYBOX, "imagePullPolicy": "Never",
            # /cgi-bin/ip answers the client's address as the pod sees it (no masquerade in-cluster).
            "command": ["sh", "-c", "mkdir -p /www/cgi-bin && hostname > /www/index.html && "
                        "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' "
                        "> /www/cgi-bin/ip && chmod +x /www/cgi-bin/ip && exec httpd -f -p 8080 -h /www"],
            "ports": [{"containerPort": 8080}],
            "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
        }],
    }
    labels = {"app": name}
    if spread == "required":
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}]}}
    else:
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                              "whenUnsatisfiable": "ScheduleAnyway",
                                              "labelSelector": {"matchLabels": labels}}]
        spec["tolerations"] = [
            {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}
            for key in ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": spec}}}


def client_pod(name, node):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS},
            "spec": {"nodeSelector": {"kubernetes.io/hostname": node}, "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "c", "image": BUSYBOX, "imagePullPolicy": "Never",
                                     "command": ["sleep", "3600"]}]}}


def pods(s, app):
    items = s.kubectl_json("get", "pods", "-n", NS, "-l", f"app={app}")["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def ready(pod):
    conds = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
    return conds.get("Ready") == "True" and pod["status"].get("podIP")


def wait_ready_pods(c, app, count, timeout=180, exclude_node=None):
    def check():
        ps = [p for p in pods(c.server, app) if ready(p) and p["spec"].get("nodeName") != exclude_node]
        return ps if len(ps) == count else None
    try:
        return wait_for(check, timeout, 1, f"{count} ready {app} pods")
    except AssertionError as e:
        logs = "\n".join(f"--- {n.name}\n{n.log(2500)}" for n in c.nodes)
        raise AssertionError(f"{e}\npods: {json.dumps(pods(c.server, app), indent=1)[-3000:]}\n{logs}") from None


def fetch_many(c, pod, url, times=30):
    """GETs `url` `times` times from inside `pod`; the set of answers (pod names)."""
    script = f"for i in $(seq {times}); do timeout 5 wget -qO- {url}; done; true"
    res = c.server.kubectl("exec", "-n", NS, pod, "--", "sh", "-c", script, timeout=180)
    return set(res.stdout.split())


def test_nodes_join_with_distinct_pod_cidrs_and_routes(cluster):
    nodes = {n["metadata"]["name"]: n for n in cluster.server.kubectl_json("get", "nodes")["items"]}
    assert set(nodes) == {n.name for n in cluster.nodes}
    cidrs = {name: n["spec"]["podCIDR"] for name, n in nodes.items()}
    assert len(set(cidrs.values())) == 3, cidrs
    for node in cluster.nodes:
        obj = nodes[node.name]
        internal = [a["address"] for a in obj["status"]["addresses"] if a["type"] == "InternalIP"]
        assert internal == [node.ip]
        annotations = obj["metadata"].get("annotations", {})
        assert annotations.get("flannel.alpha.coreos.com/public-ip") == node.ip, annotations
    # Every node routes the other nodes' podCIDRs through their node IPs (host-gw, shared bridge).
    for node in cluster.nodes:
        def routes():
            out = node.ip_cmd("-j", "route", "show", "proto", "157").stdout
            return {r["dst"]: r.get("gateway") for r in json.loads(out or "[]")}
        want = {cidrs[o.name]: o.ip for o in cluster.nodes if o is not node}
        wait_for(lambda: routes() == want, 30, 0.5, f"host-gw routes on {node.name}")


def test_services_dns_and_pod_ips_across_nodes(cluster):
    s = cluster.server
    apply(s, web_deployment("web", 3, "required"))
    apply(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
              "spec": {"type": "NodePort", "selector": {"app": "web"},
                       "ports": [{"port": 80, "targetPort": 8080}]}})
    clients = {}
    for i, node in enumerate(cluster.nodes):
        clients[node.name] = f"client-{i}"
        apply(s, client_pod(f"client-{i}", node.name))
    web = wait_ready_pods(cluster, "web", 3)
    assert {p["spec"]["nodeName"] for p in web} == {n.name for n in cluster.nodes}, "not spread over all nodes"
    names = {p["metadata"]["name"] for p in web}
    for name in clients.values():
        wait_for(lambda: ready(s.kubectl_json("get", "pod", name, "-n", NS)), 120, 1, f"{name} ready")
    svc = s.kubectl_json("get", "service", "web", "-n", NS)
    cluster_ip = svc["spec"]["clusterIP"]
    node_port = svc["spec"]["ports"][0]["nodePort"]

    for node_name, client in clients.items():
        # By pod IP: every replica, two of them on other nodes.
        client_ip = s.kubectl_json("get", "pod", client, "-n", NS)["status"]["podIP"]
        for p in web:
            got = fetch_many(cluster, client, f"http://{p['status']['podIP']}:8080/", times=1)
            assert got == {p["metadata"]["name"]}, f"{client} on {node_name} -> {p['status']['podIP']}: {got}"
            # The replica sees the client's own pod IP, also from another node.
            seen = {a.strip("[]").removeprefix("::ffff:")  # httpd listens on IPv6: "[::ffff:a.b.c.d]"
                    for a in fetch_many(cluster, client, f"http://{p['status']['podIP']}:8080/cgi-bin/ip", times=1)}
            assert seen == {client_ip}, f"{p['metadata']['name']} saw {seen} for {client} ({client_ip})"
        assert fetch_many(cluster, client, f"http://{cluster_ip}/") == names, f"ClusterIP from {node_name}"
        assert fetch_many(cluster, client, f"http://web.{NS}.svc.cluster.local/") == names, \
            f"DNS name from {node_name}"
        assert fetch_many(cluster, client, "http://web/") == names, f"short DNS name from {node_name}"

    # The NodePort answers on every node, from the node itself and from another node, with every replica.
    for i, node in enumerate(cluster.nodes):
        other = cluster.nodes[(i + 1) % len(cluster.nodes)]
        for target in (node.ip, other.ip):
            script = f"for i in $(seq 30); do timeout 5 busybox wget -qO- http://{target}:{node_port}/; done; true"
            res = node.run("sh", "-c", script, timeout=180)
            assert set(res.stdout.split()) == names, f"NodePort {target}:{node_port} from {node.name}: {res}"


def test_lost_node_pods_rescheduled_and_routes_removed(cluster):
    s = cluster.server
    apply(s, web_deployment("movers", 3, "any"))
    movers = wait_ready_pods(cluster, "movers", 3)
    lost = cluster.nodes[2]
    if not any(p["spec"]["nodeName"] == lost.name for p in movers):
        pytest.fail(f"no mover landed on {lost.name}: {[p['spec']['nodeName'] for p in movers]}")
    lost_cidr = s.kubectl_json("get", "node", lost.name)["spec"]["podCIDR"]
    # The machine is gone: agent killed, then `skiff agent reset` in its namespace must leave
    # nothing of the node's networking behind before the namespace itself is deleted.
    lost.stop_agent(signal.SIGKILL)
    res = lost.reset()
    assert res is not None and res.returncode == 0, res
    assert lost.ip_cmd("route", "show", "proto", "157").stdout.strip() == ""
    links = lost.ip_cmd("link", "show").stdout
    assert "skiff.1" not in links and "skiff-dns0" not in links and "skiff0" not in links, links
    tables = lost.run("nft", "list", "tables").stdout
    assert "skiff" not in tables, tables
    assert not os.path.exists(lost.data_dir)
    lost.destroy()

    def node_status():
        n = s.kubectl_json("get", "node", lost.name)
        conds = {c["type"]: c["status"] for c in n["status"].get("conditions", [])}
        taints = {t["key"] for t in n["spec"].get("taints", [])}
        return conds.get("Ready") != "True" and "node.kubernetes.io/unreachable" in taints
    wait_for(node_status, 90, 1, f"{lost.name} NotReady with the unreachable taint")
    moved = wait_ready_pods(cluster, "movers", 3, timeout=120, exclude_node=lost.name)
    assert all(p["spec"]["nodeName"] != lost.name for p in moved)
    # The replacements answer from the surviving nodes' clients.
    for p in moved:
        got = fetch_many(cluster, "client-0", f"http://{p['status']['podIP']}:8080/", times=1)
        assert got == {p["metadata"]["name"]}, got

    # The Node deleted: the routes to its podCIDR go from the other nodes.
    s.kubectl("delete", "node", lost.name)
    for node in cluster.nodes[:2]:
        wait_for(lambda: lost_cidr not in node.ip_cmd("route", "show", "proto", "157").stdout, 30, 0.5,
                 f"route to {lost_cidr} removed on {node.name}")


@pytest.fixture(scope="module")
def vxlan_cluster(cluster):
    # After the host-gw cluster (module order): one heavy cluster at a time.
    cluster.close()
    with NetnsCluster("mv", nodes=2, agent_args=["--flannel-backend", "vxlan"]) as c:
        c.server.kubectl("create", "namespace", NS)
        yield c


def test_vxlan_backend_pod_to_pod(vxlan_cluster):
    c = vxlan_cluster
    s = c.server
    nodes = {n["metadata"]["name"]: n for n in s.kubectl_json("get", "nodes")["items"]}
    for node in c.nodes:
        annotations = nodes[node.name]["metadata"].get("annotations", {})
        data = json.loads(annotations.get("flannel.alpha.coreos.com/backend-data", "{}"))
        link = json.loads(node.ip_cmd("-j", "-d", "link", "show", "dev", "skiff.1").stdout)[0]
        assert data.get("VtepMAC") == link["address"] and data.get("VNI") == 1, annotations
        assert link["linkinfo"]["info_data"]["port"] == 8472
    apply(s, web_deployment("web", 2, "required"))
    web = wait_ready_pods(c, "web", 2)
    assert {p["spec"]["nodeName"] for p in web} == set(nodes)
    for i, node in enumerate(c.nodes):
        apply(s, client_pod(f"client-{i}", node.name))
    for i, node in enumerate(c.nodes):
        wait_for(lambda: ready(s.kubectl_json("get", "pod", f"client-{i}", "-n", NS)), 120, 1, "client ready")
        routes = json.loads(node.ip_cmd("-j", "route", "show", "proto", "157").stdout)
        assert [r.get("dev") for r in routes] == ["skiff.1"], routes
        for p in web:
            got = fetch_many(c, f"client-{i}", f"http://{p['status']['podIP']}:8080/", times=1)
            assert got == {p["metadata"]["name"]}, f"client-{i} -> {p['status']['podIP']}: {got}"
