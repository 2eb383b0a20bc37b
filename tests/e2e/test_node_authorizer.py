"""The Node authorizer and NodeRestriction admission end to end: a remote `skiff agent` joins with
the bootstrap token, runs a pod that mounts a Secret, and then its own credential (the
kubelet.kubeconfig in its data dir, CN=system:node:NAME) is used with real kubectl and the Python
client: it may read what its pod uses and write its own Node, but not read other Secrets, delete
a namespace, touch another Node, label itself into restricted label namespaces or create a mirror
pod for another node."""
import os
import shutil
import subprocess

import pytest

from agent_util import JoiningAgent, make_tmp_dir, require_container_host, wait_node_ready
from conftest import SKIFF_BIN, Skiff, wait_for

NODE = "nodeauthz-n1"
NS = "nodeauthz"
PAUSE = "skiff.local/pause:3.10"  # imported by every agent at start: no registry needed


@pytest.fixture(scope="module")
def cluster():
    require_container_host()
    tmp = make_tmp_dir("skiff-nodeauthz-")
    agent_dir = os.path.join(tmp, "agent")
    s = Skiff()
    agent = None
    try:
        s.start()
        agent = JoiningAgent(s, agent_dir, NODE, host_services=False).start()
        try:
            wait_node_ready(s, 120, NODE)
        except AssertionError as e:
            raise AssertionError(f"{e}\nagent log: {agent.log()}") from None
        s.kubectl("create", "namespace", NS)
        s.kubectl("create", "secret", "generic", "used", "-n", NS, "--from-literal=k=mounted")
        s.kubectl("create", "secret", "generic", "unused", "-n", NS, "--from-literal=k=private")
        s.kubectl("apply", "-f", "-", input=f"""
apiVersion: v1
kind: Pod
metadata: {{name: uses-secret, namespace: {NS}}}
spec:
  nodeName: {NODE}
  automountServiceAccountToken: false
  containers:
  - {{name: c, image: {PAUSE}, imagePullPolicy: Never, volumeMounts: [{{name: s, mountPath: /s}}]}}
  volumes:
  - {{name: s, secret: {{secretName: used}}}}
""")
        # The agent fetched the Secret with its own certificate, or the pod would not run.
        try:
            wait_for(lambda: s.kubectl_json("get", "pod", "-n", NS, "uses-secret")["status"].get("phase") == "Running",
                     90, 1, "the pod mounting the secret Running")
        except AssertionError as e:
            raise AssertionError(f"{e}\nagent log: {agent.log()}") from None
        s.kubeconfig_of_node = os.path.join(agent_dir, "kubelet.kubeconfig")
        yield s
    finally:
        if agent:
            agent.stop()
        subprocess.run([SKIFF_BIN, "agent", "reset", "--data-dir", agent_dir], capture_output=True, timeout=120)
        s.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def as_node(s, *args, input=None):
    """kubectl with the agent's own credential; returns the CompletedProcess (not checked)."""
    kubeconfig = s.kubeconfig_of_node
    return s.kubectl("--kubeconfig", kubeconfig, *args, input=input, check=False, env_extra={"KUBECONFIG": kubeconfig})


def assert_forbidden(res, *fragments):
    assert res.returncode != 0, res.stdout
    assert "Forbidden" in res.stderr or "forbidden" in res.stderr, res.stderr
    for f in fragments:
        assert f in res.stderr, res.stderr


def test_the_node_reads_only_the_secrets_its_pods_use(cluster):
    used = as_node(cluster, "get", "secret", "-n", NS, "used", "-o", "jsonpath={.data.k}")
    assert used.returncode == 0, used.stderr
    assert_forbidden(as_node(cluster, "get", "secret", "-n", NS, "unused"),
                     f'User "system:node:{NODE}" cannot get resource "secrets"',
                     f"no relationship found between node '{NODE}' and this object")
    assert_forbidden(as_node(cluster, "get", "secrets", "-n", NS))
    assert_forbidden(as_node(cluster, "get", "secrets", "-A"))


def node_client(s):
    """The Python client's CoreV1Api with the agent's own credential."""
    from kubernetes import client, config
    cfg = client.Configuration()
    config.load_kube_config(config_file=s.kubeconfig_of_node, client_configuration=cfg)
    return client.CoreV1Api(client.ApiClient(cfg))


def test_the_python_client_with_the_node_credential(cluster):
    from kubernetes.client.rest import ApiException
    v1 = node_client(cluster)
    assert v1.read_namespaced_secret("used", NS).data["k"]
    with pytest.raises(ApiException) as e:
        v1.read_namespaced_secret("unused", NS)
    assert e.value.status == 403
    # Its own pods, by the field selector the kubelet uses; every pod only by list/watch, which its
    # NetworkPolicy enforcer needs (skiff:network-policy-node), not by get.
    mine = v1.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={NODE}")
    assert [p.metadata.name for p in mine.items] == ["uses-secret"]
    assert "uses-secret" in [p.metadata.name for p in v1.list_pod_for_all_namespaces().items]


def test_the_node_cannot_delete_a_namespace(cluster):
    assert_forbidden(as_node(cluster, "delete", "namespace", NS, "--wait=false"), 'cannot delete resource "namespaces"')
    assert cluster.kubectl_json("get", "namespace", NS)["status"]["phase"] == "Active"


def test_the_node_writes_its_own_node_only(cluster):
    cluster.kubectl("apply", "-f", "-", input="""
apiVersion: v1
kind: Node
metadata: {name: nodeauthz-other}
""")
    try:
        assert_forbidden(as_node(cluster, "label", "node", "nodeauthz-other", "example.com/x=y"),
                         f'node "{NODE}" is not allowed to modify node "nodeauthz-other"')
        # Status, patched directly as the kubelet does (kubectl would first GET nodes/status,
        # which Kubernetes does not grant nodes either).
        from kubernetes.client.rest import ApiException
        v1 = node_client(cluster)
        body = {"status": {"capacity": {"example.com/dongle": "1"}}}
        with pytest.raises(ApiException) as e:
            v1.patch_node_status("nodeauthz-other", body)
        assert e.value.status == 403 and "is not allowed to modify node" in e.value.body, e.value.body
        patched = v1.patch_node_status(NODE, body)
        assert patched.status.capacity["example.com/dongle"] == "1"
        # Its own Node: labels the kubelet may set.
        ok = as_node(cluster, "label", "node", NODE, "example.com/e2e=yes")
        assert ok.returncode == 0, ok.stderr
        assert_forbidden(as_node(cluster, "label", "node", NODE, "node-restriction.kubernetes.io/pci=yes"),
                         "is not allowed to modify labels: node-restriction.kubernetes.io/pci")
        assert_forbidden(as_node(cluster, "taint", "node", NODE, "example.com/steer=me:NoSchedule"),
                         "is not allowed to modify taints")
    finally:
        cluster.kubectl("delete", "node", "nodeauthz-other", "--wait=false", check=False)


def mirror_pod(name, node):
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {NS}
  annotations: {{kubernetes.io/config.mirror: "mirror"}}
spec:
  nodeName: {node}
  automountServiceAccountToken: false
  containers: [{{name: c, image: {PAUSE}}}]
"""


def test_mirror_pods_only_for_itself(cluster):
    assert_forbidden(as_node(cluster, "create", "-f", "-", input=mirror_pod("mirror-elsewhere", "nodeauthz-n2")),
                     f'node "{NODE}" can only create pods with spec.nodeName set to itself')
    created = as_node(cluster, "create", "-f", "-", input=mirror_pod("mirror-here", NODE))
    assert created.returncode == 0, created.stderr
    # A pod that is not a mirror pod is refused even on itself.
    plain = mirror_pod("plain", NODE).replace('annotations: {kubernetes.io/config.mirror: "mirror"}', "")
    assert_forbidden(as_node(cluster, "create", "-f", "-", input=plain), "can only create mirror pods")
    deleted = as_node(cluster, "delete", "pod", "-n", NS, "mirror-here", "--wait=false")
    assert deleted.returncode == 0, deleted.stderr
