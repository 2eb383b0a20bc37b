#include "apiserver/node_authorizer/pod_references.h"

#include <string_view>

#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::node_authorizer {
namespace {

namespace json = boost::json;

void AddName(const json::value* v, std::set<std::string>* out) {
  if (v && v->is_string() && !v->get_string().empty()) out->emplace(v->get_string());
}

void AddNameAt(const json::value& v, std::initializer_list<std::string_view> path,
               std::set<std::string>* out) {
  AddName(base::FindPath(v, path), out);
}

// Volume plug-ins whose `secretRef: {name}` names a Secret in the pod's namespace.
constexpr std::string_view kSecretRefPlugins[] = {"cephfs", "flexVolume", "iscsi",
                                                  "rbd",    "scaleIO",    "storageos"};

void AddVolume(const json::value& volume, PodReferences* refs) {
  AddNameAt(volume, {"secret", "secretName"}, &refs->secrets);
  AddNameAt(volume, {"configMap", "name"}, &refs->config_maps);
  AddNameAt(volume, {"persistentVolumeClaim", "claimName"}, &refs->claims);
  AddNameAt(volume, {"azureFile", "secretName"}, &refs->secrets);
  AddNameAt(volume, {"csi", "nodePublishSecretRef", "name"}, &refs->secrets);
  for (std::string_view plugin : kSecretRefPlugins)
    AddNameAt(volume, {plugin, "secretRef", "name"}, &refs->secrets);
  if (const auto* sources = base::FindPath(volume, {"projected", "sources"});
      sources && sources->is_array()) {
    for (const auto& source : sources->get_array()) {
      AddNameAt(source, {"secret", "name"}, &refs->secrets);
      AddNameAt(source, {"configMap", "name"}, &refs->config_maps);
    }
  }
}

void AddContainers(const json::value* containers, PodReferences* refs) {
  if (!containers || !containers->is_array()) return;
  for (const auto& c : containers->get_array()) {
    if (const auto* env_from = base::Find(c, "envFrom"); env_from && env_from->is_array()) {
      for (const auto& e : env_from->get_array()) {
        AddNameAt(e, {"secretRef", "name"}, &refs->secrets);
        AddNameAt(e, {"configMapRef", "name"}, &refs->config_maps);
      }
    }
    if (const auto* env = base::Find(c, "env"); env && env->is_array()) {
      for (const auto& e : env->get_array()) {
        AddNameAt(e, {"valueFrom", "secretKeyRef", "name"}, &refs->secrets);
        AddNameAt(e, {"valueFrom", "configMapKeyRef", "name"}, &refs->config_maps);
      }
    }
  }
}

}  // namespace

PodReferences ReferencesOf(const json::value& pod) {
  PodReferences refs;
  const json::value* spec = base::Find(pod, "spec");
  if (!spec || !spec->is_object()) return refs;
  std::string pod_name = base::GetString(pod, {"metadata", "name"});
  if (const auto* volumes = base::Find(*spec, "volumes"); volumes && volumes->is_array()) {
    for (const auto& v : volumes->get_array()) {
      AddVolume(v, &refs);
      // A generic ephemeral volume's claim is named after the pod and the volume.
      if (base::FindPath(v, {"ephemeral"})) refs.claims.insert(pod_name + "-" + base::GetString(v, {"name"}));
    }
  }
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    AddContainers(base::Find(*spec, list), &refs);
  }
  if (const auto* pull = base::Find(*spec, "imagePullSecrets"); pull && pull->is_array()) {
    for (const auto& p : pull->get_array()) AddNameAt(p, {"name"}, &refs.secrets);
  }
  refs.service_account = base::GetString(*spec, {"serviceAccountName"});
  return refs;
}

std::set<std::pair<std::string, std::string>> SecretsOfVolume(const json::value& pv) {
  std::set<std::pair<std::string, std::string>> out;
  const json::value* spec = base::Find(pv, "spec");
  if (!spec) return out;
  // Secret references with an explicit namespace; a missing one means the claim's namespace.
  std::string claim_ns = base::GetString(*spec, {"claimRef", "namespace"});
  auto add = [&](const json::value* ref) {
    if (!ref || !ref->is_object()) return;
    std::string name = base::GetString(*ref, {"name"});
    if (name.empty()) return;
    std::string ns = base::GetString(*ref, {"namespace"});
    out.emplace(ns.empty() ? claim_ns : ns, name);
  };
  for (std::string_view plugin : kSecretRefPlugins) add(base::FindPath(*spec, {plugin, "secretRef"}));
  for (const char* ref : {"nodePublishSecretRef", "nodeStageSecretRef", "controllerPublishSecretRef",
                          "controllerExpandSecretRef", "nodeExpandSecretRef"}) {
    add(base::FindPath(*spec, {"csi", ref}));
  }
  if (std::string name = base::GetString(*spec, {"azureFile", "secretName"}); !name.empty()) {
    std::string ns = base::GetString(*spec, {"azureFile", "secretNamespace"});
    out.emplace(ns.empty() ? "default" : ns, name);
  }
  return out;
}

}  // namespace skiff::apiserver::node_authorizer
