#include "agent/probes/probe_manager.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "boost/asio/post.hpp"
#include "spdlog/spdlog.h"

namespace skiff::agent::probes {

namespace asio = boost::asio;
namespace json = boost::json;

struct ProbeManager::Worker {
  Worker(asio::io_context& io, ProbeKind k, const ProbeSpec& s)
      : kind(k), spec(s), tracker(k, s.success_threshold, s.failure_threshold), timer(io) {}

  std::string key, uid, container;
  ProbeKind kind;
  ProbeSpec spec;
  absl::Status spec_error;  // the probe could not be parsed: every run fails with this
  ProbeTracker tracker;
  client::Object pod;
  std::string pod_ip;
  std::string container_id;  // "" when the container has no instance yet
  bool running = false;
  absl::Time started_at = absl::InfinitePast();
  int64_t pod_grace_seconds = 30;
  bool busy = false;
  bool removed = false;
  asio::steady_timer timer;
};

namespace {

// The containers that are probed: app containers and restartable init containers (sidecars).
std::vector<const json::value*> ProbedContainers(const json::value& pod) {
  std::vector<const json::value*> out;
  if (const json::array* init = api::InitContainers(pod)) {
    for (const auto& c : *init) {
      if (base::GetString(c, {"restartPolicy"}) == "Always") out.push_back(&c);
    }
  }
  if (const json::array* cs = api::Containers(pod)) {
    for (const auto& c : *cs) out.push_back(&c);
  }
  return out;
}

const json::value* FindContainerStatus(const json::value& pod, const std::string& name) {
  for (const char* field : {"containerStatuses", "initContainerStatuses"}) {
    const json::value* list = base::FindPath(pod, {"status", field});
    if (!list || !list->is_array()) continue;
    for (const auto& s : list->as_array()) {
      if (base::GetString(s, {"name"}) == name) return &s;
    }
  }
  return nullptr;
}

const json::value* FindContainer(const json::value& pod, const std::string& name) {
  for (const char* field : {"containers", "initContainers"}) {
    const json::value* list = base::FindPath(pod, {"spec", field});
    if (!list || !list->is_array()) continue;
    for (const auto& c : list->as_array()) {
      if (base::GetString(c, {"name"}) == name) return &c;
    }
  }
  return nullptr;
}

std::string StripRuntimePrefix(const std::string& id) {
  size_t sep = id.find("://");
  return sep == std::string::npos ? id : id.substr(sep + 3);
}

}  // namespace

ProbeManager::ProbeManager(cri::Runtime* runtime, Prober* prober, ProbeHooks hooks,
                           ProbeManagerOptions options)
    : runtime_(runtime),
      prober_(prober),
      hooks_(std::move(hooks)),
      options_(options),
      clock_(options.clock ? options.clock : &base::RealClock()) {}

ProbeManager::~ProbeManager() { Stop(); }

void ProbeManager::Start() {
  pool_ = std::make_unique<base::ThreadPool>(options_.probe_threads);
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(io_.get_executor());
  refresh_timer_ = std::make_unique<asio::steady_timer>(io_);
  asio::post(io_, [this] { RefreshLoop(); });
  thread_ = std::thread([this] { io_.run(); });
}

void ProbeManager::Stop() {
  std::map<std::string, std::shared_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !thread_.joinable()) {
      stopping_ = true;
      return;
    }
    stopping_ = true;
    workers.swap(workers_);
  }
  asio::post(io_, [this, workers] {
    refresh_timer_->cancel();
    for (const auto& [key, w] : workers) w->timer.cancel();
  });
  work_.reset();
  thread_.join();
  pool_.reset();  // waits for runs in flight (bounded by their timeouts)
}

size_t ProbeManager::WorkerCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return workers_.size();
}

void ProbeManager::RefreshLoop() {
  Refresh();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  refresh_timer_->expires_after(absl::ToChronoNanoseconds(options_.refresh_period));
  refresh_timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) RefreshLoop();
  });
}

void ProbeManager::Refresh() {
  std::vector<client::Object> pods = hooks_.pods ? hooks_.pods() : std::vector<client::Object>{};
  std::vector<std::shared_ptr<Worker>> created, reset, removed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    std::set<std::string> seen;
    for (const client::Object& pod : pods) {
      if (!pod) continue;
      if (api::IsTerminal(*pod)) continue;
      std::string uid = api::Uid(*pod);
      for (const json::value* c : ProbedContainers(*pod)) {
        std::string name = base::GetString(*c, {"name"});
        for (ProbeKind kind : {ProbeKind::kStartup, ProbeKind::kLiveness, ProbeKind::kReadiness}) {
          const json::value* probe = base::Find(*c, ProbeFieldName(kind));
          if (!probe || !probe->is_object()) continue;
          std::string key = absl::StrCat(uid, "/", name, "/", ProbeFieldName(kind));
          seen.insert(key);
          std::shared_ptr<Worker>& w = workers_[key];
          if (!w) {
            absl::StatusOr<ProbeSpec> spec = ParseProbe(*probe, *c);
            w = std::make_shared<Worker>(io_, kind, spec.ok() ? *spec : ProbeSpec{});
            if (!spec.ok()) w->spec_error = spec.status();
            w->key = key;
            w->uid = uid;
            w->container = name;
            created.push_back(w);
          }
          w->pod = pod;
          w->pod_ip = base::GetString(*pod, {"status", "podIP"});
          w->pod_grace_seconds = base::GetInt(*pod, {"spec", "terminationGracePeriodSeconds"}, 30);
          const json::value* status = FindContainerStatus(*pod, name);
          std::string id = status ? StripRuntimePrefix(base::GetString(*status, {"containerID"})) : "";
          const json::value* running = status ? base::FindPath(*status, {"state", "running"}) : nullptr;
          w->running = running != nullptr && !id.empty();
          absl::Time started = absl::InfinitePast();
          if (running) base::ParseRfc3339(base::GetString(*running, {"startedAt"}), &started);
          w->started_at = started;
          if (id != w->container_id) {
            w->container_id = id;
            w->tracker.Reset();
            reset.push_back(w);
          }
        }
      }
    }
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (seen.contains(it->first)) {
        ++it;
        continue;
      }
      it->second->removed = true;
      removed.push_back(it->second);
      it = workers_.erase(it);
    }
  }
  for (const auto& w : reset) Publish(*w);
  for (const auto& w : created) Schedule(w, absl::ZeroDuration());
  for (const auto& w : removed) {
    asio::post(io_, [w] { w->timer.cancel(); });
  }
}

void ProbeManager::Publish(Worker& w) {
  ProbeResult result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    result = w.tracker.result();
  }
  if (w.kind == ProbeKind::kReadiness && hooks_.set_ready) {
    hooks_.set_ready(w.uid, w.container, result == ProbeResult::kSuccess);
  } else if (w.kind == ProbeKind::kStartup && hooks_.set_started) {
    hooks_.set_started(w.uid, w.container, result == ProbeResult::kSuccess);
  }
}

void ProbeManager::Schedule(const std::shared_ptr<Worker>& w, absl::Duration delay) {
  asio::post(io_, [this, w, delay] {
    if (w->removed) return;
    w->timer.expires_after(absl::ToChronoNanoseconds(delay));
    w->timer.async_wait([this, w](boost::system::error_code ec) {
      if (!ec) Tick(w);
    });
  });
}

bool ProbeManager::StartupDone(const Worker& w) const {
  auto it = workers_.find(absl::StrCat(w.uid, "/", w.container, "/", ProbeFieldName(ProbeKind::kStartup)));
  if (it == workers_.end()) return true;
  return it->second->container_id == w.container_id && it->second->tracker.result() == ProbeResult::kSuccess;
}

void ProbeManager::Tick(const std::shared_ptr<Worker>& w) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || w->removed) return;
    if (w->busy || !w->running ||
        !w->tracker.ShouldProbe(clock_->Now(), w->started_at, w->spec.initial_delay, StartupDone(*w))) {
      Schedule(w, w->spec.period);
      return;
    }
    w->busy = true;
  }
  Schedule(w, w->spec.period);
  pool_->Submit([this, w] { RunProbe(w); });
}

void ProbeManager::RunProbe(const std::shared_ptr<Worker>& w) {
  ProbeHandler handler;
  ProbeTarget target;
  absl::Status spec_error;
  absl::Duration timeout;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || w->removed) {
      w->busy = false;
      return;
    }
    handler = w->spec.handler;
    target = {w->pod_ip, w->container_id};
    spec_error = w->spec_error;
    timeout = w->spec.timeout;
  }
  ProbeOutcome outcome = spec_error.ok() ? prober_->Run(handler, target, timeout)
                                         : ProbeOutcome{false, std::string(spec_error.message())};
  bool changed = false, kill = false;
  client::Object pod;
  int64_t grace = 30;
  {
    std::lock_guard<std::mutex> lock(mu_);
    w->busy = false;
    if (stopping_ || w->removed || w->container_id != target.container_id) return;
    changed = w->tracker.Record(outcome.success);
    kill = !outcome.success && w->tracker.on_hold();
    pod = w->pod;
    grace = w->spec.termination_grace_seconds.value_or(w->pod_grace_seconds);
  }
  const char* kind = ProbeKindName(w->kind);
  if (!outcome.success && hooks_.event && pod) {
    hooks_.event(*pod, w->container, "Warning", "Unhealthy",
                 absl::StrCat(kind, " probe failed: ", outcome.message));
  }
  if (changed) Publish(*w);
  if (!kill) return;
  spdlog::info("probes: {} probe of {}/{} failed; restarting container {}", kind, w->uid, w->container,
               target.container_id);
  if (hooks_.event && pod) {
    hooks_.event(*pod, w->container, "Normal", "Killing",
                 absl::StrCat("Container ", w->container, " failed ", absl::AsciiStrToLower(kind),
                              " probe, will be restarted"));
  }
  if (hooks_.set_ready) hooks_.set_ready(w->uid, w->container, false);
  cri::v1::StopContainerRequest stop;
  stop.set_container_id(target.container_id);
  stop.set_timeout(grace);
  if (auto s = runtime_->StopContainer(stop, cri::kRpcDefault); !s.ok()) {
    spdlog::warn("probes: stopping container {}: {}", target.container_id, s.status().ToString());
    std::lock_guard<std::mutex> lock(mu_);
    w->tracker.Reset();  // try again at the next failure
  }
  if (hooks_.enqueue) hooks_.enqueue(w->uid);
}

absl::Status ProbeManager::RunHttpHook(const json::value& pod, const std::string& container,
                                       const std::string& hook, absl::Duration timeout) {
  const json::value* c = FindContainer(pod, container);
  const json::value* handler = c ? base::FindPath(*c, {"lifecycle", hook}) : nullptr;
  if (!handler) return absl::NotFoundError(absl::StrCat("container ", container, " has no ", hook, " hook"));
  absl::StatusOr<ProbeHandler> h = ParseHandler(*handler, *c);
  if (!h.ok()) return h.status();
  if (h->type != HandlerType::kHttpGet)
    return absl::InvalidArgumentError(absl::StrCat(hook, " is not an httpGet hook"));
  ProbeOutcome outcome = HttpProbe(h->http, base::GetString(pod, {"status", "podIP"}), timeout);
  if (!outcome.success) return absl::UnavailableError(outcome.message);
  return absl::OkStatus();
}

}  // namespace skiff::agent::probes
