#include "api/service_rules.h"

#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/name_validation.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

FieldError Error(std::string_view type, std::string field, json::value bad, std::string detail) {
  return {std::string(type), std::move(field), std::move(bad), std::move(detail)};
}

}  // namespace

std::vector<std::string> IsIanaServiceName(std::string_view name) {
  std::vector<std::string> errs;
  if (name.size() > 15) errs.push_back(MaxLenError(15));
  bool letter = false, charset = true;
  for (char c : name) {
    if (c >= 'a' && c <= 'z') letter = true;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) charset = false;
  }
  if (!charset) errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (name.find("--") != std::string_view::npos) errs.push_back("must not contain consecutive hyphens");
  if (!letter) errs.push_back("must contain at least one letter (a-z)");
  if (!name.empty() && (name.front() == '-' || name.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

std::vector<FieldError> ValidateServiceRules(const json::value& svc) {
  std::vector<FieldError> errors;
  std::string type = base::GetString(svc, {"spec", "type"}, "ClusterIP");
  bool headless = base::GetString(svc, {"spec", "clusterIP"}) == "None";
  const auto* ports = base::FindPath(svc, {"spec", "ports"});
  size_t count = ports && ports->is_array() ? ports->get_array().size() : 0;
  if (type == "ExternalName") {
    std::string external = base::GetString(svc, {"spec", "externalName"});
    if (external.empty()) {
      errors.push_back(Error(kFieldValueRequired, "spec.externalName", nullptr, ""));
    } else if (auto errs = IsDns1123Subdomain(external.back() == '.' ? external.substr(0, external.size() - 1)
                                                                     : external);
               !errs.empty()) {
      errors.push_back(
          Error(kFieldValueInvalid, "spec.externalName", json::string(external), absl::StrJoin(errs, "; ")));
    }
  } else if (count == 0 && !headless) {
    errors.push_back(Error(kFieldValueRequired, "spec.ports", nullptr, ""));
  }
  std::set<std::string> names;
  std::set<std::pair<int64_t, std::string>> numbers;
  for (size_t i = 0; i < count; ++i) {
    const auto& p = ports->get_array()[i];
    if (!p.is_object()) continue;
    std::string at = absl::StrCat("spec.ports[", i, "]");
    std::string name = base::GetString(p, {"name"});
    if (name.empty()) {
      if (count > 1) errors.push_back(Error(kFieldValueRequired, at + ".name", nullptr, ""));
    } else if (auto errs = IsDns1123Label(name); !errs.empty()) {
      errors.push_back(
          Error(kFieldValueInvalid, at + ".name", json::string(name), absl::StrJoin(errs, "; ")));
    } else if (!names.insert(name).second) {
      errors.push_back(Error(kFieldValueDuplicate, at + ".name", json::string(name), ""));
    }
    int64_t port = base::GetInt(p, {"port"});
    std::string protocol = base::GetString(p, {"protocol"}, "TCP");
    if (!numbers.insert({port, protocol}).second) {
      errors.push_back(
          Error(kFieldValueDuplicate, at, json::object{{"port", port}, {"protocol", protocol}}, ""));
    }
    if (const auto* target = p.as_object().if_contains("targetPort")) {
      if (target->is_int64() || target->is_uint64()) {
        int64_t n = target->is_int64() ? target->as_int64() : static_cast<int64_t>(target->as_uint64());
        if (n < 1 || n > 65535) {
          errors.push_back(
              Error(kFieldValueInvalid, at + ".targetPort", n, "must be between 1 and 65535, inclusive"));
        }
      } else if (target->is_string()) {
        std::string named(target->get_string());
        if (auto errs = IsIanaServiceName(named); !errs.empty()) {
          errors.push_back(
              Error(kFieldValueInvalid, at + ".targetPort", json::string(named), absl::StrJoin(errs, "; ")));
        }
      }
    }
  }
  if (base::FindPath(svc, {"spec", "sessionAffinityConfig"}) &&
      base::GetString(svc, {"spec", "sessionAffinity"}, "None") != "ClientIP") {
    errors.push_back(Error(kFieldValueInvalid, "spec.sessionAffinityConfig", nullptr,
                           "must not be set when `sessionAffinity` is None"));
  }
  return errors;
}

}  // namespace skiff::api
