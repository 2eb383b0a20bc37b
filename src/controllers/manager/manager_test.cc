#include "controllers/manager/manager.h"

#include <atomic>

#include "absl/time/clock.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

bool WaitFor(const std::function<bool()>& cond, absl::Duration timeout = absl::Seconds(10)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return cond();
}

struct Counters {
  std::atomic<int> built{0}, started{0}, stopped{0};
  std::atomic<bool> had_context{false};
};

class Probe : public Runnable {
 public:
  Probe(Counters* c, const ControllerContext& context) : c_(c), context_(context) {
    c_->had_context = context.client && context.informers && context.recorder;
  }
  void Start() override {
    // Controllers register informers in Start; the manager starts them afterwards.
    context_.informers->For(client::Resource("", "v1", "configmaps"));
    ++c_->started;
  }
  void Stop() override { ++c_->stopped; }

 private:
  Counters* c_;
  ControllerContext context_;
};

ManagerOptions OnlyProbe() {
  ManagerOptions options;
  for (const auto& c : RegisteredControllers()) options.disabled.insert(c.name);
  return options;
}

NamedController ProbeController(Counters* counters) {
  return {"probe", [counters](const ControllerContext& context) {
            ++counters->built;
            return std::make_unique<Probe>(counters, context);
          }};
}

TEST(ControllerManagerTest, RegistrationListHasUniqueNames) {
  std::set<std::string> names;
  for (const auto& c : RegisteredControllers()) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_TRUE(c.factory) << c.name;
  }
  EXPECT_TRUE(names.count("namespace"));
}

TEST(ControllerManagerTest, WithoutElectionStartsAndStopsControllers) {
  client::testing::TestApiServer server;
  Counters counters;
  ManagerOptions options = OnlyProbe();
  options.leader_elect = false;
  ControllerManager manager(server.client(), options);
  manager.AddController(ProbeController(&counters));
  manager.Start();
  EXPECT_TRUE(manager.IsLeader());
  EXPECT_EQ(manager.Running(), std::vector<std::string>{"probe"});
  EXPECT_EQ(counters.started, 1);
  EXPECT_TRUE(counters.had_context);
  manager.Stop();
  EXPECT_EQ(counters.stopped, 1);
  EXPECT_TRUE(manager.Running().empty());
}

TEST(ControllerManagerTest, OnlyTheLeaderRunsControllersAndLeadershipHandsOver) {
  client::testing::TestApiServer server;
  Counters a_counters, b_counters;
  ManagerOptions options = OnlyProbe();
  options.leader_election.lease_duration = absl::Seconds(2);
  options.leader_election.renew_deadline = absl::Seconds(1);
  options.leader_election.retry_period = absl::Milliseconds(20);
  options.leader_election.identity = "a";
  auto a = std::make_unique<ControllerManager>(server.client(), options);
  a->AddController(ProbeController(&a_counters));
  options.leader_election.identity = "b";
  ControllerManager b(server.client(), options);
  b.AddController(ProbeController(&b_counters));
  a->Start();
  ASSERT_TRUE(WaitFor([&] { return a_counters.started == 1; }));
  b.Start();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(b_counters.built, 0);
  EXPECT_FALSE(b.IsLeader());
  a->Stop();  // releases the lease
  EXPECT_EQ(a_counters.stopped, 1);
  ASSERT_TRUE(WaitFor([&] { return b_counters.started == 1; }));
  EXPECT_TRUE(b.IsLeader());
  b.Stop();
}

}  // namespace
}  // namespace skiff::controllers
