#include "controllers/deployment/deployment_util.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

boost::json::value Json(const char* text) { return *base::ParseJson(text); }

TEST(PodTemplateHashTest, StableAndSensitiveOnlyToTheTemplate) {
  auto a = Json(
      R"({"metadata":{"labels":{"app":"web","x":"1"}},"spec":{"containers":[{"name":"c","image":"a"}]}})");
  auto reordered = Json(
      R"({"spec":{"containers":[{"image":"a","name":"c"}]},"metadata":{"labels":{"x":"1","app":"web"}}})");
  auto with_hash =
      Json(R"({"metadata":{"creationTimestamp":null,"labels":{"app":"web","x":"1","pod-template-hash":"zz"}},
                            "spec":{"containers":[{"name":"c","image":"a"}]}})");
  auto other_image = Json(
      R"({"metadata":{"labels":{"app":"web","x":"1"}},"spec":{"containers":[{"name":"c","image":"b"}]}})");
  std::string h = PodTemplateHash(a, 0);
  EXPECT_FALSE(h.empty());
  EXPECT_EQ(h.find_first_not_of("bcdfghjklmnpqrstvwxz2456789"), std::string::npos);
  EXPECT_EQ(PodTemplateHash(reordered, 0), h);
  EXPECT_EQ(PodTemplateHash(with_hash, 0), h);
  EXPECT_NE(PodTemplateHash(other_image, 0), h);
  EXPECT_NE(PodTemplateHash(a, 1), h);
  EXPECT_TRUE(TemplatesEqualIgnoringHash(a, with_hash));
  EXPECT_FALSE(TemplatesEqualIgnoringHash(a, other_image));
}

TEST(FencepostsTest, PercentsRoundLikeKubernetes) {
  auto d = Json(R"({"spec":{"replicas":10,"strategy":{"type":"RollingUpdate",
                   "rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}}})");
  int64_t surge, unavailable;
  ResolveFenceposts(d, &surge, &unavailable);
  EXPECT_EQ(surge, 3);        // 2.5 rounded up
  EXPECT_EQ(unavailable, 2);  // 2.5 rounded down
  auto zero =
      Json(R"({"spec":{"replicas":3,"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":"10%"}}}})");
  ResolveFenceposts(zero, &surge, &unavailable);
  EXPECT_EQ(surge, 0);
  EXPECT_EQ(unavailable, 1);  // both zero: one may be unavailable so the rollout can move
  auto numbers =
      Json(R"({"spec":{"replicas":5,"strategy":{"rollingUpdate":{"maxSurge":2,"maxUnavailable":9}}}})");
  EXPECT_EQ(MaxSurge(numbers), 2);
  EXPECT_EQ(MaxUnavailable(numbers), 5);  // never more than replicas
  auto recreate = Json(R"({"spec":{"replicas":5,"strategy":{"type":"Recreate"}}})");
  EXPECT_EQ(MaxSurge(recreate), 0);
  EXPECT_EQ(MaxUnavailable(recreate), 0);
  auto defaults = Json(R"({"spec":{"replicas":4}})");
  EXPECT_EQ(MaxSurge(defaults), 1);
  EXPECT_EQ(MaxUnavailable(defaults), 1);
}

TEST(AnnotationsTest, RevisionHistoryRecordsReusedRevisions) {
  auto d = Json(
      R"({"metadata":{"annotations":{"team":"a","kubectl.kubernetes.io/last-applied-configuration":"{}"}},
                    "spec":{"replicas":2}})");
  auto rs = Json(R"({"metadata":{"annotations":{"deployment.kubernetes.io/revision":"1"}}})");
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, rs, "3", true));
  EXPECT_EQ(Revision(rs), 3);
  EXPECT_EQ(base::GetString(rs, {"metadata", "annotations", kRevisionHistoryAnnotation}), "1");
  EXPECT_EQ(base::GetString(rs, {"metadata", "annotations", "team"}), "a");
  EXPECT_EQ(
      base::FindPath(rs, {"metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"}),
      nullptr);
  EXPECT_FALSE(SetNewReplicaSetAnnotations(d, rs, "3", true));
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, rs, "5", true));
  EXPECT_EQ(base::GetString(rs, {"metadata", "annotations", kRevisionHistoryAnnotation}), "1,3");
}

}  // namespace
}  // namespace skiff::controllers
