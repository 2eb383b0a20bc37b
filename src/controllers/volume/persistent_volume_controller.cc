#include "controllers/volume/persistent_volume_controller.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/clock.h"
#include "base/json.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "controllers/volume/volume_util.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;

constexpr char kClaimPrefix[] = "claim:";
constexpr char kVolumePrefix[] = "volume:";
constexpr char kClaimRefIndex[] = "pv-claimref";
constexpr char kManager[] = "persistentvolume-binder-controller";

client::WriteOptions Writer() { return {.field_manager = kManager}; }

std::string ClaimRefKey(const json::value& pv) {
  const json::value* ref = base::FindPath(pv, {"spec", "claimRef"});
  if (ref == nullptr || !ref->is_object()) return "";
  return client::MakeKey(base::GetString(*ref, {"namespace"}), base::GetString(*ref, {"name"}));
}

std::string Phase(const json::value& obj) { return base::GetString(obj, {"status", "phase"}); }

// A 404 on write means the object went away: the next event brings the new state.
client::ReconcileResult Done(const absl::Status& s) {
  if (s.ok() || client::HttpCode(s) == 404) return {};
  return {s};
}

}  // namespace

PersistentVolumeController::PersistentVolumeController(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      claims_(&context.informers->For(Claims())),
      volumes_(&context.informers->For(Volumes())),
      classes_(&context.informers->For(StorageClasses())),
      nodes_(&context.informers->For(client::Resource("", "v1", "nodes"))) {}

PersistentVolumeController::~PersistentVolumeController() { Stop(); }

void PersistentVolumeController::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("persistentvolume-binder", this, workers_);
  volumes_->AddIndex(kClaimRefIndex, [](const json::value& pv) {
    std::string key = ClaimRefKey(pv);
    return key.empty() ? std::vector<std::string>{} : std::vector<std::string>{key};
  });
  client::WorkQueue* queue = &controller_->queue();
  auto claim_event = [this, queue](const client::Object& claim) {
    queue->Add(kClaimPrefix + client::KeyOf(*claim));
    if (std::string pv = base::GetString(*claim, {"spec", "volumeName"}); !pv.empty()) {
      queue->Add(kVolumePrefix + pv);
    }
    for (const client::Object& pv : volumes_->ByIndex(kClaimRefIndex, client::KeyOf(*claim))) {
      queue->Add(kVolumePrefix + api::Name(*pv));
    }
  };
  claims_->AddHandlers({claim_event, [claim_event](const client::Object&, const client::Object& c) { claim_event(c); },
                        [this, claim_event](const client::Object& c) {
                          {
                            std::lock_guard<std::mutex> lock(mu_);
                            reported_.erase(api::Uid(*c));
                          }
                          claim_event(c);
                        }});
  auto volume_event = [this, queue](const client::Object& pv) {
    queue->Add(kVolumePrefix + api::Name(*pv));
    if (std::string claim = ClaimRefKey(*pv); !claim.empty()) queue->Add(kClaimPrefix + claim);
  };
  volumes_->AddHandlers({[this, volume_event](const client::Object& pv) {
                           volume_event(pv);
                           EnqueueUnboundClaims();  // a new PV may satisfy a waiting claim
                         },
                         [this, volume_event](const client::Object& old_pv, const client::Object& pv) {
                           volume_event(pv);
                           if (Phase(*pv) == "Available" && Phase(*old_pv) != "Available") EnqueueUnboundClaims();
                         },
                         volume_event});
  auto class_event = [this](const client::Object&) { EnqueueUnboundClaims(); };
  classes_->AddHandlers({class_event, [class_event](const client::Object&, const client::Object& c) { class_event(c); },
                         nullptr});
  controller_->Start();
}

void PersistentVolumeController::Stop() {
  if (controller_) controller_->Stop();
}

void PersistentVolumeController::EnqueueUnboundClaims() {
  if (!controller_) return;
  for (const client::Object& claim : claims_->List()) {
    if (api::Annotation(*claim, kAnnBindCompleted).empty()) controller_->queue().Add(kClaimPrefix + client::KeyOf(*claim));
  }
}

client::ReconcileResult PersistentVolumeController::Reconcile(const std::string& key) {
  if (absl::StartsWith(key, kClaimPrefix)) return SyncClaim(key.substr(sizeof(kClaimPrefix) - 1));
  if (absl::StartsWith(key, kVolumePrefix)) return SyncVolume(key.substr(sizeof(kVolumePrefix) - 1));
  return {};
}

void PersistentVolumeController::Event(const json::value& obj, const std::string& type, const std::string& reason,
                                       const std::string& message) {
  if (context_.recorder != nullptr) context_.recorder->EventAs("persistentvolume-controller", obj, type, reason, message);
}

bool PersistentVolumeController::FirstTime(const std::string& what, const json::value& obj) {
  std::lock_guard<std::mutex> lock(mu_);
  return reported_[api::Uid(obj)].insert(what).second;
}

client::ReconcileResult PersistentVolumeController::SyncClaim(const std::string& key) {
  client::Object claim = claims_->Get(key);
  if (claim == nullptr) return {};
  if (api::Annotation(*claim, kAnnBindCompleted).empty()) return SyncUnboundClaim(std::move(claim));
  std::string name = base::GetString(*claim, {"spec", "volumeName"});
  client::Object pv = name.empty() ? nullptr : volumes_->Get(name);
  if (pv == nullptr && !name.empty()) {
    // The cache may lag behind a PV created a moment ago: ask the server before declaring loss.
    auto fresh = context_.client->Get(Volumes(), "", name);
    if (fresh.ok()) pv = *fresh;
    else if (client::HttpCode(fresh.status()) != 404) return {fresh.status()};
  }
  if (pv == nullptr || !VolumeBoundToClaim(*pv, *claim)) {
    if (Phase(*claim) != "Lost") {
      Event(*claim, client::kEventWarning, pv == nullptr ? "ClaimLost" : "ClaimMisbound",
            pv == nullptr ? "Bound claim has lost its PersistentVolume. Data on the volume is lost!"
                          : "Two claims are bound to the same volume, this one is bound incorrectly");
    }
    return Done(SetClaimPhase(claim, "Lost"));
  }
  return Done(Bind(std::move(pv), std::move(claim)));
}

client::ReconcileResult PersistentVolumeController::SyncUnboundClaim(client::Object claim) {
  if (api::IsBeingDeleted(*claim)) return {};
  std::string wanted = base::GetString(*claim, {"spec", "volumeName"});
  if (!wanted.empty()) {
    // Pre-bound by the user to a named PV.
    client::Object pv = volumes_->Get(wanted);
    std::string problem;
    if (pv == nullptr) {
      problem = absl::StrCat("volume \"", wanted, "\" not found");
    } else if (const json::value* ref = base::FindPath(*pv, {"spec", "claimRef"}); ref == nullptr || ref->is_null()) {
      if (std::string why = VolumeSatisfiesClaim(*pv, *claim); !why.empty()) {
        if (FirstTime("mismatch", *claim))
          Event(*claim, client::kEventWarning, "VolumeMismatch",
                absl::StrCat("Cannot bind to requested volume \"", wanted, "\": ", why));
        return Done(SetClaimPhase(claim, "Pending"));
      }
    } else if (!VolumeBoundToClaim(*pv, *claim)) {
      problem = absl::StrCat("volume \"", wanted, "\" already bound to a different claim.");
    }
    if (!problem.empty()) {
      if (FirstTime("failed-binding", *claim)) Event(*claim, client::kEventWarning, "FailedBinding", problem);
      return Done(SetClaimPhase(claim, "Pending"));
    }
    return Done(Bind(std::move(pv), std::move(claim)));
  }
  std::string class_name = ClaimClass(*claim);
  client::Object storage_class = class_name.empty() ? nullptr : classes_->Get(class_name);
  std::string selected = api::Annotation(*claim, kAnnSelectedNode);
  if (DelaysBinding(storage_class.get()) && selected.empty()) {
    if (FirstTime("wait", *claim))
      Event(*claim, client::kEventNormal, "WaitForFirstConsumer",
            "waiting for first consumer to be created before binding");
    return Done(SetClaimPhase(claim, "Pending"));
  }
  client::Object node = selected.empty() ? nullptr : nodes_->Get(selected);
  if (!selected.empty() && node == nullptr) {
    // A node without an object (gone, or not yet in the cache) admits only PVs without affinity.
    node = std::make_shared<const json::value>(json::object{{"metadata", json::object{{"name", selected}}}});
  }
  if (client::Object pv = FindBestMatch(*claim, volumes_->List(), node.get())) {
    return Done(Bind(std::move(pv), std::move(claim)));
  }
  std::string provisioner = storage_class ? base::GetString(*storage_class, {"provisioner"}) : "";
  if (!provisioner.empty() && provisioner != kNoProvisioner) {
    if (FirstTime("provision", *claim))
      Event(*claim, client::kEventNormal, "ExternalProvisioning",
            absl::StrCat("Waiting for a volume to be created either by the external provisioner '", provisioner,
                         "' or manually by the system administrator. If volume creation is delayed, please verify "
                         "that the provisioner is running and correctly registered."));
    if (absl::Status s = AnnotateForProvisioner(claim, provisioner); !s.ok()) return Done(s);
    return {};
  }
  if (FirstTime("no-volume", *claim)) {
    Event(*claim, client::kEventNormal, "FailedBinding",
          storage_class ? "no persistent volumes available for this claim"
                        : "no persistent volumes available for this claim and no storage class is set");
  }
  return Done(SetClaimPhase(claim, "Pending"));
}

absl::Status PersistentVolumeController::AnnotateForProvisioner(const client::Object& claim,
                                                                const std::string& provisioner) {
  if (api::Annotation(*claim, kAnnStorageProvisioner) == provisioner &&
      api::Annotation(*claim, kAnnBetaStorageProvisioner) == provisioner) {
    return SetClaimPhase(claim, "Pending");
  }
  json::value next = *claim;
  auto& annotations = base::EnsureObject(next, {"metadata", "annotations"});
  annotations[kAnnStorageProvisioner] = provisioner;
  annotations[kAnnBetaStorageProvisioner] = provisioner;
  auto updated = context_.client->Update(Claims(), api::Namespace(*claim), std::move(next), "", Writer());
  if (!updated.ok()) return updated.status();
  return SetClaimPhase(*updated, "Pending");
}

absl::Status PersistentVolumeController::Bind(client::Object pv, client::Object claim) {
  std::string ns = api::Namespace(*claim);
  std::string claim_name = api::Name(*claim);
  std::string pv_name = api::Name(*pv);
  // 1. The PV's claimRef, with the claim's uid.
  if (base::GetString(*pv, {"spec", "claimRef", "uid"}) != api::Uid(*claim) ||
      !VolumeBoundToClaim(*pv, *claim)) {
    json::value next = *pv;
    const json::value* ref = base::FindPath(*pv, {"spec", "claimRef"});
    if (ref == nullptr || ref->is_null()) {
      base::EnsureObject(next, {"metadata", "annotations"})[kAnnBoundByController] = "yes";
    }
    base::EnsureObject(next, {"spec"})["claimRef"] =
        json::object{{"kind", "PersistentVolumeClaim"}, {"apiVersion", "v1"},
                     {"namespace", ns},                 {"name", claim_name},
                     {"uid", api::Uid(*claim)},         {"resourceVersion", api::ResourceVersion(*claim)}};
    auto updated = context_.client->Update(Volumes(), "", std::move(next), "", Writer());
    if (!updated.ok()) return updated.status();
    pv = *updated;
  }
  // 2. The PV's phase.
  if (absl::Status s = SetVolumePhase(pv, "Bound"); !s.ok()) return s;
  // 3. The claim's volumeName and annotations.
  if (base::GetString(*claim, {"spec", "volumeName"}) != pv_name ||
      api::Annotation(*claim, kAnnBindCompleted) != "yes") {
    json::value next = *claim;
    auto& annotations = base::EnsureObject(next, {"metadata", "annotations"});
    if (base::GetString(*claim, {"spec", "volumeName"}).empty()) annotations[kAnnBoundByController] = "yes";
    annotations[kAnnBindCompleted] = "yes";
    base::EnsureObject(next, {"spec"})["volumeName"] = pv_name;
    auto updated = context_.client->Update(Claims(), ns, std::move(next), "", Writer());
    if (!updated.ok()) return updated.status();
    claim = *updated;
  }
  // 4. The claim's status: phase, and the PV's access modes and (when the claim becomes Bound)
  // capacity. A bound claim's capacity is the resizer's: during an expansion it differs from the
  // PV's on purpose, until the volume's new size is usable.
  json::value modes = json::array();
  if (const json::value* m = base::FindPath(*pv, {"spec", "accessModes"})) modes = *m;
  const json::value* have_capacity = base::FindPath(*claim, {"status", "capacity"});
  const json::value* have_modes = base::FindPath(*claim, {"status", "accessModes"});
  bool becomes_bound = Phase(*claim) != "Bound" || have_capacity == nullptr;
  if (!becomes_bound && have_modes && *have_modes == modes) return absl::OkStatus();
  json::value next = *claim;
  auto& status = base::EnsureObject(next, {"status"});
  status["phase"] = "Bound";
  if (becomes_bound) {
    json::value capacity = json::object();
    if (const json::value* c = base::FindPath(*pv, {"spec", "capacity"})) capacity = *c;
    status["capacity"] = std::move(capacity);
  }
  status["accessModes"] = std::move(modes);
  auto updated = context_.client->Update(Claims(), ns, std::move(next), "status", Writer());
  return updated.status();
}

absl::Status PersistentVolumeController::SetClaimPhase(const client::Object& claim, const std::string& phase) {
  if (Phase(*claim) == phase) return absl::OkStatus();
  json::value next = *claim;
  base::EnsureObject(next, {"status"})["phase"] = phase;
  return context_.client->Update(Claims(), api::Namespace(*claim), std::move(next), "status", Writer()).status();
}

absl::Status PersistentVolumeController::SetVolumePhase(const client::Object& pv, const std::string& phase,
                                                        const std::string& reason, const std::string& message) {
  if (Phase(*pv) == phase && base::GetString(*pv, {"status", "message"}) == message) return absl::OkStatus();
  json::value next = *pv;
  auto& status = base::EnsureObject(next, {"status"});
  if (Phase(*pv) != phase) status["lastPhaseTransitionTime"] = base::FormatRfc3339(absl::Now());
  status["phase"] = phase;
  status.erase("reason");
  status.erase("message");
  if (!reason.empty()) status["reason"] = reason;
  if (!message.empty()) status["message"] = message;
  return context_.client->Update(Volumes(), "", std::move(next), "status", Writer()).status();
}

client::ReconcileResult PersistentVolumeController::SyncVolume(const std::string& name) {
  client::Object pv = volumes_->Get(name);
  if (pv == nullptr) return {};
  const json::value* ref = base::FindPath(*pv, {"spec", "claimRef"});
  if (ref == nullptr || !ref->is_object()) return Done(SetVolumePhase(pv, "Available"));
  std::string ref_uid = base::GetString(*ref, {"uid"});
  std::string claim_key = ClaimRefKey(*pv);
  // Pre-bound by the user to a claim that may not exist yet: the claim's sync binds it.
  if (ref_uid.empty()) return Done(SetVolumePhase(pv, "Available"));
  client::Object claim = claims_->Get(claim_key);
  if (claim == nullptr || api::Uid(*claim) != ref_uid) {
    // The cache may lag behind a claim created a moment ago: ask the server.
    std::string ns, claim_name;
    client::SplitKey(claim_key, &ns, &claim_name);
    auto fresh = context_.client->Get(Claims(), ns, claim_name);
    if (fresh.ok()) claim = *fresh;
    else if (client::HttpCode(fresh.status()) != 404) return {fresh.status()};
    else claim = nullptr;
  }
  if (claim == nullptr || api::Uid(*claim) != ref_uid) return ReclaimVolume(std::move(pv));
  std::string claim_volume = base::GetString(*claim, {"spec", "volumeName"});
  if (claim_volume.empty()) return {};  // binding in progress: the claim's sync completes it
  if (claim_volume == name) return Done(SetVolumePhase(pv, "Bound"));
  // The claim is bound to another PV. Undo our own binding; a user's pre-binding waits.
  if (api::Annotation(*pv, kAnnBoundByController) != "yes") return {};
  json::value next = *pv;
  next.at("spec").as_object().erase("claimRef");
  if (json::value* a = base::EnsureObject(next, {"metadata"}).if_contains("annotations"); a && a->is_object()) {
    a->as_object().erase(kAnnBoundByController);
  }
  auto updated = context_.client->Update(Volumes(), "", std::move(next), "", Writer());
  if (!updated.ok()) return Done(updated.status());
  return Done(SetVolumePhase(*updated, "Available"));
}

client::ReconcileResult PersistentVolumeController::ReclaimVolume(client::Object pv) {
  std::string phase = Phase(*pv);
  if (phase == "Failed") return {};
  if (phase != "Released") {
    if (absl::Status s = SetVolumePhase(pv, "Released"); !s.ok()) return Done(s);
  }
  std::string policy = base::GetString(*pv, {"spec", "persistentVolumeReclaimPolicy"});
  if (policy == "Delete") {
    std::string provisioned_by = api::Annotation(*pv, kAnnProvisionedBy);
    if (provisioned_by == kLocalPathProvisioner) {
      if (api::IsBeingDeleted(*pv)) return {};
      client::DeleteOptions options;
      options.precondition_uid = api::Uid(*pv);
      return Done(context_.client->Delete(Volumes(), "", api::Name(*pv), options));
    }
    if (!provisioned_by.empty()) return {};  // an external provisioner deletes what it made
    std::string message =
        absl::StrCat("error getting deleter volume plugin for volume \"", api::Name(*pv), "\": no deletable volume plugin matched");
    Event(*pv, client::kEventWarning, "VolumeFailedDelete", message);
    return Done(SetVolumePhase(pv, "Failed", "", message));
  }
  if (policy == "Recycle") {
    std::string message = "Recycle is not supported: use Delete with a dynamic provisioner";
    Event(*pv, client::kEventWarning, "VolumeFailedRecycle", message);
    return Done(SetVolumePhase(pv, "Failed", "", message));
  }
  return {};  // Retain: the administrator reclaims it
}

std::unique_ptr<client::Runnable> NewPersistentVolumeController(const client::ControllerContext& context) {
  return std::make_unique<PersistentVolumeController>(context);
}

}  // namespace skiff::controllers::volume
