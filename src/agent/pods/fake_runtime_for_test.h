// Test doubles for the pods tests (included only by *_test.cc): FakeClock and FakeRuntime, an
// in-memory CRI runtime that keeps sandboxes, containers and images, filters by labels like
// containerd, records every call in order, and lets a test make containers exit or sandboxes die.
// Thread-safety: all methods lock. Ownership: values. Failure: Unimplemented for RPCs the pod
// workers do not use; NotFound for unknown ids; configurable failures for pulls/creates.
#ifndef SKIFF_AGENT_PODS_FAKE_RUNTIME_FOR_TEST_H_
#define SKIFF_AGENT_PODS_FAKE_RUNTIME_FOR_TEST_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/cri/runtime.h"
#include "base/clock.h"
#include "base/testing/fake_clock.h"

namespace skiff::agent::pods::testing {

namespace v1 = cri::v1;

using base::testing::FakeClock;

class FakeRuntime : public cri::Runtime {
 public:
  explicit FakeRuntime(const base::Clock* clock) : clock_(clock) {}

  // ---- test controls
  void AddImage(const std::string& image) {
    std::lock_guard lock(mu_);
    images_.insert(image);
  }
  void FailPull(const std::string& image) {
    std::lock_guard lock(mu_);
    failing_pulls_.insert(image);
  }
  // Makes a running container exit.
  void Exit(const std::string& id, int code, const std::string& reason = "") {
    std::lock_guard lock(mu_);
    auto& c = containers_.at(id);
    c.set_state(v1::CONTAINER_EXITED);
    c.set_exit_code(code);
    c.set_finished_at(absl::ToUnixNanos(clock_->Now()));
    c.set_reason(reason.empty() ? (code == 0 ? "Completed" : "Error") : reason);
  }
  void KillSandbox(const std::string& id) {
    std::lock_guard lock(mu_);
    sandboxes_.at(id).set_state(v1::SANDBOX_NOTREADY);
    for (auto& [cid, c] : containers_) {
      if (sandbox_of_[cid] == id && c.state() == v1::CONTAINER_RUNNING) ExitLocked(&c, 137, "Error");
    }
  }
  // Exit code a container gets when stopped (143 = SIGTERM honoured).
  void SetStopExitCode(int code) { stop_exit_code_ = code; }
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  size_t CountCalls(const std::string& prefix) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& c : calls_) n += c.rfind(prefix, 0) == 0;
    return n;
  }
  void ClearCalls() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }
  // Container ids by container name label, newest last.
  std::vector<std::string> ContainersNamed(const std::string& name) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& id : order_) {
      auto it = containers_.find(id);
      if (it != containers_.end() && it->second.metadata().name() == name) out.push_back(id);
    }
    return out;
  }
  const v1::ContainerStatus* Container(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = containers_.find(id);
    return it == containers_.end() ? nullptr : &it->second;
  }
  size_t SandboxCount() const {
    std::lock_guard lock(mu_);
    return sandboxes_.size();
  }
  size_t ContainerCount() const {
    std::lock_guard lock(mu_);
    return containers_.size();
  }
  std::vector<std::string> SandboxIds() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [id, s] : sandboxes_) out.push_back(id);
    return out;
  }
  const v1::PodSandboxStatus* Sandbox(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = sandboxes_.find(id);
    return it == sandboxes_.end() ? nullptr : &it->second;
  }
  // Last CreateContainer config by container id.
  v1::ContainerConfig ConfigOf(const std::string& id) const {
    std::lock_guard lock(mu_);
    return configs_.at(id);
  }

  // ---- RuntimeService
  absl::StatusOr<v1::VersionResponse> Version(const v1::VersionRequest&, absl::Duration) override {
    v1::VersionResponse r;
    r.set_runtime_name("fake");
    return r;
  }
  absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest&, absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::UpdateRuntimeConfigResponse> UpdateRuntimeConfig(const v1::UpdateRuntimeConfigRequest&,
                                                                      absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::RunPodSandboxResponse> RunPodSandbox(const v1::RunPodSandboxRequest& req,
                                                          absl::Duration) override {
    std::lock_guard lock(mu_);
    std::string id = absl::StrCat("sb", ++next_id_);
    calls_.push_back("RunPodSandbox " + req.config().metadata().name() + " " +
                     std::to_string(req.config().metadata().attempt()));
    v1::PodSandboxStatus s;
    s.set_id(id);
    *s.mutable_metadata() = req.config().metadata();
    s.set_state(v1::SANDBOX_READY);
    s.set_created_at(absl::ToUnixNanos(clock_->Now()) + next_id_);
    bool host = req.config().linux().security_context().namespace_options().network() == v1::NODE;
    if (!host) s.mutable_network()->set_ip(absl::StrCat("10.244.0.", next_id_ + 1));
    *s.mutable_labels() = req.config().labels();
    sandboxes_[id] = s;
    sandbox_configs_[id] = req.config();
    v1::RunPodSandboxResponse r;
    r.set_pod_sandbox_id(id);
    return r;
  }
  absl::StatusOr<v1::StopPodSandboxResponse> StopPodSandbox(const v1::StopPodSandboxRequest& req,
                                                            absl::Duration) override {
    std::lock_guard lock(mu_);
    calls_.push_back("StopPodSandbox " + req.pod_sandbox_id());
    auto it = sandboxes_.find(req.pod_sandbox_id());
    if (it == sandboxes_.end()) return absl::NotFoundError("no sandbox");
    it->second.set_state(v1::SANDBOX_NOTREADY);
    for (auto& [cid, c] : containers_) {
      if (sandbox_of_[cid] == it->first && c.state() == v1::CONTAINER_RUNNING) ExitLocked(&c, 137, "Error");
    }
    return v1::StopPodSandboxResponse();
  }
  absl::StatusOr<v1::RemovePodSandboxResponse> RemovePodSandbox(const v1::RemovePodSandboxRequest& req,
                                                                absl::Duration) override {
    std::lock_guard lock(mu_);
    calls_.push_back("RemovePodSandbox " + req.pod_sandbox_id());
    if (!sandboxes_.erase(req.pod_sandbox_id())) return absl::NotFoundError("no sandbox");
    for (auto it = containers_.begin(); it != containers_.end();) {
      it = sandbox_of_[it->first] == req.pod_sandbox_id() ? containers_.erase(it) : std::next(it);
    }
    return v1::RemovePodSandboxResponse();
  }
  absl::StatusOr<v1::PodSandboxStatusResponse> PodSandboxStatus(const v1::PodSandboxStatusRequest& req,
                                                                absl::Duration) override {
    std::lock_guard lock(mu_);
    auto it = sandboxes_.find(req.pod_sandbox_id());
    if (it == sandboxes_.end()) return absl::NotFoundError("no sandbox");
    v1::PodSandboxStatusResponse r;
    *r.mutable_status() = it->second;
    return r;
  }
  absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandbox(const v1::ListPodSandboxRequest& req,
                                                            absl::Duration) override {
    std::lock_guard lock(mu_);
    if (unavailable_) return absl::UnavailableError("runtime down");
    v1::ListPodSandboxResponse r;
    for (const auto& [id, s] : sandboxes_) {
      if (!Matches(s.labels(), req.filter().label_selector())) continue;
      auto* item = r.add_items();
      item->set_id(id);
      *item->mutable_metadata() = s.metadata();
      item->set_state(s.state());
      item->set_created_at(s.created_at());
      *item->mutable_labels() = s.labels();
    }
    return r;
  }
  absl::StatusOr<v1::CreateContainerResponse> CreateContainer(const v1::CreateContainerRequest& req,
                                                              absl::Duration) override {
    std::lock_guard lock(mu_);
    calls_.push_back("CreateContainer " + req.config().metadata().name() + " " +
                     std::to_string(req.config().metadata().attempt()));
    if (!sandboxes_.contains(req.pod_sandbox_id())) return absl::NotFoundError("no sandbox");
    if (fail_create_.contains(req.config().metadata().name())) return absl::UnknownError("create failed");
    std::string id = absl::StrCat("c", ++next_id_);
    v1::ContainerStatus c;
    c.set_id(id);
    *c.mutable_metadata() = req.config().metadata();
    c.set_state(v1::CONTAINER_CREATED);
    c.set_created_at(absl::ToUnixNanos(clock_->Now()) + next_id_);
    *c.mutable_image() = req.config().image();
    c.set_image_ref("sha256:" + req.config().image().image());
    *c.mutable_labels() = req.config().labels();
    *c.mutable_annotations() = req.config().annotations();
    c.set_log_path(req.sandbox_config().log_directory() + "/" + req.config().log_path());
    containers_[id] = c;
    sandbox_of_[id] = req.pod_sandbox_id();
    configs_[id] = req.config();
    order_.push_back(id);
    v1::CreateContainerResponse r;
    r.set_container_id(id);
    return r;
  }
  absl::StatusOr<v1::StartContainerResponse> StartContainer(const v1::StartContainerRequest& req,
                                                            absl::Duration) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return absl::NotFoundError("no container");
    calls_.push_back("StartContainer " + it->second.metadata().name());
    it->second.set_state(v1::CONTAINER_RUNNING);
    it->second.set_started_at(absl::ToUnixNanos(clock_->Now()));
    return v1::StartContainerResponse();
  }
  absl::StatusOr<v1::StopContainerResponse> StopContainer(const v1::StopContainerRequest& req,
                                                          absl::Duration) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return absl::NotFoundError("no container");
    calls_.push_back("StopContainer " + it->second.metadata().name() + " " + std::to_string(req.timeout()));
    if (it->second.state() != v1::CONTAINER_EXITED) ExitLocked(&it->second, stop_exit_code_, "Error");
    return v1::StopContainerResponse();
  }
  absl::StatusOr<v1::RemoveContainerResponse> RemoveContainer(const v1::RemoveContainerRequest& req,
                                                              absl::Duration) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return absl::NotFoundError("no container");
    calls_.push_back("RemoveContainer " + it->second.metadata().name());
    containers_.erase(it);
    return v1::RemoveContainerResponse();
  }
  absl::StatusOr<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& req,
                                                            absl::Duration) override {
    std::lock_guard lock(mu_);
    if (unavailable_) return absl::UnavailableError("runtime down");
    v1::ListContainersResponse r;
    for (const auto& [id, c] : containers_) {
      if (!Matches(c.labels(), req.filter().label_selector())) continue;
      auto* item = r.add_containers();
      item->set_id(id);
      item->set_pod_sandbox_id(sandbox_of_.at(id));
      *item->mutable_metadata() = c.metadata();
      *item->mutable_image() = c.image();
      item->set_image_ref(c.image_ref());
      item->set_state(c.state());
      item->set_created_at(c.created_at());
      *item->mutable_labels() = c.labels();
      *item->mutable_annotations() = c.annotations();
    }
    return r;
  }
  absl::StatusOr<v1::ContainerStatusResponse> ContainerStatus(const v1::ContainerStatusRequest& req,
                                                              absl::Duration) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return absl::NotFoundError("no container");
    v1::ContainerStatusResponse r;
    *r.mutable_status() = it->second;
    return r;
  }
  absl::StatusOr<v1::UpdateContainerResourcesResponse> UpdateContainerResources(
      const v1::UpdateContainerResourcesRequest&, absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::ReopenContainerLogResponse> ReopenContainerLog(const v1::ReopenContainerLogRequest&,
                                                                    absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& req, absl::Duration) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(req.container_id());
    if (it == containers_.end()) return absl::NotFoundError("no container");
    std::string cmd;
    for (const auto& part : req.cmd()) absl::StrAppend(&cmd, " ", part);
    calls_.push_back("ExecSync " + it->second.metadata().name() + cmd);
    return v1::ExecSyncResponse();
  }
  absl::StatusOr<v1::ExecResponse> Exec(const v1::ExecRequest&, absl::Duration) override { return Unimpl(); }
  absl::StatusOr<v1::AttachResponse> Attach(const v1::AttachRequest&, absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::PortForwardResponse> PortForward(const v1::PortForwardRequest&,
                                                      absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::ContainerStatsResponse> ContainerStats(const v1::ContainerStatsRequest&,
                                                            absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::ListContainerStatsResponse> ListContainerStats(const v1::ListContainerStatsRequest&,
                                                                    absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::PodSandboxStatsResponse> PodSandboxStats(const v1::PodSandboxStatsRequest&,
                                                              absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::ListPodSandboxStatsResponse> ListPodSandboxStats(const v1::ListPodSandboxStatsRequest&,
                                                                      absl::Duration) override {
    return Unimpl();
  }

  // ---- ImageService
  absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest&, absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& req,
                                                      absl::Duration) override {
    std::lock_guard lock(mu_);
    v1::ImageStatusResponse r;
    if (images_.contains(req.image().image())) r.mutable_image()->set_id("sha256:" + req.image().image());
    return r;
  }
  absl::StatusOr<v1::PullImageResponse> PullImage(const v1::PullImageRequest& req, absl::Duration) override {
    std::lock_guard lock(mu_);
    calls_.push_back("PullImage " + req.image().image());
    if (failing_pulls_.contains(req.image().image())) return absl::NotFoundError("pull access denied");
    images_.insert(req.image().image());
    v1::PullImageResponse r;
    r.set_image_ref("sha256:" + req.image().image());
    return r;
  }
  absl::StatusOr<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest&,
                                                      absl::Duration) override {
    return Unimpl();
  }
  absl::StatusOr<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest&,
                                                      absl::Duration) override {
    return Unimpl();
  }

  void FailCreate(const std::string& name) {
    std::lock_guard lock(mu_);
    fail_create_.insert(name);
  }
  void SetUnavailable(bool down) {
    std::lock_guard lock(mu_);
    unavailable_ = down;
  }

 private:
  static absl::Status Unimpl() { return absl::UnimplementedError("fake"); }
  static bool Matches(const google::protobuf::Map<std::string, std::string>& labels,
                      const google::protobuf::Map<std::string, std::string>& selector) {
    for (const auto& [k, v] : selector) {
      auto it = labels.find(k);
      if (it == labels.end() || it->second != v) return false;
    }
    return true;
  }
  void ExitLocked(v1::ContainerStatus* c, int code, const std::string& reason) {
    c->set_state(v1::CONTAINER_EXITED);
    c->set_exit_code(code);
    c->set_reason(reason);
    c->set_finished_at(absl::ToUnixNanos(clock_->Now()));
  }

  const base::Clock* clock_;
  mutable std::mutex mu_;
  int next_id_ = 0;
  int stop_exit_code_ = 143;
  bool unavailable_ = false;
  std::set<std::string> images_, failing_pulls_, fail_create_;
  std::map<std::string, v1::PodSandboxStatus> sandboxes_;
  std::map<std::string, v1::PodSandboxConfig> sandbox_configs_;
  std::map<std::string, v1::ContainerStatus> containers_;
  std::map<std::string, std::string> sandbox_of_;
  std::map<std::string, v1::ContainerConfig> configs_;
  std::vector<std::string> order_;
  std::vector<std::string> calls_;
};

}  // namespace skiff::agent::pods::testing

#endif  // SKIFF_AGENT_PODS_FAKE_RUNTIME_FOR_TEST_H_
