"""Pod Security admission end to end: namespaces labelled pod-security.kubernetes.io/<mode>=<level>
against a real `skiff server` (controllers on, no nodes needed), driven by the real kubectl and
the Python client. A restricted namespace refuses a privileged pod with Kubernetes' message; a
baseline namespace admits a pod that only restricted forbids; warn mode prints kubectl's
"Warning: would violate PodSecurity" line and admits; a Deployment in an enforce=restricted
namespace is admitted with a warning while its ReplicaSet's pods are refused (FailedCreate);
labelling a namespace warns about the existing pods it would refuse; bad label values get 422;
--pod-security-config sets the cluster defaults and exemptions."""
import json
import os
import subprocess
import tempfile

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from conftest import SKIFF_BIN, Skiff, wait_for

PRIVILEGED_POD = """
apiVersion: v1
kind: Pod
metadata: {name: priv}
spec:
  containers:
  - name: c
    image: busybox
    securityContext: {privileged: true}
"""

# Conforms to baseline, violates restricted.
PLAIN_POD = """
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers:
  - name: c
    image: busybox
"""

PLAIN_DETAILS = (
    'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
    'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox
"""


def namespace(s, name, **labels):
    s.kubectl("create", "namespace", name)
    if labels:
        s.kubectl("label", "namespace", name, *[f"pod-security.kubernetes.io/{k.replace('_', '-')}={v}"
                                               for k, v in labels.items()])


def test_restricted_namespace_refuses_a_privileged_pod(shared_skiff):
    s = shared_skiff
    namespace(s, "psa-restricted", enforce="restricted")
    res = s.kubectl("apply", "-n", "psa-restricted", "-f", "-", input=PRIVILEGED_POD, check=False)
    assert res.returncode != 0
    assert ('Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: '
            'violates PodSecurity "restricted:latest": '
            'privileged (container "c" must not set securityContext.privileged=true), ' + PLAIN_DETAILS) in res.stderr
    assert s.kubectl("get", "pod", "priv", "-n", "psa-restricted", check=False).returncode != 0

    # The Python client sees the same 403 Status.
    api = client.CoreV1Api(s.python_client())
    body = {"metadata": {"name": "priv2"},
            "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]}}
    with pytest.raises(ApiException) as err:
        api.create_namespaced_pod("psa-restricted", body)
    assert err.value.status == 403
    status = json.loads(err.value.body)
    assert status["reason"] == "Forbidden"
    assert status["details"] == {"name": "priv2", "kind": "pods"}
    assert status["message"].startswith('pods "priv2" is forbidden: violates PodSecurity "restricted:latest": privileged')

    # A pod that meets the restricted standard is admitted.
    good = {"metadata": {"name": "good"},
            "spec": {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "c", "image": "busybox", "securityContext": {
                         "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}}
    api.create_namespaced_pod("psa-restricted", good)


def test_baseline_namespace_admits_what_only_restricted_forbids(shared_skiff):
    s = shared_skiff
    namespace(s, "psa-baseline", enforce="baseline", enforce_version="v1.32")
    res = s.kubectl("apply", "-n", "psa-baseline", "-f", "-", input=PLAIN_POD)
    assert "Warning" not in res.stderr
    assert s.kubectl_json("get", "pod", "plain", "-n", "psa-baseline")["metadata"]["name"] == "plain"
    res = s.kubectl("apply", "-n", "psa-baseline", "-f", "-", input=PRIVILEGED_POD, check=False)
    assert res.returncode != 0
    assert ('pods "priv" is forbidden: violates PodSecurity "baseline:v1.32": '
            'privileged (container "c" must not set securityContext.privileged=true)') in res.stderr


def test_warn_mode_prints_the_warning_and_admits(shared_skiff):
    s = shared_skiff
    namespace(s, "psa-warn", warn="restricted")
    res = s.kubectl("apply", "-n", "psa-warn", "-f", "-", input=PLAIN_POD)
    assert 'Warning: would violate PodSecurity "restricted:latest": ' + PLAIN_DETAILS in res.stderr
    assert "pod/plain created" in res.stdout
    s.kubectl("get", "pod", "plain", "-n", "psa-warn")


def test_deployment_is_warned_about_and_its_pods_refused(shared_skiff):
    s = shared_skiff
    namespace(s, "psa-deploy", enforce="restricted")
    res = s.kubectl("apply", "-n", "psa-deploy", "-f", "-", input=DEPLOYMENT)
    assert "deployment.apps/web created" in res.stdout
    assert 'Warning: would violate PodSecurity "restricted:latest": ' + PLAIN_DETAILS in res.stderr

    def failed_create():
        events = s.kubectl_json("get", "events", "-n", "psa-deploy")["items"]
        return [e for e in events if e.get("reason") == "FailedCreate"
                and e["involvedObject"]["kind"] == "ReplicaSet"]

    events = wait_for(failed_create, what="a FailedCreate event of the ReplicaSet")
    message = events[0]["message"]
    assert message.startswith('Error creating: pods "web-'), message
    assert ('is forbidden: violates PodSecurity "restricted:latest": ' + PLAIN_DETAILS) in message
    assert s.kubectl_json("get", "pods", "-n", "psa-deploy")["items"] == []
    rs = s.kubectl_json("get", "replicasets", "-n", "psa-deploy")["items"]
    assert len(rs) == 1 and rs[0]["spec"]["replicas"] == 2


def test_labelling_a_namespace_warns_about_existing_pods(shared_skiff):
    s = shared_skiff
    namespace(s, "psa-relabel")
    s.kubectl("apply", "-n", "psa-relabel", "-f", "-", input=PRIVILEGED_POD)
    s.kubectl("apply", "-n", "psa-relabel", "-f", "-", input=PLAIN_POD)
    res = s.kubectl("label", "namespace", "psa-relabel", "pod-security.kubernetes.io/enforce=baseline")
    assert "namespace/psa-relabel labeled" in res.stdout
    assert ('Warning: existing pods in namespace "psa-relabel" violate the new PodSecurity enforce level '
            '"baseline:latest"') in res.stderr
    assert "Warning: priv: privileged" in res.stderr
    assert "plain" not in res.stderr
    labels = s.kubectl_json("get", "namespace", "psa-relabel")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    # The existing pods stay; only new ones are refused.
    assert len(s.kubectl_json("get", "pods", "-n", "psa-relabel")["items"]) == 2

    res = s.kubectl("label", "--overwrite", "namespace", "psa-relabel",
                    "pod-security.kubernetes.io/enforce=restricted")
    assert "Warning: plain: allowPrivilegeEscalation != false, unrestricted capabilities" in res.stderr
    assert "Warning: priv: privileged, allowPrivilegeEscalation != false" in res.stderr


def test_invalid_levels_are_refused(shared_skiff):
    s = shared_skiff
    namespace(s, "psa-invalid")
    res = s.kubectl("label", "namespace", "psa-invalid", "pod-security.kubernetes.io/enforce=strict", check=False)
    assert res.returncode != 0
    assert ('metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": '
            'must be one of privileged, baseline, restricted') in res.stderr
    api = client.CoreV1Api(s.python_client())
    with pytest.raises(ApiException) as err:
        api.patch_namespace("psa-invalid", {"metadata": {"labels": {"pod-security.kubernetes.io/warn-version": "1.30"}}})
    assert err.value.status == 422
    status = json.loads(err.value.body)
    assert status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "metadata.labels[pod-security.kubernetes.io/warn-version]"
    with pytest.raises(ApiException) as err:
        api.create_namespace({"metadata": {"name": "psa-invalid2", "labels": {"pod-security.kubernetes.io/audit": "x"}}})
    assert err.value.status == 422
    assert "pod-security.kubernetes.io/enforce" not in s.kubectl_json("get", "namespace", "psa-invalid")["metadata"].get("labels", {})


CONFIG = """
apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
exemptions:
  namespaces: [psa-exempt]
"""


def test_config_file_sets_defaults_and_exemptions():
    with tempfile.TemporaryDirectory(prefix="psa-config-") as tmp:
        path = os.path.join(tmp, "psa.yaml")
        with open(path, "w") as f:
            f.write(CONFIG)
        s = Skiff(extra_args=["--pod-security-config", path, "--disable-controllers"]).start()
        try:
            s.kubectl("create", "namespace", "psa-default")
            res = s.kubectl("apply", "-n", "psa-default", "-f", "-", input=PRIVILEGED_POD, check=False)
            assert 'pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged' in res.stderr
            # A label still overrides the default.
            s.kubectl("label", "namespace", "psa-default", "pod-security.kubernetes.io/enforce=privileged")
            s.kubectl("apply", "-n", "psa-default", "-f", "-", input=PRIVILEGED_POD)
            s.kubectl("create", "namespace", "psa-exempt")
            res = s.kubectl("label", "namespace", "psa-exempt", "pod-security.kubernetes.io/enforce=restricted")
            assert ('Warning: namespace "psa-exempt" is exempt from Pod Security, and the policy '
                    '(enforce=restricted:latest) will be ignored') in res.stderr
            s.kubectl("apply", "-n", "psa-exempt", "-f", "-", input=PRIVILEGED_POD)
        finally:
            s.cleanup()

        with open(path, "w") as f:
            f.write(CONFIG.replace("enforce: baseline", "enforce: strict"))
        data_dir = tempfile.mkdtemp(prefix="skiff-e2e-", dir=tmp)
        res = subprocess.run([SKIFF_BIN, "server", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
                              "--disable-agent", "--disable-controllers", "--pod-security-config", path],
                             capture_output=True, text=True, timeout=30)
        assert res.returncode != 0
        assert "defaults.enforce: must be one of privileged, baseline, restricted" in res.stdout + res.stderr
