#include "sim/simulator.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::sim {

namespace json = boost::json;

namespace {

constexpr char kLeaseNamespace[] = "kube-node-lease";
constexpr absl::Duration kRetryDelay = absl::Seconds(1);
// An unhealthy-looking node is rewritten at most this often (guards against a server that
// normalises a field differently from what the sim writes).
constexpr absl::Duration kUrgentStatusSpacing = absl::Seconds(5);
constexpr absl::Duration kStatsInterval = absl::Seconds(30);

const api::ResourceInfo& MustFind(const char* group, const char* plural) {
  const api::ResourceInfo* r = api::FindResource(group, "v1", plural);
  if (!r) {
    spdlog::critical("resource {} missing from the catalogue", plural);
    std::abort();
  }
  return *r;
}

bool ExistsAlready(const absl::Status& s) {
  return absl::IsAlreadyExists(s) || client::ErrorReason(s) == "AlreadyExists";
}

client::PatchOptions StatusPatch() {
  client::PatchOptions o;
  o.subresource = "status";
  return o;
}

}  // namespace

Simulator::Simulator(client::Client* client, SimOptions options, const base::Clock* clock)
    : client_(client),
      options_(std::move(options)),
      clock_(clock),
      nodes_(MustFind("", "nodes")),
      pods_(MustFind("", "pods")),
      leases_(MustFind("coordination.k8s.io", "leases")) {}

Simulator::~Simulator() { Stop(); }

Simulator::Stats Simulator::stats() const {
  Stats s;
  s.nodes_registered = nodes_registered_.load();
  s.lease_renewals = lease_renewals_.load();
  s.node_status_updates = node_status_updates_.load();
  s.pods_started = pods_started_.load();
  s.pods_finished = pods_finished_.load();
  s.pods_deleted = pods_deleted_.load();
  s.write_errors = write_errors_.load();
  return s;
}

void Simulator::CountError(const char* what, const std::string& name, const absl::Status& status) {
  int64_t n = ++write_errors_;
  if (n <= 20 || n % 1000 == 0)
    spdlog::warn("sim: {} {}: {} ({} errors so far)", what, name, status.ToString(), n);
}

// ---- timers ----

void Simulator::At(absl::Time due, std::function<void()> task) {
  {
    std::lock_guard lock(timer_mu_);
    if (timer_stopping_) return;
    timers_.push(Timed{due, timer_seq_++, std::move(task)});
  }
  timer_cv_.notify_one();
}

void Simulator::TimerLoop() {
  std::unique_lock lock(timer_mu_);
  while (!timer_stopping_) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    absl::Duration wait = timers_.top().due - clock_->Now();
    if (wait > absl::ZeroDuration()) {
      timer_cv_.wait_for(lock, absl::ToChronoMicroseconds(wait) + std::chrono::microseconds(100));
      continue;
    }
    auto task = std::move(const_cast<Timed&>(timers_.top()).task);
    timers_.pop();
    lock.unlock();
    workers_->Submit(std::move(task));
    lock.lock();
  }
}

// ---- lifecycle ----

int Simulator::kubelet_port() const { return kubelet_ ? kubelet_->port() : 0; }

std::optional<SimPod> Simulator::FindPod(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  std::optional<SimPod> found;
  for (const auto& [uid, p] : pod_states_) {
    if (p.name != name || p.ns != ns) continue;
    // Two pods by one name (one being deleted, its successor): prefer the one that runs.
    if (found && (found->started && !found->finished)) continue;
    SimPod pod;
    pod.node = p.node;
    pod.node_name = node_states_[p.node].id.name;
    pod.started = p.running || p.finished;
    pod.finished = p.finished;
    pod.started_at = p.started == absl::Time() ? clock_->Now() : p.started;
    found = std::move(pod);
  }
  return found;
}

absl::Status Simulator::Start() {
  SimKubeletOptions kubelet_options;
  kubelet_options.port = options_.kubelet_port;
  kubelet_options.client_ca_pem = options_.kubelet_client_ca_pem;
  kubelet_ = std::make_unique<SimKubelet>(
      kubelet_options, [this](const std::string& ns, const std::string& name) { return FindPod(ns, name); });
  if (absl::Status s = kubelet_->Start(); !s.ok()) {
    kubelet_.reset();
    return s;
  }
  absl::Time now = clock_->Now();
  std::string boot_id = FakeHex(absl::StrCat(absl::ToUnixNanos(now), "/", getpid()), 32);
  boot_id = absl::StrCat(boot_id.substr(0, 8), "-", boot_id.substr(8, 4), "-", boot_id.substr(12, 4), "-",
                         boot_id.substr(16, 4), "-", boot_id.substr(20, 12));
  {
    std::lock_guard lock(mu_);
    node_states_.resize(options_.nodes);
    for (int i = 0; i < options_.nodes; ++i) {
      NodeState& n = node_states_[i];
      n.id = MakeNodeIdentity(options_, i, boot_id);
      n.id.kubelet_port = kubelet_->port();
      n.since = now;
      n.ips = PodIpPool(FallbackPodCidr(i));
      node_index_[n.id.name] = i;
    }
  }
  // Every Kubernetes cluster has it; create it for API servers that do not (yet).
  json::value lease_ns = {
      {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kLeaseNamespace}}}};
  auto made = client_->Create(MustFind("", "namespaces"), "", std::move(lease_ns));
  if (!made.ok() && !ExistsAlready(made.status())) {
    spdlog::warn("sim: creating namespace {}: {}", kLeaseNamespace, made.status().ToString());
  }
  workers_ = std::make_unique<base::ThreadPool>(std::max(1, options_.workers));
  timer_thread_ = std::thread([this] { TimerLoop(); });

  // Register every node concurrently over the worker pool.
  std::mutex done_mu;
  std::condition_variable done_cv;
  int remaining = options_.nodes;
  absl::Status first_error;
  for (int i = 0; i < options_.nodes; ++i) {
    workers_->Submit([&, i] {
      absl::Status s = RegisterNode(i);
      std::lock_guard lock(done_mu);
      if (!s.ok() && first_error.ok()) first_error = s;
      if (--remaining == 0) done_cv.notify_all();
    });
  }
  {
    std::unique_lock lock(done_mu);
    done_cv.wait(lock, [&] { return remaining == 0; });
  }
  if (!first_error.ok()) {
    Stop();
    return first_error;
  }
  spdlog::info("sim: registered {} nodes", options_.nodes);

  // Large pages and shorter watches than an informer's: 150,000 pods list in 150 requests.
  client::Reflector::Options watch_options{
      .page_size = 1000, .watch_timeout_seconds = 300, .initial_backoff = absl::Milliseconds(250)};
  node_watcher_ = std::make_unique<client::Reflector>(
      client_, nodes_, watch_options,
      client::Reflector::Callbacks{
          .on_list = [this](const client::ObjectList& list) { OnNodeList(list.items); },
          .on_event = [this](const client::WatchEvent& e) { OnNodeEvent(e); }});
  node_watcher_->Start();
  node_watcher_->WaitForList();
  watch_options.field_selector = "spec.nodeName!=";
  pod_watcher_ = std::make_unique<client::Reflector>(
      client_, pods_, watch_options,
      client::Reflector::Callbacks{
          .on_list = [this](const client::ObjectList& list) { OnPodList(list.items); },
          .on_event = [this](const client::WatchEvent& e) { OnPodEvent(e); }});
  pod_watcher_->Start();

  // Spread renewals and heartbeats evenly over their intervals.
  now = clock_->Now();
  for (int i = 0; i < options_.nodes; ++i) {
    double fraction = static_cast<double>(i) / options_.nodes;
    At(now + options_.lease_interval * fraction, [this, i] { RenewLease(i); });
    At(now + options_.status_interval * (1 + fraction), [this, i] { WriteNodeStatus(i, false); });
  }
  At(now + kStatsInterval, [this] { LogStats(); });
  return absl::OkStatus();
}

void Simulator::LogStats() {
  if (stopping_.load()) return;
  auto s = stats();
  spdlog::info(
      "sim: {} nodes registered, {} lease renewals, {} node status writes, pods {} started / {} "
      "finished / {} deleted, {} write errors",
      s.nodes_registered, s.lease_renewals, s.node_status_updates, s.pods_started, s.pods_finished,
      s.pods_deleted, s.write_errors);
  At(clock_->Now() + kStatsInterval, [this] { LogStats(); });
}

void Simulator::Stop() {
  stopping_.store(true);
  if (kubelet_) kubelet_->Stop();  // its handlers read the pod states
  pod_watcher_.reset();
  node_watcher_.reset();
  {
    std::lock_guard lock(timer_mu_);
    timer_stopping_ = true;
  }
  timer_cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
  workers_.reset();  // queued tasks see stopping_ and return at once
}

// ---- nodes and leases ----

absl::Status Simulator::RegisterNode(int index) {
  NodeIdentity id;
  absl::Time since;
  {
    std::lock_guard lock(mu_);
    id = node_states_[index].id;
    since = node_states_[index].since;
  }
  absl::Time now = clock_->Now();
  json::value node = NodeObject(options_, id, now, since);
  std::string uid;
  std::string pod_cidr;
  auto created = client_->Create(nodes_, "", node);
  if (created.ok()) {
    uid = api::Uid(**created);
    pod_cidr = base::GetString(**created, {"spec", "podCIDR"});
  } else if (ExistsAlready(created.status())) {
    // Taking over a node registered earlier (a restarted sim): refresh its labels and status.
    json::value labels_patch = {{"metadata", {{"labels", node.at("metadata").at("labels")}}}};
    auto patched = client_->Patch(nodes_, "", id.name, client::PatchType::kMerge, labels_patch);
    if (!patched.ok()) return patched.status();
    uid = api::Uid(**patched);
    pod_cidr = base::GetString(**patched, {"spec", "podCIDR"});
    json::value status_patch = {{"status", node.at("status")}};
    auto status = client_->Patch(nodes_, "", id.name, client::PatchType::kMerge, status_patch, StatusPatch());
    if (!status.ok()) return status.status();
  } else {
    return absl::Status(created.status().code(),
                        absl::StrCat("registering node ", id.name, ": ", created.status().message()));
  }
  {
    std::lock_guard lock(mu_);
    NodeState& n = node_states_[index];
    n.uid = uid;
    if (!pod_cidr.empty() && !n.cidr_from_spec) {
      if (auto cidr = base::ParseIpv4Cidr(pod_cidr); cidr.ok()) {
        n.ips = PodIpPool(*cidr);
        n.cidr_from_spec = true;
      }
    }
  }
  ++nodes_registered_;
  auto lease = client_->Create(leases_, kLeaseNamespace, LeaseObject(options_, id.name, uid, now));
  if (ExistsAlready(lease.status())) {
    lease = client_->Patch(leases_, kLeaseNamespace, id.name, client::PatchType::kMerge,
                           LeaseRenewPatch(options_, id.name, now));
  }
  if (!lease.ok()) return lease.status();
  return absl::OkStatus();
}

void Simulator::RenewLease(int index) {
  if (stopping_.load()) return;
  absl::Time now = clock_->Now();
  std::string name, uid;
  {
    std::lock_guard lock(mu_);
    name = node_states_[index].id.name;
    uid = node_states_[index].uid;
  }
  auto renewed = client_->Patch(leases_, kLeaseNamespace, name, client::PatchType::kMerge,
                                LeaseRenewPatch(options_, name, now));
  if (absl::IsNotFound(renewed.status())) {
    renewed = client_->Create(leases_, kLeaseNamespace, LeaseObject(options_, name, uid, now));
  }
  if (renewed.ok()) {
    ++lease_renewals_;
  } else {
    CountError("renewing lease", name, renewed.status());
  }
  At(now + options_.lease_interval, [this, index] { RenewLease(index); });
}

void Simulator::WriteNodeStatus(int index, bool urgent) {
  if (stopping_.load()) return;
  absl::Time now = clock_->Now();
  NodeIdentity id;
  absl::Time since;
  {
    std::lock_guard lock(mu_);
    id = node_states_[index].id;
    since = node_states_[index].since;
  }
  json::value node = NodeObject(options_, id, now, since);
  json::value patch = {{"status", node.at("status")}};
  auto written = client_->Patch(nodes_, "", id.name, client::PatchType::kMerge, patch, StatusPatch());
  absl::Status status = written.status();
  if (absl::IsNotFound(status)) status = RegisterNode(index);  // deleted by someone: register again
  if (status.ok()) {
    ++node_status_updates_;
  } else {
    CountError("writing node status", id.name, status);
  }
  if (urgent) {
    std::lock_guard lock(mu_);
    node_states_[index].status_pending = false;
  } else {
    At(now + options_.status_interval, [this, index] { WriteNodeStatus(index, false); });
  }
}

void Simulator::OnNodeList(const std::vector<client::Object>& items) {
  std::lock_guard lock(mu_);
  for (const auto& item : items) HandleNodeLocked(*item, false);
}

void Simulator::OnNodeEvent(const client::WatchEvent& event) {
  std::lock_guard lock(mu_);
  HandleNodeLocked(*event.object, event.type == client::WatchEventType::kDeleted);
}

void Simulator::HandleNodeLocked(const json::value& node, bool deleted) {
  auto it = node_index_.find(api::Name(node));
  if (it == node_index_.end()) return;
  const int index = it->second;
  NodeState& n = node_states_[index];
  bool urgent = deleted;
  if (!deleted) {
    n.uid = api::Uid(node);
    std::string pod_cidr = base::GetString(node, {"spec", "podCIDR"});
    if (!pod_cidr.empty()) {
      auto cidr = base::ParseIpv4Cidr(pod_cidr);
      if (cidr.ok() && (!n.cidr_from_spec || cidr->network != n.ips.cidr().network ||
                        cidr->prefix != n.ips.cidr().prefix)) {
        n.ips = PodIpPool(*cidr);
        n.cidr_from_spec = true;
        for (const auto& uid : n.pods) {
          auto pod = pod_states_.find(uid);
          if (pod != pod_states_.end() && !pod->second.ip.empty()) n.ips.Reserve(pod->second.ip);
        }
      }
    }
    urgent = NodeStatusNeedsUpdate(options_, node);
  }
  absl::Time now = clock_->Now();
  if (urgent && !n.status_pending && now - n.last_urgent >= kUrgentStatusSpacing) {
    n.status_pending = true;
    n.last_urgent = now;
    At(now, [this, index] { WriteNodeStatus(index, true); });
  }
}

// ---- pods ----

void Simulator::OnPodList(const std::vector<client::Object>& items) {
  std::lock_guard lock(mu_);
  absl::flat_hash_set<std::string> present;
  present.reserve(items.size());
  for (const auto& item : items) present.insert(api::Uid(*item));
  std::vector<std::string> gone;
  for (const auto& [uid, pod] : pod_states_) {
    if (!present.contains(uid)) gone.push_back(uid);
  }
  for (const auto& uid : gone) ForgetPodLocked(uid);
  for (const auto& item : items) HandlePodLocked(*item, false);
}

void Simulator::OnPodEvent(const client::WatchEvent& event) {
  std::lock_guard lock(mu_);
  HandlePodLocked(*event.object, event.type == client::WatchEventType::kDeleted);
}

void Simulator::ForgetPodLocked(const std::string& uid) {
  auto it = pod_states_.find(uid);
  if (it == pod_states_.end()) return;
  NodeState& node = node_states_[it->second.node];
  if (!it->second.ip.empty()) node.ips.Release(it->second.ip);
  node.pods.erase(uid);
  pod_states_.erase(it);
}

void Simulator::HandlePodLocked(const json::value& pod, bool deleted) {
  std::string uid = api::Uid(pod);
  auto node_it = node_index_.find(api::NodeName(pod));
  if (node_it == node_index_.end() || uid.empty()) {
    ForgetPodLocked(uid);
    return;
  }
  if (deleted) {
    ForgetPodLocked(uid);
    return;
  }
  auto [it, inserted] = pod_states_.try_emplace(uid);
  PodState& p = it->second;
  if (inserted) {
    p.ns = api::Namespace(pod);
    p.name = api::Name(pod);
    p.node = node_it->second;
    node_states_[p.node].pods.insert(uid);
  }
  absl::Time now = clock_->Now();
  if (api::IsBeingDeleted(pod)) {
    if (!p.deleting) {
      p.deleting = true;
      At(now, [this, uid] { DeletePod(uid); });
    }
    return;
  }
  if (api::IsTerminal(pod)) {
    p.finished = true;
    if (!p.ip.empty()) node_states_[p.node].ips.Release(p.ip);
    p.ip.clear();
    p.summary = {};
    return;
  }
  if (p.running || p.start_queued || p.finished) return;
  auto summary = SummarizePod(pod);
  if (!summary.ok()) {
    spdlog::warn("sim: pod {}/{}: {}", p.ns, p.name, summary.status().ToString());
    summary = PodSpecSummary{};
  }
  std::string pod_ip = base::GetString(pod, {"status", "podIP"});
  if (api::PodPhase(pod) == "Running" && !pod_ip.empty()) {
    // Already running (the sim restarted): adopt it as it is.
    p.running = true;
    p.ip = pod_ip;
    node_states_[p.node].ips.Reserve(pod_ip);
    absl::Time started = now;
    base::ParseRfc3339(base::GetString(pod, {"status", "startTime"}), &started);
    p.started = started;
    if (summary->exit_after != absl::InfiniteDuration()) {
      p.summary = std::move(*summary);
      At(started + p.summary.exit_after, [this, uid] { FinishPod(uid); });
    }
    return;
  }
  p.summary = std::move(*summary);
  p.start_queued = true;
  At(now + options_.ready_delay, [this, uid] { StartPod(uid); });
}

void Simulator::StartPod(const std::string& uid) {
  if (stopping_.load()) return;
  absl::Time now = clock_->Now();
  std::string ns, name, host_ip, ip;
  PodSpecSummary summary;
  {
    std::lock_guard lock(mu_);
    auto it = pod_states_.find(uid);
    if (it == pod_states_.end() || it->second.deleting || it->second.running || it->second.finished) return;
    PodState& p = it->second;
    NodeState& n = node_states_[p.node];
    if (p.ip.empty()) {
      auto allocated = n.ips.Allocate();
      if (!allocated.ok()) {
        CountError("allocating a pod IP for", p.ns + "/" + p.name, allocated.status());
        At(now + kRetryDelay * 5, [this, uid] { StartPod(uid); });
        return;
      }
      p.ip = *allocated;
    }
    ns = p.ns, name = p.name, host_ip = n.id.internal_ip, ip = p.ip;
    summary = p.summary;
  }
  auto patched = client_->Patch(pods_, ns, name, client::PatchType::kMerge,
                                RunningPodStatusPatch(summary, uid, host_ip, ip, now), StatusPatch());
  std::lock_guard lock(mu_);
  auto it = pod_states_.find(uid);
  if (it == pod_states_.end()) return;
  PodState& p = it->second;
  if (patched.ok()) {
    ++pods_started_;
    p.running = true;
    p.started = now;
    if (p.summary.exit_after != absl::InfiniteDuration()) {
      At(now + p.summary.exit_after, [this, uid] { FinishPod(uid); });
    } else {
      p.summary = {};  // not needed any more: keep per-pod memory small
    }
  } else if (absl::IsNotFound(patched.status())) {
    ForgetPodLocked(uid);
  } else {
    CountError("starting pod", ns + "/" + name, patched.status());
    if (!p.deleting) At(now + kRetryDelay, [this, uid] { StartPod(uid); });
  }
}

void Simulator::FinishPod(const std::string& uid) {
  if (stopping_.load()) return;
  absl::Time now = clock_->Now();
  std::string ns, name, ip;
  PodSpecSummary summary;
  absl::Time started;
  {
    std::lock_guard lock(mu_);
    auto it = pod_states_.find(uid);
    if (it == pod_states_.end() || !it->second.running || it->second.finished || it->second.deleting) return;
    const PodState& p = it->second;
    ns = p.ns, name = p.name, ip = p.ip, summary = p.summary, started = p.started;
  }
  auto patched = client_->Patch(pods_, ns, name, client::PatchType::kMerge,
                                FinishedPodStatusPatch(summary, uid, ip, started, now), StatusPatch());
  std::lock_guard lock(mu_);
  auto it = pod_states_.find(uid);
  if (it == pod_states_.end()) return;
  if (patched.ok()) {
    ++pods_finished_;
    it->second.finished = true;
    if (!it->second.ip.empty()) node_states_[it->second.node].ips.Release(it->second.ip);
    it->second.ip.clear();
  } else if (absl::IsNotFound(patched.status())) {
    ForgetPodLocked(uid);
  } else {
    CountError("finishing pod", ns + "/" + name, patched.status());
    At(now + kRetryDelay, [this, uid] { FinishPod(uid); });
  }
}

void Simulator::DeletePod(const std::string& uid) {
  if (stopping_.load()) return;
  std::string ns, name;
  {
    std::lock_guard lock(mu_);
    auto it = pod_states_.find(uid);
    if (it == pod_states_.end()) return;
    ns = it->second.ns, name = it->second.name;
  }
  client::DeleteOptions options;
  options.grace_period_seconds = 0;
  options.precondition_uid = uid;
  absl::Status s = client_->Delete(pods_, ns, name, options);
  if (s.ok()) {
    ++pods_deleted_;
    return;
  }
  // NotFound: already gone; Conflict: the name now belongs to a newer pod.
  if (absl::IsNotFound(s) || absl::IsAborted(s) || absl::IsFailedPrecondition(s)) return;
  CountError("deleting pod", ns + "/" + name, s);
  At(clock_->Now() + kRetryDelay, [this, uid] { DeletePod(uid); });
}

}  // namespace skiff::sim
