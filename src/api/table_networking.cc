// Table printers of networking.k8s.io/v1 (Kubernetes' printIngress, printIngressClass and
// printNetworkPolicy): Ingress NAME CLASS HOSTS ADDRESS PORTS AGE, IngressClass NAME CONTROLLER
// PARAMETERS AGE, NetworkPolicy NAME POD-SELECTOR AGE.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/object_meta.h"
#include "api/table_internal.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api::table_internal {
namespace {

namespace json = boost::json;
using base::FindPath;
using base::GetString;

// The hosts of the first three rules that have one, then " + N more..." counting every rule past
// the third (kube's formatHosts, quirks included); "*" when no rule names a host.
std::string IngressHosts(const json::value& o) {
  const auto* rules = Array(o, {"spec", "rules"});
  std::vector<std::string> hosts;
  bool more = false;
  for (size_t i = 0; rules != nullptr && i < rules->size(); ++i) {
    if (hosts.size() == 3) more = true;
    std::string host = GetString((*rules)[i], {"host"});
    if (!more && !host.empty()) hosts.push_back(host);
  }
  if (hosts.empty()) return "*";
  std::string text = absl::StrJoin(hosts, ",");
  if (more) absl::StrAppend(&text, " + ", rules->size() - 3, " more...");
  return text;
}

// The load balancer's IPs (or hostnames where there is no IP), sorted and without repeats. The
// server prints the wide form: kubectl clips it to 16 characters itself.
std::string IngressAddress(const json::value& o) {
  std::set<std::string> addresses;
  if (const auto* points = Array(o, {"status", "loadBalancer", "ingress"})) {
    for (const auto& p : *points) {
      std::string ip = GetString(p, {"ip"});
      std::string hostname = GetString(p, {"hostname"});
      if (!ip.empty()) {
        addresses.insert(ip);
      } else if (!hostname.empty()) {
        addresses.insert(hostname);
      }
    }
  }
  return absl::StrJoin(addresses, ",");
}

// "Kind.apiGroup/name" of the class's parameters, "<none>" without them.
std::string ClassParameters(const json::value& o) {
  const auto* params = FindPath(o, {"spec", "parameters"});
  if (params == nullptr || !params->is_object()) return "<none>";
  std::string text = GetString(*params, {"kind"});
  if (const auto* group = FindPath(*params, {"apiGroup"}); group != nullptr && group->is_string()) {
    absl::StrAppend(&text, ".", std::string(group->get_string()));
  }
  return absl::StrCat(text, "/", GetString(*params, {"name"}));
}

}  // namespace

Printer IngressPrinter() {
  return {{NameColumn(),
           {"Class", "string", 0, "The IngressClass whose controller serves the ingress."},
           {"Hosts", "string", 0, "Hosts the rules of the ingress match requests against."},
           {"Address", "string", 0, "Addresses of the load balancer serving the ingress."},
           {"Ports", "string", 0, "Ports the ingress is served on: 80, and 443 with TLS."},
           AgeColumn()},
          [](const json::value& o, absl::Time now) {
            const auto* cls = FindPath(o, {"spec", "ingressClassName"});
            std::string class_name =
                cls != nullptr && cls->is_string() ? std::string(cls->get_string()) : "<none>";
            std::string ports = Count(o, {"spec", "tls"}) > 0 ? "80, 443" : "80";
            return json::array{Name(o), class_name, IngressHosts(o), IngressAddress(o), ports, Age(o, now)};
          }};
}

Printer IngressClassPrinter() {
  return {
      {NameColumn(),
       {"Controller", "string", 0, "The controller that implements ingresses of this class."},
       {"Parameters", "string", 0, "The object holding the controller's configuration for this class."},
       AgeColumn()},
      [](const json::value& o, absl::Time now) {
        return json::array{Name(o), GetString(o, {"spec", "controller"}), ClassParameters(o), Age(o, now)};
      }};
}

Printer NetworkPolicyPrinter() {
  return {
      {NameColumn(),
       {"Pod-Selector", "string", 0, "The pods the policy applies to; an empty selector selects all pods."},
       AgeColumn()},
      [](const json::value& o, absl::Time now) {
        return json::array{Name(o), FormatLabelSelector(o, {"spec", "podSelector"}), Age(o, now)};
      }};
}

}  // namespace skiff::api::table_internal
