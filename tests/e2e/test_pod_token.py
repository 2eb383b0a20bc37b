"""End to end with real containers: ServiceAccount tokens inside pods. `skiff server` (listening on
127.0.0.1 only) with its in-process agent runs a busybox pod under a ServiceAccount that a
RoleBinding allows to list pods. From inside the pod (kubectl exec): the kube-api-access volume
holds a token bound to the pod (written atomically: ..data symlink), KUBERNETES_SERVICE_* and the
Docker link variables are set, and $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT accepts a TCP
connection (the service proxy DNATs the kubernetes ClusterIP to the loopback listener).
busybox's own TLS client cannot talk to OpenSSL 3 servers (its ClientHello has no
signature_algorithms, which leaves only SHA-1 signatures), so the HTTPS calls run in the pod's
network namespace (nsenter) with Python, using the token, ca.crt and service variables read from
inside the pod, verifying the server as $KUBERNETES_SERVICE_HOST: the token lists pods of its
namespace but gets 403 on secrets and on another namespace. After the pod is deleted the token gets
401. A pod with automountServiceAccountToken: false gets no volume and no token."""
import base64
import json
import os
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request

import pytest

from agent_util import agent_node, apply, busybox_pod, ctr, running_ready, wait_for, wait_pod

NS = "podtoken-a"
OTHER_NS = "podtoken-b"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
KUBERNETES_IP = "10.43.0.1"  # the first address of the default service CIDR


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-podtoken-e2e-") as s:
        for ns in (NS, OTHER_NS):
            s.kubectl("create", "namespace", ns)
        s.kubectl("-n", NS, "create", "serviceaccount", "reader")
        s.kubectl("-n", NS, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
        s.kubectl("-n", NS, "create", "rolebinding", "reader-pods", "--role=pod-reader",
                  f"--serviceaccount={NS}:reader")
        yield s


def exec_in(s, pod, script, ns=NS, check=True):
    return s.kubectl("exec", "-n", ns, pod, "--", "sh", "-c", script, check=check, timeout=60)


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def api_status(s, token, path):
    """HTTP status of GET `path` on the API server with `token` (from the test, over loopback)."""
    ctx = ssl.create_default_context(cafile=os.path.join(s.data_dir, "pki", "ca.crt"))
    req = urllib.request.Request(s.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


# Runs in the pod's network namespace: GET argv[2] at https://argv[1] with the bearer token on
# stdin, verifying the server certificate with the CA file argv[3]; prints the HTTP status.
IN_POD_GET = """
import ssl, sys, urllib.error, urllib.request
req = urllib.request.Request("https://" + sys.argv[1] + sys.argv[2],
                             headers={"Authorization": "Bearer " + sys.stdin.read().strip()})
ctx = ssl.create_default_context(cafile=sys.argv[3])
try:
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
"""


def container_pid(s, pod):
    """The host PID of the pod's (first) container task."""
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    tasks = ctr(s.agent_dir, "task", "ls")
    for line in tasks.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == container_id:
            return int(fields[1])
    raise AssertionError(f"no task {container_id}: {tasks.stdout}{tasks.stderr}")


def get_in_pod_netns(pid, address, path, token, ca_file):
    res = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "/usr/bin/python3", "-c", IN_POD_GET,
                          address, path, ca_file], input=token, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return int(res.stdout.strip())


def start_pod(s, name, **spec):
    pod = busybox_pod(name, "sleep 3600", **spec)
    pod["metadata"]["namespace"] = NS
    apply(s, pod)
    return wait_pod(s, name, running_ready, 90, "Running and Ready", ns=NS)


def test_pod_token_reaches_the_api_with_its_roles_and_dies_with_the_pod(node):
    s = node
    pod = start_pod(s, "tokenpod", serviceAccountName="reader")
    volumes = [v["name"] for v in pod["spec"]["volumes"]]
    assert any(v.startswith("kube-api-access-") for v in volumes), volumes

    token = exec_in(s, "tokenpod", f"cat {SA_DIR}/token").stdout.strip()
    assert token, "the mounted token file is empty"
    claims = jwt_claims(token)
    assert claims["sub"] == f"system:serviceaccount:{NS}:reader"
    assert claims["kubernetes.io"]["pod"] == {"name": "tokenpod", "uid": pod["metadata"]["uid"]}
    assert claims["kubernetes.io"]["node"]["name"] == s.node["metadata"]["name"]
    assert exec_in(s, "tokenpod", f"cat {SA_DIR}/namespace").stdout == NS
    ca = exec_in(s, "tokenpod", f"cat {SA_DIR}/ca.crt").stdout
    assert "BEGIN CERTIFICATE" in ca
    # The atomic writer's layout: files are links into the ..data directory swapped as a whole.
    listing = exec_in(s, "tokenpod", f"ls -la {SA_DIR}").stdout
    assert "..data ->" in listing and "token -> ..data/token" in listing, listing

    env_lines = exec_in(s, "tokenpod", "env").stdout.splitlines()
    env = dict(line.split("=", 1) for line in env_lines if "=" in line)
    assert env["KUBERNETES_SERVICE_HOST"] == KUBERNETES_IP
    assert env["KUBERNETES_SERVICE_PORT"] == "443"
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert env["KUBERNETES_PORT"] == f"tcp://{KUBERNETES_IP}:443"
    assert env["KUBERNETES_PORT_443_TCP_ADDR"] == KUBERNETES_IP

    # From inside the pod, the kubernetes Service's address reaches the loopback-only server.
    connect = exec_in(s, "tokenpod",
                      'nc -w 5 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT" -e true && echo connected',
                      check=False)
    assert connect.stdout.strip() == "connected", connect

    # HTTPS from the pod's network namespace with what the pod has: token, ca.crt, service address.
    pid = container_pid(s, pod)
    address = f"{env['KUBERNETES_SERVICE_HOST']}:{env['KUBERNETES_SERVICE_PORT']}"
    with tempfile.NamedTemporaryFile("w", suffix=".crt") as ca_file:
        ca_file.write(ca)
        ca_file.flush()
        def status(path):
            return get_in_pod_netns(pid, address, path, token, ca_file.name)
        assert status(f"/api/v1/namespaces/{NS}/pods") == 200
        assert status(f"/api/v1/namespaces/{NS}/secrets") == 403
        assert status(f"/api/v1/namespaces/{OTHER_NS}/pods") == 403

    # The same token from outside, then after the pod is gone.
    assert api_status(s, token, f"/api/v1/namespaces/{NS}/pods") == 200
    assert api_status(s, token, f"/api/v1/namespaces/{NS}/secrets") == 403
    s.kubectl("-n", NS, "delete", "pod", "tokenpod", "--wait=true", timeout=90)
    wait_for(lambda: api_status(s, token, f"/api/v1/namespaces/{NS}/pods") == 401, 90, 1,
             "the deleted pod's token to be rejected")


def test_no_automount_means_no_volume_and_no_token(node):
    s = node
    pod = start_pod(s, "notoken", serviceAccountName="reader", automountServiceAccountToken=False)
    assert not any(v["name"].startswith("kube-api-access-") for v in pod["spec"].get("volumes", []))
    missing = exec_in(s, "notoken", f"ls {SA_DIR}", check=False)
    assert missing.returncode != 0, missing.stdout
    # Nothing projected on the node either: the agent had no token to ask for.
    volumes_dir = os.path.join(s.agent_dir, "pods", pod["metadata"]["uid"], "volumes")
    assert not os.path.exists(os.path.join(volumes_dir, "kubernetes.io~projected"))
    # The service variables do not depend on the token.
    assert f"KUBERNETES_SERVICE_HOST={KUBERNETES_IP}" in exec_in(s, "notoken", "env").stdout
    s.kubectl("-n", NS, "delete", "pod", "notoken", "--wait=false")
