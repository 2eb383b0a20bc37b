"""Leader election of the controller manager on its Lease (kube-system/kube-controller-manager),
the Kubernetes way on one store: while another holder ("other", played by this test) renews the
Lease, skiff's controllers do not run, so a Deployment gets no ReplicaSet; when the renewals stop,
skiff takes the Lease over after its lease duration (holderIdentity changes, leaseTransitions goes
up) and the Deployment rolls out on `skiff sim` nodes. Then the reverse: the Lease is stolen while
skiff leads; skiff stops its controllers within its renew deadline (kube-controller-manager would
exit; skiff keeps serving the API and stays a candidate) and takes the Lease back once the thief
goes quiet."""
import datetime
import os
import subprocess
import threading
import time

import pytest

from conftest import SKIFF_BIN, Skiff, api_request, wait_for

LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager"
OTHER_LEASE_SECONDS = 3
FLAGS = ["--disable-agent", "--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s",
         "--leader-elect-retry-period", "500ms"]


def now_micro():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OtherHolder:
    """Holds the controller manager's Lease as "other": takes it (resourceVersion-guarded, so a
    concurrent renewal by skiff is never overwritten) and renews it every second until stop()."""

    def __init__(self, s):
        self.s = s
        self.stopping = threading.Event()
        self.thread = None
        self.errors = []

    def take(self):
        """Writes the lease as held by "other" (counting a transition when someone else held it)."""
        for _ in range(50):
            code, _, lease = api_request(self.s, "GET", LEASE_PATH)
            spec = {"holderIdentity": "other", "leaseDurationSeconds": OTHER_LEASE_SECONDS,
                    "acquireTime": now_micro(), "renewTime": now_micro()}
            if code == 404:
                body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": {"name": "kube-controller-manager", "namespace": "kube-system"},
                        "spec": dict(spec, leaseTransitions=0)}
                code, _, _ = api_request(self.s, "POST", LEASE_PATH.rsplit("/", 1)[0], body)
            else:
                assert code == 200, lease
                spec["leaseTransitions"] = lease["spec"].get("leaseTransitions", 0) + (
                    lease["spec"].get("holderIdentity") not in ("other", "", None))
                lease["spec"] = spec
                code, _, _ = api_request(self.s, "PUT", LEASE_PATH, lease)
            if code in (200, 201):
                break
            assert code == 409, code  # raced with a renewal: read again
            time.sleep(0.05)
        else:
            raise AssertionError("could not take the lease")

    def keep_renewing(self):
        self.thread = threading.Thread(target=self._renew, daemon=True)
        self.thread.start()

    def _renew(self):
        while not self.stopping.wait(1.0):
            code, _, body = api_request(self.s, "PATCH", LEASE_PATH, {"spec": {"renewTime": now_micro()}},
                                        content_type="application/merge-patch+json")
            if code != 200:
                self.errors.append((code, body))

    def stop(self):
        self.stopping.set()
        if self.thread:
            self.thread.join()
        assert not self.errors, self.errors


def lease(s):
    return s.kubectl_json("get", "lease", "-n", "kube-system", "kube-controller-manager")


def replicasets(s, name):
    return [rs for rs in s.kubectl_json("get", "rs")["items"]
            if rs["metadata"].get("labels", {}).get("app") == name]


@pytest.fixture
def data_dir():
    """A store whose controller-manager Lease is already held by "other" when skiff starts
    (written through a first server without controllers)."""
    s = Skiff(extra_args=["--disable-controllers"]).start()
    OtherHolder(s).take()
    s.stop()
    yield s.data_dir
    s.owns_dir = True
    s.cleanup()


def test_controllers_wait_for_the_lease_then_take_it_over(data_dir):
    s = Skiff(data_dir=data_dir, extra_args=FLAGS)
    sim = None
    other = None
    try:
        s.start()
        other = OtherHolder(s)
        other.take()  # skiff's elector needs OTHER_LEASE_SECONDS of silence before it may take it
        other.keep_renewing()
        log = open(os.path.join(s.data_dir, "sim.log"), "ab")
        sim = subprocess.Popen([SKIFF_BIN, "sim", "--kubeconfig", s.kubeconfig, "--nodes", "2",
                                "--ready-delay", "200ms"], stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: len(s.kubectl_json("get", "nodes")["items"]) == 2, 30, what="sim nodes")

        # Not leading: the Deployment is stored but no controller acts on it.
        s.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2")
        time.sleep(OTHER_LEASE_SECONDS + 1.5)  # longer than "other"'s lease: its renewals keep it
        held = lease(s)
        assert held["spec"]["holderIdentity"] == "other", held
        assert replicasets(s, "web") == []
        assert "skiff-controller-manager: started" not in s.log()
        transitions = held["spec"].get("leaseTransitions", 0)

        # "other" stops renewing: skiff takes over within its lease duration plus a retry period.
        other.stop()
        stopped_at = time.time()
        taken = wait_for(lambda: (l := lease(s))["spec"]["holderIdentity"] != "other" and l,
                         OTHER_LEASE_SECONDS + 4, what="skiff to take the lease")
        assert time.time() - stopped_at >= OTHER_LEASE_SECONDS - 1.5
        assert taken["spec"]["holderIdentity"], taken
        assert taken["spec"]["leaseTransitions"] == transitions + 1, taken
        assert taken["spec"]["leaseDurationSeconds"] == 4, taken  # --leader-elect-lease-duration
        out = s.kubectl("get", "lease", "-n", "kube-system", "kube-controller-manager").stdout
        assert taken["spec"]["holderIdentity"] in out
        s.kubectl("rollout", "status", "deployment/web", "--timeout=30s")
        assert len(replicasets(s, "web")) == 1

        # The reverse: the lease is stolen while skiff leads. skiff cannot renew and stops its
        # controllers once its renew deadline (3 s) has passed.
        other = OtherHolder(s)
        other.take()
        other.keep_renewing()
        stolen_at = time.time()
        wait_for(lambda: "skiff-controller-manager: controllers stopped" in s.log(), 8, what="skiff to step down")
        assert time.time() - stolen_at < 6
        s.kubectl("create", "deployment", "web2", "--image=nginx", "--replicas=1")
        time.sleep(2)
        assert replicasets(s, "web2") == []
        assert lease(s)["spec"]["holderIdentity"] == "other"
        # The API server kept serving throughout; when the thief goes quiet skiff leads again.
        other.stop()
        back = wait_for(lambda: (l := lease(s))["spec"]["holderIdentity"] == taken["spec"]["holderIdentity"]
                        and l, OTHER_LEASE_SECONDS + 4, what="skiff to take the lease back")
        assert back["spec"]["leaseTransitions"] == transitions + 3, back  # other->skiff->other->skiff
        s.kubectl("rollout", "status", "deployment/web2", "--timeout=30s")
        assert s.log().count("skiff-controller-manager: started") == 2
    finally:
        if other:
            other.stopping.set()
        if sim:
            sim.terminate()
            try:
                sim.wait(timeout=15)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim.wait()
        s.cleanup()
