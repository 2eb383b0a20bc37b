"""Read-side kubectl commands against skiff, asserting on what a user sees: version, discovery
(api-resources, api-versions), explain, every `kubectl get` output form, selectors, pagination,
watches and raw paths."""
import json
import os
import re
import subprocess
import time

import pytest
import yaml

from conftest import KUBECTL, stop_process, wait_for

NS = "e1-read"
NS2 = "e1-read-other"
# Every namespace also holds the cluster CA ConfigMap (root-ca-cert-publisher), as in Kubernetes.
ROOT_CA = "kube-root-ca.crt"


def without_root_ca(items):
    """Drops the root CA ConfigMap from names ("x", "configmap/x", "x=..."), rows or watch rows."""
    def name(item):
        text = item if isinstance(item, str) else item[1] if item[0] in ("ADDED", "MODIFIED", "DELETED") else item[0]
        return text.split("/")[-1].split("=")[0]
    return [i for i in items if name(i) != ROOT_CA]


def rows(text):
    """Table output -> list of rows (each a list of whitespace-separated cells), header included."""
    return [line.split() for line in text.splitlines() if line.strip()]


def names_in_table(text):
    """First column of every non-header row of a single table."""
    r = rows(text)
    assert r, f"empty table output: {text!r}"
    return [row[0] for row in r[1:]]


def popen_kubectl(s, *args):
    """Starts kubectl in the background; stdout/stderr go to files so nothing blocks."""
    out = open(os.path.join(s.cache_dir, f"bg-{time.time_ns()}.out"), "w+")
    err = open(os.path.join(s.cache_dir, f"bg-{time.time_ns()}.err"), "w+")
    proc = subprocess.Popen([KUBECTL, f"--cache-dir={s.cache_dir}", *args], stdout=out,
                            stderr=err, text=True, env=s.env())
    return proc, out, err


def read(f):
    f.flush()
    with open(f.name) as g:
        return g.read()


@pytest.fixture(scope="module")
def seeded(shared_skiff):
    """Objects every read test uses (never modified by the tests that share them)."""
    s = shared_skiff
    manifest = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: {NS2}}}
"""
    s.kubectl("apply", "-f", "-", input=manifest)
    # ConfigMaps: created in non-alphabetical order; .data.rank sorts differently from the name.
    cms = [("cm-c", "fe", "2"), ("cm-a", "be", "3"), ("cm-e", None, "5"), ("cm-b", "db", "1"),
           ("cm-d", None, "4")]
    docs = []
    for name, tier, rank in cms:
        labels = {"app": "shop"}
        if tier:
            labels["tier"] = tier
        docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": name, "namespace": NS, "labels": labels},
                     "data": {"rank": rank, "other": "x"}})
    docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "far-away", "namespace": NS2, "labels": {"app": "shop"}},
                 "data": {"rank": "9"}})
    s.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
    # Deployments whose replica counts sort opposite to their names.
    for name, image, replicas in (("alpha", "nginx:1.27", 5), ("omega", "busybox:1.36", 1)):
        s.kubectl("create", "deployment", name, f"--image={image}", f"--replicas={replicas}",
                  "-n", NS)
    s.kubectl("create", "service", "clusterip", "front", "--tcp=80:8080", "-n", NS)
    return s


# ---------------------------------------------------------------------------------------------
# version, discovery, explain


def test_version_text_and_json(shared_skiff):
    res = shared_skiff.kubectl("version")
    assert re.search(r"^Server Version: v1\.32\.\d+", res.stdout, re.M), res.stdout
    out = json.loads(shared_skiff.kubectl("version", "-o", "json").stdout)
    sv = out["serverVersion"]
    assert (sv["major"], sv["minor"]) == ("1", "32")
    assert sv["gitVersion"].startswith("v1.32.")
    assert sv["platform"] and sv["goVersion"] and sv["compiler"]
    y = yaml.safe_load(shared_skiff.kubectl("version", "-o", "yaml").stdout)
    assert y["serverVersion"]["minor"] == "32"


def test_api_resources_table(shared_skiff):
    out = shared_skiff.kubectl("api-resources").stdout
    r = rows(out)
    assert r[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    by_name = {}
    for row in r[1:]:  # the first row per name: core before metrics.k8s.io's pods/nodes
        by_name.setdefault(row[0], row)
    assert by_name["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert by_name["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert by_name["namespaces"] == ["namespaces", "ns", "v1", "false", "Namespace"]
    assert by_name["configmaps"] == ["configmaps", "cm", "v1", "true", "ConfigMap"]
    assert by_name["jobs"][1:] == ["batch/v1", "true", "Job"]  # no short name
    assert by_name["clusterroles"][-3:] == ["rbac.authorization.k8s.io/v1", "false", "ClusterRole"]
    # Subresources are not resource types.
    assert not any("/" in name for name in by_name)

    apps = rows(shared_skiff.kubectl("api-resources", "--api-group=apps").stdout)
    assert {row[0] for row in apps[1:]} >= {"deployments", "replicasets", "statefulsets",
                                            "daemonsets", "controllerrevisions"}
    assert "pods" not in {row[0] for row in apps[1:]}

    cluster = names_in_table(shared_skiff.kubectl("api-resources", "--namespaced=false").stdout)
    assert "nodes" in cluster and "namespaces" in cluster and "pods" not in cluster


def test_api_resources_wide_verbs_and_categories(shared_skiff):
    out = shared_skiff.kubectl("api-resources", "-o", "wide").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS",
                                "CATEGORIES"]
    by_name = {}
    for line in lines[1:]:
        by_name.setdefault(line.split()[0], line.split())
    verbs = "create,delete,deletecollection,get,list,patch,update,watch"
    assert by_name["pods"][-2:] == [verbs, "all"]
    assert by_name["deployments"][-2:] == [verbs, "all"]
    assert by_name["configmaps"][-1] == verbs  # no categories
    assert by_name["bindings"][-1] == "create"
    # `-o name` lists resource.group
    names = shared_skiff.kubectl("api-resources", "-o", "name").stdout.split()
    assert "pods" in names and "deployments.apps" in names and "jobs.batch" in names


def test_api_versions_sorted(shared_skiff):
    versions = shared_skiff.kubectl("api-versions").stdout.split()
    for gv in ("v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1",
               "rbac.authorization.k8s.io/v1", "coordination.k8s.io/v1", "storage.k8s.io/v1"):
        assert gv in versions
    assert versions == sorted(versions)
    assert len(versions) == len(set(versions))


def test_explain_nested_container_fields(shared_skiff):
    out = shared_skiff.kubectl("explain", "deployment.spec.template.spec.containers").stdout
    assert re.search(r"^GROUP:\s+apps$", out, re.M), out
    assert re.search(r"^KIND:\s+Deployment$", out, re.M)
    assert re.search(r"^VERSION:\s+v1$", out, re.M)
    assert re.search(r"^FIELD: containers <\[\]Container>", out, re.M)
    assert "DESCRIPTION:" in out and "FIELDS:" in out
    assert re.search(r"^\s+name\s+<string> -required-$", out, re.M), out
    assert re.search(r"^\s+image\s+<string>$", out, re.M)
    assert re.search(r"^\s+env\s+<\[\]EnvVar>$", out, re.M)
    assert re.search(r"^\s+ports\s+<\[\]ContainerPort>$", out, re.M)
    assert re.search(r"^\s+resources\s+<ResourceRequirements>$", out, re.M)
    # Deeper: a field of a nested type, with its own required marker.
    deeper = shared_skiff.kubectl("explain",
                                  "deployment.spec.template.spec.containers.ports").stdout
    assert re.search(r"^\s+containerPort\s+<integer> -required-$", deeper, re.M), deeper


def test_explain_pod_spec(shared_skiff):
    out = shared_skiff.kubectl("explain", "pod.spec").stdout
    assert re.search(r"^KIND:\s+Pod$", out, re.M)
    assert re.search(r"^VERSION:\s+v1$", out, re.M)
    assert not re.search(r"^GROUP:", out, re.M)  # core group has no GROUP line
    assert re.search(r"^FIELD: spec <PodSpec>", out, re.M)
    assert re.search(r"^\s+containers\s+<\[\]Container> -required-$", out, re.M), out
    for field, typ in (("volumes", r"<\[\]Volume>"), ("nodeName", "<string>"),
                       ("restartPolicy", "<string>"), ("nodeSelector", r"<map\[string\]string>"),
                       ("terminationGracePeriodSeconds", "<integer>"),
                       ("hostNetwork", "<boolean>"), ("affinity", "<Affinity>")):
        assert re.search(rf"^\s+{field}\s+{typ}", out, re.M), (field, out)
    # Fields have descriptions: the line after `containers ...` is indented text.
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if re.match(r"^\s+containers\s+<", line))
    assert lines[i + 1].strip(), "containers has no description"
    # Unknown fields are an error.
    bad = shared_skiff.kubectl("explain", "pod.spec.nosuchfield", check=False)
    assert bad.returncode != 0
    assert "nosuchfield" in bad.stderr


def test_explain_recursive_and_top_level(shared_skiff):
    out = shared_skiff.kubectl("explain", "configmap").stdout
    assert re.search(r"^KIND:\s+ConfigMap$", out, re.M)
    for field in ("apiVersion", "kind", "metadata", "data", "binaryData", "immutable"):
        assert re.search(rf"^\s+{field}\s+<", out, re.M), field
    rec = shared_skiff.kubectl("explain", "pod.spec.containers", "--recursive").stdout
    # --recursive shows nested fields without descriptions.
    assert re.search(r"^\s+livenessProbe\s+<Probe>", rec, re.M)
    assert re.search(r"^\s+httpGet\s+<HTTPGetAction>", rec, re.M)


# ---------------------------------------------------------------------------------------------
# get: output forms


def test_get_default_table(seeded):
    out = seeded.kubectl("get", "configmaps", "-n", NS).stdout
    r = without_root_ca(rows(out))
    assert r[0] == ["NAME", "DATA", "AGE"]
    assert [row[0] for row in r[1:]] == ["cm-a", "cm-b", "cm-c", "cm-d", "cm-e"]
    assert all(row[1] == "2" for row in r[1:])
    assert all(re.fullmatch(r"\d+[smhd]", row[2]) for row in r[1:])

    dep = rows(seeded.kubectl("get", "deploy", "-n", NS).stdout)
    assert dep[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert {row[0]: row[1] for row in dep[1:]} == {"alpha": "0/5", "omega": "0/1"}

    one = rows(seeded.kubectl("get", "cm", "cm-b", "-n", NS).stdout)
    assert one[0] == ["NAME", "DATA", "AGE"] and len(one) == 2 and one[1][0] == "cm-b"

    missing = seeded.kubectl("get", "cm", "nope", "-n", NS, check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): configmaps "nope" not found' in missing.stderr

    empty = seeded.kubectl("get", "secrets", "-n", NS2)
    assert empty.stdout == ""
    assert f"No resources found in {NS2} namespace." in empty.stderr


def test_get_wide(seeded):
    out = seeded.kubectl("get", "deploy", "-n", NS, "-o", "wide").stdout
    r = rows(out)
    assert r[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES",
                    "SELECTOR"]
    by = {row[0]: row for row in r[1:]}
    assert by["alpha"][5:] == ["nginx", "nginx:1.27", "app=alpha"]
    assert by["omega"][5:] == ["busybox", "busybox:1.36", "app=omega"]
    svc = rows(seeded.kubectl("get", "svc", "front", "-n", NS, "-o", "wide").stdout)
    assert svc[0][:2] == ["NAME", "TYPE"] and svc[0][-1] == "SELECTOR"
    assert svc[1][0] == "front" and svc[1][1] == "ClusterIP" and "80/TCP" in svc[1]
    assert svc[1][-1] == "app=front"


def test_get_yaml_and_json(seeded):
    one = yaml.safe_load(seeded.kubectl("get", "cm", "cm-a", "-n", NS, "-o", "yaml").stdout)
    assert one["kind"] == "ConfigMap" and one["apiVersion"] == "v1"
    assert one["metadata"]["name"] == "cm-a" and one["metadata"]["namespace"] == NS
    assert one["metadata"]["labels"] == {"app": "shop", "tier": "be"}
    assert one["data"] == {"rank": "3", "other": "x"}
    assert one["metadata"]["uid"] and one["metadata"]["resourceVersion"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", one["metadata"]["creationTimestamp"])

    lst = json.loads(seeded.kubectl("get", "cm", "-n", NS, "-o", "json").stdout)
    assert lst["kind"] == "List" and lst["apiVersion"] == "v1"
    assert without_root_ca([i["metadata"]["name"] for i in lst["items"]]) == ["cm-a", "cm-b", "cm-c", "cm-d", "cm-e"]
    assert all(i["kind"] == "ConfigMap" for i in lst["items"])

    dep = json.loads(seeded.kubectl("get", "deploy", "alpha", "-n", NS, "-o", "json").stdout)
    assert dep["kind"] == "Deployment" and dep["apiVersion"] == "apps/v1"
    assert dep["spec"]["replicas"] == 5
    assert dep["spec"]["selector"] == {"matchLabels": {"app": "alpha"}}
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert c["name"] == "nginx" and c["image"] == "nginx:1.27"
    # Defaults are applied on the server.
    assert dep["spec"]["strategy"]["type"] == "RollingUpdate"
    assert dep["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["terminationMessagePath"] == "/dev/termination-log"


def test_get_jsonpath_custom_columns_name(seeded):
    s = seeded
    jp = s.kubectl("get", "cm", "-n", NS, "-o",
                   "jsonpath={range .items[*]}{.metadata.name}={.data.rank}{\"\\n\"}{end}").stdout
    assert without_root_ca(jp.split()) == ["cm-a=3", "cm-b=1", "cm-c=2", "cm-d=4", "cm-e=5"]
    single = s.kubectl("get", "deploy", "alpha", "-n", NS, "-o",
                       "jsonpath={.spec.template.spec.containers[0].image}").stdout
    assert single == "nginx:1.27"
    filt = s.kubectl("get", "cm", "-n", NS, "-o",
                     "jsonpath={.items[?(@.metadata.labels.tier==\"db\")].metadata.name}").stdout
    assert filt == "cm-b"

    cc = s.kubectl("get", "cm", "-n", NS, "-o",
                   "custom-columns=N:.metadata.name,TIER:.metadata.labels.tier,R:.data.rank").stdout
    r = without_root_ca(rows(cc))
    assert r[0] == ["N", "TIER", "R"]
    assert r[1:] == [["cm-a", "be", "3"], ["cm-b", "db", "1"], ["cm-c", "fe", "2"],
                     ["cm-d", "<none>", "4"], ["cm-e", "<none>", "5"]]

    names = without_root_ca(s.kubectl("get", "cm,deploy", "-n", NS, "-o", "name").stdout.split())
    assert names == ["configmap/cm-a", "configmap/cm-b", "configmap/cm-c", "configmap/cm-d",
                     "configmap/cm-e", "deployment.apps/alpha", "deployment.apps/omega"]


def test_get_all_namespaces(seeded):
    out = seeded.kubectl("get", "cm", "-A", "-l", "app=shop").stdout
    r = rows(out)
    assert r[0] == ["NAMESPACE", "NAME", "DATA", "AGE"]
    pairs = [(row[0], row[1]) for row in r[1:]]
    assert (NS, "cm-a") in pairs and (NS2, "far-away") in pairs
    assert len(pairs) == 6
    names = seeded.kubectl("get", "namespaces", "-o", "name").stdout.split()
    assert f"namespace/{NS}" in names and f"namespace/{NS2}" in names


def test_get_show_labels(seeded):
    r = rows(seeded.kubectl("get", "cm", "-n", NS, "--show-labels").stdout)
    assert r[0] == ["NAME", "DATA", "AGE", "LABELS"]
    labels = {row[0]: row[3] for row in r[1:]}
    assert labels["cm-a"] == "app=shop,tier=be"
    assert labels["cm-d"] == "app=shop"
    # -L adds one column per key.
    r = rows(seeded.kubectl("get", "cm", "-n", NS, "-L", "tier").stdout)
    assert r[0] == ["NAME", "DATA", "AGE", "TIER"]
    assert {row[0]: row[-1] for row in r[1:]}["cm-c"] == "fe"


def test_get_sort_by(seeded):
    s = seeded
    by_name = without_root_ca(names_in_table(s.kubectl("get", "cm", "-n", NS, "--sort-by=.metadata.name").stdout))
    assert by_name == ["cm-a", "cm-b", "cm-c", "cm-d", "cm-e"]
    by_rank = without_root_ca(names_in_table(s.kubectl("get", "cm", "-n", NS, "--sort-by=.data.rank").stdout))
    assert by_rank == ["cm-b", "cm-c", "cm-a", "cm-d", "cm-e"]
    by_replicas = rows(s.kubectl("get", "deploy", "-n", NS, "--sort-by=.spec.replicas").stdout)
    assert [row[0] for row in by_replicas[1:]] == ["omega", "alpha"]
    assert by_replicas[0][0] == "NAME" and by_replicas[2][1] == "0/5"  # still the server's columns
    # Sorting also works with -o name output.
    n = without_root_ca(s.kubectl("get", "cm", "-n", NS, "--sort-by=.data.rank", "-o", "name").stdout.split())
    assert n[0] == "configmap/cm-b" and n[-1] == "configmap/cm-e"


@pytest.mark.parametrize("selector,expected", [
    ("tier=fe", ["cm-c"]),
    ("tier==be", ["cm-a"]),
    ("tier!=fe", ["cm-a", "cm-b", "cm-d", "cm-e", ROOT_CA]),
    ("tier in (fe,be)", ["cm-a", "cm-c"]),
    ("tier notin (fe,be)", ["cm-b", "cm-d", "cm-e", ROOT_CA]),
    ("tier", ["cm-a", "cm-b", "cm-c"]),
    ("!tier", ["cm-d", "cm-e", ROOT_CA]),  # ROOT_CA: unlabelled, like every namespace's
    ("app=shop,tier in (db,fe)", ["cm-b", "cm-c"]),
    ("app=other", []),
])
def test_get_label_selectors(seeded, selector, expected):
    res = seeded.kubectl("get", "cm", "-n", NS, "-l", selector, "-o", "name")
    assert res.stdout.split() == [f"configmap/{n}" for n in expected]


def test_get_bad_label_selector_is_rejected(seeded):
    res = seeded.kubectl("get", "cm", "-n", NS, "-l", "tier in (fe", check=False)
    assert res.returncode == 1
    assert res.stdout == ""


def test_get_field_selector(seeded):
    s = seeded
    one = rows(s.kubectl("get", "cm", "-n", NS, "--field-selector", "metadata.name=cm-d").stdout)
    assert [row[0] for row in one[1:]] == ["cm-d"]
    not_one = without_root_ca(s.kubectl("get", "cm", "-n", NS, "--field-selector", "metadata.name!=cm-d",
                                        "-o", "name").stdout.split())
    assert "configmap/cm-d" not in not_one and len(not_one) == 4
    both = without_root_ca(s.kubectl("get", "cm", "-A", "--field-selector", f"metadata.namespace={NS2}",
                                     "-o", "name").stdout.split())
    assert both == ["configmap/far-away"]
    combined = s.kubectl("get", "cm", "-n", NS, "-l", "tier",
                         "--field-selector", "metadata.name!=cm-a", "-o", "name").stdout.split()
    assert combined == ["configmap/cm-b", "configmap/cm-c"]
    bad = s.kubectl("get", "cm", "-n", NS, "--field-selector", "data.rank=1", check=False)
    assert bad.returncode == 1
    assert "field label not supported" in bad.stderr, bad.stderr


def test_get_chunked_pagination(seeded):
    res = seeded.kubectl("get", "cm", "-n", NS, "--chunk-size=2", "-v=6")
    # One header, all five rows (and the root CA's), in order.
    r = without_root_ca(rows(res.stdout))
    assert r[0] == ["NAME", "DATA", "AGE"]
    assert [row[0] for row in r[1:]] == ["cm-a", "cm-b", "cm-c", "cm-d", "cm-e"]
    gets = [line for line in res.stderr.splitlines()
            if "GET" in line and f"/namespaces/{NS}/configmaps" in line]
    assert len(gets) == 3, "\n".join(gets)
    assert "limit=2" in gets[0] and "continue=" not in gets[0]
    assert all("continue=" in g and "limit=2" in g for g in gets[1:])
    # Pagination also for -o name (dynamic client path).
    names = without_root_ca(seeded.kubectl("get", "cm", "-n", NS, "--chunk-size=2", "-o", "name").stdout.split())
    assert len(names) == 5 and names[0] == "configmap/cm-a"


def test_get_multiple_types(seeded):
    out = seeded.kubectl("get", "deploy,cm", "-n", NS).stdout
    tables = [t for t in out.split("\n\n") if t.strip()]
    assert len(tables) == 2, out
    dep, cm = rows(tables[0]), without_root_ca(rows(tables[1]))
    assert dep[0][0] == "NAME" and dep[0][1] == "READY"
    assert [row[0] for row in dep[1:]] == ["deployment.apps/alpha", "deployment.apps/omega"]
    assert cm[0] == ["NAME", "DATA", "AGE"]
    assert [row[0] for row in cm[1:]] == [f"configmap/cm-{c}" for c in "abcde"]


def test_get_all(seeded):
    out = seeded.kubectl("get", "all", "-n", NS).stdout
    names = {row[0] for row in rows(out)}
    assert "deployment.apps/alpha" in names and "deployment.apps/omega" in names
    assert "service/front" in names
    # ConfigMaps are not in the `all` category.
    assert not any(n.startswith("configmap/") for n in names)
    empty = seeded.kubectl("get", "all", "-n", NS2)
    assert empty.stdout == "" and "No resources found" in empty.stderr


# ---------------------------------------------------------------------------------------------
# watches


def test_get_watch_prints_changes(shared_skiff):
    s = shared_skiff
    ns = "e1-watch"
    s.kubectl("create", "namespace", ns)
    s.kubectl("create", "configmap", "pre", "-n", ns, "--from-literal=a=1")
    proc, out, err = popen_kubectl(s, "get", "cm", "-n", ns, "-w", "-v=6")
    try:
        # The watch request is logged once the server has answered its headers.
        wait_for(lambda: "watch=true" in read(err), what="watch established")
        assert rows(read(out))[0] == ["NAME", "DATA", "AGE"]
        s.kubectl("create", "configmap", "fresh", "-n", ns, "--from-literal=a=1",
                  "--from-literal=b=2")
        s.kubectl("label", "configmap", "pre", "-n", ns, "touched=yes")
        s.kubectl("delete", "configmap", "fresh", "-n", ns)
        wait_for(lambda: len(without_root_ca(rows(read(out)))) >= 5, what="4 data rows")
        time.sleep(0.3)
    finally:
        stop_process(proc)
    r = without_root_ca(rows(read(out)))
    assert r[0] == ["NAME", "DATA", "AGE"]
    # initial list, ADDED fresh, MODIFIED pre, DELETED fresh
    assert [(row[0], row[1]) for row in r[1:]] == [("pre", "1"), ("fresh", "2"), ("pre", "1"),
                                                    ("fresh", "2")], read(out)


def test_get_watch_output_watch_events(shared_skiff):
    s = shared_skiff
    ns = "e1-watch-ev"
    s.kubectl("create", "namespace", ns)
    proc, out, err = popen_kubectl(s, "get", "cm", "-n", ns, "-w", "--output-watch-events",
                                   "-v=6")
    try:
        wait_for(lambda: "watch=true" in read(err), what="watch established")
        s.kubectl("create", "configmap", "c1", "-n", ns)
        s.kubectl("annotate", "configmap", "c1", "-n", ns, "x=y")
        s.kubectl("delete", "configmap", "c1", "-n", ns)
        wait_for(lambda: "DELETED" in read(out), what="DELETED row")
    finally:
        stop_process(proc)
    r = without_root_ca(rows(read(out)))
    assert r[0] == ["EVENT", "NAME", "DATA", "AGE"]
    assert [row[:2] for row in r[1:]] == [["ADDED", "c1"], ["MODIFIED", "c1"], ["DELETED", "c1"]]


def test_get_name_watch(shared_skiff):
    s = shared_skiff
    ns = "e1-watch-name"
    s.kubectl("create", "namespace", ns)
    s.kubectl("create", "configmap", "target", "-n", ns, "--from-literal=a=1")
    s.kubectl("create", "configmap", "bystander", "-n", ns)
    proc, out, err = popen_kubectl(s, "get", "cm", "target", "-n", ns, "-w",
                                   "--output-watch-events", "-o", "json", "-v=6")
    try:
        wait_for(lambda: "watch=true" in read(err), what="watch established")
        watch_line = [line for line in read(err).splitlines() if "watch=true" in line][0]
        assert "fieldSelector=metadata.name%3Dtarget" in watch_line, watch_line
        s.kubectl("label", "configmap", "bystander", "-n", ns, "noise=1")
        s.kubectl("patch", "configmap", "target", "-n", ns, "-p", '{"data":{"a":"2"}}')
        s.kubectl("delete", "configmap", "target", "-n", ns)
        wait_for(lambda: '"DELETED"' in read(out), what="DELETED event")
    finally:
        stop_process(proc)
    text = read(out)
    dec = json.JSONDecoder()
    objs, pos = [], 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = dec.raw_decode(text, pos)
        objs.append(obj)
    # First: the object from the initial GET (printed as ADDED); the synthetic ADDED of the watch
    # is swallowed; then MODIFIED with the new data; then DELETED. The bystander never appears.
    assert [o["type"] for o in objs] == ["ADDED", "MODIFIED", "DELETED"], objs
    assert all(o["object"]["metadata"]["name"] == "target" for o in objs)
    assert objs[0]["object"]["data"] == {"a": "1"}
    assert objs[1]["object"]["data"] == {"a": "2"}


# ---------------------------------------------------------------------------------------------
# raw paths


def metric_value(text, name, **labels):
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name + "{"):
            continue
        m = re.match(r"^(\w+)\{(.*)\}\s+(\S+)$", line)
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def test_get_raw_metrics(shared_skiff):
    s = shared_skiff
    before = s.kubectl("get", "--raw", "/metrics").stdout
    assert "# TYPE apiserver_request_total counter" in before
    n0 = metric_value(before, "apiserver_request_total", verb="LIST", resource="secrets",
                      code="200") or 0
    for _ in range(3):
        s.kubectl("get", "secrets", "-n", "default")
    after = s.kubectl("get", "--raw", "/metrics").stdout
    n1 = metric_value(after, "apiserver_request_total", verb="LIST", resource="secrets",
                      code="200")
    assert n1 is not None and n1 >= n0 + 3, (n0, n1)
    s.kubectl("get", "secret", "does-not-exist", "-n", "default", check=False)
    final = s.kubectl("get", "--raw", "/metrics").stdout
    assert (metric_value(final, "apiserver_request_total", verb="GET", resource="secrets",
                         code="404") or 0) >= 1
    assert "apiserver_request_duration_seconds_bucket" in final


def test_get_raw_api_v1(shared_skiff):
    doc = json.loads(shared_skiff.kubectl("get", "--raw", "/api/v1").stdout)
    assert doc["kind"] == "APIResourceList" and doc["groupVersion"] == "v1"
    res = {r["name"]: r for r in doc["resources"]}
    assert res["pods"]["namespaced"] is True and res["pods"]["kind"] == "Pod"
    assert "po" in res["pods"]["shortNames"]
    assert res["namespaces"]["namespaced"] is False
    ev = res["pods/eviction"]
    assert (ev["group"], ev["version"], ev["kind"]) == ("policy", "v1", "Eviction")
    assert "pods/log" in res and "pods/status" in res
    apps = json.loads(shared_skiff.kubectl("get", "--raw", "/apis/apps/v1").stdout)
    assert apps["groupVersion"] == "apps/v1"
    assert "deployments/scale" in {r["name"] for r in apps["resources"]}
    item = json.loads(shared_skiff.kubectl("get", "--raw",
                                           "/api/v1/namespaces/default").stdout)
    assert item["kind"] == "Namespace" and item["metadata"]["name"] == "default"
    bad = shared_skiff.kubectl("get", "--raw", "/api/v1/namespaces/nope-nope", check=False)
    assert bad.returncode == 1 and "NotFound" in bad.stderr


def test_auth_can_i_and_whoami(shared_skiff):
    """Every authenticated user may do anything (no RBAC yet): can-i says yes; whoami names the
    admin client certificate's user."""
    res = shared_skiff.kubectl("auth", "can-i", "create", "pods", check=False)
    assert res.returncode == 0 and res.stdout.strip() == "yes", res.stdout + res.stderr
    res = shared_skiff.kubectl("auth", "whoami", check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0].split()[0] == "ATTRIBUTE"
    assert "Username" in res.stdout


def test_get_watch_selector_enter_leave_and_all_namespaces(shared_skiff):
    """A watch with a label selector reports an object leaving the selection as DELETED and
    re-entering as ADDED; `-A -w` shows the namespace column for every event."""
    s = shared_skiff
    ns = "e1-watch-sel"
    s.kubectl("create", "namespace", ns)
    s.kubectl("create", "configmap", "mover", "-n", ns)
    s.kubectl("label", "configmap", "mover", "-n", ns, "t=a")
    sel, sel_out, sel_err = popen_kubectl(s, "get", "cm", "-n", ns, "-l", "t=a", "-w",
                                          "--output-watch-events", "-v=6")
    every, all_out, all_err = popen_kubectl(s, "get", "cm", "-A", "-w", "--output-watch-events",
                                            "--watch-only", "-v=6")
    try:
        wait_for(lambda: "watch=true" in read(sel_err) and "watch=true" in read(all_err),
                   what="both watches established")
        s.kubectl("label", "configmap", "mover", "-n", ns, "t=b", "--overwrite")
        s.kubectl("label", "configmap", "mover", "-n", ns, "t=a", "--overwrite")
        s.kubectl("delete", "configmap", "mover", "-n", ns)
        wait_for(lambda: len(rows(read(sel_out))) >= 5 and
                   any(r[:1] == ["DELETED"] for r in rows(read(all_out))),
                   what="all events printed")
        time.sleep(0.2)
    finally:
        stop_process(sel)
        stop_process(every)
    r = rows(read(sel_out))
    assert r[0] == ["EVENT", "NAME", "DATA", "AGE"]
    assert [row[:2] for row in r[1:]] == [["ADDED", "mover"], ["DELETED", "mover"],
                                          ["ADDED", "mover"], ["DELETED", "mover"]], read(sel_out)
    a = rows(read(all_out))
    assert a[0] == ["EVENT", "NAMESPACE", "NAME", "DATA", "AGE"]
    mine = [row[:3] for row in a[1:] if row[1] == ns]
    # --watch-only: no initial ADDED for the object that already existed.
    assert mine == [["MODIFIED", ns, "mover"], ["MODIFIED", ns, "mover"],
                    ["DELETED", ns, "mover"]], read(all_out)
