#include "api/defaults.h"

namespace skiff::api {
namespace {

bool IsStringLike(const FieldType& t) {
  return t.kind == FieldType::Kind::kScalar &&
         (t.scalar == ScalarKind::kString || t.scalar == ScalarKind::kTime ||
          t.scalar == ScalarKind::kMicroTime || t.scalar == ScalarKind::kDuration);
}

void DefaultValue(const FieldType& t, boost::json::value& v);

void DefaultStruct(const TypeSchema& type, boost::json::object& obj) {
  for (const FieldSchema& field : type.fields) {
    if (!field.default_value) continue;
    boost::json::value* v = obj.if_contains(field.name);
    bool unset = v == nullptr || v->is_null() ||
                 (IsStringLike(field.type) && v->is_string() && v->get_string().empty());
    if (unset) obj[field.name] = *field.default_value;
  }
  if (ConditionalDefaulter fn = ConditionalDefaulterFor(type.full_name)) fn(obj);
  for (const FieldSchema& field : type.fields) {
    if (field.type.kind == FieldType::Kind::kScalar) continue;
    if (boost::json::value* v = obj.if_contains(field.name)) DefaultValue(field.type, *v);
  }
}

void DefaultValue(const FieldType& t, boost::json::value& v) {
  switch (t.kind) {
    case FieldType::Kind::kScalar:
      return;
    case FieldType::Kind::kStruct:
      if (v.is_object() && t.type != nullptr) DefaultStruct(*t.type, v.get_object());
      return;
    case FieldType::Kind::kList:
      if (v.is_array()) {
        for (boost::json::value& e : v.get_array()) DefaultValue(*t.elem, e);
      }
      return;
    case FieldType::Kind::kMap:
      if (v.is_object()) {
        for (auto& kv : v.get_object()) DefaultValue(*t.elem, kv.value());
      }
      return;
  }
}

}  // namespace

void ApplyDefaults(const TypeSchema& type, boost::json::value& obj) {
  if (obj.is_object()) DefaultStruct(type, obj.get_object());
}

std::string_view DefaultImagePullPolicy(std::string_view image) {
  bool has_digest = false;
  if (size_t at = image.find('@'); at != std::string_view::npos) {
    has_digest = true;
    image = image.substr(0, at);
  }
  size_t slash = image.rfind('/');
  std::string_view last = slash == std::string_view::npos ? image : image.substr(slash + 1);
  std::string_view tag;
  if (size_t colon = last.find(':'); colon != std::string_view::npos) {
    tag = last.substr(colon + 1);
  } else if (!has_digest) {
    tag = "latest";
  }
  return tag == "latest" ? "Always" : "IfNotPresent";
}

}  // namespace skiff::api
