// EtcdClient: the gRPC connection to an etcd v3 cluster that EtcdStore and its watch stream share:
// one channel per endpoint (plain or TLS), the current endpoint, failover to the next one, error
// mapping to Store codes, and the revision translation between etcd and the Store contract.
//
// Revisions: etcd starts an empty keyspace at revision 1 and gives the first write revision 2; the
// Store contract starts at 0 with the first write at 1. Every revision crossing this class boundary
// is shifted by kRevisionOffset (etcd revision = store revision + 1), so resourceVersions read
// back as etcd's mod_revision - 1. The shift is the same for every server on one etcd.
//
// Channels: options.channels_per_endpoint channels per endpoint (each its own TCP connection, as
// they do not share subchannels); unary calls spread over them round-robin, watches use the first.
//
// Completion: unary calls are started from the calling thread on one CompletionQueue that a
// single completion thread drains; the caller sleeps on a semaphore the completion thread
// releases. With gRPC's synchronous API every blocked caller polled for itself, and the caller that
// happened to read a response had to wake the one it belonged to (and hand over the poller role):
// on a 2-core machine those thread switches were a third of the server's CPU per etcd write.
// EtcdWatchStream runs its stream on the same queue (see CompletionTag), so that the thread that
// reads the connection completes watch reads too instead of handing each one to another thread.
//
// Failover: a call goes to the current endpoint. A read (Range, Status) that fails with
// UNAVAILABLE is retried once on each other endpoint. A write is retried elsewhere only when its
// channel was not connected when it was sent (so etcd cannot have applied it); otherwise the
// client switches endpoint for later calls and the write fails with Unavailable: its outcome is
// unknown and it was not acknowledged.
//
// Internal to src/storage/etcd (it includes gRPC headers; keep it out of other folders' headers).
// Thread-safety: all methods may be called concurrently. Ownership: owns its channels and the
// completion thread (joined in the destructor; no call may be in flight then).
// Failure: gRPC errors become absl codes via ToStoreStatus.
#ifndef SKIFF_STORAGE_ETCD_ETCD_CLIENT_H_
#define SKIFF_STORAGE_ETCD_ETCD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/etcd/etcd_options.h"
#include "storage/etcd/rpc.grpc.pb.h"

namespace skiff::storage {

inline constexpr int64_t kRevisionOffset = 1;

// The first key after every key that starts with `prefix` (etcd's range_end for a prefix); "\0"
// (all keys) for an empty prefix or one made only of 0xff bytes.
std::string PrefixRangeEnd(const std::string& prefix);

// Maps an etcd gRPC failure to the Store's codes (OutOfRange for compacted revisions,
// InvalidArgument for future revisions and bad requests, Unavailable for connection loss).
absl::Status ToStoreStatus(const grpc::Status& status, const std::string& what);

// Maps Store keys to etcd keys and back for EtcdOptions::prefix ("/registry/x" <-> "<prefix>/x").
class KeyMapping {
 public:
  explicit KeyMapping(std::string prefix);
  std::string ToEtcd(const std::string& key) const;
  std::string FromEtcd(const std::string& key) const;

 private:
  std::string prefix_;
  bool identity_;
};

// An operation started on EtcdClient::completion_queue() passes a CompletionTag* as its tag; the
// completion thread calls Completed when it finishes (ok as gRPC reports it). Completed runs on
// the completion thread, which every etcd call shares: it must not block.
class CompletionTag {
 public:
  virtual void Completed(bool ok) = 0;

 protected:
  ~CompletionTag() = default;
};

class EtcdClient {
 public:
  // Validates the endpoints ("http://host:port" or "https://host:port") and reads the TLS files.
  // Does not connect: the first call does.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(const EtcdOptions& options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  absl::StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request);
  // A Txn is not repeated by the client: when it fails after reaching a member, *sent (if given)
  // is set and its outcome is unknown (it may have been applied); see EtcdStore for the repeat.
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(const etcdserverpb::TxnRequest& request,
                                                bool* sent = nullptr);
  absl::StatusOr<etcdserverpb::CompactionResponse> Compact(const etcdserverpb::CompactionRequest& request);

  // The channel of the current endpoint and its index, for opening a watch stream.
  std::shared_ptr<grpc::Channel> CurrentChannel(size_t* index);
  // Moves off endpoint `index` (if it is still current) after a failure seen on it.
  void FailedOver(size_t index);
  // The queue the completion thread drains; tags must be CompletionTag*.
  grpc::CompletionQueue* completion_queue() { return &completions_; }

  const EtcdOptions& options() const { return options_; }
  const KeyMapping& keys() const { return keys_; }

 private:
  EtcdClient(EtcdOptions options, std::vector<std::shared_ptr<grpc::Channel>> channels);

  size_t endpoints() const { return options_.endpoints.size(); }
  size_t per_endpoint() const { return channels_.size() / options_.endpoints.size(); }

  // Runs one unary call: `start(stub, context, cq)` starts it (an etcdserverpb::KV::Stub::AsyncX).
  template <typename Response, typename Start>
  absl::StatusOr<Response> Invoke(const char* what, bool idempotent, Start start, bool* sent = nullptr);
  // Drains completions_ until it is shut down.
  void CompleteCalls();

  EtcdOptions options_;
  KeyMapping keys_;
  // Endpoint e's channels are channels_[e * per_endpoint() ...]; kv_ parallels channels_.
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> kv_;
  std::atomic<size_t> current_{0};     // endpoint index
  std::atomic<size_t> next_{0};        // round-robin over the current endpoint's channels
  grpc::CompletionQueue completions_;  // of every unary call
  std::thread completion_thread_;
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_ETCD_ETCD_CLIENT_H_
