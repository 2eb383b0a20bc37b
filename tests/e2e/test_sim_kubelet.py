"""`skiff sim` nodes advertise loopback InternalIPs and one kubelet endpoint for all of them, so
`kubectl logs|exec|port-forward` of a simulated pod make the API server connect to this machine
only: logs are generated, exec and port-forward fail at once with a clear message. The endpoint
takes connections only from this machine (checked from a network namespace this test creates)."""
import ipaddress
import socket
import subprocess
import time

import pytest

from agent_util import Netns, join_veth, tcp_connect
from conftest import Skiff, start_sim, stop_process

NODES = 3
POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  nodeName: {node}
  containers:
  - name: app
    image: nginx:1.27
    ports: [{{containerPort: 80}}]
  - name: side
    image: busybox
"""


@pytest.fixture(scope="module")
def cluster():
    s = Skiff(extra_args=["--disable-agent"]).start()
    sim = None
    try:
        sim = start_sim(s, NODES, "--ready-delay", "200ms")
        s.kubectl("apply", "-f", "-", input=POD.format(name="web", node="sim-1"))
        s.kubectl("wait", "--for=condition=Ready", "pod/web", "--timeout=30s")
        yield s
    finally:
        if sim:
            stop_process(sim)
        s.cleanup()


def kubelet_endpoint(s, node):
    n = s.kubectl_json("get", "node", node)
    ip = next(a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP")
    return ip, n["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]


def test_nodes_advertise_distinct_loopback_addresses_and_one_endpoint(cluster):
    endpoints = [kubelet_endpoint(cluster, f"sim-{i}") for i in range(NODES)]
    ips = [ip for ip, _ in endpoints]
    assert ips == [f"127.64.0.{i + 1}" for i in range(NODES)], ips  # deterministic, distinct
    for ip, port in endpoints:
        assert ipaddress.ip_address(ip).is_loopback and ip != "127.0.0.1", ip
        assert port == endpoints[0][1] and port > 0
        assert tcp_connect(None, ip, port)[0] == "connected"  # it listens on every node address
    wide = cluster.kubectl("get", "nodes", "-o", "wide").stdout
    assert "127.64.0.1" in wide, wide


def test_pod_host_ip_is_its_node_address(cluster):
    pod = cluster.kubectl_json("get", "pod", "web")
    assert pod["status"]["hostIP"] == "127.64.0.2"


def test_logs_are_generated(cluster):
    start = time.time()
    out = cluster.kubectl("logs", "web", "-c", "app").stdout
    assert time.time() - start < 10
    lines = out.splitlines()
    assert len(lines) == 3, out
    assert lines[0] == 'skiff sim: container "app" of pod default/web started on simulated node sim-1', out
    assert 'container "side"' in cluster.kubectl("logs", "pod/web", "-c", "side").stdout
    assert cluster.kubectl("logs", "web", "-c", "app", "--tail=1").stdout.splitlines() == [lines[-1]]
    stamped = cluster.kubectl("logs", "web", "-c", "app", "--timestamps").stdout.splitlines()
    assert stamped[0].endswith(lines[0]) and stamped[0][:4].isdigit() and "T" in stamped[0].split()[0]
    followed = cluster.kubectl("logs", "-f", "web", "-c", "app", timeout=20).stdout
    assert followed == out
    res = cluster.kubectl("logs", "web", "-c", "app", "--previous", check=False)
    assert res.returncode != 0 and "previous terminated container" in res.stderr, res.stderr


def test_logs_of_a_finished_pod(cluster):
    cluster.kubectl("apply", "-f", "-", input=POD.format(name="done", node="sim-2").replace(
        "  name: done\n", "  name: done\n  annotations: {sim.skiff.dev/exit-after: 500ms}\n"))
    cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/done", "--timeout=30s")
    out = cluster.kubectl("logs", "done", "-c", "app").stdout
    assert "of pod default/done started on simulated node sim-2" in out, out
    assert out.splitlines()[-1] == "skiff sim: the container has terminated", out
    cluster.kubectl("delete", "pod", "done", "--timeout=30s")


def test_exec_fails_at_once_with_a_clear_message(cluster):
    start = time.time()
    res = cluster.kubectl("exec", "web", "-c", "app", "--", "ls", check=False, timeout=30)
    assert time.time() - start < 15
    assert res.returncode != 0
    assert "simulated node sim-1" in res.stderr and "no container process" in res.stderr, res.stderr


def test_port_forward_fails_at_once_with_a_clear_message(cluster):
    start = time.time()
    res = cluster.kubectl("port-forward", "pod/web", ":80", check=False, timeout=30)
    assert time.time() - start < 15
    assert res.returncode != 0
    assert "simulated node sim-1" in res.stderr, res.stderr


def test_endpoint_refuses_connections_from_other_hosts(cluster):
    """From a namespace joined to this host by a veth pair, the host's end of it is reachable (a
    listener there answers) but the sim's port is not: its socket takes loopback traffic only."""
    _, port = kubelet_endpoint(cluster, "sim-0")
    try:
        outside = Netns("simout")
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot create a network namespace: {e.stderr}")
    try:
        join_veth(None, "10.250.78.1/30", outside, "10.250.78.2/30", "so")
        with socket.socket() as control:
            control.bind(("10.250.78.1", 0))
            control.listen(1)
            assert tcp_connect(outside, "10.250.78.1", control.getsockname()[1])[0] == "connected"
        assert tcp_connect(outside, "10.250.78.1", port)[0] == "ECONNREFUSED"
        assert tcp_connect(None, "127.64.0.1", port)[0] == "connected"  # still serving
    finally:
        outside.close()
