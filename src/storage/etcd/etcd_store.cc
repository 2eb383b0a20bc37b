#include "storage/etcd/etcd_store.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_watch_stream.h"

namespace skiff::storage {
namespace {

using etcdserverpb::Compare;

absl::Status CheckKey(const std::string& key) {
  if (key.empty()) return absl::InvalidArgumentError("empty key");
  return absl::OkStatus();
}

KeyValue FromEtcd(const mvccpb::KeyValue& kv, const KeyMapping& keys) {
  return KeyValue{.key = keys.FromEtcd(kv.key()),
                  .value = kv.value(),
                  .create_revision = kv.create_revision() - kRevisionOffset,
                  .mod_revision = kv.mod_revision() - kRevisionOffset};
}

// A key (or, with expected_revision 0, any live key) compared on its mod revision / existence.
void AddCompare(etcdserverpb::TxnRequest* txn, const std::string& key, int64_t expected_revision) {
  Compare* compare = txn->add_compare();
  compare->set_key(key);
  if (expected_revision == 0) {
    compare->set_target(Compare::CREATE);
    compare->set_result(Compare::GREATER);
    compare->set_create_revision(0);
  } else {
    compare->set_target(Compare::MOD);
    compare->set_result(Compare::EQUAL);
    compare->set_mod_revision(expected_revision + kRevisionOffset);
  }
  txn->add_failure()->mutable_request_range()->set_key(key);  // tells NotFound from a lost race
}

// The key as its failure branch read it (nullptr: absent).
const mvccpb::KeyValue* KeyAsRead(const etcdserverpb::TxnResponse& response) {
  if (response.responses_size() == 0 || response.responses(0).response_range().kvs_size() == 0)
    return nullptr;
  return &response.responses(0).response_range().kvs(0);
}

// The Status of a failed conditional write, from the key as the failure branch read it.
absl::Status ConditionFailed(const etcdserverpb::TxnResponse& response, const std::string& key) {
  const mvccpb::KeyValue* now = KeyAsRead(response);
  if (now == nullptr) return absl::NotFoundError(absl::StrCat("key ", key, " not found"));
  return absl::FailedPreconditionError(
      absl::StrCat("key ", key, " was modified at revision ", now->mod_revision() - kRevisionOffset));
}

// An earlier attempt of a put applied when the key holds exactly the bytes put (objects carry
// their uid and timestamps, so another writer's equal bytes are an equal outcome).
std::function<bool(const mvccpb::KeyValue*)> HoldsValue(const std::string& value) {
  return [&value](const mvccpb::KeyValue* now) { return now != nullptr && now->value() == value; };
}

}  // namespace

struct EtcdStore::Impl {
  std::unique_ptr<EtcdClient> client;
  std::unique_ptr<EtcdWatchStream> watches;
  std::atomic<int64_t> seen_revision{0};       // newest etcd revision any response carried
  std::atomic<int64_t> compacted_revision{0};  // store revision compacted up to (as far as we know)

  std::mutex compactor_mu;
  std::condition_variable compactor_wake;
  bool stopping = false;
  std::thread compactor;

  void Saw(const etcdserverpb::ResponseHeader& header) {
    int64_t revision = header.revision();
    int64_t seen = seen_revision.load();
    while (revision > seen && !seen_revision.compare_exchange_weak(seen, revision)) {
    }
  }
  // Runs a conditional write whose failure branch reads the key. An attempt that reached a member
  // and failed Unavailable (the member died, or lost its leader, mid-request) has an unknown
  // outcome: it is repeated with backoff for up to twice request_timeout (so that an attempt
  // that used up its whole deadline waiting for a lost leader gets one more full try). When a repeat fails its
  // compare, `applied_earlier` looks at the key as read to decide whether an earlier attempt took
  // effect; if so the write succeeded, at the key's mod revision (or, for a delete, at the
  // revision of the repeat). Nothing is acknowledged that etcd did not apply.
  absl::StatusOr<etcdserverpb::TxnResponse> Write(
      const etcdserverpb::TxnRequest& txn,
      const std::function<bool(const mvccpb::KeyValue*)>& applied_earlier) {
    const absl::Time deadline = absl::Now() + 2 * client->options().request_timeout;
    absl::Duration backoff = absl::Milliseconds(50);
    bool repeated = false;
    while (true) {
      bool sent = false;
      auto response = client->Txn(txn, &sent);
      if (response.ok()) {
        Saw(response->header());
        if (repeated && !response->succeeded() && applied_earlier(KeyAsRead(*response))) {
          response->set_succeeded(true);
          if (const mvccpb::KeyValue* now = KeyAsRead(*response))
            response->mutable_header()->set_revision(now->mod_revision());
        }
        return response;
      }
      if (!sent || !absl::IsUnavailable(response.status()) || absl::Now() + backoff > deadline)
        return response.status();
      spdlog::debug("etcd write outcome unknown ({}); repeating it", response.status().ToString());
      repeated = true;
      absl::SleepFor(backoff);
      backoff = std::min(2 * backoff, absl::Seconds(1));
    }
  }

  void Compacted(int64_t store_revision) {
    int64_t known = compacted_revision.load();
    while (store_revision > known && !compacted_revision.compare_exchange_weak(known, store_revision)) {
    }
  }

  // A linearizable read of nothing: the cluster's current etcd revision.
  absl::StatusOr<int64_t> ReadRevision(int64_t at_revision = 0) {
    etcdserverpb::RangeRequest request;
    request.set_key(std::string(1, '\0'));
    request.set_count_only(true);
    request.set_revision(at_revision);
    auto response = client->Range(request);
    if (!response.ok()) return response.status();
    Saw(response->header());
    return response->header().revision();
  }

  // etcd has no call that reports the compacted revision: find the oldest readable one.
  absl::Status DiscoverCompactedRevision() {
    auto current = ReadRevision();
    if (!current.ok()) return current.status();
    int64_t low = 1, high = *current;  // the answer is in [low, high]; high is always readable
    while (low < high) {
      int64_t middle = low + (high - low) / 2;
      auto read = ReadRevision(middle);
      if (read.ok()) {
        high = middle;
      } else if (absl::IsOutOfRange(read.status())) {
        low = middle + 1;
      } else {
        return read.status();
      }
    }
    Compacted(low - kRevisionOffset);
    return absl::OkStatus();
  }

  // Every interval, compacts to the newest revision observed at least `retention` ago.
  void RunCompactor(EtcdStore* store) {
    const EtcdOptions& options = client->options();
    std::deque<std::pair<absl::Time, int64_t>> samples;
    std::unique_lock<std::mutex> lock(compactor_mu);
    while (!compactor_wake.wait_for(lock, absl::ToChronoMilliseconds(options.compaction_interval),
                                    [&] { return stopping; })) {
      lock.unlock();
      absl::Time now = absl::Now();
      samples.emplace_back(now, store->CurrentRevision());
      int64_t target = 0;
      while (!samples.empty() && samples.front().first <= now - options.compaction_retention) {
        target = samples.front().second;
        samples.pop_front();
      }
      if (target > compacted_revision.load()) {
        if (absl::Status status = store->Compact(target); !status.ok())
          spdlog::warn("etcd background compaction to {}: {}", target, status.ToString());
      }
      lock.lock();
    }
  }
};

EtcdStore::EtcdStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdStore::~EtcdStore() {
  {
    std::lock_guard<std::mutex> lock(impl_->compactor_mu);
    impl_->stopping = true;
  }
  impl_->compactor_wake.notify_all();
  if (impl_->compactor.joinable()) impl_->compactor.join();
  impl_->watches.reset();
}

absl::StatusOr<std::unique_ptr<EtcdStore>> EtcdStore::Open(const EtcdOptions& options) {
  auto impl = std::make_unique<Impl>();
  auto client = EtcdClient::Create(options);
  if (!client.ok()) return client.status();
  impl->client = std::move(*client);
  if (absl::Status status = impl->DiscoverCompactedRevision(); !status.ok()) return status;
  impl->watches = std::make_unique<EtcdWatchStream>(impl->client.get());
  auto store = std::unique_ptr<EtcdStore>(new EtcdStore(std::move(impl)));
  if (options.compaction_interval > absl::ZeroDuration()) {
    Impl* raw = store->impl_.get();
    EtcdStore* self = store.get();
    raw->compactor = std::thread([raw, self] { raw->RunCompactor(self); });
  }
  return store;
}

absl::StatusOr<KeyValue> EtcdStore::Get(const std::string& key, int64_t revision) {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  if (revision < 0) return absl::InvalidArgumentError("negative revision");
  etcdserverpb::RangeRequest request;
  request.set_key(impl_->client->keys().ToEtcd(key));
  if (revision > 0) request.set_revision(revision + kRevisionOffset);
  auto response = impl_->client->Range(request);
  if (!response.ok()) return response.status();
  impl_->Saw(response->header());
  if (response->kvs_size() == 0) return absl::NotFoundError(absl::StrCat("key ", key, " not found"));
  return FromEtcd(response->kvs(0), impl_->client->keys());
}

absl::StatusOr<ListResult> EtcdStore::List(const std::string& prefix, const ListOptions& options) {
  if (options.revision < 0) return absl::InvalidArgumentError("negative revision");
  if (options.limit < 0) return absl::InvalidArgumentError("negative limit");
  if (!options.start_after.empty() && !absl::StartsWith(options.start_after, prefix))
    return absl::InvalidArgumentError("start_after is outside the listed prefix");
  const KeyMapping& keys = impl_->client->keys();
  const std::string etcd_prefix = keys.ToEtcd(prefix);
  etcdserverpb::RangeRequest request;
  if (!options.start_after.empty()) {
    request.set_key(keys.ToEtcd(options.start_after) + std::string(1, '\0'));  // the first key after it
  } else {
    request.set_key(etcd_prefix.empty() ? std::string(1, '\0') : etcd_prefix);
  }
  request.set_range_end(PrefixRangeEnd(etcd_prefix));
  request.set_limit(options.limit);
  if (options.revision > 0) request.set_revision(options.revision + kRevisionOffset);
  auto response = impl_->client->Range(request);
  if (!response.ok()) return response.status();
  impl_->Saw(response->header());
  ListResult result;
  result.revision = options.revision > 0 ? options.revision : response->header().revision() - kRevisionOffset;
  result.more = response->more();
  result.kvs.reserve(response->kvs_size());
  for (const mvccpb::KeyValue& kv : response->kvs())
    result.kvs.push_back(FromEtcd(kv, impl_->client->keys()));
  return result;
}

absl::StatusOr<int64_t> EtcdStore::Count(const std::string& prefix) {
  const std::string etcd_prefix = impl_->client->keys().ToEtcd(prefix);
  etcdserverpb::RangeRequest request;
  request.set_key(etcd_prefix.empty() ? std::string(1, '\0') : etcd_prefix);
  request.set_range_end(PrefixRangeEnd(etcd_prefix));
  request.set_count_only(true);
  auto response = impl_->client->Range(request);
  if (!response.ok()) return response.status();
  impl_->Saw(response->header());
  return response->count();
}

absl::StatusOr<int64_t> EtcdStore::Create(const std::string& key, const std::string& value) {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  const std::string etcd_key = impl_->client->keys().ToEtcd(key);
  etcdserverpb::TxnRequest txn;
  Compare* absent = txn.add_compare();
  absent->set_key(etcd_key);
  absent->set_target(Compare::CREATE);
  absent->set_result(Compare::EQUAL);
  absent->set_create_revision(0);
  txn.add_failure()->mutable_request_range()->set_key(etcd_key);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(etcd_key);
  put->set_value(value);
  auto response = impl_->Write(txn, HoldsValue(value));
  if (!response.ok()) return response.status();
  if (!response->succeeded()) return absl::AlreadyExistsError(absl::StrCat("key ", key, " already exists"));
  return response->header().revision() - kRevisionOffset;
}

absl::StatusOr<int64_t> EtcdStore::Update(const std::string& key, const std::string& value,
                                          int64_t expected_revision) {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  if (expected_revision < 0) return absl::InvalidArgumentError("negative expected revision");
  const std::string etcd_key = impl_->client->keys().ToEtcd(key);
  etcdserverpb::TxnRequest txn;
  AddCompare(&txn, etcd_key, expected_revision);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(etcd_key);
  put->set_value(value);
  put->set_prev_kv(true);
  auto response = impl_->Write(txn, HoldsValue(value));
  if (!response.ok()) return response.status();
  if (!response->succeeded()) return ConditionFailed(*response, key);
  return response->header().revision() - kRevisionOffset;
}

absl::StatusOr<int64_t> EtcdStore::Delete(const std::string& key, int64_t expected_revision) {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  if (expected_revision < 0) return absl::InvalidArgumentError("negative expected revision");
  const std::string etcd_key = impl_->client->keys().ToEtcd(key);
  etcdserverpb::TxnRequest txn;
  AddCompare(&txn, etcd_key, expected_revision);
  auto* erase = txn.add_success()->mutable_request_delete_range();
  erase->set_key(etcd_key);
  erase->set_prev_kv(true);
  auto response = impl_->Write(txn, [](const mvccpb::KeyValue* now) { return now == nullptr; });
  if (!response.ok()) return response.status();
  if (!response->succeeded()) return ConditionFailed(*response, key);
  return response->header().revision() - kRevisionOffset;
}

absl::StatusOr<std::unique_ptr<WatchHandle>> EtcdStore::Watch(const std::string& prefix,
                                                              int64_t after_revision, WatchCallback on_events,
                                                              WatchErrorCallback on_error) {
  if (after_revision < 0) return absl::InvalidArgumentError("negative revision");
  return impl_->watches->Add(prefix, after_revision, std::move(on_events), std::move(on_error));
}

absl::Status EtcdStore::Compact(int64_t revision) {
  if (revision < 0) return absl::InvalidArgumentError("negative revision");
  if (revision <= impl_->compacted_revision.load()) return absl::OkStatus();
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision + kRevisionOffset);
  auto response = impl_->client->Compact(request);
  if (!response.ok()) {
    // Someone (another server) already compacted this far: history only shrinks, so that is done.
    if (absl::IsOutOfRange(response.status())) return impl_->DiscoverCompactedRevision();
    return response.status();
  }
  impl_->Saw(response->header());
  impl_->Compacted(revision);
  return absl::OkStatus();
}

int64_t EtcdStore::CurrentRevision() {
  auto revision = impl_->ReadRevision();
  if (!revision.ok()) return std::max<int64_t>(impl_->seen_revision.load() - kRevisionOffset, 0);
  return *revision - kRevisionOffset;
}

int64_t EtcdStore::CompactedRevision() { return impl_->compacted_revision.load(); }

}  // namespace skiff::storage
