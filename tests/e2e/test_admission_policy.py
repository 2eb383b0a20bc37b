"""ValidatingAdmissionPolicy end to end on a real `skiff server`, driven by the real kubectl and the
Python client: kube's documentation example (Deployments with more than 5 replicas refused in
namespaces labelled environment=test, with kube's message), a policy parameterized by a ConfigMap
(messageExpression, parameterNotFoundAction), the Warn and Audit actions (kubectl warnings, the
audit log), variables and the authorizer library checked against real RBAC, kube's 422 for an
expression that does not compile, `kubectl get` columns, and a validating webhook whose
matchConditions exclude some requests (and what a failing condition does under each failurePolicy).
Policies and bindings reach admission through the watch cache, so checks that depend on a fresh
policy retry until it is seen."""
import json
import os
import shutil
import tempfile

import pytest

from conftest import Skiff, audit_log_events, wait_for
from test_admission_webhooks import WebhookServer, make_certificates

GROUP = "admissionregistration.k8s.io/v1"


@pytest.fixture(scope="module")
def env():
    s = Skiff()
    s.audit_log = os.path.join(s.data_dir, "audit.log")
    s.extra_args += ["--audit-log-path", s.audit_log]
    s.start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def hooks():
    cert_dir = tempfile.mkdtemp(prefix="vap-webhook-certs-")
    ca_bundle = make_certificates(cert_dir)
    server = WebhookServer(cert_dir)
    yield server, ca_bundle
    server.stop()
    shutil.rmtree(cert_dir, ignore_errors=True)


def apply(s, obj):
    return s.kubectl("apply", "-f", "-", input=json.dumps(obj))


def namespace(s, name, labels=None):
    apply(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})


def policy(name, validations, rules=None, **spec):
    rules = rules or [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                       "resources": ["deployments"]}]
    body = {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": rules}, "validations": validations}
    body.update(spec)
    return {"apiVersion": GROUP, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": name}, "spec": body}


def binding(name, policy_name, actions, **spec):
    body = {"policyName": policy_name, "validationActions": actions}
    body.update(spec)
    return {"apiVersion": GROUP, "kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": name}, "spec": body}


def deployment(name, replicas):
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}


def refused(s, *args, input=None, expect=""):
    """Retries the kubectl command until it fails with `expect` in stderr (policies arrive through
    the watch cache); returns stderr."""
    def attempt():
        res = s.kubectl(*args, input=input, check=False)
        if res.returncode == 0:
            # It got through before the policy was seen: undo it so the next try is a create again.
            if args[0] == "create" and "deployment" in args:
                s.kubectl("delete", "deployment", "-n", args[args.index("-n") + 1], args[2], check=False)
            return None
        return res.stderr if expect in res.stderr else None
    return wait_for(attempt, timeout=20, what=f"kubectl {' '.join(args)} refused with {expect!r}")


def delete(s, kind, name):
    s.kubectl("delete", kind, name, "--ignore-not-found")


def test_kube_doc_example_refuses_more_than_five_replicas_in_test_namespaces(env):
    s = env
    namespace(s, "vap-test", {"environment": "test"})
    namespace(s, "vap-prod", {"environment": "prod"})
    apply(s, policy("demo-policy.example.com", [{"expression": "object.spec.replicas <= 5"}]))
    apply(s, binding("demo-binding-test.example.com", "demo-policy.example.com", ["Deny"],
                     matchResources={"namespaceSelector": {"matchLabels": {"environment": "test"}}}))
    try:
        err = refused(s, "create", "deployment", "nginx", "-n", "vap-test", "--image=nginx", "--replicas=6",
                      expect="ValidatingAdmissionPolicy")
        assert ('deployments.apps "nginx" is forbidden: ValidatingAdmissionPolicy \'demo-policy.example.com\' with '
                "binding 'demo-binding-test.example.com' denied request: failed expression: "
                "object.spec.replicas <= 5") in err, err
        # Within the limit, or in a namespace the binding does not select, it is admitted.
        s.kubectl("create", "deployment", "small", "-n", "vap-test", "--image=nginx", "--replicas=5")
        s.kubectl("create", "deployment", "nginx", "-n", "vap-prod", "--image=nginx", "--replicas=6")
        # Updates are validated too; the scale subresource is another resource (deployments/scale),
        # which the policy's rules do not name, as in kube.
        res = s.kubectl("patch", "deployment", "small", "-n", "vap-test", "-p", '{"spec":{"replicas":7}}',
                        check=False)
        assert res.returncode != 0 and "denied request" in res.stderr, res.stderr
        s.kubectl("scale", "deployment", "small", "-n", "vap-test", "--replicas=7")
        # The refusal is a 422 Invalid (no reason given) in the Python client.
        from kubernetes import client
        from kubernetes.client.rest import ApiException
        apps = client.AppsV1Api(s.python_client())
        with pytest.raises(ApiException) as e:
            apps.create_namespaced_deployment("vap-test", deployment("py", 9))
        assert e.value.status == 422
        assert json.loads(e.value.body)["reason"] == "Invalid"
        table = s.kubectl("get", "validatingadmissionpolicies").stdout
        assert "VALIDATIONS" in table and "PARAMKIND" in table and "<unset>" in table, table
        table = s.kubectl("get", "validatingadmissionpolicybindings").stdout
        assert "POLICYNAME" in table and "demo-policy.example.com" in table, table
    finally:
        delete(s, "validatingadmissionpolicybinding", "demo-binding-test.example.com")
        delete(s, "validatingadmissionpolicy", "demo-policy.example.com")


def test_configmap_parameters_and_message_expression(env):
    s = env
    from kubernetes import client
    from kubernetes.client.rest import ApiException
    api = s.python_client()
    v1, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    namespace(s, "vap-params")
    v1.create_namespaced_config_map("vap-params", {"metadata": {"name": "limits"}, "data": {"maxReplicas": "2"}})
    apply(s, policy("max-replicas", [{
        "expression": "object.spec.replicas <= int(params.data.maxReplicas)",
        "messageExpression": "'replicas must be at most ' + params.data.maxReplicas",
        "reason": "Forbidden"}], paramKind={"apiVersion": "v1", "kind": "ConfigMap"}))
    apply(s, binding("max-replicas-params", "max-replicas", ["Deny"],
                     paramRef={"name": "limits", "parameterNotFoundAction": "Deny"},
                     matchResources={"namespaceSelector": {"matchLabels": {
                         "kubernetes.io/metadata.name": "vap-params"}}}))
    try:
        def denied():
            try:
                apps.create_namespaced_deployment("vap-params", deployment("three", 3))
            except ApiException as e:
                return e
            apps.delete_namespaced_deployment("three", "vap-params")
            return None
        e = wait_for(denied, timeout=20, what="the parameterized policy to refuse")
        assert e.status == 403
        assert ("ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-params' denied request: "
                "replicas must be at most 2") in json.loads(e.body)["message"]
        # A new parameter value applies to the next request.
        v1.patch_namespaced_config_map("limits", "vap-params", {"data": {"maxReplicas": "5"}})
        wait_for(lambda: denied() is None, timeout=20, what="the raised limit to admit 3 replicas")
        # Without the parameter object, parameterNotFoundAction Deny refuses.
        v1.delete_namespaced_config_map("limits", "vap-params")

        def missing():
            e = denied()
            return e if e is not None and "no params found" in json.loads(e.body)["message"] else None
        e = wait_for(missing, timeout=20, what="a refusal for the missing parameter")
        assert "parameterNotFoundAction" in json.loads(e.body)["message"]
    finally:
        delete(s, "validatingadmissionpolicybinding", "max-replicas-params")
        delete(s, "validatingadmissionpolicy", "max-replicas")


def audit_annotations(s, verb, resource, name, ns):
    def look():
        for e in audit_log_events(s.audit_log):
            ref = e.get("objectRef", {})
            if (e["stage"] == "ResponseComplete" and e["verb"] == verb and ref.get("resource") == resource
                    and ref.get("name") == name and ref.get("namespace") == ns):
                return e.get("annotations") or {}
        return None
    return wait_for(look, what=f"audit event of {verb} {resource}/{name}")


def test_warn_and_audit_actions_admit_with_a_warning(env):
    s = env
    namespace(s, "vap-warn")
    apply(s, policy("needs-owner", [{"expression": "has(object.metadata.labels) && 'owner' in object.metadata.labels",
                                     "message": "deployments need an owner label"}],
                    auditAnnotations=[{"key": "replicas", "valueExpression": "string(object.spec.replicas)"}]))
    apply(s, binding("needs-owner-warn", "needs-owner", ["Warn", "Audit"],
                     matchResources={"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vap-warn"}}}))
    try:
        def warned():
            res = s.kubectl("create", "deployment", "w", "-n", "vap-warn", "--image=nginx")
            if "Validation failed" in res.stderr:
                return res.stderr
            s.kubectl("delete", "deployment", "-n", "vap-warn", "w")
            return None
        err = wait_for(warned, timeout=20, what="a policy warning")
        assert ("Warning: Validation failed for ValidatingAdmissionPolicy 'needs-owner' with binding "
                "'needs-owner-warn': deployments need an owner label") in err, err
        assert s.kubectl("get", "deployment", "-n", "vap-warn", "w", check=False).returncode == 0
        annotations = audit_annotations(s, "create", "deployments", "w", "vap-warn")
        failures = json.loads(annotations["validation.policy.admission.k8s.io/validation_failure"])
        assert failures == [{"message": "deployments need an owner label", "policy": "needs-owner",
                             "binding": "needs-owner-warn", "expressionIndex": 0,
                             "validationActions": ["Warn", "Audit"]}]
        assert annotations["needs-owner/replicas"] == "1"
        # A compliant object gets no warning.
        res = s.kubectl("create", "-n", "vap-warn", "-f", "-",
                        input=json.dumps(dict(deployment("owned", 1), metadata={
                            "name": "owned", "labels": {"app": "owned", "owner": "me"}})))
        assert "Validation failed" not in res.stderr, res.stderr
    finally:
        delete(s, "validatingadmissionpolicybinding", "needs-owner-warn")
        delete(s, "validatingadmissionpolicy", "needs-owner")


def test_variables_and_the_authorizer_library_ask_rbac(env):
    """ConfigMaps naming a runner ServiceAccount are admitted only when RBAC lets it read secrets."""
    s = env
    namespace(s, "vap-authz")
    s.kubectl("create", "serviceaccount", "-n", "vap-authz", "runner")
    rules = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"]}]
    apply(s, policy("runner-reads-secrets", [{
        "expression": "!variables.hasRunner || variables.runnerMayRead",
        "messageExpression": "'runner ' + variables.runner + ' may not read secrets'"}], rules=rules, variables=[
        {"name": "hasRunner", "expression": "has(object.metadata.labels) && 'runner' in object.metadata.labels"},
        {"name": "runner", "expression": "variables.hasRunner ? object.metadata.labels.runner : ''"},
        {"name": "runnerMayRead", "expression":
            "authorizer.serviceAccount(object.metadata.namespace, variables.runner).group('').resource('secrets')"
            ".namespace(object.metadata.namespace).check('get').allowed()"}]))
    apply(s, binding("runner-reads-secrets", "runner-reads-secrets", ["Deny"],
                     matchResources={"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vap-authz"}}}))
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "job", "labels": {"runner": "runner"}}}
    try:
        err = refused(s, "create", "-n", "vap-authz", "-f", "-", input=json.dumps(cm), expect="may not read secrets")
        assert "runner runner may not read secrets" in err, err
        s.kubectl("create", "configmap", "-n", "vap-authz", "plain")  # no runner: hasRunner short-circuits
        s.kubectl("create", "role", "-n", "vap-authz", "secret-reader", "--verb=get", "--resource=secrets")
        s.kubectl("create", "rolebinding", "-n", "vap-authz", "runner-reads", "--role=secret-reader",
                  "--serviceaccount=vap-authz:runner")
        wait_for(lambda: s.kubectl("create", "-n", "vap-authz", "-f", "-", input=json.dumps(cm),
                                   check=False).returncode == 0,
                 timeout=20, what="the RoleBinding to let the runner's ConfigMap in")
    finally:
        delete(s, "validatingadmissionpolicybinding", "runner-reads-secrets")
        delete(s, "validatingadmissionpolicy", "runner-reads-secrets")


def test_bad_policies_and_bindings_get_kube_422s(env):
    s = env
    res = s.kubectl("apply", "-f", "-", check=False,
                    input=json.dumps(policy("broken", [{"expression": "object.spec.replicas <="}])))
    assert res.returncode != 0
    assert 'The ValidatingAdmissionPolicy "broken" is invalid' in res.stderr, res.stderr
    assert "spec.validations[0].expression: Invalid value: \"object.spec.replicas <=\": compilation failed" in res.stderr
    res = s.kubectl("apply", "-f", "-", check=False,
                    input=json.dumps(policy("undeclared", [{"expression": "foo.bar > 1"}])))
    assert "undeclared reference to 'foo'" in res.stderr, res.stderr
    res = s.kubectl("apply", "-f", "-", check=False, input=json.dumps(binding("both", "p", ["Deny", "Warn"])))
    assert "must not contain both Deny and Warn" in res.stderr, res.stderr
    res = s.kubectl("apply", "-f", "-", check=False, input=json.dumps(binding("none", "", [])))
    assert "spec.policyName: Required value" in res.stderr, res.stderr
    assert "spec.validationActions: Required value" in res.stderr, res.stderr
    res = s.kubectl("apply", "-f", "-", check=False, input=json.dumps(
        {"apiVersion": GROUP, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": "empty"}, "spec": {}}))
    assert "spec.matchConstraints: Required value" in res.stderr, res.stderr
    assert "validations or auditAnnotations must contain at least one item" in res.stderr, res.stderr


def webhook_config(name, ca_bundle, url, conditions, failure_policy="Fail"):
    return {"apiVersion": GROUP, "kind": "ValidatingWebhookConfiguration", "metadata": {"name": name},
            "webhooks": [{
                "name": f"{name}.skiff.test",
                "clientConfig": {"url": url, "caBundle": ca_bundle},
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vap-hooks"}},
                "sideEffects": "None", "admissionReviewVersions": ["v1"], "failurePolicy": failure_policy,
                "matchConditions": conditions}]}


def pod(name, labels):
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                       "spec": {"containers": [{"name": "c", "image": "busybox"}]}})


def test_webhook_match_conditions_exclude_requests(env, hooks):
    s = env
    server, ca = hooks
    namespace(s, "vap-hooks")
    conditions = [{"name": "not-excluded", "expression": "object.metadata.name != 'excluded'"},
                  {"name": "not-admin-dry-run", "expression": "!request.dryRun"}]
    apply(s, webhook_config("deny-mc", ca, server.url("/deny"), conditions))
    try:
        err = refused(s, "create", "-n", "vap-hooks", "-f", "-", input=pod("included", {"deny": "yes"}),
                      expect="denied the request")
        assert 'admission webhook "deny-mc.skiff.test" denied the request' in err, err
        called = len(server.reviews_for("/deny"))
        # The excluded pod never reaches the webhook, which would have refused it.
        s.kubectl("create", "-n", "vap-hooks", "-f", "-", input=pod("excluded", {"deny": "yes"}))
        assert len(server.reviews_for("/deny")) == called
        # A condition that cannot be evaluated (no such key) fails the request under Fail...
        apply(s, webhook_config("deny-mc", ca, server.url("/deny"),
                                [{"name": "broken", "expression": "object.metadata.labels.missing == 'x'"}]))
        err = refused(s, "create", "-n", "vap-hooks", "-f", "-", input=pod("p1", {}), expect="match conditions")
        assert 'failed calling webhook "deny-mc.skiff.test"' in err and "matchCondition 'broken'" in err, err
        # ...and skips the webhook under Ignore.
        apply(s, webhook_config("deny-mc", ca, server.url("/deny"),
                                [{"name": "broken", "expression": "object.metadata.labels.missing == 'x'"}],
                                failure_policy="Ignore"))
        wait_for(lambda: s.kubectl("create", "-n", "vap-hooks", "-f", "-", input=pod("p2", {"deny": "yes"}),
                                   check=False).returncode == 0,
                 timeout=20, what="the Ignore webhook to be skipped")
        # A condition that does not compile is refused when the configuration is written.
        res = s.kubectl("apply", "-f", "-", check=False, input=json.dumps(webhook_config(
            "deny-mc", ca, server.url("/deny"), [{"name": "bad", "expression": "object.metadata.name =="}])))
        assert res.returncode != 0
        assert "webhooks[0].matchConditions[0].expression: Invalid value" in res.stderr, res.stderr
    finally:
        delete(s, "validatingwebhookconfiguration", "deny-mc")
