"""Creates from an outside load tool: wrk (64 keep-alive HTTPS connections, bearer token, Lua
`request` hook with unique names) gets a 201 for every ConfigMap, and every create it saw
acknowledged is stored, also after the server is killed with SIGKILL in the middle of the load."""
import os
import shutil
import subprocess
import threading
import time

import pytest

from conftest import Skiff, api_request

WRK = shutil.which("wrk")
pytestmark = pytest.mark.skipif(WRK is None, reason="wrk is not installed (scripts/install-deps.sh)")

# Each wrk thread appends the name of every ConfigMap answered 201 (read from the response body)
# to its own file, and counts other statuses, so the test knows exactly what was acknowledged.
SCRIPT = r"""
local token, path, out_dir = os.getenv("WRK_TOKEN"), os.getenv("WRK_PATH"), os.getenv("WRK_OUT")
local payload = string.rep("p", 1024)
local threads, next_index = {}, 0
function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end
local counter, acked = 0, nil
others = 0  -- a global: done() reads it through thread:get
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
  acked = io.open(out_dir .. "/acked-" .. index, "w")
  acked:setvbuf("line")
end
function request()
  counter = counter + 1
  local body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"wrk-' .. index .. "-" .. counter ..
      '"},"data":{"payload":"' .. payload .. '"}}'
  return wrk.format("POST", path, nil, body)
end
function response(status, headers, body)
  if status == 201 then
    acked:write(string.match(body, '"name":"(wrk%-[0-9]+%-[0-9]+)"') or "?", "\n")
  else
    others = others + 1
  end
end
function done(summary, latency, requests)
  local others_total = 0
  for _, t in ipairs(threads) do others_total = others_total + t:get("others") end
  io.write(string.format("WRK_DONE requests=%d non201=%d\n", summary.requests, others_total))
end
"""


def run_wrk(s, ns, out_dir, seconds):
    script = os.path.join(out_dir, "create.lua")
    with open(script, "w") as f:
        f.write(SCRIPT)
    env = dict(os.environ, WRK_TOKEN=s.token(), WRK_PATH=f"/api/v1/namespaces/{ns}/configmaps", WRK_OUT=out_dir)
    return subprocess.Popen([WRK, "-t2", "-c64", f"-d{seconds}s", "--timeout", "10s", "-s", script,
                             f"https://127.0.0.1:{s.port}/"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def acked_names(out_dir):
    names = []
    for f in os.listdir(out_dir):
        if f.startswith("acked-"):
            with open(os.path.join(out_dir, f)) as lines:
                names += [line.strip() for line in lines if line.endswith("\n")]
    return names


def stored_names(s, ns):
    code, _, body = api_request(s, "GET", f"/api/v1/namespaces/{ns}/configmaps")
    assert code == 200, body
    return {i["metadata"]["name"]: i for i in body["items"] if i["metadata"]["name"].startswith("wrk-")}


def make_namespace(s, ns):
    code, _, body = api_request(s, "POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    assert code == 201, body


def test_every_create_from_wrk_is_answered_201_and_stored(skiff, tmp_path):
    s = skiff
    make_namespace(s, "wrk-load")
    proc = run_wrk(s, "wrk-load", str(tmp_path), 3)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "WRK_DONE" in out, out
    assert " non201=0" in out, out
    acked = acked_names(str(tmp_path))
    assert len(acked) > 200, f"only {len(acked)} creates in 3 s: the test did not exercise much\n{out}"
    assert "?" not in acked
    assert len(set(acked)) == len(acked), "a name was answered 201 twice"
    stored = stored_names(s, "wrk-load")
    missing = [n for n in acked if n not in stored]
    assert not missing, f"{len(missing)} acknowledged creates are not stored: {missing[:10]}"
    # wrk stops with up to one request in flight per connection; those may have landed too.
    assert len(stored) <= len(acked) + 64
    sample = stored[acked[len(acked) // 2]]
    assert sample["data"]["payload"] == "p" * 1024
    assert sample["metadata"]["namespace"] == "wrk-load"


def test_creates_wrk_saw_acknowledged_survive_kill9(skiff, tmp_path):
    s = skiff
    make_namespace(s, "wrk-crash")
    proc = run_wrk(s, "wrk-crash", str(tmp_path), 5)
    reader = threading.Thread(target=proc.communicate, kwargs={"timeout": 60}, daemon=True)
    reader.start()
    time.sleep(2.5)
    s.kill9()  # mid-load: 64 creates are in flight
    reader.join(60)
    acked = acked_names(str(tmp_path))
    assert len(acked) > 200, f"only {len(acked)} creates before the kill: the test did not exercise much"
    s2 = Skiff(data_dir=s.data_dir)
    s2.start()
    try:
        stored = stored_names(s2, "wrk-crash")
        missing = [n for n in acked if n not in stored]
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged creates lost: {missing[:10]}"
    finally:
        s2.cleanup()
