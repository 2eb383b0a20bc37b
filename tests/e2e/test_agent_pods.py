"""End to end with real containers: `skiff server` with its in-process node agent (containerd, CNI
bridge) runs busybox pods. Covers pod networking (pod IPs in the podCIDR, pod->pod and host->pod
HTTP), env from Secrets/ConfigMaps, ConfigMap volume updates, OOMKilled, restart policies and exit
codes, CrashLoopBackOff with growing delays, graceful termination with a preStop hook, and that
deleting a Deployment removes its containers from the runtime. Everything is removed afterwards
(`skiff agent reset` in the fixture's cleanup), also when a test fails."""
import json
import os
import time
import urllib.request

import pytest

from agent_util import (BUSYBOX, agent_node, apply, busybox_pod, container_ids, container_status, get_pod,
                        in_cidr, phase_is, pod_log, running_ready, wait_for, wait_pod)

HTTPD = ("mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html && "
         "exec httpd -f -p 8080 -h /www")


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-agent-e2e-") as s:
        yield s


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def deployment(name, replicas, command=HTTPD):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {
            "replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"terminationGracePeriodSeconds": 2, "containers": [{
                    "name": "web", "image": BUSYBOX, "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", command], "ports": [{"containerPort": 8080}]}]}}}}


def pods_of(s, app):
    return s.kubectl_json("get", "pods", "-l", f"app={app}")["items"]


def test_deployment_pods_get_ips_and_talk_to_each_other(node):
    s = node
    apply(s, deployment("web", 3))
    try:
        def all_running():
            pods = pods_of(s, "web")
            return pods if len(pods) == 3 and all(running_ready(p) for p in pods) else None
        pods = wait_for(all_running, 90, 1, "3 web pods Running and Ready")
        cidr = s.node["spec"]["podCIDR"]
        ips = [p["status"]["podIP"] for p in pods]
        assert len(set(ips)) == 3
        for ip in ips:
            assert in_cidr(ip, cidr), (ip, cidr)
        # host -> pod
        for p in pods:
            body = wait_for(lambda: _try_get(f"http://{p['status']['podIP']}:8080/"), 20, 0.5,
                            "httpd answering")
            assert body.strip() == f"hello from {p['metadata']['name']}"
        # pod -> pod: a pod that fetches another pod's page; its exit code tells.
        target = pods[1]
        apply(s, busybox_pod("fetch", f"wget -qO- http://{target['status']['podIP']}:8080/ && "
                                      f"wget -qO- http://{target['status']['podIP']}:8080/ | "
                                      f"grep -q 'hello from {target['metadata']['name']}'"))
        fetched = wait_pod(s, "fetch", phase_is("Succeeded", "Failed"), 60)
        assert fetched["status"]["phase"] == "Succeeded", pod_log(s, fetched)
        assert f"hello from {target['metadata']['name']}" in pod_log(s, fetched)
    finally:
        s.kubectl("delete", "deployment", "web", "--wait=false", check=False)
        s.kubectl("delete", "pod", "fetch", "--wait=false", check=False)


def _try_get(url):
    try:
        return http_get(url, timeout=2)
    except OSError:
        return None


def test_env_from_secret_and_configmap(node):
    s = node
    s.kubectl("create", "secret", "generic", "env-secret", "--from-literal=password=s3cr3t")
    s.kubectl("create", "configmap", "env-config", "--from-literal=color=blue", "--from-literal=size=xl")
    pod = busybox_pod("printenv", "env | sort", container={
        "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "password"}}},
                {"name": "MY_POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "envFrom": [{"configMapRef": {"name": "env-config"}, "prefix": "CFG_"}]})
    apply(s, pod)
    try:
        done = wait_pod(s, "printenv", phase_is("Succeeded", "Failed"), 60)
        assert done["status"]["phase"] == "Succeeded"
        out = pod_log(s, done)
        for line in ("PASSWORD=s3cr3t", "CFG_color=blue", "CFG_size=xl", "MY_POD=printenv"):
            assert line in out.splitlines(), out
    finally:
        s.kubectl("delete", "pod", "printenv", "--wait=false", check=False)


def test_configmap_update_appears_in_mounted_file(node):
    s = node
    s.kubectl("create", "configmap", "live", "--from-literal=greeting=first")
    pod = busybox_pod("watcher", "while true; do echo \"seen=$(cat /etc/live/greeting)\"; sleep 1; done",
                      restart="Always", volumes=[{"name": "cfg", "configMap": {"name": "live"}}],
                      container={"volumeMounts": [{"name": "cfg", "mountPath": "/etc/live"}]})
    apply(s, pod)
    try:
        running = wait_pod(s, "watcher", running_ready, 60, "watcher Running")
        wait_for(lambda: "seen=first" in pod_log(s, running), 20, 1, "the first value")
        s.kubectl("patch", "configmap", "live", "-p", json.dumps({"data": {"greeting": "second"}}))
        t0 = time.time()
        wait_for(lambda: "seen=second" in pod_log(s, running), 60, 1, "the updated value in the pod")
        print(f"ConfigMap update visible in the container after {time.time() - t0:.1f}s")
    finally:
        s.kubectl("delete", "pod", "watcher", "--wait=false", check=False)


def test_memory_hog_is_oom_killed(node):
    s = node
    hog = busybox_pod("hog", "x=$(head -c 268435456 /dev/zero | tr '\\000' a); echo survived",
                      container={"resources": {"limits": {"memory": "32Mi"}}})
    apply(s, hog)
    try:
        done = wait_pod(s, "hog", phase_is("Failed", "Succeeded"), 90)
        assert done["status"]["phase"] == "Failed"
        cs = container_status(done)
        term = cs.get("state", {}).get("terminated") or cs.get("lastState", {}).get("terminated") or {}
        assert term.get("reason") == "OOMKilled", cs
        assert term.get("exitCode") == 137, cs
    finally:
        s.kubectl("delete", "pod", "hog", "--wait=false", check=False)


def test_restart_policies_and_exit_codes(node):
    s = node
    apply(s, busybox_pod("never-ok", "exit 0"))
    apply(s, busybox_pod("never-fail", "exit 3"))
    # OnFailure: fails once (leaves a marker in an emptyDir), then succeeds.
    apply(s, busybox_pod("onfailure", "if [ -f /data/ran ]; then exit 0; fi; touch /data/ran; exit 7",
                         restart="OnFailure", volumes=[{"name": "data", "emptyDir": {}}],
                         container={"volumeMounts": [{"name": "data", "mountPath": "/data"}]}))
    try:
        ok = wait_pod(s, "never-ok", phase_is("Succeeded", "Failed"), 60)
        assert ok["status"]["phase"] == "Succeeded"
        assert container_status(ok)["state"]["terminated"]["exitCode"] == 0
        assert container_status(ok)["state"]["terminated"]["reason"] == "Completed"
        fail = wait_pod(s, "never-fail", phase_is("Succeeded", "Failed"), 60)
        assert fail["status"]["phase"] == "Failed"
        assert container_status(fail)["state"]["terminated"]["exitCode"] == 3
        assert container_status(fail)["state"]["terminated"]["reason"] == "Error"
        assert container_status(fail)["restartCount"] == 0
        onf = wait_pod(s, "onfailure", phase_is("Succeeded", "Failed"), 60)
        assert onf["status"]["phase"] == "Succeeded"
        cs = container_status(onf)
        assert cs["restartCount"] == 1
        assert cs["state"]["terminated"]["exitCode"] == 0
        assert cs["lastState"]["terminated"]["exitCode"] == 7
    finally:
        for name in ("never-ok", "never-fail", "onfailure"):
            s.kubectl("delete", "pod", name, "--wait=false", check=False)


def test_crash_loop_back_off_with_growing_delays(node):
    s = node
    apply(s, busybox_pod("crasher", "echo crashing; exit 1", restart="Always"))
    try:
        seen_backoff = False
        changes = {}  # restartCount -> first time seen
        t0 = time.time()
        while time.time() - t0 < 75 and 3 not in changes:
            pod = get_pod(s, "crasher")
            cs = container_status(pod) if pod else {}
            count = cs.get("restartCount", 0)
            changes.setdefault(count, time.time() - t0)
            if cs.get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff":
                seen_backoff = True
            time.sleep(0.25)
        assert seen_backoff, changes
        assert 2 in changes and changes[2] <= 35, changes
        assert 3 in changes, changes
        # kubelet backoff: restart 1 at once, 2 after ~10 s, 3 after ~20 s more.
        assert changes[3] - changes[2] > changes[2] - changes[1] + 4, changes
        print("restartCount reached at (s):", changes)
        assert get_pod(s, "crasher")["status"]["phase"] == "Running"
    finally:
        s.kubectl("delete", "pod", "crasher", "--wait=false", check=False)


def test_graceful_termination_runs_prestop_before_sigterm(node, tmp_path):
    s = node
    out_dir = str(tmp_path / "grace")
    pod = busybox_pod(
        "graceful",
        "trap 'echo term >> /out/log; exit 0' TERM; echo started >> /out/log; "
        "while true; do sleep 1; done",
        restart="Always", terminationGracePeriodSeconds=20,
        volumes=[{"name": "out", "hostPath": {"path": out_dir, "type": "DirectoryOrCreate"}}],
        container={"volumeMounts": [{"name": "out", "mountPath": "/out"}],
                   "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "echo prestop >> /out/log"]}}}})
    apply(s, pod)
    log = os.path.join(out_dir, "log")
    try:
        wait_pod(s, "graceful", running_ready, 60, "graceful Running")
        wait_for(lambda: os.path.exists(log) and "started" in open(log).read(), 20, 0.5, "started line")
        t0 = time.time()
        s.kubectl("delete", "pod", "graceful", "--wait=false")
        wait_for(lambda: get_pod(s, "graceful") is None, 40, 0.5, "the pod object to disappear")
        took = time.time() - t0
        lines = open(log).read().split()
        assert lines == ["started", "prestop", "term"], lines
        assert took < 15, took  # the container exits on TERM; no need to wait the full grace period
    finally:
        s.kubectl("delete", "pod", "graceful", "--wait=false", check=False)


def test_deleting_a_deployment_removes_its_containers(node):
    s = node
    # Let earlier tests' pods finish going away first.
    wait_for(lambda: not s.kubectl_json("get", "pods")["items"], 90, 1, "no pods left from earlier tests")
    baseline = container_ids(s.agent_dir)
    apply(s, deployment("gone", 2))
    try:
        wait_for(lambda: len([p for p in pods_of(s, "gone") if running_ready(p)]) == 2, 90, 1, "2 pods Running")
        during = container_ids(s.agent_dir)
        assert len(during - baseline) >= 4, (baseline, during)  # 2 sandboxes + 2 app containers
        s.kubectl("delete", "deployment", "gone")
        wait_for(lambda: not pods_of(s, "gone"), 60, 1, "the pods to be gone")
        wait_for(lambda: container_ids(s.agent_dir) - baseline == set(), 60, 1, "their containers to be removed")
    finally:
        s.kubectl("delete", "deployment", "gone", "--wait=false", check=False)
