#include "api/pod_util.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;

// A scheduled pod with one container and two init containers, and the given status.
json::value Pod(std::string_view status) {
  std::string spec =
      R"({"nodeName": "n1", "containers": [{"name": "a"}], "initContainers": [{"name": "i"}, {"name": "j"}]})";
  return json::parse(R"({"spec": )" + spec + R"(, "status": )" + std::string(status) + "}");
}

const absl::Time kReadyAt = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

TEST(PodUtilTest, PhaseNodeAndContainers) {
  json::value pod = Pod(R"({"phase": "Running"})");
  EXPECT_EQ(PodPhase(pod), "Running");
  EXPECT_FALSE(IsTerminal(pod));
  EXPECT_TRUE(IsTerminal(Pod(R"({"phase": "Succeeded"})")));
  EXPECT_TRUE(IsTerminal(Pod(R"({"phase": "Failed"})")));
  EXPECT_FALSE(IsTerminal(Pod("{}")));
  EXPECT_EQ(NodeName(pod), "n1");
  ASSERT_NE(Containers(pod), nullptr);
  EXPECT_EQ(Containers(pod)->size(), 1u);
  ASSERT_NE(InitContainers(pod), nullptr);
  EXPECT_EQ(InitContainers(pod)->size(), 2u);
  json::value bare = json::parse(R"({"spec": {"containers": {}}})");
  EXPECT_EQ(Containers(bare), nullptr);
  EXPECT_EQ(InitContainers(bare), nullptr);
}

TEST(PodUtilTest, ReadinessComesFromTheFirstReadyCondition) {
  EXPECT_TRUE(IsPodReady(Pod(R"({"conditions": [{"type": "Initialized", "status": "False"},
                                                 {"type": "Ready", "status": "True"}]})")));
  EXPECT_FALSE(IsPodReady(Pod(R"({"conditions": [{"type": "Ready", "status": "False"},
                                                  {"type": "Ready", "status": "True"}]})")));
  EXPECT_FALSE(IsPodReady(Pod(R"({"conditions": [{"type": "Ready", "status": "Unknown"}]})")));
  EXPECT_FALSE(IsPodReady(Pod(R"({"conditions": [{"type": "ContainersReady", "status": "True"}]})")));
  EXPECT_FALSE(IsPodReady(Pod(R"({"conditions": {"type": "Ready", "status": "True"}})")));
  EXPECT_FALSE(IsPodReady(Pod(R"({"conditions": ["Ready"]})")));
  EXPECT_FALSE(IsPodReady(json::parse("{}")));
}

TEST(PodUtilTest, FindConditionWorksForNodes) {
  json::value node = json::parse(R"({"status": {"conditions": [
      {"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}]}})");
  const json::value* c = FindCondition(node, "MemoryPressure");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->at("status"), "False");
  EXPECT_EQ(FindCondition(node, "DiskPressure"), nullptr);
  EXPECT_TRUE(IsConditionTrue(node, "Ready"));
  EXPECT_FALSE(IsConditionTrue(node, "MemoryPressure"));
  const json::value& status = node.at("status");
  EXPECT_EQ(FindStatusCondition(status, "MemoryPressure"), c);
  EXPECT_TRUE(IsStatusConditionTrue(status, "Ready"));
  EXPECT_FALSE(IsStatusConditionTrue(status, "DiskPressure"));
  EXPECT_FALSE(IsStatusConditionTrue(json::parse(R"({"conditions": 3})"), "Ready"));
}

TEST(PodUtilTest, AvailabilityNeedsMinReadySecondsOfReadiness) {
  json::value pod = Pod(R"({"conditions": [{"type": "Ready", "status": "True",
                                             "lastTransitionTime": "2026-01-01T00:00:00Z"}]})");
  EXPECT_EQ(PodReadySince(pod), kReadyAt);
  EXPECT_TRUE(IsPodAvailable(pod, 0, kReadyAt));
  EXPECT_FALSE(IsPodAvailable(pod, 10, kReadyAt + absl::Seconds(10)));  // strictly longer
  EXPECT_TRUE(IsPodAvailable(pod, 10, kReadyAt + absl::Seconds(11)));

  json::value unknown_since = Pod(R"({"conditions": [{"type": "Ready", "status": "True"}]})");
  EXPECT_EQ(PodReadySince(unknown_since), absl::InfinitePast());
  EXPECT_TRUE(IsPodAvailable(unknown_since, 0, kReadyAt));
  EXPECT_FALSE(IsPodAvailable(unknown_since, 1, kReadyAt + absl::Hours(1)));

  json::value not_ready = Pod(R"({"conditions": [{"type": "Ready", "status": "False",
                                                   "lastTransitionTime": "2026-01-01T00:00:00Z"}]})");
  EXPECT_FALSE(IsPodAvailable(not_ready, 0, kReadyAt + absl::Hours(1)));
}

}  // namespace
}  // namespace skiff::api
