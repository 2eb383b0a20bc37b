"""Durability: every acknowledged write survives `kill -9`; data and credentials survive restarts."""
import http.client
import json
import os
import ssl
import threading
import time

import pytest

from conftest import Skiff, api_request

WRITERS = 8
KEYS_PER_WRITER = 4


class Writer(threading.Thread):
    """Creates, updates and deletes its own ConfigMaps over one keep-alive HTTPS connection and records
    every write the server acknowledged (2xx) plus the one in flight when the server died."""

    def __init__(self, s, ns, idx, stop):
        super().__init__(daemon=True)
        self.s, self.ns, self.idx, self.stop = s, ns, idx, stop
        self.ctx = ssl.create_default_context(cafile=os.path.join(s.data_dir, "pki", "ca.crt"))
        self.token = s.token()
        self.port = s.port
        # key -> ("present", counter) | ("absent", None): the latest acknowledged state
        self.acked = {}
        # key -> state that was sent but whose answer never arrived
        self.in_flight = {}
        self.acks = 0
        self.error = None

    def _req(self, conn, method, path, body=None):
        h = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        resp = conn.getresponse()
        return resp.status, resp.read()

    def run(self):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=10)
        base = f"/api/v1/namespaces/{self.ns}/configmaps"
        counter = 0
        try:
            while not self.stop.is_set():
                counter += 1
                key = f"w{self.idx}-k{counter % KEYS_PER_WRITER}"
                state = self.acked.get(key, ("absent", None))
                if state[0] == "absent":
                    method, path, target = "POST", base, ("present", counter)
                    body = {"metadata": {"name": key}, "data": {"n": str(counter)}}
                elif counter % 11 == 0:
                    method, path, target, body = "DELETE", f"{base}/{key}", ("absent", None), None
                else:
                    method, path, target = "PUT", f"{base}/{key}", ("present", counter)
                    body = {"metadata": {"name": key}, "data": {"n": str(counter)}}
                self.in_flight[key] = target
                try:
                    code, raw = self._req(conn, method, path, body)
                except (OSError, http.client.HTTPException):
                    return  # server gone: this write may or may not have landed
                if code // 100 != 2:
                    self.error = f"{method} {path} -> {code}: {raw[:300]!r}"
                    return
                del self.in_flight[key]
                self.acked[key] = target
                self.acks += 1
        finally:
            conn.close()


def read_all(s, ns):
    code, _, body = api_request(s, "GET", f"/api/v1/namespaces/{ns}/configmaps")
    assert code == 200, body
    return {i["metadata"]["name"]: int(i["data"]["n"]) for i in body["items"]
            if i["metadata"]["name"] != "kube-root-ca.crt"}


def test_acknowledged_writes_survive_kill9(skiff):
    s = skiff
    ns = "durable"
    code, _, body = api_request(s, "POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    assert code == 201, body
    stop = threading.Event()
    writers = [Writer(s, ns, i, stop) for i in range(WRITERS)]
    for w in writers:
        w.start()
    time.sleep(2.5)
    rv_before = None
    code, _, lst = api_request(s, "GET", f"/api/v1/namespaces/{ns}/configmaps")
    if code == 200:
        rv_before = int(lst["metadata"]["resourceVersion"])
    s.kill9()  # mid-stream: writers are still sending
    stop.set()
    for w in writers:
        w.join(15)
        assert not w.is_alive()
        assert w.error is None, w.error
    total = sum(w.acks for w in writers)
    assert total > 100, f"only {total} acknowledged writes in 2.5 s: the test did not exercise much"

    s2 = Skiff(data_dir=s.data_dir)
    s2.start()
    try:
        stored = read_all(s2, ns)
        problems = []
        for w in writers:
            for key, (state, n) in w.acked.items():
                allowed = {(state, n)}
                if key in w.in_flight:
                    allowed.add(w.in_flight[key])  # the unanswered write may have landed
                got = ("present", stored[key]) if key in stored else ("absent", None)
                if got not in allowed:
                    problems.append(f"{key}: stored {got}, acknowledged {(state, n)}, "
                                    f"in flight {w.in_flight.get(key)}")
        known = {k for w in writers for k in list(w.acked) + list(w.in_flight)}
        problems += [f"{k}: stored but never written" for k in stored if k not in known]
        assert not problems, f"{len(problems)} lost/corrupt writes of {total} acked:\n" + "\n".join(problems[:20])

        # revisions keep increasing after the crash: no resourceVersion is reused
        code, _, created = api_request(s2, "POST", f"/api/v1/namespaces/{ns}/configmaps",
                                       {"metadata": {"name": "after-crash"}, "data": {"n": "0"}})
        assert code == 201, created
        if rv_before is not None:
            assert int(created["metadata"]["resourceVersion"]) > rv_before
        # and kubectl works against the restarted server
        out = s2.kubectl("get", "configmaps", "-n", ns, "-o", "name").stdout.split()
        assert "configmap/after-crash" in out
        assert len([o for o in out if o.startswith("configmap/w")]) == len(stored)
    finally:
        s2.cleanup()


def test_kill9_right_after_acknowledged_create_and_delete(skiff):
    """The simplest case, checked one write at a time: an answered write is on disk."""
    s = skiff
    base = "/api/v1/namespaces/default/configmaps"
    code, _, _ = api_request(s, "POST", base, {"metadata": {"name": "doomed"}, "data": {"n": "1"}})
    assert code == 201
    code, _, _ = api_request(s, "POST", base, {"metadata": {"name": "last"}, "data": {"n": "1"}})
    assert code == 201
    code, _, _ = api_request(s, "DELETE", base + "/doomed")
    assert code == 200
    code, _, got = api_request(s, "PATCH", base + "/last", {"data": {"n": "2"}},
                               content_type="application/merge-patch+json")
    assert code == 200
    s.kill9()
    s2 = Skiff(data_dir=s.data_dir).start()
    try:
        code, _, _ = api_request(s2, "GET", base + "/doomed")
        assert code == 404
        code, _, last = api_request(s2, "GET", base + "/last")
        assert code == 200 and last["data"] == {"n": "2"}
        assert last["metadata"]["resourceVersion"] == got["metadata"]["resourceVersion"]
        assert last["metadata"]["uid"] == got["metadata"]["uid"]
    finally:
        s2.cleanup()


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def test_data_and_credentials_survive_clean_restart(skiff):
    s = skiff
    s.kubectl("create", "namespace", "keepme")
    s.kubectl("create", "configmap", "cfg", "-n", "keepme", "--from-literal=a=b")
    s.kubectl("create", "deployment", "web", "-n", "keepme", "--image=nginx:1.27", "--replicas=2")
    s.kubectl("label", "namespace", "keepme", "persist=yes")
    before = s.kubectl_json("get", "configmap", "cfg", "-n", "keepme")
    dep_before = s.kubectl_json("get", "deployment", "web", "-n", "keepme")
    pki = os.path.join(s.data_dir, "pki")
    ca_before = read_file(os.path.join(pki, "ca.crt"))
    files_before = {f: read_file(os.path.join(pki, f)) for f in os.listdir(pki)}
    token_before = s.token()
    node_token_before = read_file(os.path.join(s.data_dir, "node.token"))
    old_port = s.port

    s.stop()  # SIGTERM: clean shutdown
    s2 = Skiff(data_dir=s.data_dir).start()
    try:
        assert s2.port != old_port
        # same CA and keys, same tokens
        assert read_file(os.path.join(pki, "ca.crt")) == ca_before
        for f, content in files_before.items():
            if f.endswith(".key") or f.startswith("ca"):
                assert read_file(os.path.join(pki, f)) == content, f"{f} changed across restart"
        assert s2.token() == token_before
        assert read_file(os.path.join(s.data_dir, "node.token")) == node_token_before
        # the old token still authenticates against the new process (verified with the same CA)
        code, _, body = api_request(s2, "GET", "/api/v1/namespaces/keepme", auth=token_before)
        assert code == 200, body
        assert body["metadata"]["labels"]["persist"] == "yes"
        # kubeconfig rewritten for the new port, with the same CA, and kubectl works
        with open(s2.kubeconfig) as f:
            kc = f.read()
        assert f"127.0.0.1:{s2.port}" in kc or f"localhost:{s2.port}" in kc
        after = s2.kubectl_json("get", "configmap", "cfg", "-n", "keepme")
        assert after["data"] == {"a": "b"}
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        assert after["metadata"]["creationTimestamp"] == before["metadata"]["creationTimestamp"]
        dep_after = s2.kubectl_json("get", "deployment", "web", "-n", "keepme")
        assert dep_after["spec"] == dep_before["spec"]
        assert dep_after["metadata"]["uid"] == dep_before["metadata"]["uid"]
        # writes continue with higher revisions
        s2.kubectl("create", "configmap", "cfg2", "-n", "keepme", "--from-literal=c=d")
        cfg2 = s2.kubectl_json("get", "configmap", "cfg2", "-n", "keepme")
        assert int(cfg2["metadata"]["resourceVersion"]) > int(dep_after["metadata"]["resourceVersion"])
        # a second restart keeps it all too
        s2.stop()
        s2.start()
        assert s2.kubectl_json("get", "configmap", "cfg2", "-n", "keepme")["data"] == {"c": "d"}
    finally:
        s2.cleanup()


def test_watch_resume_across_restart(skiff):
    """A client that resumes a watch from a revision seen before the restart gets the later changes
    (or an explicit 410 Expired telling it to relist) - never a silent gap."""
    s = skiff
    base = "/api/v1/namespaces/default/configmaps"
    code, _, first = api_request(s, "POST", base, {"metadata": {"name": "r1"}, "data": {"n": "1"}})
    assert code == 201
    rv = first["metadata"]["resourceVersion"]
    code, _, _ = api_request(s, "POST", base, {"metadata": {"name": "r2"}, "data": {"n": "1"}})
    assert code == 201
    s.stop()
    s2 = Skiff(data_dir=s.data_dir).start()
    try:
        code, _, _ = api_request(s2, "PATCH", base + "/r1", {"data": {"n": "2"}},
                                 content_type="application/merge-patch+json")
        assert code == 200
        from conftest import watch_events
        events = [ev for _, ev in watch_events(s2, base + f"?watch=true&resourceVersion={rv}&timeoutSeconds=1")]
        kinds = [(ev["type"], ev["object"].get("metadata", {}).get("name")) for ev in events]
        if events and events[0]["type"] == "ERROR":
            assert events[0]["object"]["code"] == 410, events
        else:
            assert [k for k in kinds if k[1] != "kube-root-ca.crt"] == [("ADDED", "r2"), ("MODIFIED", "r1")], kinds
    finally:
        s2.cleanup()


@pytest.mark.parametrize("sig", ["kill9", "term"])
def test_restart_keeps_namespaces_and_bootstrap_objects(skiff, sig):
    s = skiff
    s.kubectl("create", "namespace", f"ns-{sig}")
    before = set(s.kubectl("get", "namespaces", "-o", "name").stdout.split())
    s.kill9() if sig == "kill9" else s.stop()
    s2 = Skiff(data_dir=s.data_dir).start()
    try:
        after = set(s2.kubectl("get", "namespaces", "-o", "name").stdout.split())
        assert after == before
        default = s2.kubectl_json("get", "namespace", "default")
        assert default["status"]["phase"] == "Active"
    finally:
        s2.cleanup()


def test_optimistic_concurrency_loses_no_update(skiff):
    """Many clients doing read-modify-write with resourceVersion on one object: every successful
    PUT is counted exactly once; the losers get 409 and retry."""
    s = skiff
    path = "/api/v1/namespaces/default/configmaps/counter"
    code, _, _ = api_request(s, "POST", "/api/v1/namespaces/default/configmaps",
                             {"metadata": {"name": "counter"}, "data": {"n": "0"}})
    assert code == 201
    successes, conflicts, errors = [0] * 6, [0] * 6, []

    def worker(i):
        while successes[i] < 15:
            code, _, cur = api_request(s, "GET", path)
            if code != 200:
                errors.append((code, cur))
                return
            cur["data"]["n"] = str(int(cur["data"]["n"]) + 1)
            code, _, body = api_request(s, "PUT", path, cur)
            if code == 200:
                successes[i] += 1
            elif code == 409:
                conflicts[i] += 1
            else:
                errors.append((code, body))
                return

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    code, _, final = api_request(s, "GET", path)
    assert int(final["data"]["n"]) == sum(successes) == 90, (final["data"], successes, conflicts)
    assert sum(conflicts) > 0, "6 racing writers never conflicted: the test did not race"
