#include "controllers/volume/local_path_resizer.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "base/clock.h"
#include "base/json.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "controllers/volume/volume_util.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;

constexpr char kComponent[] = "external-resizer skiff.io/local-path";
constexpr char kManager[] = "local-path-resizer";
constexpr char kResizing[] = "Resizing";
constexpr char kInProgress[] = "ControllerResizeInProgress";

std::optional<api::Quantity> Storage(const json::value& obj, std::initializer_list<std::string_view> path) {
  const json::value* v = base::FindPath(obj, path);
  if (v == nullptr || v->is_null()) return std::nullopt;
  auto q = api::Quantity::FromJson(*v);
  if (!q.ok()) return std::nullopt;
  return *q;
}

bool HasCondition(const json::value& claim, std::string_view type) {
  const json::value* conditions = base::FindPath(claim, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return false;
  for (const json::value& c : conditions->get_array()) {
    if (base::GetString(c, {"type"}) == type) return true;
  }
  return false;
}

void DropCondition(json::object& status, std::string_view type) {
  json::value* conditions = status.if_contains("conditions");
  if (conditions == nullptr || !conditions->is_array()) return;
  json::array kept;
  for (const json::value& c : conditions->get_array()) {
    if (base::GetString(c, {"type"}) != type) kept.push_back(c);
  }
  if (kept.empty()) {
    status.erase("conditions");
  } else {
    *conditions = std::move(kept);
  }
}

// A resize this controller started and has not finished.
bool InProgress(const json::value& claim) {
  return base::GetString(claim, {"status", "allocatedResourceStatuses", "storage"}) == kInProgress ||
         HasCondition(claim, kResizing);
}

client::ReconcileResult Done(const absl::Status& s) {
  if (s.ok() || client::HttpCode(s) == 404) return {};
  return {s};
}

}  // namespace

json::value MarkResizeInProgress(const json::value& claim, const json::value& size, absl::Time now) {
  json::value next = claim;
  json::object& status = base::EnsureObject(next, {"status"});
  DropCondition(status, kResizing);
  json::value& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  conditions.as_array().push_back(json::object{
      {"type", kResizing}, {"status", "True"}, {"lastProbeTime", nullptr}, {"lastTransitionTime", base::FormatRfc3339(now)}});
  base::EnsureObject(next, {"status", "allocatedResources"})["storage"] = size;
  base::EnsureObject(next, {"status", "allocatedResourceStatuses"})["storage"] = kInProgress;
  return next;
}

json::value MarkResizeFinished(const json::value& claim, const json::value& size) {
  json::value next = claim;
  json::object& status = base::EnsureObject(next, {"status"});
  base::EnsureObject(next, {"status", "capacity"})["storage"] = size;
  DropCondition(status, kResizing);
  DropCondition(status, "FileSystemResizePending");
  if (json::value* statuses = status.if_contains("allocatedResourceStatuses"); statuses && statuses->is_object()) {
    statuses->as_object().erase("storage");
    if (statuses->as_object().empty()) status.erase("allocatedResourceStatuses");
  }
  return next;
}

LocalPathResizer::LocalPathResizer(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      claims_(&context.informers->For(Claims())),
      volumes_(&context.informers->For(Volumes())) {}

LocalPathResizer::~LocalPathResizer() { Stop(); }

void LocalPathResizer::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("local-path-resizer", this, workers_);
  client::WorkQueue* queue = &controller_->queue();
  auto claim_event = [queue](const client::Object& claim) {
    if (base::GetString(*claim, {"status", "phase"}) == "Bound") queue->Add(client::KeyOf(*claim));
  };
  claims_->AddHandlers(
      {claim_event, [claim_event](const client::Object&, const client::Object& c) { claim_event(c); }, nullptr});
  auto volume_event = [queue](const client::Object& pv) {
    const json::value* ref = base::FindPath(*pv, {"spec", "claimRef"});
    if (ref == nullptr || !ref->is_object()) return;
    queue->Add(client::MakeKey(base::GetString(*ref, {"namespace"}), base::GetString(*ref, {"name"})));
  };
  volumes_->AddHandlers(
      {volume_event, [volume_event](const client::Object&, const client::Object& pv) { volume_event(pv); }, nullptr});
  controller_->Start();
}

void LocalPathResizer::Stop() {
  if (controller_) controller_->Stop();
}

void LocalPathResizer::Event(const json::value& claim, const std::string& reason, const std::string& message) {
  if (context_.recorder != nullptr) context_.recorder->EventAs(kComponent, claim, client::kEventNormal, reason, message);
}

client::ReconcileResult LocalPathResizer::Reconcile(const std::string& key) {
  client::Object claim = claims_->Get(key);
  if (claim == nullptr || base::GetString(*claim, {"status", "phase"}) != "Bound" || api::IsBeingDeleted(*claim)) {
    return {};
  }
  std::string pv_name = base::GetString(*claim, {"spec", "volumeName"});
  client::Object pv = pv_name.empty() ? nullptr : volumes_->Get(pv_name);
  if (pv == nullptr || !VolumeBoundToClaim(*pv, *claim) ||
      api::Annotation(*pv, kAnnProvisionedBy) != kLocalPathProvisioner) {
    return {};  // not bound yet, or not ours to expand
  }
  std::optional<api::Quantity> request = Storage(*claim, {"spec", "resources", "requests", "storage"});
  std::optional<api::Quantity> capacity = Storage(*claim, {"status", "capacity", "storage"});
  if (!request || !capacity) return {};
  if (*request <= *capacity && !InProgress(*claim)) return {};
  // A request taken back to or below what the volume has (after a failed expansion) finishes at
  // the volume's size: nothing is ever shrunk.
  bool grows = *request > *capacity;
  api::Quantity target = grows ? *request : *capacity;
  json::value size = grows ? *base::FindPath(*claim, {"spec", "resources", "requests", "storage"})
                            : *base::FindPath(*claim, {"status", "capacity", "storage"});
  std::string ns = api::Namespace(*claim);

  // 1. Resizing.
  if (base::GetString(*claim, {"status", "allocatedResourceStatuses", "storage"}) != kInProgress ||
      !HasCondition(*claim, kResizing) ||
      Storage(*claim, {"status", "allocatedResources", "storage"}) != target) {
    auto updated = context_.client->Update(Claims(), ns, MarkResizeInProgress(*claim, size, absl::Now()), "status",
                                           {.field_manager = kManager});
    if (!updated.ok()) return Done(updated.status());
    Event(**updated, "Resizing", absl::StrCat("External resizer is resizing volume ", pv_name));
    claim = *updated;
  }
  // 2. The volume's capacity.
  std::optional<api::Quantity> pv_capacity = Storage(*pv, {"spec", "capacity", "storage"});
  if (!pv_capacity || *pv_capacity < target) {
    json::value next = *pv;
    base::EnsureObject(next, {"spec", "capacity"})["storage"] = size;
    auto updated = context_.client->Update(Volumes(), "", std::move(next), "", {.field_manager = kManager});
    if (!updated.ok()) return Done(updated.status());
  }
  // 3. Done: the claim shows the new capacity.
  auto updated =
      context_.client->Update(Claims(), ns, MarkResizeFinished(*claim, size), "status", {.field_manager = kManager});
  if (!updated.ok()) return Done(updated.status());
  Event(**updated, "VolumeResizeSuccessful", "Resize volume succeeded");
  return {};
}

std::unique_ptr<client::Runnable> NewLocalPathResizer(const client::ControllerContext& context) {
  return std::make_unique<LocalPathResizer>(context);
}

}  // namespace skiff::controllers::volume
