// Preconditions of tests that need the real host: root, and containerd with its tools. Such tests
// fail (never skip) when a precondition is missing, naming what is missing: scripts/install-deps.sh
// installs the tools and the test command runs as root, so a missing one is an error to report.
// Thread-safety: pure reads of the process state and the file system. Never fails; the result
// says what is missing.
#ifndef SKIFF_BASE_TESTING_HOST_H_
#define SKIFF_BASE_TESTING_HOST_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::base::testing {

// Whether `tool` is an executable file in a directory of PATH.
inline bool OnPath(const std::string& tool) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':', absl::SkipEmpty())) {
    if (access(absl::StrCat(dir, "/", tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Empty when the process runs as root; otherwise why `what` cannot run.
inline std::string MissingRoot(const std::string& what) {
  return geteuid() == 0 ? "" : absl::StrCat(what, " needs root: run the tests as root");
}

// Empty when this host can run containers (root; containerd, ctr, runc and the runc shim on
// PATH); otherwise what is missing.
inline std::string MissingContainerHost() {
  if (std::string root = MissingRoot("running containers"); !root.empty()) return root;
  for (const char* tool : {"containerd", "ctr", "runc", "containerd-shim-runc-v2"}) {
    if (!OnPath(tool)) return absl::StrCat(tool, " is not on PATH (scripts/install-deps.sh installs it)");
  }
  return "";
}

}  // namespace skiff::base::testing

#endif  // SKIFF_BASE_TESTING_HOST_H_
