#include "child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>

#include "base/json.h"
#include "boost/json.hpp"

extern char** environ;

namespace skiff::bench {

pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : 0;
}

int RunLogged(const std::vector<std::string>& args, const std::string& log_path) {
  pid_t pid = Spawn(args, log_path);
  if (pid == 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool ConditionTrue(const boost::json::value& obj, std::string_view type) {
  const boost::json::value* conds = base::FindPath(obj, {"status", "conditions"});
  if (!conds || !conds->is_array()) return false;
  for (const auto& c : conds->as_array()) {
    if (base::GetString(c, {"type"}) == type && base::GetString(c, {"status"}) == "True") return true;
  }
  return false;
}

std::string FileTail(const std::string& path, size_t bytes) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

}  // namespace skiff::bench
