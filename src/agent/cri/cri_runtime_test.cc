// Tests CriRuntime against an in-process fake CRI server on a unix socket: request/response
// plumbing, status-code mapping, deadlines and WaitUntilReady. The real-containerd integration
// test lives in agent/containerd (containerd_integration_test.cc).
#include "agent/cri/cri_runtime.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/cri/api.grpc.pb.h"
#include "gtest/gtest.h"

namespace skiff::agent::cri {
namespace {

class FakeRuntimeService final : public v1::RuntimeService::Service {
 public:
  grpc::Status Version(grpc::ServerContext*, const v1::VersionRequest* request,
                       v1::VersionResponse* response) override {
    response->set_version(request->version());
    response->set_runtime_name("fake");
    response->set_runtime_api_version("v1");
    return grpc::Status::OK;
  }
  grpc::Status ContainerStatus(grpc::ServerContext*, const v1::ContainerStatusRequest* request,
                               v1::ContainerStatusResponse*) override {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "container \"" + request->container_id() + "\" not found");
  }
  grpc::Status ExecSync(grpc::ServerContext* context, const v1::ExecSyncRequest* request,
                        v1::ExecSyncResponse* response) override {
    // Sleeps `timeout` seconds (capped by the client's deadline) to exercise deadlines.
    absl::Time until = absl::Now() + absl::Seconds(request->timeout());
    while (absl::Now() < until && !context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    response->set_stdout(request->cmd_size() > 0 ? request->cmd(0) : "");
    response->set_exit_code(3);
    return grpc::Status::OK;
  }
  grpc::Status RunPodSandbox(grpc::ServerContext*, const v1::RunPodSandboxRequest* request,
                             v1::RunPodSandboxResponse* response) override {
    if (request->config().metadata().uid().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "uid required");
    }
    response->set_pod_sandbox_id("sb-" + request->config().metadata().uid());
    return grpc::Status::OK;
  }
};

class FakeImageService final : public v1::ImageService::Service {
 public:
  grpc::Status ImageStatus(grpc::ServerContext*, const v1::ImageStatusRequest* request,
                           v1::ImageStatusResponse* response) override {
    if (request->image().image() == "present:1") {
      response->mutable_image()->set_id("sha256:abc");
      response->mutable_image()->add_repo_tags("present:1");
    }
    return grpc::Status::OK;
  }
};

class CriRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-cri-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    socket_ = (dir_ / "cri.sock").string();
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now()));
    std::filesystem::remove_all(dir_);
  }
  void StartServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix://" + socket_, grpc::InsecureServerCredentials());
    builder.RegisterService(&runtime_service_);
    builder.RegisterService(&image_service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  std::unique_ptr<CriRuntime> Connect() {
    auto runtime = CriRuntime::Create({.endpoint = socket_});
    EXPECT_TRUE(runtime.ok()) << runtime.status();
    return std::move(*runtime);
  }

  std::filesystem::path dir_;
  std::string socket_;
  FakeRuntimeService runtime_service_;
  FakeImageService image_service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST(NormalizeCriEndpointTest, AcceptsUnixUrlsAndAbsolutePaths) {
  EXPECT_EQ(*NormalizeCriEndpoint("/run/c.sock"), "unix:///run/c.sock");
  EXPECT_EQ(*NormalizeCriEndpoint("unix:///run/c.sock"), "unix:///run/c.sock");
  EXPECT_EQ(NormalizeCriEndpoint("tcp://1.2.3.4:5").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NormalizeCriEndpoint("relative.sock").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(CriRuntime::Create({.endpoint = ""}).ok());
}

TEST_F(CriRuntimeTest, CallsRoundTripMessages) {
  StartServer();
  auto runtime = Connect();
  v1::VersionRequest version;
  version.set_version("v1");
  auto reply = runtime->Version(version, kRpcDefault);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->runtime_name(), "fake");
  EXPECT_EQ(reply->version(), "v1");

  v1::RunPodSandboxRequest run;
  run.mutable_config()->mutable_metadata()->set_uid("u1");
  auto sandbox = runtime->RunPodSandbox(run, absl::Seconds(5));
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  EXPECT_EQ(sandbox->pod_sandbox_id(), "sb-u1");

  v1::ImageStatusRequest present, absent;
  present.mutable_image()->set_image("present:1");
  absent.mutable_image()->set_image("absent:1");
  auto present_status = runtime->ImageStatus(present, kRpcDefault);
  auto absent_status = runtime->ImageStatus(absent, kRpcDefault);
  ASSERT_TRUE(present_status.ok() && absent_status.ok());
  EXPECT_EQ(present_status->image().id(), "sha256:abc");
  EXPECT_FALSE(absent_status->has_image());
}

TEST_F(CriRuntimeTest, MapsErrorCodes) {
  StartServer();
  auto runtime = Connect();
  v1::ContainerStatusRequest status_request;
  status_request.set_container_id("nope");
  auto status = runtime->ContainerStatus(status_request, kRpcDefault);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.status().message().find("CRI ContainerStatus: container \"nope\""), std::string::npos)
      << status.status();

  auto invalid = runtime->RunPodSandbox(v1::RunPodSandboxRequest(), kRpcDefault);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);

  // Unimplemented RPCs of the fake keep their code too.
  auto unimplemented = runtime->ListContainers(v1::ListContainersRequest(), kRpcDefault);
  EXPECT_EQ(unimplemented.status().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(CriRuntimeTest, EnforcesDeadlinesAndExecSyncGrace) {
  StartServer();
  auto runtime = Connect();
  v1::ExecSyncRequest slow;
  slow.add_cmd("out");
  slow.set_timeout(2);
  absl::Time start = absl::Now();
  auto timed_out = runtime->ExecSync(slow, absl::Milliseconds(200));
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));

  // kRpcDefault for ExecSync = its own timeout + grace: a 1 s command completes.
  slow.set_timeout(1);
  auto done = runtime->ExecSync(slow, kRpcDefault);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->stdout(), "out");
  EXPECT_EQ(done->exit_code(), 3);
}

TEST_F(CriRuntimeTest, UnavailableWhenNothingListens) {
  auto runtime = Connect();
  auto reply = runtime->Version(v1::VersionRequest(), absl::Seconds(2));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  absl::Time start = absl::Now();
  EXPECT_EQ(runtime->WaitUntilReady(absl::Milliseconds(300)).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST_F(CriRuntimeTest, WaitUntilReadySeesALateServer) {
  auto runtime = Connect();
  std::thread late([this] {
    absl::SleepFor(absl::Milliseconds(400));
    StartServer();
  });
  absl::Time start = absl::Now();
  absl::Status ready = runtime->WaitUntilReady(absl::Seconds(10));
  late.join();
  EXPECT_TRUE(ready.ok()) << ready;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));  // reconnect backoff is short
}

}  // namespace
}  // namespace skiff::agent::cri
