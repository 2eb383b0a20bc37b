"""A separate `skiff agent` process (REST client to a `skiff server --disable-agent`) survives
`kill -9`: after a restart it adopts the running containers (same IDs, no duplicates), the pods
stay Running, and deleting them still removes everything. The agent's data dir is reset at the end
(`skiff agent reset`), also when the test fails."""
import os
import shutil
import subprocess
import time

import pytest

from agent_util import (JoiningAgent, BUSYBOX, apply, build_busybox_image, container_ids, import_image,
                        make_tmp_dir, require_container_host, running_ready, wait_for, wait_node_ready)
from conftest import SKIFF_BIN, Skiff

NODE = "n1"


def app_pods(s):
    return s.kubectl_json("get", "pods", "-l", "app=survivor")["items"]


def container_ids_of(pods):
    return sorted(cs["containerID"] for p in pods for cs in p["status"].get("containerStatuses", []))


def test_agent_restart_adopts_running_containers():
    require_container_host()
    tmp = make_tmp_dir("skiff-agent-restart-")
    agent_dir = os.path.join(tmp, "agent")
    s = Skiff()  # --disable-agent: the node is the separate agent process
    agent = None
    try:
        archive = build_busybox_image(tmp)
        s.start()
        agent = JoiningAgent(s, agent_dir, NODE).start()
        try:
            wait_node_ready(s, 120, NODE)
        except AssertionError as e:
            raise AssertionError(f"{e}\nagent log: {agent.log()}") from None
        import_image(agent_dir, archive)
        apply(s, {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "survivor"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "survivor"}},
                     "template": {"metadata": {"labels": {"app": "survivor"}},
                                  "spec": {"terminationGracePeriodSeconds": 2, "containers": [{
                                      "name": "main", "image": BUSYBOX, "imagePullPolicy": "Never",
                                      "command": ["sh", "-c", "while true; do sleep 1; done"]}]}}}})
        pods = wait_for(lambda: (lambda p: p if len(p) == 2 and all(running_ready(x) for x in p) else None)(
            app_pods(s)), 90, 1, "2 pods Running")
        ids_before = container_ids_of(pods)
        runtime_before = container_ids(agent_dir)
        assert len(ids_before) == 2

        agent.kill9()
        time.sleep(2)
        # The containers run on without the agent (their shims are separate processes).
        assert container_ids(agent_dir) == runtime_before
        agent.start()
        # Give the restarted agent a few relists; nothing may be recreated.
        time.sleep(10)
        wait_node_ready(s, 60, NODE)
        pods = app_pods(s)
        assert len(pods) == 2
        assert all(running_ready(p) for p in pods), pods
        assert container_ids_of(pods) == ids_before
        assert all(cs["restartCount"] == 0 for p in pods for cs in p["status"]["containerStatuses"])
        assert container_ids(agent_dir) == runtime_before, agent.log()

        # Deletion still works through the restarted agent.
        s.kubectl("delete", "deployment", "survivor")
        wait_for(lambda: not app_pods(s), 60, 1, "the pods to be gone")
        wait_for(lambda: not container_ids(agent_dir), 60, 1, "every container removed")
    finally:
        if agent:
            agent.stop()
        subprocess.run([SKIFF_BIN, "agent", "reset", "--data-dir", agent_dir], capture_output=True,
                       timeout=120)
        s.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
