#include "client/leader_election.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/uid.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::client {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Leases() { return Resource("coordination.k8s.io", "v1", "leases"); }

}  // namespace

std::string DefaultIdentity() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(host[0] ? host : "skiff", "_", api::NewUid());
}

LeaderElector::LeaderElector(Client* client, LeaderElectionConfig config)
    : client_(client),
      config_(std::move(config)),
      clock_(config_.clock ? config_.clock : &base::RealClock()) {
  if (config_.identity.empty()) config_.identity = DefaultIdentity();
}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leading_) {
    Release();
    StepDown();
  }
}

bool LeaderElector::Sleep(absl::Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [this] { return stopping_; });
  return !stopping_;
}

void LeaderElector::Run() {
  absl::Time last_renew;
  for (;;) {
    bool renewed = false;
    if (!leading_) {
      if (TryAcquireOrRenew()) {
        renewed = true;
        last_renew = clock_->Now();
        BecomeLeader();
      }
    } else if (TryAcquireOrRenew()) {
      renewed = true;
      last_renew = clock_->Now();
    } else if (!config_.sole_candidate && clock_->Now() - last_renew > config_.renew_deadline) {
      spdlog::warn("leader election: lost lease {}/{}", config_.lease_namespace, config_.lease_name);
      StepDown();
    }
    const bool rarely = config_.sole_candidate && renewed;
    if (!Sleep(rarely ? config_.sole_renew_period : config_.retry_period)) return;
  }
}

int64_t LeaderElector::LeaseDurationSeconds() const {
  absl::Duration duration = config_.sole_candidate ? config_.sole_renew_period * 3 : config_.lease_duration;
  return std::max<int64_t>(1, absl::ToInt64Seconds(duration));
}

void LeaderElector::BecomeLeader() {
  spdlog::info("leader election: {} became leader ({}/{})", config_.identity, config_.lease_namespace,
               config_.lease_name);
  leading_ = true;
  if (leading_thread_.joinable()) leading_thread_.join();
  if (config_.on_started_leading) leading_thread_ = std::thread(config_.on_started_leading);
}

void LeaderElector::StepDown() {
  if (!leading_.exchange(false)) return;
  if (leading_thread_.joinable()) leading_thread_.join();
  if (config_.on_stopped_leading) config_.on_stopped_leading();
}

bool LeaderElector::TryAcquireOrRenew() {
  absl::Time now = clock_->Now();
  std::string now_text = base::FormatRfc3339Micro(now);
  int64_t duration_seconds = LeaseDurationSeconds();
  auto current = client_->Get(Leases(), config_.lease_namespace, config_.lease_name);
  if (!current.ok()) {
    if (HttpCode(current.status()) != 404) {
      spdlog::warn("leader election: get lease: {}", current.status().ToString());
      return false;
    }
    json::value lease = json::object{
        {"metadata", json::object{{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
        {"spec", json::object{{"holderIdentity", config_.identity},
                              {"leaseDurationSeconds", duration_seconds},
                              {"acquireTime", now_text},
                              {"renewTime", now_text},
                              {"leaseTransitions", 0}}}};
    auto created = client_->Create(Leases(), config_.lease_namespace, std::move(lease));
    if (!created.ok()) return false;
    observed_holder_ = config_.identity;
    observed_renew_ = now_text;
    observed_at_ = now;
    return true;
  }
  const json::value& lease = **current;
  std::string holder = base::GetString(lease, {"spec", "holderIdentity"});
  std::string renew = base::GetString(lease, {"spec", "renewTime"});
  if (holder != observed_holder_ || renew != observed_renew_ || observed_at_ == absl::Time()) {
    observed_holder_ = holder;
    observed_renew_ = renew;
    observed_at_ = now;
  }
  absl::Duration their_duration =
      absl::Seconds(base::GetInt(lease, {"spec", "leaseDurationSeconds"}, duration_seconds));
  if (!config_.sole_candidate && !holder.empty() && holder != config_.identity &&
      now < observed_at_ + their_duration) {
    return false;  // another holder, still within its lease
  }
  json::value next = lease;
  auto& spec = base::EnsureObject(next, {"spec"});
  if (holder != config_.identity) {
    spec["acquireTime"] = now_text;
    spec["leaseTransitions"] = base::GetInt(lease, {"spec", "leaseTransitions"}) + (holder.empty() ? 0 : 1);
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = duration_seconds;
  spec["renewTime"] = now_text;
  auto updated =
      client_->Update(Leases(), config_.lease_namespace, std::move(next));  // resourceVersion-guarded
  if (!updated.ok()) {
    if (HttpCode(updated.status()) != 409)
      spdlog::warn("leader election: update lease: {}", updated.status().ToString());
    return false;
  }
  observed_holder_ = config_.identity;
  observed_renew_ = now_text;
  observed_at_ = now;
  return true;
}

void LeaderElector::Release() {
  auto current = client_->Get(Leases(), config_.lease_namespace, config_.lease_name);
  if (!current.ok() || base::GetString(**current, {"spec", "holderIdentity"}) != config_.identity) return;
  json::value next = **current;
  auto& spec = base::EnsureObject(next, {"spec"});
  spec["holderIdentity"] = "";
  spec["leaseDurationSeconds"] = 1;
  spec["renewTime"] = base::FormatRfc3339Micro(clock_->Now());
  auto updated = client_->Update(Leases(), config_.lease_namespace, std::move(next));
  if (!updated.ok()) spdlog::warn("leader election: release lease: {}", updated.status().ToString());
}

}  // namespace skiff::client
