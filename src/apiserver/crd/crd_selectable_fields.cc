#include "apiserver/crd/crd_selectable_fields.h"

#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;
using api::FieldError;

// The schema a simple JSON path (".spec.color") names, and its field names; else the reason, as
// kube's cel.ValidFieldPath words it (array notation not allowed).
struct Resolved {
  const json::value* schema = nullptr;
  std::vector<std::string> fields;
  std::string error;
};

Resolved Resolve(std::string_view json_path, const json::value& root) {
  Resolved out;
  const json::value* schema = &root;
  size_t i = 0;
  while (i < json_path.size()) {
    char c = json_path[i];
    if (c == '[') {
      out.error = "array notation is not allowed";
      return out;
    }
    if (c != '.') {
      size_t end = json_path.find_first_of(".[]", i);
      out.error = absl::StrCat("expected [ or . but got: ", std::string(json_path.substr(i, end - i)));
      return out;
    }
    size_t start = i + 1;
    size_t end = json_path.find_first_of(".[]", start);
    if (end == std::string_view::npos) end = json_path.size();
    if (end == start) {
      out.error = start >= json_path.size() ? "unexpected end of JSON path" : "does not refer to a valid field";
      return out;
    }
    std::string name(json_path.substr(start, end - start));
    const json::value* next = nullptr;
    if (const auto* props = base::FindPath(*schema, {"properties"}); props && props->is_object()) {
      next = props->get_object().if_contains(name);
    } else if (const auto* more = base::FindPath(*schema, {"additionalProperties"}); more && more->is_object()) {
      next = more;
    }
    if (next == nullptr) {
      out.error = "does not refer to a valid field";
      return out;
    }
    out.fields.push_back(std::move(name));
    schema = next;
    i = end;
  }
  out.schema = schema;
  return out;
}

}  // namespace

void ValidateSelectableFields(const json::value& version, const std::string& path, std::vector<FieldError>& errors) {
  const auto* fields = base::FindPath(version, {"selectableFields"});
  if (!fields || !fields->is_array()) return;
  const json::value* schema = base::FindPath(version, {"schema", "openAPIV3Schema"});
  std::string list_path = path + ".selectableFields";
  std::set<std::string> unique;
  const auto& list = fields->get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string field = absl::StrCat(list_path, "[", i, "].jsonPath");
    std::string json_path = base::GetString(list[i], {"jsonPath"});
    if (json_path.empty()) {
      errors.push_back({std::string(api::kFieldValueRequired), field, nullptr, ""});
      continue;
    }
    if (schema == nullptr || !schema->is_object()) {  // the missing schema is reported on its own
      if (!unique.insert(json_path).second) {
        errors.push_back({std::string(api::kFieldValueDuplicate), field, json::string(json_path), ""});
      }
      continue;
    }
    Resolved resolved = Resolve(json_path, *schema);
    if (resolved.schema == nullptr) {
      errors.push_back({std::string(api::kFieldValueInvalid), field, json::string(json_path),
                        absl::StrCat("is an invalid path: ", resolved.error)});
      continue;
    }
    if (!resolved.fields.empty() && resolved.fields.front() == "metadata") {
      errors.push_back({std::string(api::kFieldValueInvalid), field, json::string(json_path),
                        "must not point to fields in metadata"});
    }
    std::string type = base::GetString(*resolved.schema, {"type"});
    if (type != "string" && type != "boolean" && type != "integer") {
      errors.push_back({std::string(api::kFieldValueInvalid), field, json::string(json_path),
                        "must point to a field of type string, boolean or integer. Enum string fields and strings "
                        "with formats are allowed."});
    }
    if (!unique.insert(absl::StrJoin(resolved.fields, ".")).second) {
      errors.push_back({std::string(api::kFieldValueDuplicate), field, json::string(json_path), ""});
    }
  }
  if (unique.size() > kMaxSelectableFields) {
    errors.push_back({std::string(api::kFieldValueTooMany), list_path, static_cast<int64_t>(unique.size()),
                      absl::StrCat("must have at most ", kMaxSelectableFields, " items")});
  }
}

}  // namespace skiff::apiserver::crd
