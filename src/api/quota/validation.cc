#include "api/quota/validation.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/quota/resource_list.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::quota {
namespace {

namespace json = boost::json;

FieldError Invalid(std::string field, json::value bad, std::string detail) {
  return FieldError{std::string(kFieldValueInvalid), std::move(field), std::move(bad), std::move(detail)};
}
FieldError Invalid(std::string field, const std::string& quantity, std::string detail) {
  return Invalid(std::move(field), json::value(json::string(quantity)), std::move(detail));
}

// Names whose quantities count objects (Kubernetes' IsIntegerResourceName).
bool IsIntegerResource(const std::string& name) {
  static const std::set<std::string, std::less<>> kIntegers = {"pods",
                                                               "services",
                                                               "replicationcontrollers",
                                                               "resourcequotas",
                                                               "secrets",
                                                               "configmaps",
                                                               "persistentvolumeclaims",
                                                               "services.nodeports",
                                                               "services.loadbalancers"};
  return kIntegers.count(name) > 0 || name.rfind("count/", 0) == 0;
}

void CheckQuantities(const json::value* list, const std::string& path, bool integers,
                     std::vector<FieldError>* out) {
  if (!list || !list->is_object()) return;
  for (const auto& [key, value] : list->get_object()) {
    auto q = Quantity::FromJson(value);
    if (!q.ok()) continue;  // the schema reports unparsable quantities
    std::string name(key);
    std::string field = absl::StrCat(path, "[", name, "]");
    if (q->Sign() < 0) {
      out->push_back(Invalid(field, q->String(), "must be greater than or equal to 0"));
    } else if (integers && IsIntegerResource(name) && q->MilliValue() % 1000 != 0) {
      out->push_back(Invalid(field, q->String(), "must be an integer"));
    }
  }
}

}  // namespace

std::vector<FieldError> ValidateResourceQuota(const json::value& quota) {
  std::vector<FieldError> out;
  CheckQuantities(base::FindPath(quota, {"spec", "hard"}), "spec.hard", true, &out);
  const auto* scopes = base::FindPath(quota, {"spec", "scopes"});
  if (scopes && scopes->is_array()) {
    static const std::set<std::string, std::less<>> kScopes = {"Terminating",   "NotTerminating",
                                                               "BestEffort",    "NotBestEffort",
                                                               "PriorityClass", "CrossNamespacePodAffinity"};
    std::set<std::string, std::less<>> seen;
    for (const auto& s : scopes->get_array()) {
      std::string scope = s.is_string() ? std::string(s.get_string()) : "";
      if (!kScopes.count(scope)) out.push_back(Invalid("spec.scopes", *scopes, "unsupported scope"));
      seen.insert(scope);
    }
    if ((seen.count("Terminating") && seen.count("NotTerminating")) ||
        (seen.count("BestEffort") && seen.count("NotBestEffort"))) {
      out.push_back(Invalid("spec.scopes", *scopes, "conflicting scopes"));
    }
  }
  return out;
}

std::vector<FieldError> ValidateLimitRange(const json::value& limit_range) {
  std::vector<FieldError> out;
  const auto* items = base::FindPath(limit_range, {"spec", "limits"});
  if (!items || !items->is_array()) return out;
  for (size_t i = 0; i < items->get_array().size(); ++i) {
    const json::value& item = items->get_array()[i];
    std::string path = absl::StrCat("spec.limits[", i, "]");
    std::string type = base::GetString(item, {"type"});
    for (const char* field : {"max", "min", "default", "defaultRequest", "maxLimitRequestRatio"}) {
      CheckQuantities(base::Find(item, field), absl::StrCat(path, ".", field), false, &out);
    }
    auto list = [&item](const char* field) { return FromJson(base::Find(item, field)); };
    ResourceList max = list("max"), min = list("min"), defaults = list("default"),
                 requests = list("defaultRequest"), ratios = list("maxLimitRequestRatio");
    if (type == "Pod") {
      for (const char* field : {"default", "defaultRequest"}) {
        const auto* v = base::Find(item, field);
        if (v && v->is_object() && !v->get_object().empty()) {
          out.push_back({std::string(kFieldValueForbidden), absl::StrCat(path, ".", field), nullptr,
                         "may not be specified when `type` is 'Pod'"});
        }
      }
    }
    auto at = [](const ResourceList& l, const std::string& name) -> const Quantity* {
      auto it = l.find(name);
      return it == l.end() ? nullptr : &it->second;
    };
    ResourceNames names = Names(max);
    for (const auto* l : {&min, &defaults, &requests, &ratios}) {
      for (const auto& [name, q] : *l) names.insert(name);
    }
    for (const std::string& name : names) {
      const Quantity *mx = at(max, name), *mn = at(min, name), *df = at(defaults, name),
                     *dr = at(requests, name), *ratio = at(ratios, name);
      std::string key = absl::StrCat("[", name, "]");
      if (mn && mx && mn->Compare(*mx) > 0) {
        out.push_back(
            Invalid(absl::StrCat(path, ".min", key), mn->String(),
                    absl::StrCat("min value ", mn->String(), " is greater than max value ", mx->String())));
      }
      if (dr) {
        std::string field = absl::StrCat(path, ".defaultRequest", key);
        if (mn && mn->Compare(*dr) > 0) {
          out.push_back(Invalid(field, dr->String(),
                                absl::StrCat("min value ", mn->String(),
                                             " is greater than default request value ", dr->String())));
        }
        if (mx && dr->Compare(*mx) > 0) {
          out.push_back(Invalid(field, dr->String(),
                                absl::StrCat("default request value ", dr->String(),
                                             " is greater than max value ", mx->String())));
        }
        if (df && dr->Compare(*df) > 0) {
          out.push_back(Invalid(field, dr->String(),
                                absl::StrCat("default request value ", dr->String(),
                                             " is greater than default limit value ", df->String())));
        }
      }
      if (df) {
        std::string field = absl::StrCat(path, ".default", key);
        if (mn && mn->Compare(*df) > 0) {
          out.push_back(Invalid(
              field, df->String(),
              absl::StrCat("min value ", mn->String(), " is greater than default value ", df->String())));
        }
        if (mx && df->Compare(*mx) > 0) {
          out.push_back(Invalid(
              field, df->String(),
              absl::StrCat("default value ", df->String(), " is greater than max value ", mx->String())));
        }
      }
      if (ratio) {
        std::string field = absl::StrCat(path, ".maxLimitRequestRatio", key);
        if (ratio->Compare(Quantity::FromInt64(1)) < 0) {
          out.push_back(
              Invalid(field, ratio->String(), absl::StrCat("ratio ", ratio->String(), " is less than 1")));
        }
        if (mx && mn && mn->Sign() > 0) {
          double max_ratio = static_cast<double>(mx->MilliValue()) / static_cast<double>(mn->MilliValue());
          if (static_cast<double>(ratio->MilliValue()) / 1000 > max_ratio) {
            out.push_back(Invalid(
                field, ratio->String(),
                absl::StrFormat("ratio %s is greater than max/min = %f", ratio->String(), max_ratio)));
          }
        }
      }
    }
  }
  return out;
}

}  // namespace skiff::api::quota
