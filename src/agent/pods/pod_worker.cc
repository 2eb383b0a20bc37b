#include "agent/pods/pod_worker.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/pods/cri_convert.h"
#include "agent/pods/pod_actions.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::pods {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr absl::Duration kRpc = cri::kRpcDefault;
constexpr absl::Duration kSandboxTimeout = absl::Minutes(2);  // CNI can be slow under load
constexpr absl::Duration kMinGrace = absl::Seconds(2);        // the kubelet's minimum for StopContainer
constexpr absl::Duration kRetry = absl::Seconds(2);

const api::ResourceInfo& Pods() { return client::Resource("", "v1", "pods"); }

const json::value* ContainerJson(const json::value& pod, const std::string& name) {
  for (const char* field : {"initContainers", "containers"}) {
    const json::value* list = base::FindPath(pod, {"spec", field});
    if (!list || !list->is_array()) continue;
    for (const auto& c : list->as_array()) {
      if (base::GetString(c, {"name"}) == name) return &c;
    }
  }
  return nullptr;
}

// Go's time.Duration.String() for whole seconds: "10s", "1m20s", "5m0s".
std::string GoDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m", s % 60, "s");
  return absl::StrCat(s / 3600, "h", (s % 3600) / 60, "m", s % 60, "s");
}

bool Gone(const absl::Status& s) { return s.ok() || absl::IsNotFound(s); }

absl::Duration GraceOf(const PodView& view) {
  int64_t seconds = view.deleting && view.deletion_grace_seconds ? *view.deletion_grace_seconds
                                                                 : view.termination_grace_seconds;
  return std::max(absl::Seconds(seconds), kMinGrace);
}

}  // namespace

std::string PodLogDirectory(const std::string& pods_dir, const std::string& uid) {
  return (fs::path(pods_dir) / uid / "logs").string();
}

PodWorker::PodWorker(WorkerEnv* env, std::string uid) : env_(env), uid_(std::move(uid)) {}

absl::StatusOr<PodRuntimeState> PodWorker::Observe() {
  PodRuntimeState st;
  cri::v1::ListPodSandboxRequest sreq;
  (*sreq.mutable_filter()->mutable_label_selector())[kPodUidLabel] = uid_;
  auto sandboxes = env_->runtime->ListPodSandbox(sreq, kRpc);
  if (!sandboxes.ok()) return sandboxes.status();
  std::set<std::string> seen;
  for (const auto& item : sandboxes->items()) {
    SandboxInstance s = FromCri(item);
    seen.insert(s.id);
    if (s.ready) {
      auto cached = sandbox_ips_.find(s.id);
      if (cached != sandbox_ips_.end()) {
        s.ips = cached->second;
      } else {
        cri::v1::PodSandboxStatusRequest req;
        req.set_pod_sandbox_id(s.id);
        auto status = env_->runtime->PodSandboxStatus(req, kRpc);
        if (status.ok()) {
          s.ips = SandboxIps(status->status());
          s.ready = status->status().state() == cri::v1::SANDBOX_READY;
          sandbox_ips_[s.id] = s.ips;
        } else if (!absl::IsNotFound(status.status())) {
          return status.status();
        }
      }
    }
    st.sandboxes.push_back(std::move(s));
  }
  std::erase_if(sandbox_ips_, [&](const auto& kv) { return !seen.contains(kv.first); });

  cri::v1::ListContainersRequest creq;
  (*creq.mutable_filter()->mutable_label_selector())[kPodUidLabel] = uid_;
  auto containers = env_->runtime->ListContainers(creq, kRpc);
  if (!containers.ok()) return containers.status();
  seen.clear();
  for (const auto& item : containers->containers()) {
    ContainerInstance c = FromCri(item);
    auto cached = details_.find(c.id);
    if (cached != details_.end() && cached->second.state == c.state) {
      c = cached->second;
    } else {
      cri::v1::ContainerStatusRequest req;
      req.set_container_id(c.id);
      auto status = env_->runtime->ContainerStatus(req, kRpc);
      if (absl::IsNotFound(status.status())) continue;  // removed meanwhile
      if (!status.ok()) return status.status();
      MergeStatus(status->status(), &c);
      details_[c.id] = c;
    }
    seen.insert(c.id);
    st.containers.push_back(std::move(c));
  }
  std::erase_if(details_, [&](const auto& kv) { return !seen.contains(kv.first); });
  st.Normalize();
  return st;
}

SyncResult PodWorker::Sync(const client::Object& pod) {
  SyncResult result;
  absl::Time now = env_->clock->Now();
  auto observed = Observe();
  if (!observed.ok()) {
    spdlog::warn("pods: observing pod {} in the runtime: {}", uid_, observed.status().ToString());
    result.retry_at = now + kRetry;
    return result;
  }
  state_ = std::move(*observed);

  if (!pod) {  // gone from the API (deleted, possibly forcibly): remove whatever is left
    if (!state_.sandboxes.empty() || !state_.containers.empty()) {
      KillPod(nullptr, nullptr, state_, kMinGrace, false);
      auto again = Observe();
      absl::Status removed = again.ok() ? RemoveAll(*again) : again.status();
      if (!removed.ok()) {
        spdlog::warn("pods: removing runtime objects of deleted pod {}: {}", uid_, removed.ToString());
        result.retry_at = now + kRetry;
        return result;
      }
    }
    env_->translator->CleanupPod(uid_);
    std::error_code ec;
    fs::remove_all(PodLogDirectory(env_->pods_dir, uid_), ec);
    fs::remove(fs::path(env_->pods_dir) / uid_, ec);  // only if empty (volumes are the translator's)
    env_->crash_backoff->ForgetPrefix(uid_ + "/");
    env_->image_backoff->ForgetPrefix(uid_ + "/");
    env_->status->Forget(uid_);
    result.done = true;
    return result;
  }
  last_pod_ = pod;
  PodView view = ParsePod(*pod);
  if (view.deleting) return Terminate(*pod, view);
  return SyncRunning(*pod, view, result);
}

SyncResult PodWorker::SyncRunning(const json::value& pod, const PodView& view, SyncResult result) {
  absl::Time now = env_->clock->Now();
  if (view.ApiPhaseTerminal()) {
    // Finished for good: stop what still runs, keep the containers (logs) and report.
    const SandboxInstance* sandbox = state_.LatestSandbox();
    if (state_.AnyRunning() || (sandbox && sandbox->ready)) {
      KillPod(&pod, &view, state_, GraceOf(view), true);
      if (auto again = Observe(); again.ok()) state_ = std::move(*again);
    }
    WriteStatus(pod, view, state_, true);
    return result;
  }

  PodActions actions = ComputePodActions(view, state_);
  bool changed = false;
  if (actions.create_sandbox && !env_->status->LastWritten(uid_) &&
      base::GetString(pod, {"status", "startTime"}).empty()) {
    WriteStatus(pod, view, state_, false);  // show ContainerCreating while the sandbox starts
  }
  if (actions.kill_pod) {
    KillPod(&pod, &view, state_, GraceOf(view), true);
    changed = true;
  }
  for (const auto& id : actions.kill_ids) {
    cri::v1::StopContainerRequest stop;
    stop.set_container_id(id);
    (void)env_->runtime->StopContainer(stop, kRpc);
    cri::v1::RemoveContainerRequest remove;
    remove.set_container_id(id);
    (void)env_->runtime->RemoveContainer(remove, kRpc);
    changed = true;
  }
  std::string sandbox_id = actions.sandbox_id;
  std::vector<std::string> ips;
  if (const SandboxInstance* s = state_.LatestSandbox(); s && s->id == sandbox_id) ips = s->ips;
  if (actions.create_sandbox) {
    changed = true;
    auto id = RunSandbox(pod, view, actions.sandbox_attempt);
    if (!id.ok()) {
      spdlog::warn("pods: creating the sandbox of {}: {}", view.Describe(), id.status().ToString());
      result.retry_at = std::min(result.retry_at, now + kRetry);
      sandbox_id.clear();
    } else {
      sandbox_id = *id;
      ips = sandbox_ips_[sandbox_id];
    }
  }
  if (!sandbox_id.empty() && !actions.start.empty()) {
    absl::Status prepared = env_->translator->PreparePod(pod);
    if (!prepared.ok()) {
      for (const auto& name : actions.start) {
        waiting_[name] = {"CreateContainerConfigError", std::string(prepared.message())};
      }
      result.retry_at = std::min(result.retry_at, now + kRetry);
    } else {
      for (const auto& name : actions.start) {
        if (StartContainer(pod, view, name, sandbox_id, ips, &result.retry_at)) changed = true;
      }
    }
  }
  if (changed) {
    if (auto again = Observe(); again.ok()) state_ = std::move(*again);
  }
  PruneDeadContainers(state_);
  WriteStatus(pod, view, state_, false);
  return result;
}

SyncResult PodWorker::Terminate(const json::value& pod, const PodView& view) {
  SyncResult result;
  absl::Time now = env_->clock->Now();
  if (deleted_ && state_.sandboxes.empty() && state_.containers.empty()) return result;
  const SandboxInstance* sandbox = state_.LatestSandbox();
  bool live = state_.AnyRunning() || (sandbox && sandbox->ready);
  if (live) {
    KillPod(&pod, &view, state_, GraceOf(view), true);
    if (auto again = Observe(); again.ok()) state_ = std::move(*again);
  }
  if (!deleted_) WriteStatus(pod, view, state_, true);
  absl::Status removed = RemoveAll(state_);
  if (!removed.ok()) {
    spdlog::warn("pods: removing runtime objects of {}: {}", view.Describe(), removed.ToString());
    result.retry_at = now + kRetry;
    return result;
  }
  state_ = {};
  env_->translator->CleanupPod(uid_);
  std::error_code ec;
  fs::remove_all(PodLogDirectory(env_->pods_dir, uid_), ec);
  if (!deleted_) {
    client::DeleteOptions options;
    options.grace_period_seconds = 0;
    options.precondition_uid = uid_;
    absl::Status s = env_->client->Delete(Pods(), view.ns, view.name, options);
    // NotFound: already gone; Conflict/FailedPrecondition: the name belongs to a newer pod.
    if (s.ok() || absl::IsNotFound(s) || absl::IsAborted(s) || absl::IsFailedPrecondition(s)) {
      deleted_ = true;
    } else {
      spdlog::warn("pods: deleting {}: {}", view.Describe(), s.ToString());
      result.retry_at = now + kRetry;
    }
  }
  return result;
}

void PodWorker::KillPod(const json::value* pod, const PodView* view, const PodRuntimeState& state,
                        absl::Duration grace, bool hooks) {
  std::vector<const ContainerInstance*> regular, sidecars;
  for (const auto& c : state.containers) {
    if (c.state == ContainerRunState::kExited) continue;
    const ContainerView* cv = view ? view->Find(c.name) : nullptr;
    (cv && cv->sidecar ? sidecars : regular).push_back(&c);
  }
  // Sidecars stop after the containers they serve (Kubernetes 1.29+ ordering).
  for (const auto* group : {&regular, &sidecars}) {
    if (group->size() == 1) {
      StopContainer(pod, view, *group->front(), grace, hooks);
      continue;
    }
    std::vector<std::thread> threads;
    for (const ContainerInstance* c : *group) {
      threads.emplace_back([=, this] { StopContainer(pod, view, *c, grace, hooks); });
    }
    for (auto& t : threads) t.join();
  }
  for (const auto& s : state.sandboxes) {
    if (!s.ready) continue;
    cri::v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(s.id);
    auto stopped = env_->runtime->StopPodSandbox(req, kSandboxTimeout);
    if (!Gone(stopped.status()))
      spdlog::warn("pods: stopping sandbox {}: {}", s.id, stopped.status().ToString());
  }
}

void PodWorker::StopContainer(const json::value* pod, const PodView* view, const ContainerInstance& c,
                              absl::Duration grace, bool hooks) {
  absl::Time start = env_->clock->Now();
  const ContainerView* cv = view ? view->Find(c.name) : nullptr;
  if (hooks && cv && pod && c.state == ContainerRunState::kRunning) {
    if (!cv->pre_stop_exec.empty()) {
      cri::v1::ExecSyncRequest req;
      req.set_container_id(c.id);
      for (const auto& part : cv->pre_stop_exec) req.add_cmd(part);
      req.set_timeout(absl::ToInt64Seconds(grace));
      auto ran = env_->runtime->ExecSync(req, kRpc);
      if (!ran.ok()) {
        spdlog::info("pods: preStop hook of {} in {}: {}", c.name, view->Describe(), ran.status().ToString());
      } else if (ran->exit_code() != 0) {
        spdlog::info("pods: preStop hook of {} in {} exited {}", c.name, view->Describe(), ran->exit_code());
      }
    } else if (cv->has_pre_stop_http && env_->http_hook) {
      absl::Status s = env_->http_hook(*pod, c.name, grace);
      if (!s.ok()) spdlog::info("pods: preStop hook of {} in {}: {}", c.name, view->Describe(), s.ToString());
    }
  }
  absl::Duration remaining = std::max(grace - (env_->clock->Now() - start), kMinGrace);
  cri::v1::StopContainerRequest req;
  req.set_container_id(c.id);
  req.set_timeout(absl::ToInt64Seconds(absl::Ceil(remaining, absl::Seconds(1))));
  auto stopped = env_->runtime->StopContainer(req, kRpc);
  if (!Gone(stopped.status()))
    spdlog::warn("pods: stopping container {}: {}", c.id, stopped.status().ToString());
}

absl::Status PodWorker::RemoveAll(const PodRuntimeState& state) {
  absl::Status first;
  for (const auto& c : state.containers) {
    cri::v1::RemoveContainerRequest req;
    req.set_container_id(c.id);
    auto removed = env_->runtime->RemoveContainer(req, kRpc);
    if (!Gone(removed.status()) && first.ok()) first = removed.status();
  }
  for (const auto& s : state.sandboxes) {
    cri::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(s.id);
    auto stopped = env_->runtime->StopPodSandbox(stop, kSandboxTimeout);
    if (!Gone(stopped.status()) && first.ok()) first = stopped.status();
    cri::v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(s.id);
    auto removed = env_->runtime->RemovePodSandbox(req, kSandboxTimeout);
    if (!Gone(removed.status()) && first.ok()) first = removed.status();
  }
  return first;
}

void PodWorker::PruneDeadContainers(const PodRuntimeState& state) {
  std::map<std::string, int> seen;
  std::set<std::string> used_sandboxes;
  for (const auto& c : state.containers) {
    int n = ++seen[c.name];
    if (n <= 2 || c.state != ContainerRunState::kExited) {
      used_sandboxes.insert(c.sandbox_id);
      continue;
    }
    cri::v1::RemoveContainerRequest req;
    req.set_container_id(c.id);
    (void)env_->runtime->RemoveContainer(req, kRpc);
  }
  // Sandboxes from earlier attempts that no kept container refers to.
  for (size_t i = 1; i < state.sandboxes.size(); ++i) {
    const SandboxInstance& s = state.sandboxes[i];
    if (s.ready || used_sandboxes.contains(s.id)) continue;
    cri::v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(s.id);
    (void)env_->runtime->RemovePodSandbox(req, kSandboxTimeout);
  }
}

absl::StatusOr<cri::v1::PodSandboxConfig> PodWorker::FullSandboxConfig(const json::value& pod,
                                                                       const PodView& view,
                                                                       uint32_t attempt) {
  auto config = env_->translator->SandboxConfig(pod, attempt);
  if (!config.ok()) return config.status();
  auto* meta = config->mutable_metadata();
  meta->set_name(view.name);
  meta->set_namespace_(view.ns);
  meta->set_uid(view.uid);
  meta->set_attempt(attempt);
  auto& labels = *config->mutable_labels();
  labels[kPodNameLabel] = view.name;
  labels[kPodNamespaceLabel] = view.ns;
  labels[kPodUidLabel] = view.uid;
  labels[kManagedByLabel] = "true";
  config->set_log_directory(PodLogDirectory(env_->pods_dir, uid_));
  return config;
}

absl::StatusOr<std::string> PodWorker::RunSandbox(const json::value& pod, const PodView& view,
                                                  uint32_t attempt) {
  auto config = FullSandboxConfig(pod, view, attempt);
  if (!config.ok()) return config.status();
  std::error_code ec;
  fs::create_directories(config->log_directory(), ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", config->log_directory(), ": ", ec.message()));
  cri::v1::RunPodSandboxRequest req;
  *req.mutable_config() = std::move(*config);
  auto ran = env_->runtime->RunPodSandbox(req, kSandboxTimeout);
  if (!ran.ok()) return ran.status();
  cri::v1::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(ran->pod_sandbox_id());
  auto status = env_->runtime->PodSandboxStatus(sreq, kRpc);
  if (status.ok()) sandbox_ips_[ran->pod_sandbox_id()] = SandboxIps(status->status());
  return ran->pod_sandbox_id();
}

bool PodWorker::EnsureImage(const PodView& view, const ContainerView& c, absl::Time* retry_at) {
  (void)view;
  absl::Time now = env_->clock->Now();
  if (c.pull_policy != PullPolicy::kAlways) {
    cri::v1::ImageStatusRequest req;
    req.mutable_image()->set_image(c.image);
    auto status = env_->runtime->ImageStatus(req, kRpc);
    if (status.ok() && status->has_image()) return true;
    if (!status.ok()) {
      waiting_[c.name] = {"ErrImageInspect", std::string(status.status().message())};
      *retry_at = std::min(*retry_at, now + kRetry);
      return false;
    }
    if (c.pull_policy == PullPolicy::kNever) {
      waiting_[c.name] = {"ErrImageNeverPull", absl::StrCat("Container image \"", c.image,
                                                            "\" is not present with pull policy of Never")};
      *retry_at = std::min(*retry_at, now + absl::Seconds(10));
      return false;
    }
  }
  std::string key = uid_ + "/" + c.image;
  if (env_->image_backoff->IsInBackoffSinceUpdate(key)) {
    waiting_[c.name] = {"ImagePullBackOff", absl::StrCat("Back-off pulling image \"", c.image, "\"")};
    *retry_at = std::min(*retry_at, env_->image_backoff->ReadyAtSinceUpdate(key));
    return false;
  }
  cri::v1::PullImageRequest req;
  req.mutable_image()->set_image(c.image);
  auto pulled = env_->runtime->PullImage(req, kRpc);
  if (pulled.ok()) return true;
  env_->image_backoff->Next(key, now);
  waiting_[c.name] = {"ErrImagePull", std::string(pulled.status().message())};
  *retry_at = std::min(*retry_at, env_->image_backoff->ReadyAtSinceUpdate(key));
  return false;
}

bool PodWorker::StartContainer(const json::value& pod, const PodView& view, const std::string& name,
                               const std::string& sandbox_id, const std::vector<std::string>& pod_ips,
                               absl::Time* retry_at) {
  const ContainerView* cv = view.Find(name);
  const json::value* container = ContainerJson(pod, name);
  if (!cv || !container) return false;
  absl::Time now = env_->clock->Now();
  const ContainerInstance* latest = state_.Latest(name);
  std::string key = uid_ + "/" + name;
  if (latest && latest->state == ContainerRunState::kExited) {
    absl::Time finished = latest->finished_at == absl::InfinitePast() ? now : latest->finished_at;
    if (env_->crash_backoff->IsInBackoffSince(key, finished)) {
      waiting_[name] = {"CrashLoopBackOff",
                        absl::StrCat("back-off ", GoDuration(env_->crash_backoff->Get(key)),
                                     " restarting failed container=", name, " pod=", view.Describe())};
      *retry_at = std::min(*retry_at, env_->crash_backoff->ReadyAt(key, finished));
      return false;
    }
    env_->crash_backoff->Next(key, finished);
  }
  if (!EnsureImage(view, *cv, retry_at)) return false;

  uint32_t attempt = latest ? latest->attempt + 1 : 0;
  uint32_t sandbox_attempt = 0;
  for (const auto& s : state_.sandboxes) {
    if (s.id == sandbox_id) sandbox_attempt = s.attempt;
  }
  auto sandbox_config = FullSandboxConfig(pod, view, sandbox_attempt);
  auto config = env_->translator->ContainerConfig(pod, *container, attempt, pod_ips);
  if (!sandbox_config.ok() || !config.ok()) {
    const absl::Status& s = !config.ok() ? config.status() : sandbox_config.status();
    waiting_[name] = {"CreateContainerConfigError", std::string(s.message())};
    *retry_at = std::min(*retry_at, now + kRetry);
    return false;
  }
  config->mutable_metadata()->set_name(name);
  config->mutable_metadata()->set_attempt(attempt);
  if (config->image().image().empty()) config->mutable_image()->set_image(cv->image);
  auto& labels = *config->mutable_labels();
  labels[kPodNameLabel] = view.name;
  labels[kPodNamespaceLabel] = view.ns;
  labels[kPodUidLabel] = view.uid;
  labels[kContainerNameLabel] = name;
  labels[kManagedByLabel] = "true";
  (*config->mutable_annotations())[kRestartCountAnnotation] = std::to_string(attempt);
  (*config->mutable_annotations())[kTerminationGraceAnnotation] =
      std::to_string(view.termination_grace_seconds);
  config->set_log_path(absl::StrCat(name, "/", attempt, ".log"));
  std::error_code ec;
  fs::create_directories(fs::path(sandbox_config->log_directory()) / name, ec);

  cri::v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(sandbox_id);
  *create.mutable_config() = std::move(*config);
  *create.mutable_sandbox_config() = std::move(*sandbox_config);
  auto created = env_->runtime->CreateContainer(create, kRpc);
  if (!created.ok()) {
    waiting_[name] = {"CreateContainerError", std::string(created.status().message())};
    *retry_at = std::min(*retry_at, now + kRetry);
    return false;
  }
  cri::v1::StartContainerRequest start;
  start.set_container_id(created->container_id());
  auto started = env_->runtime->StartContainer(start, kRpc);
  if (!started.ok()) {
    waiting_[name] = {"RunContainerError", std::string(started.status().message())};
    *retry_at = std::min(*retry_at, now + kRetry);
    return true;  // the created container exists; the next sync replaces it
  }
  waiting_.erase(name);
  return true;
}

void PodWorker::WriteStatus(const json::value& pod, const PodView& view, const PodRuntimeState& state,
                            bool terminal) {
  // Others' conditions come from the stored pod; the kubelet's own from what was last written
  // (the stored copy may lag behind), so transition times stay put.
  json::value old = json::object();
  if (const json::value* stored = base::Find(pod, "status"); stored && stored->is_object()) old = *stored;
  if (auto last = env_->status->LastWritten(uid_)) {
    json::array conditions;
    if (const json::value* mine = last->if_contains("conditions"); mine && mine->is_array()) {
      for (const auto& c : mine->as_array()) {
        std::string type = base::GetString(c, {"type"});
        if (type == "PodReadyToStartContainers" || type == "Initialized" || type == "Ready" ||
            type == "ContainersReady") {
          conditions.push_back(c);
        }
      }
    }
    if (const json::value* theirs = base::Find(old, "conditions"); theirs && theirs->is_array()) {
      for (const auto& c : theirs->as_array()) {
        std::string type = base::GetString(c, {"type"});
        if (type != "PodReadyToStartContainers" && type != "Initialized" && type != "Ready" &&
            type != "ContainersReady") {
          conditions.push_back(c);
        }
      }
    }
    old.as_object()["conditions"] = std::move(conditions);
    if (const json::value* start = last->if_contains("startTime")) old.as_object()["startTime"] = *start;
  }
  StatusInputs in;
  in.pod = &view;
  in.old_status = &old;
  in.state = &state;
  in.waiting = waiting_;
  in.health = env_->status->Health(uid_);
  in.host_ip = env_->host_ip;
  std::string qos = base::GetString(pod, {"status", "qosClass"});
  in.qos_class = qos.empty() ? QosClass(pod) : qos;
  in.now = env_->clock->Now();
  in.terminal = terminal;
  auto written = env_->status->Write(pod, BuildPodStatus(in));
  if (!written.ok() && !absl::IsNotFound(written.status())) {
    spdlog::warn("pods: writing the status of {}: {}", view.Describe(), written.status().ToString());
  }
}

}  // namespace skiff::agent::pods
