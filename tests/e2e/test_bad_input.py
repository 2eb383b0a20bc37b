"""Bad input gets the right 4xx Kubernetes Status, and nothing already stored changes.

Requests go over raw HTTPS (bearer token, CA from DIR/pki/ca.crt) so the exact HTTP code is seen."""
import itertools
import json
import urllib.parse

import pytest

from conftest import api_request


@pytest.fixture(scope="module")
def shared_skiff(bare_skiff):
    """These tests check API server semantics; controllers writing status concurrently would race
    with their "nothing changed" and read-modify-write checks, so they run without controllers."""
    return bare_skiff


_ids = itertools.count()

CM = "/api/v1/namespaces/{ns}/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/{ns}/deployments"


def new_ns(s, prefix="bad"):
    name = f"{prefix}-{next(_ids)}"
    code, _, body = api_request(s, "POST", "/api/v1/namespaces",
                                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert code == 201, body
    return name


def cm(name, data=None, **meta):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta},
            "data": data if data is not None else {"k": "v"}}


def deployment(name, replicas=1):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def snapshot(s, ns):
    """Everything stored in the namespace that these tests touch: name -> full object."""
    out = {}
    for coll in (CM, DEPLOY):
        code, _, body = api_request(s, "GET", coll.format(ns=ns))
        assert code == 200, body
        for item in body["items"]:
            name = item["metadata"]["name"]
            if name == "kube-root-ca.crt":
                continue  # may be published asynchronously by a controller
            out[(body["kind"], name)] = item
    return out


def user_view(snap):
    """What a user wrote: ignores status and resourceVersion bumps that controllers may cause on
    Deployments, but keeps the ConfigMap resourceVersion (nothing else writes ConfigMaps)."""
    view = {}
    for key, obj in snap.items():
        meta = obj["metadata"]
        v = {"uid": meta.get("uid"), "labels": meta.get("labels"), "annotations": meta.get("annotations"),
             "data": obj.get("data"), "spec": obj.get("spec"), "generation": meta.get("generation")}
        if key[0] == "ConfigMapList":
            v["resourceVersion"] = meta.get("resourceVersion")
        view[key] = v
    return view


def assert_status(body, code, reason=None):
    assert isinstance(body, dict), body
    assert body.get("kind") == "Status", body
    assert body.get("status") == "Failure", body
    assert body.get("code") == code, body
    if reason:
        assert body.get("reason") == reason, body


@pytest.fixture
def seeded(shared_skiff):
    """A fresh namespace holding one ConfigMap `keep` and one Deployment `web`; yields (s, ns, before)."""
    s = shared_skiff
    ns = new_ns(s)
    code, _, body = api_request(s, "POST", CM.format(ns=ns), cm("keep", {"a": "1"}, labels={"x": "y"}))
    assert code == 201, body
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns), deployment("web", 2))
    assert code == 201, body
    before = snapshot(s, ns)
    yield s, ns, before
    after, was = user_view(snapshot(s, ns)), user_view(before)
    changed = sorted(k for k in set(after) | set(was) if after.get(k) != was.get(k))
    assert not changed, f"a rejected request changed stored objects: {changed}"


# ---------------------------------------------------------------- malformed bodies

def test_malformed_json_is_400_naming_position(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns),
                                '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},')
    assert code == 400
    assert_status(body, 400, "BadRequest")
    msg = body["message"].lower()
    assert "json" in msg and ("line" in msg or "offset" in msg or "column" in msg or "position" in msg), msg
    # garbage after a valid-looking prefix, on an update
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/keep", '{"metadata": {"name": "keep"}} trailing')
    assert code == 400, body
    assert_status(body, 400, "BadRequest")


def test_wrong_field_type_is_400(seeded):
    s, ns, _ = seeded
    bad = deployment("typed")
    bad["spec"]["replicas"] = "three"
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns), bad)
    assert code == 400, body
    assert_status(body, 400, "BadRequest")
    assert "replicas" in body["message"], body["message"]
    # data values of a ConfigMap must be strings
    code, _, body = api_request(s, "POST", CM.format(ns=ns), cm("typed", {"n": 5}))
    assert code == 400, body
    assert_status(body, 400, "BadRequest")
    # and on update of an existing object
    upd = deployment("web", 2)
    upd["spec"]["replicas"] = [1]
    code, _, body = api_request(s, "PUT", DEPLOY.format(ns=ns) + "/web", upd)
    assert code == 400, body


def test_unknown_field_strict_is_400(seeded):
    s, ns, _ = seeded
    body_in = cm("strict")
    body_in["bogusTopLevel"] = 1
    code, _, body = api_request(s, "POST", CM.format(ns=ns) + "?fieldValidation=Strict", body_in)
    assert code == 400, body
    assert_status(body, 400, "BadRequest")
    assert "unknown field" in body["message"] and "bogusTopLevel" in body["message"], body["message"]
    # nested unknown field in a Deployment
    d = deployment("strict")
    d["spec"]["template"]["spec"]["containers"][0]["imagee"] = "typo"
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns) + "?fieldValidation=Strict", d)
    assert code == 400, body
    assert "unknown field" in body["message"] and "imagee" in body["message"], body["message"]


def test_unknown_field_warn_is_201_with_warning(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    body_in = cm("warned", {"a": "b"})
    body_in["bogusTopLevel"] = 1
    code, headers, body = api_request(s, "POST", CM.format(ns=ns) + "?fieldValidation=Warn", body_in)
    assert code == 201, body
    warning = headers.get("Warning") or ""
    assert warning.startswith("299"), headers
    assert "unknown field" in warning and "bogusTopLevel" in warning, warning
    code, _, got = api_request(s, "GET", CM.format(ns=ns) + "/warned")
    assert code == 200 and got["data"] == {"a": "b"} and "bogusTopLevel" not in got
    # Ignore: created, no warning
    body_in["metadata"]["name"] = "ignored"
    code, headers, body = api_request(s, "POST", CM.format(ns=ns) + "?fieldValidation=Ignore", body_in)
    assert code == 201, body
    assert not headers.get("Warning"), headers


def test_body_over_3mib_is_413(seeded):
    s, ns, _ = seeded
    big = cm("huge", {"blob": "a" * (3 * 1024 * 1024 + 64)})
    code, _, body = api_request(s, "POST", CM.format(ns=ns), big)
    assert code == 413, body
    assert_status(body, 413, "RequestEntityTooLarge")
    big["metadata"]["name"] = "keep"
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/keep", big)
    assert code == 413, body


def test_configmap_over_1mib_is_rejected(seeded):
    """Real Kubernetes caps ConfigMap data at 1 MiB (422 Too long) even below the 3 MiB body limit."""
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns), cm("toolong", {"blob": "a" * (1024 * 1024 + 100)}))
    assert code == 422, (code, str(body)[:300])
    assert_status(body, 422, "Invalid")


# ---------------------------------------------------------------- validation (422)

@pytest.mark.parametrize("name", ["Bad_Name", "UPPER", "-leading", "trailing-", "a" * 254, "sp ace"])
def test_invalid_names_are_422(seeded, name):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns), cm(name))
    assert code == 422, body
    assert_status(body, 422, "Invalid")
    causes = body["details"]["causes"]
    assert any(c.get("field") == "metadata.name" for c in causes), causes


def test_invalid_deployment_name_is_422(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns), deployment("Bad_Name"))
    assert code == 422, body
    assert_status(body, 422, "Invalid")
    assert body["details"]["kind"] == "Deployment"
    assert body["details"]["name"] == "Bad_Name"


@pytest.mark.parametrize("labels", [
    {"bad key!": "v"},
    {"-startsdash": "v"},
    {"a/b/c": "v"},
    {"UPPER.example.com/k": "v"},
    {"k": "bad value!"},
    {"k": "x" * 64},
    {"k": "-dash"},
])
def test_invalid_labels_are_422(seeded, labels):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns), cm("labelled", labels=labels))
    assert code == 422, body
    assert_status(body, 422, "Invalid")
    assert any(c.get("field", "").startswith("metadata.labels") for c in body["details"]["causes"]), body


def test_invalid_label_on_update_is_422(seeded):
    s, ns, before = seeded
    obj = dict(before[("ConfigMapList", "keep")])
    obj["metadata"] = dict(obj["metadata"], labels={"ok": "fine", "bad key": "v"})
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/keep", obj)
    assert code == 422, body
    code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/keep",
                                {"metadata": {"labels": {"k": "not valid!"}}},
                                content_type="application/merge-patch+json")
    assert code == 422, body
    assert_status(body, 422, "Invalid")


def test_invalid_deployment_spec_is_422(seeded):
    s, ns, _ = seeded
    d = deployment("negative", replicas=-1)
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns), d)
    assert code == 422, body
    assert any(c.get("field") == "spec.replicas" for c in body["details"]["causes"]), body
    d = deployment("mismatch")
    d["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns), d)
    assert code == 422, body
    assert "selector" in json.dumps(body["details"]["causes"]), body


# ---------------------------------------------------------------- list parameters

@pytest.mark.parametrize("selector", ["a in (b", "==x", "a=b=c", "!", "a in b", "k=bad value!"])
def test_bad_label_selector_is_400(seeded, selector):
    s, ns, _ = seeded
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?labelSelector=" + urllib.parse.quote(selector))
    assert code == 400, (selector, body)
    assert_status(body, 400, "BadRequest")


@pytest.mark.parametrize("selector", ["data.k=v", "spec.nodeName=n1", "metadata.labels=x", "bogus"])
def test_unsupported_field_selector_is_400(seeded, selector):
    s, ns, _ = seeded
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?fieldSelector=" + urllib.parse.quote(selector))
    assert code == 400, (selector, body)
    assert_status(body, 400, "BadRequest")


def test_supported_field_selectors_work(seeded):
    """Guard: the field selectors that ARE supported are not rejected."""
    s, ns, _ = seeded
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?fieldSelector=metadata.name%3Dkeep")
    assert code == 200 and [i["metadata"]["name"] for i in body["items"]] == ["keep"], body
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?fieldSelector=metadata.name!%3Dkeep")
    assert code == 200 and body["items"] == [], body


def test_bad_continue_token_is_400(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?limit=1&continue=not-a-token")
    assert code == 400, body
    assert_status(body, 400, "BadRequest")


def test_resource_version_match_without_resource_version_is_rejected(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?resourceVersionMatch=Exact")
    assert code in (400, 422), (code, body)
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?resourceVersion=0&resourceVersionMatch=Exact")
    assert code in (400, 422), (code, body)
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?resourceVersion=1&resourceVersionMatch=Bogus")
    assert code in (400, 422), (code, body)
    assert body.get("kind") == "Status", body


# ---------------------------------------------------------------- patches

def test_json_patch_on_missing_path_is_422(seeded):
    s, ns, _ = seeded
    for ops in ([{"op": "replace", "path": "/data/nope", "value": "x"}],
                [{"op": "remove", "path": "/metadata/labels/missing"}],
                [{"op": "add", "path": "/no/such/parent", "value": 1}],
                [{"op": "test", "path": "/data/a", "value": "not-the-value"}]):
        code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/keep", ops,
                                    content_type="application/json-patch+json")
        assert code == 422, (ops, body)
        assert_status(body, 422, "Invalid")


def test_json_patch_partial_failure_is_atomic(seeded):
    """First op would succeed, second fails: nothing may be applied."""
    s, ns, _ = seeded
    ops = [{"op": "replace", "path": "/data/a", "value": "changed"},
           {"op": "remove", "path": "/data/missing"}]
    code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/keep", ops,
                                content_type="application/json-patch+json")
    assert code == 422, body


def test_malformed_json_patch_is_400(seeded):
    s, ns, _ = seeded
    for raw in ('{"op": "replace"}', '[{"op": "frobnicate", "path": "/data/a"}]', "[{"):
        code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/keep", raw,
                                    content_type="application/json-patch+json")
        assert code in (400, 422), (raw, code, body)
        assert body.get("kind") == "Status", body


@pytest.mark.parametrize("ctype", ["application/merge-patch+json", "application/strategic-merge-patch+json"])
@pytest.mark.parametrize("raw", ["[1, 2]", '"a string"', "42", "{not json"])
def test_non_object_merge_patch_is_400(seeded, ctype, raw):
    s, ns, _ = seeded
    code, _, body = api_request(s, "PATCH", DEPLOY.format(ns=ns) + "/web", raw, content_type=ctype)
    assert code == 400, (raw, body)
    assert_status(body, 400, "BadRequest")


def test_patch_with_wrong_type_is_rejected(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "PATCH", DEPLOY.format(ns=ns) + "/web", {"spec": {"replicas": "three"}},
                                content_type="application/merge-patch+json")
    assert code in (400, 422), body
    assert body.get("kind") == "Status"


def test_patch_missing_object_is_404(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/ghost", {"data": {"a": "b"}},
                                content_type="application/merge-patch+json")
    assert code == 404, body
    assert_status(body, 404, "NotFound")


# ---------------------------------------------------------------- content types

def test_unknown_content_type_is_415(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns), json.dumps(cm("plain")), content_type="text/plain")
    assert code == 415, body
    assert_status(body, 415, "UnsupportedMediaType")
    code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/keep", '{"data":{"a":"2"}}',
                                content_type="application/xml")
    assert code == 415, body
    assert_status(body, 415, "UnsupportedMediaType")
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/keep", '{"data":{"a":"2"}}',
                                content_type="image/png")
    assert code == 415, body


def test_put_with_patch_content_type_is_415(seeded):
    s, ns, before = seeded
    obj = before[("ConfigMapList", "keep")]
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/keep", obj, content_type="application/json-patch+json")
    assert code == 415, body


# ---------------------------------------------------------------- authentication

def test_unauthenticated_requests_are_401(shared_skiff):
    s = shared_skiff
    for method, path, body in [("GET", "/api/v1/namespaces", None),
                               ("GET", "/api", None),
                               ("GET", "/apis", None),
                               ("GET", "/api/v1/namespaces/default/configmaps", None),
                               ("POST", "/api/v1/namespaces/default/configmaps", cm("unauth")),
                               ("DELETE", "/api/v1/namespaces/default", None)]:
        code, _, got = api_request(s, method, path, body, auth=False)
        assert code == 401, (method, path, got)
        assert_status(got, 401, "Unauthorized")
    code, _, got = api_request(s, "GET", "/api/v1/namespaces", auth="not-the-token")
    assert code == 401, got
    # nothing was created and default still exists
    code, _, got = api_request(s, "GET", "/api/v1/namespaces/default/configmaps/unauth")
    assert code == 404
    code, _, got = api_request(s, "GET", "/api/v1/namespaces/default")
    assert code == 200 and "deletionTimestamp" not in got["metadata"]


@pytest.mark.parametrize("path", ["/version", "/healthz", "/readyz", "/livez"])
def test_health_and_version_open_without_credentials(shared_skiff, path):
    code, _, body = api_request(shared_skiff, "GET", path, auth=False)
    assert code == 200, body
    if path == "/version":
        assert body["major"] == "1" and body["minor"] == "32"
    else:
        assert str(body).strip() == "ok"


# ---------------------------------------------------------------- routing / conflicts / namespaces

@pytest.mark.parametrize("path", ["/api/v1/namespaces/default/frobs", "/api/v1/frobs",
                                  "/apis/nope.example.com/v1/things", "/apis/apps/v1/namespaces/default/frobs",
                                  "/apis/apps/v9/deployments", "/api/v2/pods"])
def test_unknown_resources_are_404(shared_skiff, path):
    code, _, body = api_request(shared_skiff, "GET", path)
    assert code == 404, body
    assert_status(body, 404, "NotFound")


def test_post_unknown_resource_is_404(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", f"/api/v1/namespaces/{ns}/frobs", cm("x"))
    assert code == 404, body


def test_create_existing_name_is_409_already_exists(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns), cm("keep", {"a": "overwritten?"}))
    assert code == 409, body
    assert_status(body, 409, "AlreadyExists")
    assert body["details"]["name"] == "keep"
    assert body["details"]["kind"] == "configmaps"
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns), deployment("web", 7))
    assert code == 409, body
    assert_status(body, 409, "AlreadyExists")
    assert body["details"].get("group") == "apps", body


def test_update_with_stale_resource_version_is_409_conflict(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    code, _, v1 = api_request(s, "POST", CM.format(ns=ns), cm("c", {"a": "1"}))
    assert code == 201
    stale = json.loads(json.dumps(v1))
    v1["data"] = {"a": "2"}
    code, _, v2 = api_request(s, "PUT", CM.format(ns=ns) + "/c", v1)
    assert code == 200, v2
    stale["data"] = {"a": "stale"}
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/c", stale)
    assert code == 409, body
    assert_status(body, 409, "Conflict")
    assert "the object has been modified" in body["message"], body["message"]
    # a patch carrying the stale resourceVersion is refused too
    code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/c",
                                {"metadata": {"resourceVersion": stale["metadata"]["resourceVersion"]},
                                 "data": {"a": "stale-patch"}},
                                content_type="application/merge-patch+json")
    assert code == 409, body
    code, _, got = api_request(s, "GET", CM.format(ns=ns) + "/c")
    assert got["data"] == {"a": "2"}
    assert got["metadata"]["resourceVersion"] == v2["metadata"]["resourceVersion"]


def test_namespace_mismatch_between_url_and_body_is_400(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns), cm("mm", namespace="kube-system"))
    assert code == 400, body
    assert_status(body, 400, "BadRequest")
    code, _, _ = api_request(s, "GET", "/api/v1/namespaces/kube-system/configmaps/mm")
    assert code == 404
    # on update as well
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/keep", cm("keep", namespace="default"))
    assert code == 400, body


def test_name_mismatch_between_url_and_body_is_400(seeded):
    s, ns, before = seeded
    obj = json.loads(json.dumps(before[("ConfigMapList", "keep")]))
    obj["metadata"]["name"] = "other"
    code, _, body = api_request(s, "PUT", CM.format(ns=ns) + "/keep", obj)
    assert code == 400, body
    assert_status(body, 400, "BadRequest")


def test_kind_mismatch_is_400(seeded):
    s, ns, _ = seeded
    body_in = cm("kind")
    body_in["kind"] = "Secret"
    code, _, body = api_request(s, "POST", CM.format(ns=ns), body_in)
    assert code == 400, body
    assert_status(body, 400, "BadRequest")


def test_create_in_missing_namespace_is_404(shared_skiff):
    s = shared_skiff
    code, _, body = api_request(s, "POST", CM.format(ns="no-such-ns-xyz"), cm("x"))
    assert code == 404, body
    assert_status(body, 404, "NotFound")
    assert "no-such-ns-xyz" in body["message"]
    code, _, body = api_request(s, "POST", DEPLOY.format(ns="no-such-ns-xyz"), deployment("x"))
    assert code == 404, body
    code, _, body = api_request(s, "GET", "/api/v1/namespaces/no-such-ns-xyz")
    assert code == 404, "creating into a missing namespace must not create it"


def test_get_and_delete_missing_object_are_404(seeded):
    s, ns, _ = seeded
    for method in ("GET", "DELETE", "PUT"):
        body = cm("ghost") if method == "PUT" else None
        code, _, got = api_request(s, method, CM.format(ns=ns) + "/ghost", body)
        assert code == 404, (method, got)
        assert_status(got, 404, "NotFound")
        assert got["details"]["name"] == "ghost"


def test_server_survives_bad_input_and_kubectl_still_works(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    for raw in (b"\x00\xff\xfe", b"{" * 10000, b'{"metadata":' * 2000, b"null", b"[]", b'"x"'):
        code, _, body = api_request(s, "POST", CM.format(ns=ns), raw)
        assert 400 <= code < 500, (raw[:20], code, body)
    out = s.kubectl("get", "configmaps", "-n", ns, "-o", "name").stdout
    assert "configmap/" not in out.replace("configmap/kube-root-ca.crt", "")
    s.kubectl("create", "configmap", "after", "-n", ns, "--from-literal=a=b")
    assert s.kubectl_json("get", "configmap", "after", "-n", ns)["data"] == {"a": "b"}


# ---------------------------------------------------------------- query parameters and other bodies

@pytest.mark.parametrize("query", ["limit=abc", "limit=-1x", "timeoutSeconds=soon&watch=true",
                                   "resourceVersion=abc&watch=true"])
def test_malformed_query_parameters_are_400(seeded, query):
    s, ns, _ = seeded
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "?" + query, timeout=10)
    assert code == 400, (query, code, body)
    assert_status(body, 400, "BadRequest")


def test_delete_with_failed_precondition_is_409(seeded):
    s, ns, before = seeded
    keep = before[("ConfigMapList", "keep")]
    code, _, body = api_request(s, "DELETE", CM.format(ns=ns) + "/keep",
                                {"kind": "DeleteOptions", "apiVersion": "v1",
                                 "preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}})
    assert code == 409, body
    assert_status(body, 409, "Conflict")
    code, _, body = api_request(s, "DELETE", CM.format(ns=ns) + "/keep",
                                {"preconditions": {"resourceVersion": "1"}})
    assert code == 409, body
    assert keep["metadata"]["resourceVersion"] != "1"


def test_malformed_delete_options_body_is_400(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "DELETE", CM.format(ns=ns) + "/keep", '{"propagationPolicy": ')
    assert code == 400, body
    code, _, body = api_request(s, "DELETE", CM.format(ns=ns) + "/keep", {"propagationPolicy": "Sometimes"})
    assert code in (400, 422), body


def test_malformed_yaml_body_is_400(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns), "metadata:\n  name: [unclosed\n  data: {a: b",
                                content_type="application/yaml")
    assert code == 400, body
    assert_status(body, 400, "BadRequest")
    # well-formed YAML is accepted (guard that the 400 above is about the syntax)
    code, _, body = api_request(s, "POST", CM.format(ns=ns), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n",
                                content_type="application/yaml")
    assert code == 201, body
    code, _, body = api_request(s, "DELETE", CM.format(ns=ns) + "/from-yaml")
    assert code == 200, body


def test_dry_run_create_persists_nothing(seeded):
    s, ns, _ = seeded
    code, _, body = api_request(s, "POST", CM.format(ns=ns) + "?dryRun=All", cm("dry"))
    assert code == 201, body
    assert body["metadata"]["name"] == "dry"
    code, _, _ = api_request(s, "GET", CM.format(ns=ns) + "/dry")
    assert code == 404
    code, _, body = api_request(s, "POST", CM.format(ns=ns) + "?dryRun=Bogus", cm("dry"))
    assert code in (400, 422), body
