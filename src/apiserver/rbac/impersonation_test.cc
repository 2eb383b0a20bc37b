#include "apiserver/rbac/impersonation.h"

#include "api/errors.h"
#include "gtest/gtest.h"

namespace skiff::apiserver::rbac {
namespace {

TEST(ImpersonationTest, NoHeadersNoImpersonation) {
  auto parsed = ParseImpersonation({{"authorization", "Bearer x"}});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->has_value());
}

TEST(ImpersonationTest, UserGroupsUidAndExtras) {
  auto parsed = ParseImpersonation({{"impersonate-user", "bob"},
                                    {"impersonate-group", "devs,ops"},
                                    {"impersonate-uid", "1234"},
                                    {"impersonate-extra-scopes", "view, edit"},
                                    {"impersonate-extra-example.com%2fteam", "x"}});
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->has_value());
  const ImpersonationRequest& r = **parsed;
  EXPECT_EQ(r.user, "bob");
  EXPECT_EQ(r.groups, (std::vector<std::string>{"devs", "ops"}));
  EXPECT_EQ(*r.uid, "1234");
  EXPECT_EQ(r.extra.at("scopes"), (std::vector<std::string>{"view", "edit"}));
  EXPECT_EQ(r.extra.at("example.com/team"), (std::vector<std::string>{"x"}));
  auto checks = ImpersonationChecks(r);
  ASSERT_EQ(checks.size(), 7u);  // user, 2 groups, 3 extra values, uid
  EXPECT_EQ(checks[0].resource, "users");
  EXPECT_EQ(checks[0].name, "bob");
  EXPECT_EQ(checks[1].resource, "groups");
  EXPECT_EQ(checks[3].resource, "userextras");
  EXPECT_EQ(checks[3].api_group, "authentication.k8s.io");
  EXPECT_EQ(checks[3].subresource, "example.com/team");
  EXPECT_EQ(checks[6].resource, "uids");
  for (const auto& c : checks) EXPECT_EQ(c.verb, "impersonate");
  Identity id = ImpersonatedIdentity(r);
  EXPECT_EQ(id.groups, (std::vector<std::string>{"devs", "ops", "system:authenticated"}));
  EXPECT_EQ(id.uid, "1234");
}

TEST(ImpersonationTest, ServiceAccountsGetTheirGroups) {
  auto parsed = ParseImpersonation({{"impersonate-user", "system:serviceaccount:ns1:robot"}});
  ASSERT_TRUE(parsed.ok() && parsed->has_value());
  auto checks = ImpersonationChecks(**parsed);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].resource, "serviceaccounts");
  EXPECT_EQ(checks[0].namespace_name, "ns1");
  EXPECT_EQ(checks[0].name, "robot");
  EXPECT_EQ(ImpersonatedIdentity(**parsed).groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated"}));
}

TEST(ImpersonationTest, AnonymousIsUnauthenticated) {
  auto parsed = ParseImpersonation({{"impersonate-user", "system:anonymous"}});
  ASSERT_TRUE(parsed.ok() && parsed->has_value());
  EXPECT_EQ(ImpersonatedIdentity(**parsed).groups, (std::vector<std::string>{"system:unauthenticated"}));
}

TEST(ImpersonationTest, GroupsWithoutUserAreBadRequests) {
  auto parsed = ParseImpersonation({{"impersonate-group", "devs"}});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(api::HttpCode(parsed.status()), 400);
  EXPECT_EQ(parsed.status().message(), "requested [Impersonate-Group] without impersonating a user");
}

}  // namespace
}  // namespace skiff::apiserver::rbac
