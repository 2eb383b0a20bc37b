#include "api/kind_rules.h"

#include <string>
#include <vector>

#include "base/json.h"
#include "boost/json.hpp"
#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

std::vector<std::string> Errors(const std::string& text) {
  auto obj = base::ParseJson(text);
  EXPECT_TRUE(obj.ok()) << text;
  std::vector<std::string> out;
  for (const auto& e : ValidateKindRules("apiregistration.k8s.io", "APIService", *obj, nullptr)) {
    out.push_back(FormatFieldError(e));
  }
  return out;
}

TEST(KindRulesTest, LocalAPIServiceNamedVersionDotGroupIsValid) {
  const char* local = R"({"metadata":{"name":"v1.example.com"},"spec":{"group":"example.com","version":"v1",
      "groupPriorityMinimum":1000,"versionPriority":15}})";
  const char* legacy = R"({"metadata":{"name":"v1."},"spec":{"version":"v1","groupPriorityMinimum":18000,
      "versionPriority":1}})";
  const char* remote = R"({"metadata":{"name":"v1beta1.metrics.k8s.io"},"spec":{"group":"metrics.k8s.io",
      "version":"v1beta1","groupPriorityMinimum":100,"versionPriority":100,"insecureSkipTLSVerify":true,
      "service":{"namespace":"kube-system","name":"metrics-server","port":443}}})";
  EXPECT_TRUE(Errors(local).empty());
  EXPECT_TRUE(Errors(legacy).empty());
  EXPECT_TRUE(Errors(remote).empty());
}

TEST(KindRulesTest, APIServiceRulesUseTheAggregatorsMessages) {
  const char* misnamed = R"({"metadata":{"name":"v2.example.com"},"spec":{"group":"example.com","version":"v1",
      "groupPriorityMinimum":0,"versionPriority":1001,"caBundle":"AAAA"}})";
  std::vector<std::string> want = {
      R"(metadata.name: Invalid value: "v2.example.com": must be `spec.version+"."+spec.group`: "v1.example.com")",
      "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
      "spec.versionPriority: Invalid value: 1001: must be positive and less than 1000",
      R"(spec.caBundle: Invalid value: "3 bytes": local APIServices may not have a caBundle)"};
  EXPECT_EQ(Errors(misnamed), want);

  const char* no_group = R"({"metadata":{"name":"v2."},"spec":{"version":"v2","groupPriorityMinimum":1,
      "versionPriority":1}})";
  want = {"spec.group: Required value: only v1 may have an empty group and it better be legacy kube"};
  EXPECT_EQ(Errors(no_group), want);

  const char* half_service = R"({"metadata":{"name":"v1.x"},"spec":{"group":"x","version":"v1",
      "groupPriorityMinimum":1,"versionPriority":1,"service":{"port":443},"insecureSkipTLSVerify":true,
      "caBundle":"AAAA"}})";
  want = {"spec.service.namespace: Required value", "spec.service.name: Required value",
          "spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"};
  EXPECT_EQ(Errors(half_service), want);
}

boost::json::value Json(const char* text) { return boost::json::parse(text); }

boost::json::value Normalized(std::string_view group, std::string_view kind, const char* text) {
  boost::json::value obj = Json(text);
  NormalizeKindFields(group, kind, obj);
  return obj;
}

std::vector<std::string> HpaErrors(const std::string& text) {
  auto obj = base::ParseJson(text);
  EXPECT_TRUE(obj.ok()) << text;
  std::vector<std::string> out;
  for (const auto& e : ValidateKindRules("autoscaling", "HorizontalPodAutoscaler", *obj, nullptr)) {
    out.push_back(FormatFieldError(e));
  }
  return out;
}

TEST(KindRulesTest, HpaScalesToZeroOnlyWithObjectOrExternalMetrics) {
  const char* object = R"({"apiVersion":"autoscaling/v2","spec":{"minReplicas":0,"maxReplicas":3,"metrics":[
      {"type":"Object","object":{"metric":{"name":"requests-per-second"},
       "describedObject":{"apiVersion":"v1","kind":"Service","name":"web"},
       "target":{"type":"AverageValue","averageValue":"1"}}}]}})";
  const char* external = R"({"apiVersion":"autoscaling/v2","spec":{"minReplicas":0,"maxReplicas":3,"metrics":[
      {"type":"External","external":{"metric":{"name":"queue"},"target":{"type":"Value","value":"1"}}}]}})";
  const char* cpu = R"({"apiVersion":"autoscaling/v2","spec":{"minReplicas":0,"maxReplicas":3,"metrics":[
      {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]}})";
  const char* one = R"({"apiVersion":"autoscaling/v2","spec":{"minReplicas":1,"maxReplicas":3}})";
  EXPECT_TRUE(HpaErrors(object).empty());
  EXPECT_TRUE(HpaErrors(external).empty());
  EXPECT_TRUE(HpaErrors(one).empty());
  EXPECT_EQ(HpaErrors(cpu), std::vector<std::string>{"spec.metrics: Forbidden: must specify at least one Object or "
                                                     "External metric to support scaling to zero replicas"});
}

TEST(NormalizeKindFieldsTest, SecretStringDataIsMergedIntoDataAndDropped) {
  EXPECT_EQ(Normalized("", "Secret", R"({"stringData":{"user":"admin","pw":"s3cr3t!"}})"),
            Json(R"({"data":{"user":"YWRtaW4=","pw":"czNjcjN0IQ=="}})"));
  // stringData wins over data for the same key; other data keys stay.
  EXPECT_EQ(Normalized("", "Secret", R"({"data":{"a":"b2xk","keep":"eA=="},"stringData":{"a":"new"}})"),
            Json(R"({"data":{"a":"bmV3","keep":"eA=="}})"));
  EXPECT_EQ(Normalized("", "Secret", R"({"data":null,"stringData":{"e":""}})"), Json(R"({"data":{"e":""}})"));
  EXPECT_EQ(Normalized("", "Secret", R"({"stringData":null})"), Json(R"({})"));
  EXPECT_EQ(Normalized("", "Secret", R"({"stringData":{}})"), Json(R"({})"));
}

TEST(NormalizeKindFieldsTest, MalformedStringDataIsLeftForValidation) {
  for (const char* text : {R"({"stringData":"x"})", R"({"stringData":{"a":5}})",
                           R"({"data":"x","stringData":{"a":"b"}})"}) {
    EXPECT_EQ(Normalized("", "Secret", text), Json(text)) << text;
  }
}

TEST(NormalizeKindFieldsTest, OtherKindsAreUntouched) {
  const char* text = R"({"stringData":{"a":"b"}})";
  EXPECT_EQ(Normalized("", "ConfigMap", text), Json(text));
  EXPECT_EQ(Normalized("example.com", "Secret", text), Json(text));
}

}  // namespace
}  // namespace skiff::api
