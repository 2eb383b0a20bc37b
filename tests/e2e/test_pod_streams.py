"""End to end: kubectl logs / exec / attach / port-forward / cp through the API server to the node
agent's endpoint and on to containerd's streaming server, with real busybox containers run by the
in-process agent of `skiff server`. exec/attach/port-forward go over SPDY: kubectl first tries
WebSocket, gets a refusal and falls back (checked explicitly once). Everything the agent created is
removed afterwards (`skiff agent reset` in the fixture's cleanup), also when a test fails."""
import hashlib
import re
import socket
import subprocess
import time
import urllib.request

import pytest

from agent_util import (BUSYBOX, agent_node, apply, busybox_pod, container_status, running_ready, wait_for,
                        wait_pod)
from conftest import KUBECTL, api_request, free_port

TICKER = 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.1; done'
HTTPD = "mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 8080 -h /www"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) ")


@pytest.fixture(scope="module")
def node():
    with agent_node("skiff-streams-e2e-") as s:
        apply(s, busybox_pod("ticker", TICKER, restart="Always"))
        apply(s, busybox_pod("web", HTTPD, restart="Always"))
        multi = busybox_pod("multi", "echo from-a; exec sleep 3600", restart="Always")
        multi["spec"]["containers"].append({"name": "b", "image": BUSYBOX, "imagePullPolicy": "Never",
                                            "command": ["sh", "-c", "echo from-b; exec sleep 3600"]})
        multi["spec"]["containers"][0]["name"] = "a"
        apply(s, multi)
        apply(s, busybox_pod("crasher", 'echo "run at $(date +%s%N)"; sleep 1; exit 1', restart="Always"))
        for name in ("ticker", "web", "multi"):
            wait_pod(s, name, running_ready, timeout=90)
        yield s


def test_logs_tail_and_timestamps(node):
    # At least 4 s of ticks, so --since=2s below is a strict subset.
    wait_for(lambda: "tick 40" in node.kubectl("logs", "ticker").stdout, 30, what="ticks")
    tail = node.kubectl("logs", "ticker", "--tail=3").stdout
    assert len(tail.splitlines()) == 3, tail
    assert all(line.startswith("tick ") for line in tail.splitlines())
    stamped = node.kubectl("logs", "ticker", "--tail=2", "--timestamps").stdout.splitlines()
    assert len(stamped) == 2 and all(RFC3339.match(line) for line in stamped), stamped
    limited = node.kubectl("logs", "ticker", "--limit-bytes=7").stdout
    assert limited == "tick 0\n", limited
    recent = node.kubectl("logs", "ticker", "--since=2s").stdout.splitlines()
    everything = node.kubectl("logs", "ticker").stdout.splitlines()
    assert 0 < len(recent) < len(everything)


def test_logs_follow_streams(node):
    proc = subprocess.Popen([KUBECTL, f"--cache-dir={node.cache_dir}", "logs", "-f", "--tail=1", "ticker"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=node.env())
    try:
        seen = []
        t0 = time.time()
        while len(seen) < 10 and time.time() - t0 < 15:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append((time.time() - t0, line.strip()))
        assert len(seen) == 10, (seen, proc.stderr.read() if proc.poll() is not None else "")
        numbers = [int(l.split()[1]) for _, l in seen]
        assert numbers == list(range(numbers[0], numbers[0] + 10)), numbers
        # Lines arrive as they are written (every 100 ms), not all at the end.
        assert seen[-1][0] - seen[0][0] > 0.5, seen
    finally:
        proc.kill()
        proc.wait()


def test_logs_all_containers_and_errors(node):
    out = node.kubectl("logs", "multi", "--all-containers").stdout
    assert "from-a" in out and "from-b" in out, out
    assert node.kubectl("logs", "multi", "-c", "b").stdout == "from-b\n"
    res = node.kubectl("logs", "multi", "-c", "zzz", check=False)
    assert res.returncode != 0
    assert "container zzz is not valid for pod multi" in res.stderr, res.stderr


def test_logs_previous_after_restart(node):
    pod = wait_pod(node, "crasher", lambda p: container_status(p).get("restartCount", 0) >= 1, timeout=60,
                   what="crasher restarted")
    assert pod
    prev = node.kubectl("logs", "crasher", "-p").stdout
    assert prev.startswith("run at "), prev
    res = node.kubectl("logs", "ticker", "-p", check=False)
    assert res.returncode != 0 and "previous terminated container" in res.stderr, res.stderr


def test_exec_output_and_exit_code(node):
    assert node.kubectl("exec", "ticker", "--", "echo", "hi", "there").stdout == "hi there\n"
    res = node.kubectl("exec", "ticker", "--", "sh", "-c", "echo to-err >&2; exit 3", check=False)
    assert res.returncode == 3, res
    assert "command terminated with exit code 3" in res.stderr, res.stderr
    assert "to-err" in res.stderr
    res = node.kubectl("exec", "ticker", "-c", "nope", "--", "true", check=False)
    assert res.returncode != 0 and "container nope is not valid for pod ticker" in res.stderr, res.stderr


def test_exec_with_stdin(node):
    data = "".join(f"line {i}\n" for i in range(2000))
    res = node.kubectl("exec", "-i", "ticker", "--", "sh", "-c", "cat; echo done", input=data)
    assert res.stdout == data + "done\n"


def test_exec_spdy_only_and_websocket_refused(node):
    # SPDY only (no WebSocket attempt) works as well.
    res = node.kubectl("exec", "ticker", "--", "echo", "spdy", env_extra={"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"})
    assert res.stdout == "spdy\n"
    # The WebSocket attempt is answered at once with a non-101 (so kubectl falls back quickly).
    t0 = time.time()
    status, _, _ = api_request(node, "GET", "/api/v1/namespaces/default/pods/ticker/exec?command=true&stdout=true",
                               headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                        "Sec-WebSocket-Protocol": "v5.channel.k8s.io"})
    assert status != 101 and status >= 400, status
    assert time.time() - t0 < 5


def test_attach_streams_output(node):
    proc = subprocess.Popen([KUBECTL, f"--cache-dir={node.cache_dir}", "attach", "ticker"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=node.env())
    try:
        lines = []
        t0 = time.time()
        while len(lines) < 5 and time.time() - t0 < 15:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("tick "):
                lines.append(line)
        assert len(lines) == 5, (lines, proc.stderr.read() if proc.poll() is not None else "")
    finally:
        proc.kill()
        proc.wait()


def test_port_forward_to_httpd(node):
    port = free_port()
    proc = subprocess.Popen([KUBECTL, f"--cache-dir={node.cache_dir}", "port-forward", "pod/web", f"{port}:8080"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=node.env())
    try:
        line = proc.stdout.readline()
        assert "Forwarding from 127.0.0.1" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
        for _ in range(3):  # several connections over the one tunnel
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as r:
                assert r.read().decode() == "hello-from-httpd\n"
        # A raw connection too (HTTP/1.0, closed by httpd).
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
            assert c.recv(100).startswith(b"HTTP/1.")
    finally:
        proc.kill()
        proc.wait()


def test_cp_both_ways(node, tmp_path):
    src = tmp_path / "payload.txt"
    payload = "".join(f"payload line {i}\n" for i in range(5000))
    src.write_text(payload)
    node.kubectl("cp", str(src), "default/ticker:/tmp/payload.txt")
    assert node.kubectl("exec", "ticker", "--", "md5sum", "/tmp/payload.txt").stdout.split()[0] == \
        hashlib.md5(payload.encode()).hexdigest()
    back = tmp_path / "back.txt"
    node.kubectl("cp", "default/ticker:/tmp/payload.txt", str(back))
    assert back.read_text() == payload


def test_streams_need_a_scheduled_pod(node):
    pending = busybox_pod("unscheduled", "true")
    pending["spec"]["nodeName"] = ""
    pending["spec"]["nodeSelector"] = {"no-such-label": "x"}
    apply(node, pending)
    res = node.kubectl("exec", "unscheduled", "--", "true", check=False)
    assert res.returncode != 0
    status, _, body = api_request(node, "POST", "/api/v1/namespaces/default/pods/unscheduled/exec?command=true&stdout=true")
    assert status == 400 and "does not have a host assigned" in body["message"], body
    status, _, body = api_request(node, "GET", "/api/v1/namespaces/default/pods/unscheduled/log")
    assert status == 200 and body == ""
    node.kubectl("delete", "pod", "unscheduled", "--wait=false")
