// Reflector: keeps a caller informed of one resource through a Client, without a cache of its own
// (client-go's Reflector). It lists (paginated), hands the complete list to on_list, then watches
// from the list's resourceVersion with bookmarks, passing every ADDED/MODIFIED/DELETED event to
// on_event. A watch that ends normally is resumed from the last resourceVersion seen (bookmarks
// included); 410 Gone/Expired (OutOfRange) leads to a fresh list; other list/watch errors are
// retried after a backoff that doubles up to Options::max_backoff and resets after a watch ends
// normally. Used by the Informer (which adds the cache, indexes and handlers) and by the sim (which
// must not hold 150,000 pods in memory).
//
// Thread-safety: Start/Stop from one owner thread; LastResourceVersion, HasListed and WaitForList
// from any thread. Callbacks run one at a time, in order (on the reflector's thread or the watch's
// delivery thread); they must not call Stop(). Ownership: borrows the Client and the ResourceInfo (both must outlive the reflector);
// Stop() (or the destructor) ends the watch and joins the thread, after which no callback runs.
// Start() after Stop() begins again with a list.
// Failure: never gives up; errors are logged and retried as above.
#ifndef SKIFF_CLIENT_REFLECTOR_H_
#define SKIFF_CLIENT_REFLECTOR_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"

namespace skiff::client {

class Reflector {
 public:
  struct Options {
    std::string ns;  // "" = all namespaces (or a cluster-scoped resource)
    std::string label_selector;
    std::string field_selector;
    // Objects per list page; 0 lists in one request.
    int64_t page_size = 500;
    // Watches are renewed now and then so a silently broken one cannot last forever.
    int64_t watch_timeout_seconds = 600;
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(30);
    // On this period on_resync runs on the reflector's thread (between events); zero disables.
    absl::Duration resync = absl::ZeroDuration();
  };

  struct Callbacks {
    // The complete current state (after the first list and every relist): items, their bytes when
    // the client shares them, and the list's resourceVersion.
    std::function<void(const ObjectList& list)> on_list;
    // ADDED, MODIFIED or DELETED (bookmarks only move LastResourceVersion()).
    std::function<void(const WatchEvent& event)> on_event;
    // Optional; see Options::resync.
    std::function<void()> on_resync;
  };

  Reflector(Client* client, const api::ResourceInfo& resource, Options options, Callbacks callbacks);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  void Start();
  void Stop();

  // Whether on_list has returned at least once (stays true across Stop/Start).
  bool HasListed() const;
  // Blocks until HasListed(), Stop() or the timeout; returns HasListed().
  bool WaitForList(absl::Duration timeout = absl::InfiniteDuration());
  // The resourceVersion of the last list, event or bookmark delivered ("" before the first list).
  std::string LastResourceVersion() const;

  const api::ResourceInfo& resource() const { return resource_; }

 private:
  void Run();
  // Lists every page and hands the result to on_list; returns the list's error, if any.
  absl::Status ListAndDeliver();
  absl::StatusOr<ObjectList> ListAllPages(int64_t page_size);
  // Runs one watch until it ends; returns how it ended.
  absl::Status WatchOnce(absl::Time* next_resync);
  absl::Time NextResync() const;
  void SetResourceVersion(const std::string& rv);
  bool Stopping() const;
  // Sleeps for *backoff (or until Stop) and doubles it up to max_backoff.
  void Backoff(absl::Duration* backoff);

  Client* client_;
  const api::ResourceInfo& resource_;
  const Options options_;
  const Callbacks callbacks_;

  // Held around on_event and on_resync (which may run on different threads).
  std::mutex callback_mu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool listed_ = false;
  bool watch_ended_ = false;
  absl::Status watch_status_;
  std::string resource_version_;
  std::thread thread_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_REFLECTOR_H_
