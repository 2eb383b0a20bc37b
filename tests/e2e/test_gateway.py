"""End to end: Gateway API HTTPRoutes served by the agent's built-in proxy (GatewayClass `skiff`,
controllerName skiff.dev/gateway-controller) with real busybox pods behind it. The test installs a
minimal copy of the standard-channel CRDs (testdata/gateway-api-crds.yaml), creates the
GatewayClass, a Gateway and HTTPRoutes, and sends traffic only to 127.0.0.1 on free ports.
Checked: a 90/10 weighted split sends 10% +- 3% of 1,000 requests to the canary; a header match
routes to B (others to A) with a RequestHeaderModifier applied; an HTTPS listener serves its
certificateRefs Secret by SNI (read by the node through Role skiff:gateway-tls); a RequestRedirect;
a route from a namespace the listener does not admit is not served; status of the GatewayClass,
Gateway (addresses, listeners, attachedRoutes) and HTTPRoutes (Accepted / ResolvedRefs with their
reasons)."""
import http.client
import os
import shutil

import pytest

from agent_util import agent_node, apply, running_ready, wait_for
from conftest import free_port
from agent_util import make_tmp_dir
from ingress_util import apply_all, httpd_deployment, tls_peer, tls_secret

CRDS = os.path.join(os.path.dirname(__file__), "testdata", "gateway-api-crds.yaml")
GROUP = "gateway.networking.k8s.io/v1"


def request(port, host, path="/", headers=None):
    """GET through the proxy on 127.0.0.1; returns (status, headers dict, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode(errors="replace").strip()
    finally:
        conn.close()


def routed(port, host, want, headers=None):
    def check():
        try:
            status, _, body = request(port, host, headers=headers)
        except OSError:
            return None
        return body if status == 200 and body.startswith(want) else None
    return wait_for(check, 90, 0.2, f"{host} -> {want}")


def wait_ready(s, app, n, timeout=120):
    def ready():
        pods = [p for p in s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]
                if not p["metadata"].get("deletionTimestamp")]
        return pods if len(pods) == n and all(running_ready(p) for p in pods) else None
    return wait_for(ready, timeout, 0.5, f"{n} {app} pods Running and Ready")


def http_route(name, hostnames, rules, ns="default", section="web"):
    return {"apiVersion": GROUP, "kind": "HTTPRoute", "metadata": {"name": name, "namespace": ns},
            "spec": {"parentRefs": [{"name": "gw", "namespace": "default", "sectionName": section}],
                     "hostnames": hostnames, "rules": rules}}


def backend(name, weight=None):
    ref = {"name": name, "port": 80}
    if weight is not None:
        ref["weight"] = weight
    return ref


@pytest.fixture(scope="module")
def cluster():
    if not shutil.which("haproxy"):
        pytest.fail("haproxy is not installed (scripts/install-deps.sh installs it)")
    http_port, https_port = free_port(), free_port()
    tmp = make_tmp_dir("skiff-gateway-e2e-")
    with agent_node("skiff-gateway-e2e-", extra_args=["--disable-cluster-dns", "--ingress-http-port", str(http_port),
                                                      "--ingress-https-port", str(https_port)]) as s:
        s.http_port, s.https_port = http_port, https_port
        s.kubectl("apply", "-f", CRDS)
        for crd in ("gatewayclasses", "gateways", "httproutes", "referencegrants"):
            s.kubectl("wait", "--for=condition=Established", f"crd/{crd}.gateway.networking.k8s.io", "--timeout=60s")
        apply_all(s, httpd_deployment("stable", 1) + httpd_deployment("canary", 1) + httpd_deployment("variant-b", 1))
        apply(s, {"apiVersion": GROUP, "kind": "GatewayClass", "metadata": {"name": "skiff"},
                  "spec": {"controllerName": "skiff.dev/gateway-controller"}})
        apply(s, {"apiVersion": GROUP, "kind": "Gateway", "metadata": {"name": "gw", "namespace": "default"},
                  "spec": {"gatewayClassName": "skiff",
                           "listeners": [{"name": "web", "protocol": "HTTP", "port": 80},
                                         {"name": "secure", "protocol": "HTTPS", "port": 443, "hostname": "secure.test",
                                          "tls": {"certificateRefs": [{"name": "secure-tls"}]}}]}})
        tls_secret(s, tmp, "secure-tls", "secure.test")
        apply(s, http_route("secure", [], [{"backendRefs": [backend("variant-b")]}], section="secure"))
        apply(s, http_route("split", ["canary.test"],
                            [{"backendRefs": [backend("stable", 90), backend("canary", 10)]}]))
        apply(s, http_route("ab", ["ab.test"], [
            {"matches": [{"headers": [{"name": "X-Variant", "value": "b"}]}], "backendRefs": [backend("variant-b")],
             "filters": [{"type": "RequestHeaderModifier",
                          "requestHeaderModifier": {"set": [{"name": "X-Env", "value": "prod"}]}}]},
            {"backendRefs": [backend("stable")]}]))
        apply(s, http_route("moved", ["old.test"], [
            {"filters": [{"type": "RequestRedirect",
                          "requestRedirect": {"hostname": "new.test", "statusCode": 301}}]}]))
        for app in ("stable", "canary", "variant-b"):
            wait_ready(s, app, 1)
        routed(http_port, "ab.test", "stable")
        routed(http_port, "ab.test", "variant-b", {"X-Variant": "b"})
        routed(http_port, "canary.test", "canary")
        yield s
    shutil.rmtree(tmp, ignore_errors=True)


def test_weighted_split_sends_ten_percent_to_the_canary(cluster):
    s = cluster
    counts = {"stable": 0, "canary": 0}
    conn = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=5)
    try:
        for _ in range(1000):
            conn.request("GET", "/", headers={"Host": "canary.test"})
            r = conn.getresponse()
            body = r.read().decode()
            assert r.status == 200, body
            counts[body.split()[0]] += 1
    finally:
        conn.close()
    print(f"weighted 90/10 split over 1000 requests: {counts}")
    assert 70 <= counts["canary"] <= 130, counts
    assert counts["stable"] + counts["canary"] == 1000


def test_header_match_routes_to_b_with_modified_headers(cluster):
    s = cluster
    for _ in range(5):
        assert request(s.http_port, "ab.test")[2].startswith("stable ")
        assert request(s.http_port, "ab.test", headers={"X-Variant": "b"})[2].startswith("variant-b ")
        assert request(s.http_port, "ab.test", headers={"X-Variant": "c"})[2].startswith("stable ")
    status, _, body = request(s.http_port, "ab.test", "/cgi-bin/headers", {"X-Variant": "b", "X-Env": "dev"})
    assert status == 200, body
    assert "HTTP_X_ENV=prod" in body.splitlines(), body
    # Hosts no route names are not served.
    assert request(s.http_port, "other.test")[0] == 404


def test_https_listener_serves_its_certificate(cluster):
    s = cluster
    # The node reads the Secret through the Role the status controller keeps: it may take a moment.
    def served():
        cn, status, body = tls_peer(s.https_port, "secure.test")
        return (cn, status, body) if cn == "secure.test" and status == 200 else None
    cn, status, body = wait_for(served, 60, 0.5, "secure.test served with its certificate")
    assert body.startswith("variant-b "), body
    node = ["--as", f"system:node:{s.node['metadata']['name']}", "--as-group", "system:nodes"]
    assert s.kubectl("auth", "can-i", "get", "secrets/secure-tls", *node, check=False).stdout.strip() == "yes"
    gw = wait_for(lambda: (lambda g: g if any(l["name"] == "secure" and conditions(l).get("ResolvedRefs") == ("True", "ResolvedRefs")
                                              for l in g.get("status", {}).get("listeners", [])) else None)(
        s.kubectl_json("get", "gateway", "gw")), 60, 0.5, "secure listener ResolvedRefs")
    assert gw


def test_request_redirect(cluster):
    s = cluster
    status, headers, _ = request(s.http_port, "old.test", "/some/path?q=1")
    assert status == 301
    assert headers["location"].startswith("http://new.test") and headers["location"].endswith("/some/path?q=1"), headers


def test_route_from_a_namespace_the_listener_does_not_admit_is_not_served(cluster):
    s = cluster
    s.kubectl("create", "namespace", "gw-outsider")
    apply(s, http_route("intruder", ["intruder.test"], [{"backendRefs": [{"name": "stable", "namespace": "default",
                                                                          "port": 80}]}], ns="gw-outsider"))
    # A route that is admitted, applied after it, is served: so the proxy has seen the intruder.
    apply(s, http_route("late", ["late.test"], [{"backendRefs": [backend("canary")]}]))
    routed(s.http_port, "late.test", "canary")
    assert request(s.http_port, "intruder.test")[0] == 404


def conditions(obj):
    return {c["type"]: (c["status"], c["reason"]) for c in obj.get("conditions", [])}


def our_parent(route):
    return next((p for p in route.get("status", {}).get("parents", [])
                 if p["controllerName"] == "skiff.dev/gateway-controller"), None)


def test_status_conditions(cluster):
    s = cluster
    gc = wait_for(lambda: (lambda o: o if conditions(o.get("status", {})).get("Accepted") == ("True", "Accepted") else None)(
        s.kubectl_json("get", "gatewayclass", "skiff")), 60, 0.5, "GatewayClass Accepted")
    assert gc["status"]["conditions"][0]["observedGeneration"] == gc["metadata"]["generation"]

    def gateway_programmed():
        gw = s.kubectl_json("get", "gateway", "gw")
        status = gw.get("status", {})
        return gw if conditions(status).get("Programmed") == ("True", "Programmed") else None
    gw = wait_for(gateway_programmed, 60, 0.5, "Gateway Programmed")
    node_ip = next(a["address"] for a in s.node["status"]["addresses"] if a["type"] == "InternalIP")
    assert {"type": "IPAddress", "value": node_ip} in gw["status"]["addresses"]
    assert conditions(gw["status"])["Accepted"] == ("True", "Accepted")
    web = next(l for l in gw["status"]["listeners"] if l["name"] == "web")
    assert conditions(web)["Accepted"] == ("True", "Accepted")
    assert conditions(web)["Programmed"] == ("True", "Programmed")
    assert web["supportedKinds"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]
    # split, ab, moved (and late from the namespace test, if it ran first); never the intruder.
    assert web["attachedRoutes"] >= 3

    parent = wait_for(lambda: our_parent(s.kubectl_json("get", "httproute", "split")), 60, 0.5, "split status")
    assert conditions(parent) == {"Accepted": ("True", "Accepted"), "ResolvedRefs": ("True", "ResolvedRefs")}
    assert parent["parentRef"]["name"] == "gw" and parent["parentRef"]["sectionName"] == "web"

    # Reasons for routes that do not attach or cannot resolve their backends.
    s.kubectl("create", "namespace", "gw-status", check=False)
    apply(s, http_route("outsider", ["x.test"], [{"backendRefs": [backend("stable")]}], ns="gw-status"))
    # Not admitted by the listener either, but its backend is judged all the same.
    apply(s, http_route("cross", ["y.test"], [{"backendRefs": [{"name": "stable", "namespace": "default", "port": 80}]}],
                        ns="gw-status"))
    apply(s, http_route("ghost", ["z.test"], [{"backendRefs": [backend("no-such-service")]}]))

    def parent_of(name, ns):
        return wait_for(lambda: our_parent(s.kubectl_json("get", "httproute", name, "-n", ns)), 60, 0.5,
                        f"{ns}/{name} status")
    assert conditions(parent_of("outsider", "gw-status"))["Accepted"] == ("False", "NotAllowedByListeners")
    assert conditions(parent_of("cross", "gw-status"))["ResolvedRefs"] == ("False", "RefNotPermitted")
    ghost = parent_of("ghost", "default")
    assert conditions(ghost) == {"Accepted": ("True", "Accepted"), "ResolvedRefs": ("False", "BackendNotFound")}
