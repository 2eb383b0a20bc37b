"""CronJobs end to end: `skiff server --disable-agent` with `skiff sim` nodes (pods exit via the
sim annotation sim.skiff.dev/exit-after), driven by the real kubectl.

A minute is long, so every CronJob is created once, up front, by the module fixture, and the
scheduled run is checked first (it must catch its Job while running); the tests that need no
schedule tick (bad time zone, manual runs and history pruning) follow and find their CronJobs
already reconciled, and the suspend check runs when a minute boundary has certainly passed. The
module adds about 40-80 s to the suite (the wait for the next minute boundary).
Job history pruning across two scheduled runs would need a second minute; it is covered with
manual runs here and in the unit tests."""
import json
import time

import pytest

from sim_util import sim_cluster, wait_for

NODES = 1
TICK_TIMEOUT = 75  # the first run starts at the next minute boundary after creation


def cronjob(name, exit_after="1s", **spec):
    manifest = {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
        "spec": {"schedule": "* * * * *",
                 "jobTemplate": {
                     "metadata": {"labels": {"cron": name}},
                     "spec": {"backoffLimit": 1,
                              "template": {"metadata": {"annotations": {"sim.skiff.dev/exit-after": exit_after}},
                                           "spec": {"restartPolicy": "Never",
                                                    "containers": [{"name": "c", "image": "busybox"}]}}}}}}
    manifest["spec"].update(spec)
    return json.dumps(manifest)


def create_cronjobs(s):
    # Created first of all: the scheduled run is what the module waits for.
    s.kubectl("apply", "-f", "-", input=cronjob("tick", exit_after="6s", successfulJobsHistoryLimit=1))
    s.created_at = time.time()
    s.kubectl("apply", "-f", "-", input=cronjob("paused", suspend=True))
    s.kubectl("apply", "-f", "-", input=cronjob("hist", suspend=True, successfulJobsHistoryLimit=1))
    s.kubectl("apply", "-f", "-", input=cronjob("badtz", timeZone="Mars/Olympus_Mons"))


@pytest.fixture(scope="module")
def cluster():
    with sim_cluster("cron", NODES, setup=create_cronjobs) as s:
        yield s


def owned_jobs(cluster, cronjob_name):
    uid = cluster.kubectl_json("get", "cronjob", cronjob_name)["metadata"]["uid"]
    return [j for j in cluster.kubectl_json("get", "jobs")["items"]
            if any(r.get("uid") == uid and r.get("controller") for r in j["metadata"].get("ownerReferences", []))]


def events_for(cluster, name):
    return [e for e in cluster.kubectl_json("get", "events")["items"]
            if e["involvedObject"].get("kind") == "CronJob" and e["involvedObject"].get("name") == name]


def finished(job, condition="Complete"):
    return any(c["type"] == condition and c["status"] == "True" for c in job.get("status", {}).get("conditions", []))


def test_scheduled_run_creates_a_job_that_completes(cluster):
    remaining = TICK_TIMEOUT - (time.time() - cluster.created_at)
    jobs = wait_for(lambda: owned_jobs(cluster, "tick"), timeout=max(remaining, 5), what="the first scheduled Job")
    job = jobs[0]
    name = job["metadata"]["name"]
    stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert stamp.endswith(":00Z"), stamp
    minutes = int(name.rsplit("-", 1)[1])
    assert name == f"tick-{minutes}"
    assert time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(minutes * 60)) == stamp
    assert job["metadata"]["labels"]["cron"] == "tick"
    ref = job["metadata"]["ownerReferences"][0]
    assert ref["kind"] == "CronJob" and ref["controller"] and ref["blockOwnerDeletion"]

    # While it runs: ACTIVE 1 and a LAST SCHEDULE in `kubectl get cronjob`.
    cj = wait_for(lambda: (lambda c: c if c.get("status", {}).get("active") else None)(
        cluster.kubectl_json("get", "cronjob", "tick")), timeout=10, what="status.active")
    assert [a["name"] for a in cj["status"]["active"]] == [name]
    assert cj["status"]["lastScheduleTime"] == stamp
    out = cluster.kubectl("get", "cronjob", "tick").stdout.splitlines()
    header = out[0].split()
    assert header[:6] == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST"], out[0]
    row = out[1].split()
    assert row[0] == "tick" and row[1:6] == ["*", "*", "*", "*", "*"]
    assert row[6:9] == ["<none>", "False", "1"], out[1]
    assert row[9] != "<none>"  # LAST SCHEDULE, e.g. "3s"

    # It completes; the CronJob sees it and records the success.
    wait_for(lambda: finished(cluster.kubectl_json("get", "job", name)), timeout=40, what="the Job to complete")
    cj = wait_for(lambda: (lambda c: c if c["status"].get("lastSuccessfulTime") and not c["status"].get("active")
                           else None)(cluster.kubectl_json("get", "cronjob", "tick")),
                  timeout=20, what="lastSuccessfulTime")
    row = cluster.kubectl("get", "cronjob", "tick").stdout.splitlines()[1].split()
    assert row[8] == "0"
    reasons = [e["reason"] for e in events_for(cluster, "tick")]
    assert "SuccessfulCreate" in reasons and "SawCompletedJob" in reasons


def test_unknown_time_zone_is_a_warning_event(cluster):
    def warned():
        return [e for e in events_for(cluster, "badtz") if e["reason"] == "UnknownTimeZone"]
    event = wait_for(warned, what="UnknownTimeZone event")[0]
    assert event["type"] == "Warning"
    assert "Mars/Olympus_Mons" in event["message"]
    assert owned_jobs(cluster, "badtz") == []


def test_manual_runs_are_not_active_and_history_limit_prunes_them(cluster):
    cluster.kubectl("create", "job", "--from=cronjob/hist", "hist-one")
    cluster.kubectl("wait", "--for=condition=Complete", "job/hist-one", "--timeout=40s", timeout=60)
    cj = cluster.kubectl_json("get", "cronjob", "hist")
    assert not cj.get("status", {}).get("active")  # Kubernetes lists only scheduled runs as active
    cluster.kubectl("create", "job", "--from=cronjob/hist", "hist-two")
    cluster.kubectl("wait", "--for=condition=Complete", "job/hist-two", "--timeout=40s", timeout=60)
    # successfulJobsHistoryLimit 1: the older finished Job goes (background propagation).
    wait_for(lambda: [j["metadata"]["name"] for j in owned_jobs(cluster, "hist")] == ["hist-two"],
             what="history pruning")
    reasons = [e["reason"] for e in events_for(cluster, "hist")]
    assert "SuccessfulDelete" in reasons
    assert "UnexpectedJob" in reasons
    status = wait_for(lambda: cluster.kubectl_json("get", "cronjob", "hist").get("status", {}).get(
        "lastSuccessfulTime") and cluster.kubectl_json("get", "cronjob", "hist")["status"],
        what="lastSuccessfulTime")
    assert "lastScheduleTime" not in status  # suspended: never scheduled


def test_suspended_cronjob_creates_nothing(cluster):
    # Runs after the scheduled test: at least one minute boundary has passed since creation.
    assert owned_jobs(cluster, "tick")
    assert owned_jobs(cluster, "paused") == []
    cj = cluster.kubectl_json("get", "cronjob", "paused")
    assert "lastScheduleTime" not in cj.get("status", {})
    row = cluster.kubectl("get", "cronjob", "paused").stdout.splitlines()[1].split()
    assert row[7] == "True" and row[8] == "0" and row[9] == "<none>", row
