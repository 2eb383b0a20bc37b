#include "apiserver/errors.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

TEST(ErrorsTest, NotFoundNamesGroupAndResource) {
  auto resp = ErrorResponse(NotFoundError("apps", "deployments", "web"));
  EXPECT_EQ(resp.status, 404);
  auto body = *base::ParseJson(resp.body);
  EXPECT_EQ(base::GetString(body, {"kind"}), "Status");
  EXPECT_EQ(base::GetString(body, {"reason"}), "NotFound");
  EXPECT_EQ(base::GetString(body, {"message"}), "deployments.apps \"web\" not found");
  EXPECT_EQ(base::GetString(body, {"details", "group"}), "apps");
  EXPECT_EQ(base::GetString(body, {"details", "kind"}), "deployments");
  EXPECT_EQ(base::GetInt(body, {"code"}), 404);
}

TEST(ErrorsTest, InvalidCarriesCauses) {
  auto st = InvalidError("apps", "Deployment", "web",
                         {{"FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0",
                           "spec.replicas"}});
  auto resp = ErrorResponse(st);
  EXPECT_EQ(resp.status, 422);
  auto body = *base::ParseJson(resp.body);
  EXPECT_EQ(base::GetString(body, {"message"}),
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  const auto* causes = base::FindPath(body, {"details", "causes"});
  ASSERT_TRUE(causes && causes->is_array());
  EXPECT_EQ(base::GetString(causes->as_array()[0], {"field"}), "spec.replicas");
}

TEST(ErrorsTest, PlainStatusesMapByCode) {
  EXPECT_EQ(HttpCode(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpCode(absl::AlreadyExistsError("x")), 409);
  EXPECT_EQ(HttpCode(absl::FailedPreconditionError("x")), 409);
  EXPECT_EQ(HttpCode(absl::OutOfRangeError("x")), 410);
  EXPECT_EQ(HttpCode(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpCode(absl::InternalError("x")), 500);
  EXPECT_EQ(HttpCode(UnsupportedMediaTypeError("x")), 415);
  EXPECT_EQ(HttpCode(RequestEntityTooLargeError("x")), 413);
}

TEST(ErrorsTest, TooManyRequestsSetsRetryAfter) {
  auto resp = ErrorResponse(TooManyRequestsError("slow down", 5));
  EXPECT_EQ(resp.status, 429);
  ASSERT_EQ(resp.headers.size(), 1u);
  EXPECT_EQ(resp.headers[0].first, "Retry-After");
  EXPECT_EQ(resp.headers[0].second, "5");
}

TEST(ErrorsTest, StatusBodiesEndWithANewline) {
  // kube-apiserver's JSON encoder terminates every body with '\n'; clients compare them verbatim.
  EXPECT_EQ(ErrorResponse(NotFoundError("", "pods", "p")).body.back(), '\n');
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
}  // namespace skiff::apiserver
