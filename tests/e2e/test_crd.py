"""CustomResourceDefinitions through real kubectl and the Python client: CRD lifecycle and
conditions, custom resource CRUD/list/watch/patch/apply, status and scale subresources, printer
columns, short names and categories, cluster scope, two versions with None conversion, name
conflicts, deleting a CRD deletes its objects, and a small operator written with the official
client."""
import json
import threading
import time

import pytest

from conftest import Skiff, api_request, wait_for

GROUP = "stable.example.com"


def crd_manifest(plural, kind, scope="Namespaced", group=GROUP, short_names=None, categories=None,
                 versions=None, columns=None, status=True, scale=True):
    schema = {"openAPIV3Schema": {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "description": "Desired state of the widget.",
                     "properties": {"size": {"type": "string", "description": "How big the widget is."},
                                    "replicas": {"type": "integer"},
                                    "selector": {"type": "string"}}},
            "status": {"type": "object", "properties": {"replicas": {"type": "integer"},
                                                        "phase": {"type": "string"}}}}}}
    subresources = {}
    if status:
        subresources["status"] = {}
    if scale:
        subresources["scale"] = {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                                 "labelSelectorPath": ".spec.selector"}
    if versions is None:
        versions = [{"name": "v1", "served": True, "storage": True}]
    out_versions = []
    for v in versions:
        v = dict(v)
        v.setdefault("schema", schema)
        if subresources:
            v.setdefault("subresources", subresources)
        if columns:
            v.setdefault("additionalPrinterColumns", columns)
        out_versions.append(v)
    names = {"plural": plural, "singular": plural[:-1], "kind": kind}
    if short_names:
        names["shortNames"] = short_names
    if categories:
        names["categories"] = categories
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope, "names": names, "versions": out_versions}}


def condition(crd, type_):
    for c in crd.get("status", {}).get("conditions", []):
        if c["type"] == type_:
            return c
    return None


def create_crd(s, manifest, established=True):
    s.kubectl("apply", "-f", "-", input=json.dumps(manifest))
    name = manifest["metadata"]["name"]
    if established:
        wait_for(lambda: (condition(s.kubectl_json("get", "crd", name), "Established") or {}).get("status") == "True",
                 timeout=10, what=f"{name} Established")
    return name


@pytest.fixture(scope="module")
def s():
    srv = Skiff(extra_args=["--disable-controllers"]).start()
    yield srv
    srv.cleanup()


@pytest.fixture(scope="module")
def widgets(s):
    create_crd(s, crd_manifest("widgets", "Widget", short_names=["wd"], categories=["all"], columns=[
        {"name": "Size", "type": "string", "jsonPath": ".spec.size"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]))
    return "widgets." + GROUP


def widget(name, size="small", replicas=1, **extra):
    obj = {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": name},
           "spec": {"size": size, "replicas": replicas, "selector": f"app={name}"}}
    obj.update(extra)
    return obj


def test_crd_conditions_and_discovery(s, widgets):
    crd = s.kubectl_json("get", "crd", widgets)
    assert condition(crd, "NamesAccepted")["status"] == "True"
    assert condition(crd, "NamesAccepted")["reason"] == "NoConflicts"
    assert condition(crd, "Established")["reason"] == "InitialNamesAccepted"
    assert crd["status"]["acceptedNames"]["kind"] == "Widget"
    assert crd["status"]["acceptedNames"]["listKind"] == "WidgetList"
    assert crd["status"]["storedVersions"] == ["v1"]
    assert crd["metadata"]["generation"] == 1
    res = s.kubectl("api-resources", "--api-group", GROUP, "-o", "wide").stdout
    assert "widgets" in res and "wd" in res and "Widget" in res
    # aggregated discovery
    code, headers, body = api_request(s, "GET", "/apis", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
    assert code == 200
    group = [g for g in body["items"] if g["metadata"]["name"] == GROUP][0]
    res = group["versions"][0]["resources"][0]
    assert res["resource"] == "widgets" and res["scope"] == "Namespaced" and res["shortNames"] == ["wd"]
    assert {sr["subresource"] for sr in res["subresources"]} == {"status", "scale"}
    # legacy discovery
    code, _, body = api_request(s, "GET", f"/apis/{GROUP}/v1")
    assert code == 200 and {r["name"] for r in body["resources"]} == {"widgets", "widgets/status", "widgets/scale"}


def test_crd_stored_at_kube_key(s, widgets):
    # The key layout is checked through the etcd-compatible prefix of the key_layout unit tests;
    # here: the CRD is readable by name and the resource path is served.
    code, _, body = api_request(s, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{widgets}")
    assert code == 200 and body["spec"]["group"] == GROUP


def test_cr_crud_with_kubectl(s, widgets):
    s.kubectl("apply", "-f", "-", input=json.dumps(widget("w1", replicas=2)))
    got = s.kubectl_json("get", "widget", "w1")
    assert got["spec"]["size"] == "small" and got["metadata"]["generation"] == 1
    out = s.kubectl("get", "wd").stdout.splitlines()
    assert out[0].split() == ["NAME", "SIZE", "REPLICAS", "AGE"]
    assert out[1].split()[:3] == ["w1", "small", "2"]
    wide = s.kubectl("get", f"widgets.v1.{GROUP}", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "SIZE", "REPLICAS", "PHASE", "AGE"]
    # client-side apply again (a change) uses a merge patch computed by kubectl
    s.kubectl("apply", "-f", "-", input=json.dumps(widget("w1", size="large", replicas=2)))
    got = s.kubectl_json("get", "widget", "w1")
    assert got["spec"]["size"] == "large" and got["metadata"]["generation"] == 2
    # server-side apply with managedFields
    s.kubectl("apply", "--server-side", "--field-manager=e2e", "-f", "-",
              input=json.dumps(widget("w2", size="medium")))
    got = s.kubectl_json("get", "widget", "w2", "--show-managed-fields")
    assert any(m["manager"] == "e2e" and m["operation"] == "Apply" for m in got["metadata"]["managedFields"])
    # patches: merge and json; strategic merge is refused as kube refuses it for custom resources
    s.kubectl("patch", "widget", "w2", "--type=merge", "-p", '{"spec":{"size":"tiny"}}')
    s.kubectl("patch", "widget", "w2", "--type=json", "-p", '[{"op":"replace","path":"/spec/replicas","value":5}]')
    got = s.kubectl_json("get", "widget", "w2")
    assert got["spec"]["size"] == "tiny" and got["spec"]["replicas"] == 5
    res = s.kubectl("patch", "widget", "w2", "--type=strategic", "-p", '{"spec":{"size":"x"}}', check=False)
    assert res.returncode != 0 and "UnsupportedMediaType" in res.stderr or "unknown format" in res.stderr
    # labels and label selectors, field selectors
    s.kubectl("label", "widget", "w2", "tier=gold")
    names = [i["metadata"]["name"] for i in s.kubectl_json("get", "widgets", "-l", "tier=gold")["items"]]
    assert names == ["w2"]
    names = [i["metadata"]["name"] for i in
             s.kubectl_json("get", "widgets", "--field-selector", "metadata.name=w1")["items"]]
    assert names == ["w1"]
    # kubectl get all includes category "all"
    assert "widget.stable.example.com/w1" in s.kubectl("get", "all").stdout
    s.kubectl("delete", "widget", "w2")
    assert s.kubectl("get", "widget", "w2", check=False).returncode != 0


def test_status_subresource_and_generation(s, widgets):
    s.kubectl("apply", "-f", "-", input=json.dumps(widget("st", replicas=1)))
    # status in a main-resource write is ignored
    s.kubectl("patch", "widget", "st", "--type=merge", "-p", '{"status":{"phase":"Ignored"}}')
    got = s.kubectl_json("get", "widget", "st")
    assert "status" not in got and got["metadata"]["generation"] == 1
    s.kubectl("patch", "widget", "st", "--subresource=status", "--type=merge", "-p", '{"status":{"phase":"Ready","replicas":1}}')
    got = s.kubectl_json("get", "widget", "st")
    assert got["status"]["phase"] == "Ready" and got["metadata"]["generation"] == 1
    s.kubectl("patch", "widget", "st", "--type=merge", "-p", '{"spec":{"size":"big"}}')
    assert s.kubectl_json("get", "widget", "st")["metadata"]["generation"] == 2


def test_scale_subresource(s, widgets):
    s.kubectl("apply", "-f", "-", input=json.dumps(widget("sc", replicas=1)))
    s.kubectl("scale", "widget", "sc", "--replicas=4")
    assert s.kubectl_json("get", "widget", "sc")["spec"]["replicas"] == 4
    code, _, scale = api_request(s, "GET", f"/apis/{GROUP}/v1/namespaces/default/widgets/sc/scale")
    assert code == 200 and scale["kind"] == "Scale" and scale["spec"]["replicas"] == 4
    assert scale["status"]["selector"] == "app=sc"


def test_python_dynamic_client_and_watch(s, widgets):
    from kubernetes import dynamic
    dyn = dynamic.DynamicClient(s.python_client())
    res = dyn.resources.get(api_version=f"{GROUP}/v1", kind="Widget")
    events = []
    started = threading.Event()

    def watch():
        started.set()
        for ev in res.watch(namespace="default", timeout=15):
            events.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED" and ev["object"].metadata.name == "py":
                return

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    started.wait()
    time.sleep(0.5)
    res.create(body=widget("py", size="py"), namespace="default")
    got = res.get(name="py", namespace="default")
    assert got.spec.size == "py"
    res.patch(name="py", namespace="default", body={"spec": {"size": "patched"}},
              content_type="application/merge-patch+json")
    assert res.get(name="py", namespace="default").spec.size == "patched"
    listed = res.get(namespace="default", label_selector="")
    assert "py" in [i.metadata.name for i in listed.items]
    res.delete(name="py", namespace="default")
    t.join(20)
    assert ("ADDED", "py") in events and ("MODIFIED", "py") in events and ("DELETED", "py") in events


def test_cluster_scoped_and_two_versions(s):
    columns = [{"name": "Size", "type": "string", "jsonPath": ".spec.size"}]
    create_crd(s, crd_manifest("gadgets", "Gadget", scope="Cluster", columns=columns, scale=False, versions=[
        {"name": "v1beta1", "served": True, "storage": False},
        {"name": "v1", "served": True, "storage": True}]))
    obj = {"apiVersion": f"{GROUP}/v1beta1", "kind": "Gadget", "metadata": {"name": "g1"}, "spec": {"size": "s"}}
    s.kubectl("apply", "-f", "-", input=json.dumps(obj))
    # Preferred version is v1 (kube's version priority), stored in v1, served in both.
    assert s.kubectl_json("get", "gadget", "g1")["apiVersion"] == f"{GROUP}/v1"
    assert s.kubectl_json("get", f"gadgets.v1beta1.{GROUP}", "g1")["apiVersion"] == f"{GROUP}/v1beta1"
    code, _, _ = api_request(s, "GET", f"/apis/{GROUP}/v1/namespaces/default/gadgets/g1")
    assert code == 404
    code, _, body = api_request(s, "GET", f"/apis/{GROUP}/v1/gadgets/g1")
    assert code == 200 and "namespace" not in body["metadata"]


def test_invalid_crds_rejected(s):
    bad = crd_manifest("things", "Thing")
    bad["metadata"]["name"] = "wrong.stable.example.com"
    res = s.kubectl("create", "-f", "-", input=json.dumps(bad), check=False)
    assert res.returncode != 0 and 'metadata.name: Invalid value: "wrong.stable.example.com"' in res.stderr
    two_storage = crd_manifest("things", "Thing", versions=[{"name": "v1", "served": True, "storage": True},
                                                             {"name": "v2", "served": True, "storage": True}])
    res = s.kubectl("create", "-f", "-", input=json.dumps(two_storage), check=False)
    assert "must have exactly one version marked as storage version" in res.stderr
    no_dot = crd_manifest("things", "Thing", group="example")
    res = s.kubectl("create", "-f", "-", input=json.dumps(no_dot), check=False)
    assert "should be a domain with at least one dot" in res.stderr


def test_name_conflict(s, widgets):
    # Another CRD of the group claiming the plural "widgets" through a different name.
    other = crd_manifest("widgets", "Sprocket", group=GROUP)
    other["metadata"]["name"] = "sprockets." + GROUP
    other["spec"]["names"]["plural"] = "sprockets"
    other["spec"]["names"]["shortNames"] = ["wd"]  # taken by widgets
    name = create_crd(s, other, established=False)
    crd = wait_for(lambda: (lambda c: c if condition(c, "NamesAccepted") else None)(s.kubectl_json("get", "crd", name)),
                   timeout=10, what="NamesAccepted")
    cond = condition(crd, "NamesAccepted")
    assert cond["status"] == "False" and cond["reason"] == "ShortNamesConflict"
    assert cond["message"] == '"wd" is already in use'
    assert condition(crd, "Established")["status"] == "False"
    s.kubectl("delete", "crd", name)


def test_delete_crd_deletes_objects(s):
    name = create_crd(s, crd_manifest("doomeds", "Doomed", scale=False))
    for i in range(3):
        obj = {"apiVersion": f"{GROUP}/v1", "kind": "Doomed", "metadata": {"name": f"d{i}"}}
        s.kubectl("apply", "-f", "-", input=json.dumps(obj))
    s.kubectl("delete", "crd", name, "--timeout=30s")
    assert s.kubectl("get", "crd", name, check=False).returncode != 0
    code, _, _ = api_request(s, "GET", f"/apis/{GROUP}/v1/namespaces/default/doomeds")
    assert code == 404
    # Recreated, the resource starts empty.
    create_crd(s, crd_manifest("doomeds", "Doomed", scale=False))
    assert s.kubectl_json("get", "doomeds")["items"] == []
    s.kubectl("delete", "crd", name)


def test_explain(s, widgets):
    out = s.kubectl("explain", "widget.spec.size").stdout
    assert "How big the widget is." in out


def test_operator_with_official_client():
    """A small operator: watches Widgets, creates a Deployment per Widget with an ownerReference
    and writes the Widget's status; runs against skiff (with controllers) unchanged."""
    srv = Skiff().start()
    try:
        from kubernetes import client, watch
        create_crd(srv, crd_manifest("widgets", "Widget", scale=True))
        api_client = srv.python_client()
        custom = client.CustomObjectsApi(api_client)
        apps = client.AppsV1Api(api_client)
        stop = threading.Event()

        def reconcile(obj):
            meta = obj["metadata"]
            name, ns = meta["name"], meta["namespace"]
            owner = client.V1OwnerReference(api_version=f"{GROUP}/v1", kind="Widget", name=name, uid=meta["uid"],
                                            controller=True, block_owner_deletion=True)
            labels = {"app": name}
            dep = client.V1Deployment(
                metadata=client.V1ObjectMeta(name=name, owner_references=[owner]),
                spec=client.V1DeploymentSpec(
                    replicas=obj["spec"].get("replicas", 1),
                    selector=client.V1LabelSelector(match_labels=labels),
                    template=client.V1PodTemplateSpec(
                        metadata=client.V1ObjectMeta(labels=labels),
                        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]))))
            try:
                apps.create_namespaced_deployment(ns, dep)
            except client.ApiException as e:
                if e.status != 409:
                    raise
            custom.patch_namespaced_custom_object_status(
                GROUP, "v1", ns, "widgets", name, {"status": {"phase": "Deployed"}})

        def run():
            w = watch.Watch()
            for ev in w.stream(custom.list_namespaced_custom_object, GROUP, "v1", "default", "widgets",
                               timeout_seconds=30):
                if stop.is_set():
                    w.stop()
                    return
                if ev["type"] in ("ADDED", "MODIFIED") and ev["object"].get("status", {}).get("phase") != "Deployed":
                    reconcile(ev["object"])

        t = threading.Thread(target=run, daemon=True)
        t.start()
        custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", widget("op", replicas=2))
        dep = wait_for(lambda: _get_or_none(lambda: apps.read_namespaced_deployment("op", "default")),
                       timeout=20, what="operator's deployment")
        assert dep.metadata.owner_references[0].kind == "Widget"
        wait_for(lambda: custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "op")
                 .get("status", {}).get("phase") == "Deployed", timeout=20, what="widget status")
        stop.set()
        # The garbage collector follows custom resources: deleting the Widget deletes its Deployment.
        custom.delete_namespaced_custom_object(GROUP, "v1", "default", "widgets", "op")
        wait_for(lambda: _get_or_none(lambda: apps.read_namespaced_deployment("op", "default")) is None,
                 timeout=30, what="the Widget's Deployment collected")
    finally:
        srv.cleanup()


def _get_or_none(fn):
    from kubernetes import client
    try:
        return fn()
    except client.ApiException as e:
        if e.status == 404:
            return None
        raise


def test_schema_prunes_and_validates(s, widgets):
    path = f"/apis/{GROUP}/v1/namespaces/default/widgets"
    bad = widget("bad")
    bad["spec"]["replicas"] = "many"
    code, _, body = api_request(s, "POST", path, bad)
    assert code == 422, body
    assert "spec.replicas" in body["message"]
    extra = widget("pruned")
    extra["spec"]["unknownField"] = 1
    code, _, body = api_request(s, "POST", path + "?fieldValidation=Ignore", extra)
    assert code == 201, body
    assert "unknownField" not in body["spec"]


def test_bad_schema_rejected(s):
    m = crd_manifest("badschemas", "BadSchema")
    m["spec"]["versions"][0]["schema"] = {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"properties": {"x": {"type": "string"}}}}}}
    res = s.kubectl("create", "-f", "-", input=json.dumps(m), check=False)
    assert res.returncode != 0 and "spec.versions[0].schema.openAPIV3Schema" in res.stderr, res.stderr
