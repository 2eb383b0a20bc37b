#include "agent/server/container_locator.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace skiff::agent::server {

namespace {

constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
constexpr absl::Duration kRpcTimeout = absl::Seconds(10);

}  // namespace

std::vector<uint32_t> LogAttempts(const std::string& dir) {
  std::vector<uint32_t> attempts;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    absl::string_view stem = name;
    uint32_t attempt = 0;
    if (absl::ConsumeSuffix(&stem, ".log") && absl::SimpleAtoi(stem, &attempt)) attempts.push_back(attempt);
  }
  std::sort(attempts.begin(), attempts.end());
  return attempts;
}

absl::StatusOr<PodRef> ContainerLocator::FindPod(const std::string& ns, const std::string& name) const {
  cri::v1::ListPodSandboxRequest request;
  auto& labels = *request.mutable_filter()->mutable_label_selector();
  labels[kPodNamespaceLabel] = ns;
  labels[kPodNameLabel] = name;
  absl::StatusOr<cri::v1::ListPodSandboxResponse> response = runtime_->ListPodSandbox(request, kRpcTimeout);
  if (!response.ok()) return response.status();
  const cri::v1::PodSandbox* newest = nullptr;
  for (const auto& s : response->items()) {
    // A ready sandbox wins over a stopped one; among equals, the newest.
    auto rank = [](const cri::v1::PodSandbox& p) {
      return std::make_pair(p.state() == cri::v1::SANDBOX_READY ? 1 : 0, p.created_at());
    };
    if (!newest || rank(s) > rank(*newest)) newest = &s;
  }
  if (!newest)
    return absl::NotFoundError(
        absl::StrCat("pod \"", name, "\" in namespace \"", ns, "\" is not on this node"));
  auto uid = newest->labels().find(kPodUidLabel);
  return PodRef{uid == newest->labels().end() ? "" : uid->second, newest->id()};
}

absl::StatusOr<std::vector<ContainerRef>> ContainerLocator::FindContainers(
    const PodRef& pod, const std::string& container) const {
  cri::v1::ListContainersRequest request;
  auto& labels = *request.mutable_filter()->mutable_label_selector();
  labels[kPodUidLabel] = pod.uid;
  labels[kContainerNameLabel] = container;
  absl::StatusOr<cri::v1::ListContainersResponse> response = runtime_->ListContainers(request, kRpcTimeout);
  if (!response.ok()) return response.status();
  std::vector<ContainerRef> out;
  for (const auto& c : response->containers()) {
    out.push_back({c.id(), c.metadata().attempt(), c.state() == cri::v1::CONTAINER_RUNNING});
  }
  std::sort(out.begin(), out.end(),
            [](const ContainerRef& a, const ContainerRef& b) { return a.attempt < b.attempt; });
  return out;
}

bool ContainerLocator::IsRunning(const std::string& container_id) const {
  cri::v1::ContainerStatusRequest request;
  request.set_container_id(container_id);
  absl::StatusOr<cri::v1::ContainerStatusResponse> response = runtime_->ContainerStatus(request, kRpcTimeout);
  return response.ok() && response->status().state() == cri::v1::CONTAINER_RUNNING;
}

std::string ContainerLocator::LogDirectory(const PodRef& pod, const std::string& container) const {
  return absl::StrCat(pods_dir_, "/", pod.uid, "/logs/", container);
}

}  // namespace skiff::agent::server
