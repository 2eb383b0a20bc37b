#include "controllers/volume/volume_util.h"

#include "controllers/testing/controller_test.h"
#include "gtest/gtest.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;
using testing::Json;

client::Object Pv(const std::string& name, const std::string& size, const std::string& extra_spec = "",
                  const std::string& labels = "{}", const std::string& phase = "Available") {
  return std::make_shared<const json::value>(
      Json(R"({"metadata":{"name":")" + name + R"(","labels":)" + labels + R"(},"spec":{"capacity":{"storage":")" +
           size + R"("},"accessModes":["ReadWriteOnce"],"storageClassName":"fast")" + extra_spec +
           R"(},"status":{"phase":")" + phase + R"("}})"));
}

json::value Claim(const std::string& size, const std::string& extra_spec = "") {
  return Json(R"({"metadata":{"name":"c","namespace":"ns","uid":"u1"},"spec":{"accessModes":["ReadWriteOnce"],
      "storageClassName":"fast","resources":{"requests":{"storage":")" +
              size + R"("}})" + extra_spec + "}}");
}

std::string NameOf(const client::Object& o) { return o ? base::GetString(*o, {"metadata", "name"}) : ""; }

TEST(VolumeUtilTest, SatisfiesChecksClassModeAccessAndSize) {
  json::value claim = Claim("1Gi");
  EXPECT_EQ(VolumeSatisfiesClaim(*Pv("a", "1Gi"), claim), "");
  EXPECT_EQ(VolumeSatisfiesClaim(*Pv("a", "1024Mi"), claim), "");
  EXPECT_EQ(VolumeSatisfiesClaim(*Pv("a", "1000Mi"), claim), "requested PV is too small");
  EXPECT_EQ(VolumeSatisfiesClaim(*Pv("a", "1Gi", R"(,"volumeMode":"Block")"), claim), "incompatible volumeMode");
  json::value rwx = Claim("1Gi");
  rwx.at("spec").as_object()["accessModes"] = json::array{"ReadWriteOnce", "ReadWriteMany"};
  EXPECT_EQ(VolumeSatisfiesClaim(*Pv("a", "1Gi"), rwx), "incompatible accessMode");
  json::value other = Claim("1Gi");
  other.at("spec").as_object()["storageClassName"] = "slow";
  EXPECT_EQ(VolumeSatisfiesClaim(*Pv("a", "1Gi"), other), "storageClassName does not match");
}

TEST(VolumeUtilTest, BestMatchIsTheSmallestFittingAvailableVolume) {
  std::vector<client::Object> pvs = {Pv("big", "10Gi"), Pv("small", "500Mi"), Pv("fit", "2Gi"),
                                     Pv("taken", "1Gi", R"(,"claimRef":{"namespace":"ns","name":"other"})"),
                                     Pv("released", "1Gi", "", "{}", "Released")};
  EXPECT_EQ(NameOf(FindBestMatch(Claim("1Gi"), pvs, nullptr)), "fit");
  EXPECT_EQ(NameOf(FindBestMatch(Claim("20Gi"), pvs, nullptr)), "");
}

TEST(VolumeUtilTest, PreBoundVolumeWinsAndSelectorFilters) {
  std::vector<client::Object> pvs = {Pv("small", "1Gi", "", R"({"tier":"a"})"),
                                     Pv("mine", "5Gi", R"(,"claimRef":{"namespace":"ns","name":"c"})"),
                                     Pv("gold", "3Gi", "", R"({"tier":"gold"})")};
  EXPECT_EQ(NameOf(FindBestMatch(Claim("1Gi"), pvs, nullptr)), "mine");
  pvs.erase(pvs.begin() + 1);
  EXPECT_EQ(NameOf(FindBestMatch(Claim("1Gi", R"(,"selector":{"matchLabels":{"tier":"gold"}})"), pvs, nullptr)),
            "gold");
  // A claimRef with another uid is another claim of the same name.
  client::Object stale = Pv("stale", "1Gi", R"(,"claimRef":{"namespace":"ns","name":"c","uid":"old"})");
  EXPECT_FALSE(VolumeBoundToClaim(*stale, Claim("1Gi")));
  EXPECT_EQ(NameOf(FindBestMatch(Claim("1Gi"), {stale}, nullptr)), "");
}

TEST(VolumeUtilTest, NodeAffinityLimitsVolumesToTheSelectedNode) {
  std::string affinity = R"(,"nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[
      {"key":"kubernetes.io/hostname","operator":"In","values":["n1"]}]}]}})";
  std::vector<client::Object> pvs = {Pv("on-n1", "1Gi", affinity)};
  json::value n1 = Json(R"({"metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"n1"}}})");
  json::value n2 = Json(R"({"metadata":{"name":"n2","labels":{"kubernetes.io/hostname":"n2"}}})");
  EXPECT_EQ(NameOf(FindBestMatch(Claim("1Gi"), pvs, &n1)), "on-n1");
  EXPECT_EQ(NameOf(FindBestMatch(Claim("1Gi"), pvs, &n2)), "");
  EXPECT_TRUE(VolumeAdmitsNode(*Pv("anywhere", "1Gi"), n2));
}

TEST(VolumeUtilTest, DefaultClassIsTheNewestMarkedOne) {
  auto sc = [](const std::string& name, const std::string& created, bool is_default) {
    return std::make_shared<const json::value>(Json(
        R"({"metadata":{"name":")" + name + R"(","creationTimestamp":")" + created + R"(","annotations":{
        "storageclass.kubernetes.io/is-default-class":")" + (is_default ? "true" : "false") + R"("}}})"));
  };
  EXPECT_EQ(NameOf(DefaultClass({sc("a", "2024-01-01T00:00:00Z", true), sc("b", "2025-01-01T00:00:00Z", true),
                                 sc("c", "2026-01-01T00:00:00Z", false)})),
            "b");
  EXPECT_EQ(DefaultClass({sc("c", "2026-01-01T00:00:00Z", false)}), nullptr);
}

TEST(VolumeUtilTest, PodClaimNamesIncludeEphemeralVolumes) {
  json::value pod = Json(R"({"metadata":{"name":"p"},"spec":{"volumes":[
      {"name":"a","persistentVolumeClaim":{"claimName":"data"}},{"name":"tmp","emptyDir":{}},
      {"name":"scratch","ephemeral":{"volumeClaimTemplate":{"spec":{}}}}]}})");
  EXPECT_EQ(PodClaimNames(pod), (std::vector<std::string>{"data", "p-scratch"}));
  EXPECT_TRUE(PodUsesClaim(pod, "data"));
  EXPECT_FALSE(PodUsesClaim(pod, "tmp"));
}

}  // namespace
}  // namespace skiff::controllers::volume
