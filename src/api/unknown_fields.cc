#include "api/unknown_fields.h"

#include <type_traits>

#include "api/schema_strings.h"

namespace skiff::api {
namespace {

using namespace schema_internal;  // NOLINT: small local helpers

// One walker for both uses: Value is `const boost::json::value` (find) or `boost::json::value`
// (prune), so finding never copies the object.
template <typename Value>
void WalkType(const FieldType& t, Value& v, const std::string& path, std::vector<std::string>& out);

template <typename Object>
void WalkStruct(const TypeSchema& type, Object& obj, const std::string& path, std::vector<std::string>& out) {
  constexpr bool kPrune = !std::is_const_v<Object>;
  if (type.fields.empty()) return;  // an open object
  for (auto it = obj.begin(); it != obj.end();) {
    std::string_view key = it->key();
    std::string child = path.empty() ? std::string(key) : Cat(path, ".", key);
    const FieldSchema* field = type.Field(key);
    if (field == nullptr) {
      if (!key.empty() && key.front() == '$') {
        ++it;
        continue;
      }
      out.push_back(Cat("unknown field \"", child, "\""));
      if constexpr (kPrune) {
        it = obj.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    WalkType(field->type, it->value(), child, out);
    ++it;
  }
}

template <typename Value>
void WalkType(const FieldType& t, Value& v, const std::string& path, std::vector<std::string>& out) {
  switch (t.kind) {
    case FieldType::Kind::kScalar:
      return;
    case FieldType::Kind::kStruct:
      if (v.is_object() && t.type != nullptr) WalkStruct(*t.type, v.get_object(), path, out);
      return;
    case FieldType::Kind::kList:
      if (!v.is_array()) return;
      for (size_t i = 0; i < v.get_array().size(); ++i) {
        WalkType(*t.elem, v.get_array()[i], Cat(path, "[", i, "]"), out);
      }
      return;
    case FieldType::Kind::kMap:
      if (!v.is_object()) return;
      for (auto& kv : v.get_object()) {
        WalkType(*t.elem, kv.value(), Cat(path, "[", std::string_view(kv.key()), "]"), out);
      }
      return;
  }
}

}  // namespace

std::vector<std::string> FindUnknownFields(const TypeSchema& type, const boost::json::value& obj) {
  std::vector<std::string> out;
  if (!obj.is_object()) return out;
  WalkStruct(type, obj.get_object(), "", out);
  return out;
}

std::vector<std::string> PruneUnknownFields(const TypeSchema& type, boost::json::value& obj) {
  std::vector<std::string> out;
  if (obj.is_object()) WalkStruct(type, obj.get_object(), "", out);
  return out;
}

}  // namespace skiff::api
