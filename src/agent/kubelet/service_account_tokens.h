// ServiceAccountTokenManager: the kubelet's token manager. Gets the tokens of pods' projected
// serviceAccountToken volume sources through the TokenRequest API
// (POST /api/v1/namespaces/NS/serviceaccounts/SA/token, audiences = the source's audience or
// none, expirationSeconds = the source's, boundObjectRef = the Pod with its uid, so the token dies
// with the pod and a node authorizer can tie the request to a pod of this node), caches them per
// (pod uid, namespace, service account, audience, expirationSeconds), and requests a new one when
// 80% of the token's lifetime has passed or it is older than 24 h (minus up to 10 s of jitter), as
// kubelet's pkg/kubelet/token does. A failed request is retried with exponential backoff; meanwhile
// a still valid cached token keeps being served, and each failure is recorded as a Warning event
// on the pod. Callers (the volume refresh) ask again periodically; that is what refreshes.
// Thread-safety: every method may be called from any thread; requests run outside the lock.
// Ownership: borrows the client, clock and event recorder (they must outlive the manager).
// Failure: Token returns `failed to fetch token: <cause>` (the cause's status code) when no valid
// token is cached and the request fails, or the last such error while backing off.
#ifndef SKIFF_AGENT_KUBELET_SERVICE_ACCOUNT_TOKENS_H_
#define SKIFF_AGENT_KUBELET_SERVICE_ACCOUNT_TOKENS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "boost/json/value.hpp"
#include "client/client.h"
#include "client/event_recorder.h"

namespace skiff::agent::kubelet {

struct ServiceAccountTokenOptions {
  const base::Clock* clock = nullptr;        // null = real clock
  client::EventRecorder* events = nullptr;   // null = failures are only logged
  absl::Duration max_ttl = absl::Hours(24);  // refresh tokens older than this
  absl::Duration max_jitter = absl::Seconds(10);
  // Uniform in [0, 1); null = a seeded std::mt19937. Scales max_jitter.
  std::function<double()> random;
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(2);
};

// Whether a token issued for `expiration_seconds` and expiring at `expiration` must be replaced at
// `now`: older than max_ttl - jitter, or less than 20% of its lifetime (plus jitter) left.
bool TokenNeedsRefresh(absl::Time now, absl::Time expiration, int64_t expiration_seconds,
                       absl::Duration max_ttl, absl::Duration jitter);

class ServiceAccountTokenManager {
 public:
  ServiceAccountTokenManager(client::Client* client, ServiceAccountTokenOptions options);
  ServiceAccountTokenManager(const ServiceAccountTokenManager&) = delete;
  ServiceAccountTokenManager& operator=(const ServiceAccountTokenManager&) = delete;

  // The token for `pod`'s service account (spec.serviceAccountName, default "default"); the
  // signature of podspec::ServiceAccountTokenFunc.
  absl::StatusOr<std::string> Token(const boost::json::value& pod, const std::string& audience,
                                    int64_t expiration_seconds);

  // Forgets every token bound to the pod (called when the pod's volumes are removed).
  void ForgetPod(const std::string& pod_uid);

  size_t CachedTokens() const;
  // TokenRequests sent so far, successful or not (tests).
  int64_t Requests() const;

 private:
  // pod uid, namespace, service account, audience, expirationSeconds.
  using Key = std::tuple<std::string, std::string, std::string, std::string, int64_t>;
  struct Entry {
    std::string token;  // empty until a request succeeds
    absl::Time expiration;
    int64_t expiration_seconds = 0;  // as the server granted it (spec of the answer)
    absl::Duration jitter;
    int failures = 0;  // consecutive
    absl::Time next_attempt = absl::InfinitePast();
    absl::Status last_error;
  };

  absl::StatusOr<Entry> Request(const boost::json::value& pod, const std::string& service_account,
                                const std::string& audience, int64_t expiration_seconds);
  absl::Duration Jitter();

  client::Client* client_;
  ServiceAccountTokenOptions options_;
  const base::Clock* clock_;
  mutable std::mutex mu_;
  std::map<Key, Entry> cache_;
  std::function<double()> random_;  // guarded by mu_
  int64_t requests_ = 0;
};

}  // namespace skiff::agent::kubelet

#endif  // SKIFF_AGENT_KUBELET_SERVICE_ACCOUNT_TOKENS_H_
