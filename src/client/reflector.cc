#include "client/reflector.h"

#include <algorithm>

#include "api/object_meta.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::client {

Reflector::Reflector(Client* client, const api::ResourceInfo& resource, Options options, Callbacks callbacks)
    : client_(client), resource_(resource), options_(std::move(options)), callbacks_(std::move(callbacks)) {}

Reflector::~Reflector() { Stop(); }

void Reflector::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Reflector::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  started_ = false;
}

bool Reflector::HasListed() const {
  std::lock_guard lock(mu_);
  return listed_;
}

bool Reflector::WaitForList(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  auto done = [this] { return listed_ || stopping_; };
  if (timeout == absl::InfiniteDuration()) {
    cv_.wait(lock, done);
  } else {
    cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), done);
  }
  return listed_;
}

std::string Reflector::LastResourceVersion() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

void Reflector::SetResourceVersion(const std::string& rv) {
  if (rv.empty()) return;
  std::lock_guard lock(mu_);
  resource_version_ = rv;
}

bool Reflector::Stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Reflector::Backoff(absl::Duration* backoff) {
  {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(*backoff), [this] { return stopping_; });
  }
  *backoff = std::min(*backoff * 2, options_.max_backoff);
}

absl::Time Reflector::NextResync() const {
  return options_.resync > absl::ZeroDuration() && callbacks_.on_resync ? absl::Now() + options_.resync
                                                                         : absl::InfiniteFuture();
}

void Reflector::Run() {
  absl::Duration backoff = options_.initial_backoff;
  bool need_list = true;
  absl::Time next_resync = NextResync();
  while (!Stopping()) {
    if (need_list) {
      if (absl::Status s = ListAndDeliver(); !s.ok()) {
        spdlog::warn("reflector {}: list failed: {}", resource_.QualifiedPlural(), s.ToString());
        Backoff(&backoff);
        continue;
      }
      need_list = false;
    }
    absl::Status ended = WatchOnce(&next_resync);
    if (Stopping()) break;
    if (absl::IsOutOfRange(ended)) {
      // 410 Expired: our resourceVersion is too old to resume from.
      need_list = true;
      continue;
    }
    if (!ended.ok()) {
      spdlog::warn("reflector {}: watch ended: {}", resource_.QualifiedPlural(), ended.ToString());
      // A watch refused as invalid (say, a resourceVersion the server cannot use) needs a new list.
      if (absl::IsInvalidArgument(ended)) need_list = true;
      Backoff(&backoff);
      continue;
    }
    backoff = options_.initial_backoff;
  }
}

absl::StatusOr<ObjectList> Reflector::ListAllPages(int64_t page_size) {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  lo.limit = page_size;
  ObjectList all;
  while (true) {
    absl::StatusOr<ObjectList> page = client_->List(resource_, options_.ns, lo);
    if (!page.ok()) return page.status();
    // Bytes are kept only while every page has them (item_bytes stays aligned with items).
    bool bytes = page->item_bytes.size() == page->items.size() && all.item_bytes.size() == all.items.size();
    if (bytes) {
      all.item_bytes.insert(all.item_bytes.end(), std::make_move_iterator(page->item_bytes.begin()),
                            std::make_move_iterator(page->item_bytes.end()));
    } else {
      all.item_bytes.clear();
    }
    all.items.insert(all.items.end(), std::make_move_iterator(page->items.begin()),
                     std::make_move_iterator(page->items.end()));
    all.resource_version = page->resource_version;
    if (page->continue_token.empty()) return all;
    if (Stopping()) return absl::CancelledError("stopping");
    lo.continue_token = page->continue_token;
  }
}

absl::Status Reflector::ListAndDeliver() {
  absl::StatusOr<ObjectList> list = ListAllPages(options_.page_size);
  if (absl::IsOutOfRange(list.status()) && options_.page_size > 0) {
    // The continue token expired between pages (the snapshot was compacted): one full list instead.
    list = ListAllPages(0);
  }
  if (!list.ok()) return list.status();
  callbacks_.on_list(*list);
  {
    std::lock_guard lock(mu_);
    resource_version_ = list->resource_version;
    listed_ = true;
  }
  cv_.notify_all();
  return absl::OkStatus();
}

absl::Status Reflector::WatchOnce(absl::Time* next_resync) {
  WatchOptions wo;
  wo.label_selector = options_.label_selector;
  wo.field_selector = options_.field_selector;
  wo.resource_version = LastResourceVersion();
  wo.bookmarks = true;
  wo.timeout_seconds = options_.watch_timeout_seconds;
  {
    std::lock_guard lock(mu_);
    watch_ended_ = false;
    watch_status_ = absl::OkStatus();
  }
  auto handle = client_->Watch(
      resource_, options_.ns, wo,
      [this](const WatchEvent& event) {
        if (Stopping()) return false;
        if (!event.object) return true;
        if (event.type != WatchEventType::kBookmark) {
          std::lock_guard callback(callback_mu_);
          callbacks_.on_event(event);
        }
        SetResourceVersion(api::ResourceVersion(*event.object));
        return true;
      },
      [this](const absl::Status& status) {
        {
          std::lock_guard lock(mu_);
          watch_ended_ = true;
          watch_status_ = status;
        }
        cv_.notify_all();
      });
  if (!handle.ok()) return handle.status();
  std::unique_lock lock(mu_);
  while (!stopping_ && !watch_ended_) {
    if (*next_resync == absl::InfiniteFuture()) {
      cv_.wait(lock);
      continue;
    }
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(*next_resync - absl::Now(), absl::ZeroDuration())));
    if (absl::Now() >= *next_resync) {
      lock.unlock();
      {
        std::lock_guard callback(callback_mu_);
        callbacks_.on_resync();
      }
      *next_resync = NextResync();
      lock.lock();
    }
  }
  absl::Status status = watch_status_;
  lock.unlock();
  handle->reset();  // joins the watch's delivery
  return status;
}

}  // namespace skiff::client
