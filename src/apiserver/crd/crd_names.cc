#include "apiserver/crd/crd_names.h"

#include "absl/strings/str_split.h"

namespace skiff::apiserver::crd {

std::vector<std::string> SplitFieldPath(std::string_view json_path) {
  if (json_path.size() < 2 || json_path.front() != '.') return {};
  std::vector<std::string> out = absl::StrSplit(absl::string_view(json_path.data() + 1, json_path.size() - 1), '.');
  for (const auto& part : out) {
    if (part.empty() || part.find_first_of("[]*@ ") != std::string::npos) return {};
  }
  return out;
}

}  // namespace skiff::apiserver::crd
