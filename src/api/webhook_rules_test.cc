#include "api/webhook_rules.h"

#include <string>
#include <vector>

#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Errors(const std::string& webhooks, bool mutating = false, const std::string& old = "") {
  auto obj = base::ParseJson(R"({"metadata":{"name":"c"},"webhooks":)" + webhooks + "}");
  EXPECT_TRUE(obj.ok()) << webhooks;
  std::optional<boost::json::value> old_obj;
  if (!old.empty()) old_obj = *base::ParseJson(R"({"metadata":{"name":"c"},"webhooks":)" + old + "}");
  std::vector<std::string> out;
  for (const auto& e : ValidateWebhookConfiguration(*obj, old_obj ? &*old_obj : nullptr, mutating))
    out.push_back(FormatFieldError(e));
  return out;
}

constexpr char kGood[] = R"([{"name":"deny.example.com","clientConfig":{"url":"https://127.0.0.1:8443/v"},
  "rules":[{"operations":["CREATE","UPDATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods","pods/status"]}],
  "sideEffects":"None","admissionReviewVersions":["v1"],"timeoutSeconds":5,"failurePolicy":"Ignore"},
  {"name":"svc.example.com","clientConfig":{"service":{"namespace":"hooks","name":"hook","path":"/mutate","port":8443}},
  "rules":[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*/*"],"scope":"Namespaced"}],
  "sideEffects":"NoneOnDryRun","admissionReviewVersions":["v2","v1beta1"],"reinvocationPolicy":"IfNeeded"}])";

TEST(WebhookRulesTest, AcceptsUrlAndServiceWebhooks) {
  EXPECT_THAT(Errors(kGood, /*mutating=*/true), IsEmpty());
}

TEST(WebhookRulesTest, NamesAreFullyQualifiedAndUnique) {
  EXPECT_THAT(
      Errors(R"([{"name":"deny","clientConfig":{"url":"https://h/"},"sideEffects":"None","admissionReviewVersions":["v1"]},
                 {"name":"a.b.c","clientConfig":{"url":"https://h/"},"sideEffects":"None","admissionReviewVersions":["v1"]},
                 {"name":"a.b.c","clientConfig":{"url":"https://h/"},"sideEffects":"None","admissionReviewVersions":["v1"]},
                 {"clientConfig":{"url":"https://h/"},"sideEffects":"None","admissionReviewVersions":["v1"]}])"),
      ElementsAre("webhooks[0].name: Invalid value: \"deny\": should be a domain with at least three segments "
                  "separated by dots",
                  "webhooks[2].name: Duplicate value: \"a.b.c\"", "webhooks[3].name: Required value"));
}

TEST(WebhookRulesTest, SideEffectsAndReviewVersions) {
  EXPECT_THAT(Errors(R"([{"name":"a.b.c","clientConfig":{"url":"https://h/"}}])"),
              ElementsAre("webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun",
                          "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"));
  EXPECT_THAT(
      Errors(R"([{"name":"a.b.c","clientConfig":{"url":"https://h/"},"sideEffects":"Some","admissionReviewVersions":["v2","v2"]}])"),
      ElementsAre("webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\"",
                  "webhooks[0].admissionReviewVersions[1]: Invalid value: \"v2\": duplicate version",
                  "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v2\", \"v2\"}: must include at least "
                  "one of v1, v1beta1"));
  // An update keeps accepting side effects the stored object already had.
  std::string some = R"([{"name":"a.b.c","clientConfig":{"url":"https://h/"},"sideEffects":"Some","admissionReviewVersions":["v1"]}])";
  EXPECT_THAT(Errors(some, false, some), IsEmpty());
}

TEST(WebhookRulesTest, PoliciesAndTimeout) {
  EXPECT_THAT(Errors(R"([{"name":"a.b.c","clientConfig":{"url":"https://h/"},"sideEffects":"None","admissionReviewVersions":["v1"],
                         "failurePolicy":"Maybe","matchPolicy":"Close","timeoutSeconds":31,"reinvocationPolicy":"Always"}])",
                     /*mutating=*/true),
              ElementsAre("webhooks[0].failurePolicy: Unsupported value: \"Maybe\": supported values: \"Fail\", \"Ignore\"",
                          "webhooks[0].matchPolicy: Unsupported value: \"Close\": supported values: \"Equivalent\", \"Exact\"",
                          "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds",
                          "webhooks[0].reinvocationPolicy: Unsupported value: \"Always\": supported values: \"IfNeeded\", "
                          "\"Never\""));
}

TEST(WebhookRulesTest, ClientConfig) {
  auto hook = [](const std::string& cc) {
    return R"([{"name":"a.b.c","sideEffects":"None","admissionReviewVersions":["v1"],"clientConfig":)" + cc + "}]";
  };
  EXPECT_THAT(Errors(hook("{}")),
              ElementsAre("webhooks[0].clientConfig: Required value: exactly one of url or service is required"));
  EXPECT_THAT(Errors(hook(R"({"url":"https://h/","service":{"namespace":"n","name":"s"}})")),
              ElementsAre("webhooks[0].clientConfig: Required value: exactly one of url or service is required"));
  EXPECT_THAT(Errors(hook(R"({"url":"http://u:p@h/x?a=1#f"})")),
              ElementsAre("webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; "
                          "desired format: https://host[/path]",
                          "webhooks[0].clientConfig.url: Invalid value: \"u:p\": user information is not permitted in the URL",
                          "webhooks[0].clientConfig.url: Invalid value: \"f\": fragments are not permitted in the URL",
                          "webhooks[0].clientConfig.url: Invalid value: \"a=1\": query parameters are not permitted in the URL"));
  EXPECT_THAT(Errors(hook(R"({"url":"/just/a/path"})")),
              ElementsAre("webhooks[0].clientConfig.url: Invalid value: \"\": 'https' is the only allowed URL scheme; "
                          "desired format: https://host[/path]",
                          "webhooks[0].clientConfig.url: Invalid value: \"\": host must be provided; desired format: "
                          "https://host[/path]"));
  EXPECT_THAT(Errors(hook(R"({"service":{"port":0,"path":"v/a//"}})")),
              ElementsAre("webhooks[0].clientConfig.service.name: Required value: service name is required",
                          "webhooks[0].clientConfig.service.namespace: Required value: service namespace is required",
                          "webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 "
                          "and 65535, inclusive",
                          "webhooks[0].clientConfig.service.path: Invalid value: \"v/a//\": must start with a '/'",
                          "webhooks[0].clientConfig.service.path: Invalid value: \"v/a//\": segment[0] may not be empty",
                          "webhooks[0].clientConfig.service.path: Invalid value: \"v/a//\": segment[2] may not be empty"));
}

TEST(WebhookRulesTest, Rules) {
  auto rules = [](const std::string& r) {
    return R"([{"name":"a.b.c","sideEffects":"None","admissionReviewVersions":["v1"],"clientConfig":{"url":"https://h/"},"rules":[)" +
           r + "]}]";
  };
  EXPECT_THAT(Errors(rules("{}")), ElementsAre("webhooks[0].rules[0].operations: Required value",
                                               "webhooks[0].rules[0].apiGroups: Required value",
                                               "webhooks[0].rules[0].apiVersions: Required value",
                                               "webhooks[0].rules[0].resources: Required value"));
  EXPECT_THAT(
      Errors(rules(R"({"operations":["*","PATCH"],"apiGroups":["*","apps"],"apiVersions":["v1"],
                       "resources":["*/*","pods"],"scope":"Everywhere"})")),
      ElementsAre("webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{\"*\", \"PATCH\"}: if '*' is present, must "
                  "not specify other operations",
                  "webhooks[0].rules[0].operations[1]: Unsupported value: \"PATCH\": supported values: \"*\", "
                  "\"CONNECT\", \"CREATE\", \"DELETE\", \"UPDATE\"",
                  "webhooks[0].rules[0].apiGroups: Invalid value: []string{\"*\", \"apps\"}: if '*' is present, must not "
                  "specify other API groups",
                  "webhooks[0].rules[0].resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' is present, "
                  "must not specify other resources",
                  "webhooks[0].rules[0].scope: Unsupported value: \"Everywhere\": supported values: \"*\", \"Cluster\", "
                  "\"Namespaced\""));
}

}  // namespace
}  // namespace skiff::api
