"""End to end: the HPA controller on External and Object metrics served by an extension API server
written here (HTTPS on 127.0.0.1) for external.metrics.k8s.io/v1beta1 and custom.metrics.k8s.io/v1beta2,
registered with APIServices, as a Prometheus adapter would be. skiff proxies the controller's reads
(as the horizontal-pod-autoscaler ServiceAccount, which RBAC allows) and the HPA scales a custom
resource through its scale subresource; `kubectl get hpa` shows both targets. No node is needed."""
import subprocess
import tempfile

import pytest

from conftest import Skiff, wait_for
from test_aggregation import apply, condition
from tls_test_server import HttpsTestServer, JsonRequestHandler, ca_bundle, expose_on_loopback, make_serving_pki

NS = "hpa-metrics"
GROUP = "hpa.example.com"
HPA_USER = "system:serviceaccount:kube-system:horizontal-pod-autoscaler"


class MetricsAdapter:
    """Answers the external metric queue_length{queue=jobs} = 30 and the object metric
    requests_per_second of pools/pool = 150; records who asked."""

    def __init__(self, dir, requestheader_ca):
        self.ca_crt, crt, key = make_serving_pki(dir, [f"DNS:adapter.{NS}.svc"], "adapter-test-ca")
        self.users = []
        adapter = self

        class Handler(JsonRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path, _, query = self.path.partition("?")
                adapter.users.append(self.headers.get("X-Remote-User"))
                now = "2026-01-01T00:00:00Z"
                if path == "/apis/external.metrics.k8s.io/v1beta1":
                    return self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                                "groupVersion": "external.metrics.k8s.io/v1beta1",
                                                "resources": []})
                if path == "/apis/custom.metrics.k8s.io/v1beta2":
                    return self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                                "groupVersion": "custom.metrics.k8s.io/v1beta2",
                                                "resources": []})
                if path == f"/apis/external.metrics.k8s.io/v1beta1/namespaces/{NS}/queue_length":
                    assert "labelSelector=queue%3Djobs" in query, query
                    return self.send_json(200, {"kind": "ExternalMetricValueList",
                                                "apiVersion": "external.metrics.k8s.io/v1beta1", "metadata": {},
                                                "items": [{"metricName": "queue_length",
                                                           "metricLabels": {"queue": "jobs"},
                                                           "timestamp": now, "value": "30"}]})
                if path == (f"/apis/custom.metrics.k8s.io/v1beta2/namespaces/{NS}/pools.{GROUP}/pool/"
                            "requests_per_second"):
                    return self.send_json(200, {"kind": "MetricValueList",
                                                "apiVersion": "custom.metrics.k8s.io/v1beta2", "metadata": {},
                                                "items": [{"describedObject": {"kind": "Pool", "namespace": NS,
                                                                               "name": "pool",
                                                                               "apiVersion": f"{GROUP}/v1"},
                                                           "metric": {"name": "requests_per_second"},
                                                           "timestamp": now, "value": "150"}]})
                self.send_not_found()

        # Only the API server's front proxy (a client certificate of the requestheader CA) may ask.
        self.server = HttpsTestServer(crt, key, Handler, client_ca=requestheader_ca)
        self.port = self.server.port

    def stop(self):
        self.server.stop()


@pytest.fixture(scope="module")
def cluster():
    s = Skiff().start()
    workdir = tempfile.mkdtemp(prefix="skiff-hpa-metrics-")
    adapter = None
    try:
        cm = s.kubectl_json("get", "configmap", "-n", "kube-system", "extension-apiserver-authentication")
        adapter = MetricsAdapter(workdir, cm["data"]["requestheader-client-ca-file"])
        s.kubectl("create", "namespace", NS)
        expose_on_loopback(lambda obj: apply(s, obj), NS, "adapter", 443, adapter.port)
        ca = ca_bundle(adapter.ca_crt)
        for group, version in (("external.metrics.k8s.io", "v1beta1"), ("custom.metrics.k8s.io", "v1beta2")):
            apply(s, {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                      "metadata": {"name": f"{version}.{group}"},
                      "spec": {"group": group, "version": version, "groupPriorityMinimum": 100,
                               "versionPriority": 100, "caBundle": ca,
                               "service": {"namespace": NS, "name": "adapter", "port": 443}}})
            wait_for(lambda: (condition(s, f"{version}.{group}") or {}).get("status") == "True", timeout=30,
                     what=f"the {group} APIService to become available")
        yield s, adapter
    finally:
        if adapter:
            adapter.stop()
        subprocess.run(["rm", "-rf", workdir])
        s.cleanup()


def test_external_and_object_metrics_scale_a_custom_resource(cluster):
    s, adapter = cluster
    schema = {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"replicas": {"type": "integer"}, "selector": {"type": "string"}}},
        "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}
    apply(s, {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
              "metadata": {"name": f"pools.{GROUP}"},
              "spec": {"group": GROUP, "scope": "Namespaced",
                       "names": {"plural": "pools", "singular": "pool", "kind": "Pool"},
                       "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema,
                                     "subresources": {"status": {}, "scale": {
                                         "specReplicasPath": ".spec.replicas",
                                         "statusReplicasPath": ".status.replicas",
                                         "labelSelectorPath": ".spec.selector"}}}]}})
    wait_for(lambda: s.kubectl("get", "pools", "-n", NS, check=False).returncode == 0, 30, what="CRD served")
    apply(s, {"apiVersion": f"{GROUP}/v1", "kind": "Pool", "metadata": {"name": "pool", "namespace": NS},
              "spec": {"replicas": 1, "selector": "app=pool"}})
    s.kubectl("patch", "pool", "pool", "-n", NS, "--subresource=status", "--type=merge", "-p",
              '{"status":{"replicas":1}}')
    apply(s, {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
              "metadata": {"name": "pool", "namespace": NS},
              "spec": {"scaleTargetRef": {"apiVersion": f"{GROUP}/v1", "kind": "Pool", "name": "pool"},
                       "minReplicas": 1, "maxReplicas": 5,
                       "metrics": [
                           {"type": "External", "external": {
                               "metric": {"name": "queue_length", "selector": {"matchLabels": {"queue": "jobs"}}},
                               "target": {"type": "AverageValue", "averageValue": "10"}}},
                           {"type": "Object", "object": {
                               "describedObject": {"apiVersion": f"{GROUP}/v1", "kind": "Pool", "name": "pool"},
                               "metric": {"name": "requests_per_second"},
                               "target": {"type": "Value", "value": "100"}}}]}})
    # 30 queued at 10 per replica: 3.
    wait_for(lambda: s.kubectl_json("get", "pool", "pool", "-n", NS)["spec"]["replicas"] == 3, 40, interval=1,
             what="the Pool scaled on the external metric")
    hpa = s.kubectl_json("get", "hpa.v2.autoscaling", "pool", "-n", NS)
    external, obj = hpa["status"]["currentMetrics"]
    assert external["type"] == "External" and external["external"]["current"]["averageValue"] == "30", external
    assert obj["type"] == "Object" and obj["object"]["current"]["value"] == "150", obj
    active = next(c for c in hpa["status"]["conditions"] if c["type"] == "ScalingActive")
    assert active["status"] == "True" and "external metric queue_length(queue=jobs)" in active["message"], active
    out = s.kubectl("get", "hpa", "pool", "-n", NS).stdout
    assert "30/10 (avg)" in out and "150/100" in out, out
    # The adapter was asked on behalf of the HPA controller's ServiceAccount.
    assert HPA_USER in adapter.users, adapter.users
