#include "scheduler/volume_binding.h"

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "client/informer.h"
#include "controllers/volume/volume_util.h"

namespace skiff::scheduler {
namespace {

namespace json = boost::json;
namespace volume = controllers::volume;

// The PV's required node affinity as terms; false when it has none (it fits every node).
bool VolumeTerms(const json::value& pv, std::vector<NodeSelectorTerm>* terms) {
  const json::value* list = base::FindPath(pv, {"spec", "nodeAffinity", "required", "nodeSelectorTerms"});
  if (list == nullptr || !list->is_array()) return false;
  for (const json::value& t : list->get_array()) terms->push_back(ParseNodeSelectorTerm(t));
  return true;
}

}  // namespace

VolumeBinding::VolumeBinding(client::SharedInformers* informers)
    : claims_(&informers->For(volume::Claims())),
      volumes_(&informers->For(volume::Volumes())),
      classes_(&informers->For(volume::StorageClasses())) {}

VolumeBinding::Decision VolumeBinding::Check(const PodInfo& pod) const {
  Decision decision;
  for (const std::string& name : volume::PodClaimNames(*pod.pod)) {
    client::Object claim = claims_->Get(client::MakeKey(pod.ns, name));
    if (claim == nullptr) {
      decision.unschedulable = absl::StrCat("persistentvolumeclaim \"", name, "\" not found");
      return decision;
    }
    if (api::IsBeingDeleted(*claim)) {
      decision.unschedulable = absl::StrCat("persistentvolumeclaim \"", name, "\" is being deleted");
      return decision;
    }
    if (std::string pv_name = base::GetString(*claim, {"spec", "volumeName"}); !pv_name.empty()) {
      client::Object pv = volumes_->Get(pv_name);
      if (pv == nullptr) {
        decision.unschedulable = "pod has unbound immediate PersistentVolumeClaims";
        if (!api::Annotation(*claim, volume::kAnnBindCompleted).empty())
          decision.unschedulable = "pvc(s) bound to non-existent pv(s)";
        return decision;
      }
      VolumeNodeConstraint constraint{.bound = true};
      if (VolumeTerms(*pv, &constraint.terms)) decision.constraints.push_back(std::move(constraint));
      continue;
    }
    client::Object storage_class = classes_->Get(volume::ClaimClass(*claim));
    if (!volume::DelaysBinding(storage_class.get())) {
      decision.unschedulable = "pod has unbound immediate PersistentVolumeClaims";
      return decision;
    }
    decision.claims_to_place.push_back(name);
    std::string provisioner = base::GetString(*storage_class, {"provisioner"});
    if (!provisioner.empty() && provisioner != volume::kNoProvisioner) continue;  // provisioned where placed
    VolumeNodeConstraint constraint;
    bool anywhere = false;
    for (const client::Object& pv : volume::MatchingVolumes(*claim, volumes_->List(), nullptr)) {
      if (!VolumeTerms(*pv, &constraint.terms)) anywhere = true;
    }
    if (!anywhere) decision.constraints.push_back(std::move(constraint));
  }
  return decision;
}

absl::Status VolumeBinding::SelectNode(client::Client* client, const std::string& ns,
                                       const std::vector<std::string>& claims, const std::string& node) const {
  for (const std::string& name : claims) {
    client::Object claim = claims_->Get(client::MakeKey(ns, name));
    if (claim != nullptr && api::Annotation(*claim, volume::kAnnSelectedNode) == node) continue;
    json::value patch = {{"metadata", {{"annotations", {{volume::kAnnSelectedNode, node}}}}}};
    auto patched = client->Patch(volume::Claims(), ns, name, client::PatchType::kMerge, patch,
                                 {.field_manager = "default-scheduler"});
    if (!patched.ok()) return patched.status();
  }
  return absl::OkStatus();
}

absl::Status VolumeBinding::WaitForBinding(const std::string& ns, const std::vector<std::string>& claims,
                                           absl::Duration timeout, const std::atomic<bool>* stop) const {
  absl::Time deadline = absl::Now() + timeout;
  for (const std::string& name : claims) {
    while (true) {
      client::Object claim = claims_->Get(client::MakeKey(ns, name));
      if (claim == nullptr) return absl::NotFoundError(absl::StrCat("persistentvolumeclaim \"", name, "\" not found"));
      if (!base::GetString(*claim, {"spec", "volumeName"}).empty() &&
          api::Annotation(*claim, volume::kAnnBindCompleted) == "yes") {
        break;
      }
      if (stop != nullptr && stop->load()) return absl::CancelledError("scheduler stopping");
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("persistentvolumeclaim \"", name, "\" was not bound within ", absl::FormatDuration(timeout)));
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  return absl::OkStatus();
}

}  // namespace skiff::scheduler
