#include "api/uid.h"

#include "gtest/gtest.h"

namespace skiff::api {
namespace {

TEST(UidTest, IsAVersion4Uuid) {
  std::string uid = NewUid();
  ASSERT_EQ(uid.size(), 36u);
  EXPECT_EQ(uid[8], '-');
  EXPECT_EQ(uid[14], '4');
  EXPECT_NE(std::string("89ab").find(uid[19]), std::string::npos);
  EXPECT_NE(NewUid(), uid);
}

}  // namespace
}  // namespace skiff::api
