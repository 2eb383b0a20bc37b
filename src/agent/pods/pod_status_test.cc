#include "agent/pods/pod_status.h"

#include "base/clock.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::agent::pods {
namespace {

namespace json = boost::json;
using S = ContainerRunState;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

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

ContainerInstance C(const std::string& name, S state, int exit_code = 0, uint32_t attempt = 0) {
  ContainerInstance c;
  c.id = name + std::to_string(attempt);
  c.name = name;
  c.state = state;
  c.exit_code = exit_code;
  c.attempt = attempt;
  c.image = "docker.io/library/img:1";
  c.image_ref = "sha256:abc";
  c.created_at = kNow - absl::Seconds(100 - attempt);
  c.started_at = kNow - absl::Seconds(50);
  if (state == S::kExited) {
    c.finished_at = kNow - absl::Seconds(10);
    c.reason = exit_code == 0 ? "Completed" : "Error";
  }
  return c;
}

PodRuntimeState State(std::vector<ContainerInstance> containers, bool sandbox_ready = true) {
  PodRuntimeState st;
  st.sandboxes.push_back({.id = "sb", .attempt = 0, .ready = sandbox_ready, .ips = {"10.0.0.7"}});
  st.containers = std::move(containers);
  st.Normalize();
  return st;
}

json::object Build(const PodView& pod, const PodRuntimeState& state,
                   std::map<std::string, WaitingReason> waiting = {}, const json::value* old = nullptr,
                   bool terminal = false, ContainerHealth health = {}) {
  StatusInputs in;
  in.pod = &pod;
  in.state = &state;
  in.old_status = old;
  in.waiting = std::move(waiting);
  in.health = std::move(health);
  in.host_ip = "192.168.1.5";
  in.qos_class = "BestEffort";
  in.now = kNow;
  in.terminal = terminal;
  return BuildPodStatus(in);
}

std::string Cond(const json::object& status, const std::string& type, const char* field = "status") {
  for (const auto& c : status.at("conditions").as_array()) {
    if (base::GetString(c, {"type"}) == type) return base::GetString(c, {field});
  }
  return "<none>";
}

const json::value& Cs(const json::object& status, size_t i, const char* list = "containerStatuses") {
  return status.at(list).as_array().at(i);
}

TEST(PodStatusTest, PendingPodShowsContainerCreating) {
  PodRuntimeState empty;
  json::object s = Build(Pod(RestartPolicy::kAlways, {"a"}), empty);
  EXPECT_EQ(s.at("phase"), "Pending");
  EXPECT_EQ(Cond(s, "PodReadyToStartContainers"), "False");
  EXPECT_EQ(Cond(s, "Initialized"), "True");
  EXPECT_EQ(Cond(s, "Ready"), "False");
  EXPECT_EQ(Cond(s, "ContainersReady", "message"), "containers with unready status: [a]");
  EXPECT_EQ(base::GetString(Cs(s, 0), {"state", "waiting", "reason"}), "ContainerCreating");
  EXPECT_EQ(base::GetString(Cs(s, 0), {"image"}), "img:1");
  EXPECT_EQ(s.at("hostIP"), "192.168.1.5");
  EXPECT_FALSE(s.contains("podIP"));
  EXPECT_EQ(base::GetString(json::value(s), {"startTime"}), base::FormatRfc3339(kNow));
  EXPECT_EQ(s.at("qosClass"), "BestEffort");
}

TEST(PodStatusTest, RunningPodIsReady) {
  json::object s = Build(Pod(RestartPolicy::kAlways, {"a"}), State({C("a", S::kRunning)}));
  EXPECT_EQ(s.at("phase"), "Running");
  EXPECT_EQ(Cond(s, "PodReadyToStartContainers"), "True");
  EXPECT_EQ(Cond(s, "Ready"), "True");
  EXPECT_EQ(Cond(s, "ContainersReady"), "True");
  EXPECT_EQ(s.at("podIP"), "10.0.0.7");
  EXPECT_EQ(base::GetString(s, {"podIPs"}), "");
  EXPECT_EQ(base::GetString(s.at("podIPs").as_array()[0], {"ip"}), "10.0.0.7");
  const json::value& c = Cs(s, 0);
  EXPECT_TRUE(base::GetBool(c, {"ready"}));
  EXPECT_TRUE(base::GetBool(c, {"started"}));
  EXPECT_EQ(base::GetString(c, {"containerID"}), "containerd://a0");
  EXPECT_EQ(base::GetString(c, {"imageID"}), "sha256:abc");
  EXPECT_EQ(base::GetString(c, {"image"}), "docker.io/library/img:1");
  EXPECT_EQ(base::GetString(c, {"state", "running", "startedAt"}),
            base::FormatRfc3339(kNow - absl::Seconds(50)));
}

TEST(PodStatusTest, ReadinessProbeAndGates) {
  PodView pod = Pod(RestartPolicy::kAlways, {"a"});
  pod.containers[0].has_readiness_probe = true;
  auto state = State({C("a", S::kRunning)});
  json::object s = Build(pod, state);
  EXPECT_EQ(Cond(s, "Ready"), "False");
  EXPECT_FALSE(base::GetBool(Cs(s, 0), {"ready"}));
  ContainerHealth health;
  health.ready["a"] = true;
  s = Build(pod, state, {}, nullptr, false, health);
  EXPECT_EQ(Cond(s, "Ready"), "True");
  pod.readiness_gates = {"example.com/g"};
  s = Build(pod, state, {}, nullptr, false, health);
  EXPECT_EQ(Cond(s, "ContainersReady"), "True");
  EXPECT_EQ(Cond(s, "Ready"), "False");
  EXPECT_EQ(Cond(s, "Ready", "reason"), "ReadinessGatesNotReady");
  json::value old = *base::ParseJson(R"({"conditions":[{"type":"example.com/g","status":"True"},
      {"type":"PodScheduled","status":"True","lastTransitionTime":"2020-01-01T00:00:00Z"}]})");
  s = Build(pod, state, {}, &old, false, health);
  EXPECT_EQ(Cond(s, "Ready"), "True");
  EXPECT_EQ(Cond(s, "PodScheduled", "lastTransitionTime"), "2020-01-01T00:00:00Z");  // carried over
}

TEST(PodStatusTest, CrashLoopBackOffShowsWaitingAndLastState) {
  PodView pod = Pod(RestartPolicy::kAlways, {"a"});
  auto state = State({C("a", S::kExited, 1, 2), C("a", S::kExited, 1, 1)});
  json::object s =
      Build(pod, state, {{"a", {"CrashLoopBackOff", "back-off 20s restarting failed container=a"}}});
  const json::value& c = Cs(s, 0);
  EXPECT_EQ(base::GetString(c, {"state", "waiting", "reason"}), "CrashLoopBackOff");
  EXPECT_EQ(base::GetInt(c, {"lastState", "terminated", "exitCode"}), 1);
  EXPECT_EQ(base::GetString(c, {"lastState", "terminated", "containerID"}), "containerd://a2");
  EXPECT_EQ(base::GetInt(c, {"restartCount"}), 2);
  EXPECT_EQ(s.at("phase"), "Running");  // Always: restarting
  // Without a recorded reason the terminated state shows, with the previous instance as lastState.
  s = Build(pod, state);
  EXPECT_EQ(base::GetString(Cs(s, 0), {"state", "terminated", "reason"}), "Error");
  EXPECT_EQ(base::GetString(Cs(s, 0), {"lastState", "terminated", "containerID"}), "containerd://a1");
}

TEST(PodStatusTest, PhasesByRestartPolicy) {
  auto ok = State({C("a", S::kExited, 0)});
  auto bad = State({C("a", S::kExited, 2)});
  EXPECT_EQ(Build(Pod(RestartPolicy::kNever, {"a"}), ok).at("phase"), "Succeeded");
  EXPECT_EQ(Build(Pod(RestartPolicy::kNever, {"a"}), bad).at("phase"), "Failed");
  EXPECT_EQ(Build(Pod(RestartPolicy::kOnFailure, {"a"}), ok).at("phase"), "Succeeded");
  EXPECT_EQ(Build(Pod(RestartPolicy::kOnFailure, {"a"}), bad).at("phase"), "Running");
  EXPECT_EQ(Build(Pod(RestartPolicy::kAlways, {"a"}), ok).at("phase"), "Running");
  // Terminal (deleted and stopped): by exit codes whatever the policy.
  EXPECT_EQ(Build(Pod(RestartPolicy::kAlways, {"a"}), ok, {}, nullptr, true).at("phase"), "Succeeded");
  EXPECT_EQ(Build(Pod(RestartPolicy::kAlways, {"a"}), bad, {}, nullptr, true).at("phase"), "Failed");
  json::object done = Build(Pod(RestartPolicy::kNever, {"a"}), ok);
  EXPECT_EQ(Cond(done, "ContainersReady", "reason"), "PodCompleted");
  EXPECT_EQ(base::GetString(Cs(done, 0), {"state", "terminated", "reason"}), "Completed");
}

TEST(PodStatusTest, InitContainers) {
  PodView pod = Pod(RestartPolicy::kAlways, {"a"}, {"i1", "i2"});
  json::object s = Build(pod, State({C("i1", S::kRunning)}));
  EXPECT_EQ(s.at("phase"), "Pending");
  EXPECT_EQ(Cond(s, "Initialized"), "False");
  EXPECT_EQ(Cond(s, "Initialized", "reason"), "ContainersNotInitialized");
  EXPECT_EQ(Cond(s, "Initialized", "message"), "containers with incomplete status: [i1 i2]");
  EXPECT_EQ(base::GetString(Cs(s, 1, "initContainerStatuses"), {"state", "waiting", "reason"}),
            "PodInitializing");
  EXPECT_EQ(base::GetString(Cs(s, 0), {"state", "waiting", "reason"}), "PodInitializing");
  s = Build(pod, State({C("i1", S::kExited, 0), C("i2", S::kExited, 0), C("a", S::kRunning)}));
  EXPECT_EQ(s.at("phase"), "Running");
  EXPECT_EQ(Cond(s, "Initialized"), "True");
  // A failed init container under Never fails the pod.
  PodView never = Pod(RestartPolicy::kNever, {"a"}, {"i1"});
  EXPECT_EQ(Build(never, State({C("i1", S::kExited, 1)})).at("phase"), "Failed");
  // ... under Always it is Pending (init restarting).
  EXPECT_EQ(Build(Pod(RestartPolicy::kAlways, {"a"}, {"i1"}), State({C("i1", S::kExited, 1)})).at("phase"),
            "Pending");
}

TEST(PodStatusTest, WaitingReasonsForStartFailures) {
  PodRuntimeState st = State({});
  json::object s =
      Build(Pod(RestartPolicy::kAlways, {"a"}), st, {{"a", {"ErrImagePull", "pull access denied"}}});
  EXPECT_EQ(base::GetString(Cs(s, 0), {"state", "waiting", "reason"}), "ErrImagePull");
  EXPECT_EQ(base::GetString(Cs(s, 0), {"state", "waiting", "message"}), "pull access denied");
  EXPECT_EQ(s.at("phase"), "Pending");
}

TEST(PodStatusTest, OomKilledAndTransitionTimesKept) {
  ContainerInstance oom = C("a", S::kExited, 137);
  oom.reason = "OOMKilled";
  PodView pod = Pod(RestartPolicy::kNever, {"a"});
  json::object s = Build(pod, State({oom}));
  EXPECT_EQ(base::GetString(Cs(s, 0), {"state", "terminated", "reason"}), "OOMKilled");
  EXPECT_EQ(s.at("phase"), "Failed");
  // Same inputs later with the first result as old status: identical (transition times kept).
  json::value old = s;
  StatusInputs in;
  auto state = State({oom});
  in.pod = &pod;
  in.state = &state;
  in.old_status = &old;
  in.host_ip = "192.168.1.5";
  in.qos_class = "BestEffort";
  in.now = kNow + absl::Minutes(5);
  EXPECT_EQ(BuildPodStatus(in), s);
}

}  // namespace
}  // namespace skiff::agent::pods
