// WorkQueue: the rate-limited queue between informer handlers and reconcilers (client-go's
// workqueue): a key added many times while waiting is queued once; a key being processed is
// never handed to a second worker at the same time (re-adds wait until Done); failed keys come
// back with per-key exponential backoff (5 ms doubling to 1000 s by default); an overall token
// bucket limits the rate of retries.
// Thread-safety: all methods are safe from any thread. Ownership: plain object; ShutDown() wakes
// blocked Get() callers, which then return false.
#ifndef SKIFF_CLIENT_WORKQUEUE_H_
#define SKIFF_CLIENT_WORKQUEUE_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "base/clock.h"

namespace skiff::client {

class WorkQueue {
 public:
  struct Options {
    absl::Duration base_delay = absl::Milliseconds(5);
    absl::Duration max_delay = absl::Seconds(1000);
    double retries_per_second = 10;  // overall rate of rate-limited re-adds
    int burst = 100;
    const base::Clock* clock = nullptr;  // null = real clock
  };

  WorkQueue();
  explicit WorkQueue(Options options);
  ~WorkQueue();

  void Add(const std::string& key);
  // Adds after `delay` (a later Add or a shorter AddAfter wins).
  void AddAfter(const std::string& key, absl::Duration delay);
  // Re-adds with the key's backoff and the overall rate limit (after a failed reconcile).
  void AddRateLimited(const std::string& key);
  // Clears the key's backoff (after a successful reconcile).
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Blocks until a key is available (returns true) or the queue shuts down (false).
  bool Get(std::string* key);
  // Marks a key from Get() as processed; a re-add that arrived meanwhile is queued now.
  void Done(const std::string& key);

  void ShutDown();
  size_t Len() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_WORKQUEUE_H_
