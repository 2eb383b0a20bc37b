#include "client/rest/server_balancer.h"

namespace skiff::client {

ServerBalancer::ServerBalancer(size_t servers, absl::Duration retry_after, const base::Clock* clock)
    : retry_after_(retry_after),
      clock_(clock ? clock : &base::RealClock()),
      failed_at_(servers, absl::InfinitePast()) {}

bool ServerBalancer::RecentlyFailed(size_t server, absl::Time now) const {
  return now - failed_at_[server] < retry_after_;
}

std::vector<size_t> ServerBalancer::Order() const {
  std::lock_guard lock(mu_);
  absl::Time now = clock_->Now();
  std::vector<size_t> healthy, failed;
  for (size_t i = 0; i < failed_at_.size(); ++i) {
    size_t server = (preferred_ + i) % failed_at_.size();
    (RecentlyFailed(server, now) ? failed : healthy).push_back(server);
  }
  healthy.insert(healthy.end(), failed.begin(), failed.end());
  return healthy;
}

void ServerBalancer::ReportSuccess(size_t server) {
  std::lock_guard lock(mu_);
  if (server >= failed_at_.size()) return;
  failed_at_[server] = absl::InfinitePast();
  preferred_ = server;
}

void ServerBalancer::ReportFailure(size_t server) {
  std::lock_guard lock(mu_);
  if (server >= failed_at_.size()) return;
  failed_at_[server] = clock_->Now();
  if (server == preferred_) preferred_ = (preferred_ + 1) % failed_at_.size();
}

size_t ServerBalancer::preferred() const {
  std::lock_guard lock(mu_);
  return preferred_;
}

}  // namespace skiff::client
