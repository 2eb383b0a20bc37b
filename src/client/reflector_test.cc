#include "client/reflector.h"

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/testing/fake_watch_client.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

using testing::FakeWatchClient;
using testing::TestPod;
using testing::WaitFor;

const api::ResourceInfo& Pods() { return Resource("", "v1", "pods"); }

// Records what the reflector delivers.
class Recorder {
 public:
  Reflector::Callbacks Callbacks() {
    return {
        .on_list =
            [this](const std::vector<Object>& items, const std::string& rv) {
              std::lock_guard lock(mu_);
              std::string line = "list@" + rv;
              for (const auto& item : items) line += " " + KeyOf(*item);
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

TEST(ReflectorTest, ListsEveryPageThenWatchesFromTheListVersion) {
  FakeWatchClient client;
  for (int i = 0; i < 5; ++i) client.Set(TestPod("ns", "p" + std::to_string(i), 10 + i));
  Recorder rec;
  Reflector reflector(&client, Pods(), {.page_size = 2}, rec.Callbacks());
  reflector.Start();
  ASSERT_TRUE(reflector.WaitForList(absl::Seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  EXPECT_EQ(client.list_requests(), 3);  // 2 + 2 + 1
  EXPECT_EQ(rec.Lines(), std::vector<std::string>{"list@14 ns/p0 ns/p1 ns/p2 ns/p3 ns/p4"});
  EXPECT_EQ(client.watch_versions().front(), "14");

  client.Send(WatchEventType::kAdded, TestPod("ns", "q", 15));
  client.Send(WatchEventType::kBookmark, std::make_shared<const boost::json::value>(boost::json::object{
                                             {"metadata", boost::json::object{{"resourceVersion", "40"}}}}));
  EXPECT_EQ(rec.Lines().back(), "0 ns/q");  // the bookmark is not delivered
  EXPECT_EQ(rec.Lines().size(), 2u);
  EXPECT_EQ(reflector.LastResourceVersion(), "40");
  reflector.Stop();
}

TEST(ReflectorTest, RewatchesFromTheLastVersionWhenAWatchEnds) {
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 3));
  Recorder rec;
  Reflector reflector(&client, Pods(), {}, rec.Callbacks());
  reflector.Start();
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  client.Send(WatchEventType::kModified, TestPod("ns", "a", 11));
  client.EndWatches(absl::OkStatus());
  ASSERT_TRUE(WaitFor([&] { return client.watch_versions().size() == 2 && client.ActiveWatches() == 1; }));
  EXPECT_EQ(client.watch_versions()[1], "11");
  EXPECT_EQ(client.lists(), 1);  // no relist for an ordinary end
  reflector.Stop();
}

TEST(ReflectorTest, RelistsOnGone) {
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 3));
  Recorder rec;
  Reflector reflector(&client, Pods(), {}, rec.Callbacks());
  reflector.Start();
  ASSERT_TRUE(WaitFor([&] { return client.ActiveWatches() == 1; }));
  client.Set(TestPod("ns", "b", 20));
  client.EndWatches(absl::OutOfRangeError("too old resource version"));
  ASSERT_TRUE(WaitFor([&] { return client.lists() == 2 && client.ActiveWatches() == 1; }));
  EXPECT_EQ(rec.Lines(), (std::vector<std::string>{"list@3 ns/a", "list@20 ns/a ns/b"}));
  EXPECT_EQ(client.watch_versions().back(), "20");
  reflector.Stop();
}

TEST(ReflectorTest, RelistsWhenTheWatchIsRefusedAsExpired) {
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 3));
  client.ExpireNextWatch();
  Recorder rec;
  Reflector reflector(&client, Pods(), {}, rec.Callbacks());
  reflector.Start();
  ASSERT_TRUE(WaitFor([&] { return client.lists() == 2 && client.ActiveWatches() == 1; }));
  reflector.Stop();
}

TEST(ReflectorTest, RetriesAFailedListWithBackoff) {
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 3));
  client.FailLists(3);
  Recorder rec;
  Reflector reflector(&client, Pods(), {.initial_backoff = absl::Milliseconds(10)}, rec.Callbacks());
  absl::Time start = absl::Now();
  reflector.Start();
  ASSERT_TRUE(reflector.WaitForList(absl::Seconds(5)));
  // 10 + 20 + 40 ms of backoff before the fourth attempt.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(70));
  EXPECT_EQ(client.list_requests(), 4);
  EXPECT_EQ(rec.Lines(), std::vector<std::string>{"list@3 ns/a"});
  reflector.Stop();
}

TEST(ReflectorTest, ResyncsWhileWatchingAndRestartsWithAList) {
  FakeWatchClient client;
  client.Set(TestPod("ns", "a", 3));
  Recorder rec;
  Reflector reflector(&client, Pods(), {.resync = absl::Milliseconds(20)}, rec.Callbacks());
  reflector.Start();
  ASSERT_TRUE(WaitFor([&] { return rec.resyncs() >= 2; }));
  reflector.Stop();
  EXPECT_EQ(client.ActiveWatches(), 0);
  EXPECT_TRUE(reflector.HasListed());
  reflector.Start();
  ASSERT_TRUE(WaitFor([&] { return client.lists() == 2 && client.ActiveWatches() == 1; }));
  reflector.Stop();
}

TEST(ReflectorTest, WaitForListEndsOnStop) {
  FakeWatchClient client;
  client.FailLists(1000);
  Recorder rec;
  Reflector reflector(&client, Pods(), {}, rec.Callbacks());
  reflector.Start();
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(20));
    reflector.Stop();
  });
  EXPECT_FALSE(reflector.WaitForList());
  stopper.join();
}

}  // namespace
}  // namespace skiff::client
