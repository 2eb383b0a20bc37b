#include "apiserver/audit/policy.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/codec.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::audit {
namespace {

namespace json = boost::json;

bool Has(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

absl::StatusOr<Level> ParseLevel(const json::value* v, const std::string& where) {
  std::string name = v && v->is_string() ? std::string(v->get_string()) : "";
  for (Level l : {Level::kNone, Level::kMetadata, Level::kRequest, Level::kRequestResponse}) {
    if (name == LevelName(l)) return l;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ".level: Unsupported value: \"", name,
                   "\": supported values: None, Metadata, Request, RequestResponse"));
}

absl::StatusOr<std::vector<std::string>> Strings(const json::object& obj, const char* key,
                                                 const std::string& where) {
  std::vector<std::string> out;
  const json::value* v = obj.if_contains(key);
  if (!v || v->is_null()) return out;
  if (!v->is_array())
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": must be a list of strings"));
  for (const auto& item : v->get_array()) {
    if (!item.is_string())
      return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": must be a list of strings"));
    out.emplace_back(item.get_string());
  }
  return out;
}

absl::StatusOr<std::vector<Stage>> Stages(const json::object& obj, const std::string& where) {
  auto names = Strings(obj, "omitStages", where);
  if (!names.ok()) return names.status();
  std::vector<Stage> out;
  for (const auto& name : *names) {
    bool found = false;
    for (Stage s :
         {Stage::kRequestReceived, Stage::kResponseStarted, Stage::kResponseComplete, Stage::kPanic}) {
      if (name == StageName(s)) {
        out.push_back(s);
        found = true;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".omitStages: Unsupported value: \"", name,
                       "\": supported values: RequestReceived, ResponseStarted, "
                       "ResponseComplete, Panic"));
    }
  }
  return out;
}

absl::StatusOr<std::optional<bool>> OptionalBool(const json::object& obj, const char* key,
                                                 const std::string& where) {
  const json::value* v = obj.if_contains(key);
  if (!v || v->is_null()) return std::optional<bool>();
  if (!v->is_bool())
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": must be true or false"));
  return std::optional<bool>(v->get_bool());
}

absl::StatusOr<PolicyRule> ParseRule(const json::value& v, const std::string& where) {
  if (!v.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": must be an object"));
  const json::object& obj = v.get_object();
  PolicyRule rule;
  auto level = ParseLevel(obj.if_contains("level"), where);
  if (!level.ok()) return level.status();
  rule.level = *level;
  for (auto [key, field] : {std::pair{"users", &rule.users}, std::pair{"userGroups", &rule.user_groups},
                            std::pair{"verbs", &rule.verbs}, std::pair{"namespaces", &rule.namespaces},
                            std::pair{"nonResourceURLs", &rule.non_resource_urls}}) {
    auto list = Strings(obj, key, where);
    if (!list.ok()) return list.status();
    *field = std::move(*list);
  }
  if (const json::value* resources = obj.if_contains("resources"); resources && !resources->is_null()) {
    if (!resources->is_array())
      return absl::InvalidArgumentError(absl::StrCat(where, ".resources: must be a list"));
    for (size_t i = 0; i < resources->get_array().size(); ++i) {
      const json::value& item = resources->get_array()[i];
      std::string at = absl::StrCat(where, ".resources[", i, "]");
      if (!item.is_object()) return absl::InvalidArgumentError(absl::StrCat(at, ": must be an object"));
      GroupResources gr;
      gr.group = base::GetString(item, {"group"});
      auto names = Strings(item.get_object(), "resources", at);
      if (!names.ok()) return names.status();
      gr.resources = std::move(*names);
      auto resource_names = Strings(item.get_object(), "resourceNames", at);
      if (!resource_names.ok()) return resource_names.status();
      gr.resource_names = std::move(*resource_names);
      rule.resources.push_back(std::move(gr));
    }
  }
  if (!rule.non_resource_urls.empty() && (!rule.resources.empty() || !rule.namespaces.empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ".nonResourceURLs: rules cannot apply to both regular resources and non-resource URLs"));
  }
  for (const auto& url : rule.non_resource_urls) {
    size_t star = url.find('*');
    if (star != std::string::npos && star != url.size() - 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".nonResourceURLs: \"", url, "\": '*' is allowed only at the end"));
    }
  }
  auto stages = Stages(obj, where);
  if (!stages.ok()) return stages.status();
  rule.omit_stages = std::move(*stages);
  auto omit = OptionalBool(obj, "omitManagedFields", where);
  if (!omit.ok()) return omit.status();
  rule.omit_managed_fields = *omit;
  return rule;
}

bool PathMatches(const std::string& path, const std::string& spec) {
  if (spec == "*" || spec == path) return true;
  return absl::EndsWith(spec, "*") && absl::StartsWith(path, absl::StripSuffix(spec, "*"));
}

bool ResourceMatches(const PolicyRule& rule, const Attributes& a) {
  if (!a.is_resource) return false;
  if (!rule.namespaces.empty() && !Has(rule.namespaces, a.namespace_name)) return false;
  if (rule.resources.empty()) return true;
  std::string combined = a.subresource.empty() ? a.resource : absl::StrCat(a.resource, "/", a.subresource);
  for (const auto& gr : rule.resources) {
    if (gr.group != a.api_group) continue;
    if (gr.resources.empty()) return true;
    if (!gr.resource_names.empty() && !Has(gr.resource_names, a.name)) continue;
    for (const auto& res : gr.resources) {
      if (res == combined || res == "*") return true;
      if (!a.subresource.empty() && absl::StartsWith(res, "*/") && res.substr(2) == a.subresource)
        return true;
      if (absl::EndsWith(res, "/*") && res.substr(0, res.size() - 2) == a.resource) return true;
    }
  }
  return false;
}

bool RuleMatches(const PolicyRule& rule, const Attributes& a) {
  if (!rule.users.empty() && !Has(rule.users, a.user.username)) return false;
  if (!rule.user_groups.empty() &&
      std::none_of(a.user.groups.begin(), a.user.groups.end(),
                   [&](const std::string& g) { return Has(rule.user_groups, g); })) {
    return false;
  }
  if (!rule.verbs.empty() && !Has(rule.verbs, a.verb)) return false;
  if (!rule.namespaces.empty() || !rule.resources.empty()) return ResourceMatches(rule, a);
  if (!rule.non_resource_urls.empty()) {
    if (a.is_resource) return false;
    return std::any_of(rule.non_resource_urls.begin(), rule.non_resource_urls.end(),
                       [&](const std::string& spec) { return PathMatches(a.path, spec); });
  }
  return true;
}

}  // namespace

Policy Policy::MetadataForAll() {
  Policy policy;
  policy.rules_.push_back(PolicyRule{.level = Level::kMetadata});
  return policy;
}

absl::StatusOr<Policy> Policy::Parse(std::string_view text) {
  auto doc = api::YamlToJson(text);  // JSON is YAML
  if (!doc.ok()) return absl::InvalidArgumentError(absl::StrCat("audit policy: ", doc.status().message()));
  if (!doc->is_object()) return absl::InvalidArgumentError("audit policy: must be an object");
  std::string kind = base::GetString(*doc, {"kind"});
  std::string api_version = base::GetString(*doc, {"apiVersion"});
  if (kind != "Policy" || api_version != "audit.k8s.io/v1") {
    return absl::InvalidArgumentError(absl::StrCat(
        "audit policy: expected kind Policy of apiVersion audit.k8s.io/v1, got ",
        kind.empty() ? "no kind" : kind, " of ", api_version.empty() ? "no apiVersion" : api_version));
  }
  Policy policy;
  const json::object& obj = doc->get_object();
  auto stages = Stages(obj, "policy");
  if (!stages.ok()) return stages.status();
  policy.omit_stages_ = std::move(*stages);
  auto omit = OptionalBool(obj, "omitManagedFields", "policy");
  if (!omit.ok()) return omit.status();
  policy.omit_managed_fields_ = omit->value_or(false);
  const json::value* rules = obj.if_contains("rules");
  if (rules && !rules->is_null() && !rules->is_array())
    return absl::InvalidArgumentError("policy.rules: must be a list");
  if (!rules || !rules->is_array() || rules->get_array().empty()) {
    return absl::InvalidArgumentError("audit policy: a policy needs at least one rule");
  }
  for (size_t i = 0; i < rules->get_array().size(); ++i) {
    auto rule = ParseRule(rules->get_array()[i], absl::StrCat("policy.rules[", i, "]"));
    if (!rule.ok()) return rule.status();
    policy.rules_.push_back(std::move(*rule));
  }
  return policy;
}

absl::StatusOr<Policy> Policy::Load(const std::string& path) {
  auto text = base::ReadFile(path);
  if (!text.ok()) return text.status();
  auto policy = Parse(*text);
  if (!policy.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", policy.status().message()));
  return policy;
}

RuleDecision Policy::Evaluate(const Attributes& attributes) const {
  for (const auto& rule : rules_) {
    if (!RuleMatches(rule, attributes)) continue;
    RuleDecision decision;
    decision.level = rule.level;
    decision.omit_stages.insert(omit_stages_.begin(), omit_stages_.end());
    decision.omit_stages.insert(rule.omit_stages.begin(), rule.omit_stages.end());
    decision.omit_managed_fields = rule.omit_managed_fields.value_or(omit_managed_fields_);
    return decision;
  }
  return RuleDecision{};
}

}  // namespace skiff::apiserver::audit
