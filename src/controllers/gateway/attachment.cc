#include "controllers/gateway/attachment.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/label_selector.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::controllers::gateway {
namespace {

namespace json = boost::json;

std::string Key(const std::string& ns, const std::string& name) { return absl::StrCat(ns, "/", name); }
std::string Ns(const json::value& o) { return base::GetString(o, {"metadata", "namespace"}); }
std::string Name(const json::value& o) { return base::GetString(o, {"metadata", "name"}); }

const json::array* ArrayAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = base::FindPath(v, path);
  return found && found->is_array() ? &found->as_array() : nullptr;
}

std::vector<std::string> Strings(const json::array* array) {
  std::vector<std::string> out;
  if (!array) return out;
  for (const json::value& v : *array) {
    if (v.is_string()) out.push_back(absl::AsciiStrToLower(std::string(v.as_string())));
  }
  return out;
}

bool IsWildcard(const std::string& host) { return absl::StartsWith(host, "*."); }

// True when `host` (exact) is within wildcard `pattern` ("*.example.com": any number of labels).
bool WithinWildcard(const std::string& host, const std::string& pattern) {
  return absl::EndsWith(host, pattern.substr(1)) && host.size() > pattern.size() - 1;
}

// The namespaces a listener admits routes from.
bool NamespaceAllowed(const json::value& listener, const std::string& gateway_ns, const std::string& route_ns,
                      const GatewayObjects& objects) {
  const std::string from = base::GetString(listener, {"allowedRoutes", "namespaces", "from"}, "Same");
  if (from == "All") return true;
  if (from == "Same") return route_ns == gateway_ns;
  if (from != "Selector") return false;
  const json::value* selector = base::FindPath(listener, {"allowedRoutes", "namespaces", "selector"});
  if (!selector) return false;
  absl::StatusOr<api::LabelSelector> parsed = api::LabelSelector::FromJson(*selector);
  if (!parsed.ok()) return false;
  for (const client::Object& ns : objects.namespaces) {
    if (ns && Name(*ns) == route_ns) return parsed->Matches(base::FindPath(*ns, {"metadata", "labels"}));
  }
  return false;
}

// allowedRoutes.kinds, when given, must admit HTTPRoute.
bool KindAllowed(const json::value& listener) {
  const json::array* kinds = ArrayAt(listener, {"allowedRoutes", "kinds"});
  if (!kinds || kinds->empty()) return true;
  for (const json::value& kind : *kinds) {
    if (base::GetString(kind, {"kind"}) == "HTTPRoute" && base::GetString(kind, {"group"}, kGroup) == kGroup) {
      return true;
    }
  }
  return false;
}

bool IsHttpListener(const json::value& listener) {
  const std::string protocol = base::GetString(listener, {"protocol"});
  return protocol == "HTTP" || protocol == "HTTPS";
}

ParentAttachment AttachParent(const json::value& route, size_t index, const json::value& ref,
                              const json::value& gateway, const GatewayObjects& objects) {
  ParentAttachment out{.ref_index = index, .gateway = Key(Ns(gateway), Name(gateway))};
  const std::string section = base::GetString(ref, {"sectionName"});
  const int64_t port = base::GetInt(ref, {"port"});
  const std::vector<std::string> route_hosts = Strings(ArrayAt(route, {"spec", "hostnames"}));
  bool any_candidate = false, any_allowed = false;
  std::set<std::string> hostnames;
  if (const json::array* listeners = ArrayAt(gateway, {"spec", "listeners"})) {
    for (const json::value& listener : *listeners) {
      const std::string name = base::GetString(listener, {"name"});
      if (!section.empty() && name != section) continue;
      if (port != 0 && base::GetInt(listener, {"port"}) != port) continue;
      any_candidate = true;
      if (!IsHttpListener(listener) || !KindAllowed(listener) ||
          !NamespaceAllowed(listener, Ns(gateway), Ns(route), objects)) {
        continue;
      }
      any_allowed = true;
      const std::vector<std::string> hosts =
          IntersectHostnames(absl::AsciiStrToLower(base::GetString(listener, {"hostname"})), route_hosts);
      if (hosts.empty()) continue;
      out.listeners.push_back(name);
      hostnames.insert(hosts.begin(), hosts.end());
    }
  }
  out.hostnames.assign(hostnames.begin(), hostnames.end());
  if (!out.listeners.empty()) {
    out.accepted = true;
    out.reason = "Accepted";
    out.message = absl::StrCat("attached to listeners ", absl::StrJoin(out.listeners, ", "));
  } else if (!any_candidate) {
    out.reason = "NoMatchingParent";
    out.message = section.empty() ? "the Gateway has no listener on that port"
                                  : absl::StrCat("the Gateway has no listener ", section,
                                                 port != 0 ? absl::StrCat(" on port ", port) : "");
  } else if (!any_allowed) {
    out.reason = "NotAllowedByListeners";
    out.message = "no listener allows HTTPRoutes from this namespace";
  } else {
    out.reason = "NoMatchingListenerHostname";
    out.message = "no listener hostname matches the route's hostnames";
  }
  return out;
}

}  // namespace

std::vector<std::string> IntersectHostnames(const std::string& listener_hostname,
                                            const std::vector<std::string>& route_hostnames) {
  if (route_hostnames.empty()) return {listener_hostname};
  if (listener_hostname.empty()) return route_hostnames;
  std::vector<std::string> out;
  for (const std::string& host : route_hostnames) {
    if (host == listener_hostname) {
      out.push_back(host);
    } else if (IsWildcard(listener_hostname) && WithinWildcard(host, listener_hostname)) {
      out.push_back(host);  // the route's name is the more specific (exact or a narrower wildcard)
    } else if (IsWildcard(host) && WithinWildcard(listener_hostname, host)) {
      out.push_back(listener_hostname);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Attachments Attach(const GatewayObjects& objects) {
  Attachments out;
  for (const client::Object& c : objects.classes) {
    if (c && base::GetString(*c, {"spec", "controllerName"}) == kControllerName) out.classes.insert(Name(*c));
  }
  std::map<std::string, client::Object> gateways;
  for (const client::Object& g : objects.gateways) {
    if (g && out.classes.count(base::GetString(*g, {"spec", "gatewayClassName"}))) gateways[Key(Ns(*g), Name(*g))] = g;
  }
  for (const auto& [key, gateway] : gateways) {
    out.gateways.push_back(gateway);
    auto& counts = out.attached_routes[key];
    if (const json::array* listeners = ArrayAt(*gateway, {"spec", "listeners"})) {
      for (const json::value& listener : *listeners) counts[base::GetString(listener, {"name"})] = 0;
    }
  }
  std::vector<client::Object> routes;
  for (const client::Object& r : objects.routes) {
    if (r) routes.push_back(r);
  }
  auto rank = [](const client::Object& o) {
    return std::make_tuple(base::GetString(*o, {"metadata", "creationTimestamp"}), Ns(*o), Name(*o));
  };
  std::stable_sort(routes.begin(), routes.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  for (const client::Object& route : routes) {
    RouteAttachment attachment{.route = route};
    const json::array* refs = ArrayAt(*route, {"spec", "parentRefs"});
    for (size_t i = 0; refs && i < refs->size(); ++i) {
      const json::value& ref = (*refs)[i];
      if (base::GetString(ref, {"group"}, kGroup) != kGroup || base::GetString(ref, {"kind"}, "Gateway") != "Gateway") {
        continue;
      }
      auto gateway = gateways.find(Key(base::GetString(ref, {"namespace"}, Ns(*route)), base::GetString(ref, {"name"})));
      if (gateway == gateways.end()) continue;
      ParentAttachment parent = AttachParent(*route, i, ref, *gateway->second, objects);
      for (const std::string& listener : parent.listeners) ++out.attached_routes[parent.gateway][listener];
      attachment.parents.push_back(std::move(parent));
    }
    if (!attachment.parents.empty()) out.routes.push_back(std::move(attachment));
  }
  return out;
}

std::vector<std::string> ListenerCertificateSecrets(const json::value& listener, const std::string& gateway_ns,
                                                    bool* cross_namespace) {
  std::vector<std::string> out;
  if (cross_namespace) *cross_namespace = false;
  if (base::GetString(listener, {"protocol"}) != "HTTPS") return out;
  const json::array* refs = ArrayAt(listener, {"tls", "certificateRefs"});
  for (size_t i = 0; refs && i < refs->size(); ++i) {
    const json::value& ref = (*refs)[i];
    if (!base::GetString(ref, {"group"}).empty() || base::GetString(ref, {"kind"}, "Secret") != "Secret") continue;
    if (base::GetString(ref, {"namespace"}, gateway_ns) != gateway_ns) {
      if (cross_namespace) *cross_namespace = true;
      continue;
    }
    out.push_back(base::GetString(ref, {"name"}));
  }
  return out;
}

std::set<std::string> GatewayCertificateSecrets(const std::vector<client::Object>& gateways) {
  std::set<std::string> keys;
  for (const client::Object& gateway : gateways) {
    const json::array* listeners = ArrayAt(*gateway, {"spec", "listeners"});
    for (size_t i = 0; listeners && i < listeners->size(); ++i) {
      for (const std::string& name : ListenerCertificateSecrets((*listeners)[i], Ns(*gateway), nullptr)) {
        keys.insert(Key(Ns(*gateway), name));
      }
    }
  }
  return keys;
}

bool BackendRefPermitted(const std::string& route_ns, const std::string& service_ns, const std::string& service,
                         const std::vector<client::Object>& grants) {
  if (route_ns == service_ns) return true;
  for (const client::Object& grant : grants) {
    if (!grant || Ns(*grant) != service_ns) continue;
    bool from_ok = false, to_ok = false;
    if (const json::array* from = ArrayAt(*grant, {"spec", "from"})) {
      for (const json::value& f : *from) {
        from_ok |= base::GetString(f, {"group"}) == kGroup && base::GetString(f, {"kind"}) == "HTTPRoute" &&
                   base::GetString(f, {"namespace"}) == route_ns;
      }
    }
    if (const json::array* to = ArrayAt(*grant, {"spec", "to"})) {
      for (const json::value& t : *to) {
        const std::string name = base::GetString(t, {"name"});
        to_ok |= base::GetString(t, {"group"}).empty() && base::GetString(t, {"kind"}) == "Service" &&
                 (name.empty() || name == service);
      }
    }
    if (from_ok && to_ok) return true;
  }
  return false;
}

}  // namespace skiff::controllers::gateway
