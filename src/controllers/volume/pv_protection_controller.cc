#include "controllers/volume/pv_protection_controller.h"

#include "api/object_meta.h"
#include "base/json.h"
#include "client/informer.h"
#include "controllers/volume/finalizers.h"
#include "controllers/volume/volume_util.h"

namespace skiff::controllers::volume {

PvProtectionController::PvProtectionController(const client::ControllerContext& context, int workers)
    : context_(context), workers_(workers), volumes_(&context.informers->For(Volumes())) {}

PvProtectionController::~PvProtectionController() { Stop(); }

void PvProtectionController::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("pv-protection", this, workers_);
  client::WorkQueue* queue = &controller_->queue();
  auto event = [queue](const client::Object& pv) {
    if (api::IsBeingDeleted(*pv) && api::HasFinalizer(*pv, kPvProtectionFinalizer)) queue->Add(client::KeyOf(*pv));
  };
  volumes_->AddHandlers({event, [event](const client::Object&, const client::Object& pv) { event(pv); }, nullptr});
  controller_->Start();
}

void PvProtectionController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult PvProtectionController::Reconcile(const std::string& key) {
  client::Object pv = volumes_->Get(key);
  if (pv == nullptr || !api::IsBeingDeleted(*pv) || !api::HasFinalizer(*pv, kPvProtectionFinalizer)) return {};
  if (base::GetString(*pv, {"status", "phase"}) == "Bound") return {};  // its phase change re-queues it
  absl::Status s = RemoveFinalizer(context_.client, Volumes(), *pv, kPvProtectionFinalizer, "pv-protection-controller");
  if (!s.ok() && client::HttpCode(s) != 404) return {s};
  return {};
}

std::unique_ptr<client::Runnable> NewPvProtectionController(const client::ControllerContext& context) {
  return std::make_unique<PvProtectionController>(context);
}

}  // namespace skiff::controllers::volume
