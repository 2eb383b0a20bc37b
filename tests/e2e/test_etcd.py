"""skiff server on etcd: kubectl works, etcd holds kube-apiserver's key layout, kill -9 of the server
during writes loses no acknowledged write, --import-from moves a SQLite cluster's objects, and a
data dir written in skiff's first key layout opens unchanged. Each test runs its own etcd."""
import json
import os
import sqlite3
import threading
import time

import pytest

import etcd_util
from conftest import Skiff, api_request, wait_for
from test_durability import WRITERS, Writer, read_all

# CI installs etcd: there a missing etcd fails the tests instead of skipping them.
pytestmark = pytest.mark.skipif(not os.path.exists(etcd_util.ETCD) and "CI" not in os.environ,
                                reason="etcd is not installed (scripts/install-deps.sh installs etcd-server)")


@pytest.fixture
def etcd():
    e = etcd_util.Etcd().start()
    yield e
    e.cleanup()


def keys(etcd, prefix="/registry"):
    return [k for k in etcd.etcdctl("get", "--prefix", prefix, "--keys-only").split("\n") if k]


def test_server_on_etcd_serves_kubectl_in_the_kubernetes_layout(etcd):
    s = Skiff(extra_args=["--etcd-servers", etcd.url]).start()
    try:
        s.kubectl("create", "namespace", "shop")
        s.kubectl("create", "configmap", "settings", "-n", "shop", "--from-literal=a=b")
        s.kubectl("create", "deployment", "web", "-n", "shop", "--image=nginx")
        wait_for(lambda: s.kubectl_json("get", "replicasets", "-n", "shop")["items"], what="replicaset")
        assert s.kubectl("get", "configmap", "settings", "-n", "shop", "-o", "jsonpath={.data.a}").stdout == "b"
        stored = keys(etcd)
        for key in ["/registry/namespaces/shop", "/registry/configmaps/shop/settings",
                    "/registry/deployments/shop/web", "/registry/services/specs/default/kubernetes",
                    "/registry/clusterroles/cluster-admin", "/registry/leases/kube-system/kube-controller-manager"]:
            assert key in stored, (key, stored[:50])
        assert any(k.startswith("/registry/replicasets/shop/web-") for k in stored)
        assert not [k for k in stored if k.startswith(("/registry/core/", "/registry/apps/"))]
        # resourceVersion is etcd's mod_revision (less the one revision of etcd's empty keyspace)
        cm = s.kubectl_json("get", "configmap", "settings", "-n", "shop")
        raw = etcd.etcdctl("get", "/registry/configmaps/shop/settings", "-w", "json")
        assert int(cm["metadata"]["resourceVersion"]) == int(json.loads(raw)["kvs"][0]["mod_revision"]) - 1
    finally:
        s.cleanup()


def test_etcd_prefix_moves_every_key(etcd):
    s = Skiff(extra_args=["--etcd-servers", etcd.url, "--etcd-prefix", "/tenant-a"]).start()
    try:
        s.kubectl("create", "configmap", "c1", "--from-literal=a=b")
        assert "/tenant-a/configmaps/default/c1" in keys(etcd, "/tenant-a")
        assert keys(etcd, "/registry") == []
    finally:
        s.cleanup()


def test_kill9_of_the_server_during_writes_loses_no_acknowledged_write(etcd):
    s = Skiff(extra_args=["--etcd-servers", etcd.url]).start()
    s2 = None
    try:
        ns = "durable"
        code, _, body = api_request(s, "POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
        assert code == 201, body
        stop = threading.Event()
        writers = [Writer(s, ns, i, stop) for i in range(WRITERS)]
        for w in writers:
            w.start()
        time.sleep(2.5)
        s.kill9()
        stop.set()
        for w in writers:
            w.join(15)
            assert w.error is None, w.error
        total = sum(w.acks for w in writers)
        assert total > 100, f"only {total} acknowledged writes in 2.5 s"
        s2 = Skiff(data_dir=s.data_dir, extra_args=["--etcd-servers", etcd.url]).start()
        stored = read_all(s2, ns)
        problems = []
        for w in writers:
            for key, (state, n) in w.acked.items():
                allowed = {(state, n)}
                if key in w.in_flight:
                    allowed.add(w.in_flight[key])
                got = ("present", stored[key]) if key in stored else ("absent", None)
                if got not in allowed:
                    problems.append(f"{key}: stored {got}, acknowledged {(state, n)}")
        assert not problems, f"{len(problems)} lost writes of {total}:\n" + "\n".join(problems[:20])
    finally:
        if s2:
            s2.stop()
        s.cleanup()


def test_import_from_moves_a_sqlite_clusters_objects(etcd):
    s = Skiff(store="sqlite").start()
    try:
        s.kubectl("create", "namespace", "moving")
        for i in range(30):
            s.kubectl("create", "configmap", f"cm{i}", "-n", "moving", f"--from-literal=n={i}")
        s.kubectl("create", "secret", "generic", "token", "-n", "moving", "--from-literal=k=v")
        s.stop()
        on_etcd = Skiff(data_dir=s.data_dir,
                        extra_args=["--etcd-servers", etcd.url, "--import-from", s.data_dir]).start()
        try:
            names = on_etcd.kubectl("get", "configmaps", "-n", "moving", "-o", "name").stdout.split()
            assert {f"configmap/cm{i}" for i in range(30)} <= set(names)
            assert on_etcd.kubectl("get", "secret", "token", "-n", "moving",
                                   "-o", "jsonpath={.data.k}").stdout == "dg=="
            assert "/registry/configmaps/moving/cm7" in keys(etcd)
            on_etcd.kubectl("create", "configmap", "after-import", "-n", "moving")
        finally:
            on_etcd.stop()
        # A second import would overwrite a live cluster: refused, with a message saying why.
        again = Skiff(data_dir=s.data_dir, extra_args=["--etcd-servers", etcd.url, "--import-from", s.data_dir])
        with pytest.raises(RuntimeError, match="only fills an empty one"):
            again.start()
        again.stop()
        assert "/registry/configmaps/moving/after-import" in keys(etcd)
    finally:
        s.cleanup()


def to_first_layout(key):
    """The key skiff's first layout gave an object ("/registry/<group or core>/<plural>/...")."""
    parts = key.split("/")  # "", "registry", path...
    groups = {"deployments": "apps", "replicasets": "apps", "daemonsets": "apps", "statefulsets": "apps",
              "controllerrevisions": "apps", "clusterroles": "rbac.authorization.k8s.io",
              "clusterrolebindings": "rbac.authorization.k8s.io", "roles": "rbac.authorization.k8s.io",
              "rolebindings": "rbac.authorization.k8s.io", "leases": "coordination.k8s.io",
              "priorityclasses": "scheduling.k8s.io", "endpointslices": "discovery.k8s.io",
              "storageclasses": "storage.k8s.io", "certificatesigningrequests": "certificates.k8s.io",
              "poddisruptionbudgets": "policy", "jobs": "batch", "cronjobs": "batch"}
    renamed = {"minions": "nodes", "controllers": "replicationcontrollers"}
    if parts[2] == "services":
        return "/".join(["", "registry", "core", "services" if parts[3] == "specs" else "endpoints", *parts[4:]])
    if "." in parts[2]:
        return key
    plural = renamed.get(parts[2], parts[2])
    return "/".join(["", "registry", groups.get(plural, "core"), plural, *parts[3:]])


def test_a_data_dir_in_the_first_key_layout_opens_with_its_objects():
    s = Skiff(extra_args=["--disable-controllers"], store="sqlite").start()
    try:
        s.kubectl("create", "namespace", "legacy")
        s.kubectl("create", "configmap", "kept", "-n", "legacy", "--from-literal=a=b")
        s.kubectl("create", "deployment", "web", "-n", "legacy", "--image=nginx")
        s.stop()
        with sqlite3.connect(f"{s.data_dir}/state.db") as db:  # rewrite as the old server stored it
            rows = db.execute("SELECT revision, key FROM kv").fetchall()
            for revision, key in rows:
                db.execute("UPDATE kv SET key = ? WHERE revision = ?",
                           (to_first_layout(bytes(key).decode()).encode(), revision))
            assert db.execute("SELECT COUNT(*) FROM kv WHERE CAST(key AS TEXT) LIKE '/registry/core/%'").fetchone()[0] > 0
        s.start()
        assert s.kubectl("get", "configmap", "kept", "-n", "legacy", "-o", "jsonpath={.data.a}").stdout == "b"
        assert s.kubectl_json("get", "deployment", "web", "-n", "legacy")["spec"]["replicas"] == 1
        assert "kubernetes" in s.kubectl("get", "services", "-n", "default", "-o", "name").stdout
        s.stop()
        with sqlite3.connect(f"{s.data_dir}/state.db") as db:
            live = db.execute("SELECT key FROM kv k WHERE deleted = 0 AND revision = "
                              "(SELECT MAX(revision) FROM kv WHERE key = k.key)").fetchall()
        assert not [k for (k,) in live if bytes(k).decode().startswith(("/registry/core/", "/registry/apps/"))]
    finally:
        s.cleanup()
