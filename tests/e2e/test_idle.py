"""Idle footprint of a single SQLite server: nothing is written while nothing changes. With the
embedded store no other server can compete, so the controller-manager and scheduler Leases (and the
API server's own identity Lease) are kept for observers only, renewed every 5 minutes; after a
kill -9 the restarted server takes them over at once and drops the dead run's endpoint."""
import time

import pytest

from conftest import STORE, Skiff, api_request, wait_for

pytestmark = pytest.mark.skipif(STORE == "etcd", reason="several servers may share etcd: the full Lease protocol")

LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"


def revision(s):
    code, _, body = api_request(s, "GET", "/api/v1/namespaces?limit=1")
    assert code == 200, body
    return int(body["metadata"]["resourceVersion"])


def write_bytes(pid):
    with open(f"/proc/{pid}/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("write_bytes"))


def lease(s, name):
    code, _, body = api_request(s, "GET", f"{LEASES}/{name}")
    return body if code == 200 else None


def held(s, name):
    l = lease(s, name)
    return l if l and l["spec"].get("holderIdentity") else None


def settled(s, quiet=3.0, timeout=60):
    """Waits until start-up writes (bootstrap objects, first leases) have stopped for `quiet` s."""
    deadline = time.time() + timeout
    last, since = revision(s), time.time()
    while time.time() < deadline:
        time.sleep(0.5)
        now = revision(s)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet:
            return now
    pytest.fail(f"the server kept writing for {timeout} s after start")


@pytest.fixture
def server():
    s = Skiff().start()
    yield s
    s.cleanup()


def test_an_idle_single_server_writes_nothing(server):
    s = server
    for name in ("kube-controller-manager", "kube-scheduler"):
        wait_for(lambda: held(s, name), what=f"{name} lease held")
    start = settled(s)
    bytes_before = write_bytes(s.proc.pid)
    # 25 s: more than twelve leader-election retry periods (2 s) and two endpoint rounds (10 s),
    # each of which wrote a Lease before.
    time.sleep(25)
    assert revision(s) == start, "the idle server wrote to its store"
    written = write_bytes(s.proc.pid) - bytes_before
    assert written <= 25 * 1024, f"{written} bytes written to disk in 25 idle seconds"
    # The Leases are still there for observers, live for three renew periods.
    for name in ("kube-controller-manager", "kube-scheduler"):
        l = held(s, name)
        assert l and l["spec"]["leaseDurationSeconds"] == 900, l
    code, _, body = api_request(s, "GET", f"{LEASES}?labelSelector=apiserver.kubernetes.io/identity%3Dkube-apiserver")
    assert code == 200 and len(body["items"]) == 1, body
    assert body["items"][0]["spec"]["leaseDurationSeconds"] == 900, body


def test_after_kill9_the_restarted_server_takes_over_at_once(server):
    s = server
    before = wait_for(lambda: held(s, "kube-controller-manager"), what="lease held")
    old_port = s.port
    s.kill9()
    again = Skiff(data_dir=s.data_dir)  # a new port, the same store
    started = time.time()
    again.start()
    try:
        # The dead holder's lease looks fresh for 900 s, yet nobody else can exist: taken at once.
        taken = wait_for(lambda: (l := held(again, "kube-controller-manager")) and
                         l["spec"]["holderIdentity"] != before["spec"]["holderIdentity"] and l, timeout=20)
        assert time.time() - started < 10, "the restarted server waited for the dead run's lease"
        assert taken["spec"]["leaseDurationSeconds"] == 900, taken
        # The kubernetes endpoints name only the live server, the dead run's lease is gone.
        def endpoint_ports():
            code, _, ep = api_request(again, "GET", "/api/v1/namespaces/default/endpoints/kubernetes")
            return code == 200 and sorted(p["port"] for sub in ep.get("subsets", []) for p in sub["ports"])
        wait_for(lambda: endpoint_ports() == [again.port], what="endpoints of the live server only")
        code, _, body = api_request(
            again, "GET", f"{LEASES}?labelSelector=apiserver.kubernetes.io/identity%3Dkube-apiserver")
        names = [item["metadata"]["name"] for item in body["items"]]
        assert names == [f"apiserver-127-0-0-1-{again.port}"], (names, old_port)
    finally:
        again.stop()
