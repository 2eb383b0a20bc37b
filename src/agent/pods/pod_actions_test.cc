#include "agent/pods/pod_actions.h"

#include "gtest/gtest.h"

namespace skiff::agent::pods {
namespace {

using S = ContainerRunState;

PodView Pod(RestartPolicy policy, std::vector<std::string> app, std::vector<std::string> init = {}) {
  PodView v;
  v.uid = "u";
  v.name = "p";
  v.ns = "ns";
  v.restart_policy = policy;
  for (auto& n : init) v.init_containers.push_back({.name = n, .image = "img:1"});
  for (auto& n : app) v.containers.push_back({.name = n, .image = "img:1"});
  return v;
}

SandboxInstance Sandbox(bool ready, uint32_t attempt = 0, std::string ip = "10.0.0.2") {
  SandboxInstance s;
  s.id = "sb" + std::to_string(attempt);
  s.attempt = attempt;
  s.ready = ready;
  if (!ip.empty()) s.ips = {ip};
  return s;
}

ContainerInstance C(const std::string& name, S state, int exit_code = 0, uint32_t attempt = 0) {
  ContainerInstance c;
  c.id = name + "-" + std::to_string(attempt);
  c.name = name;
  c.state = state;
  c.exit_code = exit_code;
  c.attempt = attempt;
  return c;
}

PodRuntimeState State(std::vector<SandboxInstance> sandboxes, std::vector<ContainerInstance> containers) {
  PodRuntimeState st{std::move(sandboxes), std::move(containers)};
  st.Normalize();
  return st;
}

TEST(PodActionsTest, NewPodCreatesSandboxAndStartsApps) {
  PodActions a = ComputePodActions(Pod(RestartPolicy::kAlways, {"a", "b"}), {});
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_EQ(a.sandbox_attempt, 0u);
  EXPECT_EQ(a.start, (std::vector<std::string>{"a", "b"}));
}

TEST(PodActionsTest, NewPodWithInitStartsFirstInitOnly) {
  PodActions a = ComputePodActions(Pod(RestartPolicy::kAlways, {"a"}, {"i1", "i2"}), {});
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.start, std::vector<std::string>{"i1"});
}

TEST(PodActionsTest, InitContainersRunInOrder) {
  PodView pod = Pod(RestartPolicy::kAlways, {"a"}, {"i1", "i2"});
  // i1 running: wait.
  PodActions a = ComputePodActions(pod, State({Sandbox(true)}, {C("i1", S::kRunning)}));
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_TRUE(a.start.empty());
  EXPECT_EQ(a.sandbox_id, "sb0");
  // i1 done: start i2.
  a = ComputePodActions(pod, State({Sandbox(true)}, {C("i1", S::kExited, 0)}));
  EXPECT_EQ(a.start, std::vector<std::string>{"i2"});
  // Both done: start the app.
  a = ComputePodActions(pod, State({Sandbox(true)}, {C("i1", S::kExited, 0), C("i2", S::kExited, 0)}));
  EXPECT_EQ(a.start, std::vector<std::string>{"a"});
  // i1 failed: retried (Always).
  a = ComputePodActions(pod, State({Sandbox(true)}, {C("i1", S::kExited, 1)}));
  EXPECT_EQ(a.start, std::vector<std::string>{"i1"});
  EXPECT_FALSE(a.init_failed);
}

TEST(PodActionsTest, FailedInitWithNeverFailsPod) {
  PodView pod = Pod(RestartPolicy::kNever, {"a"}, {"i1"});
  PodActions a = ComputePodActions(pod, State({Sandbox(true)}, {C("i1", S::kExited, 3)}));
  EXPECT_TRUE(a.init_failed);
  EXPECT_TRUE(a.pod_done);
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.start.empty());
}

TEST(PodActionsTest, SidecarStartsBeforeNextInitAndKeepsRunning) {
  PodView pod = Pod(RestartPolicy::kAlways, {"a"}, {"side", "i2"});
  pod.init_containers[0].sidecar = true;
  PodActions a = ComputePodActions(pod, State({Sandbox(true)}, {}));
  EXPECT_EQ(a.start, std::vector<std::string>{"side"});
  a = ComputePodActions(pod, State({Sandbox(true)}, {C("side", S::kRunning)}));
  EXPECT_EQ(a.start, std::vector<std::string>{"i2"});
  // After initialization a dead sidecar is restarted alongside the apps.
  a = ComputePodActions(
      pod, State({Sandbox(true)}, {C("side", S::kExited, 1), C("i2", S::kExited, 0), C("a", S::kRunning)}));
  EXPECT_EQ(a.start, std::vector<std::string>{"side"});
}

TEST(PodActionsTest, RestartPolicies) {
  auto state =
      State({Sandbox(true)}, {C("ok", S::kExited, 0), C("bad", S::kExited, 1), C("run", S::kRunning)});
  EXPECT_EQ(ComputePodActions(Pod(RestartPolicy::kAlways, {"ok", "bad", "run"}), state).start,
            (std::vector<std::string>{"ok", "bad"}));
  EXPECT_EQ(ComputePodActions(Pod(RestartPolicy::kOnFailure, {"ok", "bad", "run"}), state).start,
            (std::vector<std::string>{"bad"}));
  PodActions never = ComputePodActions(Pod(RestartPolicy::kNever, {"ok", "bad", "run"}), state);
  EXPECT_TRUE(never.start.empty());
  EXPECT_FALSE(never.kill_pod);  // "run" is still running
}

TEST(PodActionsTest, FinishedPodIsStopped) {
  auto state = State({Sandbox(true)}, {C("a", S::kExited, 0)});
  PodActions a = ComputePodActions(Pod(RestartPolicy::kNever, {"a"}), state);
  EXPECT_TRUE(a.pod_done);
  EXPECT_TRUE(a.kill_pod);
  a = ComputePodActions(Pod(RestartPolicy::kOnFailure, {"a"}), state);
  EXPECT_TRUE(a.pod_done);
  // Once stopped, the sandbox is not recreated.
  auto stopped = State({Sandbox(false)}, {C("a", S::kExited, 0)});
  a = ComputePodActions(Pod(RestartPolicy::kOnFailure, {"a"}), stopped);
  EXPECT_TRUE(a.pod_done);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_FALSE(a.kill_pod);
  a = ComputePodActions(Pod(RestartPolicy::kNever, {"a"}), stopped);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_FALSE(a.kill_pod);
}

TEST(PodActionsTest, DeadSandboxIsRecreatedWithNextAttempt) {
  auto state = State({Sandbox(false, 2)}, {C("a", S::kExited, 137, 4)});
  PodActions a = ComputePodActions(Pod(RestartPolicy::kAlways, {"a"}, {"i"}), state);
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.sandbox_attempt, 3u);
  // Initialized before: init containers are not run again.
  EXPECT_EQ(a.start, std::vector<std::string>{"a"});
  // A ready sandbox without an IP counts as dead too (unless host network).
  PodView pod = Pod(RestartPolicy::kAlways, {"a"});
  auto no_ip = State({Sandbox(true, 0, "")}, {C("a", S::kRunning)});
  EXPECT_TRUE(ComputePodActions(pod, no_ip).create_sandbox);
  pod.host_network = true;
  EXPECT_FALSE(ComputePodActions(pod, no_ip).create_sandbox);
}

TEST(PodActionsTest, StaleCreatedContainerIsReplaced) {
  auto state = State({Sandbox(true)}, {C("a", S::kCreated)});
  PodActions a = ComputePodActions(Pod(RestartPolicy::kAlways, {"a"}), state);
  EXPECT_EQ(a.kill_ids, std::vector<std::string>{"a-0"});
  EXPECT_EQ(a.start, std::vector<std::string>{"a"});
}

TEST(PodActionsTest, ShouldRestart) {
  PodView pod = Pod(RestartPolicy::kOnFailure, {"a"});
  ContainerInstance ok = C("a", S::kExited, 0), bad = C("a", S::kExited, 2), run = C("a", S::kRunning);
  EXPECT_TRUE(ShouldRestart(pod, nullptr));
  EXPECT_FALSE(ShouldRestart(pod, &ok));
  EXPECT_TRUE(ShouldRestart(pod, &bad));
  EXPECT_FALSE(ShouldRestart(pod, &run));
  pod.deleting = true;
  EXPECT_FALSE(ShouldRestart(pod, &bad));
}

}  // namespace
}  // namespace skiff::agent::pods
