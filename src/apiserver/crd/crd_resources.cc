#include "apiserver/crd/crd_resources.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <tuple>

#include "api/structural/structural.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

// v<major>[(alpha|beta)<minor>]: {matched, major, stage (2 GA, 1 beta, 0 alpha), minor}.
std::tuple<bool, int, int, int> ParseKubeVersion(std::string_view v) {
  if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1]))) return {false, 0, 0, 0};
  size_t i = 1;
  int major = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) major = major * 10 + (v[i++] - '0');
  if (major == 0 || v[1] == '0') return {false, 0, 0, 0};
  if (i == v.size()) return {true, major, 2, 0};
  int stage;
  std::string_view rest = v.substr(i);
  if (rest.starts_with("alpha")) {
    stage = 0;
    rest.remove_prefix(5);
  } else if (rest.starts_with("beta")) {
    stage = 1;
    rest.remove_prefix(4);
  } else {
    return {false, 0, 0, 0};
  }
  if (rest.empty() || rest[0] == '0') return {false, 0, 0, 0};
  int minor = 0;
  for (char c : rest) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return {false, 0, 0, 0};
    minor = minor * 10 + (c - '0');
  }
  return {true, major, stage, minor};
}

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& s : v->get_array()) {
    if (s.is_string()) out.emplace_back(s.get_string());
  }
  return out;
}

// Whether any node of a schema (as written) declares a `default`.
bool DeclaresDefault(const json::value& schema, int depth = 0) {
  if (depth > api::structural::kMaxDepth * 2) return false;
  if (schema.is_array()) {
    for (const auto& v : schema.get_array()) {
      if (DeclaresDefault(v, depth + 1)) return true;
    }
    return false;
  }
  if (!schema.is_object()) return false;
  for (const auto& [key, value] : schema.get_object()) {
    // `default` as a keyword, not a property named "default" (under properties it is a schema).
    if (key == "default" && !value.is_null()) return true;
    if (key == "enum" || key == "example" || key == "x-kubernetes-validations") continue;
    if (key == "properties" && value.is_object()) {
      for (const auto& [name, prop] : value.get_object()) {
        if (DeclaresDefault(prop, depth + 1)) return true;
      }
      continue;
    }
    if ((value.is_object() || value.is_array()) && DeclaresDefault(value, depth + 1)) return true;
  }
  return false;
}

// selectableFields[].jsonPath as field-selector names (".spec.color" -> "spec.color").
std::vector<std::string> SelectableFields(const json::value& version) {
  std::vector<std::string> out;
  const auto* fields = base::FindPath(version, {"selectableFields"});
  if (!fields || !fields->is_array()) return out;
  for (const auto& f : fields->get_array()) {
    std::string path = base::GetString(f, {"jsonPath"});
    if (path.size() > 1 && path.front() == '.') out.push_back(path.substr(1));
  }
  return out;
}

std::string DefaultDescription(const std::string& json_path) {
  return "Custom resource definition column (in JSONPath format): " + json_path;
}

std::vector<api::PrinterColumn> Columns(const json::value& version) {
  std::vector<api::PrinterColumn> out;
  const auto* cols = base::FindPath(version, {"additionalPrinterColumns"});
  if (!cols || !cols->is_array() || cols->get_array().empty()) {
    // kube's default columns: Name, then Age.
    out.push_back({"Age", "date", "", DefaultDescription(".metadata.creationTimestamp"), 0,
                   ".metadata.creationTimestamp"});
    return out;
  }
  for (const auto& c : cols->get_array()) {
    api::PrinterColumn col;
    col.name = base::GetString(c, {"name"});
    col.type = base::GetString(c, {"type"});
    col.format = base::GetString(c, {"format"});
    col.description = base::GetString(c, {"description"});
    col.priority = static_cast<int>(base::GetInt(c, {"priority"}, 0));
    col.json_path = base::GetString(c, {"jsonPath"});
    if (col.description.empty()) col.description = DefaultDescription(col.json_path);
    out.push_back(std::move(col));
  }
  return out;
}

}  // namespace

bool VersionBefore(std::string_view a, std::string_view b) {
  auto [ka, major_a, stage_a, minor_a] = ParseKubeVersion(a);
  auto [kb, major_b, stage_b, minor_b] = ParseKubeVersion(b);
  if (ka != kb) return ka;
  if (!ka) return a < b;
  if (stage_a != stage_b) return stage_a > stage_b;
  if (major_a != major_b) return major_a > major_b;
  return minor_a > minor_b;
}

std::vector<api::ResourceInfo> ServedResources(const json::value& crd) {
  std::vector<api::ResourceInfo> out;
  const json::value* names = base::FindPath(crd, {"status", "acceptedNames"});
  if (!names || base::GetString(*names, {"plural"}).empty() || base::GetString(*names, {"kind"}).empty()) {
    names = base::FindPath(crd, {"spec", "names"});
  }
  const auto* versions = base::FindPath(crd, {"spec", "versions"});
  if (!names || !versions || !versions->is_array()) return out;
  std::string group = base::GetString(crd, {"spec", "group"});
  std::string storage_version;
  for (const auto& v : versions->get_array()) {
    if (base::GetBool(v, {"storage"})) storage_version = base::GetString(v, {"name"});
  }
  for (const auto& v : versions->get_array()) {
    if (!base::GetBool(v, {"served"})) continue;
    api::ResourceInfo r;
    r.group = group;
    r.version = base::GetString(v, {"name"});
    r.kind = base::GetString(*names, {"kind"});
    r.plural = base::GetString(*names, {"plural"});
    r.singular = base::GetString(*names, {"singular"});
    if (r.singular.empty()) {
      r.singular = r.kind;
      std::transform(r.singular.begin(), r.singular.end(), r.singular.begin(),
                     [](unsigned char c) { return std::tolower(c); });
    }
    r.namespaced = base::GetString(crd, {"spec", "scope"}) != "Cluster";
    r.short_names = Strings(base::FindPath(*names, {"shortNames"}));
    r.categories = Strings(base::FindPath(*names, {"categories"}));
    r.verbs = kAllVerbs;
    auto custom = std::make_shared<api::CustomResourceInfo>();
    custom->crd_name = base::GetString(crd, {"metadata", "name"});
    custom->storage_version = storage_version;
    custom->list_kind = base::GetString(*names, {"listKind"});
    if (const auto* conversion = base::FindPath(crd, {"spec", "conversion"})) custom->conversion = *conversion;
    const auto* stored_versions = base::FindPath(crd, {"status", "storedVersions"});
    custom->single_stored_version = stored_versions && stored_versions->is_array() &&
                                    stored_versions->get_array().size() == 1 &&
                                    stored_versions->get_array()[0] == json::value(storage_version);
    custom->terminating = base::FindPath(crd, {"metadata", "deletionTimestamp"}) != nullptr;
    custom->printer_columns = Columns(v);
    custom->selectable_fields = SelectableFields(v);
    const std::vector<std::string> kStatusVerbs = {"get", "patch", "update"};
    const auto* st = base::FindPath(v, {"subresources", "status"});
    if (const auto* schema = base::FindPath(v, {"schema", "openAPIV3Schema"})) {
      custom->schema = *schema;
      auto compiled = api::structural::Compile(*schema, "", {.status_subresource = st && st->is_object()});
      if (auto* tree = std::get_if<std::shared_ptr<const api::structural::Schema>>(&compiled)) {
        custom->structural = *tree;
        custom->patch_meta = api::structural::PatchMetaFor(*tree);
        custom->defaults_on_read = DeclaresDefault(*schema);
      }
    }
    if (st && st->is_object()) {
      r.has_status = true;
      r.subresources.push_back({"status", {r.group, r.version, r.kind}, kStatusVerbs});
    }
    if (const auto* scale = base::FindPath(v, {"subresources", "scale"}); scale && scale->is_object()) {
      custom->spec_replicas_path = base::GetString(*scale, {"specReplicasPath"});
      custom->status_replicas_path = base::GetString(*scale, {"statusReplicasPath"});
      custom->label_selector_path = base::GetString(*scale, {"labelSelectorPath"});
      r.subresources.push_back({"scale", {"autoscaling", "v1", "Scale"}, kStatusVerbs});
    }
    r.custom = std::move(custom);
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(), [](const api::ResourceInfo& a, const api::ResourceInfo& b) {
    return VersionBefore(a.version, b.version);
  });
  return out;
}

}  // namespace skiff::apiserver::crd
