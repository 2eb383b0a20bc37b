#include "api/ingress_rules.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/ip_address.h"
#include "api/name_validation.h"
#include "api/object_meta.h"
#include "api/service_rules.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

constexpr char kNotAnIp[] = "must be a DNS name, not an IP address";
constexpr size_t kMaxControllerLength = 250;

const json::array* Array(const json::value& v, std::string_view key) {
  const json::value* a = base::Find(v, key);
  return a != nullptr && a->is_array() ? &a->get_array() : nullptr;
}

// A field that is set (Go's non-nil pointer): present and not null.
const json::value* Set(const json::value& v, std::string_view key) {
  const json::value* f = base::Find(v, key);
  return f != nullptr && !f->is_null() ? f : nullptr;
}

// A string field as Go decodes it: "" when absent, null or not a string.
std::string Str(const json::value& v, std::string_view key) {
  const json::value* f = base::Find(v, key);
  return f != nullptr && f->is_string() ? std::string(f->get_string()) : "";
}

// Kubernetes' IsValidPathSegmentName (kinds and names of referenced objects).
std::vector<std::string> PathSegmentErrors(std::string_view name) {
  if (name == "." || name == "..") return {"may not be '" + std::string(name) + "'"};
  std::vector<std::string> out;
  if (name.find('/') != std::string_view::npos) out.push_back("may not contain '/'");
  if (name.find('%') != std::string_view::npos) out.push_back("may not contain '%'");
  return out;
}

class Errors {
 public:
  std::vector<FieldError> list;

  void Add(std::string_view type, std::string field, json::value bad, std::string detail) {
    list.push_back({std::string(type), std::move(field), std::move(bad), std::move(detail)});
  }
  void Invalid(const std::string& field, std::string_view value, std::vector<std::string> messages) {
    for (std::string& m : messages) Add(kFieldValueInvalid, field, json::string(value), std::move(m));
  }
  // A host of a rule or a TLS entry: "*.example.com" or a plain subdomain.
  void Host(const std::string& field, std::string_view host) {
    bool wildcard = host.find('*') != std::string_view::npos;
    Invalid(field, host, wildcard ? IsWildcardDns1123Subdomain(host) : IsDns1123Subdomain(host));
  }
};

struct IngressOptions {
  bool allow_invalid_secret_name = false;
  bool allow_invalid_wildcard_host_rule = false;
};

// validateIngressTypedLocalObjectReference.
void ResourceBackend(const json::value& ref, const std::string& at, Errors& e) {
  if (const json::value* group = Set(ref, "apiGroup"); group && group->is_string()) {
    e.Invalid(at + ".apiGroup", group->get_string(), IsDns1123Subdomain(group->get_string()));
  }
  for (const char* key : {"kind", "name"}) {
    std::string value = Str(ref, key);
    std::string field = absl::StrCat(at, ".", key);
    if (value.empty()) {
      e.Add(kFieldValueRequired, field, nullptr, "");
    } else {
      e.Invalid(field, value, PathSegmentErrors(value));
    }
  }
}

void Backend(const json::value& backend, const std::string& at, Errors& e) {
  const json::value* resource = Set(backend, "resource");
  const json::value* service = Set(backend, "service");
  if (resource && service)
    return e.Add(kFieldValueInvalid, at, "", "cannot set both resource and service backends");
  if (resource) return ResourceBackend(*resource, at + ".resource", e);
  if (!service) return e.Add(kFieldValueInvalid, at, "", "resource or service backend is required");
  std::string name = Str(*service, "name");
  if (name.empty()) {
    e.Add(kFieldValueRequired, at + ".service.name", nullptr, "");
  } else {
    e.Invalid(at + ".service.name", name, IsDns1035Label(name));  // ValidateServiceName
  }
  const json::value* port = Set(*service, "port");
  std::string port_name = port ? Str(*port, "name") : "";
  int64_t port_number = port ? base::GetInt(*port, {"number"}) : 0;
  if (!port_name.empty() && port_number != 0) {
    e.Add(kFieldValueInvalid, at, "", "cannot set both port name & port number");
  } else if (!port_name.empty()) {
    e.Invalid(at + ".service.port.name", port_name, IsIanaServiceName(port_name));
  } else if (port_number != 0) {
    if (port_number < 1 || port_number > 65535) {
      e.Add(kFieldValueInvalid, at + ".service.port.number", port_number,
            "must be between 1 and 65535, inclusive");
    }
  } else {
    e.Add(kFieldValueRequired, at, nullptr, "port name or number is required");
  }
}

void HttpPath(const json::value& path, const std::string& at, Errors& e) {
  const json::value* type = Set(path, "pathType");
  if (!type) return e.Add(kFieldValueRequired, at + ".pathType", nullptr, "pathType must be specified");
  std::string kind = type->is_string() ? std::string(type->get_string()) : "";
  std::string value = Str(path, "path");
  if (kind == "Exact" || kind == "Prefix") {
    if (!absl::StartsWith(value, "/"))
      e.Add(kFieldValueInvalid, at + ".path", json::string(value), "must be an absolute path");
    for (const char* sequence : {"//", "/./", "/../", "%2f", "%2F"}) {
      if (absl::StrContains(value, sequence)) {
        e.Add(kFieldValueInvalid, at + ".path", json::string(value),
              absl::StrCat("must not contain '", sequence, "'"));
      }
    }
    for (const char* suffix : {"/..", "/."}) {
      if (absl::EndsWith(value, suffix)) {
        e.Add(kFieldValueInvalid, at + ".path", json::string(value),
              absl::StrCat("cannot end with '", suffix, "'"));
      }
    }
  } else if (kind == "ImplementationSpecific") {
    if (!value.empty() && !absl::StartsWith(value, "/")) {
      e.Add(kFieldValueInvalid, at + ".path", json::string(value), "must be an absolute path");
    }
  } else {
    e.Add(kFieldValueNotSupported, at + ".pathType", *type,
          "supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"");
  }
  const json::value* backend = base::Find(path, "backend");
  Backend(backend != nullptr && backend->is_object() ? *backend : json::value(json::object()),
          at + ".backend", e);
}

// validateIngressRuleValue: the HTTP paths of a rule.
void RuleValue(const json::value& rule, const std::string& at, Errors& e) {
  const json::value* http = Set(rule, "http");
  if (!http || !http->is_object()) return;
  const json::array* paths = Array(*http, "paths");
  if (paths == nullptr || paths->empty()) return e.Add(kFieldValueRequired, at + ".http.paths", nullptr, "");
  for (size_t i = 0; i < paths->size(); ++i) {
    if ((*paths)[i].is_object()) HttpPath((*paths)[i], absl::StrCat(at, ".http.paths[", i, "]"), e);
  }
}

void Rules(const json::array& rules, const IngressOptions& options, Errors& e) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const json::value& rule = rules[i];
    if (!rule.is_object()) continue;
    std::string at = absl::StrCat("spec.rules[", i, "]");
    std::string host = Str(rule, "host");
    bool wildcard = false;
    if (!host.empty()) {
      if (ParseIpSloppy(host)) e.Add(kFieldValueInvalid, at + ".host", json::string(host), kNotAnIp);
      wildcard = absl::StrContains(host, "*");
      e.Host(at + ".host", host);
    }
    if (!wildcard || !options.allow_invalid_wildcard_host_rule) RuleValue(rule, at, e);
  }
}

void Tls(const json::array& tls, const IngressOptions& options, Errors& e) {
  for (size_t i = 0; i < tls.size(); ++i) {
    if (!tls[i].is_object()) continue;
    std::string at = absl::StrCat("spec.tls[", i, "]");
    if (const json::array* hosts = Array(tls[i], "hosts")) {
      for (size_t j = 0; j < hosts->size(); ++j) {
        if ((*hosts)[j].is_string()) e.Host(absl::StrCat(at, ".hosts[", j, "]"), (*hosts)[j].get_string());
      }
    }
    std::string secret = Str(tls[i], "secretName");
    if (!options.allow_invalid_secret_name && !secret.empty()) {
      e.Invalid(at + ".secretName", secret, IsDns1123Subdomain(secret));
    }
  }
}

void LoadBalancerStatus(const json::value& ingress, Errors& e) {
  const json::value* points = base::FindPath(ingress, {"status", "loadBalancer", "ingress"});
  if (points == nullptr || !points->is_array()) return;
  for (size_t i = 0; i < points->get_array().size(); ++i) {
    const json::value& point = points->get_array()[i];
    std::string at = absl::StrCat("status.loadBalancer.ingress[", i, "]");
    if (std::string ip = Str(point, "ip"); !ip.empty() && !ParseIpSloppy(ip)) {
      e.Add(kFieldValueInvalid, at + ".ip", json::string(ip),
            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    }
    if (std::string hostname = Str(point, "hostname"); !hostname.empty()) {
      e.Invalid(at + ".hostname", hostname, IsDns1123Subdomain(hostname));
      if (ParseIpSloppy(hostname))
        e.Add(kFieldValueInvalid, at + ".hostname", json::string(hostname), kNotAnIp);
    }
  }
}

// kube's ratcheting: what an update may keep because the stored object already had it.
IngressOptions OptionsFor(const json::value* old_obj) {
  IngressOptions options;
  if (old_obj == nullptr) return options;
  if (const json::value* tls = base::FindPath(*old_obj, {"spec", "tls"}); tls && tls->is_array()) {
    for (const json::value& entry : tls->get_array()) {
      std::string secret = Str(entry, "secretName");
      if (!secret.empty() && !IsDns1123Subdomain(secret).empty()) options.allow_invalid_secret_name = true;
    }
  }
  if (const json::value* rules = base::FindPath(*old_obj, {"spec", "rules"}); rules && rules->is_array()) {
    for (const json::value& rule : rules->get_array()) {
      if (!absl::StrContains(Str(rule, "host"), "*")) continue;
      Errors probe;
      RuleValue(rule, "", probe);
      if (!probe.list.empty()) options.allow_invalid_wildcard_host_rule = true;
    }
  }
  return options;
}

// IsDomainPrefixedPath: "<subdomain>/<HTTP path characters>".
void DomainPrefixedPath(const std::string& field, std::string_view value, Errors& e) {
  size_t slash = value.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == value.size()) {
    return e.Add(kFieldValueInvalid, field, json::string(value),
                 "must be a domain-prefixed path (such as \"acme.io/foo\")");
  }
  std::string_view host = value.substr(0, slash);
  e.Invalid(field, host, IsDns1123Subdomain(host));
  std::string_view path = value.substr(slash + 1);
  constexpr std::string_view kPathChars = "/-._~%!$&'()*+,;=:";
  for (char c : path) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && kPathChars.find(c) == std::string_view::npos) {
      return e.Add(kFieldValueInvalid, field, json::string(path),
                   "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')");
    }
  }
}

void ClassParameters(const json::value& params, Errors& e) {
  const std::string at = "spec.parameters";
  ResourceBackend(params, at, e);  // apiGroup, kind and name follow the same rules
  const json::value* scope = Set(params, "scope");
  if (!scope) return e.Add(kFieldValueRequired, at + ".scope", nullptr, "");
  std::string value = scope->is_string() ? std::string(scope->get_string()) : "";
  const json::value* ns = Set(params, "namespace");
  if (value == "Namespace") {
    if (!ns) {
      e.Add(kFieldValueRequired, at + ".namespace", nullptr, "`parameters.scope` is set to 'Namespace'");
    } else if (ns->is_string()) {
      e.Invalid(at + ".namespace", ns->get_string(), IsDns1123Label(ns->get_string()));
    }
  } else if (value == "Cluster") {
    if (ns) e.Add(kFieldValueForbidden, at + ".namespace", nullptr, "`parameters.scope` is set to 'Cluster'");
  } else {
    e.Add(kFieldValueNotSupported, at + ".scope", *scope, "supported values: \"Cluster\", \"Namespace\"");
  }
}

}  // namespace

std::vector<FieldError> ValidateIngressRules(const json::value& ingress, const json::value* old_obj) {
  Errors e;
  const json::value* spec_ptr = base::Find(ingress, "spec");
  const json::value spec =
      spec_ptr != nullptr && spec_ptr->is_object() ? *spec_ptr : json::value(json::object());
  IngressOptions options = OptionsFor(old_obj);
  const json::array* rules = Array(spec, "rules");
  const json::value* default_backend = Set(spec, "defaultBackend");
  if ((rules == nullptr || rules->empty()) && default_backend == nullptr) {
    FieldError error{std::string(kFieldValueInvalid), "spec", nullptr,
                     "either `defaultBackend` or `rules` must be specified"};
    error.go_value = rules == nullptr ? "[]networking.IngressRule(nil)" : "[]networking.IngressRule{}";
    e.list.push_back(std::move(error));
  }
  if (default_backend && default_backend->is_object()) Backend(*default_backend, "spec.defaultBackend", e);
  if (rules) Rules(*rules, options, e);
  if (const json::array* tls = Array(spec, "tls")) Tls(*tls, options, e);
  if (const json::value* cls = Set(spec, "ingressClassName"); cls && cls->is_string()) {
    e.Invalid("spec.ingressClassName", cls->get_string(), IsDns1123Subdomain(cls->get_string()));
  }
  if (old_obj == nullptr) {
    const json::value* annotations = Annotations(ingress);
    const json::value* annotated = annotations && annotations->is_object()
                                       ? base::Find(*annotations, "kubernetes.io/ingress.class")
                                       : nullptr;
    const json::value* cls = Set(spec, "ingressClassName");
    if (annotated && annotated->is_string() && cls && cls->is_string() &&
        annotated->get_string() != cls->get_string()) {
      e.Add(kFieldValueInvalid, "annotations.kubernetes.io/ingress.class", *annotated,
            "must match `ingressClassName` when both are specified");
    }
  }
  LoadBalancerStatus(ingress, e);
  return std::move(e.list);
}

std::vector<FieldError> ValidateIngressClassRules(const json::value& ingress_class) {
  Errors e;
  const json::value* spec = base::Find(ingress_class, "spec");
  std::string controller = spec ? Str(*spec, "controller") : "";
  if (controller.empty()) {
    e.Add(kFieldValueRequired, "spec.controller", nullptr, "");
  } else {
    if (controller.size() > kMaxControllerLength) {
      e.Add(kFieldValueTooLong, "spec.controller", "",
            absl::StrCat("must have at most ", kMaxControllerLength, " bytes"));
    }
    DomainPrefixedPath("spec.controller", controller, e);
  }
  if (const json::value* params = spec ? Set(*spec, "parameters") : nullptr; params && params->is_object()) {
    ClassParameters(*params, e);
  }
  return std::move(e.list);
}

}  // namespace skiff::api
