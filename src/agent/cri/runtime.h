// Runtime: the node agent's view of a CRI container runtime (RuntimeService + ImageService of
// runtime.v1). One method per RPC; requests and responses are the generated runtime.v1 messages
// (agent/cri/api.pb.h), so callers build exactly what the kubelet would send.
//
// Thread-safety: implementations are safe to call concurrently from any number of threads.
// Ownership: the caller owns requests and receives responses by value; a Runtime holds no
// references to them after the call returns.
// Timeouts: every call takes `timeout`, the deadline for that one call. kRpcDefault (zero) selects
// the implementation's default for that RPC (CriRuntime: 10 s; PullImage 2 min; ExecSync the
// request's timeout plus a grace period, no deadline when the request's timeout is 0);
// absl::InfiniteDuration() means no deadline.
// Failures: absl::Status codes follow gRPC's: NotFound (unknown sandbox/container),
// DeadlineExceeded (call timed out), Unavailable (runtime unreachable — retry later),
// InvalidArgument, FailedPrecondition, Unknown (runtime-side error; message from the runtime).
// ImageStatus of an absent image is OK with `image` unset, as in CRI.
#ifndef SKIFF_AGENT_CRI_RUNTIME_H_
#define SKIFF_AGENT_CRI_RUNTIME_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/cri/api.pb.h"

namespace skiff::agent::cri {

namespace v1 = ::runtime::v1;

// Pass as `timeout` to use the RPC's default deadline.
inline constexpr absl::Duration kRpcDefault = absl::ZeroDuration();

class Runtime {
 public:
  virtual ~Runtime() = default;

  // --- RuntimeService
  virtual absl::StatusOr<v1::VersionResponse> Version(const v1::VersionRequest& request,
                                                      absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest& request,
                                                    absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::UpdateRuntimeConfigResponse> UpdateRuntimeConfig(
      const v1::UpdateRuntimeConfigRequest& request, absl::Duration timeout) = 0;

  virtual absl::StatusOr<v1::RunPodSandboxResponse> RunPodSandbox(const v1::RunPodSandboxRequest& request,
                                                                  absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::StopPodSandboxResponse> StopPodSandbox(const v1::StopPodSandboxRequest& request,
                                                                    absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::RemovePodSandboxResponse> RemovePodSandbox(
      const v1::RemovePodSandboxRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::PodSandboxStatusResponse> PodSandboxStatus(
      const v1::PodSandboxStatusRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ListPodSandboxResponse> ListPodSandbox(const v1::ListPodSandboxRequest& request,
                                                                    absl::Duration timeout) = 0;

  virtual absl::StatusOr<v1::CreateContainerResponse> CreateContainer(
      const v1::CreateContainerRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::StartContainerResponse> StartContainer(const v1::StartContainerRequest& request,
                                                                    absl::Duration timeout) = 0;
  // The call itself waits up to request.timeout() seconds for the container to exit; pass a
  // `timeout` longer than that (kRpcDefault adds the grace period automatically).
  virtual absl::StatusOr<v1::StopContainerResponse> StopContainer(const v1::StopContainerRequest& request,
                                                                  absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::RemoveContainerResponse> RemoveContainer(
      const v1::RemoveContainerRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& request,
                                                                    absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ContainerStatusResponse> ContainerStatus(
      const v1::ContainerStatusRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::UpdateContainerResourcesResponse> UpdateContainerResources(
      const v1::UpdateContainerResourcesRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ReopenContainerLogResponse> ReopenContainerLog(
      const v1::ReopenContainerLogRequest& request, absl::Duration timeout) = 0;

  // A command that exits non-zero is still OK: see response.exit_code().
  virtual absl::StatusOr<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& request,
                                                        absl::Duration timeout) = 0;
  // Exec/Attach/PortForward return the URL of the runtime's streaming server for the session.
  virtual absl::StatusOr<v1::ExecResponse> Exec(const v1::ExecRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::AttachResponse> Attach(const v1::AttachRequest& request,
                                                    absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::PortForwardResponse> PortForward(const v1::PortForwardRequest& request,
                                                              absl::Duration timeout) = 0;

  virtual absl::StatusOr<v1::ContainerStatsResponse> ContainerStats(const v1::ContainerStatsRequest& request,
                                                                    absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ListContainerStatsResponse> ListContainerStats(
      const v1::ListContainerStatsRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::PodSandboxStatsResponse> PodSandboxStats(
      const v1::PodSandboxStatsRequest& request, absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ListPodSandboxStatsResponse> ListPodSandboxStats(
      const v1::ListPodSandboxStatsRequest& request, absl::Duration timeout) = 0;

  // --- ImageService
  virtual absl::StatusOr<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& request,
                                                            absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& request,
                                                              absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::PullImageResponse> PullImage(const v1::PullImageRequest& request,
                                                          absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& request,
                                                              absl::Duration timeout) = 0;
  virtual absl::StatusOr<v1::ImageFsInfoResponse> ImageFsInfo(const v1::ImageFsInfoRequest& request,
                                                              absl::Duration timeout) = 0;
};

}  // namespace skiff::agent::cri

#endif  // SKIFF_AGENT_CRI_RUNTIME_H_
