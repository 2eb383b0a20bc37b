"""Pods of a deleted Job do not stay Terminating: the Job controller removes its
batch.kubernetes.io/job-tracking finalizer from pods whose Job is gone (background and foreground
deletion, a Job replaced under the same name, pods orphaned with --cascade=orphan), and from the
finished pods of a live Job once counted. `skiff server --disable-agent` with `skiff sim` nodes."""
import json

import pytest

from sim_util import sim_cluster, wait_for

FINALIZER = "batch.kubernetes.io/job-tracking"


@pytest.fixture(scope="module")
def cluster():
    with sim_cluster("orphans", 2) as s:
        yield s


def job(name, completions=2, parallelism=2, annotations=None):
    return json.dumps({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"completions": completions, "parallelism": parallelism, "backoffLimit": 2,
                 "template": {"metadata": {"annotations": annotations or {}},
                              "spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "c", "image": "busybox"}]}}}})


def job_pods(s, name):
    return s.kubectl_json("get", "pods", "-l", f"batch.kubernetes.io/job-name={name}")["items"]


def start_running_job(s, name):
    """Creates a Job whose pods run until deleted; returns its pods once they all run."""
    s.kubectl("apply", "-f", "-", input=job(name))

    def running():
        pods = job_pods(s, name)
        return pods if len(pods) == 2 and all(p["status"].get("phase") == "Running" for p in pods) else None

    pods = wait_for(running, what=f"pods of job {name} running")
    for p in pods:
        assert FINALIZER in p["metadata"]["finalizers"]
    return pods


def describe(s, name):
    return json.dumps([{"name": p["metadata"]["name"], "finalizers": p["metadata"].get("finalizers"),
                        "deletionTimestamp": p["metadata"].get("deletionTimestamp")}
                       for p in job_pods(s, name)])


def assert_pods_go(s, name):
    try:
        wait_for(lambda: not job_pods(s, name), timeout=45, what=f"pods of job {name} to disappear")
    except AssertionError as e:
        raise AssertionError(f"{e}; left: {describe(s, name)}") from None


def test_background_delete_removes_the_pods(cluster):
    start_running_job(cluster, "bg")
    cluster.kubectl("delete", "job", "bg", "--cascade=background")
    assert_pods_go(cluster, "bg")


def test_foreground_delete_removes_the_pods_and_the_job(cluster):
    start_running_job(cluster, "fg")
    cluster.kubectl("delete", "job", "fg", "--cascade=foreground", "--wait=false")
    assert_pods_go(cluster, "fg")
    wait_for(lambda: "fg" not in {j["metadata"]["name"] for j in cluster.kubectl_json("get", "jobs")["items"]},
             what="job fg to go")


def test_orphaned_pods_lose_the_finalizer_and_can_be_deleted(cluster):
    pods = start_running_job(cluster, "orph")
    cluster.kubectl("delete", "job", "orph", "--cascade=orphan")

    def released():
        now = job_pods(cluster, "orph")
        return len(now) == 2 and all(not p["metadata"].get("ownerReferences") and
                                     FINALIZER not in (p["metadata"].get("finalizers") or [])
                                     for p in now)

    wait_for(released, what="orphaned pods without owner and finalizer")
    for p in pods:
        cluster.kubectl("delete", "pod", p["metadata"]["name"], "--wait=false")
    assert_pods_go(cluster, "orph")


def test_pods_of_a_replaced_job_go(cluster):
    old = {p["metadata"]["uid"] for p in start_running_job(cluster, "again")}
    # Delete and recreate at once: the old pods point to a Job uid that no longer exists.
    cluster.kubectl("delete", "job", "again", "--wait=false")
    cluster.kubectl("apply", "-f", "-", input=job("again"))

    def replaced():
        pods = job_pods(cluster, "again")
        uids = {p["metadata"]["uid"] for p in pods}
        return not (uids & old) and len(pods) == 2 and all(FINALIZER in p["metadata"]["finalizers"] for p in pods)

    wait_for(replaced, timeout=45, what="old pods gone, new Job's pods running with the finalizer")


def test_finished_pods_of_a_live_job_lose_the_finalizer(cluster):
    cluster.kubectl("apply", "-f", "-",
                    input=job("done", completions=3, parallelism=2,
                              annotations={"sim.skiff.dev/exit-after": "1s"}))
    cluster.kubectl("wait", "--for=condition=Complete", "job/done", "--timeout=60s", timeout=90)
    pods = job_pods(cluster, "done")
    assert len(pods) == 3
    for p in pods:
        assert p["status"]["phase"] == "Succeeded"
        assert FINALIZER not in (p["metadata"].get("finalizers") or [])
    cluster.kubectl("delete", "job", "done")
    assert_pods_go(cluster, "done")
