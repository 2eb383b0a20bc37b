#include "sim/list_watch.h"

#include <algorithm>
#include <chrono>

#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::sim {

namespace {
constexpr int64_t kPageSize = 1000;
constexpr int kMaxBackoffMs = 30000;
}  // namespace

ListWatcher::ListWatcher(client::Client* client, const api::ResourceInfo& resource,
                         std::string field_selector, Callbacks callbacks)
    : client_(client),
      resource_(resource),
      field_selector_(std::move(field_selector)),
      callbacks_(std::move(callbacks)) {}

ListWatcher::~ListWatcher() { Stop(); }

void ListWatcher::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ListWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ListWatcher::WaitForList() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return listed_ || stopping_; });
  return listed_;
}

void ListWatcher::Sleep(int* backoff_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(*backoff_ms), [&] { return stopping_; });
  *backoff_ms = std::min(*backoff_ms * 2, kMaxBackoffMs);
}

bool ListWatcher::Relist(std::string* resource_version) {
  std::vector<client::Object> items;
  client::ListOptions options;
  options.field_selector = field_selector_;
  options.limit = kPageSize;
  while (true) {
    auto page = client_->List(resource_, "", options);
    if (!page.ok()) {
      spdlog::warn("list {}: {}", resource_.plural, page.status().ToString());
      return false;
    }
    items.insert(items.end(), page->items.begin(), page->items.end());
    if (page->continue_token.empty()) {
      *resource_version = page->resource_version;
      break;
    }
    options.continue_token = page->continue_token;
  }
  callbacks_.on_list(items);
  {
    std::lock_guard lock(mu_);
    listed_ = true;
  }
  cv_.notify_all();
  return true;
}

void ListWatcher::Loop() {
  std::string rv;
  bool need_list = true;
  int backoff_ms = 250;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (need_list) {
      if (!Relist(&rv)) {
        Sleep(&backoff_ms);
        continue;
      }
      need_list = false;
    }
    {
      std::lock_guard lock(mu_);
      watch_ended_ = false;
    }
    client::WatchOptions options;
    options.field_selector = field_selector_;
    options.resource_version = rv;
    options.bookmarks = true;
    options.timeout_seconds = 300;
    auto handle = client_->Watch(
        resource_, "", options,
        [this, &rv](const client::WatchEvent& event) {
          std::string event_rv = base::GetString(*event.object, {"metadata", "resourceVersion"});
          if (!event_rv.empty()) rv = event_rv;
          if (event.type != client::WatchEventType::kBookmark) callbacks_.on_event(event);
          return true;
        },
        [this](const absl::Status& status) {
          {
            std::lock_guard lock(mu_);
            watch_ended_ = true;
            watch_end_ = status;
          }
          cv_.notify_all();
        });
    if (!handle.ok()) {
      spdlog::warn("watch {}: {}", resource_.plural, handle.status().ToString());
      need_list = absl::IsOutOfRange(handle.status()) || absl::IsInvalidArgument(handle.status());
      Sleep(&backoff_ms);
      continue;
    }
    absl::Status end;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return watch_ended_ || stopping_; });
      end = watch_end_;
    }
    handle->reset();  // joins the watch thread: `rv` is no longer written
    if (end.ok()) {
      backoff_ms = 250;
      continue;
    }
    if (absl::IsOutOfRange(end)) {
      need_list = true;
      continue;
    }
    spdlog::warn("watch {} ended: {}", resource_.plural, end.ToString());
    Sleep(&backoff_ms);
  }
}

}  // namespace skiff::sim
