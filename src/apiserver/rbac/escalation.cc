#include "apiserver/rbac/escalation.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace skiff::apiserver::rbac {
namespace {

bool Has(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool HasAll(const std::vector<std::string>& set, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) {
    if (!Has(set, w)) return false;
  }
  return true;
}

bool ResourcesCover(const std::vector<std::string>& owner, const std::vector<std::string>& requested) {
  if (Has(owner, "*") || HasAll(owner, requested)) return true;
  for (const auto& path : requested) {
    if (Has(owner, path)) continue;
    auto slash = path.find('/');
    if (slash == std::string::npos) return false;
    if (!Has(owner, absl::StrCat("*/", path.substr(slash + 1)))) return false;
  }
  return true;
}

bool UrlCovers(const std::string& owner, const std::string& requested) {
  if (owner == requested) return true;
  if (owner.empty() || owner.back() != '*') return false;
  return absl::StartsWith(requested, owner.substr(0, owner.size() - 1));
}

bool UrlsCover(const std::vector<std::string>& owner, const std::vector<std::string>& requested) {
  for (const auto& r : requested) {
    bool covered = false;
    for (const auto& o : owner) covered = covered || UrlCovers(o, r);
    if (!covered) return false;
  }
  return true;
}

}  // namespace

std::vector<PolicyRule> BreakdownRule(const PolicyRule& rule) {
  std::vector<PolicyRule> out;
  for (const auto& group : rule.api_groups) {
    for (const auto& resource : rule.resources) {
      for (const auto& verb : rule.verbs) {
        if (rule.resource_names.empty()) {
          out.push_back({.verbs = {verb}, .api_groups = {group}, .resources = {resource}});
        }
        for (const auto& name : rule.resource_names) {
          out.push_back({.verbs = {verb}, .api_groups = {group}, .resources = {resource}, .resource_names = {name}});
        }
      }
    }
  }
  for (const auto& url : rule.non_resource_urls) {
    for (const auto& verb : rule.verbs) out.push_back({.verbs = {verb}, .non_resource_urls = {url}});
  }
  return out;
}

bool RuleCovers(const PolicyRule& owner, const PolicyRule& requested) {
  bool verbs = Has(owner.verbs, "*") || HasAll(owner.verbs, requested.verbs);
  bool groups = Has(owner.api_groups, "*") || HasAll(owner.api_groups, requested.api_groups);
  bool resources = ResourcesCover(owner.resources, requested.resources);
  bool urls = UrlsCover(owner.non_resource_urls, requested.non_resource_urls);
  bool names = owner.resource_names.empty() || HasAll(owner.resource_names, requested.resource_names);
  // A rule with names only covers requests for those names.
  if (!owner.resource_names.empty() && requested.resource_names.empty()) names = false;
  return verbs && groups && resources && urls && names;
}

std::vector<PolicyRule> MissingRules(const std::vector<PolicyRule>& owner, const std::vector<PolicyRule>& requested) {
  std::vector<PolicyRule> missing;
  for (const auto& rule : requested) {
    for (auto& sub : BreakdownRule(rule)) {
      bool covered = false;
      for (const auto& o : owner) {
        if (RuleCovers(o, sub)) {
          covered = true;
          break;
        }
      }
      if (!covered) missing.push_back(std::move(sub));
    }
  }
  return missing;
}

std::vector<PolicyRule> CompactRules(const std::vector<PolicyRule>& rules) {
  std::vector<PolicyRule> out;
  std::map<std::pair<std::string, std::string>, size_t> simple;  // (group, resource) -> index in out
  for (const auto& r : rules) {
    bool compactable = r.resource_names.empty() && r.non_resource_urls.empty() && r.api_groups.size() == 1 &&
                       r.resources.size() == 1;
    if (!compactable) {
      out.push_back(r);
      continue;
    }
    auto key = std::make_pair(r.api_groups[0], r.resources[0]);
    auto it = simple.find(key);
    if (it == simple.end()) {
      simple[key] = out.size();
      out.push_back(r);
      continue;
    }
    for (const auto& v : r.verbs) {
      if (!Has(out[it->second].verbs, v)) out[it->second].verbs.push_back(v);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const PolicyRule& a, const PolicyRule& b) {
    return a.CompactString() < b.CompactString();
  });
  return out;
}

std::string EscalationMessage(const std::string& user, const std::vector<std::string>& groups,
                              const std::vector<PolicyRule>& missing) {
  std::vector<std::string> lines;
  for (const auto& r : CompactRules(missing)) lines.push_back(r.CompactString());
  return absl::StrCat("user \"", user, "\" (groups=", GoQuoteList(groups),
                      ") is attempting to grant RBAC permissions not currently held:\n", absl::StrJoin(lines, "\n"));
}

}  // namespace skiff::apiserver::rbac
