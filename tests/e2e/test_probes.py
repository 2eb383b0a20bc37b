"""End to end: liveness, readiness and startup probes run by the in-process agent of `skiff server`
against real busybox containers: a failing httpGet/exec liveness probe restarts the container
(restartCount rises; "Unhealthy" and "Killing" events with the kubelet's wording), a readiness probe
toggles the container's ready flag and the pod's Ready condition, a startup probe holds back
readiness and liveness until it succeeds, tcpSocket readiness. Everything the agent created is
removed afterwards (`skiff agent reset` in the fixture's cleanup), also when a test fails."""

import pytest

from agent_util import (agent_node, apply, busybox_pod, container_status, get_pod, running_ready, wait_for,
                        wait_pod)

HTTPD = "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"


def probe(handler, **timing):
    p = {"periodSeconds": 1, "failureThreshold": 1}
    p.update(handler)
    p.update(timing)
    return p


def exec_probe(*cmd, **timing):
    return probe({"exec": {"command": list(cmd)}}, **timing)


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-probes-e2e-") as s:
        yield s


def pod_ready(pod):
    conds = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
    return conds.get("Ready") == "True"


def events_for(s, name):
    items = s.kubectl_json("get", "events", "--field-selector", f"involvedObject.name={name}")["items"]
    return [(e.get("type"), e.get("reason"), e.get("message")) for e in items]


def restarts(pod):
    return container_status(pod).get("restartCount", 0)


def test_http_liveness_failure_restarts_container(node):
    pod = busybox_pod("live-http", HTTPD, restart="Always", container={
        "ports": [{"name": "web", "containerPort": 8080}],
        "livenessProbe": probe({"httpGet": {"port": "web", "path": "/missing"}}, initialDelaySeconds=1,
                               terminationGracePeriodSeconds=1)})
    apply(node, pod)
    wait_pod(node, "live-http", lambda p: restarts(p) >= 1, timeout=90, what="a liveness restart")
    evs = wait_for(lambda: [e for e in events_for(node, "live-http") if e[1] == "Killing"] and
                   events_for(node, "live-http"), 30, what="events")
    assert ("Warning", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 404") in evs, evs
    assert ("Normal", "Killing", "Container main failed liveness probe, will be restarted") in evs, evs
    last = container_status(get_pod(node, "live-http")).get("lastState", {})
    assert "terminated" in last, last


def test_exec_liveness_restarts_after_file_removed(node):
    pod = busybox_pod("live-exec", "touch /tmp/alive; sleep 4; rm /tmp/alive; exec sleep 3600",
                      restart="Always", container={
                          "livenessProbe": exec_probe("cat", "/tmp/alive", failureThreshold=2,
                                                      terminationGracePeriodSeconds=1)})
    apply(node, pod)
    wait_pod(node, "live-exec", lambda p: restarts(p) >= 1, timeout=90, what="a liveness restart")
    evs = events_for(node, "live-exec")
    assert any(e[1] == "Unhealthy" and e[2].startswith("Liveness probe failed:") for e in evs), evs


def test_readiness_toggles_ready_condition(node):
    pod = busybox_pod("ready-toggle", "touch /tmp/ready; exec sleep 3600", restart="Always",
                      container={"readinessProbe": exec_probe("cat", "/tmp/ready")})
    apply(node, pod)
    wait_pod(node, "ready-toggle", running_ready, timeout=60)
    assert container_status(get_pod(node, "ready-toggle"))["ready"] is True
    node.kubectl("exec", "ready-toggle", "--", "rm", "/tmp/ready")
    p = wait_pod(node, "ready-toggle", lambda p: not pod_ready(p), timeout=30, what="not ready")
    assert container_status(p)["ready"] is False
    assert p["status"]["phase"] == "Running"
    assert restarts(p) == 0
    conds = {c["type"]: c for c in p["status"]["conditions"]}
    assert conds["ContainersReady"]["status"] == "False"
    assert "containers with unready status: [main]" in conds["Ready"].get("message", ""), conds
    evs = events_for(node, "ready-toggle")
    assert any(e[1] == "Unhealthy" and e[2].startswith("Readiness probe failed:") for e in evs), evs
    node.kubectl("exec", "ready-toggle", "--", "touch", "/tmp/ready")
    wait_pod(node, "ready-toggle", pod_ready, timeout=30, what="ready again")


def test_startup_probe_delays_readiness_and_liveness(node):
    pod = busybox_pod("slow-start", "sleep 8; touch /tmp/started; exec sleep 3600", restart="Always",
                      container={
                          "startupProbe": exec_probe("cat", "/tmp/started", failureThreshold=60),
                          # Would kill the container at once if startup did not gate it.
                          "livenessProbe": exec_probe("cat", "/tmp/started"),
                          "readinessProbe": exec_probe("true")})
    apply(node, pod)
    p = wait_pod(node, "slow-start", lambda p: container_status(p).get("state", {}).get("running"),
                 timeout=60, what="running")
    cs = container_status(p)
    assert cs["started"] is False and cs["ready"] is False, cs
    assert not pod_ready(p)
    p = wait_pod(node, "slow-start", pod_ready, timeout=60, what="ready after startup")
    cs = container_status(p)
    assert cs["started"] is True and cs["ready"] is True, cs
    assert cs["restartCount"] == 0, cs


def test_tcp_readiness(node):
    pod = busybox_pod("tcp-ready", "sleep 3; " + HTTPD, restart="Always", container={
        "readinessProbe": probe({"tcpSocket": {"port": 8080}})})
    apply(node, pod)
    p = wait_pod(node, "tcp-ready", running_ready, timeout=60)
    assert container_status(p)["ready"] is True
