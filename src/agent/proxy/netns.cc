#include "agent/proxy/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

namespace skiff::agent::proxy {

absl::StatusOr<std::unique_ptr<Netns>> Netns::Create() {
  int fd = -1;
  std::string error;
  // unshare() only moves the calling thread, so a short-lived thread does it and hands back a
  // descriptor of its new namespace.
  std::thread([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      error = absl::StrCat("unshare(CLONE_NEWNET): ", std::strerror(errno));
      return;
    }
    fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) error = absl::StrCat("open /proc/thread-self/ns/net: ", std::strerror(errno));
  }).join();
  if (fd < 0) return absl::FailedPreconditionError(error);
  return std::unique_ptr<Netns>(new Netns(fd));
}

absl::Status Netns::Run(const std::function<void()>& fn) {
  absl::Status status;
  std::thread([&] {
    if (setns(fd_.get(), CLONE_NEWNET) != 0) {
      status = absl::FailedPreconditionError(absl::StrCat("setns: ", std::strerror(errno)));
      return;
    }
    fn();
  }).join();
  return status;
}

absl::Status Netns::Exec(const std::string& command) {
  int rc = -1;
  absl::Status entered = Run([&] { rc = std::system(command.c_str()); });
  if (!entered.ok()) return entered;
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return absl::InternalError(absl::StrCat("`", command, "` failed (status ", rc, ")"));
  }
  return absl::OkStatus();
}

std::string Netns::path() const { return absl::StrCat("/proc/", getpid(), "/fd/", fd_.get()); }

}  // namespace skiff::agent::proxy
