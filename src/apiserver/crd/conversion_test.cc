// The Converter against a real HTTPS conversion webhook on loopback (http::HttpServer with a
// certificate from a test CA): v1 objects carry spec.size, v2 objects spec.length.
#include "apiserver/crd/conversion.h"

#include <functional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/crd/conversion_review.h"
#include "apiserver/crd/crd_resources.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "apiserver/testing/json_https_server.h"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

// A webhook's answer to a review: the converted objects, or anything else a test wants.
using Answer = std::function<json::value(const json::value& review)>;

// The usual webhook: renames spec.size (v1) <-> spec.length (v2) and adds a label.
json::value Rename(const json::value& review) {
  std::string desired = base::GetString(review, {"request", "desiredAPIVersion"});
  json::array converted;
  for (const auto& o : review.at("request").at("objects").get_array()) {
    json::value c = o;
    auto& spec = base::EnsureObject(c, {"spec"});
    bool to_v2 = desired == "example.com/v2";
    const char* from = to_v2 ? "size" : "length";
    const char* to = to_v2 ? "length" : "size";
    if (auto* v = spec.if_contains(from)) {
      spec[to] = *v;
      spec.erase(from);
    }
    c.as_object()["apiVersion"] = desired;
    base::EnsureObject(c, {"metadata", "labels"})["converted"] = "yes";
    // Changes to other metadata are not kept.
    base::EnsureObject(c, {"metadata"})["generation"] = 99;
    converted.push_back(std::move(c));
  }
  std::string api_version = base::GetString(review, {"apiVersion"});
  return json::object{{"apiVersion", api_version},
                      {"kind", "ConversionReview"},
                      {"response", json::object{{"uid", review.at("request").at("uid")},
                                                {"convertedObjects", std::move(converted)},
                                                {"result", json::object{{"status", "Success"}}}}}};
}

class ConverterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = apiserver::testing::JsonHttpsServer::Start(
        [](const std::string&, const json::value& review) { return Rename(review); }, {}, 2);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ca_ = server_->ca_bundle();
  }
  void TearDown() override { server_.reset(); }

  void SetAnswer(Answer a) {
    server_->SetHandler([a = std::move(a)](const std::string&, const json::value& review) { return a(review); });
  }
  std::vector<json::value> Reviews() {
    std::vector<json::value> reviews;
    for (auto& call : server_->Calls()) reviews.push_back(std::move(call.body));
    return reviews;
  }

  // The served versions of a CRD (v1 stored, v2) whose conversion is `conversion`.
  std::vector<api::ResourceInfo> Resources(const std::string& conversion) {
    json::value crd = json::parse(absl::StrCat(R"({"metadata":{"name":"widgets.example.com"},
      "spec":{"group":"example.com","scope":"Namespaced",
        "names":{"plural":"widgets","kind":"Widget","listKind":"WidgetList"},
        "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}},
                    {"name":"v2","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}}],
        "conversion":)", conversion, "}}"));
    auto served = ServedResources(crd);
    EXPECT_EQ(served.size(), 2u);
    return served;  // v2 first (preferred), then v1
  }
  std::string WebhookConversion(const std::string& review_versions = R"(["v1"])", int port = 0) {
    return absl::StrCat(R"({"strategy":"Webhook","webhook":{"conversionReviewVersions":)", review_versions,
                        R"(,"clientConfig":{"url":"https://127.0.0.1:)", port ? port : server_->port(),
                        R"(/convert","caBundle":")", ca_, R"("}}})");
  }

  static json::value Widget(const std::string& name, const std::string& api_version = "example.com/v1") {
    return json::parse(absl::StrCat(R"({"apiVersion":")", api_version, R"(","kind":"Widget","metadata":{"name":")", name,
                                    R"(","namespace":"ns","uid":"uid-)", name,
                                    R"(","generation":1,"labels":{"app":"w"}},"spec":{"size":3}})"));
  }

  std::string ca_;
  std::unique_ptr<apiserver::testing::JsonHttpsServer> server_;
  Converter converter_{nullptr};
};

TEST_F(ConverterTest, StrategyNoneOnlyRelabelsTheApiVersion) {
  auto r = Resources(R"({"strategy":"None"})");
  const api::ResourceInfo& v2 = r[0];
  const api::ResourceInfo& v1 = r[1];
  EXPECT_FALSE(Converter::CallsWebhook(v1, v2));
  auto out = converter_.Convert(Widget("a"), v1, v2);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(base::GetString(*out, {"apiVersion"}), "example.com/v2");
  EXPECT_EQ(base::GetInt(*out, {"spec", "size"}), 3);
  EXPECT_TRUE(Reviews().empty());
}

TEST_F(ConverterTest, OneReviewConvertsAllObjectsAndKeepsTheirMetadata) {
  auto r = Resources(WebhookConversion());
  const api::ResourceInfo& v2 = r[0];
  const api::ResourceInfo& v1 = r[1];
  ASSERT_TRUE(Converter::CallsWebhook(v1, v2));
  std::vector<json::value> objects = {Widget("a"), Widget("b"), Widget("c")};
  auto out = converter_.Convert(objects, v1, v2);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const json::value& o = (*out)[i];
    EXPECT_EQ(base::GetString(o, {"metadata", "name"}), std::string(1, static_cast<char>('a' + i)));
    EXPECT_EQ(base::GetString(o, {"apiVersion"}), "example.com/v2");
    EXPECT_EQ(base::GetInt(o, {"spec", "length"}), 3);
    EXPECT_EQ(base::FindPath(o, {"spec", "size"}), nullptr);
    // Labels come from the webhook; other metadata from the original.
    EXPECT_EQ(base::GetString(o, {"metadata", "labels", "converted"}), "yes");
    EXPECT_EQ(base::GetInt(o, {"metadata", "generation"}), 1);
  }
  auto reviews = Reviews();
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(base::GetString(reviews[0], {"apiVersion"}), "apiextensions.k8s.io/v1");
  EXPECT_EQ(base::GetString(reviews[0], {"kind"}), "ConversionReview");
  EXPECT_EQ(base::GetString(reviews[0], {"request", "desiredAPIVersion"}), "example.com/v2");
  EXPECT_FALSE(base::GetString(reviews[0], {"request", "uid"}).empty());
  EXPECT_EQ(reviews[0].at("request").at("objects").get_array().size(), 3u);
  // And back.
  auto back = converter_.Convert((*out)[0], v2, v1);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(base::GetInt(*back, {"spec", "size"}), 3);
  EXPECT_EQ(base::GetString(*back, {"apiVersion"}), "example.com/v1");
}

TEST_F(ConverterTest, ObjectsAlreadyInTheWantedVersionAreNotSent) {
  auto r = Resources(WebhookConversion());
  const api::ResourceInfo& v2 = r[0];
  const api::ResourceInfo& v1 = r[1];
  auto out = converter_.Convert(std::vector<json::value>{Widget("a", "example.com/v2"), Widget("b")}, v1, v2);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(base::GetInt((*out)[0], {"spec", "size"}), 3);  // untouched
  EXPECT_EQ(base::GetInt((*out)[1], {"spec", "length"}), 3);
  auto reviews = Reviews();
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews[0].at("request").at("objects").get_array().size(), 1u);
  // Nothing to convert: no call at all.
  ASSERT_TRUE(converter_.Convert(std::vector<json::value>{}, v1, v2).ok());
  ASSERT_TRUE(converter_.Convert(Widget("c", "example.com/v2"), v1, v2).ok());
  EXPECT_EQ(Reviews().size(), 1u);
}

TEST_F(ConverterTest, ObjectsKeepTheVersionTheyWereStoredIn) {
  // After the storage version moved to v2, an object written before is still v1: read at v2 (the
  // storage version) it is converted all the same.
  auto r = Resources(WebhookConversion());
  const api::ResourceInfo& v2 = r[0];
  auto out = converter_.Convert(Widget("old"), v2, v2);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(base::GetInt(*out, {"spec", "length"}), 3);
  ASSERT_EQ(Reviews().size(), 1u);
  // With strategy None only the apiVersion changes.
  auto none = Resources(R"({"strategy":"None"})");
  auto relabelled = converter_.Convert(Widget("old"), none[0], none[0]);
  ASSERT_TRUE(relabelled.ok());
  EXPECT_EQ(base::GetString(*relabelled, {"apiVersion"}), "example.com/v2");
}

TEST_F(ConverterTest, V1beta1ReviewWhenOnlyThatIsAccepted) {
  auto r = Resources(WebhookConversion(R"(["v9","v1beta1","v1"])"));
  auto out = converter_.Convert(Widget("a"), r[1], r[0]);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(Reviews().size(), 1u);
  EXPECT_EQ(base::GetString(Reviews()[0], {"apiVersion"}), "apiextensions.k8s.io/v1beta1");
}

TEST_F(ConverterTest, BadAnswersFailTheConversionWithKubesMessages) {
  auto r = Resources(WebhookConversion());
  const api::ResourceInfo& v2 = r[0];
  const api::ResourceInfo& v1 = r[1];
  auto fails_with = [&](Answer answer, const std::string& message) {
    SetAnswer(std::move(answer));
    auto out = converter_.Convert(Widget("a"), v1, v2);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(api::HttpCode(out.status()), 500);
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(message));
    EXPECT_EQ(base::GetString(api::StatusObject(out.status()), {"reason"}), "");
  };
  fails_with(
      [](const json::value& review) {
        json::value a = Rename(review);
        a.at("response").as_object()["uid"] = "other";
        return a;
      },
      "conversion webhook for example.com/v1, Kind=Widget failed: expected response.uid=\"");
  fails_with(
      [](const json::value& review) {
        json::value a = Rename(review);
        a.as_object()["apiVersion"] = "apiextensions.k8s.io/v1beta1";
        return a;
      },
      "failed: expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got "
      "apiextensions.k8s.io/v1beta1, Kind=ConversionReview");
  fails_with(
      [](const json::value& review) {
        json::value a = Rename(review);
        a.at("response").as_object()["result"] = json::object{{"status", "Failure"}, {"message", "no can do"}};
        return a;
      },
      "conversion webhook for example.com/v1, Kind=Widget failed: no can do");
  fails_with(
      [](const json::value& review) {
        json::value a = Rename(review);
        a.at("response").at("convertedObjects").as_array().clear();
        return a;
      },
      "conversion webhook for example.com/v1, Kind=Widget returned 0 objects, expected 1");
  fails_with(
      [](const json::value& review) {
        json::value a = Rename(review);
        a.at("response").at("convertedObjects").as_array()[0].at("metadata").as_object()["name"] = "z";
        return a;
      },
      "returned invalid converted object at index 1: must have the same name: a != z");
  fails_with(
      [](const json::value& review) {
        json::value a = Rename(review);
        a.at("response").at("convertedObjects").as_array()[0].as_object()["apiVersion"] = "example.com/v1";
        return a;
      },
      "invalid groupVersion (expected example.com/v2, received example.com/v1)");
  fails_with(
      [](const json::value& review) {
        json::value a = Rename(review);
        a.at("response").at("convertedObjects").as_array()[0].at("metadata").at("labels").as_object()["bad key!"] =
            "x";
        return a;
      },
      "returned invalid metadata in object at index 1: metadata.labels: Invalid value: \"bad key!\"");
}

TEST_F(ConverterTest, AWebhookThatIsDownFailsTheConversion) {
  // A port nothing listens on (tcpmux: refused at once).
  int port = 1;
  auto r = Resources(WebhookConversion(R"(["v1"])", port));
  auto out = converter_.Convert(Widget("a"), r[1], r[0]);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(api::HttpCode(out.status()), 500);
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr(absl::StrCat("conversion webhook for example.com/v1, Kind=Widget failed: Post \"https://127.0.0.1:",
                                     port, "/convert?timeout=30s\"")));
}

TEST(ConversionReviewTest, RestoreMetadataKeepsOnlyLabelsAndAnnotationsFromTheWebhook) {
  json::value original = json::parse(
      R"({"metadata":{"name":"a","uid":"u","resourceVersion":"5","labels":{"x":"1"},"annotations":{"k":"v"}}})");
  json::value converted = json::parse(
      R"({"metadata":{"name":"a","uid":"u","resourceVersion":"9","labels":{"x":"2"},"finalizers":["f"]}})");
  auto out = RestoreMetadata(original, converted);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(base::GetString(*out, {"metadata", "resourceVersion"}), "5");
  EXPECT_EQ(base::GetString(*out, {"metadata", "labels", "x"}), "2");
  EXPECT_EQ(base::FindPath(*out, {"metadata", "annotations"}), nullptr);  // the webhook dropped them
  EXPECT_EQ(base::FindPath(*out, {"metadata", "finalizers"}), nullptr);
  EXPECT_FALSE(RestoreMetadata(original, json::parse(R"({"metadata":{"labels":{"x":1}}})")).ok());
  EXPECT_FALSE(RestoreMetadata(original, json::parse(R"({"spec":{}})")).ok());
}

TEST(ConversionReviewTest, ReviewVersionIsTheFirstSupported) {
  EXPECT_EQ(*ReviewVersion({"v1beta1", "v1"}), "v1beta1");
  EXPECT_EQ(*ReviewVersion({"v2", "v1"}), "v1");
  EXPECT_FALSE(ReviewVersion({"v2"}).ok());
}

}  // namespace
}  // namespace skiff::apiserver::crd
