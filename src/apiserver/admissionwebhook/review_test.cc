#include "apiserver/admissionwebhook/review.h"

#include "absl/strings/escaping.h"
#include "api/resources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::admissionwebhook {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

TEST(ReviewTest, BuildsKubesRequest) {
  json::value obj = *base::ParseJson(R"({"metadata":{"name":"p"}})");
  ReviewRequest r;
  r.uid = "u-1";
  r.resource = api::FindResource("", "v1", "pods");
  r.subresource = "status";
  r.name = "p";
  r.ns = "n";
  r.operation = "UPDATE";
  r.user = ReviewUser{"alice", "", {"devs"}, {{"scopes", {"a"}}}};
  r.object = &obj;
  r.old_object = &obj;
  r.dry_run = true;
  r.options = OperationOptions("UPDATE", true);
  json::value review = BuildReview(r, "v1");
  EXPECT_EQ(base::GetString(review, {"apiVersion"}), "admission.k8s.io/v1");
  EXPECT_EQ(base::GetString(review, {"kind"}), "AdmissionReview");
  const json::value& req = review.at("request");
  EXPECT_EQ(req.at("uid"), "u-1");
  EXPECT_EQ(req.at("kind"), (json::object{{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}));
  EXPECT_EQ(req.at("requestResource"), (json::object{{"group", ""}, {"version", "v1"}, {"resource", "pods"}}));
  EXPECT_EQ(req.at("subResource"), "status");
  EXPECT_EQ(req.at("userInfo"), *base::ParseJson(R"({"username":"alice","groups":["devs"],"extra":{"scopes":["a"]}})"));
  EXPECT_EQ(req.at("options"), *base::ParseJson(R"({"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1","dryRun":["All"]})"));
  EXPECT_TRUE(req.at("dryRun").as_bool());
}

std::string Response(const std::string& response) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":)" + response + "}";
}

TEST(ReviewTest, ParsesAnAnswer) {
  std::string patch = absl::Base64Escape(R"([{"op":"add","path":"/x","value":1}])");
  auto r = ParseReviewResponse(Response(R"({"uid":"u","allowed":true,"patchType":"JSONPatch","patch":")" + patch +
                                        R"(","warnings":["w1",""],"auditAnnotations":{"k":"v"}})"),
                               "v1", "u", true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->allowed);
  ASSERT_TRUE(r->patch.has_value());
  EXPECT_EQ(r->patch->as_array().size(), 1u);
  EXPECT_EQ(r->warnings, std::vector<std::string>{"w1"});
  EXPECT_EQ(r->audit_annotations.at("k"), "v");
}

TEST(ReviewTest, RefusesBadAnswersWithKubesWords) {
  auto error = [](const std::string& body, bool mutating = true) {
    auto r = ParseReviewResponse(body, "v1", "u", mutating);
    EXPECT_FALSE(r.ok());
    return std::string(r.status().message());
  };
  EXPECT_THAT(error("nope"), HasSubstr("received invalid webhook response"));
  EXPECT_THAT(error(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{}})"),
              HasSubstr("expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got "
                        "admission.k8s.io/v1beta1, Kind=AdmissionReview"));
  EXPECT_THAT(error(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
              HasSubstr("webhook response was absent"));
  EXPECT_THAT(error(Response(R"({"uid":"other","allowed":true})")),
              HasSubstr(R"(expected response.uid="u", got "other")"));
  EXPECT_THAT(error(Response(R"({"uid":"u","allowed":true,"patch":"W10="})")),
              HasSubstr("webhook returned response.patch but not response.patchType"));
  EXPECT_THAT(error(Response(R"({"uid":"u","allowed":true,"patch":"W10=","patchType":"Merge"})")),
              HasSubstr(R"(webhook returned invalid response.patchType of "Merge")"));
  EXPECT_THAT(error(Response(R"({"uid":"u","allowed":true,"patch":"W10=","patchType":"JSONPatch"})"), false),
              HasSubstr("validating webhook may not return response.patch"));
}

}  // namespace
}  // namespace skiff::apiserver::admissionwebhook
