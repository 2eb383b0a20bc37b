#include "agent/ingress/haproxy_config.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace skiff::agent::ingress {
namespace {

bool HasControlChars(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A word of haproxy.cfg: double-quoted, with the characters HAProxy treats specially inside
// double quotes (backslash, quote, "$" of environment variables) escaped.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"' || c == '$') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A log-format string (header values, redirect locations): "%" is literal only doubled.
std::string QuoteFormat(const std::string& s) {
  std::string escaped;
  for (char c : s) {
    if (c == '%') escaped += '%';
    escaped += c;
  }
  return Quote(escaped);
}

// Header and parameter names: HTTP tokens only, so they can stand unquoted inside a fetch's ().
bool IsToken(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || absl::StrContains("!#&'*+-.^_`|~", c);
  });
}

std::string RegexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') out += '\\';
    out += c;
  }
  return out;
}

std::string Ms(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d), "ms"); }

std::string BackendRef(const Backend& backend) {
  return absl::StrCat(backend.ns, "/", backend.service, ":",
                      backend.port_name.empty() ? absl::StrCat(backend.port_number) : backend.port_name);
}

// Checks that a certificate's PEM parses and its key belongs to it (HAProxy refuses the whole
// configuration otherwise). "" when usable, else why not.
std::string CertificateProblem(const TlsCertificate& cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert.cert_pem.data(), static_cast<int>(cert.cert_pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!x509) return "tls.crt holds no PEM certificate";
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(cert.key_pem.data(), static_cast<int>(cert.key_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) return "tls.key holds no PEM private key";
  if (X509_check_private_key(x509.get(), key.get()) != 1) return "tls.key does not match tls.crt";
  return "";
}

bool ValidHostName(const std::string& host) {
  if (host.empty()) return true;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) || absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
           c == '.' || c == '-' || c == '*';
  });
}

class Renderer {
 public:
  Renderer(const RouteTable& table, const HaproxyOptions& options) : table_(table), options_(options) {}

  RenderedConfig Render() {
    RenderGlobal();
    RenderFrontend();
    RenderBackends();
    RenderCertificates();
    return std::move(out_);
  }

 private:
  void Line(const std::string& text) { absl::StrAppend(&out_.haproxy_cfg, text, "\n"); }
  void Warn(std::string what) { out_.warnings.push_back(std::move(what)); }

  void RenderGlobal() {
    Line("# Rendered by the skiff agent from the node's route table; rewritten on every change.");
    Line("global");
    if (!options_.stats_socket.empty()) {
      Line(absl::StrCat("  stats socket ", options_.stats_socket, " mode 600 level admin expose-fd listeners"));
    }
    Line(absl::StrCat("  hard-stop-after ", Ms(options_.hard_stop_after)));
    Line("  ssl-default-bind-options ssl-min-ver TLSv1.2");
    Line("  tune.ssl.default-dh-param 2048");
    Line("");
    Line("defaults");
    Line("  mode http");
    Line("  option http-keep-alive");
    Line("  option dontlognull");
    // An old worker answers the next request of an idle keep-alive connection (with
    // "Connection: close") instead of closing it under the client at a reload.
    Line("  option idle-close-on-response");
    Line(absl::StrCat("  timeout connect ", Ms(options_.connect_timeout)));
    Line(absl::StrCat("  timeout client ", Ms(options_.client_timeout)));
    Line(absl::StrCat("  timeout server ", Ms(options_.server_timeout)));
    Line(absl::StrCat("  timeout http-keep-alive ", Ms(options_.client_timeout)));
    Line("  timeout http-request 10s");
    Line(absl::StrCat("  timeout tunnel ", Ms(options_.tunnel_timeout)));
    Line("  timeout client-fin 5s");
    // Requests to an endpoint that just went away (scale down, pod restart) are retried on
    // another server: connection refused/reset before any response byte.
    Line("  retries 3");
    Line("  option redispatch 1");
    Line("  retry-on conn-failure empty-response junk-response");
    Line("");
  }

  std::vector<std::string> BindAddresses() const {
    std::vector<std::string> addresses;
    std::set<std::string> seen;
    for (const std::string& address : options_.bind_addresses) {
      if (seen.insert(address).second) addresses.push_back(address);
    }
    if (addresses.empty()) addresses.push_back("0.0.0.0");
    return addresses;
  }

  void RenderFrontend() {
    Line("frontend ingress");
    for (const std::string& address : BindAddresses()) {
      if (options_.http_port > 0) Line(absl::StrCat("  bind ", address, ":", options_.http_port));
      if (options_.https_port > 0) {
        Line(absl::StrCat("  bind ", address, ":", options_.https_port, " ssl crt-list ", options_.cert_dir,
                          "/", kCrtListFile, " alpn h2,http/1.1"));
      }
    }
    // A request whose server closed without answering is sent again only when repeating it is
    // harmless (RFC 9110 idempotent methods); connection failures are always retried.
    Line("  http-request disable-l7-retry unless { method GET HEAD OPTIONS TRACE PUT DELETE }");
    Line("  http-request set-var(txn.host) req.hdr(host),field(1,:),lower");
    Line("  http-request set-header X-Forwarded-For %[src]");
    Line("  http-request set-header X-Forwarded-Proto https if { ssl_fc }");
    Line("  http-request set-header X-Forwarded-Proto http unless { ssl_fc }");
    Line("  http-request set-header X-Forwarded-Host %[req.hdr(host)]");
    Line("  http-request set-header X-Forwarded-Port %[dst_port]");
    RenderHostSelection();
    for (size_t h : selected_) RenderHost(h);
    Line(absl::StrCat("  default_backend ", table_.default_route ? "default-route" : "not-found"));
    Line("");
  }

  // Picks the request's virtual host once, most specific first: txn.vhost = its index.
  void RenderHostSelection() {
    bool first = true;
    for (size_t h : OrderedHosts(table_)) {
      const VirtualHost& vhost = table_.hosts[h];
      if (!ValidHostName(vhost.hostname)) {
        Warn(absl::StrCat("host ", Quote(vhost.hostname), ": not a lower-case DNS name; its routes are left out"));
        continue;
      }
      std::string condition;
      if (absl::StartsWith(vhost.hostname, "*.")) {
        const std::string suffix = RegexEscape(vhost.hostname.substr(1));
        const std::string label = vhost.wildcard_any_depth ? ".+" : "[^.]+";
        condition = absl::StrCat("{ var(txn.host) -m reg ", Quote(absl::StrCat("^", label, suffix, "$")), " }");
      } else if (!vhost.hostname.empty()) {
        condition = absl::StrCat("{ var(txn.host) -m str ", Quote(vhost.hostname), " }");
      }
      const std::string unset = first ? "" : "!{ var(txn.vhost) -m found } ";
      first = false;
      const std::string guard = absl::StrCat(unset, condition);
      Line(absl::StrCat("  http-request set-var(txn.vhost) int(", h, ")", guard.empty() ? "" : " if ", guard,
                        "  # ", vhost.hostname.empty() ? "*" : vhost.hostname));
      selected_.push_back(h);
    }
  }

  void RenderHost(size_t h) {
    const VirtualHost& vhost = table_.hosts[h];
    Line(absl::StrCat("  # host ", vhost.hostname.empty() ? "*" : vhost.hostname));
    const std::string host_acl = absl::StrCat("host", h);
    Line(absl::StrCat("  acl ", host_acl, " var(txn.vhost) -m int ", h));
    const auto ordered = OrderedMatches(vhost);
    for (size_t m = 0; m < ordered.size(); ++m) {
      const auto& [route_index, match] = ordered[m];
      const Route& route = vhost.routes[route_index];
      const std::string acl_prefix = absl::StrCat("h", h, "m", m);
      std::vector<std::string> conditions = {host_acl};
      std::string problem;
      if (!MatchConditions(match, acl_prefix, &conditions, &problem)) {
        Warn(absl::StrCat(route.source, ": ", problem, "; the match is left out"));
        continue;
      }
      Line(absl::StrCat("  use_backend ", RouteName(h, route_index), " if ", absl::StrJoin(conditions, " "), "  # ",
                        SafeComment(route.source)));
    }
  }

  static std::string SafeComment(const std::string& s) {
    std::string out = s;
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return out;
  }

  static std::string RouteName(size_t h, size_t r) { return absl::StrCat("route-", h, "-", r); }

  // Appends the conditions (ACL names and anonymous ACLs) of one match; false when a value
  // cannot be expressed.
  bool MatchConditions(const RouteMatch& match, const std::string& acl_prefix, std::vector<std::string>* conditions,
                       std::string* problem) {
    const PathMatch& path = match.path;
    if (HasControlChars(path.value)) {
      *problem = "path has control characters";
      return false;
    }
    switch (path.type) {
      case PathMatchType::kExact:
        conditions->push_back(absl::StrCat("{ path -m str ", Quote(path.value), " }"));
        break;
      case PathMatchType::kPrefix: {
        const std::string prefix(absl::StripSuffix(path.value, "/"));
        if (!prefix.empty()) {
          // Element-wise: the path itself or anything below it (repeated acl lines are ORed).
          const std::string acl = acl_prefix + "path";
          Line(absl::StrCat("  acl ", acl, " path -m str ", Quote(prefix)));
          Line(absl::StrCat("  acl ", acl, " path -m beg ", Quote(prefix + "/")));
          conditions->push_back(acl);
        }
        break;
      }
      case PathMatchType::kRegularExpression:
        conditions->push_back(absl::StrCat("{ path -m reg ", Quote(absl::StrCat("^(?:", path.value, ")$")), " }"));
        break;
    }
    if (!match.method.empty()) {
      if (!IsToken(match.method)) {
        *problem = "method is not an HTTP token";
        return false;
      }
      conditions->push_back(absl::StrCat("{ method ", match.method, " }"));
    }
    for (const HeaderMatch& header : match.headers) {
      if (!IsToken(header.name) || HasControlChars(header.value)) {
        *problem = absl::StrCat("header match ", Quote(header.name), " is not expressible");
        return false;
      }
      conditions->push_back(absl::StrCat("{ req.fhdr(", header.name, ") -m ",
                                         header.type == StringMatchType::kExact ? "str " : "reg ",
                                         Quote(header.value), " }"));
    }
    for (const QueryParamMatch& param : match.query_params) {
      if (!IsToken(param.name) || HasControlChars(param.value)) {
        *problem = absl::StrCat("query match ", Quote(param.name), " is not expressible");
        return false;
      }
      conditions->push_back(absl::StrCat("{ urlp(", param.name, ") -m ",
                                         param.type == StringMatchType::kExact ? "str " : "reg ", Quote(param.value),
                                         " }"));
    }
    return true;
  }

  void RenderBackends() {
    for (size_t h : selected_) {
      for (size_t r = 0; r < table_.hosts[h].routes.size(); ++r) {
        RenderRoute(RouteName(h, r), table_.hosts[h].routes[r]);
      }
    }
    if (table_.default_route) RenderRoute("default-route", *table_.default_route);
    Line("backend not-found");
    Line("  http-request return status 404 content-type text/plain string \"404 page not found\"");
  }

  void RenderRoute(const std::string& name, const Route& route) {
    Line(absl::StrCat("backend ", name));
    Line(absl::StrCat("  # ", SafeComment(route.source)));
    if (route.redirect) {
      RenderRedirect(route);
      Line("");
      return;
    }
    RenderHeaderModifier(route);
    for (const Backend& backend : route.backends) {
      if (backend.activator && backend.weight > 0) {
        Line(absl::StrCat("  http-request set-header ", kActivatorServiceHeader, " ",
                          QuoteFormat(absl::StrCat(backend.ns, "/", backend.service))));
        break;
      }
    }
    Line("  balance roundrobin");
    const std::vector<int> weights = ServerWeights(route.backends);
    int server = 0;
    int activators = 0;
    for (size_t b = 0; b < route.backends.size(); ++b) {
      const Backend& backend = route.backends[b];
      Line(absl::StrCat("  # ", SafeComment(BackendRef(backend)), " weight ", backend.weight,
                        backend.problem.empty() ? "" : absl::StrCat(": ", SafeComment(backend.problem))));
      if (weights[b] > 0) {
        for (const Endpoint& endpoint : backend.endpoints) {
          Line(absl::StrCat("  server s", server++, " ", endpoint.ip, ":", endpoint.port, " weight ", weights[b]));
        }
      }
      if (backend.activator && backend.weight > 0) {
        Line(absl::StrCat("  server activator", activators++, " ", backend.activator->ip, ":",
                          backend.activator->port, " backup"));
      }
    }
    Line("");
  }

  void RenderHeaderModifier(const Route& route) {
    const HeaderModifier& modifier = route.request_headers;
    for (const std::string& name : modifier.remove) {
      if (!IsToken(name)) {
        Warn(absl::StrCat(route.source, ": header ", Quote(name), " is not an HTTP token; left out"));
        continue;
      }
      Line(absl::StrCat("  http-request del-header ", name));
    }
    for (const auto& [verb, pairs] : {std::pair{"set-header", &modifier.set}, std::pair{"add-header", &modifier.add}}) {
      for (const auto& [name, value] : *pairs) {
        if (!IsToken(name) || HasControlChars(value)) {
          Warn(absl::StrCat(route.source, ": header ", Quote(name), " is not expressible; left out"));
          continue;
        }
        Line(absl::StrCat("  http-request ", verb, " ", name, " ", QuoteFormat(value)));
      }
    }
  }

  void RenderRedirect(const Route& route) {
    const Redirect& redirect = *route.redirect;
    const int code = redirect.status_code == 301 ? 301 : 302;
    for (const auto& part : {redirect.scheme, redirect.hostname, redirect.replace_full_path, redirect.replace_prefix_match}) {
      if (part && HasControlChars(*part)) {
        Warn(absl::StrCat(route.source, ": redirect has control characters; answered with 500"));
        Line("  http-request return status 500");
        return;
      }
    }
    if (redirect.scheme && *redirect.scheme != "http" && *redirect.scheme != "https") {
      Warn(absl::StrCat(route.source, ": redirect scheme must be http or https; answered with 500"));
      Line("  http-request return status 500");
      return;
    }
    // scheme://host[:port] as a log-format prefix (literal parts escaped).
    auto escape = [](const std::string& s) { return absl::StrReplaceAll(s, {{"%", "%%"}}); };
    std::string origin = redirect.scheme ? escape(*redirect.scheme) : "%[ssl_fc,iif(https,http)]";
    absl::StrAppend(&origin, "://");
    if (redirect.hostname) {
      absl::StrAppend(&origin, escape(*redirect.hostname));
    } else if (!redirect.scheme && !redirect.port) {
      absl::StrAppend(&origin, "%[req.hdr(host)]");  // keeps the request's port
    } else {
      absl::StrAppend(&origin, "%[var(txn.host)]");
    }
    if (redirect.port) {
      const bool default_port = redirect.scheme && ((*redirect.scheme == "http" && *redirect.port == 80) ||
                                                    (*redirect.scheme == "https" && *redirect.port == 443));
      if (!default_port) absl::StrAppend(&origin, ":", *redirect.port);
    }
    auto location = [&](const std::string& format) { return Quote(absl::StrCat(origin, format)); };
    const std::string suffix = absl::StrCat(" code ", code);
    if (redirect.replace_full_path) {
      Line(absl::StrCat("  http-request redirect location ", location(escape(*redirect.replace_full_path)), suffix));
      return;
    }
    if (redirect.replace_prefix_match) {
      const std::string replacement(absl::StripSuffix(*redirect.replace_prefix_match, "/"));
      for (const RouteMatch& match : route.matches) {
        if (match.path.type != PathMatchType::kPrefix) continue;
        const std::string prefix(absl::StripSuffix(match.path.value, "/"));
        if (prefix.empty()) {
          Line(absl::StrCat("  http-request redirect location ", location(absl::StrCat(escape(replacement), "%[path]")),
                            suffix));
          return;
        }
        Line(absl::StrCat("  http-request redirect location ",
                          location(escape(replacement.empty() ? "/" : replacement)), suffix,
                          " if { path -m str ", Quote(prefix), " }"));
        Line(absl::StrCat("  http-request redirect location ",
                          location(absl::StrCat(escape(replacement), "%[path,bytes(", prefix.size(), ")]")), suffix,
                          " if { path -m beg ", Quote(prefix + "/"), " }"));
      }
    }
    Line(absl::StrCat("  http-request redirect location ", location("%[pathq]"), suffix));
  }

  void RenderCertificates() {
    // The first line is the certificate for handshakes no other line's names match.
    absl::StrAppend(&out_.crt_list, options_.default_certificate, "\n");
    for (size_t i = 0; i < table_.certificates.size(); ++i) {
      const TlsCertificate& cert = table_.certificates[i];
      if (const std::string problem = CertificateProblem(cert); !problem.empty()) {
        Warn(absl::StrCat(cert.source, ": ", problem, "; left out"));
        continue;
      }
      std::vector<std::string> hosts;
      for (const std::string& host : cert.hosts) {
        if (host.empty() || !ValidHostName(host)) continue;
        hosts.push_back(host);
      }
      const std::string file = absl::StrCat("cert-", i, ".pem");
      std::string pem = cert.cert_pem;
      if (!absl::EndsWith(pem, "\n")) pem += "\n";
      absl::StrAppend(&pem, cert.key_pem);
      if (!absl::EndsWith(pem, "\n")) pem += "\n";
      out_.certificate_files[file] = std::move(pem);
      absl::StrAppend(&out_.crt_list, options_.cert_dir, "/", file, hosts.empty() ? "" : " ",
                      absl::StrJoin(hosts, " "), "\n");
    }
  }

  const RouteTable& table_;
  const HaproxyOptions& options_;
  RenderedConfig out_;
  std::vector<size_t> selected_;  // hosts rendered, in precedence order
};

}  // namespace

std::vector<int> ServerWeights(const std::vector<Backend>& backends) {
  std::vector<int> weights(backends.size(), 0);
  double max_share = 0;
  std::vector<double> shares(backends.size(), 0);
  for (size_t i = 0; i < backends.size(); ++i) {
    if (backends[i].weight <= 0 || backends[i].endpoints.empty()) continue;
    shares[i] = static_cast<double>(backends[i].weight) / static_cast<double>(backends[i].endpoints.size());
    max_share = std::max(max_share, shares[i]);
  }
  for (size_t i = 0; i < backends.size(); ++i) {
    if (shares[i] <= 0) continue;
    weights[i] = std::clamp(static_cast<int>(std::lround(256.0 * shares[i] / max_share)), 1, 256);
  }
  return weights;
}

absl::StatusOr<RenderedConfig> RenderHaproxyConfig(const RouteTable& table, const HaproxyOptions& options) {
  if (options.http_port <= 0 && options.https_port <= 0) {
    return absl::InvalidArgumentError("ingress: neither an HTTP nor an HTTPS port to listen on");
  }
  if (options.http_port > 65535 || options.https_port > 65535) {
    return absl::InvalidArgumentError("ingress: port out of range");
  }
  if (options.https_port > 0 && (!absl::StartsWith(options.cert_dir, "/") ||
                                 !absl::StartsWith(options.default_certificate, "/"))) {
    return absl::InvalidArgumentError("ingress: cert_dir and default_certificate must be absolute paths");
  }
  return Renderer(table, options).Render();
}

}  // namespace skiff::agent::ingress
