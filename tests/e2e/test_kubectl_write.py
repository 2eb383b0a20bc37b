"""Write-side kubectl commands against skiff: apply (client- and server-side), create generators
(protobuf bodies), label/annotate/patch/edit/scale/replace/delete, wait, diff and dry runs.
Every test asserts on kubectl's output and exit code and reads the object back."""
import base64
import json
import os
import re
import stat
import subprocess
import tempfile
import time

import yaml

from conftest import KUBECTL, wait_for

# The cluster CA ConfigMap every namespace holds (root-ca-cert-publisher), as in Kubernetes.
ROOT_CA = "configmap/kube-root-ca.crt"


def popen_kubectl(s, *args):
    out = tempfile.NamedTemporaryFile("w+", dir=s.cache_dir, suffix=".out", delete=False)
    err = tempfile.NamedTemporaryFile("w+", dir=s.cache_dir, suffix=".err", delete=False)
    proc = subprocess.Popen([KUBECTL, f"--cache-dir={s.cache_dir}", *args], stdout=out,
                            stderr=err, text=True, env=s.env())
    return proc, out, err


def read(f):
    f.flush()
    with open(f.name) as g:
        return g.read()


def finish(proc, timeout=20):
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("background kubectl did not finish")
    return proc.returncode


def make_ns(s, name):
    s.kubectl("create", "namespace", name)
    return name


def get(s, kind, name, ns):
    return s.kubectl_json("get", kind, name, "-n", ns, "--show-managed-fields")


def exists(s, kind, name, ns):
    res = s.kubectl("get", kind, name, "-n", ns, "-o", "name", check=False)
    if res.returncode == 0:
        return True
    assert "NotFound" in res.stderr, res.stderr
    return False


def app_manifest(ns, env=(("A", "1"), ("B", "2")), labels=None, replicas=2, image="nginx:1.27"):
    labels = labels if labels is not None else {"app": "web", "tier": "front"}
    return yaml.safe_dump_all([
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": ns, "labels": labels},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{
                                   "name": "nginx", "image": image,
                                   "env": [{"name": k, "value": v} for k, v in env]}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "web-config", "namespace": ns},
         "data": {"mode": "prod"}},
    ])


def write_file(s, text, suffix=".yaml"):
    fd, path = tempfile.mkstemp(dir=s.cache_dir, suffix=suffix)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------------------------------------
# apply


def test_apply_multi_document_then_remove_fields(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-apply")
    path = write_file(s, app_manifest(ns))
    res = s.kubectl("apply", "-f", path)
    assert res.stdout.splitlines() == ["deployment.apps/web created", "service/web created",
                                       "configmap/web-config created"]
    dep = get(s, "deploy", "web", ns)
    assert dep["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert dep["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    last = json.loads(dep["metadata"]["annotations"]
                      ["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 2 and last["metadata"]["name"] == "web"
    svc = get(s, "svc", "web", ns)
    assert svc["spec"]["ports"][0]["port"] == 80 and svc["spec"]["ports"][0]["protocol"] == "TCP"
    assert svc["spec"]["type"] == "ClusterIP"
    assert get(s, "cm", "web-config", ns)["data"] == {"mode": "prod"}

    again = s.kubectl("apply", "-f", path)
    assert again.stdout.splitlines() == ["deployment.apps/web unchanged", "service/web unchanged",
                                         "configmap/web-config unchanged"]
    rv = dep["metadata"]["resourceVersion"]
    assert get(s, "deploy", "web", ns)["metadata"]["resourceVersion"] == rv

    # Second manifest drops env B and label tier, changes the image.
    path2 = write_file(s, app_manifest(ns, env=(("A", "1"),), labels={"app": "web"},
                                       image="nginx:1.28"))
    res = s.kubectl("apply", "-f", path2)
    assert res.stdout.splitlines() == ["deployment.apps/web configured", "service/web unchanged",
                                       "configmap/web-config unchanged"]
    dep2 = get(s, "deploy", "web", ns)
    assert dep2["metadata"]["labels"] == {"app": "web"}
    c = dep2["spec"]["template"]["spec"]["containers"][0]
    assert c["env"] == [{"name": "A", "value": "1"}]
    assert c["image"] == "nginx:1.28"
    assert dep2["metadata"]["generation"] == dep["metadata"]["generation"] + 1
    # A field set by someone else (not in last-applied) survives a client-side apply.
    s.kubectl("annotate", "deploy", "web", "-n", ns, "owner=ops")
    s.kubectl("apply", "-f", path2)
    assert get(s, "deploy", "web", ns)["metadata"]["annotations"]["owner"] == "ops"


def test_apply_server_side_conflict_and_force(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-ssa")
    s.kubectl("apply", "-f", write_file(s, app_manifest(ns)))
    path = write_file(s, app_manifest(ns, replicas=4))
    res = s.kubectl("apply", "--server-side", "-f", path, check=False)
    assert res.returncode == 1
    assert "conflict" in res.stderr.lower()
    assert 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply"' in res.stderr
    assert ".spec.replicas" in res.stderr
    assert "--force-conflicts" in res.stderr
    assert get(s, "deploy", "web", ns)["spec"]["replicas"] == 2

    res = s.kubectl("apply", "--server-side", "--force-conflicts", "-f", path)
    assert "deployment.apps/web serverside-applied" in res.stdout.splitlines()
    dep = get(s, "deploy", "web", ns)
    assert dep["spec"]["replicas"] == 4
    managers = {m["manager"]: m for m in dep["metadata"]["managedFields"]}
    assert managers["kubectl"]["operation"] == "Apply"
    assert "f:replicas" in json.dumps(managers["kubectl"]["fieldsV1"])
    # The client-side-apply manager lost ownership of .spec.replicas.
    csa = managers.get("kubectl-client-side-apply")
    if csa:
        assert "f:replicas" not in json.dumps(csa["fieldsV1"])

    # A second SSA manager that wants the same field conflicts with "kubectl".
    other = s.kubectl("apply", "--server-side", "--field-manager=other", "-f",
                      write_file(s, app_manifest(ns, replicas=6)), check=False)
    assert other.returncode == 1 and 'conflict with "kubectl"' in other.stderr
    assert get(s, "deploy", "web", ns)["spec"]["replicas"] == 4


def test_apply_server_side_creates(bare_skiff):
    s = bare_skiff
    ns = make_ns(s, "e1w-ssa-create")
    res = s.kubectl("apply", "--server-side", "-f", write_file(s, app_manifest(ns)))
    assert res.stdout.splitlines() == ["deployment.apps/web serverside-applied",
                                       "service/web serverside-applied",
                                       "configmap/web-config serverside-applied"]
    dep = get(s, "deploy", "web", ns)
    assert dep["spec"]["replicas"] == 2
    assert "kubectl.kubernetes.io/last-applied-configuration" not in \
        dep["metadata"].get("annotations", {})
    assert [m["manager"] for m in dep["metadata"]["managedFields"]] == ["kubectl"]


# ---------------------------------------------------------------------------------------------
# create generators (protobuf request bodies)


def test_create_generators(shared_skiff):
    s = shared_skiff
    res = s.kubectl("create", "namespace", "e1w-gen")
    assert res.stdout.strip() == "namespace/e1w-gen created"
    ns = "e1w-gen"
    phase = s.kubectl("get", "ns", ns, "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Active"

    res = s.kubectl("create", "deployment", "gen", "--image=nginx:1.27", "--replicas=2",
                    "--port=80", "-n", ns)
    assert res.stdout.strip() == "deployment.apps/gen created"
    dep = get(s, "deploy", "gen", ns)
    assert dep["metadata"]["labels"] == {"app": "gen"}
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["selector"]["matchLabels"] == {"app": "gen"}
    c = dep["spec"]["template"]["spec"]["containers"]
    assert [(x["name"], x["image"]) for x in c] == [("nginx", "nginx:1.27")]
    assert c[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert dep["metadata"]["managedFields"][0]["manager"] == "kubectl-create"

    res = s.kubectl("create", "configmap", "gen-cm", "--from-literal=a=1", "--from-literal=b=two",
                    "-n", ns)
    assert res.stdout.strip() == "configmap/gen-cm created"
    assert get(s, "cm", "gen-cm", ns)["data"] == {"a": "1", "b": "two"}

    res = s.kubectl("create", "secret", "generic", "gen-sec", "--from-literal=user=admin",
                    "--from-literal=pass=s3cr3t", "-n", ns)
    assert res.stdout.strip() == "secret/gen-sec created"
    sec = get(s, "secret", "gen-sec", ns)
    assert sec["type"] == "Opaque"
    assert {k: base64.b64decode(v).decode() for k, v in sec["data"].items()} == {
        "user": "admin", "pass": "s3cr3t"}

    res = s.kubectl("create", "service", "clusterip", "gen-svc", "--tcp=80:8080", "-n", ns)
    assert res.stdout.strip() == "service/gen-svc created"
    svc = get(s, "svc", "gen-svc", ns)
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["selector"] == {"app": "gen-svc"}
    port = svc["spec"]["ports"][0]
    assert (port["port"], port["targetPort"], port["protocol"]) == (80, 8080, "TCP")
    assert port["name"] == "80-8080"

    res = s.kubectl("create", "job", "gen-job", "--image=busybox:1.36", "-n", ns, "--",
                    "echo", "hello")
    assert res.stdout.strip() == "job.batch/gen-job created"
    job = get(s, "job", "gen-job", ns)
    c = job["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["echo", "hello"] and c["image"] == "busybox:1.36"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 6 and job["spec"]["completions"] == 1

    dup = s.kubectl("create", "configmap", "gen-cm", "--from-literal=a=1", "-n", ns, check=False)
    assert dup.returncode == 1
    assert 'configmaps "gen-cm" already exists' in dup.stderr


def test_create_job_generates_selector(shared_skiff):
    """The Job registry (not a controller) gives every new Job a controller-uid selector and
    matching template labels unless manualSelector is set."""
    s = shared_skiff
    ns = make_ns(s, "e1w-job")
    s.kubectl("create", "job", "sel", "--image=busybox:1.36", "-n", ns, "--", "true")
    job = get(s, "job", "sel", ns)
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"]["matchLabels"] == {"batch.kubernetes.io/controller-uid": uid}
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/controller-uid"] == uid
    assert labels["batch.kubernetes.io/job-name"] == "sel"
    assert labels["job-name"] == "sel"


# ---------------------------------------------------------------------------------------------
# label, annotate, patch


def test_label_add_overwrite_remove(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-label")
    s.kubectl("create", "configmap", "lc", "-n", ns)
    res = s.kubectl("label", "cm", "lc", "-n", ns, "tier=front", "team=a")
    assert res.stdout.strip() == "configmap/lc labeled"
    assert get(s, "cm", "lc", ns)["metadata"]["labels"] == {"tier": "front", "team": "a"}

    res = s.kubectl("label", "cm", "lc", "-n", ns, "tier=back", check=False)
    assert res.returncode == 1
    assert "'tier' already has a value (front), and --overwrite is false" in res.stderr
    assert get(s, "cm", "lc", ns)["metadata"]["labels"]["tier"] == "front"

    s.kubectl("label", "cm", "lc", "-n", ns, "tier=back", "--overwrite")
    assert get(s, "cm", "lc", ns)["metadata"]["labels"]["tier"] == "back"

    res = s.kubectl("label", "cm", "lc", "-n", ns, "tier-")
    assert res.stdout.strip() == "configmap/lc unlabeled"
    assert get(s, "cm", "lc", ns)["metadata"]["labels"] == {"team": "a"}

    bad = s.kubectl("label", "cm", "lc", "-n", ns, "bad key=x", check=False)
    assert bad.returncode != 0

    # By selector: labels every match.
    s.kubectl("create", "configmap", "lc2", "-n", ns)
    s.kubectl("label", "cm", "lc2", "-n", ns, "team=a")
    res = s.kubectl("label", "cm", "-n", ns, "-l", "team=a", "batch=1")
    assert sorted(res.stdout.splitlines()) == ["configmap/lc labeled", "configmap/lc2 labeled"]
    assert s.kubectl("get", "cm", "-n", ns, "-l", "batch=1", "-o", "name").stdout.split() == [
        "configmap/lc", "configmap/lc2"]


def test_annotate(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-annotate")
    s.kubectl("create", "configmap", "ac", "-n", ns)
    res = s.kubectl("annotate", "cm", "ac", "-n", ns, "note=hello world", "ticket=42")
    assert res.stdout.strip() == "configmap/ac annotated"
    ann = get(s, "cm", "ac", ns)["metadata"]["annotations"]
    assert ann == {"note": "hello world", "ticket": "42"}
    res = s.kubectl("annotate", "cm", "ac", "-n", ns, "note=other", check=False)
    assert res.returncode == 1 and "--overwrite is false" in res.stderr
    s.kubectl("annotate", "cm", "ac", "-n", ns, "note=other", "--overwrite")
    s.kubectl("annotate", "cm", "ac", "-n", ns, "ticket-")
    assert get(s, "cm", "ac", ns)["metadata"]["annotations"] == {"note": "other"}


def test_patch_three_types(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-patch")
    s.kubectl("apply", "-f", write_file(s, app_manifest(ns)))

    # Strategic merge (default): containers merge by name, env by name.
    res = s.kubectl("patch", "deploy", "web", "-n", ns, "-p",
                    '{"spec":{"template":{"spec":{"containers":[{"name":"nginx",'
                    '"env":[{"name":"C","value":"3"}]},{"name":"side","image":"busybox:1.36"}]}}}}')
    assert res.stdout.strip() == "deployment.apps/web patched"
    cs = get(s, "deploy", "web", ns)["spec"]["template"]["spec"]["containers"]
    by = {c["name"]: c for c in cs}
    assert set(by) == {"nginx", "side"}
    assert by["nginx"]["image"] == "nginx:1.27"
    assert {e["name"]: e["value"] for e in by["nginx"]["env"]} == {"A": "1", "B": "2", "C": "3"}

    # Strategic $patch: delete removes one list item by key.
    s.kubectl("patch", "deploy", "web", "-n", ns, "-p",
              '{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}')
    cs = get(s, "deploy", "web", ns)["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["nginx"]

    # Merge patch: lists are replaced wholesale, null deletes keys.
    res = s.kubectl("patch", "cm", "web-config", "-n", ns, "--type=merge", "-p",
                    '{"data":{"mode":null,"level":"3"},"metadata":{"labels":{"m":"1"}}}')
    assert res.stdout.strip() == "configmap/web-config patched"
    cm = get(s, "cm", "web-config", ns)
    assert cm["data"] == {"level": "3"} and cm["metadata"]["labels"] == {"m": "1"}
    s.kubectl("patch", "deploy", "web", "-n", ns, "--type=merge", "-p",
              '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"redis:7"}]}}}}')
    cs = get(s, "deploy", "web", ns)["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in cs] == [("only", "redis:7")]
    assert "env" not in cs[0]

    # JSON patch.
    res = s.kubectl("patch", "deploy", "web", "-n", ns, "--type=json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/replicas", "value": 7},
        {"op": "add", "path": "/metadata/labels/patched", "value": "json"},
        {"op": "add", "path": "/spec/template/spec/containers/-",
         "value": {"name": "second", "image": "busybox:1.36"}},
    ]))
    assert res.stdout.strip() == "deployment.apps/web patched"
    dep = get(s, "deploy", "web", ns)
    assert dep["spec"]["replicas"] == 7 and dep["metadata"]["labels"]["patched"] == "json"
    assert [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["only", "second"]

    # A failing JSON-patch test op changes nothing.
    bad = s.kubectl("patch", "deploy", "web", "-n", ns, "--type=json", "-p", json.dumps([
        {"op": "replace", "path": "/spec/replicas", "value": 1},
        {"op": "test", "path": "/spec/replicas", "value": 99}]), check=False)
    assert bad.returncode == 1
    assert get(s, "deploy", "web", ns)["spec"]["replicas"] == 7

    # A patch that leaves nothing to change is reported as such.
    res = s.kubectl("patch", "deploy", "web", "-n", ns, "--type=merge", "-p",
                    '{"spec":{"replicas":7}}')
    assert res.stdout.strip() == "deployment.apps/web patched (no change)"

    # Invalid result is rejected with a field error.
    inv = s.kubectl("patch", "deploy", "web", "-n", ns, "--type=merge", "-p",
                    '{"spec":{"replicas":-1}}', check=False)
    assert inv.returncode == 1 and "Invalid" in inv.stderr and "spec.replicas" in inv.stderr


# ---------------------------------------------------------------------------------------------
# edit


def test_edit_with_scripted_editor(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-edit")
    s.kubectl("create", "deployment", "ed", "--image=nginx:1.27", "--replicas=1", "-n", ns)
    script = os.path.join(s.cache_dir, "editor.sh")
    with open(script, "w") as f:
        f.write('#!/bin/sh\nsed -i -e "s/replicas: 1/replicas: 3/" '
                '-e "s#image: nginx:1.27#image: nginx:1.29#" "$1"\n')
    os.chmod(script, os.stat(script).st_mode | stat.S_IXUSR)
    # TMPDIR: kubectl keeps its temp copies there, so they go away with the test's cache dir.
    res = s.kubectl("edit", "deploy", "ed", "-n", ns,
                    env_extra={"KUBE_EDITOR": script, "TMPDIR": s.cache_dir})
    assert res.stdout.strip() == "deployment.apps/ed edited"
    dep = get(s, "deploy", "ed", ns)
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.29"
    assert "kubectl-edit" in [m["manager"] for m in dep["metadata"]["managedFields"]]

    # The deployment controller writes status after the edit (sooner or later: on etcd it may still
    # be taking its lease); let it settle so only the cancelled edit could change resourceVersion.
    wait_for(lambda: get(s, "deploy", "ed", ns).get("status", {}).get("observedGeneration")
             == get(s, "deploy", "ed", ns)["metadata"]["generation"], timeout=30)
    rv = get(s, "deploy", "ed", ns)["metadata"]["resourceVersion"]
    for _ in range(30):
        time.sleep(1)
        settled = get(s, "deploy", "ed", ns)["metadata"]["resourceVersion"]
        if settled == rv:
            break
        rv = settled
    else:
        raise AssertionError("deployment ed kept changing for 30 s")
    res = s.kubectl("edit", "deploy", "ed", "-n", ns,
                    env_extra={"KUBE_EDITOR": "true", "TMPDIR": s.cache_dir})
    assert "Edit cancelled, no changes made." in res.stdout + res.stderr
    assert get(s, "deploy", "ed", ns)["metadata"]["resourceVersion"] == rv

    # An edit that makes the object invalid is refused and nothing changes.
    bad = os.path.join(s.cache_dir, "bad-editor.sh")
    with open(bad, "w") as f:
        f.write('#!/bin/sh\nsed -i -e "s/replicas: 3/replicas: -5/" "$1"\n')
    os.chmod(bad, 0o755)
    res = s.kubectl("edit", "deploy", "ed", "-n", ns, check=False,
                    env_extra={"KUBE_EDITOR": bad, "TMPDIR": s.cache_dir})
    assert res.returncode == 1
    assert 'deployments.apps "ed" is invalid' in res.stderr
    # kubectl keeps the rejected copy, annotated with the server's field errors.
    m = re.search(r'A copy of your changes has been stored to "([^"]+)"', res.stderr)
    assert m, res.stderr
    try:
        with open(m.group(1)) as f:
            copy = f.read()
    finally:
        os.unlink(m.group(1))
    assert "spec.replicas: Invalid value: -5" in copy, copy[:600]
    assert get(s, "deploy", "ed", ns)["spec"]["replicas"] == 3


# ---------------------------------------------------------------------------------------------
# scale, replace


def test_scale(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-scale")
    s.kubectl("create", "deployment", "sc", "--image=nginx:1.27", "--replicas=2", "-n", ns)
    res = s.kubectl("scale", "deploy", "sc", "--replicas=3", "-n", ns)
    assert res.stdout.strip() == "deployment.apps/sc scaled"
    assert get(s, "deploy", "sc", ns)["spec"]["replicas"] == 3

    res = s.kubectl("scale", "deploy", "sc", "--replicas=5", "--current-replicas=2", "-n", ns,
                    check=False)
    assert res.returncode == 1
    assert "Expected replicas to be 2, was 3" in res.stderr
    assert get(s, "deploy", "sc", ns)["spec"]["replicas"] == 3

    res = s.kubectl("scale", "deploy", "sc", "--replicas=5", "--current-replicas=3", "-n", ns)
    assert res.stdout.strip() == "deployment.apps/sc scaled"
    assert get(s, "deploy", "sc", ns)["spec"]["replicas"] == 5
    scale = json.loads(s.kubectl("get", "--raw",
                                 f"/apis/apps/v1/namespaces/{ns}/deployments/sc/scale").stdout)
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 5
    assert scale["status"]["selector"] == "app=sc"

    missing = s.kubectl("scale", "deploy", "nope", "--replicas=1", "-n", ns, check=False)
    assert missing.returncode == 1
    assert 'deployments.apps "nope" not found' in missing.stderr


def test_replace(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-replace")
    s.kubectl("create", "configmap", "rc", "--from-literal=a=1", "--from-literal=b=2", "-n", ns)
    live = get(s, "cm", "rc", ns)
    stale_rv = live["metadata"]["resourceVersion"]
    doc = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "rc", "namespace": ns, "labels": {"v": "2"}},
           "data": {"c": "3"}}
    res = s.kubectl("replace", "-f", write_file(s, yaml.safe_dump(doc)))
    assert res.stdout.strip() == "configmap/rc replaced"
    got = get(s, "cm", "rc", ns)
    assert got["data"] == {"c": "3"}  # replace is not a merge
    assert got["metadata"]["labels"] == {"v": "2"}
    assert got["metadata"]["uid"] == live["metadata"]["uid"]

    # A manifest carrying an old resourceVersion conflicts.
    doc["metadata"]["resourceVersion"] = stale_rv
    doc["data"] = {"d": "4"}
    res = s.kubectl("replace", "-f", write_file(s, yaml.safe_dump(doc)), check=False)
    assert res.returncode == 1
    assert "Conflict" in res.stderr and "the object has been modified" in res.stderr
    assert get(s, "cm", "rc", ns)["data"] == {"c": "3"}

    # replace of a missing object fails; --force recreates.
    doc2 = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost", "namespace": ns}}
    res = s.kubectl("replace", "-f", write_file(s, yaml.safe_dump(doc2)), check=False)
    assert res.returncode == 1 and "NotFound" in res.stderr


# ---------------------------------------------------------------------------------------------
# delete


def test_delete_plain(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-delete")
    s.kubectl("create", "configmap", "d1", "-n", ns)
    res = s.kubectl("delete", "cm", "d1", "-n", ns)
    assert res.stdout.strip() == 'configmap "d1" deleted'
    assert not exists(s, "cm", "d1", ns)
    res = s.kubectl("delete", "cm", "d1", "-n", ns, check=False)
    assert res.returncode == 1
    assert 'Error from server (NotFound): configmaps "d1" not found' in res.stderr
    assert s.kubectl("delete", "cm", "d1", "-n", ns, "--ignore-not-found").returncode == 0

    for n in ("s1", "s2", "keep"):
        s.kubectl("create", "configmap", n, "-n", ns)
    s.kubectl("label", "cm", "s1", "s2", "-n", ns, "sweep=yes")
    res = s.kubectl("delete", "cm", "-n", ns, "-l", "sweep=yes")
    assert sorted(res.stdout.splitlines()) == ['configmap "s1" deleted', 'configmap "s2" deleted']
    names = s.kubectl("get", "cm", "-n", ns, "-o", "name").stdout.split()
    assert [n for n in names if n != ROOT_CA] == ["configmap/keep"]

    # delete -f removes every object of a manifest.
    path = write_file(s, app_manifest(ns))
    s.kubectl("apply", "-f", path)
    res = s.kubectl("delete", "-f", path)
    assert res.stdout.splitlines() == ['deployment.apps "web" deleted', 'service "web" deleted',
                                       'configmap "web-config" deleted']
    assert not exists(s, "deploy", "web", ns)


def test_delete_with_finalizer(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-finalizer")
    doc = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "held", "namespace": ns, "finalizers": ["example.com/hold"]},
           "data": {"a": "1"}}
    s.kubectl("create", "-f", write_file(s, yaml.safe_dump(doc)))
    res = s.kubectl("delete", "cm", "held", "-n", ns, "--wait=false")
    assert res.stdout.strip() == 'configmap "held" deleted'
    obj = get(s, "cm", "held", ns)
    assert obj["metadata"]["deletionTimestamp"]
    assert obj["metadata"]["finalizers"] == ["example.com/hold"]
    # Still listed (the object exists until its finalizers are gone).
    assert "configmap/held" in s.kubectl("get", "cm", "-n", ns, "-o", "name").stdout.split()

    s.kubectl("patch", "cm", "held", "-n", ns, "--type=json",
              "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    wait_for(lambda: not exists(s, "cm", "held", ns), timeout=5, what="finalized object gone")


def test_delete_waits_for_finalizer(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-delwait")
    doc = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "held", "namespace": ns, "finalizers": ["example.com/hold"]}}
    s.kubectl("create", "-f", write_file(s, yaml.safe_dump(doc)))
    proc, out, err = popen_kubectl(s, "delete", "cm", "held", "-n", ns, "--wait=true",
                                   "--timeout=30s", "-v=6")
    try:
        # kubectl issues the DELETE, then waits (watch) while the finalizer holds the object.
        wait_for(lambda: "watch=true" in read(err), what="delete waiting on a watch")
        assert proc.poll() is None, read(out) + read(err)
        assert get(s, "cm", "held", ns)["metadata"]["deletionTimestamp"]
        s.kubectl("patch", "cm", "held", "-n", ns, "--type=merge",
                  "-p", '{"metadata":{"finalizers":null}}')
        rc = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0, read(err)
    assert read(out).strip() == 'configmap "held" deleted'
    assert not exists(s, "cm", "held", ns)


# ---------------------------------------------------------------------------------------------
# wait


def test_wait_for_jsonpath_label(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-wait")
    s.kubectl("create", "configmap", "w", "-n", ns)
    proc, out, err = popen_kubectl(s, "wait", "cm/w", "-n", ns,
                                   "--for=jsonpath={.metadata.labels.x}=y", "--timeout=30s",
                                   "-v=6")
    try:
        wait_for(lambda: "watch=true" in read(err), what="wait watching")
        assert proc.poll() is None
        s.kubectl("label", "cm", "w", "-n", ns, "x=n")  # not the awaited value
        time.sleep(0.3)
        assert proc.poll() is None, read(out) + read(err)
        s.kubectl("label", "cm", "w", "-n", ns, "x=y", "--overwrite")
        rc = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0, read(err)
    assert read(out).strip() == "configmap/w condition met"

    # Already satisfied: returns at once. Never satisfied: times out with rc 1.
    res = s.kubectl("wait", "cm/w", "-n", ns, "--for=jsonpath={.metadata.labels.x}=y",
                    "--timeout=5s")
    assert res.stdout.strip() == "configmap/w condition met"
    res = s.kubectl("wait", "cm/w", "-n", ns, "--for=jsonpath={.metadata.labels.x}=z",
                    "--timeout=1s", check=False)
    assert res.returncode == 1
    assert "timed out waiting for the condition on configmaps/w" in res.stderr
    res = s.kubectl("wait", "cm/absent", "-n", ns, "--for=jsonpath={.x}=y", "--timeout=1s",
                    check=False)
    assert res.returncode == 1 and "NotFound" in res.stderr


def test_wait_for_delete(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-waitdel")
    s.kubectl("create", "configmap", "gone", "-n", ns)
    proc, out, err = popen_kubectl(s, "wait", "cm/gone", "-n", ns, "--for=delete",
                                   "--timeout=30s", "-v=6")
    try:
        wait_for(lambda: "watch=true" in read(err), what="wait watching")
        assert proc.poll() is None
        s.kubectl("delete", "cm", "gone", "-n", ns)
        rc = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0, read(err)
    assert read(out).strip() == "configmap/gone condition met"
    # Waiting for deletion of something already absent succeeds at once.
    res = s.kubectl("wait", "cm/gone", "-n", ns, "--for=delete", "--timeout=5s")
    assert res.returncode == 0
    # And times out while the object stays.
    s.kubectl("create", "configmap", "stays", "-n", ns)
    res = s.kubectl("wait", "cm/stays", "-n", ns, "--for=delete", "--timeout=1s", check=False)
    assert res.returncode == 1 and "timed out" in res.stderr


# ---------------------------------------------------------------------------------------------
# diff, dry runs


def test_diff(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-diff")
    path = write_file(s, app_manifest(ns))
    s.kubectl("apply", "-f", path)
    same = s.kubectl("diff", "-f", path, check=False)
    assert same.returncode == 0, same.stderr
    assert same.stdout == ""

    changed = write_file(s, app_manifest(ns, replicas=5, image="nginx:1.29"))
    res = s.kubectl("diff", "-f", changed, check=False)
    assert res.returncode == 1, res.stderr
    lines = res.stdout.splitlines()
    assert any(line.startswith("-  replicas: 2") for line in lines), res.stdout
    assert any(line.startswith("+  replicas: 5") for line in lines), res.stdout
    assert any(line.startswith("-") and "image: nginx:1.27" in line for line in lines)
    assert any(line.startswith("+") and "image: nginx:1.29" in line for line in lines)
    assert "apps.v1.Deployment." in res.stdout
    # diff is a dry run: nothing changed on the server.
    dep = get(s, "deploy", "web", ns)
    assert dep["spec"]["replicas"] == 2
    # A new object shows up as all additions.
    new = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "brand-new",
                                                                 "namespace": ns},
           "data": {"z": "1"}}
    res = s.kubectl("diff", "-f", write_file(s, yaml.safe_dump(new)), check=False)
    assert res.returncode == 1 and "+  name: brand-new" in res.stdout
    assert not exists(s, "cm", "brand-new", ns)


def test_dry_run_server(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-dryrun")
    res = s.kubectl("create", "configmap", "dry", "--from-literal=a=1", "-n", ns,
                    "--dry-run=server", "-o", "json")
    obj = json.loads(res.stdout)
    assert obj["metadata"]["name"] == "dry" and obj["data"] == {"a": "1"}
    assert obj["metadata"]["uid"] and obj["metadata"]["creationTimestamp"]  # server-filled
    assert not exists(s, "cm", "dry", ns)

    res = s.kubectl("create", "deployment", "dryd", "--image=nginx:1.27", "-n", ns,
                    "--dry-run=server")
    assert res.stdout.strip() == "deployment.apps/dryd created (server dry run)"
    assert not exists(s, "deploy", "dryd", ns)

    path = write_file(s, app_manifest(ns))
    res = s.kubectl("apply", "-f", path, "--dry-run=server")
    assert res.stdout.splitlines() == ["deployment.apps/web created (server dry run)",
                                       "service/web created (server dry run)",
                                       "configmap/web-config created (server dry run)"]
    assert [n for n in s.kubectl("get", "all,cm", "-n", ns, "-o", "name").stdout.split() if n != ROOT_CA] == []

    res = s.kubectl("apply", "--server-side", "-f", path, "--dry-run=server")
    assert "deployment.apps/web serverside-applied (server dry run)" in res.stdout
    assert not exists(s, "deploy", "web", ns)

    # Dry-run updates leave the stored object alone; dry-run validation still rejects.
    s.kubectl("apply", "-f", path)
    rv = get(s, "deploy", "web", ns)["metadata"]["resourceVersion"]
    res = s.kubectl("apply", "-f", write_file(s, app_manifest(ns, replicas=9)),
                    "--dry-run=server")
    assert "deployment.apps/web configured (server dry run)" in res.stdout
    dep = get(s, "deploy", "web", ns)
    assert dep["spec"]["replicas"] == 2 and dep["metadata"]["resourceVersion"] == rv
    res = s.kubectl("delete", "deploy", "web", "-n", ns, "--dry-run=server")
    assert res.stdout.strip() == 'deployment.apps "web" deleted (server dry run)'
    assert exists(s, "deploy", "web", ns)
    bad = s.kubectl("apply", "-f", write_file(s, app_manifest(ns, replicas=-3)),
                    "--dry-run=server", check=False)
    assert bad.returncode == 1 and "spec.replicas" in bad.stderr


# ---------------------------------------------------------------------------------------------
# validation seen through create -f / apply


def test_unknown_field_rejected_strict(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-strict")
    doc = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "typo", "namespace": ns}, "dta": {"a": "1"}}
    path = write_file(s, yaml.safe_dump(doc))
    res = s.kubectl("create", "-f", path, check=False)
    assert res.returncode == 1
    assert 'unknown field "dta"' in res.stderr
    assert not exists(s, "cm", "typo", ns)
    res = s.kubectl("create", "-f", path, "--validate=warn")
    assert 'unknown field "dta"' in res.stderr
    assert exists(s, "cm", "typo", ns)


# ---------------------------------------------------------------------------------------------
# more apply / create semantics


def test_apply_server_side_drops_fields_the_manager_no_longer_applies(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-ssa-drop")
    s.kubectl("apply", "--server-side", "-f", write_file(s, app_manifest(ns)))
    s.kubectl("apply", "--server-side", "-f",
              write_file(s, app_manifest(ns, env=(("A", "1"),), labels={"app": "web"})))
    dep = get(s, "deploy", "web", ns)
    assert dep["metadata"]["labels"] == {"app": "web"}
    assert dep["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]
    # A label owned by another manager survives this manager's applies.
    s.kubectl("label", "deploy", "web", "-n", ns, "keep=me")
    s.kubectl("apply", "--server-side", "-f",
              write_file(s, app_manifest(ns, env=(("A", "1"),), labels={"app": "web"})))
    assert get(s, "deploy", "web", ns)["metadata"]["labels"] == {"app": "web", "keep": "me"}


def test_apply_switches_strategy_type_with_retain_keys(shared_skiff):
    """Client-side apply sends `$retainKeys` for spec.strategy: switching RollingUpdate ->
    Recreate must drop the defaulted rollingUpdate block (else validation forbids it)."""
    s = shared_skiff
    ns = make_ns(s, "e1w-retain")
    s.kubectl("apply", "-f", write_file(s, app_manifest(ns)))
    assert get(s, "deploy", "web", ns)["spec"]["strategy"]["rollingUpdate"] == {
        "maxSurge": "25%", "maxUnavailable": "25%"}
    docs = list(yaml.safe_load_all(app_manifest(ns)))
    docs[0]["spec"]["strategy"] = {"type": "Recreate"}
    res = s.kubectl("apply", "-f", write_file(s, yaml.safe_dump_all(docs)))
    assert "deployment.apps/web configured" in res.stdout.splitlines()
    assert get(s, "deploy", "web", ns)["spec"]["strategy"] == {"type": "Recreate"}


def test_apply_adopts_object_created_imperatively(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-adopt")
    s.kubectl("create", "configmap", "web-config", "--from-literal=mode=dev", "-n", ns)
    doc = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "web-config", "namespace": ns}, "data": {"mode": "prod"}}
    res = s.kubectl("apply", "-f", write_file(s, yaml.safe_dump(doc)))
    assert res.stdout.strip() == "configmap/web-config configured"
    assert "missing the kubectl.kubernetes.io/last-applied-configuration annotation" in res.stderr
    cm = get(s, "cm", "web-config", ns)
    assert cm["data"] == {"mode": "prod"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in cm["metadata"]["annotations"]


def test_apply_invalid_object_shows_field_error(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-invalid")
    docs = list(yaml.safe_load_all(app_manifest(ns, replicas=-1)))
    res = s.kubectl("apply", "-f", write_file(s, yaml.safe_dump(docs[0])), check=False)
    assert res.returncode == 1
    assert ('The Deployment "web" is invalid: spec.replicas: Invalid value: -1: '
            'must be greater than or equal to 0') in res.stderr
    assert not exists(s, "deploy", "web", ns)


def test_create_from_file_generate_name_and_literals(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-createf")
    doc = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"generateName": "auto-", "namespace": ns}, "data": {"a": "1"}}
    res = s.kubectl("create", "-f", write_file(s, yaml.safe_dump(doc)))
    out = res.stdout.strip()
    assert out.startswith("configmap/auto-") and out.endswith(" created"), out
    name = out.split()[0].split("/")[1]
    assert len(name) == len("auto-") + 5
    assert get(s, "cm", name, ns)["metadata"]["generateName"] == "auto-"

    env = write_file(s, "X=1\nY=two\n", suffix=".env")
    s.kubectl("create", "configmap", "fromenv", f"--from-env-file={env}", "-n", ns)
    assert get(s, "cm", "fromenv", ns)["data"] == {"X": "1", "Y": "two"}
    s.kubectl("create", "secret", "generic", "fromfile", f"--from-file=cfg={env}", "-n", ns)
    data = get(s, "secret", "fromfile", ns)["data"]
    assert base64.b64decode(data["cfg"]).decode() == "X=1\nY=two\n"


def test_create_and_apply_kind_list_manifest(shared_skiff):
    """`kubectl get -o yaml` of several objects produces `kind: List`; feeding that back to
    create/apply must work with validation on (kubectl validates v1 List items client-side
    from the OpenAPI v2 document)."""
    s = shared_skiff
    ns = make_ns(s, "e1w-list")
    lst = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "l1", "namespace": ns},
         "data": {"a": "1"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "l2", "namespace": ns}}]}
    path = write_file(s, yaml.safe_dump(lst))
    res = s.kubectl("create", "-f", path, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["configmap/l1 created", "configmap/l2 created"]
    # Round trip: get -o yaml (a List) -> edit -> apply.
    exported = yaml.safe_load(s.kubectl("get", "cm", "l1", "l2", "-n", ns, "-o", "yaml").stdout)
    assert exported["kind"] == "List"
    for item in exported["items"]:
        item["data"] = {"b": "2"}
    res = s.kubectl("apply", "-f", write_file(s, yaml.safe_dump(exported)), check=False)
    assert res.returncode == 0, res.stderr
    # Created without --save-config, so there is no last-applied state: apply adds "b" and,
    # having no record that "a" was ever applied, keeps it (as against a real cluster).
    assert "missing the kubectl.kubernetes.io/last-applied-configuration annotation" in res.stderr
    assert get(s, "cm", "l1", ns)["data"] == {"a": "1", "b": "2"}


def test_status_is_only_written_through_the_status_subresource(bare_skiff):
    s = bare_skiff
    ns = make_ns(s, "e1w-status")
    s.kubectl("create", "deployment", "st", "--image=nginx:1.27", "--replicas=2", "-n", ns)
    res = s.kubectl("patch", "deploy", "st", "-n", ns, "--type=merge",
                    "-p", '{"status":{"replicas":5,"readyReplicas":5}}')
    assert res.stdout.strip() == "deployment.apps/st patched (no change)"
    assert get(s, "deploy", "st", ns).get("status", {}).get("readyReplicas") is None
    res = s.kubectl("patch", "deploy", "st", "-n", ns, "--subresource=status", "--type=merge",
                    "-p", '{"status":{"replicas":2,"readyReplicas":1},"spec":{"replicas":9}}')
    assert res.stdout.strip() == "deployment.apps/st patched"
    dep = get(s, "deploy", "st", ns)
    assert dep["status"]["readyReplicas"] == 1 and dep["spec"]["replicas"] == 2
    row = s.kubectl("get", "deploy", "st", "-n", ns, "--no-headers").stdout.split()
    assert row[:2] == ["st", "1/2"]


def test_label_with_stale_resource_version_conflicts(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-labelrv")
    s.kubectl("create", "configmap", "c", "-n", ns)
    rv = get(s, "cm", "c", ns)["metadata"]["resourceVersion"]
    s.kubectl("label", "cm", "c", "-n", ns, "first=1", f"--resource-version={rv}")
    res = s.kubectl("label", "cm", "c", "-n", ns, "second=1", f"--resource-version={rv}",
                    check=False)
    assert res.returncode == 1
    assert ('Error from server (Conflict): Operation cannot be fulfilled on configmaps "c": '
            'the object has been modified') in res.stderr
    assert get(s, "cm", "c", ns)["metadata"]["labels"] == {"first": "1"}


def test_set_expose_run_and_last_applied(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-set")
    s.kubectl("apply", "-f", write_file(s, app_manifest(ns)))
    res = s.kubectl("set", "image", "deploy/web", "nginx=nginx:1.30", "-n", ns)
    assert res.stdout.strip() == "deployment.apps/web image updated"
    res = s.kubectl("set", "env", "deploy/web", "FOO=bar", "A-", "-n", ns)
    assert res.stdout.strip() == "deployment.apps/web env updated"
    res = s.kubectl("set", "resources", "deploy/web", "--limits=cpu=200m,memory=512Mi", "-n", ns)
    assert res.stdout.strip() == "deployment.apps/web resource requirements updated"
    c = get(s, "deploy", "web", ns)["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "nginx:1.30"
    assert c["env"] == [{"name": "B", "value": "2"}, {"name": "FOO", "value": "bar"}]
    assert c["resources"] == {"limits": {"cpu": "200m", "memory": "512Mi"}}

    # The last-applied configuration is still the manifest, not the imperative changes.
    last = yaml.safe_load(s.kubectl("apply", "view-last-applied", "deploy/web", "-n", ns).stdout)
    assert last["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"

    res = s.kubectl("expose", "deploy", "web", "--port=81", "--target-port=8081", "--name=web2",
                    "-n", ns)
    assert res.stdout.strip() == "service/web2 exposed"
    svc = get(s, "svc", "web2", ns)["spec"]
    assert svc["selector"] == {"app": "web"} and svc["type"] == "ClusterIP"
    assert svc["sessionAffinity"] == "None"
    assert svc["ports"] == [{"port": 81, "protocol": "TCP", "targetPort": 8081}]

    res = s.kubectl("run", "once", "--image=busybox:1.36", "--restart=Never", "--labels=a=b",
                    "-n", ns, "--", "sleep", "1")
    assert res.stdout.strip() == "pod/once created"
    pod = get(s, "pod", "once", ns)
    assert pod["metadata"]["labels"] == {"a": "b"}
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["containers"][0]["args"] == ["sleep", "1"]
    assert pod["status"]["phase"] == "Pending"

    s.kubectl("create", "configmap", "saved", "--from-literal=a=1", "--save-config", "-n", ns)
    ann = get(s, "cm", "saved", ns)["metadata"]["annotations"]
    assert json.loads(ann["kubectl.kubernetes.io/last-applied-configuration"])["data"] == {"a": "1"}


def test_diff_server_side(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-diff-ssa")
    s.kubectl("apply", "--server-side", "-f", write_file(s, app_manifest(ns)))
    path = write_file(s, app_manifest(ns, env=(("A", "1"), ("B", "2"), ("C", "3"))))
    res = s.kubectl("diff", "--server-side", "-f", path, check=False)
    assert res.returncode == 1, res.stderr
    assert "+        - name: C" in res.stdout, res.stdout
    names = [e["name"] for e in
             get(s, "deploy", "web", ns)["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert names == ["A", "B"]
    same = s.kubectl("diff", "--server-side", "-f", write_file(s, app_manifest(ns)), check=False)
    assert same.returncode == 0 and same.stdout == "", same.stdout + same.stderr


def test_delete_pods_graceful_unscheduled_and_forced(shared_skiff):
    s = shared_skiff
    ns = make_ns(s, "e1w-delpod")
    # An unscheduled pod has nothing to stop: it goes at once.
    s.kubectl("run", "idle", "--image=busybox:1.36", "-n", ns)
    res = s.kubectl("delete", "pod", "idle", "-n", ns, timeout=20)
    assert res.stdout.strip() == 'pod "idle" deleted'
    assert not exists(s, "pod", "idle", ns)
    # A pod bound to a node is deleted gracefully: deletionTimestamp + grace period set.
    s.kubectl("run", "bound", "--image=busybox:1.36", "-n", ns,
              '--overrides={"spec":{"nodeName":"node-x"}}')
    res = s.kubectl("delete", "pod", "bound", "-n", ns, "--wait=false")
    assert res.stdout.strip() == 'pod "bound" deleted'
    pod = get(s, "pod", "bound", ns)
    assert pod["metadata"]["deletionTimestamp"]
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    res = s.kubectl("delete", "pod", "bound", "-n", ns, "--grace-period=0", "--force")
    assert res.stdout.strip() == 'pod "bound" force deleted'
    assert "Immediate deletion does not wait" in res.stderr
    assert not exists(s, "pod", "bound", ns)
