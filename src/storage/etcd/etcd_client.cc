#include "storage/etcd/etcd_client.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/wakeup.h"
#include "spdlog/spdlog.h"

namespace skiff::storage {
namespace {

std::chrono::system_clock::time_point DeadlineAfter(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
}

grpc::ChannelArguments ChannelArgs(int channel) {
  grpc::ChannelArguments args;
  // Channels to one target would otherwise share one subchannel (one TCP connection).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("skiff.etcd_channel", channel);
  args.SetMaxReceiveMessageSize(-1);  // a List of a large resource is one Range response
  args.SetMaxSendMessageSize(-1);
  // A restarted member is reconnected within a second; etcd only tolerates pings on live streams.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  return args;
}

}  // namespace

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

namespace {
constexpr absl::string_view kRoot = "/registry";

// True when `key` is `root` or below it ("/registry", "/registry/x"; not "/registryx").
bool IsUnder(const std::string& key, absl::string_view root) {
  return absl::StartsWith(key, root) && (key.size() == root.size() || key[root.size()] == '/');
}
}  // namespace

KeyMapping::KeyMapping(std::string prefix) : prefix_(std::move(prefix)), identity_(prefix_ == kRoot) {}

std::string KeyMapping::ToEtcd(const std::string& key) const {
  if (identity_ || !IsUnder(key, kRoot)) return key;
  return absl::StrCat(prefix_, key.substr(kRoot.size()));
}

std::string KeyMapping::FromEtcd(const std::string& key) const {
  if (identity_ || !IsUnder(key, prefix_)) return key;
  return absl::StrCat(kRoot, key.substr(prefix_.size()));
}

absl::Status ToStoreStatus(const grpc::Status& status, const std::string& what) {
  std::string message = absl::StrCat("etcd ", what, ": ", status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::OUT_OF_RANGE:
      if (absl::StrContains(status.error_message(), "future revision"))
        return absl::InvalidArgumentError(message);
      return absl::OutOfRangeError(message);  // "required revision has been compacted"
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::InvalidArgumentError(message);
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // "database space exceeded"
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(const EtcdOptions& options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no etcd endpoints given");
  if (options.prefix.empty() || options.prefix[0] != '/' || options.prefix.back() == '/')
    return absl::InvalidArgumentError(
        absl::StrCat("etcd prefix ", options.prefix, ": want /NAME (no trailing /)"));
  grpc::SslCredentialsOptions tls;
  if (!options.ca_file.empty()) {
    auto ca = base::ReadFile(options.ca_file);
    if (!ca.ok()) return absl::InvalidArgumentError(absl::StrCat("etcd CA file: ", ca.status().message()));
    tls.pem_root_certs = *ca;
  }
  if (options.cert_file.empty() != options.key_file.empty())
    return absl::InvalidArgumentError("--etcd-certfile and --etcd-keyfile go together");
  if (!options.cert_file.empty()) {
    auto cert = base::ReadFile(options.cert_file);
    if (!cert.ok())
      return absl::InvalidArgumentError(absl::StrCat("etcd cert file: ", cert.status().message()));
    auto key = base::ReadFile(options.key_file);
    if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat("etcd key file: ", key.status().message()));
    tls.pem_cert_chain = *cert;
    tls.pem_private_key = *key;
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (const std::string& endpoint : options.endpoints) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    std::string target;
    if (absl::StartsWith(endpoint, "http://")) {
      target = endpoint.substr(7);
      credentials = grpc::InsecureChannelCredentials();
    } else if (absl::StartsWith(endpoint, "https://")) {
      target = endpoint.substr(8);
      credentials = grpc::SslCredentials(tls);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("etcd endpoint ", endpoint, ": want http://HOST:PORT or https://HOST:PORT"));
    }
    while (!target.empty() && target.back() == '/') target.pop_back();
    if (target.empty() || target.find('/') != std::string::npos)
      return absl::InvalidArgumentError(
          absl::StrCat("etcd endpoint ", endpoint, ": want SCHEME://HOST:PORT"));
    for (int i = 0; i < std::max(options.channels_per_endpoint, 1); ++i)
      channels.push_back(grpc::CreateCustomChannel(target, credentials, ChannelArgs(i)));
  }
  return std::unique_ptr<EtcdClient>(new EtcdClient(options, std::move(channels)));
}

namespace {
// The tag of one unary call on the completion queue: its caller waits for `finished`.
struct PendingCall final : CompletionTag {
  void Completed(bool) override { finished.Notify(); }  // ok is always true for a unary Finish
  base::Wakeup finished;
};
}  // namespace

EtcdClient::EtcdClient(EtcdOptions options, std::vector<std::shared_ptr<grpc::Channel>> channels)
    : options_(std::move(options)), keys_(options_.prefix), channels_(std::move(channels)) {
  for (const auto& channel : channels_) kv_.push_back(etcdserverpb::KV::NewStub(channel));
  completion_thread_ = std::thread([this] { CompleteCalls(); });
}

EtcdClient::~EtcdClient() {
  completions_.Shutdown();
  completion_thread_.join();
}

void EtcdClient::CompleteCalls() {
  void* tag = nullptr;
  bool ok = false;
  while (completions_.Next(&tag, &ok)) static_cast<CompletionTag*>(tag)->Completed(ok);
}

std::shared_ptr<grpc::Channel> EtcdClient::CurrentChannel(size_t* index) {
  *index = current_.load() % endpoints();
  return channels_[*index * per_endpoint()];
}

void EtcdClient::FailedOver(size_t index) {
  size_t expected = index;
  if (endpoints() > 1 && current_.compare_exchange_strong(expected, (index + 1) % endpoints())) {
    spdlog::warn("etcd: endpoint {} failed; switching to {}", options_.endpoints[index],
                 options_.endpoints[(index + 1) % endpoints()]);
  }
}

template <typename Response, typename Start>
absl::StatusOr<Response> EtcdClient::Invoke(const char* what, bool idempotent, Start start, bool* sent) {
  grpc::Status last;
  if (sent != nullptr) *sent = false;
  for (size_t attempt = 0; attempt < endpoints(); ++attempt) {
    size_t index = current_.load() % endpoints();
    size_t channel = index * per_endpoint() + next_.fetch_add(1, std::memory_order_relaxed) % per_endpoint();
    if (channels_[channel]->GetState(true) != GRPC_CHANNEL_READY &&
        !channels_[channel]->WaitForConnected(DeadlineAfter(options_.dial_timeout))) {
      // Nothing was sent on this endpoint: any call may safely go to the next one.
      last = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("cannot connect to ", options_.endpoints[index]));
      FailedOver(index);
      continue;
    }
    grpc::ClientContext context;
    context.set_deadline(DeadlineAfter(options_.request_timeout));
    Response response;
    grpc::Status status;
    PendingCall pending;
    auto call = start(*kv_[channel], &context, &completions_);  // lives until it finished
    call->Finish(&response, &status, static_cast<CompletionTag*>(&pending));
    pending.finished.Wait();
    if (sent != nullptr) *sent = true;
    if (status.ok()) return response;
    last = status;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED)
      break;
    FailedOver(index);
    if (!idempotent) break;  // it may have been applied: report it unacknowledged, do not repeat it
  }
  return ToStoreStatus(last, what);
}

absl::StatusOr<etcdserverpb::RangeResponse> EtcdClient::Range(const etcdserverpb::RangeRequest& request) {
  return Invoke<etcdserverpb::RangeResponse>(
      "range", true,
      [&](etcdserverpb::KV::Stub& kv, grpc::ClientContext* context, grpc::CompletionQueue* cq) {
        return kv.AsyncRange(context, request, cq);
      });
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(const etcdserverpb::TxnRequest& request,
                                                          bool* sent) {
  return Invoke<etcdserverpb::TxnResponse>(
      "txn", false,
      [&](etcdserverpb::KV::Stub& kv, grpc::ClientContext* context, grpc::CompletionQueue* cq) {
        return kv.AsyncTxn(context, request, cq);
      },
      sent);
}

absl::StatusOr<etcdserverpb::CompactionResponse> EtcdClient::Compact(
    const etcdserverpb::CompactionRequest& request) {
  return Invoke<etcdserverpb::CompactionResponse>(
      "compact", true,
      [&](etcdserverpb::KV::Stub& kv, grpc::ClientContext* context, grpc::CompletionQueue* cq) {
        return kv.AsyncCompact(context, request, cq);
      });
}

}  // namespace skiff::storage
