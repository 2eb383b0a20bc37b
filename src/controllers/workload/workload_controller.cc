#include "controllers/workload/workload_controller.h"

#include <utility>

#include "client/event_recorder.h"

namespace skiff::controllers {
namespace {

// A client::Reconciler over a function (e.g. a second queue's reconcile on a reconciler).
class FunctionReconciler : public client::Reconciler {
 public:
  explicit FunctionReconciler(std::function<client::ReconcileResult(const std::string&)> reconcile)
      : reconcile_(std::move(reconcile)) {}
  client::ReconcileResult Reconcile(const std::string& key) override { return reconcile_(key); }

 private:
  std::function<client::ReconcileResult(const std::string&)> reconcile_;
};

void AddAll(client::WorkQueue* queue, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) queue->Add(key);
}

}  // namespace

struct Wiring::Parts {
  std::vector<std::shared_ptr<void>> owned;
  // Declared after `owned`: destroyed (workers joined) before the reconcilers they call.
  std::vector<std::unique_ptr<client::Controller>> controllers;
};

EventKeys OwnKeys() {
  auto own = [](const boost::json::value& obj) { return std::vector<std::string>{client::KeyOf(obj)}; };
  return {own, [own](const boost::json::value&, const boost::json::value& obj) { return own(obj); }, own};
}

EventKeys KeysBy(std::function<std::string(const boost::json::value& obj)> key_of) {
  auto keys = [key_of](const boost::json::value& obj) {
    std::string key = key_of(obj);
    return key.empty() ? std::vector<std::string>{} : std::vector<std::string>{std::move(key)};
  };
  return {keys,
          [keys, key_of](const boost::json::value& old_obj, const boost::json::value& obj) {
            std::vector<std::string> out = keys(obj);
            if (key_of(old_obj) != key_of(obj)) {
              for (std::string& key : keys(old_obj)) out.push_back(std::move(key));
            }
            return out;
          },
          keys};
}

std::function<void(const boost::json::value& obj, const std::string& type, const std::string& reason,
                   const std::string& message)>
RecordEventAs(const client::ControllerContext& context, std::string component) {
  client::EventRecorder* recorder = context.recorder;
  if (recorder == nullptr) return nullptr;
  return [recorder, component = std::move(component)](const boost::json::value& obj, const std::string& type,
                                                      const std::string& reason, const std::string& message) {
    recorder->EventAs(component, obj, type, reason, message);
  };
}

client::Informer& Wiring::Informer(const api::ResourceInfo& resource, bool workload_indexes) {
  client::Informer& informer = context_.informers->For(resource);
  if (workload_indexes) AddWorkloadIndexes(informer);
  return informer;
}

ObjectCache* Wiring::Cache(const api::ResourceInfo& resource, bool workload_indexes) {
  return Own(std::make_unique<InformerCache>(&Informer(resource, workload_indexes)));
}

void Wiring::Keep(std::shared_ptr<void> part) { parts_->owned.push_back(std::move(part)); }

client::WorkQueue* Wiring::AddQueue(std::string name, client::Reconciler* reconciler, int workers) {
  parts_->controllers.push_back(std::make_unique<client::Controller>(std::move(name), reconciler, workers));
  return &parts_->controllers.back()->queue();
}

client::WorkQueue* Wiring::AddQueue(std::string name,
                                    std::function<client::ReconcileResult(const std::string&)> reconcile,
                                    int workers) {
  return AddQueue(std::move(name), Own(std::make_unique<FunctionReconciler>(std::move(reconcile))), workers);
}

void Wiring::Enqueue(const api::ResourceInfo& resource, client::WorkQueue* queue, EventKeys keys) {
  std::shared_ptr<Parts> parts = parts_;  // the handlers keep the queue and the key functions' targets
  client::InformerHandlers handlers;
  if (keys.added) {
    handlers.on_add = [parts, queue, f = std::move(keys.added)](const client::Object& obj) {
      AddAll(queue, f(*obj));
    };
  }
  if (keys.updated) {
    handlers.on_update = [parts, queue, f = std::move(keys.updated)](const client::Object& old_obj,
                                                                     const client::Object& obj) {
      AddAll(queue, f(*old_obj, *obj));
    };
  }
  if (keys.deleted) {
    handlers.on_delete = [parts, queue, f = std::move(keys.deleted)](const client::Object& obj) {
      AddAll(queue, f(*obj));
    };
  }
  context_.informers->For(resource).AddHandlers(std::move(handlers));
}

WorkloadController::WorkloadController(const client::ControllerContext& context, Setup setup)
    : context_(context), setup_(std::move(setup)) {}

WorkloadController::~WorkloadController() { Stop(); }

void WorkloadController::Start() {
  if (parts_ != nullptr) return;
  parts_ = std::make_shared<Wiring::Parts>();
  Wiring wiring(context_, parts_);
  setup_(wiring);
  for (auto& controller : parts_->controllers) controller->Start();
}

void WorkloadController::Stop() {
  if (parts_ == nullptr) return;
  for (auto& controller : parts_->controllers) controller->Stop();
}

}  // namespace skiff::controllers
