"""API server semantics real clients depend on, driven with kubectl and the Python client:
JSON bodies end with a newline (clients compare error bodies verbatim), DELETE answers a Status
or the object exactly where Kubernetes 1.32 does, generated names that collide are retried, writes
without a fieldManager are owned by the User-Agent's manager, cut lists report
remainingItemCount, and apiregistration.k8s.io/v1 APIServices are served."""
import concurrent.futures
import itertools
import json
import threading
import time

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from conftest import api_request, https_connection, wait_for


@pytest.fixture(scope="module")
def shared_skiff(bare_skiff):
    """No controllers: nothing else writes the objects these tests inspect byte for byte. The
    `api`, `v1` and `apps` fixtures (conftest) use this server too."""
    return bare_skiff


@pytest.fixture(scope="module")
def s(shared_skiff):
    return shared_skiff


_ids = itertools.count()


def make_ns(s, prefix):
    name = f"{prefix}-{next(_ids)}"
    s.kubectl("create", "namespace", name)
    return name


def write_file(s, text, name="m.yaml"):
    path = f"{s.cache_dir}/{next(_ids)}-{name}"
    with open(path, "w") as f:
        f.write(text)
    return path


def raw(s, method, path, body=None, content_type="application/json", accept="application/json"):
    """One HTTPS request; returns (status, content type, body bytes exactly as sent)."""
    headers = {"Authorization": "Bearer " + s.token(), "Accept": accept}
    if body is not None:
        headers["Content-Type"] = content_type
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
    conn = https_connection(s)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


def cm_body(name, data=None, labels=None):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def deployment(name):
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels={"app": name}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": name}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]))))


# ---------------------------------------------------------------------------------------------
# 1. Every application/json body ends with a newline


def test_python_client_sees_newline_terminated_bodies(s, v1, api):
    ns = make_ns(s, "nl")
    created = v1.create_namespaced_config_map(ns, cm_body("c", {"a": "1"}), _preload_content=False).data
    got = v1.read_namespaced_config_map("c", ns, _preload_content=False).data
    listed = v1.list_namespaced_config_map(ns, _preload_content=False).data
    for body in (created, got, listed):
        assert body.endswith(b"}\n") and body.count(b"\n") == 1, body[-80:]
        json.loads(body)
    discovery = api.call_api("/apis", "GET", auth_settings=["BearerToken"], _preload_content=False)[0].data
    assert discovery.endswith(b"\n")

    # Error bodies, verbatim as kube-apiserver writes them.
    with pytest.raises(ApiException) as missing:
        v1.read_namespaced_config_map("missing", ns)
    assert missing.value.body == (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        '"message":"configmaps \\"missing\\" not found","reason":"NotFound",'
        '"details":{"name":"missing","kind":"configmaps"},"code":404}\n')
    with pytest.raises(ApiException) as exists:
        v1.create_namespaced_config_map(ns, cm_body("c"))
    assert exists.value.status == 409
    assert exists.value.body.endswith('"code":409}\n')
    with pytest.raises(ApiException) as invalid:
        v1.create_namespaced_config_map(ns, cm_body("Bad_Name"))
    assert invalid.value.status == 422
    assert invalid.value.body.endswith('"code":422}\n')


def test_kubectl_raw_output_ends_with_the_newline(s):
    ns = make_ns(s, "nlk")
    s.kubectl("create", "configmap", "c", "-n", ns)
    for path in (f"/api/v1/namespaces/{ns}/configmaps/c", f"/api/v1/namespaces/{ns}/configmaps", "/api/v1",
                 "/apis/apps/v1", "/version"):
        out = s.kubectl("get", "--raw", path).stdout
        assert out.endswith("}\n") and not out.endswith("}\n\n"), (path, out[-80:])


def test_tables_discovery_statuses_and_streamed_lists_end_with_a_newline(s):
    ns = make_ns(s, "nlr")
    base = f"/api/v1/namespaces/{ns}/configmaps"
    table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    aggregated = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                  "application/json")
    checks = [
        ("POST", base, {"metadata": {"name": "c"}}, "application/json", 201),
        ("GET", base + "/c", None, table, 200),
        ("GET", base, None, table, 200),
        ("GET", "/api", None, aggregated, 200),
        ("GET", "/apis", None, aggregated, 200),
        ("GET", "/api", None, "application/json", 200),
        ("GET", "/apis/apps", None, "application/json", 200),
        ("GET", "/openapi/v3", None, "application/json", 200),
        ("GET", base + "/nope", None, "application/json", 404),
        ("GET", "/apis/nope.example.com/v1/things", None, "application/json", 404),
        ("POST", base, '{"metadata": ', "application/json", 400),
        ("DELETE", base + "/c", None, "application/json", 200),
    ]
    for method, path, body, accept, code in checks:
        status, ctype, data = raw(s, method, path, body, accept=accept)
        assert status == code, (method, path, data[:300])
        assert ctype.startswith("application/json"), (path, ctype)
        assert data.endswith(b"}\n") and not data.endswith(b"\n\n"), (method, path, data[-80:])

    # A list above 1 MiB is streamed in chunks; its last chunk ends the line too.
    big = "x" * 400_000
    for i in range(4):
        code, _, body = api_request(s, "POST", base, {"metadata": {"name": f"big{i}"}, "data": {"d": big}})
        assert code == 201, body
    status, _, data = raw(s, "GET", base)
    assert status == 200 and len(data) > 1_500_000
    assert data.endswith(b"]}\n")
    assert len(json.loads(data)["items"]) == 4


# ---------------------------------------------------------------------------------------------
# 2. DELETE answers a Status, or the object where Kubernetes does


def test_delete_answers_a_status_naming_the_deleted_object(s, v1, apps):
    ns = make_ns(s, "del")
    created = v1.create_namespaced_config_map(ns, cm_body("c"))
    st = v1.delete_namespaced_config_map("c", ns)
    assert isinstance(st, client.V1Status)
    assert st.status == "Success"
    assert (st.details.name, st.details.group, st.details.kind, st.details.uid) == (
        "c", None, "configmaps", created.metadata.uid)
    assert st.code is None

    d = apps.create_namespaced_deployment(ns, deployment("web"))
    st = apps.delete_namespaced_deployment("web", ns)
    assert (st.status, st.details.name, st.details.group, st.details.kind, st.details.uid) == (
        "Success", "web", "apps", "deployments", d.metadata.uid)

    # The body exactly as Kubernetes' registry writes it.
    c2 = v1.create_namespaced_config_map(ns, cm_body("c2"))
    status, _, data = raw(s, "DELETE", f"/api/v1/namespaces/{ns}/configmaps/c2")
    assert status == 200
    assert data.decode() == (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",'
        f'"details":{{"name":"c2","kind":"configmaps","uid":"{c2.metadata.uid}"}}}}\n')

    # A dry run answers the same and keeps the object.
    v1.create_namespaced_config_map(ns, cm_body("kept"))
    st = v1.delete_namespaced_config_map("kept", ns, dry_run="All")
    assert st.status == "Success" and st.details.name == "kept"
    assert v1.read_namespaced_config_map("kept", ns).metadata.name == "kept"


RETURNS_OBJECT = [
    ("Service", "/api/v1/namespaces/{ns}/services",
     {"metadata": {"name": "o"}, "spec": {"ports": [{"port": 80}]}}),
    ("ServiceAccount", "/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": "o"}}),
    ("Pod", "/api/v1/namespaces/{ns}/pods",
     {"metadata": {"name": "o"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
    ("PodTemplate", "/api/v1/namespaces/{ns}/podtemplates",
     {"metadata": {"name": "o"}, "template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}),
    ("ResourceQuota", "/api/v1/namespaces/{ns}/resourcequotas",
     {"metadata": {"name": "o"}, "spec": {"hard": {"pods": "10"}}}),
    ("PersistentVolumeClaim", "/api/v1/namespaces/{ns}/persistentvolumeclaims",
     {"metadata": {"name": "o"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                          "resources": {"requests": {"storage": "1Gi"}}}}),
    ("PersistentVolume", "/api/v1/persistentvolumes",
     {"metadata": {"name": "o-{ns}"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                                              "hostPath": {"path": "/tmp/x"}}}),
    ("StorageClass", "/apis/storage.k8s.io/v1/storageclasses",
     {"metadata": {"name": "o-{ns}"}, "provisioner": "example.com/x"}),
]

# Kinds that StorageObjectInUseProtection admission gives a finalizer.
PROTECTED = {"PersistentVolumeClaim": "kubernetes.io/pvc-protection",
             "PersistentVolume": "kubernetes.io/pv-protection"}

RETURNS_STATUS = [
    ("configmaps", "", "/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "o"}}),
    ("secrets", "", "/api/v1/namespaces/{ns}/secrets", {"metadata": {"name": "o"}}),
    ("endpoints", "", "/api/v1/namespaces/{ns}/endpoints", {"metadata": {"name": "o"}}),
    ("leases", "coordination.k8s.io", "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
     {"metadata": {"name": "o"}}),
    ("roles", "rbac.authorization.k8s.io", "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
     {"metadata": {"name": "o"}}),
    ("priorityclasses", "scheduling.k8s.io", "/apis/scheduling.k8s.io/v1/priorityclasses",
     {"metadata": {"name": "o-{ns}"}, "value": 5}),
]


def _fill(obj, ns):
    return json.loads(json.dumps(obj).replace("{ns}", ns))


@pytest.mark.parametrize("kind,collection,body", RETURNS_OBJECT, ids=[k for k, _, _ in RETURNS_OBJECT])
def test_kinds_with_return_deleted_object_answer_with_the_object(s, kind, collection, body):
    ns = make_ns(s, "rdo")
    collection = collection.format(ns=ns)
    body = _fill(body, ns)
    code, _, created = api_request(s, "POST", collection, body)
    assert code == 201, created
    code, _, deleted = api_request(s, "DELETE", f"{collection}/{body['metadata']['name']}")
    assert code == 200, deleted
    assert deleted["kind"] == kind
    assert deleted["metadata"]["uid"] == created["metadata"]["uid"]
    protection = PROTECTED.get(kind)
    if protection is None:
        assert "deletionTimestamp" not in deleted["metadata"]
        return
    # Admission gave it its protection finalizer: the answer is the object being deleted, which
    # goes once the finalizer does (this server runs no protection controller: the test removes it).
    assert deleted["metadata"]["finalizers"] == [protection] and deleted["metadata"]["deletionTimestamp"]
    path = f"{collection}/{body['metadata']['name']}"
    code, _, _ = api_request(s, "PATCH", path, {"metadata": {"finalizers": None}},
                             content_type="application/merge-patch+json")
    assert code == 200
    assert api_request(s, "GET", path)[0] == 404


@pytest.mark.parametrize("plural,group,collection,body", RETURNS_STATUS, ids=[p for p, _, _, _ in RETURNS_STATUS])
def test_other_kinds_answer_with_a_status(s, plural, group, collection, body):
    ns = make_ns(s, "rst")
    collection = collection.format(ns=ns)
    body = _fill(body, ns)
    code, _, created = api_request(s, "POST", collection, body)
    assert code == 201, created
    name = body["metadata"]["name"]
    code, _, deleted = api_request(s, "DELETE", f"{collection}/{name}")
    assert code == 200, deleted
    details = {"name": name, "kind": plural, "uid": created["metadata"]["uid"]}
    if group:
        details["group"] = group
    assert deleted == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                       "details": details}


def test_pending_deletions_answer_with_the_object(s, v1):
    ns = make_ns(s, "pend")
    base = f"/api/v1/namespaces/{ns}"
    # Finalizers hold a ConfigMap: the answer is the ConfigMap with its deletionTimestamp.
    code, _, _ = api_request(s, "POST", base + "/configmaps",
                             {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    assert code == 201
    code, _, held = api_request(s, "DELETE", base + "/configmaps/held")
    assert code == 200 and held["kind"] == "ConfigMap" and held["metadata"]["deletionTimestamp"]
    # Deleting again while it is held answers the object again.
    code, _, again = api_request(s, "DELETE", base + "/configmaps/held")
    assert code == 200 and again["kind"] == "ConfigMap"
    v1.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    # A bound pod terminates gracefully.
    code, _, _ = api_request(s, "POST", base + "/pods", {
        "metadata": {"name": "p"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]}})
    assert code == 201
    code, _, pod = api_request(s, "DELETE", base + "/pods/p")
    assert code == 200 and pod["kind"] == "Pod" and pod["metadata"]["deletionTimestamp"]
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    # Foreground deletion of a Deployment waits on its dependents.
    code, _, _ = api_request(s, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments",
                             client.ApiClient().sanitize_for_serialization(deployment("fg")))
    assert code == 201
    code, _, fg = api_request(s, "DELETE", f"/apis/apps/v1/namespaces/{ns}/deployments/fg",
                              {"propagationPolicy": "Foreground"})
    assert code == 200 and fg["kind"] == "Deployment" and "foregroundDeletion" in fg["metadata"]["finalizers"]


def test_kubectl_delete_output_and_wait_with_status_answers(s):
    ns = make_ns(s, "kdel")
    manifest = "\n---\n".join(yaml.safe_dump(d) for d in [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": ns}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": ns},
         "spec": {"ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec", "namespace": ns}},
    ])
    path = write_file(s, manifest)
    s.kubectl("create", "-f", path)
    t0 = time.time()
    res = s.kubectl("delete", "-f", path, "--wait=true", "--timeout=20s")
    assert res.stdout.splitlines() == ['configmap "cfg" deleted', 'service "svc" deleted', 'secret "sec" deleted']
    assert time.time() - t0 < 10
    assert s.kubectl("get", "cm,svc,secret", "-n", ns, "-o", "name").stdout.strip() == ""
    s.kubectl("create", "configmap", "one", "-n", ns)
    assert s.kubectl("delete", "cm", "one", "-n", ns, "-o", "name").stdout.strip() == "configmap/one"


# ---------------------------------------------------------------------------------------------
# 3. generateName


def test_generated_names_cut_a_long_base_like_kubernetes(s):
    ns = make_ns(s, "gen")
    base = "s" + "x" * 60 + "-"  # 62 characters; a Service name may have at most 63
    path = write_file(s, yaml.safe_dump({"apiVersion": "v1", "kind": "Service",
                                         "metadata": {"generateName": base, "namespace": ns},
                                         "spec": {"ports": [{"port": 80}]}}))
    res = s.kubectl("create", "-f", path, "-o", "name")
    name = res.stdout.strip().split("/", 1)[1]
    assert len(name) == 63 and name.startswith(base[:58]), name


def test_generated_name_collisions_are_retried(s, api):
    """20k generated names in one namespace collide about 14 times among the 27^5 suffixes (without
    retries a create fails with 409 AlreadyExists in all but one run in a million); every create must
    succeed."""
    ns = make_ns(s, "gen-many")
    total, workers = 20_000, 8
    failures, names = [], set()
    lock = threading.Lock()

    def worker(count):
        v1 = client.CoreV1Api(api)
        body = client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="g-"))
        for _ in range(count):
            try:
                made = v1.create_namespaced_config_map(ns, body, _preload_content=False)
                name = json.loads(made.data)["metadata"]["name"]
                with lock:
                    names.add(name)
            except ApiException as e:
                with lock:
                    failures.append((e.status, e.body))

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for f in [pool.submit(worker, total // workers) for _ in range(workers)]:
            f.result()
    assert failures == []
    assert len(names) == total
    listed = client.CoreV1Api(api).list_namespaced_config_map(ns, limit=1)
    assert listed.metadata.remaining_item_count == total - 1


# ---------------------------------------------------------------------------------------------
# 4. Writes without fieldManager are managed by the User-Agent's manager


def test_python_client_writes_are_managed_by_openapi_generator(s, v1):
    ns = make_ns(s, "fm")
    made = v1.create_namespaced_config_map(ns, cm_body("c", {"a": "1"}))
    entries = [(m.manager, m.operation) for m in made.metadata.managed_fields]
    assert entries == [("OpenAPI-Generator", "Update")]
    assert "f:a" in made.metadata.managed_fields[0].fields_v1["f:data"]

    # Another manager's server-side apply of the same field conflicts with it.
    path = write_file(s, yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                         "metadata": {"name": "c", "namespace": ns}, "data": {"a": "2"}}))
    res = s.kubectl("apply", "--server-side", "--field-manager=other", "-f", path, check=False)
    assert res.returncode == 1
    assert 'conflict with "OpenAPI-Generator"' in res.stderr and ".data.a" in res.stderr, res.stderr
    assert v1.read_namespaced_config_map("c", ns).data == {"a": "1"}
    s.kubectl("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", path)
    assert v1.read_namespaced_config_map("c", ns).data == {"a": "2"}

    # An explicit manager still wins over the User-Agent.
    patched = v1.patch_namespaced_config_map("c", ns, {"data": {"b": "1"}}, field_manager="mine")
    assert "mine" in [m.manager for m in patched.metadata.managed_fields]
    replaced = v1.replace_namespaced_config_map("c", ns, cm_body("c", {"a": "2", "b": "1", "z": "9"}))
    owners = {m.manager: m.fields_v1 for m in replaced.metadata.managed_fields}
    assert "f:z" in owners["OpenAPI-Generator"]["f:data"]


def test_kubectl_writes_without_field_manager_are_managed_by_kubectl(s):
    node = f"fm-node-{next(_ids)}"
    s.kubectl("create", "-f", write_file(s, yaml.safe_dump(
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}})))
    # cordon PATCHes without ?fieldManager; User-Agent "kubectl/v1.32.4 (...)".
    s.kubectl("cordon", node)
    got = s.kubectl_json("get", "node", node, "--show-managed-fields")
    entry = [m for m in got["metadata"]["managedFields"] if m["manager"] == "kubectl"]
    assert len(entry) == 1 and entry[0]["operation"] == "Update"
    assert "f:unschedulable" in entry[0]["fieldsV1"]["f:spec"]
    path = write_file(s, yaml.safe_dump({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node},
                                         "spec": {"unschedulable": False}}))
    res = s.kubectl("apply", "--server-side", "--field-manager=ops", "-f", path, check=False)
    assert res.returncode == 1
    assert 'conflict with "kubectl"' in res.stderr and ".spec.unschedulable" in res.stderr, res.stderr

    # kubectl scale writes through /scale without a manager: "kubectl" with subresource scale.
    ns = make_ns(s, "fm-scale")
    s.kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    s.kubectl("scale", "deployment", "web", "--replicas=3", "-n", ns)
    got = s.kubectl_json("get", "deployment", "web", "-n", ns, "--show-managed-fields")
    scale = [m for m in got["metadata"]["managedFields"] if m.get("subresource") == "scale"]
    assert [(m["manager"], m["operation"]) for m in scale] == [("kubectl", "Update")]
    assert "f:replicas" in scale[0]["fieldsV1"]["f:spec"]


# ---------------------------------------------------------------------------------------------
# 5. remainingItemCount


def test_cut_lists_report_remaining_item_count_without_selectors(s, v1):
    ns = make_ns(s, "rem")
    for i in range(5):
        v1.create_namespaced_config_map(ns, cm_body(f"c{i}", labels={"app": "x"}))
    page = v1.list_namespaced_config_map(ns, limit=2)
    assert [i.metadata.name for i in page.items] == ["c0", "c1"]
    assert page.metadata.remaining_item_count == 3 and page.metadata._continue
    page2 = v1.list_namespaced_config_map(ns, limit=2, _continue=page.metadata._continue)
    assert [i.metadata.name for i in page2.items] == ["c2", "c3"]
    assert page2.metadata.remaining_item_count == 1 and page2.metadata._continue
    page3 = v1.list_namespaced_config_map(ns, limit=2, _continue=page2.metadata._continue)
    assert [i.metadata.name for i in page3.items] == ["c4"]
    assert page3.metadata.remaining_item_count is None and not page3.metadata._continue
    # Whole lists carry no count.
    assert v1.list_namespaced_config_map(ns).metadata.remaining_item_count is None

    # Selectors: a continue token but no count.
    for kw in ({"label_selector": "app=x"}, {"field_selector": "metadata.name!=c9"}):
        sel = v1.list_namespaced_config_map(ns, limit=2, **kw)
        assert sel.metadata._continue and sel.metadata.remaining_item_count is None, kw
        nxt = v1.list_namespaced_config_map(ns, limit=2, _continue=sel.metadata._continue, **kw)
        assert nxt.metadata._continue and nxt.metadata.remaining_item_count is None, kw

    # A snapshot read at an exact resourceVersion counts from storage; later writes do not count.
    rv = page.metadata.resource_version
    v1.create_namespaced_config_map(ns, cm_body("c5"))
    exact = v1.list_namespaced_config_map(ns, limit=2, resource_version=rv, resource_version_match="Exact")
    assert exact.metadata.remaining_item_count == 3
    nxt = v1.list_namespaced_config_map(ns, limit=4, _continue=exact.metadata._continue)
    assert [i.metadata.name for i in nxt.items] == ["c2", "c3", "c4"] and nxt.metadata.remaining_item_count is None
    # Continuing the first page (snapshot before c5) still counts 3 after it.
    again = v1.list_namespaced_config_map(ns, limit=1, _continue=page.metadata._continue)
    assert again.metadata.remaining_item_count == 2

    # Tables for `kubectl get --chunk-size` carry it too.
    status, _, data = raw(s, "GET", f"/api/v1/namespaces/{ns}/configmaps?limit=2",
                          accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    assert status == 200
    assert json.loads(data)["metadata"]["remainingItemCount"] == 4
    out = s.kubectl("get", "cm", "-n", ns, "--chunk-size=2", "-o", "name").stdout.split()
    assert out == [f"configmap/c{i}" for i in range(6)]


# ---------------------------------------------------------------------------------------------
# 6. apiregistration.k8s.io/v1 APIService


def apiservice(version, group, service=None, **spec):
    doc = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
           "metadata": {"name": f"{version}.{group}"},
           "spec": {"group": group, "version": version, "groupPriorityMinimum": 1000, "versionPriority": 15,
                    **spec}}
    if service:
        doc["spec"]["service"] = service
    return doc


def test_apiservices_with_kubectl(s):
    local = apiservice("v1alpha1", "local.example.com")
    remote = apiservice("v1beta1", "remote.example.com", {"namespace": "kube-system", "name": "ext"},
                        insecureSkipTLSVerify=True)
    s.kubectl("create", "-f", write_file(s, yaml.safe_dump(local)))
    s.kubectl("apply", "-f", write_file(s, yaml.safe_dump(remote)))

    got = s.kubectl_json("get", "apiservice", "v1alpha1.local.example.com")
    cond = got["status"]["conditions"]
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in cond] == [
        ("Available", "True", "Local", "Local APIServices are always available")]
    assert cond[0]["lastTransitionTime"]
    assert "namespace" not in got["metadata"]
    remote_got = s.kubectl_json("get", "apiservice", "v1beta1.remote.example.com")
    assert remote_got["spec"]["service"] == {"namespace": "kube-system", "name": "ext", "port": 443}
    # The availability controller finds no such Service (test_aggregation.py covers the rest).
    cond = wait_for(lambda: s.kubectl_json("get", "apiservice", "v1beta1.remote.example.com")
                    .get("status", {}).get("conditions"), what="the remote APIService's conditions")
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in cond] == [
        ("Available", "False", "ServiceNotFound", 'service/ext in "kube-system" is not present')]

    lines = s.kubectl("get", "apiservices").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    rows = {line.split()[0]: line.split()[1:3] for line in lines[1:]}
    assert rows["v1alpha1.local.example.com"] == ["Local", "True"]
    assert rows["v1beta1.remote.example.com"] == ["kube-system/ext", "False"]
    assert rows["v1.apps"] == ["Local", "True"]  # registered by the server itself

    res = s.kubectl("api-resources", "--api-group=apiregistration.k8s.io", "--no-headers").stdout.split()
    assert res == ["apiservices", "apiregistration.k8s.io/v1", "false", "APIService"]
    explained = s.kubectl("explain", "apiservice.spec").stdout
    assert "groupPriorityMinimum" in explained and "versionPriority" in explained

    bad = apiservice("v1", "bad.example.com")
    bad["metadata"]["name"] = "v2.bad.example.com"
    res = s.kubectl("create", "-f", write_file(s, yaml.safe_dump(bad)), check=False)
    assert res.returncode == 1
    assert ('The APIService "v2.bad.example.com" is invalid: metadata.name: Invalid value: '
            '"v2.bad.example.com": must be `spec.version+"."+spec.group`: "v1.bad.example.com"') in res.stderr
    local_tls = apiservice("v1", "tls.example.com", insecureSkipTLSVerify=True)
    res = s.kubectl("create", "-f", write_file(s, yaml.safe_dump(local_tls)), check=False)
    assert "local APIServices may not have insecureSkipTLSVerify" in res.stderr

    res = s.kubectl("delete", "apiservice", "v1alpha1.local.example.com", "v1beta1.remote.example.com")
    assert res.stdout.splitlines() == ['apiservice.apiregistration.k8s.io "v1alpha1.local.example.com" deleted',
                                       'apiservice.apiregistration.k8s.io "v1beta1.remote.example.com" deleted']
    left = s.kubectl("get", "apiservices", "-o", "name").stdout.split()
    assert "apiservice.apiregistration.k8s.io/v1alpha1.local.example.com" not in left
    assert "apiservice.apiregistration.k8s.io/v1beta1.remote.example.com" not in left
    assert "apiservice.apiregistration.k8s.io/v1.apps" in left


def test_apiservices_with_the_python_client(s, api):
    reg = client.ApiregistrationV1Api(api)
    body = client.V1APIService(
        metadata=client.V1ObjectMeta(name="v1.py.example.com"),
        spec=client.V1APIServiceSpec(group="py.example.com", version="v1", group_priority_minimum=2000,
                                     version_priority=10))
    made = reg.create_api_service(body)
    assert made.status.conditions[0].type == "Available" and made.status.conditions[0].status == "True"
    assert "v1.py.example.com" in [a.metadata.name for a in reg.list_api_service().items]
    got = reg.read_api_service("v1.py.example.com")
    assert got.spec.group_priority_minimum == 2000 and got.metadata.uid == made.metadata.uid
    # Status is written through the status subresource only.
    got.spec.version_priority = 20
    got.status = client.V1APIServiceStatus(conditions=[client.V1APIServiceCondition(type="Available",
                                                                                   status="False")])
    replaced = reg.replace_api_service("v1.py.example.com", got)
    assert replaced.spec.version_priority == 20 and replaced.status.conditions[0].status == "True"
    with pytest.raises(ApiException) as e:
        reg.create_api_service(body)
    assert e.value.status == 409
    st = reg.delete_api_service("v1.py.example.com")
    assert (st.status, st.details.name, st.details.group, st.details.kind, st.details.uid) == (
        "Success", "v1.py.example.com", "apiregistration.k8s.io", "apiservices", made.metadata.uid)
    with pytest.raises(ApiException) as e:
        reg.read_api_service("v1.py.example.com")
    assert e.value.status == 404
