#include "api/volume_rules.h"

#include <string>
#include <vector>

#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A claim of class "local-path" requesting `size`; bound with `capacity` when that is given.
json::value Claim(const std::string& size, const std::string& capacity = "") {
  json::value pvc = {{"metadata", {{"name", "data"}, {"namespace", "ns"}}},
                     {"spec",
                      {{"accessModes", json::array{"ReadWriteOnce"}},
                       {"resources", {{"requests", {{"storage", size}}}}},
                       {"storageClassName", "local-path"},
                       {"volumeMode", "Filesystem"}}},
                     {"status", {{"phase", "Pending"}}}};
  if (!capacity.empty()) {
    pvc.at("spec").as_object()["volumeName"] = "pvc-1";
    pvc.at("status") = {{"phase", "Bound"}, {"capacity", {{"storage", capacity}}}};
  }
  return pvc;
}

json::value& Spec(json::value& pvc) { return pvc.at("spec"); }

std::vector<std::string> Errors(const json::value& pvc, const json::value& old) {
  std::vector<std::string> out;
  for (const auto& e : ValidatePersistentVolumeClaimUpdate(pvc, old)) out.push_back(FormatFieldError(e));
  return out;
}

constexpr char kImmutable[] =
    "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for "
    "bound claims";

TEST(VolumeRulesTest, BoundClaimMayGrow) {
  EXPECT_THAT(Errors(Claim("2Gi", "1Gi"), Claim("1Gi", "1Gi")), IsEmpty());
}

TEST(VolumeRulesTest, EqualAmountsInOtherUnitsAreNoChange) {
  EXPECT_THAT(Errors(Claim("1024Mi"), Claim("1Gi")), IsEmpty());
}

TEST(VolumeRulesTest, UnboundClaimMayNotResize) {
  EXPECT_THAT(Errors(Claim("2Gi"), Claim("1Gi")), ElementsAre(kImmutable));
}

TEST(VolumeRulesTest, ShrinkingToStatusCapacityIsRefused) {
  EXPECT_THAT(Errors(Claim("1Gi", "2Gi"), Claim("2Gi", "2Gi")),
              ElementsAre("spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"));
  // Below the last request but above what the volume has: taking back a failed expansion.
  EXPECT_THAT(Errors(Claim("2Gi", "1Gi"), Claim("3Gi", "1Gi")), IsEmpty());
}

TEST(VolumeRulesTest, OtherSpecFieldsAreImmutable) {
  json::value pvc = Claim("1Gi", "1Gi");
  Spec(pvc).as_object()["accessModes"] = json::array{"ReadWriteMany"};
  EXPECT_THAT(Errors(pvc, Claim("1Gi", "1Gi")), ElementsAre(kImmutable));
  pvc = Claim("1Gi", "1Gi");
  Spec(pvc).at("resources").as_object()["limits"] = {{"storage", "5Gi"}};
  EXPECT_THAT(Errors(pvc, Claim("1Gi", "1Gi")), ElementsAre(kImmutable));
  pvc = Claim("1Gi", "1Gi");
  Spec(pvc).as_object()["volumeMode"] = "Block";
  EXPECT_THAT(Errors(pvc, Claim("1Gi", "1Gi")),
              ElementsAre(kImmutable, "volumeMode: Invalid value: \"Block\": field is immutable"));
}

TEST(VolumeRulesTest, VolumeNameIsSetOnceAndClassMayBeSetWhenUnset) {
  json::value old = Claim("1Gi");
  json::value bound = old;
  Spec(bound).as_object()["volumeName"] = "pv-a";
  EXPECT_THAT(Errors(bound, old), IsEmpty());
  json::value moved = bound;
  Spec(moved).as_object()["volumeName"] = "pv-b";
  EXPECT_THAT(Errors(moved, bound), ElementsAre(kImmutable));

  json::value unset = Claim("1Gi");
  Spec(unset).as_object().erase("storageClassName");
  EXPECT_THAT(Errors(Claim("1Gi"), unset), IsEmpty());
  json::value other = Claim("1Gi");
  Spec(other).as_object()["storageClassName"] = "fast";
  EXPECT_THAT(Errors(other, Claim("1Gi")), ElementsAre(kImmutable));
}

TEST(VolumeRulesTest, BetaClassAnnotationUpgradesToTheFieldAndNeverChanges) {
  json::value old = Claim("1Gi");
  Spec(old).as_object().erase("storageClassName");
  old.at("metadata").as_object()["annotations"] = {{"volume.beta.kubernetes.io/storage-class", "fast"}};
  json::value upgraded = old;
  Spec(upgraded).as_object()["storageClassName"] = "fast";
  EXPECT_THAT(Errors(upgraded, old), IsEmpty());
  json::value elsewhere = old;
  Spec(elsewhere).as_object()["storageClassName"] = "slow";
  EXPECT_THAT(Errors(elsewhere, old), ElementsAre(kImmutable));
  json::value relabelled = old;
  relabelled.at("metadata").at("annotations").as_object()["volume.beta.kubernetes.io/storage-class"] = "slow";
  EXPECT_THAT(Errors(relabelled, old),
              ElementsAre("metadata.annotations.volume.beta.kubernetes.io/storage-class: Invalid value: \"slow\": "
                          "field is immutable"));
}

}  // namespace
}  // namespace skiff::api
