"""End to end with real containers and real packets: examples/web.yaml (five busybox httpd
replicas behind a LoadBalancer Service) on `skiff server` with its in-process agent, whose service
proxy programs nftables and whose cluster DNS answers at 10.43.0.10. Traffic goes only to
loopback, to this host's own node address and to pod and service addresses the agent created.
Everything is removed afterwards (`skiff agent reset`: pods, the nftables table, the DNS
interface), also when a test fails."""
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import urllib.request

import pytest

from agent_util import (BUSYBOX, REPO, agent_node, apply, busybox_pod, make_tmp_dir, running_ready, wait_for,
                        wait_node_ready, wait_pod)

DNS_IP = "10.43.0.10"
UPSTREAM_IP = "127.0.0.77"  # a fake upstream resolver this module runs on loopback
WEB = "web.default.svc.cluster.local"


class FakeUpstream:
    """A DNS server on UPSTREAM_IP:53: A 127.0.0.88 for names under example.org, NXDOMAIN for the rest
    (as a real resolver answers the cluster's search-path expansions)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((UPSTREAM_IP, 53))
        self.queries = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            if len(data) < 12:
                continue
            qid = data[:2]
            end = 12
            labels = []
            while end < len(data) and data[end] != 0:
                labels.append(data[end + 1:end + 1 + data[end]].decode(errors="replace"))
                end += 1 + data[end]
            question = data[12:end + 5]
            name = ".".join(labels).lower()
            self.queries.append(name)
            if name.endswith("example.org"):
                answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.88")
                header = qid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
            else:
                answer = b""
                header = qid + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0)
            self.sock.sendto(header + question + answer, peer)

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def node():
    if not shutil.which("dig"):
        pytest.fail("dig is not installed (scripts/install-deps.sh installs dnsutils)")
    tmp = make_tmp_dir("skiff-svc-e2e-")
    try:
        upstream = FakeUpstream()
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip(f"cannot run a fake upstream resolver on {UPSTREAM_IP}:53: {e}")
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write(f"nameserver {UPSTREAM_IP}\nsearch example.test\n")
    try:
        with agent_node("skiff-svc-e2e-", extra_args=["--resolv-conf", resolv]) as s:
            s.node_ip = next(a["address"] for a in s.node["status"]["addresses"] if a["type"] == "InternalIP")
            s.upstream = upstream
            s.kubectl("apply", "-f", os.path.join(REPO, "examples", "web.yaml"))
            wait_ready(s, "web", 5)
            apply(s, busybox_pod("client", "exec sleep 3600", restart="Always"))
            wait_pod(s, "client", running_ready, 90, "client pod Running")
            yield s
    finally:
        upstream.close()
        shutil.rmtree(tmp, ignore_errors=True)


def wait_ready(s, app, n, timeout=120):
    def ready():
        pods = [p for p in s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]
                if not p["metadata"].get("deletionTimestamp")]
        return pods if len(pods) == n and all(running_ready(p) for p in pods) else None
    return wait_for(ready, timeout, 1, f"{n} {app} pods Running and Ready")


def svc(s, name):
    return s.kubectl_json("get", "svc", name)


def http_get(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode().strip()


def try_get(url, timeout=3):
    try:
        return http_get(url, timeout)
    except OSError:
        return None


def in_pod(s, pod, script, timeout=120):
    return s.kubectl("exec", pod, "--", "sh", "-c", script, timeout=timeout, check=False)


def dig(*args):
    res = subprocess.run(["dig", f"@{DNS_IP}", "+time=2", "+tries=1", *args], capture_output=True, text=True,
                         timeout=20)
    return res.stdout


def dig_short(*args):
    return sorted(line for line in dig("+short", *args).splitlines() if line)


def web_pods(s):
    return {p["metadata"]["name"]: p for p in s.kubectl_json("get", "pods", "-l", "app=web")["items"]
            if not p["metadata"].get("deletionTimestamp")}


def test_requests_from_a_pod_reach_all_five_replicas(node):
    s = node
    res = in_pod(s, "client", f"for i in $(seq 200); do timeout 3 wget -q -O- http://{WEB}/ || echo FAIL; done")
    lines = res.stdout.split()
    assert len(lines) == 200 and "FAIL" not in lines, res.stdout[-2000:] + res.stderr
    assert set(lines) == set(web_pods(s)), set(lines)


def test_host_reaches_load_balancer_node_port_and_cluster_ip(node):
    s = node
    service = wait_for(lambda: (lambda v: v if v["status"].get("loadBalancer", {}).get("ingress") else None)(
        svc(s, "web")), 30, 0.5, "a load balancer address")
    ingress = service["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert ingress == s.node_ip
    assert ingress in s.kubectl("get", "svc", "web").stdout  # EXTERNAL-IP
    node_port = service["spec"]["ports"][0]["nodePort"]
    names = set(web_pods(s))
    for url in (f"http://{ingress}/", f"http://127.0.0.1:{node_port}/", f"http://{s.node_ip}:{node_port}/",
                f"http://{service['spec']['clusterIP']}/"):
        seen = {http_get(url) for _ in range(30)}
        assert seen <= names and len(seen) > 1, (url, seen)


def test_endpoints_and_describe(node):
    s = node
    slices = s.kubectl_json("get", "endpointslices", "-l", "kubernetes.io/service-name=web")["items"]
    addresses = {e["addresses"][0] for sl in slices for e in sl["endpoints"] if e["conditions"].get("ready")}
    assert addresses == {p["status"]["podIP"] for p in web_pods(s).values()}
    line = next(l for l in s.kubectl("describe", "svc", "web").stdout.splitlines() if l.startswith("Endpoints:"))
    shown = [a.split(":")[0] for a in line.split()[1].split(",")]
    assert set(shown) <= addresses and len(shown) == 3 and "+ 2 more" in line, line


def test_dns_records_from_the_host(node):
    s = node
    web = svc(s, "web")
    assert dig_short(WEB) == [web["spec"]["clusterIP"]]
    srv = dig_short("SRV", f"_http._tcp.{WEB}")
    assert srv and srv[0].split()[2:] == ["80", f"{WEB}."], srv
    assert dig_short("-x", web["spec"]["clusterIP"]) == [f"{WEB}."]
    assert dig_short("+tcp", WEB) == [web["spec"]["clusterIP"]]
    assert "status: NXDOMAIN" in dig(f"nope.default.svc.cluster.local")
    assert dig_short("kubernetes.default.svc.cluster.local") == ["10.43.0.1"]
    # Headless: the ready pod IPs.
    s.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-headless"},
        "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"name": "http", "port": 8080}]}}))
    ips = sorted(p["status"]["podIP"] for p in web_pods(s).values())
    wait_for(lambda: dig_short("web-headless.default.svc.cluster.local") == ips, 10, 0.2, "headless A records")
    # Other names go to the host's resolvers (the fake upstream of this module).
    assert dig_short("www.example.org") == ["127.0.0.88"]
    assert "www.example.org" in s.upstream.queries


def test_dns_from_a_pod_with_search_paths(node):
    """The pod's resolv.conf (dnsPolicy ClusterFirst) and names resolved through its search path
    (busybox wget resolves with the C library; busybox nslookup takes full names only)."""
    s = node
    res = in_pod(s, "client", "cat /etc/resolv.conf; nslookup kubernetes.default.svc.cluster.local; "
                              "for n in web web.default web.default.svc; do timeout 3 wget -q -O- http://$n/; done")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"nameserver {DNS_IP}" in res.stdout
    assert "search default.svc.cluster.local svc.cluster.local cluster.local" in res.stdout
    assert "ndots:5" in res.stdout
    assert "10.43.0.1" in res.stdout
    names = set(web_pods(s))
    answers = [line for line in res.stdout.splitlines() if line in names]
    assert len(answers) == 3, res.stdout


def test_no_endpoints_rejects_at_once(node):
    s = node
    s.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "empty"},
        "spec": {"selector": {"app": "nothing-here"}, "ports": [{"port": 80}]}}))
    ip = svc(s, "empty")["spec"]["clusterIP"]
    time.sleep(1)
    t0 = time.time()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((ip, 80), timeout=5).close()
    assert time.time() - t0 < 1.0


def test_session_affinity_sticks_to_one_pod(node):
    s = node
    s.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "sticky"},
        "spec": {"selector": {"app": "web"}, "sessionAffinity": "ClientIP",
                 "ports": [{"port": 80, "targetPort": 8080}]}}))
    ip = svc(s, "sticky")["spec"]["clusterIP"]
    wait_for(lambda: try_get(f"http://{ip}/"), 10, 0.2, "sticky service answering")
    seen = {http_get(f"http://{ip}/") for _ in range(30)}
    assert len(seen) == 1, seen


@pytest.fixture
def outside_client():
    """A client outside the node: a network namespace this test creates, joined to the host by a
    veth pair (10.250.77.2 -> host 10.250.77.1) and routed to the node address through it."""
    ns = f"skiff-e2e-ext-{os.getpid()}"
    host_if, ns_if = f"sx{os.getpid() % 100000}h", f"sx{os.getpid() % 100000}n"

    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)
    try:
        ip("netns", "add", ns)
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if, "netns", ns)
        ip("addr", "add", "10.250.77.1/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("-n", ns, "addr", "add", "10.250.77.2/30", "dev", ns_if)
        ip("-n", ns, "link", "set", ns_if, "up")
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "route", "add", "default", "via", "10.250.77.1")
    except subprocess.CalledProcessError as e:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        pytest.skip(f"cannot build a client namespace: {e.stderr}")

    def get(url):
        res = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-m", "3", url], capture_output=True,
                             text=True, timeout=20)
        return res.stdout.strip() if res.returncode == 0 else None
    yield get
    subprocess.run(["ip", "link", "del", host_if], capture_output=True)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_external_traffic_policy_local_keeps_the_client_address(node, outside_client):
    """busybox httpd runs /cgi-bin/ip, which prints REMOTE_ADDR: a client outside the node reaching
    a NodePort keeps its address with externalTrafficPolicy Local and is masqueraded with Cluster."""
    s = node
    script = ("mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho\\necho $REMOTE_ADDR\\n' > /www/cgi-bin/ip && "
              "chmod +x /www/cgi-bin/ip && exec httpd -f -p 8080 -h /www")
    apply(s, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "echo"},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "echo"}},
                       "template": {"metadata": {"labels": {"app": "echo"}},
                                    "spec": {"containers": [{"name": "c", "image": BUSYBOX,
                                                             "imagePullPolicy": "IfNotPresent",
                                                             "command": ["sh", "-c", script]}]}}}})
    for name, policy in (("echo-cluster", "Cluster"), ("echo-local", "Local")):
        apply(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                  "spec": {"type": "NodePort", "externalTrafficPolicy": policy, "selector": {"app": "echo"},
                           "ports": [{"port": 80, "targetPort": 8080}]}})
    wait_ready(s, "echo", 1)
    local = svc(s, "echo-local")["spec"]["ports"][0]["nodePort"]
    cluster = svc(s, "echo-cluster")["spec"]["ports"][0]["nodePort"]
    got_local = wait_for(lambda: outside_client(f"http://{s.node_ip}:{local}/cgi-bin/ip"), 15, 0.3, "Local answer")
    got_cluster = wait_for(lambda: outside_client(f"http://{s.node_ip}:{cluster}/cgi-bin/ip"), 15, 0.3,
                           "Cluster answer")
    assert "10.250.77.2" in got_local, got_local
    assert got_cluster and "10.250.77.2" not in got_cluster, got_cluster


def test_hairpin_a_pod_reaches_itself_through_its_service(node):
    s = node
    pod = sorted(web_pods(s))[0]
    res = in_pod(s, pod, f"for i in $(seq 40); do timeout 3 wget -q -O- http://{WEB}/ || echo FAIL; done")
    lines = res.stdout.split()
    assert len(lines) == 40 and "FAIL" not in lines, res.stdout + res.stderr
    assert pod in lines  # it reached itself at least once among 5 replicas


def test_readiness_failure_leaves_the_endpoints(node):
    s = node
    ip = svc(s, "web")["spec"]["clusterIP"]
    victim = sorted(web_pods(s))[-1]
    in_pod(s, victim, "mv /www/index.html /www/gone.html")
    try:
        wait_for(lambda: not running_ready(web_pods(s)[victim]), 20, 0.3, "the pod not Ready")
        time.sleep(0.5)
        seen = {try_get(f"http://{ip}/") for _ in range(40)}
        assert victim not in seen and None not in seen, seen
    finally:
        in_pod(s, victim, "mv /www/gone.html /www/index.html")
    wait_ready(s, "web", 5)


def test_scaling_moves_traffic_within_a_second(node):
    s = node
    ip = svc(s, "web")["spec"]["clusterIP"]
    try:
        s.kubectl("scale", "deployment", "web", "--replicas=2")
        t0 = time.time()
        keep = None
        while time.time() - t0 < 10:
            pods = web_pods(s)
            if len(pods) == 2:
                keep = set(pods)
                break
            time.sleep(0.05)
        assert keep, "the deployment did not scale down"
        moved = None
        while time.time() - t0 < 10:
            if {try_get(f"http://{ip}/", 1) for _ in range(20)} <= keep:
                moved = time.time() - t0
                break
        print(f"traffic on the 2 remaining replicas {moved:.2f}s after kubectl scale returned")
        assert moved is not None and moved <= 1.5, moved
    finally:
        s.kubectl("scale", "deployment", "web", "--replicas=5")
        wait_ready(s, "web", 5)


def test_rolling_update_under_traffic_loses_no_request(node):
    s = node
    ip = svc(s, "web")["spec"]["clusterIP"]
    stop = threading.Event()
    results = {"ok": 0, "failed": []}

    def load():
        while not stop.is_set():
            try:
                http_get(f"http://{ip}/", 3)
                results["ok"] += 1
            except OSError as e:
                results["failed"].append(repr(e))
    worker = threading.Thread(target=load)
    worker.start()
    try:
        s.kubectl("set", "env", "deployment/web", "ROLL=1")
        s.kubectl("rollout", "status", "deployment/web", "--timeout=180s", timeout=200)
        time.sleep(1)
    finally:
        stop.set()
        worker.join()
    print(f"rolling update: {results['ok']} requests answered, {len(results['failed'])} failed")
    assert results["ok"] > 50 and not results["failed"], results["failed"][:5]


def test_agent_restart_keeps_established_connections(node):
    """A TCP connection through a ClusterIP survives kill -9 and restart of the server and its
    agent: the restarted proxy replaces its table in one transaction and conntrack keeps the flow."""
    s = node
    apply(s, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "echo-tcp"},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "echo-tcp"}},
                       "template": {"metadata": {"labels": {"app": "echo-tcp"}},
                                    "spec": {"containers": [{"name": "c", "image": BUSYBOX,
                                                             "imagePullPolicy": "IfNotPresent",
                                                             "command": ["nc", "-ll", "-p", "9000", "-e", "cat"]}]}}}})
    apply(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "echo-tcp"},
              "spec": {"selector": {"app": "echo-tcp"}, "ports": [{"port": 9000}]}})
    wait_ready(s, "echo-tcp", 1)
    ip = svc(s, "echo-tcp")["spec"]["clusterIP"]

    def connect():
        try:
            return socket.create_connection((ip, 9000), timeout=3)
        except OSError:
            return None
    conn = wait_for(connect, 20, 0.5, "a connection through the ClusterIP")
    try:
        conn.settimeout(5)
        conn.sendall(b"before\n")
        assert conn.recv(100) == b"before\n"
        s.kill9()
        s.start()
        wait_node_ready(s)
        # The restarted agent has re-synced its rules: a new connection works, and so does the old one.
        wait_for(connect, 30, 0.5, "a new connection after the restart").close()
        conn.sendall(b"after\n")
        assert conn.recv(100) == b"after\n"
    finally:
        conn.close()
