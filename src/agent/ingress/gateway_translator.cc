#include "agent/ingress/gateway_translator.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/ingress/ingress_translator.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::agent::ingress {
namespace {

namespace json = boost::json;
namespace gw = controllers::gateway;

const json::array* ArrayAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* found = base::FindPath(v, path);
  return found && found->is_array() ? &found->as_array() : nullptr;
}

bool IsServiceRef(const json::value& ref) {
  return base::GetString(ref, {"group"}).empty() && base::GetString(ref, {"kind"}, "Service") == "Service";
}

StringMatchType StringType(const json::value& match) {
  return base::GetString(match, {"type"}, "Exact") == "RegularExpression" ? StringMatchType::kRegularExpression
                                                                          : StringMatchType::kExact;
}

RouteMatch TranslateMatch(const json::value& match) {
  RouteMatch out;
  const std::string type = base::GetString(match, {"path", "type"}, "PathPrefix");
  out.path.value = base::GetString(match, {"path", "value"}, "/");
  out.path.type = type == "Exact"               ? PathMatchType::kExact
                  : type == "RegularExpression" ? PathMatchType::kRegularExpression
                                                : PathMatchType::kPrefix;
  if (const json::array* headers = ArrayAt(match, {"headers"})) {
    for (const json::value& h : *headers) {
      out.headers.push_back({base::GetString(h, {"name"}), StringType(h), base::GetString(h, {"value"})});
    }
  }
  if (const json::array* params = ArrayAt(match, {"queryParams"})) {
    for (const json::value& q : *params) {
      out.query_params.push_back({base::GetString(q, {"name"}), StringType(q), base::GetString(q, {"value"})});
    }
  }
  out.method = base::GetString(match, {"method"});
  return out;
}

HeaderModifier TranslateHeaderModifier(const json::value& filter) {
  HeaderModifier out;
  auto pairs = [&](std::string_view field, std::vector<std::pair<std::string, std::string>>* into) {
    if (const json::array* list = ArrayAt(filter, {field})) {
      for (const json::value& h : *list) into->emplace_back(base::GetString(h, {"name"}), base::GetString(h, {"value"}));
    }
  };
  pairs("set", &out.set);
  pairs("add", &out.add);
  if (const json::array* remove = ArrayAt(filter, {"remove"})) {
    for (const json::value& name : *remove) {
      if (name.is_string()) out.remove.emplace_back(name.as_string());
    }
  }
  return out;
}

Redirect TranslateRedirect(const json::value& filter) {
  Redirect out;
  if (const std::string scheme = base::GetString(filter, {"scheme"}); !scheme.empty()) out.scheme = scheme;
  if (const std::string host = base::GetString(filter, {"hostname"}); !host.empty()) out.hostname = host;
  if (const int64_t port = base::GetInt(filter, {"port"}); port > 0) out.port = static_cast<int>(port);
  const std::string path_type = base::GetString(filter, {"path", "type"});
  if (path_type == "ReplaceFullPath") {
    out.replace_full_path = base::GetString(filter, {"path", "replaceFullPath"});
  } else if (path_type == "ReplacePrefixMatch") {
    out.replace_prefix_match = base::GetString(filter, {"path", "replacePrefixMatch"});
  }
  out.status_code = static_cast<int>(base::GetInt(filter, {"statusCode"}, 302));
  return out;
}

class Translator {
 public:
  Translator(const GatewayInputs& inputs, RouteTable* table, std::vector<std::string>* warnings)
      : inputs_(inputs), table_(table), warnings_(warnings) {}

  void Translate(const gw::Attachments& attachments) {
    for (const client::Object& gateway : attachments.gateways) TranslateCertificates(*gateway);
    for (const gw::RouteAttachment& attachment : attachments.routes) {
      std::set<std::string> hostnames;
      for (const gw::ParentAttachment& parent : attachment.parents) {
        if (parent.accepted) hostnames.insert(parent.hostnames.begin(), parent.hostnames.end());
      }
      if (hostnames.empty()) continue;
      const std::vector<Route> routes = TranslateRoute(*attachment.route);
      for (const std::string& hostname : hostnames) {
        table_->hosts.push_back(VirtualHost{.hostname = hostname, .wildcard_any_depth = true, .routes = routes});
      }
    }
  }

 private:
  void TranslateCertificates(const json::value& gateway) {
    const std::string ns = base::GetString(gateway, {"metadata", "namespace"});
    const json::array* listeners = ArrayAt(gateway, {"spec", "listeners"});
    for (size_t i = 0; listeners && i < listeners->size(); ++i) {
      const json::value& listener = (*listeners)[i];
      bool cross_namespace = false;
      const std::string what = absl::StrCat("Gateway ", ns, "/", base::GetString(gateway, {"metadata", "name"}),
                                            " listener ", base::GetString(listener, {"name"}));
      const std::string hostname = absl::AsciiStrToLower(base::GetString(listener, {"hostname"}));
      for (const std::string& name : gw::ListenerCertificateSecrets(listener, ns, &cross_namespace)) {
        const std::string source = absl::StrCat("Secret ", ns, "/", name, " (", what, ")");
        auto secret = inputs_.secrets.find(absl::StrCat(ns, "/", name));
        if (secret == inputs_.secrets.end() || !secret->second) {
          Warn(absl::StrCat(source, ": not found"));
          continue;
        }
        std::string problem;
        std::optional<TlsCertificate> cert = CertificateFromSecret(
            *secret->second, hostname.empty() ? std::vector<std::string>{} : std::vector<std::string>{hostname}, source,
            &problem);
        if (!cert) {
          Warn(absl::StrCat(source, ": ", problem));
          continue;
        }
        table_->certificates.push_back(std::move(*cert));
      }
      if (cross_namespace) Warn(absl::StrCat(what, ": certificateRefs to other namespaces are not supported"));
    }
  }

  void Warn(std::string what) {
    if (warnings_) warnings_->push_back(std::move(what));
  }

  std::vector<Route> TranslateRoute(const json::value& route) {
    const std::string ns = base::GetString(route, {"metadata", "namespace"});
    const std::string what = absl::StrCat("HTTPRoute ", ns, "/", base::GetString(route, {"metadata", "name"}));
    std::vector<Route> out;
    const json::array* rules = ArrayAt(route, {"spec", "rules"});
    for (size_t i = 0; rules && i < rules->size(); ++i) {
      const json::value& rule = (*rules)[i];
      Route r{.source = absl::StrCat(what, " rule ", i)};
      if (const json::array* matches = ArrayAt(rule, {"matches"})) {
        for (const json::value& match : *matches) r.matches.push_back(TranslateMatch(match));
      }
      bool unsupported = false;
      if (const json::array* filters = ArrayAt(rule, {"filters"})) {
        for (const json::value& filter : *filters) unsupported |= !ApplyFilter(filter, r);
      }
      // A filter must never be skipped: the rule's requests get an error (503, no backends).
      if (unsupported) {
        r.redirect.reset();
      } else if (!r.redirect) {
        if (const json::array* refs = ArrayAt(rule, {"backendRefs"})) {
          for (const json::value& ref : *refs) r.backends.push_back(ResolveRef(ns, ref, r.source));
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  // False for a filter the proxy cannot apply.
  bool ApplyFilter(const json::value& filter, Route& route) {
    const std::string type = base::GetString(filter, {"type"});
    if (type == "RequestHeaderModifier") {
      if (const json::value* spec = base::Find(filter, "requestHeaderModifier")) {
        route.request_headers = TranslateHeaderModifier(*spec);
      }
    } else if (type == "RequestRedirect") {
      if (const json::value* spec = base::Find(filter, "requestRedirect")) route.redirect = TranslateRedirect(*spec);
    } else {
      Warn(absl::StrCat(route.source, ": filter ", type, " is not supported; the rule answers 503"));
      return false;
    }
    return true;
  }

  Backend ResolveRef(const std::string& route_ns, const json::value& ref, const std::string& source) {
    Backend out{.ns = base::GetString(ref, {"namespace"}, route_ns),
                .service = base::GetString(ref, {"name"}),
                .port_number = static_cast<int>(base::GetInt(ref, {"port"})),
                .weight = static_cast<int>(base::GetInt(ref, {"weight"}, 1))};
    if (!IsServiceRef(ref)) {
      out.problem = absl::StrCat("backendRef kind ", base::GetString(ref, {"kind"}), " is not supported");
    } else if (out.port_number <= 0) {
      out.problem = "backendRef to a Service needs a port";
    } else if (!gw::BackendRefPermitted(route_ns, out.ns, out.service, inputs_.reference_grants)) {
      out.problem = absl::StrCat("no ReferenceGrant lets HTTPRoutes of ", route_ns, " reach service ", out.ns, "/",
                                 out.service);
    } else {
      return ResolveServiceBackend(inputs_.services, inputs_.slices, std::move(out));
    }
    Warn(absl::StrCat(source, ": ", out.problem));
    return out;
  }

  const GatewayInputs& inputs_;
  RouteTable* table_;
  std::vector<std::string>* warnings_;
};

}  // namespace

std::set<std::string> GatewayReferencedServices(const gw::Attachments& attachments) {
  std::set<std::string> keys;
  for (const gw::RouteAttachment& attachment : attachments.routes) {
    const std::string ns = base::GetString(*attachment.route, {"metadata", "namespace"});
    const json::array* rules = ArrayAt(*attachment.route, {"spec", "rules"});
    for (size_t i = 0; rules && i < rules->size(); ++i) {
      const json::array* refs = ArrayAt((*rules)[i], {"backendRefs"});
      for (size_t j = 0; refs && j < refs->size(); ++j) {
        const json::value& ref = (*refs)[j];
        if (IsServiceRef(ref)) {
          keys.insert(absl::StrCat(base::GetString(ref, {"namespace"}, ns), "/", base::GetString(ref, {"name"})));
        }
      }
    }
  }
  return keys;
}

void TranslateGateways(const GatewayInputs& inputs, RouteTable* table, std::vector<std::string>* warnings) {
  Translator(inputs, table, warnings).Translate(inputs.attachments);
  MergeHosts(*table);
  SortRoutes(*table);
}

}  // namespace skiff::agent::ingress
