// Finding what an agent left on the host below its data directory: whether a path lies below a
// directory, and the mount points below one (from /proc/self/mountinfo text), for cleanup; and
// whether a cgroup filesystem is mounted, which runc needs (`ip netns exec` hides it).
//
// Thread-safety: pure functions. Ownership: none. Failures: none (unparseable lines are skipped).
#ifndef SKIFF_AGENT_CONTAINERD_MOUNT_POINTS_H_
#define SKIFF_AGENT_CONTAINERD_MOUNT_POINTS_H_

#include <string>
#include <vector>

namespace skiff::agent::containerd {

// True if `path` is `dir` or lies below it (lexically; both absolute).
bool PathIsUnder(const std::string& path, const std::string& dir);

// Mount points from /proc/self/mountinfo text that are `dir` or below it, deepest first
// (unmount order). Octal escapes (\040 for space...) are decoded.
std::vector<std::string> MountPointsUnder(const std::string& mountinfo, const std::string& dir);

// True if /proc/self/mountinfo text lists a "cgroup" or "cgroup2" filesystem.
bool HasCgroupMount(const std::string& mountinfo);

}  // namespace skiff::agent::containerd

#endif  // SKIFF_AGENT_CONTAINERD_MOUNT_POINTS_H_
