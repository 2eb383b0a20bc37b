#include "controllers/volume/pvc_protection_controller.h"

#include "api/object_meta.h"
#include "api/pod_util.h"
#include "client/informer.h"
#include "controllers/volume/finalizers.h"
#include "controllers/volume/volume_util.h"

namespace skiff::controllers::volume {
namespace {

namespace json = boost::json;

constexpr char kClaimIndex[] = "pvc-protection-claims";

const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }

bool PodMayUseVolumes(const json::value& pod) {
  std::string phase = api::PodPhase(pod);
  return phase != "Succeeded" && phase != "Failed";
}

}  // namespace

PvcProtectionController::PvcProtectionController(const client::ControllerContext& context, int workers)
    : context_(context),
      workers_(workers),
      claims_(&context.informers->For(Claims())),
      pods_(&context.informers->For(Pods())) {}

PvcProtectionController::~PvcProtectionController() { Stop(); }

void PvcProtectionController::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("pvc-protection", this, workers_);
  pods_->AddIndex(kClaimIndex, [](const json::value& pod) {
    std::vector<std::string> keys;
    for (const std::string& claim : PodClaimNames(pod)) keys.push_back(client::MakeKey(api::Namespace(pod), claim));
    return keys;
  });
  client::WorkQueue* queue = &controller_->queue();
  auto claim_event = [queue](const client::Object& claim) {
    if (api::IsBeingDeleted(*claim) && api::HasFinalizer(*claim, kPvcProtectionFinalizer)) {
      queue->Add(client::KeyOf(*claim));
    }
  };
  claims_->AddHandlers(
      {claim_event, [claim_event](const client::Object&, const client::Object& c) { claim_event(c); }, nullptr});
  // A pod that stops using its claims (finished or deleted) may release a claim being deleted.
  auto pod_event = [queue](const client::Object& pod) {
    for (const std::string& claim : PodClaimNames(*pod)) queue->Add(client::MakeKey(api::Namespace(*pod), claim));
  };
  pods_->AddHandlers({nullptr,
                      [pod_event](const client::Object&, const client::Object& pod) {
                        if (!PodMayUseVolumes(*pod)) pod_event(pod);
                      },
                      pod_event});
  controller_->Start();
}

void PvcProtectionController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult PvcProtectionController::Reconcile(const std::string& key) {
  client::Object claim = claims_->Get(key);
  if (claim == nullptr || !api::IsBeingDeleted(*claim) || !api::HasFinalizer(*claim, kPvcProtectionFinalizer)) {
    return {};
  }
  for (const client::Object& pod : pods_->ByIndex(kClaimIndex, key)) {
    if (PodMayUseVolumes(*pod)) return {};  // its update or deletion re-queues the claim
  }
  // The cache may not have a pod created a moment ago: ask the server before letting go.
  std::string ns, name;
  client::SplitKey(key, &ns, &name);
  auto pods = context_.client->List(Pods(), ns, {});
  if (!pods.ok()) return {pods.status()};
  for (const client::Object& pod : pods->items) {
    if (PodMayUseVolumes(*pod) && PodUsesClaim(*pod, name)) return {absl::OkStatus(), absl::Seconds(1)};
  }
  absl::Status s = RemoveFinalizer(context_.client, Claims(), *claim, kPvcProtectionFinalizer, "pvc-protection-controller");
  if (!s.ok() && client::HttpCode(s) != 404) return {s};
  return {};
}

std::unique_ptr<client::Runnable> NewPvcProtectionController(const client::ControllerContext& context) {
  return std::make_unique<PvcProtectionController>(context);
}

}  // namespace skiff::controllers::volume
