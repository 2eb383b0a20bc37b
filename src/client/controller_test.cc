#include "client/controller.h"

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "absl/time/clock.h"
#include "base/testing/wait_for.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

using base::testing::WaitFor;

class ScriptedReconciler : public Reconciler {
 public:
  ReconcileResult Reconcile(const std::string& key) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!active_.insert(key).second) overlap_ = true;
      calls_[key].push_back(absl::Now());
    }
    absl::SleepFor(absl::Milliseconds(1));
    ReconcileResult result;
    {
      std::lock_guard<std::mutex> lock(mu_);
      active_.erase(key);
      int n = static_cast<int>(calls_[key].size());
      if (n <= failures_) result.status = absl::UnavailableError("not yet");
      if (result.status.ok() && n <= requeues_) result.requeue = requeue_delay_;
    }
    return result;
  }

  int Calls(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(calls_[key].size());
  }
  std::vector<absl::Time> Times(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[key];
  }
  bool overlap() {
    std::lock_guard<std::mutex> lock(mu_);
    return overlap_;
  }

  int failures_ = 0;
  int requeues_ = 0;
  absl::Duration requeue_delay_ = absl::ZeroDuration();

 private:
  std::mutex mu_;
  std::set<std::string> active_;
  std::map<std::string, std::vector<absl::Time>> calls_;
  bool overlap_ = false;
};

TEST(ControllerTest, FailedReconcileIsRetriedWithBackoffThenForgotten) {
  ScriptedReconciler r;
  r.failures_ = 3;
  WorkQueue::Options options;
  options.base_delay = absl::Milliseconds(20);
  Controller c("test", &r, 2, options);
  c.Start();
  c.queue().Add("ns/a");
  ASSERT_TRUE(WaitFor([&] { return r.Calls("ns/a") == 4; }));
  auto times = r.Times("ns/a");
  // Backoff doubles: 20 ms, 40 ms, 80 ms between attempts.
  EXPECT_GE(times[1] - times[0], absl::Milliseconds(19));
  EXPECT_GE(times[2] - times[1], absl::Milliseconds(39));
  EXPECT_GE(times[3] - times[2], absl::Milliseconds(79));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(r.Calls("ns/a"), 4);  // success ends the retries
  EXPECT_EQ(c.queue().NumRequeues("ns/a"), 0);
  c.Stop();
}

TEST(ControllerTest, RequestedRequeueRunsAgainAfterTheDelay) {
  ScriptedReconciler r;
  r.requeues_ = 1;
  r.requeue_delay_ = absl::Milliseconds(100);
  Controller c("test", &r, 1);
  c.Start();
  c.queue().Add("k");
  ASSERT_TRUE(WaitFor([&] { return r.Calls("k") == 2; }));
  auto times = r.Times("k");
  EXPECT_GE(times[1] - times[0], absl::Milliseconds(99));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(r.Calls("k"), 2);
  c.Stop();
}

TEST(ControllerTest, SameKeyNeverReconciledConcurrently) {
  ScriptedReconciler r;
  Controller c("test", &r, 4);
  c.Start();
  for (int i = 0; i < 500; ++i) {
    c.queue().Add(i % 2 ? "a" : "b");
    if (i % 50 == 0) absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_TRUE(WaitFor([&] { return c.queue().Len() == 0; }));
  absl::SleepFor(absl::Milliseconds(20));
  c.Stop();
  EXPECT_FALSE(r.overlap());
  EXPECT_GE(r.Calls("a"), 1);
  EXPECT_LT(r.Calls("a"), 250);  // adds that arrived while waiting were merged
}

TEST(ControllerTest, StopEndsWorkers) {
  ScriptedReconciler r;
  Controller c("test", &r, 3);
  c.Start();
  c.Stop();
  c.queue().Add("late");
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(r.Calls("late"), 0);
}

}  // namespace
}  // namespace skiff::client
