// ServerBalancer: picks which of several API servers of one cluster a client connects to, like
// k3s's agent load balancer. It sticks to one server while that server accepts connections (so a
// client's requests and watches see one watch cache); when a connection to it fails, the server is
// marked failed and the next healthy one becomes the preferred server. Failed servers are tried
// last until `retry_after` has passed, so a client still gets through when every server has failed
// once (or one comes back).
//
// It only orders indices: the caller owns the servers and reports how each connection attempt went.
// Thread-safety: every method may be called concurrently. Ownership: borrows the Clock.
// Failure: none (an empty balancer answers an empty order).
#ifndef SKIFF_CLIENT_REST_SERVER_BALANCER_H_
#define SKIFF_CLIENT_REST_SERVER_BALANCER_H_

#include <cstddef>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"

namespace skiff::client {

class ServerBalancer {
 public:
  explicit ServerBalancer(size_t servers, absl::Duration retry_after = absl::Seconds(10),
                          const base::Clock* clock = nullptr);

  // The order to try the servers in: the preferred one first, then the others round from it,
  // servers that failed within `retry_after` last (in the same rotation).
  std::vector<size_t> Order() const;
  // A connection to `server` succeeded: it becomes the preferred server and counts as healthy.
  void ReportSuccess(size_t server);
  // A connection to (or an exchange with) `server` failed: when it was the preferred server, the
  // next server in rotation becomes preferred.
  void ReportFailure(size_t server);
  size_t preferred() const;
  size_t size() const { return failed_at_.size(); }

 private:
  bool RecentlyFailed(size_t server, absl::Time now) const;

  const absl::Duration retry_after_;
  const base::Clock* clock_;
  mutable std::mutex mu_;
  size_t preferred_ = 0;
  std::vector<absl::Time> failed_at_;  // InfinitePast() = never failed
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_REST_SERVER_BALANCER_H_
