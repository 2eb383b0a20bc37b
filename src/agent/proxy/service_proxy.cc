#include "agent/proxy/service_proxy.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/proxy/ruleset.h"
#include "agent/proxy/service_model.h"
#include "api/object_meta.h"
#include "base/file.h"
#include "base/ipv4.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::proxy {
namespace {

constexpr char kServiceIndex[] = "service";
constexpr char kActivatesIndex[] = "activates";  // HPAs by the Service they mark for activation
constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";

// The key of the Service an EndpointSlice belongs to ("" when it names none).
std::string SliceServiceKey(const boost::json::value& slice) {
  const boost::json::value* labels = api::Labels(slice);
  if (labels == nullptr) return "";
  std::string service = base::GetString(*labels, {kServiceNameLabel});
  if (service.empty()) return "";
  return client::MakeKey(api::Namespace(slice), service);
}

}  // namespace

ServiceProxy::ServiceProxy(client::SharedInformers* informers, ProxyOptions options,
                           ActivationTable* activations)
    : options_(std::move(options)),
      services_(&informers->For(client::Resource("", "v1", "services"))),
      slices_(&informers->For(client::Resource("discovery.k8s.io", "v1", "endpointslices"))),
      activations_(activations != nullptr ? activations : &own_activations_),
      rates_(options_.rate_window) {
  if (options_.activator_port > 0) {
    hpas_ = &informers->For(client::Resource("autoscaling", "v2", "horizontalpodautoscalers"));
  }
}

ServiceProxy::~ServiceProxy() { Stop(); }

absl::Status ServiceProxy::Start() {
  if (started_) return absl::FailedPreconditionError("service proxy already started");
  service_cidrs_.clear();
  for (const std::string& text : options_.service_cidrs) {
    absl::StatusOr<base::Ipv4Cidr> cidr = base::ParseIpv4Cidr(text);
    if (!cidr.ok())
      return absl::InvalidArgumentError(absl::StrCat("service CIDR: ", cidr.status().message()));
    service_cidrs_.push_back(*cidr);
  }
  absl::StatusOr<std::unique_ptr<Nft>> nft = Nft::Create();
  if (!nft.ok()) return nft.status();
  // A harmless read proves we may talk to nf_tables before any informer starts.
  if (absl::StatusOr<std::string> probe = (*nft)->Run("list tables ip"); !probe.ok()) return probe.status();
  nft_ = std::move(*nft);
  if (NeedsRouteLocalnet(options_)) {
    if (absl::Status s = EnableRouteLocalnet(); !s.ok()) {
      spdlog::warn("proxy: NodePorts on 127.0.0.1 and a loopback-only API server will not work: {}",
                   s.ToString());
    }
  }

  slices_->AddIndex(kServiceIndex, [](const boost::json::value& slice) {
    std::string key = SliceServiceKey(slice);
    return key.empty() ? std::vector<std::string>{} : std::vector<std::string>{key};
  });
  service_handlers_ = services_->AddHandlers({
      .on_add = [this](const client::Object& s) { MarkService(client::KeyOf(*s)); },
      .on_update = [this](const client::Object&, const client::Object& s) { MarkService(client::KeyOf(*s)); },
      .on_delete = [this](const client::Object& s) { MarkService(client::KeyOf(*s)); },
  });
  slice_handlers_ = slices_->AddHandlers({
      .on_add = [this](const client::Object& s) { MarkSlice(s); },
      .on_update =
          [this](const client::Object& old_slice, const client::Object& s) {
            MarkSlice(old_slice);  // the service label may have changed
            MarkSlice(s);
          },
      .on_delete = [this](const client::Object& s) { MarkSlice(s); },
  });
  if (hpas_ != nullptr) {
    hpas_->AddIndex(kActivatesIndex, [](const boost::json::value& hpa) {
      std::optional<ActivationMark> mark = ParseActivationMark(hpa);
      return mark ? std::vector<std::string>{mark->service_key} : std::vector<std::string>{};
    });
    auto mark_described = [this](const client::Object& hpa) {
      if (std::optional<ActivationMark> mark = ParseActivationMark(*hpa)) MarkService(mark->service_key);
    };
    hpa_handlers_ = hpas_->AddHandlers({
        .on_add = mark_described,
        .on_update =
            [mark_described](const client::Object& old_hpa, const client::Object& hpa) {
              mark_described(old_hpa);  // the described Service or minReplicas may have changed
              mark_described(hpa);
            },
        .on_delete = mark_described,
    });
  }
  {
    std::lock_guard lock(mu_);
    started_ = true;
    stop_ = false;
  }
  services_->Start();  // no-ops when the set's owner started them
  slices_->Start();
  if (hpas_ != nullptr) hpas_->Start();
  thread_ = std::thread([this] { SyncLoop(); });
  if (options_.count_connections) sampler_ = std::thread([this] { SampleCounters(); });
  return absl::OkStatus();
}

void ServiceProxy::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    stop_ = true;
  }
  cv_.notify_all();
  services_->RemoveHandlers(service_handlers_);
  slices_->RemoveHandlers(slice_handlers_);
  if (hpas_ != nullptr) hpas_->RemoveHandlers(hpa_handlers_);
  activations_->Close();
  if (thread_.joinable()) thread_.join();
  if (sampler_.joinable()) sampler_.join();
  std::lock_guard lock(mu_);
  started_ = false;
}

SyncStats ServiceProxy::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool ServiceProxy::WaitForFirstSync(absl::Duration timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return stats_.full_syncs > 0; });
}

void ServiceProxy::MarkService(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    dirty_.insert(key);
  }
  cv_.notify_all();
}

void ServiceProxy::MarkSlice(const client::Object& slice) {
  std::string key = SliceServiceKey(*slice);
  if (!key.empty()) MarkService(key);
}

void ServiceProxy::SampleCounters() {
  const std::string command = absl::StrCat("list counters table ip ", options_.table);
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    // Idle unless the rates are read (an HPA scales on them), plus a window to fill the history.
    if (rates_.ReadSince(absl::Now() - absl::Minutes(2) - options_.rate_window)) {
      absl::StatusOr<std::string> listed = nft_->Run(command);
      // Before the first sync the table may not exist yet: nothing to count.
      if (listed.ok()) rates_.Record(absl::Now(), ParseCounters(*listed));
    }
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.rate_sample_period), [this] { return stop_; });
  }
}

void ServiceProxy::SyncLoop() {
  // The first sync must see complete caches, or it would replace the table with a partial one.
  while (!(services_->WaitForSync(absl::Milliseconds(100)) && slices_->WaitForSync(absl::Milliseconds(100)) &&
           (hpas_ == nullptr || hpas_->WaitForSync(absl::Milliseconds(100))))) {
    std::lock_guard lock(mu_);
    if (stop_) return;
  }
  absl::Duration backoff = absl::ZeroDuration();
  std::unique_lock lock(mu_);
  while (!stop_) {
    const absl::Time full_due = options_.full_sync_period > absl::ZeroDuration()
                                    ? last_full_ + options_.full_sync_period
                                    : absl::InfiniteFuture();
    auto work = [&] { return stop_ || need_full_ || !dirty_.empty(); };
    if (!work()) {
      if (full_due == absl::InfiniteFuture()) {
        cv_.wait(lock, work);
      } else {
        cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(full_due - absl::Now(), absl::ZeroDuration())),
                     work);
      }
    }
    if (stop_) break;
    // Coalesce a burst of events into one transaction (and wait out the backoff after a failure).
    const absl::Duration delay = std::max(options_.sync_delay, backoff);
    if (delay > absl::ZeroDuration()) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(delay), [this] { return stop_; });
      if (stop_) break;
    }
    const bool full = need_full_ || absl::Now() >= full_due;
    std::set<std::string> keys;
    keys.swap(dirty_);
    lock.unlock();

    const absl::Time start = absl::Now();
    absl::StatusOr<size_t> changed = full ? SyncFull() : SyncPartial(keys);
    const absl::Duration took = absl::Now() - start;
    if (changed.ok()) {
      RecordSuccess(full, took, *changed);
      backoff = absl::ZeroDuration();
    } else {
      spdlog::warn("proxy: {} sync failed (retrying as a full sync): {}", full ? "full" : "partial",
                   changed.status().ToString());
      backoff = std::clamp(backoff * 2, absl::Milliseconds(100), absl::Seconds(30));
    }
    lock.lock();
    if (!changed.ok()) {
      need_full_ = true;
      ++stats_.failed_syncs;
      stats_.last_error = changed.status().ToString();
    }
  }
}

void ServiceProxy::RecordSuccess(bool full, absl::Duration took, size_t changed) {
  size_t chains = 0;
  for (const auto& [key, rules] : applied_) chains += rules.chains.size();
  {
    std::lock_guard lock(mu_);
    if (changed > 0 || full) {
      (full ? stats_.full_syncs : stats_.partial_syncs)++;
      (full ? stats_.last_full_sync : stats_.last_partial_sync) = took;
      stats_.last_commit = absl::Now();
      stats_.last_changed_services = changed;
    }
    stats_.services = applied_.size();
    stats_.chains = chains;
    stats_.last_error.clear();
  }
  cv_.notify_all();
}

ServiceRules ServiceProxy::Compute(const std::string& key, std::optional<ActivationEntry>* activation) const {
  activation->reset();
  client::Object service = services_->Get(key);
  if (service == nullptr) return {};
  std::optional<ServiceModel> model = ParseService(*service);
  if (!model) return {};
  WarnOutsideServiceCidrs(key, model->cluster_ip);
  std::optional<ActivationMark> mark;
  if (hpas_ != nullptr) {
    // Several HPAs may describe one Service: the first by name picks the target.
    std::vector<client::Object> hpas = hpas_->ByIndex(kActivatesIndex, key);
    std::sort(hpas.begin(), hpas.end(),
              [](const client::Object& a, const client::Object& b) { return api::Name(*a) < api::Name(*b); });
    for (const client::Object& hpa : hpas) {
      if ((mark = ParseActivationMark(*hpa))) break;
    }
  }
  model->activate = mark.has_value();
  std::vector<client::Object> slices = slices_->ByIndex(kServiceIndex, key);
  std::vector<const boost::json::value*> raw;
  raw.reserve(slices.size());
  for (const client::Object& s : slices) raw.push_back(s.get());
  const EndpointsByPort endpoints = ParseEndpointSlices(raw, *model);
  if (mark) *activation = BuildActivationEntry(*model, endpoints, mark->target);
  return BuildServiceRules(*model, endpoints, options_);
}

void ServiceProxy::WarnOutsideServiceCidrs(const std::string& key, const std::string& cluster_ip) const {
  uint32_t ip = 0;
  if (service_cidrs_.empty() || warned_outside_cidrs_ || !base::ParseIpv4(cluster_ip, &ip)) return;
  for (const base::Ipv4Cidr& cidr : service_cidrs_) {
    if (cidr.Contains(ip)) return;
  }
  // A ClusterIP outside the configured ranges means they are not the API server's --service-cidr:
  // unallocated addresses of the real range are not rejected, and those of the configured one are.
  warned_outside_cidrs_ = true;
  spdlog::error(
      "proxy: ClusterIP {} of service {} is outside the service CIDR(s) {} this node rejects unallocated "
      "addresses of; give the agent the API server's --service-cidr",
      cluster_ip, key, absl::StrJoin(options_.service_cidrs, ", "));
}

absl::StatusOr<size_t> ServiceProxy::SyncFull() {
  {
    std::lock_guard lock(mu_);
    dirty_.clear();  // everything is recomputed from the caches now
  }
  std::map<std::string, ServiceRules> desired;
  std::map<std::string, ActivationEntry> activations;
  for (const client::Object& service : services_->List()) {
    const std::string key = client::KeyOf(*service);
    std::optional<ActivationEntry> activation;
    ServiceRules rules = Compute(key, &activation);
    if (!rules.empty()) desired.emplace(key, std::move(rules));
    if (activation) activations.emplace(key, std::move(*activation));
  }
  absl::StatusOr<std::string> result = nft_->Run(FullSyncTransaction(options_, desired));
  if (!result.ok()) return result.status();
  activations_->Clear();
  for (auto& [key, entry] : activations) activations_->Set(key, std::move(entry));
  applied_ = std::move(desired);
  shared_.Clear();
  for (const auto& [key, rules] : applied_) shared_.Replace(key, {}, rules.elements);
  need_full_ = false;
  last_full_ = absl::Now();
  return applied_.size();
}

absl::StatusOr<size_t> ServiceProxy::SyncPartial(const std::set<std::string>& keys) {
  static const ServiceRules kNone;
  std::map<std::string, ServiceRules> desired;
  std::map<std::string, std::optional<ActivationEntry>> activations;
  for (const std::string& key : keys) {
    ServiceRules rules = Compute(key, &activations[key]);
    auto old = applied_.find(key);
    if (old == applied_.end() ? rules.empty() : old->second == rules) continue;
    desired.emplace(key, std::move(rules));
  }
  // Published once the rules they describe are in the kernel (at once when nothing changed).
  auto publish = [&] {
    for (auto& [key, entry] : activations) activations_->Set(key, std::move(entry));
  };
  if (desired.empty()) {
    publish();
    return 0;
  }
  std::vector<ServiceRulesChange> changes;
  ElementTable touched;
  for (const auto& [key, rules] : desired) {
    auto old = applied_.find(key);
    const ServiceRules& before = old == applied_.end() ? kNone : old->second;
    changes.push_back({&before, &rules});
    for (const ElementTable* t : {&before.elements, &rules.elements}) {
      for (const auto& [set, entries] : *t) {
        for (const auto& [element, unused] : entries) touched[set][element];
      }
    }
  }
  const ElementTable elements_before = shared_.Effective(touched);
  for (const auto& [key, rules] : desired) {
    auto old = applied_.find(key);
    shared_.Replace(key, old == applied_.end() ? kNone.elements : old->second.elements, rules.elements);
  }
  const ElementTable elements_after = shared_.Effective(touched);
  absl::StatusOr<std::string> result =
      nft_->Run(PartialSyncTransaction(options_, changes, elements_before, elements_after));
  if (!result.ok()) return result.status();  // the next sync is a full one, which rebuilds shared_
  publish();
  for (auto& [key, rules] : desired) {
    if (rules.empty()) {
      applied_.erase(key);
    } else {
      applied_[key] = std::move(rules);
    }
  }
  return desired.size();
}

absl::Status DeleteProxyTable(const std::string& table) {
  absl::StatusOr<std::unique_ptr<Nft>> nft = Nft::Create();
  if (!nft.ok()) return nft.status();
  return (*nft)->Run(DeleteTableCommands(table)).status();
}

absl::Status EnableRouteLocalnet(const std::string& proc_root) {
  const std::string path = absl::StrCat(proc_root, "/proc/sys/net/ipv4/conf/all/route_localnet");
  return base::EnableSysctl(path);
}

}  // namespace skiff::agent::proxy
