"""End to end: the service proxy rejects traffic to addresses of the service CIDR that no Service
holds, instead of letting it follow the node's default route. Everything runs in network
namespaces this test creates: `skiff server` with its in-process agent (containerd, service proxy,
cluster DNS) in a namespace "node" whose default route leads into a veth pair that ends in the
same namespace (packets sent there vanish, as if they had left the machine), and a namespace
"client", joined to the node by a veth pair and routed through it, as a pod or another host would
be. Nothing can leave the namespaces; deleting them removes every interface, route and nftables
table the test made."""
import shutil
import subprocess

import pytest

from agent_util import (Netns, join_veth, make_tmp_dir, require_container_host, tcp_connect, wait_for,
                        wait_node_ready)
from conftest import Skiff

SERVICE_CIDR = "10.43.0.0/16"  # the server's default --service-cidr
UNALLOCATED = "10.43.255.200"  # inside it; the test checks that no Service holds it
NODE_IP = "10.250.79.2"  # on out0, the interface of the node's default route
CLIENT_IP = "10.250.80.2"


@pytest.fixture(scope="module")
def node():
    require_container_host()
    tmp = make_tmp_dir("skiff-proxy-unalloc-e2e-")
    node_ns = client_ns = s = None
    try:
        try:
            node_ns = Netns("pxnode")
            client_ns = Netns("pxclient")
            # IPv4 only, so that out0's packet counter counts nothing but what we send.
            node_ns.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1")
            # The way out: a veth pair inside the namespace, its far end without addresses (packets
            # end there; a static neighbour spares the ARP).
            node_ns.ip("link", "add", "out0", "type", "veth", "peer", "name", "out0p")
            node_ns.ip("addr", "add", f"{NODE_IP}/24", "dev", "out0")
            node_ns.ip("link", "set", "out0p", "up")
            node_ns.ip("link", "set", "out0", "up")
            node_ns.ip("neigh", "add", "10.250.79.1", "lladdr", "02:00:00:00:00:01", "dev", "out0", "nud",
                       "permanent")
            node_ns.ip("route", "add", "default", "via", "10.250.79.1")
            join_veth(node_ns, "10.250.80.1/30", client_ns, f"{CLIENT_IP}/30", "px")
            client_ns.ip("route", "add", "default", "via", "10.250.80.1")
        except subprocess.CalledProcessError as e:
            pytest.skip(f"cannot build the test namespaces: {e.stderr}")
        resolv = f"{tmp}/resolv.conf"
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.1\n")  # the cluster DNS forwards nowhere else
        s = Skiff(agent=True, netns=node_ns.name, extra_args=["--resolv-conf", resolv])
        s.start()
        wait_node_ready(s)

        def programmed():
            res = node_ns.run("nft", "list", "set", "ip", "skiff-proxy", "cluster-ips")
            return res.returncode == 0 and "10.43.0.1" in res.stdout
        wait_for(programmed, 60, 0.5, "the kubernetes Service's ClusterIP in the proxy's rules")
        s.ns, s.client_ns = node_ns, client_ns
        yield s
    finally:
        if s:
            s.cleanup()
        for ns in (client_ns, node_ns):
            if ns:
                ns.close()
        shutil.rmtree(tmp, ignore_errors=True)


def sent_out(node_ns):
    """Packets the node has sent along its default route (into out0) so far."""
    res = node_ns.run("cat", "/sys/class/net/out0/statistics/tx_packets")
    if res.returncode == 0 and res.stdout.strip():
        return int(res.stdout)
    out = node_ns.ip("-s", "link", "show", "out0").stdout.split("TX:")[1].split("\n")[1]
    return int(out.split()[1])


def test_the_address_is_unallocated(node):
    ips = {svc["spec"].get("clusterIP") for svc in node.kubectl_json("get", "svc", "-A")["items"]}
    assert UNALLOCATED not in ips, ips
    assert "10.43.0.1" in ips


def test_unallocated_service_address_is_refused_on_the_node(node):
    before = sent_out(node.ns)
    outcome, seconds = tcp_connect(node.ns, UNALLOCATED, 80, timeout=5)
    assert (outcome, seconds < 1) == ("ECONNREFUSED", True), (outcome, seconds)
    assert sent_out(node.ns) == before, "the connection went out along the default route"


def test_unallocated_service_address_is_refused_for_traffic_routed_through_the_node(node):
    before = sent_out(node.ns)
    outcome, seconds = tcp_connect(node.client_ns, UNALLOCATED, 443, timeout=5)
    assert (outcome, seconds < 1) == ("ECONNREFUSED", True), (outcome, seconds)
    assert sent_out(node.ns) == before, "the connection was forwarded along the default route"


def test_allocated_service_addresses_still_work(node):
    # The kubernetes Service (DNAT to the API server) and the cluster DNS, which the node serves on a
    # local interface at an address of the service CIDR, are not caught by the rejection.
    assert tcp_connect(node.ns, "10.43.0.1", 443)[0] == "connected"
    assert tcp_connect(node.ns, "10.43.0.10", 53)[0] == "connected"
    assert tcp_connect(node.client_ns, "10.43.0.10", 53)[0] == "connected"
    if shutil.which("dig"):
        res = node.ns.run("dig", "@10.43.0.10", "+short", "+time=2", "+tries=1",
                          "kubernetes.default.svc.cluster.local")
        assert res.stdout.split() == ["10.43.0.1"], res.stdout + res.stderr


def test_an_address_is_served_once_a_service_holds_it_and_refused_again_after(node):
    # A selector-less Service with a hand-written EndpointSlice: the node agent's own endpoint
    # (0.0.0.0:10250 in the node namespace, at the node address) is its backend.
    addr = "10.43.255.201"
    assert tcp_connect(node.client_ns, addr, 8443)[0] == "ECONNREFUSED"
    node.kubectl("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Service
metadata: {{name: manual}}
spec:
  clusterIP: {addr}
  ports: [{{name: https, port: 8443, targetPort: 10250}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: manual-1
  labels: {{kubernetes.io/service-name: manual}}
addressType: IPv4
ports: [{{name: https, port: 10250, protocol: TCP}}]
endpoints: [{{addresses: ["{NODE_IP}"]}}]
""")
    for ns in (node.ns, node.client_ns):
        wait_for(lambda: tcp_connect(ns, addr, 8443)[0] == "connected", 30, 0.5, f"{addr}:8443 served")
    assert tcp_connect(node.client_ns, addr, 8444)[0] == "ECONNREFUSED"  # a port the Service lacks
    node.kubectl("delete", "svc", "manual")
    node.kubectl("delete", "endpointslice", "manual-1")
    wait_for(lambda: tcp_connect(node.client_ns, addr, 8443)[0] == "ECONNREFUSED", 30, 0.5,
             f"{addr} refused again")
