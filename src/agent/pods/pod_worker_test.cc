// PodWorker against a fake CRI runtime and the real object semantics of the API server (in
// process): sandbox/containers, status writes, CrashLoopBackOff timing, init ordering, image pull
// errors, graceful termination order with the final delete, adoption without duplicates.
#include "agent/pods/pod_worker.h"

#include <filesystem>

#include "agent/pods/fake_runtime_for_test.h"
#include "base/json.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::pods {
namespace {

namespace json = boost::json;
using testing::FakeClock;
using testing::FakeRuntime;

const api::ResourceInfo& PodsR() { return client::Resource("", "v1", "pods"); }

class PodWorkerTest : public ::testing::Test {
 protected:
  PodWorkerTest()
      : server_(&clock_), runtime_(&clock_), crash_(&clock_), image_(&clock_), status_(server_.client()) {
    dir_ = (std::filesystem::temp_directory_path() / ("pods_test_" + std::to_string(::getpid()))).string();
    env_.runtime = &runtime_;
    env_.client = server_.client();
    env_.status = &status_;
    env_.translator = &translator_;
    env_.crash_backoff = &crash_;
    env_.image_backoff = &image_;
    env_.clock = &clock_;
    env_.host_ip = "192.168.1.5";
    env_.pods_dir = dir_ + "/pods";
    runtime_.AddImage("img:1");
  }
  ~PodWorkerTest() override { std::filesystem::remove_all(dir_); }

  client::Object CreatePod(const std::string& spec_json, const std::string& name = "p") {
    auto made =
        server_.client()->Create(PodsR(), "default",
                                 *base::ParseJson(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" +
                                                  name + R"("},"spec":)" + spec_json + "}"));
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *made : nullptr;
  }
  client::Object Get(const std::string& name = "p") {
    auto got = server_.client()->Get(PodsR(), "default", name);
    return got.ok() ? *got : nullptr;
  }
  std::string Field(std::initializer_list<std::string_view> path, const std::string& name = "p") {
    auto pod = Get(name);
    return pod ? base::GetString(*pod, path) : "<gone>";
  }
  const json::value* AppStatus(const client::Object& pod, size_t i = 0) {
    const json::value* list = base::FindPath(*pod, {"status", "containerStatuses"});
    return list && list->is_array() && list->as_array().size() > i ? &list->as_array()[i] : nullptr;
  }
  std::string Uid(const client::Object& pod) { return base::GetString(*pod, {"metadata", "uid"}); }

  FakeClock clock_;
  client::testing::TestApiServer server_;
  FakeRuntime runtime_;
  CrashBackoff crash_;
  CrashBackoff image_;
  StatusManager status_;
  BasicSpecTranslator translator_;
  WorkerEnv env_;
  std::string dir_;
};

constexpr char kSimple[] =
    R"({"nodeName":"n1","containers":[{"name":"a","image":"img:1","command":["sleep","9"]}]})";

TEST_F(PodWorkerTest, StartsPodAndReportsRunning) {
  auto pod = CreatePod(kSimple);
  PodWorker w(&env_, Uid(pod));
  SyncResult r = w.Sync(Get());
  EXPECT_FALSE(r.done);
  EXPECT_EQ(runtime_.SandboxCount(), 1u);
  auto ids = runtime_.ContainersNamed("a");
  ASSERT_EQ(ids.size(), 1u);
  auto config = runtime_.ConfigOf(ids[0]);
  EXPECT_EQ(config.log_path(), "a/0.log");
  EXPECT_EQ(config.labels().at(kPodUidLabel), Uid(pod));
  EXPECT_EQ(config.command(0), "sleep");
  EXPECT_EQ(runtime_.Container(ids[0])->log_path(), env_.pods_dir + "/" + Uid(pod) + "/logs/a/0.log");
  EXPECT_TRUE(std::filesystem::is_directory(env_.pods_dir + "/" + Uid(pod) + "/logs/a"));

  auto now = Get();
  EXPECT_EQ(base::GetString(*now, {"status", "phase"}), "Running");
  EXPECT_EQ(base::GetString(*now, {"status", "podIP"}), "10.244.0.2");
  EXPECT_EQ(base::GetString(*now, {"status", "hostIP"}), "192.168.1.5");
  EXPECT_EQ(base::GetString(*now, {"status", "qosClass"}), "BestEffort");
  ASSERT_NE(AppStatus(now), nullptr);
  EXPECT_EQ(base::GetString(*AppStatus(now), {"containerID"}), "containerd://" + ids[0]);
  EXPECT_TRUE(base::GetBool(*AppStatus(now), {"ready"}));
  bool ready = false;
  for (const auto& c : base::FindPath(*now, {"status", "conditions"})->as_array()) {
    if (base::GetString(c, {"type"}) == "Ready") ready = base::GetString(c, {"status"}) == "True";
  }
  EXPECT_TRUE(ready);

  // Nothing changed: a second sync neither creates nor writes.
  int64_t writes = status_.writes();
  runtime_.ClearCalls();
  w.Sync(Get());
  EXPECT_EQ(status_.writes(), writes);
  EXPECT_EQ(runtime_.CountCalls("Create"), 0u);
  EXPECT_EQ(runtime_.CountCalls("RunPodSandbox"), 0u);
}

TEST_F(PodWorkerTest, CrashLoopBackOffTiming) {
  auto pod = CreatePod(kSimple);
  PodWorker w(&env_, Uid(pod));
  w.Sync(Get());
  // First crash: restarted at once.
  runtime_.Exit(runtime_.ContainersNamed("a").back(), 1);
  clock_.Advance(absl::Seconds(1));
  w.Sync(Get());
  ASSERT_EQ(runtime_.ContainersNamed("a").size(), 2u);
  EXPECT_EQ(runtime_.ConfigOf(runtime_.ContainersNamed("a").back()).metadata().attempt(), 1u);
  EXPECT_EQ(base::GetInt(*AppStatus(Get()), {"restartCount"}), 1);
  // Second crash: 10 s backoff.
  clock_.Advance(absl::Seconds(2));
  runtime_.Exit(runtime_.ContainersNamed("a").back(), 2);
  absl::Time finished = clock_.Now();
  SyncResult r = w.Sync(Get());
  EXPECT_EQ(runtime_.ContainersNamed("a").size(), 2u);
  EXPECT_EQ(r.retry_at, finished + absl::Seconds(10));
  auto now = Get();
  EXPECT_EQ(base::GetString(*AppStatus(now), {"state", "waiting", "reason"}), "CrashLoopBackOff");
  EXPECT_EQ(base::GetString(*AppStatus(now), {"state", "waiting", "message"}),
            "back-off 10s restarting failed container=a pod=p_default(" + Uid(pod) + ")");
  EXPECT_EQ(base::GetInt(*AppStatus(now), {"lastState", "terminated", "exitCode"}), 2);
  clock_.Advance(absl::Seconds(9));
  w.Sync(Get());
  EXPECT_EQ(runtime_.CountCalls("CreateContainer a"), 2u);
  clock_.Advance(absl::Seconds(1));
  w.Sync(Get());
  ASSERT_EQ(runtime_.CountCalls("CreateContainer a"), 3u);
  EXPECT_EQ(base::GetString(*AppStatus(Get()), {"state", "running", "startedAt"}),
            base::FormatRfc3339(clock_.Now()));
  EXPECT_EQ(base::GetInt(*AppStatus(Get()), {"restartCount"}), 2);
  // Only the newest dead instance is kept beside the running one (for logs -p).
  EXPECT_EQ(runtime_.ContainerCount(), 2u);
  // Third crash: 20 s.
  runtime_.Exit(runtime_.ContainersNamed("a").back(), 1);
  SyncResult third = w.Sync(Get());
  EXPECT_EQ(third.retry_at, clock_.Now() + absl::Seconds(20));
  EXPECT_EQ(base::GetString(*AppStatus(Get()), {"state", "waiting", "message"}),
            "back-off 20s restarting failed container=a pod=p_default(" + Uid(pod) + ")");
  clock_.Advance(absl::Seconds(20));
  w.Sync(Get());
  EXPECT_EQ(runtime_.CountCalls("CreateContainer a"), 4u);
  EXPECT_EQ(base::GetInt(*AppStatus(Get()), {"restartCount"}), 3);
}

TEST_F(PodWorkerTest, RestartPolicyNeverFinishesPod) {
  auto pod =
      CreatePod(R"({"nodeName":"n1","restartPolicy":"Never","containers":[{"name":"a","image":"img:1"}]})");
  PodWorker w(&env_, Uid(pod));
  w.Sync(Get());
  runtime_.Exit(runtime_.ContainersNamed("a").back(), 0);
  w.Sync(Get());
  EXPECT_EQ(Field({"status", "phase"}), "Succeeded");
  EXPECT_EQ(runtime_.CountCalls("StopPodSandbox"), 1u);
  EXPECT_EQ(runtime_.ContainersNamed("a").size(), 1u);
  EXPECT_EQ(base::GetString(*AppStatus(Get()), {"state", "terminated", "reason"}), "Completed");
  // Later syncs start nothing.
  runtime_.ClearCalls();
  w.Sync(Get());
  EXPECT_EQ(runtime_.CountCalls("Create"), 0u);
  EXPECT_EQ(runtime_.CountCalls("RunPodSandbox"), 0u);
}

TEST_F(PodWorkerTest, InitContainersInOrder) {
  auto pod = CreatePod(
      R"({"nodeName":"n1","initContainers":[{"name":"i1","image":"img:1"},{"name":"i2","image":"img:1"}],
      "containers":[{"name":"a","image":"img:1"}]})");
  PodWorker w(&env_, Uid(pod));
  w.Sync(Get());
  EXPECT_EQ(Field({"status", "phase"}), "Pending");
  EXPECT_EQ(runtime_.ContainersNamed("i1").size(), 1u);
  EXPECT_TRUE(runtime_.ContainersNamed("i2").empty());
  // i1 fails: retried (restartPolicy Always), i2 not yet.
  runtime_.Exit(runtime_.ContainersNamed("i1").back(), 1);
  w.Sync(Get());
  EXPECT_EQ(runtime_.ContainersNamed("i1").size(), 2u);
  EXPECT_TRUE(runtime_.ContainersNamed("i2").empty());
  runtime_.Exit(runtime_.ContainersNamed("i1").back(), 0);
  w.Sync(Get());
  EXPECT_EQ(runtime_.ContainersNamed("i2").size(), 1u);
  EXPECT_TRUE(runtime_.ContainersNamed("a").empty());
  runtime_.Exit(runtime_.ContainersNamed("i2").back(), 0);
  w.Sync(Get());
  EXPECT_EQ(runtime_.ContainersNamed("a").size(), 1u);
  EXPECT_EQ(Field({"status", "phase"}), "Running");
  std::vector<std::string> creates;
  for (const auto& c : runtime_.calls()) {
    if (c.rfind("CreateContainer", 0) == 0) creates.push_back(c);
  }
  EXPECT_EQ(creates, (std::vector<std::string>{"CreateContainer i1 0", "CreateContainer i1 1",
                                               "CreateContainer i2 0", "CreateContainer a 0"}));
}

TEST_F(PodWorkerTest, ImagePullErrorsAndBackoff) {
  runtime_.FailPull("missing:1");
  auto pod = CreatePod(R"({"nodeName":"n1","containers":[{"name":"a","image":"missing:1"},
      {"name":"b","image":"absent:2","imagePullPolicy":"Never"}]})");
  PodWorker w(&env_, Uid(pod));
  w.Sync(Get());
  auto now = Get();
  EXPECT_EQ(base::GetString(*AppStatus(now, 0), {"state", "waiting", "reason"}), "ErrImagePull");
  EXPECT_EQ(base::GetString(*AppStatus(now, 1), {"state", "waiting", "reason"}), "ErrImageNeverPull");
  EXPECT_EQ(base::GetString(*now, {"status", "phase"}), "Pending");
  runtime_.ClearCalls();
  w.Sync(Get());
  EXPECT_EQ(runtime_.CountCalls("PullImage"), 0u);
  EXPECT_EQ(base::GetString(*AppStatus(Get(), 0), {"state", "waiting", "reason"}), "ImagePullBackOff");
  clock_.Advance(absl::Seconds(10));
  w.Sync(Get());
  EXPECT_EQ(runtime_.CountCalls("PullImage"), 1u);
  EXPECT_EQ(base::GetString(*AppStatus(Get(), 0), {"state", "waiting", "reason"}), "ErrImagePull");
}

TEST_F(PodWorkerTest, CreateContainerErrorIsReported) {
  runtime_.FailCreate("a");
  auto pod = CreatePod(kSimple);
  PodWorker w(&env_, Uid(pod));
  SyncResult r = w.Sync(Get());
  EXPECT_LT(r.retry_at, absl::InfiniteFuture());
  EXPECT_EQ(base::GetString(*AppStatus(Get()), {"state", "waiting", "reason"}), "CreateContainerError");
}

TEST_F(PodWorkerTest, GracefulTerminationOrderAndFinalDelete) {
  auto pod = CreatePod(R"({"nodeName":"n1","terminationGracePeriodSeconds":20,"containers":[
      {"name":"a","image":"img:1","lifecycle":{"preStop":{"exec":{"command":["sh","-c","echo bye"]}}}}]})");
  PodWorker w(&env_, Uid(pod));
  w.Sync(Get());
  ASSERT_TRUE(server_.client()->Delete(PodsR(), "default", "p").ok());
  auto deleting = Get();
  ASSERT_NE(deleting, nullptr);  // graceful: the pod waits for the agent
  ASSERT_NE(base::FindPath(*deleting, {"metadata", "deletionTimestamp"}), nullptr);
  runtime_.ClearCalls();
  w.Sync(deleting);
  std::vector<std::string> calls = runtime_.calls();
  std::vector<std::string> expected_prefixes = {
      "ExecSync a sh -c echo bye", "StopContainer a 20", "StopPodSandbox",
      "RemoveContainer a",         "StopPodSandbox",     "RemovePodSandbox"};
  ASSERT_EQ(calls.size(), expected_prefixes.size()) << ::testing::PrintToString(calls);
  for (size_t i = 0; i < calls.size(); ++i)
    EXPECT_EQ(calls[i].rfind(expected_prefixes[i], 0), 0u) << calls[i];
  EXPECT_EQ(Get(), nullptr);  // the final delete went through
  EXPECT_EQ(runtime_.SandboxCount(), 0u);
  EXPECT_FALSE(std::filesystem::exists(env_.pods_dir + "/" + Uid(pod) + "/logs"));
  // The informer's delete event then finishes the worker.
  EXPECT_TRUE(w.Sync(nullptr).done);
}

TEST_F(PodWorkerTest, AdoptsExistingContainersWithoutDuplicates) {
  auto pod = CreatePod(kSimple);
  {
    PodWorker first(&env_, Uid(pod));
    first.Sync(Get());
  }
  // A new agent process: fresh worker, fresh status manager.
  StatusManager fresh(server_.client());
  env_.status = &fresh;
  PodWorker second(&env_, Uid(pod));
  runtime_.ClearCalls();
  second.Sync(Get());
  EXPECT_EQ(runtime_.CountCalls("RunPodSandbox"), 0u);
  EXPECT_EQ(runtime_.CountCalls("CreateContainer"), 0u);
  EXPECT_EQ(runtime_.ContainerCount(), 1u);
  EXPECT_EQ(fresh.writes(), 0);  // the stored status is already right
}

TEST_F(PodWorkerTest, DeadSandboxIsRecreated) {
  auto pod = CreatePod(kSimple);
  PodWorker w(&env_, Uid(pod));
  w.Sync(Get());
  runtime_.KillSandbox(runtime_.SandboxIds().front());
  w.Sync(Get());
  EXPECT_EQ(runtime_.CountCalls("RunPodSandbox p 1"), 1u);
  ASSERT_EQ(runtime_.ContainersNamed("a").size(), 2u);
  EXPECT_EQ(runtime_.ConfigOf(runtime_.ContainersNamed("a").back()).metadata().attempt(), 1u);
  EXPECT_EQ(Field({"status", "phase"}), "Running");
  EXPECT_EQ(Field({"status", "podIP"}), "10.244.0.4");
}

TEST_F(PodWorkerTest, PodGoneRemovesEverything) {
  auto pod = CreatePod(kSimple);
  PodWorker w(&env_, Uid(pod));
  w.Sync(Get());
  EXPECT_TRUE(w.Sync(nullptr).done);
  EXPECT_EQ(runtime_.SandboxCount(), 0u);
  EXPECT_EQ(runtime_.ContainerCount(), 0u);
}

TEST_F(PodWorkerTest, RuntimeDownIsRetried) {
  auto pod = CreatePod(kSimple);
  PodWorker w(&env_, Uid(pod));
  runtime_.SetUnavailable(true);
  SyncResult r = w.Sync(Get());
  EXPECT_EQ(r.retry_at, clock_.Now() + absl::Seconds(2));
  runtime_.SetUnavailable(false);
  w.Sync(Get());
  EXPECT_EQ(Field({"status", "phase"}), "Running");
}

}  // namespace
}  // namespace skiff::agent::pods
