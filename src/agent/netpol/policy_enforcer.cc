#include "agent/netpol/policy_enforcer.h"

#include <algorithm>
#include <vector>

#include "agent/netpol/policy_model.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::netpol {

PolicyEnforcer::PolicyEnforcer(client::SharedInformers* informers, EnforcerOptions options)
    : options_(std::move(options)),
      pods_(&informers->For(client::Resource("", "v1", "pods"))),
      namespaces_(&informers->For(client::Resource("", "v1", "namespaces"))),
      policies_(&informers->For(client::Resource("networking.k8s.io", "v1", "networkpolicies"))) {}

PolicyEnforcer::~PolicyEnforcer() { Stop(); }

absl::Status PolicyEnforcer::Start() {
  if (started_) return absl::FailedPreconditionError("network policy enforcer already started");
  absl::StatusOr<std::unique_ptr<proxy::Nft>> nft = proxy::Nft::Create();
  if (!nft.ok()) return nft.status();
  if (absl::StatusOr<std::string> probe = (*nft)->Run("list tables ip"); !probe.ok()) return probe.status();
  nft_ = std::move(*nft);
  client::Informer* informers[] = {pods_, namespaces_, policies_};
  for (int i = 0; i < 3; ++i) {
    handlers_[i] = informers[i]->AddHandlers({
        .on_add = [this](const client::Object&) { MarkDirty(); },
        .on_update =
            [this, pods = i == 0](const client::Object& old_object, const client::Object& object) {
              // Most pod updates are status churn (conditions, container states) the rules do not
              // depend on: every agent would recompute its table for every pod of the cluster.
              if (pods && ParsePod(*old_object) == ParsePod(*object)) return;
              MarkDirty();
            },
        .on_delete = [this](const client::Object&) { MarkDirty(); },
    });
  }
  {
    std::lock_guard lock(mu_);
    started_ = true;
    stop_ = false;
  }
  for (client::Informer* informer : informers) informer->Start();  // no-ops when already started
  thread_ = std::thread([this] { SyncLoop(); });
  return absl::OkStatus();
}

void PolicyEnforcer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    stop_ = true;
  }
  cv_.notify_all();
  client::Informer* informers[] = {pods_, namespaces_, policies_};
  for (int i = 0; i < 3; ++i) informers[i]->RemoveHandlers(handlers_[i]);
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  started_ = false;
}

EnforcerStats PolicyEnforcer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool PolicyEnforcer::WaitForFirstSync(absl::Duration timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return stats_.full_syncs > 0; });
}

void PolicyEnforcer::MarkDirty() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

TableState PolicyEnforcer::Desired() const {
  std::vector<PodModel> pods;
  std::vector<NamespaceModel> namespaces;
  std::vector<PolicyModel> policies;
  for (const client::Object& o : pods_->List()) {
    if (std::optional<PodModel> m = ParsePod(*o)) pods.push_back(std::move(*m));
  }
  for (const client::Object& o : namespaces_->List()) {
    if (std::optional<NamespaceModel> m = ParseNamespace(*o)) namespaces.push_back(std::move(*m));
  }
  for (const client::Object& o : policies_->List()) {
    if (std::optional<PolicyModel> m = ParsePolicy(*o)) policies.push_back(std::move(*m));
  }
  return BuildTableState(options_.rules, pods, namespaces, policies);
}

absl::StatusOr<bool> PolicyEnforcer::Sync(bool full) {
  TableState desired = Desired();
  const std::string text = full ? FullTransaction(options_.rules.table, desired)
                                : DiffTransaction(options_.rules.table, applied_, desired);
  if (text.empty()) return false;
  if (absl::StatusOr<std::string> result = nft_->Run(text); !result.ok()) return result.status();
  applied_ = std::move(desired);
  need_full_ = false;
  return true;
}

void PolicyEnforcer::SyncLoop() {
  // The first sync must see complete caches, or it would police pods with half their policies.
  while (!(pods_->WaitForSync(absl::Milliseconds(100)) && namespaces_->WaitForSync(absl::Milliseconds(100)) &&
           policies_->WaitForSync(absl::Milliseconds(100)))) {
    std::lock_guard lock(mu_);
    if (stop_) return;
  }
  absl::Duration backoff = absl::ZeroDuration();
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait(lock, [this] { return stop_ || need_full_ || dirty_; });
    if (stop_) break;
    const absl::Duration delay = std::max(options_.sync_delay, backoff);
    if (delay > absl::ZeroDuration()) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(delay), [this] { return stop_; });
      if (stop_) break;
    }
    const bool full = need_full_;
    dirty_ = false;
    lock.unlock();
    const absl::Time start = absl::Now();
    absl::StatusOr<bool> committed = Sync(full);
    const absl::Duration took = absl::Now() - start;
    lock.lock();
    ++stats_.recomputes;
    if (committed.ok()) {
      backoff = absl::ZeroDuration();
      stats_.last_error.clear();
      stats_.chains = applied_.chains.size();
      if (*committed) {
        (full ? stats_.full_syncs : stats_.partial_syncs)++;
        stats_.last_sync = took;
      }
      cv_.notify_all();
    } else {
      spdlog::warn("netpol: {} sync failed (retrying as a full sync): {}", full ? "full" : "partial",
                   committed.status().ToString());
      backoff = std::clamp(backoff * 2, absl::Milliseconds(100), absl::Seconds(30));
      need_full_ = true;
      ++stats_.failed_syncs;
      stats_.last_error = committed.status().ToString();
    }
  }
}

absl::Status DeleteNetpolTable(const std::string& table) {
  absl::StatusOr<std::unique_ptr<proxy::Nft>> nft = proxy::Nft::Create();
  if (!nft.ok()) return nft.status();
  return (*nft)->Run(DeleteTableTransaction(table)).status();
}

}  // namespace skiff::agent::netpol
