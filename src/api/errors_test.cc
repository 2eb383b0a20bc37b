#include "api/errors.h"

#include "base/json.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

TEST(ErrorsTest, NotFoundNamesGroupAndResource) {
  auto body = StatusObject(NotFoundError("apps", "deployments", "web"));
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
  EXPECT_EQ(HttpCode(st), 422);
  auto body = StatusObject(st);
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

}  // namespace
}  // namespace skiff::api
