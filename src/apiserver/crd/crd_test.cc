#include <string>

#include "apiserver/crd/crd_names.h"
#include "apiserver/crd/crd_resources.h"
#include "apiserver/crd/crd_status.h"
#include "apiserver/crd/crd_validation.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;

json::value Crd(const std::string& plural = "widgets", const std::string& group = "example.com") {
  return json::parse(R"({"metadata":{"name":")" + plural + "." + group + R"(","creationTimestamp":"2026-01-01T00:00:00Z"},
    "spec":{"group":")" + group + R"(","scope":"Namespaced",
      "names":{"plural":")" + plural + R"(","kind":"Widget","shortNames":["wd"]},
      "versions":[
        {"name":"v1beta1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}},
        {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}},
         "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas"}},
         "additionalPrinterColumns":[{"name":"Size","type":"string","jsonPath":".spec.size"}]}]}})");
}

std::vector<std::string> Fields(const std::vector<api::FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field + ": " + e.detail);
  return out;
}

TEST(CrdValidationTest, DefaultedValidCrdPasses) {
  json::value crd = Crd();
  DefaultCrd(crd);
  EXPECT_EQ(base::GetString(crd, {"spec", "names", "singular"}), "widget");
  EXPECT_EQ(base::GetString(crd, {"spec", "names", "listKind"}), "WidgetList");
  EXPECT_EQ(base::GetString(crd, {"spec", "conversion", "strategy"}), "None");
  EXPECT_TRUE(ValidateCrd(crd, nullptr).empty()) << testing::PrintToString(Fields(ValidateCrd(crd, nullptr)));
}

TEST(CrdValidationTest, RejectsWhatKubeRejects) {
  json::value crd = Crd();
  DefaultCrd(crd);
  crd.as_object()["metadata"].as_object()["name"] = "other.example.com";
  crd.as_object()["spec"].as_object()["versions"].as_array()[0].as_object()["storage"] = true;
  crd.as_object()["spec"].as_object()["scope"] = "Global";
  auto errors = Fields(ValidateCrd(crd, nullptr));
  {
    std::string all = testing::PrintToString(errors);
    EXPECT_NE(all.find("metadata.name: must be spec.names.plural+\\\".\\\"+spec.group"), std::string::npos) << all;
    EXPECT_NE(all.find("must have exactly one version marked as storage version"), std::string::npos) << all;
    EXPECT_NE(all.find("spec.scope: supported values"), std::string::npos) << all;
  }
  json::value no_dot = Crd("widgets", "example");
  DefaultCrd(no_dot);
  std::string all = testing::PrintToString(Fields(ValidateCrd(no_dot, nullptr)));
  EXPECT_NE(all.find("should be a domain with at least one dot"), std::string::npos) << all;
}

TEST(CrdValidationTest, ScopeIsImmutable) {
  json::value old = Crd();
  DefaultCrd(old);
  json::value next = old;
  next.as_object()["spec"].as_object()["scope"] = "Cluster";
  std::string all = testing::PrintToString(Fields(ValidateCrd(next, &old)));
  EXPECT_NE(all.find("spec.scope: field is immutable"), std::string::npos) << all;
}

TEST(CrdResourcesTest, ServedVersionsPreferredFirstWithSubresources) {
  json::value crd = Crd();
  DefaultCrd(crd);
  auto served = ServedResources(crd);
  ASSERT_EQ(served.size(), 2u);
  EXPECT_EQ(served[0].version, "v1");
  EXPECT_EQ(served[1].version, "v1beta1");
  EXPECT_TRUE(served[0].has_status);
  EXPECT_NE(served[0].FindSubresource("scale"), nullptr);
  EXPECT_EQ(served[0].custom->storage_version, "v1");
  EXPECT_EQ(served[0].custom->spec_replicas_path, ".spec.replicas");
  ASSERT_EQ(served[0].custom->printer_columns.size(), 1u);
  EXPECT_EQ(served[0].custom->printer_columns[0].name, "Size");
  // The version without columns gets kube's default Age column.
  ASSERT_EQ(served[1].custom->printer_columns.size(), 1u);
  EXPECT_EQ(served[1].custom->printer_columns[0].name, "Age");
  EXPECT_EQ(served[0].short_names, std::vector<std::string>{"wd"});
  EXPECT_TRUE(served[0].namespaced);
}

TEST(CrdResourcesTest, KubeVersionPriority) {
  EXPECT_TRUE(VersionBefore("v2", "v1"));
  EXPECT_TRUE(VersionBefore("v1", "v2beta1"));
  EXPECT_TRUE(VersionBefore("v2beta1", "v1beta2"));
  EXPECT_TRUE(VersionBefore("v1beta1", "v1alpha1"));
  EXPECT_TRUE(VersionBefore("v1alpha1", "foo"));
  EXPECT_TRUE(VersionBefore("bar", "foo"));
}

TEST(CrdStatusTest, AcceptsFreshNamesAndEstablishes) {
  json::value crd = Crd();
  DefaultCrd(crd);
  json::value status = DesiredStatus(crd, {}, "2026-01-01T00:00:01Z");
  EXPECT_EQ(base::GetString(status, {"acceptedNames", "plural"}), "widgets");
  EXPECT_EQ(base::GetString(status, {"acceptedNames", "listKind"}), "WidgetList");
  json::value with = crd;
  with.as_object()["status"] = status;
  EXPECT_TRUE(IsEstablished(with));
  EXPECT_EQ(json::serialize(status.at("storedVersions")), R"(["v1"])");
}

TEST(CrdStatusTest, ShortNameTakenByAnotherCrdOfTheGroup) {
  json::value first = Crd();
  DefaultCrd(first);
  first.as_object()["status"] = DesiredStatus(first, {}, "t");
  json::value second = Crd("gadgets");
  DefaultCrd(second);
  second.as_object()["spec"].as_object()["names"].as_object()["kind"] = "Gadget";
  second.as_object()["spec"].as_object()["names"].as_object()["listKind"] = "GadgetList";
  json::value status = DesiredStatus(second, {&first}, "t");
  const auto& conds = status.at("conditions").as_array();
  bool found = false;
  for (const auto& c : conds) {
    if (base::GetString(c, {"type"}) == "NamesAccepted") {
      found = true;
      EXPECT_EQ(base::GetString(c, {"status"}), "False");
      EXPECT_EQ(base::GetString(c, {"reason"}), "ShortNamesConflict");
      EXPECT_EQ(base::GetString(c, {"message"}), "\"wd\" is already in use");
    }
    if (base::GetString(c, {"type"}) == "Established") {
      EXPECT_EQ(base::GetString(c, {"status"}), "False");
    }
  }
  EXPECT_TRUE(found);
  // A CRD of another group does not conflict.
  json::value elsewhere = Crd("gadgets", "other.io");
  DefaultCrd(elsewhere);
  elsewhere.as_object()["spec"].as_object()["names"].as_object()["kind"] = "Gadget";
  json::value ok = elsewhere;
  ok.as_object()["status"] = DesiredStatus(elsewhere, {&first}, "t");
  EXPECT_TRUE(IsEstablished(ok));
}

TEST(CrdNamesTest, SplitFieldPath) {
  EXPECT_EQ(SplitFieldPath(".spec.replicas"), (std::vector<std::string>{"spec", "replicas"}));
  EXPECT_TRUE(SplitFieldPath("spec.replicas").empty());
  EXPECT_TRUE(SplitFieldPath(".spec.items[0]").empty());
  EXPECT_TRUE(SplitFieldPath(".spec..x").empty());
}

}  // namespace
}  // namespace skiff::apiserver::crd

namespace skiff::apiserver::crd {
namespace {

TEST(CrdStoredVersionsTest, StorageVersionIsRecordedAndKept) {
  json::value crd = Crd();
  DefaultCrd(crd);
  DefaultStoredVersions(crd, nullptr);
  EXPECT_EQ(crd.at("status").at("storedVersions"), json::parse(R"(["v1"])"));
  EXPECT_TRUE(Fields(ValidateCrd(crd, nullptr)).empty());
  // A spec update that moves storage to v1beta1 adds it.
  json::value old = crd;
  json::value next = crd;
  auto& versions = next.at("spec").at("versions").as_array();
  versions[0].as_object()["storage"] = true;
  versions[1].as_object()["storage"] = false;
  DefaultStoredVersions(next, &old);
  EXPECT_EQ(next.at("status").at("storedVersions"), json::parse(R"(["v1","v1beta1"])"));
  // Removing a stored version from the spec is refused.
  json::value removed = next;
  removed.at("spec").at("versions").as_array().pop_back();
  DefaultStoredVersions(removed, &next);
  EXPECT_EQ(Fields(ValidateCrd(removed, &next)),
            std::vector<std::string>{"status.storedVersions[0]: must appear in spec.versions"});
  // A status write that drops the storage version is refused; one that drops another is taken.
  json::value dropped = next;
  dropped.at("status").at("storedVersions") = json::parse(R"(["v1"])");
  DefaultStoredVersions(dropped, &next);
  EXPECT_EQ(Fields(ValidateCrd(dropped, &next)),
            std::vector<std::string>{"status.storedVersions: must have the storage version v1beta1"});
  dropped.at("status").at("storedVersions") = json::parse(R"(["v1beta1"])");
  DefaultStoredVersions(dropped, &next);
  EXPECT_EQ(dropped.at("status").at("storedVersions"), json::parse(R"(["v1beta1"])"));
  EXPECT_TRUE(Fields(ValidateCrd(dropped, &next)).empty());
}

TEST(CrdConversionTest, WebhookConversionWithSeveralVersionsIsServed) {
  json::value crd = Crd();
  crd.at("spec").as_object()["conversion"] = json::parse(
      R"({"strategy":"Webhook","webhook":{"conversionReviewVersions":["v1"],"clientConfig":{"url":"https://h/c"}}})");
  crd.at("spec").at("names").as_object()["listKind"] = "WidgetCollection";
  crd.at("metadata").as_object()["deletionTimestamp"] = "2026-01-02T00:00:00Z";
  DefaultCrd(crd);
  EXPECT_TRUE(Fields(ValidateCrd(crd, nullptr)).empty());
  auto served = ServedResources(crd);
  ASSERT_EQ(served.size(), 2u);
  for (const auto& r : served) {
    EXPECT_EQ(r.ListKind(), "WidgetCollection");
    EXPECT_EQ(base::GetString(r.custom->conversion, {"strategy"}), "Webhook");
    EXPECT_TRUE(r.custom->terminating);
  }
  crd.at("spec").at("conversion").as_object().erase("webhook");
  EXPECT_EQ(Fields(ValidateCrd(crd, nullptr)),
            std::vector<std::string>{"spec.conversion.webhook: must be set when strategy is set to Webhook"});
}

}  // namespace
}  // namespace skiff::apiserver::crd
