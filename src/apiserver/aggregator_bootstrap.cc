#include "apiserver/aggregator_bootstrap.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/apiservice_endpoint.h"
#include "apiserver/key_layout.h"
#include "apiserver/custom_metrics_api.h"
#include "apiserver/metrics_api.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/pki.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr char kAuthenticationConfigMap[] = "extension-apiserver-authentication";
constexpr char kAutomanagedLabel[] = "kube-aggregator.kubernetes.io/automanaged";

absl::Status CreateIfAbsent(ResourceStorage* storage, const api::ResourceInfo& r, const std::string& ns,
                            json::value obj) {
  std::string name = base::GetString(obj, {"metadata", "name"});
  if (storage->Get(r, ns, name).ok()) return absl::OkStatus();
  auto created = storage->Create(r, ns, std::move(obj), WriteOptions{});
  if (!created.ok() && api::HttpCode(created.status()) != 409) return created.status();
  return absl::OkStatus();
}

bool Automanaged(const json::value& apiservice) {
  return base::GetString(apiservice, {"metadata", "labels", kAutomanagedLabel}) == "onstart";
}

json::value LocalApiService(const std::string& group, const std::string& version) {
  ApiServicePriority priority = BuiltinPriority(group, version);
  json::object spec{{"version", version},
                    {"groupPriorityMinimum", priority.group},
                    {"versionPriority", priority.version}};
  if (!group.empty()) spec["group"] = group;
  return json::object{
      {"apiVersion", "apiregistration.k8s.io/v1"},
      {"kind", "APIService"},
      {"metadata", json::object{{"name", group.empty() ? version + "." : absl::StrCat(version, ".", group)},
                                {"labels", json::object{{kAutomanagedLabel, "onstart"}}}}},
      {"spec", std::move(spec)}};
}

}  // namespace

ApiServicePriority BuiltinPriority(const std::string& group, const std::string& version) {
  // kube-apiserver's DefaultGenericAPIServicePriorities merged with its own additions (1.32).
  static const auto* table = new std::map<std::pair<std::string, std::string>, ApiServicePriority>{
      {{"", "v1"}, {18000, 1}},
      {{"apiregistration.k8s.io", "v1"}, {18000, 15}},
      {{"events.k8s.io", "v1"}, {17750, 15}},
      {{"authentication.k8s.io", "v1"}, {17700, 15}},
      {{"authorization.k8s.io", "v1"}, {17600, 15}},
      {{"apps", "v1"}, {17800, 15}},
      {{"autoscaling", "v1"}, {17500, 15}},
      {{"autoscaling", "v2"}, {17500, 30}},
      {{"batch", "v1"}, {17400, 15}},
      {{"certificates.k8s.io", "v1"}, {17300, 15}},
      {{"networking.k8s.io", "v1"}, {17200, 15}},
      {{"policy", "v1"}, {17100, 15}},
      {{"rbac.authorization.k8s.io", "v1"}, {17000, 15}},
      {{"storage.k8s.io", "v1"}, {16800, 15}},
      {{"apiextensions.k8s.io", "v1"}, {16700, 15}},
      {{"admissionregistration.k8s.io", "v1"}, {16700, 15}},
      {{"scheduling.k8s.io", "v1"}, {16600, 15}},
      {{"coordination.k8s.io", "v1"}, {16500, 15}},
      {{"node.k8s.io", "v1"}, {16300, 15}},
      {{"discovery.k8s.io", "v1"}, {16200, 15}},
      {{"flowcontrol.apiserver.k8s.io", "v1"}, {16100, 21}},
      // metrics-server's own APIService manifest.
      {{kMetricsGroup, kMetricsVersion}, {100, 100}},
      // prometheus-adapter's APIService manifests (skiff serves requests-per-second itself).
      {{kCustomMetricsGroup, "v1beta2"}, {100, 200}},
      {{kCustomMetricsGroup, "v1beta1"}, {100, 100}},
  };
  auto it = table->find({group, version});
  return it == table->end() ? ApiServicePriority{} : it->second;
}

std::vector<json::value> LocalApiServices() {
  std::vector<json::value> out;
  for (const auto& g : api::AllGroups()) {
    for (const auto& v : g.versions) out.push_back(LocalApiService(g.group, v));
  }
  out.push_back(LocalApiService(kMetricsGroup, kMetricsVersion));
  out.push_back(LocalApiService(kCustomMetricsGroup, "v1beta2"));
  out.push_back(LocalApiService(kCustomMetricsGroup, "v1beta1"));
  return out;
}

absl::Status EnsureLocalApiServices(ResourceStorage* storage) {
  const api::ResourceInfo* apiservices = api::FindResource(kApiRegistrationGroup, "v1", "apiservices");
  std::set<std::string> expected;
  for (auto& obj : LocalApiServices()) {
    std::string name = base::GetString(obj, {"metadata", "name"});
    expected.insert(name);
    auto existing = storage->Get(*apiservices, "", name);
    if (!existing.ok()) {
      if (auto s = CreateIfAbsent(storage, *apiservices, "", std::move(obj)); !s.ok()) return s;
      continue;
    }
    // The autoregister controller keeps the spec of what it manages (and leaves a user's alone).
    json::value current = (*existing)->Parse();
    const json::value& want = obj.at("spec");
    const json::value* have = base::FindPath(current, {"spec"});
    // An adapter the user registered over a local one (a service backend) stays theirs.
    const json::value* backend = base::FindPath(current, {"spec", "service"});
    if (!Automanaged(current) || (have && *have == want) || (backend && backend->is_object())) continue;
    auto updated = storage->Update(
        *apiservices, "", name,
        [&](const ObjectPtr& stored) -> absl::StatusOr<json::value> {
          json::value next = stored->Parse();
          next.as_object()["spec"] = want;
          return next;
        },
        WriteOptions{}, true);
    if (!updated.ok() && !absl::IsNotFound(updated.status())) return updated.status();
  }
  // What a previous start registered for group versions no longer served goes (label "onstart").
  std::string prefix = ResourcePrefix(kApiRegistrationGroup, "apiservices");
  bool more = false;
  for (const auto& stored : storage->cache()->List(prefix, prefix, nullptr, "", 0, &more).objects) {
    json::value current = stored->Parse();
    if (expected.count(stored->name) || !Automanaged(current)) continue;
    bool deleted = false;
    auto gone = storage->Delete(*apiservices, "", stored->name, DeleteOptions{}, &deleted);
    if (!gone.ok() && !absl::IsNotFound(gone.status())) return gone.status();
  }
  return absl::OkStatus();
}

absl::Status PublishExtensionAuthentication(ResourceStorage* storage, const ExtensionAuthentication& auth) {
  const api::ResourceInfo* configmaps = api::FindResource("", "v1", "configmaps");
  json::object data{{"client-ca-file", auth.client_ca_pem},
                    {"requestheader-client-ca-file", auth.front_proxy_ca_pem},
                    {"requestheader-allowed-names", absl::StrCat("[\"", http::kFrontProxyClientCommonName, "\"]")},
                    {"requestheader-username-headers", "[\"X-Remote-User\"]"},
                    {"requestheader-group-headers", "[\"X-Remote-Group\"]"},
                    {"requestheader-extra-headers-prefix", "[\"X-Remote-Extra-\"]"}};
  auto existing = storage->Get(*configmaps, "kube-system", kAuthenticationConfigMap);
  if (existing.ok()) {
    json::value current = (*existing)->Parse();
    const json::value* stored = base::FindPath(current, {"data"});
    if (!stored || *stored != json::value(data)) {
      auto updated = storage->Update(
          *configmaps, "kube-system", kAuthenticationConfigMap,
          [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
            json::value obj = current->Parse();
            obj.as_object()["data"] = data;
            return obj;
          },
          WriteOptions{}, true);
      if (!updated.ok()) return updated.status();
    }
  } else {
    json::value cm = json::object{
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", json::object{{"name", kAuthenticationConfigMap}, {"namespace", "kube-system"}}},
        {"data", data}};
    if (auto s = CreateIfAbsent(storage, *configmaps, "kube-system", std::move(cm)); !s.ok()) return s;
  }
  const api::ResourceInfo* roles = api::FindResource("rbac.authorization.k8s.io", "v1", "roles");
  json::value role = json::object{
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", "Role"},
      {"metadata", json::object{{"name", "extension-apiserver-authentication-reader"},
                                {"namespace", "kube-system"},
                                {"labels", json::object{{"kubernetes.io/bootstrapping", "rbac-defaults"}}}}},
      {"rules", json::array{json::object{{"apiGroups", json::array{""}},
                                         {"resources", json::array{"configmaps"}},
                                         {"resourceNames", json::array{kAuthenticationConfigMap}},
                                         {"verbs", json::array{"get", "list", "watch"}}}}}};
  return CreateIfAbsent(storage, *roles, "kube-system", std::move(role));
}

}  // namespace skiff::apiserver
