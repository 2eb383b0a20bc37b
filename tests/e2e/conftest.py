"""Fixtures for end-to-end tests: each test (or module) gets a real `skiff server` on a free
loopback port with a temporary data dir, plus helpers to drive it with the real kubectl.

SKIFF_TEST_STORE=etcd runs every server on etcd instead of SQLite: a private etcd per server data
dir (etcd_util), on loopback ports of its own."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import etcd_util

SKIFF_BIN = os.environ.get("SKIFF_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "skiff")
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
STORE = os.environ.get("SKIFF_TEST_STORE", "sqlite")
assert STORE in ("sqlite", "etcd"), f"SKIFF_TEST_STORE={STORE}: want sqlite or etcd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Skiff:
    """A running `skiff server` process and a kubectl bound to it."""

    def __init__(self, data_dir=None, extra_args=(), agent=False, netns=None, preexec_fn=None,
                 host="127.0.0.1", store=None):
        # netns: the name of a network namespace (`ip netns add`) to run the server, its agent and
        # kubectl in; the test process itself cannot reach the server then.
        self.prefix = ["nsenter", f"--net=/run/netns/{netns}"] if netns else []
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="skiff-e2e-")
        self.host = host  # the listen address: loopback, or e.g. a test bridge's for netns nodes
        self.port = free_port()
        # Most suites need only the control plane (plus `skiff sim` nodes); a real agent (containerd,
        # CNI) is started only where a test drives real containers.
        self.agent = agent
        self.extra_args = list(extra_args)
        self.preexec_fn = preexec_fn  # e.g. to set the umask or resource limits of the server
        if not agent and "--disable-agent" not in self.extra_args:
            self.extra_args.append("--disable-agent")
        # The agent's ingress controller listens on ports 80/443 of the machine by default; tests
        # that run it pick free ports themselves, the others leave it off.
        for flag in ("--ingress-http-port", "--ingress-https-port"):
            if agent and not any(a.startswith(flag) for a in self.extra_args):
                self.extra_args += [flag, "0"]
        self.store = store or STORE  # "sqlite" or "etcd"; a test that needs one names it
        self.cache_dir = tempfile.mkdtemp(prefix="kubectl-cache-")
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    @property
    def kubeconfig(self):
        return os.path.join(self.data_dir, "admin.kubeconfig")

    @property
    def url(self):
        return f"https://{self.host}:{self.port}"

    def token(self):
        with open(os.path.join(self.data_dir, "admin.token")) as f:
            return f.read().strip()

    def store_args(self):
        """--etcd-servers of this data dir's private etcd under SKIFF_TEST_STORE=etcd (unless the
        test chose a store itself)."""
        if self.store != "etcd" or self.prefix or any(a.startswith("--etcd-servers") for a in self.extra_args):
            return []  # (a server in another network namespace cannot reach etcd on our loopback)
        return ["--etcd-servers", etcd_util.etcd_for(self.data_dir).url]

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*self.prefix, SKIFF_BIN, "server", "--data-dir", self.data_dir, "--listen",
             f"{self.host}:{self.port}", *self.store_args(), *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=self.preexec_fn)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"skiff exited with {self.proc.returncode}: {self.log()}")
            if self.prefix:  # in another namespace: the server says when it listens
                with open(self.log_path, errors="replace") as f:
                    if "skiff server listening on port" in f.read():
                        break
            elif os.path.exists(self.kubeconfig):
                try:
                    with socket.create_connection((self.host, self.port), timeout=0.2):
                        break
                except OSError:
                    pass
            time.sleep(0.05)
        else:
            raise RuntimeError("skiff did not become ready: " + self.log())
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self):
        self.stop(signal.SIGKILL)

    @property
    def agent_dir(self):
        return os.path.join(self.data_dir, "agent")

    def cleanup(self):
        self.stop()
        if self.agent:
            # Pods, shims, network namespaces, mounts and containerd of the in-process agent.
            subprocess.run([*self.prefix, SKIFF_BIN, "agent", "reset", "--data-dir", self.agent_dir],
                           capture_output=True, timeout=120)
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        if self.owns_dir:
            etcd_util.release(self.data_dir)
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def env(self):
        env = dict(os.environ)
        env["KUBECONFIG"] = self.kubeconfig
        env["HOME"] = self.cache_dir
        return env

    def kubectl(self, *args, input=None, check=True, timeout=60, env_extra=None):
        """Runs kubectl; returns CompletedProcess (text). check=True raises with stderr on failure."""
        env = self.env()
        if env_extra:
            env.update(env_extra)
        cmd = [*self.prefix, KUBECTL, f"--cache-dir={self.cache_dir}", *args]
        res = subprocess.run(cmd, input=input, capture_output=True, text=True, env=env, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({res.returncode}):\n"
                                 f"stdout: {res.stdout}\nstderr: {res.stderr}\nserver log: {self.log()}")
        return res

    def kubectl_json(self, *args, **kw):
        return json.loads(self.kubectl(*args, "-o", "json", **kw).stdout)

    def python_client(self):
        from kubernetes import client, config
        cfg = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig, client_configuration=cfg)
        return client.ApiClient(cfg)


def wait_for(predicate, timeout=40, interval=0.25, what="condition"):
    """Polls predicate() every `interval` seconds until it returns something truthy, which is
    returned; after `timeout` seconds raises AssertionError naming `what` and the last value."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def audit_log_events(path):
    """The complete events of an audit log so far. The server writes it in batches, so a reader may
    see a batch half-written: a last line without its newline is not complete and is left for the
    next read."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def start_sim(s, nodes, *extra, log_name="sim.log", wait=True):
    """Starts `skiff sim` against server `s` (output in DATA_DIR/<log_name>) and, with `wait`, waits
    until the cluster has `nodes` nodes. Returns the process; end it with stop_process."""
    log_path = os.path.join(s.data_dir, log_name)
    with open(log_path, "ab") as log:
        sim = subprocess.Popen(
            [SKIFF_BIN, "sim", "--kubeconfig", s.kubeconfig, "--nodes", str(nodes), *extra],
            stdout=log, stderr=subprocess.STDOUT)
    if not wait:
        return sim
    deadline = time.time() + 30
    while len(s.kubectl_json("get", "nodes")["items"]) < nodes:
        if sim.poll() is not None or time.time() > deadline:
            stop_process(sim)
            with open(log_path, errors="replace") as f:
                raise AssertionError(f"sim nodes did not register: {f.read()[-4000:]}")
        time.sleep(0.2)
    return sim


def stop_process(proc, timeout=15):
    """SIGTERM (unless it has already exited), then SIGKILL after `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def skiff():
    s = Skiff().start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def shared_skiff():
    s = Skiff().start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def bare_skiff():
    """A server without controllers: for tests of API server semantics that controllers writing
    status or managedFields would race with."""
    s = Skiff(extra_args=["--disable-controllers"]).start()
    yield s
    s.cleanup()


# ---- the Python client bound to the module's server (`shared_skiff`, which a module may override) ----

@pytest.fixture(scope="module")
def api(shared_skiff):
    return shared_skiff.python_client()


@pytest.fixture
def v1(api):
    from kubernetes import client
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api):
    from kubernetes import client
    return client.AppsV1Api(api)


# ---- raw HTTPS helpers (bearer token, CA from DIR/pki/ca.crt) ----

def https_connection(s, timeout=30):
    """An http.client connection to server `s` that trusts its CA."""
    import http.client
    import ssl
    ctx = ssl.create_default_context(cafile=os.path.join(s.data_dir, "pki", "ca.crt"))
    return http.client.HTTPSConnection(s.host, s.port, context=ctx, timeout=timeout)


def api_request(s, method, path, body=None, content_type="application/json", auth=True,
                headers=None, timeout=30):
    """One HTTPS request to `s`. body: bytes, str, or anything json.dumps takes.
    Returns (status, headers as a case-insensitive message, parsed JSON body or raw text).
    Tolerates the server answering (e.g. 413) before the whole body was sent."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    h = {"Accept": "application/json"}
    if body is not None and content_type:
        h["Content-Type"] = content_type
    if auth:
        h["Authorization"] = "Bearer " + (auth if isinstance(auth, str) else s.token())
    h.update(headers or {})
    conn = https_connection(s, timeout)
    try:
        try:
            conn.request(method, path, body=body, headers=h)
        except OSError:
            pass  # server may reply and close early; the reply is still readable
        resp = conn.getresponse()
        raw = resp.read().decode(errors="replace")
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        return resp.status, resp.headers, parsed
    finally:
        conn.close()


def watch_events(s, path, timeout=30, on_open=None):
    """Opens a watch (path must include watch=true) and yields (seconds since open, event dict)
    per newline-delimited line until the server ends the stream. on_open(status) is called once."""
    conn = https_connection(s, timeout)
    conn.request("GET", path, headers={"Authorization": "Bearer " + s.token(),
                                       "Accept": "application/json"})
    resp = conn.getresponse()
    t0 = time.time()
    try:
        if on_open:
            on_open(resp.status)
        if resp.status != 200:
            raise AssertionError(f"watch {path} -> {resp.status}: {resp.read()[:500]!r}")
        while True:
            line = resp.readline()
            if not line:
                return
            if line.strip():
                yield time.time() - t0, json.loads(line)
    finally:
        conn.close()
