#include "agent/containerd/mount_points.h"

#include <algorithm>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace skiff::agent::containerd {
namespace {

// Decodes the \ooo escapes mountinfo uses for space, tab, newline and backslash.
std::string UnescapeMountPath(absl::string_view text) {
  auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && is_octal(text[i + 1]) && is_octal(text[i + 2]) &&
        is_octal(text[i + 3])) {
      out.push_back(
          static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

bool PathIsUnder(const std::string& path, const std::string& dir) {
  if (dir.empty() || path.size() < dir.size() || path.compare(0, dir.size(), dir) != 0) {
    return false;
  }
  return path.size() == dir.size() || dir.back() == '/' || path[dir.size()] == '/';
}

std::vector<std::string> MountPointsUnder(const std::string& mountinfo, const std::string& dir) {
  std::vector<std::string> mounts;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // "<id> <parent> <major:minor> <root> <mount point> <options> ..."
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 5) continue;
    std::string mount_point = UnescapeMountPath(fields[4]);
    if (PathIsUnder(mount_point, dir)) mounts.push_back(std::move(mount_point));
  }
  // Deepest first; a path mounted twice is listed twice (each unmount peels one).
  std::stable_sort(mounts.begin(), mounts.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  return mounts;
}

bool HasCgroupMount(const std::string& mountinfo) {
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // The filesystem type follows the " - " separator after the optional fields.
    size_t separator = line.find(" - ");
    if (separator == absl::string_view::npos) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line.substr(separator + 3), ' ');
    if (!fields.empty() && (fields[0] == "cgroup" || fields[0] == "cgroup2")) return true;
  }
  return false;
}

}  // namespace skiff::agent::containerd
