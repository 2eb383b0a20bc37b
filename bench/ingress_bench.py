#!/usr/bin/env python3
"""ingress_bench: requests/s and p99 latency of small HTTP responses with 64 keep-alive connections
through the built-in ingress controller (haproxy run by the agent) and, in the same run, straight
to the pod IP; plus the idle memory (RSS) of the ingress proxy (goal: ingress >= 70% of direct).

It starts `skiff server` with its in-process agent (ingress on free loopback/node ports, never
80/443), a busybox pod `bench` behind Service `bench` and an Ingress for host bench.test. The
backend is the host's python3 entered into the pod's network namespace (`nsenter --net=/proc/<pid>/
ns/net`): a keep-alive asyncio server answering every GET with a 13-byte body (busybox httpd forks a
process per connection and has no keep-alive, so it would measure itself). The load tool is wrk
(Debian's; 2 threads, 64 connections, --duration seconds per phase after a 2 s warm-up), run from
the host: direct = wrk -> pod IP:8081; ingress = wrk -> 127.0.0.1:<http port> with Host: bench.test
-> haproxy -> pod IP:8081. Phases alternate direct, ingress for --rounds; the median of each is
printed with the ratio. Everything runs on this machine's cores together (load tool, proxy,
backend), so the figures are a comparison, not a capacity. Needs root, containerd, runc, CNI plugins,
haproxy and wrk.

Usage: sudo python3 bench/ingress_bench.py [--skiff build/skiff] [--rounds 3] [--duration 10]
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

BACKEND_PORT = 8081
BACKEND = r"""
import asyncio, sys
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n"
class Http(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        n = self.buffer.count(b"\r\n\r\n")
        if n:
            self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4:]
            self.transport.write(RESPONSE * n)
async def main():
    server = await asyncio.get_running_loop().create_server(Http, "0.0.0.0", int(sys.argv[1]), backlog=1024)
    print("listening", flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def wrk(url, duration, host=None):
    cmd = ["wrk", "-t2", "-c64", f"-d{duration}s", "--latency", url]
    if host:
        cmd += ["-H", f"Host: {host}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return rps, float(p99.group(1)) * scale, errors.group(0) if errors else ""


def haproxy_rss_kib(agent_dir):
    config = os.path.join(os.path.abspath(agent_dir), "ingress", "haproxy.cfg")
    total, pids = 0, []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if b"-f" in argv and argv[argv.index(b"-f") + 1].decode() == config:
                with open(f"/proc/{pid}/status") as f:
                    total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
                pids.append(pid)
        except (OSError, IndexError, StopIteration):
            pass
    return total, len(pids)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skiff", default=os.path.join(REPO, "build", "skiff"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    os.environ["SKIFF_BIN"] = os.path.abspath(args.skiff)
    from agent_util import BUSYBOX, agent_node, apply, busybox_pod, ctr, running_ready, wait_for, wait_pod
    from conftest import free_port

    http_port = free_port()
    with agent_node("skiff-ingress-bench-", extra_args=["--disable-cluster-dns", "--ingress-http-port", str(http_port),
                                                        "--ingress-https-port", str(free_port())]) as s:
        pod = busybox_pod("bench", "exec sleep 36000", restart="Always")
        pod["metadata"]["labels"] = {"app": "bench"}
        apply(s, pod)
        apply(s, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bench"},
                  "spec": {"selector": {"app": "bench"}, "ports": [{"port": 80, "targetPort": BACKEND_PORT}]}})
        apply(s, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "bench"},
                  "spec": {"rules": [{"host": "bench.test", "http": {"paths": [{
                      "path": "/", "pathType": "Prefix",
                      "backend": {"service": {"name": "bench", "port": {"number": 80}}}}]}}]}})
        pod = wait_pod(s, "bench", running_ready, 90, "bench pod Running")
        container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
        tasks = ctr(s.agent_dir, "tasks", "ls").stdout.splitlines()[1:]
        pid = next(int(line.split()[1]) for line in tasks if line.split() and line.split()[0] == container_id)
        backend = subprocess.Popen(["nsenter", f"--net=/proc/{pid}/ns/net", "python3", "-c", BACKEND,
                                    str(BACKEND_PORT)], stdout=subprocess.PIPE, text=True)
        try:
            assert backend.stdout.readline().strip() == "listening"
            pod_ip = pod["status"]["podIP"]
            direct_url = f"http://{pod_ip}:{BACKEND_PORT}/"
            ingress_url = f"http://127.0.0.1:{http_port}/"

            def ingress_ok():
                r = subprocess.run(["curl", "-s", "-H", "Host: bench.test", ingress_url], capture_output=True,
                                   text=True, timeout=10)
                return r.stdout == "hello, world\n"
            wait_for(ingress_ok, 60, 0.2, "the ingress routes bench.test")
            time.sleep(1)
            idle_kib, processes = haproxy_rss_kib(s.agent_dir)

            wrk(direct_url, 2)
            wrk(ingress_url, 2, "bench.test")
            direct, ingress = [], []
            for _ in range(args.rounds):
                direct.append(wrk(direct_url, args.duration))
                ingress.append(wrk(ingress_url, args.duration, "bench.test"))
        finally:
            backend.kill()
            backend.wait()

    def median(results, i):
        return statistics.median(r[i] for r in results)
    cpus = os.cpu_count()
    print(f"ingress_bench: {platform.node()}, {cpus} cpus, kernel {platform.release()}, "
          f"{subprocess.run(['haproxy', '-v'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print(f"  load: wrk -t2 -c64 -d{args.duration}s, {args.rounds} rounds per path (median), "
          f"13-byte responses, keep-alive; backend: python asyncio in the pod's netns; all on this machine")
    for name, results in (("direct to pod IP", direct), ("through ingress", ingress)):
        errors = "; ".join(r[2] for r in results if r[2])
        print(f"  {name:18} {median(results, 0):10.0f} req/s   p99 {median(results, 1):7.2f} ms"
              f"{'   errors: ' + errors if errors else ''}")
    ratio = median(ingress, 0) / median(direct, 0)
    print(f"  ingress/direct     {ratio * 100:9.1f}%   (goal >= 70%)")
    print(f"  haproxy idle RSS   {idle_kib / 1024:9.1f} MiB over {processes} processes (master + worker)")


if __name__ == "__main__":
    main()
