#include "storage/sqlite/watch_hub.h"

#include <atomic>
#include <utility>

#include "absl/strings/match.h"

namespace skiff::storage {

struct WatchHub::Watcher {
  std::string prefix;
  int64_t last_revision;  // Touched only by the delivery thread once added.
  WatchCallback on_events;
  WatchErrorCallback on_error;
  std::mutex callback_mu;  // Held while a callback runs, so removal can wait for it.
  std::atomic<bool> cancelled{false};
};

class WatchHub::Handle : public WatchHandle {
 public:
  Handle(WatchHub* hub, std::shared_ptr<Watcher> watcher) : hub_(hub), watcher_(std::move(watcher)) {}
  ~Handle() override { hub_->Remove(watcher_); }

 private:
  WatchHub* hub_;
  std::shared_ptr<Watcher> watcher_;
};

WatchHub::WatchHub(HistoryReader history, int64_t current_revision)
    : history_(std::move(history)), delivered_revision_(current_revision), thread_([this] { Run(); }) {}

WatchHub::~WatchHub() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  // Nobody receives these any more, but their writers still wait for the acknowledgement.
  for (Batch& batch : batches_) {
    if (batch.delivered) batch.delivered();
  }
}

void WatchHub::Publish(std::vector<WatchEvent> events, int64_t revision, std::function<void()> delivered) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    batches_.push_back({std::move(events), revision, std::move(delivered)});
  }
  wake_.notify_all();
}

std::unique_ptr<WatchHandle> WatchHub::Add(const std::string& prefix, int64_t after_revision,
                                           WatchCallback on_events, WatchErrorCallback on_error) {
  auto watcher = std::make_shared<Watcher>();
  watcher->prefix = prefix;
  watcher->last_revision = after_revision;
  watcher->on_events = std::move(on_events);
  watcher->on_error = std::move(on_error);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back(watcher);
  }
  wake_.notify_all();
  return std::make_unique<Handle>(this, std::move(watcher));
}

void WatchHub::Remove(const std::shared_ptr<Watcher>& watcher) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    watcher->cancelled = true;
    live_.remove(watcher);
    std::erase(pending_, watcher);
  }
  // Wait out a running callback, unless we are that callback (destroying its own handle).
  if (std::this_thread::get_id() != thread_.get_id()) {
    std::lock_guard<std::mutex> wait(watcher->callback_mu);
  }
}

void WatchHub::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !batches_.empty() || !pending_.empty(); });
    if (stop_) return;
    if (!pending_.empty()) {
      std::shared_ptr<Watcher> watcher = std::move(pending_.front());
      pending_.pop_front();
      int64_t upto = delivered_revision_;
      lock.unlock();
      CatchUp(watcher, upto);
      lock.lock();
      continue;
    }
    Batch batch = std::move(batches_.front());
    batches_.pop_front();
    std::vector<std::shared_ptr<Watcher>> targets(live_.begin(), live_.end());
    lock.unlock();
    for (const std::shared_ptr<Watcher>& watcher : targets) {
      std::vector<WatchEvent> matching;
      for (const WatchEvent& event : batch.events) {
        if (event.kv.mod_revision > watcher->last_revision &&
            absl::StartsWith(event.kv.key, watcher->prefix)) {
          matching.push_back(event);
        }
      }
      if (!matching.empty()) Deliver(*watcher, matching);
      watcher->last_revision = std::max(watcher->last_revision, batch.revision);
    }
    if (batch.delivered) batch.delivered();
    lock.lock();
    delivered_revision_ = batch.revision;
  }
}

void WatchHub::CatchUp(const std::shared_ptr<Watcher>& watcher, int64_t upto) {
  while (!watcher->cancelled) {
    absl::StatusOr<std::vector<WatchEvent>> events =
        history_(watcher->prefix, watcher->last_revision, upto, kHistoryChunk);
    if (!events.ok()) {
      Fail(*watcher, events.status());
      return;
    }
    if (!events->empty()) {
      Deliver(*watcher, *events);
      watcher->last_revision = events->back().kv.mod_revision;
    }
    if (static_cast<int64_t>(events->size()) < kHistoryChunk) break;
  }
  watcher->last_revision = std::max(watcher->last_revision, upto);
  std::lock_guard<std::mutex> lock(mu_);
  if (!watcher->cancelled) live_.push_back(watcher);
}

void WatchHub::Deliver(Watcher& watcher, const std::vector<WatchEvent>& events) {
  std::lock_guard<std::mutex> lock(watcher.callback_mu);
  if (!watcher.cancelled) watcher.on_events(events);
}

void WatchHub::Fail(Watcher& watcher, const absl::Status& error) {
  std::lock_guard<std::mutex> lock(watcher.callback_mu);
  if (watcher.cancelled) return;
  watcher.cancelled = true;  // Terminal: nothing is delivered after the error.
  if (watcher.on_error) watcher.on_error(error);
}

}  // namespace skiff::storage
