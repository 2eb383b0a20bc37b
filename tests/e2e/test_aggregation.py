"""The aggregation layer (apiregistration.k8s.io/v1) end to end: a small HTTPS extension API server
written here (on 127.0.0.1) serves wardle.example.com/v1alpha1 "flunders". It trusts
X-Remote-User/X-Remote-Group only from a client certificate signed by the requestheader CA it reads
from kube-system/extension-apiserver-authentication, as a real extension server does. skiff reaches it
through an APIService naming a selector-less Service with a manual EndpointSlice, and proxies
kubectl's requests (list, get, watch) and a protocol upgrade to it; discovery, Available conditions (True, then False when
the server stops) and deletion are checked with real kubectl. Local APIServices (metrics.k8s.io
included, still served by skiff itself) are listed as kube-apiserver lists them."""
import json
import os
import socket
import ssl
import subprocess
import tempfile

import pytest
import yaml

from conftest import Skiff, api_request, wait_for, watch_events
from tls_test_server import HttpsTestServer, JsonRequestHandler, ca_bundle, expose_on_loopback, make_serving_pki

GROUP = "wardle.example.com"
VERSION = "v1alpha1"
NS = "wardle"
APISERVICE = f"{VERSION}.{GROUP}"


def flunder(ns, name):
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Flunder",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z",
                         "resourceVersion": "7"},
            "spec": {"reference": name.upper()}}


RESOURCE_LIST = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{GROUP}/{VERSION}",
                 "resources": [{"name": "flunders", "singularName": "flunder", "namespaced": True,
                                "kind": "Flunder", "verbs": ["get", "list", "watch"], "shortNames": ["fl"]}]}


class ExtensionServer:
    """The extension API server: HTTPS on a free loopback port, client certificates verified
    against the requestheader CA, X-Remote-* honoured only from a verified front proxy."""

    def __init__(self, dir, requestheader_ca, allowed_names):
        self.ca_crt, crt, key = make_serving_pki(dir, [f"DNS:ext-api.{NS}.svc"], "wardle-test-ca")
        self.allowed_names = allowed_names
        self.requests = []  # (method, path, user, groups)
        server = self

        class Handler(JsonRequestHandler):
            protocol_version = "HTTP/1.1"

            def shout(self):
                # A protocol switch: then upper-case what the client sends until it says "bye".
                self.send_response(101)
                self.send_header("Connection", "Upgrade")
                self.send_header("Upgrade", "shout")
                self.end_headers()
                self.wfile.flush()
                while (data := self.connection.recv(1024)) and data != b"bye":
                    self.connection.sendall(data.upper())
                self.close_connection = True

            def do_GET(self):
                cert = self.connection.getpeercert()
                cn = dict(x[0] for x in cert["subject"]).get("commonName") if cert else None
                if cn not in server.allowed_names:
                    return self.send_json(401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                                "reason": "Unauthorized", "code": 401})
                user = self.headers.get("X-Remote-User")
                groups = self.headers.get_all("X-Remote-Group") or []
                path, _, query = self.path.partition("?")
                server.requests.append(("GET", self.path, user, groups))
                base = f"/apis/{GROUP}/{VERSION}"
                if path.endswith("/shout") and self.headers.get("Upgrade") == "shout":
                    return self.shout()
                if path == base:
                    return self.send_json(200, RESOURCE_LIST)
                parts = path[len(base):].strip("/").split("/") if path.startswith(base + "/") else []
                if parts[:1] == ["flunders"] and len(parts) == 1:
                    items = [flunder(NS, "alpha"), flunder(NS, "beta")]
                elif len(parts) >= 3 and parts[0] == "namespaces" and parts[2] == "flunders":
                    items = [flunder(parts[1], "alpha"), flunder(parts[1], "beta")]
                    if len(parts) == 4:
                        match = [i for i in items if i["metadata"]["name"] == parts[3]]
                        if match:
                            return self.send_json(200, match[0])
                        return self.send_not_found()
                else:
                    return self.send_not_found()
                if "watch=true" in query or "watch=1" in query:
                    # A chunked stream: one ADDED event per flunder, then the end.
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for item in items:
                        line = (json.dumps({"type": "ADDED", "object": item}) + "\n").encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_json(200, {"kind": "FlunderList", "apiVersion": f"{GROUP}/{VERSION}",
                                     "metadata": {"resourceVersion": "7"}, "items": items})

        self.server = HttpsTestServer(crt, key, Handler, client_ca=requestheader_ca, verify_mode=ssl.CERT_OPTIONAL)
        self.port = self.server.port

    def stop(self):
        self.server.stop()


def apply(s, doc):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(doc, f)
    try:
        s.kubectl("apply", "-f", f.name)
    finally:
        os.unlink(f.name)


def condition(s, name):
    got = s.kubectl_json("get", "apiservice", name)
    for c in got.get("status", {}).get("conditions", []):
        if c["type"] == "Available":
            return c
    return None


@pytest.fixture(scope="module")
def cluster():
    s = Skiff().start()
    workdir = tempfile.mkdtemp(prefix="skiff-aggregation-")
    ext = None
    try:
        cm = s.kubectl_json("get", "configmap", "-n", "kube-system", "extension-apiserver-authentication")
        ext = ExtensionServer(workdir, cm["data"]["requestheader-client-ca-file"],
                              json.loads(cm["data"]["requestheader-allowed-names"]))
        s.kubectl("create", "namespace", NS)
        expose_on_loopback(lambda obj: apply(s, obj), NS, "ext-api", 443, ext.port)
        ca = ca_bundle(ext.ca_crt)
        apply(s, {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                  "metadata": {"name": APISERVICE},
                  "spec": {"group": GROUP, "version": VERSION, "groupPriorityMinimum": 1000,
                           "versionPriority": 15, "caBundle": ca,
                           "service": {"namespace": NS, "name": "ext-api", "port": 443}}})
        wait_for(lambda: (condition(s, APISERVICE) or {}).get("status") == "True", timeout=30,
                 what="the APIService to become available")
        yield s, ext
    finally:
        if ext:
            ext.stop()
        subprocess.run(["rm", "-rf", workdir])
        s.cleanup()


def test_front_proxy_authentication_is_published(cluster):
    s, _ = cluster
    data = s.kubectl_json("get", "configmap", "-n", "kube-system", "extension-apiserver-authentication")["data"]
    with open(os.path.join(s.data_dir, "pki", "front-proxy-ca.crt")) as f:
        assert data["requestheader-client-ca-file"] == f.read()
    with open(os.path.join(s.data_dir, "pki", "ca.crt")) as f:
        assert data["client-ca-file"] == f.read()
    assert json.loads(data["requestheader-allowed-names"]) == ["front-proxy-client"]
    assert json.loads(data["requestheader-username-headers"]) == ["X-Remote-User"]
    assert json.loads(data["requestheader-group-headers"]) == ["X-Remote-Group"]
    assert json.loads(data["requestheader-extra-headers-prefix"]) == ["X-Remote-Extra-"]
    role = s.kubectl_json("get", "role", "-n", "kube-system", "extension-apiserver-authentication-reader")
    assert role["rules"][0]["resourceNames"] == ["extension-apiserver-authentication"]


def test_local_apiservices_are_listed_available(cluster):
    s, _ = cluster
    rows = {line.split()[0]: line.split()[1:3]
            for line in s.kubectl("get", "apiservices").stdout.splitlines()[1:]}
    for name in ("v1.", "v1.apps", "v1.apiregistration.k8s.io", "v1beta1.metrics.k8s.io", "v2.autoscaling"):
        assert rows[name] == ["Local", "True"], (name, rows)
    assert rows[APISERVICE] == [f"{NS}/ext-api", "True"]
    apps = s.kubectl_json("get", "apiservice", "v1.apps")
    assert apps["spec"]["groupPriorityMinimum"] == 17800 and apps["spec"]["versionPriority"] == 15
    assert apps["metadata"]["labels"]["kube-aggregator.kubernetes.io/automanaged"] == "onstart"
    cond = condition(s, APISERVICE)
    assert (cond["reason"], cond["message"]) == ("Passed", "all checks passed")


def test_kubectl_get_aggregated_resource(cluster):
    s, ext = cluster
    before = len(ext.requests)
    out = s.kubectl("get", "flunders", "-n", NS, "-o", "name").stdout.split()
    assert out == [f"flunder.{GROUP}/alpha", f"flunder.{GROUP}/beta"]
    got = s.kubectl_json("get", "fl", "beta", "-n", "other")
    assert got["metadata"]["namespace"] == "other" and got["spec"] == {"reference": "BETA"}
    table = s.kubectl("get", "flunders", "-n", NS).stdout.splitlines()
    assert table[0].split()[:1] == ["NAME"] and [line.split()[0] for line in table[1:]] == ["alpha", "beta"]
    # The extension server saw the requests as the front proxy, on behalf of the admin.
    proxied = [r for r in ext.requests[before:] if "/flunders" in r[1]]
    assert proxied and all(r[2] == "admin" and "system:masters" in r[3] for r in proxied), proxied
    res = s.kubectl("get", "flunders", "-n", NS, "gamma", check=False)
    assert res.returncode == 1 and "NotFound" in res.stderr or "not found" in res.stderr


def test_client_cannot_forge_remote_user_headers(cluster):
    s, ext = cluster
    before = len(ext.requests)
    status, _, body = api_request(s, "GET", f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/flunders",
                                  headers={"X-Remote-User": "mallory", "X-Remote-Group": "evil"})
    assert status == 200 and [i["metadata"]["name"] for i in body["items"]] == ["alpha", "beta"]
    user, groups = ext.requests[-1][2], ext.requests[-1][3]
    assert len(ext.requests) == before + 1 and user == "admin" and "evil" not in groups


def test_authorization_is_checked_before_proxying(cluster):
    s, ext = cluster
    before = len(ext.requests)
    status, _, body = api_request(s, "GET", f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/flunders",
                                  headers={"Impersonate-User": "nobody"})
    assert status == 403, body
    assert body["reason"] == "Forbidden" and 'User "nobody" cannot list resource "flunders"' in body["message"]
    assert len(ext.requests) == before


def test_watch_streams_through_the_proxy(cluster):
    s, _ = cluster
    events = [e for _, e in watch_events(s, f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/flunders?watch=true")]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "alpha"), ("ADDED", "beta")]


def test_upgrade_requests_are_relayed(cluster):
    s, ext = cluster
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/flunders/alpha/shout"
    ctx = ssl.create_default_context(cafile=os.path.join(s.data_dir, "pki", "ca.crt"))
    with socket.create_connection((s.host, s.port), timeout=30) as raw, \
            ctx.wrap_socket(raw, server_hostname=s.host) as tls:
        tls.sendall((f"GET {path} HTTP/1.1\r\nHost: {s.host}:{s.port}\r\nAuthorization: Bearer {s.token()}\r\n"
                     "Connection: Upgrade\r\nUpgrade: shout\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = tls.recv(1)
            assert chunk, head
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        for word in (b"hello", b"aggregated world"):
            tls.sendall(word)
            got = b""
            while len(got) < len(word):
                got += tls.recv(1024)
            assert got == word.upper()
        tls.sendall(b"bye")
    assert ext.requests[-1][1:3] == (path, "admin")


def test_discovery_includes_the_aggregated_group(cluster):
    s, _ = cluster
    groups = json.loads(s.kubectl("get", "--raw", "/apis").stdout)["groups"]
    wardle = [g for g in groups if g["name"] == GROUP]
    assert wardle == [{"name": GROUP, "versions": [{"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}],
                       "preferredVersion": {"groupVersion": f"{GROUP}/{VERSION}", "version": VERSION}}]
    group = json.loads(s.kubectl("get", "--raw", f"/apis/{GROUP}").stdout)
    assert group["kind"] == "APIGroup" and group["preferredVersion"]["version"] == VERSION
    resources = json.loads(s.kubectl("get", "--raw", f"/apis/{GROUP}/{VERSION}").stdout)
    assert resources == RESOURCE_LIST
    status, headers, doc = api_request(
        s, "GET", "/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
    assert status == 200 and "as=APIGroupDiscoveryList" in headers["Content-Type"]
    item = [i for i in doc["items"] if i["metadata"]["name"] == GROUP][0]
    assert item["versions"][0]["version"] == VERSION and item["versions"][0]["freshness"] == "Current"
    assert item["versions"][0]["resources"][0]["resource"] == "flunders"
    assert item["versions"][0]["resources"][0]["responseKind"] == {"group": GROUP, "version": VERSION,
                                                                  "kind": "Flunder"}
    rows = [line.split() for line in s.kubectl("api-resources", f"--api-group={GROUP}").stdout.splitlines()[1:]]
    assert rows == [["flunders", "fl", f"{GROUP}/{VERSION}", "true", "Flunder"]]


def test_metrics_group_is_still_served_locally(cluster):
    s, _ = cluster
    res = json.loads(s.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1").stdout)
    assert {r["name"] for r in res["resources"]} == {"pods", "nodes"}
    nodes = json.loads(s.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes").stdout)
    assert nodes["kind"] == "NodeMetricsList"
    assert condition(s, "v1beta1.metrics.k8s.io")["reason"] == "Local"


def test_unready_endpoints_make_the_apiservice_unavailable(cluster):
    s, _ = cluster
    s.kubectl("patch", "endpointslice", "-n", NS, "ext-api-1", "--type=json",
              "-p", '[{"op":"replace","path":"/endpoints/0/conditions/ready","value":false}]')
    try:
        cond = wait_for(lambda: (c := condition(s, APISERVICE)) and c["status"] == "False" and c, timeout=30,
                        what="Available False")
        assert (cond["reason"], cond["message"]) == (
            "MissingEndpoints", f'endpoints for service/ext-api in "{NS}" have no addresses with port name "https"')
        status, _, body = api_request(s, "GET", f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/flunders")
        assert status == 503 and body["reason"] == "ServiceUnavailable"
        assert GROUP not in [g["name"] for g in json.loads(s.kubectl("get", "--raw", "/apis").stdout)["groups"]]
    finally:
        s.kubectl("patch", "endpointslice", "-n", NS, "ext-api-1", "--type=json",
                  "-p", '[{"op":"replace","path":"/endpoints/0/conditions/ready","value":true}]')
    wait_for(lambda: (condition(s, APISERVICE) or {}).get("reason") == "Passed", timeout=30, what="Passed again")


def test_stopped_server_fails_the_discovery_check_then_delete(cluster):
    s, ext = cluster
    ext.stop()
    cond = wait_for(lambda: (c := condition(s, APISERVICE)) and c["status"] == "False" and c, timeout=30,
                    what="Available False")
    assert cond["reason"] == "FailedDiscoveryCheck"
    assert cond["message"].startswith(f"failing or missing response from https://127.0.0.1:{ext.port}"
                                      f"/apis/{GROUP}/{VERSION}: "), cond["message"]
    rows = {line.split()[0]: line.split()[1:3]
            for line in s.kubectl("get", "apiservices").stdout.splitlines()[1:]}
    assert rows[APISERVICE] == [f"{NS}/ext-api", "False"]
    assert "False (FailedDiscoveryCheck)" in s.kubectl("get", "apiservice", APISERVICE).stdout

    s.kubectl("delete", "apiservice", APISERVICE)
    assert GROUP not in [g["name"] for g in json.loads(s.kubectl("get", "--raw", "/apis").stdout)["groups"]]
    assert s.kubectl("api-resources", f"--api-group={GROUP}", "--no-headers").stdout.strip() == ""
    res = s.kubectl("get", "flunders", "-n", NS, check=False)
    assert res.returncode == 1 and "doesn't have a resource type" in res.stderr
    status, _, _ = api_request(s, "GET", f"/apis/{GROUP}/{VERSION}/namespaces/{NS}/flunders")
    assert status == 404
