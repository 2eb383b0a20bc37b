#include "apiserver/crd/crd_validation.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/name_validation.h"
#include "api/structural/structural.h"
#include "apiserver/crd/crd_names.h"
#include "apiserver/crd/crd_selectable_fields.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::crd {
namespace {

namespace json = boost::json;
using api::FieldError;

FieldError Required(const std::string& field, const std::string& detail = "") {
  return {std::string(api::kFieldValueRequired), field, nullptr, detail};
}
FieldError Invalid(const std::string& field, json::value bad, const std::string& detail) {
  return {std::string(api::kFieldValueInvalid), field, std::move(bad), detail};
}
FieldError NotSupported(const std::string& field, json::value bad, const std::vector<std::string>& allowed) {
  std::vector<std::string> quoted;
  for (const auto& a : allowed) quoted.push_back(absl::StrCat("\"", a, "\""));
  return {std::string(api::kFieldValueNotSupported), field, std::move(bad),
          absl::StrCat("supported values: ", absl::StrJoin(quoted, ", "))};
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void CheckDns1035(const std::string& field, const std::string& value, std::vector<FieldError>& errors) {
  auto problems = api::IsDns1035Label(value);
  if (!problems.empty()) errors.push_back(Invalid(field, json::string(value), absl::StrJoin(problems, ", ")));
}

void ValidateNames(const json::value* names, const std::string& path, std::vector<FieldError>& errors) {
  if (!names || !names->is_object()) {
    errors.push_back(Required(path));
    return;
  }
  std::string plural = base::GetString(*names, {"plural"});
  std::string singular = base::GetString(*names, {"singular"});
  std::string kind = base::GetString(*names, {"kind"});
  std::string list_kind = base::GetString(*names, {"listKind"});
  if (plural.empty()) {
    errors.push_back(Required(path + ".plural"));
  } else {
    CheckDns1035(path + ".plural", plural, errors);
  }
  if (singular.empty()) {
    errors.push_back(Required(path + ".singular"));
  } else {
    CheckDns1035(path + ".singular", singular, errors);
  }
  if (kind.empty()) {
    errors.push_back(Required(path + ".kind"));
  } else if (!api::IsDns1035Label(Lower(kind)).empty()) {
    errors.push_back(Invalid(path + ".kind", json::string(kind),
                             absl::StrJoin(api::IsDns1035Label(Lower(kind)), ", ")));
  }
  if (list_kind.empty()) {
    errors.push_back(Required(path + ".listKind"));
  } else if (!api::IsDns1035Label(Lower(list_kind)).empty()) {
    errors.push_back(Invalid(path + ".listKind", json::string(list_kind),
                             absl::StrJoin(api::IsDns1035Label(Lower(list_kind)), ", ")));
  }
  if (!kind.empty() && kind == list_kind) {
    errors.push_back(Invalid(path + ".listKind", json::string(list_kind),
                             "kind and listKind may not be the same or parsing become ambiguous"));
  }
  for (const char* list : {"shortNames", "categories"}) {
    const auto* items = base::FindPath(*names, {list});
    if (!items || !items->is_array()) continue;
    for (size_t i = 0; i < items->get_array().size(); ++i) {
      const auto& item = items->get_array()[i];
      std::string field = absl::StrCat(path, ".", list, "[", i, "]");
      if (!item.is_string()) {
        errors.push_back(Invalid(field, item, "must be a string"));
      } else {
        CheckDns1035(field, std::string(item.get_string()), errors);
      }
    }
  }
}

void ValidateScale(const json::value& scale, const std::string& path, std::vector<FieldError>& errors) {
  std::string spec = base::GetString(scale, {"specReplicasPath"});
  std::string status = base::GetString(scale, {"statusReplicasPath"});
  if (spec.empty()) {
    errors.push_back(Required(path + ".specReplicasPath"));
  } else if (SplitFieldPath(spec).empty() || !spec.starts_with(".spec.")) {
    errors.push_back(Invalid(path + ".specReplicasPath", json::string(spec), "should be a json path under .spec"));
  }
  if (status.empty()) {
    errors.push_back(Required(path + ".statusReplicasPath"));
  } else if (SplitFieldPath(status).empty() || !status.starts_with(".status.")) {
    errors.push_back(
        Invalid(path + ".statusReplicasPath", json::string(status), "should be a json path under .status"));
  }
  std::string selector = base::GetString(scale, {"labelSelectorPath"});
  if (!selector.empty() && (SplitFieldPath(selector).empty() ||
                            !(selector.starts_with(".spec.") || selector.starts_with(".status.")))) {
    errors.push_back(Invalid(path + ".labelSelectorPath", json::string(selector),
                             "should be a json path under either .spec or .status"));
  }
}

void ValidateColumns(const json::value& columns, const std::string& path, std::vector<FieldError>& errors) {
  if (!columns.is_array()) return;
  for (size_t i = 0; i < columns.get_array().size(); ++i) {
    const auto& c = columns.get_array()[i];
    std::string field = absl::StrCat(path, "[", i, "]");
    if (base::GetString(c, {"name"}).empty()) errors.push_back(Required(field + ".name"));
    std::string type = base::GetString(c, {"type"});
    static const std::vector<std::string> kTypes = {"integer", "number", "string", "boolean", "date"};
    if (type.empty()) {
      errors.push_back(Required(field + ".type"));
    } else if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
      errors.push_back(NotSupported(field + ".type", json::string(type), kTypes));
    }
    if (base::GetString(c, {"jsonPath"}).empty()) errors.push_back(Required(field + ".jsonPath"));
    if (base::GetInt(c, {"priority"}, 0) < 0) {
      errors.push_back(Invalid(field + ".priority", base::GetInt(c, {"priority"}, 0),
                               "must be greater than or equal to 0"));
    }
  }
}

void ValidateVersions(const json::value* versions, std::vector<FieldError>& errors) {
  if (!versions || !versions->is_array() || versions->get_array().empty()) {
    errors.push_back(Required("spec.versions", "must have exactly one version marked as storage version"));
    return;
  }
  int storage = 0;
  bool served = false;
  std::set<std::string> seen;
  const auto& list = versions->get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& v = list[i];
    std::string path = absl::StrCat("spec.versions[", i, "]");
    std::string name = base::GetString(v, {"name"});
    if (name.empty()) {
      errors.push_back(Required(path + ".name"));
    } else {
      CheckDns1035(path + ".name", name, errors);
      if (!seen.insert(name).second) errors.push_back(Invalid("spec.versions", json::string(name), "must be unique"));
    }
    if (base::GetBool(v, {"storage"})) ++storage;
    if (base::GetBool(v, {"served"})) served = true;
    const auto* schema = base::FindPath(v, {"schema", "openAPIV3Schema"});
    if (!schema || !schema->is_object()) {
      errors.push_back(Required(path + ".schema.openAPIV3Schema", "schemas are required"));
    } else {
      // The structural schema rules, with kube's wording.
      const auto* status = base::FindPath(v, {"subresources", "status"});
      auto compiled = api::structural::Compile(*schema, path + ".schema.openAPIV3Schema",
                                               {.status_subresource = status && status->is_object()});
      if (auto* schema_errors = std::get_if<std::vector<FieldError>>(&compiled)) {
        for (auto& e : *schema_errors) errors.push_back(std::move(e));
      }
    }
    if (const auto* scale = base::FindPath(v, {"subresources", "scale"}); scale && scale->is_object()) {
      ValidateScale(*scale, path + ".subresources.scale", errors);
    }
    if (const auto* cols = base::FindPath(v, {"additionalPrinterColumns"})) {
      ValidateColumns(*cols, path + ".additionalPrinterColumns", errors);
    }
    ValidateSelectableFields(v, path, errors);
  }
  if (!served) errors.push_back(Invalid("spec.versions", *versions, "must have at least one served version"));
  if (storage != 1) errors.push_back(Invalid("spec.versions", *versions, "must have exactly one version marked as storage version"));
}

void ValidateConversion(const json::value& crd, std::vector<FieldError>& errors) {
  const auto* conversion = base::FindPath(crd, {"spec", "conversion"});
  if (!conversion || !conversion->is_object()) return;
  std::string strategy = base::GetString(*conversion, {"strategy"});
  if (strategy == "None") {
    if (const auto* w = base::FindPath(*conversion, {"webhook"}); w && !w->is_null()) {
      errors.push_back({std::string(api::kFieldValueForbidden), "spec.conversion.webhook", nullptr,
                        "should not be set when strategy is not set to Webhook"});
    }
    return;
  }
  if (strategy != "Webhook") {
    errors.push_back(NotSupported("spec.conversion.strategy", json::string(strategy), {"None", "Webhook"}));
    return;
  }
  const auto* config = base::FindPath(*conversion, {"webhook", "clientConfig"});
  if (!config || !config->is_object()) {
    errors.push_back(Required("spec.conversion.webhook", "must be set when strategy is set to Webhook"));
    return;
  }
  bool has_url = !base::GetString(*config, {"url"}).empty();
  bool has_service = base::FindPath(*config, {"service"}) != nullptr;
  if (has_url == has_service) {
    errors.push_back(Required("spec.conversion.webhook.clientConfig", "exactly one of url or service is required"));
  }
  const auto* review = base::FindPath(*conversion, {"webhook", "conversionReviewVersions"});
  if (!review || !review->is_array() || review->get_array().empty()) {
    errors.push_back(Required("spec.conversion.webhook.conversionReviewVersions",
                              "must include at least one of v1, v1beta1"));
  }
}

std::string StorageVersion(const json::value& crd) {
  const auto* versions = base::FindPath(crd, {"spec", "versions"});
  if (!versions || !versions->is_array()) return "";
  for (const auto& v : versions->get_array()) {
    if (base::GetBool(v, {"storage"})) return base::GetString(v, {"name"});
  }
  return "";
}

// kube's ValidateCustomResourceDefinitionStoredVersions: the storage version is listed, and every
// listed version is still in spec.versions (drop it from storedVersions, after migrating its
// objects, before removing it from the spec).
void ValidateStoredVersions(const json::value& crd, std::vector<FieldError>& errors) {
  const auto* stored = base::FindPath(crd, {"status", "storedVersions"});
  if (!stored) return;  // DefaultStoredVersions fills it whenever there is a storage version
  if (!stored->is_array() || stored->get_array().empty()) {
    errors.push_back(Invalid("status.storedVersions", *stored, "must have at least one stored version"));
    return;
  }
  std::set<std::string> in_spec;
  if (const auto* versions = base::FindPath(crd, {"spec", "versions"}); versions && versions->is_array()) {
    for (const auto& v : versions->get_array()) in_spec.insert(base::GetString(v, {"name"}));
  }
  std::string storage = StorageVersion(crd);
  bool has_storage = false;
  const auto& list = stored->get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string name = list[i].is_string() ? std::string(list[i].get_string()) : "";
    if (name == storage) has_storage = true;
    if (!in_spec.contains(name)) {
      errors.push_back(Invalid(absl::StrCat("status.storedVersions[", i, "]"), list[i], "must appear in spec.versions"));
    }
  }
  if (!storage.empty() && !has_storage) {
    errors.push_back(Invalid("status.storedVersions", json::string(storage), "must have the storage version " + storage));
  }
}

}  // namespace

void DefaultStoredVersions(json::value& crd, const json::value* old) {
  std::string storage = StorageVersion(crd);
  if (!crd.is_object() || storage.empty()) return;
  json::value& stored = base::EnsureObject(crd, {"status"})["storedVersions"];
  // kube's strategies: a new CRD stores in its storage version; a write that leaves storedVersions
  // as they were (a spec update, a status write about something else) adds a new storage version.
  // A status write that changes the list itself is judged as written.
  const json::value* before = old ? base::FindPath(*old, {"status", "storedVersions"}) : nullptr;
  bool untouched = old ? (before ? stored == *before : stored.is_null()) : !stored.is_array() || stored.get_array().empty();
  if (!untouched) return;
  if (!stored.is_array()) stored = json::array();
  json::value name = json::string(storage);
  auto& list = stored.as_array();
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(std::move(name));
}

void DefaultCrd(json::value& crd) {
  if (!crd.is_object()) return;
  auto& names = base::EnsureObject(crd, {"spec", "names"});
  std::string kind = base::GetString(crd, {"spec", "names", "kind"});
  if (base::GetString(crd, {"spec", "names", "singular"}).empty() && !kind.empty()) names["singular"] = Lower(kind);
  if (base::GetString(crd, {"spec", "names", "listKind"}).empty() && !kind.empty()) names["listKind"] = kind + "List";
  auto& conversion = base::EnsureObject(crd, {"spec", "conversion"});
  if (base::GetString(crd, {"spec", "conversion", "strategy"}).empty()) conversion["strategy"] = "None";
  auto& spec = base::EnsureObject(crd, {"spec"});
  if (auto* versions = spec.if_contains("versions"); versions && versions->is_array()) {
    for (auto& v : versions->as_array()) {
      if (!v.is_object()) continue;
      auto& cols = v.as_object();
      if (auto* c = cols.if_contains("additionalPrinterColumns"); c && c->is_array()) {
        for (auto& col : c->as_array()) {
          if (col.is_object() && !col.as_object().contains("priority")) col.as_object()["priority"] = 0;
        }
      }
    }
  }
}

std::vector<FieldError> ValidateCrd(const json::value& crd, const json::value* old) {
  std::vector<FieldError> errors;
  std::string name = base::GetString(crd, {"metadata", "name"});
  std::string group = base::GetString(crd, {"spec", "group"});
  std::string plural = base::GetString(crd, {"spec", "names", "plural"});
  if (name != plural + "." + group) {
    errors.push_back(Invalid("metadata.name", json::string(name), "must be spec.names.plural+\".\"+spec.group"));
  }
  if (group.empty()) {
    errors.push_back(Required("spec.group"));
  } else if (auto problems = api::IsDns1123Subdomain(group); !problems.empty()) {
    errors.push_back(Invalid("spec.group", json::string(group), absl::StrJoin(problems, ", ")));
  } else if (group.find('.') == std::string::npos) {
    errors.push_back(Invalid("spec.group", json::string(group), "should be a domain with at least one dot"));
  }
  std::string scope = base::GetString(crd, {"spec", "scope"});
  if (scope.empty()) {
    errors.push_back(Required("spec.scope"));
  } else if (scope != "Namespaced" && scope != "Cluster") {
    errors.push_back(NotSupported("spec.scope", json::string(scope), {"Cluster", "Namespaced"}));
  } else if (old && base::GetString(*old, {"spec", "scope"}) != scope) {
    errors.push_back(Invalid("spec.scope", json::string(scope), "field is immutable"));
  }
  ValidateNames(base::FindPath(crd, {"spec", "names"}), "spec.names", errors);
  ValidateVersions(base::FindPath(crd, {"spec", "versions"}), errors);
  ValidateConversion(crd, errors);
  ValidateStoredVersions(crd, errors);
  if (base::GetBool(crd, {"spec", "preserveUnknownFields"})) {
    errors.push_back(Invalid("spec.preserveUnknownFields", true, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"));
  }
  return errors;
}

}  // namespace skiff::apiserver::crd
