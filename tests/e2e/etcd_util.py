"""A private one-member etcd for e2e tests: started from the installed `etcd` on free loopback ports
with a temporary data dir, stopped by its PID. Never touches a system etcd (or port 2379).
EtcdCluster starts several such members as one cluster (--initial-cluster on loopback peer ports),
for high-availability tests: kill one member, find the leader.

With SKIFF_TEST_STORE=etcd, conftest's Skiff runs every server on etcd: one etcd per server data
dir (so a test that restarts a server on the same data dir finds its objects again), stopped when
the server's owner cleans up, or at exit."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ETCD = shutil.which("etcd") or "/usr/bin/etcd"
ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    def __init__(self, name="skiff-e2e", dir=None):
        self.name = name
        self.dir = dir or tempfile.mkdtemp(prefix="skiff-etcd-")
        os.makedirs(self.dir, exist_ok=True)
        self.client_port = _free_port()
        self.peer_port = _free_port()
        self.initial_cluster = None  # "name=peer,..." for a member of a cluster; None = alone
        self.proc = None

    @property
    def peer_url(self):
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def log_path(self):
        return os.path.join(self.dir, "etcd.log")

    def start(self, wait=True):
        peer = self.peer_url
        cluster = ["--initial-cluster", self.initial_cluster or f"{self.name}={peer}"]
        if self.initial_cluster:
            cluster += ["--initial-cluster-token", "skiff-e2e-cluster", "--initial-cluster-state", "new"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [ETCD, "--name", self.name, "--data-dir", os.path.join(self.dir, "data"),
                 "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, *cluster],
                stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_serving()
        return self

    def wait_serving(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.proc.returncode}: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.client_port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("etcd did not listen: " + self.log())

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.running():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def is_leader(self):
        """Whether this member leads its cluster now (from its /metrics)."""
        if not self.running():
            return False
        try:
            with urllib.request.urlopen(self.url + "/metrics", timeout=2) as r:
                return "\netcd_server_is_leader 1" in r.read().decode()
        except OSError:
            return False

    def etcdctl(self, *args, check=True):
        env = dict(os.environ, ETCDCTL_API="3")
        res = subprocess.run([ETCDCTL, "--endpoints", self.url, *args], capture_output=True, text=True,
                             env=env, timeout=60)
        if check and res.returncode != 0:
            raise AssertionError(f"etcdctl {' '.join(args)} failed: {res.stderr}")
        return res.stdout


class EtcdCluster:
    """`size` members of one etcd cluster on loopback, in one temporary dir, each stopped by its PID."""

    def __init__(self, size=3):
        self.dir = tempfile.mkdtemp(prefix="skiff-etcd-cluster-")
        self.members = [Etcd(name=f"member{i}", dir=os.path.join(self.dir, f"member{i}")) for i in range(size)]
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        for m in self.members:
            m.initial_cluster = initial

    @property
    def urls(self):
        return [m.url for m in self.members]

    def start(self):
        # All first: no member serves clients before a quorum has elected a leader.
        for m in self.members:
            m.start(wait=False)
        for m in self.members:
            m.wait_serving()
        self.leader()
        return self

    def leader(self, timeout=20):
        """The index of the leading member (waits for an election)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, m in enumerate(self.members):
                if m.is_leader():
                    return i
            time.sleep(0.05)
        raise RuntimeError("no etcd leader: " + " | ".join(m.log()[-500:] for m in self.members))

    def etcdctl(self, *args, check=True):
        live = [m for m in self.members if m.running()]
        return live[0].etcdctl(*args, check=check)

    def cleanup(self):
        for m in self.members:
            m.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_by_data_dir = {}


def etcd_for(data_dir):
    """The etcd of a server data dir, started if it is not running."""
    etcd = _by_data_dir.get(data_dir)
    if etcd is None:
        etcd = _by_data_dir[data_dir] = Etcd()
    if not etcd.running():
        etcd.start()
    return etcd


def release(data_dir):
    """Stops and removes the etcd of a data dir (when the data dir itself goes)."""
    etcd = _by_data_dir.pop(data_dir, None)
    if etcd:
        etcd.cleanup()


@atexit.register
def _stop_all():
    for data_dir in list(_by_data_dir):
        release(data_dir)
