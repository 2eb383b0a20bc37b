// Netns: a fresh, anonymous network namespace kept alive by a file descriptor, so tests and
// benchmarks can program nftables, create interfaces and send packets without touching the
// host's network. Nothing is named or mounted: closing the descriptor (and ending every thread
// and process still inside) makes the namespace and everything in it disappear.
// Thread-safety: Run/Exec may be called from any thread, concurrently. Ownership: owns the fd.
// Failure: Create() returns the errno text of unshare/open (e.g. without CAP_SYS_ADMIN); Exec
// returns Internal with the command's exit status.
#ifndef SKIFF_AGENT_PROXY_NETNS_H_
#define SKIFF_AGENT_PROXY_NETNS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/file.h"

namespace skiff::agent::proxy {

class Netns {
 public:
  static absl::StatusOr<std::unique_ptr<Netns>> Create();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  // Runs `fn` on a new thread that has entered the namespace and waits for it. Threads and
  // processes started by `fn` (and sockets it opens) stay in the namespace. Fails only when the
  // thread cannot enter it.
  absl::Status Run(const std::function<void()>& fn);
  // Runs `sh -c command` inside the namespace.
  absl::Status Exec(const std::string& command);
  // A path other processes can open to refer to the namespace (/proc/<pid>/fd/<fd>), e.g.
  // `ip link set DEV netns PATH` or `nsenter --net=PATH`.
  std::string path() const;

 private:
  explicit Netns(int fd) : fd_(fd) {}
  base::UniqueFd fd_;
};

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_NETNS_H_
