#include "agent/probes/probe_manager.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "absl/strings/match.h"
#include "agent/pods/fake_runtime_for_test.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::agent::probes {
namespace {

// Readiness probes use httpGet, liveness probes exec, startup probes tcpSocket: the fake answers
// by handler type from flags the test flips.
class FakeProber : public Prober {
 public:
  ProbeOutcome Run(const ProbeHandler& handler, const ProbeTarget& target, absl::Duration) override {
    last_target_ip = target.pod_ip;
    switch (handler.type) {
      case HandlerType::kHttpGet:
        return ready ? ProbeOutcome{true, ""} : ProbeOutcome{false, "HTTP probe failed with statuscode: 503"};
      case HandlerType::kExec:
        return alive ? ProbeOutcome{true, ""} : ProbeOutcome{false, "boom"};
      default:
        return started ? ProbeOutcome{true, ""} : ProbeOutcome{false, "dial tcp: refused"};
    }
  }
  std::atomic<bool> ready{true}, alive{true}, started{false};
  std::string last_target_ip;
};

class StopRecordingRuntime : public pods::testing::FakeRuntime {
 public:
  StopRecordingRuntime() : FakeRuntime(&base::RealClock()) {}
  absl::StatusOr<cri::v1::StopContainerResponse> StopContainer(const cri::v1::StopContainerRequest& req,
                                                               absl::Duration) override {
    std::lock_guard<std::mutex> lock(mu);
    stopped.push_back(absl::StrCat(req.container_id(), "/", req.timeout()));
    return cri::v1::StopContainerResponse();
  }
  std::mutex mu;
  std::vector<std::string> stopped;
};

// Records hook calls and lets the test wait for a condition.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, bool> ready, started;
  std::vector<std::string> events;
  int enqueued = 0;

  bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(8)) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), pred);
  }
};

client::Object Pod(const std::string& container_id, const std::string& extra_probe = "") {
  std::string text = R"({"metadata":{"name":"web","namespace":"default","uid":"u1"},
    "spec":{"terminationGracePeriodSeconds":12,"containers":[{"name":"app",
      "readinessProbe":{"httpGet":{"port":80},"periodSeconds":1,"failureThreshold":1},
      "livenessProbe":{"exec":{"command":["true"]},"periodSeconds":1,"failureThreshold":2,
                       "terminationGracePeriodSeconds":3})" +
                     extra_probe + R"(}]},
    "status":{"phase":"Running","podIP":"10.88.0.7","containerStatuses":[{"name":"app",
      "containerID":"containerd://)" +
                     container_id + R"(","state":{"running":{"startedAt":"2020-01-01T00:00:00Z"}}}]}})";
  return std::make_shared<const boost::json::value>(*base::ParseJson(text));
}

class ProbeManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProbeHooks hooks;
    hooks.pods = [this] {
      std::lock_guard<std::mutex> lock(pods_mu_);
      return pods_;
    };
    hooks.set_ready = [this](const std::string& uid, const std::string& c, bool r) {
      std::lock_guard<std::mutex> lock(rec_.mu);
      rec_.ready[uid + "/" + c] = r;
      rec_.cv.notify_all();
    };
    hooks.set_started = [this](const std::string& uid, const std::string& c, bool s) {
      std::lock_guard<std::mutex> lock(rec_.mu);
      rec_.started[uid + "/" + c] = s;
      rec_.cv.notify_all();
    };
    hooks.enqueue = [this](const std::string&) {
      std::lock_guard<std::mutex> lock(rec_.mu);
      ++rec_.enqueued;
      rec_.cv.notify_all();
    };
    hooks.event = [this](const boost::json::value&, const std::string&, const std::string& type,
                         const std::string& reason, const std::string& message) {
      std::lock_guard<std::mutex> lock(rec_.mu);
      rec_.events.push_back(type + " " + reason + " " + message);
      rec_.cv.notify_all();
    };
    manager_ = std::make_unique<ProbeManager>(&runtime_, &prober_, std::move(hooks),
                                              ProbeManagerOptions{.refresh_period = absl::Milliseconds(100)});
  }
  void SetPods(std::vector<client::Object> pods) {
    std::lock_guard<std::mutex> lock(pods_mu_);
    pods_ = std::move(pods);
  }
  bool HasEvent(const std::string& text) {
    for (const auto& e : rec_.events) {
      if (e == text) return true;
    }
    return false;
  }

  StopRecordingRuntime runtime_;
  FakeProber prober_;
  Recorder rec_;
  std::mutex pods_mu_;
  std::vector<client::Object> pods_;
  std::unique_ptr<ProbeManager> manager_;
};

TEST_F(ProbeManagerTest, ReadinessFollowsProbeResults) {
  SetPods({Pod("c1")});
  manager_->Start();
  ASSERT_TRUE(rec_.WaitFor([&] { return rec_.ready["u1/app"]; }));
  EXPECT_EQ(prober_.last_target_ip, "10.88.0.7");
  EXPECT_EQ(manager_->WorkerCount(), 2u);
  prober_.ready = false;
  ASSERT_TRUE(rec_.WaitFor([&] { return !rec_.ready["u1/app"]; }));
  EXPECT_TRUE(rec_.WaitFor([&] {
    return HasEvent("Warning Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 503");
  }));
  SetPods({});
  manager_->Refresh();
  EXPECT_EQ(manager_->WorkerCount(), 0u);
  manager_->Stop();
}

TEST_F(ProbeManagerTest, LivenessFailureKillsTheContainerOnceUntilANewInstance) {
  SetPods({Pod("c1")});
  prober_.alive = false;
  manager_->Start();
  ASSERT_TRUE(rec_.WaitFor([&] { return rec_.enqueued > 0; }));
  EXPECT_TRUE(HasEvent("Warning Unhealthy Liveness probe failed: boom"));
  EXPECT_TRUE(HasEvent("Normal Killing Container app failed liveness probe, will be restarted"));
  {
    std::lock_guard<std::mutex> lock(runtime_.mu);
    ASSERT_EQ(runtime_.stopped.size(), 1u);
    EXPECT_EQ(runtime_.stopped[0], "c1/3");  // the probe's terminationGracePeriodSeconds
  }
  // On hold: the same instance is not killed again.
  absl::SleepFor(absl::Milliseconds(2500));
  {
    std::lock_guard<std::mutex> lock(runtime_.mu);
    EXPECT_EQ(runtime_.stopped.size(), 1u);
  }
  // A new instance is probed (and killed) again.
  SetPods({Pod("c2")});
  ASSERT_TRUE(rec_.WaitFor([&] {
    std::lock_guard<std::mutex> lock(runtime_.mu);
    return runtime_.stopped.size() == 2;
  }));
  manager_->Stop();
}

TEST_F(ProbeManagerTest, StartupProbeGatesReadiness) {
  SetPods(
      {Pod("c1", R"(,"startupProbe":{"tcpSocket":{"port":80},"periodSeconds":1,"failureThreshold":100})")});
  manager_->Start();
  ASSERT_TRUE(rec_.WaitFor([&] { return rec_.started.contains("u1/app"); }));
  absl::SleepFor(absl::Milliseconds(1500));
  {
    std::lock_guard<std::mutex> lock(rec_.mu);
    EXPECT_FALSE(rec_.started["u1/app"]);
    EXPECT_FALSE(rec_.ready["u1/app"]);  // readiness waits for startup
  }
  prober_.started = true;
  ASSERT_TRUE(rec_.WaitFor([&] { return rec_.started["u1/app"]; }));
  ASSERT_TRUE(rec_.WaitFor([&] { return rec_.ready["u1/app"]; }));
  manager_->Stop();
}

}  // namespace
}  // namespace skiff::agent::probes
