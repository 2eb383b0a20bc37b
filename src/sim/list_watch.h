// ListWatcher: keeps a caller informed of one resource through a Client, without a cache: it
// lists (paginated), hands the whole list to on_list, then watches from the list's resourceVersion,
// passing every event to on_event. A watch that ends normally is resumed from the last seen
// resourceVersion (bookmarks included); 410 Expired or errors lead to a fresh list after a backoff.
// The sim uses it instead of an Informer because it must not hold 150,000 pods in memory.
//
// Thread-safety: Start/Stop from one thread. Callbacks run on the watcher's threads, never two at
// once. Ownership: borrows the Client (must outlive the watcher). Failure: list/watch errors are
// logged and retried forever with backoff (up to 30 s).
#ifndef SKIFF_SIM_LIST_WATCH_H_
#define SKIFF_SIM_LIST_WATCH_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"

namespace skiff::sim {

class ListWatcher {
 public:
  struct Callbacks {
    // The complete current state (after a start or a relist).
    std::function<void(const std::vector<client::Object>& items)> on_list;
    // ADDED/MODIFIED/DELETED (bookmarks are handled internally).
    std::function<void(const client::WatchEvent& event)> on_event;
  };

  ListWatcher(client::Client* client, const api::ResourceInfo& resource, std::string field_selector,
              Callbacks callbacks);
  ~ListWatcher();
  ListWatcher(const ListWatcher&) = delete;
  ListWatcher& operator=(const ListWatcher&) = delete;

  void Start();
  void Stop();
  // Blocks until the first list was delivered (or Stop); returns whether it was.
  bool WaitForList();

 private:
  void Loop();
  bool Relist(std::string* resource_version);
  void Sleep(int* backoff_ms);

  client::Client* client_;
  const api::ResourceInfo& resource_;
  std::string field_selector_;
  Callbacks callbacks_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool listed_ = false;
  bool watch_ended_ = false;
  absl::Status watch_end_;
  std::thread thread_;
};

}  // namespace skiff::sim

#endif  // SKIFF_SIM_LIST_WATCH_H_
