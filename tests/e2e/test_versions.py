"""A kind served in two versions (autoscaling/v1 and v2 HorizontalPodAutoscaler) is stored once
and converted for each version's clients."""
import json

import conftest

HPA_V1 = """
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: %s}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: %d
  targetCPUUtilizationPercentage: %d
"""


def test_hpa_written_as_v1_reads_as_v2_and_back(shared_skiff):
    s = shared_skiff
    s.kubectl("create", "namespace", "versions")
    s.kubectl("apply", "-n", "versions", "-f", "-", input=HPA_V1 % ("h1", 5, 70))
    status, _, v2 = conftest.api_request(
        s, "GET", "/apis/autoscaling/v2/namespaces/versions/horizontalpodautoscalers/h1")
    assert status == 200
    assert v2["apiVersion"] == "autoscaling/v2"
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]
    assert "targetCPUUtilizationPercentage" not in v2["spec"]

    status, _, v1 = conftest.api_request(
        s, "GET", "/apis/autoscaling/v1/namespaces/versions/horizontalpodautoscalers/h1")
    assert status == 200
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 70
    assert "metrics" not in v1["spec"]

    # A v1 update is visible to v2 readers; v1 lists carry v1 items.
    s.kubectl("apply", "-n", "versions", "-f", "-", input=HPA_V1 % ("h1", 6, 60))
    status, _, v2 = conftest.api_request(
        s, "GET", "/apis/autoscaling/v2/namespaces/versions/horizontalpodautoscalers/h1")
    assert v2["spec"]["maxReplicas"] == 6
    assert v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
    status, _, lst = conftest.api_request(
        s, "GET", "/apis/autoscaling/v1/namespaces/versions/horizontalpodautoscalers")
    assert lst["apiVersion"] == "autoscaling/v1"
    assert [i["apiVersion"] for i in lst["items"]] == ["autoscaling/v1"]
    assert lst["items"][0]["spec"]["targetCPUUtilizationPercentage"] == 60

    out = s.kubectl("get", "hpa", "-n", "versions").stdout
    assert "Deployment/web" in out and "cpu: <unknown>/60%" in out


def test_hpa_v1_json_patch_applies_to_the_v1_shape(shared_skiff):
    s = shared_skiff
    s.kubectl("create", "namespace", "versions-patch")
    s.kubectl("apply", "-n", "versions-patch", "-f", "-", input=HPA_V1 % ("h2", 5, 70))
    status, _, body = conftest.api_request(
        s, "PATCH", "/apis/autoscaling/v1/namespaces/versions-patch/horizontalpodautoscalers/h2",
        json.dumps([{"op": "replace", "path": "/spec/targetCPUUtilizationPercentage", "value": 55}]),
        content_type="application/json-patch+json")
    assert status == 200, body
    assert body["spec"]["targetCPUUtilizationPercentage"] == 55
    _, _, v2 = conftest.api_request(
        s, "GET", "/apis/autoscaling/v2/namespaces/versions-patch/horizontalpodautoscalers/h2")
    assert v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 55
