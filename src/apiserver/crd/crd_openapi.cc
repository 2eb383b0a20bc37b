#include "apiserver/crd/crd_openapi.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/schema.h"
#include "api/structural/structural.h"
#include "api/openapi.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;

// kube's component name of a custom kind: the group reversed, then version and kind
// ("stable.example.com" v1 CronTab -> "com.example.stable.v1.CronTab").
std::string ComponentName(const std::string& group, const std::string& version, const std::string& kind) {
  std::vector<std::string> parts = absl::StrSplit(group, '.');
  std::reverse(parts.begin(), parts.end());
  return absl::StrCat(absl::StrJoin(parts, "."), ".", version, ".", kind);
}

json::value KindSchema(const api::ResourceInfo& r) {
  if (r.custom && r.custom->structural) {
    return api::structural::PublishedV3(*r.custom->structural, r.group, r.version, r.kind);
  }
  json::object schema;
  if (r.custom && r.custom->schema.is_object()) schema = r.custom->schema.get_object();
  if (!schema.contains("type")) schema["type"] = "object";
  json::value& props = schema["properties"];
  if (!props.is_object()) props = json::object();
  auto& p = props.as_object();
  p["apiVersion"] = json::object{
      {"type", "string"},
      {"description", "APIVersion defines the versioned schema of this representation of an object."}};
  p["kind"] = json::object{{"type", "string"},
                           {"description", "Kind is a string value representing the REST resource this object represents."}};
  p["metadata"] = json::object{{"type", "object"}, {"description", "Standard object's metadata."}};
  schema["x-kubernetes-group-version-kind"] =
      json::array{json::object{{"group", r.group}, {"kind", r.kind}, {"version", r.version}}};
  return schema;
}

// Custom resources take JSON, merge and apply patches; strategic merge patches are refused (415).
void DropStrategicMergePatch(json::value& doc) {
  auto* paths = doc.is_object() ? doc.as_object().if_contains("paths") : nullptr;
  if (!paths || !paths->is_object()) return;
  for (auto& [path, item] : paths->as_object()) {
    if (!item.is_object()) continue;
    auto* patch = item.as_object().if_contains("patch");
    if (!patch || !patch->is_object()) continue;
    if (auto* content = patch->as_object().if_contains("requestBody"); content && content->is_object()) {
      if (auto* types = content->as_object().if_contains("content"); types && types->is_object()) {
        types->as_object().erase("application/strategic-merge-patch+json");
      }
    }
  }
}

// kube's list definition of a custom kind (controller/openapi/builder's listSchema).
json::object ListSchemaV2(const api::ResourceInfo& r, const std::string& item_definition) {
  json::object props;
  props["apiVersion"] = json::object{
      {"description",
       "APIVersion defines the versioned schema of this representation of an object. Servers should convert "
       "recognized schemas to the latest internal value, and may reject unrecognized values. More info: "
       "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"},
      {"type", "string"}};
  props["items"] = json::object{
      {"description", absl::StrCat("List of ", r.plural, ". More info: https://git.k8s.io/community/contributors/devel/"
                                                         "sig-architecture/api-conventions.md")},
      {"type", "array"},
      {"items", json::object{{"$ref", absl::StrCat("#/definitions/", item_definition)}}}};
  props["kind"] = json::object{
      {"description",
       "Kind is a string value representing the REST resource this object represents. Servers may infer this from "
       "the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
       "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"},
      {"type", "string"}};
  props["metadata"] = json::object{
      {"description",
       "Standard list metadata. More info: "
       "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"},
      {"$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"}};
  return json::object{
      {"description", absl::StrCat(r.kind, "List is a list of ", r.kind)},
      {"type", "object"},
      {"required", json::array{"items"}},
      {"properties", std::move(props)},
      {"x-kubernetes-group-version-kind",
       json::array{json::object{{"group", r.group}, {"kind", r.ListKind()}, {"version", r.version}}}}};
}

}  // namespace

json::object CustomResourceDefinitionsV2(const std::vector<const api::ResourceInfo*>& resources) {
  json::object out;
  for (const auto* r : resources) {
    if (!r->custom || !r->custom->structural) continue;
    std::string name = ComponentName(r->group, r->version, r->kind);
    out[name] = api::structural::PublishedV2(*r->custom->structural, r->group, r->version, r->kind);
    out[name + "List"] = ListSchemaV2(*r, name);
  }
  return out;
}

std::string CustomResourceOpenApiV3(const std::string& group, const std::string& version,
                                    const std::vector<const api::ResourceInfo*>& resources) {
  std::vector<api::PathSpec> paths;
  for (const auto* r : resources) {
    api::PathSpec p{r->plural, r->kind, r->namespaced, r->verbs, {}};
    for (const auto& s : r->subresources) {
      p.subresources.push_back({s.name, s.response_kind.group, s.response_kind.version, s.response_kind.kind, s.verbs});
    }
    paths.push_back(std::move(p));
  }
  json::value doc = api::OpenApiV3DocumentValue(api::BuiltinSchemas(), group, version, paths);
  DropStrategicMergePatch(doc);
  json::object& schemas = base::EnsureObject(doc, {"components", "schemas"});
  for (const auto* r : resources) schemas[ComponentName(group, version, r->kind)] = KindSchema(*r);
  return base::ToJson(doc);
}

}  // namespace skiff::apiserver::crd
