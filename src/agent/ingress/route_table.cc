#include "agent/ingress/route_table.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace skiff::agent::ingress {
namespace {

// Host order: exact names, then wildcards by longer suffix, then the catch-all.
std::tuple<int, int> HostRank(const VirtualHost& vhost) {
  if (vhost.hostname.empty()) return {2, 0};
  if (absl::StartsWith(vhost.hostname, "*.")) return {1, -static_cast<int>(vhost.hostname.size())};
  return {0, 0};
}

// The most specific match of a route decides its rank (smaller = tried earlier).
std::tuple<int, int, int, int, int, int> MatchRank(const RouteMatch& match) {
  const int type = match.path.type == PathMatchType::kExact ? 0 : 1;
  const int regex = match.path.type == PathMatchType::kRegularExpression ? 1 : 0;
  return {type,
          -static_cast<int>(match.path.value.size()),
          regex,
          match.method.empty() ? 1 : 0,
          -static_cast<int>(match.headers.size()),
          -static_cast<int>(match.query_params.size())};
}

std::tuple<int, int, int, int, int, int> RouteRank(const Route& route) {
  if (route.matches.empty()) return MatchRank(RouteMatch{});
  auto best = MatchRank(route.matches.front());
  for (const RouteMatch& match : route.matches) best = std::min(best, MatchRank(match));
  return best;
}

}  // namespace

void SortRoutes(RouteTable& table) {
  std::stable_sort(table.hosts.begin(), table.hosts.end(),
                   [](const VirtualHost& a, const VirtualHost& b) { return HostRank(a) < HostRank(b); });
  for (VirtualHost& vhost : table.hosts) {
    std::stable_sort(vhost.routes.begin(), vhost.routes.end(),
                     [](const Route& a, const Route& b) { return RouteRank(a) < RouteRank(b); });
  }
}

std::vector<size_t> OrderedHosts(const RouteTable& table) {
  std::vector<size_t> order(table.hosts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return HostRank(table.hosts[a]) < HostRank(table.hosts[b]); });
  return order;
}

std::vector<std::pair<size_t, RouteMatch>> OrderedMatches(const VirtualHost& vhost) {
  std::vector<std::pair<size_t, RouteMatch>> ordered;
  for (size_t i = 0; i < vhost.routes.size(); ++i) {
    const Route& route = vhost.routes[i];
    if (route.matches.empty()) ordered.emplace_back(i, RouteMatch{});
    for (const RouteMatch& match : route.matches) ordered.emplace_back(i, match);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return MatchRank(a.second) < MatchRank(b.second);
  });
  return ordered;
}

void MergeHosts(RouteTable& table) {
  std::vector<VirtualHost> merged;
  std::map<std::pair<std::string, bool>, size_t> index;
  for (VirtualHost& vhost : table.hosts) {
    auto key = std::make_pair(vhost.hostname, vhost.wildcard_any_depth);
    auto [it, inserted] = index.emplace(key, merged.size());
    if (inserted) {
      merged.push_back(std::move(vhost));
    } else {
      auto& routes = merged[it->second].routes;
      routes.insert(routes.end(), std::make_move_iterator(vhost.routes.begin()),
                    std::make_move_iterator(vhost.routes.end()));
    }
  }
  table.hosts = std::move(merged);
}

bool HostMatches(const VirtualHost& vhost, const std::string& host) {
  if (vhost.hostname.empty()) return true;
  if (!absl::StartsWith(vhost.hostname, "*.")) return vhost.hostname == host;
  const std::string suffix = vhost.hostname.substr(1);  // ".example.com"
  if (host.size() <= suffix.size() || !absl::EndsWith(host, suffix)) return false;
  const std::string label = host.substr(0, host.size() - suffix.size());
  return vhost.wildcard_any_depth || label.find('.') == std::string::npos;
}

bool PathMatches(const PathMatch& match, const std::string& path) {
  switch (match.type) {
    case PathMatchType::kExact:
      return path == match.value;
    case PathMatchType::kPrefix: {
      absl::string_view prefix = absl::StripSuffix(match.value, "/");
      if (prefix.empty()) return true;
      if (!absl::StartsWith(path, prefix)) return false;
      return path.size() == prefix.size() || path[prefix.size()] == '/';
    }
    case PathMatchType::kRegularExpression:
      return false;
  }
  return false;
}

}  // namespace skiff::agent::ingress
