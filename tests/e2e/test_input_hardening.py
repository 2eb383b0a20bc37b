"""Hostile or malformed input is refused with a 4xx Kubernetes Status, the server stays up and small,
and nothing stored changes: YAML alias bombs, huge scalars and deep nesting; patches that would turn
an object into a non-object; and Secret stringData, which is merged into data and never stored."""
import base64
import itertools
import json

import pytest

from conftest import api_request


@pytest.fixture(scope="module")
def shared_skiff(bare_skiff):
    """API server semantics only; no controller may write while "nothing changed" is checked."""
    return bare_skiff


_ids = itertools.count()

CM = "/api/v1/namespaces/{ns}/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/{ns}/deployments"
SECRETS = "/api/v1/namespaces/{ns}/secrets"


def new_ns(s, prefix="hard"):
    name = f"{prefix}-{next(_ids)}"
    s.kubectl("create", "namespace", name)
    return name


def peak_rss_bytes(s):
    with open(f"/proc/{s.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def assert_alive(s):
    assert s.proc.poll() is None, s.log()
    code, _, body = api_request(s, "GET", "/api/v1/namespaces/default")
    assert code == 200, body


def assert_status(body, code, reason=None):
    assert isinstance(body, dict) and body.get("kind") == "Status", body
    assert body.get("status") == "Failure" and body.get("code") == code, body
    if reason:
        assert body.get("reason") == reason, body


def post_yaml(s, path, text):
    return api_request(s, "POST", path, text, content_type="application/yaml")


# ---------------------------------------------------------------- YAML decoding

def billion_laughs():
    doc = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n'
    doc += '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        doc += f"  {cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return doc


def test_yaml_alias_bomb_is_rejected_without_growing_the_server(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    bomb = billion_laughs()
    assert len(bomb) < 1000
    before = peak_rss_bytes(s)
    for path in (CM.format(ns=ns), CM.format(ns=ns) + "/lol"):
        method = "POST" if path.endswith("configmaps") else "PUT"
        code, _, body = api_request(s, method, path, bomb, content_type="application/yaml")
        assert code == 400, body
        assert_status(body, 400, "BadRequest")
        assert "excessive aliasing" in body["message"], body
    # server-side apply bodies are YAML too
    code, _, body = api_request(s, "PATCH", CM.format(ns=ns) + "/lol?fieldManager=t", bomb,
                                content_type="application/apply-patch+yaml")
    assert code == 400 and "excessive aliasing" in body["message"], body
    assert_alive(s)
    assert peak_rss_bytes(s) - before < 200 * 1024 * 1024
    code, _, body = api_request(s, "GET", CM.format(ns=ns) + "/lol")
    assert code == 404, body


def test_ordinary_yaml_aliases_still_work(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    doc = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchors\n  labels: &l {app: web}\n"
           "  annotations: *l\ndata:\n  a: &v shared\n  b: *v\n")
    code, _, body = post_yaml(s, CM.format(ns=ns), doc)
    assert code == 201, body
    assert body["data"] == {"a": "shared", "b": "shared"}
    assert body["metadata"]["annotations"] == {"app": "web"}


def test_huge_numeric_scalar_does_not_crash_the_server(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    digits = "7" * 30000
    # Where a string is expected, the digits stay a string (as Kubernetes' YAML decoder does).
    doc = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: digits\ndata:\n  n: {digits}\n"
    code, _, body = post_yaml(s, CM.format(ns=ns), doc)
    assert code == 201, body
    assert body["data"]["n"] == digits
    # Where a number is expected, it is a decoding error.
    doc = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: huge\nspec:\n  replicas: {digits}\n"
           "  selector: {matchLabels: {app: huge}}\n  template:\n    metadata: {labels: {app: huge}}\n"
           "    spec: {containers: [{name: c, image: nginx}]}\n")
    code, _, body = post_yaml(s, DEPLOY.format(ns=ns), doc)
    assert 400 <= code < 500, body
    assert_status(body, code)
    assert_alive(s)
    assert s.kubectl("get", "deployments", "-n", ns, "-o", "name").stdout.strip() == ""


@pytest.mark.parametrize("doc", ["[" * 100000, "{" * 100000, "- " * 100000 + "x\n",
                                 "a: " + "[" * 100000 + "]" * 100000, "[" * 3000000],
                         ids=["flow-seqs", "flow-maps", "block-seqs", "closed-flow-seqs", "3M-flow-seqs"])
def test_deeply_nested_yaml_is_rejected(shared_skiff, doc):
    s = shared_skiff
    before = peak_rss_bytes(s)
    code, _, body = post_yaml(s, CM.format(ns="default"), doc)
    assert code == 400, body
    assert_status(body, 400, "BadRequest")
    assert_alive(s)
    # yaml-cpp alone queued ~250 bytes per "[" of a 3 MB body (775 MB)
    assert peak_rss_bytes(s) - before < 300 * 1024 * 1024


def test_kubectl_create_from_yaml_with_alias_bomb_fails(shared_skiff, tmp_path):
    """kubectl decodes manifests itself (and refuses the bomb too); the server never stores it."""
    s = shared_skiff
    ns = new_ns(s)
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    res = s.kubectl("create", "-n", ns, "-f", str(path), check=False, timeout=120)
    assert res.returncode != 0
    assert_alive(s)
    assert "lol" not in s.kubectl("get", "configmaps", "-n", ns, "-o", "name").stdout


# ---------------------------------------------------------------- patches

def make_deployment(s, ns, name="web"):
    s.kubectl("create", "deployment", name, "--image=nginx:1.27", "--replicas=2", "-n", ns)
    return s.kubectl_json("get", "deployment", name, "-n", ns)


@pytest.mark.parametrize("patch", ['{"metadata":"x"}', '{"spec":5}', '{"spec":{"template":"x"}}',
                                   '{"metadata":{"labels":"x"}}'])
def test_merge_patch_setting_a_non_object_is_422_and_changes_nothing(shared_skiff, patch):
    s = shared_skiff
    ns = new_ns(s)
    before = make_deployment(s, ns)
    for ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
        code, _, body = api_request(s, "PATCH", DEPLOY.format(ns=ns) + "/web", patch, content_type=ctype)
        assert code == 422, (ctype, body)
        assert_status(body, 422, "Invalid")
        assert body["details"]["causes"][0]["field"] == "patch", body
        assert "json: cannot unmarshal" in body["message"], body
    res = s.kubectl("patch", "deployment", "web", "-n", ns, "--type=merge", "-p", patch, check=False)
    assert res.returncode != 0
    assert "is invalid" in res.stderr, res.stderr
    after = s.kubectl_json("get", "deployment", "web", "-n", ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"] == before["spec"] and after["metadata"]["labels"] == before["metadata"]["labels"]


def test_strategic_patch_delete_at_root_is_rejected(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    before = make_deployment(s, ns)
    s.kubectl("create", "configmap", "conf", "--from-literal=k=v", "-n", ns)
    cm_before = s.kubectl_json("get", "configmap", "conf", "-n", ns)
    for path in (DEPLOY.format(ns=ns) + "/web", CM.format(ns=ns) + "/conf"):
        code, _, body = api_request(s, "PATCH", path, {"$patch": "delete"},
                                    content_type="application/strategic-merge-patch+json")
        assert code == 400, body
        assert_status(body, 400, "BadRequest")
        assert "name must be provided" in body["message"], body
    res = s.kubectl("patch", "configmap", "conf", "-n", ns, "-p", '{"$patch":"delete"}', check=False)
    assert res.returncode != 0
    assert s.kubectl_json("get", "configmap", "conf", "-n", ns) == cm_before
    after = s.kubectl_json("get", "deployment", "web", "-n", ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


# ---------------------------------------------------------------- label selectors

def test_empty_value_set_selects_the_empty_value_like_kubernetes(shared_skiff):
    """`a in ()` is the value set {""} in Kubernetes' selector grammar (labels.Parse), not an
    error; `a notin ()` its complement. Only a matchExpressions In/NotIn with no values is invalid."""
    s = shared_skiff
    ns = new_ns(s)
    for name, labels in (("empty", "a="), ("x", "a=x"), ("none", None)):
        s.kubectl("run", name, "--image=nginx", "-n", ns, *(["--labels", labels] if labels else []))
    got = s.kubectl("get", "pods", "-n", ns, "-l", "a in ()", "-o", "name").stdout.split()
    assert got == ["pod/empty"]
    got = sorted(s.kubectl("get", "pods", "-n", ns, "-l", "a notin ()", "-o", "name").stdout.split())
    assert got == ["pod/none", "pod/x"]
    res = s.kubectl("get", "pods", "-n", ns, "-l", "a in (", check=False)
    assert res.returncode != 0 and "unable to parse requirement" in res.stderr, res.stderr
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
           "spec": {"selector": {"matchLabels": {"app": "bad"},
                                 "matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
                    "template": {"metadata": {"labels": {"app": "bad"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    code, _, body = api_request(s, "POST", DEPLOY.format(ns=ns), bad)
    assert code == 422, body
    assert any(c["field"] == "spec.selector.matchExpressions[0].values" for c in body["details"]["causes"]), body


# ---------------------------------------------------------------- Secret stringData

def b64(text):
    return base64.b64encode(text.encode()).decode()


def assert_secret_data(s, ns, name, expected):
    obj = s.kubectl_json("get", "secret", name, "-n", ns)
    assert "stringData" not in obj, obj
    assert obj.get("data") == {k: b64(v) for k, v in expected.items()}, obj
    return obj


def test_kubectl_create_secret_from_literal(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    s.kubectl("create", "secret", "generic", "lit", "-n", ns, "--from-literal=user=admin",
              "--from-literal=password=s3cr3t!")
    assert_secret_data(s, ns, "lit", {"user": "admin", "password": "s3cr3t!"})


def test_secret_string_data_is_merged_on_create_update_patch_and_apply(shared_skiff, tmp_path):
    s = shared_skiff
    ns = new_ns(s)
    manifest = tmp_path / "secret.yaml"
    manifest.write_text(f"""apiVersion: v1
kind: Secret
metadata:
  name: app
  namespace: {ns}
type: Opaque
data:
  keep: {b64("from-data")}
  both: {b64("loses")}
stringData:
  both: wins
  plain: hello world
""")
    # create (and the response itself carries no stringData)
    out = json.loads(s.kubectl("create", "-f", str(manifest), "-o", "json").stdout)
    assert "stringData" not in out
    expected = {"keep": "from-data", "both": "wins", "plain": "hello world"}
    assert_secret_data(s, ns, "app", expected)
    # client-side apply (a strategic merge patch carrying stringData)
    manifest.write_text(manifest.read_text().replace("hello world", "applied"))
    s.kubectl("apply", "-f", str(manifest))
    expected["plain"] = "applied"
    assert_secret_data(s, ns, "app", expected)
    # merge patch
    s.kubectl("patch", "secret", "app", "-n", ns, "--type=merge", "-p", '{"stringData":{"patched":"yes"}}')
    expected["patched"] = "yes"
    obj = assert_secret_data(s, ns, "app", expected)
    # update (PUT) with stringData
    obj["stringData"] = {"keep": "replaced"}
    obj.pop("status", None)
    code, _, body = api_request(s, "PUT", SECRETS.format(ns=ns) + "/app", obj)
    assert code == 200, body
    assert "stringData" not in body
    expected["keep"] = "replaced"
    assert_secret_data(s, ns, "app", expected)
    # server-side apply
    ssa = tmp_path / "ssa.yaml"
    ssa.write_text(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa\n  namespace: {ns}\n"
                   "stringData:\n  token: abc\n")
    s.kubectl("apply", "--server-side", "-f", str(ssa))
    assert_secret_data(s, ns, "ssa", {"token": "abc"})
    # the raw stored list never shows stringData either
    code, _, body = api_request(s, "GET", SECRETS.format(ns=ns))
    assert code == 200 and all("stringData" not in item for item in body["items"]), body


def test_secret_string_data_with_python_client(shared_skiff):
    from kubernetes import client
    s = shared_skiff
    ns = new_ns(s)
    api = client.CoreV1Api(s.python_client())
    created = api.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name="py"), string_data={"k": "v"}))
    assert created.string_data is None
    assert created.data == {"k": b64("v")}
    got = api.read_namespaced_secret("py", ns)
    assert got.string_data is None and got.data == {"k": b64("v")}


def test_secret_string_data_of_the_wrong_type_is_rejected(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bad"}, "stringData": {"n": 5}}
    code, _, body = api_request(s, "POST", SECRETS.format(ns=ns), obj)
    assert 400 <= code < 500, body
    assert_status(body, code)
    code, _, _ = api_request(s, "GET", SECRETS.format(ns=ns) + "/bad")
    assert code == 404
