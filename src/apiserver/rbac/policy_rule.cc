#include "apiserver/rbac/policy_rule.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/json.hpp"

namespace skiff::apiserver::rbac {
namespace {

namespace json = boost::json;

constexpr std::string_view kAll = "*";

bool Has(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

std::vector<std::string> Strings(const json::object& rule, std::string_view field) {
  std::vector<std::string> out;
  const json::value* v = rule.if_contains(field);
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->get_array()) {
    if (item.is_string()) out.emplace_back(item.get_string());
  }
  return out;
}

// Go's strconv.Quote for the ASCII subset role fields hold; other bytes pass through.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

json::array ToArray(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

}  // namespace

std::string GoQuoteList(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  quoted.reserve(values.size());
  for (const auto& v : values) quoted.push_back(GoQuote(v));
  return absl::StrCat("[", absl::StrJoin(quoted, " "), "]");
}

std::string PolicyRule::CompactString() const {
  std::vector<std::string> parts;
  if (!api_groups.empty()) parts.push_back(absl::StrCat("APIGroups:", GoQuoteList(api_groups)));
  if (!resources.empty()) parts.push_back(absl::StrCat("Resources:", GoQuoteList(resources)));
  if (!non_resource_urls.empty()) parts.push_back(absl::StrCat("NonResourceURLs:", GoQuoteList(non_resource_urls)));
  if (!resource_names.empty()) parts.push_back(absl::StrCat("ResourceNames:", GoQuoteList(resource_names)));
  if (!verbs.empty()) parts.push_back(absl::StrCat("Verbs:", GoQuoteList(verbs)));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

json::object PolicyRule::ToJson() const {
  json::object out;
  out["verbs"] = ToArray(verbs);
  if (!api_groups.empty()) out["apiGroups"] = ToArray(api_groups);
  if (!resources.empty()) out["resources"] = ToArray(resources);
  if (!resource_names.empty()) out["resourceNames"] = ToArray(resource_names);
  if (!non_resource_urls.empty()) out["nonResourceURLs"] = ToArray(non_resource_urls);
  return out;
}

PolicyRule ParseRule(const json::value& rule) {
  PolicyRule out;
  if (!rule.is_object()) return out;
  const auto& o = rule.get_object();
  out.verbs = Strings(o, "verbs");
  out.api_groups = Strings(o, "apiGroups");
  out.resources = Strings(o, "resources");
  out.resource_names = Strings(o, "resourceNames");
  out.non_resource_urls = Strings(o, "nonResourceURLs");
  return out;
}

std::vector<PolicyRule> ParseRules(const json::value* rules) {
  std::vector<PolicyRule> out;
  if (!rules || !rules->is_array()) return out;
  out.reserve(rules->get_array().size());
  for (const auto& r : rules->get_array()) out.push_back(ParseRule(r));
  return out;
}

bool VerbMatches(const PolicyRule& rule, std::string_view verb) {
  for (const auto& v : rule.verbs) {
    if (v == kAll || v == verb) return true;
  }
  return false;
}

bool ApiGroupMatches(const PolicyRule& rule, std::string_view group) {
  for (const auto& g : rule.api_groups) {
    if (g == kAll || g == group) return true;
  }
  return false;
}

bool ResourceMatches(const PolicyRule& rule, std::string_view combined, std::string_view subresource) {
  for (const auto& r : rule.resources) {
    if (r == kAll || r == combined) return true;
    // "*/scale" matches the scale subresource of every resource.
    if (!subresource.empty() && r.size() == subresource.size() + 2 && r[0] == '*' && r[1] == '/' &&
        std::string_view(r).substr(2) == subresource) {
      return true;
    }
  }
  return false;
}

bool ResourceNameMatches(const PolicyRule& rule, std::string_view name) {
  if (rule.resource_names.empty()) return true;
  return Has(rule.resource_names, name);
}

bool NonResourceUrlMatches(const PolicyRule& rule, std::string_view path) {
  for (const auto& u : rule.non_resource_urls) {
    if (u == kAll || u == path) return true;
    if (!u.empty() && u.back() == '*' && path.substr(0, u.size() - 1) == std::string_view(u).substr(0, u.size() - 1)) {
      return true;
    }
  }
  return false;
}

bool RuleAllows(const PolicyRule& rule, const Attributes& request) {
  if (!VerbMatches(rule, request.verb)) return false;
  if (!request.is_resource) return NonResourceUrlMatches(rule, request.path);
  if (!ApiGroupMatches(rule, request.api_group)) return false;
  if (request.subresource.empty()) {
    if (!ResourceMatches(rule, request.resource, "")) return false;
  } else {
    std::string combined = absl::StrCat(request.resource, "/", request.subresource);
    if (!ResourceMatches(rule, combined, request.subresource)) return false;
  }
  return ResourceNameMatches(rule, request.name);
}

}  // namespace skiff::apiserver::rbac
