#include "controllers/manager/manager.h"

#include <atomic>

#include "absl/time/clock.h"
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

using base::testing::WaitFor;

struct Counters {
  std::atomic<int> built{0}, started{0}, stopped{0};
  std::atomic<bool> had_context{false};
  std::atomic<int> grace_seconds{0};
};

class Probe : public client::Runnable {
 public:
  Probe(Counters* c, const client::ControllerContext& context) : c_(c), context_(context) {
    c_->had_context = context.client && context.informers && context.recorder;
    c_->grace_seconds = static_cast<int>(absl::ToInt64Seconds(context.options.node_monitor_grace_period));
  }
  void Start() override {
    // Controllers register informers in Start; the manager starts them afterwards.
    context_.informers->For(client::Resource("", "v1", "configmaps"));
    ++c_->started;
  }
  void Stop() override { ++c_->stopped; }

 private:
  Counters* c_;
  client::ControllerContext context_;
};

ManagerOptions OnlyProbe() {
  ManagerOptions options;
  for (const auto& c : RegisteredControllers()) options.disabled.insert(c.name);
  return options;
}

NamedController ProbeController(Counters* counters) {
  return {"probe", [counters](const client::ControllerContext& context) {
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
  options.controllers.node_monitor_grace_period = absl::Seconds(7);
  ControllerManager manager(server.client(), options);
  manager.AddController(ProbeController(&counters));
  manager.Start();
  EXPECT_TRUE(manager.IsLeader());
  EXPECT_EQ(manager.Running(), std::vector<std::string>{"probe"});
  EXPECT_EQ(counters.started, 1);
  EXPECT_TRUE(counters.had_context);
  EXPECT_EQ(counters.grace_seconds, 7);  // the flags' options reach every controller
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

// The scheduler's own manager: none of the built-in controllers, its own lease, and events under
// its own component name; it leads independently of the controllers' manager.
TEST(ControllerManagerTest, AManagerOfItsOwnHoldsItsOwnLease) {
  client::testing::TestApiServer server;
  Counters counters;
  ManagerOptions options;
  options.builtin_controllers = false;
  options.component = "default-scheduler";
  options.leader_election.lease_name = "kube-scheduler";
  options.leader_election.identity = "scheduler-a";
  options.lease_client = server.client();
  ControllerManager scheduler(server.client(), options);
  scheduler.AddController(ProbeController(&counters));
  scheduler.Start();
  ASSERT_TRUE(WaitFor([&] { return counters.started == 1; }));
  EXPECT_EQ(scheduler.Running(), std::vector<std::string>{"probe"});  // no built-in controller
  const auto& leases = client::Resource("coordination.k8s.io", "v1", "leases");
  auto lease = server.client()->Get(leases, "kube-system", "kube-scheduler");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(base::GetString(**lease, {"spec", "holderIdentity"}), "scheduler-a");
  EXPECT_FALSE(server.client()->Get(leases, "kube-system", "kube-controller-manager").ok());
  scheduler.Stop();
}

// Kubernetes' controller manager exits when it loses its lease; skiff's stops its controllers,
// stays a candidate and starts a fresh set once the lease is free again.
TEST(ControllerManagerTest, StolenLeaseStopsControllersUntilTheLeaseIsFreeAgain) {
  client::testing::TestApiServer server;
  Counters counters;
  ManagerOptions options = OnlyProbe();
  options.leader_election.lease_duration = absl::Seconds(1);
  options.leader_election.renew_deadline = absl::Milliseconds(300);
  options.leader_election.retry_period = absl::Milliseconds(50);
  options.leader_election.identity = "skiff";
  ControllerManager manager(server.client(), options);
  manager.AddController(ProbeController(&counters));
  manager.Start();
  ASSERT_TRUE(WaitFor([&] { return counters.started == 1; }));
  const auto& leases = client::Resource("coordination.k8s.io", "v1", "leases");
  auto steal = [&] {
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto lease = server.client()->Get(leases, "kube-system", "kube-controller-manager");
      if (!lease.ok()) continue;
      boost::json::value next = **lease;
      auto& spec = base::EnsureObject(next, {"spec"});
      spec["holderIdentity"] = "thief";
      spec["leaseDurationSeconds"] = 1;
      spec["renewTime"] = base::FormatRfc3339Micro(absl::Now());
      if (server.client()->Update(leases, "kube-system", std::move(next)).ok()) return true;
    }
    return false;
  };
  // The thief renews every 100 ms: the manager must step down within its renew deadline.
  absl::Time until = absl::Now() + absl::Milliseconds(1500);
  while (absl::Now() < until) {
    ASSERT_TRUE(steal());
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(counters.stopped, 1);
  EXPECT_FALSE(manager.IsLeader());
  EXPECT_TRUE(manager.Running().empty());
  EXPECT_EQ(counters.built, 1);
  // The thief goes quiet: after its lease duration the manager leads again, with new controllers.
  ASSERT_TRUE(WaitFor([&] { return counters.started == 2; }));
  EXPECT_EQ(counters.built, 2);
  EXPECT_TRUE(manager.IsLeader());
  auto lease = server.client()->Get(leases, "kube-system", "kube-controller-manager");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(base::GetString(**lease, {"spec", "holderIdentity"}), "skiff");
  // thief -> skiff (the thief did not count its own takeover)
  EXPECT_EQ(base::GetInt(**lease, {"spec", "leaseTransitions"}), 1);
  manager.Stop();
}

}  // namespace
}  // namespace skiff::controllers
