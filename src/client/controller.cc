#include "client/controller.h"

#include "spdlog/spdlog.h"

namespace skiff::client {

Controller::Controller(std::string name, Reconciler* reconciler, int workers,
                       WorkQueue::Options queue_options)
    : name_(std::move(name)),
      reconciler_(reconciler),
      workers_(workers < 1 ? 1 : workers),
      queue_(queue_options) {}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  if (!threads_.empty()) return;
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
}

void Controller::Stop() {
  queue_.ShutDown();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Controller::Work() {
  std::string key;
  while (queue_.Get(&key)) {
    ReconcileResult result = reconciler_->Reconcile(key);
    if (!result.status.ok()) {
      int n = queue_.NumRequeues(key);
      // Conflicts are routine (a stale cache); report them quietly.
      if (result.status.code() == absl::StatusCode::kAborted) {
        spdlog::debug("{}: reconcile {} (attempt {}): {}", name_, key, n + 1, result.status.ToString());
      } else {
        spdlog::warn("{}: reconcile {} (attempt {}): {}", name_, key, n + 1, result.status.ToString());
      }
      queue_.AddRateLimited(key);
    } else {
      queue_.Forget(key);
      if (result.requeue) queue_.AddAfter(key, *result.requeue);
    }
    queue_.Done(key);
  }
}

InformerHandlers EnqueueOwnKey(WorkQueue* queue) {
  InformerHandlers handlers;
  handlers.on_add = [queue](const Object& obj) { queue->Add(KeyOf(*obj)); };
  handlers.on_update = [queue](const Object&, const Object& obj) { queue->Add(KeyOf(*obj)); };
  handlers.on_delete = [queue](const Object& obj) { queue->Add(KeyOf(*obj)); };
  return handlers;
}

}  // namespace skiff::client
