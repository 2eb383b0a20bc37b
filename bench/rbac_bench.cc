// rbac_bench: the cost of one RBAC decision — what every request of a user outside system:masters
// pays. Fills rbac::RbacIndex with N Roles, N RoleBindings (across namespaces and users), the
// bootstrap ClusterRoles and ClusterRoleBindings, then times RbacIndex::Allows for a mix of
// allowed and denied requests (group subjects, ClusterRole-through-RoleBinding, misses) and
// prints p50/p99/max with the counts and the machine. Target: p99 <= 20 us at 1,000 roles and
// bindings.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apiserver/rbac/bootstrap_policy.h"
#include "apiserver/rbac/rbac_index.h"
#include "bench_util.h"
#include "boost/json.hpp"

namespace {

namespace json = boost::json;
namespace rbac = skiff::apiserver::rbac;

json::value Role(int i, const std::string& ns) {
  json::array rules;
  const char* resources[] = {"pods", "configmaps", "services", "deployments", "jobs", "secrets"};
  for (int r = 0; r < 4; ++r) {
    rules.push_back(json::object{{"verbs", json::array{"get", "list", "watch"}},
                                 {"apiGroups", json::array{r == 3 ? "apps" : ""}},
                                 {"resources", json::array{resources[(i + r) % 6]}}});
  }
  return json::object{{"metadata", json::object{{"name", absl::StrCat("role-", i)}, {"namespace", ns}}},
                      {"rules", std::move(rules)}};
}

json::value Binding(int i, const std::string& ns, const std::string& user, const std::string& group) {
  bool to_cluster_role = i % 5 == 0;
  return json::object{
      {"metadata", json::object{{"name", absl::StrCat("binding-", i)}, {"namespace", ns}}},
      {"roleRef", json::object{{"kind", to_cluster_role ? "ClusterRole" : "Role"},
                               {"name", to_cluster_role ? std::string("view") : absl::StrCat("role-", i)}}},
      {"subjects", json::array{json::object{{"kind", "User"}, {"name", user}},
                               json::object{{"kind", "Group"}, {"name", group}}}}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rbac_bench: latency of one RBAC authorization decision"};
  int roles = 1000;
  int namespaces = 100;
  int users = 300;
  int decisions = 1'000'000;
  app.add_option("--roles", roles, "Roles, and as many RoleBindings")->capture_default_str();
  app.add_option("--namespaces", namespaces, "namespaces they spread over")->capture_default_str();
  app.add_option("--users", users, "distinct users named by the bindings")->capture_default_str();
  app.add_option("--decisions", decisions, "decisions timed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  skiff::bench::MachineInfo machine = skiff::bench::ReadMachineInfo();
  rbac::RbacIndex index;
  for (const auto& r : rbac::BootstrapClusterRoles()) index.Upsert(rbac::Kind::kClusterRole, r);
  for (const auto& b : rbac::BootstrapClusterRoleBindings()) index.Upsert(rbac::Kind::kClusterRoleBinding, b);
  // Give view rules, as the aggregation controller would.
  index.Upsert(rbac::Kind::kClusterRole,
               json::parse(R"({"metadata":{"name":"view"},"rules":[{"verbs":["get","list","watch"],
                 "apiGroups":[""],"resources":["pods","services","configmaps","endpoints"]}]})"));
  for (int i = 0; i < roles; ++i) {
    std::string ns = absl::StrCat("ns-", i % namespaces);
    index.Upsert(rbac::Kind::kRole, Role(i, ns));
    index.Upsert(rbac::Kind::kRoleBinding,
                 Binding(i, ns, absl::StrCat("user-", i % users), absl::StrCat("team-", i % 37)));
  }

  // Requests: a user asks in a namespace of one of its bindings (mostly allowed) or elsewhere (denied).
  std::mt19937 rng(42);
  struct Request {
    std::string user;
    std::vector<std::string> groups;
    rbac::Attributes attributes;
  };
  std::vector<Request> requests;
  const char* verbs[] = {"get", "list", "watch", "create"};
  const char* resources[] = {"pods", "configmaps", "services", "secrets"};
  for (int i = 0; i < 4096; ++i) {
    int b = static_cast<int>(rng() % roles);
    bool elsewhere = rng() % 4 == 0;
    Request r;
    r.user = absl::StrCat("user-", b % users);
    r.groups = {absl::StrCat("team-", rng() % 37), "system:authenticated"};
    r.attributes.verb = verbs[rng() % 4];
    r.attributes.resource = resources[rng() % 4];
    r.attributes.namespace_name = absl::StrCat("ns-", elsewhere ? rng() % namespaces : b % namespaces);
    r.attributes.name = rng() % 2 ? "" : "obj";
    requests.push_back(std::move(r));
  }
  std::vector<int64_t> ns_each;
  ns_each.reserve(decisions);
  int64_t allowed = 0;
  for (int i = 0; i < decisions; ++i) {
    const Request& r = requests[i % requests.size()];
    auto start = std::chrono::steady_clock::now();
    bool ok = index.Allows(rbac::Subject{r.user, r.groups}, r.attributes);
    auto end = std::chrono::steady_clock::now();
    allowed += ok;
    ns_each.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
  }
  std::sort(ns_each.begin(), ns_each.end());
  auto at = [&](double q) { return ns_each[static_cast<size_t>(q * (ns_each.size() - 1))]; };

  skiff::bench::Report report("skiff rbac bench: one RBAC decision (RbacIndex::Allows)");
  report.AddMachine(machine);
  report.Section("conditions");
  report.Add("index", absl::StrCat(index.RoleCount(), " roles (", roles, " Roles + bootstrap ClusterRoles), ",
                                   index.BindingCount(), " bindings (", roles, " RoleBindings + bootstrap)"));
  report.Add("spread", absl::StrCat(namespaces, " namespaces, ", users, " users, 37 groups"));
  report.Add("decisions", absl::StrCat(decisions, " on one thread, ",
                                       absl::StrFormat("%.1f%%", 100.0 * allowed / decisions), " allowed"));
  report.Section("results");
  report.Add("p50", absl::StrFormat("%.2f us", at(0.5) / 1000.0));
  report.Add("p99", absl::StrCat(absl::StrFormat("%.2f us", at(0.99) / 1000.0), "  ",
                                 skiff::bench::Verdict(at(0.99) <= 20'000, "<= 20 us")));
  report.Add("max", absl::StrFormat("%.2f us", ns_each.back() / 1000.0));
  report.Print(stdout);
  return 0;
}
