"""Dynamic admission webhooks end to end: Mutating- and ValidatingWebhookConfigurations on a real
`skiff server`, driven by the real kubectl and the Python client, calling a small HTTPS webhook
server that this module runs on 127.0.0.1 with a certificate from a CA it creates. Webhooks are
registered by URL and through a Service whose only endpoint (a manually written EndpointSlice) is
that server. Covered: a validating webhook refusing labelled pods with kube's message, a mutating
webhook adding a label by JSONPatch, warnings in kubectl's output (creates and deletes), audit
annotations in the audit log, failurePolicy Ignore vs Fail for a webhook that is down, too slow or
behind a Service without endpoints, namespaceSelector and objectSelector, dry-run requests, CONNECT
(kubectl exec), `kubectl get` of the configurations and kube's validation messages for a bad one."""
import base64
import json
import os
import shutil
import tempfile
import time

import pytest

from conftest import Skiff, audit_log_events, free_port, wait_for
from tls_test_server import HttpsTestServer, JsonRequestHandler, ca_bundle, expose_on_loopback, make_serving_pki

SERVICE_NS = "wh-svc"
SERVICE_NAME = "hook"


def make_certificates(directory):
    """A CA and a serving certificate for 127.0.0.1 and hook.wh-svc.svc; returns the CA bundle."""
    ca_crt, _, _ = make_serving_pki(directory, ["IP:127.0.0.1", f"DNS:{SERVICE_NAME}.{SERVICE_NS}.svc"],
                                    "webhook-test-ca")
    return ca_bundle(ca_crt)


def answer(review, allowed=True, status=None, patch=None, warnings=None, audit=None):
    response = {"uid": review["request"]["uid"], "allowed": allowed}
    if status:
        response["status"] = status
    if patch is not None:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
    if warnings:
        response["warnings"] = warnings
    if audit:
        response["auditAnnotations"] = audit
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


def deny_labelled(review):
    obj = review["request"]["object"] or {}
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if labels.get("deny") == "yes":
        return answer(review, allowed=False,
                      status={"code": 403, "reason": "Forbidden", "message": "pods labelled deny=yes are not welcome"})
    return answer(review, warnings=[f"deny.skiff.test saw {obj['metadata'].get('name', '')}"],
                  audit={"checked": "true"})


def add_label(review):
    obj = review["request"]["object"]
    if (obj.get("metadata") or {}).get("labels"):
        patch = [{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}]
    else:
        patch = [{"op": "add", "path": "/metadata/labels", "value": {"mutated": "yes"}}]
    return answer(review, patch=patch)


def slow(review):
    time.sleep(8)
    return answer(review)


ROUTES = {"/deny": deny_labelled, "/mutate": add_label, "/slow": slow, "/allow": answer}


class WebhookServer:
    """HTTPS on 127.0.0.1 answering AdmissionReviews by path; keeps every review it got."""

    def __init__(self, cert_dir):
        self.reviews = []
        outer = self

        class Handler(JsonRequestHandler):
            def do_POST(self):
                body = self.read_json()
                outer.reviews.append((self.path, body))
                self.send_json(200, ROUTES[self.path.split("?")[0]](body))

        self.server = HttpsTestServer(os.path.join(cert_dir, "tls.crt"), os.path.join(cert_dir, "tls.key"), Handler)
        self.port = self.server.port

    def url(self, path):
        return self.server.url(path)

    def reviews_for(self, path):
        return [body for p, body in self.reviews if p.split("?")[0] == path]

    def stop(self):
        self.server.stop()


@pytest.fixture(scope="module")
def env():
    cert_dir = tempfile.mkdtemp(prefix="webhook-certs-")
    ca_bundle = make_certificates(cert_dir)
    server = WebhookServer(cert_dir)
    s = Skiff()
    s.audit_log = os.path.join(s.data_dir, "audit.log")
    s.extra_args += ["--audit-log-path", s.audit_log]
    s.start()
    yield s, server, ca_bundle
    s.cleanup()
    server.stop()
    shutil.rmtree(cert_dir, ignore_errors=True)


def audit_event(s, verb, resource, name, ns):
    """The ResponseComplete audit event of one request (waits for the log to have it)."""
    found = []

    def look():
        for e in audit_log_events(s.audit_log):
            ref = e.get("objectRef", {})
            if (e["stage"] == "ResponseComplete" and e["verb"] == verb and ref.get("resource") == resource
                    and ref.get("name") == name and ref.get("namespace") == ns):
                found.append(e)
        return bool(found)
    wait_for(look, what=f"audit event of {verb} {resource}/{name}")
    return found[-1]


def apply(s, obj):
    return s.kubectl("apply", "-f", "-", input=json.dumps(obj))


def namespace(s, name, labels=None):
    apply(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})


def webhook(name, client_config, ca_bundle, namespace_label, **extra):
    hook = {
        "name": name,
        "clientConfig": dict(client_config, caBundle=ca_bundle),
        "rules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"],
                   "resources": ["pods"]}],
        "namespaceSelector": {"matchLabels": {"webhook-test": namespace_label}},
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    }
    hook.update(extra)
    return hook


def configuration(kind, name, *hooks):
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "webhooks": list(hooks)}


def pod(name, labels=None):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def create_pod(s, ns, name, labels=None, *flags, check=True):
    return s.kubectl("create", "-n", ns, *flags, "-f", "-", input=json.dumps(pod(name, labels)), check=check)


def test_validating_webhook_by_url_refuses_labelled_pods_and_warns(env):
    s, server, ca = env
    namespace(s, "wh-deny", {"webhook-test": "deny"})
    apply(s, configuration("ValidatingWebhookConfiguration", "deny-labelled",
                           webhook("deny.skiff.test", {"url": server.url("/deny")}, ca, "deny")))
    try:
        res = create_pod(s, "wh-deny", "bad", {"deny": "yes"}, check=False)
        assert res.returncode != 0
        assert ('admission webhook "deny.skiff.test" denied the request: pods labelled deny=yes are not welcome'
                in res.stderr), res.stderr
        res = create_pod(s, "wh-deny", "good", {"app": "x"})
        assert "Warning: deny.skiff.test saw good" in res.stderr, res.stderr
        # The webhook's audit annotations land in the request's audit event, under its name.
        assert audit_event(s, "create", "pods", "good", "wh-deny")["annotations"]["deny.skiff.test/checked"] == "true"
        assert s.kubectl("get", "pod", "-n", "wh-deny", "bad", check=False).returncode != 0
        review = server.reviews_for("/deny")[-1]
        request = review["request"]
        assert review["apiVersion"] == "admission.k8s.io/v1"
        assert request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
        assert request["resource"] == {"group": "", "version": "v1", "resource": "pods"}
        assert request["operation"] == "CREATE" and request["namespace"] == "wh-deny"
        assert request["name"] == "good" and request["dryRun"] is False
        assert request["userInfo"]["username"] == "admin"
        assert request["options"]["kind"] == "CreateOptions"
        # An update is sent with the old object too.
        s.kubectl("label", "pod", "-n", "wh-deny", "good", "more=1")
        request = server.reviews_for("/deny")[-1]["request"]
        assert request["operation"] == "UPDATE"
        assert request["oldObject"]["metadata"]["labels"] == {"app": "x"}
        assert request["object"]["metadata"]["labels"] == {"app": "x", "more": "1"}
        # The webhook is asked with the status code it chose.
        res = s.kubectl("label", "pod", "-n", "wh-deny", "good", "deny=yes", check=False)
        assert res.returncode != 0 and "denied the request" in res.stderr
        # Pods elsewhere are not its business (namespaceSelector).
        namespace(s, "wh-other")
        create_pod(s, "wh-other", "bad", {"deny": "yes"})
    finally:
        s.kubectl("delete", "validatingwebhookconfiguration", "deny-labelled")


def test_mutating_webhook_through_a_service_adds_a_label(env):
    s, server, ca = env
    namespace(s, SERVICE_NS)
    namespace(s, "wh-mutate", {"webhook-test": "mutate"})
    expose_on_loopback(lambda obj: apply(s, obj), SERVICE_NS, SERVICE_NAME, 443, server.port)
    service = {"service": {"namespace": SERVICE_NS, "name": SERVICE_NAME, "path": "/mutate"}}
    apply(s, configuration("MutatingWebhookConfiguration", "add-label",
                           webhook("label.skiff.test", service, ca, "mutate")))
    try:
        create_pod(s, "wh-mutate", "plain")
        mutation = audit_event(s, "create", "pods", "plain", "wh-mutate")["annotations"][
            "mutation.webhook.admission.k8s.io/round_0_index_0"]
        assert json.loads(mutation) == {"configuration": "add-label", "webhook": "label.skiff.test", "mutated": True}
        labels = s.kubectl_json("get", "pod", "-n", "wh-mutate", "plain")["metadata"]["labels"]
        assert labels == {"mutated": "yes"}
        create_pod(s, "wh-mutate", "labelled", {"app": "y"})
        labels = s.kubectl_json("get", "pod", "-n", "wh-mutate", "labelled")["metadata"]["labels"]
        assert labels == {"app": "y", "mutated": "yes"}
        path, _ = [r for r in server.reviews if r[0].startswith("/mutate")][-1]
        assert path == "/mutate?timeout=10s"
        # The mutated object is validated again: the webhook's label is on the stored object, and
        # the configuration lists with kubectl.
        out = s.kubectl("get", "mutatingwebhookconfigurations").stdout
        assert out.split("\n")[0].split() == ["NAME", "WEBHOOKS", "AGE"]
        assert out.split("\n")[1].split()[:2] == ["add-label", "1"]
        stored = s.kubectl_json("get", "mutatingwebhookconfiguration", "add-label")["webhooks"][0]
        assert stored["failurePolicy"] == "Fail" and stored["matchPolicy"] == "Equivalent"
        assert stored["reinvocationPolicy"] == "Never" and stored["timeoutSeconds"] == 10
        assert stored["objectSelector"] == {} and stored["clientConfig"]["service"]["port"] == 443
    finally:
        s.kubectl("delete", "mutatingwebhookconfiguration", "add-label")


def test_service_without_ready_endpoints_fails_the_call(env):
    s, server, ca = env
    namespace(s, "wh-noep", {"webhook-test": "noep"})
    namespace(s, SERVICE_NS)
    apply(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "empty", "namespace": SERVICE_NS},
              "spec": {"ports": [{"port": 443}]}})
    service = {"service": {"namespace": SERVICE_NS, "name": "empty", "path": "/allow"}}
    apply(s, configuration("ValidatingWebhookConfiguration", "no-endpoints",
                           webhook("noep.skiff.test", service, ca, "noep")))
    try:
        res = create_pod(s, "wh-noep", "p", check=False)
        assert res.returncode != 0
        assert ('Internal error occurred: failed calling webhook "noep.skiff.test": failed to call webhook: '
                f'Post "https://empty.{SERVICE_NS}.svc:443/allow?timeout=10s": no endpoints available for service '
                '"empty"') in res.stderr, res.stderr
    finally:
        s.kubectl("delete", "validatingwebhookconfiguration", "no-endpoints")


@pytest.mark.parametrize("policy", ["Ignore", "Fail"])
def test_failure_policy_for_a_webhook_that_is_down(env, policy):
    s, server, ca = env
    ns = f"wh-down-{policy.lower()}"
    namespace(s, ns, {"webhook-test": ns})
    dead = free_port()
    apply(s, configuration("ValidatingWebhookConfiguration", ns,
                           webhook("down.skiff.test", {"url": f"https://127.0.0.1:{dead}/x"}, ca, ns,
                                   failurePolicy=policy)))
    try:
        res = create_pod(s, ns, "p", check=False)
        if policy == "Ignore":
            assert res.returncode == 0, res.stderr
        else:
            assert res.returncode != 0
            assert ('Internal error occurred: failed calling webhook "down.skiff.test": failed to call webhook: '
                    f'Post "https://127.0.0.1:{dead}/x?timeout=10s": dial tcp 127.0.0.1:{dead}: connect: '
                    'connection refused') in res.stderr, res.stderr
    finally:
        s.kubectl("delete", "validatingwebhookconfiguration", ns)


@pytest.mark.parametrize("policy", ["Ignore", "Fail"])
def test_failure_policy_for_a_webhook_that_times_out(env, policy):
    s, server, ca = env
    ns = f"wh-slow-{policy.lower()}"
    namespace(s, ns, {"webhook-test": ns})
    apply(s, configuration("MutatingWebhookConfiguration", ns,
                           webhook("slow.skiff.test", {"url": server.url("/slow")}, ca, ns,
                                   failurePolicy=policy, timeoutSeconds=1)))
    try:
        started = time.time()
        res = create_pod(s, ns, "p", check=False)
        assert time.time() - started < 6  # the webhook takes 8 s; the call gives up after 1 s
        if policy == "Ignore":
            assert res.returncode == 0, res.stderr
        else:
            assert res.returncode != 0
            assert ('failed calling webhook "slow.skiff.test": failed to call webhook: '
                    f'Post "https://127.0.0.1:{server.port}/slow?timeout=1s": context deadline exceeded'
                    in res.stderr), res.stderr
    finally:
        s.kubectl("delete", "mutatingwebhookconfiguration", ns)


def test_object_selector(env):
    s, server, ca = env
    namespace(s, "wh-objsel", {"webhook-test": "objsel"})
    apply(s, configuration("MutatingWebhookConfiguration", "objsel",
                           webhook("objsel.skiff.test", {"url": server.url("/mutate")}, ca, "objsel",
                                   objectSelector={"matchLabels": {"hooked": "yes"}})))
    try:
        create_pod(s, "wh-objsel", "chosen", {"hooked": "yes"})
        create_pod(s, "wh-objsel", "ignored", {"hooked": "no"})
        assert s.kubectl_json("get", "pod", "-n", "wh-objsel", "chosen")["metadata"]["labels"] == {
            "hooked": "yes", "mutated": "yes"}
        assert s.kubectl_json("get", "pod", "-n", "wh-objsel", "ignored")["metadata"]["labels"] == {"hooked": "no"}
    finally:
        s.kubectl("delete", "mutatingwebhookconfiguration", "objsel")


def test_dry_run_is_sent_as_such_and_stores_nothing(env):
    s, server, ca = env
    namespace(s, "wh-dry", {"webhook-test": "dry"})
    apply(s, configuration("MutatingWebhookConfiguration", "dry",
                           webhook("dry.skiff.test", {"url": server.url("/mutate")}, ca, "dry",
                                   sideEffects="NoneOnDryRun")))
    try:
        res = create_pod(s, "wh-dry", "p", None, "--dry-run=server", "-o", "json")
        assert json.loads(res.stdout)["metadata"]["labels"] == {"mutated": "yes"}
        request = server.reviews_for("/mutate")[-1]["request"]
        assert request["dryRun"] is True and request["options"]["dryRun"] == ["All"]
        assert s.kubectl("get", "pod", "-n", "wh-dry", "p", check=False).returncode != 0
    finally:
        s.kubectl("delete", "mutatingwebhookconfiguration", "dry")


def test_invalid_configuration_gets_kubes_messages(env):
    s, _, _ = env
    bad = configuration("ValidatingWebhookConfiguration", "bad", {
        "name": "bad",
        "clientConfig": {"url": "http://127.0.0.1/x?y=1"},
        "rules": [{"operations": ["PATCH"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "sideEffects": "Some",
        "admissionReviewVersions": ["v2"],
        "timeoutSeconds": 31,
    })
    res = s.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert res.returncode != 0
    for message in [
        'webhooks[0].name: Invalid value: "bad": should be a domain with at least three segments separated by dots',
        'webhooks[0].rules[0].operations[0]: Unsupported value: "PATCH": supported values: "*", "CONNECT", '
        '"CREATE", "DELETE", "UPDATE"',
        'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
        'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
        "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; "
        "desired format: https://host[/path]",
        'webhooks[0].clientConfig.url: Invalid value: "y=1": query parameters are not permitted in the URL',
        'webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
    ]:
        assert message in res.stderr, res.stderr
    assert "validatingwebhookconfigurations" in s.kubectl("api-resources", "--api-group=admissionregistration.k8s.io").stdout


def test_connect_requests_go_to_webhooks(env):
    s, server, ca = env
    namespace(s, "wh-connect", {"webhook-test": "connect"})
    create_pod(s, "wh-connect", "target")
    hook = webhook("connect.skiff.test", {"url": server.url("/deny-connect")}, ca, "connect",
                   rules=[{"operations": ["CONNECT"], "apiGroups": [""], "apiVersions": ["v1"],
                           "resources": ["pods/exec", "pods/attach"]}])
    apply(s, configuration("ValidatingWebhookConfiguration", "connect", hook))
    try:
        res = s.kubectl("exec", "-n", "wh-connect", "target", "-c", "c", "--", "echo", "hi", check=False, timeout=60)
        assert res.returncode != 0
        assert 'admission webhook "connect.skiff.test" denied the request: no exec into target' in res.stderr, res.stderr
        request = server.reviews_for("/deny-connect")[-1]["request"]
        assert request["operation"] == "CONNECT" and request["subResource"] == "exec"
        assert request["kind"] == {"group": "", "version": "v1", "kind": "PodExecOptions"}
        assert request["resource"] == {"group": "", "version": "v1", "resource": "pods"}
        assert request["object"]["command"] == ["echo", "hi"] and request["object"]["container"] == "c"
        assert request["name"] == "target" and request["options"] is None
    finally:
        s.kubectl("delete", "validatingwebhookconfiguration", "connect")


def deny_connect(review):
    return answer(review, allowed=False,
                  status={"code": 403, "message": f"no exec into {review['request']['name']}"})


ROUTES["/deny-connect"] = deny_connect


def warn_delete(review):
    request = review["request"]
    return answer(review, warnings=[f"deleting {request['oldObject']['metadata']['name']} by {request['operation']}"])


ROUTES["/warn-delete"] = warn_delete


def test_delete_goes_to_webhooks_and_python_client_reads_configurations(env):
    from kubernetes import client
    s, server, ca = env
    namespace(s, "wh-delete", {"webhook-test": "delete"})
    hook = webhook("delete.skiff.test", {"url": server.url("/warn-delete")}, ca, "delete",
                   rules=[{"operations": ["DELETE"], "apiGroups": [""], "apiVersions": ["v1"],
                           "resources": ["configmaps"], "scope": "Namespaced"}])
    apply(s, configuration("ValidatingWebhookConfiguration", "delete", hook))
    try:
        s.kubectl("create", "configmap", "-n", "wh-delete", "doomed")
        res = s.kubectl("delete", "configmap", "-n", "wh-delete", "doomed")
        assert "Warning: deleting doomed by DELETE" in res.stderr, res.stderr
        request = server.reviews_for("/warn-delete")[-1]["request"]
        assert request["object"] is None and request["options"]["kind"] == "DeleteOptions"
        api = client.AdmissionregistrationV1Api(s.python_client())
        listed = api.list_validating_webhook_configuration().items
        [config] = [c for c in listed if c.metadata.name == "delete"]
        assert config.webhooks[0].name == "delete.skiff.test"
        assert config.webhooks[0].failure_policy == "Fail" and config.webhooks[0].timeout_seconds == 10
        assert config.webhooks[0].rules[0].scope == "Namespaced"
    finally:
        s.kubectl("delete", "validatingwebhookconfiguration", "delete")
