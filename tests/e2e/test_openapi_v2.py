"""OpenAPI v2 (protobuf) at /openapi/v2: kubectl validates the items of `kind: List` manifests
client-side against it, so create/apply of such manifests must work with validation on, and
unknown fields in items must be caught (unless --validate=false)."""
import os
import tempfile

import yaml

from conftest import api_request

V2_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"  # what kubectl sends
V2_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"  # what kube-openapi answers


def write_file(s, text):
    fd, path = tempfile.mkstemp(dir=s.cache_dir, suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def make_ns(s, name):
    s.kubectl("create", "namespace", name)
    return name


def app_list(ns, replicas=1, data="1"):
    labels = {"app": "v2web"}
    return {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1", "namespace": ns},
         "data": {"a": data}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c2", "namespace": ns}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "v2web", "namespace": ns},
         "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels},
                               "spec": {"containers": [{
                                   "name": "web", "image": "nginx:1.27",
                                   "ports": [{"containerPort": 8080}],
                                   "resources": {"limits": {"cpu": 1, "memory": "64Mi"}}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "v2web", "namespace": ns},
         "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}},
    ]}


def test_openapi_v2_is_served_as_protobuf_with_etag(shared_skiff):
    s = shared_skiff
    status, headers, _ = api_request(s, "GET", "/openapi/v2", headers={"Accept": V2_ACCEPT})
    assert status == 200
    assert headers["Content-Type"] == V2_CONTENT_TYPE
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    status, headers, _ = api_request(s, "GET", "/openapi/v2",
                                     headers={"Accept": V2_ACCEPT, "If-None-Match": etag})
    assert status == 304
    assert headers["ETag"] == etag


def test_create_and_apply_list_with_deployment_and_service(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "v2-list")
    res = s.kubectl("create", "-f", write_file(s, yaml.safe_dump(app_list(ns))), check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["configmap/c1 created", "configmap/c2 created",
                                       "deployment.apps/v2web created", "service/v2web created"]
    svc = s.kubectl_json("get", "svc", "v2web", "-n", ns)
    assert svc["spec"]["ports"][0]["targetPort"] == 8080

    res = s.kubectl("apply", "-f", write_file(s, yaml.safe_dump(app_list(ns, replicas=2, data="2"))),
                    check=False)
    assert res.returncode == 0, res.stderr
    assert s.kubectl_json("get", "cm", "c1", "-n", ns)["data"] == {"a": "2"}
    assert s.kubectl_json("get", "deploy", "v2web", "-n", ns)["spec"]["replicas"] == 2

    # Round trip: what `get -o yaml` prints for several objects is a List that validates.
    exported = yaml.safe_load(s.kubectl("get", "cm,deploy,svc", "-n", ns, "-o", "yaml").stdout)
    assert exported["kind"] == "List"
    res = s.kubectl("apply", "-f", write_file(s, yaml.safe_dump(exported)), check=False)
    assert res.returncode == 0, res.stderr


def test_list_item_with_unknown_field_is_rejected_unless_validation_is_off(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "v2-unknown")
    lst = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "u1", "namespace": ns}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "u2", "namespace": ns},
         "data": {"k": "v"}, "bogusField": 1}]}
    path = write_file(s, yaml.safe_dump(lst))
    for verb in ("create", "apply"):
        res = s.kubectl(verb, "-f", path, check=False)
        assert res.returncode != 0
        assert 'unknown field "bogusField"' in res.stderr, res.stderr
        assert "--validate=false" in res.stderr
    assert s.kubectl("get", "cm", "u1", "-n", ns, check=False).returncode != 0  # nothing was created

    res = s.kubectl("create", "-f", path, "--validate=false", check=False)
    assert res.returncode == 0, res.stderr
    assert s.kubectl_json("get", "cm", "u2", "-n", ns)["data"] == {"k": "v"}


def test_list_item_with_wrong_type_is_rejected(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "v2-type")
    lst = app_list(ns)
    lst["items"][2]["spec"]["replicas"] = "three"
    res = s.kubectl("create", "-f", write_file(s, yaml.safe_dump(lst)), check=False)
    assert res.returncode != 0
    assert "replicas" in res.stderr and "invalid type" in res.stderr, res.stderr
