"""Helpers for end-to-end tests that run real containers through a skiff node agent: the busybox
test image, waiting for the node and for pods, reading container logs, counting containers."""
import contextlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import SKIFF_BIN, Skiff, wait_for  # noqa: F401 (wait_for re-exported)

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
BUSYBOX = "skiff.local/busybox:1.35"


def require_container_host():
    """Fails unless this machine can run containers (root, containerd, runc, CNI plugins, busybox):
    scripts/install-deps.sh installs them, so a missing one is an error, not a reason to skip."""
    if os.geteuid() != 0:
        pytest.fail("real containers need root: run the end-to-end tests as root")
    for tool in ("containerd", "runc", "ctr"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed (scripts/install-deps.sh installs it)")
    if not os.path.exists("/usr/lib/cni/bridge"):
        pytest.fail("CNI plugins are not installed in /usr/lib/cni (scripts/install-deps.sh installs them)")
    if not os.path.exists("/bin/busybox"):
        pytest.fail("busybox-static is not installed (scripts/install-deps.sh installs it)")


@contextlib.contextmanager
def agent_node(prefix, extra_args=()):
    """A `skiff server` with its in-process agent on this machine: the node Ready (the server's
    `node` attribute holds the Node object) and the busybox test image imported. Fails unless the
    machine can run containers (require_container_host). Everything is removed at the end."""
    require_container_host()
    tmp = make_tmp_dir(prefix)
    s = Skiff(agent=True, extra_args=list(extra_args))
    try:
        archive = build_busybox_image(tmp)
        s.start()
        s.node = wait_node_ready(s)
        import_image(s.agent_dir, archive)
        yield s
    finally:
        s.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def build_busybox_image(tmp_dir):
    path = os.path.join(tmp_dir, "busybox.tar")
    subprocess.run(["python3", os.path.join(REPO, "scripts", "oci_image.py"), "--busybox", "-o", path],
                   check=True, capture_output=True, timeout=120)
    return path


def ctr(agent_dir, *args, timeout=60):
    sock = os.path.join(agent_dir, "containerd", "containerd.sock")
    return subprocess.run(["ctr", "-a", sock, "-n", "k8s.io", *args], capture_output=True, text=True,
                          timeout=timeout)


def import_image(agent_dir, archive):
    """`skiff images import` into the agent's containerd; asserts the image is listed after."""
    res = subprocess.run([SKIFF_BIN, "images", "import", archive, "--data-dir", agent_dir],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, f"skiff images import failed: {res.stdout}\n{res.stderr}"
    ls = subprocess.run([SKIFF_BIN, "images", "ls", "--data-dir", agent_dir], capture_output=True, text=True,
                        timeout=60)
    assert ls.returncode == 0 and "skiff.local/busybox" in ls.stdout, ls.stdout + ls.stderr
    return res.stdout


def container_ids(agent_dir):
    res = ctr(agent_dir, "containers", "ls", "-q")
    assert res.returncode == 0, res.stderr
    return set(res.stdout.split())


def wait_node_ready(s, timeout=120, name=None):
    def ready():
        nodes = s.kubectl_json("get", "nodes")["items"]
        for n in nodes:
            if name and n["metadata"]["name"] != name:
                continue
            conds = {c["type"]: c["status"] for c in n.get("status", {}).get("conditions", [])}
            if conds.get("Ready") == "True" and n.get("spec", {}).get("podCIDR"):
                return n
        return None
    return wait_for(ready, timeout, 1, "a Ready node with a podCIDR")


def get_pod(s, name, ns="default"):
    res = s.kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
    if res.returncode != 0:
        return None
    return json.loads(res.stdout)


def wait_pod(s, name, predicate, timeout=60, what=None, ns="default"):
    def check():
        pod = get_pod(s, name, ns)
        return pod if pod and predicate(pod) else None
    try:
        return wait_for(check, timeout, 0.5, what or f"pod {name}")
    except AssertionError as e:
        raise AssertionError(f"{e}\npod: {json.dumps(get_pod(s, name, ns), indent=1)[-3000:]}\n"
                             f"server log: {s.log()}") from None


def phase_is(*phases):
    return lambda pod: pod.get("status", {}).get("phase") in phases


def running_ready(pod):
    st = pod.get("status", {})
    conds = {c["type"]: c["status"] for c in st.get("conditions", [])}
    return st.get("phase") == "Running" and conds.get("Ready") == "True" and st.get("podIP")


def container_status(pod, name=None):
    for cs in pod.get("status", {}).get("containerStatuses", []):
        if name is None or cs["name"] == name:
            return cs
    return {}


def pod_log(s, pod, container=None):
    """kubectl logs when the agent serves it; else the CRI log files under the agent dir."""
    name = pod["metadata"]["name"]
    args = ["logs", name, "-n", pod["metadata"]["namespace"]]
    if container:
        args += ["-c", container]
    res = s.kubectl(*args, check=False, timeout=20)
    if res.returncode == 0 and res.stdout:
        return res.stdout
    container = container or pod["spec"]["containers"][0]["name"]
    log_dir = os.path.join(s.agent_dir, "pods", pod["metadata"]["uid"], "logs", container)
    out = []
    if os.path.isdir(log_dir):
        for f in sorted(os.listdir(log_dir)):
            with open(os.path.join(log_dir, f), errors="replace") as fh:
                for line in fh:
                    # CRI log format: <RFC3339Nano> <stdout|stderr> <F|P> <message>
                    parts = line.rstrip("\n").split(" ", 3)
                    if len(parts) == 4:
                        out.append(parts[3] + ("\n" if parts[2] == "F" else ""))
    return "".join(out)


def in_cidr(ip, cidr):
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)


def busybox_pod(name, command, restart="Never", **spec):
    """A one-container busybox pod manifest (dict) running `sh -c command`."""
    container = {"name": "main", "image": BUSYBOX, "imagePullPolicy": "Never",
                 "command": ["sh", "-c", command]}
    container.update(spec.pop("container", {}))
    pod_spec = {"restartPolicy": restart, "terminationGracePeriodSeconds": 5, "containers": [container]}
    pod_spec.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": pod_spec}


def apply(s, obj):
    s.kubectl("apply", "-f", "-", input=json.dumps(obj))


def make_tmp_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


# ---- network namespaces the tests create (nothing they send can leave the machine) ----

def ip(*args):
    """Runs `ip ARGS`; raises CalledProcessError (with stderr) when it fails."""
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=20)


class Netns:
    """A named network namespace (`ip netns add skiff-e2e-TAG-PID`) with lo up. close() deletes it
    and everything in it: interfaces (both ends of a veth pair), addresses, routes, nftables."""

    def __init__(self, tag):
        self.name = f"skiff-e2e-{tag}-{os.getpid()}"
        ip("netns", "add", self.name)
        try:
            self.ip("link", "set", "lo", "up")
        except subprocess.CalledProcessError:
            self.close()
            raise

    def ip(self, *args):
        return ip("-n", self.name, *args)

    def run(self, *cmd, timeout=30):
        """Runs a command inside the namespace (CompletedProcess, text, not checked)."""
        return subprocess.run(["ip", "netns", "exec", self.name, *cmd], capture_output=True, text=True,
                              timeout=timeout)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=20)


def join_veth(a, a_cidr, b, b_cidr, tag):
    """Joins two namespaces (a Netns, or None for the host's) with a veth pair and addresses
    (a.b.c.d/n) on both ends, and brings them up. Deleting either namespace removes the pair."""
    ends = [(a, f"{tag}{os.getpid() % 100000}a", a_cidr), (b, f"{tag}{os.getpid() % 100000}b", b_cidr)]
    ip("link", "add", ends[0][1], *(["netns", a.name] if a else []), "type", "veth", "peer", "name",
       ends[1][1], *(["netns", b.name] if b else []))
    for ns, dev, cidr in ends:
        prefix = ["-n", ns.name] if ns else []
        ip(*prefix, "addr", "add", cidr, "dev", dev)
        ip(*prefix, "link", "set", dev, "up")
    return ends[0][1], ends[1][1]


_CONNECT = """
import errno, socket, sys, time
s = socket.socket()
s.settimeout(float(sys.argv[3]))
start = time.time()
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    outcome = "connected"
except socket.timeout:
    outcome = "timeout"
except OSError as e:
    outcome = errno.errorcode.get(e.errno, str(e.errno))
print(outcome, time.time() - start)
"""


def tcp_connect(ns, host, port, timeout=3.0):
    """Opens a TCP connection from namespace `ns` (a Netns; None = this process's) to host:port.
    Returns (outcome, seconds): outcome "connected", "timeout" or an errno name ("ECONNREFUSED")."""
    cmd = ["python3", "-c", _CONNECT, host, str(port), str(timeout)]
    res = ns.run(*cmd, timeout=timeout + 30) if ns else subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout + 30)
    assert res.returncode == 0, res.stderr
    outcome, seconds = res.stdout.split()
    return outcome, float(seconds)


class JoiningAgent:
    """A `skiff agent` process joining server `s` as a new machine would: with the bootstrap token
    (DIR/node.token, good only for asking for its client certificate; a restarted agent reuses the
    certificate it stored) and the cluster CA. host_services=False leaves out the cluster DNS and
    the service proxy, which are host-wide and may be held by another agent."""

    def __init__(self, s, data_dir, node, host_services=True):
        self.s, self.data_dir, self.node, self.host_services = s, data_dir, node, host_services
        self.log_path = data_dir + ".log"
        self.proc = None

    def start(self):
        args = [SKIFF_BIN, "agent", "--server", self.s.url,
                "--token-file", os.path.join(self.s.data_dir, "node.token"),
                "--ca-file", os.path.join(self.s.data_dir, "pki", "ca.crt"),
                "--data-dir", self.data_dir, "--node-name", self.node]
        if not self.host_services:
            args += ["--disable-cluster-dns", "--disable-service-proxy"]
        args += ["--ingress-http-port", "0", "--ingress-https-port", "0"]  # (ports 80/443 of the machine)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
