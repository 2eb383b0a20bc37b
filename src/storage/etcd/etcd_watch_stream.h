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
// Reading: the stream runs on the EtcdClient's completion queue, so the completion thread that
// reads the connection for unary calls (a create's Txn) also completes the stream's reads and
// writes; a connection thread only opens the stream, waits for it to end and reconnects. Writes
// (watch create/cancel requests) are queued and never block the caller on the network.
//
// Delivery: the completion thread only queues what etcd sends; a delivery thread hands it to the
// watchers, in order, joining the consecutive event responses of one watcher into one callback.
// etcd sends one response per revision, so under a write load one callback (one watch cache
// update and fan-out) covers many writes instead of one each.
//
// Internal to src/storage/etcd. Thread-safety: Add and handle destruction may be called from any
// thread except a callback; callbacks run on the stream's delivery thread, one at a time. The
// EtcdClient's completion thread must run while the stream exists (the client outlives it).
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
  struct Connection;

  // The connection thread: opens the stream, waits for it to end, reconnects.
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
  // Queues `request` on the current stream (if any) and starts writing it if no write is under
  // way. Requires mu_.
  void Send(etcdserverpb::WatchRequest request);
  // Starts writing the oldest queued request of `connection` (with none in flight). Requires mu_.
  void StartWrite(Connection& connection);
  // Completion-thread handlers of the current stream's operations.
  void OnStarted(Connection& connection, bool ok);
  void OnRead(Connection& connection, bool ok);
  void OnWritten(Connection& connection, bool ok);
  void OnFinished(Connection& connection, bool ok);
  // Once reading has ended: asks for the stream's status (Finish). Requires mu_.
  void FinishWhenDone(Connection& connection);

  EtcdClient* client_;
  // Guards everything below and the stream's writes and Finish; its reads run on the completion
  // thread alone, one at a time.
  std::mutex mu_;
  std::condition_variable connection_ended_;
  std::map<int64_t, std::shared_ptr<Watcher>> watchers_;
  int64_t next_id_ = 1;
  std::unique_ptr<Connection> connection_;  // the open stream, if any
  bool stopping_ = false;
  std::atomic<int64_t> observed_revision_{0};

  std::mutex queue_mu_;  // guards the three below
  std::condition_variable queue_filled_;
  std::vector<etcdserverpb::WatchResponse> queue_;
  bool delivery_stopping_ = false;
  std::thread delivery_thread_;
  std::thread thread_;  // the connection thread
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_ETCD_ETCD_WATCH_STREAM_H_
