#include "api/openapi_schemas.h"

#include "api/schema_strings.h"
#include "boost/json/array.hpp"

namespace skiff::api::openapi_internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using schema_internal::Cat;

array GvkArray(const std::vector<GroupVersionKind>& kinds) {
  array out;
  for (const GroupVersionKind& gvk : kinds) {
    out.push_back(object{{"group", gvk.group}, {"kind", gvk.kind}, {"version", gvk.version}});
  }
  return out;
}

}  // namespace

std::string RefTo(std::string_view component) { return Cat("#/components/schemas/", component); }

void ComponentsBuilder::AddScalarComponent(std::string_view name, std::string_view type,
                                           std::string_view format, std::string_view description) {
  if (schemas_.contains(name)) return;
  object s{{"description", description}, {"type", type}};
  if (!format.empty()) s["format"] = format;
  schemas_[name] = std::move(s);
}

value ComponentsBuilder::TypeRef(const FieldType& type) {
  switch (type.kind) {
    case FieldType::Kind::kStruct:
      if (type.type == nullptr) return object{{"type", "object"}};
      pending_.push_back(type.type);
      return object{{"$ref", RefTo(type.type->full_name)}};
    case FieldType::Kind::kList:
      return object{{"type", "array"}, {"items", TypeRef(*type.elem)}};
    case FieldType::Kind::kMap:
      return object{{"type", "object"}, {"additionalProperties", TypeRef(*type.elem)}};
    case FieldType::Kind::kScalar:
      break;
  }
  switch (type.scalar) {
    case ScalarKind::kString:
    case ScalarKind::kDuration:
      return object{{"type", "string"}};
    case ScalarKind::kInt32:
      return object{{"type", "integer"}, {"format", "int32"}};
    case ScalarKind::kInt64:
      return object{{"type", "integer"}, {"format", "int64"}};
    case ScalarKind::kBool:
      return object{{"type", "boolean"}};
    case ScalarKind::kNumber:
      return object{{"type", "number"}, {"format", "double"}};
    case ScalarKind::kBytes:
      return object{{"type", "string"}, {"format", "byte"}};
    case ScalarKind::kAny:
      return object{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    case ScalarKind::kTime: {
      std::string name = Cat(kMetaPackage, ".Time");
      AddScalarComponent(name, "string", "date-time", "A point in time, RFC 3339 in UTC, to the second.");
      return object{{"$ref", RefTo(name)}};
    }
    case ScalarKind::kMicroTime: {
      std::string name = Cat(kMetaPackage, ".MicroTime");
      AddScalarComponent(name, "string", "date-time", "A point in time with microsecond precision.");
      return object{{"$ref", RefTo(name)}};
    }
    case ScalarKind::kQuantity: {
      std::string name = "io.k8s.apimachinery.pkg.api.resource.Quantity";
      AddScalarComponent(name, "string", "",
                         "A fixed-point amount such as 100m, 1.5, 2Gi or 500Mi (resource.Quantity).");
      return object{{"$ref", RefTo(name)}};
    }
    case ScalarKind::kIntOrString: {
      std::string name = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
      AddScalarComponent(name, "string", "int-or-string", "Either an integer or a string.");
      return object{{"$ref", RefTo(name)}};
    }
  }
  return object{};
}

value ComponentsBuilder::FieldToSchema(const FieldSchema& field) {
  value base = TypeRef(field.type);
  object s;
  if (base.as_object().contains("$ref")) {
    // OpenAPI 3.0 ignores siblings of $ref, so Kubernetes wraps references in allOf.
    s["allOf"] = array{base};
  } else {
    s = std::move(base.as_object());
  }
  if (!field.description.empty()) s["description"] = field.description;
  if (field.default_value) s["default"] = *field.default_value;
  if (!field.enum_values.empty()) {
    array e;
    for (const std::string& v : field.enum_values) e.push_back(value(v));
    if (field.type.kind == FieldType::Kind::kList && s.contains("items") && s["items"].is_object()) {
      s["items"].as_object()["enum"] = std::move(e);
    } else {
      s["enum"] = std::move(e);
    }
  }
  if (!field.format.empty()) s["format"] = field.format;
  if (field.merge_key && !field.merge_key->empty()) {
    s["x-kubernetes-patch-merge-key"] = *field.merge_key;
  }
  if (field.merge_key || field.retain_keys) {
    std::string strategy;
    if (field.merge_key) strategy = "merge";
    if (field.retain_keys) strategy += strategy.empty() ? "retainKeys" : ",retainKeys";
    s["x-kubernetes-patch-strategy"] = strategy;
  }
  if (!field.list_type.empty()) s["x-kubernetes-list-type"] = field.list_type;
  if (!field.list_map_keys.empty()) {
    array keys;
    for (const std::string& k : field.list_map_keys) keys.push_back(value(k));
    s["x-kubernetes-list-map-keys"] = std::move(keys);
  }
  if (!field.map_type.empty()) s["x-kubernetes-map-type"] = field.map_type;
  return s;
}

object ComponentsBuilder::TypeToSchema(const TypeSchema& type) {
  object s;
  if (!type.description.empty()) s["description"] = type.description;
  s["type"] = "object";
  object properties;
  array required;
  for (const FieldSchema& field : type.fields) {
    properties[field.name] = FieldToSchema(field);
    if (field.required) required.push_back(value(field.name));
  }
  if (!properties.empty()) s["properties"] = std::move(properties);
  if (!required.empty()) s["required"] = std::move(required);
  if (!type.kinds.empty()) s["x-kubernetes-group-version-kind"] = GvkArray(type.kinds);
  if (!type.map_type.empty()) s["x-kubernetes-map-type"] = type.map_type;
  return s;
}

std::string ComponentsBuilder::AddType(const TypeSchema& root) {
  pending_.push_back(&root);
  while (!pending_.empty()) {
    const TypeSchema* type = pending_.back();
    pending_.pop_back();
    if (schemas_.contains(type->full_name)) continue;
    schemas_[type->full_name] = object{};  // reserve: breaks reference cycles
    schemas_[type->full_name] = TypeToSchema(*type);
  }
  return root.full_name;
}

std::string ComponentsBuilder::AddList(const TypeSchema& item_type, const GroupVersionKind& gvk) {
  GroupVersionKind list_gvk{gvk.group, gvk.version, gvk.kind + "List"};
  std::string name = Cat(item_type.package, ".", list_gvk.kind);
  if (const TypeSchema* defined = registry_.FindType(name)) {
    AddType(*defined);
    object& s = schemas_[name].as_object();
    if (!s.contains("x-kubernetes-group-version-kind")) {
      s["x-kubernetes-group-version-kind"] = GvkArray({list_gvk});
    }
    return name;
  }
  if (schemas_.contains(name)) return name;
  std::string item = AddType(item_type);
  std::string list_meta = AddMeta("ListMeta");
  object properties{
      {"apiVersion", object{{"description", "Versioned schema of this object."}, {"type", "string"}}},
      {"items", object{{"description", Cat("List of ", gvk.kind, " objects.")},
                       {"type", "array"},
                       {"items", object{{"$ref", RefTo(item)}}}}},
      {"kind", object{{"description", "Kind of this object, in CamelCase."}, {"type", "string"}}},
      {"metadata", object{{"allOf", array{object{{"$ref", RefTo(list_meta)}}}},
                          {"description", "Standard list metadata."}}},
  };
  schemas_[name] = object{
      {"description", Cat(list_gvk.kind, " is a list of ", gvk.kind, " objects.")},
      {"type", "object"},
      {"properties", std::move(properties)},
      {"required", array{"items"}},
      {"x-kubernetes-group-version-kind", GvkArray({list_gvk})},
  };
  return name;
}

std::string ComponentsBuilder::AddMeta(std::string_view name) {
  std::string full = Cat(kMetaPackage, ".", name);
  if (const TypeSchema* t = registry_.FindType(full)) return AddType(*t);
  if (!schemas_.contains(full)) {
    schemas_[full] = object{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  }
  return full;
}

}  // namespace skiff::api::openapi_internal
