"""End to end: the HorizontalPodAutoscaler controller with real busybox containers on the
in-process agent of `skiff server`. A Deployment of CPU burners made with `kubectl autoscale`
scales up when the load starts and back down when it stops (short stabilization windows); an HPA
on a memory AverageValue scales a custom resource through its scale subresource; min/max
corrections, a missing target and `kubectl get hpa` / `kubectl describe hpa` as kubectl shows
them. Prints the figure: load start -> scale subresource written (default 15 s sync period).
Everything is created in namespaces the tests create and removed afterwards."""
import calendar
import json
import time

import pytest

from agent_util import BUSYBOX, agent_node, apply, wait_for
from conftest import api_request

NS = "hpa-e2e"
GROUP = "hpa.example.com"


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-hpa-e2e-") as s:
        s.kubectl("create", "namespace", NS)
        yield s


def deployment(name, command, replicas=1, cpu="100m", memory=None, env=None):
    requests = {"cpu": cpu}
    if memory:
        requests["memory"] = memory
    container = {"name": "main", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["sh", "-c", command],
                 "resources": {"requests": requests}, "env": [{"name": k, "value": str(v)} for k, v in (env or {}).items()]}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"terminationGracePeriodSeconds": 1, "containers": [container]}}}}


def hpa(s, name):
    return s.kubectl_json("get", "hpa.v2.autoscaling", name, "-n", NS)


def condition(obj, type_):
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == type_:
            return c
    return None


def events(s, name, reason):
    out = s.kubectl_json("get", "events", "-n", NS, "--field-selector", f"involvedObject.name={name}")
    return [e for e in out["items"] if e["reason"] == reason]


def rfc3339(ts):
    return calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))


# Sleeps until $START, burns CPU until $STOP (pods created later stay idle), then sleeps.
BURNER = ('while [ $(date +%s) -lt $START ]; do sleep 1; done; '
          'while [ $(date +%s) -lt $STOP ]; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; done; '
          'exec sleep 3600')


def test_cpu_burners_scale_up_and_back_down(node):
    # Pods count for cpu once ready for a full metric window (cpu initialization period); a
    # loaded machine needs a while to get there.
    start = int(time.time()) + 90
    stop = start + 80
    apply(node, deployment("burn", BURNER, env={"START": start, "STOP": stop}))
    node.kubectl("autoscale", "deployment", "burn", "-n", NS, "--cpu-percent=50", "--min=1", "--max=3")
    node.kubectl("patch", "hpa.v2.autoscaling", "burn", "-n", NS, "--type=merge", "-p", json.dumps(
        {"spec": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 0}}}}))
    got = hpa(node, "burn")
    # The API fills the rules behavior leaves out, as Kubernetes does.
    assert got["spec"]["behavior"]["scaleUp"]["policies"][0] == {"type": "Pods", "value": 4, "periodSeconds": 15}
    assert got["spec"]["behavior"]["scaleDown"]["selectPolicy"] == "Max"

    # Idle: a utilization is measured and nothing scales.
    def measured():
        h = hpa(node, "burn")
        m = h.get("status", {}).get("currentMetrics") or []
        if m and m[0].get("resource", {}).get("current", {}).get("averageUtilization") is not None:
            return h
        return None
    try:
        idle = wait_for(measured, start - time.time() - 2, interval=2, what="an idle utilization before the load")
    except AssertionError as e:
        raise AssertionError(f"{e}\nstatus: {hpa(node, 'burn').get('status')}\n"
                             f"pods: {node.kubectl('get', 'pods', '-n', NS).stdout}") from e
    assert idle["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"] < 50, idle["status"]
    assert condition(idle, "ScalingActive")["status"] == "True", idle["status"]
    assert condition(idle, "ScalingActive")["reason"] == "ValidMetricFound"
    assert condition(idle, "AbleToScale")["status"] == "True"
    out = node.kubectl("get", "hpa", "burn", "-n", NS).stdout
    assert "Deployment/burn" in out and "/50%" in out and "cpu:" in out, out

    # Load starts: the HPA writes the scale subresource.
    time.sleep(max(0, start - time.time()))
    scaled = wait_for(lambda: (h := hpa(node, "burn")).get("status", {}).get("lastScaleTime") and h, 60, interval=1,
                      what="a rescale after the load started")
    reaction = rfc3339(scaled["status"]["lastScaleTime"]) - start
    print(f"\nFIGURE hpa reaction: load start -> scale subresource written {reaction} s "
          f"(sync period 15 s; second-precision lastScaleTime)")
    assert reaction <= 30, reaction
    assert scaled["status"]["desiredReplicas"] > 1, scaled["status"]
    dep = node.kubectl_json("get", "deployment", "burn", "-n", NS)
    assert dep["spec"]["replicas"] > 1
    rescales = events(node, "burn", "SuccessfulRescale")
    assert any("cpu resource utilization (percentage of request) above target" in e["message"] for e in rescales), \
        rescales
    out = node.kubectl("describe", "hpa", "burn", "-n", NS).stdout
    assert "SuccessfulRescale" in out and "ScalingActive" in out, out

    # Load stops: back to minReplicas (no stabilization window, 100% per 15 s may go).
    time.sleep(max(0, stop - time.time()))
    wait_for(lambda: node.kubectl_json("get", "deployment", "burn", "-n", NS)["spec"]["replicas"] == 1, 120,
             interval=2, what="scale down after the load stopped")
    assert any("All metrics below target" in e["message"] for e in events(node, "burn", "SuccessfulRescale"))
    final = hpa(node, "burn")
    assert final["status"]["desiredReplicas"] == 1 and final["status"]["currentReplicas"] in (1, 2, 3)


def crd(s):
    schema = {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"replicas": {"type": "integer"}, "selector": {"type": "string"}}},
        "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}
    manifest = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": f"pools.{GROUP}"},
                "spec": {"group": GROUP, "scope": "Namespaced",
                         "names": {"plural": "pools", "singular": "pool", "kind": "Pool"},
                         "versions": [{"name": "v1", "served": True, "storage": True, "schema": schema,
                                       "subresources": {"status": {}, "scale": {
                                           "specReplicasPath": ".spec.replicas",
                                           "statusReplicasPath": ".status.replicas",
                                           "labelSelectorPath": ".spec.selector"}}}]}}
    apply(s, manifest)
    wait_for(lambda: s.kubectl("get", "pools", "-n", NS, check=False).returncode == 0, 30, what="CRD served")


def test_memory_average_value_scales_a_custom_resource(node):
    crd(node)
    # Pods holding about 40 MiB (a shell variable; the loop keeps the shell alive) stand for the custom resource's pods.
    hog = deployment("hog", "x=$(head -c 40000000 /dev/zero | tr '\\0' a); while :; do sleep 3600; done", memory="16Mi")
    apply(node, hog)
    apply(node, {"apiVersion": f"{GROUP}/v1", "kind": "Pool", "metadata": {"name": "pool", "namespace": NS},
                 "spec": {"replicas": 1, "selector": "app=hog"}})
    node.kubectl("patch", "pool", "pool", "-n", NS, "--subresource=status", "--type=merge", "-p",
                 '{"status":{"replicas":1}}')
    apply(node, {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                 "metadata": {"name": "pool", "namespace": NS},
                 "spec": {"scaleTargetRef": {"apiVersion": f"{GROUP}/v1", "kind": "Pool", "name": "pool"},
                          "minReplicas": 1, "maxReplicas": 3,
                          "metrics": [{"type": "Resource", "resource": {
                              "name": "memory", "target": {"type": "AverageValue", "averageValue": "10Mi"}}}]}})
    wait_for(lambda: node.kubectl_json("get", "pool", "pool", "-n", NS)["spec"]["replicas"] == 3, 120, interval=2,
             what="the Pool scaled to maxReplicas on memory")
    h = hpa(node, "pool")
    current = h["status"]["currentMetrics"][0]["resource"]["current"]
    assert "averageValue" in current and "averageUtilization" not in current, current
    limited = condition(h, "ScalingLimited")
    assert limited["status"] == "True" and limited["reason"] in ("TooManyReplicas", "ScaleUpLimit"), h["status"]
    out = node.kubectl("get", "hpa", "pool", "-n", NS).stdout
    assert "Pool/pool" in out and "memory:" in out and "/10Mi" in out, out
    # The scale was written through the subresource as the HPA controller's identity.
    pool = node.kubectl_json("get", "pool", "pool", "-n", NS, "--show-managed-fields")
    managers = {(m.get("manager"), m.get("subresource", "")) for m in pool["metadata"]["managedFields"]}
    assert ("skiff-controller-manager", "scale") in managers, managers


def test_min_max_corrections_and_missing_target(node):
    apply(node, deployment("big", "exec sleep 3600", replicas=4, cpu="10m"))
    apply(node, {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                 "metadata": {"name": "big", "namespace": NS},
                 "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "big"},
                          "minReplicas": 1, "maxReplicas": 2}})
    wait_for(lambda: node.kubectl_json("get", "deployment", "big", "-n", NS)["spec"]["replicas"] == 2, 40,
             interval=1, what="scale down to maxReplicas")
    msgs = [e["message"] for e in events(node, "big", "SuccessfulRescale")]
    assert any("Current number of replicas above Spec.MaxReplicas" in m for m in msgs), msgs

    apply(node, {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                 "metadata": {"name": "ghost", "namespace": NS},
                 "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ghost"},
                          "minReplicas": 1, "maxReplicas": 2}})
    h = wait_for(lambda: (h := hpa(node, "ghost")) and condition(h, "AbleToScale") and h, 40, interval=1,
                 what="AbleToScale on a missing target")
    able = condition(h, "AbleToScale")
    assert able["status"] == "False" and able["reason"] == "FailedGetScale", able
    assert events(node, "ghost", "FailedGetScale")
    # A malformed HPA is a 4xx and nothing changes.
    code, _, body = api_request(node, "POST", f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers",
                                {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                                 "metadata": {"name": "bad"}, "spec": {"maxReplicas": "x"}})
    assert 400 <= code < 500, body
