// WatchStream: one client watch (`?watch=true`) as a chunked stream of newline-delimited JSON
// events: it registers with the WatchCache, formats each event (plain object or a one-row Table),
// sends BOOKMARKs when asked, and ends at timeoutSeconds. An expired resourceVersion becomes an
// ERROR event carrying a 410 Expired Status, as the Kubernetes clients expect; an event the
// formatter cannot format (a failed CRD conversion webhook) becomes an ERROR event with the
// formatter's Status, and ends the stream (the client re-lists, and sees the error there).
// Thread-safety: events arrive on the cache's thread, ticks on the ticker's, Stop on the
// transport's; all guarded by one mutex. Ownership: shared by the transport and the WatchTicker.
#ifndef SKIFF_APISERVER_WATCH_STREAM_H_
#define SKIFF_APISERVER_WATCH_STREAM_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/watch_cache.h"
#include "http/http_types.h"

namespace skiff::apiserver {

// Formats an event's object for the wire (the JSON object text, or a Table row).
using EventFormatter = std::function<absl::StatusOr<std::string>(EventType type, const ObjectPtr& object)>;

struct WatchParams {
  std::string resource_prefix;
  std::string key_prefix;
  int64_t from_revision = 0;
  ObjectFilter filter;
  bool bookmarks = false;
  std::string bookmark_kind;         // e.g. "Pod"
  std::string bookmark_api_version;  // e.g. "v1"
  absl::Time deadline;
  EventFormatter formatter;  // null: the object's cached JSON
};

class WatchTicker;

class WatchStream : public http::StreamSource,
                    public WatchListener,
                    public std::enable_shared_from_this<WatchStream> {
 public:
  WatchStream(WatchCache* cache, WatchTicker* ticker, WatchParams params);

  void Start(std::shared_ptr<http::StreamSink> sink) override;
  void Stop() override;
  bool OnEvent(EventType type, const ObjectPtr& object) override;
  void OnProgress(int64_t revision) override;
  // Periodic: bookmarks and the timeout.
  void Tick(absl::Time now);

 private:
  bool WriteLocked(std::string line);
  bool WriteSharedLocked(std::shared_ptr<const std::string> line);

  WatchCache* cache_;
  WatchTicker* ticker_;
  WatchParams params_;
  std::mutex mu_;
  std::shared_ptr<http::StreamSink> sink_;
  int64_t watch_id_ = 0;
  bool stopped_ = false;
  int64_t last_revision_ = 0;
  std::atomic<int64_t> progress_{0};
  absl::Time last_bookmark_;
};

// Ticks every open WatchStream ten times a second (bookmarks, timeouts) from one thread.
class WatchTicker {
 public:
  WatchTicker();
  ~WatchTicker();
  void Add(std::shared_ptr<WatchStream> stream);
  void Remove(WatchStream* stream);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::set<std::shared_ptr<WatchStream>> streams_;
  std::thread thread_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_WATCH_STREAM_H_
