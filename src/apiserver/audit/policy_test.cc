#include "apiserver/audit/policy.h"

#include "gtest/gtest.h"

namespace skiff::apiserver::audit {
namespace {

Attributes Resource(std::string user, std::vector<std::string> groups, std::string verb, std::string group,
                    std::string resource, std::string ns = "default", std::string name = "",
                    std::string subresource = "") {
  Attributes a;
  a.user = UserInfo{std::move(user), "", std::move(groups), {}};
  a.verb = std::move(verb);
  a.is_resource = true;
  a.api_group = std::move(group);
  a.api_version = "v1";
  a.resource = std::move(resource);
  a.namespace_name = std::move(ns);
  a.name = std::move(name);
  a.subresource = std::move(subresource);
  return a;
}

Attributes NonResource(std::string path) {
  Attributes a;
  a.user = UserInfo{"admin", "", {"system:masters"}, {}};
  a.verb = "get";
  a.path = std::move(path);
  return a;
}

Policy MustParse(const std::string& text) {
  auto p = Policy::Parse(text);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : Policy::MetadataForAll();
}

TEST(PolicyTest, DefaultIsMetadataForEverything) {
  Policy p = Policy::MetadataForAll();
  EXPECT_EQ(p.Evaluate(Resource("bob", {}, "get", "", "pods")).level, Level::kMetadata);
  EXPECT_EQ(p.Evaluate(NonResource("/healthz")).level, Level::kMetadata);
  EXPECT_TRUE(p.Evaluate(NonResource("/healthz")).omit_stages.empty());
}

TEST(PolicyTest, FirstMatchingRuleDecidesAndUnmatchedIsNone) {
  Policy p = MustParse(R"(
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  users: ["system:kube-proxy"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["configmaps"]
- level: Metadata
  userGroups: ["system:masters"]
)");
  EXPECT_EQ(p.Evaluate(Resource("system:kube-proxy", {}, "get", "", "configmaps")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(Resource("bob", {}, "create", "", "configmaps")).level, Level::kRequestResponse);
  EXPECT_EQ(p.Evaluate(Resource("admin", {"system:masters"}, "get", "", "pods")).level, Level::kMetadata);
  EXPECT_EQ(p.Evaluate(Resource("bob", {"devs"}, "get", "", "pods")).level, Level::kNone);
}

TEST(PolicyTest, VerbsNamespacesAndResourceNames) {
  Policy p = MustParse(R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[
    {"level":"Request","verbs":["create","update"],"namespaces":["prod"],
     "resources":[{"group":"apps","resources":["deployments"],"resourceNames":["web"]}]}]})");
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "update", "apps", "deployments", "prod", "web")).level,
            Level::kRequest);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "update", "apps", "deployments", "prod", "db")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "update", "apps", "deployments", "dev", "web")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "delete", "apps", "deployments", "prod", "web")).level,
            Level::kNone);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "update", "", "deployments", "prod", "web")).level, Level::kNone);
}

TEST(PolicyTest, SubresourceForms) {
  Policy p = MustParse(R"(
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Request
  resources: [{group: "", resources: ["pods/log"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["*/status"]}]
- level: Metadata
  resources: [{group: "apps", resources: ["deployments/*"]}]
)");
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "", "pods", "d", "p", "log")).level, Level::kRequest);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "", "pods", "d", "p")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "patch", "", "nodes", "", "n", "status")).level,
            Level::kRequestResponse);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "apps", "deployments", "d", "x", "scale")).level,
            Level::kMetadata);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "apps", "deployments", "d", "x")).level, Level::kMetadata);
}

TEST(PolicyTest, GroupWithoutResourcesMatchesTheWholeGroup) {
  Policy p = MustParse(R"(
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Request
  resources: [{group: "rbac.authorization.k8s.io"}]
)");
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "rbac.authorization.k8s.io", "roles")).level,
            Level::kRequest);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "", "roles")).level, Level::kNone);
}

TEST(PolicyTest, NonResourceUrls) {
  Policy p = MustParse(R"(
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/version"]
- level: Metadata
)");
  EXPECT_EQ(p.Evaluate(NonResource("/healthz")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(NonResource("/healthz/ping")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(NonResource("/version")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(NonResource("/versions")).level, Level::kMetadata);
  // A non-resource rule never matches a resource request.
  Policy q = MustParse(
      R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Request","nonResourceURLs":["*"]}]})");
  EXPECT_EQ(q.Evaluate(Resource("u", {}, "get", "", "pods")).level, Level::kNone);
  EXPECT_EQ(q.Evaluate(NonResource("/metrics")).level, Level::kRequest);
}

TEST(PolicyTest, ResourceRuleNeverMatchesNonResourceRequests) {
  Policy p = MustParse(
      R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Request","namespaces":[""]}]})");
  EXPECT_EQ(p.Evaluate(NonResource("/metrics")).level, Level::kNone);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "", "nodes", "")).level, Level::kRequest);
  EXPECT_EQ(p.Evaluate(Resource("u", {}, "get", "", "pods", "default")).level, Level::kNone);
}

TEST(PolicyTest, OmitStagesAddUpAndOmitManagedFieldsIsOverridable) {
  Policy p = MustParse(R"(
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
omitManagedFields: true
rules:
- level: Request
  users: ["keep"]
  omitStages: ["ResponseStarted"]
  omitManagedFields: false
- level: Request
)");
  RuleDecision keep = p.Evaluate(Resource("keep", {}, "get", "", "pods"));
  EXPECT_EQ(keep.omit_stages, (std::set<Stage>{Stage::kRequestReceived, Stage::kResponseStarted}));
  EXPECT_FALSE(keep.omit_managed_fields);
  RuleDecision other = p.Evaluate(Resource("other", {}, "get", "", "pods"));
  EXPECT_EQ(other.omit_stages, (std::set<Stage>{Stage::kRequestReceived}));
  EXPECT_TRUE(other.omit_managed_fields);
}

TEST(PolicyTest, RejectsMalformedPolicies) {
  for (
      const char* bad : {
          "not: [valid",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy"})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[]})",
          R"({"apiVersion":"v1","kind":"Policy","rules":[{"level":"None"}]})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"Everything"}]})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{}]})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","omitStages":["Never"]}]})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","verbs":"get"}]})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","nonResourceURLs":["/a"],"namespaces":["x"]}]})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","nonResourceURLs":["/a*b"]}]})",
          R"({"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","resources":[{"resources":[1]}]}]})",
      }) {
    EXPECT_FALSE(Policy::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace skiff::apiserver::audit
