"""A cluster whose nodes are separate network hosts on this machine: a `skiff server` on the host
(listening on a test bridge's address) and N `skiff agent` processes, each inside its own network
namespace joined to the bridge by a veth pair, with its own node IP, data dir,
containerd, nftables tables and cluster DNS address. Addresses come from a private /24 of
10.199.0.0/16 that no host interface or route uses; every namespace, link and process is the
test's own and is removed by close() (by PID and by name), also when the test failed.
Agents enter their namespace with `nsenter --net=...`, not `ip netns exec`: the latter also gives
the process a mount namespace with a fresh /sys, which hides /sys/fs/cgroup from runc.

    with NetnsCluster("mn", nodes=3) as c:
        c.server.kubectl(...); c.nodes[0].run("ip", "route")
"""
import os
import random
import json
import shutil
import signal
import subprocess

from agent_util import build_busybox_image, import_image, make_tmp_dir, require_container_host
from conftest import SKIFF_BIN, Skiff, wait_for


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=30)


def _free_subnet():
    """A 10.199.X.0/24 that no interface or route of the host (nor another test's bridge) uses."""
    used = _ip("-4", "route", "show").stdout + _ip("-4", "addr", "show").stdout
    candidates = list(range(1, 255))
    random.shuffle(candidates)
    for x in candidates:
        if f"10.199.{x}." not in used:
            return x
    raise RuntimeError("no free 10.199.X.0/24 on this host")


class NetnsNode:
    """One node: a network namespace `skiff-mn-TAG-PID-I`, a veth pair (host end on the bridge,
    `eth0` inside), and the agent process running in the namespace."""

    def __init__(self, cluster, index):
        self.cluster = cluster
        self.index = index
        tag = cluster.tag
        self.name = f"{tag}-node{index}"
        self.netns = f"skiff-{tag}-{os.getpid()}-{index}"
        self.host_veth = f"{cluster.link_prefix}v{index}"
        self.ip = f"10.199.{cluster.subnet}.{10 + index}"
        self.data_dir = os.path.join(cluster.tmp, f"node{index}")
        self.log_path = self.data_dir + ".log"
        self.proc = None
        self.created = False

    def create(self):
        _ip("netns", "add", self.netns)
        self.created = True
        _ip("link", "add", self.host_veth, "type", "veth", "peer", "name", "eth0", "netns", self.netns)
        _ip("link", "set", self.host_veth, "master", self.cluster.bridge, "up")
        self.ip_cmd("link", "set", "lo", "up")
        self.ip_cmd("addr", "add", f"{self.ip}/24", "dev", "eth0")
        self.ip_cmd("link", "set", "eth0", "up")
        self.ip_cmd("route", "add", "default", "via", self.cluster.gateway)

    def ip_cmd(self, *args, check=True):
        return _ip("-n", self.netns, *args, check=check)

    def run(self, *cmd, timeout=60):
        """Runs a command on this node (inside its namespace); CompletedProcess, text, unchecked."""
        return subprocess.run([*self.enter, *cmd], capture_output=True, text=True, timeout=timeout)

    @property
    def enter(self):
        return ["nsenter", f"--net=/run/netns/{self.netns}"]

    def start_agent(self, *extra):
        """No --node-ip: the agent finds its address on the namespace's default-route interface."""
        s = self.cluster.server
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*self.enter, SKIFF_BIN, "agent", "--server", s.url,
             "--token-file", os.path.join(s.data_dir, "node.token"),
             "--ca-file", os.path.join(s.data_dir, "pki", "ca.crt"),
             "--data-dir", self.data_dir, "--node-name", self.name,
             "--ingress-http-port", "0", "--ingress-https-port", "0", *extra],
            stdout=log, stderr=subprocess.STDOUT)
        return self

    def log(self, chars=4000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return ""

    def stop_agent(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def reset(self):
        """`skiff agent reset` inside the namespace: pods, shims, containerd, mounts, the data dir,
        routes, the VXLAN device, nftables tables, the DNS interface. CompletedProcess or None."""
        if self.created and os.path.isdir(self.data_dir):
            return self.run(SKIFF_BIN, "agent", "reset", "--data-dir", self.data_dir, timeout=180)
        return None

    def destroy(self):
        """Stops the agent, resets the node, then deletes the namespace (its veth pair goes with it)."""
        self.stop_agent()
        if self.created:
            self.reset()
            _ip("netns", "del", self.netns, check=False)
            _ip("link", "del", self.host_veth, check=False)
            self.created = False


class NetnsCluster:
    def __init__(self, tag, nodes=3, server_args=(), agent_args=()):
        require_container_host()
        self.tag = tag
        self.pid_tag = os.getpid() % 100000
        self.link_prefix = f"s{tag[:3]}{self.pid_tag}"
        self.bridge = f"{self.link_prefix}br"
        assert len(self.bridge) <= 15 and len(self.link_prefix) + 3 <= 15, self.link_prefix
        self.tmp = make_tmp_dir(f"skiff-{tag}-")
        self.subnet = None
        self.gateway = None
        self.server = None
        self.nodes = []
        self.node_count = nodes
        self.server_args = list(server_args)
        self.agent_args = list(agent_args)
        self.bridge_created = False

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        archive = build_busybox_image(self.tmp)
        self.subnet = _free_subnet()
        self.gateway = f"10.199.{self.subnet}.1"
        _ip("link", "add", self.bridge, "type", "bridge")
        self.bridge_created = True
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        self.server = Skiff(host=self.gateway, extra_args=["--disable-agent", *self.server_args])
        self.server.start()
        for i in range(self.node_count):
            node = NetnsNode(self, i)
            self.nodes.append(node)
            node.create()
            node.start_agent(*self.agent_args)
        for node in self.nodes:
            self.wait_node_ready(node)
            import_image(node.data_dir, archive)

    def wait_node_ready(self, node, timeout=180):
        def ready():
            if node.proc.poll() is not None:
                raise AssertionError(f"agent {node.name} exited {node.proc.returncode}: {node.log()}")
            res = self.server.kubectl("get", "node", node.name, "-o", "json", check=False)
            if res.returncode != 0:
                return None
            n = json.loads(res.stdout)
            conds = {c["type"]: c["status"] for c in n.get("status", {}).get("conditions", [])}
            return n if conds.get("Ready") == "True" and n.get("spec", {}).get("podCIDR") else None
        try:
            return wait_for(ready, timeout, 1, f"node {node.name} Ready with a podCIDR")
        except AssertionError as e:
            raise AssertionError(f"{e}\nagent log: {node.log()}\nserver log: {self.server.log()}") from None

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def close(self):
        for node in self.nodes:
            try:
                node.destroy()
            except Exception as e:  # keep tearing the others down
                print(f"teardown of {node.name}: {e}")
        if self.server:
            self.server.cleanup()
        if self.bridge_created:
            _ip("link", "del", self.bridge, check=False)
            self.bridge_created = False
        shutil.rmtree(self.tmp, ignore_errors=True)

