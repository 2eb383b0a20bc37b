#include "apiserver/service_account_admission.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr char kDefaultServiceAccount[] = "default";
constexpr char kMirrorPodAnnotation[] = "kubernetes.io/config.mirror";
constexpr absl::Duration kPollInterval = absl::Milliseconds(100);

// Kubernetes' TokenVolumeSource: what every kube-api-access volume projects.
json::object TokenVolumeSource() {
  return json::object{
      {"defaultMode", 0644},
      {"sources",
       json::array{
           json::object{{"serviceAccountToken", json::object{{"path", "token"}, {"expirationSeconds", 3607}}}},
           json::object{{"configMap", json::object{{"name", kRootCaConfigMap},
                                                   {"items", json::array{json::object{{"key", "ca.crt"},
                                                                                      {"path", "ca.crt"}}}}}}},
           json::object{{"downwardAPI",
                         json::object{{"items", json::array{json::object{
                                                    {"path", "namespace"},
                                                    {"fieldRef", json::object{{"apiVersion", "v1"},
                                                                              {"fieldPath", "metadata.namespace"}}}}}}}}},
       }},
  };
}

// The pod's explicit choice wins, then the ServiceAccount's; mounting is the default.
bool ShouldAutomount(const json::value& account, const json::value& pod) {
  if (const json::value* p = base::FindPath(pod, {"spec", "automountServiceAccountToken"}); p && p->is_bool()) {
    return p->get_bool();
  }
  if (const json::value* a = base::Find(account, "automountServiceAccountToken"); a && a->is_bool()) {
    return a->get_bool();
  }
  return true;
}

// Adds the mount to every container of `list` without something at the mount path; true if any
// container got it.
bool MountInto(json::object& spec, const char* list, const std::string& volume) {
  json::value* containers = spec.if_contains(list);
  if (!containers || !containers->is_array()) return false;
  bool mounted = false;
  for (json::value& c : containers->as_array()) {
    if (!c.is_object()) continue;
    json::value& mounts = c.as_object()["volumeMounts"];
    if (!mounts.is_array()) mounts = json::array{};
    bool taken = false;
    for (const json::value& m : mounts.as_array()) {
      if (base::GetString(m, {"mountPath"}) == kServiceAccountMountPath) taken = true;
    }
    if (taken) continue;
    mounts.as_array().push_back(
        json::object{{"name", volume}, {"readOnly", true}, {"mountPath", kServiceAccountMountPath}});
    mounted = true;
  }
  return mounted;
}

void MountServiceAccountToken(json::object& spec) {
  json::value& volumes = spec["volumes"];
  if (!volumes.is_array()) volumes = json::array{};
  std::string name;
  for (const json::value& v : volumes.as_array()) {
    std::string existing = base::GetString(v, {"name"});
    if (absl::StartsWith(existing, kServiceAccountVolumePrefix)) {
      name = existing;
      break;
    }
  }
  bool has_volume = !name.empty();
  if (!has_volume) name = GenerateName(kServiceAccountVolumePrefix);
  bool needed = MountInto(spec, "initContainers", name);
  needed = MountInto(spec, "containers", name) || needed;
  if (!has_volume && needed) {
    volumes.as_array().push_back(json::object{{"name", name}, {"projected", TokenVolumeSource()}});
  }
  if (volumes.as_array().empty()) spec.erase("volumes");
}

}  // namespace

absl::Status ServiceAccountAdmission::Mutate(const AdmissionRequest& request, json::value& pod,
                                             const json::value*, bool* changed) {
  if (request.operation != AdmissionOperation::kCreate || !request.subresource.empty() ||
      !request.resource->group.empty() || request.resource->plural != "pods" || !pod.is_object()) {
    return absl::OkStatus();
  }
  if (base::FindPath(pod, {"metadata", "annotations", kMirrorPodAnnotation})) return absl::OkStatus();
  json::value* spec_value = pod.as_object().if_contains("spec");
  if (!spec_value || !spec_value->is_object()) return absl::OkStatus();  // validation reports it
  json::object& spec = spec_value->as_object();
  std::string account = base::GetString(*spec_value, {"serviceAccountName"});
  if (account.empty()) {
    account = kDefaultServiceAccount;
    spec["serviceAccountName"] = account;
    *changed = true;
  }
  std::string ns(request.ns);
  const api::ResourceInfo* accounts = api::FindResource("", "v1", "serviceaccounts");
  // The controller manager creates "default" right after its namespace: give it a moment.
  absl::Time deadline = absl::Now() + (account == kDefaultServiceAccount ? default_account_wait_ : absl::ZeroDuration());
  absl::StatusOr<ObjectPtr> found = storage_->Get(*accounts, ns, account);
  while (!found.ok() && absl::Now() < deadline) {
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(kPollInterval));
    found = storage_->Get(*accounts, ns, account);
  }
  if (!found.ok()) {
    std::string name(request.name);
    return api::ToStatus({403, "Forbidden",
                          absl::StrCat("pods \"", name, "\" is forbidden: error looking up service account ", ns, "/",
                                       account, ": serviceaccount \"", account, "\" not found"),
                          name, "", "pods"});
  }
  json::value sa = (*found)->Parse();
  if (ShouldAutomount(sa, pod)) {
    MountServiceAccountToken(spec);
    *changed = true;
  }
  const json::value* pull = base::Find(sa, "imagePullSecrets");
  const json::value* own = spec.if_contains("imagePullSecrets");
  bool pod_has_none = !own || !own->is_array() || own->as_array().empty();
  if (pod_has_none && pull && pull->is_array() && !pull->as_array().empty()) {
    json::array copied;
    for (const json::value& ref : pull->as_array()) copied.push_back(json::object{{"name", base::GetString(ref, {"name"})}});
    spec["imagePullSecrets"] = std::move(copied);
    *changed = true;
  }
  return absl::OkStatus();
}

}  // namespace skiff::apiserver
