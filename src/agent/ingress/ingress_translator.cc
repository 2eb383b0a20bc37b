#include "agent/ingress/ingress_translator.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::agent::ingress {
namespace {

namespace json = boost::json;

std::string Key(const std::string& ns, const std::string& name) { return absl::StrCat(ns, "/", name); }

const json::array* ArrayAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = base::FindPath(v, path);
  return found && found->is_array() ? &found->as_array() : nullptr;
}

// The service port a backend names: {name, port number, (ServicePort.name)}.
struct ServicePortRef {
  std::string name;
  int number = 0;
};

std::optional<ServicePortRef> BackendPort(const json::value& backend) {
  const json::value* port = base::FindPath(backend, {"service", "port"});
  if (!port) return std::nullopt;
  ServicePortRef ref{base::GetString(*port, {"name"}), static_cast<int>(base::GetInt(*port, {"number"}))};
  if (ref.name.empty() && ref.number <= 0) return std::nullopt;
  return ref;
}

void AddEndpoints(const json::value& slice, const std::string& port_name, std::vector<Endpoint>* out) {
    if (base::GetString(slice, {"addressType"}) != "IPv4") return;
    int target = 0;
    if (const json::array* ports = ArrayAt(slice, {"ports"})) {
      for (const json::value& p : *ports) {
        if (base::GetString(p, {"name"}) == port_name && base::GetString(p, {"protocol"}, "TCP") == "TCP") {
          target = static_cast<int>(base::GetInt(p, {"port"}));
        }
      }
    }
    if (target <= 0 || target > 65535) return;
    const json::array* endpoints = ArrayAt(slice, {"endpoints"});
    if (!endpoints) return;
    for (const json::value& endpoint : *endpoints) {
      // conditions.ready unset means ready (the API's rule).
      if (!base::GetBool(endpoint, {"conditions", "ready"}, true)) continue;
      if (const json::array* addresses = ArrayAt(endpoint, {"addresses"})) {
        for (const json::value& address : *addresses) {
          if (address.is_string()) out->push_back(Endpoint{std::string(address.as_string()), target});
        }
      }
    }
  }

class Translator {
 public:
  Translator(const IngressInputs& inputs, std::vector<std::string>* warnings)
      : inputs_(inputs), warnings_(warnings) {}

  RouteTable Translate() {
    for (const client::Object& ingress : Ordered()) TranslateIngress(*ingress);
    MergeHosts(table_);
    SortRoutes(table_);
    return std::move(table_);
  }

 private:
  void Warn(std::string what) {
    if (warnings_) warnings_->push_back(std::move(what));
  }

  std::vector<client::Object> Ordered() const {
    std::vector<client::Object> ours;
    for (const client::Object& ingress : inputs_.ingresses) {
      if (ingress && IsOurIngress(*ingress, inputs_.classes)) ours.push_back(ingress);
    }
    auto rank = [](const client::Object& o) {
      return std::make_tuple(base::GetString(*o, {"metadata", "creationTimestamp"}),
                             base::GetString(*o, {"metadata", "namespace"}), base::GetString(*o, {"metadata", "name"}));
    };
    std::stable_sort(ours.begin(), ours.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    return ours;
  }

  void TranslateIngress(const json::value& ingress) {
    const std::string ns = base::GetString(ingress, {"metadata", "namespace"});
    const std::string name = base::GetString(ingress, {"metadata", "name"});
    const std::string what = absl::StrCat("Ingress ", ns, "/", name);
    if (const json::value* backend = base::FindPath(ingress, {"spec", "defaultBackend"})) {
      if (table_.default_route) {
        Warn(absl::StrCat(what, ": defaultBackend ignored, ", table_.default_route->source, " is older"));
      } else {
        Route route{.source = absl::StrCat(what, " defaultBackend")};
        route.backends.push_back(ResolveBackend(ns, *backend, route.source));
        table_.default_route = std::move(route);
      }
    }
    if (const json::array* rules = ArrayAt(ingress, {"spec", "rules"})) {
      for (size_t i = 0; i < rules->size(); ++i) TranslateRule(ns, what, i, (*rules)[i]);
    }
    if (const json::array* tls = ArrayAt(ingress, {"spec", "tls"})) {
      for (const json::value& entry : *tls) TranslateTls(ns, what, entry);
    }
  }

  void TranslateRule(const std::string& ns, const std::string& what, size_t index, const json::value& rule) {
    VirtualHost vhost{.hostname = absl::AsciiStrToLower(base::GetString(rule, {"host"}))};
    const json::array* paths = ArrayAt(rule, {"http", "paths"});
    if (!paths) return;
    for (size_t j = 0; j < paths->size(); ++j) {
      const json::value& path = (*paths)[j];
      Route route{.source = absl::StrCat(what, " rule ", index, " path ", j)};
      const std::string type = base::GetString(path, {"pathType"}, "ImplementationSpecific");
      RouteMatch match;
      match.path.value = base::GetString(path, {"path"}, "/");
      if (match.path.value.empty()) match.path.value = "/";
      if (type == "Exact") {
        match.path.type = PathMatchType::kExact;
      } else if (type == "Prefix" || type == "ImplementationSpecific") {
        match.path.type = PathMatchType::kPrefix;
      } else {
        Warn(absl::StrCat(route.source, ": unknown pathType ", type, "; left out"));
        continue;
      }
      route.matches.push_back(std::move(match));
      const json::value* backend = base::Find(path, "backend");
      route.backends.push_back(backend ? ResolveBackend(ns, *backend, route.source)
                                       : Backend{.ns = ns, .problem = "no backend"});
      vhost.routes.push_back(std::move(route));
    }
    table_.hosts.push_back(std::move(vhost));
  }

  Backend ResolveBackend(const std::string& ns, const json::value& backend, const std::string& source) {
    Backend out{.ns = ns, .service = base::GetString(backend, {"service", "name"})};
    const std::optional<ServicePortRef> port = BackendPort(backend);
    if (out.service.empty() || !port) {
      out.problem = base::FindPath(backend, {"resource"}) ? "resource backends are not supported"
                                                          : "backend names no service and port";
      Warn(absl::StrCat(source, ": ", out.problem));
      return out;
    }
    out.port_name = port->name;
    out.port_number = port->number;
    return ResolveServiceBackend(inputs_.services, inputs_.slices, std::move(out));
  }

  void TranslateTls(const std::string& ns, const std::string& what, const json::value& entry) {
    const std::string secret_name = base::GetString(entry, {"secretName"});
    if (secret_name.empty()) return;
    const std::string source = absl::StrCat("Secret ", Key(ns, secret_name), " (", what, ")");
    auto secret = inputs_.secrets.find(Key(ns, secret_name));
    if (secret == inputs_.secrets.end() || !secret->second) {
      Warn(absl::StrCat(source, ": not found"));
      return;
    }
    std::vector<std::string> names;
    if (const json::array* hosts = ArrayAt(entry, {"hosts"})) {
      for (const json::value& host : *hosts) {
        if (host.is_string()) names.push_back(absl::AsciiStrToLower(std::string(host.as_string())));
      }
    }
    std::string problem;
    std::optional<TlsCertificate> cert = CertificateFromSecret(*secret->second, std::move(names), source, &problem);
    if (!cert) {
      Warn(absl::StrCat(source, ": ", problem));
      return;
    }
    table_.certificates.push_back(std::move(*cert));
  }

  const IngressInputs& inputs_;
  std::vector<std::string>* warnings_;
  RouteTable table_;
};

}  // namespace

Backend ResolveServiceBackend(const std::map<std::string, client::Object>& services,
                              const std::map<std::string, std::vector<client::Object>>& slices, Backend out) {
  auto service = services.find(Key(out.ns, out.service));
  if (service == services.end() || !service->second) {
    out.problem = absl::StrCat("service ", Key(out.ns, out.service), " not found");
    return out;
  }
  // The Service port, by name or number; its name selects the EndpointSlice port.
  std::optional<std::string> service_port_name;
  if (const json::array* ports = ArrayAt(*service->second, {"spec", "ports"})) {
    for (const json::value& p : *ports) {
      const std::string name = base::GetString(p, {"name"});
      const bool tcp = base::GetString(p, {"protocol"}, "TCP") == "TCP";
      if (tcp && ((!out.port_name.empty() && name == out.port_name) ||
                  (out.port_name.empty() && base::GetInt(p, {"port"}) == out.port_number))) {
        service_port_name = name;
        break;
      }
    }
  }
  if (!service_port_name) {
    out.problem = absl::StrCat("service ", Key(out.ns, out.service), " has no TCP port ",
                               out.port_name.empty() ? absl::StrCat(out.port_number) : out.port_name);
    return out;
  }
  auto service_slices = slices.find(Key(out.ns, out.service));
  if (service_slices != slices.end()) {
    for (const client::Object& slice : service_slices->second) AddEndpoints(*slice, *service_port_name, &out.endpoints);
  }
  std::sort(out.endpoints.begin(), out.endpoints.end());
  out.endpoints.erase(std::unique(out.endpoints.begin(), out.endpoints.end()), out.endpoints.end());
  return out;
}

std::optional<TlsCertificate> CertificateFromSecret(const json::value& secret, std::vector<std::string> hosts,
                                                    std::string source, std::string* problem) {
  if (base::GetString(secret, {"type"}) != "kubernetes.io/tls") {
    *problem = "type is not kubernetes.io/tls";
    return std::nullopt;
  }
  TlsCertificate cert{.hosts = std::move(hosts), .source = std::move(source)};
  if (!absl::Base64Unescape(base::GetString(secret, {"data", "tls.crt"}), &cert.cert_pem) ||
      !absl::Base64Unescape(base::GetString(secret, {"data", "tls.key"}), &cert.key_pem)) {
    *problem = "tls.crt or tls.key is not base64";
    return std::nullopt;
  }
  return cert;
}

bool IsOurIngress(const json::value& ingress, const std::set<std::string>& classes) {
  auto ours = [&](const std::string& name) { return name == kDefaultIngressClass || classes.count(name) > 0; };
  if (const json::value* name = base::FindPath(ingress, {"spec", "ingressClassName"}); name && name->is_string()) {
    return ours(std::string(name->as_string()));
  }
  const json::value* annotation =
      base::FindPath(ingress, {"metadata", "annotations", "kubernetes.io/ingress.class"});
  if (annotation && annotation->is_string()) return ours(std::string(annotation->as_string()));
  return true;
}

std::set<std::string> ReferencedSecrets(const std::vector<client::Object>& ingresses,
                                        const std::set<std::string>& classes) {
  std::set<std::string> keys;
  for (const client::Object& ingress : ingresses) {
    if (!ingress || !IsOurIngress(*ingress, classes)) continue;
    const std::string ns = base::GetString(*ingress, {"metadata", "namespace"});
    if (const json::array* tls = ArrayAt(*ingress, {"spec", "tls"})) {
      for (const json::value& entry : *tls) {
        const std::string name = base::GetString(entry, {"secretName"});
        if (!name.empty()) keys.insert(Key(ns, name));
      }
    }
  }
  return keys;
}

std::set<std::string> ReferencedServices(const std::vector<client::Object>& ingresses,
                                         const std::set<std::string>& classes) {
  std::set<std::string> keys;
  auto add = [&](const std::string& ns, const json::value* backend) {
    if (!backend) return;
    const std::string name = base::GetString(*backend, {"service", "name"});
    if (!name.empty()) keys.insert(Key(ns, name));
  };
  for (const client::Object& ingress : ingresses) {
    if (!ingress || !IsOurIngress(*ingress, classes)) continue;
    const std::string ns = base::GetString(*ingress, {"metadata", "namespace"});
    add(ns, base::FindPath(*ingress, {"spec", "defaultBackend"}));
    if (const json::array* rules = ArrayAt(*ingress, {"spec", "rules"})) {
      for (const json::value& rule : *rules) {
        if (const json::array* paths = ArrayAt(rule, {"http", "paths"})) {
          for (const json::value& path : *paths) add(ns, base::Find(path, "backend"));
        }
      }
    }
  }
  return keys;
}

RouteTable TranslateIngresses(const IngressInputs& inputs, std::vector<std::string>* warnings) {
  return Translator(inputs, warnings).Translate();
}

}  // namespace skiff::agent::ingress
