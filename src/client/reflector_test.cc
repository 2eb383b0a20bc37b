#include "client/reflector.h"

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/testing/wait_for.h"
#include "client/testing/fake_watch_client.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

using base::testing::WaitFor;
using testing::FakeWatchClient;
using testing::TestPod;

const api::ResourceInfo& Pods() { return Resource("", "v1", "pods"); }

// Records what the reflector delivers.
class Recorder {
 public:
  Reflector::Callbacks Callbacks() {
    return {
        .on_list =
            [this](const ObjectList& list) {
              std::lock_guard lock(mu_);
              std::string line = "list@" + list.resource_version;
              for (const auto& item : list.items) line += " " + KeyOf(*item);
              lines_.push_back(line);
            },
        .on_event =
            [this](const WatchEvent& event) {
              std::lock_guard lock(mu_);
              lines_.push_back(std::to_string(static_cast<int>(event.type)) + " " + KeyOf(*event.object));
            },
        .on_resync =
            [this] {
              std::lock_guard lock(mu_);
              ++resyncs_;
            },
    };
  }
  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }
  int resyncs() {
    std::lock_guard lock(mu_);
    return resyncs_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
  int resyncs_ = 0;
};

class ReflectorTest : public ::testing::Test {
 protected:
  ~ReflectorTest() override {
    if (reflector_) reflector_->Stop();
  }
  void Start(Reflector::Options options = {}) {
    reflector_ = std::make_unique<Reflector>(&client_, Pods(), options, rec_.Callbacks());
    reflector_->Start();
  }
  // Starts and waits until the reflector has listed and opened its watch.
  void StartWatching(Reflector::Options options = {}) {
    Start(options);
    ASSERT_TRUE(WaitFor([&] { return client_.ActiveWatches() == 1; }));
  }

  FakeWatchClient client_;
  Recorder rec_;
  std::unique_ptr<Reflector> reflector_;
};

TEST_F(ReflectorTest, ListsEveryPageThenWatchesFromTheListVersion) {
  for (int i = 0; i < 5; ++i) client_.Set(TestPod("ns", "p" + std::to_string(i), 10 + i));
  StartWatching({.page_size = 2});
  EXPECT_TRUE(reflector_->HasListed());
  EXPECT_EQ(client_.list_requests(), 3);  // 2 + 2 + 1
  EXPECT_EQ(rec_.Lines(), std::vector<std::string>{"list@14 ns/p0 ns/p1 ns/p2 ns/p3 ns/p4"});
  EXPECT_EQ(client_.watch_versions().front(), "14");

  client_.Send(WatchEventType::kAdded, TestPod("ns", "q", 15));
  client_.Send(WatchEventType::kBookmark, std::make_shared<const boost::json::value>(boost::json::object{
                                              {"metadata", boost::json::object{{"resourceVersion", "40"}}}}));
  EXPECT_EQ(rec_.Lines().back(), "0 ns/q");  // the bookmark is not delivered
  EXPECT_EQ(rec_.Lines().size(), 2u);
  EXPECT_EQ(reflector_->LastResourceVersion(), "40");
}

TEST_F(ReflectorTest, RewatchesFromTheLastVersionWhenAWatchEnds) {
  client_.Set(TestPod("ns", "a", 3));
  StartWatching();
  client_.Send(WatchEventType::kModified, TestPod("ns", "a", 11));
  client_.EndWatches(absl::OkStatus());
  ASSERT_TRUE(WaitFor([&] { return client_.watch_versions().size() == 2 && client_.ActiveWatches() == 1; }));
  EXPECT_EQ(client_.watch_versions()[1], "11");
  EXPECT_EQ(client_.lists(), 1);  // no relist for an ordinary end
}

TEST_F(ReflectorTest, RelistsOnGone) {
  client_.Set(TestPod("ns", "a", 3));
  StartWatching();
  client_.Set(TestPod("ns", "b", 20));
  client_.EndWatches(absl::OutOfRangeError("too old resource version"));
  ASSERT_TRUE(WaitFor([&] { return client_.lists() == 2 && client_.ActiveWatches() == 1; }));
  EXPECT_EQ(rec_.Lines(), (std::vector<std::string>{"list@3 ns/a", "list@20 ns/a ns/b"}));
  EXPECT_EQ(client_.watch_versions().back(), "20");
}

TEST_F(ReflectorTest, RelistsWhenTheWatchIsRefusedAsExpired) {
  client_.Set(TestPod("ns", "a", 3));
  client_.ExpireNextWatch();
  Start();
  ASSERT_TRUE(WaitFor([&] { return client_.lists() == 2 && client_.ActiveWatches() == 1; }));
}

TEST_F(ReflectorTest, RetriesAFailedListWithBackoff) {
  client_.Set(TestPod("ns", "a", 3));
  client_.FailLists(3);
  absl::Time start = absl::Now();
  Start({.initial_backoff = absl::Milliseconds(10)});
  ASSERT_TRUE(reflector_->WaitForList(absl::Seconds(5)));
  // 10 + 20 + 40 ms of backoff before the fourth attempt.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(70));
  EXPECT_EQ(client_.list_requests(), 4);
  EXPECT_EQ(rec_.Lines(), std::vector<std::string>{"list@3 ns/a"});
}

TEST_F(ReflectorTest, ResyncsWhileWatchingAndRestartsWithAList) {
  client_.Set(TestPod("ns", "a", 3));
  StartWatching({.resync = absl::Milliseconds(20)});
  ASSERT_TRUE(WaitFor([&] { return rec_.resyncs() >= 2; }));
  reflector_->Stop();
  EXPECT_EQ(client_.ActiveWatches(), 0);
  EXPECT_TRUE(reflector_->HasListed());
  reflector_->Start();
  ASSERT_TRUE(WaitFor([&] { return client_.lists() == 2 && client_.ActiveWatches() == 1; }));
}

TEST_F(ReflectorTest, WaitForListEndsOnStop) {
  client_.FailLists(1000);
  Start();
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(20));
    reflector_->Stop();
  });
  EXPECT_FALSE(reflector_->WaitForList());
  stopper.join();
}

}  // namespace
}  // namespace skiff::client
