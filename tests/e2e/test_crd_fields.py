"""Custom resources behave like built-in kinds in the API machinery around their fields, through
real kubectl and the Python client: fieldValidation (Strict answers 400 with kube's strict decoding
error, Warn gives Warning headers, Ignore prunes), server-side apply with x-kubernetes-list-type
map lists shared by two field managers, defaults of a schema applied on read to objects stored
before the default existed, CRD selectableFields in field selectors (validated at CRD create),
the CRDs' definitions in /openapi/v2, and ResourceQuota count/<plural>.<group>."""
import json
import threading
import time

import pytest

from conftest import api_request, wait_for

GROUP = "fields.example.com"
PATH = f"/apis/{GROUP}/v1/namespaces/default/gadgets"


def gadget_crd(selectable=None, color_default=None):
    spec_props = {
        "color": {"type": "string"},
        "size": {"type": "integer"},
        "enabled": {"type": "boolean"},
        "ports": {"type": "array", "x-kubernetes-list-type": "map",
                  "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "required": ["name"],
                            "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                     "properties": {"data": {"type": "string"}}},
    }
    if color_default is not None:
        spec_props["mode"] = {"type": "string", "default": color_default}
    version = {"name": "v1", "served": True, "storage": True,
               "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                   "spec": {"type": "object", "properties": spec_props}}}}}
    if selectable is not None:
        version["selectableFields"] = [{"jsonPath": p} for p in selectable]
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"gadgets.{GROUP}"},
            "spec": {"group": GROUP, "scope": "Namespaced",
                     "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                     "versions": [version]}}


def gadget(name, **spec):
    return {"apiVersion": f"{GROUP}/v1", "kind": "Gadget", "metadata": {"name": name}, "spec": spec}


def established(s, name):
    crd = s.kubectl_json("get", "crd", name)
    return any(c["type"] == "Established" and c["status"] == "True"
               for c in crd.get("status", {}).get("conditions", []))


def served(s):
    code, _, _ = api_request(s, "GET", PATH)
    return code == 200


@pytest.fixture(scope="module")
def gadgets(shared_skiff):
    s = shared_skiff
    s.kubectl("apply", "-f", "-", input=json.dumps(gadget_crd(selectable=[".spec.color", ".spec.size",
                                                                            ".spec.enabled"])))
    wait_for(lambda: established(s, f"gadgets.{GROUP}") and served(s), timeout=15, what="gadgets served")
    return s


def test_strict_field_validation_with_kubectl(gadgets):
    s = gadgets
    bad = gadget("strict", color="red", foo=1, bar={"x": 1})
    bad["metadata"]["bogus"] = "x"
    res = s.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert res.returncode != 0
    assert ('Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: '
            'unknown field "metadata.bogus", unknown field "spec.bar", unknown field "spec.foo"') in res.stderr, \
        res.stderr
    assert s.kubectl("get", "gadget", "strict", check=False).returncode != 0
    # kubectl create sends Strict too; nested unknown fields in a map list item are named with their index
    bad = gadget("strict", ports=[{"name": "http", "port": 80, "protocol": "TCP"}])
    res = s.kubectl("create", "-f", "-", input=json.dumps(bad), check=False)
    assert 'unknown field "spec.ports[0].protocol"' in res.stderr, res.stderr
    # --validate=false: fieldValidation=Ignore prunes silently
    res = s.kubectl("apply", "--validate=false", "-f", "-",
                    input=json.dumps(gadget("strict", color="red", foo=1)), check=False)
    assert res.returncode == 0, res.stderr
    assert "foo" not in s.kubectl_json("get", "gadget", "strict")["spec"]
    # server-side apply with Strict reports unknown fields too
    res = s.kubectl("apply", "--server-side", "-f", "-",
                    input=json.dumps(gadget("strict-ssa", color="red", foo=1)), check=False)
    assert res.returncode != 0 and 'unknown field "spec.foo"' in res.stderr, res.stderr


def test_preserved_and_embedded_fields(gadgets):
    s = gadgets
    obj = gadget("kept", free={"anything": {"goes": [1, 2]}},
                 template={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t", "bogus": 1},
                           "data": "d"})
    code, _, body = api_request(s, "POST", PATH + "?fieldValidation=Strict", obj)
    assert code == 400, body
    assert body["reason"] == "BadRequest"
    assert body["message"].endswith('strict decoding error: unknown field "spec.template.metadata.bogus"'), body
    del obj["spec"]["template"]["metadata"]["bogus"]
    code, _, body = api_request(s, "POST", PATH + "?fieldValidation=Strict", obj)
    assert code == 201, body
    assert body["spec"]["free"] == {"anything": {"goes": [1, 2]}}
    assert body["spec"]["template"]["kind"] == "ConfigMap"


def test_warn_and_ignore(gadgets):
    s = gadgets
    code, headers, body = api_request(s, "POST", PATH + "?fieldValidation=Warn", gadget("warned", foo=1, bar=2))
    assert code == 201, body
    warnings = headers.get_all("Warning")
    assert warnings == ['299 - "unknown field \\"spec.bar\\""', '299 - "unknown field \\"spec.foo\\""'], warnings
    assert "foo" not in body["spec"]
    code, headers, body = api_request(s, "POST", PATH + "?fieldValidation=Ignore", gadget("ignored", foo=1))
    assert code == 201 and not headers.get_all("Warning") and "foo" not in body["spec"]
    code, _, body = api_request(s, "POST", PATH + "?fieldValidation=Loose", gadget("loose"))
    assert code == 400 and 'fieldValidation must be one of "Ignore", "Warn", or "Strict"' in body["message"]
    # a merge patch adding an unknown field: Strict refuses it, nothing changes
    code, _, body = api_request(s, "PATCH", PATH + "/warned?fieldValidation=Strict", {"spec": {"baz": 1}},
                                content_type="application/merge-patch+json")
    assert code == 400 and 'unknown field "spec.baz"' in body["message"], body


def test_duplicate_fields(gadgets):
    s = gadgets
    raw = ('{"apiVersion":"%s/v1","kind":"Gadget","metadata":{"name":"dup"},'
           '"spec":{"color":"red","size":1,"color":"blue"}}' % GROUP)
    code, _, body = api_request(s, "POST", PATH + "?fieldValidation=Strict", raw)
    assert code == 400, body
    assert body["message"] == ('Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: '
                               'duplicate field "spec.color"'), body
    code, headers, body = api_request(s, "POST", PATH + "?fieldValidation=Warn", raw)
    assert code == 201 and body["spec"]["color"] == "blue", body  # the last one wins
    assert headers.get_all("Warning") == ['299 - "duplicate field \\"spec.color\\""']


def test_python_client_default_warns_and_prunes(gadgets):
    # The Python client (22.x) sends no fieldValidation: kube's default, Warn, stores the object
    # without the unknown field.
    from kubernetes import client as k8s
    api = k8s.CustomObjectsApi(gadgets.python_client())
    created = api.create_namespaced_custom_object(GROUP, "v1", "default", "gadgets",
                                                  gadget("py", color="blue", colour="blue"))
    assert created["spec"] == {"color": "blue"}
    assert api.get_namespaced_custom_object(GROUP, "v1", "default", "gadgets", "py")["spec"] == {"color": "blue"}


def test_server_side_apply_map_list_two_managers(gadgets):
    s = gadgets
    s.kubectl("apply", "--server-side", "--field-manager=alice", "-f", "-",
              input=json.dumps(gadget("ssa", ports=[{"name": "http", "port": 80}])))
    # bob owns another item of the listType=map list: no conflict, both items stay
    res = s.kubectl("apply", "--server-side", "--field-manager=bob", "-f", "-",
                    input=json.dumps(gadget("ssa", ports=[{"name": "https", "port": 443}])), check=False)
    assert res.returncode == 0, res.stderr
    ports = s.kubectl_json("get", "gadget", "ssa")["spec"]["ports"]
    assert sorted((p["name"], p["port"]) for p in ports) == [("http", 80), ("https", 443)]
    # bob changing alice's item conflicts
    res = s.kubectl("apply", "--server-side", "--field-manager=bob", "-f", "-",
                    input=json.dumps(gadget("ssa", ports=[{"name": "https", "port": 443},
                                                          {"name": "http", "port": 8080}])), check=False)
    assert res.returncode != 0 and "conflict" in res.stderr.lower(), res.stderr
    assert '.spec.ports[name="http"].port' in res.stderr, res.stderr
    # alice drops her item: only bob's stays
    res = s.kubectl("apply", "--server-side", "--field-manager=alice", "-f", "-",
                    input=json.dumps(gadget("ssa", color="green")), check=False)
    assert res.returncode == 0, res.stderr
    got = s.kubectl_json("get", "gadget", "ssa", "--show-managed-fields")
    assert [(p["name"], p["port"]) for p in got["spec"]["ports"]] == [("https", 443)]
    bob = [m for m in got["metadata"]["managedFields"] if m["manager"] == "bob"][0]
    assert 'k:{"name":"https"}' in bob["fieldsV1"]["f:spec"]["f:ports"]


def test_selectable_fields(gadgets):
    s = gadgets
    for name, color, size, enabled in [("red1", "red", 1, True), ("red2", "red", 2, False), ("blue1", "blue", 1, True)]:
        s.kubectl("apply", "-f", "-", input=json.dumps(gadget(f"sel-{name}", color=color, size=size, enabled=enabled)))
    s.kubectl("apply", "-f", "-", input=json.dumps(gadget("sel-plain")))

    def names(selector):
        items = s.kubectl_json("get", "gadgets", "--field-selector", selector)["items"]
        return sorted(i["metadata"]["name"] for i in items if i["metadata"]["name"].startswith("sel-"))

    assert names("spec.color=red") == ["sel-red1", "sel-red2"]
    assert names("spec.color=red,spec.size=1") == ["sel-red1"]
    assert names("spec.enabled=true") == ["sel-blue1", "sel-red1"]
    assert names("spec.color!=red") == ["sel-blue1", "sel-plain"]
    assert names("spec.color=") == ["sel-plain"]  # an absent field selects as ""
    res = s.kubectl("get", "gadgets", "--field-selector", "spec.mode=x", check=False)
    assert res.returncode != 0 and "field label not supported: spec.mode" in res.stderr, res.stderr
    # watch with a field selector
    from kubernetes import dynamic
    dyn = dynamic.DynamicClient(s.python_client())
    res = dyn.resources.get(api_version=f"{GROUP}/v1", kind="Gadget")
    seen = []
    started = threading.Event()

    def watch():
        started.set()
        for ev in res.watch(namespace="default", field_selector="spec.color=lime", timeout=10):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["object"].metadata.name == "sel-lime":
                return

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    started.wait()
    time.sleep(0.5)
    s.kubectl("apply", "-f", "-", input=json.dumps(gadget("sel-yellow", color="yellow")))
    s.kubectl("apply", "-f", "-", input=json.dumps(gadget("sel-lime", color="lime")))
    t.join(15)
    assert seen == [("ADDED", "sel-lime")], seen


def test_selectable_fields_validated(shared_skiff):
    s = shared_skiff
    crd = gadget_crd(selectable=[".spec.ports", ".spec.nothere", "spec.color", ".spec.ports[0].name",
                                 ".spec.color", ".spec.color", ""])
    crd["metadata"]["name"] = f"badgadgets.{GROUP}"
    crd["spec"]["names"] = {"plural": "badgadgets", "singular": "badgadget", "kind": "BadGadget"}
    res = s.kubectl("create", "-f", "-", input=json.dumps(crd), check=False)
    assert res.returncode != 0
    err = res.stderr
    p = "spec.versions[0].selectableFields"
    assert (f'{p}[0].jsonPath: Invalid value: ".spec.ports": must point to a field of type string, boolean or '
            'integer. Enum string fields and strings with formats are allowed.') in err, err
    assert f'{p}[1].jsonPath: Invalid value: ".spec.nothere": is an invalid path: does not refer to a valid field' in err
    assert f'{p}[2].jsonPath: Invalid value: "spec.color": is an invalid path: expected [ or . but got: spec' in err
    assert f'{p}[3].jsonPath: Invalid value: ".spec.ports[0].name": is an invalid path: array notation is not allowed' in err
    assert f'{p}[5].jsonPath: Duplicate value: ".spec.color"' in err
    assert f"{p}[6].jsonPath: Required value" in err
    crd = gadget_crd(selectable=[f".spec.f{i}" for i in range(9)])
    for i in range(9):
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][f"f{i}"] = \
            {"type": "string"}
    crd["metadata"]["name"] = f"manygadgets.{GROUP}"
    crd["spec"]["names"] = {"plural": "manygadgets", "singular": "manygadget", "kind": "ManyGadget"}
    res = s.kubectl("create", "-f", "-", input=json.dumps(crd), check=False)
    assert f"{p}: Too many: 9: must have at most 8 items" in res.stderr, res.stderr


def test_defaults_applied_on_read(shared_skiff):
    s = shared_skiff
    crd = gadget_crd()
    crd["metadata"]["name"] = f"gizmos.{GROUP}"
    crd["spec"]["names"] = {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"}
    s.kubectl("apply", "-f", "-", input=json.dumps(crd))
    path = f"/apis/{GROUP}/v1/namespaces/default/gizmos"
    wait_for(lambda: api_request(s, "GET", path)[0] == 200, timeout=15, what="gizmos served")
    old = {"apiVersion": f"{GROUP}/v1", "kind": "Gizmo", "metadata": {"name": "old"}, "spec": {"color": "red"}}
    s.kubectl("apply", "-f", "-", input=json.dumps(old))
    rv = s.kubectl_json("get", "gizmo", "old")["metadata"]["resourceVersion"]
    # the schema gains a default: the stored object is returned with it (get, list, watch)
    crd = gadget_crd(color_default="auto")
    crd["metadata"]["name"] = f"gizmos.{GROUP}"
    crd["spec"]["names"] = {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"}
    s.kubectl("apply", "-f", "-", input=json.dumps(crd))
    wait_for(lambda: s.kubectl_json("get", "gizmo", "old")["spec"].get("mode") == "auto", timeout=15,
             what="default on read")
    got = s.kubectl_json("get", "gizmo", "old")
    assert got["metadata"]["resourceVersion"] == rv  # not written back
    listed = s.kubectl_json("get", "gizmos")["items"]
    assert [i["spec"].get("mode") for i in listed if i["metadata"]["name"] == "old"] == ["auto"]
    code, _, body = api_request(s, "GET", path + f"?watch=1&resourceVersion=0&timeoutSeconds=1")
    assert code == 200
    events = [json.loads(line) for line in body.splitlines() if line.strip()] if isinstance(body, str) else [body]
    assert any(e["object"]["metadata"]["name"] == "old" and e["object"]["spec"]["mode"] == "auto" for e in events)
    # kubectl get -o custom-columns reads the defaulted value too (the Table path)
    out = s.kubectl("get", "gizmos", "-o", "custom-columns=NAME:.metadata.name,MODE:.spec.mode").stdout
    assert "old    auto" in out or ("old" in out and "auto" in out)
    s.kubectl("delete", "crd", f"gizmos.{GROUP}")


def test_openapi_v2_has_custom_resources(shared_skiff):
    s = shared_skiff
    accept = {"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}
    code, headers, _ = api_request(s, "GET", "/openapi/v2", headers=accept)
    assert code == 200
    etag = headers["ETag"]
    crd = gadget_crd()
    crd["metadata"]["name"] = f"doohickeys.{GROUP}"
    crd["spec"]["names"] = {"plural": "doohickeys", "singular": "doohickey", "kind": "Doohickey"}
    s.kubectl("apply", "-f", "-", input=json.dumps(crd))
    wait_for(lambda: api_request(s, "GET", "/openapi/v2", headers=accept)[1]["ETag"] != etag, timeout=15,
             what="v2 document changed")
    conn_body = raw_get(s, "/openapi/v2", accept)
    assert b"com.example.fields.v1.Doohickey" in conn_body and b"com.example.fields.v1.DoohickeyList" in conn_body
    with_crd = api_request(s, "GET", "/openapi/v2", headers=accept)[1]["ETag"]
    # kubectl validates `kind: List` items client-side against /openapi/v2: the unknown field is caught
    manifest = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": f"{GROUP}/v1", "kind": "Doohickey", "metadata": {"name": "d1", "namespace": "default"},
         "spec": {"color": "red", "colr": "x"}}]}
    res = s.kubectl("apply", "-f", "-", input=json.dumps(manifest), check=False)
    assert res.returncode != 0 and "colr" in res.stderr, res.stderr
    del manifest["items"][0]["spec"]["colr"]
    res = s.kubectl("apply", "-f", "-", input=json.dumps(manifest), check=False)
    assert res.returncode == 0, res.stderr
    s.kubectl("delete", "crd", f"doohickeys.{GROUP}")
    wait_for(lambda: api_request(s, "GET", "/openapi/v2", headers=accept)[1]["ETag"] != with_crd, timeout=15,
             what="v2 document without the CRD")
    assert b"com.example.fields.v1.Doohickey" not in raw_get(s, "/openapi/v2", accept)


def raw_get(s, path, headers):
    from conftest import https_connection
    conn = https_connection(s, 30)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + s.token(), **headers})
        return conn.getresponse().read()
    finally:
        conn.close()


def test_quota_counts_custom_resources(gadgets):
    s = gadgets
    ns = "crdfields-quota"
    s.kubectl("create", "namespace", ns)
    q = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "gadgets"},
         "spec": {"hard": {f"count/gadgets.{GROUP}": "2"}}}
    s.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(q))
    wait_for(lambda: s.kubectl_json("-n", ns, "get", "quota", "gadgets").get("status", {}).get("used", {})
             .get(f"count/gadgets.{GROUP}") == "0", timeout=20, what="quota status")
    for name in ("q1", "q2"):
        s.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(gadget(name)))
    res = s.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(gadget("q3")), check=False)
    assert res.returncode != 0
    assert (f'gadgets.{GROUP} "q3" is forbidden: exceeded quota: gadgets, requested: count/gadgets.{GROUP}=1, '
            f'used: count/gadgets.{GROUP}=2, limited: count/gadgets.{GROUP}=2') in res.stderr, res.stderr
    wait_for(lambda: s.kubectl_json("-n", ns, "get", "quota", "gadgets")["status"]["used"]
             .get(f"count/gadgets.{GROUP}") == "2", timeout=20, what="quota used 2")
    s.kubectl("-n", ns, "delete", "gadget", "q1")
    wait_for(lambda: s.kubectl_json("-n", ns, "get", "quota", "gadgets")["status"]["used"]
             .get(f"count/gadgets.{GROUP}") == "1", timeout=20, what="quota used 1")
    s.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(gadget("q3")))
