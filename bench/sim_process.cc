#include "sim_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace skiff::bench {

SimProcess::SimProcess(std::string binary, std::vector<std::string> args, std::string log_path)
    : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}

SimProcess::~SimProcess() { (void)Stop(); }

std::string SimProcess::CommandLine() const {
  return absl::StrCat(binary_, " sim ", absl::StrJoin(args_, " "));
}

absl::Status SimProcess::Start() {
  if (pid_ != 0) return absl::FailedPreconditionError("sim already running");
  std::vector<std::string> all = {binary_, "sim"};
  all.insert(all.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = 0;
    return absl::InternalError(absl::StrCat("spawn ", CommandLine(), ": ", std::strerror(rc)));
  }
  return absl::OkStatus();
}

absl::Status SimProcess::CheckRunning() {
  if (pid_ == 0) return absl::FailedPreconditionError("sim not running");
  int wait_status = 0;
  if (waitpid(pid_, &wait_status, WNOHANG) != pid_) return absl::OkStatus();
  pid_ = 0;
  std::string how = WIFEXITED(wait_status)     ? absl::StrCat("exited with status ", WEXITSTATUS(wait_status))
                    : WIFSIGNALED(wait_status) ? absl::StrCat("killed by signal ", WTERMSIG(wait_status))
                                               : std::string("ended");
  return absl::AbortedError(absl::StrCat("skiff sim ", how, "\n--- sim log tail ---\n", LogTail()));
}

absl::Status SimProcess::Stop() {
  if (pid_ == 0) return absl::OkStatus();
  pid_t pid = pid_;
  pid_ = 0;
  int wait_status = 0;
  if (kill(pid, SIGTERM) != 0 && errno != ESRCH) {
    return absl::InternalError(absl::StrCat("kill SIGTERM ", pid, ": ", std::strerror(errno)));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &wait_status, WNOHANG) == pid) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &wait_status, 0);
  return absl::DeadlineExceededError("skiff sim ignored SIGTERM for 15 s; killed it");
}

std::string SimProcess::LogTail() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace skiff::bench
