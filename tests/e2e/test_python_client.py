"""The official Python client (python3-kubernetes 22.6) against skiff: CRUD, patches, list options,
watches. Everything goes through the typed APIs, so responses must also pass its model validation."""
import itertools
import threading
import time

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


@pytest.fixture(scope="module")
def shared_skiff(bare_skiff):
    """These tests check API server semantics; controllers writing status concurrently would race
    with their "nothing changed" and read-modify-write checks, so they run without controllers."""
    return bare_skiff


_ids = itertools.count()


@pytest.fixture
def ns(v1):
    name = f"py-{next(_ids)}-{int(time.time() * 1000) % 100000}"
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def deployment_body(name, replicas=2, image="nginx:1.27"):
    return client.V1Deployment(
        api_version="apps/v1", kind="Deployment",
        metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels={"app": name}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": name}),
                spec=client.V1PodSpec(containers=[client.V1Container(
                    name="nginx", image=image, ports=[client.V1ContainerPort(container_port=80)],
                    env=[client.V1EnvVar(name="A", value="1")])]))))


def expect_api_error(status, fn, *args, **kw):
    with pytest.raises(ApiException) as exc:
        fn(*args, **kw)
    assert exc.value.status == status, exc.value.body
    return exc.value


# ------------------------------------------------------------------ ConfigMaps

def test_configmap_create_read_replace_delete(v1, ns):
    created = v1.create_namespaced_config_map(ns, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="cfg", labels={"tier": "a"}), data={"k": "v"}))
    assert created.metadata.name == "cfg"
    assert created.metadata.namespace == ns
    assert created.metadata.uid
    assert created.metadata.resource_version
    assert created.metadata.creation_timestamp is not None  # RFC3339 parsed by dateutil

    got = v1.read_namespaced_config_map("cfg", ns)
    assert got.data == {"k": "v"}
    assert got.metadata.labels == {"tier": "a"}
    assert got.metadata.uid == created.metadata.uid

    got.data = {"k": "v2", "new": "x"}
    replaced = v1.replace_namespaced_config_map("cfg", ns, got)
    assert replaced.data == {"k": "v2", "new": "x"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    assert replaced.metadata.uid == created.metadata.uid

    # replacing with the now-stale object is a 409 Conflict
    stale = created
    stale.data = {"k": "stale"}
    expect_api_error(409, v1.replace_namespaced_config_map, "cfg", ns, stale)
    assert v1.read_namespaced_config_map("cfg", ns).data == {"k": "v2", "new": "x"}

    v1.delete_namespaced_config_map("cfg", ns)
    expect_api_error(404, v1.read_namespaced_config_map, "cfg", ns)
    expect_api_error(404, v1.delete_namespaced_config_map, "cfg", ns)
    assert [c.metadata.name for c in v1.list_namespaced_config_map(ns).items
            if c.metadata.name != "kube-root-ca.crt"] == []


def test_configmap_create_twice_is_409(v1, ns):
    v1.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}, "data": {"a": "1"}})
    err = expect_api_error(409, v1.create_namespaced_config_map, ns,
                           {"metadata": {"name": "dup"}, "data": {"a": "2"}})
    assert "AlreadyExists" in err.body
    assert v1.read_namespaced_config_map("dup", ns).data == {"a": "1"}


def test_configmap_patch_dict_is_strategic_merge(v1, ns):
    v1.create_namespaced_config_map(ns, {"metadata": {"name": "p", "labels": {"keep": "1", "drop": "1"}},
                                         "data": {"a": "1", "b": "2"}})
    out = v1.patch_namespaced_config_map("p", ns, {"metadata": {"labels": {"drop": None, "add": "1"}},
                                                  "data": {"b": "20", "c": "3"}})
    assert out.metadata.labels == {"keep": "1", "add": "1"}
    assert out.data == {"a": "1", "b": "20", "c": "3"}
    assert v1.read_namespaced_config_map("p", ns).data == {"a": "1", "b": "20", "c": "3"}


def test_configmap_patch_list_is_json_patch(v1, ns):
    v1.create_namespaced_config_map(ns, {"metadata": {"name": "jp"}, "data": {"a": "1", "b": "2"}})
    out = v1.patch_namespaced_config_map("jp", ns, [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "replace", "path": "/data/a", "value": "10"},
        {"op": "remove", "path": "/data/b"},
        {"op": "add", "path": "/metadata/annotations", "value": {}},
        {"op": "add", "path": "/metadata/annotations/example.com~1ab", "value": "w"},  # ~1 is /
        {"op": "copy", "from": "/data/a", "path": "/data/copied"},
    ])
    assert out.data == {"a": "10", "copied": "10"}
    assert out.metadata.annotations == {"example.com/ab": "w"}
    # failing test op: 422 and nothing changes
    expect_api_error(422, v1.patch_namespaced_config_map, "jp", ns,
                     [{"op": "test", "path": "/data/a", "value": "1"},
                      {"op": "replace", "path": "/data/a", "value": "never"}])
    assert v1.read_namespaced_config_map("jp", ns).data == {"a": "10", "copied": "10"}


# ------------------------------------------------------------------ Deployments

def test_deployment_crud_and_defaults(apps, ns):
    d = apps.create_namespaced_deployment(ns, deployment_body("web"))
    assert d.metadata.generation == 1
    assert d.spec.replicas == 2
    # server-side defaults the client sees through its typed models
    assert d.spec.strategy.type == "RollingUpdate"
    assert d.spec.strategy.rolling_update.max_surge == "25%"
    assert d.spec.revision_history_limit == 10
    assert d.spec.progress_deadline_seconds == 600
    c = d.spec.template.spec.containers[0]
    assert c.image_pull_policy == "IfNotPresent"
    assert c.ports[0].protocol == "TCP"
    assert c.termination_message_path == "/dev/termination-log"
    assert d.spec.template.spec.restart_policy == "Always"
    assert d.spec.template.spec.dns_policy == "ClusterFirst"

    got = apps.read_namespaced_deployment("web", ns)
    assert got.metadata.uid == d.metadata.uid

    got.spec.replicas = 4
    got.spec.template.spec.containers[0].image = "nginx:1.28"
    rep = apps.replace_namespaced_deployment("web", ns, got)
    assert rep.spec.replicas == 4
    assert rep.spec.template.spec.containers[0].image == "nginx:1.28"
    assert rep.metadata.generation == 2

    names = [x.metadata.name for x in apps.list_namespaced_deployment(ns).items]
    assert names == ["web"]
    assert "web" in [x.metadata.name for x in apps.list_deployment_for_all_namespaces().items
                     if x.metadata.namespace == ns]

    apps.delete_namespaced_deployment("web", ns)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            apps.read_namespaced_deployment("web", ns)
        except ApiException as e:
            assert e.status == 404
            break
        time.sleep(0.2)
    else:
        pytest.fail("deployment still readable 10 s after delete")


def test_deployment_strategic_merge_patch_merges_containers_by_name(apps, ns):
    apps.create_namespaced_deployment(ns, deployment_body("smp"))
    out = apps.patch_namespaced_deployment("smp", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "busybox:1.36"},
        {"name": "nginx", "env": [{"name": "B", "value": "2"}]}]}}}})
    by_name = {c.name: c for c in out.spec.template.spec.containers}
    assert set(by_name) == {"nginx", "sidecar"}
    assert by_name["nginx"].image == "nginx:1.27"  # untouched field kept
    assert {e.name: e.value for e in by_name["nginx"].env} == {"A": "1", "B": "2"}  # env merged by name
    assert by_name["sidecar"].image_pull_policy == "IfNotPresent"  # defaulted after patch
    assert out.metadata.generation == 2

    # $patch: delete removes one list element by merge key
    out = apps.patch_namespaced_deployment("smp", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "$patch": "delete"}]}}}})
    assert [c.name for c in out.spec.template.spec.containers] == ["nginx"]


def test_deployment_json_patch(apps, ns):
    apps.create_namespaced_deployment(ns, deployment_body("jp"))
    out = apps.patch_namespaced_deployment("jp", ns, [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/spec/template/spec/containers/0/args", "value": ["-g", "daemon off;"]},
        {"op": "add", "path": "/metadata/annotations", "value": {"note": "hi"}},
    ])
    assert out.spec.replicas == 5
    assert out.spec.template.spec.containers[0].args == ["-g", "daemon off;"]
    assert out.metadata.annotations["note"] == "hi"
    expect_api_error(422, apps.patch_namespaced_deployment, "jp", ns,
                     [{"op": "replace", "path": "/spec/nope/deeper", "value": 1}])


def test_deployment_scale_subresource(apps, ns):
    apps.create_namespaced_deployment(ns, deployment_body("sc", replicas=1))
    scale = apps.read_namespaced_deployment_scale("sc", ns)
    assert scale.spec.replicas == 1
    apps.patch_namespaced_deployment_scale("sc", ns, {"spec": {"replicas": 3}})
    assert apps.read_namespaced_deployment("sc", ns).spec.replicas == 3


def test_invalid_deployment_via_client_is_422(apps, ns):
    body = deployment_body("Bad_Name")
    err = expect_api_error(422, apps.create_namespaced_deployment, ns, body)
    assert "Invalid" in err.body


# ------------------------------------------------------------------ Namespaces

def test_namespace_create_read_list_patch(v1):
    name = f"py-ns-{next(_ids)}"
    ns = v1.create_namespace({"metadata": {"name": name, "labels": {"suite": "py-ns"}}})
    assert ns.status.phase == "Active"
    assert ns.spec.finalizers == ["kubernetes"]
    assert ns.metadata.labels["kubernetes.io/metadata.name"] == name
    assert ns.metadata.labels["suite"] == "py-ns"
    got = v1.read_namespace(name)
    assert got.metadata.uid == ns.metadata.uid
    listed = v1.list_namespace(label_selector="suite=py-ns")
    assert name in [n.metadata.name for n in listed.items]
    patched = v1.patch_namespace(name, {"metadata": {"labels": {"extra": "yes"}}})
    assert patched.metadata.labels["extra"] == "yes" and patched.metadata.labels["suite"] == "py-ns"
    got = v1.read_namespace(name)
    got.metadata.annotations = {"owner": "py"}
    replaced = v1.replace_namespace(name, got)
    assert replaced.metadata.annotations == {"owner": "py"}
    assert replaced.metadata.labels["extra"] == "yes"


def test_namespace_delete_terminates_and_blocks_new_content(v1):
    name = f"py-del-{next(_ids)}"
    v1.create_namespace({"metadata": {"name": name}})
    v1.create_namespaced_config_map(name, {"metadata": {"name": "inside"}})
    v1.delete_namespace(name)
    try:
        ns = v1.read_namespace(name)
    except ApiException as e:
        assert e.status == 404  # already finalized: also fine
        return
    assert ns.metadata.deletion_timestamp is not None
    assert ns.status.phase == "Terminating"
    err = expect_api_error(403, v1.create_namespaced_config_map, name, {"metadata": {"name": "late"}})
    assert "being terminated" in err.body


# ------------------------------------------------------------------ list options

def test_list_label_selector(v1, ns):
    for i, (tier, env) in enumerate([("web", "prod"), ("web", "dev"), ("db", "prod"), ("cache", None)]):
        labels = {"tier": tier}
        if env:
            labels["env"] = env
        v1.create_namespaced_config_map(ns, {"metadata": {"name": f"c{i}", "labels": labels}})

    def names(sel):
        return sorted(c.metadata.name for c in v1.list_namespaced_config_map(ns, label_selector=sel).items
                      if c.metadata.name != "kube-root-ca.crt")

    assert names("tier=web") == ["c0", "c1"]
    assert names("tier=web,env=prod") == ["c0"]
    assert names("tier!=web") == ["c2", "c3"]
    assert names("tier in (db,cache)") == ["c2", "c3"]
    assert names("tier notin (db,cache)") == ["c0", "c1"]
    assert names("env") == ["c0", "c1", "c2"]
    assert names("!env") == ["c3"]
    assert names("tier=nope") == []
    expect_api_error(400, v1.list_namespaced_config_map, ns, label_selector="tier in (web")


def test_list_field_selector(v1, ns):
    for n in ("fa", "fb", "fc"):
        v1.create_namespaced_config_map(ns, {"metadata": {"name": n}})
    got = v1.list_namespaced_config_map(ns, field_selector="metadata.name=fb").items
    assert [c.metadata.name for c in got] == ["fb"]
    got = v1.list_namespaced_config_map(ns, field_selector="metadata.name!=fb").items
    assert {"fa", "fc"} <= {c.metadata.name for c in got} and "fb" not in {c.metadata.name for c in got}
    got = v1.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={ns}").items
    assert {"fa", "fb", "fc"} <= {c.metadata.name for c in got}
    assert {c.metadata.namespace for c in got} == {ns}
    expect_api_error(400, v1.list_namespaced_config_map, ns, field_selector="data.x=y")


def test_list_pagination_with_limit_and_continue(v1, ns):
    want = [f"page-{i:02d}" for i in range(11)]
    for n in want:
        v1.create_namespaced_config_map(ns, {"metadata": {"name": n, "labels": {"pg": "1"}}})
    seen, token, pages = [], None, 0
    first_rv = None
    while True:
        kw = {"limit": 4, "label_selector": "pg=1"}
        if token:
            kw["_continue"] = token
        page = v1.list_namespaced_config_map(ns, **kw)
        pages += 1
        assert len(page.items) <= 4
        if first_rv is None:
            first_rv = page.metadata.resource_version
            # created between pages: must not appear in later pages of this list
            v1.create_namespaced_config_map(ns, {"metadata": {"name": "page-zz-late", "labels": {"pg": "1"}}})
        else:
            assert page.metadata.resource_version == first_rv
        seen += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count is None or page.metadata.remaining_item_count > 0
    assert pages == 3
    assert seen == want
    all_now = [c.metadata.name for c in v1.list_namespaced_config_map(ns, label_selector="pg=1").items]
    assert all_now == want + ["page-zz-late"]


# ------------------------------------------------------------------ watch

def _writer(v1, ns, delay=0.7):
    def run():
        time.sleep(delay)
        v1.create_namespaced_config_map(ns, {"metadata": {"name": "w"}, "data": {"v": "1"}})
        v1.patch_namespaced_config_map("w", ns, {"data": {"v": "2"}})
        v1.delete_namespaced_config_map("w", ns)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_watch_stream_sees_added_modified_deleted(v1, ns):
    v1.create_namespaced_config_map(ns, {"metadata": {"name": "pre"}, "data": {"v": "0"}})
    writer = _writer(v1, ns)
    events = []
    w = watch.Watch()
    t0 = time.time()
    for ev in w.stream(v1.list_namespaced_config_map, ns, timeout_seconds=3):
        if ev["object"].metadata.name == "kube-root-ca.crt":
            continue
        events.append((ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("v"),
                       int(ev["object"].metadata.resource_version)))
    elapsed = time.time() - t0
    writer.join(5)
    assert [e[:3] for e in events] == [("ADDED", "pre", "0"), ("ADDED", "w", "1"),
                                       ("MODIFIED", "w", "2"), ("DELETED", "w", "2")], events
    rvs = [e[3] for e in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), events
    assert 2.5 <= elapsed < 6, f"timeout_seconds=3 stream lasted {elapsed:.1f}s"
    # the typed objects are real V1ConfigMaps
    assert w.resource_version == str(rvs[-1])


def test_watch_resume_from_resource_version(v1, ns):
    first = v1.create_namespaced_config_map(ns, {"metadata": {"name": "r0"}})
    rv = first.metadata.resource_version
    v1.create_namespaced_config_map(ns, {"metadata": {"name": "r1"}})
    v1.patch_namespaced_config_map("r0", ns, {"data": {"x": "y"}})
    v1.delete_namespaced_config_map("r1", ns)
    events = [(ev["type"], ev["object"].metadata.name)
              for ev in watch.Watch().stream(v1.list_namespaced_config_map, ns,
                                             resource_version=rv, timeout_seconds=2)
              if ev["object"].metadata.name != "kube-root-ca.crt"]
    # only what happened after rv, no synthetic ADDED for r0
    assert events == [("ADDED", "r1"), ("MODIFIED", "r0"), ("DELETED", "r1")], events


def test_watch_with_label_selector_and_deployments(apps, ns):
    apps.create_namespaced_deployment(ns, deployment_body("wd1"))

    def run():
        time.sleep(0.5)
        apps.create_namespaced_deployment(ns, deployment_body("wd2"))
        apps.patch_namespaced_deployment("wd1", ns, {"spec": {"replicas": 7}})

    t = threading.Thread(target=run, daemon=True)
    t.start()
    seen = []
    for ev in watch.Watch().stream(apps.list_namespaced_deployment, ns, label_selector="app=wd1",
                                   timeout_seconds=2):
        obj = ev["object"]
        assert isinstance(obj, client.V1Deployment)
        seen.append((ev["type"], obj.metadata.name, obj.spec.replicas))
    t.join(5)
    assert seen[0] == ("ADDED", "wd1", 2), seen
    assert ("MODIFIED", "wd1", 7) in seen, seen
    assert all(name == "wd1" for _, name, _ in seen), seen


def test_watch_all_namespaces_with_field_selector(v1, ns):
    def run():
        time.sleep(0.5)
        v1.create_namespaced_config_map(ns, {"metadata": {"name": "fw"}})
        v1.create_namespaced_config_map("default", {"metadata": {"name": f"fw-{ns}"}})
        v1.delete_namespaced_config_map(f"fw-{ns}", "default")

    t = threading.Thread(target=run, daemon=True)
    t.start()
    seen = [(ev["type"], ev["object"].metadata.namespace, ev["object"].metadata.name)
            for ev in watch.Watch().stream(v1.list_config_map_for_all_namespaces,
                                           field_selector=f"metadata.namespace={ns}", timeout_seconds=2)]
    t.join(5)
    assert ("ADDED", ns, "fw") in seen, seen
    assert all(n == ns for _, n, _ in seen), seen
