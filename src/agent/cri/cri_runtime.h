// CriRuntime: the Runtime interface over gRPC to a CRI endpoint (containerd's CRI plugin) on a
// unix socket. gRPC types stay inside cri_runtime.cc; this header exposes only absl/std types and
// the generated runtime.v1 messages.
//
// Thread-safety: all methods may be called concurrently (one shared gRPC channel).
// Ownership: owns its channel and stubs; callers own the returned object.
// Failures: RPC errors become absl::Status with the gRPC code kept (see runtime.h) and the RPC
// name prefixed to the message. The channel reconnects by itself (backoff 100 ms..1 s) when the
// runtime restarts; calls made while it is down fail fast with Unavailable.
#ifndef SKIFF_AGENT_CRI_CRI_RUNTIME_H_
#define SKIFF_AGENT_CRI_CRI_RUNTIME_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/cri/runtime.h"

namespace skiff::agent::cri {

struct CriRuntimeOptions {
  // "unix:///abs/path.sock" or a plain absolute socket path.
  std::string endpoint;
  absl::Duration default_timeout = absl::Seconds(10);
  absl::Duration pull_timeout = absl::Minutes(2);
  // Added to ExecSync's own timeout and to StopContainer's grace period for the RPC deadline.
  absl::Duration grace = absl::Seconds(10);
};

class CriRuntime final : public Runtime {
 public:
  // Creates the channel (lazily connected); fails only for a malformed endpoint.
  static absl::StatusOr<std::unique_ptr<CriRuntime>> Create(CriRuntimeOptions options);
  ~CriRuntime() override;
  CriRuntime(const CriRuntime&) = delete;
  CriRuntime& operator=(const CriRuntime&) = delete;

  // Waits until the runtime answers Version (the socket exists and the CRI service is loaded).
  // DeadlineExceeded (with the last error in the message) if it does not within `timeout`.
  absl::Status WaitUntilReady(absl::Duration timeout);

  const std::string& target() const;

  absl::StatusOr<v1::VersionResponse> Version(const v1::VersionRequest& request,
                                              absl::Duration timeout) override;
  absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest& request,
                                            absl::Duration timeout) override;
  absl::StatusOr<v1::UpdateRuntimeConfigResponse> UpdateRuntimeConfig(
      const v1::UpdateRuntimeConfigRequest& request, absl::Duration timeout) override;
  absl::StatusOr<v1::RunPodSandboxResponse> RunPodSandbox(const v1::RunPodSandboxRequest& request,
                                                          absl::Duration timeout) override;
  absl::StatusOr<v1::StopPodSandboxResponse> StopPodSandbox(const v1::StopPodSandboxRequest& request,
                                                            absl::Duration timeout) override;
  absl::StatusOr<v1::RemovePodSandboxResponse> RemovePodSandbox(const v1::RemovePodSandboxRequest& request,
                                                                absl::Duration timeout) override;
  absl::StatusOr<v1::PodSandboxStatusResponse> PodSandboxStatus(const v1::PodSandboxStatusRequest& request,
                                                                absl::Duration timeout) override;
  absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandbox(const v1::ListPodSandboxRequest& request,
                                                            absl::Duration timeout) override;
  absl::StatusOr<v1::CreateContainerResponse> CreateContainer(const v1::CreateContainerRequest& request,
                                                              absl::Duration timeout) override;
  absl::StatusOr<v1::StartContainerResponse> StartContainer(const v1::StartContainerRequest& request,
                                                            absl::Duration timeout) override;
  absl::StatusOr<v1::StopContainerResponse> StopContainer(const v1::StopContainerRequest& request,
                                                          absl::Duration timeout) override;
  absl::StatusOr<v1::RemoveContainerResponse> RemoveContainer(const v1::RemoveContainerRequest& request,
                                                              absl::Duration timeout) override;
  absl::StatusOr<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& request,
                                                            absl::Duration timeout) override;
  absl::StatusOr<v1::ContainerStatusResponse> ContainerStatus(const v1::ContainerStatusRequest& request,
                                                              absl::Duration timeout) override;
  absl::StatusOr<v1::UpdateContainerResourcesResponse> UpdateContainerResources(
      const v1::UpdateContainerResourcesRequest& request, absl::Duration timeout) override;
  absl::StatusOr<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const v1::ReopenContainerLogRequest& request, absl::Duration timeout) override;
  absl::StatusOr<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& request,
                                                absl::Duration timeout) override;
  absl::StatusOr<v1::ExecResponse> Exec(const v1::ExecRequest& request, absl::Duration timeout) override;
  absl::StatusOr<v1::AttachResponse> Attach(const v1::AttachRequest& request,
                                            absl::Duration timeout) override;
  absl::StatusOr<v1::PortForwardResponse> PortForward(const v1::PortForwardRequest& request,
                                                      absl::Duration timeout) override;
  absl::StatusOr<v1::ContainerStatsResponse> ContainerStats(const v1::ContainerStatsRequest& request,
                                                            absl::Duration timeout) override;
  absl::StatusOr<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest& request, absl::Duration timeout) override;
  absl::StatusOr<v1::PodSandboxStatsResponse> PodSandboxStats(const v1::PodSandboxStatsRequest& request,
                                                              absl::Duration timeout) override;
  absl::StatusOr<v1::ListPodSandboxStatsResponse> ListPodSandboxStats(
      const v1::ListPodSandboxStatsRequest& request, absl::Duration timeout) override;
  absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& request,
                                                    absl::Duration timeout) override;
  absl::StatusOr<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& request,
                                                      absl::Duration timeout) override;
  absl::StatusOr<v1::PullImageResponse> PullImage(const v1::PullImageRequest& request,
                                                  absl::Duration timeout) override;
  absl::StatusOr<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& request,
                                                      absl::Duration timeout) override;
  absl::StatusOr<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest& request,
                                                      absl::Duration timeout) override;

 private:
  struct Impl;
  explicit CriRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "unix:///x.sock" for "/x.sock" or "unix:///x.sock"; InvalidArgument for anything else.
absl::StatusOr<std::string> NormalizeCriEndpoint(const std::string& endpoint);

}  // namespace skiff::agent::cri

#endif  // SKIFF_AGENT_CRI_CRI_RUNTIME_H_
