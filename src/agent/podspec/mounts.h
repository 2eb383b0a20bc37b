// Host mount helpers for pod volumes: tmpfs for emptyDir medium Memory, mount point discovery
// from /proc/self/mountinfo, unmounting before a pod directory is removed.
// Thread-safety: functions are safe to call concurrently (the kernel serialises mounts).
// Ownership: none. Failure: Internal with the errno text (mount/umount need CAP_SYS_ADMIN;
// PermissionDenied when it is missing).
#ifndef SKIFF_AGENT_PODSPEC_MOUNTS_H_
#define SKIFF_AGENT_PODSPEC_MOUNTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace skiff::agent::podspec {

// Mount points listed in /proc/self/mountinfo (octal escapes decoded), in mount order.
std::vector<std::string> ListMountPoints();
// Mount points of ListMountPoints() equal to or below `dir`.
std::vector<std::string> MountPointsUnder(const std::string& dir);
bool IsMountPoint(const std::string& path);

// Mounts a tmpfs at `path` (an existing directory) with mode 0777; size_bytes 0 = kernel default.
absl::Status MountTmpfs(const std::string& path, int64_t size_bytes);
// Unmounts every mount at or below `dir`, deepest first (lazily when busy).
absl::Status UnmountAllUnder(const std::string& dir);

}  // namespace skiff::agent::podspec

#endif  // SKIFF_AGENT_PODSPEC_MOUNTS_H_
