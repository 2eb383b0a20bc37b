#include "api/openapi.h"

#include <functional>
#include <set>
#include <string>

#include "api/schema_testdata.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::parse;
using boost::json::value;
using ::testing::HasSubstr;

std::vector<PathSpec> AppsPaths() {
  PathSpec d;
  d.plural = "deployments";
  d.kind = "Deployment";
  d.namespaced = true;
  d.verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  d.subresources = {{"status", "", "", "", {"get", "patch", "update"}},
                    {"scale", "autoscaling", "v1", "Scale", {"get", "patch", "update"}}};
  return {d};
}

value AppsDoc() { return OpenApiV3DocumentValue(testdata::TestRegistry(), "apps", "v1", AppsPaths()); }

bool HasParam(const value& op, std::string_view name) {
  for (const value& p : op.at("parameters").as_array()) {
    if (p.at("name") == value(name)) return true;
  }
  return false;
}

TEST(OpenApiTest, PatchOperationAdvertisesFieldValidationAndGvk) {
  value doc = AppsDoc();
  EXPECT_EQ(doc.at("openapi"), value("3.0.0"));
  const value& item = doc.at("paths").at("/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
  const value& patch = item.at("patch");
  EXPECT_EQ(patch.at("x-kubernetes-group-version-kind"),
            parse(R"({"group":"apps","kind":"Deployment","version":"v1"})"));
  EXPECT_EQ(patch.at("x-kubernetes-action"), value("patch"));
  EXPECT_EQ(patch.at("operationId"), value("patchAppsV1NamespacedDeployment"));
  for (std::string_view p : {"fieldValidation", "dryRun", "fieldManager", "force"}) {
    EXPECT_TRUE(HasParam(patch, p)) << p;
  }
  const object& content = patch.at("requestBody").at("content").as_object();
  for (std::string_view t : {"application/json-patch+json", "application/merge-patch+json",
                             "application/strategic-merge-patch+json", "application/apply-patch+yaml"}) {
    EXPECT_TRUE(content.contains(t)) << t;
  }
  EXPECT_TRUE(HasParam(item.at("put"), "fieldValidation"));
  EXPECT_EQ(
      item.at("get").at("responses").at("200").at("content").at("application/json").at("schema").at("$ref"),
      value("#/components/schemas/io.k8s.api.apps.v1.Deployment"));
  EXPECT_EQ(item.at("parameters").as_array().front().at("name"), value("name"));
}

TEST(OpenApiTest, CollectionAllNamespacesAndSubresourcePaths) {
  value doc = AppsDoc();
  const object& paths = doc.at("paths").as_object();
  const value& coll = paths.at("/apis/apps/v1/namespaces/{namespace}/deployments");
  EXPECT_TRUE(HasParam(coll.at("post"), "fieldValidation"));
  EXPECT_TRUE(HasParam(coll.at("get"), "labelSelector"));
  EXPECT_EQ(
      coll.at("get").at("responses").at("200").at("content").at("application/json").at("schema").at("$ref"),
      value("#/components/schemas/io.k8s.api.apps.v1.DeploymentList"));
  EXPECT_TRUE(coll.as_object().contains("delete"));
  EXPECT_TRUE(paths.contains("/apis/apps/v1/deployments"));
  const value& scale = paths.at("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale");
  EXPECT_EQ(scale.at("patch").at("x-kubernetes-group-version-kind"),
            parse(R"({"group":"autoscaling","kind":"Scale","version":"v1"})"));
  const value& status = paths.at("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status");
  EXPECT_EQ(status.at("get").at("operationId"), value("readAppsV1NamespacedDeploymentStatus"));
  EXPECT_EQ(status.at("patch").at("x-kubernetes-group-version-kind").at("kind"), value("Deployment"));

  PathSpec ns{"namespaces", "Namespace", false, {"get", "list", "patch"}, {}};
  value core = OpenApiV3DocumentValue(testdata::TestRegistry(), "", "v1", {ns});
  EXPECT_TRUE(core.at("paths").as_object().contains("/api/v1/namespaces/{name}"));
  EXPECT_EQ(core.at("paths").at("/api/v1/namespaces/{name}").at("patch").at("operationId"),
            value("patchCoreV1Namespace"));
}

TEST(OpenApiTest, ComponentsCarryKubernetesExtensions) {
  value doc = AppsDoc();
  const object& schemas = doc.at("components").at("schemas").as_object();
  const value& deploy = schemas.at("io.k8s.api.apps.v1.Deployment");
  EXPECT_EQ(deploy.at("x-kubernetes-group-version-kind"),
            parse(R"([{"group":"apps","kind":"Deployment","version":"v1"}])"));
  EXPECT_EQ(deploy.at("properties").at("spec"),
            parse(R"({"allOf":[{"$ref":"#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}],
                      "description":"Spec."})"));
  const value& spec = schemas.at("io.k8s.api.apps.v1.DeploymentSpec");
  EXPECT_EQ(spec.at("required"), parse(R"(["selector","template"])"));
  EXPECT_EQ(spec.at("properties").at("replicas"),
            parse(R"({"type":"integer","format":"int32","description":"Replicas.","default":1})"));
  EXPECT_EQ(spec.at("properties").at("strategy").at("x-kubernetes-patch-strategy"), value("retainKeys"));
  const value& containers = schemas.at("io.k8s.api.core.v1.PodSpec").at("properties").at("containers");
  EXPECT_EQ(containers.at("type"), value("array"));
  EXPECT_EQ(containers.at("items"), parse(R"({"$ref":"#/components/schemas/io.k8s.api.core.v1.Container"})"));
  EXPECT_EQ(containers.at("x-kubernetes-patch-merge-key"), value("name"));
  EXPECT_EQ(containers.at("x-kubernetes-patch-strategy"), value("merge"));
  const value& policy = schemas.at("io.k8s.api.core.v1.Container").at("properties").at("imagePullPolicy");
  EXPECT_EQ(policy.at("enum"), parse(R"(["Always","IfNotPresent","Never"])"));
  EXPECT_EQ(schemas.at("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector").at("x-kubernetes-map-type"),
            value("atomic"));
  EXPECT_EQ(
      schemas.at("io.k8s.api.core.v1.PodSpec").at("properties").at("overhead").at("additionalProperties"),
      parse(R"({"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"})"));
  EXPECT_TRUE(schemas.contains("io.k8s.apimachinery.pkg.api.resource.Quantity"));
  EXPECT_TRUE(schemas.contains("io.k8s.apimachinery.pkg.util.intstr.IntOrString"));

  const value& list = schemas.at("io.k8s.api.apps.v1.DeploymentList");
  EXPECT_EQ(list.at("x-kubernetes-group-version-kind"),
            parse(R"([{"group":"apps","kind":"DeploymentList","version":"v1"}])"));
  EXPECT_EQ(list.at("required"), parse(R"(["items"])"));
  EXPECT_EQ(list.at("properties").at("items").at("items").at("$ref"),
            value("#/components/schemas/io.k8s.api.apps.v1.Deployment"));
}

TEST(OpenApiTest, EveryReferenceResolves) {
  value doc = AppsDoc();
  const object& schemas = doc.at("components").at("schemas").as_object();
  int refs = 0;
  std::function<void(const value&)> walk = [&](const value& v) {
    if (v.is_object()) {
      for (const auto& kv : v.as_object()) {
        if (kv.key() == "$ref") {
          ++refs;
          std::string ref(kv.value().as_string());
          const std::string prefix = "#/components/schemas/";
          ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
          EXPECT_TRUE(schemas.contains(ref.substr(prefix.size()))) << ref;
        } else {
          walk(kv.value());
        }
      }
    } else if (v.is_array()) {
      for (const value& e : v.as_array()) walk(e);
    }
  };
  walk(doc);
  EXPECT_GT(refs, 10);
}

TEST(OpenApiTest, UnknownKindsStillGetPathsWithFreeFormSchemas) {
  PathSpec w{"widgets", "Widget", true, {"get", "patch"}, {}};
  value doc = OpenApiV3DocumentValue(testdata::TestRegistry(), "example.com", "v1", {w});
  const value& patch =
      doc.at("paths").at("/apis/example.com/v1/namespaces/{namespace}/widgets/{name}").at("patch");
  EXPECT_TRUE(HasParam(patch, "fieldValidation"));
  EXPECT_EQ(patch.at("operationId"), value("patchExampleComV1NamespacedWidget"));
}

TEST(OpenApiTest, RootListsGroupVersionsWithContentHashes) {
  std::string a = OpenApiV3Document(testdata::TestRegistry(), "apps", "v1", AppsPaths());
  std::string root = OpenApiV3Root({{GroupVersionPath("apps", "v1"), a}, {"api/v1", "{}"}});
  value r = parse(root);
  std::string url(r.at("paths").at("apis/apps/v1").at("serverRelativeURL").as_string());
  EXPECT_EQ(url, "/openapi/v3/apis/apps/v1?hash=" + ContentHash(a));
  EXPECT_THAT(std::string(r.at("paths").at("api/v1").at("serverRelativeURL").as_string()),
              HasSubstr("/openapi/v3/api/v1?hash="));
  EXPECT_EQ(ContentHash("x"), ContentHash("x"));
  EXPECT_NE(ContentHash("x"), ContentHash("y"));
  EXPECT_EQ(ContentHash("x").size(), 32u);
}

TEST(OpenApiTest, BuiltinDocumentForDeploymentsIsExplainable) {
  const SchemaRegistry& reg = BuiltinSchemas();
  ASSERT_NE(reg.FindKind("apps", "v1", "Deployment"), nullptr) << "the apps/v1 schema is missing";
  value doc = parse(OpenApiV3Document("apps", "v1", AppsPaths()));
  const object& schemas = doc.at("components").at("schemas").as_object();
  // kubectl explain deployment.spec.template.spec.containers walks these.
  for (std::string_view name :
       {"io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.DeploymentSpec",
        "io.k8s.api.core.v1.PodTemplateSpec", "io.k8s.api.core.v1.PodSpec", "io.k8s.api.core.v1.Container",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}) {
    EXPECT_TRUE(schemas.contains(name)) << name;
  }
  EXPECT_EQ(schemas.at("io.k8s.api.core.v1.PodSpec")
                .at("properties")
                .at("containers")
                .at("x-kubernetes-patch-merge-key"),
            value("name"));
}

}  // namespace
}  // namespace skiff::api
