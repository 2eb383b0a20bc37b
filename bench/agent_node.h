// AgentNode: the one-node cluster with real containers that pod_startup_bench and
// service_throughput_bench run against: `skiff server --disable-agent` and a separate `skiff agent`
// process (node "bench-node", so the agent's RSS and CPU are its own), waited for until the node is
// Ready with a podCIDR, with the busybox test image (scripts/oci_image.py --busybox) imported.
// Thread-safety: one owner thread. Ownership: owns both children; Stop() (or the destructor) ends
// the agent, removes everything it created (`skiff agent reset`) and stops the server.
// Failure: Start returns the first step that failed, naming the log to read.
#ifndef SKIFF_BENCH_AGENT_NODE_H_
#define SKIFF_BENCH_AGENT_NODE_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "skiff_process.h"

namespace skiff::bench {

inline constexpr char kBenchNodeName[] = "bench-node";

class AgentNode {
 public:
  explicit AgentNode(std::string skiff_binary) : skiff_(std::move(skiff_binary)) {}
  ~AgentNode() { Stop(); }
  AgentNode(const AgentNode&) = delete;
  AgentNode& operator=(const AgentNode&) = delete;

  absl::Status Start(const std::string& oci_image_py);
  void Stop();

  // Valid after a successful Start (server() is null before).
  SkiffProcess* server() const { return server_.get(); }
  const std::string& root() const { return root_; }  // temp dir: data/, agent/, logs
  const std::string& agent_dir() const { return agent_dir_; }
  const std::string& agent_log() const { return agent_log_; }
  pid_t agent_pid() const { return agent_pid_; }

 private:
  absl::Status WaitReady(std::chrono::seconds timeout);

  std::string skiff_;
  std::unique_ptr<SkiffProcess> server_;
  std::string root_, agent_dir_, agent_log_;
  pid_t agent_pid_ = 0;
};

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_AGENT_NODE_H_
