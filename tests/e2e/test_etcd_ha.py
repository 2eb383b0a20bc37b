"""etcd high availability, on a private three-member etcd cluster on loopback (etcd_util.EtcdCluster):
- a server given all three members in --etcd-servers keeps taking kubectl writes while members die
  (kill -9): first the member it talks to, then (after that one is back) the leader; every write
  kubectl saw succeed is stored, and the server's watch cache lists it;
- a server whose only member is down while another server writes and etcd compacts past its watch
  cache's revision recovers when the member returns: its store watch fails as compacted, the cache
  relists (it then lists what the other server wrote), a watch from a resourceVersion older than the
  relist gets 410 Expired, and the cache follows new writes again.
"""
import json
import os
import signal
import threading
import time

import pytest

import etcd_util
from conftest import Skiff, wait_for

# CI installs etcd: there a missing etcd fails the test instead of skipping it.
pytestmark = pytest.mark.skipif(not os.path.exists(etcd_util.ETCD) and "CI" not in os.environ,
                                reason="needs etcd (scripts/install-deps.sh installs etcd-server)")


@pytest.fixture
def cluster():
    c = etcd_util.EtcdCluster(3).start()
    yield c
    c.cleanup()


class Writer(threading.Thread):
    """Creates ConfigMaps w0, w1, ... with kubectl until stopped. A failed create is retried under
    the same name; AlreadyExists on a retry means the failed attempt was applied after all."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.acknowledged = []
        self.failures = 0
        self.stopping = threading.Event()

    def run(self):
        i = 0
        while not self.stopping.is_set():
            name = f"w{i}"
            retried = False
            while not self.stopping.is_set():
                res = self.server.kubectl("create", "configmap", name, "--from-literal=i=" + str(i),
                                          check=False, timeout=30)
                if res.returncode == 0 or (retried and "AlreadyExists" in res.stderr):
                    self.acknowledged.append(name)
                    break
                retried = True
                self.failures += 1
                time.sleep(0.2)
            i += 1

    def wait_for_more(self, n, timeout=60):
        target = len(self.acknowledged) + n
        wait_for(lambda: len(self.acknowledged) >= target, timeout, what=f"{n} more acknowledged writes")

    def stop(self):
        self.stopping.set()
        self.join(60)


def configmap_names(server):
    return {i["metadata"]["name"] for i in server.kubectl_json("get", "configmaps")["items"]}


def test_kubectl_writes_continue_while_etcd_members_are_killed(cluster):
    leader = cluster.leader()
    connected = (leader + 1) % 3  # the server's first endpoint is a follower: two different losses
    order = [connected, (connected + 1) % 3, (connected + 2) % 3]
    server = Skiff(extra_args=["--etcd-servers", ",".join(cluster.members[i].url for i in order)]).start()
    try:
        writer = Writer(server)
        writer.start()
        try:
            writer.wait_for_more(5)
            cluster.members[connected].stop(signal.SIGKILL)
            writer.wait_for_more(5)
            cluster.members[connected].start()
            writer.wait_for_more(3)
            leader = cluster.leader()
            cluster.members[leader].stop(signal.SIGKILL)
            writer.wait_for_more(5)
        finally:
            writer.stop()
        acknowledged = set(writer.acknowledged)
        assert len(acknowledged) >= 18
        # Stored in etcd ...
        keys = cluster.etcdctl("get", "--prefix", "--keys-only", "/registry/configmaps/default/w").split()
        stored = {k.rsplit("/", 1)[1] for k in keys}
        assert acknowledged <= stored, f"acknowledged but lost: {sorted(acknowledged - stored)}"
        # ... and in the server's watch cache, which followed the store through both failovers.
        wait_for(lambda: stored <= configmap_names(server), 20, what="the watch cache to list every write")
    finally:
        server.cleanup()


def etcd_revision(member):
    out = json.loads(member.etcdctl("endpoint", "status", "-w", "json"))
    return out[0]["Status"]["header"]["revision"]


def test_watch_cache_relists_after_its_watch_is_compacted_away(cluster):
    alone, *others = cluster.members
    a = Skiff(extra_args=["--etcd-servers", alone.url]).start()
    b = Skiff(extra_args=["--etcd-servers", ",".join(m.url for m in others)]).start()
    try:
        a.kubectl("create", "configmap", "before")
        old_rv = a.kubectl_json("get", "configmap", "before")["metadata"]["resourceVersion"]
        wait_for(lambda: "before" in configmap_names(b), 20, what="b to see a's write")
        # a's only member goes away; b writes and etcd compacts past everything a has seen.
        alone.stop(signal.SIGKILL)
        for i in range(5):
            b.kubectl("create", "configmap", f"during{i}")
        b.kubectl("delete", "configmap", "before")
        others[0].etcdctl("compact", str(etcd_revision(others[0])))
        alone.start()
        # a's store watch resumes below the compacted revision: the cache relists.
        expected = {f"during{i}" for i in range(5)}
        wait_for(lambda: expected <= configmap_names(a) and "before" not in configmap_names(a), 60,
                 what="a's watch cache to relist")
        assert "relisting" in open(a.log_path, errors="replace").read()
        # Watching from before the relist is 410 Expired (the client relists, as against kube-apiserver).
        res = a.kubectl("get", "--raw",
                        f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={old_rv}&timeoutSeconds=2")
        first = json.loads(res.stdout.splitlines()[0])
        assert first["type"] == "ERROR" and first["object"]["code"] == 410, first
        # And it follows the store again.
        b.kubectl("create", "configmap", "after")
        wait_for(lambda: "after" in configmap_names(a), 20, what="a to see a write made after the relist")
        a.kubectl("create", "configmap", "from-a")
        wait_for(lambda: "from-a" in configmap_names(b), 20, what="b to see a's write after the relist")
    finally:
        a.cleanup()
        b.cleanup()
