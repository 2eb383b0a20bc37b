#include "agent/containerd/image_import.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/containerd/config.h"
#include "base/process.h"

namespace skiff::agent::containerd {

std::vector<std::string> ParseImportedNames(const std::string& ctr_output) {
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(ctr_output, '\n')) {
    if (!absl::ConsumePrefix(&line, "unpacking ")) continue;
    size_t space = line.find(' ');
    if (space != absl::string_view::npos && space > 0) names.emplace_back(line.substr(0, space));
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> ImportImageArchive(const std::string& socket,
                                                            const std::string& archive,
                                                            const ImportOptions& options) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(archive, error)) {
    return absl::NotFoundError(absl::StrCat("image archive ", archive, " not found"));
  }
  std::string address(absl::StripPrefix(socket, "unix://"));
  // ctr 1.6 unpacks by default; naming comes from the archive's index annotations.
  absl::StatusOr<base::CommandResult> result =
      base::RunCommand({options.ctr_binary, "--address", address, "--namespace", kCriNamespace, "images", "import",
                  "--snapshotter", options.snapshotter, archive},
                 options.timeout);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("ctr images import ", archive, " failed (exit ",
                                            result->exit_code, "): ", result->output));
  }
  std::vector<std::string> names = ParseImportedNames(result->output);
  if (names.empty()) {
    return absl::InternalError(
        absl::StrCat("ctr imported no named image from ", archive, ": ", result->output));
  }
  return names;
}

}  // namespace skiff::agent::containerd
