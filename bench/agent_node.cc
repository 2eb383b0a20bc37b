#include "agent_node.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "child_process.h"
#include "benches.h"

namespace skiff::bench {

absl::Status AgentNode::Start(const std::string& oci_image_py) {
  auto server = SkiffProcess::Create(skiff_, false);
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  if (auto started = server_->Start(std::chrono::seconds(30)); !started.ok()) return started.status();
  root_ = std::filesystem::path(server_->data_dir()).parent_path().string();
  agent_dir_ = root_ + "/agent";
  agent_log_ = root_ + "/agent.log";
  const Endpoint& ep = server_->endpoint();
  // The agents' join token (DIR/node.token); the admin token while the server does not accept it.
  // Only a 401 means "not accepted": the Node authorizer denies the bootstrap user the node list
  // (403), and an admin-token agent's node certificate request would never be approved.
  std::string token_file = server_->data_dir() + "/node.token";
  Endpoint node_ep = ep;
  std::ifstream token_in(token_file);
  std::getline(token_in, node_ep.token);
  if (auto r = SendOnce(node_ep, "GET", "/api/v1/nodes", ""); !r.ok() || r->status == 401) {
    token_file = server_->data_dir() + "/admin.token";
  }
  agent_pid_ =
      Spawn({skiff_, "agent", "--server", absl::StrCat("https://127.0.0.1:", ep.port), "--token-file",
             token_file, "--ca-file", ep.ca_file, "--data-dir", agent_dir_, "--node-name", kBenchNodeName},
            agent_log_);
  if (agent_pid_ == 0) return absl::InternalError("could not spawn skiff agent");
  if (absl::Status s = WaitReady(std::chrono::seconds(120)); !s.ok()) return s;
  std::string archive = root_ + "/busybox.tar";
  std::string log = root_ + "/image.log";
  if (RunLogged({"/usr/bin/python3", oci_image_py, "--busybox", "-o", archive}, log) != 0) {
    return absl::InternalError("building the busybox image failed (see " + log + ")");
  }
  if (RunLogged({skiff_, "images", "import", archive, "--data-dir", agent_dir_}, log) != 0) {
    // The log goes with the temporary directory: keep its end in the error.
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return absl::InternalError("importing the busybox image failed: " + text.substr(text.size() > 800 ? text.size() - 800 : 0));
  }
  return absl::OkStatus();
}

absl::Status AgentNode::WaitReady(std::chrono::seconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto r = SendOnce(server_->endpoint(), "GET", absl::StrCat("/api/v1/nodes/", kBenchNodeName), "");
    if (r.ok() && r->status == 200) {
      auto node = base::ParseJson(r->body);
      if (node.ok() && ConditionTrue(*node, "Ready") && !base::GetString(*node, {"spec", "podCIDR"}).empty())
        return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("node ", kBenchNodeName, " did not become Ready; agent log: ", agent_log_));
}

void AgentNode::Stop() {
  if (agent_pid_ != 0) {
    kill(agent_pid_, SIGTERM);
    waitpid(agent_pid_, nullptr, 0);
    agent_pid_ = 0;
  }
  if (!agent_dir_.empty()) RunLogged({skiff_, "agent", "reset", "--data-dir", agent_dir_}, "/dev/null");
  agent_dir_.clear();
  if (server_) (void)server_->Stop();
}

}  // namespace skiff::bench
