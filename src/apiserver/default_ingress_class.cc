#include "apiserver/default_ingress_class.h"

#include "api/errors.h"

namespace skiff::apiserver {

namespace json = boost::json;

absl::Status EnsureDefaultIngressClass(ResourceStorage* storage) {
  const api::ResourceInfo& classes = *api::FindResource("networking.k8s.io", "v1", "ingressclasses");
  if (storage->Get(classes, "", kDefaultIngressClassName).ok()) return absl::OkStatus();
  json::value ic = {{"apiVersion", "networking.k8s.io/v1"},
                    {"kind", "IngressClass"},
                    {"metadata",
                     {{"name", kDefaultIngressClassName},
                      {"annotations", {{"ingressclass.kubernetes.io/is-default-class", "true"}}}}},
                    {"spec", {{"controller", kDefaultIngressController}}}};
  auto created = storage->Create(classes, "", std::move(ic), WriteOptions{.field_manager = "kube-apiserver"});
  if (created.ok() || api::HttpCode(created.status()) == 409) return absl::OkStatus();
  return created.status();
}

}  // namespace skiff::apiserver
