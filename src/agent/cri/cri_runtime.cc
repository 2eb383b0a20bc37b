#include "agent/cri/cri_runtime.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/cri/api.grpc.pb.h"
#include "agent/cri/grpc_status.h"

namespace skiff::agent::cri {
namespace {

// ExecSync output may be up to 16 MiB per stream; ListContainers on a busy node is large too.
constexpr int kMaxMessageBytes = 64 << 20;

absl::Duration ResolveTimeout(absl::Duration requested, absl::Duration fallback) {
  return requested == kRpcDefault ? fallback : requested;
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace

absl::StatusOr<std::string> NormalizeCriEndpoint(const std::string& endpoint) {
  std::string path = endpoint;
  if (absl::StartsWith(path, "unix://")) path = path.substr(7);
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("CRI endpoint must be unix:///path or an absolute socket path, got \"", endpoint, "\""));
  }
  return absl::StrCat("unix://", path);
}

struct CriRuntime::Impl {
  CriRuntimeOptions options;
  std::string target;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::RuntimeService::Stub> runtime;
  std::unique_ptr<v1::ImageService::Stub> images;

  template <typename Stub, typename Request, typename Response>
  absl::StatusOr<Response> Call(Stub* stub,
                                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                                absl::string_view rpc, const Request& request, absl::Duration timeout) {
    grpc::ClientContext context;
    SetDeadline(context, timeout);
    Response response;
    grpc::Status status = (stub->*method)(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status, rpc);
    return response;
  }
};

absl::StatusOr<std::unique_ptr<CriRuntime>> CriRuntime::Create(CriRuntimeOptions options) {
  absl::StatusOr<std::string> target = NormalizeCriEndpoint(options.endpoint);
  if (!target.ok()) return target.status();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->target = *target;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Reconnect quickly after containerd (re)starts instead of gRPC's default 1 s..120 s backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  impl->channel = grpc::CreateCustomChannel(impl->target, grpc::InsecureChannelCredentials(), args);
  impl->runtime = v1::RuntimeService::NewStub(impl->channel);
  impl->images = v1::ImageService::NewStub(impl->channel);
  return std::unique_ptr<CriRuntime>(new CriRuntime(std::move(impl)));
}

CriRuntime::CriRuntime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CriRuntime::~CriRuntime() = default;

const std::string& CriRuntime::target() const { return impl_->target; }

absl::Status CriRuntime::WaitUntilReady(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::UnavailableError("not attempted");
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    grpc::ClientContext context;
    context.set_wait_for_ready(true);  // wait for the socket instead of failing fast
    SetDeadline(context, std::min(left, absl::Seconds(2)));
    v1::VersionRequest request;
    request.set_version("v1");
    v1::VersionResponse response;
    grpc::Status status = impl_->runtime->Version(&context, request, &response);
    if (status.ok()) return absl::OkStatus();
    last = FromGrpcStatus(status, "Version");
    // E.g. UNIMPLEMENTED while containerd is still loading its CRI plugin.
    absl::SleepFor(std::min(absl::Milliseconds(50), deadline - absl::Now()));
  }
  return absl::DeadlineExceededError(absl::StrCat("CRI runtime at ", impl_->target, " not ready after ",
                                                  absl::FormatDuration(timeout), ": ", last.message()));
}

// One RPC method: `member` is the stub in Impl, `Service` its generated service class,
// `fallback` the deadline used for kRpcDefault (may refer to `request`).
#define SKIFF_CRI_RPC(member, Service, Rpc, fallback)                                \
  absl::StatusOr<v1::Rpc##Response> CriRuntime::Rpc(const v1::Rpc##Request& request, \
                                                    absl::Duration timeout) {        \
    return impl_->Call(impl_->member.get(), &v1::Service::Stub::Rpc, #Rpc, request,  \
                       ResolveTimeout(timeout, fallback));                           \
  }

#define SKIFF_CRI_DEFAULT impl_->options.default_timeout

SKIFF_CRI_RPC(runtime, RuntimeService, Version, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, Status, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, UpdateRuntimeConfig, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, RunPodSandbox, SKIFF_CRI_DEFAULT * 6)  // CNI setup can be slow
SKIFF_CRI_RPC(runtime, RuntimeService, StopPodSandbox, SKIFF_CRI_DEFAULT * 6)
SKIFF_CRI_RPC(runtime, RuntimeService, RemovePodSandbox, SKIFF_CRI_DEFAULT * 6)
SKIFF_CRI_RPC(runtime, RuntimeService, PodSandboxStatus, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, ListPodSandbox, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, CreateContainer, SKIFF_CRI_DEFAULT * 6)
SKIFF_CRI_RPC(runtime, RuntimeService, StartContainer, SKIFF_CRI_DEFAULT * 6)
SKIFF_CRI_RPC(runtime, RuntimeService, StopContainer, absl::Seconds(request.timeout()) + impl_->options.grace)
SKIFF_CRI_RPC(runtime, RuntimeService, RemoveContainer, SKIFF_CRI_DEFAULT * 6)
SKIFF_CRI_RPC(runtime, RuntimeService, ListContainers, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, ContainerStatus, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, UpdateContainerResources, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, ReopenContainerLog, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, ExecSync,
              request.timeout() > 0 ? absl::Seconds(request.timeout()) + impl_->options.grace
                                    : absl::InfiniteDuration())
SKIFF_CRI_RPC(runtime, RuntimeService, Exec, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, Attach, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, PortForward, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, ContainerStats, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, ListContainerStats, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, PodSandboxStats, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(runtime, RuntimeService, ListPodSandboxStats, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(images, ImageService, ListImages, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(images, ImageService, ImageStatus, SKIFF_CRI_DEFAULT)
SKIFF_CRI_RPC(images, ImageService, PullImage, impl_->options.pull_timeout)
SKIFF_CRI_RPC(images, ImageService, RemoveImage, SKIFF_CRI_DEFAULT * 6)
SKIFF_CRI_RPC(images, ImageService, ImageFsInfo, SKIFF_CRI_DEFAULT)

#undef SKIFF_CRI_DEFAULT
#undef SKIFF_CRI_RPC

}  // namespace skiff::agent::cri
