"""No request can kill or exhaust the server: oversized headers and bodies, idle and flooding
connections, too many requests in flight, watchers that stop reading, and the data dir's modes.

Each test drives a real `skiff server` over raw TLS sockets (to send what kubectl never would) and
checks with kubectl or the Python client that the server is still up and serving."""
import json
import os
import resource
import socket
import ssl
import stat
import tempfile
import threading
import time

import pytest

from conftest import STORE, Skiff, api_request


def tls_context(s):
    return ssl.create_default_context(cafile=os.path.join(s.data_dir, "pki", "ca.crt"))


def tls_socket(s, rcvbuf=None, timeout=30):
    raw = socket.socket()
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.settimeout(timeout)
    raw.connect(("127.0.0.1", s.port))
    return tls_context(s).wrap_socket(raw, server_hostname="127.0.0.1")


def read_response_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def status_code(head):
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else None


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_serving(s):
    assert s.proc.poll() is None, s.log()
    assert s.kubectl("get", "namespace", "default", "-o", "name").stdout.strip() == "namespace/default"


@pytest.fixture
def server():
    s = Skiff(extra_args=["--disable-controllers"]).start()
    yield s
    s.cleanup()


@pytest.mark.parametrize("where", ["value", "name"])
def test_header_field_over_64k_without_credentials_is_431_and_the_server_lives(server, where):
    big = "a" * (64 * 1024)
    field = f"X-Big: {big}" if where == "value" else f"X-{big}: 1"
    with tls_socket(server) as sock:
        sock.sendall(f"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n{field}\r\n\r\n".encode())
        head = read_response_head(sock)
    assert status_code(head) == 431, head[:200]
    assert_serving(server)


def test_header_block_over_1mib_is_431(server):
    fields = "".join(f"X-F{i}: {'b' * 60000}\r\n" for i in range(20))
    with tls_socket(server) as sock:
        try:
            sock.sendall(f"GET /version HTTP/1.1\r\nHost: x\r\n{fields}\r\n".encode())
        except OSError:
            pass  # the answer may come before everything was sent
        head = read_response_head(sock)
    assert status_code(head) == 431, head[:200]
    assert_serving(server)


def test_body_over_3mb_is_413_for_the_python_client_and_kubectl(server):
    from kubernetes import client
    from kubernetes.client.rest import ApiException
    api = client.CoreV1Api(server.python_client())
    big = {"blob": "x" * (3 * 1024 * 1024 + 100)}
    with pytest.raises(ApiException) as err:
        api.create_namespaced_config_map("default", {"metadata": {"name": "big"}, "data": big})
    assert err.value.status == 413
    assert json.loads(err.value.body)["reason"] == "RequestEntityTooLarge"
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": big}, f)
        f.flush()
        res = server.kubectl("create", "-f", f.name, check=False)
    assert res.returncode != 0
    assert "RequestEntityTooLarge" in res.stderr or "too large" in res.stderr.lower(), res.stderr
    assert server.kubectl("get", "configmap", "big", check=False).returncode != 0
    assert_serving(server)


def test_connections_that_never_send_a_request_are_closed_after_about_10s(server):
    plain = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    handshaken = tls_socket(server)
    start = time.time()
    assert plain.recv(1) == b""
    assert handshaken.recv(1) == b""
    elapsed = time.time() - start
    assert 8 <= elapsed <= 15, elapsed
    plain.close()
    handshaken.close()


def test_connection_flood_at_ulimit_1024_neither_starves_clients_nor_spins():
    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    s = Skiff(extra_args=["--disable-controllers"], preexec_fn=low_fd_limit).start()
    conns = []
    try:
        for _ in range(1010):
            try:
                conns.append(socket.create_connection(("127.0.0.1", s.port), timeout=5))
            except OSError:
                pass
        time.sleep(1)
        cpu_before = cpu_seconds(s.proc.pid)
        time.sleep(3)
        assert cpu_seconds(s.proc.pid) - cpu_before < 1.0, "the accept loop spins"
        assert "connections open, the limit" in s.log()
        # The idle connections are closed within ~10 s; then clients are served again.
        deadline = time.time() + 25
        while True:
            res = s.kubectl("get", "namespace", "default", "-o", "name", check=False, timeout=10)
            if res.returncode == 0:
                break
            assert time.time() < deadline, res.stderr
            time.sleep(1)
        assert s.proc.poll() is None
        print(f"server peak RSS during a flood of {len(conns)} connections at ulimit -n 1024: "
              f"{rss_kib(s.proc.pid, 'VmHWM') // 1024} MiB")
    finally:
        for c in conns:
            c.close()
        s.cleanup()


def test_requests_over_the_inflight_limit_get_429_and_probes_never_queue():
    s = Skiff(extra_args=["--disable-controllers", "--max-requests-inflight", "2",
                          "--max-mutating-requests-inflight", "1"]).start()
    try:
        codes = []
        retry_after = []
        probe_times = []
        stop = threading.Event()

        def writer(i):
            for j in range(15):
                code, headers, body = api_request(
                    s, "POST", "/api/v1/namespaces/default/configmaps",
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c-{i}-{j}"}})
                codes.append(code)
                if code == 429:
                    retry_after.append((headers.get("Retry-After"), body.get("reason")))

        def prober():
            while not stop.is_set():
                t = time.time()
                code, _, _ = api_request(s, "GET", "/readyz", auth=False)
                probe_times.append((code, time.time() - t))

        deadline = time.time() + 10
        while api_request(s, "GET", "/readyz", auth=False)[0] != 200:  # ready once bootstrapped
            assert time.time() < deadline
            time.sleep(0.1)
        probe = threading.Thread(target=prober)
        probe.start()
        writers = [threading.Thread(target=writer, args=(i,)) for i in range(24)]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        stop.set()
        probe.join()
        assert set(codes) <= {201, 429}, codes
        assert 429 in codes and 201 in codes
        assert all(r == ("1", "TooManyRequests") for r in retry_after), retry_after[:3]
        assert probe_times and all(code == 200 for code, _ in probe_times)
        assert max(t for _, t in probe_times) < 2.0
        assert s.proc.poll() is None
    finally:
        s.cleanup()


def open_watch(s, path, rcvbuf=None):
    sock = tls_socket(s, rcvbuf=rcvbuf, timeout=60)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {s.token()}\r\n\r\n".encode())
    return sock


def create_big_configmaps(s, prefix, count):
    """`count` ConfigMaps of 256 KiB each: one 256 KiB event apiece for every watcher."""
    blob = "v" * (256 * 1024)
    for i in range(count):
        code, _, body = api_request(s, "POST", "/api/v1/namespaces/default/configmaps",
                                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{prefix}{i}"},
                                     "data": {"blob": blob}})
        assert code == 201, body


def test_a_slow_watcher_is_cut_off_with_an_error_event(server):
    # A watcher that reads nothing while ~24 MiB of events pass (more than the kernel's socket
    # buffers and the server's per-watch budget), then reads what is left.
    sock = open_watch(server, "/api/v1/namespaces/default/configmaps?watch=true", rcvbuf=4096)
    time.sleep(0.5)
    create_big_configmaps(server, "w", 96)
    data = b""
    sock.settimeout(30)
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    sock.close()
    assert b'"type":"ERROR"' in data
    error_line = data[data.index(b'{"type":"ERROR"'):].split(b"\n", 1)[0]
    event = json.loads(error_line)
    assert event["object"]["code"] == 429
    assert data.count(b'"type":"ADDED"') < 96  # it was cut off, not served everything
    assert_serving(server)


def registered_watchers(server):
    code, _, body = api_request(server, "GET", "/metrics")
    assert code == 200
    watchers = [l for l in body.splitlines() if l.startswith("apiserver_registered_watchers ")]
    assert watchers, body[:2000]
    return int(float(watchers[0].split()[1]))


def test_1000_abandoned_watches_keep_memory_bounded(server):
    # The server's own watches (the RBAC authorizer follows roles and bindings) stay open.
    own_watches = registered_watchers(server)
    watches = [open_watch(server, "/api/v1/namespaces/default/configmaps?watch=true", rcvbuf=4096)
               for _ in range(1000)]
    time.sleep(1)
    rss_before = rss_kib(server.proc.pid)
    create_big_configmaps(server, "a", 64)
    time.sleep(2)
    for w in watches:
        w.close()  # abandoned with unread data: the server sees a reset
    time.sleep(3)
    peak = rss_kib(server.proc.pid, "VmHWM")
    after = rss_kib(server.proc.pid)
    print(f"server RSS: {rss_before // 1024} MiB with 1000 idle watches, peak {peak // 1024} MiB "
          f"(64 events of 256 KiB to each), {after // 1024} MiB after they disconnected")
    # Without a per-watch budget each watcher would queue all 16 MiB: 16 GiB.
    assert peak < 600 * 1024, peak
    assert registered_watchers(server) == own_watches
    assert_serving(server)


@pytest.mark.skipif(STORE != "sqlite", reason="checks the SQLite database's files")
def test_data_dir_is_0700_and_the_database_0600_whatever_the_umask(tmp_path):
    data_dir = str(tmp_path / "data")
    os.mkdir(data_dir, 0o755)  # as a umask of 022 leaves it
    os.chmod(data_dir, 0o755)
    s = Skiff(data_dir=data_dir, extra_args=["--disable-controllers"],
              preexec_fn=lambda: os.umask(0o022)).start()
    try:
        s.kubectl("create", "secret", "generic", "s", "--from-literal=k=v")
        assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
        files = [f for f in os.listdir(data_dir) if f.startswith("state.db")]
        assert "state.db" in files and "state.db-wal" in files, files
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(data_dir, f)).st_mode) == 0o600, f
    finally:
        s.cleanup()
