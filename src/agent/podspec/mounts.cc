#include "agent/podspec/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/strings.h"

namespace skiff::agent::podspec {

namespace {

std::string DecodeOctal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto octal = [&](size_t j) { return s[j] >= '0' && s[j] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Clean(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

absl::Status ErrnoStatus(std::string_view what, const std::string& path) {
  std::string message = absl::StrCat(base::Av(what), " ", path, ": ", std::strerror(errno));
  if (errno == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

}  // namespace

std::vector<std::string> ListMountPoints() {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    if (fields >> id >> parent >> dev >> root >> mount_point) out.push_back(DecodeOctal(mount_point));
  }
  return out;
}

std::vector<std::string> MountPointsUnder(const std::string& dir) {
  std::string base = Clean(dir);
  std::vector<std::string> out;
  for (const std::string& mp : ListMountPoints()) {
    if (mp == base || mp.starts_with(base + "/")) out.push_back(mp);
  }
  return out;
}

bool IsMountPoint(const std::string& path) {
  std::string clean = Clean(path);
  std::vector<std::string> all = ListMountPoints();
  return std::find(all.begin(), all.end(), clean) != all.end();
}

absl::Status MountTmpfs(const std::string& path, int64_t size_bytes) {
  std::string options = "mode=0777";
  if (size_bytes > 0) absl::StrAppend(&options, ",size=", size_bytes);
  if (mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    return ErrnoStatus("mounting tmpfs at", path);
  }
  return absl::OkStatus();
}

absl::Status UnmountAllUnder(const std::string& dir) {
  std::vector<std::string> points = MountPointsUnder(dir);
  // Deepest (and most recently mounted) first: reverse mount order, then longer paths first.
  std::reverse(points.begin(), points.end());
  std::stable_sort(points.begin(), points.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& mp : points) {
    if (umount2(mp.c_str(), 0) != 0 && errno != EINVAL && errno != ENOENT) {
      if (umount2(mp.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        return ErrnoStatus("unmounting", mp);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace skiff::agent::podspec
