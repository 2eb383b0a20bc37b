// PublishedV3/PublishedV2: the kind's definition as kube-apiserver's CRD OpenAPI builder
// publishes it (controller/openapi/builder): x-kubernetes-int-or-string unfolded into anyOf,
// TypeMeta/ObjectMeta properties at the root and in embedded resources, the group-version-kind
// extension; v2 additionally drops junctors, nullable typing, defaults and the structure under
// x-kubernetes-preserve-unknown-fields (kubectl's v2 validation cannot cope with them).
#include <algorithm>

#include "api/structural/structural.h"

namespace skiff::api::structural {
namespace {

constexpr std::string_view kApiVersionDescription =
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert "
    "recognized schemas to the latest internal value, and may reject unrecognized values. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
constexpr std::string_view kKindDescription =
    "Kind is a string value representing the REST resource this object represents. Servers may infer this from "
    "the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
constexpr std::string_view kEmbeddedApiVersionDescription =
    "apiVersion defines the versioned schema of this representation of an object. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
constexpr std::string_view kEmbeddedKindDescription =
    "kind is a string value representing the type of this object. In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
constexpr std::string_view kMetadataDescription =
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

boost::json::object StringProperty(std::string_view description) {
  return {{"description", description}, {"type", "string"}};
}

boost::json::object MetadataRef(bool v2) {
  if (v2) {
    return {{"$ref", "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
            {"description", kMetadataDescription}};
  }
  // kube-openapi v3 wraps a $ref that has siblings in allOf.
  return {{"allOf", boost::json::array{boost::json::object{
                        {"$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}}},
          {"description", kMetadataDescription}};
}

void AddRequired(boost::json::object* o, std::string_view name) {
  boost::json::value& r = (*o)["required"];
  if (!r.is_array()) r = boost::json::array();
  for (const boost::json::value& e : r.get_array()) {
    if (e.is_string() && e.get_string() == name) return;
  }
  r.get_array().emplace_back(name);
}

bool IsIntOrStringPattern(const std::vector<std::shared_ptr<const Schema>>& any_of) {
  return any_of.size() == 2 && any_of[0]->type == "integer" && any_of[1]->type == "string";
}

boost::json::object IntOrStringAnyOf() {
  return {{"anyOf", boost::json::array{boost::json::object{{"type", "integer"}}, boost::json::object{{"type", "string"}}}}};
}

boost::json::value ToJson(const Schema& s, bool v2, bool nested) {
  boost::json::object out = s.source;
  bool drop_structure = false;
  if (v2) {
    out.erase("default");
    if (s.nullable) {
      out.erase("nullable");
      out.erase("type");
      drop_structure = true;
    }
    if (s.preserve_unknown_fields) {
      drop_structure = true;
      if (s.type == "object") out.erase("type");
    }
    if ((!s.items || drop_structure) && s.type == "array") out.erase("type");
  }
  if (!drop_structure) {
    if (!s.properties.empty()) {
      boost::json::object props;
      for (const auto& [name, child] : s.properties) props[name] = ToJson(*child, v2, nested);
      out["properties"] = std::move(props);
    }
    if (s.items) out["items"] = ToJson(*s.items, v2, nested);
  }
  if (s.additional_properties) {
    out["additionalProperties"] = ToJson(*s.additional_properties, v2, nested);
  } else if (s.additional_properties_allowed) {
    out["additionalProperties"] = *s.additional_properties_allowed;
  }
  if (v2) {
    // Required fields that may be null (or every field of a nullable map) are not required in v2.
    if (boost::json::value* req = out.if_contains("required"); req && req->is_array()) {
      boost::json::array kept;
      bool map_nullable = s.additional_properties && s.additional_properties->nullable;
      for (const boost::json::value& r : req->get_array()) {
        const Schema* p = r.is_string() ? s.Property(r.get_string()) : nullptr;
        if (!map_nullable && !(p != nullptr && p->nullable)) kept.push_back(r);
      }
      if (kept.empty()) {
        out.erase("required");
      } else {
        *req = std::move(kept);
      }
    }
  } else {
    auto list = [&](std::string_view key, const std::vector<std::shared_ptr<const Schema>>& schemas) {
      if (schemas.empty()) return;
      boost::json::array a;
      for (const auto& c : schemas) a.push_back(ToJson(*c, v2, true));
      out[key] = std::move(a);
    };
    list("allOf", s.all_of);
    list("anyOf", s.any_of);
    list("oneOf", s.one_of);
    if (s.not_schema) out["not"] = ToJson(*s.not_schema, v2, true);
    // Unfold: x-kubernetes-int-or-string becomes anyOf [integer, string].
    bool all_of_pattern = !s.all_of.empty() && IsIntOrStringPattern(s.all_of[0]->any_of);
    if (s.int_or_string && !nested && !IsIntOrStringPattern(s.any_of) && !all_of_pattern) {
      if (s.any_of.empty()) {
        out["anyOf"] = IntOrStringAnyOf()["anyOf"];
      } else {
        boost::json::array all{IntOrStringAnyOf()};
        if (const boost::json::value* old = out.if_contains("allOf")) {
          for (const boost::json::value& e : old->get_array()) all.push_back(e);
        }
        out["allOf"] = std::move(all);
      }
    }
  }
  if (s.embedded_resource && !(v2 && s.preserve_unknown_fields)) {
    boost::json::value& props = out["properties"];
    if (!props.is_object()) props = boost::json::object();
    props.get_object()["apiVersion"] = StringProperty(kEmbeddedApiVersionDescription);
    props.get_object()["kind"] = StringProperty(kEmbeddedKindDescription);
    props.get_object()["metadata"] = MetadataRef(v2);
    AddRequired(&out, "kind");
    AddRequired(&out, "apiVersion");
  }
  return out;
}

boost::json::value Published(const Schema& schema, std::string_view group, std::string_view version,
                             std::string_view kind, bool v2) {
  boost::json::object out;
  if (v2 && schema.preserve_unknown_fields) {
    out["type"] = "object";
  } else {
    out = ToJson(schema, v2, false).get_object();
    boost::json::value& props = out["properties"];
    if (!props.is_object()) props = boost::json::object();
    props.get_object()["metadata"] = MetadataRef(v2);
    props.get_object()["apiVersion"] = StringProperty(kApiVersionDescription);
    props.get_object()["kind"] = StringProperty(kKindDescription);
  }
  out["x-kubernetes-group-version-kind"] =
      boost::json::array{boost::json::object{{"group", group}, {"kind", kind}, {"version", version}}};
  return out;
}

}  // namespace

boost::json::value PublishedV3(const Schema& schema, std::string_view group, std::string_view version,
                               std::string_view kind) {
  return Published(schema, group, version, kind, /*v2=*/false);
}

boost::json::value PublishedV2(const Schema& schema, std::string_view group, std::string_view version,
                               std::string_view kind) {
  return Published(schema, group, version, kind, /*v2=*/true);
}

}  // namespace skiff::api::structural
