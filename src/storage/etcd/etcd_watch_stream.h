// EtcdWatchStream: every Store watch of one EtcdStore, multiplexed over ONE etcd Watch stream
// (etcd's bidi Watch RPC), with reconnection that neither loses nor repeats an event.
//
// Each watcher has a client-chosen etcd watch id and a resume revision: the etcd revision after
// the last event delivered to it (advanced also by etcd's progress notifications). When the stream
// fails (etcd restarted, member lost), a thread reconnects (to the next endpoint if there are
// several) and re-creates every watcher from its resume revision. Events come with prev_kv, so a
// delete carries the last value. A watcher whose resume revision has been compacted, or that etcd
// cancels, gets OutOfRange (or the cancel reason) on its error callback and is dropped.
//
// Delivery: the reader thread only queues what etcd sends; a delivery thread hands it to the
// watchers, in order, joining the consecutive event responses of one watcher into one callback.
// etcd sends one response per revision, so under a write load one callback (one watch cache
// update and fan-out) covers many writes instead of one each.
//
// Internal to src/storage/etcd. Thread-safety: Add and handle destruction may be called from any
// thread except a callback; callbacks run on the stream's delivery thread, one at a time.
// Ownership: the stream must outlive its handles; destroying a handle waits for a running callback.
// Failure: stream errors are retried forever (logged); only per-watcher errors reach callbacks.
#ifndef SKIFF_STORAGE_ETCD_ETCD_WATCH_STREAM_H_
#define SKIFF_STORAGE_ETCD_ETCD_WATCH_STREAM_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/etcd/etcd_client.h"
#include "storage/store.h"

namespace skiff::storage {

class EtcdWatchStream {
 public:
  explicit EtcdWatchStream(EtcdClient* client);
  ~EtcdWatchStream();

  // Watches keys under `prefix` for changes after store revision `after_revision`.
  std::unique_ptr<WatchHandle> Add(const std::string& prefix, int64_t after_revision, WatchCallback on_events,
                                   WatchErrorCallback on_error);

  // The newest etcd revision the stream has reported (events or progress); 0 before any.
  int64_t observed_revision() const { return observed_revision_.load(); }

 private:
  struct Watcher;
  class Handle;
  using Stream = grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

  void Run();
  // Queues a response for the delivery thread.
  void Enqueue(etcdserverpb::WatchResponse response);
  // The delivery thread: hands queued responses to OnResponses until stopping.
  void RunDelivery();
  // Handles responses in order; consecutive event responses of one watcher become one callback
  // (their values are moved out).
  void OnResponses(std::vector<etcdserverpb::WatchResponse>& responses);
  // Handles a canceled, created or progress response.
  void OnControl(const etcdserverpb::WatchResponse& response);
  // Delivers the events of `responses` (all for `watcher`) in one callback, moving their values.
  void Deliver(Watcher& watcher, etcdserverpb::WatchResponse* const* responses, size_t count);
  void Fail(const std::shared_ptr<Watcher>& watcher, const absl::Status& error);
  void Remove(int64_t id);
  // Sends a create request for `watcher` on the current stream (if any). Requires mu_.
  void SendCreate(const Watcher& watcher);

  EtcdClient* client_;
  std::mutex mu_;  // guards everything below and every write to stream_
  std::map<int64_t, std::shared_ptr<Watcher>> watchers_;
  int64_t next_id_ = 1;
  std::shared_ptr<grpc::ClientContext> context_;
  std::shared_ptr<Stream> stream_;
  bool stopping_ = false;
  std::atomic<int64_t> observed_revision_{0};

  std::mutex queue_mu_;  // guards the three below
  std::condition_variable queue_filled_;
  std::vector<etcdserverpb::WatchResponse> queue_;
  bool delivery_stopping_ = false;
  std::thread delivery_thread_;
  std::thread thread_;  // the reader
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_ETCD_ETCD_WATCH_STREAM_H_
