"""The audit log (--audit-log-path, --audit-policy-file, --audit-log-max*): every write leaves a
ResponseComplete audit.k8s.io/v1 event naming who did what with which result, the Audit-Id
response header matches the log, a policy file chooses levels per user and resource, and the log
rotates by size keeping at most maxbackup backups named like kube-apiserver's."""
import os
import re
import time

import pytest

from conftest import Skiff, api_request, audit_log_events, start_sim, stop_process, wait_for

ADMIN = "admin"


def events(path):
    return audit_log_events(path)


def find(path, pred, timeout=3, what="audit event"):
    """The events of `path` matching pred, waiting up to `timeout` s (a line is written within ~1 s)."""
    return wait_for(lambda: [e for e in events(path) if pred(e)], timeout=timeout, interval=0.05, what=what)


def events_matching(s, pred):
    return [e for e in events(s.audit_log) if pred(e)]


def complete(verb, resource, name, namespace="default", subresource=None, code=None):
    def pred(e):
        ref = e.get("objectRef", {})
        return (e["stage"] == "ResponseComplete" and e["verb"] == verb and ref.get("resource") == resource
                and ref.get("name") == name and ref.get("namespace", "") == namespace
                and ref.get("subresource") == subresource
                and (code is None or e["responseStatus"]["code"] == code))
    return pred


@pytest.fixture(scope="module")
def audited():
    s = Skiff(extra_args=["--disable-controllers"])
    s.audit_log = os.path.join(s.data_dir, "audit", "audit.log")
    s.extra_args += ["--audit-log-path", s.audit_log]
    s.start()
    yield s
    s.cleanup()


def check_write(s, verb, resource, name, code, namespace="default", subresource=None, group=None):
    [e] = find(s.audit_log, complete(verb, resource, name, namespace, subresource),
               what=f"{verb} {resource}/{name}")[-1:]
    assert e["kind"] == "Event" and e["apiVersion"] == "audit.k8s.io/v1"
    assert e["level"] == "Metadata"
    assert e["user"]["username"] == ADMIN and "system:masters" in e["user"]["groups"]
    assert e["responseStatus"]["code"] == code, e
    assert e["sourceIPs"] == ["127.0.0.1"]
    assert e["annotations"]["authorization.k8s.io/decision"] == "allow"
    if group:
        assert e["objectRef"]["apiGroup"] == group
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", e["stageTimestamp"])
    assert e["requestReceivedTimestamp"] <= e["stageTimestamp"]
    assert "requestObject" not in e and "responseObject" not in e
    # The same request was recorded when it arrived.
    received = [r for r in events(s.audit_log) if r["auditID"] == e["auditID"] and r["stage"] == "RequestReceived"]
    assert len(received) == 1
    return e


def test_kubectl_writes_are_recorded(audited):
    s = audited
    s.kubectl("create", "configmap", "a1", "--from-literal=k=v")
    e = check_write(s, "create", "configmaps", "a1", 201)
    assert e["userAgent"].startswith("kubectl/")
    assert e["objectRef"]["apiVersion"] == "v1"

    manifest = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: busybox}]}
"""
    s.kubectl("apply", "-f", "-", input=manifest)
    check_write(s, "create", "deployments", "web", 201, group="apps")
    s.kubectl("apply", "-f", "-", input=manifest.replace("replicas: 1", "replicas: 2"))
    check_write(s, "patch", "deployments", "web", 200, group="apps")
    patches = len(find(s.audit_log, complete("patch", "deployments", "web")))
    s.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=manifest)
    # Server-side apply is a patch of its own (kubectl may follow it with a managedFields upgrade).
    wait_for(lambda: len(events_matching(s, complete("patch", "deployments", "web"))) > patches, timeout=3,
             what="the server-side apply patch")
    s.kubectl("patch", "configmap", "a1", "-p", '{"data":{"k":"w"}}')
    check_write(s, "patch", "configmaps", "a1", 200)
    s.kubectl("scale", "deployment", "web", "--replicas=3")
    check_write(s, "patch", "deployments", "web", 200, subresource="scale", group="apps")
    s.kubectl("delete", "configmap", "a1")
    check_write(s, "delete", "configmaps", "a1", 200)
    s.kubectl("delete", "deployment", "web")
    check_write(s, "delete", "deployments", "web", 200, group="apps")


def test_python_client_writes_are_recorded(audited):
    from kubernetes import client
    s = audited
    v1 = client.CoreV1Api(s.python_client())
    v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="p1"), data={"a": "b"}))
    e = check_write(s, "create", "configmaps", "p1", 201)
    assert e["userAgent"].startswith("OpenAPI-Generator/")
    v1.replace_namespaced_config_map("p1", "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="p1"), data={"a": "c"}))
    check_write(s, "update", "configmaps", "p1", 200)
    v1.delete_namespaced_config_map("p1", "default")
    check_write(s, "delete", "configmaps", "p1", 200)


def test_failures_are_recorded_with_their_code(audited):
    s = audited
    res = s.kubectl("get", "configmap", "missing", check=False)
    assert res.returncode != 0
    [e] = find(s.audit_log, complete("get", "configmaps", "missing", code=404))[-1:]
    assert e["responseStatus"]["reason"] == "NotFound"
    assert e["responseStatus"]["status"] == "Failure"
    assert 'configmaps "missing" not found' in e["responseStatus"]["message"]
    # kube-public may not be deleted: 403.
    res = s.kubectl("delete", "namespace", "kube-public", check=False)
    assert res.returncode != 0
    [e] = find(s.audit_log, complete("delete", "namespaces", "kube-public", namespace="kube-public", code=403))[-1:]
    assert e["responseStatus"]["reason"] == "Forbidden"
    assert e["user"]["username"] == ADMIN
    # No credentials: recorded once, as ResponseStarted with code 401 and no user.
    status, headers, _ = api_request(s, "GET", "/api/v1/namespaces/default/secrets", auth=False)
    assert status == 401
    [e] = find(s.audit_log, lambda e: e["auditID"] == headers["Audit-Id"])
    assert e["stage"] == "ResponseStarted" and e["responseStatus"]["code"] == 401 and e["user"] == {}


def test_pod_security_audit_mode_annotates_the_event(audited):
    """A namespace labelled pod-security.kubernetes.io/audit=restricted: a pod (and a workload) that
    violates it is admitted, and its audit event says so, as kube-apiserver's PodSecurity plug-in does."""
    s = audited
    s.kubectl("create", "namespace", "psa-audit")
    s.kubectl("label", "namespace", "psa-audit", "pod-security.kubernetes.io/audit=restricted",
              "pod-security.kubernetes.io/enforce=baseline")
    s.kubectl("run", "plain", "-n", "psa-audit", "--image=busybox", "--restart=Never")
    [e] = find(s.audit_log, complete("create", "pods", "plain", namespace="psa-audit", code=201))[-1:]
    notes = e["annotations"]
    assert notes["pod-security.kubernetes.io/enforce-policy"] == "baseline:latest", notes
    assert notes["pod-security.kubernetes.io/audit-violations"].startswith(
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false'), notes
    assert notes["authorization.k8s.io/decision"] == "allow"
    s.kubectl("create", "deployment", "web", "-n", "psa-audit", "--image=busybox")
    [e] = find(s.audit_log, complete("create", "deployments", "web", namespace="psa-audit", code=201))[-1:]
    assert e["annotations"]["pod-security.kubernetes.io/audit-violations"].startswith(
        'would violate PodSecurity "restricted:latest": '), e["annotations"]
    # A pod the enforce level refuses is recorded with its 403 and the audit level's verdict.
    res = s.kubectl("run", "root", "-n", "psa-audit", "--image=busybox", "--restart=Never",
                    "--overrides", '{"spec":{"containers":[{"name":"root","image":"busybox",'
                                   '"securityContext":{"privileged":true}}]}}', check=False)
    assert res.returncode != 0 and "violates PodSecurity" in res.stderr, res.stderr
    [e] = find(s.audit_log, complete("create", "pods", "root", namespace="psa-audit", code=403))[-1:]
    assert e["annotations"]["pod-security.kubernetes.io/audit-violations"].startswith(
        'would violate PodSecurity "restricted:latest": privileged'), e["annotations"]
    # Unlabelled namespaces are privileged.
    s.kubectl("run", "free", "--image=busybox", "--restart=Never")
    [e] = find(s.audit_log, complete("create", "pods", "free", code=201))[-1:]
    assert e["annotations"]["pod-security.kubernetes.io/enforce-policy"] == "privileged:latest"
    assert "pod-security.kubernetes.io/audit-violations" not in e["annotations"]
    s.kubectl("delete", "pod", "free", "--wait=false")
    s.kubectl("delete", "namespace", "psa-audit", "--wait=false")


def test_audit_id_header_matches_the_log(audited):
    s = audited
    status, headers, _ = api_request(s, "POST", "/api/v1/namespaces/default/configmaps",
                                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "h1"}})
    assert status == 201
    audit_id = headers["Audit-Id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", audit_id)
    stages = [e["stage"] for e in find(s.audit_log, lambda e: e["auditID"] == audit_id and e["stage"] == "ResponseComplete")]
    assert stages == ["ResponseComplete"]
    lines = [e for e in events(s.audit_log) if e["auditID"] == audit_id]
    assert [e["stage"] for e in lines] == ["RequestReceived", "ResponseComplete"]
    assert lines[1]["objectRef"]["name"] == "h1"
    # A client's own Audit-ID is kept, as kube-apiserver does.
    status, headers, _ = api_request(s, "GET", "/api/v1/namespaces/default/configmaps/h1",
                                     headers={"Audit-ID": "my-trace-42"})
    assert status == 200 and headers["Audit-Id"] == "my-trace-42"
    find(s.audit_log, lambda e: e["auditID"] == "my-trace-42" and e["stage"] == "ResponseComplete")
    # Health probes answer with an Audit-Id too.
    status, headers, _ = api_request(s, "GET", "/readyz", auth=False)
    assert status == 200 and headers["Audit-Id"]


def test_watch_is_recorded_when_it_starts_and_when_it_ends(audited):
    s = audited
    status, headers, _ = api_request(s, "GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1")
    assert status == 200
    stages = lambda: [e["stage"] for e in events(s.audit_log) if e["auditID"] == headers["Audit-Id"]]
    wait_for(lambda: stages() == ["RequestReceived", "ResponseStarted", "ResponseComplete"], timeout=5,
             what="watch stages")
    [e] = [e for e in events(s.audit_log) if e["auditID"] == headers["Audit-Id"] and e["stage"] == "ResponseComplete"]
    assert e["verb"] == "watch" and e["responseStatus"]["code"] == 200


def test_lines_survive_kill9(tmp_path):
    s = Skiff(extra_args=["--disable-controllers", "--audit-log-path", str(tmp_path / "audit.log")])
    s.start()
    try:
        s.kubectl("create", "configmap", "durable")
        time.sleep(1.0)
        s.kill9()
        assert any(complete("create", "configmaps", "durable")(e) for e in events(str(tmp_path / "audit.log")))
    finally:
        s.cleanup()


def test_in_process_controller_and_scheduler_writes_are_recorded(tmp_path):
    """The controllers and the scheduler run in the server, each as its own user: their writes are
    audited like kube-controller-manager's and kube-scheduler's requests, by the same policy."""
    log = str(tmp_path / "audit.log")
    s = Skiff(extra_args=["--disable-agent", "--audit-log-path", log]).start()
    sim = None
    try:
        sim = start_sim(s, 1)
        s.kubectl("create", "namespace", "audit-ctl")
        s.kubectl("label", "namespace", "audit-ctl", "pod-security.kubernetes.io/audit=restricted")
        s.kubectl("create", "deployment", "web", "-n", "audit-ctl", "--image=busybox", "--replicas=2")
        rs_user = "system:serviceaccount:kube-system:replicaset-controller"

        def by(user, verb, resource, subresource=None):
            return lambda e: (e["stage"] == "ResponseComplete" and e["user"].get("username") == user
                              and e["verb"] == verb and e.get("objectRef", {}).get("resource") == resource
                              and e.get("objectRef", {}).get("namespace") == "audit-ctl"
                              and e.get("objectRef", {}).get("subresource") == subresource)
        created = find(log, by(rs_user, "create", "pods"), timeout=30, what="the replicaset controller's pod creates")
        e = created[0]
        assert e["level"] == "Metadata" and e["responseStatus"]["code"] == 201, e
        assert e["objectRef"]["name"].startswith("web-"), e
        assert e["requestURI"] == "/api/v1/namespaces/audit-ctl/pods", e
        assert e["annotations"]["authorization.k8s.io/decision"] == "allow"
        # Admission's audit annotations reach in-process writes too.
        assert e["annotations"]["pod-security.kubernetes.io/audit-violations"].startswith(
            'would violate PodSecurity "restricted:latest": '), e
        assert "system:serviceaccounts" in e["user"]["groups"]
        find(log, by("system:serviceaccount:kube-system:deployment-controller", "create", "replicasets"), timeout=30,
             what="the deployment controller's replicaset create")
        bound = find(log, by("system:kube-scheduler", "create", "pods", "binding"), timeout=30,
                     what="the scheduler's bindings")
        assert bound[0]["responseStatus"]["code"] == 201
    finally:
        if sim:
            stop_process(sim)
        s.cleanup()


POLICY = """
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["quiet"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["configmaps"]
- level: Metadata
"""


def test_policy_file_is_honoured(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    tokens = tmp_path / "tokens.csv"
    tokens.write_text('quiet-token,quiet,1001,"system:masters"\nloud-token,loud,1002,"system:masters"\n')
    log = str(tmp_path / "audit.log")
    s = Skiff(extra_args=["--disable-controllers", "--audit-log-path", log, "--audit-policy-file", str(policy),
                          "--token-auth-file", str(tokens)])
    s.start()
    try:
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "q"}, "data": {"secret": "x"}}
        status, quiet_headers, _ = api_request(s, "POST", "/api/v1/namespaces/default/configmaps", cm, auth="quiet-token")
        assert status == 201
        cm["metadata"]["name"] = "l"
        status, loud_headers, _ = api_request(s, "POST", "/api/v1/namespaces/default/configmaps", cm, auth="loud-token")
        assert status == 201
        status, ns_headers, _ = api_request(s, "GET", "/api/v1/namespaces/default", auth="loud-token")
        assert status == 200
        [loud] = find(log, lambda e: e["auditID"] == loud_headers["Audit-Id"])
        assert loud["stage"] == "ResponseComplete"  # RequestReceived omitted
        assert loud["level"] == "RequestResponse"
        assert loud["user"] == {"username": "loud", "uid": "1002", "groups": ["system:masters", "system:authenticated"]}
        assert loud["requestObject"]["data"] == {"secret": "x"}
        assert loud["responseObject"]["metadata"]["name"] == "l"
        assert loud["responseObject"]["metadata"]["uid"]
        [ns] = find(log, lambda e: e["auditID"] == ns_headers["Audit-Id"])
        assert ns["level"] == "Metadata" and "responseObject" not in ns
        time.sleep(0.5)
        assert not [e for e in events(log) if e["auditID"] == quiet_headers["Audit-Id"]]
        assert not [e for e in events(log) if e["user"].get("username") == "quiet"]
    finally:
        s.cleanup()


def test_bad_policy_file_stops_the_server(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n")
    s = Skiff(extra_args=["--audit-log-path", str(tmp_path / "a.log"), "--audit-policy-file", str(policy)])
    with pytest.raises(RuntimeError, match="Unsupported value: \\\\?\"Loud"):
        s.start()
    s.cleanup()


def test_rotation_keeps_at_most_maxbackup(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    log_dir = tmp_path / "logs"
    log = str(log_dir / "audit.log")
    s = Skiff(extra_args=["--disable-controllers", "--audit-log-path", log, "--audit-policy-file", str(policy),
                          "--audit-log-maxsize", "1", "--audit-log-maxbackup", "2"])
    s.start()
    try:
        payload = "x" * 100_000
        for i in range(40):  # each create logs its ~100 KB object twice: ~8 MB in all
            status, _, _ = api_request(s, "POST", "/api/v1/namespaces/default/configmaps",
                                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"big{i}"},
                                        "data": {"p": payload}})
            assert status == 201
        backup = re.compile(r"audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log")

        def settled():
            names = sorted(os.listdir(log_dir))
            return names if len(names) == 3 else None
        names = wait_for(settled, timeout=10, what="two backups and the live log")
        assert names[-1] == "audit.log"
        assert all(backup.fullmatch(n) for n in names[:-1]), names
        for n in names:
            assert os.path.getsize(log_dir / n) <= 1 << 20
        # The newest backup ends where the live log begins: nothing lost across the rotation.
        last = events(str(log_dir / names[1]))[-1]
        first = events(log)[0] if events(log) else None
        assert last["objectRef"]["name"].startswith("big")
        if first:
            assert int(first["objectRef"]["name"][3:]) == int(last["objectRef"]["name"][3:]) + 1
    finally:
        s.cleanup()
