"""End to end: the built-in ingress controller (IngressClass skiff) of `skiff server`'s in-process
agent, with real busybox pods behind it. The agent's haproxy listens on free ports of 127.0.0.1 and
the node address (never 80/443); traffic goes only to them and to pod addresses. Checked: host and
path routing to the right Services, TLS with SNI from two kubernetes.io/tls Secrets (and the
default certificate for other names), h2 over TLS, X-Forwarded-* headers, a WebSocket echo
through the ingress, Ingress status with the node address, an open keep-alive connection that
survives a configuration change, and no lost request while a Deployment scales 2 -> 4 -> 1 under
constant traffic. Everything is removed afterwards (`skiff agent reset` also stops haproxy)."""
import http.client
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from agent_util import agent_node, apply, make_tmp_dir, running_ready, wait_for, wait_pod
from conftest import free_port
from ingress_util import (apply_all, http_request, httpd_deployment, tls_peer, tls_secret, websocket_accept,
                          ws_echo)


def site_ingress():
    def path(p, service, port):
        return {"path": p, "pathType": "Prefix", "backend": {"service": {"name": service, "port": port}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "site"},
            "spec": {"ingressClassName": "skiff",
                     "tls": [{"hosts": ["a.test"], "secretName": "a-tls"}, {"hosts": ["b.test"], "secretName": "b-tls"}],
                     "rules": [{"host": "a.test", "http": {"paths": [path("/", "alpha", {"name": "http"}),
                                                                      path("/api", "beta", {"number": 80})]}},
                               {"host": "b.test", "http": {"paths": [path("/", "beta", {"number": 80})]}},
                               {"host": "ws.test", "http": {"paths": [path("/", "ws", {"number": 80})]}}]}}


def wait_ready(s, app, n, timeout=120):
    def ready():
        pods = [p for p in s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]
                if not p["metadata"].get("deletionTimestamp")]
        return pods if len(pods) == n and all(running_ready(p) for p in pods) else None
    return wait_for(ready, timeout, 0.5, f"{n} {app} pods Running and Ready")


def pods_gone_but(s, app, n, timeout=120):
    wait_for(lambda: len(s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]) == n, timeout, 0.5,
             f"{app} down to {n} pods")


def routed(port, host, path, want, addr="127.0.0.1"):
    """Waits until host/path answers 200 with a body starting with `want`."""
    def check():
        try:
            status, body = http_request(port, host, path, addr)
        except OSError:
            return None
        return body if status == 200 and body.startswith(want) else None
    return wait_for(check, 60, 0.2, f"{host}{path} -> {want}")


@pytest.fixture(scope="module")
def cluster():
    if not shutil.which("haproxy"):
        pytest.fail("haproxy is not installed (scripts/install-deps.sh installs it)")
    tmp = make_tmp_dir("skiff-ingress-e2e-")
    http_port, https_port = free_port(), free_port()
    try:
        # No cluster DNS: the ingress does not need it, and its address is host-wide (another
        # agent test may hold it).
        with agent_node("skiff-ingress-e2e-", extra_args=["--disable-cluster-dns", "--ingress-http-port", str(http_port),
                                                          "--ingress-https-port", str(https_port)]) as s:
            s.http_port, s.https_port = http_port, https_port
            s.node_ip = next(a["address"] for a in s.node["status"]["addresses"] if a["type"] == "InternalIP")
            apply_all(s, httpd_deployment("alpha", 2) + httpd_deployment("beta", 1) + ws_echo())
            tls_secret(s, tmp, "a-tls", "a.test")
            tls_secret(s, tmp, "b-tls", "b.test")
            apply(s, site_ingress())
            wait_ready(s, "alpha", 2)
            wait_ready(s, "beta", 1)
            wait_pod(s, "ws", running_ready, 90, "ws pod Running")
            # Endpoints reach the proxy a moment after the pods turn Ready.
            routed(http_port, "a.test", "/", "alpha")
            routed(http_port, "a.test", "/api/", "beta")
            routed(http_port, "b.test", "/", "beta")
            yield s
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_hosts_and_paths_route_to_their_services(cluster):
    s = cluster
    for addr in ("127.0.0.1", s.node_ip):
        assert http_request(s.http_port, "a.test", "/", addr)[1].startswith("alpha ")
        assert http_request(s.http_port, "A.TEST:80", "/api/", addr)[1].startswith("beta ")
        assert http_request(s.http_port, "b.test", "/", addr)[1].startswith("beta ")
        assert http_request(s.http_port, "b.test", "/api/", addr)[1].startswith("beta ")
    # Element-wise prefix: /apix is not under /api.
    assert http_request(s.http_port, "a.test", "/apix")[0] == 404  # alpha's httpd: no such file
    assert http_request(s.http_port, "c.test", "/")[0] == 404  # no rule, no default backend
    # Both alpha pods take requests (new connections are balanced).
    names = {http_request(s.http_port, "a.test", "/")[1] for _ in range(20)}
    assert len(names) == 2, names


def test_tls_with_sni_from_two_secrets(cluster):
    s = cluster
    cn, status, body = tls_peer(s.https_port, "a.test")
    assert (cn, status) == ("a.test", 200) and body.startswith("alpha ")
    cn, status, body = tls_peer(s.https_port, "b.test")
    assert (cn, status) == ("b.test", 200) and body.startswith("beta ")
    cn, _, _ = tls_peer(s.https_port, "other.test", addr=s.node_ip)
    assert cn == "skiff-ingress-default"
    # Nodes may read the Secrets Ingresses name (Role skiff:ingress-tls), and no others.
    s.kubectl("create", "secret", "generic", "unrelated", "--from-literal=k=v")
    node = ["--as", f"system:node:{s.node['metadata']['name']}", "--as-group", "system:nodes"]
    assert s.kubectl("auth", "can-i", "get", "secrets/a-tls", *node, check=False).stdout.strip() == "yes"
    assert s.kubectl("auth", "can-i", "get", "secrets/unrelated", *node, check=False).stdout.strip() == "no"
    assert s.kubectl("auth", "can-i", "list", "secrets", *node, check=False).stdout.strip() == "no"


def test_h2_over_tls(cluster):
    s = cluster
    res = subprocess.run(["curl", "-sk", "--http2", "--resolve", f"a.test:{s.https_port}:127.0.0.1",
                          "-w", "\n%{http_version}", f"https://a.test:{s.https_port}/api/"],
                         capture_output=True, text=True, timeout=30)
    body, _, version = res.stdout.rpartition("\n")
    assert version == "2", res
    assert body.startswith("beta "), res


def test_x_forwarded_headers(cluster):
    s = cluster
    _, status, body = tls_peer(s.https_port, "a.test", path="/cgi-bin/headers")
    assert status == 200, body
    headers = dict(line.split("=", 1) for line in body.split("\n") if "=" in line)
    assert headers["HTTP_X_FORWARDED_PROTO"] == "https"
    assert headers["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert headers["HTTP_X_FORWARDED_HOST"] == "a.test"
    assert headers["HTTP_X_FORWARDED_PORT"] == str(s.https_port)
    status, body = http_request(s.http_port, "a.test", "/cgi-bin/headers")
    assert "HTTP_X_FORWARDED_PROTO=http\n" in body + "\n"


def test_websocket_echo(cluster):
    s = cluster
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    with socket.create_connection(("127.0.0.1", s.http_port), timeout=10) as sock:
        sock.sendall((f"GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            assert chunk, head
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101"), lines
        fields = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        assert fields["sec-websocket-accept"] == websocket_accept(key)
        # A masked text frame "hello" goes through the tunnel and comes back byte for byte.
        frame = bytes([0x81, 0x85, 1, 2, 3, 4]) + bytes(b ^ m for b, m in zip(b"hello", b"\x01\x02\x03\x04\x01"))
        for _ in range(3):
            sock.sendall(frame)
            got = rest
            while len(got) < len(frame):
                got += sock.recv(4096)
            assert got == frame
            rest = b""


def test_ingress_status_shows_the_node_address(cluster):
    s = cluster
    def addresses():
        ingress = s.kubectl_json("get", "ingress", "site")
        return [i.get("ip") for i in ingress.get("status", {}).get("loadBalancer", {}).get("ingress", [])] or None
    assert wait_for(addresses, 30, 0.5, "Ingress status") == [s.node_ip]


def test_config_change_keeps_an_open_keepalive_connection(cluster):
    s = cluster
    conn = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=10)
    try:
        conn.request("GET", "/", headers={"Host": "b.test"})
        r = conn.getresponse()
        assert r.status == 200 and r.read().decode().startswith("beta ")
        apply(s, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "extra"},
                  "spec": {"rules": [{"host": "d.test", "http": {"paths": [{
                      "path": "/", "pathType": "Exact",
                      "backend": {"service": {"name": "alpha", "port": {"number": 80}}}}]}}]}})
        routed(s.http_port, "d.test", "/", "alpha")  # the new configuration is live
        conn.request("GET", "/", headers={"Host": "b.test"})  # on the connection opened before
        r = conn.getresponse()
        assert r.status == 200 and r.read().decode().startswith("beta ")
    finally:
        conn.close()
        s.kubectl("delete", "ingress", "extra", "--ignore-not-found")


def test_scaling_under_constant_traffic_loses_no_request(cluster):
    s = cluster
    results = {"ok": 0, "failed": []}
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                status, body = http_request(s.http_port, "a.test", "/", timeout=10)
                if status == 200 and body.startswith("alpha "):
                    results["ok"] += 1
                else:
                    results["failed"].append((status, body[:80]))
            except OSError as e:
                results["failed"].append(repr(e))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        s.kubectl("scale", "deployment", "alpha", "--replicas=4")
        wait_ready(s, "alpha", 4)
        time.sleep(2)
        s.kubectl("scale", "deployment", "alpha", "--replicas=1")
        wait_ready(s, "alpha", 1)
        pods_gone_but(s, "alpha", 1)
        time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join()
        s.kubectl("scale", "deployment", "alpha", "--replicas=2")
    with open(s.log_path, errors="replace") as f:
        applies = [line.rsplit(" in ", 1)[1].strip() for line in f if "ingress: applied" in line]
    print(f"ingress: {results['ok']} requests while scaling 2 -> 4 -> 1, {len(results['failed'])} failed; "
          f"{len(applies)} configurations applied since start, the last ones took {applies[-6:]}")
    assert results["failed"] == [], results["failed"][:10]
    assert results["ok"] > 100
    wait_ready(s, "alpha", 2)
