// What the node agent reports about its machine: static facts (CPUs, memory, identity, OS) and
// live usage (free memory, free disk, process count), read from /proc, /sys and /etc under a
// configurable root so tests can feed prepared file contents. The Parse* functions are the pure
// parsers of those files; HostProbe reads the files and calls them.
// Thread-safety: free functions are pure; a HostProbe is immutable and safe to share.
// Ownership: values. Failure: parsers return InvalidArgument on malformed text; HostProbe returns
// NotFound/Internal when a required file (meminfo, the online CPU list) cannot be read or
// statvfs fails; optional files (DMI uuid, cgroup quota, os-release) fall back silently.
#ifndef SKIFF_AGENT_NODE_HOST_INFO_H_
#define SKIFF_AGENT_NODE_HOST_INFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace skiff::agent::node {

struct MemInfo {
  int64_t total_bytes = 0;
  int64_t available_bytes = 0;  // MemAvailable (falls back to MemFree + Cached)
};

// The facts that do not change while the agent runs.
struct HostFacts {
  int64_t cpu_millis = 0;      // online CPUs, capped by a cgroup CPU quota
  int64_t memory_bytes = 0;    // MemTotal
  std::string machine_id;      // /etc/machine-id
  std::string system_uuid;     // DMI product_uuid, else the machine id
  std::string boot_id;         // /proc/sys/kernel/random/boot_id
  std::string kernel_version;  // uname -r
  std::string os_image;        // PRETTY_NAME of /etc/os-release
  std::string hostname;        // lower-cased
};

struct FsUsage {
  int64_t capacity_bytes = 0;
  int64_t available_bytes = 0;
  int64_t inodes = 0;
  int64_t inodes_free = 0;
};

// Live figures the pressure conditions are computed from.
struct HostUsage {
  int64_t memory_available_bytes = 0;
  FsUsage nodefs;   // the filesystem of the agent's data dir
  FsUsage imagefs;  // the filesystem of containerd's root (often the same)
  int64_t pid_max = 0;
  int64_t processes = 0;  // threads/tasks running now (kernel scheduling entities)
};

absl::StatusOr<MemInfo> ParseMemInfo(std::string_view meminfo);
// "0-3,6,8-9" -> 7.
absl::StatusOr<int> ParseCpuList(std::string_view list);
// The CPU limit of a cgroup in millicores, or nullopt when unlimited. cgroup v1: quota_us and
// period_us file contents ("-1" = unlimited). cgroup v2: the cpu.max content ("max 100000").
std::optional<int64_t> CgroupV1CpuLimitMillis(std::string_view quota_us, std::string_view period_us);
std::optional<int64_t> CgroupV2CpuLimitMillis(std::string_view cpu_max);
// PRETTY_NAME (unquoted) of an os-release file; "Linux" when absent.
std::string ParseOsRelease(std::string_view os_release);
// The 4th field of /proc/loadavg ("1/339"): the number of tasks (339).
absl::StatusOr<int64_t> ParseLoadAvgTasks(std::string_view loadavg);

class HostProbe {
 public:
  // `root` prefixes every /proc, /sys and /etc path ("" = the real root).
  explicit HostProbe(std::string root = "") : root_(std::move(root)) {}

  absl::StatusOr<HostFacts> Facts() const;
  // `nodefs_path` and `imagefs_path` are real paths (not under root), measured with statvfs.
  absl::StatusOr<HostUsage> Usage(const std::string& nodefs_path, const std::string& imagefs_path) const;

 private:
  std::optional<std::string> Read(const std::string& path) const;
  absl::StatusOr<int64_t> CpuMillis() const;

  std::string root_;
};

// statvfs of `path` (an existing file or directory).
absl::StatusOr<FsUsage> StatFs(const std::string& path);

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_HOST_INFO_H_
