// RouteTable: the data plane's model of HTTP routing on a node, independent of where the routes
// come from (Ingress, Gateway API HTTPRoute) and of the proxy that serves them (haproxy_config.h
// renders it for HAProxy). Virtual hosts hold routes; a route matches requests (path, headers,
// query parameters, method), may modify request headers or redirect, and sends the rest to
// weighted backends, each a Service port with its ready endpoints. TLS certificates are chosen
// by SNI host; the default backend takes every request no route matches.
//
// Precedence (applied by SortRoutes and by the renderer, so that producers need not order):
// hosts: exact names before wildcards, longer wildcard suffixes first, the catch-all ("") last;
// routes within a host: Exact paths (longest first) before Prefix and RegularExpression paths
// (longest first; Prefix before RegularExpression at equal length), then routes with a method,
// then more header matches, then more query matches, then the producer's order. For Ingress this
// is ingress-nginx's and the Ingress API's rule (the longest matching path wins, Exact before
// Prefix); for HTTPRoute it is the Gateway API's order.
//
// Thread-safety: plain values. Ownership: values. Failure: none here; the renderer reports what it
// cannot express.
#ifndef SKIFF_AGENT_INGRESS_ROUTE_TABLE_H_
#define SKIFF_AGENT_INGRESS_ROUTE_TABLE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace skiff::agent::ingress {

// How a path matches the request path (without the query string).
enum class PathMatchType {
  // The path equals value.
  kExact,
  // Kubernetes' element-wise prefix: value split by "/" is a prefix of the path's elements, so
  // "/foo" matches "/foo" and "/foo/bar" but not "/foobar"; a trailing "/" in value is ignored;
  // "/" matches everything.
  kPrefix,
  // value is a PCRE regular expression matched against the whole path (anchored at both ends).
  kRegularExpression,
};

struct PathMatch {
  PathMatchType type = PathMatchType::kPrefix;
  std::string value = "/";
  bool operator==(const PathMatch&) const = default;
};

enum class StringMatchType { kExact, kRegularExpression };

// A request header (name case-insensitive) whose value matches; a header sent several times is
// matched on its last value.
struct HeaderMatch {
  std::string name;
  StringMatchType type = StringMatchType::kExact;
  std::string value;
  bool operator==(const HeaderMatch&) const = default;
};

// A query parameter (name case-sensitive; the first occurrence counts) whose value matches.
struct QueryParamMatch {
  std::string name;
  StringMatchType type = StringMatchType::kExact;
  std::string value;
  bool operator==(const QueryParamMatch&) const = default;
};

// One way a request can match a route: all of its conditions hold.
struct RouteMatch {
  PathMatch path;
  std::vector<HeaderMatch> headers;
  std::vector<QueryParamMatch> query_params;
  std::string method;  // "" = any; otherwise e.g. "GET"
  bool operator==(const RouteMatch&) const = default;
};

// Changes to the request before it goes to a backend (Gateway's RequestHeaderModifier): set
// replaces every value of the header, add appends one, remove deletes the header.
struct HeaderModifier {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
  bool operator==(const HeaderModifier&) const = default;
};

// A redirect answered by the proxy itself (Gateway's RequestRedirect). Unset parts keep the
// request's own: scheme, host (without port), port (left out when it is the scheme's default),
// path and query.
struct Redirect {
  std::optional<std::string> scheme;    // "http" or "https"
  std::optional<std::string> hostname;  // without port
  std::optional<int> port;
  // At most one of the two path rewrites: the whole path, or the part the route's Prefix path
  // match matched (the rest of the path is kept).
  std::optional<std::string> replace_full_path;
  std::optional<std::string> replace_prefix_match;
  int status_code = 302;  // 301 or 302
  bool operator==(const Redirect&) const = default;
};

// A ready address of a Service port: pod IP and target port.
struct Endpoint {
  std::string ip;
  int port = 0;
  bool operator==(const Endpoint&) const = default;
  auto operator<=>(const Endpoint&) const = default;
};

// One Service port behind a route, with its share of the route's traffic.
struct Backend {
  std::string ns;
  std::string service;
  // The Service port as the route named it: by name, or by number when port_name is "".
  std::string port_name;
  int port_number = 0;
  // Relative share of the route's requests (Gateway backendRef weight); 0 = none. Requests are
  // split between backends by weight, then evenly between a backend's endpoints.
  int weight = 1;
  // Ready endpoints only (EndpointSlice conditions.ready), sorted, no duplicates.
  std::vector<Endpoint> endpoints;
  // Scale to zero (the activator, wired by the agent's activator): when set, this address is the
  // backend's fallback server, used only while `endpoints` is empty (HAProxy's "backup" server),
  // so a request to a Service at zero endpoints is held by the activator, which scales the target
  // up and forwards it, instead of getting 503. Producers set it for Services marked for
  // activation; the request carries the header kActivatorServiceHeader naming the Service.
  std::optional<Endpoint> activator;
  // Why the backend has no endpoints when that is not simply "none ready" (e.g. "service
  // default/web not found", "service has no port http"): for diagnostics.
  std::string problem;
  bool operator==(const Backend&) const = default;
};

// The header the activator reads to learn which Service a held request is for ("ns/name").
inline constexpr char kActivatorServiceHeader[] = "X-Skiff-Activator-Service";

struct Route {
  // Where the route came from, for diagnostics and config comments: e.g.
  // "Ingress default/web rule 0 path 1" or "HTTPRoute default/canary rule 2".
  std::string source;
  // Any one of them matching selects the route; empty = every request of the host.
  std::vector<RouteMatch> matches;
  HeaderModifier request_headers;
  // When set, the route answers with the redirect and has no backends.
  std::optional<Redirect> redirect;
  // Weighted backends; none (and no redirect) or only backends without endpoints = 503.
  std::vector<Backend> backends;
  bool operator==(const Route&) const = default;
};

struct VirtualHost {
  // Lower-case host name; "*.example.com" is a wildcard; "" matches every host.
  std::string hostname;
  // Ingress semantics (false): "*.example.com" matches exactly one more label ("a.example.com",
  // not "a.b.example.com"). Gateway API listeners and routes (true): any number of labels.
  bool wildcard_any_depth = false;
  std::vector<Route> routes;
  bool operator==(const VirtualHost&) const = default;
};

// A certificate served on HTTPS for the hosts it names (SNI; wildcards allowed). A handshake whose
// SNI names no certificate's host (or that sends none) gets the proxy's own self-signed
// certificate, as with ingress-nginx.
struct TlsCertificate {
  std::vector<std::string> hosts;  // lower-case; empty = the certificate's own names
  std::string cert_pem;            // leaf first, then intermediates
  std::string key_pem;
  std::string source;  // e.g. "Secret default/web-tls (Ingress default/web)"
  bool operator==(const TlsCertificate&) const = default;
};

struct RouteTable {
  std::vector<VirtualHost> hosts;
  std::vector<TlsCertificate> certificates;
  // Takes the requests no host/route matches; unset = 404.
  std::optional<Route> default_route;
  bool operator==(const RouteTable&) const = default;
};

// Orders hosts and each host's routes by the precedence described above (stable).
void SortRoutes(RouteTable& table);

// Indexes of table.hosts in the order a request's host is tried; the first match takes the
// request (its routes only: a request never falls through to a less specific host's routes, as
// with ingress-nginx servers and Gateway listeners).
std::vector<size_t> OrderedHosts(const RouteTable& table);

// A host's route matches in the order the proxy tries them: (route index, match); a route
// without matches contributes one match-everything RouteMatch (Prefix "/").
std::vector<std::pair<size_t, RouteMatch>> OrderedMatches(const VirtualHost& vhost);

// Merges hosts with equal (hostname, wildcard_any_depth), keeping route order, so producers may
// add one VirtualHost per rule.
void MergeHosts(RouteTable& table);

// True when host (lower-case, no port) is matched by the virtual host's hostname.
bool HostMatches(const VirtualHost& vhost, const std::string& host);

// True when path matches (the semantics of PathMatchType; kRegularExpression is not evaluated
// here and returns false). For tests and diagnostics; the proxy evaluates the real requests.
bool PathMatches(const PathMatch& match, const std::string& path);

}  // namespace skiff::agent::ingress

#endif  // SKIFF_AGENT_INGRESS_ROUTE_TABLE_H_
