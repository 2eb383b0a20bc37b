#include "apiserver/default_tolerations.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

boost::json::value Pod(const char* spec_json) {
  return boost::json::object{{"kind", "Pod"}, {"spec", *base::ParseJson(spec_json)}};
}

TEST(DefaultTolerationsTest, AddsBothTolerationsInKubernetesOrder) {
  auto pod = Pod(R"({"containers":[{"name":"c","image":"x"}]})");
  AddDefaultTolerations(pod);
  EXPECT_EQ(
      base::ToJson(*base::FindPath(pod, {"spec", "tolerations"})),
      R"([{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},)"
      R"({"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}])");
}

TEST(DefaultTolerationsTest, KeepsExistingTolerationsAndAppends) {
  auto pod = Pod(R"({"tolerations":[{"key":"gpu","operator":"Exists","effect":"NoSchedule"}]})");
  AddDefaultTolerations(pod);
  const auto& list = base::FindPath(pod, {"spec", "tolerations"})->get_array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(base::GetString(list[0], {"key"}), "gpu");
}

TEST(DefaultTolerationsTest, RespectsUserTolerationForOneTaint) {
  auto pod = Pod(
      R"({"tolerations":[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute",)"
      R"("tolerationSeconds":6}]})");
  AddDefaultTolerations(pod);
  const auto& list = base::FindPath(pod, {"spec", "tolerations"})->get_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(base::GetInt(list[0], {"tolerationSeconds"}), 6);
  EXPECT_EQ(base::GetString(list[1], {"key"}), "node.kubernetes.io/not-ready");
}

TEST(DefaultTolerationsTest, WildcardTolerationCoversBoth) {
  auto pod = Pod(R"({"tolerations":[{"operator":"Exists"}]})");
  AddDefaultTolerations(pod);
  EXPECT_EQ(base::FindPath(pod, {"spec", "tolerations"})->get_array().size(), 1u);
}

TEST(DefaultTolerationsTest, NoScheduleTolerationDoesNotCover) {
  auto pod = Pod(R"({"tolerations":[{"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}]})");
  AddDefaultTolerations(pod);
  EXPECT_EQ(base::FindPath(pod, {"spec", "tolerations"})->get_array().size(), 3u);
}

TEST(DefaultTolerationsTest, LeavesMalformedPodsAlone) {
  boost::json::value no_spec = boost::json::object{{"kind", "Pod"}};
  AddDefaultTolerations(no_spec);
  EXPECT_EQ(base::ToJson(no_spec), R"({"kind":"Pod"})");
  auto bad = Pod(R"({"tolerations":"nope"})");
  AddDefaultTolerations(bad);
  EXPECT_EQ(base::GetString(bad, {"spec", "tolerations"}), "nope");
}

}  // namespace
}  // namespace skiff::apiserver
