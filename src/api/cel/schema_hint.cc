#include "api/cel/schema_hint.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace skiff::api::cel {
namespace {

using Kind = TypeHint::Kind;

const boost::json::value* Field(const boost::json::object& o, const char* name) {
  auto it = o.find(name);
  return it == o.end() ? nullptr : &it->value();
}

std::string StringField(const boost::json::object& o, const char* name) {
  const boost::json::value* v = Field(o, name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

bool BoolField(const boost::json::object& o, const char* name) {
  const boost::json::value* v = Field(o, name);
  return v != nullptr && v->is_bool() && v->get_bool();
}

int64_t SizeField(const boost::json::object& o, const char* name) {
  const boost::json::value* v = Field(o, name);
  if (v == nullptr) return -1;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(v->get_uint64(), INT64_MAX));
  return -1;
}

std::shared_ptr<TypeHint> Convert(const boost::json::value& schema);

// The declared fields of an embedded resource, as Kubernetes adds them.
void AddEmbeddedResourceFields(TypeHint& hint) {
  auto str = [] { return TypeHint::Of(Kind::kString); };
  hint.properties.emplace("apiVersion", str());
  hint.properties.emplace("kind", str());
  if (!hint.properties.count("metadata")) {
    auto meta = std::make_shared<TypeHint>();
    meta->kind = Kind::kObject;
    meta->properties.emplace("name", str());
    meta->properties.emplace("generateName", str());
    hint.properties.emplace("metadata", meta);
  }
}

std::shared_ptr<TypeHint> Convert(const boost::json::value& schema) {
  auto hint = std::make_shared<TypeHint>();
  if (!schema.is_object()) return hint;
  const boost::json::object& o = schema.get_object();
  const std::string type = StringField(o, "type");
  const std::string format = StringField(o, "format");
  if (BoolField(o, "x-kubernetes-int-or-string")) {
    hint->kind = Kind::kIntOrString;
  } else if (type == "boolean") {
    hint->kind = Kind::kBool;
  } else if (type == "integer") {
    hint->kind = Kind::kInt;
  } else if (type == "number") {
    hint->kind = Kind::kDouble;
  } else if (type == "string") {
    hint->kind = format == "byte" ? Kind::kBytes
                 : (format == "date-time" || format == "date") ? Kind::kTimestamp
                 : format == "duration" ? Kind::kDuration : Kind::kString;
    hint->max_size = SizeField(o, "maxLength");
    if (const boost::json::value* e = Field(o, "enum"); e != nullptr && e->is_array() && hint->max_size < 0) {
      int64_t longest = 0;
      for (const auto& v : e->get_array()) {
        if (v.is_string()) longest = std::max<int64_t>(longest, static_cast<int64_t>(v.get_string().size()));
      }
      hint->max_size = longest;
    }
  } else if (type == "array") {
    hint->kind = Kind::kList;
    if (const boost::json::value* items = Field(o, "items")) hint->element = Convert(*items);
    hint->max_size = SizeField(o, "maxItems");
  } else if (type == "object" || BoolField(o, "x-kubernetes-embedded-resource")) {
    const boost::json::value* props = Field(o, "properties");
    const boost::json::value* additional = Field(o, "additionalProperties");
    hint->max_size = SizeField(o, "maxProperties");
    if (additional != nullptr && additional->is_object()) {
      hint->kind = Kind::kMap;
      hint->element = Convert(*additional);
    } else if ((props != nullptr && props->is_object()) || BoolField(o, "x-kubernetes-embedded-resource")) {
      hint->kind = Kind::kObject;
      if (props != nullptr && props->is_object()) {
        for (const auto& [name, child] : props->get_object()) hint->properties.emplace(std::string(name), Convert(child));
      }
      hint->preserve_unknown_fields = BoolField(o, "x-kubernetes-preserve-unknown-fields");
      if (BoolField(o, "x-kubernetes-embedded-resource")) AddEmbeddedResourceFields(*hint);
    } else if (!BoolField(o, "x-kubernetes-preserve-unknown-fields")) {
      hint->kind = Kind::kObject;  // an object with no fields: only has() and equality apply
    }
  }
  return hint;
}

}  // namespace

std::shared_ptr<const TypeHint> TypeHintFromSchema(const boost::json::value& schema) { return Convert(schema); }

}  // namespace skiff::api::cel
