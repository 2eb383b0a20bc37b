#include "apiserver/default_services.h"

#include "api/object_meta.h"
#include "api/resources.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/errors.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Res(const char* group, const char* version, const char* plural) {
  return *api::FindResource(group, version, plural);
}

// Creates `obj` when absent; when present and `desired_field` of it differs, replaces that field.
absl::Status Ensure(ResourceStorage* storage, const api::ResourceInfo& r, const std::string& ns,
                    json::value obj, const char* desired_field) {
  std::string name = api::Name(obj);
  auto current = storage->Get(r, ns, name);
  if (!current.ok()) {
    auto created = storage->Create(r, ns, obj, WriteOptions{.field_manager = "kube-apiserver"});
    if (created.ok() || api::HttpCode(created.status()) == 409) return absl::OkStatus();
    return created.status();
  }
  if (!desired_field) return absl::OkStatus();
  json::value want = obj.as_object()[desired_field];
  json::value live = (*current)->Parse();
  if (const auto* have = base::Find(live, desired_field); have && *have == want) return absl::OkStatus();
  auto updated = storage->Update(
      r, ns, name,
      [&](const ObjectPtr& cur) -> absl::StatusOr<json::value> {
        json::value next = cur->Parse();
        next.as_object()[desired_field] = want;
        return next;
      },
      WriteOptions{.field_manager = "kube-apiserver"}, /*retry_on_conflict=*/true);
  return updated.ok() ? absl::OkStatus() : updated.status();
}

}  // namespace

absl::Status EnsureDefaultServices(ResourceStorage* storage, const DefaultServicesOptions& options) {
  const auto& services = Res("", "v1", "services");
  json::value kubernetes = {
      {"metadata",
       {{"name", "kubernetes"}, {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", options.kubernetes_ip},
        {"sessionAffinity", "None"},
        {"ports",
         json::array{
             {{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", options.api_port}}}}}}};
  if (auto s = Ensure(storage, services, "default", kubernetes, nullptr); !s.ok()) return s;
  json::value dns = {
      {"metadata",
       {{"name", "kube-dns"},
        {"labels",
         {{"k8s-app", "kube-dns"},
          {"kubernetes.io/cluster-service", "true"},
          {"kubernetes.io/name", "CoreDNS"}}},
        {"annotations", {{"skiff.io/served-by", "node agents (built-in cluster DNS)"}}}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", options.dns_ip},
        {"ports",
         json::array{{{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}, {"targetPort", 53}},
                     {{"name", "dns-tcp"}, {"port", 53}, {"protocol", "TCP"}, {"targetPort", 53}}}}}}};
  if (auto s = Ensure(storage, services, "kube-system", dns, nullptr); !s.ok()) return s;

  // The kubernetes Service has no selector: the API server keeps its endpoints itself.
  json::value endpoints = {
      {"metadata",
       {{"name", "kubernetes"}, {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
      {"subsets",
       json::array{
           {{"addresses", json::array{{{"ip", options.advertise_ip}}}},
            {"ports", json::array{{{"name", "https"}, {"port", options.api_port}, {"protocol", "TCP"}}}}}}}};
  if (auto s = Ensure(storage, Res("", "v1", "endpoints"), "default", endpoints, "subsets"); !s.ok())
    return s;
  json::value slice = {
      {"metadata", {{"name", "kubernetes"}, {"labels", {{"kubernetes.io/service-name", "kubernetes"}}}}},
      {"addressType", "IPv4"},
      {"endpoints",
       json::array{{{"addresses", json::array{options.advertise_ip}}, {"conditions", {{"ready", true}}}}}},
      {"ports", json::array{{{"name", "https"}, {"port", options.api_port}, {"protocol", "TCP"}}}}};
  if (auto s =
          Ensure(storage, Res("discovery.k8s.io", "v1", "endpointslices"), "default", slice, "endpoints");
      !s.ok()) {
    return s;
  }
  return Ensure(storage, Res("discovery.k8s.io", "v1", "endpointslices"), "default", slice, "ports");
}

}  // namespace skiff::apiserver
