// EventRecorder: records core/v1 Events about objects ("why" for `kubectl describe`), like
// client-go's record.EventRecorder. Repeats of the same (object, type, reason, message) within 10
// minutes are aggregated: the existing Event's count and lastTimestamp are patched instead of a
// new Event being created.
//
// Thread-safety: Event() may be called from any thread and never blocks: events go to a bounded
// queue written by one background thread (when the queue is full, new events are dropped and
// logged). Ownership: borrows the Client and Clock, which must outlive the recorder; the
// destructor writes what is queued, then stops. Failure: write errors are logged and dropped
// (events are best effort).
#ifndef SKIFF_CLIENT_EVENT_RECORDER_H_
#define SKIFF_CLIENT_EVENT_RECORDER_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "base/clock.h"
#include "boost/json/value.hpp"
#include "client/client.h"

namespace skiff::client {

inline constexpr char kEventNormal[] = "Normal";
inline constexpr char kEventWarning[] = "Warning";

class EventRecorder {
 public:
  struct Options {
    std::string component;  // source.component and reportingComponent, e.g. "deployment-controller"
    std::string host;       // source.host (optional)
    size_t queue_limit = 4096;
    absl::Duration aggregation_window = absl::Minutes(10);
    const base::Clock* clock = nullptr;  // null = real clock
  };

  EventRecorder(Client* client, Options options);
  virtual ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Records an event about `object` (any API object with kind, apiVersion and metadata). `type` is
  // kEventNormal or kEventWarning; `reason` a short UpperCamelCase word. Never blocks.
  virtual void Event(const boost::json::value& object, const std::string& type, const std::string& reason,
                     const std::string& message);
  // Same, with a different source component (several controllers share one recorder).
  virtual void EventAs(const std::string& component, const boost::json::value& object,
                       const std::string& type, const std::string& reason, const std::string& message);

  // Blocks until every event queued so far has been written (tests, orderly shutdown).
  void Flush();

 private:
  struct Pending {
    std::string component;
    boost::json::value involved;  // involvedObject
    std::string ns;
    std::string type, reason, message;
    absl::Time at;
  };
  struct Seen {
    std::string event_name;
    std::string ns;
    int64_t count = 0;
    absl::Time last;
  };
  void Run();
  void Write(const Pending& p);

  Client* client_;
  Options options_;
  const base::Clock* clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Pending> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  std::map<std::string, Seen> seen_;  // aggregation key -> the Event written for it (writer thread only)
  static constexpr size_t kMinSweepSize = 4096;
  size_t sweep_at_size_ = kMinSweepSize;  // expired keys are swept when seen_ grows past this
  std::thread thread_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_EVENT_RECORDER_H_
