"""A StatefulSet with real containers on `skiff server` with its in-process agent:
examples/statefulset.yaml (web-0..2, busybox httpd, headless Service "web") comes up in order, and
from another pod each replica resolves by its stable DNS name <pod>.web.default.svc.cluster.local
to its own pod IP and answers with its own hostname; a deleted replica comes back under the same
name and DNS name. Traffic goes only to pod addresses the agent created; everything is removed
afterwards."""
import os

import pytest

from agent_util import REPO, agent_node, apply, busybox_pod, running_ready, wait_for, wait_pod

DNS_IP = "10.43.0.10"


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-sts-e2e-") as s:
        s.kubectl("apply", "-f", os.path.join(REPO, "examples", "statefulset.yaml"))
        apply(s, busybox_pod("client", "exec sleep 3600", restart="Always"))
        wait_pod(s, "client", running_ready, 90, "client pod Running")
        yield s


def web_pods(s):
    return {p["metadata"]["name"]: p for p in s.kubectl_json("get", "pods", "-l", "app=web")["items"]
            if not p["metadata"].get("deletionTimestamp")}


def in_pod(s, script, timeout=60):
    return s.kubectl("exec", "client", "--", "sh", "-c", script, timeout=timeout, check=False)


def lookup(s, name):
    """The addresses busybox nslookup prints for `name` from the client pod (after the server's)."""
    res = in_pod(s, f"nslookup {name} {DNS_IP}")
    lines = res.stdout.splitlines()
    return [l.split()[-1] for l in lines[2:] if l.startswith("Address")]


def test_replicas_resolve_and_answer_by_stable_dns_names(node):
    s = node
    out = s.kubectl("rollout", "status", "statefulset/web", "--timeout=120s", timeout=150).stdout
    # (kubectl reports a RollingUpdate with a rollingUpdate block, defaulted here, as partitioned.)
    assert "roll out complete: 3 new pods have been updated" in out, out
    pods = web_pods(s)
    assert sorted(pods) == ["web-0", "web-1", "web-2"]
    # Created in ordinal order, each after its predecessor was Ready.
    created = [pods[f"web-{i}"]["metadata"]["creationTimestamp"] for i in range(3)]
    assert created == sorted(created)
    for name, p in pods.items():
        fqdn = f"{name}.web.default.svc.cluster.local"
        ip = p["status"]["podIP"]
        wait_for(lambda: lookup(s, fqdn) == [ip], 30, 1, f"{fqdn} -> {ip}")
        res = in_pod(s, f"timeout 5 wget -q -O- http://{name}.web:8080/")
        assert res.returncode == 0 and res.stdout.strip() == name, res.stdout + res.stderr

    # A deleted replica comes back with the same name; its DNS name follows its new address.
    old_uid = pods["web-1"]["metadata"]["uid"]
    s.kubectl("delete", "pod", "web-1", "--wait=false")
    fresh = wait_for(lambda: (p := web_pods(s).get("web-1")) and p["metadata"]["uid"] != old_uid
                     and running_ready(p) and p, 120, 1, "web-1 recreated and Ready")
    wait_for(lambda: lookup(s, "web-1.web.default.svc.cluster.local") == [fresh["status"]["podIP"]], 30, 1,
             "web-1 DNS name follows the new pod")
    res = in_pod(s, "timeout 5 wget -q -O- http://web-1.web:8080/")
    assert res.returncode == 0 and res.stdout.strip() == "web-1", res.stdout + res.stderr
