"""Watch and list semantics over raw HTTPS (chunked, newline-delimited JSON events read line by line)."""
import itertools
import json
import threading
import time
import urllib.parse

import pytest

from conftest import api_request, https_connection

_ids = itertools.count()


def new_ns(s):
    name = f"wl-{next(_ids)}"
    code, _, body = api_request(s, "POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert code == 201, body
    return name


def cm_path(ns, name=""):
    return f"/api/v1/namespaces/{ns}/configmaps" + (f"/{name}" if name else "")


def create_cm(s, ns, name, data=None, labels=None):
    meta = {"name": name}
    if labels:
        meta["labels"] = labels
    code, _, body = api_request(s, "POST", cm_path(ns), {"metadata": meta, "data": data or {"v": "0"}})
    assert code == 201, body
    return body


def patch_cm(s, ns, name, patch):
    code, _, body = api_request(s, "PATCH", cm_path(ns, name), patch, content_type="application/merge-patch+json")
    assert code == 200, body
    return body


def delete_cm(s, ns, name):
    code, _, body = api_request(s, "DELETE", cm_path(ns, name))
    assert code == 200, body


def list_rv(s, path):
    code, _, body = api_request(s, "GET", path)
    assert code == 200, body
    return body["metadata"]["resourceVersion"]


def summary(ev):
    obj = ev["object"]
    meta = obj.get("metadata", {})
    return ev["type"], meta.get("name"), int(meta.get("resourceVersion", "0") or 0)


def collect(s, path, stop_after=None, timeout=30, expect=None, grace=0.5):
    """Events of a watch (path should carry timeoutSeconds), ignoring kube-root-ca.crt.
    With expect=N: once N events arrived, wait only `grace` seconds for unexpected extra events
    instead of waiting for the server's timeout (keeps the suite fast; extras still fail tests)."""
    conn = https_connection(s, timeout)
    conn.request("GET", path, headers={"Authorization": "Bearer " + s.token(), "Accept": "application/json"})
    sock = conn.sock  # http.client detaches it from conn when the reply says Connection: close
    resp = conn.getresponse()
    assert resp.status == 200, (path, resp.status, resp.read()[:500])
    t0 = time.time()
    out = []
    try:
        while True:
            if expect is not None and len(out) >= expect:
                sock.settimeout(grace)
            try:
                line = resp.readline()
            except (TimeoutError, OSError):
                if expect is not None and len(out) >= expect:
                    return out
                raise
            if not line:
                return out
            if not line.strip():
                continue
            ev = json.loads(line)
            if ev["object"].get("metadata", {}).get("name") == "kube-root-ca.crt":
                continue
            out.append((time.time() - t0, ev))
            if stop_after and stop_after(out):
                return out
    finally:
        conn.close()


def in_background(fn, delay=0.5):
    def run():
        time.sleep(delay)
        fn()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


# ------------------------------------------------------------------ watch

@pytest.mark.parametrize("rv_param", ["", "&resourceVersion=0"])
def test_initial_synthetic_added_events(shared_skiff, rv_param):
    s = shared_skiff
    ns = new_ns(s)
    for i in range(3):
        create_cm(s, ns, f"c{i}")
    patch_cm(s, ns, "c0", {"data": {"v": "1"}})  # c0 now has the highest RV
    delete_cm(s, ns, "c2")  # deleted objects get no initial event
    events = collect(s, cm_path(ns) + "?watch=true&timeoutSeconds=5" + rv_param, expect=2)
    got = [summary(ev) for _, ev in events]
    assert sorted(n for _, n, _ in got) == ["c0", "c1"], got
    assert all(t == "ADDED" for t, _, _ in got), got
    c0 = [ev["object"] for _, ev in events if ev["object"]["metadata"]["name"] == "c0"][0]
    assert c0["data"] == {"v": "1"}, "initial event must carry the current state"
    assert c0["kind"] == "ConfigMap" and c0["apiVersion"] == "v1"
    rvs = [rv for _, _, rv in got]
    assert rvs == sorted(rvs), f"initial events should come in ascending RV order: {got}"


def test_watch_on_empty_collection_then_live_events(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    in_background(lambda: create_cm(s, ns, "late"), delay=0.5)
    events = collect(s, cm_path(ns) + "?watch=true&timeoutSeconds=5", expect=1)
    assert [summary(ev)[:2] for _, ev in events] == [("ADDED", "late")]
    assert events[0][0] < 1.5, "live event must be flushed promptly"


def test_events_in_order_after_resource_version(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "old")
    rv = list_rv(s, cm_path(ns))
    a = create_cm(s, ns, "a")
    patch_cm(s, ns, "old", {"data": {"v": "changed"}})
    patch_cm(s, ns, "a", {"data": {"v": "a2"}})
    delete_cm(s, ns, "old")
    create_cm(s, ns, "b")
    events = collect(s, cm_path(ns) + f"?watch=true&resourceVersion={rv}&timeoutSeconds=5", expect=5)
    got = [summary(ev) for _, ev in events]
    assert [g[:2] for g in got] == [("ADDED", "a"), ("MODIFIED", "old"), ("MODIFIED", "a"),
                                    ("DELETED", "old"), ("ADDED", "b")], got
    rvs = [g[2] for g in got]
    assert all(r > int(rv) for r in rvs) and rvs == sorted(rvs) and len(set(rvs)) == len(rvs), got
    assert events[0][1]["object"]["metadata"]["uid"] == a["metadata"]["uid"]
    deleted = events[3][1]["object"]
    assert deleted["data"] == {"v": "changed"}, "DELETED carries the last state"

    # resuming from the middle replays only the tail
    mid = got[2][2]
    tail = collect(s, cm_path(ns) + f"?watch=true&resourceVersion={mid}&timeoutSeconds=5", expect=2)
    assert [summary(ev)[:2] for _, ev in tail] == [("DELETED", "old"), ("ADDED", "b")]


def test_watch_single_object_by_field_selector(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "target")
    create_cm(s, ns, "other")

    def writes():
        patch_cm(s, ns, "other", {"data": {"v": "x"}})
        patch_cm(s, ns, "target", {"data": {"v": "y"}})

    in_background(writes)
    events = collect(s, cm_path(ns) + "?watch=true&resourceVersion=0&timeoutSeconds=5"
                     "&fieldSelector=" + urllib.parse.quote("metadata.name=target"), expect=2)
    assert [summary(ev)[:2] for _, ev in events] == [("ADDED", "target"), ("MODIFIED", "target")]


def test_bookmarks_only_with_allow_watch_bookmarks(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "bm")
    rv = list_rv(s, cm_path(ns))
    # in parallel: the same watch without allowWatchBookmarks must never see a BOOKMARK
    plain = {}
    t = threading.Thread(target=lambda: plain.setdefault(
        "events", collect(s, cm_path(ns) + "?watch=true&timeoutSeconds=6")), daemon=True)
    t.start()
    events = collect(s, cm_path(ns) + f"?watch=true&allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=8",
                     stop_after=lambda evs: evs[-1][1]["type"] == "BOOKMARK")
    assert events, "no events at all"
    when, ev = events[-1]
    assert ev["type"] == "BOOKMARK", [e["type"] for _, e in events]
    obj = ev["object"]
    assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1", obj
    assert int(obj["metadata"]["resourceVersion"]) >= int(rv)
    assert not obj["metadata"].get("name")
    assert when < 7.5
    t.join(12)
    assert [e["type"] for _, e in plain["events"]] == ["ADDED"], plain


def test_python_style_capitalised_booleans(shared_skiff):
    """The Python client sends watch=True / allowWatchBookmarks=True."""
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "cap")
    events = collect(s, cm_path(ns) + "?watch=True&allowWatchBookmarks=True&timeoutSeconds=5", expect=1)
    assert [summary(ev)[:2] for _, ev in events] == [("ADDED", "cap")]


@pytest.mark.parametrize("secs", [1, 2])
def test_timeout_seconds_ends_stream(shared_skiff, secs):
    s = shared_skiff
    ns = new_ns(s)
    t0 = time.time()
    events = collect(s, cm_path(ns) + f"?watch=true&timeoutSeconds={secs}")
    took = time.time() - t0
    assert events == []
    assert secs - 0.2 <= took < secs + 2, f"timeoutSeconds={secs} stream lasted {took:.2f}s"


def test_connection_reusable_after_watch_timeout(shared_skiff):
    """After the terminating chunk the keep-alive connection must serve the next request
    (or the watch response must say Connection: close)."""
    s = shared_skiff
    ns = new_ns(s)
    conn = https_connection(s)
    h = {"Authorization": "Bearer " + s.token()}
    try:
        conn.request("GET", cm_path(ns) + "?watch=true&timeoutSeconds=1", headers=h)
        resp = conn.getresponse()
        assert resp.status == 200
        resp.read()
        if (resp.getheader("Connection") or "").lower() == "close":
            return
        time.sleep(0.3)  # a server that closes silently has done so by now
        conn.request("GET", cm_path(ns), headers=h)
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.read())["kind"] == "ConfigMapList"
    finally:
        conn.close()


def test_label_selector_watch_turns_unmatch_into_deleted(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "m1", labels={"app": "x"})
    create_cm(s, ns, "m2", labels={"app": "x"})
    create_cm(s, ns, "other", labels={"app": "y"})

    def writes():
        patch_cm(s, ns, "m1", {"metadata": {"labels": {"app": "y"}}})  # stops matching -> DELETED
        patch_cm(s, ns, "other", {"metadata": {"labels": {"app": "x"}}})  # starts matching -> ADDED
        patch_cm(s, ns, "other", {"data": {"v": "1"}})  # still matching -> MODIFIED
        patch_cm(s, ns, "m1", {"data": {"v": "2"}})  # not matching: nothing
        delete_cm(s, ns, "m2")  # DELETED

    in_background(writes)
    events = collect(s, cm_path(ns) + "?watch=true&timeoutSeconds=5&labelSelector=app%3Dx", expect=6)
    got = [summary(ev)[:2] for _, ev in events]
    assert got[:2] == [("ADDED", "m1"), ("ADDED", "m2")] or sorted(got[:2]) == [("ADDED", "m1"), ("ADDED", "m2")], got
    assert got[2:] == [("DELETED", "m1"), ("ADDED", "other"), ("MODIFIED", "other"), ("DELETED", "m2")], got


def test_watch_from_current_revision_replays_nothing(shared_skiff):
    """A watch from the current list revision sends no synthetic or old events."""
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "f")
    rv = int(list_rv(s, cm_path(ns)))
    events = collect(s, cm_path(ns) + f"?watch=true&resourceVersion={rv}&timeoutSeconds=5", expect=0, grace=0.7)
    assert events == []


def test_watch_on_deployments_group_resource(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    path = f"/apis/apps/v1/namespaces/{ns}/deployments"
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "wd"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                  "template": {"metadata": {"labels": {"a": "b"}},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}

    def writes():
        code, _, body = api_request(s, "POST", path, d)
        assert code == 201, body
        code, _, body = api_request(s, "PATCH", path + "/wd", {"spec": {"replicas": 3}},
                                    content_type="application/merge-patch+json")
        assert code == 200, body

    in_background(writes)
    events = collect(s, path + "?watch=true&timeoutSeconds=5", expect=2)
    assert events[0][1]["type"] == "ADDED"
    assert events[0][1]["object"]["kind"] == "Deployment"
    assert events[0][1]["object"]["apiVersion"] == "apps/v1"
    assert any(ev["type"] == "MODIFIED" and ev["object"]["spec"]["replicas"] == 3 for _, ev in events)


# ------------------------------------------------------------------ list

def test_list_pagination_over_consistent_snapshot(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    names = [f"p{i:02d}" for i in range(10)]
    for n in names:
        create_cm(s, ns, n, data={"v": "orig"})
    code, _, page = api_request(s, "GET", cm_path(ns) + "?limit=3")
    assert code == 200, page
    snapshot_rv = page["metadata"]["resourceVersion"]
    seen = [(i["metadata"]["name"], i["data"].get("v")) for i in page["items"]]
    assert len(seen) == 3
    token = page["metadata"]["continue"]
    assert token
    # writes between pages: none of them may show up in later pages of this list
    create_cm(s, ns, "p05a", data={"v": "new"})
    create_cm(s, ns, "zz-new", data={"v": "new"})
    patch_cm(s, ns, "p07", {"data": {"v": "changed"}})
    delete_cm(s, ns, "p08")
    pages = 1
    while token:
        code, _, page = api_request(s, "GET", cm_path(ns) + "?limit=3&continue=" + urllib.parse.quote(token))
        assert code == 200, page
        pages += 1
        assert page["metadata"]["resourceVersion"] == snapshot_rv
        assert len(page["items"]) <= 3
        seen += [(i["metadata"]["name"], i["data"].get("v")) for i in page["items"]]
        token = page["metadata"].get("continue")
        if token:
            assert page["metadata"].get("remainingItemCount", 1) > 0
    seen = [x for x in seen if x[0] != "kube-root-ca.crt"]
    assert seen == [(n, "orig") for n in names], seen
    assert pages == 4
    # a fresh list sees the new state
    code, _, now = api_request(s, "GET", cm_path(ns))
    cur = {i["metadata"]["name"]: i["data"].get("v") for i in now["items"]}
    assert cur["p05a"] == "new" and cur["zz-new"] == "new" and cur["p07"] == "changed" and "p08" not in cur


def test_list_pagination_with_label_selector(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    for i in range(9):
        create_cm(s, ns, f"l{i}", labels={"odd": str(i % 2 == 1).lower()})
    seen, token = [], None
    while True:
        q = "?limit=2&labelSelector=odd%3Dtrue" + ("&continue=" + urllib.parse.quote(token) if token else "")
        code, _, page = api_request(s, "GET", cm_path(ns) + q)
        assert code == 200, page
        assert len(page["items"]) <= 2
        seen += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
    assert seen == ["l1", "l3", "l5", "l7"]


def test_list_limit_larger_than_collection_has_no_continue(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "only")
    code, _, page = api_request(s, "GET", cm_path(ns) + "?limit=500")
    assert code == 200
    assert not page["metadata"].get("continue")
    assert "only" in [i["metadata"]["name"] for i in page["items"]]


def test_list_items_is_empty_array_not_null(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    code, _, page = api_request(s, "GET", f"/apis/apps/v1/namespaces/{ns}/deployments")
    assert code == 200
    assert page["items"] == []
    assert page["kind"] == "DeploymentList" and page["apiVersion"] == "apps/v1"
    assert page["metadata"]["resourceVersion"]


def test_list_resource_version_match_exact_at_old_revision(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "e1", data={"v": "1"})
    create_cm(s, ns, "e2", data={"v": "1"})
    old_rv = list_rv(s, cm_path(ns))
    patch_cm(s, ns, "e1", {"data": {"v": "2"}})
    delete_cm(s, ns, "e2")
    create_cm(s, ns, "e3", data={"v": "1"})
    code, _, old = api_request(s, "GET", cm_path(ns) + f"?resourceVersion={old_rv}&resourceVersionMatch=Exact")
    assert code == 200, old
    assert old["metadata"]["resourceVersion"] == old_rv
    state = {i["metadata"]["name"]: i["data"]["v"] for i in old["items"] if i["metadata"]["name"] != "kube-root-ca.crt"}
    assert state == {"e1": "1", "e2": "1"}
    # paginated exact list at the old revision
    code, _, p1 = api_request(s, "GET", cm_path(ns) + f"?resourceVersion={old_rv}&resourceVersionMatch=Exact&limit=1")
    assert code == 200 and len(p1["items"]) == 1 and p1["metadata"]["continue"], p1
    code, _, p2 = api_request(s, "GET", cm_path(ns) + "?limit=1&continue=" + urllib.parse.quote(p1["metadata"]["continue"]))
    assert code == 200, p2
    assert [i["metadata"]["name"] for i in p1["items"] + p2["items"]] == ["e1", "e2"]
    # NotOlderThan (and the default) give current state
    code, _, cur = api_request(s, "GET", cm_path(ns) + f"?resourceVersion={old_rv}&resourceVersionMatch=NotOlderThan")
    assert code == 200
    assert {i["metadata"]["name"]: i["data"]["v"] for i in cur["items"]
            if i["metadata"]["name"] != "kube-root-ca.crt"} == {"e1": "2", "e3": "1"}
    assert int(cur["metadata"]["resourceVersion"]) > int(old_rv)


def test_get_single_object_at_resource_version(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "g", data={"v": "1"})
    code, _, got = api_request(s, "GET", cm_path(ns, "g") + "?resourceVersion=0")
    assert code == 200 and got["data"] == {"v": "1"}


def test_list_rv_usable_for_watch_without_gap(shared_skiff):
    """list -> watch from list RV: a write after the list is seen exactly once, nothing before it."""
    s = shared_skiff
    ns = new_ns(s)
    create_cm(s, ns, "before")
    rv = list_rv(s, cm_path(ns))
    create_cm(s, ns, "after")
    events = collect(s, cm_path(ns) + f"?watch=true&resourceVersion={rv}&timeoutSeconds=5", expect=1)
    assert [summary(ev)[:2] for _, ev in events] == [("ADDED", "after")]


def test_watch_sees_every_write_in_order_under_concurrent_writers(shared_skiff):
    s = shared_skiff
    ns = new_ns(s)
    writers, per_writer = 4, 25
    for w in range(writers):
        create_cm(s, ns, f"cw{w}", data={"n": "0"})
    rv = list_rv(s, cm_path(ns))
    acked = {}

    def write(w):
        for n in range(1, per_writer + 1):
            patch_cm(s, ns, f"cw{w}", {"data": {"n": str(n)}})
        acked[w] = per_writer

    threads = [threading.Thread(target=write, args=(w,), daemon=True) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(acked) == writers
    events = collect(s, cm_path(ns) + f"?watch=true&resourceVersion={rv}&timeoutSeconds=10",
                     expect=writers * per_writer)
    rvs = [int(ev["object"]["metadata"]["resourceVersion"]) for _, ev in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), "events out of revision order"
    per_key = {}
    for _, ev in events:
        assert ev["type"] == "MODIFIED", ev["type"]
        per_key.setdefault(ev["object"]["metadata"]["name"], []).append(int(ev["object"]["data"]["n"]))
    for w in range(writers):
        assert per_key.get(f"cw{w}") == list(range(1, per_writer + 1)), (w, per_key.get(f"cw{w}"))
