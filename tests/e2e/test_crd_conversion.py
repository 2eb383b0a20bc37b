"""CRD conversion webhooks and the CRD lifecycle gaps, end to end on a real `skiff server` driven by
the real kubectl and the Python client. A CRD serves Gizmos in v1 (stored; spec.size) and v2
(spec.length) through a conversion webhook that this module runs: a small HTTPS server on
127.0.0.1 with a certificate from a CA it creates, reached through a Service whose only endpoint is
a manually written EndpointSlice. Covered: create at v1 and read at v2 (kubectl, dynamic client),
create and patch at v2 (stored at v1), lists at both versions with one ConversionReview per page
and the CRD's listKind, watch at v2, status and scale at v2, a webhook that is down (kube's error
for reads, an ERROR event for a watch), status.storedVersions across a storage version change,
and a terminating CRD refusing creates while its objects can still be read and deleted."""
import json
import os
import shutil
import tempfile
import threading
import time

import pytest

from conftest import Skiff, api_request, free_port, wait_for, watch_events
from tls_test_server import HttpsTestServer, JsonRequestHandler, ca_bundle, expose_on_loopback, make_serving_pki

GROUP = "conv.example.com"
SERVICE_NS = "conv-hook"
SERVICE_NAME = "converter"


def make_certificates(directory):
    """A CA and a serving certificate for 127.0.0.1 and the Service's name; returns the CA bundle."""
    ca_crt, _, _ = make_serving_pki(directory, ["IP:127.0.0.1", f"DNS:{SERVICE_NAME}.{SERVICE_NS}.svc"],
                                    "conversion-test-ca")
    return ca_bundle(ca_crt)


def convert(obj, desired):
    """v1 spec.size <-> v2 spec.length."""
    obj = json.loads(json.dumps(obj))
    spec = obj.setdefault("spec", {})
    src, dst = ("size", "length") if desired == f"{GROUP}/v2" else ("length", "size")
    if src in spec:
        spec[dst] = spec.pop(src)
    obj["apiVersion"] = desired
    return obj


class ConversionWebhook:
    """HTTPS on 127.0.0.1 answering ConversionReviews; keeps every review it got."""

    def __init__(self, cert_dir):
        self.reviews = []
        outer = self

        class Handler(JsonRequestHandler):
            def do_POST(self):
                review = self.read_json()
                outer.reviews.append((self.path, review))
                request = review["request"]
                converted = [convert(o, request["desiredAPIVersion"]) for o in request["objects"]]
                self.send_json(200, {"apiVersion": review["apiVersion"], "kind": "ConversionReview",
                                     "response": {"uid": request["uid"], "convertedObjects": converted,
                                                  "result": {"status": "Success"}}})

        self.server = HttpsTestServer(os.path.join(cert_dir, "tls.crt"), os.path.join(cert_dir, "tls.key"), Handler)
        self.port = self.server.port

    def stop(self):
        self.server.stop()


SCHEMA_PROPS = {"replicas": {"type": "integer"}}


def version(name, storage, field):
    props = dict(SCHEMA_PROPS, **{field: {"type": "string"}})
    return {"name": name, "served": True, "storage": storage,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "properties": props},
                "status": {"type": "object", "properties": {"replicas": {"type": "integer"},
                                                            "phase": {"type": "string"}}}}}},
            "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                     "statusReplicasPath": ".status.replicas"}}}


def gizmo_crd(client_config, ca, storage="v1"):
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"gizmos.{GROUP}"},
            "spec": {"group": GROUP, "scope": "Namespaced",
                     "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo", "listKind": "GizmoCollection"},
                     "versions": [version("v1", storage == "v1", "size"), version("v2", storage == "v2", "length")],
                     "conversion": {"strategy": "Webhook", "webhook": {
                         "conversionReviewVersions": ["v1"], "clientConfig": dict(client_config, caBundle=ca)}}}}


def condition(crd, type_):
    for c in crd.get("status", {}).get("conditions", []):
        if c["type"] == type_:
            return c
    return None


def apply(s, obj):
    return s.kubectl("apply", "-f", "-", input=json.dumps(obj))


def wait_established(s, name):
    wait_for(lambda: (condition(s.kubectl_json("get", "crd", name), "Established") or {}).get("status") == "True",
             timeout=10, what=f"{name} Established")


@pytest.fixture(scope="module")
def env():
    cert_dir = tempfile.mkdtemp(prefix="conversion-certs-")
    ca = make_certificates(cert_dir)
    hook = ConversionWebhook(cert_dir)
    s = Skiff(extra_args=["--disable-controllers"]).start()
    apply(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SERVICE_NS}})
    apply(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "conv"}})
    expose_on_loopback(lambda obj: apply(s, obj), SERVICE_NS, SERVICE_NAME, 8443, hook.port)
    service = {"service": {"namespace": SERVICE_NS, "name": SERVICE_NAME, "path": "/convert", "port": 8443}}
    apply(s, gizmo_crd(service, ca))
    wait_established(s, f"gizmos.{GROUP}")
    yield s, hook, ca, service
    s.cleanup()
    hook.stop()
    shutil.rmtree(cert_dir, ignore_errors=True)


def gizmo(name, api_version=f"{GROUP}/v1", **spec):
    return {"apiVersion": api_version, "kind": "Gizmo", "metadata": {"name": name, "namespace": "conv"},
            "spec": spec}


def list_rv(s):
    code, _, body = api_request(s, "GET", f"/apis/{GROUP}/v1/namespaces/conv/gizmos")
    assert code == 200, body
    return body["metadata"]["resourceVersion"]


def reviews_since(hook, n):
    return [r for _, r in hook.reviews[n:]]


def test_create_at_v1_read_at_v2_with_kubectl_and_the_dynamic_client(env):
    s, hook, _, _ = env
    apply(s, gizmo("g1", size="big", replicas=1))
    got = s.kubectl_json("get", f"gizmos.v2.{GROUP}", "-n", "conv", "g1")
    assert got["apiVersion"] == f"{GROUP}/v2"
    assert got["spec"] == {"length": "big", "replicas": 1}
    path, review = hook.reviews[-1]
    assert path == "/convert?timeout=30s"
    assert review["apiVersion"] == "apiextensions.k8s.io/v1" and review["kind"] == "ConversionReview"
    assert review["request"]["desiredAPIVersion"] == f"{GROUP}/v2"
    assert [o["metadata"]["name"] for o in review["request"]["objects"]] == ["g1"]
    assert review["request"]["objects"][0]["spec"] == {"size": "big", "replicas": 1}
    # Read at v1 (the storage version): no webhook call.
    n = len(hook.reviews)
    assert s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "g1")["spec"] == {"size": "big", "replicas": 1}
    assert len(hook.reviews) == n

    from kubernetes import dynamic
    dyn = dynamic.DynamicClient(s.python_client())
    v2 = dyn.resources.get(api_version=f"{GROUP}/v2", kind="Gizmo")
    obj = v2.get(name="g1", namespace="conv")
    assert obj.spec.length == "big" and obj.apiVersion == f"{GROUP}/v2"
    created = v2.create(body=gizmo("py", f"{GROUP}/v2", length="tiny"), namespace="conv")
    assert created.spec.length == "tiny"
    stored = s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "py")
    assert stored["spec"] == {"size": "tiny"}
    patched = v2.patch(name="py", namespace="conv", body={"spec": {"length": "huge"}},
                       content_type="application/merge-patch+json")
    assert patched.spec.length == "huge"
    assert s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "py")["spec"] == {"size": "huge"}


def test_create_and_patch_at_v2_with_kubectl(env):
    s, hook, _, _ = env
    apply(s, gizmo("g2", f"{GROUP}/v2", length="short", replicas=2))
    assert s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "g2")["spec"] == {"size": "short", "replicas": 2}
    s.kubectl("patch", f"gizmos.v2.{GROUP}", "g2", "-n", "conv", "--type=merge", "-p",
              json.dumps({"spec": {"length": "long"}}))
    assert s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "g2")["spec"] == {"size": "long", "replicas": 2}
    assert s.kubectl_json("get", f"gizmos.v2.{GROUP}", "-n", "conv", "g2")["spec"] == {"length": "long", "replicas": 2}
    # A JSON patch names v2's fields too.
    s.kubectl("patch", f"gizmos.v2.{GROUP}", "g2", "-n", "conv", "--type=json", "-p",
              json.dumps([{"op": "replace", "path": "/spec/length", "value": "mid"}]))
    assert s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "g2")["spec"]["size"] == "mid"


def test_lists_at_both_versions_one_review_per_page_and_list_kind(env):
    s, hook, _, _ = env
    for i in range(3):
        apply(s, gizmo(f"l{i}", size=f"s{i}"))
    n = len(hook.reviews)
    code, _, body = api_request(s, "GET", f"/apis/{GROUP}/v2/namespaces/conv/gizmos?labelSelector=")
    assert code == 200, body
    assert body["kind"] == "GizmoCollection" and body["apiVersion"] == f"{GROUP}/v2"
    items = {i["metadata"]["name"]: i for i in body["items"]}
    assert items["l1"]["spec"] == {"length": "s1"} and items["l1"]["apiVersion"] == f"{GROUP}/v2"
    new = reviews_since(hook, n)
    assert len(new) == 1 and len(new[0]["request"]["objects"]) == len(body["items"])
    # Paged: one review per page.
    n = len(hook.reviews)
    code, _, page = api_request(s, "GET", f"/apis/{GROUP}/v2/namespaces/conv/gizmos?limit=2")
    assert code == 200 and len(page["items"]) == 2 and page["metadata"]["continue"]
    assert len(reviews_since(hook, n)) == 1
    code, _, v1 = api_request(s, "GET", f"/apis/{GROUP}/v1/namespaces/conv/gizmos")
    assert v1["kind"] == "GizmoCollection"
    assert {i["metadata"]["name"]: i for i in v1["items"]}["l1"]["spec"] == {"size": "s1"}
    out = s.kubectl("get", f"gizmos.v2.{GROUP}", "-n", "conv").stdout
    assert "l2" in out


def test_watch_at_v2(env):
    s, _, _, _ = env
    rv = list_rv(s)
    events = []

    def watch():
        for _, ev in watch_events(s, f"/apis/{GROUP}/v2/namespaces/conv/gizmos?watch=true&resourceVersion={rv}"
                                     "&timeoutSeconds=15"):
            events.append(ev)
            if ev["type"] == "MODIFIED":
                return

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    time.sleep(0.5)
    apply(s, gizmo("w1", size="watched"))
    s.kubectl("patch", f"gizmos.v1.{GROUP}", "w1", "-n", "conv", "--type=merge", "-p", '{"spec":{"size":"again"}}')
    t.join(20)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"], events
    assert events[0]["object"]["apiVersion"] == f"{GROUP}/v2"
    assert events[0]["object"]["spec"] == {"length": "watched"}
    assert events[1]["object"]["spec"] == {"length": "again"}


def test_status_and_scale_at_v2(env):
    s, _, _, _ = env
    apply(s, gizmo("st", size="x", replicas=1))
    code, _, body = api_request(s, "PATCH", f"/apis/{GROUP}/v2/namespaces/conv/gizmos/st/status",
                                {"status": {"phase": "Ready", "replicas": 1}},
                                content_type="application/merge-patch+json")
    assert code == 200, body
    assert body["apiVersion"] == f"{GROUP}/v2" and body["spec"]["length"] == "x"
    assert s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "st")["status"]["phase"] == "Ready"
    s.kubectl("scale", f"gizmos.v2.{GROUP}", "st", "-n", "conv", "--replicas=4")
    stored = s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "st")
    assert stored["apiVersion"] == f"{GROUP}/v1" and stored["spec"] == {"size": "x", "replicas": 4}
    code, _, scale = api_request(s, "GET", f"/apis/{GROUP}/v2/namespaces/conv/gizmos/st/scale")
    assert code == 200 and scale["spec"]["replicas"] == 4 and scale["status"]["replicas"] == 1


def test_webhook_down_gives_kubes_error(env):
    s, _, ca, service = env
    port = free_port()  # nothing listens there
    rv = list_rv(s)
    apply(s, gizmo("down", size="d"))
    apply(s, gizmo_crd({"url": f"https://127.0.0.1:{port}/convert"}, ca))
    try:
        expected = (f"conversion webhook for {GROUP}/v1, Kind=Gizmo failed: "
                    f"Post \"https://127.0.0.1:{port}/convert?timeout=30s\"")

        def fails():
            res = s.kubectl("get", f"gizmos.v2.{GROUP}", "-n", "conv", "down", "-o", "json", check=False)
            return res.returncode != 0 and expected in res.stderr
        wait_for(fails, timeout=10, what="reads at v2 to fail")
        res = s.kubectl("get", f"gizmos.v2.{GROUP}", "-n", "conv", "down", check=False)
        assert res.stderr.startswith("Error from server: " + expected), res.stderr
        code, _, body = api_request(s, "GET", f"/apis/{GROUP}/v2/namespaces/conv/gizmos")
        assert code == 500 and body["message"].startswith(expected), body
        code, _, body = api_request(s, "POST", f"/apis/{GROUP}/v2/namespaces/conv/gizmos",
                                    gizmo("nope", f"{GROUP}/v2", length="n"))
        assert code == 500 and expected.replace("/v1,", "/v2,") in body["message"], body
        # The storage version needs no conversion.
        assert s.kubectl_json("get", f"gizmos.v1.{GROUP}", "-n", "conv", "down")["spec"] == {"size": "d"}
        # A watch whose event cannot be converted gets an ERROR event, then ends.
        events = list(watch_events(s, f"/apis/{GROUP}/v2/namespaces/conv/gizmos?watch=true&resourceVersion={rv}"
                                      "&timeoutSeconds=10"))
        assert events and events[0][1]["type"] == "ERROR", events
        assert events[0][1]["object"]["code"] == 500
        assert events[0][1]["object"]["message"].startswith(expected)
    finally:
        apply(s, gizmo_crd(service, ca))
    wait_for(lambda: s.kubectl("get", f"gizmos.v2.{GROUP}", "-n", "conv", "down", check=False).returncode == 0,
             timeout=10, what="the webhook back")


def test_stored_versions_follow_the_storage_version(env):
    s, hook, ca, service = env
    name = f"gizmos.{GROUP}"
    assert s.kubectl_json("get", "crd", name)["status"]["storedVersions"] == ["v1"]
    apply(s, gizmo_crd(service, ca, storage="v2"))
    assert s.kubectl_json("get", "crd", name)["status"]["storedVersions"] == ["v1", "v2"]
    # Objects written now are stored in v2 (converted by the webhook from a v1 request).
    apply(s, gizmo("after", size="a"))
    assert s.kubectl_json("get", f"gizmos.v2.{GROUP}", "-n", "conv", "after")["spec"] == {"length": "a"}
    assert hook.reviews[-1][1]["request"]["desiredAPIVersion"] in (f"{GROUP}/v1", f"{GROUP}/v2")
    # Objects stored before the switch keep v1 in storage and are converted on the way out.
    assert s.kubectl_json("get", f"gizmos.v2.{GROUP}", "-n", "conv", "g1")["spec"] == {"length": "big", "replicas": 1}
    code, _, body = api_request(s, "GET", f"/apis/{GROUP}/v2/namespaces/conv/gizmos")
    assert code == 200 and all("size" not in i["spec"] for i in body["items"]), body
    assert all(i["apiVersion"] == f"{GROUP}/v2" for i in body["items"])
    # v1 may not leave spec.versions while objects may still be stored in it.
    only_v2 = gizmo_crd(service, ca, storage="v2")
    only_v2["spec"]["versions"] = [v for v in only_v2["spec"]["versions"] if v["name"] == "v2"]
    res = s.kubectl("apply", "-f", "-", input=json.dumps(only_v2), check=False)
    assert res.returncode != 0
    assert 'status.storedVersions[0]: Invalid value: "v1": must appear in spec.versions' in res.stderr, res.stderr
    # Nor may the storage version leave storedVersions.
    code, _, body = api_request(s, "PATCH", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}/status",
                                {"status": {"storedVersions": ["v1"]}}, content_type="application/merge-patch+json")
    assert code == 422 and "must have the storage version v2" in body["message"], body
    # After migrating, an operator drops v1 from storedVersions, then from the spec.
    code, _, body = api_request(s, "PATCH", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}/status",
                                {"status": {"storedVersions": ["v2"]}}, content_type="application/merge-patch+json")
    assert code == 200 and body["status"]["storedVersions"] == ["v2"], body
    # Back to v1 storage for the other tests.
    apply(s, gizmo_crd(service, ca))
    assert s.kubectl_json("get", "crd", name)["status"]["storedVersions"] == ["v2", "v1"]


def test_invalid_webhook_conversion_refused(env):
    s, _, _, _ = env
    crd = gizmo_crd({"url": "https://127.0.0.1:1/x"}, "")
    crd["metadata"]["name"] = f"badconvs.{GROUP}"
    crd["spec"]["names"] = {"plural": "badconvs", "kind": "BadConv"}
    del crd["spec"]["conversion"]["webhook"]
    res = s.kubectl("apply", "-f", "-", input=json.dumps(crd), check=False)
    assert res.returncode != 0
    assert "spec.conversion.webhook: Required value" in res.stderr, res.stderr


def test_terminating_crd_refuses_creates(env):
    s, _, _, _ = env
    name = f"doomeds.{GROUP}"
    apply(s, {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": name},
              "spec": {"group": GROUP, "scope": "Namespaced", "names": {"plural": "doomeds", "kind": "Doomed"},
                       "versions": [{"name": "v1", "served": True, "storage": True,
                                     "schema": {"openAPIV3Schema": {"type": "object",
                                                                    "x-kubernetes-preserve-unknown-fields": True}}}]}})
    wait_established(s, name)
    held = {"apiVersion": f"{GROUP}/v1", "kind": "Doomed",
            "metadata": {"name": "held", "namespace": "conv", "finalizers": ["test.skiff/hold"]}}
    apply(s, held)
    apply(s, {"apiVersion": f"{GROUP}/v1", "kind": "Doomed", "metadata": {"name": "other", "namespace": "conv"}})
    s.kubectl("delete", "crd", name, "--wait=false")
    wait_for(lambda: (condition(s.kubectl_json("get", "crd", name), "Terminating") or {}).get("status") == "True",
             timeout=10, what="Terminating")
    code, _, body = api_request(s, "POST", f"/apis/{GROUP}/v1/namespaces/conv/doomeds",
                                {"apiVersion": f"{GROUP}/v1", "kind": "Doomed", "metadata": {"name": "new"}})
    assert code == 405, body
    assert body["reason"] == "MethodNotAllowed"
    assert body["message"] == "create not allowed while custom resource definition is terminating"
    assert body["details"] == {"group": GROUP, "kind": "doomeds"}
    res = s.kubectl("create", "-f", "-", check=False, input=json.dumps(
        {"apiVersion": f"{GROUP}/v1", "kind": "Doomed", "metadata": {"name": "new2", "namespace": "conv"}}))
    assert res.returncode != 0 and "create not allowed while custom resource definition is terminating" in res.stderr
    # Reads (and the finalizer's removal) still work until the objects are gone.
    got = s.kubectl_json("get", "doomeds", "-n", "conv", "held")
    assert got["metadata"]["deletionTimestamp"]
    wait_for(lambda: [i["metadata"]["name"] for i in s.kubectl_json("get", "doomeds", "-n", "conv")["items"]] == ["held"],
             timeout=10, what="the unheld object deleted")
    s.kubectl("patch", "doomeds", "held", "-n", "conv", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    wait_for(lambda: s.kubectl("get", "crd", name, check=False).returncode != 0, timeout=20, what="the CRD gone")
