#include "client/event_recorder.h"

#include <mutex>

#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::client {
namespace {

namespace json = boost::json;

using base::testing::FakeClock;

class EventRecorderTest : public ::testing::Test {
 protected:
  std::vector<Object> EventsIn(const std::string& ns) {
    auto list = server_.client()->List(Resource("", "v1", "events"), ns, {});
    EXPECT_TRUE(list.ok());
    return list.ok() ? list->items : std::vector<Object>{};
  }
  json::value MakeConfigMap(const std::string& ns, const std::string& name) {
    json::value cm = json::object{{"metadata", json::object{{"name", name}}}};
    auto created = server_.client()->Create(Resource("", "v1", "configmaps"), ns, cm);
    EXPECT_TRUE(created.ok());
    return **created;
  }

  FakeClock clock_;
  testing::TestApiServer server_;
};

TEST_F(EventRecorderTest, WritesAnEventAboutTheObject) {
  EventRecorder recorder(server_.client(), {.component = "test-controller", .clock = &clock_});
  json::value cm = MakeConfigMap("default", "cm");
  recorder.Event(cm, kEventNormal, "Created", "made it");
  recorder.Flush();
  auto events = EventsIn("default");
  ASSERT_EQ(events.size(), 1u);
  const json::value& e = *events[0];
  EXPECT_EQ(base::GetString(e, {"involvedObject", "kind"}), "ConfigMap");
  EXPECT_EQ(base::GetString(e, {"involvedObject", "name"}), "cm");
  EXPECT_EQ(base::GetString(e, {"involvedObject", "uid"}), base::GetString(cm, {"metadata", "uid"}));
  EXPECT_EQ(base::GetString(e, {"reason"}), "Created");
  EXPECT_EQ(base::GetString(e, {"message"}), "made it");
  EXPECT_EQ(base::GetString(e, {"type"}), "Normal");
  EXPECT_EQ(base::GetString(e, {"source", "component"}), "test-controller");
  EXPECT_EQ(base::GetInt(e, {"count"}), 1);
  EXPECT_EQ(base::GetString(e, {"firstTimestamp"}), "2023-11-14T22:13:20Z");
}

TEST_F(EventRecorderTest, RepeatsWithinTheWindowAreCounted) {
  EventRecorder recorder(server_.client(), {.component = "c", .clock = &clock_});
  json::value cm = MakeConfigMap("default", "cm");
  recorder.Event(cm, kEventWarning, "Failed", "boom");
  clock_.Advance(absl::Minutes(1));
  recorder.Event(cm, kEventWarning, "Failed", "boom");
  recorder.Event(cm, kEventWarning, "Failed", "boom");
  recorder.Event(cm, kEventWarning, "Failed", "other message");
  recorder.Flush();
  auto events = EventsIn("default");
  ASSERT_EQ(events.size(), 2u);
  int64_t boom_count = 0;
  for (const auto& e : events) {
    if (base::GetString(*e, {"message"}) == "boom") {
      boom_count = base::GetInt(*e, {"count"});
      EXPECT_EQ(base::GetString(*e, {"firstTimestamp"}), "2023-11-14T22:13:20Z");
      EXPECT_EQ(base::GetString(*e, {"lastTimestamp"}), "2023-11-14T22:14:20Z");
    }
  }
  EXPECT_EQ(boom_count, 3);
  // After the window a repeat starts a new Event.
  clock_.Advance(absl::Minutes(11));
  recorder.Event(cm, kEventWarning, "Failed", "boom");
  recorder.Flush();
  EXPECT_EQ(EventsIn("default").size(), 3u);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGoToDefault) {
  EventRecorder recorder(server_.client(), {.component = "c", .clock = &clock_});
  json::value node =
      json::object{{"kind", "Node"}, {"apiVersion", "v1"}, {"metadata", json::object{{"name", "n1"}}}};
  recorder.Event(node, kEventNormal, "Registered", "hello");
  recorder.Flush();
  auto events = EventsIn("default");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(base::GetString(*events[0], {"involvedObject", "kind"}), "Node");
  EXPECT_EQ(base::GetString(*events[0], {"involvedObject", "namespace"}), "");
}

TEST_F(EventRecorderTest, FullQueueDropsInsteadOfBlocking) {
  EventRecorder recorder(server_.client(), {.component = "c", .queue_limit = 2, .clock = &clock_});
  json::value cm = MakeConfigMap("default", "cm");
  for (int i = 0; i < 200; ++i) recorder.Event(cm, kEventNormal, "R", "m" + std::to_string(i));
  recorder.Flush();
  auto n = EventsIn("default").size();
  EXPECT_GE(n, 1u);
  EXPECT_LT(n, 200u);
}

}  // namespace
}  // namespace skiff::client
