#!/usr/bin/env python3
"""pod_network_bench: pod-to-pod TCP throughput, one stream, across two nodes against within one
node (target: "cross-node within 10% of same-node, host-gw").

It starts a two-node cluster whose nodes are network namespaces on a host bridge
(tests/e2e/netns_cluster.py: `skiff server` on the bridge, one `skiff agent` per namespace, with
--flannel-backend as given), and three busybox pods: `recv` on node 0, `same` on node 0 and `cross`
on node 1. The traffic runs between the pods' own network namespaces (their IPs, veths, the node
bridge and, across nodes, the host-gw route or VXLAN device), but the sender and receiver are the
host's python3 entered into those namespaces with `nsenter --net=/proc/<container pid>/ns/net`:
the busybox image has no tool that moves bulk data without small-buffer syscall limits, and iperf3
is not installed. The sender writes --mib MiB with 1 MiB sendall() calls on one connection, shuts
down its side and waits for the receiver's close; the time covers connect to close. Rounds
alternate same-node and cross-node after one unmeasured warm-up each; median and best per path
and the ratio cross/same are printed, with the conditions. Everything is removed at the end
(close() of the cluster), also after a failure. Needs root, containerd, runc, the CNI plugins.

Usage: sudo python3 bench/pod_network_bench.py [--skiff build/skiff] [--rounds 5] [--mib 1024]
                                               [--backend host-gw|vxlan|auto]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))

PORT = 5201

RECEIVER = r"""
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", int(sys.argv[1])))
srv.listen(4)
print("listening", flush=True)
buf = bytearray(1 << 20)
while True:
    conn, _ = srv.accept()
    while conn.recv_into(buf):
        pass
    conn.close()
"""

SENDER = r"""
import socket, sys, time
host, port, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunk = b"\0" * (1 << 20)
start = time.perf_counter()
s = socket.create_connection((host, port))
for _ in range(mib):
    s.sendall(chunk)
s.shutdown(socket.SHUT_WR)
s.recv(1)  # the receiver's close: everything arrived
print(time.perf_counter() - start)
"""


def pod_pid(cluster, node, pod):
    """The PID of the pod's container (in the pod's network namespace), from its containerd."""
    from agent_util import ctr
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    res = ctr(node.data_dir, "tasks", "ls")
    for line in res.stdout.splitlines()[1:]:
        fields = line.split()
        if fields and fields[0] == container_id:
            return int(fields[1])
    raise RuntimeError(f"no task for {container_id}: {res.stdout}{res.stderr}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skiff", default=os.path.join(REPO, "build", "skiff"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--backend", default="host-gw", choices=["host-gw", "vxlan", "auto"])
    args = parser.parse_args()
    os.environ["SKIFF_BIN"] = os.path.abspath(args.skiff)

    from agent_util import apply
    from conftest import wait_for
    from netns_cluster import NetnsCluster
    import test_multi_node as t

    with NetnsCluster("nb", nodes=2, agent_args=["--flannel-backend", args.backend]) as c:
        s = c.server
        s.kubectl("create", "namespace", t.NS)
        placement = {"recv": c.nodes[0], "same": c.nodes[0], "cross": c.nodes[1]}
        for name, node in placement.items():
            apply(s, t.client_pod(name, node.name))
        pods = {}
        for name in placement:
            pods[name] = wait_for(lambda: (lambda p: p if t.ready(p) else None)(
                s.kubectl_json("get", "pod", name, "-n", t.NS)), 120, 0.5, f"pod {name} ready")
        netns = {name: f"/proc/{pod_pid(c, placement[name], pods[name])}/ns/net" for name in placement}
        recv_ip = pods["recv"]["status"]["podIP"]
        receiver = subprocess.Popen(["nsenter", f"--net={netns['recv']}", "python3", "-c", RECEIVER, str(PORT)],
                                    stdout=subprocess.PIPE, text=True)
        try:
            assert receiver.stdout.readline().strip() == "listening"

            def run(sender):
                res = subprocess.run(["nsenter", f"--net={netns[sender]}", "python3", "-c", SENDER, recv_ip,
                                      str(PORT), str(args.mib)], capture_output=True, text=True, timeout=600)
                if res.returncode != 0:
                    raise RuntimeError(f"sender in {sender}: {res.stderr}")
                return args.mib * 8 * (1 << 20) / float(res.stdout) / 1e9  # Gbit/s

            results = {"same": [], "cross": []}
            run("same")
            run("cross")
            for _ in range(args.rounds):
                for path in ("same", "cross"):
                    results[path].append(run(path))
        finally:
            receiver.kill()
            receiver.wait()
        routes = c.nodes[1].ip_cmd("route", "show", "proto", "157").stdout.strip()
        mtu = json.loads(c.nodes[1].ip_cmd("-j", "link", "show", "dev", "eth0").stdout)[0]["mtu"]

    print("pod_network_bench: pod-to-pod TCP throughput, one stream")
    print(f"conditions: {args.mib} MiB per round, {args.rounds} rounds per path (after 1 warm-up), "
          f"backend {args.backend}, node links veth+bridge MTU {mtu}; kernel {platform.release()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
          f"nodes are network namespaces on one host; sender/receiver: python3 in the pods' netns")
    print(f"cross-node route on node 1: {routes}")
    for path, label in (("same", "same-node "), ("cross", "cross-node")):
        r = results[path]
        print(f"{label}: median {statistics.median(r):6.2f} Gbit/s, best {max(r):6.2f} Gbit/s "
              f"({', '.join(f'{x:.2f}' for x in r)})")
    ratio = statistics.median(results["cross"]) / statistics.median(results["same"])
    print(f"cross/same (medians): {ratio:.2f} (target >= 0.90)")


if __name__ == "__main__":
    main()
