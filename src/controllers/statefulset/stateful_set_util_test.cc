#include "controllers/statefulset/stateful_set_util.h"

#include "api/object_meta.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::controllers::statefulset {
namespace {

boost::json::value Json(const char* text) { return *base::ParseJson(text); }

boost::json::value Set(const char* retention = R"({"whenDeleted":"Retain","whenScaled":"Retain"})") {
  boost::json::value set = Json(R"({"apiVersion":"apps/v1","kind":"StatefulSet",
    "metadata":{"name":"web","namespace":"ns","uid":"set-uid","annotations":{"kubernetes.io/change-cause":"v1"}},
    "spec":{"replicas":3,"serviceName":"nginx","selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"c","image":"busybox"}],
                "volumes":[{"name":"www","emptyDir":{}},{"name":"tmp","emptyDir":{}}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"www","labels":{"tier":"data"}},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}})");
  set.as_object()["spec"].as_object()["persistentVolumeClaimRetentionPolicy"] = Json(retention);
  return set;
}

TEST(StatefulSetUtilTest, OrdinalsComeFromTheLastDashNumber) {
  EXPECT_EQ(ParentAndOrdinal("web-0"), std::make_pair(std::string("web"), int64_t{0}));
  EXPECT_EQ(ParentAndOrdinal("my-db-12"), std::make_pair(std::string("my-db"), int64_t{12}));
  EXPECT_EQ(ParentAndOrdinal("web").second, -1);
  EXPECT_EQ(ParentAndOrdinal("web-").second, -1);
  EXPECT_EQ(ParentAndOrdinal("web-1a").second, -1);
  EXPECT_EQ(ParentAndOrdinal("web-99999999999").second, -1);  // beyond int32
  boost::json::value set = Set();
  set.as_object()["spec"].as_object()["ordinals"] = Json(R"({"start":5})");
  EXPECT_FALSE(InOrdinalRange(4, set));
  EXPECT_TRUE(InOrdinalRange(5, set));
  EXPECT_TRUE(InOrdinalRange(7, set));
  EXPECT_FALSE(InOrdinalRange(8, set));
}

TEST(StatefulSetUtilTest, NewPodHasStableIdentityAndClaimVolumes) {
  boost::json::value pod = NewPod(Set(), 2, "web-abc");
  EXPECT_EQ(api::Name(pod), "web-2");
  EXPECT_EQ(api::Namespace(pod), "ns");
  EXPECT_EQ(base::GetString(pod, {"spec", "hostname"}), "web-2");
  EXPECT_EQ(base::GetString(pod, {"spec", "subdomain"}), "nginx");
  EXPECT_EQ(api::Label(pod, "app"), "web");
  EXPECT_EQ(api::Label(pod, kPodNameLabel), "web-2");
  EXPECT_EQ(api::Label(pod, kPodIndexLabel), "2");
  EXPECT_EQ(api::Label(pod, kRevisionLabel), "web-abc");
  const boost::json::value* ref = api::ControllerRef(pod);
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(base::GetString(*ref, {"kind"}), "StatefulSet");
  EXPECT_EQ(base::GetString(*ref, {"uid"}), "set-uid");
  // The claim template's volume replaces the template's own volume of that name.
  const boost::json::array& volumes = pod.at("spec").at("volumes").as_array();
  ASSERT_EQ(volumes.size(), 2u);
  EXPECT_EQ(base::GetString(volumes[0], {"persistentVolumeClaim", "claimName"}), "www-web-2");
  EXPECT_EQ(base::GetString(volumes[1], {"name"}), "tmp");
  EXPECT_TRUE(IdentityMatches(Set(), pod));
  EXPECT_TRUE(StorageMatches(Set(), pod));
  pod.as_object()["metadata"].as_object()["labels"].as_object().erase(kPodIndexLabel);
  EXPECT_FALSE(IdentityMatches(Set(), pod));
  auto patch = IdentityLabelPatch(Set(), pod);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(base::GetString(boost::json::value(*patch), {"metadata", "labels", kPodIndexLabel}), "2");
}

TEST(StatefulSetUtilTest, ClaimsTakeTemplateAndSelectorLabels) {
  std::vector<boost::json::value> claims = NewClaims(Set(), 1);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(api::Name(claims[0]), "www-web-1");
  EXPECT_EQ(api::Namespace(claims[0]), "ns");
  EXPECT_EQ(api::Label(claims[0], "tier"), "data");
  EXPECT_EQ(api::Label(claims[0], "app"), "web");
  EXPECT_EQ(base::GetString(claims[0], {"spec", "resources", "requests", "storage"}), "1Gi");
}

TEST(StatefulSetUtilTest, RevisionsRoundTripTheTemplate) {
  boost::json::value set = Set();
  boost::json::value data = RevisionData(set);
  EXPECT_EQ(base::GetString(data, {"spec", "template", "$patch"}), "replace");
  boost::json::value rev = NewRevision(set, data, 3, 0);
  std::string hash = RevisionHash(data, 0);
  EXPECT_FALSE(hash.empty());
  EXPECT_LE(hash.size(), 10u);  // the decimal digits of a 32-bit hash, safe-encoded
  EXPECT_EQ(hash.find_first_of("aeiou01"), std::string::npos);
  EXPECT_NE(hash, RevisionHash(data, 1));  // a collision count gives another name
  EXPECT_EQ(api::Name(rev), "web-" + hash);
  EXPECT_EQ(api::Label(rev, kRevisionLabel), hash);
  EXPECT_EQ(api::Label(rev, "app"), "web");  // kubectl finds revisions by the set's selector
  EXPECT_EQ(api::Annotation(rev, "kubernetes.io/change-cause"), "v1");
  EXPECT_EQ(base::GetInt(rev, {"revision"}), 3);
  boost::json::value changed = set;
  changed.as_object()["spec"].as_object()["template"].as_object()["metadata"].as_object()["labels"] =
      Json(R"({"app":"web","v":"2"})");
  EXPECT_NE(RevisionHash(RevisionData(changed), 0), hash);
  boost::json::value back = ApplyRevision(changed, rev);
  EXPECT_EQ(back.at("spec").at("template"), set.at("spec").at("template"));
}

TEST(StatefulSetUtilTest, RetentionPolicyDecidesClaimOwners) {
  boost::json::value pod = Json(R"({"metadata":{"name":"web-1","namespace":"ns","uid":"pod-uid"}})");
  boost::json::value gone = Json(R"({"metadata":{"name":"web-4","namespace":"ns","uid":"pod4-uid"}})");
  boost::json::value claim = Json(R"({"metadata":{"name":"www-web-1","namespace":"ns"}})");
  // Retain/Retain: no references, nothing to change.
  EXPECT_FALSE(RetentionOwnerRefs(Set(), pod, claim).has_value());
  // whenDeleted: Delete -> the set controls the claim.
  boost::json::value del = Set(R"({"whenDeleted":"Delete","whenScaled":"Retain"})");
  auto refs = RetentionOwnerRefs(del, pod, claim);
  ASSERT_TRUE(refs.has_value());
  ASSERT_EQ(refs->size(), 1u);
  EXPECT_EQ(base::GetString((*refs)[0], {"kind"}), "StatefulSet");
  claim.as_object()["metadata"].as_object()["ownerReferences"] = *refs;
  EXPECT_FALSE(RetentionOwnerRefs(del, pod, claim).has_value());
  // Back to Retain: the reference goes.
  refs = RetentionOwnerRefs(Set(), pod, claim);
  ASSERT_TRUE(refs.has_value());
  EXPECT_TRUE(refs->empty());
  // whenScaled: Delete -> a scaled-down pod controls its claim, the set no longer does.
  boost::json::value both = Set(R"({"whenDeleted":"Delete","whenScaled":"Delete"})");
  EXPECT_TRUE(WantedClaimOwners(both, pod).set);
  EXPECT_FALSE(WantedClaimOwners(both, pod).pod);
  EXPECT_FALSE(WantedClaimOwners(both, gone).set);
  EXPECT_TRUE(WantedClaimOwners(both, gone).pod);
  boost::json::value claim4 = Json(R"({"metadata":{"name":"www-web-4","namespace":"ns"}})");
  claim4.as_object()["metadata"].as_object()["ownerReferences"] = *RetentionOwnerRefs(both, pod, claim);
  refs = RetentionOwnerRefs(both, gone, claim4);
  ASSERT_TRUE(refs.has_value());
  ASSERT_EQ(refs->size(), 1u);
  EXPECT_EQ(base::GetString((*refs)[0], {"kind"}), "Pod");
  EXPECT_EQ(base::GetString((*refs)[0], {"uid"}), "pod4-uid");
  // That claim is stale for a new pod web-4 (no uid yet) until the collector deletes it.
  claim4.as_object()["metadata"].as_object()["ownerReferences"] = *refs;
  EXPECT_TRUE(ClaimIsStale(claim4, Json(R"({"metadata":{"name":"web-4"}})")));
  EXPECT_FALSE(ClaimIsStale(claim4, gone));
  // Another controller owns the claim: left alone.
  boost::json::value foreign = Json(R"({"metadata":{"name":"www-web-1","ownerReferences":[
    {"apiVersion":"v1","kind":"Other","name":"x","uid":"x","controller":true}]}})");
  EXPECT_FALSE(RetentionOwnerRefs(del, pod, foreign).has_value());
}

}  // namespace
}  // namespace skiff::controllers::statefulset
