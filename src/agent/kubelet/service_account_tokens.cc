#include "agent/kubelet/service_account_tokens.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::agent::kubelet {
namespace json = boost::json;

namespace {

std::string ServiceAccountOf(const json::value& pod) {
  std::string name = base::GetString(pod, {"spec", "serviceAccountName"});
  return name.empty() ? "default" : name;
}

json::value TokenRequestBody(const json::value& pod, const std::string& audience,
                             int64_t expiration_seconds) {
  json::array audiences;
  if (!audience.empty()) audiences.emplace_back(audience);  // none: the API server's own audiences
  return json::object{
      {"apiVersion", "authentication.k8s.io/v1"},
      {"kind", "TokenRequest"},
      {"spec",
       {{"audiences", std::move(audiences)},
        {"expirationSeconds", expiration_seconds},
        {"boundObjectRef",
         {{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", api::Name(pod)}, {"uid", api::Uid(pod)}}}}}};
}

json::value PodReference(const json::value& pod) {
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", api::Name(pod)}, {"namespace", api::Namespace(pod)}, {"uid", api::Uid(pod)}}}};
}

}  // namespace

bool TokenNeedsRefresh(absl::Time now, absl::Time expiration, int64_t expiration_seconds,
                       absl::Duration max_ttl, absl::Duration jitter) {
  const absl::Time issued = expiration - absl::Seconds(expiration_seconds);
  if (now > issued + max_ttl - jitter) return true;
  // Integer arithmetic like the kubelet: 20% of the lifetime in whole seconds.
  return now > expiration - absl::Seconds(expiration_seconds * 20 / 100) - jitter;
}

ServiceAccountTokenManager::ServiceAccountTokenManager(client::Client* client,
                                                       ServiceAccountTokenOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &base::RealClock()),
      random_(options_.random) {
  if (!random_) {
    random_ = [engine = std::mt19937(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
  }
}

absl::Duration ServiceAccountTokenManager::Jitter() {
  return std::clamp(random_(), 0.0, 1.0) * options_.max_jitter;
}

absl::StatusOr<std::string> ServiceAccountTokenManager::Token(const json::value& pod,
                                                              const std::string& audience,
                                                              int64_t expiration_seconds) {
  const std::string uid = api::Uid(pod);
  if (uid.empty()) return absl::InvalidArgumentError("failed to fetch token: the pod has no metadata.uid");
  const std::string service_account = ServiceAccountOf(pod);
  const Key key{uid, api::Namespace(pod), service_account, audience, expiration_seconds};
  const absl::Time now = clock_->Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      const Entry& e = it->second;
      const bool valid = !e.token.empty() && now < e.expiration;
      if (valid && !TokenNeedsRefresh(now, e.expiration, e.expiration_seconds, options_.max_ttl, e.jitter)) {
        return e.token;
      }
      if (now < e.next_attempt) {  // backing off after a failure
        if (valid) return e.token;
        return e.last_error;
      }
    }
  }
  absl::StatusOr<Entry> fresh = Request(pod, service_account, audience, expiration_seconds);
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_;
  Entry& e = cache_[key];
  if (fresh.ok()) {
    e = *std::move(fresh);
    e.jitter = Jitter();
    return e.token;
  }
  ++e.failures;
  const absl::Duration backoff =
      std::min(options_.max_backoff, options_.initial_backoff * (int64_t{1} << std::min(e.failures - 1, 20)));
  e.next_attempt = now + backoff;
  e.last_error =
      absl::Status(fresh.status().code(), absl::StrCat("failed to fetch token: ", fresh.status().message()));
  const bool valid = !e.token.empty() && now < e.expiration;
  const std::string what =
      absl::StrCat("service account \"", service_account, "\"",
                   audience.empty() ? "" : absl::StrCat(" (audience \"", audience, "\")"));
  spdlog::warn("agent: pod {}/{}: token for {}: {} (retry in {})", api::Namespace(pod), api::Name(pod), what,
               std::string(e.last_error.message()), absl::FormatDuration(backoff));
  if (options_.events) {
    options_.events->Event(PodReference(pod), client::kEventWarning,
                           valid ? "TokenRefreshFailed" : "FailedMount",
                           absl::StrCat(valid ? "refreshing the token of " : "getting a token for ", what,
                                        " failed, will retry: ", fresh.status().message()));
  }
  if (valid) return e.token;
  return e.last_error;
}

absl::StatusOr<ServiceAccountTokenManager::Entry> ServiceAccountTokenManager::Request(
    const json::value& pod, const std::string& service_account, const std::string& audience,
    int64_t expiration_seconds) {
  absl::StatusOr<json::value> answer = client_->CreateSubresource(
      client::Resource("", "v1", "serviceaccounts"), api::Namespace(pod), service_account, "token",
      TokenRequestBody(pod, audience, expiration_seconds));
  if (!answer.ok()) return answer.status();
  Entry e;
  e.token = base::GetString(*answer, {"status", "token"});
  if (e.token.empty()) return absl::InternalError("the TokenRequest was answered without a token");
  e.expiration_seconds = base::GetInt(*answer, {"spec", "expirationSeconds"}, expiration_seconds);
  if (!base::ParseRfc3339(base::GetString(*answer, {"status", "expirationTimestamp"}), &e.expiration)) {
    e.expiration = clock_->Now() + absl::Seconds(e.expiration_seconds);
  }
  return e;
}

void ServiceAccountTokenManager::ForgetPod(const std::string& pod_uid) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = std::get<0>(it->first) == pod_uid ? cache_.erase(it) : std::next(it);
  }
}

size_t ServiceAccountTokenManager::CachedTokens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

int64_t ServiceAccountTokenManager::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

}  // namespace skiff::agent::kubelet
