"""Scale to zero with activation on the first request, with real containers: examples/scale-to-zero.yaml
(busybox httpd Deployment + NodePort Service + HPA minReplicas 0 on the Service's requests-per-second)
on `skiff server` with its in-process agent. The HPA takes the idle Deployment to 0 after a short
(test-set) stabilization window; the next connection to the ClusterIP or to the NodePort on 127.0.0.1
is held by the agent's activator, which scales the Deployment to 1 and forwards it once the pod is
ready; 20 concurrent first requests all succeed with one pod started; without a ready pod in time
the activator answers 503. Traffic goes only to loopback and to the Service's ClusterIP."""
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from agent_util import REPO, agent_node, apply, wait_for
from conftest import free_port
from ingress_util import http_request

ACTIVATOR_TIMEOUT = 10  # seconds (--activator-timeout)
METRIC = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/services/hello/requests-per-second"


@pytest.fixture(scope="module")
def node():
    ingress_port = free_port()
    with agent_node("skiff-s0-e2e-", extra_args=["--activator-timeout", str(ACTIVATOR_TIMEOUT),
                                                 "--ingress-http-port", str(ingress_port),
                                                 "--ingress-https-port", "0"]) as s:
        s.ingress_port = ingress_port
        s.kubectl("apply", "-f", os.path.join(REPO, "examples", "scale-to-zero.yaml"))
        # A short window for the test (the example waits 30 s).
        s.kubectl("patch", "hpa", "hello", "--type=merge", "-p",
                  '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":3}}}}')
        yield s


def replicas(s, name="hello"):
    return s.kubectl_json("get", "deployment", name)["spec"].get("replicas", 1)


def live_pods(s, app="hello"):
    return [p for p in s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]
            if not p["metadata"].get("deletionTimestamp")]


def all_pods(s, app="hello"):
    return s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]


def wait_at_zero(s, timeout=120):
    """Until the HPA scaled the Deployment to 0 and its last pod is gone (the rules then activate)."""
    wait_for(lambda: replicas(s) == 0 and not all_pods(s), timeout, 1, "hello at 0 replicas with no pod")
    # The proxy has switched the Service to its activate chain.
    wait_for(lambda: re.search(r"chain activate-\w+-default/hello/", nft_table()), 10, 0.2, "the activate rules")


def nft_table():
    return subprocess.run(["nft", "list", "table", "ip", "skiff-proxy"], capture_output=True, text=True,
                          timeout=20).stdout


def http_get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode().strip()


def service(s, name="hello"):
    return s.kubectl_json("get", "svc", name)


def metric_value(s):
    doc = json.loads(s.kubectl("get", "--raw", METRIC).stdout)
    (item,) = doc["items"]
    assert item["describedObject"]["name"] == "hello" and item["metric"]["name"] == "requests-per-second"
    value = item["value"]
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def test_idle_service_goes_to_zero_and_its_metric_is_served(node):
    s = node
    wait_at_zero(s)
    hpa = s.kubectl_json("get", "hpa", "hello")
    assert hpa["spec"]["minReplicas"] == 0
    assert metric_value(s) == 0
    # discovery and the v1beta1 form of the same metric
    assert "services/requests-per-second" in s.kubectl("get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2").stdout
    v1 = json.loads(s.kubectl("get", "--raw", METRIC.replace("v1beta2", "v1beta1")).stdout)
    assert v1["items"][0]["metricName"] == "requests-per-second"
    # minReplicas 0 without an Object or External metric is refused
    bad = s.kubectl("create", "-f", "-", check=False, input=json.dumps({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "bad"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "hello"},
                 "minReplicas": 0, "maxReplicas": 2,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 50}}}]}}))
    assert bad.returncode != 0 and "must specify at least one Object or External metric" in bad.stderr


def test_first_request_to_cluster_ip_then_node_port_is_served(node):
    s = node
    spec = service(s)["spec"]
    urls = [f"http://{spec['clusterIP']}/", f"http://127.0.0.1:{spec['ports'][0]['nodePort']}/"]
    for url in urls:
        wait_at_zero(s)
        start = time.monotonic()
        status, body = http_get(url)
        took = time.monotonic() - start
        assert status == 200 and body.startswith("hello-"), (url, status, body)
        print(f"cold start through the activator ({url}): {took * 1000:.0f} ms")
        assert replicas(s) == 1
        # Endpoints exist: the activate chain is gone, connections go straight to the pod.
        wait_for(lambda: not re.search(r"chain activate-\w+-default/hello/", nft_table()), 10, 0.2,
                 "the activate rules removed")
        assert http_get(url)[1] == body
        # The connections were counted: the HPA sees demand on the Service.
        assert wait_for(lambda: metric_value(s) > 0, 10, 0.5, "requests-per-second above 0")


def test_first_request_through_the_ingress_is_served(node):
    """The ingress's backend for a Service at zero is the activator (a backup server reached through
    the Service's ClusterIP): the request is held until the pod is ready, not answered 503."""
    s = node
    apply(s, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "hello"},
              "spec": {"rules": [{"host": "hello.test", "http": {"paths": [
                  {"path": "/", "pathType": "Prefix",
                   "backend": {"service": {"name": "hello", "port": {"name": "http"}}}}]}}]}})
    try:
        wait_at_zero(s)
        # The ingress's configuration has the route, with the activator as the backend's backup server.
        cfg = os.path.join(s.agent_dir, "ingress", "haproxy.cfg")
        wait_for(lambda: os.path.exists(cfg) and "hello.test" in open(cfg).read() and " backup" in open(cfg).read(),
                 30, 0.2, "the ingress route for hello.test with its activator")
        start = time.monotonic()
        status, body = http_request(s.ingress_port, "hello.test", timeout=30)
        took = time.monotonic() - start
        assert status == 200 and body.startswith("hello-"), (status, body)
        print(f"cold start through the ingress and the activator: {took * 1000:.0f} ms")
        assert replicas(s) == 1
    finally:
        s.kubectl("delete", "ingress", "hello", "--ignore-not-found")


def test_twenty_concurrent_first_requests_start_one_pod(node):
    s = node
    wait_at_zero(s)
    url = f"http://{service(s)['spec']['clusterIP']}/"
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: http_get(url), range(20)))
    assert all(status == 200 for status, _ in results), results
    bodies = {body for _, body in results}
    assert len(bodies) == 1, bodies  # every one answered by the same (only) pod
    pods = all_pods(s)
    assert len(pods) == 1 and pods[0]["metadata"]["name"] in bodies, [p["metadata"]["name"] for p in pods]
    assert replicas(s) == 1


def test_no_ready_endpoint_in_time_answers_503(node):
    s = node
    # A Deployment at zero whose pod never becomes ready.
    apply(s, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "stuck"},
              "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "stuck"}},
                       "template": {"metadata": {"labels": {"app": "stuck"}}, "spec": {
                           "terminationGracePeriodSeconds": 1,
                           "containers": [{"name": "c", "image": "skiff.local/busybox:1.35",
                                           "command": ["sleep", "3600"],
                                           "readinessProbe": {"exec": {"command": ["false"]},
                                                              "periodSeconds": 1}}]}}}})
    apply(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "stuck"},
              "spec": {"selector": {"app": "stuck"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    apply(s, {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "stuck"},
              "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "stuck"},
                       "minReplicas": 0, "maxReplicas": 1,
                       "metrics": [{"type": "Object", "object": {
                           "describedObject": {"apiVersion": "v1", "kind": "Service", "name": "stuck"},
                           "metric": {"name": "requests-per-second"},
                           "target": {"type": "AverageValue", "averageValue": "1"}}}]}})
    wait_for(lambda: re.search(r"chain activate-\w+-default/stuck/", nft_table()), 30, 0.3,
             "the activate rules of stuck")
    ip = service(s, "stuck")["spec"]["clusterIP"]
    start = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as err:
        http_get(f"http://{ip}/", timeout=ACTIVATOR_TIMEOUT + 20)
    took = time.monotonic() - start
    assert err.value.code == 503
    assert ACTIVATOR_TIMEOUT - 1 <= took <= ACTIVATOR_TIMEOUT + 10, took
    assert replicas(s, "stuck") == 1  # it was activated, but never became ready
    # Not HTTP: the connection is reset instead.
    with socket.create_connection((ip, 80), timeout=ACTIVATOR_TIMEOUT + 20) as c:
        c.sendall(b"\x16\x03\x01hello")
        with pytest.raises(ConnectionResetError):
            c.settimeout(ACTIVATOR_TIMEOUT + 20)
            if c.recv(100) == b"":
                raise AssertionError("closed without a reset")
    for kind, name in (("hpa", "stuck"), ("svc", "stuck"), ("deployment", "stuck")):
        s.kubectl("delete", kind, name, "--wait=false")
