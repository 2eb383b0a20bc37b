#include "api/webhook_rules.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "api/go_format.h"
#include "api/name_validation.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "boost/url/parse.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

json::value ToJson(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Go's %#v of a slice of `go_type` strings: []string{"a", "b"}, []admissionregistration.OperationType{...}.
std::string GoSlice(const std::vector<std::string>& v, const std::string& go_type) {
  std::string text = GoStringSlice(v);  // []string{...}
  return absl::StrCat("[]", go_type, text.substr(sizeof("[]string") - 1));
}

struct Errors {
  std::vector<FieldError> list;
  void Required(std::string field, std::string detail = "") {
    list.push_back({std::string(kFieldValueRequired), std::move(field), nullptr, std::move(detail)});
  }
  void Invalid(std::string field, json::value value, std::string detail) {
    list.push_back({std::string(kFieldValueInvalid), std::move(field), std::move(value), std::move(detail)});
  }
  // A slice value, shown as Go prints it.
  void InvalidSlice(std::string field, const std::vector<std::string>& values, std::string detail,
                    const std::string& go_type = "string") {
    FieldError e{std::string(kFieldValueInvalid), std::move(field), ToJson(values), std::move(detail)};
    e.go_value = GoSlice(values, go_type);
    list.push_back(std::move(e));
  }
  void NotSupported(std::string field, json::value value, const std::vector<std::string>& supported) {
    std::vector<std::string> quoted;
    for (const auto& s : supported) quoted.push_back(json::serialize(json::value(s)));
    list.push_back({std::string(kFieldValueNotSupported), std::move(field), std::move(value),
                    absl::StrCat("supported values: ", absl::StrJoin(quoted, ", "))});
  }
  void Duplicate(std::string field, json::value value) {
    list.push_back({std::string(kFieldValueDuplicate), std::move(field), std::move(value), ""});
  }
};

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->get_array()) out.push_back(e.is_string() ? std::string(e.get_string()) : "");
  return out;
}

bool HasWildcard(const std::vector<std::string>& v) {
  for (const auto& s : v)
    if (s == "*") return true;
  return false;
}

// The value of an optional string field; nullopt when absent or null.
std::optional<std::string> OptionalString(const json::value& obj, const char* field) {
  const auto* v = base::Find(obj, field);
  if (!v || v->is_null()) return std::nullopt;
  return v->is_string() ? std::string(v->get_string()) : std::string();
}

// utilvalidation.IsFullyQualifiedName.
void CheckFullyQualifiedName(const std::string& path, const std::string& name, Errors* e) {
  if (name.empty()) return e->Required(path);
  if (auto errs = IsDns1123Subdomain(name); !errs.empty()) return e->Invalid(path, json::value(name), absl::StrJoin(errs, ","));
  if (std::vector<std::string>(absl::StrSplit(name, '.')).size() < 3)
    e->Invalid(path, json::value(name), "should be a domain with at least three segments separated by dots");
}

void CheckResources(const std::string& path, const std::vector<std::string>& resources, Errors* e) {
  if (resources.empty()) e->Required(path);
  std::set<std::string> with_wildcard_sub, sub_with_wildcard_res;
  bool double_wildcard = false, single_wildcard = false, without_sub = false;
  for (size_t i = 0; i < resources.size(); ++i) {
    const std::string& rs = resources[i];
    std::string at = absl::StrCat(path, "[", i, "]");
    if (rs.empty()) {
      e->Required(at);
      continue;
    }
    if (rs == "*/*") double_wildcard = true;
    if (rs == "*") single_wildcard = true;
    size_t slash = rs.find('/');
    if (slash == std::string::npos) {
      without_sub = rs != "*";
      continue;
    }
    std::string res = rs.substr(0, slash), sub = rs.substr(slash + 1);
    if (with_wildcard_sub.count(res))
      e->Invalid(at, json::value(rs), absl::StrCat("if '", res, "/*' is present, must not specify ", rs));
    if (sub_with_wildcard_res.count(sub))
      e->Invalid(at, json::value(rs), absl::StrCat("if '*/", sub, "' is present, must not specify ", rs));
    if (sub == "*") with_wildcard_sub.insert(res);
    if (res == "*") sub_with_wildcard_res.insert(sub);
  }
  if (resources.size() > 1 && double_wildcard)
    e->InvalidSlice(path, resources, "if '*/*' is present, must not specify other resources");
  if (single_wildcard && without_sub)
    e->InvalidSlice(path, resources, "if '*' is present, must not specify other resources without subresources");
}

void CheckRule(const std::string& path, const json::value& rule, Errors* e) {
  auto ops = Strings(base::Find(rule, "operations"));
  if (ops.empty()) e->Required(path + ".operations");
  if (ops.size() > 1 && HasWildcard(ops))
    e->InvalidSlice(path + ".operations", ops, "if '*' is present, must not specify other operations",
                    "admissionregistration.OperationType");
  static const std::vector<std::string> kOperations = {"*", "CONNECT", "CREATE", "DELETE", "UPDATE"};
  for (size_t i = 0; i < ops.size(); ++i) {
    if (std::find(kOperations.begin(), kOperations.end(), ops[i]) == kOperations.end())
      e->NotSupported(absl::StrCat(path, ".operations[", i, "]"), json::value(ops[i]), kOperations);
  }
  auto groups = Strings(base::Find(rule, "apiGroups"));
  if (groups.empty()) e->Required(path + ".apiGroups");
  if (groups.size() > 1 && HasWildcard(groups))
    e->InvalidSlice(path + ".apiGroups", groups, "if '*' is present, must not specify other API groups");
  auto versions = Strings(base::Find(rule, "apiVersions"));
  if (versions.empty()) e->Required(path + ".apiVersions");
  if (versions.size() > 1 && HasWildcard(versions))
    e->InvalidSlice(path + ".apiVersions", versions, "if '*' is present, must not specify other API versions");
  for (size_t i = 0; i < versions.size(); ++i) {
    if (versions[i].empty()) e->Required(absl::StrCat(path, ".apiVersions[", i, "]"));
  }
  CheckResources(path + ".resources", Strings(base::Find(rule, "resources")), e);
  if (auto scope = OptionalString(rule, "scope"); scope && *scope != "*" && *scope != "Cluster" && *scope != "Namespaced")
    e->NotSupported(path + ".scope", json::value(*scope), {"*", "Cluster", "Namespaced"});
}

// webhook.ValidateWebhookURL with forceHttps.
void CheckUrl(const std::string& path, const std::string& url, Errors* e) {
  constexpr char kForm[] = "; desired format: https://host[/path]";
  auto u = boost::urls::parse_uri_reference(url);
  if (!u) return e->Required(path, absl::StrCat("url must be a valid URL: ", u.error().message(), kForm));
  std::string scheme = absl::AsciiStrToLower(std::string(u->scheme()));
  if (scheme != "https")
    e->Invalid(path, json::value(scheme), absl::StrCat("'https' is the only allowed URL scheme", kForm));
  if (u->encoded_host().empty()) e->Invalid(path, json::value(""), absl::StrCat("host must be provided", kForm));
  if (u->has_userinfo())
    e->Invalid(path, json::value(std::string(u->encoded_userinfo())), "user information is not permitted in the URL");
  if (u->has_fragment() && !u->encoded_fragment().empty())
    e->Invalid(path, json::value(std::string(u->encoded_fragment())), "fragments are not permitted in the URL");
  if (u->has_query() && !u->encoded_query().empty())
    e->Invalid(path, json::value(std::string(u->encoded_query())), "query parameters are not permitted in the URL");
}

// webhook.ValidateWebhookService.
void CheckService(const std::string& path, const json::value& svc, Errors* e) {
  if (base::GetString(svc, {"name"}).empty()) e->Required(path + ".name", "service name is required");
  if (base::GetString(svc, {"namespace"}).empty()) e->Required(path + ".namespace", "service namespace is required");
  int64_t port = base::GetInt(svc, {"port"}, 443);
  if (port < 1 || port > 65535)
    e->Invalid(path + ".port", json::value(port), "port is not valid: must be between 1 and 65535, inclusive");
  auto p = OptionalString(svc, "path");
  if (!p || p->empty() || *p == "/") return;
  if (*p == "//") return e->Invalid(path + ".path", json::value(*p), "segment[0] may not be empty");
  if ((*p)[0] != '/') e->Invalid(path + ".path", json::value(*p), "must start with a '/'");
  std::string check = p->substr(1);
  if (!check.empty() && check.back() == '/') check.pop_back();
  std::vector<std::string> steps = absl::StrSplit(check, '/');
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].empty()) {
      e->Invalid(path + ".path", json::value(*p), absl::StrCat("segment[", i, "] may not be empty"));
      continue;
    }
    for (const auto& failure : IsDns1123Subdomain(steps[i]))
      e->Invalid(path + ".path", json::value(*p), absl::StrCat("segment[", i, "]: ", failure));
  }
}

void CheckReviewVersions(const std::string& path, const json::value& hook, bool require_recognized, Errors* e) {
  auto versions = Strings(base::Find(hook, "admissionReviewVersions"));
  if (versions.empty()) return e->Required(path, "must specify one of v1, v1beta1");
  std::set<std::string> seen;
  bool accepted = false;
  for (size_t i = 0; i < versions.size(); ++i) {
    std::string at = absl::StrCat(path, "[", i, "]");
    if (!seen.insert(versions[i]).second) {
      e->Invalid(at, json::value(versions[i]), "duplicate version");
      continue;
    }
    for (const auto& msg : IsDns1035Label(versions[i])) e->Invalid(at, json::value(versions[i]), msg);
    accepted = accepted || versions[i] == "v1" || versions[i] == "v1beta1";
  }
  if (require_recognized && !accepted) e->InvalidSlice(path, versions, "must include at least one of v1, v1beta1");
}

struct Options {
  bool require_no_side_effects = true;
  bool require_recognized_versions = true;
  bool require_unique_names = true;
};

void CheckWebhook(const std::string& path, const json::value& hook, bool mutating, const Options& opts, Errors* e) {
  CheckFullyQualifiedName(path + ".name", base::GetString(hook, {"name"}), e);
  if (const auto* rules = base::Find(hook, "rules"); rules && rules->is_array()) {
    for (size_t i = 0; i < rules->get_array().size(); ++i)
      CheckRule(absl::StrCat(path, ".rules[", i, "]"), rules->get_array()[i], e);
  }
  if (auto v = OptionalString(hook, "failurePolicy"); v && *v != "Fail" && *v != "Ignore")
    e->NotSupported(path + ".failurePolicy", json::value(*v), {"Fail", "Ignore"});
  if (auto v = OptionalString(hook, "matchPolicy"); v && *v != "Equivalent" && *v != "Exact")
    e->NotSupported(path + ".matchPolicy", json::value(*v), {"Equivalent", "Exact"});
  std::vector<std::string> allowed = opts.require_no_side_effects
                                         ? std::vector<std::string>{"None", "NoneOnDryRun"}
                                         : std::vector<std::string>{"None", "NoneOnDryRun", "Some", "Unknown"};
  auto side_effects = OptionalString(hook, "sideEffects");
  if (!side_effects) {
    e->Required(path + ".sideEffects", absl::StrCat("must specify one of ", absl::StrJoin(allowed, ", ")));
  } else if (std::find(allowed.begin(), allowed.end(), *side_effects) == allowed.end()) {
    e->NotSupported(path + ".sideEffects", json::value(*side_effects), allowed);
  }
  if (const auto* t = base::Find(hook, "timeoutSeconds"); t && t->is_int64()) {
    if (t->get_int64() < 1 || t->get_int64() > 30)
      e->Invalid(path + ".timeoutSeconds", *t, "the timeout value must be between 1 and 30 seconds");
  }
  if (mutating) {
    if (auto v = OptionalString(hook, "reinvocationPolicy"); v && *v != "Never" && *v != "IfNeeded")
      e->NotSupported(path + ".reinvocationPolicy", json::value(*v), {"IfNeeded", "Never"});
  }
  const json::value* cc = base::Find(hook, "clientConfig");
  static const json::value kNone;
  if (!cc || !cc->is_object()) cc = &kNone;
  auto url = cc->is_object() ? OptionalString(*cc, "url") : std::nullopt;
  const json::value* service = cc->is_object() ? base::Find(*cc, "service") : nullptr;
  bool has_service = service && !service->is_null();
  if (url.has_value() == has_service) {
    e->Required(path + ".clientConfig", "exactly one of url or service is required");
  } else if (url) {
    CheckUrl(path + ".clientConfig.url", *url, e);
  } else {
    CheckService(path + ".clientConfig.service", *service, e);
  }
}

// What the stored configuration already had, which an update keeps allowing.
Options OptionsFor(const json::value* old) {
  Options o;
  if (!old) return o;
  const auto* hooks = base::Find(*old, "webhooks");
  if (!hooks || !hooks->is_array()) return o;
  std::set<std::string> names;
  for (const auto& h : hooks->get_array()) {
    std::string se = base::GetString(h, {"sideEffects"});
    if (se != "None" && se != "NoneOnDryRun") o.require_no_side_effects = false;
    auto versions = Strings(base::Find(h, "admissionReviewVersions"));
    bool recognized = versions.empty();
    for (const auto& v : versions) recognized = recognized || v == "v1" || v == "v1beta1";
    if (!recognized) o.require_recognized_versions = false;
    if (!names.insert(base::GetString(h, {"name"})).second) o.require_unique_names = false;
  }
  return o;
}

}  // namespace

std::vector<FieldError> ValidateWebhookConfiguration(const json::value& obj, const json::value* old, bool mutating) {
  Errors e;
  Options opts = OptionsFor(old);
  const auto* hooks = base::Find(obj, "webhooks");
  if (!hooks || !hooks->is_array()) return e.list;
  std::set<std::string> names;
  for (size_t i = 0; i < hooks->get_array().size(); ++i) {
    const json::value& hook = hooks->get_array()[i];
    std::string path = absl::StrCat("webhooks[", i, "]");
    CheckWebhook(path, hook, mutating, opts, &e);
    CheckReviewVersions(path + ".admissionReviewVersions", hook, opts.require_recognized_versions, &e);
    std::string name = base::GetString(hook, {"name"});
    if (opts.require_unique_names && !name.empty() && !names.insert(name).second)
      e.Duplicate(path + ".name", json::value(name));
  }
  return e.list;
}

std::vector<FieldError> ValidateRuleWithOperations(const std::string& path, const json::value& rule) {
  Errors e;
  CheckRule(path, rule, &e);
  return e.list;
}

}  // namespace skiff::api
