#include "agent/pods/pod_manager.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::pods {
namespace json = boost::json;

namespace {

// The pod without what changes on every status write we make ourselves.
json::value WithoutOwnStatus(const json::value& pod) {
  json::value copy = pod;
  if (!copy.is_object()) return copy;
  json::object& obj = copy.as_object();
  if (json::value* meta = obj.if_contains("metadata"); meta && meta->is_object()) {
    meta->as_object().erase("resourceVersion");
    meta->as_object().erase("managedFields");
  }
  json::array others;
  if (const json::value* conditions = base::FindPath(pod, {"status", "conditions"});
      conditions && conditions->is_array()) {
    for (const auto& c : conditions->as_array()) {
      std::string type = base::GetString(c, {"type"});
      if (type != "PodReadyToStartContainers" && type != "Initialized" && type != "Ready" &&
          type != "ContainersReady")
        others.push_back(c);
    }
  }
  bool terminal = api::IsTerminal(pod);
  obj["status"] = json::object{{"conditions", std::move(others)}, {"terminal", terminal}};
  return copy;
}

// Whether an update of a pod needs a sync: anything but the status the agent writes changed.
bool NeedsSync(const json::value& old_pod, const json::value& new_pod) {
  return WithoutOwnStatus(old_pod) != WithoutOwnStatus(new_pod);
}

std::string StateName(int state) { return std::to_string(state); }

}  // namespace

PodManager::PodManager(client::SharedInformers* informers, cri::Runtime* runtime, SpecTranslator* translator,
                       PodManagerOptions options, const base::Clock* clock)
    : informers_(informers),
      client_(informers->client()),
      runtime_(runtime),
      options_(std::move(options)),
      clock_(clock ? clock : &base::RealClock()) {
  if (!translator) {
    own_translator_ = std::make_unique<BasicSpecTranslator>();
    translator = own_translator_.get();
  }
  status_ = std::make_unique<StatusManager>(client_);
  status_->SetOnChange([this](const std::string& uid) { Enqueue(uid); });
  crash_backoff_ = std::make_unique<CrashBackoff>(clock_, options_.backoff_initial, options_.backoff_max);
  image_backoff_ = std::make_unique<CrashBackoff>(clock_, options_.backoff_initial, options_.backoff_max);
  env_.runtime = runtime_;
  env_.client = client_;
  env_.status = status_.get();
  env_.translator = translator;
  env_.crash_backoff = crash_backoff_.get();
  env_.image_backoff = image_backoff_.get();
  env_.clock = clock_;
  env_.host_ip = options_.host_ip;
  env_.pods_dir = (std::filesystem::path(options_.data_dir) / "pods").string();
}

PodManager::~PodManager() { Stop(); }

absl::Status PodManager::Start() {
  pool_ = std::make_unique<base::ThreadPool>(std::max(1, options_.sync_threads));
  client::Informer::Options informer_options;
  informer_options.field_selector = "spec.nodeName=" + options_.node_name;
  informer_ = &informers_->For(client::Resource("", "v1", "pods"), informer_options);
  client::InformerHandlers handlers;
  handlers.on_add = [this](const client::Object& pod) { OnPod(pod, false); };
  handlers.on_update = [this](const client::Object& old_pod, const client::Object& new_pod) {
    if (NeedsSync(*old_pod, *new_pod)) OnPod(new_pod, false);
  };
  handlers.on_delete = [this](const client::Object& pod) { OnPod(pod, true); };
  handlers_ = informer_->AddHandlers(std::move(handlers));
  informer_->Start();  // a no-op when the set's owner started it
  if (!informer_->WaitForSync(options_.sync_timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("pods of node ", options_.node_name,
                                                    " not listed within ",
                                                    absl::FormatDuration(options_.sync_timeout)));
  }
  loop_ = std::thread([this] { LoopMain(); });
  return absl::OkStatus();
}

void PodManager::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (informer_) informer_->RemoveHandlers(handlers_);
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] {
      return std::none_of(slots_.begin(), slots_.end(), [](const auto& kv) { return kv.second.running; });
    });
  }
  pool_.reset();
}

void PodManager::OnPod(const client::Object& pod, bool deleted) {
  std::string uid = api::Uid(*pod);
  if (uid.empty()) return;
  std::lock_guard lock(mu_);
  if (stopping_) return;
  Slot& slot = slots_[uid];
  if (!slot.worker) slot.worker = std::make_unique<PodWorker>(&env_, uid);
  slot.pod = deleted ? nullptr : pod;
  EnqueueLocked(uid);
}

void PodManager::Enqueue(const std::string& uid) {
  std::lock_guard lock(mu_);
  if (stopping_ || !slots_.contains(uid)) return;
  EnqueueLocked(uid);
}

void PodManager::EnqueueLocked(const std::string& uid) {
  Slot& slot = slots_[uid];
  if (slot.running) {
    slot.dirty = true;
    return;
  }
  slot.running = true;
  slot.dirty = false;
  pool_->Submit([this, uid] { RunWorker(uid); });
}

void PodManager::RunWorker(const std::string& uid) {
  for (;;) {
    client::Object pod;
    PodWorker* worker = nullptr;
    {
      std::lock_guard lock(mu_);
      auto it = slots_.find(uid);
      if (it == slots_.end()) return;
      if (stopping_) {
        it->second.running = false;
        cv_.notify_all();
        return;
      }
      it->second.dirty = false;
      pod = it->second.pod;
      worker = it->second.worker.get();
    }
    SyncResult result = worker->Sync(pod);
    std::lock_guard lock(mu_);
    Slot& slot = slots_[uid];
    slot.retry_at = result.retry_at;
    if (result.done && !slot.pod && !slot.dirty) {
      slots_.erase(uid);
      cv_.notify_all();
      return;
    }
    if (!slot.dirty || stopping_) {
      slot.running = false;
      cv_.notify_all();
      return;
    }
  }
}

void PodManager::LoopMain() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.relist_period),
                   [this] { return stopping_ || relist_now_; });
      if (stopping_) return;
      relist_now_ = false;
    }
    Relist();
  }
}

void PodManager::RelistNow() {
  {
    std::lock_guard lock(mu_);
    relist_now_ = true;
  }
  cv_.notify_all();
}

void PodManager::Relist() {
  cri::v1::ListPodSandboxRequest sreq;
  (*sreq.mutable_filter()->mutable_label_selector())[kManagedByLabel] = "true";
  auto sandboxes = runtime_->ListPodSandbox(sreq, cri::kRpcDefault);
  cri::v1::ListContainersRequest creq;
  (*creq.mutable_filter()->mutable_label_selector())[kManagedByLabel] = "true";
  auto containers = sandboxes.ok() ? runtime_->ListContainers(creq, cri::kRpcDefault)
                                   : absl::StatusOr<cri::v1::ListContainersResponse>(sandboxes.status());
  std::map<std::string, std::string> fingerprints;
  bool listed = containers.ok();
  if (listed) {
    for (const auto& s : sandboxes->items()) {
      auto uid = s.labels().find(kPodUidLabel);
      if (uid == s.labels().end()) continue;
      absl::StrAppend(&fingerprints[uid->second], "s", s.id(), ":", StateName(s.state()), ";");
    }
    for (const auto& c : containers->containers()) {
      auto uid = c.labels().find(kPodUidLabel);
      if (uid == c.labels().end()) continue;
      absl::StrAppend(&fingerprints[uid->second], "c", c.id(), ":", StateName(c.state()), ";");
    }
  } else {
    spdlog::debug("pods: relist: {}", containers.status().ToString());
  }
  absl::Time now = clock_->Now();
  bool synced = informer_->HasSynced();
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (listed) {
    for (auto& [uid, fp] : fingerprints) {
      auto slot = slots_.find(uid);
      if (slot != slots_.end()) {
        auto old = fingerprints_.find(uid);
        if (old == fingerprints_.end() || old->second != fp) EnqueueLocked(uid);
      } else if (synced) {
        // Runtime objects of a pod that no longer exists (deleted while the agent was away).
        Slot& orphan = slots_[uid];
        orphan.worker = std::make_unique<PodWorker>(&env_, uid);
        EnqueueLocked(uid);
      }
    }
    for (const auto& [uid, fp] : fingerprints_) {
      if (!fingerprints.contains(uid) && slots_.contains(uid)) EnqueueLocked(uid);
    }
    fingerprints_ = std::move(fingerprints);
  }
  bool resync = now - last_resync_ >= options_.resync_period;
  if (resync) last_resync_ = now;
  for (auto& [uid, slot] : slots_) {
    if (resync || slot.retry_at <= now) {
      slot.retry_at = absl::InfiniteFuture();
      EnqueueLocked(uid);
    }
  }
  crash_backoff_->GarbageCollect(options_.backoff_max * 4);
  image_backoff_->GarbageCollect(options_.backoff_max * 4);
}

void PodManager::SetContainerReadiness(const std::string& uid, const std::string& container, bool ready) {
  status_->SetContainerReadiness(uid, container, ready);
}

void PodManager::SetContainerStarted(const std::string& uid, const std::string& container, bool started) {
  status_->SetContainerStarted(uid, container, started);
}

std::vector<client::Object> PodManager::Pods() const {
  return informer_ ? informer_->List() : std::vector<client::Object>{};
}

size_t PodManager::WorkerCount() const {
  std::lock_guard lock(mu_);
  return slots_.size();
}

}  // namespace skiff::agent::pods
