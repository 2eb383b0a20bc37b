#include "http/errors.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::http {
namespace {

TEST(ErrorsTest, ResponseCarriesTheStatusCode) {
  auto resp = ErrorResponse(api::NotFoundError("apps", "deployments", "web"));
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(*base::ParseJson(resp.body), api::StatusObject(api::NotFoundError("apps", "deployments", "web")));
  EXPECT_EQ(ErrorResponse(api::InvalidError("", "Pod", "p", {{"FieldValueInvalid", "bad", "spec"}})).status,
            422);
}

TEST(ErrorsTest, TooManyRequestsSetsRetryAfter) {
  auto resp = ErrorResponse(api::TooManyRequestsError("slow down", 5));
  EXPECT_EQ(resp.status, 429);
  ASSERT_EQ(resp.headers.size(), 1u);
  EXPECT_EQ(resp.headers[0].first, "Retry-After");
  EXPECT_EQ(resp.headers[0].second, "5");
}

TEST(ErrorsTest, StatusBodiesEndWithANewline) {
  // kube-apiserver's JSON encoder terminates every body with '\n'; clients compare them verbatim.
  EXPECT_EQ(ErrorResponse(api::NotFoundError("", "pods", "p")).body.back(), '\n');
  EXPECT_EQ(ErrorResponse(absl::InternalError("x")).body.back(), '\n');
  EXPECT_EQ(SuccessStatusResponse(201, "", "pods", "p", "").body.back(), '\n');
}

TEST(ErrorsTest, DeletedStatusNamesTheObjectAndCarriesNoCode) {
  auto resp = DeletedStatusResponse("apps", "deployments", "web", "u-1");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body,
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"details\":"
            "{\"name\":\"web\",\"group\":\"apps\",\"kind\":\"deployments\",\"uid\":\"u-1\"}}\n");
  auto core = *base::ParseJson(DeletedStatusResponse("", "configmaps", "c", "u-2").body);
  EXPECT_EQ(base::FindPath(core, {"details", "group"}), nullptr);
  EXPECT_EQ(base::GetString(core, {"details", "kind"}), "configmaps");
}

}  // namespace
}  // namespace skiff::http
